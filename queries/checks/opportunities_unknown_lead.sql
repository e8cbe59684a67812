-- opportunities_unknown_lead: opportunities whose lead_id is not a lead_id of leads (the contract:
--   opportunities.lead_id references leads.lead_id).
-- Grain: one row per such opportunity (key, pos; value: the lead_id given).
-- Inputs: v_opportunities, v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: opportunities
-- @column: lead_id
-- @rule: references
-- @needs: lead_id, leads.lead_id
-- @message: {rows} with a lead_id that is not in leads (leads.lead_id)
-- @shows: lead_id

select
    t.__funnel_key as key,
    t.__funnel_pos as pos,
    t.lead_id as value
from v_opportunities as t
anti join v_leads as r on t.lead_id = r.lead_id
where t.lead_id is not null

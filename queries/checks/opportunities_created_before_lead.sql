-- opportunities_created_before_lead: opportunities created before their lead entered the funnel (before
--   leads.created_at).
-- Grain: one row per such opportunity (key, pos; value: its lead_id). A warning: the metrics read both dates
--   as given.
-- Inputs: v_opportunities, v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: opportunities
-- @column: created_at
-- @rule: order
-- @needs: lead_id, created_at, leads.lead_id, leads.created_at
-- @message: {opportunities} created before their lead (leads.created_at)
-- @shows: lead_id

select
    o.__funnel_key as key,
    o.__funnel_pos as pos,
    o.lead_id as value
from v_opportunities as o
inner join v_leads as l on o.lead_id = l.lead_id
where o.created_at < l.created_at

-- leads_unique_lead_id: leads whose lead_id another row of leads has too (the contract: lead_id is unique).
-- Grain: one row per row in a duplicated group (key: the lead_id repeated; pos; value null), so the count
--   is every row involved; validate.py groups the rows by key for its examples.
-- Inputs: v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: leads
-- @column: lead_id
-- @rule: unique
-- @needs: lead_id
-- @message: {rows} share an id with another row ({duplicated ids})
-- @examples: duplicates

with duplicated_ids as (
    select lead_id
    from v_leads
    where lead_id is not null
    group by lead_id
    having count(*) > 1
)

select
    t.lead_id as key,
    t.__funnel_pos as pos,
    null as value
from v_leads as t
semi join duplicated_ids as d on t.lead_id = d.lead_id

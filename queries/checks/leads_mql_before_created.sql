-- leads_mql_before_created: leads that became MQLs before they were created.
-- Grain: one row per lead with mql_at before created_at (key, pos; value null). A warning: the metrics
--   read each stage as given.
-- Inputs: v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: leads
-- @column: mql_at
-- @rule: order
-- @needs: mql_at, created_at
-- @message: {rows} with mql_at before created_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_leads
where mql_at < created_at

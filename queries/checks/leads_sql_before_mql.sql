-- leads_sql_before_mql: leads that became SQLs before they became MQLs.
-- Grain: one row per lead with sql_at before mql_at (key, pos; value null). A warning: the metrics
--   read each stage as given.
-- Inputs: v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: leads
-- @column: sql_at
-- @rule: order
-- @needs: sql_at, mql_at
-- @message: {rows} with sql_at before mql_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_leads
where sql_at < mql_at

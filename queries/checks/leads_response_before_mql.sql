-- leads_response_before_mql: leads answered before they became MQLs.
-- Grain: one row per lead with first_response_at before mql_at (key, pos; value null). A warning: the metrics
--   read each stage as given.
-- Inputs: v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: leads
-- @column: first_response_at
-- @rule: order
-- @needs: first_response_at, mql_at
-- @message: {rows} with first_response_at before mql_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_leads
where first_response_at < mql_at

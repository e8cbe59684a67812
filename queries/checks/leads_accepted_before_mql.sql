-- leads_accepted_before_mql: leads sales accepted before they became MQLs.
-- Grain: one row per lead with accepted_at before mql_at (key, pos; value null). A warning: the metrics
--   read each stage as given.
-- Inputs: v_leads, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: leads
-- @column: accepted_at
-- @rule: order
-- @needs: accepted_at, mql_at
-- @message: {rows} with accepted_at before mql_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_leads
where accepted_at < mql_at

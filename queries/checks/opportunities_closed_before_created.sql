-- opportunities_closed_before_created: opportunities closed before they were created.
-- Grain: one row per opportunity with closed_at before created_at (key, pos; value null). A warning: the
--   metrics read each stage as given.
-- Inputs: v_opportunities, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: opportunities
-- @column: closed_at
-- @rule: order
-- @needs: closed_at, created_at
-- @message: {rows} with closed_at before created_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_opportunities
where closed_at < created_at

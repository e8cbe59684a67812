-- opportunities_closed_needs_closed_at: closed opportunities without the moment they closed (the contract: a
--   closed opportunity has closed_at).
-- Grain: one row per such opportunity (key, pos; value null).
-- Inputs: v_opportunities, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: opportunities
-- @column: closed_at
-- @rule: closed_needs_closed_at
-- @needs: is_closed, closed_at
-- @message: {opportunities} closed without a closed_at

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_opportunities
where is_closed and closed_at is null

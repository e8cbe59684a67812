-- opportunities_won_implies_closed: opportunities marked won that are not closed (the contract: is_won
--   implies is_closed).
-- Grain: one row per such opportunity (key, pos; value null).
-- Inputs: v_opportunities, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: opportunities
-- @column: is_won
-- @rule: won_implies_closed
-- @needs: is_won, is_closed
-- @message: {opportunities} won but not closed (is_won implies is_closed)

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_opportunities
where is_won and not is_closed

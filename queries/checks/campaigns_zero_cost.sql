-- campaigns_zero_cost: campaigns that cost nothing (allowed, but often a cost not filled in: cost per MQL and
--   ROI read it as free).
-- Grain: one row per such campaign (key, pos; value null).
-- Inputs: v_campaigns, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: campaigns
-- @column: cost
-- @rule: zero_cost
-- @needs: cost
-- @message: {campaigns} with zero cost

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_campaigns
where cost = 0

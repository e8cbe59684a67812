-- campaigns_end_before_start: campaigns that end before they start (facts/views.sql reads each as a one-day
--   campaign).
-- Grain: one row per such campaign (key, pos; value null).
-- Inputs: v_campaigns, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: campaigns
-- @column: end_date
-- @rule: end_before_start
-- @needs: end_date, start_date
-- @message: {campaigns} with end_date before start_date (read as a one-day campaign)

select
    __funnel_key as key,
    __funnel_pos as pos,
    null as value
from v_campaigns
where end_date < start_date

-- targets_month_start: target rows whose month is not the first day of a month (the contract; each is read as
--   its month).
-- Grain: one row per such target row (key: null, targets have no id; pos; value: the month given).
-- Inputs: v_targets, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: targets
-- @column: month
-- @rule: month_start
-- @needs: month
-- @message: {rows} with a month that is not the first day of a month (read as its month)
-- @shows: value

select
    __funnel_key as key,
    __funnel_pos as pos,
    month as value
from v_targets
where month <> cast(date_trunc('month', month) as date)

-- targets_unique_month_metric_segment: target rows that repeat a month, metric and segment already given (the
--   contract: one row per month, metric and segment; a null segment, the company-wide target, is a
--   segment of its own).
-- Grain: one row per row in a duplicated group (key: the month as YYYY-MM, the metric and the segment or
--   (all), as the examples show it; pos; value null). Targets are a few hundred rows: a window suffices.
-- Inputs: v_targets, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: targets
-- @column: month, metric, segment
-- @rule: unique
-- @needs: month, metric, segment
-- @message: {rows} repeat a (month, metric, segment) already given ({duplicated keys}; one row per month, metric and segment)
-- @examples: duplicates

with target_keys as (
    select
        __funnel_pos,
        cast(date_trunc('month', month) as date) as target_month,
        metric,
        segment
    from v_targets
    where month is not null and metric is not null
)

select
    strftime(target_month, '%Y-%m') || ' ' || metric || ' ' || coalesce(segment, '(all)') as key,
    __funnel_pos as pos,
    null as value
from target_keys
qualify count(*) over (partition by target_month, metric, segment) > 1

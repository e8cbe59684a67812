-- targets (fragment): the agreed monthly targets, prorated to the period (metrics.md "SLA:
--   marketing's side").
-- Grain: one row per (period, breakdown key) with a target.
-- Needs: scope.sql. Parameters: those of scope.sql.
-- Each month contributes target x (days of the month inside the period / days in the month).
-- Which rows: with a segment filter, that segment's; in a segment breakdown, each segment's own;
-- otherwise the month's company-wide row (segment null) if it has one, else the sum of the month's
-- segment rows. Breakdowns other than by segment have no targets.
month_targets as (
    select
        cast(date_trunc('month', t.month) as date) as month,
        t.metric,
        case when $group_by = 'segment' then t.segment else 'all' end as group_key,
        case
            when $segment is not null or $group_by = 'segment' then sum(t.target)
            else coalesce(max(t.target) filter (where t.segment is null), sum(t.target))
        end as target
    from targets as t
    where ($segment is null or t.segment = $segment)
        and ($group_by <> 'segment' or t.segment is not null)
        and $group_by in ('all', 'segment')
    group by cast(date_trunc('month', t.month) as date), t.metric, case when $group_by = 'segment' then t.segment else 'all' end
),

prorated_targets as (
    select
        p.period_key,
        mt.group_key,
        mt.metric,
        mt.target
            * (date_diff('day', greatest(mt.month, p.first_day), least(last_day(mt.month), p.last_day)) + 1)
            / day(last_day(mt.month)) as target
    from periods as p
    inner join month_targets as mt on mt.month <= p.last_day and last_day(mt.month) >= p.first_day
),

period_targets as (
    select
        period_key,
        group_key,
        sum(target) filter (where metric = 'leads') as lead_target,
        sum(target) filter (where metric = 'mqls') as mql_target,
        sum(target) filter (where metric = 'sqls') as sql_target,
        sum(target) filter (where metric = 'opportunities') as opportunity_target,
        sum(target) filter (where metric = 'pipeline') as pipeline_target,
        sum(target) filter (where metric = 'bookings') as bookings_target
    from prorated_targets
    group by period_key, group_key
)

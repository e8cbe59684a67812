-- pace: where the current period will land (metrics.md "Pacing and projection"): each figure to date
--   against the target pro rata, its pace and run rate, and the coverage of the bookings still to find.
-- Grain: one row per period C (the API passes the fiscal quarter and the calendar month holding as_of).
-- Parameters: those of scope.sql, with each period's interval ending just after as_of
--   ($period_end_us = $as_of_us + 1, so [start of C, as_of] counts) while $period_first_day ..
--   $period_last_day stay C's whole days (target(C, m) is C's target); $group_by 'all'; $as_of_us.
-- e = the days of C elapsed by as_of, (as_of - C's first local midnight) / 86,400 s, a fraction;
-- n = the days in C. expected = target(C) x e / n; pace = to date / expected; run rate = to date x n / e.
-- pipeline_coverage = the open pipeline in scope at as_of / (target(C, bookings) - bookings to date),
-- null when nothing is left to book (or no target). Every count comes from the fragments the KPI
-- query uses, so "MQLs to date" is the MQL volume of the same rule.
with
-- @include scope.sql
,
-- @include volumes.sql
,
-- @include conversion.sql
,
-- @include sla.sql
,
-- @include lead_figures.sql
,
-- @include targets.sql
,
target_months as (
    -- how many of C's months have a target for each figure: a quarter whose later months have none yet
    -- gets a target, and a pace, of the months that do; the page and the deck say so
    select
        p.period_key,
        count(distinct mt.month) filter (where mt.metric = 'mqls') as mqls_target_months,
        count(distinct mt.month) filter (where mt.metric = 'sqls') as sqls_target_months,
        count(distinct mt.month) filter (where mt.metric = 'pipeline') as pipeline_target_months,
        count(distinct mt.month) filter (where mt.metric = 'bookings') as bookings_target_months
    from periods as p
    inner join month_targets as mt on mt.month >= p.first_day and mt.month <= p.last_day
    where mt.group_key = 'all'
    group by p.period_key
),

open_pipeline as (
    -- open at as_of: the snapshot's open deals in scope, whenever they were created
    select coalesce(sum(amount), 0.0) as open_pipeline, count(*) as open_opportunities
    from scoped_opportunities
    where not is_closed
),

to_date as (
    select
        p.period_key,
        ($as_of_us - p.start_us) / 86400000000.0 as elapsed_days,
        date_diff('day', p.first_day, p.last_day) + 1 as period_days,
        date_diff('month', p.first_day, p.last_day) + 1 as period_months,
        coalesce(tm.mqls_target_months, 0) as mqls_target_months,
        coalesce(tm.sqls_target_months, 0) as sqls_target_months,
        coalesce(tm.pipeline_target_months, 0) as pipeline_target_months,
        coalesce(tm.bookings_target_months, 0) as bookings_target_months,
        coalesce(lf.mqls, 0) as mqls_to_date,
        coalesce(lf.sqls, 0) as sqls_to_date,
        coalesce(ov.pipeline, 0.0) as pipeline_to_date,
        coalesce(ov.bookings, 0.0) as bookings_to_date,
        t.mql_target,
        t.sql_target,
        t.pipeline_target,
        t.bookings_target
    from periods as p
    left join lead_figures as lf on lf.period_key = p.period_key and lf.group_key = 'all'
    left join opportunity_volumes as ov on ov.period_key = p.period_key and ov.group_key = 'all'
    left join period_targets as t on t.period_key = p.period_key and t.group_key = 'all'
    left join target_months as tm on tm.period_key = p.period_key
),

expected as (
    select
        *,
        mql_target * elapsed_days / period_days as mqls_expected_to_date,
        sql_target * elapsed_days / period_days as sqls_expected_to_date,
        pipeline_target * elapsed_days / period_days as pipeline_expected_to_date,
        bookings_target * elapsed_days / period_days as bookings_expected_to_date
    from to_date
)

select
    e.period_key,
    e.elapsed_days,
    e.period_days,
    e.period_months,
    e.mqls_target_months,
    e.sqls_target_months,
    e.pipeline_target_months,
    e.bookings_target_months,
    e.mqls_to_date,
    e.mqls_expected_to_date,
    e.mqls_to_date / nullif(e.mqls_expected_to_date, 0) as mqls_pace,
    e.mqls_to_date * e.period_days / nullif(e.elapsed_days, 0) as mqls_run_rate,
    e.mql_target as mqls_target,
    e.sqls_to_date,
    e.sqls_expected_to_date,
    e.sqls_to_date / nullif(e.sqls_expected_to_date, 0) as sqls_pace,
    e.sqls_to_date * e.period_days / nullif(e.elapsed_days, 0) as sqls_run_rate,
    e.sql_target as sqls_target,
    e.pipeline_to_date,
    e.pipeline_expected_to_date,
    e.pipeline_to_date / nullif(e.pipeline_expected_to_date, 0) as pipeline_pace,
    e.pipeline_to_date * e.period_days / nullif(e.elapsed_days, 0) as pipeline_run_rate,
    e.pipeline_target,
    e.bookings_to_date,
    e.bookings_expected_to_date,
    e.bookings_to_date / nullif(e.bookings_expected_to_date, 0) as bookings_pace,
    e.bookings_to_date * e.period_days / nullif(e.elapsed_days, 0) as bookings_run_rate,
    e.bookings_target,
    o.open_pipeline,
    o.open_opportunities,
    o.open_pipeline / (case when e.bookings_target - e.bookings_to_date > 0
        then e.bookings_target - e.bookings_to_date end) as pipeline_coverage
from expected as e
cross join open_pipeline as o
order by e.period_key

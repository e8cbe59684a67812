-- projection: the projected final conversion of each step for cohorts not yet mature (metrics.md
--   "Pacing and projection"), learned from the pooled mature cohorts of a trailing period.
-- Grain: one row per (period, step) for the periods whose cohort is not mature at as_of; step in
--   lead_to_mql, mql_to_sql, sql_to_opp, opp_to_won, lead_to_won.
-- Parameters: those of scope.sql (the immature periods; $span_start_us must reach back to the
--   trailing period), $trailing_start_us, $trailing_end_us (the pooled mature cohorts: leads with
--   reached(A) in [start, end)), $as_of_us, $window_us (W).
-- The pool: its N leads, each with delay d = reached(B) - reached(A) in days when <= W (else none);
-- p(x) = (pool leads with d <= x) / N; p_final = p(W). A cohort lead i has age a_i = min(W, as_of -
-- reached(A)) in days; it is converted now when d_i <= a_i, else it counts q_i = (p_final - p(a_i)) /
-- (1 - p(a_i)) (0 when p(a_i) = 1). projected_rate = (converted now + sum q_i) / cohort; null when
-- the pool is empty. p(a_i) is a running count over the pool's delays and the cohort's ages sorted
-- together (the pool's first at a tie, since d <= a counts), not a join of every pair.
with
-- @include scope.sql
,
step_times as (
    select lead_id, 'lead_to_mql' as step, reached_lead_us as a_us, reached_mql_us as b_us from scoped_leads
    union all
    select lead_id, 'mql_to_sql' as step, reached_mql_us as a_us, reached_sql_us as b_us from scoped_leads
    union all
    select lead_id, 'sql_to_opp' as step, reached_sql_us as a_us, reached_opportunity_us as b_us from scoped_leads
    union all
    select lead_id, 'opp_to_won' as step, reached_opportunity_us as a_us, reached_won_us as b_us from scoped_leads
    union all
    select lead_id, 'lead_to_won' as step, reached_lead_us as a_us, reached_won_us as b_us from scoped_leads
),

pool as (
    select
        step,
        case when b_us - a_us <= $window_us then (b_us - a_us) / 86400000000.0 end as delay_days
    from step_times
    where a_us >= $trailing_start_us and a_us < $trailing_end_us
),

pool_sizes as (
    select
        step,
        count(*) as pooled_leads,
        count(delay_days) as pooled_converted
    from pool
    group by step
),

cohort as (
    select
        p.period_key,
        s.step,
        (s.b_us - s.a_us) / 86400000000.0 as delay_days,
        least($window_us, $as_of_us - s.a_us) / 86400000000.0 as age_days
    from periods as p
    inner join step_times as s on s.a_us >= p.start_us and s.a_us < p.end_us
    where p.end_of_day_us + $window_us > $as_of_us
),

sorted_together as (
    -- at an equal value the pool's delays sort first, so a cohort lead's running count is p(a_i) x N
    select step, cast(null as varchar) as period_key, delay_days as value, 0 as tie_order,
        cast(null as double) as delay_days
    from pool
    where delay_days is not null
    union all
    select step, period_key, age_days as value, 1 as tie_order, delay_days
    from cohort
),

cohort_p as (
    select
        period_key,
        step,
        delay_days,
        value as age_days,
        tie_order,
        sum(1 - tie_order) over (
            partition by step order by value, tie_order rows between unbounded preceding and current row
        ) as pooled_within_age
    from sorted_together
),

judged as (
    select
        c.period_key,
        c.step,
        coalesce(c.delay_days <= c.age_days, false) as is_converted_now,
        cast(c.pooled_within_age as double) / ps.pooled_leads as p_age,
        cast(ps.pooled_converted as double) / ps.pooled_leads as p_final,
        ps.pooled_leads
    from cohort_p as c
    left join pool_sizes as ps on ps.step = c.step
    where c.tie_order = 1
)

select
    period_key,
    step,
    max(pooled_leads) as pooled_leads,
    count(*) as cohort,
    cast(count_if(is_converted_now) as bigint) as converted_now,
    max(p_final) as p_final,
    sum(case
        when is_converted_now then 0.0
        when p_age >= 1 then 0.0
        else (p_final - p_age) / (1 - p_age)
    end) as expected_more,
    -- no pool (no mature lead to learn from): no projection, rather than the observed rate
    case when max(p_final) is not null then (cast(count_if(is_converted_now) as bigint) + sum(case
        when is_converted_now then 0.0
        when p_age >= 1 then 0.0
        else (p_final - p_age) / (1 - p_age)
    end)) / count(*) end as projected_rate
from judged
group by period_key, step
order by period_key, step

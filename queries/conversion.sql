-- conversion (fragment): cohort conversion, the same people on both sides (metrics.md "Conversion").
-- Grain: cohort_steps = one row per (period, lead, step) for leads whose reached(x, A) is in the
--   period; conversion = one row per (period, breakdown key); stage_funnel likewise.
-- Needs: scope.sql. Parameters: those of scope.sql, $window_us (W in microseconds), $as_of_us.
-- A step A -> B converts when reached(x, B) <= reached(x, A) + W. cohort_mature = the period's end
-- of day + W <= as_of: a younger cohort has not had its full window yet.
lead_steps as (
    select group_key, 'lead_to_mql' as step, reached_lead_us as from_us, reached_mql_us as to_us from scoped_leads
    union all
    select group_key, 'mql_to_sql' as step, reached_mql_us, reached_sql_us from scoped_leads
    union all
    select group_key, 'sql_to_opp' as step, reached_sql_us, reached_opportunity_us from scoped_leads
    union all
    select group_key, 'opp_to_won' as step, reached_opportunity_us, reached_won_us from scoped_leads
    union all
    select group_key, 'lead_to_won' as step, reached_lead_us, reached_won_us from scoped_leads
),

cohort_steps as (
    select
        p.period_key,
        s.group_key,
        s.step,
        s.from_us,
        s.to_us,
        coalesce(s.to_us <= s.from_us + $window_us, false) as is_converted
    from periods as p
    inner join lead_steps as s on s.from_us >= p.start_us and s.from_us < p.end_us
),

conversion as (
    select
        g.period_key,
        g.group_key,
        p.end_of_day_us + $window_us <= $as_of_us as cohort_mature,
        count(c.step) filter (where c.step = 'lead_to_mql') as lead_to_mql_cohort,
        count(c.step) filter (where c.step = 'lead_to_mql' and c.is_converted) as lead_to_mql_converted,
        count(c.step) filter (where c.step = 'mql_to_sql') as mql_to_sql_cohort,
        count(c.step) filter (where c.step = 'mql_to_sql' and c.is_converted) as mql_to_sql_converted,
        count(c.step) filter (where c.step = 'sql_to_opp') as sql_to_opp_cohort,
        count(c.step) filter (where c.step = 'sql_to_opp' and c.is_converted) as sql_to_opp_converted,
        count(c.step) filter (where c.step = 'opp_to_won') as opp_to_won_cohort,
        count(c.step) filter (where c.step = 'opp_to_won' and c.is_converted) as opp_to_won_converted,
        count(c.step) filter (where c.step = 'lead_to_won') as lead_to_won_cohort,
        count(c.step) filter (where c.step = 'lead_to_won' and c.is_converted) as lead_to_won_converted
    from grid as g
    inner join periods as p on p.period_key = g.period_key
    left join cohort_steps as c on c.period_key = g.period_key and c.group_key = g.group_key
    group by g.period_key, g.group_key, p.end_of_day_us
),

stage_funnel as (
    -- the leads whose reached(x, lead) is in the period, and how many of them reached each later
    -- stage within W of it: a true funnel, each stage a subset of the one before
    select
        p.period_key,
        l.group_key,
        count(*) as funnel_leads,
        count(*) filter (where l.reached_mql_us <= l.reached_lead_us + $window_us) as funnel_mqls,
        count(*) filter (where l.reached_sal_us <= l.reached_lead_us + $window_us) as funnel_sals,
        count(*) filter (where l.reached_sql_us <= l.reached_lead_us + $window_us) as funnel_sqls,
        count(*) filter (where l.reached_opportunity_us <= l.reached_lead_us + $window_us) as funnel_opportunities,
        count(*) filter (where l.reached_won_us <= l.reached_lead_us + $window_us) as funnel_won
    from periods as p
    inner join scoped_leads as l on l.reached_lead_us >= p.start_us and l.reached_lead_us < p.end_us
    group by p.period_key, l.group_key
)

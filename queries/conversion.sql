-- conversion (fragment): cohort conversion, the same people on both sides (metrics.md "Conversion").
-- Grain: cohort_steps = one row per (period, lead) in any step's cohort, with each step's outcome;
--   conversion and stage_funnel = one row per (period, breakdown key).
-- Needs: scope.sql, volumes.sql (lead_periods). Parameters: those of scope.sql, $window_us (W).
-- A step A -> B: the cohort is the leads with reached(x, A) in the period; a lead converts when
-- reached(x, B) <= reached(x, A) + W. (cohort_mature is judged per period in kpis.sql.)
cohort_steps as (
    select
        period_key,
        group_key,
        lead_id,
        is_lead_cohort,
        is_mql_cohort,
        is_sql_cohort,
        is_opportunity_cohort,
        reached_lead_us,
        reached_mql_us,
        reached_sql_us,
        reached_opportunity_us,
        reached_won_us,
        is_lead_cohort and coalesce(reached_mql_us <= reached_lead_us + $window_us, false) as is_lead_to_mql,
        is_lead_cohort and coalesce(reached_sal_us <= reached_lead_us + $window_us, false) as is_lead_to_sal,
        is_lead_cohort and coalesce(reached_sql_us <= reached_lead_us + $window_us, false) as is_lead_to_sql,
        is_lead_cohort and coalesce(reached_opportunity_us <= reached_lead_us + $window_us, false)
            as is_lead_to_opportunity,
        is_lead_cohort and coalesce(reached_won_us <= reached_lead_us + $window_us, false) as is_lead_to_won,
        is_mql_cohort and coalesce(reached_sql_us <= reached_mql_us + $window_us, false) as is_mql_to_sql,
        is_sql_cohort and coalesce(reached_opportunity_us <= reached_sql_us + $window_us, false) as is_sql_to_opp,
        is_opportunity_cohort and coalesce(reached_won_us <= reached_opportunity_us + $window_us, false)
            as is_opp_to_won
    from lead_periods
    where is_lead_cohort or is_mql_cohort or is_sql_cohort or is_opportunity_cohort
),

conversion as (
    select
        period_key,
        group_key,
        count(*) filter (where is_lead_cohort) as lead_to_mql_cohort,
        count(*) filter (where is_lead_to_mql) as lead_to_mql_converted,
        count(*) filter (where is_mql_cohort) as mql_to_sql_cohort,
        count(*) filter (where is_mql_to_sql) as mql_to_sql_converted,
        count(*) filter (where is_sql_cohort) as sql_to_opp_cohort,
        count(*) filter (where is_sql_to_opp) as sql_to_opp_converted,
        count(*) filter (where is_opportunity_cohort) as opp_to_won_cohort,
        count(*) filter (where is_opp_to_won) as opp_to_won_converted,
        count(*) filter (where is_lead_cohort) as lead_to_won_cohort,
        count(*) filter (where is_lead_to_won) as lead_to_won_converted
    from cohort_steps
    group by period_key, group_key
),

stage_funnel as (
    -- the leads whose reached(x, lead) is in the period, and how many of them reached each later
    -- stage within W of it: a true funnel, each stage a subset of the one before
    select
        period_key,
        group_key,
        count(*) filter (where is_lead_cohort) as funnel_leads,
        count(*) filter (where is_lead_to_mql) as funnel_mqls,
        count(*) filter (where is_lead_to_sal) as funnel_sals,
        count(*) filter (where is_lead_to_sql) as funnel_sqls,
        count(*) filter (where is_lead_to_opportunity) as funnel_opportunities,
        count(*) filter (where is_lead_to_won) as funnel_won
    from cohort_steps
    group by period_key, group_key
)

-- velocity (fragment): how long the steps take (metrics.md "Velocity").
-- Grain: one row per (period, breakdown key).
-- Needs: scope.sql, volumes.sql (opportunity_periods), conversion.sql (cohort_steps).
-- Parameters: those of the fragments it needs.
-- A step's median is over its converters: the cohort of the period that converted within W.
-- Medians are interpolated (median() = quantile_cont(x, 0.5), written as median() because Spark's
-- percentile_cont has another signature). Days are exact: microseconds / 86,400,000,000.
step_velocity as (
    select
        period_key,
        group_key,
        median((reached_mql_us - reached_lead_us) / 86400000000.0) filter (where is_lead_to_mql)
            as median_days_lead_to_mql,
        median((reached_sql_us - reached_mql_us) / 86400000000.0) filter (where is_mql_to_sql)
            as median_days_mql_to_sql,
        median((reached_opportunity_us - reached_sql_us) / 86400000000.0) filter (where is_sql_to_opp)
            as median_days_sql_to_opp,
        median((reached_won_us - reached_opportunity_us) / 86400000000.0) filter (where is_opp_to_won)
            as median_days_opp_to_won
    from cohort_steps
    group by period_key, group_key
),

sales_cycle as (
    -- median of closed_at - created_at over the opportunities won in the period
    select
        period_key,
        group_key,
        median((closed_us - created_us) / 86400000000.0) as sales_cycle_days
    from opportunity_periods
    where is_won_in_period
    group by period_key, group_key
)

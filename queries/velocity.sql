-- velocity (fragment): how long the steps take (metrics.md "Velocity").
-- Grain: one row per (period, breakdown key).
-- Needs: scope.sql, conversion.sql (cohort_steps), volumes.sql (opportunity_periods).
-- Parameters: those of the fragments it needs.
-- A step's median is over its converters: the cohort of the period that converted within W.
-- Medians are interpolated (quantile_cont). Days are exact: microseconds / 86,400,000,000.
step_velocity as (
    select
        period_key,
        group_key,
        quantile_cont((to_us - from_us) / 86400000000.0, 0.5) filter (where step = 'lead_to_mql' and is_converted)
            as median_days_lead_to_mql,
        quantile_cont((to_us - from_us) / 86400000000.0, 0.5) filter (where step = 'mql_to_sql' and is_converted)
            as median_days_mql_to_sql,
        quantile_cont((to_us - from_us) / 86400000000.0, 0.5) filter (where step = 'sql_to_opp' and is_converted)
            as median_days_sql_to_opp,
        quantile_cont((to_us - from_us) / 86400000000.0, 0.5) filter (where step = 'opp_to_won' and is_converted)
            as median_days_opp_to_won
    from cohort_steps
    group by period_key, group_key
),

sales_cycle as (
    -- median of closed_at - created_at over the opportunities won in the period
    select
        period_key,
        group_key,
        quantile_cont((closed_us - created_us) / 86400000000.0, 0.5) as sales_cycle_days
    from opportunity_periods
    where is_won_in_period
    group by period_key, group_key
)

-- velocity (fragment): how long the steps take (metrics.md "Velocity").
-- Grain: sales_cycle = one row per (period, breakdown key) with a won deal.
-- Needs: scope.sql, volumes.sql (opportunity_periods). Parameters: those of scope.sql.
-- The step medians (median_days_lead_to_mql, ...) are taken over conversion.sql's converters in
-- lead_figures.sql, in its one pass over the per-lead rows: a step's median is over its converters,
-- the cohort of the period that converted within W.
-- Medians are interpolated (median() = quantile_cont(x, 0.5), written as median() because Spark's
-- percentile_cont has another signature). Days are exact: microseconds / 86,400,000,000.
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

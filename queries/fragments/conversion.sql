-- conversion (fragment): cohort conversion, the same people on both sides (metrics.md "Conversion").
-- Grain: conversion = one row per row of lead_periods (period, lead), with each step's outcome.
--   The cohorts, conversions and the stage funnel are counted from these flags in lead_figures.sql.
-- Needs: scope.sql, volumes.sql (lead_periods). Parameters: those of scope.sql.
-- A step A -> B: the cohort is the leads with reached(x, A) in the period (lead_periods); a lead
-- converts when reached(x, B) <= reached(x, A) + W, which depends on the lead alone and is judged once
-- per snapshot (facts/lead_outcomes.sql, the is_*_within_w columns). cohort_mature is judged per period in
-- kpis.sql. A flag is false outside its step's cohort, so counting a flag counts the cohort's converters.
conversion as (
    select
        *,
        is_lead_cohort and is_lead_to_mql_within_w as is_lead_to_mql,
        is_lead_cohort and is_lead_to_sal_within_w as is_lead_to_sal,
        is_lead_cohort and is_lead_to_sql_within_w as is_lead_to_sql,
        is_lead_cohort and is_lead_to_opportunity_within_w as is_lead_to_opportunity,
        is_lead_cohort and is_lead_to_won_within_w as is_lead_to_won,
        is_mql_cohort and is_mql_to_sql_within_w as is_mql_to_sql,
        is_sql_cohort and is_sql_to_opp_within_w as is_sql_to_opp,
        is_opportunity_cohort and is_opp_to_won_within_w as is_opp_to_won
    from lead_periods
)

-- sla (fragment): the service level both teams signed (metrics.md "SLA: sales' side" and
--   "SLA: marketing's side"), over the MQLs with mql_at in the period.
-- Grain: sla_steps = one row per row of cohort_steps (period, lead), with the SLA's judgements of an
--   MQL of the period (false, or null, on any other row); sla_mqls = its rows for the MQLs of the
--   period, for the records behind a number. The figures are counted from these flags in
--   lead_figures.sql.
-- Needs: scope.sql, volumes.sql (lead_periods), conversion.sql (cohort_steps: the one chain of
--   per-lead rows that lead_figures.sql reads in a single pass).
-- Parameters: those of scope.sql, $as_of_us, $response_us (H), $decision_us (D).
-- "Due" is judged against as_of, never the clock: an MQL younger than H hours (D days) at as_of is
-- neither met nor missed yet. A response logged before the MQL counts as 0 hours.
sla_judged as (
    select
        *,
        case when is_mql_in_period and first_response_us is not null
            then greatest(0, first_response_us - mql_us) end as response_us,
        coalesce(is_mql_in_period and mql_us + $response_us <= $as_of_us, false) as is_due_for_response,
        coalesce(is_mql_in_period and mql_us + $decision_us <= $as_of_us, false) as is_due_for_decision,
        -- decided = the earlier of reached(x, sal) and rejected_at (least() skips a null)
        coalesce(is_mql_in_period and least(reached_sal_us, rejected_us) <= mql_us + $decision_us, false)
            as is_decided_within_d,
        coalesce(is_mql_in_period and reached_sal_us is not null
                 and (rejected_us is null or reached_sal_us <= rejected_us), false) as is_accepted,
        coalesce(is_mql_in_period and rejected_us is not null
                 and not coalesce(reached_sal_us is not null and reached_sal_us <= rejected_us, false), false)
            as is_rejected
    from cohort_steps
),

sla_steps as (
    select
        *,
        is_due_for_response and coalesce(response_us <= $response_us, false) as is_responded_in_time,
        is_due_for_response and first_response_us is null as is_untouched,
        is_due_for_decision and is_decided_within_d as is_decided_in_time
    from sla_judged
),

sla_mqls as (
    select * from sla_steps where is_mql_in_period
)

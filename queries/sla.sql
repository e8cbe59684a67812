-- sla (fragment): the service level both teams signed (metrics.md "SLA: sales' side" and
--   "SLA: marketing's side"), over the MQLs with mql_at in the period.
-- Grain: sla_mqls = one row per (period, MQL); sla = one row per (period, breakdown key).
-- Needs: scope.sql, volumes.sql (lead_periods: its MQLs of the period). Parameters: those of scope.sql, $as_of_us, $response_us (H), $decision_us (D).
-- "Due" is judged against as_of, never the clock: an MQL younger than H hours (D days) at as_of is
-- neither met nor missed yet. A response logged before the MQL counts as 0 hours.
sla_mqls as (
    select
        l.period_key,
        l.group_key,
        l.lead_id,
        l.owner_id,
        l.rejection_reason,
        l.mql_us,
        l.first_response_us,
        case when l.first_response_us is not null then greatest(0, l.first_response_us - l.mql_us) end
            as response_us,
        l.mql_us + $response_us <= $as_of_us as is_due_for_response,
        l.mql_us + $decision_us <= $as_of_us as is_due_for_decision,
        -- decided = the earlier of reached(x, sal) and rejected_at (least() skips a null)
        coalesce(least(l.reached_sal_us, l.rejected_us) <= l.mql_us + $decision_us, false) as is_decided_in_time,
        coalesce(l.reached_sal_us is not null and (l.rejected_us is null or l.reached_sal_us <= l.rejected_us), false)
            as is_accepted,
        l.rejected_us is not null
            and not coalesce(l.reached_sal_us is not null and l.reached_sal_us <= l.rejected_us, false)
            as is_rejected
    from lead_periods as l
    where l.is_mql_in_period
),

sla as (
    select
        period_key,
        group_key,
        count(*) filter (where is_due_for_response) as due_for_response,
        count(*) filter (where is_due_for_response and response_us <= $response_us) as responses_in_time,
        count(*) filter (where is_due_for_response and first_response_us is null) as untouched_mqls,
        median(response_us / 3600000000.0) as median_response_hours,
        count(*) filter (where is_due_for_decision) as due_for_decision,
        count(*) filter (where is_due_for_decision and is_decided_in_time) as decisions_in_time,
        count(*) filter (where is_accepted) as accepted_mqls,
        count(*) filter (where is_rejected) as rejected_mqls
    from sla_mqls
    group by period_key, group_key
)

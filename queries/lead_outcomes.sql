-- lead_outcomes (fragment), pasted into views.sql: what each lead's conversion and SLA outcomes are, judged
--   once per snapshot because they depend only on the lead, the policy and as_of, never on a period
--   or a filter (metrics.md "Conversion", "Velocity", "SLA: sales' side", "SLA: marketing's side").
-- Grain: one row per lead (the rows of views.sql's `reached`, with every column kept): lead_judged
--   adds what needs the lead alone, lead_outcomes what follows from whether an MQL was due at as_of.
-- Parameters: $window_us (W), $response_us (H), $decision_us (D), $as_of_us.
-- Which period a lead counts in is decided per query (volumes.sql's lead_periods), and a step's
-- converters are its cohort's leads whose outcome here is true (conversion.sql, sla.sql): the rule
-- is written here once and evaluated once, not on every (period, lead) row of every query (1M leads,
-- 13 months: the KPI query's flags were 40% of its time).
lead_judged as (
    select
        *,
        -- conversion: a step A -> B converts when reached(x, B) <= reached(x, A) + W
        coalesce(reached_mql_us <= reached_lead_us + $window_us, false) as lead_to_mql_within_w,
        coalesce(reached_sal_us <= reached_lead_us + $window_us, false) as lead_to_sal_within_w,
        coalesce(reached_sql_us <= reached_lead_us + $window_us, false) as lead_to_sql_within_w,
        coalesce(reached_opportunity_us <= reached_lead_us + $window_us, false) as lead_to_opportunity_within_w,
        coalesce(reached_won_us <= reached_lead_us + $window_us, false) as lead_to_won_within_w,
        coalesce(reached_sql_us <= reached_mql_us + $window_us, false) as mql_to_sql_within_w,
        coalesce(reached_opportunity_us <= reached_sql_us + $window_us, false) as sql_to_opp_within_w,
        coalesce(reached_won_us <= reached_opportunity_us + $window_us, false) as opp_to_won_within_w,
        -- velocity: each step's duration in exact days (its median is over the step's converters)
        (reached_mql_us - reached_lead_us) / 86400000000.0 as days_lead_to_mql,
        (reached_sql_us - reached_mql_us) / 86400000000.0 as days_mql_to_sql,
        (reached_opportunity_us - reached_sql_us) / 86400000000.0 as days_sql_to_opp,
        (reached_won_us - reached_opportunity_us) / 86400000000.0 as days_opp_to_won,
        -- SLA, judged for the lead as an MQL (false, or null, for a lead that never was one). "Due" is
        -- judged against as_of, never the clock: an MQL younger than H hours (D days) at as_of is
        -- neither met nor missed yet. A response logged before the MQL counts as 0 hours.
        case when mql_us is not null and first_response_us is not null
            then greatest(0, first_response_us - mql_us) / 3600000000.0 end as mql_response_hours,
        coalesce(mql_us + $response_us <= $as_of_us, false) as mql_due_for_response,
        coalesce(mql_us + $decision_us <= $as_of_us, false) as mql_due_for_decision,
        coalesce(mql_us is not null and reached_sal_us is not null
                 and (rejected_us is null or reached_sal_us <= rejected_us), false) as mql_accepted,
        coalesce(mql_us is not null and rejected_us is not null
                 and not coalesce(reached_sal_us is not null and reached_sal_us <= rejected_us, false), false)
            as mql_rejected
    from reached
),

lead_outcomes as (
    select
        *,
        -- (a response before the MQL, 0 hours, is within any H >= 0: the policy refuses a negative H)
        mql_due_for_response and coalesce(first_response_us - mql_us <= $response_us, false)
            as mql_responded_in_time,
        mql_due_for_response and first_response_us is null as mql_untouched,
        -- decided = the earlier of reached(x, sal) and rejected_at (least() skips a null), within D
        mql_due_for_decision and coalesce(least(reached_sal_us, rejected_us) <= mql_us + $decision_us, false)
            as mql_decided_in_time
    from lead_judged
)

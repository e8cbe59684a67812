-- lead_outcomes (fragment), pasted into views.sql: what each lead's conversion and SLA outcomes are, judged
--   once per snapshot because they depend only on the lead, the policy and as_of, never on a period
--   or a filter (metrics.md "Conversion", "Velocity", "SLA: sales' side", "SLA: marketing's side").
-- Grain: one row per lead (the rows of views.sql's `reached`, with every column kept): lead_judged
--   adds what needs the lead alone, lead_outcomes what follows from whether an MQL was due at as_of.
-- Parameters: $window_us (W), $response_us (H), $decision_us (D), $as_of_us, $business_clock.
-- The SLA clock (metrics.md "The SLA clock"): with $business_clock false, H and D are wall time, as
--   always. With it true, they count working time B(a, b) = max(0, W(b) - W(a)) of the lead's calendar
--   (its region's in calendar_regions, else calendar 0), W read from working_hours, the table of
--   business_calendar.py: one row per calendar and UTC hour with W at the hour's start and the working
--   pieces inside it, found by an equi-join on the hour key (a hash join on both engines; no as-of join,
--   which Spark SQL lacks). D is then D working days of that calendar (calendars.working_day_us).
--   Under the calendar clock those tables are empty and every figure is the wall-time one.
-- Which period a lead counts in is decided per query (volumes.sql's lead_periods), and a step's
-- converters are its cohort's leads whose outcome here is true (conversion.sql, sla.sql): the rule
-- is written here once and evaluated once, not on every (period, lead) row of every query (1M leads,
-- 13 months: the KPI query's flags were 40% of its time).
lead_working_time as (
    -- W(t) for the lead's MQL, first response and decision (the earlier of reached(x, sal) and
    -- rejected_at); null when t is null (and under the calendar clock)
    select
        r.*,
        c.as_of_w_us,
        c.working_day_us,
        wm.w_start_us + greatest(0, least(r.mql_us, wm.p1_end_us) - wm.p1_start_us)
            + greatest(0, least(r.mql_us, wm.p2_end_us) - wm.p2_start_us) as mql_w_us,
        wr.w_start_us + greatest(0, least(r.first_response_us, wr.p1_end_us) - wr.p1_start_us)
            + greatest(0, least(r.first_response_us, wr.p2_end_us) - wr.p2_start_us) as first_response_w_us,
        wd.w_start_us + greatest(0, least(least(r.reached_sal_us, r.rejected_us), wd.p1_end_us) - wd.p1_start_us)
            + greatest(0, least(least(r.reached_sal_us, r.rejected_us), wd.p2_end_us) - wd.p2_start_us)
            as decided_w_us
    from reached as r
    left join calendar_regions as cr on cr.region = r.region
    left join calendars as c on c.calendar_id = coalesce(cr.calendar_id, 0)
    -- the hour key: (t + 0001-01-01 .. epoch in us) div 1 h, a floor for any t (business_calendar.py)
    left join working_hours as wm
        on wm.calendar_id = c.calendar_id
        and wm.hour_key = (r.mql_us + 62135596800000000) // 3600000000
    left join working_hours as wr
        on wr.calendar_id = c.calendar_id
        and wr.hour_key = (r.first_response_us + 62135596800000000) // 3600000000
    left join working_hours as wd
        on wd.calendar_id = c.calendar_id
        and wd.hour_key = (least(r.reached_sal_us, r.rejected_us) + 62135596800000000) // 3600000000
),

lead_sla_clock as (
    -- the SLA's elapsed times on the policy's clock: wall time, or B(mql_at, t) in working time (null
    -- when t is: greatest() would skip a null and call a missing response 0 hours)
    select
        *,
        case when not $business_clock then first_response_us - mql_us
            when first_response_w_us >= mql_w_us then first_response_w_us - mql_w_us
            when first_response_w_us < mql_w_us then 0 end as response_elapsed_us,
        case when not $business_clock then $as_of_us - mql_us
            when as_of_w_us >= mql_w_us then as_of_w_us - mql_w_us
            when as_of_w_us < mql_w_us then 0 end as elapsed_at_as_of_us,
        case when not $business_clock then least(reached_sal_us, rejected_us) - mql_us
            when decided_w_us >= mql_w_us then decided_w_us - mql_w_us
            when decided_w_us < mql_w_us then 0 end as decision_elapsed_us,
        -- D: days of wall time, or D working days of the lead's calendar
        case when $business_clock then cast(round($decision_us / 86400000000.0 * working_day_us) as bigint)
            else $decision_us end as decision_limit_us
    from lead_working_time
),

lead_judged as (
    select
        *,
        -- conversion: a step A -> B converts when reached(x, B) <= reached(x, A) + W
        coalesce(reached_mql_us <= reached_lead_us + $window_us, false) as is_lead_to_mql_within_w,
        coalesce(reached_sal_us <= reached_lead_us + $window_us, false) as is_lead_to_sal_within_w,
        coalesce(reached_sql_us <= reached_lead_us + $window_us, false) as is_lead_to_sql_within_w,
        coalesce(reached_opportunity_us <= reached_lead_us + $window_us, false) as is_lead_to_opportunity_within_w,
        coalesce(reached_won_us <= reached_lead_us + $window_us, false) as is_lead_to_won_within_w,
        coalesce(reached_sql_us <= reached_mql_us + $window_us, false) as is_mql_to_sql_within_w,
        coalesce(reached_opportunity_us <= reached_sql_us + $window_us, false) as is_sql_to_opp_within_w,
        coalesce(reached_won_us <= reached_opportunity_us + $window_us, false) as is_opp_to_won_within_w,
        -- velocity: each step's duration in exact days (its median is over the step's converters)
        (reached_mql_us - reached_lead_us) / 86400000000.0 as days_lead_to_mql,
        (reached_sql_us - reached_mql_us) / 86400000000.0 as days_mql_to_sql,
        (reached_opportunity_us - reached_sql_us) / 86400000000.0 as days_sql_to_opp,
        (reached_won_us - reached_opportunity_us) / 86400000000.0 as days_opp_to_won,
        -- SLA, judged for the lead as an MQL (false, or null, for a lead that never was one). "Due" is
        -- judged against as_of, never the clock: an MQL younger than H hours (D days) at as_of is
        -- neither met nor missed yet. A response logged before the MQL counts as 0 hours.
        -- (elapsed >= H is mql_at + H <= as_of, the same integer comparison, under the calendar clock)
        case when mql_us is not null and first_response_us is not null
            then greatest(0, response_elapsed_us) / 3600000000.0 end as mql_response_hours,
        coalesce(elapsed_at_as_of_us >= $response_us, false) as is_mql_due_for_response,
        coalesce(elapsed_at_as_of_us >= decision_limit_us, false) as is_mql_due_for_decision,
        -- (a response before the MQL, 0 hours, is within any H >= 0: the policy refuses a negative H)
        coalesce(response_elapsed_us <= $response_us, false) as is_mql_response_within_h,
        -- decided = the earlier of reached(x, sal) and rejected_at (least() skips a null), within D
        coalesce(decision_elapsed_us <= decision_limit_us, false) as is_mql_decision_within_d,
        coalesce(mql_us is not null and reached_sal_us is not null
                 and (rejected_us is null or reached_sal_us <= rejected_us), false) as is_mql_accepted,
        coalesce(mql_us is not null and rejected_us is not null
                 and not coalesce(reached_sal_us is not null and reached_sal_us <= rejected_us, false), false)
            as is_mql_rejected
    from lead_sla_clock
),

lead_outcomes as (
    select
        * exclude (as_of_w_us, working_day_us, mql_w_us, first_response_w_us, decided_w_us,
                   response_elapsed_us, elapsed_at_as_of_us, decision_elapsed_us, decision_limit_us,
                   is_mql_response_within_h, is_mql_decision_within_d),
        is_mql_due_for_response and is_mql_response_within_h as is_mql_responded_in_time,
        is_mql_due_for_response and first_response_us is null as is_mql_untouched,
        is_mql_due_for_decision and is_mql_decision_within_d as is_mql_decided_in_time
    from lead_judged
)

-- volumes (fragment): flow counts, events that happened in each period (metrics.md "Volumes").
-- Grain: lead_periods = one row per (period, lead) whose span of stage times overlaps the period;
--   opportunity_periods = one row per (period, opportunity); opportunity_volumes = one row per
--   (period, breakdown key) with any record. The lead volumes are counted from lead_periods' flags
--   in lead_figures.sql, with every other per-lead figure, in one pass.
-- Needs: scope.sql. Parameters: those of scope.sql.
-- leads / mqls / sals / sqls count leads by their own created_at / mql_at / accepted_at / sql_at
-- (not by reached(): a volume counts the event recorded in the period).
lead_periods as (
    -- one row per (period, scoped lead) whose span overlaps the period: which of its events and
    -- reached() times fall in the period, with the lead's outcomes
    select
        p.period_key,
        l.group_key,
        l.lead_id,
        l.origin,
        l.owner_id,
        l.rejection_reason,
        -- the lead's outcomes, judged once per snapshot (lead_outcomes.sql)
        l.is_lead_to_mql_within_w,
        l.is_lead_to_sal_within_w,
        l.is_lead_to_sql_within_w,
        l.is_lead_to_opportunity_within_w,
        l.is_lead_to_won_within_w,
        l.is_mql_to_sql_within_w,
        l.is_sql_to_opp_within_w,
        l.is_opp_to_won_within_w,
        l.days_lead_to_mql,
        l.days_mql_to_sql,
        l.days_sql_to_opp,
        l.days_opp_to_won,
        l.mql_response_hours,
        l.is_mql_due_for_response,
        l.is_mql_responded_in_time,
        l.is_mql_untouched,
        l.is_mql_due_for_decision,
        l.is_mql_decided_in_time,
        l.is_mql_accepted,
        l.is_mql_rejected,
        -- where the lead's events and reached() times fall
        l.created_us >= p.start_us and l.created_us < p.end_us as is_created_in_period,
        coalesce(l.mql_us >= p.start_us and l.mql_us < p.end_us, false) as is_mql_in_period,
        coalesce(l.accepted_us >= p.start_us and l.accepted_us < p.end_us, false) as is_accepted_in_period,
        coalesce(l.sql_us >= p.start_us and l.sql_us < p.end_us, false) as is_sql_in_period,
        l.reached_lead_us >= p.start_us and l.reached_lead_us < p.end_us as is_lead_cohort,
        coalesce(l.reached_mql_us >= p.start_us and l.reached_mql_us < p.end_us, false) as is_mql_cohort,
        coalesce(l.reached_sql_us >= p.start_us and l.reached_sql_us < p.end_us, false) as is_sql_cohort,
        coalesce(l.reached_opportunity_us >= p.start_us and l.reached_opportunity_us < p.end_us, false)
            as is_opportunity_cohort
    from periods as p
    -- the lead's span, reached(x, lead) .. its last stage timestamp, overlaps the period: every event
    -- and reached() time of the lead is in the span, so this keeps every (period, lead) with one in
    -- the period, and the few whose span merely crosses the period have every flag false and count
    -- nowhere. Two range conditions let DuckDB merge-join instead of testing eight ranges per pair
    -- (1M leads, 13 months: the join 168 -> 72 ms).
    inner join scoped_leads as l
        on l.latest_us >= p.start_us and l.reached_lead_us < p.end_us
),

opportunity_periods as (
    -- one row per (period, opportunity) created or closed in the period: the events it took part in
    select
        p.period_key,
        o.group_key,
        o.opportunity_id,
        o.lead_id,
        o.amount,
        o.effective_origin,
        o.is_marketing_influenced,
        o.created_us,
        o.closed_us,
        o.created_us >= p.start_us and o.created_us < p.end_us as is_created_in_period,
        coalesce(o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us, false) as is_won_in_period,
        coalesce(
            o.is_closed and not o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us, false
        ) as is_lost_in_period
    from periods as p
    inner join scoped_opportunities as o
        on (o.created_us >= p.start_us and o.created_us < p.end_us)
        or (o.closed_us >= p.start_us and o.closed_us < p.end_us)
),

opportunity_volumes as (
    select
        period_key,
        group_key,
        count(*) filter (where is_created_in_period) as opportunities,
        coalesce(sum(amount) filter (where is_created_in_period), 0) as pipeline,
        count(*) filter (where is_won_in_period) as won_deals,
        coalesce(sum(amount) filter (where is_won_in_period), 0) as bookings,
        count(*) filter (where is_lost_in_period) as lost_deals
    from opportunity_periods
    group by period_key, group_key
)

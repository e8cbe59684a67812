-- volumes (fragment): flow counts, events that happened in each period (metrics.md "Volumes").
-- Grain: lead_volumes, opportunity_volumes = one row per (period, breakdown key) with any record.
-- Needs: scope.sql. Parameters: those of scope.sql.
-- leads / mqls / sals / sqls count leads by their own created_at / mql_at / accepted_at / sql_at
-- (not by reached(): a volume counts the event recorded in the period).
lead_volumes as (
    select
        p.period_key,
        l.group_key,
        count(*) filter (where l.created_us >= p.start_us and l.created_us < p.end_us) as leads,
        count(*) filter (
            where l.created_us >= p.start_us and l.created_us < p.end_us and l.origin = 'marketing'
        ) as marketing_leads,
        count(*) filter (where l.mql_us >= p.start_us and l.mql_us < p.end_us) as mqls,
        count(*) filter (where l.accepted_us >= p.start_us and l.accepted_us < p.end_us) as sals,
        count(*) filter (where l.sql_us >= p.start_us and l.sql_us < p.end_us) as sqls
    from periods as p
    cross join scoped_leads as l
    group by p.period_key, l.group_key
),

opportunity_periods as (
    -- one row per (period, opportunity) with the period events that opportunity took part in
    select
        p.period_key,
        o.group_key,
        o.opportunity_id,
        o.lead_id,
        o.amount,
        o.effective_origin,
        o.created_us,
        o.closed_us,
        o.created_us >= p.start_us and o.created_us < p.end_us as is_created_in_period,
        coalesce(o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us, false) as is_won_in_period,
        coalesce(
            o.is_closed and not o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us, false
        ) as is_lost_in_period
    from periods as p
    cross join scoped_opportunities as o
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

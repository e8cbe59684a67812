-- cost (fragment): marketing spend in the period and what it bought (metrics.md "Cost").
-- Grain: campaign_period_cost = one row per (period, campaign), every campaign; cost = one row per
--   (period, breakdown key).
-- Needs: scope.sql (kpis.sql divides the cost by lead_figures.sql's and deals.sql's counts).
-- Parameters: those of scope.sql.
-- A campaign's cost is spread evenly over its days (start_date..end_date inclusive; views.sql makes
-- a missing end_date a one-day campaign); a period gets the share of the days it covers.
-- Cost breaks down by segment, channel and campaign only; other breakdowns have no cost (null).
campaign_period_cost as (
    select
        p.period_key,
        c.campaign_id,
        c.cost
            * greatest(0, date_diff('day', greatest(c.start_date, p.first_day), least(c.end_date, p.last_day)) + 1)
            / (date_diff('day', c.start_date, c.end_date) + 1) as cost_in_period
    from periods as p
    cross join campaigns as c
),

marketing_cost as (
    select cpc.period_key, sc.group_key, sum(cpc.cost_in_period) as marketing_cost
    from campaign_period_cost as cpc
    inner join scoped_campaigns as sc on sc.campaign_id = cpc.campaign_id
    where sc.group_key is not null
    group by cpc.period_key, sc.group_key
),

cost as (
    select
        g.period_key,
        g.group_key,
        coalesce(mc.marketing_cost, 0) as marketing_cost
    from grid as g
    left join marketing_cost as mc on mc.period_key = g.period_key and mc.group_key = g.group_key
    where $group_by in ('all', 'segment', 'channel', 'campaign')
)

-- attribution: campaign credit for pipeline and bookings under the six models, with each campaign's
--   cost and ROI (metrics.md "Attribution").
-- Grain: one row per (period, model, campaign) for every campaign in scope plus any campaign that
--   received credit; plus one row per (period, model) with campaign_id null holding the
--   unattributed pipeline and bookings.
-- Parameters: those of scope.sql ($group_by is ignored: pass 'all'), $model (one of the six, or
--   null for all six side by side).
-- The credits themselves (touch paths, milestones, the six models) are computed once per snapshot
-- in views.sql (attribution_credits), over the whole path whatever the filters; this query sums
-- them over the opportunities in scope that were created or won in the period.
with
-- @include scope.sql
,
-- @include cost.sql
,
period_opportunities as (
    -- the opportunities in scope that were created or won in a period
    select
        p.period_key,
        o.opportunity_id,
        o.lead_id,
        o.amount,
        o.created_us,
        o.lead_created_us,
        o.is_marketing_influenced,
        o.created_us >= p.start_us and o.created_us < p.end_us as is_created_in_period,
        coalesce(o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us, false) as is_won_in_period
    from periods as p
    cross join scoped_opportunities as o
    where (o.created_us >= p.start_us and o.created_us < p.end_us)
        or (o.is_won and o.closed_us >= p.start_us and o.closed_us < p.end_us)
),

credits as (
    -- attribution_credits (views.sql) holds each opportunity's path credit under every model
    select opportunity_id, campaign_id, 'first_touch' as model, first_touch as credit from attribution_credits
    union all
    select opportunity_id, campaign_id, 'last_touch' as model, last_touch from attribution_credits
    union all
    select opportunity_id, campaign_id, 'linear' as model, linear from attribution_credits
    union all
    select opportunity_id, campaign_id, 'u_shaped' as model, u_shaped from attribution_credits
    union all
    select opportunity_id, campaign_id, 'w_shaped' as model, w_shaped from attribution_credits
    union all
    select opportunity_id, campaign_id, 'time_decay' as model, time_decay from attribution_credits
),

models as (
    select model from (
        values ('first_touch'), ('last_touch'), ('linear'), ('u_shaped'), ('w_shaped'), ('time_decay')
    ) as m (model)
    where $model is null or model = $model
),

campaign_credit as (
    select
        po.period_key,
        cr.model,
        cr.campaign_id,
        sum(cr.credit) filter (where po.is_created_in_period) as attributed_opportunities,
        sum(cr.credit * po.amount) filter (where po.is_created_in_period) as attributed_pipeline,
        sum(cr.credit) filter (where po.is_won_in_period) as attributed_won_deals,
        sum(cr.credit * po.amount) filter (where po.is_won_in_period) as attributed_bookings
    from period_opportunities as po
    inner join credits as cr on cr.opportunity_id = po.opportunity_id
    inner join models as m on m.model = cr.model
    group by po.period_key, cr.model, cr.campaign_id
),

unattributed as (
    -- opportunities with no lead or an empty path. A path is the lead's touches in [created_at - L,
    -- created_at], the touches that make it marketing-influenced (views.sql opportunity_facts): an
    -- opportunity has credits exactly when it is influenced. Read from that flag, not by looking its id
    -- up among every credit (10M leads: a 1.9M-row anti-join, the query's costliest step).
    select
        po.period_key,
        coalesce(sum(po.amount) filter (where po.is_created_in_period), 0) as unattributed_pipeline,
        coalesce(sum(po.amount) filter (where po.is_won_in_period), 0) as unattributed_bookings
    from period_opportunities as po
    where not po.is_marketing_influenced
    group by po.period_key
),

leads_acquired as (
    -- leads created in the period whose first touch ever is in the campaign
    select p.period_key, l.first_campaign_id as campaign_id, count(*) as leads_acquired
    from periods as p
    inner join scoped_leads as l on l.created_us >= p.start_us and l.created_us < p.end_us
    where l.first_campaign_id is not null
    group by p.period_key, l.first_campaign_id
),

listed_campaigns as (
    select p.period_key, m.model, sc.campaign_id
    from periods as p cross join models as m cross join scoped_campaigns as sc
    union
    select period_key, model, campaign_id
    from campaign_credit
    where attributed_opportunities > 0 or attributed_won_deals > 0
)

select
    lc.period_key,
    lc.model,
    lc.campaign_id,
    c.name,
    c.channel,
    coalesce(cc.attributed_opportunities, 0) as attributed_opportunities,
    coalesce(cc.attributed_pipeline, 0) as attributed_pipeline,
    coalesce(cc.attributed_won_deals, 0) as attributed_won_deals,
    coalesce(cc.attributed_bookings, 0) as attributed_bookings,
    coalesce(la.leads_acquired, 0) as leads_acquired,
    coalesce(cpc.cost_in_period, 0) as cost,
    coalesce(cpc.cost_in_period, 0) / nullif(la.leads_acquired, 0) as cost_per_lead,
    (coalesce(cc.attributed_bookings, 0) - cpc.cost_in_period) / nullif(cpc.cost_in_period, 0) as roi,
    cast(null as double) as unattributed_pipeline,
    cast(null as double) as unattributed_bookings
from listed_campaigns as lc
left join campaigns as c on c.campaign_id = lc.campaign_id
left join campaign_credit as cc
    on cc.period_key = lc.period_key and cc.model = lc.model and cc.campaign_id = lc.campaign_id
left join leads_acquired as la on la.period_key = lc.period_key and la.campaign_id = lc.campaign_id
left join campaign_period_cost as cpc on cpc.period_key = lc.period_key and cpc.campaign_id = lc.campaign_id

union all

select
    p.period_key,
    m.model,
    cast(null as varchar) as campaign_id,
    cast(null as varchar) as name,
    cast(null as varchar) as channel,
    null, null, null, null, null, null, null, null,
    coalesce(u.unattributed_pipeline, 0) as unattributed_pipeline,
    coalesce(u.unattributed_bookings, 0) as unattributed_bookings
from periods as p
cross join models as m
left join unattributed as u on u.period_key = p.period_key

order by period_key, model, attributed_pipeline desc nulls last, campaign_id

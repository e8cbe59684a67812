-- kpis: every joint KPI of metrics.md from "Volumes" to "Cost", per period and breakdown key.
-- Grain: one row per (period, breakdown key). The CLI's `funnel kpis` is one period with
--   $group_by = 'all'; trends pass one period per month; breakdowns pass a $group_by.
-- Parameters: $period_* lists, filters ($segment, $region, $channel, $origin, $campaign), $group_by,
--   $as_of_us, $window_us, $response_us, $decision_us.
-- Every count is defined once in its fragment; this file only joins them and divides. A ratio whose
-- denominator is 0 is null (nullif), never 0.
with
-- @include scope.sql
,
-- @include volumes.sql
,
-- @include conversion.sql
,
-- @include velocity.sql
,
-- @include deals.sql
,
-- @include sla.sql
,
-- @include targets.sql
,
-- @include cost.sql

select
    g.period_key,
    g.group_key,
    -- volumes
    coalesce(lv.leads, 0) as leads,
    coalesce(lv.mqls, 0) as mqls,
    coalesce(lv.sals, 0) as sals,
    coalesce(lv.sqls, 0) as sqls,
    coalesce(ov.opportunities, 0) as opportunities,
    coalesce(ov.pipeline, 0) as pipeline,
    coalesce(ov.won_deals, 0) as won_deals,
    coalesce(ov.bookings, 0) as bookings,
    coalesce(ov.lost_deals, 0) as lost_deals,
    -- cohort conversion
    cast(cv.lead_to_mql_converted as double) / nullif(cv.lead_to_mql_cohort, 0) as lead_to_mql_rate,
    cast(cv.mql_to_sql_converted as double) / nullif(cv.mql_to_sql_cohort, 0) as mql_to_sql_rate,
    cast(cv.sql_to_opp_converted as double) / nullif(cv.sql_to_opp_cohort, 0) as sql_to_opp_rate,
    cast(cv.opp_to_won_converted as double) / nullif(cv.opp_to_won_cohort, 0) as opp_to_won_rate,
    cast(cv.lead_to_won_converted as double) / nullif(cv.lead_to_won_cohort, 0) as lead_to_won_rate,
    -- a cohort is mature when its last day (23:59:59) + W has passed by as_of
    p.end_of_day_us + $window_us <= $as_of_us as cohort_mature,
    coalesce(cv.lead_to_mql_cohort, 0) as lead_to_mql_cohort,
    coalesce(cv.lead_to_mql_converted, 0) as lead_to_mql_converted,
    coalesce(cv.mql_to_sql_cohort, 0) as mql_to_sql_cohort,
    coalesce(cv.mql_to_sql_converted, 0) as mql_to_sql_converted,
    coalesce(cv.sql_to_opp_cohort, 0) as sql_to_opp_cohort,
    coalesce(cv.sql_to_opp_converted, 0) as sql_to_opp_converted,
    coalesce(cv.opp_to_won_cohort, 0) as opp_to_won_cohort,
    coalesce(cv.opp_to_won_converted, 0) as opp_to_won_converted,
    coalesce(cv.lead_to_won_cohort, 0) as lead_to_won_cohort,
    coalesce(cv.lead_to_won_converted, 0) as lead_to_won_converted,
    -- the stage funnel of the period's lead cohort
    coalesce(sf.funnel_leads, 0) as funnel_leads,
    coalesce(sf.funnel_mqls, 0) as funnel_mqls,
    coalesce(sf.funnel_sals, 0) as funnel_sals,
    coalesce(sf.funnel_sqls, 0) as funnel_sqls,
    coalesce(sf.funnel_opportunities, 0) as funnel_opportunities,
    coalesce(sf.funnel_won, 0) as funnel_won,
    -- flow ratios: events of the period over events of the period, not a conversion rate
    cast(lv.mqls as double) / nullif(lv.leads, 0) as flow_mqls_per_lead,
    cast(lv.sqls as double) / nullif(lv.mqls, 0) as flow_sqls_per_mql,
    cast(ov.opportunities as double) / nullif(lv.sqls, 0) as flow_opportunities_per_sql,
    cast(ov.won_deals as double) / nullif(ov.opportunities, 0) as flow_won_per_opportunity,
    -- velocity
    sv.median_days_lead_to_mql,
    sv.median_days_mql_to_sql,
    sv.median_days_sql_to_opp,
    sv.median_days_opp_to_won,
    sc.sales_cycle_days,
    -- deals
    cast(ov.won_deals as double) / nullif(ov.won_deals + ov.lost_deals, 0) as win_rate,
    ov.bookings / nullif(ov.won_deals, 0) as avg_deal_size,
    coalesce(d.marketing_sourced_pipeline, 0) as marketing_sourced_pipeline,
    coalesce(d.sales_sourced_pipeline, 0) as sales_sourced_pipeline,
    coalesce(d.other_sourced_pipeline, 0) as other_sourced_pipeline,
    coalesce(d.marketing_sourced_bookings, 0) as marketing_sourced_bookings,
    coalesce(d.marketing_influenced_pipeline, 0) as marketing_influenced_pipeline,
    -- SLA, sales' side
    cast(s.responses_in_time as double) / nullif(s.due_for_response, 0) as sla_response_rate,
    s.median_response_hours,
    coalesce(s.untouched_mqls, 0) as untouched_mqls,
    cast(s.decisions_in_time as double) / nullif(s.due_for_decision, 0) as sla_decision_rate,
    coalesce(s.due_for_response, 0) as due_for_response,
    coalesce(s.responses_in_time, 0) as responses_in_time,
    coalesce(s.due_for_decision, 0) as due_for_decision,
    coalesce(s.decisions_in_time, 0) as decisions_in_time,
    -- SLA, marketing's side
    cast(s.accepted_mqls as double) / nullif(s.accepted_mqls + s.rejected_mqls, 0) as acceptance_rate,
    coalesce(s.accepted_mqls, 0) as accepted_mqls,
    coalesce(s.rejected_mqls, 0) as rejected_mqls,
    t.mql_target,
    coalesce(lv.mqls, 0) / nullif(t.mql_target, 0) as mql_target_attainment,
    t.lead_target,
    t.sql_target,
    t.opportunity_target,
    t.pipeline_target,
    t.bookings_target,
    -- cost (null where the breakdown has no cost)
    c.marketing_cost,
    c.marketing_cost / nullif(lv.marketing_leads, 0) as cost_per_lead,
    c.marketing_cost / nullif(lv.mqls, 0) as cost_per_mql,
    c.marketing_cost / nullif(d.marketing_opportunities, 0) as cost_per_opportunity,
    (coalesce(d.marketing_sourced_bookings, 0) - c.marketing_cost) / nullif(c.marketing_cost, 0) as marketing_roi
from grid as g
inner join periods as p on p.period_key = g.period_key
left join lead_volumes as lv on lv.period_key = g.period_key and lv.group_key = g.group_key
left join opportunity_volumes as ov on ov.period_key = g.period_key and ov.group_key = g.group_key
left join conversion as cv on cv.period_key = g.period_key and cv.group_key = g.group_key
left join stage_funnel as sf on sf.period_key = g.period_key and sf.group_key = g.group_key
left join step_velocity as sv on sv.period_key = g.period_key and sv.group_key = g.group_key
left join sales_cycle as sc on sc.period_key = g.period_key and sc.group_key = g.group_key
left join deals as d on d.period_key = g.period_key and d.group_key = g.group_key
left join sla as s on s.period_key = g.period_key and s.group_key = g.group_key
left join period_targets as t on t.period_key = g.period_key and t.group_key = g.group_key
left join cost as c on c.period_key = g.period_key and c.group_key = g.group_key
order by g.period_key, g.group_key

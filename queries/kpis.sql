-- kpis: every joint KPI of metrics.md from "Volumes" to "Cost", per period and breakdown key.
-- Grain: one row per (period, breakdown key). The CLI's `funnel kpis` is one period with
--   $group_by = 'all'; trends pass one period per month; breakdowns pass a $group_by.
-- Parameters: $period_* lists, filters ($segment, $region, $channel, $origin, $campaign), $group_by,
--   $as_of_us, $window_us (whether a period's cohort is mature; the outcomes that depend on W, H and
--   D are judged once per snapshot in lead_outcomes.sql).
-- Every count is defined once in its fragment (the per-lead ones counted in lead_figures.sql's one
-- pass); this file only joins them and divides. A ratio whose denominator is 0 is null (nullif), never 0.
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
-- @include lead_figures.sql
,
-- @include targets.sql
,
-- @include cost.sql

select
    g.period_key,
    g.group_key,
    -- volumes
    coalesce(lf.leads, 0) as leads,
    coalesce(lf.mqls, 0) as mqls,
    coalesce(lf.sals, 0) as sals,
    coalesce(lf.sqls, 0) as sqls,
    coalesce(ov.opportunities, 0) as opportunities,
    coalesce(ov.pipeline, 0) as pipeline,
    coalesce(ov.won_deals, 0) as won_deals,
    coalesce(ov.bookings, 0) as bookings,
    coalesce(ov.lost_deals, 0) as lost_deals,
    -- cohort conversion
    cast(lf.lead_to_mql_converted as double) / nullif(lf.lead_to_mql_cohort, 0) as lead_to_mql_rate,
    cast(lf.mql_to_sql_converted as double) / nullif(lf.mql_to_sql_cohort, 0) as mql_to_sql_rate,
    cast(lf.sql_to_opp_converted as double) / nullif(lf.sql_to_opp_cohort, 0) as sql_to_opp_rate,
    cast(lf.opp_to_won_converted as double) / nullif(lf.opp_to_won_cohort, 0) as opp_to_won_rate,
    cast(lf.lead_to_won_converted as double) / nullif(lf.lead_to_won_cohort, 0) as lead_to_won_rate,
    -- a cohort is mature when its last day (23:59:59) + W has passed by as_of
    p.end_of_day_us + $window_us <= $as_of_us as cohort_mature,
    coalesce(lf.lead_to_mql_cohort, 0) as lead_to_mql_cohort,
    coalesce(lf.lead_to_mql_converted, 0) as lead_to_mql_converted,
    coalesce(lf.mql_to_sql_cohort, 0) as mql_to_sql_cohort,
    coalesce(lf.mql_to_sql_converted, 0) as mql_to_sql_converted,
    coalesce(lf.sql_to_opp_cohort, 0) as sql_to_opp_cohort,
    coalesce(lf.sql_to_opp_converted, 0) as sql_to_opp_converted,
    coalesce(lf.opp_to_won_cohort, 0) as opp_to_won_cohort,
    coalesce(lf.opp_to_won_converted, 0) as opp_to_won_converted,
    coalesce(lf.lead_to_won_cohort, 0) as lead_to_won_cohort,
    coalesce(lf.lead_to_won_converted, 0) as lead_to_won_converted,
    -- the stage funnel of the period's lead cohort
    coalesce(lf.funnel_leads, 0) as funnel_leads,
    coalesce(lf.funnel_mqls, 0) as funnel_mqls,
    coalesce(lf.funnel_sals, 0) as funnel_sals,
    coalesce(lf.funnel_sqls, 0) as funnel_sqls,
    coalesce(lf.funnel_opportunities, 0) as funnel_opportunities,
    coalesce(lf.funnel_won, 0) as funnel_won,
    -- flow ratios: events of the period over events of the period, not a conversion rate
    cast(lf.mqls as double) / nullif(lf.leads, 0) as flow_mqls_per_lead,
    cast(lf.sqls as double) / nullif(lf.mqls, 0) as flow_sqls_per_mql,
    cast(ov.opportunities as double) / nullif(lf.sqls, 0) as flow_opportunities_per_sql,
    cast(ov.won_deals as double) / nullif(ov.opportunities, 0) as flow_won_per_opportunity,
    -- velocity
    lf.median_days_lead_to_mql,
    lf.median_days_mql_to_sql,
    lf.median_days_sql_to_opp,
    lf.median_days_opp_to_won,
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
    cast(lf.responses_in_time as double) / nullif(lf.due_for_response, 0) as sla_response_rate,
    lf.median_response_hours,
    coalesce(lf.untouched_mqls, 0) as untouched_mqls,
    cast(lf.decisions_in_time as double) / nullif(lf.due_for_decision, 0) as sla_decision_rate,
    coalesce(lf.due_for_response, 0) as due_for_response,
    coalesce(lf.responses_in_time, 0) as responses_in_time,
    coalesce(lf.due_for_decision, 0) as due_for_decision,
    coalesce(lf.decisions_in_time, 0) as decisions_in_time,
    -- SLA, marketing's side
    cast(lf.accepted_mqls as double) / nullif(lf.accepted_mqls + lf.rejected_mqls, 0) as acceptance_rate,
    coalesce(lf.accepted_mqls, 0) as accepted_mqls,
    coalesce(lf.rejected_mqls, 0) as rejected_mqls,
    t.mql_target,
    coalesce(lf.mqls, 0) / nullif(t.mql_target, 0) as mql_target_attainment,
    t.lead_target,
    t.sql_target,
    t.opportunity_target,
    t.pipeline_target,
    t.bookings_target,
    -- cost (null where the breakdown has no cost)
    c.marketing_cost,
    c.marketing_cost / nullif(lf.marketing_leads, 0) as cost_per_lead,
    c.marketing_cost / nullif(lf.mqls, 0) as cost_per_mql,
    c.marketing_cost / nullif(d.marketing_opportunities, 0) as cost_per_opportunity,
    (coalesce(d.marketing_sourced_bookings, 0) - c.marketing_cost) / nullif(c.marketing_cost, 0) as marketing_roi
from grid as g
inner join periods as p on p.period_key = g.period_key
left join lead_figures as lf on lf.period_key = g.period_key and lf.group_key = g.group_key
left join opportunity_volumes as ov on ov.period_key = g.period_key and ov.group_key = g.group_key
left join sales_cycle as sc on sc.period_key = g.period_key and sc.group_key = g.group_key
left join deals as d on d.period_key = g.period_key and d.group_key = g.group_key
left join period_targets as t on t.period_key = g.period_key and t.group_key = g.group_key
left join cost as c on c.period_key = g.period_key and c.group_key = g.group_key
order by g.period_key, g.group_key

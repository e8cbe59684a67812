-- deals (fragment): win rate, deal size, and who sourced the pipeline (metrics.md "Deals").
-- Grain: one row per (period, breakdown key) with any opportunity.
-- Needs: scope.sql, volumes.sql (opportunity_periods, opportunity_volumes).
-- Parameters: those of the fragments it needs, $lookback_us (L in microseconds).
-- Sourced pipelines split the pipeline by effective origin and add up to it; influenced pipeline
-- overlaps them (a marketing touch in [created_at - L, created_at]) and is never added to them.
influenced_opportunities as (
    select distinct o.opportunity_id
    from scoped_opportunities as o
    inner join touches as t
        on t.lead_id = o.lead_id
        and t.touched_us >= o.created_us - $lookback_us
        and t.touched_us <= o.created_us
),

deals as (
    select
        op.period_key,
        op.group_key,
        count(*) filter (where op.is_created_in_period and op.effective_origin = 'marketing')
            as marketing_opportunities,
        coalesce(sum(op.amount) filter (where op.is_created_in_period and op.effective_origin = 'marketing'), 0)
            as marketing_sourced_pipeline,
        coalesce(sum(op.amount) filter (where op.is_created_in_period and op.effective_origin = 'sales'), 0)
            as sales_sourced_pipeline,
        coalesce(sum(op.amount) filter (
            where op.is_created_in_period and op.effective_origin in ('partner', 'other')
        ), 0) as other_sourced_pipeline,
        coalesce(sum(op.amount) filter (where op.is_won_in_period and op.effective_origin = 'marketing'), 0)
            as marketing_sourced_bookings,
        coalesce(sum(op.amount) filter (where op.is_created_in_period and io.opportunity_id is not null), 0)
            as marketing_influenced_pipeline
    from opportunity_periods as op
    left join influenced_opportunities as io on io.opportunity_id = op.opportunity_id
    group by op.period_key, op.group_key
)

-- deals (fragment): win rate, deal size, and who sourced the pipeline (metrics.md "Deals").
-- Grain: one row per (period, breakdown key) with any opportunity.
-- Needs: scope.sql, volumes.sql (opportunity_periods, opportunity_volumes).
-- Parameters: those of the fragments it needs.
-- Sourced pipelines split the pipeline by effective origin and add up to it; influenced pipeline
-- overlaps them (a marketing touch in [created_at - L, created_at], opportunity_facts in views.sql)
-- and is never added to them.
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
        coalesce(sum(op.amount) filter (where op.is_created_in_period and op.is_marketing_influenced), 0)
            as marketing_influenced_pipeline
    from opportunity_periods as op
    group by op.period_key, op.group_key
)

-- touches_after_close: touches after the lead's latest opportunity closed (the touch cannot have influenced
--   it; often a touch logged against the wrong lead).
-- Grain: one row per such touch (key, pos; value: its lead_id). The latest opportunity is the last created,
--   ties broken by opportunity_id, as the metrics break them.
-- Inputs: v_touches, v_opportunities, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: warning
-- @table: touches
-- @column: touched_at
-- @rule: touch_after_close
-- @needs: lead_id, touched_at, opportunities.opportunity_id, opportunities.lead_id, opportunities.created_at, opportunities.is_closed, opportunities.closed_at
-- @message: {touches} after the lead's latest opportunity closed
-- @shows: lead_id

with ranked_opportunities as (
    select
        lead_id,
        is_closed,
        closed_at,
        row_number() over (partition by lead_id order by created_at desc, opportunity_id desc) as recency_rank
    from v_opportunities
    where lead_id is not null
),

latest_opportunities as (
    select
        lead_id,
        is_closed,
        closed_at
    from ranked_opportunities
    where recency_rank = 1
)

select
    t.__funnel_key as key,
    t.__funnel_pos as pos,
    t.lead_id as value
from v_touches as t
inner join latest_opportunities as o on t.lead_id = o.lead_id
where o.is_closed and t.touched_at > o.closed_at

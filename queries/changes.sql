-- changes: the pipeline waterfall between two snapshots (metrics.md "Changes between two snapshots"):
--   the open pipeline of S0, each flow that moved it, and the open pipeline of S1.
-- Grain: one row per bucket, always all eleven, in waterfall order: start, new, increased,
--   decreased, won, lost, reopened, removed, end, then created_and_won and created_and_lost (beside
--   the waterfall, outside its sum).
-- Inputs: previous_states and current_states (opportunity_changes.sql). Parameters: none (the
--   filters were applied when each side's states were computed).
-- amount is what the bucket moved, >= 0: a0 for start, decreased (a0 - a1), won, lost, removed; a1 for
-- new, reopened, end, created_and_*; a1 - a0 for increased. closed_amount is the bucket's amount in S1
-- (for won: won_bookings, what the deals were booked at, which may differ from what left the pipeline).
with
-- @include opportunity_changes.sql
,
buckets as (
    select * from (values
        ('start', 1), ('new', 2), ('increased', 3), ('decreased', 4), ('won', 5), ('lost', 6),
        ('reopened', 7), ('removed', 8), ('end', 9), ('created_and_won', 10), ('created_and_lost', 11)
    ) as b (bucket, position)
),

flows as (
    select
        bucket,
        count(*) as opportunities,
        sum(case
            when bucket = 'increased' then amount_after - amount_before
            when bucket = 'decreased' then amount_before - amount_after
            when bucket in ('won', 'lost', 'removed') then amount_before
            else amount_after
        end) as amount,
        sum(amount_after) as closed_amount
    from opportunity_changes
    where bucket is not null and bucket <> 'unchanged'
    group by bucket
    union all
    select 'start' as bucket, count(*) as opportunities, sum(amount_before) as amount, sum(amount_before) as closed_amount
    from opportunity_changes
    where is_start
    union all
    select 'end' as bucket, count(*) as opportunities, sum(amount_after) as amount, sum(amount_after) as closed_amount
    from opportunity_changes
    where is_end
)

select
    b.bucket,
    coalesce(f.opportunities, 0) as opportunities,
    coalesce(f.amount, 0.0) as amount,
    coalesce(f.closed_amount, 0.0) as closed_amount
from buckets as b
left join flows as f on f.bucket = b.bucket
order by b.position

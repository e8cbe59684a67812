-- opportunity_changes (fragment): what happened to each opportunity between two snapshots S0 (older)
--   and S1 (newer): the pipeline waterfall of metrics.md "Changes between two snapshots", per record.
-- Grain: one row per opportunity present in S0 or S1 that passes the filters (S1's values, else S0's).
-- Needs: previous_states (S0) and current_states (S1), queries/opportunity_states.sql run on each
--   snapshot and registered for this query by the store (Store.run_with). Parameters: none.
-- Each row carries is_start (open in S0), is_end (open in S1) and at most one bucket, the flow that
-- moves start to end: new, increased, decreased, won, lost, reopened, removed; or created_and_won /
-- created_and_lost (absent in S0, closed in S1), shown beside the waterfall and outside its sum; or
-- 'unchanged' (open in both, same amount) and null (closed in both, or closed then deleted), which
-- move nothing. The flows are exclusive, so start + new + increased - decreased - won - lost +
-- reopened - removed = end holds row by row, whatever the data.
opportunity_changes as (
    select
        coalesce(s1.opportunity_id, s0.opportunity_id) as opportunity_id,
        coalesce(s0.state, 'absent') as state_before,
        coalesce(s1.state, 'absent') as state_after,
        s0.stage as stage_before,
        s1.stage as stage_after,
        s0.amount as amount_before,
        s1.amount as amount_after,
        coalesce(s0.state = 'open', false) as is_start,
        coalesce(s1.state = 'open', false) as is_end,
        case
            when s0.state is null and s1.state = 'open' then 'new'
            when s0.state = 'open' and s1.state = 'open' and s1.amount > s0.amount then 'increased'
            when s0.state = 'open' and s1.state = 'open' and s1.amount < s0.amount then 'decreased'
            when s0.state = 'open' and s1.state = 'open' then 'unchanged'
            when s0.state = 'open' and s1.state = 'won' then 'won'
            when s0.state = 'open' and s1.state = 'lost' then 'lost'
            when s0.state in ('won', 'lost') and s1.state = 'open' then 'reopened'
            when s0.state = 'open' and s1.state is null then 'removed'
            when s0.state is null and s1.state = 'won' then 'created_and_won'
            when s0.state is null and s1.state = 'lost' then 'created_and_lost'
        end as bucket
    from previous_states as s0
    full outer join current_states as s1 on s1.opportunity_id = s0.opportunity_id
    -- filters use the opportunity's values in S1, or in S0 when it is absent from S1
    where coalesce(s1.is_in_scope, s0.is_in_scope)
)

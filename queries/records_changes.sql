-- records_changes: the opportunities behind one bucket of the pipeline waterfall, with both
--   snapshots' state, stage and amount (the drill-down under a clicked bar, and its CSV).
-- Grain: one row per opportunity in the bucket, largest move first.
-- Inputs: previous_states and current_states (opportunity_changes.sql).
-- Parameters: $bucket (an allow-list: start, new, increased, decreased, unchanged, won, lost, reopened,
--   removed, end, created_and_won, created_and_lost; 'moved' = every deal of a flow bucket, the largest
--   movers of the waterfall first; anything else is an error).
-- move is the signed change of the open pipeline this opportunity made (start, end and created_and_*:
-- its amount).
with
-- @include opportunity_changes.sql
,
checked_bucket as (
    select case
        when $bucket in ('start', 'new', 'increased', 'decreased', 'unchanged', 'won', 'lost', 'reopened',
                         'removed', 'end', 'created_and_won', 'created_and_lost', 'moved') then $bucket
        else error('records_changes: unknown $bucket ' || coalesce($bucket, 'null'))
    end as bucket
)

select
    c.opportunity_id,
    c.bucket,
    c.state_before,
    c.stage_before,
    c.amount_before,
    c.state_after,
    c.stage_after,
    c.amount_after,
    case
        when cb.bucket = 'start' then c.amount_before
        when cb.bucket = 'end' then c.amount_after
        when cb.bucket in ('created_and_won', 'created_and_lost') then c.amount_after
        else coalesce(case when c.is_end then c.amount_after else 0.0 end, 0.0)
            - coalesce(case when c.is_start then c.amount_before else 0.0 end, 0.0)
    end as move
from opportunity_changes as c
cross join checked_bucket as cb
where case cb.bucket
    when 'start' then c.is_start
    when 'end' then c.is_end
    when 'moved' then c.bucket in ('new', 'increased', 'decreased', 'won', 'lost', 'reopened', 'removed')
    else c.bucket = cb.bucket
end
order by abs(move) desc, c.opportunity_id

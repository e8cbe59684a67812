-- opportunity_states: one snapshot's side of a comparison between two snapshots (metrics.md "Changes
--   between two snapshots"): each opportunity's state, stage and amount, and whether it passes the
--   filters under this snapshot's own values.
-- Grain: one row per opportunity in the snapshot, whatever the filters (is_in_scope says whether it
--   passes them), so the comparison can take S1's verdict, or S0's for an opportunity absent from S1.
-- Parameters: those of scope.sql ($segment, $region, $channel, $origin, $campaign; $group_by 'all';
--   the period lists are bound but not read, since an opportunity's state is as of the snapshot).
-- State: open = not is_closed; won = closed and is_won; lost = closed and not is_won. The filter rule
-- is scope.sql's scoped_opportunities, written once: a comparison must not filter differently.
with
-- @include scope.sql

select
    o.opportunity_id,
    o.stage,
    o.amount,
    case when not o.is_closed then 'open' when o.is_won then 'won' else 'lost' end as state,
    s.opportunity_id is not null as is_in_scope
from opportunity_facts as o
left join scoped_opportunities as s on s.opportunity_id = o.opportunity_id

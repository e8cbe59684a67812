-- records_rejection_reasons: why sales rejected the period's MQLs, the rejected_mqls count split by
--   the lead's rejection_reason (SLA page, next to the acceptance rate).
-- Grain: one row per rejection reason ('(no reason given)' for a null one), most frequent first.
-- Parameters: those of scope.sql (one period; $group_by: pass 'all'), $owner (null = every owner).
-- "Rejected" is sla.sql's is_rejected (rejected_at set and not accepted), so the rows add up to the
-- period's rejected_mqls.
with
-- @include scope.sql
,
-- @include volumes.sql
,
-- @include conversion.sql
,
-- @include sla.sql

select
    coalesce(rejection_reason, '(no reason given)') as rejection_reason,
    count(*) as rejected_mqls
from sla_mqls
where is_rejected and ($owner is null or owner_id = $owner)
group by all
order by rejected_mqls desc, rejection_reason

-- records_campaigns: the campaign records in scope, as the export has them (every column of
--   raw_campaigns): names for the sidebar's campaign filter and the table behind the Campaigns page.
-- Grain: one row per campaign, by campaign_id.
-- Parameters: those of scope.sql (one period; $group_by: pass 'all'); $active_only (boolean: only
--   campaigns whose days, start_date..end_date as views.sql reads them, overlap the period).
-- "In scope" is scope.sql's scoped_campaigns (segment, channel and campaign filters).
with
-- @include scope.sql

select r.*
from scoped_campaigns as c
inner join raw_campaigns as r on cast(r.campaign_id as varchar) = c.campaign_id
where not $active_only
    or exists (
        select 1 from periods as p where c.start_date <= p.last_day and c.end_date >= p.first_day
    )
order by c.campaign_id

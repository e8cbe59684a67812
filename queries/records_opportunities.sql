-- records_opportunities: the opportunity records behind a number on a page, as the CRM export has
--   them (every column of raw_opportunities), for the table under a clicked bar and its CSV download.
-- Grain: one row per opportunity, newest first.
-- Parameters: those of scope.sql (one period; $group_by: pass 'all'), and:
--   $stage (an allow-list; anything else is an error):
--     'created' = opportunities created in the period (opportunities, pipeline);
--     'won' = won with closed_at in the period (won_deals, bookings);
--     'lost' = closed, not won, with closed_at in the period (lost_deals);
--     'credited' = created or won in the period with a touch of $path_campaign on their touch path
--       (views.sql attribution_credits: the lead's touches in [created_at - L days, created_at]);
--       these are the opportunities a campaign's attributed pipeline and bookings draw on;
--   $path_campaign (a campaign_id; used by 'credited' only);
--   $owner (null = every owner): only opportunities owned by this owner_id.
-- Reuses volumes.sql's opportunity_periods, so the table lists the records the volumes count.
with
-- @include scope.sql
,
-- @include volumes.sql
,
checked_stage as (
    -- the allow-list: an unknown stage fails loudly instead of returning an empty table
    select case
        when $stage in ('created', 'won', 'lost', 'credited') then $stage
        else error('records_opportunities: unknown $stage ' || coalesce($stage, 'null'))
    end as stage
),

credited as (
    select distinct opportunity_id from attribution_credits where campaign_id = $path_campaign
),

chosen as (
    select distinct op.opportunity_id
    from opportunity_periods as op
    where case (select stage from checked_stage)
        when 'created' then op.is_created_in_period
        when 'won' then op.is_won_in_period
        when 'lost' then op.is_lost_in_period
        when 'credited' then (op.is_created_in_period or op.is_won_in_period)
            and op.opportunity_id in (select opportunity_id from credited)
        else false
    end
)

select r.*
from chosen as c
inner join raw_opportunities as r on cast(r.opportunity_id as varchar) = c.opportunity_id
inner join opportunity_facts as f on f.opportunity_id = c.opportunity_id
where $owner is null or f.owner_id = $owner
order by f.created_us desc, c.opportunity_id

-- filter_values: the values each filter can take in this snapshot (validates --segment etc., fills
--   the sidebar).
-- Grain: one row per (filter, value). Parameters: none.
-- Segment and region come from leads and opportunities, channel from leads and campaigns, origin is
-- the contract's list, campaign from the campaigns table.
select distinct 'segment' as filter, segment as value from lead_facts where segment is not null
union select distinct 'segment', segment from opportunity_facts where segment is not null
union select distinct 'segment', segment from campaigns where segment is not null
union select distinct 'region', region from lead_facts where region is not null
union select distinct 'region', region from opportunity_facts where region is not null
union select distinct 'channel', channel from lead_facts where channel is not null
union select distinct 'channel', channel from campaigns where channel is not null
union select 'origin', origin from (values ('marketing'), ('sales'), ('partner'), ('other')) as o (origin)
union select distinct 'campaign', campaign_id from campaigns

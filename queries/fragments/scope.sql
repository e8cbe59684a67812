-- scope (fragment): the periods and the filtered population every metric starts from.
-- Grain: periods = one row per period; grid = one row per (period, breakdown key); scoped_leads / scoped_opportunities / scoped_campaigns = one
--   row per lead / opportunity / campaign that passes the filters, with its breakdown key.
-- Parameters: $period_keys, $period_start_us, $period_end_us, $period_end_of_day_us,
--   $period_first_day, $period_last_day (parallel lists, one entry per period; a period is the UTC
--   interval [start_us, end_us) of whole local days); $span_start_us, $span_end_us (the earliest
--   start and the latest end: a lead with no timestamp inside cannot count in any period, so
--   scoped_leads skips it, and lead_facts is sorted so that DuckDB skips its row groups); $segment, $region, $channel, $origin,
--   $campaign (null = no filter); $group_by (all | segment | region | channel | origin | campaign | owner).
-- Filters (metrics.md "Filters"): leads by their own columns; opportunities by their own segment and
--   region, by their lead's channel (no lead: excluded under --channel), by their effective origin;
--   --campaign keeps leads with a touch in it and those leads' opportunities; campaigns by their
--   segment (null segment only without a segment filter), channel and id. Filters combine with AND.
periods as (
    -- the i-th entry of every list, for i = 1 .. the number of periods: one generated index rather
    -- than six parallel unnest()s, which Spark does not allow (one generator per select)
    select
        $period_keys[i] as period_key,
        $period_start_us[i] as start_us,
        $period_end_us[i] as end_us,
        $period_end_of_day_us[i] as end_of_day_us,
        $period_first_day[i] as first_day,
        $period_last_day[i] as last_day
    from (select unnest(generate_series(1, array_length($period_keys))) as i) as period_index
),

campaign_leads as (
    select distinct lead_id from touches where campaign_id = $campaign
),

scoped_leads as (
    select
        l.*,
        coalesce(case $group_by
            when 'segment' then l.segment
            when 'region' then l.region
            when 'channel' then l.channel
            when 'origin' then l.origin
            when 'campaign' then l.first_campaign_id
            when 'owner' then l.owner_id
            else 'all'
        end, '(none)') as group_key
    from lead_facts as l
    where l.latest_us >= $span_start_us and l.reached_lead_us < $span_end_us
        and ($segment is null or l.segment = $segment)
        and ($region is null or l.region = $region)
        and ($channel is null or l.channel = $channel)
        and ($origin is null or l.origin = $origin)
        and ($campaign is null or l.lead_id in (select lead_id from campaign_leads))
),

scoped_opportunities as (
    select
        o.*,
        coalesce(case $group_by
            when 'segment' then o.segment
            when 'region' then o.region
            when 'channel' then o.lead_channel
            when 'origin' then o.effective_origin
            when 'campaign' then o.lead_first_campaign_id
            when 'owner' then o.owner_id
            else 'all'
        end, '(none)') as group_key
    from opportunity_facts as o
    where ($segment is null or o.segment = $segment)
        and ($region is null or o.region = $region)
        and ($channel is null or o.lead_channel = $channel)
        and ($origin is null or o.effective_origin = $origin)
        and ($campaign is null or o.lead_id in (select lead_id from campaign_leads))
),

scoped_campaigns as (
    select
        c.*,
        -- campaigns break down only by what they carry (null key: cost has no such breakdown)
        case $group_by
            when 'segment' then coalesce(c.segment, '(all segments)')
            when 'channel' then c.channel
            when 'campaign' then c.campaign_id
            when 'all' then 'all'
        end as group_key
    from campaigns as c
    where ($segment is null or c.segment = $segment)
        and ($channel is null or c.channel = $channel)
        and ($campaign is null or c.campaign_id = $campaign)
),

grid as (
    -- every (period, breakdown key) a result has a row for; 'all' always has one. Without a
    -- breakdown every key is 'all': the leads and opportunities are not scanned for it (1M leads, 13
    -- months: the KPI query 15% faster)
    select p.period_key, k.group_key
    from periods as p
    cross join (
        select group_key from scoped_leads where $group_by <> 'all'
        union
        select group_key from scoped_opportunities where $group_by <> 'all'
        union
        select group_key from scoped_campaigns where group_key is not null
        union
        select 'all' as group_key where $group_by = 'all'
    ) as k
)

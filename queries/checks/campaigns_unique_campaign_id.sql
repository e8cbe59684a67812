-- campaigns_unique_campaign_id: campaigns whose campaign_id another row of campaigns has too (the contract:
--   campaign_id is unique).
-- Grain: one row per row in a duplicated group (key: the campaign_id repeated; pos; value null), so the count
--   is every row involved; validate.py groups the rows by key for its examples.
-- Inputs: v_campaigns, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: campaigns
-- @column: campaign_id
-- @rule: unique
-- @needs: campaign_id
-- @message: {rows} share an id with another row ({duplicated ids})
-- @examples: duplicates

with duplicated_ids as (
    select campaign_id
    from v_campaigns
    where campaign_id is not null
    group by campaign_id
    having count(*) > 1
)

select
    t.campaign_id as key,
    t.__funnel_pos as pos,
    null as value
from v_campaigns as t
semi join duplicated_ids as d on t.campaign_id = d.campaign_id

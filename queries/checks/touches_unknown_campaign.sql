-- touches_unknown_campaign: touches whose campaign_id is not a campaign_id of campaigns (the contract:
--   touches.campaign_id references campaigns.campaign_id).
-- Grain: one row per such touch (key, pos; value: the campaign_id given).
-- Inputs: v_touches, v_campaigns, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: touches
-- @column: campaign_id
-- @rule: references
-- @needs: campaign_id, campaigns.campaign_id
-- @message: {rows} with a campaign_id that is not in campaigns (campaigns.campaign_id)
-- @shows: campaign_id

select
    t.__funnel_key as key,
    t.__funnel_pos as pos,
    t.campaign_id as value
from v_touches as t
anti join v_campaigns as r on t.campaign_id = r.campaign_id
where t.campaign_id is not null

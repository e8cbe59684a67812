-- opportunities_unique_opportunity_id: opportunities whose opportunity_id another row of opportunities has
--   too (the contract: opportunity_id is unique).
-- Grain: one row per row in a duplicated group (key: the opportunity_id repeated; pos; value null), so the
--   count is every row involved; validate.py groups the rows by key for its examples.
-- Inputs: v_opportunities, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: opportunities
-- @column: opportunity_id
-- @rule: unique
-- @needs: opportunity_id
-- @message: {rows} share an id with another row ({duplicated ids})
-- @examples: duplicates

with duplicated_ids as (
    select opportunity_id
    from v_opportunities
    where opportunity_id is not null
    group by opportunity_id
    having count(*) > 1
)

select
    t.opportunity_id as key,
    t.__funnel_pos as pos,
    null as value
from v_opportunities as t
semi join duplicated_ids as d on t.opportunity_id = d.opportunity_id

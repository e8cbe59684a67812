-- touches_unique_touch_id: touches whose touch_id another row of touches has too (the contract: touch_id is
--   unique).
-- Grain: one row per row in a duplicated group (key: the touch_id repeated; pos; value null), so the count
--   is every row involved; validate.py groups the rows by key for its examples.
-- Inputs: v_touches, as dashboard/validate.py registers them: the contract columns it
--   could read, __funnel_key (the row's key, null where there is none) and __funnel_pos (its line or row).
-- Parameters: none.
-- @severity: error
-- @table: touches
-- @column: touch_id
-- @rule: unique
-- @needs: touch_id
-- @message: {rows} share an id with another row ({duplicated ids})
-- @examples: duplicates

with duplicated_ids as (
    select touch_id
    from v_touches
    where touch_id is not null
    group by touch_id
    having count(*) > 1
)

select
    t.touch_id as key,
    t.__funnel_pos as pos,
    null as value
from v_touches as t
semi join duplicated_ids as d on t.touch_id = d.touch_id

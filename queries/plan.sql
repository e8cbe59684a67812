-- plan: the reverse funnel, what a bookings target needs (metrics.md "Reverse funnel plan").
-- Grain: one row.
-- Parameters: $target (bookings wanted), and the trailing period's rates as the kpis query gives
--   them: $avg_deal_size, $win_rate, $sql_to_opp_rate, $mql_to_sql_rate, $lead_to_mql_rate,
--   $cost_per_mql.
-- Each stage is worked back from the one after it and rounded up to whole records before the next
-- division (a planner needs 4 deals, not 3.2). A missing or zero rate leaves every stage before it
-- null: there is no honest number to show. round(.., 9) keeps float noise (100 / 0.25 =
-- 400.0000000001) from adding a record.
with
won as (
    select ceil(round($target / nullif($avg_deal_size, 0), 9)) as won_deals
),

opportunities as (
    select won_deals, ceil(round(won_deals / nullif($win_rate, 0), 9)) as opportunities from won
),

sqls as (
    select *, ceil(round(opportunities / nullif($sql_to_opp_rate, 0), 9)) as sqls from opportunities
),

mqls as (
    select *, ceil(round(sqls / nullif($mql_to_sql_rate, 0), 9)) as mqls from sqls
)

select
    cast(won_deals as bigint) as won_deals,
    cast(opportunities as bigint) as opportunities,
    cast(sqls as bigint) as sqls,
    cast(mqls as bigint) as mqls,
    cast(ceil(round(mqls / nullif($lead_to_mql_rate, 0), 9)) as bigint) as leads,
    mqls * $cost_per_mql as marketing_budget
from mqls

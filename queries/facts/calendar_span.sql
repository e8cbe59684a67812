-- calendar_span: the instants the business-hours clock must cover in this snapshot, so that
--   business_calendar.py builds working time (W) for exactly that span (metrics.md "The SLA clock").
-- Grain: one row: the earliest and latest of every timestamp whose W lead_outcomes.sql looks up (an
--   MQL, its first response, and what decides it: acceptance, SQL, an opportunity's creation or win,
--   rejection); null when the snapshot has none. as_of is added in Python.
-- Inputs: raw_leads, raw_opportunities (read before views.sql runs, with its casts).
-- Parameters: none.
with lead_times as (
    select
        least(
            epoch_us(cast(mql_at as timestamptz)), epoch_us(cast(first_response_at as timestamptz)),
            epoch_us(cast(accepted_at as timestamptz)), epoch_us(cast(sql_at as timestamptz)),
            epoch_us(cast(rejected_at as timestamptz))
        ) as first_us,
        greatest(
            epoch_us(cast(mql_at as timestamptz)), epoch_us(cast(first_response_at as timestamptz)),
            epoch_us(cast(accepted_at as timestamptz)), epoch_us(cast(sql_at as timestamptz)),
            epoch_us(cast(rejected_at as timestamptz))
        ) as last_us
    from raw_leads
),

opportunity_times as (
    select
        least(epoch_us(cast(created_at as timestamptz)), epoch_us(cast(closed_at as timestamptz))) as first_us,
        greatest(epoch_us(cast(created_at as timestamptz)), epoch_us(cast(closed_at as timestamptz))) as last_us
    from raw_opportunities
),

all_times as (
    select first_us, last_us from lead_times
    union all
    select first_us, last_us from opportunity_times
)

select min(first_us) as first_us, max(last_us) as last_us
from all_times

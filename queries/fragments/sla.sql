-- sla (fragment): the service level both teams signed (metrics.md "SLA: sales' side" and
--   "SLA: marketing's side"), over the MQLs with mql_at in the period.
-- Grain: sla = one row per row of conversion (period, lead), with the SLA's judgements of an
--   MQL of the period (false on any other row); sla_mqls = its rows for the MQLs of the period, for
--   the records behind a number. The figures are counted from these flags in lead_figures.sql.
-- Needs: scope.sql, volumes.sql (lead_periods), conversion.sql (conversion: the one chain of
--   per-lead rows that lead_figures.sql reads in a single pass). Parameters: those of scope.sql.
-- Which MQL is due, met, untouched, decided, accepted or rejected depends on the lead, H, D and
-- as_of alone, so it is judged once per snapshot (facts/lead_outcomes.sql, the is_mql_* columns); here each
-- judgement counts for the MQLs of the period.
sla as (
    select
        *,
        is_mql_in_period and is_mql_due_for_response as is_due_for_response,
        is_mql_in_period and is_mql_responded_in_time as is_responded_in_time,
        is_mql_in_period and is_mql_untouched as is_untouched,
        is_mql_in_period and is_mql_due_for_decision as is_due_for_decision,
        is_mql_in_period and is_mql_decided_in_time as is_decided_in_time,
        is_mql_in_period and is_mql_accepted as is_accepted,
        is_mql_in_period and is_mql_rejected as is_rejected
    from conversion
),

sla_mqls as (
    select * from sla where is_mql_in_period
)

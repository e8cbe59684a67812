-- records_leads: the lead records behind a number on a page, as the CRM export has them (every
--   column of raw_leads), for the table under a clicked bar and its CSV download.
-- Grain: one row per lead, newest first.
-- Parameters: those of scope.sql (one period; $group_by: pass 'all'), and:
--   $stage (an allow-list; anything else is an error):
--     'lead' | 'mql' | 'sal' | 'sql' | 'opportunity' | 'won' = the period's lead cohort (reached(x,
--       lead) in the period) that reached that stage within W: the bars of the stage funnel
--       (kpis.sql funnel_*), the same people it counts;
--     'mql_in_period' = leads with mql_at in the period (the MQLs volume);
--     'untouched' = MQLs of the period due for a response with none (untouched_mqls);
--     'rejected' = MQLs of the period that sales rejected and did not accept (rejected_mqls);
--     'scored' = leads created in the period with a score in [$score_from, $score_to] (a score band
--       of scoring.sql; the top band's upper end, 100, is inclusive there and here);
--   $owner (null = every owner): only leads owned by this owner_id;
--   $score_from, $score_to (null = unbounded; used by 'scored' only).
-- The SLA stages reuse sla.sql's sla_mqls, so the table lists exactly the MQLs the number counted.
-- The cohort stages are conversion.sql's conversion, so the table lists exactly the leads the funnel
-- counted; tests/test_app_pages.py checks that each stage's row count equals its funnel_* count.
with
-- @include scope.sql
,
-- @include volumes.sql
,
-- @include conversion.sql
,
-- @include sla.sql
,
checked_stage as (
    -- the allow-list: an unknown stage fails loudly instead of returning an empty table
    select case
        when $stage in ('lead', 'mql', 'sal', 'sql', 'opportunity', 'won', 'mql_in_period', 'untouched',
                        'rejected', 'scored') then $stage
        else error('records_leads: unknown $stage ' || coalesce($stage, 'null'))
    end as stage
),

cohort_records as (
    -- the stage funnel's leads: conversion.sql's cohort (reached(x, lead) in the period) and the
    -- stage it reached within W
    select lead_id
    from conversion
    where is_lead_cohort and case (select stage from checked_stage)
        when 'lead' then true
        when 'mql' then is_lead_to_mql
        when 'sal' then is_lead_to_sal
        when 'sql' then is_lead_to_sql
        when 'opportunity' then is_lead_to_opportunity
        when 'won' then is_lead_to_won
        else false
    end
),

sla_records as (
    select lead_id
    from sla_mqls
    where case (select stage from checked_stage)
        when 'mql_in_period' then true
        when 'untouched' then is_untouched
        when 'rejected' then is_rejected
        else false
    end
),

scored_records as (
    select l.lead_id
    from periods as p
    inner join scoped_leads as l on l.created_us >= p.start_us and l.created_us < p.end_us
    where (select stage from checked_stage) = 'scored'
        and l.score is not null
        and ($score_from is null or l.score >= $score_from)
        and ($score_to is null or l.score < $score_to or ($score_to >= 100 and l.score <= $score_to))
),

chosen as (
    select lead_id from cohort_records
    union
    select lead_id from sla_records
    union
    select lead_id from scored_records
)

select r.*
from chosen as c
inner join raw_leads as r on cast(r.lead_id as varchar) = c.lead_id
inner join lead_facts as f on f.lead_id = c.lead_id
where $owner is null or f.owner_id = $owner
order by f.created_us desc, c.lead_id

-- score_threshold: the threshold what-if, "what if only leads scoring >= t became MQLs?"
--   (metrics.md "Lead scoring review").
-- Grain: one row per period.
-- Parameters: those of scope.sql ($group_by: pass 'all'), $threshold (t, 0..100).
-- Over the same leads as scoring.sql: created in the period, with a score; converted = reached(x,
-- sql) <= reached(x, lead) + W (lead_outcomes.sql's is_lead_to_sql_within_w). captured_share =
-- converters at or above t / all converters.
with
-- @include scope.sql
,
scored_leads as (
    select
        p.period_key,
        l.score >= $threshold as is_above,
        l.is_lead_to_sql_within_w as is_converted
    from periods as p
    inner join scoped_leads as l on l.created_us >= p.start_us and l.created_us < p.end_us
    where l.score is not null
)

select
    p.period_key,
    count(s.is_above) as scored_leads,
    count(s.is_above) filter (where s.is_above) as leads_above,
    count(s.is_above) filter (where s.is_above and s.is_converted) as converted_above,
    cast(count(s.is_above) filter (where s.is_above and s.is_converted) as double)
        / nullif(count(s.is_above) filter (where s.is_above), 0) as sql_rate_above,
    cast(count(s.is_above) filter (where s.is_above and s.is_converted) as double)
        / nullif(count(s.is_above) filter (where s.is_converted), 0) as captured_share
from periods as p
left join scored_leads as s on s.period_key = p.period_key
group by p.period_key
order by p.period_key

-- scoring: does the lead score predict conversion? (metrics.md "Lead scoring review")
-- Grain: one row per score band ("0-10" .. "90-100") and period, all ten bands even when empty;
--   score_auc repeats on every row of its period.
-- Parameters: those of scope.sql ($group_by: pass 'all').
-- Over leads created in the period with a score; converted = reached(x, sql) <= reached(x, lead) + W
-- (lead_outcomes.sql's is_lead_to_sql_within_w, judged once per snapshot).
-- Bands are [0,10), [10,20), ... [90,100] (100 falls in the last). The 95% interval is Wilson's.
-- AUC is Mann-Whitney: the chance a random converter outscores a random non-converter, ties half;
-- computed from average ranks: (sum of converters' ranks - n1(n1+1)/2) / (n1 n0).
with
-- @include scope.sql
,
scored_leads as (
    select
        p.period_key,
        l.score,
        least(cast(floor(l.score / 10) as integer), 9) * 10 as band_floor,
        l.is_lead_to_sql_within_w as is_converted
    from periods as p
    inner join scoped_leads as l on l.created_us >= p.start_us and l.created_us < p.end_us
    where l.score is not null
),

bands as (
    select band_floor from (values (0), (10), (20), (30), (40), (50), (60), (70), (80), (90)) as b (band_floor)
),

band_counts as (
    select
        p.period_key,
        b.band_floor,
        count(s.score) as leads,
        count(s.score) filter (where s.is_converted) as converted
    from periods as p
    cross join bands as b
    left join scored_leads as s on s.period_key = p.period_key and s.band_floor = b.band_floor
    group by p.period_key, b.band_floor
),

score_ranks as (
    -- one row per distinct score: its average rank among all scored leads of the period
    select
        period_key,
        score,
        converters,
        sum(leads_at_score) over (partition by period_key order by score rows unbounded preceding)
            - leads_at_score + (leads_at_score + 1) / 2.0 as average_rank
    from (
        select period_key, score, count(*) as leads_at_score, count(*) filter (where is_converted) as converters
        from scored_leads
        group by period_key, score
    ) as by_score
),

auc as (
    select
        r.period_key,
        (sum(r.converters * r.average_rank) - t.n1 * (t.n1 + 1) / 2.0) / nullif(t.n1 * t.n0, 0) as score_auc
    from score_ranks as r
    inner join (
        select
            period_key,
            cast(count(*) filter (where is_converted) as double) as n1,
            cast(count(*) filter (where not is_converted) as double) as n0
        from scored_leads
        group by period_key
    ) as t on t.period_key = r.period_key
    group by r.period_key, t.n1, t.n0
),

rates as (
    select
        period_key,
        band_floor,
        leads,
        converted,
        cast(converted as double) / nullif(leads, 0) as rate,
        -- the interval's n: null for an empty band, so every term below is null rather than a
        -- division by zero (inf on DuckDB, an error on Spark in ANSI mode)
        nullif(leads, 0) as n,
        1.959963984540054 as z
    from band_counts
)

select
    r.period_key,
    cast(r.band_floor as varchar) || '-' || cast(r.band_floor + 10 as varchar) as band,
    r.band_floor,
    r.leads,
    r.converted,
    r.rate,
    -- clamped: at a rate of 0 or 1 float rounding would put the bound a hair outside 0..1 (and an
    -- empty band, whose bounds are null, gets 0..1: greatest/least skip nulls)
    greatest(0.0, (r.rate + r.z * r.z / (2 * r.n)
        - r.z * sqrt(r.rate * (1 - r.rate) / r.n + r.z * r.z / (4.0 * r.n * r.n)))
        / (1 + r.z * r.z / r.n)) as rate_low,
    least(1.0, (r.rate + r.z * r.z / (2 * r.n)
        + r.z * sqrt(r.rate * (1 - r.rate) / r.n + r.z * r.z / (4.0 * r.n * r.n)))
        / (1 + r.z * r.z / r.n)) as rate_high,
    a.score_auc
from rates as r
left join auc as a on a.period_key = r.period_key
order by r.period_key, r.band_floor

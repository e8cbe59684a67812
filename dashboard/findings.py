"""Findings: the one sentence a chart or slide title states, made from numbers.

Pure functions (no Streamlit, no SQL, no metric computed): they compare numbers that queries already
returned and word the comparison. The pages and the meeting deck use the same sentences, so a title on
the projector reads the same as the slide it ends up on.

`scope` is the filter context in words ("Enterprise" or "Enterprise, EMEA"); None means all records.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from dashboard.filters import Filters
from dashboard.metrics import BY_KEY, format_value
from dashboard.periods import Period

# rates move in points; a smaller move than this reads as "held"
_STEADY = {"rate": 0.0005, "ratio": 0.005}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def scope_text(filters: Filters | None) -> str | None:
    """The filters as the words a finding ends with: 'Enterprise, EMEA'; None without filters."""
    if filters is None:
        return None
    active = filters.active()
    return ", ".join(active.values()) if active else None


def _in(scope: str | None) -> str:
    return f" in {scope}" if scope else ""


def compact(value, unit: str, currency: str = "USD", other=None) -> str:
    """A number as a title shows it: rates in whole percent unless that hides the difference to `other`."""
    if unit == "rate" and _number(value):
        whole = f"{value:.0%}"
        if _number(other) and whole == f"{other:.0%}" and abs(value - other) >= _STEADY["rate"]:
            return f"{value:.1%}"
        return whole
    return format_value(value, unit, currency)


def label_of(metric_key: str) -> str:
    return BY_KEY[metric_key].label if metric_key in BY_KEY else metric_key.replace("_", " ")


def change_finding(metric_key: str, current, previous, scope: str | None = None, currency: str = "USD") -> str:
    """'MQL → SQL fell from 24% to 19% in Enterprise'; 'MQLs held at 462'; 'Win rate: 24% (no comparison)'."""
    m = BY_KEY.get(metric_key)
    unit = m.unit if m else "count"
    label = label_of(metric_key)
    if not _number(current):
        return f"{label}: no value{_in(scope)}"
    now = compact(current, unit, currency, previous)
    if not _number(previous):
        return f"{label} at {now}{_in(scope)} (nothing to compare with)"
    before = compact(previous, unit, currency, current)
    steady = _STEADY.get(unit, 0.0)
    if abs(current - previous) <= steady or now == before:
        return f"{label} held at {now}{_in(scope)}"
    verb = "rose" if current > previous else "fell"
    return f"{label} {verb} from {before} to {now}{_in(scope)}"


def delta_text(metric_key: str, current, previous, currency: str = "USD") -> str | None:
    """The change as st.metric's delta shows it: '+4.2 pts', '+12', '-$3.1k', '+8.0%' (None: no comparison)."""
    if not (_number(current) and _number(previous)):
        return None
    unit = BY_KEY[metric_key].unit if metric_key in BY_KEY else "count"
    diff = current - previous
    if unit == "rate":
        return f"{diff * 100:+.1f} pts"
    if unit == "ratio":
        return f"{diff * 100:+.0f} pts"
    if unit in ("count", "credit"):
        return f"{diff:+,.0f}"
    if unit == "currency":
        text = format_value(abs(diff), "currency", currency)
        return ("+" if diff >= 0 else "-") + text
    if unit == "days":
        return f"{diff:+.1f} d"
    if unit == "hours":
        return f"{diff:+.1f} h"
    return f"{diff:+g}"


def delta_color(metric_key: str) -> str:
    """st.metric's delta_color: green when the metric moved the good way."""
    better = BY_KEY[metric_key].higher_is_better if metric_key in BY_KEY else True
    if better is None:
        return "off"
    return "normal" if better else "inverse"


def target_finding(actual, target, label: str = "MQLs", scope: str | None = None) -> str:
    """'MQLs at 98% of target (462 of 472)'."""
    if not _number(actual):
        return f"{label}: no value{_in(scope)}"
    if not _number(target) or target <= 0:
        return f"{label}: {format_value(actual, 'count')}{_in(scope)}, no target set"
    share = actual / target
    word = "above" if share >= 1 else "at"
    return (
        f"{label} {word} {share:.0%} of target{_in(scope)} "
        f"({format_value(actual, 'count')} of {format_value(target, 'count')})"
    )


def floor_finding(rate, floor, scope: str | None = None) -> str:
    """Acceptance against the agreed floor: 'Sales accepted 68% of MQLs, above the 60% floor'."""
    if not _number(rate):
        return f"No MQL decided yet{_in(scope)}: acceptance rate unknown"
    side = "above" if rate >= floor else "below"
    return f"Sales accepted {rate:.0%} of decided MQLs{_in(scope)}, {side} the agreed {floor:.0%} floor"


def sla_finding(
    response_rate,
    hours: float,
    decision_rate,
    days: float,
    scope: str | None = None,
    units: tuple[str, str] = ("h", "d"),
) -> str:
    """'Sales answered 79% of MQLs within 24 h and decided 87% within 5 d'; under the business clock
    units = ("business hours", "working days") (metrics.sla_units)."""
    parts = []
    if _number(response_rate):
        parts.append(f"answered {response_rate:.0%} of MQLs within {hours:g} {units[0]}")
    if _number(decision_rate):
        parts.append(f"decided {decision_rate:.0%} within {days:g} {units[1]}")
    if not parts:
        return f"No MQL due for a response yet{_in(scope)}"
    return "Sales " + " and ".join(parts) + _in(scope)


def untouched_finding(rows: list[Mapping], scope: str | None = None) -> str:
    """rows: kpi rows by owner (group_key, untouched_mqls). Names the owner with the most untouched MQLs."""
    rows = [r for r in rows if _number(r.get("untouched_mqls")) and r["untouched_mqls"] > 0]
    total = sum(r["untouched_mqls"] for r in rows)
    if not rows:
        return f"Every MQL due for a response got one{_in(scope)}"
    worst = max(rows, key=lambda r: (r["untouched_mqls"], str(r["group_key"])))
    return (
        f"{format_value(total, 'count')} MQLs never got a response{_in(scope)}; "
        f"{worst['group_key']} holds {format_value(worst['untouched_mqls'], 'count')}"
    )


def sourced_finding(row: Mapping, scope: str | None = None, currency: str = "USD") -> str:
    """'Marketing sourced 45% of the $7.91M pipeline and influenced 73%'."""
    total = row.get("pipeline")
    if not _number(total) or not total:
        return f"No pipeline created in the period{_in(scope)}"
    sourced, influenced = row.get("marketing_sourced_pipeline") or 0, row.get("marketing_influenced_pipeline") or 0
    return (
        f"Marketing sourced {sourced / total:.0%} of the {format_value(total, 'currency', currency)} pipeline"
        f"{_in(scope)} and influenced {influenced / total:.0%}"
    )


def campaign_finding(rows: list[Mapping], scope: str | None = None, currency: str = "USD") -> str:
    """rows: attribution rows of one model. Names the best return among the campaigns that spent real money
    (at least a tenth of the largest spend: a $1k campaign with a lucky deal is not the headline)."""
    spent = [r for r in rows if _number(r.get("cost")) and r["cost"] > 0 and _number(r.get("roi"))]
    largest = max((r["cost"] for r in spent), default=0)
    spent = [r for r in spent if r["cost"] >= largest / 10]
    if not spent:
        return f"No campaign with cost in the period{_in(scope)}"
    best = max(spent, key=lambda r: (r["roi"], str(r.get("campaign_id"))))
    return (
        f"Best return{_in(scope)}: {best['name']}, ROI {format_value(best['roi'], 'ratio')} on "
        f"{format_value(best['cost'], 'currency', currency)} of cost"
    )


def attribution_finding(shares: Mapping[tuple[str, str], float | None], scope: str | None = None) -> str:
    """shares: (model, channel) -> share of attributed pipeline. Names the channel the models disagree on most."""
    models = sorted({m for m, _ in shares})
    channels = sorted({c for _, c in shares})
    best = None
    for c in channels:
        values = {m: shares.get((m, c)) or 0.0 for m in models}
        hi, lo = max(values, key=values.get), min(values, key=values.get)
        spread = values[hi] - values[lo]
        if best is None or spread > best[0]:
            best = (spread, c, hi, values[hi], lo, values[lo])
    if best is None or best[0] <= 0:
        return f"The attribution models agree{_in(scope)}"
    _, c, hi, vhi, lo, vlo = best
    return (
        f"{c.replace('_', ' ').capitalize()} gets {vhi:.0%} of pipeline credit under {hi.replace('_', ' ')} "
        f"but {vlo:.0%} under {lo.replace('_', ' ')}{_in(scope)}"
    )


def scoring_finding(frame, scope: str | None = None) -> str:
    """frame: scoring_table rows (band, leads, rate, score_auc). Top band vs bottom band, and the AUC."""
    rows = [r for r in (frame.to_dicts() if hasattr(frame, "to_dicts") else list(frame)) if r.get("leads")]
    if not rows:
        return f"No scored leads in the period{_in(scope)}"
    auc = rows[0].get("score_auc")
    top, bottom = rows[-1], rows[0]
    auc_text = f"AUC {format_value(auc, BY_KEY['score_auc'].unit)}"
    if top is bottom or not (_number(top.get("rate")) and _number(bottom.get("rate"))):
        return f"Lead score {auc_text}{_in(scope)}"
    return (
        f"Leads scoring {top['band']} reach SQL at {top['rate']:.0%}, {bottom['band']} at "
        f"{bottom['rate']:.0%}{_in(scope)} ({auc_text})"
    )


def threshold_finding(threshold: float, result: Mapping, scope: str | None = None) -> str:
    """Funnel.threshold's dict in words: 'Score ≥ 50: 597 leads, 8% reach SQL, 78% of all converters'."""
    above = result.get("leads_above")
    rate, share = result.get("sql_rate_above"), result.get("captured_share")
    if not above:
        return f"No lead scores {threshold:g} or more{_in(scope)}"
    return (
        f"Score ≥ {threshold:g}: {format_value(above, 'count')} leads, "
        f"{compact(rate, 'rate')} reach SQL, holding {compact(share, 'rate')} of all converters{_in(scope)}"
    )


def plan_finding(plan: Mapping, scope: str | None = None, currency: str = "USD") -> str:
    """Funnel.plan's dict in words: '$1.00M of bookings needs 334 MQLs by 18 Aug 2026'."""
    needed = plan.get("needed") or {}
    mqls = needed.get("mqls")
    target = format_value(plan.get("target"), "currency", currency)
    if not _number(mqls):
        return f"{target} of bookings: the trailing rates are incomplete{_in(scope)}, no plan"
    when = (plan.get("by_when") or {}).get("mqls")
    by = f" by {dt.date.fromisoformat(when):%d %b %Y}" if when else ""
    # a date the snapshot has already passed is said, not asked for
    past = ", already past at the snapshot" if "mqls" in (plan.get("already_past") or ()) else ""
    return f"{target} of bookings needs {format_value(mqls, 'count')} MQLs{by}{past}{_in(scope)}"


def small_cohort_warning(cohort, minimum: int = 30, what: str = "cohort") -> str | None:
    """A warning when a filter leaves too few records to trust a rate."""
    if _number(cohort) and cohort < minimum:
        return (
            f"Only {format_value(cohort, 'count')} leads in the {what}: rates on fewer than {minimum} records "
            "swing by chance; read them as anecdotes, not trends."
        )
    return None


def funnel_finding(row: Mapping, window_days: float, scope: str | None = None) -> str:
    """A kpi_table row's stage funnel in words: 'Of 1,312 leads, 28% reached MQL and 1.4% won within 90 days'."""
    leads = row.get("funnel_leads") or 0
    if not leads:
        return f"No leads in this period's cohort{_in(scope)}"
    mql, won = (row.get("funnel_mqls") or 0) / leads, (row.get("funnel_won") or 0) / leads
    return (
        f"Of {format_value(leads, 'count')} leads{_in(scope)}, {compact(mql, 'rate')} reached MQL and "
        f"{format_value(won, 'rate')} won within {window_days:g} days"
    )


def trend_finding(
    rows: list[Mapping], metric_key: str, scope: str | None = None, names: Mapping[str, str] | None = None
) -> str:
    """kpi rows by month: the change between the two latest mature months, named by month (or by `names`,
    period_key -> name, for other periods such as fiscal quarters)."""
    m = BY_KEY[metric_key]
    cohort = m.is_cohort
    usable = [r for r in rows if _number(r.get(metric_key)) and (r.get("cohort_mature", True) or not cohort)]
    if len(usable) < 2:
        unit = "fiscal quarter" if names else "month"
        return f"{m.label} by {unit}: {'no two mature cohorts' if cohort else f'too few {unit}s'} to compare yet"
    before, latest = usable[-2], usable[-1]

    def label(row: Mapping) -> str:
        return names[row["period_key"]] if names else Period.from_key(row["period_key"]).start.strftime("%b %Y")

    text = change_finding(metric_key, latest[metric_key], before[metric_key], scope)
    return f"{text} ({label(before)} → {label(latest)}{', latest mature cohorts' if cohort else ''})"


def changes_finding(changes: Mapping, movers: list[Mapping], scope: str | None = None) -> str:
    """The waterfall's title: 'Open pipeline up $3.2M to $20.3M since 30 Sep: $7.7M new, $3.1M lost; largest
    movers O-571 won ($407.5k), O-1285 won ($252.3k)'. `changes` is Funnel.changes(); `movers` the
    'moved' drill-down rows, largest first."""
    currency = changes["currency"]
    b = changes["buckets"]
    start, end = b["start"]["amount"], b["end"]["amount"]
    since = changes["from_snapshot"]
    if start == end:
        head = f"Open pipeline held at {format_value(end, 'currency', currency)} since {since}{_in(scope)}"
    else:
        way = "up" if end > start else "down"
        head = (
            f"Open pipeline {way} {format_value(abs(end - start), 'currency', currency)} to "
            f"{format_value(end, 'currency', currency)} since {since}{_in(scope)}"
        )
    flows = sorted(
        (
            (b[k]["amount"], k)
            for k in ("new", "increased", "decreased", "won", "lost", "reopened", "removed")
            if b[k]["amount"] > 0
        ),
        reverse=True,
    )[:2]
    parts = [
        f"{format_value(amount, 'currency', currency)} {BY_KEY[f'changes_{k}'].label.lower()}" for amount, k in flows
    ]
    named = [
        f"{m['opportunity_id']} {label_of('changes_' + m['bucket']).lower()} "
        f"({format_value(abs(m['move']), 'currency', currency)})"
        for m in movers[:2]
    ]
    text = head + (": " + ", ".join(parts) if parts else ": nothing moved")
    return text + ("; largest movers " + ", ".join(named) if named else "")


def pace_finding(period: Mapping, currency: str = "USD", scope: str | None = None, named: bool = True) -> str:
    """'FY2026 Q4 (Oct-Dec 2026): bookings at 74% of pace, on course for $1.1M of $1.7M' (period =
    Funnel.pace()["quarter"]); `named=False` leaves out the period's name and the note on missing targets
    (a slide title that says "this quarter" and shows them below)."""
    pace, run_rate, target = period["bookings_pace"], period["bookings_run_rate"], period["bookings_target"]
    name = f"{period['label']}{_in(scope)}: " if named else ""
    if not _number(pace):
        return (
            f"{name}{format_value(period['bookings_to_date'], 'currency', currency)} booked so far "
            "(no bookings target to pace against)"
        )
    partial = (
        ""
        if period["bookings_target_months"] >= period["months"] or not named
        else f" (targets set for {period['bookings_target_months']} of its {period['months']} months)"
    )
    return (
        f"{name}bookings at {pace:.0%} of pace, on course for "
        f"{format_value(run_rate, 'currency', currency)} of {format_value(target, 'currency', currency)}{partial}"
    )

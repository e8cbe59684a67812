"""The metric registry: every number's key, label, format, one-line definition and source query.

Pages, the CLI and the deck take labels and definitions from here; docs/metrics.md is generated from
it (`python -m dashboard.metrics > docs/metrics.md`; a test fails when the two drift apart).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

# unit -> how a value is shown
UNITS = ("count", "credit", "currency", "rate", "ratio", "days", "hours", "flag")
SIDES = ("marketing", "sales", "joint")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    definition: str
    query: str  # the file under queries/ that computes it
    side: str = "joint"  # whose number it is in the meeting: marketing, sales or joint
    in_kpis: bool = True  # part of `funnel kpis --json` (metrics.md, Volumes to Cost)
    higher_is_better: bool | None = True

    def format(self, value, currency: str = "USD") -> str:
        return format_value(value, self.unit, currency)


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}  # built once: format_value runs per table cell


def format_value(value, unit: str, currency: str = "USD") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "credit":  # fractional counts: attribution credit
        return f"{value:,.1f}"
    if unit == "currency":
        symbol = CURRENCY_SYMBOLS.get(currency) or f"{currency} "
        sign = "-" if value < 0 else ""
        value = abs(value)
        if value >= 1_000_000:
            return f"{sign}{symbol}{value / 1_000_000:,.2f}M"
        if value >= 10_000:
            return f"{sign}{symbol}{value / 1_000:,.1f}k"
        return f"{sign}{symbol}{value:,.0f}"
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:+.0%}" if abs(value) < 100 else f"{value:+,.0f}x"
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "flag":
        return "yes" if value else "no"
    return str(value)


def _m(*args, **kw) -> Metric:
    return Metric(*args, **kw)


W = "W = conversion.window_days"
METRICS: tuple[Metric, ...] = (
    # Volumes
    _m("leads", "Leads", "count", "Leads with created_at in the period.", "volumes", "marketing"),
    _m("mqls", "MQLs", "count", "Leads with mql_at in the period.", "volumes", "marketing"),
    _m("sals", "SALs", "count", "Leads with accepted_at (sales accepted) in the period.", "volumes", "sales"),
    _m("sqls", "SQLs", "count", "Leads with sql_at in the period.", "volumes", "sales"),
    _m("opportunities", "Opportunities", "count", "Opportunities with created_at in the period.", "volumes", "sales"),
    _m("pipeline", "Pipeline", "currency", "Sum of amount over opportunities created in the period.", "volumes", "sales"),
    _m("won_deals", "Won deals", "count", "Opportunities won (is_won) with closed_at in the period.", "volumes", "sales"),
    _m("bookings", "Bookings", "currency", "Sum of amount over deals won in the period.", "volumes", "sales"),
    _m("lost_deals", "Lost deals", "count", "Opportunities closed and not won with closed_at in the period.",
       "volumes", "sales", higher_is_better=False),
    # Conversion
    _m("lead_to_mql_rate", "Lead → MQL", "rate",
       f"Cohort: leads whose reached(lead) is in the period; share reaching MQL within W days ({W}).",
       "conversion", "marketing"),
    _m("mql_to_sql_rate", "MQL → SQL", "rate",
       "Cohort: leads whose reached(mql) is in the period; share reaching SQL (or a later stage) within W days.",
       "conversion", "joint"),
    _m("sql_to_opp_rate", "SQL → Opportunity", "rate",
       "Cohort: leads whose reached(sql) is in the period; share with an opportunity within W days.",
       "conversion", "sales"),
    _m("opp_to_won_rate", "Opportunity → Won", "rate",
       "Cohort: leads whose reached(opportunity) is in the period; share with a won deal within W days.",
       "conversion", "sales"),
    _m("lead_to_won_rate", "Lead → Won", "rate",
       "Cohort: leads whose reached(lead) is in the period; share with a won deal within W days.",
       "conversion", "joint"),
    # Velocity
    _m("median_days_lead_to_mql", "Days lead → MQL", "days",
       "Median of reached(mql) - reached(lead) in days over the lead → MQL converters of the period's cohort.",
       "lead_figures", "marketing", higher_is_better=False),
    _m("median_days_mql_to_sql", "Days MQL → SQL", "days",
       "Median of reached(sql) - reached(mql) in days over the MQL → SQL converters of the period's cohort.",
       "lead_figures", "sales", higher_is_better=False),
    _m("median_days_sql_to_opp", "Days SQL → opportunity", "days",
       "Median of reached(opportunity) - reached(sql) in days over the SQL → opportunity converters.",
       "lead_figures", "sales", higher_is_better=False),
    _m("sales_cycle_days", "Sales cycle", "days",
       "Median of closed_at - created_at in days over opportunities won in the period.",
       "velocity", "sales", higher_is_better=False),
    # Deals
    _m("win_rate", "Win rate", "rate", "Won deals / (won + lost deals), both closed in the period.", "deals", "sales"),
    _m("avg_deal_size", "Average deal size", "currency", "Bookings / won deals.", "deals", "sales"),
    _m("marketing_sourced_pipeline", "Marketing-sourced pipeline", "currency",
       "Pipeline of opportunities whose effective origin is marketing (own origin, else the lead's, else sales).",
       "deals", "marketing"),
    _m("sales_sourced_pipeline", "Sales-sourced pipeline", "currency",
       "Pipeline of opportunities whose effective origin is sales (including deals with no lead).",
       "deals", "sales"),
    _m("other_sourced_pipeline", "Partner/other-sourced pipeline", "currency",
       "Pipeline of opportunities whose effective origin is partner or other.", "deals", "joint"),
    _m("marketing_sourced_bookings", "Marketing-sourced bookings", "currency",
       "Bookings of deals won in the period whose effective origin is marketing.", "deals", "marketing"),
    _m("marketing_influenced_pipeline", "Marketing-influenced pipeline", "currency",
       "Pipeline of opportunities created in the period whose lead has a touch in [created_at - L days, "
       "created_at] (L = attribution.lookback_days). Overlaps the sourced figures; never add them.",
       "deals", "marketing"),
    # SLA, sales' side
    _m("sla_response_rate", "Response within SLA", "rate",
       "MQLs of the period due for response (mql_at + H hours <= as_of) whose first response came within "
       "H hours (H = sla.first_response_hours), over those due.", "sla", "sales"),
    _m("median_response_hours", "Median response time", "hours",
       "Median of max(0, first_response_at - mql_at) in hours over the period's MQLs with a response.",
       "sla", "sales", higher_is_better=False),
    _m("untouched_mqls", "Untouched MQLs", "count",
       "MQLs of the period due for response with no first response at all.", "sla", "sales",
       higher_is_better=False),
    _m("sla_decision_rate", "Decision within SLA", "rate",
       "MQLs of the period due for a decision (mql_at + D days <= as_of) accepted or rejected within D days "
       "(D = sla.decision_days), over those due.", "sla", "sales"),
    # SLA, marketing's side
    _m("acceptance_rate", "Acceptance rate", "rate",
       "Accepted / (accepted + rejected) over the period's MQLs; accepted = reached(sal) set and not after "
       "rejected_at; rejected = rejected_at set and not accepted.", "sla", "marketing"),
    _m("mql_target", "MQL target", "count",
       "Sum over months of the MQL target x (days of the month in the period / days in the month); the "
       "segment's row under a segment filter, else the company-wide row, else the sum of segment rows.",
       "targets", "marketing"),
    _m("mql_target_attainment", "MQL target attainment", "rate", "MQLs / MQL target.", "targets", "marketing"),
    # Cost
    _m("marketing_cost", "Marketing cost", "currency",
       "Cost of the campaigns in scope falling on the period's days (each campaign's cost spread evenly "
       "over its days).", "cost", "marketing", higher_is_better=None),
    _m("cost_per_lead", "Cost per lead", "currency",
       "Marketing cost / leads of origin marketing created in the period.", "cost", "marketing",
       higher_is_better=False),
    _m("cost_per_mql", "Cost per MQL", "currency", "Marketing cost / MQLs.", "cost", "marketing",
       higher_is_better=False),
    _m("cost_per_opportunity", "Cost per opportunity", "currency",
       "Marketing cost / opportunities created in the period whose effective origin is marketing.",
       "cost", "marketing", higher_is_better=False),
    _m("marketing_roi", "Marketing ROI", "ratio",
       "(Marketing-sourced bookings - marketing cost) / marketing cost.", "cost", "marketing"),
    # Not in `funnel kpis`: shown on pages
    _m("cohort_mature", "Cohort mature", "flag",
       "The period's last day (23:59:59) + W days <= as_of: every lead of the cohort had its full window.",
       "conversion", in_kpis=False, higher_is_better=None),
    _m("median_days_opp_to_won", "Days opportunity → won", "days",
       "Median of reached(won) - reached(opportunity) in days over the opportunity → won converters.",
       "lead_figures", "sales", in_kpis=False, higher_is_better=False),
    _m("flow_mqls_per_lead", "Flow ratio MQLs / leads", "rate",
       "MQLs in the period / leads in the period. A flow ratio, not a conversion rate: different people.",
       "kpis", in_kpis=False),
    _m("flow_sqls_per_mql", "Flow ratio SQLs / MQLs", "rate",
       "SQLs in the period / MQLs in the period. A flow ratio, not a conversion rate.", "kpis", in_kpis=False),
    _m("flow_opportunities_per_sql", "Flow ratio opportunities / SQLs", "rate",
       "Opportunities created in the period / SQLs in the period. A flow ratio, not a conversion rate.",
       "kpis", in_kpis=False),
    _m("flow_won_per_opportunity", "Flow ratio won / opportunities", "rate",
       "Deals won in the period / opportunities created in the period. A flow ratio, not a conversion rate.",
       "kpis", in_kpis=False),
    _m("funnel_leads", "Cohort leads", "count", "Leads whose reached(lead) is in the period.", "conversion",
       in_kpis=False),
    _m("funnel_mqls", "… reached MQL", "count", "Of the cohort leads, those reaching MQL within W days.",
       "conversion", in_kpis=False),
    _m("funnel_sals", "… reached SAL", "count", "Of the cohort leads, those accepted by sales within W days.",
       "conversion", in_kpis=False),
    _m("funnel_sqls", "… reached SQL", "count", "Of the cohort leads, those reaching SQL within W days.",
       "conversion", in_kpis=False),
    _m("funnel_opportunities", "… reached opportunity", "count",
       "Of the cohort leads, those with an opportunity within W days.", "conversion", in_kpis=False),
    _m("funnel_won", "… won", "count", "Of the cohort leads, those with a won deal within W days.",
       "conversion", in_kpis=False),
    _m("accepted_mqls", "Accepted MQLs", "count", "MQLs of the period that sales accepted (see acceptance rate).",
       "sla", "marketing", in_kpis=False),
    _m("rejected_mqls", "Rejected MQLs", "count", "MQLs of the period that sales rejected and did not accept.",
       "sla", "marketing", in_kpis=False, higher_is_better=False),
    _m("lead_target", "Lead target", "count", "Lead targets prorated to the period (same rule as MQL target).",
       "targets", "marketing", in_kpis=False),
    _m("sql_target", "SQL target", "count", "SQL targets prorated to the period.", "targets", "sales", in_kpis=False),
    _m("pipeline_target", "Pipeline target", "currency", "Pipeline targets prorated to the period.", "targets",
       "sales", in_kpis=False),
    _m("bookings_target", "Bookings target", "currency", "Bookings targets prorated to the period.", "targets",
       "sales", in_kpis=False),
    # Attribution (per campaign; `funnel campaigns`)
    _m("attributed_opportunities", "Attributed opportunities", "credit",
       "Sum of the campaign's credit over opportunities created in the period (credit by the chosen model "
       "over the touch path [created_at - L days, created_at]).", "attribution", "marketing", in_kpis=False),
    _m("attributed_pipeline", "Attributed pipeline", "currency",
       "Sum of credit x amount over opportunities created in the period.", "attribution", "marketing",
       in_kpis=False),
    _m("attributed_won_deals", "Attributed won deals", "credit",
       "Sum of credit over opportunities won in the period.", "attribution", "marketing", in_kpis=False),
    _m("attributed_bookings", "Attributed bookings", "currency",
       "Sum of credit x amount over opportunities won in the period.", "attribution", "marketing", in_kpis=False),
    _m("leads_acquired", "Leads acquired", "count",
       "Leads created in the period whose first touch ever is in the campaign.", "attribution", "marketing",
       in_kpis=False),
    _m("cost", "Campaign cost", "currency", "The campaign's cost falling on the period's days.", "attribution",
       "marketing", in_kpis=False, higher_is_better=None),
    _m("campaign_cost_per_lead", "Cost per acquired lead", "currency", "Campaign cost / leads acquired.",
       "attribution", "marketing", in_kpis=False, higher_is_better=False),
    _m("roi", "Campaign ROI", "ratio", "(Attributed bookings - cost) / cost.", "attribution", "marketing",
       in_kpis=False),
    _m("unattributed_pipeline", "Unattributed pipeline", "currency",
       "Pipeline of opportunities with no lead or no touch in the lookback window.", "attribution",
       in_kpis=False, higher_is_better=None),
    # Scoring
    _m("score_auc", "Score AUC", "rate",
       "Chance that a random lead converting to SQL within W days outscores a random one that did not "
       "(ties half): 0.5 is a coin toss, 1.0 perfect.", "scoring", "marketing", in_kpis=False),
    _m("band_rate", "SQL rate in band", "rate",
       "Leads created in the period with a score in the band that reached SQL within W days of reached(lead), "
       "over the band's leads; 95% Wilson interval.", "scoring", "marketing", in_kpis=False),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
KPI_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS if m.in_kpis)


def metric(key: str) -> Metric:
    return BY_KEY[key]


def query_summary(name: str) -> str:
    """What a query answers: its header up to the "Grain:" line, on one line."""
    from dashboard.store import query_header

    summary = []
    for line in query_header(name).splitlines():
        if line.startswith("Grain:"):
            break
        summary.append(line)
    return " ".join(summary).split(":", 1)[-1].strip()


def render_docs() -> str:
    """docs/metrics.md, generated: every metric with its label, unit, definition and query."""
    lines = [
        "# Metrics glossary",
        "",
        "Generated from `dashboard/metrics.py` by `python -m dashboard.metrics > docs/metrics.md`; do not edit by hand.",
        "The exact rules are in `../shared/spec/metrics.md`; decisions where the spec is silent are in",
        "`docs/decisions.md`. Every figure is computed by one SQL file under `queries/`.",
        "",
        "| key | label | unit | side | definition | query |",
        "|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        lines.append(f"| `{m.key}` | {m.label} | {m.unit} | {m.side} | {m.definition} | `queries/{m.query}.sql` |")
    lines += ["", "## Queries", ""]
    for name in sorted({m.query for m in METRICS} | {"kpis", "attribution", "scoring", "score_threshold", "plan"}):
        lines.append(f"- `queries/{name}.sql`: {query_summary(name)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_docs())

"""The metric registry: every number's key, label, format, one-line definition and source query.

The registry decides what a metric is (a cohort metric or a flow, whose side) and how it looks: the one
formatter (`format_value` for text, `axis_format` for chart axes, `excel_format` for the deck's native
charts, `column_format` for the pages' tables, which keep numbers) serves the pages, the charts, the
findings, the deck and the CLI, in the reporting currency.
docs/metrics.md is generated from it (`python -m dashboard.metrics > docs/metrics.md`; a test fails when
the two drift apart).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

# unit -> how a value is shown
UNITS = ("count", "credit", "currency", "rate", "ratio", "score", "days", "hours", "flag", "multiple")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
SIDES = ("marketing", "sales", "joint")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    definition: str
    query: str  # the file under queries/ whose select writes its final value (tests/test_registry_docs.py)
    side: str = "joint"  # whose number it is in the meeting: marketing, sales or joint
    in_kpis: bool = True  # part of `funnel kpis --json` (metrics.md, Volumes to Cost)
    higher_is_better: bool | None = True
    # a cohort metric follows the period's cohort for W days: immature months are drawn and compared
    # apart (conversion rates, the steps' medians, the cohort funnel), never mixed with mature ones
    is_cohort: bool = False
    column: str | None = None  # the query's column when it differs from the key (changes.sql: of its bucket's row)

    @property
    def column_name(self) -> str:
        return self.column or self.key

    def format(self, value, currency: str = "USD") -> str:
        return format_value(value, self.unit, currency)


def currency_symbol(currency: str) -> str:
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def format_value(value, unit: str, currency: str = "USD") -> str:
    """A number as text, the one way every page, chart label, finding, slide and CLI table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "credit":  # fractional counts: attribution credit
        return f"{value:,.1f}"
    if unit == "currency":
        symbol = currency_symbol(currency)
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
    if unit == "score":  # a probability-like score (the AUC): two decimals, not a percentage
        return f"{value:.2f}"
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "flag":
        return "yes" if value else "no"
    if unit == "multiple":  # pipeline coverage: 3.2x the bookings still to find
        return f"{value:,.1f}x"
    return str(value)


def axis_format(unit: str, currency: str = "USD") -> dict:
    """A plotly axis's tick settings that show the unit as format_value does (compact)."""
    if unit == "rate":
        return dict(tickformat=".0%")
    if unit == "currency":
        return dict(tickprefix=currency_symbol(currency), tickformat="~s")
    if unit == "score":
        return dict(tickformat=".2f")
    return dict(tickformat=",~r")


def excel_format(unit: str, currency: str = "USD", largest: float = 0) -> str:
    """The Excel number format that shows a native chart's numbers as format_value would."""
    symbol = currency_symbol(currency)
    if unit == "currency":
        # positive;negative;zero sections: a zero shows as "$0", not "$0k"
        if largest >= 1_000_000:
            return f'"{symbol}"#,##0.0,,"M";-"{symbol}"#,##0.0,,"M";"{symbol}"0'
        if largest >= 10_000:
            return f'"{symbol}"#,##0,"k";-"{symbol}"#,##0,"k";"{symbol}"0'
        return f'"{symbol}"#,##0;-"{symbol}"#,##0;"{symbol}"0'
    return {
        "count": "#,##0",
        "credit": "#,##0.0",
        "rate": "0%",
        "ratio": "+0%;-0%;0%",
        "score": "0.00",
        "days": '0.0" d"',
        "hours": '0.0" h"',
    }.get(unit, "General")


# A table column's number format: Streamlit's NumberColumn takes a printf-style string ("," groups
# thousands). A table shows each value in full, not format_value's compact form, and keeps it a number, so
# that clicking a column's header sorts by value ("$9,750" below "$13,400"), not as text. Rates and ratios
# are shown as percentages: the table multiplies them by column_scale().
_COLUMN_FORMATS = {
    "count": "%,.0f",
    "credit": "%,.1f",
    "rate": "%.1f%%",
    "ratio": "%+,.0f%%",
    "score": "%.2f",
    "days": "%,.1f d",
    "hours": "%,.1f h",
    "multiple": "%,.1fx",
}


def column_format(unit: str, currency: str = "USD") -> str:
    """The number format of a table column of `unit` (see _COLUMN_FORMATS); amounts in the reporting
    currency with its symbol."""
    if unit == "currency":
        return currency_symbol(currency) + "%,.0f"
    return _COLUMN_FORMATS.get(unit, "%g")


def column_scale(unit: str) -> float:
    """What a table column's values are multiplied by before column_format shows them (percentages)."""
    return 100.0 if unit in ("rate", "ratio") else 1.0


def _m(*args, **kw) -> Metric:
    return Metric(*args, **kw)


W = "W = conversion.window_days"
METRICS: tuple[Metric, ...] = (
    # Volumes
    _m("leads", "Leads", "count", "Leads with created_at in the period.", "fragments/lead_figures", "marketing"),
    _m("mqls", "MQLs", "count", "Leads with mql_at in the period.", "fragments/lead_figures", "marketing"),
    _m(
        "sals",
        "SALs",
        "count",
        "Leads with accepted_at (sales accepted) in the period.",
        "fragments/lead_figures",
        "sales",
    ),
    _m("sqls", "SQLs", "count", "Leads with sql_at in the period.", "fragments/lead_figures", "sales"),
    _m(
        "opportunities",
        "Opportunities",
        "count",
        "Opportunities with created_at in the period.",
        "fragments/volumes",
        "sales",
    ),
    _m(
        "pipeline",
        "Pipeline",
        "currency",
        "Sum of amount over opportunities created in the period.",
        "fragments/volumes",
        "sales",
    ),
    _m(
        "won_deals",
        "Won deals",
        "count",
        "Opportunities won (is_won) with closed_at in the period.",
        "fragments/volumes",
        "sales",
    ),
    _m("bookings", "Bookings", "currency", "Sum of amount over deals won in the period.", "fragments/volumes", "sales"),
    _m(
        "lost_deals",
        "Lost deals",
        "count",
        "Opportunities closed and not won with closed_at in the period.",
        "fragments/volumes",
        "sales",
        higher_is_better=False,
    ),
    # Conversion
    _m(
        "lead_to_mql_rate",
        "Lead → MQL",
        "rate",
        f"Cohort: leads whose reached(lead) is in the period; share reaching MQL within W days ({W}).",
        "kpis",
        "marketing",
        is_cohort=True,
    ),
    _m(
        "mql_to_sql_rate",
        "MQL → SQL",
        "rate",
        "Cohort: leads whose reached(mql) is in the period; share reaching SQL (or a later stage) within W days.",
        "kpis",
        "joint",
        is_cohort=True,
    ),
    _m(
        "sql_to_opp_rate",
        "SQL → Opportunity",
        "rate",
        "Cohort: leads whose reached(sql) is in the period; share with an opportunity within W days.",
        "kpis",
        "sales",
        is_cohort=True,
    ),
    _m(
        "opp_to_won_rate",
        "Opportunity → Won",
        "rate",
        "Cohort: leads whose reached(opportunity) is in the period; share with a won deal within W days.",
        "kpis",
        "sales",
        is_cohort=True,
    ),
    _m(
        "lead_to_won_rate",
        "Lead → Won",
        "rate",
        "Cohort: leads whose reached(lead) is in the period; share with a won deal within W days.",
        "kpis",
        "joint",
        is_cohort=True,
    ),
    # Velocity
    _m(
        "median_days_lead_to_mql",
        "Days lead → MQL",
        "days",
        "Median of reached(mql) - reached(lead) in days over the lead → MQL converters of the period's cohort.",
        "fragments/lead_figures",
        "marketing",
        higher_is_better=False,
        is_cohort=True,
    ),
    _m(
        "median_days_mql_to_sql",
        "Days MQL → SQL",
        "days",
        "Median of reached(sql) - reached(mql) in days over the MQL → SQL converters of the period's cohort.",
        "fragments/lead_figures",
        "sales",
        higher_is_better=False,
        is_cohort=True,
    ),
    _m(
        "median_days_sql_to_opp",
        "Days SQL → opportunity",
        "days",
        "Median of reached(opportunity) - reached(sql) in days over the SQL → opportunity converters.",
        "fragments/lead_figures",
        "sales",
        higher_is_better=False,
        is_cohort=True,
    ),
    _m(
        "sales_cycle_days",
        "Sales cycle",
        "days",
        "Median of closed_at - created_at in days over opportunities won in the period.",
        "fragments/velocity",
        "sales",
        higher_is_better=False,
    ),
    # Deals
    _m("win_rate", "Win rate", "rate", "Won deals / (won + lost deals), both closed in the period.", "kpis", "sales"),
    _m("avg_deal_size", "Average deal size", "currency", "Bookings / won deals.", "kpis", "sales"),
    _m(
        "marketing_sourced_pipeline",
        "Marketing-sourced pipeline",
        "currency",
        "Pipeline of opportunities whose effective origin is marketing (own origin, else the lead's, else sales).",
        "fragments/deals",
        "marketing",
    ),
    _m(
        "sales_sourced_pipeline",
        "Sales-sourced pipeline",
        "currency",
        "Pipeline of opportunities whose effective origin is sales (including deals with no lead).",
        "fragments/deals",
        "sales",
    ),
    _m(
        "other_sourced_pipeline",
        "Partner/other-sourced pipeline",
        "currency",
        "Pipeline of opportunities whose effective origin is partner or other.",
        "fragments/deals",
        "joint",
    ),
    _m(
        "marketing_sourced_bookings",
        "Marketing-sourced bookings",
        "currency",
        "Bookings of deals won in the period whose effective origin is marketing.",
        "fragments/deals",
        "marketing",
    ),
    _m(
        "marketing_influenced_pipeline",
        "Marketing-influenced pipeline",
        "currency",
        "Pipeline of opportunities created in the period whose lead has a touch in [created_at - L days, "
        "created_at] (L = attribution.lookback_days). Overlaps the sourced figures; never add them.",
        "fragments/deals",
        "marketing",
    ),
    # SLA, sales' side
    _m(
        "sla_response_rate",
        "Response within SLA",
        "rate",
        "MQLs of the period due for response (mql_at + H hours <= as_of) whose first response came within "
        "H hours (H = sla.first_response_hours), over those due.",
        "kpis",
        "sales",
    ),
    _m(
        "median_response_hours",
        "Median response time",
        "hours",
        "Median of max(0, first_response_at - mql_at) in hours over the period's MQLs with a response.",
        "fragments/lead_figures",
        "sales",
        higher_is_better=False,
    ),
    _m(
        "untouched_mqls",
        "Untouched MQLs",
        "count",
        "MQLs of the period due for response with no first response at all.",
        "fragments/lead_figures",
        "sales",
        higher_is_better=False,
    ),
    _m(
        "sla_decision_rate",
        "Decision within SLA",
        "rate",
        "MQLs of the period due for a decision (mql_at + D days <= as_of) accepted or rejected within D days "
        "(D = sla.decision_days), over those due.",
        "kpis",
        "sales",
    ),
    # SLA, marketing's side
    _m(
        "acceptance_rate",
        "Acceptance rate",
        "rate",
        "Accepted / (accepted + rejected) over the period's MQLs; accepted = reached(sal) set and not after "
        "rejected_at; rejected = rejected_at set and not accepted.",
        "kpis",
        "marketing",
    ),
    _m(
        "mql_target",
        "MQL target",
        "count",
        "Sum over months of the MQL target x (days of the month in the period / days in the month); the "
        "segment's row under a segment filter, else the company-wide row, else the sum of segment rows.",
        "fragments/targets",
        "marketing",
    ),
    _m("mql_target_attainment", "MQL target attainment", "rate", "MQLs / MQL target.", "kpis", "marketing"),
    # Cost
    _m(
        "marketing_cost",
        "Marketing cost",
        "currency",
        "Cost of the campaigns in scope falling on the period's days (each campaign's cost spread evenly "
        "over its days).",
        "fragments/cost",
        "marketing",
        higher_is_better=None,
    ),
    _m(
        "cost_per_lead",
        "Cost per lead",
        "currency",
        "Marketing cost / leads of origin marketing created in the period.",
        "kpis",
        "marketing",
        higher_is_better=False,
    ),
    _m(
        "cost_per_mql",
        "Cost per MQL",
        "currency",
        "Marketing cost / MQLs.",
        "kpis",
        "marketing",
        higher_is_better=False,
    ),
    _m(
        "cost_per_opportunity",
        "Cost per opportunity",
        "currency",
        "Marketing cost / opportunities created in the period whose effective origin is marketing.",
        "kpis",
        "marketing",
        higher_is_better=False,
    ),
    _m(
        "marketing_roi",
        "Marketing ROI",
        "ratio",
        "(Marketing-sourced bookings - marketing cost) / marketing cost.",
        "kpis",
        "marketing",
    ),
    # Not in `funnel kpis`: shown on pages
    _m(
        "cohort_mature",
        "Cohort mature",
        "flag",
        "The period's last day (23:59:59) + W days <= as_of: every lead of the cohort had its full window.",
        "kpis",
        in_kpis=False,
        higher_is_better=None,
    ),
    _m(
        "median_days_opp_to_won",
        "Days opportunity → won",
        "days",
        "Median of reached(won) - reached(opportunity) in days over the opportunity → won converters.",
        "fragments/lead_figures",
        "sales",
        in_kpis=False,
        higher_is_better=False,
        is_cohort=True,
    ),
    _m(
        "flow_mqls_per_lead",
        "Flow ratio MQLs / leads",
        "rate",
        "MQLs in the period / leads in the period. A flow ratio, not a conversion rate: different people.",
        "kpis",
        in_kpis=False,
    ),
    _m(
        "flow_sqls_per_mql",
        "Flow ratio SQLs / MQLs",
        "rate",
        "SQLs in the period / MQLs in the period. A flow ratio, not a conversion rate.",
        "kpis",
        in_kpis=False,
    ),
    _m(
        "flow_opportunities_per_sql",
        "Flow ratio opportunities / SQLs",
        "rate",
        "Opportunities created in the period / SQLs in the period. A flow ratio, not a conversion rate.",
        "kpis",
        in_kpis=False,
    ),
    _m(
        "flow_won_per_opportunity",
        "Flow ratio won / opportunities",
        "rate",
        "Deals won in the period / opportunities created in the period. A flow ratio, not a conversion rate.",
        "kpis",
        in_kpis=False,
    ),
    _m(
        "funnel_leads",
        "Cohort leads",
        "count",
        "Leads whose reached(lead) is in the period.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "funnel_mqls",
        "… reached MQL",
        "count",
        "Of the cohort leads, those reaching MQL within W days.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "funnel_sals",
        "… reached SAL",
        "count",
        "Of the cohort leads, those accepted by sales within W days.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "funnel_sqls",
        "… reached SQL",
        "count",
        "Of the cohort leads, those reaching SQL within W days.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "funnel_opportunities",
        "… reached opportunity",
        "count",
        "Of the cohort leads, those with an opportunity within W days.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "funnel_won",
        "… won",
        "count",
        "Of the cohort leads, those with a won deal within W days.",
        "fragments/lead_figures",
        in_kpis=False,
        is_cohort=True,
    ),
    _m(
        "accepted_mqls",
        "Accepted MQLs",
        "count",
        "MQLs of the period that sales accepted (see acceptance rate).",
        "fragments/lead_figures",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "rejected_mqls",
        "Rejected MQLs",
        "count",
        "MQLs of the period that sales rejected and did not accept.",
        "fragments/lead_figures",
        "marketing",
        in_kpis=False,
        higher_is_better=False,
    ),
    _m(
        "lead_target",
        "Lead target",
        "count",
        "Lead targets prorated to the period (same rule as MQL target).",
        "fragments/targets",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "sql_target",
        "SQL target",
        "count",
        "SQL targets prorated to the period.",
        "fragments/targets",
        "sales",
        in_kpis=False,
    ),
    _m(
        "pipeline_target",
        "Pipeline target",
        "currency",
        "Pipeline targets prorated to the period.",
        "fragments/targets",
        "sales",
        in_kpis=False,
    ),
    _m(
        "bookings_target",
        "Bookings target",
        "currency",
        "Bookings targets prorated to the period.",
        "fragments/targets",
        "sales",
        in_kpis=False,
    ),
    # Attribution (per campaign; `funnel campaigns`)
    _m(
        "attributed_opportunities",
        "Attributed opportunities",
        "credit",
        "Sum of the campaign's credit over opportunities created in the period (credit by the chosen model "
        "over the touch path [created_at - L days, created_at]).",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "attributed_pipeline",
        "Attributed pipeline",
        "currency",
        "Sum of credit x amount over opportunities created in the period.",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "attributed_won_deals",
        "Attributed won deals",
        "credit",
        "Sum of credit over opportunities won in the period.",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "attributed_bookings",
        "Attributed bookings",
        "currency",
        "Sum of credit x amount over opportunities won in the period.",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "leads_acquired",
        "Leads acquired",
        "count",
        "Leads created in the period whose first touch ever is in the campaign.",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "cost",
        "Campaign cost",
        "currency",
        "The campaign's cost falling on the period's days.",
        "attribution",
        "marketing",
        in_kpis=False,
        higher_is_better=None,
    ),
    _m(
        "campaign_cost_per_lead",
        "Cost per acquired lead",
        "currency",
        "Campaign cost / leads acquired.",
        "attribution",
        "marketing",
        in_kpis=False,
        higher_is_better=False,
        column="cost_per_lead",
    ),
    _m(
        "roi",
        "Campaign ROI",
        "ratio",
        "(Attributed bookings - cost) / cost.",
        "attribution",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "unattributed_pipeline",
        "Unattributed pipeline",
        "currency",
        "Pipeline of opportunities with no lead or no touch in the lookback window.",
        "attribution",
        in_kpis=False,
        higher_is_better=None,
    ),
    # Scoring
    _m(
        "score_auc",
        "Score AUC",
        "score",
        "Chance that a random lead converting to SQL within W days outscores a random one that did not "
        "(ties half): 0.5 is a coin toss, 1.0 perfect.",
        "scoring",
        "marketing",
        in_kpis=False,
    ),
    _m(
        "band_rate",
        "SQL rate in band",
        "rate",
        "Leads created in the period with a score in the band that reached SQL within W days of reached(lead), "
        "over the band's leads; 95% Wilson interval.",
        "scoring",
        "marketing",
        in_kpis=False,
        column="rate",
    ),
    # Changes between two snapshots (`funnel changes`): each bucket is a count of opportunities and an
    # amount >= 0; filters use each deal's values in S1, else in S0
    *(
        _m(
            f"changes_{key}",
            label,
            "currency",
            definition,
            "changes",
            "sales",
            in_kpis=False,
            higher_is_better=better,
            column="amount",
        )
        for key, label, definition, better in (
            (
                "start",
                "Open pipeline at S0",
                "Opportunities open in S0 (the older snapshot); sum of their S0 amount.",
                None,
            ),
            ("new", "New", "Absent in S0, open in S1; sum of the S1 amount.", True),
            ("increased", "Increased", "Open in both with a larger amount in S1; sum of (S1 - S0 amount).", True),
            ("decreased", "Decreased", "Open in both with a smaller amount in S1; sum of (S0 - S1 amount).", False),
            ("won", "Won", "Open in S0, won in S1; sum of the S0 amount (what left the open pipeline).", None),
            ("lost", "Lost", "Open in S0, closed lost in S1; sum of the S0 amount.", False),
            ("reopened", "Reopened", "Won or lost in S0, open again in S1; sum of the S1 amount.", None),
            (
                "removed",
                "Removed in the CRM",
                "Open in S0, absent from S1 (deleted or merged); sum of the S0 amount.",
                False,
            ),
            (
                "end",
                "Open pipeline at S1",
                "Opportunities open in S1 (the newer snapshot); sum of their S1 amount. "
                "Always start + new + increased - decreased - won - lost + reopened - removed.",
                None,
            ),
            (
                "created_and_won",
                "Created and won between",
                "Absent in S0, won in S1; sum of the S1 amount. Beside the waterfall, outside its sum.",
                True,
            ),
            (
                "created_and_lost",
                "Created and lost between",
                "Absent in S0, lost in S1; sum of the S1 amount. Beside the waterfall, outside its sum.",
                None,
            ),
        )
    ),
    _m(
        "won_bookings",
        "Won bookings",
        "currency",
        "Of the deals open in S0 and won in S1, the sum of their S1 amount (what they were booked at).",
        "changes",
        "sales",
        in_kpis=False,
        column="closed_amount",
    ),
    # Pacing (`funnel pace`): C = the fiscal quarter (and the month) holding as_of; e = days of C elapsed
    # by as_of (a fraction), n = days in C
    *(
        _m(
            f"{m}_{part}",
            f"{label} {suffix}",
            unit if part != "pace" else "rate",
            text.format(what=what),
            "pace",
            side,
            in_kpis=False,
        )
        for m, label, unit, what, side in (
            ("mqls", "MQLs", "count", "MQLs (mql_at)", "marketing"),
            ("sqls", "SQLs", "count", "SQLs (sql_at)", "sales"),
            ("pipeline", "Pipeline", "currency", "pipeline (opportunities created)", "sales"),
            ("bookings", "Bookings", "currency", "bookings (deals won)", "sales"),
        )
        for part, suffix, text in (
            ("to_date", "to date", "The {what} counted over [start of C, as_of]."),
            ("expected_to_date", "expected to date", "target(C) x e / n: the pro-rata target for {what} by as_of."),
            ("pace", "pace", "{what} to date / expected to date: 100% is on pace."),
            ("run_rate", "run rate", "{what} to date x n / e: where C lands if the rate so far holds."),
        )
    ),
    _m(
        "pipeline_coverage",
        "Pipeline coverage",
        "multiple",
        "Open pipeline in scope at as_of / (bookings target of C - bookings to date); null when nothing is "
        "left to book.",
        "pace",
        "sales",
        in_kpis=False,
    ),
    _m(
        "projected_rate",
        "Projected rate",
        "rate",
        "An immature cohort's projected final conversion: (converted now + sum over the others of (p_final - "
        "p(age)) / (1 - p(age))) / cohort, p(x) = share of the pooled mature cohorts' leads converting within "
        "x days, p_final = p(W), age = min(W, days since reached(A)). Shown beside the observed rate.",
        "projection",
        in_kpis=False,
    ),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
KPI_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS if m.in_kpis)


def metric(key: str) -> Metric:
    return BY_KEY[key]


# Under `[sla] clock = "business"` (metrics.md "The SLA clock") the SLA figures count working time of the
# lead's business calendar: their labels and definitions say so wherever they are shown.
BUSINESS_CLOCK_METRICS: dict[str, tuple[str, str]] = {
    "sla_response_rate": (
        "Response within SLA (business hours)",
        "MQLs of the period due for response (at least H business hours between mql_at and as_of) whose "
        "first response came within H business hours (H = sla.first_response_hours; business hours = the "
        "working time of the lead's [calendar]: workdays, hours, zone, holidays), over those due.",
    ),
    "median_response_hours": (
        "Median response time (business hours)",
        "Median of the business hours between mql_at and first_response_at (0 for a response before the "
        "MQL) over the period's MQLs with a response.",
    ),
    "untouched_mqls": (
        "Untouched MQLs",
        "MQLs of the period due for response (at least H business hours old at as_of) with no first response at all.",
    ),
    "sla_decision_rate": (
        "Decision within SLA (working days)",
        "MQLs of the period due for a decision (at least D working days between mql_at and as_of) accepted or "
        "rejected within D working days (D = sla.decision_days; one working day = one workday's hours, 8 h "
        "for 09:00-17:00), over those due.",
    ),
}


def metric_for(key: str, policy=None) -> Metric:
    """The registry's metric as the policy's SLA clock states it (BUSINESS_CLOCK_METRICS)."""
    m = BY_KEY[key]
    if policy is not None and getattr(policy, "clock", "calendar") == "business" and key in BUSINESS_CLOCK_METRICS:
        label, definition = BUSINESS_CLOCK_METRICS[key]
        return Metric(m.key, label, m.unit, definition, m.query, m.side, m.in_kpis, m.higher_is_better)
    return m


def sla_units(policy) -> tuple[str, str]:
    """How H and D are spoken of: ("h", "d") on the calendar clock, ("business hours", "working days")."""
    if getattr(policy, "clock", "calendar") == "business":
        return "business hours", "working days"
    return "h", "d"


def query_summary(name: str) -> str:
    """What a query answers: its header up to the "Grain:" line, on one line."""
    # lazy: the registry (and charts and findings, which import it) stays free of DuckDB (store imports it)
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
    lines += [
        "",
        "## Under the business-hours SLA clock",
        "",
        'With `[sla] clock = "business"` in `funnel.toml` these figures count working time '
        "(see `docs/business-calendar.md`):",
        "",
        "| key | label | definition |",
        "|---|---|---|",
    ]
    for key, (label, definition) in BUSINESS_CLOCK_METRICS.items():
        lines.append(f"| `{key}` | {label} | {definition} |")
    lines += ["", "## Queries", ""]
    from dashboard.store import query_names  # lazy: as in query_summary

    for name in query_names():
        lines.append(f"- `queries/{name}.sql`: {query_summary(name)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_docs())

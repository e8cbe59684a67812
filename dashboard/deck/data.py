"""The meeting deck's data: every number a slide shows, from the Funnel API's queries (nothing of its own)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.engines import is_uri
from dashboard.errors import ArgumentError
from dashboard.filters import Filters
from dashboard.findings import scope_text
from dashboard.meetings import MeetingStore
from dashboard.metrics import BY_KEY, format_value
from dashboard.periods import Period, cohort_matures_at, fiscal_label, local_date, trailing_months
from dashboard.snapshots import previous_snapshot

# the joint scorecard: each metric sits on its registry side (marketing | sales | joint)
SCORECARD = (
    "leads",
    "mqls",
    "mql_target_attainment",
    "lead_to_mql_rate",
    "acceptance_rate",
    "marketing_sourced_pipeline",
    "marketing_cost",
    "cost_per_mql",
    "marketing_roi",
    "sqls",
    "opportunities",
    "pipeline",
    "bookings",
    "win_rate",
    "sla_response_rate",
    "sla_decision_rate",
    "median_response_hours",
    "sales_cycle_days",
    "mql_to_sql_rate",
    "lead_to_won_rate",
)
STEP_RATES = ("lead_to_mql_rate", "mql_to_sql_rate", "sql_to_opp_rate", "opp_to_won_rate")
FUNNEL_KEYS = ("funnel_leads", "funnel_mqls", "funnel_sals", "funnel_sqls", "funnel_opportunities", "funnel_won")
SLA_KEYS = ("sla_response_rate", "sla_decision_rate", "acceptance_rate", "mql_target_attainment")
TREND_METRIC = "mql_to_sql_rate"
TREND_MONTHS = 12
TOP_CAMPAIGNS = 8
TOP_CHANNELS = 8


@dataclass
class DeckData:
    """Everything the deck shows, from the same Funnel queries the pages and the CLI use."""

    period: Period
    previous: Period
    filters: Filters
    as_of: dt.datetime
    generated_at: dt.datetime
    policy: object
    current: dict  # kpi row of the period
    prior: dict  # kpi row of the previous period
    trend: pl.DataFrame  # kpi rows, one per month, oldest first, with a "label" column
    attribution: pl.DataFrame  # every model's campaign rows for the period
    scoring: pl.DataFrame
    plan: dict | None
    plan_period: Period
    plan_problem: str | None = None
    plan_target_source: str = ""
    image_problems: list[str] = field(default_factory=list)
    # the meeting record (dashboard/meetings.py): the view's chart notes, and the meetings' decisions and actions
    chart_notes: list = field(default_factory=list)
    record: object = None  # a meetings.MeetingRecord; None: no "Agreed" slides
    # what changed since the previous snapshot and where the quarter will land (collect_landing)
    changes: dict | None = None
    movers: list = field(default_factory=list)
    changes_problem: str | None = None
    pace: dict | None = None
    pace_daily: pl.DataFrame | None = None
    projection: pl.DataFrame | None = None
    learned_from: str = ""

    @property
    def currency(self) -> str:
        return self.policy.currency

    def label(self, period: Period) -> str:
        """A period's name, fiscal quarters and years by their fiscal names ("FY2027 Q1 (Feb-Apr 2026)")."""
        return fiscal_label(period, self.policy.fiscal_year_start_month)

    @property
    def model(self) -> str:
        return self.policy.model

    def fmt(self, key: str, value) -> str:
        return format_value(value, BY_KEY[key].unit, self.currency)

    def as_of_text(self) -> str:
        local = self.as_of.astimezone(self.policy.zone)
        return f"{local:%Y-%m-%d %H:%M} {self.policy.timezone}"

    def scope(self) -> str | None:
        """The filter context in the words findings end with ("in Enterprise"); None without filters."""
        return scope_text(self.filters)

    def context(self) -> str:
        return (
            f"{self.label(self.period)} vs {self.label(self.previous)} · {self.filters.describe()} · "
            f"snapshot as of {self.as_of_text()}"
        )

    def cohort_matures_on(self, period: Period) -> dt.date:
        return cohort_matures_at(period, self.policy.zone, self.policy.window_days).date()


def collect(
    funnel, period: Period | None = None, filters: Filters | None = None, generated_at: dt.datetime | None = None
) -> DeckData:
    """Run the deck's queries (the Funnel API's, nothing of its own)."""
    period = period or funnel.default_period()
    filters = filters or Filters()
    previous = period.previous()
    rows = {r["period_key"]: r for r in funnel.kpi_table([previous, period], filters).iter_rows(named=True)}
    months = trailing_months(period.end, TREND_MONTHS)
    trend = funnel.kpi_table(months, filters)
    labels = {p.key: p.label() for p in months}
    trend = trend.with_columns(pl.col("period_key").replace_strict(labels, default=None).alias("label"))
    attribution = funnel.attribution_table(period, filters, None)
    scoring = funnel.scoring_table(period, filters)
    # the reverse-funnel plan for the month after the period, or after a fiscal quarter the next fiscal
    # quarter (Funnel.plan_target: the page's rule too)
    fiscal = funnel.policy.fiscal_year_start_month
    plan_period, plan_target, target_source = funnel.plan_target(period, filters)
    plan, problem = None, None
    if plan_target is None:
        problem = (
            f"No bookings target for {fiscal_label(plan_period, fiscal)} or {fiscal_label(period, fiscal)} "
            "in the snapshot's targets: no plan to show."
        )
    else:
        plan = funnel.plan(plan_target, plan_period.start, plan_period.end, **filters.as_dict())
    return DeckData(
        period=period,
        previous=previous,
        filters=filters,
        as_of=funnel.as_of,
        generated_at=(generated_at or dt.datetime.now(dt.UTC)),
        policy=funnel.policy,
        current=rows[period.key],
        prior=rows[previous.key],
        trend=trend,
        attribution=attribution,
        scoring=scoring,
        plan=plan,
        plan_period=plan_period,
        plan_problem=problem,
        plan_target_source=target_source,
    )


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def meeting_record_of(funnel, data_root: str | Path, generated_on: dt.date | None = None):
    """The record (previous meeting's and this one's items) and chart notes of a data root, for `funnel
    export`: (None, []) when the root keeps no meetings.sqlite."""
    if is_uri(str(data_root)):
        return None, []
    store = MeetingStore.open(data_root, read_only=True)
    if not store.exists:
        return None, []
    info = funnel.store.snapshot
    single = (Path(data_root) / "snapshot.json").is_file()
    prev = None if single else previous_snapshot(info)
    on = generated_on or local_date(dt.datetime.now(dt.UTC), funnel.policy.zone)
    return store.record(info.name, prev.name if prev else None, on), store.notes()


# -- what changed since the last meeting, and where the quarter will land ----------------------------------
def collect_landing(funnel, data: DeckData) -> None:
    """The Funnel API's waterfall (this snapshot against the one before), pace of the quarter holding as_of,
    and the projected rates of the trend's maturing months, added to `data`."""
    filters = data.filters.as_dict()
    try:
        data.changes = funnel.changes(**filters)
        data.movers = funnel.change_records("moved", **filters).head(3).to_dicts()
    except ArgumentError as exc:  # the oldest (or only) snapshot: nothing to compare with
        data.changes_problem = str(exc)
    data.pace = funnel.pace(**filters)
    data.pace_daily = funnel.pace_daily(data.filters)
    months = [Period.from_key(k) for k in data.trend["period_key"].to_list()]
    data.projection = funnel.projection_table(months, data.filters)
    trailing = funnel.default_trailing()
    data.learned_from = f"{trailing.start:%b %Y} – {trailing.end:%b %Y}"

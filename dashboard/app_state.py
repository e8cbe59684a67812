"""The dashboard's state: which snapshot, period and filters are on screen, and every Streamlit cache.

All Streamlit caching lives here. One Funnel (one read-only DuckDB connection) per process and
snapshot (st.cache_resource); every query result is cached with st.cache_data, keyed by data root +
snapshot + query + parameters (Filters and Period are frozen dataclasses, so they hash by value).
A snapshot never changes once written, so results never go stale; only the list of snapshots on
disk is re-read (every minute), so a new import shows up without a restart.

The sidebar's widgets are bound to the URL (bind="query-params"): ?segment=Enterprise&period=Last+quarter
reproduces a view, and a copied link shows the other person exactly what you see.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.api import Funnel
from dashboard.engines import ENGINE_ENV, SPARK_REMOTE_ENV, is_uri
from dashboard.engines import list_snapshots as engine_snapshots
from dashboard.filters import FILTER_KEYS, Filters
from dashboard.periods import Period, last_full_quarter, year_to_date
from dashboard.findings import scope_text
from dashboard.snapshots import SnapshotInfo, list_snapshots, previous_snapshot, resolve

DATA_ENV = "FUNNEL_DATA"
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "data" / "sample"
PRESETS = ("Last full month", "Last full quarter", "Year to date", "Custom")
# the stages records_leads.sql / records_opportunities.sql accept (their allow-lists, checked here too)
LEAD_STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won", "mql_in_period", "untouched", "rejected", "scored")
OPPORTUNITY_STAGES = ("created", "won", "lost", "credited")
FILTER_LABELS = {"segment": "Segment", "region": "Region", "channel": "Channel", "origin": "Origin",
                 "campaign": "Campaign"}


def _argument(name: str) -> str | None:
    argv = sys.argv[1:]
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def data_root() -> str:
    """--data from `funnel serve` (environment), or `streamlit run app.py -- --data PATH`, or the sample.
    A URI (s3a://..., read through Spark) is kept as given."""
    data = _argument("--data") or os.environ.get(DATA_ENV) or str(DEFAULT_DATA)
    return data if is_uri(data) else str(Path(data).resolve())


def engine_settings() -> dict[str, str | None]:
    """--engine / --spark-remote, from the script args or what `funnel serve` put in the environment;
    fixed for the life of the process."""
    return {"engine": _argument("--engine") or os.environ.get(ENGINE_ENV) or "duckdb",
            "spark_remote": _argument("--spark-remote") or os.environ.get(SPARK_REMOTE_ENV) or None}


# -- the caches ---------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def funnel(data: str, snapshot: str) -> Funnel:
    """One Funnel per process and snapshot, shared by every session (the Store is thread-safe)."""
    return Funnel.open(data, snapshot, **engine_settings())


@st.cache_data(ttl=60, show_spinner=False)
def snapshots(data: str) -> list[SnapshotInfo]:
    """The snapshots under the data root, newest first (a data root that is one snapshot: just it)."""
    if is_uri(data):
        return list(reversed(engine_snapshots(data, **engine_settings())))
    root = Path(data)
    if (root / "snapshot.json").is_file():
        return [resolve(root)]
    return list(reversed(list_snapshots(root)))


@st.cache_data(show_spinner=False)
def previous_of(data: str, snapshot: str) -> str | None:
    """The snapshot before this one under the same data root (none when --data is one snapshot folder)."""
    if is_uri(data):
        names = [s.name for s in snapshots(data)]  # newest first; just one when --data is one snapshot
        at = names.index(snapshot) if snapshot in names else len(names)
        return names[at + 1] if at + 1 < len(names) else None
    if (Path(data) / "snapshot.json").is_file():
        return None
    prev = previous_snapshot(funnel(data, snapshot).store.snapshot)
    return prev.name if prev else None


@st.cache_data(show_spinner=False)
def filter_values(data: str, snapshot: str) -> dict[str, list[str]]:
    return funnel(data, snapshot).filter_values()


@st.cache_data(show_spinner=False, max_entries=512)
def kpi_table(data: str, snapshot: str, periods: tuple[Period, ...], filters: Filters,
              group_by: str = "all") -> pl.DataFrame:
    return funnel(data, snapshot).kpi_table(list(periods), filters, group_by)


@st.cache_data(show_spinner=False, max_entries=256)
def attribution_table(data: str, snapshot: str, period: Period, filters: Filters, model: str | None) -> pl.DataFrame:
    return funnel(data, snapshot).attribution_table(period, filters, model)


@st.cache_data(show_spinner=False, max_entries=256)
def scoring_table(data: str, snapshot: str, period: Period, filters: Filters) -> pl.DataFrame:
    return funnel(data, snapshot).scoring_table(period, filters)


@st.cache_data(show_spinner=False, max_entries=512)
def threshold(data: str, snapshot: str, period: Period, filters: Filters, cutoff: float) -> dict:
    return funnel(data, snapshot).threshold(period, filters, cutoff)


@st.cache_data(show_spinner=False, max_entries=256)
def plan(data: str, snapshot: str, target: float, period: Period, filters: Filters) -> dict:
    return funnel(data, snapshot).plan(target, period.start, period.end, **filters.as_dict())


@st.cache_data(show_spinner=False, max_entries=256)
def records(data: str, snapshot: str, name: str, period: Period, filters: Filters,
            extra: tuple[tuple[str, object], ...]) -> pl.DataFrame:
    return funnel(data, snapshot).records(name, period, filters, **dict(extra))


@st.cache_data(show_spinner=False)
def validation(path: str) -> dict:
    from dashboard.validate import Report, validate_snapshot  # the contract check, not imported until asked for

    if is_uri(path):  # the checks read local files; a lake's snapshot is checked where it is written
        report = Report()
        report.warn("snapshot", path, None, "not checked here", 0,
                    message="`funnel validate` reads local folders: run it on the snapshot before it is "
                            "copied to the cluster")
    else:
        report = validate_snapshot(path)
    return {"dict": report.to_dict(), "text": report.to_text()}


# -- the view on screen -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """What every page draws: one snapshot, one period (and its comparison period), one set of filters."""

    data: str
    snapshot: str
    period: Period
    filters: Filters
    preset: str

    @functools.cached_property
    def funnel(self) -> Funnel:
        # looked up once per view (per rerun), not per use: a st.cache_resource call hashes its arguments
        # (~0.3 ms), and a page that formats a cell with view.currency per campaign made thousands of them
        # (the Campaigns page at 10M leads: most of a 35 s rerun; docs/performance.md)
        return funnel(self.data, self.snapshot)

    @property
    def info(self) -> SnapshotInfo:
        return self.funnel.store.snapshot

    @property
    def policy(self):
        return self.funnel.policy

    @property
    def currency(self) -> str:
        return self.policy.currency

    @property
    def previous(self) -> Period:
        return self.period.previous()

    @property
    def scope(self) -> str | None:
        return scope_text(self.filters)

    def as_of_text(self) -> str:
        local = self.info.as_of.astimezone(self.policy.zone)
        return f"{local:%d %b %Y %H:%M} {self.policy.timezone}"

    def prefetch(self, *calls: Callable[[Funnel], object]) -> None:
        """Run a page's independent queries at once before it draws (Funnel.together: two at a time, so
        one query is planned while another runs). Their results land in the Funnel's result cache, where
        the page's cached calls below find them; a result already there costs a lookup, not a query.
        Only Funnel calls run in the threads, never Streamlit's."""
        f = self.funnel
        f.together(*(functools.partial(call, f) for call in calls))

    # cached queries on this view
    def standard_periods(self) -> tuple[Period, ...]:
        """The periods every page's KPI rows come from, in one query: the last 13 months, the comparison
        period and the period. One cached result serves the scorecard, the funnel, the trends and the SLA
        page, so moving between pages with the same filters runs no query."""
        months = self.funnel.monthly_periods(13)
        return tuple(dict.fromkeys([*months, self.previous, self.period]))

    def kpis(self, periods: list[Period] | None = None, group_by: str = "all", filters: Filters | None = None,
             snapshot: str | None = None) -> pl.DataFrame:
        return kpi_table(self.data, snapshot or self.snapshot, tuple(periods or [self.period]),
                         self.filters if filters is None else filters, group_by)

    def row(self, period: Period | None = None, snapshot: str | None = None) -> dict:
        """One period's KPI row (the period by default); from the shared query when it holds the period."""
        period = period or self.period
        if snapshot in (None, self.snapshot) and period in self.standard_periods():
            frame = self.kpis(list(self.standard_periods()))
            return frame.filter(pl.col("period_key") == period.key).row(0, named=True)
        return self.kpis([period], snapshot=snapshot).row(0, named=True)

    def monthly(self) -> pl.DataFrame:
        """The last 13 calendar months (the last one up to as_of), from the shared query."""
        keys = [p.key for p in self.funnel.monthly_periods(13)]
        frame = self.kpis(list(self.standard_periods()))
        return frame.filter(pl.col("period_key").is_in(keys)).sort("period_key")

    def attribution(self, model: str | None) -> pl.DataFrame:
        """attribution_table for one model, or all six (None); one query serves both."""
        every = attribution_table(self.data, self.snapshot, self.period, self.filters, None)
        return every if model is None else every.filter(pl.col("model") == model)

    def scoring(self) -> pl.DataFrame:
        return scoring_table(self.data, self.snapshot, self.period, self.filters)

    def threshold(self, cutoff: float) -> dict:
        return threshold(self.data, self.snapshot, self.period, self.filters, float(cutoff))

    def plan(self, target: float, period: Period) -> dict:
        return plan(self.data, self.snapshot, float(target), period, self.filters)

    def records(self, name: str, **extra) -> pl.DataFrame:
        stages = {"leads": LEAD_STAGES, "opportunities": OPPORTUNITY_STAGES}.get(name)
        if stages is not None and extra.get("stage") not in stages:
            raise ValueError(f"records_{name}: unknown stage {extra.get('stage')!r}")
        return records(self.data, self.snapshot, name, self.period, self.filters, tuple(sorted(extra.items())))


def preset_period(preset: str, f: Funnel, custom: tuple[dt.date, ...] | None = None) -> Period:
    """A sidebar preset as a Period, relative to the snapshot's as_of (never the clock)."""
    if preset == "Last full quarter":
        return last_full_quarter(f.as_of, f.policy.zone, f.policy.fiscal_year_start_month)
    if preset == "Year to date":
        return year_to_date(f.as_of, f.policy.zone, f.policy.fiscal_year_start_month)
    if preset == "Custom" and custom and len(custom) == 2 and custom[0] <= custom[1]:
        return Period(custom[0], custom[1])
    return f.default_period()


def campaign_label(campaign_id: str, names: dict[str, str]) -> str:
    name = names.get(campaign_id)
    return f"{campaign_id} · {name}" if name else campaign_id


def sidebar() -> View:
    """The global filters, in the entry page's sidebar and in the URL; returns the view they select."""
    data = data_root()
    snaps = snapshots(data)
    with st.sidebar:
        st.markdown("### Snapshot")
        names = [s.name for s in snaps]
        snapshot = st.selectbox("Snapshot", names, index=0, key="snapshot", bind="query-params",
                                help="Each snapshot is the CRM as it was at its as_of time. Newest by default.",
                                label_visibility="collapsed")
        f = funnel(data, snapshot)
        local = f.as_of.astimezone(f.policy.zone)
        st.markdown(f"**Data as of {local:%d %b %Y %H:%M} {f.policy.timezone}**")
        st.markdown("### Period")
        preset = st.radio("Period", PRESETS, index=0, key="period", bind="query-params",
                          label_visibility="collapsed")
        custom = None
        if preset == "Custom":
            default = f.default_period()
            custom = st.date_input("From – to", value=(default.start, default.end), key="dates",
                                   bind="query-params", format="YYYY-MM-DD")
        period = preset_period(preset, f, tuple(custom) if custom else None)
        st.caption(f"{period.label()} · compared with {period.previous().label()}")
        st.markdown("### Filters")
        values = filter_values(data, snapshot)
        names_by_id, campaign_labels = campaign_choices(data, snapshot)
        # the campaign widget shows "C0093 · name"; a hand-written link may give just the id (?campaign=C0093)
        raw = st.query_params.get("campaign")
        if raw in names_by_id and "campaign" not in st.session_state:
            st.session_state["campaign"] = campaign_label(raw, names_by_id)
        chosen = {}
        for key in FILTER_KEYS:
            options = values[key]
            if key == "campaign":
                options = campaign_labels
            picked = st.selectbox(FILTER_LABELS[key], options, index=None, key=key, bind="query-params",
                                  placeholder=f"All {FILTER_LABELS[key].lower()}s")
            chosen[key] = picked.split(" · ", 1)[0] if (picked and key == "campaign") else picked
        st.caption("Filters live in the URL: copy the address to share this exact view.")
    return View(data=data, snapshot=snapshot, period=period, filters=Filters.of(**chosen), preset=preset)


@st.cache_data(show_spinner=False)
def campaign_names(data: str, snapshot: str) -> dict[str, str]:
    f = funnel(data, snapshot)
    frame = f.records("campaigns", f.default_period(), Filters(), active_only=False)
    return dict(zip(frame["campaign_id"].cast(pl.Utf8).to_list(), frame["name"].to_list()))


@st.cache_resource(show_spinner=False)
def campaign_choices(data: str, snapshot: str) -> tuple[dict[str, str], list[str]]:
    """The campaign filter's names by id and its option labels, built once per process and snapshot and
    shared, not copied, by every rerun (st.cache_data would unpickle 50k labels per rerun at 10M leads).
    Callers only read them."""
    names = campaign_names(data, snapshot)
    return names, [campaign_label(c, names) for c in filter_values(data, snapshot)["campaign"]]


def current() -> View:
    """The view the sidebar selected in this run (app.py sets it before the page runs)."""
    view = st.session_state.get("_view")
    if view is None:  # a page run on its own (tests): build the sidebar here
        view = sidebar()
        st.session_state["_view"] = view
    return view


def previous_snapshot_name(view: View) -> str | None:
    return previous_of(view.data, view.snapshot)

"""The dashboard's state: which snapshot, period and filters are on screen, and every Streamlit cache.

All Streamlit caching lives here, one layer per kind of work (docs/decisions.md, "Caches"):
- the prepared facts of a snapshot: on disk, beside it (store.py), built once per snapshot identity;
- one Funnel (one read-only DuckDB connection) per process and snapshot identity (st.cache_resource),
  whose result cache (results.py) keeps every query result for every session: the functions below are
  plain calls into it, so no frame is pickled or copied per rerun;
- what is not a query result: the snapshot listing, the contract check, the campaign filter's labels.
The identity is the snapshot's prepared-facts key, so a snapshot replaced on disk (`funnel import
--replace`) is a new key and is opened anew; the list of snapshots is keyed by the data root's listing,
so a new import shows up on the next run of any page, without a restart.

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
from dashboard.errors import FunnelError
from dashboard.filters import FILTER_KEYS, Filters, policy_params
from dashboard.findings import scope_text
from dashboard.meetings import ANONYMOUS, MeetingStore
from dashboard.page_queries import page_queries, standard_periods
from dashboard.periods import (
    Period,
    fiscal_label,
    last_full_quarter,
    local_date,
    quarter_to_date,
    trailing_months,
    year_to_date,
)
from dashboard.policy import load_policy
from dashboard.resources import sample_data
from dashboard.safe_output import as_text, spool
from dashboard.snapshots import SnapshotInfo, data_root_of, previous_in, resolve, scan_root
from dashboard.store import facts_key

DATA_ENV = "FUNNEL_DATA"
DEFAULT_DATA = sample_data()  # the bundled sample (dashboard/resources.py)
PRESETS = ("Last full month", "Last full quarter", "Quarter to date", "Year to date", "Custom")
# the stages records_leads.sql / records_opportunities.sql accept (their allow-lists, checked here too)
LEAD_STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won", "mql_in_period", "untouched", "rejected", "scored")
OPPORTUNITY_STAGES = ("created", "won", "lost", "credited")
FILTER_LABELS = {
    "segment": "Segment",
    "region": "Region",
    "channel": "Channel",
    "origin": "Origin",
    "campaign": "Campaign",
}


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
    return {
        "engine": _argument("--engine") or os.environ.get(ENGINE_ENV) or "duckdb",
        "spark_remote": _argument("--spark-remote") or os.environ.get(SPARK_REMOTE_ENV) or None,
    }


# -- the caches ---------------------------------------------------------------------------------------
# A running dashboard sees new data without a restart: what is kept open, and every cached result, is
# keyed by the snapshot's identity (the key of its prepared facts, store.facts_key: its files' sizes and
# times, views.sql, the policy), never by its name alone. A snapshot replaced with `funnel import
# --replace` has the same name and a new identity, so it is opened anew and no page can mix the old
# snapshot's facts with the new one's files. The list of snapshots is keyed by the data root's listing.
def snapshot_identity(data: str, snapshot: str) -> str:
    """The snapshot's prepared-facts key (a URI's snapshots, read through Spark, by name)."""
    if is_uri(data):
        return snapshot
    info = resolve(Path(data), snapshot)
    return facts_key(info, policy_params(load_policy(data_root_of(info.path)), info.as_of))


def funnel(data: str, snapshot: str, identity: str | None = None) -> Funnel:
    """The open Funnel of this snapshot as it is on disk now (identity: when the caller knows it)."""
    return _open_funnel(data, snapshot, identity or snapshot_identity(data, snapshot))


@st.cache_resource(show_spinner=False, max_entries=32)
def _open_funnel(data: str, snapshot: str, identity: str) -> Funnel:
    """One Funnel per process and snapshot identity, shared by every session (the Store is thread-safe)."""
    return Funnel.open(data, snapshot, **engine_settings())


def _listing(data: str) -> tuple[tuple[str, int], ...]:
    """What the data root holds now: each folder's name and its snapshot.json's change time (cheap: one
    directory read), so a snapshot imported or replaced since the last run changes the key."""
    if is_uri(data):
        return ()
    root = Path(data)
    found = []
    for path in (root, *(sorted(root.iterdir()) if root.is_dir() else ())):
        try:
            found.append((path.name, (path / "snapshot.json").stat().st_mtime_ns))
        except OSError:
            continue
    return tuple(found)


def snapshots(data: str) -> list[SnapshotInfo]:
    """The snapshots under the data root, newest first, as they are on disk now."""
    return _snapshots(data, _listing(data))


@st.cache_data(ttl=60, show_spinner=False)
def _snapshots(data: str, listing: tuple[tuple[str, int], ...]) -> list[SnapshotInfo]:
    """The snapshots under the data root, newest first (a data root that is one snapshot: just it); the
    one catalogue of local roots and cluster URIs (engines.list_snapshots)."""
    return list(reversed(engine_snapshots(data, **engine_settings())))


def previous_of(data: str, snapshot: str) -> str | None:
    return _previous_of(data, snapshot, _listing(data))


@st.cache_data(show_spinner=False)
def _previous_of(data: str, snapshot: str, listing: tuple[tuple[str, int], ...]) -> str | None:
    """The snapshot before this one under the same data root (none when --data is one snapshot folder)."""
    prev = previous_in(snapshots(data), snapshot)
    return prev.name if prev else None


@st.cache_data(show_spinner=False)
def validation(path: str, identity: str = "") -> dict:
    """The contract check of the snapshot at `path` (identity: so a replaced snapshot is checked anew)."""
    # lazy: the contract check (and its DuckDB connection) is loaded only when the Data page asks for it
    from dashboard.validate import Report, validate_snapshot

    if is_uri(path):  # the checks read local files; a lake's snapshot is checked where it is written
        report = Report()
        report.warn(
            "snapshot",
            path,
            None,
            "not checked here",
            0,
            message="`funnel validate` reads local folders: run it on the snapshot before it is copied to the cluster",
        )
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
    identity: str = ""  # snapshot_identity() of the snapshot, worked out once per run by the sidebar

    @functools.cached_property
    def funnel(self) -> Funnel:
        # looked up once per view (per rerun), not per use: a st.cache_resource call hashes its arguments
        # (~0.3 ms), and a page that formats a cell with view.currency per campaign made thousands of them
        # (the Campaigns page at 10M leads: most of a 35 s rerun; docs/performance.md)
        return funnel(self.data, self.snapshot, self.identity or None)

    def identity_of(self, snapshot: str | None) -> str:
        """The identity of this view's snapshot, or of another one under the same data root."""
        if snapshot in (None, self.snapshot):
            return self.identity or snapshot_identity(self.data, self.snapshot)
        return snapshot_identity(self.data, snapshot)

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

    def label(self, period: Period | None = None) -> str:
        """A period's name, fiscal quarters and years by their fiscal names (periods.fiscal_label)."""
        return fiscal_label(period or self.period, self.policy.fiscal_year_start_month)

    @property
    def scope(self) -> str | None:
        return scope_text(self.filters)

    def as_of_text(self) -> str:
        local = self.info.as_of.astimezone(self.policy.zone)
        return f"{local:%d %b %Y %H:%M} {self.policy.timezone}"

    def prefetch_page(self, page: str, older: Funnel | None = None) -> None:
        """Run the page's declared queries (dashboard/page_queries.py) together before it draws."""
        self.prefetch(*(q.run for q in page_queries(page, self.funnel, self.period, self.filters, older)))

    def prefetch(self, *calls: Callable[[Funnel], object]) -> None:
        """Run a page's independent queries at once before it draws (Funnel.together: two at a time, so
        one query is planned while another runs). Their results land in the Funnel's result cache, where
        the page's cached calls below find them; a result already there costs a lookup, not a query.
        Only Funnel calls run in the threads, never Streamlit's."""
        f = self.funnel
        f.together(*(functools.partial(call, f) for call in calls))

    # the queries of this view: the Funnel's calls with the view's period and filters (their results are
    # kept by the Funnel's result cache, dashboard/results.py; nothing is cached here)
    def funnel_of(self, snapshot: str | None) -> Funnel:
        """This view's Funnel, or another snapshot's under the same data root as it is on disk now."""
        if snapshot in (None, self.snapshot):
            return self.funnel
        return funnel(self.data, snapshot, self.identity_of(snapshot))

    def standard_periods(self) -> tuple[Period, ...]:
        """The periods every page's KPI rows come from, in one query: the last 13 months, the comparison
        period and the period. One cached result serves the scorecard, the funnel, the trends and the SLA
        page, so moving between pages with the same filters runs no query (page_queries.standard_periods)."""
        return standard_periods(self.funnel, self.period)

    def kpis(
        self,
        periods: list[Period] | None = None,
        group_by: str = "all",
        filters: Filters | None = None,
        snapshot: str | None = None,
    ) -> pl.DataFrame:
        return self.funnel_of(snapshot).kpi_table(
            list(periods or [self.period]), self.filters if filters is None else filters, group_by
        )

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
        every = self.funnel.attribution_table(self.period, self.filters, None)
        return every if model is None else every.filter(pl.col("model") == model)

    def scoring(self) -> pl.DataFrame:
        return self.funnel.scoring_table(self.period, self.filters)

    def threshold(self, cutoff: float) -> dict:
        return self.funnel.threshold(self.period, self.filters, float(cutoff))

    def plan(self, target: float, period: Period) -> dict:
        return self.funnel.plan(float(target), period.start, period.end, **self.filters.as_dict())

    def plan_target(self, quarter: bool = False) -> tuple[Period, float | None, str]:
        """The month (or fiscal quarter) the plan is for, its default target and where that came from
        (Funnel.plan_target)."""
        return self.funnel.plan_target(self.period, self.filters, quarter)

    def pace(self) -> dict:
        return self.funnel.pace(**self.filters.as_dict())

    def pace_daily(self) -> pl.DataFrame:
        return self.funnel.pace_daily(self.filters)

    def projection(self, periods: tuple[Period, ...]) -> pl.DataFrame:
        return self.funnel.projection_table(list(periods), self.filters)

    def changes(self, from_snapshot: str) -> dict:
        """Funnel.changes from `from_snapshot` to this view's snapshot (the waterfall)."""
        return self.funnel.changes(from_snapshot, None, **self.filters.as_dict())

    def change_records(self, from_snapshot: str, bucket: str) -> pl.DataFrame:
        return self.funnel.change_records(bucket, from_snapshot, None, **self.filters.as_dict())

    def records(self, name: str, **extra) -> pl.DataFrame:
        self._record_stage_checked(name, extra)
        return self.funnel.records(name, self.period, self.filters, **extra)

    def _record_stage_checked(self, name: str, extra: dict) -> None:
        stages = {"leads": LEAD_STAGES, "opportunities": OPPORTUNITY_STAGES}.get(name)
        if stages is not None and extra.get("stage") not in stages:
            raise ValueError(f"records_{name}: unknown stage {extra.get('stage')!r}")

    def records_preview(self, name: str, limit: int, **extra) -> tuple[pl.DataFrame, int]:
        """At most `limit` of the records behind a number, and how many there are."""
        self._record_stage_checked(name, extra)
        return self.funnel.records_preview(name, self.period, self.filters, limit, **extra)

    def records_file(self, name: str, fmt: str, **extra):
        """Every record behind a number, streamed from the query into a temporary file (`fmt`: csv or
        parquet; CSV formulas neutralised): what a download button hands over when it is clicked."""
        self._record_stage_checked(name, extra)
        return spool(self.funnel.records_stream(name, self.period, self.filters, **extra), fmt)


def preset_period(preset: str, f: Funnel, custom: tuple[dt.date, ...] | None = None) -> Period:
    """A sidebar preset as a Period, relative to the snapshot's as_of (never the clock)."""
    if preset == "Last full quarter":
        return last_full_quarter(f.as_of, f.policy.zone, f.policy.fiscal_year_start_month)
    if preset == "Quarter to date":
        return quarter_to_date(f.as_of, f.policy.zone, f.policy.fiscal_year_start_month)
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
    asked = {key: st.query_params.get(key) for key in ("snapshot", *FILTER_KEYS)}  # before widgets touch the URL
    main = st.container()  # the page area above the page: where a refused snapshot's findings go
    with st.sidebar:
        st.markdown("### Snapshot")
        names = [s.name for s in snaps]
        snapshot = st.selectbox(
            "Snapshot",
            names,
            index=0,
            key="snapshot",
            bind="query-params",
            help="Each snapshot is the CRM as it was at its as_of time. Newest by default.",
            label_visibility="collapsed",
        )
        if snapshot is None:
            refuse_view(main, data, f"{data} holds no usable snapshot.")
        try:
            identity = snapshot_identity(data, snapshot)
            f = funnel(data, snapshot, identity)
        except FunnelError as exc:  # breaks the contract, or unreadable: findings instead of numbers
            refuse_view(main, data, str(exc), getattr(exc, "report", None), snapshot)
        local = f.as_of.astimezone(f.policy.zone)
        st.markdown(f"**Data as of {local:%d %b %Y %H:%M} {f.policy.timezone}**")
        st.markdown("### Period")
        preset = st.radio("Period", PRESETS, index=0, key="period", bind="query-params", label_visibility="collapsed")
        custom = None
        if preset == "Custom":
            default = f.default_period()
            custom = st.date_input(
                "From – to", value=(default.start, default.end), key="dates", bind="query-params", format="YYYY-MM-DD"
            )
        period = preset_period(preset, f, tuple(custom) if custom else None)
        fiscal = f.policy.fiscal_year_start_month  # quarters and years are fiscal: "FY2027 Q1 (Feb-Apr 2026)"
        st.caption(f"{fiscal_label(period, fiscal)} · compared with {fiscal_label(period.previous(), fiscal)}")
        st.markdown("### Filters")
        values = funnel(data, snapshot, identity).filter_values()
        names_by_id, campaign_labels = campaign_choices(data, snapshot, identity)
        # the campaign widget shows "C0093 · name"; a hand-written link may give just the id (?campaign=C0093)
        raw = st.query_params.get("campaign")
        if raw in names_by_id and "campaign" not in st.session_state:
            st.session_state["campaign"] = campaign_label(raw, names_by_id)
        chosen = {}
        for key in FILTER_KEYS:
            options = values[key]
            if key == "campaign":
                options = campaign_labels
            picked = st.selectbox(
                FILTER_LABELS[key],
                options,
                index=None,
                key=key,
                bind="query-params",
                placeholder=f"All {FILTER_LABELS[key].lower()}s",
            )
            chosen[key] = picked.split(" · ", 1)[0] if (picked and key == "campaign") else picked
        st.caption("Filters live in the URL: copy the address to share this exact view.")
    link_notice(asked, names, snapshot, values, names_by_id)
    return View(
        data=data, snapshot=snapshot, period=period, filters=Filters.of(**chosen), preset=preset, identity=identity
    )


def unknown_link_values(
    asked: dict[str, str | None],
    snapshot_names: list[str],
    snapshot: str,
    values: dict[str, list[str]],
    names_by_id: dict[str, str],
) -> list[str]:
    """What a link asked for that this data root or snapshot lacks, in words ("segment 'X'")."""
    missing = []
    if asked.get("snapshot") and asked["snapshot"] not in snapshot_names:
        missing.append(f"snapshot {asked['snapshot']!r}")
    for key in FILTER_KEYS:
        raw = asked.get(key)
        if not raw:
            continue
        known = values.get(key, [])
        if key == "campaign":  # the link may give "C0093" or the widget's "C0093 · name"
            raw_id = raw.split(" · ", 1)[0]
            if raw_id in known:
                continue
        elif raw in known:
            continue
        missing.append(f"{key} {raw!r}")
    return missing


def link_notice(
    asked: dict[str, str | None],
    snapshot_names: list[str],
    snapshot: str,
    values: dict[str, list[str]],
    names_by_id: dict[str, str],
) -> None:
    """A visible notice when the link's filter values are not in the snapshot: never a silent fallback."""
    missing = unknown_link_values(asked, snapshot_names, snapshot, values, names_by_id)
    if missing:
        st.warning(
            f"This link asks for {as_text(', '.join(missing))}, which snapshot {snapshot} does not have: "
            "the page shows the view without it. Pick a value in the sidebar, or ask for a current link.",
            icon="⚠️",
        )


def refuse_view(main, data: str, problem: str, report=None, snapshot: str | None = None) -> None:
    """Instead of numbers: why this snapshot is not used, its findings, and where to go (drawn in `main`,
    the page area). Stops the run; the sidebar's snapshot list stays, so every other snapshot is one
    click away."""
    with main:
        _refusal(data, problem, report, snapshot)
    st.stop()


def _refusal(data: str, problem: str, report, snapshot: str | None) -> None:

    st.title(f"Snapshot {snapshot} is not used" if snapshot else "No snapshot to show")
    st.error(as_text(problem), icon=":material/block:")
    if report is not None and report.errors:
        st.dataframe(
            {
                "Table": [e.table for e in report.errors],
                "Column": [e.column or "" for e in report.errors],
                "Rule": [e.rule for e in report.errors],
                "Finding": [e.message for e in report.errors],
                "Rows": [e.count for e in report.errors],
                "Examples": [", ".join(e.examples[:3]) for e in report.errors],
            },
            hide_index=True,
            width="stretch",
        )
    st.caption("Pick another snapshot in the sidebar; fix this one and import it again with --replace.")
    bad = bad_folders(data)
    if bad:
        st.caption("Folders of this data root that cannot be read as a snapshot:")
        st.dataframe(
            {"Folder": [b["name"] for b in bad], "Problem": [b["problem"] for b in bad]},
            hide_index=True,
            width="stretch",
        )


@st.cache_data(ttl=60, show_spinner=False)
def bad_folders(data: str) -> list[dict[str, str]]:
    """The dated folders of the data root that cannot be read as a snapshot, with their problem."""
    if is_uri(data) or (Path(data) / "snapshot.json").is_file():
        return []
    return [{"name": b.name, "problem": b.problem} for b in scan_root(Path(data))[1]]


@st.cache_data(show_spinner=False)
def campaign_names(data: str, snapshot: str, identity: str) -> dict[str, str]:
    f = funnel(data, snapshot, identity)
    frame = f.records("campaigns", f.default_period(), Filters(), active_only=False)
    return dict(zip(frame["campaign_id"].cast(pl.Utf8).to_list(), frame["name"].to_list()))


@st.cache_resource(show_spinner=False)
def campaign_choices(data: str, snapshot: str, identity: str) -> tuple[dict[str, str], list[str]]:
    """The campaign filter's names by id and its option labels, built once per process and snapshot and
    shared, not copied, by every rerun (st.cache_data would unpickle 50k labels per rerun at 10M leads).
    Callers only read them."""
    names = campaign_names(data, snapshot, identity)
    return names, [campaign_label(c, names) for c in funnel(data, snapshot, identity).filter_values()["campaign"]]


def current() -> View:
    """The view the sidebar selected in this run (app.py sets it before the page runs)."""
    view = st.session_state.get("_view")
    if view is None:  # a page run on its own (tests): build the sidebar here
        view = sidebar()
        st.session_state["_view"] = view
    return view


def previous_snapshot_name(view: View) -> str | None:
    return previous_of(view.data, view.snapshot)


# -- the meeting record (dashboard/meetings.py) -------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def meeting_store(data: str):
    """The data root's meetings.sqlite, one MeetingStore per process (each call opens its own connection, so
    sessions share it safely). Raises MeetingError for a root that can't keep one (a Spark URI)."""
    return MeetingStore.open(data)


def current_user() -> str:
    """Who is writing: the signed-in user's email when sign-in (st.login) is on, else "anonymous".
    Read defensively: st.user has no fields, or raises, when sign-in is not configured."""
    try:
        user = st.user
        if user.get("is_logged_in"):
            return str(user.get("email") or user.get("name") or user.get("sub") or "signed-in user")
    except Exception:  # noqa: BLE001 - no sign-in configured (or an older Streamlit): nobody is signed in
        pass
    return ANONYMOUS


def note_span(view: View) -> tuple[dt.date, dt.date]:
    """The days any snapshot's monthly charts can show: from the first of the 13 months the oldest snapshot's
    trends draw to the newest snapshot's as-of day. A note outside it would never appear on a chart."""
    snaps = snapshots(view.data)  # newest first
    zone = view.policy.zone
    first = trailing_months(local_date(snaps[-1].as_of, zone), 13)[0].start
    return first, local_date(snaps[0].as_of, zone)


def learned_from(view: View) -> str:
    """The mature cohorts a projection is learned from, in words ("Feb 2026 – Jul 2026")."""
    trailing = view.funnel.default_trailing()
    return f"{trailing.start:%b %Y} – {trailing.end:%b %Y}"

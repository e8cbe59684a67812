"""The Python API for analysts' notebooks, and the layer the CLI, the pages and the deck call.

    from dashboard import Funnel
    f = Funnel.open("data/sample")
    f.kpis("2026-09-01", "2026-09-30", segment="Enterprise")["kpis"]["mql_to_sql_rate"]

`kpis`, `campaigns`, `scoring`, `plan`, `changes` and `pace` return exactly what `funnel ... --json` prints. The
`*_table` methods return Polars frames for pages and charts. No number is computed here: each comes
from one query under queries/; this module chooses periods, binds parameters and shapes results.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import polars as pl

from dashboard.engines import list_snapshots, open_store
from dashboard.errors import ArgumentError
from dashboard.filters import FILTER_KEYS, GROUP_BY, Filters, period_params, policy_params
from dashboard.metrics import KPI_KEYS
from dashboard.periods import (
    Period,
    fiscal_label,
    last_full_month,
    local_date,
    local_midnight_us,
    month_of,
    next_fiscal_quarter,
    next_month,
    quarter_containing,
    to_us,
    trailing_fiscal_quarters,
    trailing_mature_months,
    trailing_months,
)
from dashboard.policy import ATTRIBUTION_MODELS
from dashboard.results import ResultCache
from dashboard.snapshots import resolve
from dashboard.store import Store, facts_key, query_parameters

CAMPAIGN_KEYS = (
    "attributed_opportunities",
    "attributed_pipeline",
    "attributed_won_deals",
    "attributed_bookings",
    "leads_acquired",
    "cost",
    "cost_per_lead",
    "roi",
)
# the pipeline waterfall's buckets (metrics.md "Changes between two snapshots"), those shown beside it,
# and what a drill-down may list (those, the open deals that did not move, and "moved": every deal of a flow)
CHANGE_BUCKETS = ("start", "new", "increased", "decreased", "won", "lost", "reopened", "removed", "end")
CHANGE_BESIDE = ("created_and_won", "created_and_lost")
CHANGE_RECORD_BUCKETS = CHANGE_BUCKETS + CHANGE_BESIDE + ("unchanged", "moved")
# metrics.md "Pacing and projection": the figures paced, and the steps projected
PACE_METRICS = ("mqls", "sqls", "pipeline", "bookings")
PROJECTION_STEPS = ("lead_to_mql", "mql_to_sql", "sql_to_opp", "opp_to_won", "lead_to_won")
# filter -> the query listing its allowed values
_FILTER_VALUES_QUERY = "filter_values"
# Queries run together two at a time: DuckDB binds and plans a query on one core (~40 ms for a KPI
# query) while another executes, so a page's independent queries overlap; more threads than this
# machine's two cores only queue. See Funnel.together.
QUERY_THREADS = 2


def clean(value):
    """A JSON-safe plain value: NaN/inf become None, dates become ISO strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class Funnel:
    """One snapshot, opened read-only, and the metrics over it."""

    def __init__(self, store: Store):
        self.store = store
        self.results = ResultCache()  # a snapshot never changes: a repeated question is answered once
        self._filter_values: dict[str, list[str]] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.engine: tuple[str, str | None] = (getattr(store, "engine", "duckdb"), None)
        self._siblings: dict[tuple[str, str], Funnel] = {}  # other snapshots of the root, by (name, identity)

    @classmethod
    def open(
        cls, path: Path | str, snapshot: str | None = None, engine: str = "duckdb", spark_remote: str | None = None
    ) -> Funnel:
        """`engine`: "duckdb" (in this process) or "spark" (a local Spark, or the Spark Connect server at
        `spark_remote`, e.g. "sc://host:15002"; then `path` may be a URI the cluster reads). Same numbers."""
        funnel = cls(open_store(path, snapshot, engine, spark_remote))
        funnel.engine = (engine, spark_remote)  # another snapshot of the root opens the same way
        return funnel

    def _run(self, name: str, params: dict | None = None) -> pl.DataFrame:
        """queries/<name>.sql on this snapshot, through the result cache (dashboard/results.py)."""
        params = params or {}
        bound = {k: params[k] for k in query_parameters(name) if k in params}
        return self.results.get_or_run(name, bound, lambda: self.store.run(name, params))

    def together(self, *calls: Callable[[], object]) -> list:
        """Run independent calls on this Funnel at once (a page's queries) and return their results in
        order. Each query runs on its own DuckDB cursor (Store.run is thread-safe); an error in one is
        raised here, after every call has ended."""
        if len(calls) <= 1:
            return [call() for call in calls]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=QUERY_THREADS, thread_name_prefix="funnel-query")
        futures = [self._pool.submit(call) for call in calls]
        wait(futures)
        return [future.result() for future in futures]

    # -- context ---------------------------------------------------------------------------------
    @property
    def as_of(self) -> dt.datetime:
        return self.store.snapshot.as_of

    @property
    def policy(self):
        return self.store.policy

    def default_period(self) -> Period:
        """The last full calendar month before as_of, in the reporting time zone."""
        return last_full_month(self.as_of, self.policy.zone)

    def period(self, start=None, end=None) -> Period:
        if start is None and end is None:
            return self.default_period()
        if start is None or end is None:
            raise ArgumentError("give both --from and --to, or neither (the last full month)")
        return Period.of(start, end)

    def filter_values(self) -> dict[str, list[str]]:
        """The values each filter can take in this snapshot (for validation and the sidebar)."""
        if self._filter_values is None:
            frame = self._run(_FILTER_VALUES_QUERY)
            self._filter_values = {
                key: sorted(frame.filter(pl.col("filter") == key)["value"].to_list()) for key in FILTER_KEYS
            }
        return self._filter_values

    def filters(self, **values) -> Filters:
        """Filters checked against the snapshot: an unknown segment is an error, not an empty page."""
        filters = Filters.of(**values)
        known = self.filter_values()
        for key, value in filters.active().items():
            if value not in known[key]:
                options = ", ".join(known[key][:12]) + (" ..." if len(known[key]) > 12 else "")
                raise ArgumentError(
                    f"unknown {key} {value!r} in snapshot {self.store.snapshot.name} (known: {options})"
                )
        return filters

    def params(self, periods: list[Period], filters: Filters, group_by: str = "all", **extra) -> dict:
        if group_by not in GROUP_BY:
            raise ArgumentError(f"unknown breakdown {group_by!r} (one of {', '.join(GROUP_BY)})")
        return {
            **period_params(periods, self.policy),
            **policy_params(self.policy, self.as_of),
            **filters.as_dict(),
            "group_by": group_by,
            **extra,
        }

    # -- frames for pages ------------------------------------------------------------------------
    def kpi_table(self, periods: list[Period], filters: Filters, group_by: str = "all") -> pl.DataFrame:
        """Every KPI column (queries/kpis.sql), one row per (period_key, group_key)."""
        return self._run("kpis", self.params(periods, filters, group_by))

    def monthly_periods(self, months: int = 24) -> list[Period]:
        """The last `months` calendar months up to the one holding as_of (the last may be partial)."""
        return trailing_months(local_date(self.as_of, self.policy.zone), months)

    def quarterly_periods(self, quarters: int = 5) -> list[Period]:
        """The last `quarters` fiscal quarters up to the one holding as_of (the last may be partial)."""
        return trailing_fiscal_quarters(
            local_date(self.as_of, self.policy.zone), quarters, self.policy.fiscal_year_start_month
        )

    def attribution_table(self, period: Period, filters: Filters, model: str | None = None) -> pl.DataFrame:
        if model is not None and model not in ATTRIBUTION_MODELS:
            raise ArgumentError(f"unknown model {model!r} (one of {', '.join(ATTRIBUTION_MODELS)})")
        return self._run("attribution", self.params([period], filters, model=model))

    def scoring_table(self, period: Period, filters: Filters) -> pl.DataFrame:
        return self._run("scoring", self.params([period], filters))

    def threshold(self, period: Period, filters: Filters, threshold: float) -> dict:
        row = self._run("score_threshold", self.params([period], filters, threshold=float(threshold))).row(
            0, named=True
        )
        return {k: clean(v) for k, v in row.items() if k != "period_key"}

    def records(self, name: str, period: Period, filters: Filters, **extra) -> pl.DataFrame:
        """The records behind a number (queries/records_<name>.sql)."""
        return self._run(f"records_{name}", self.params([period], filters, **extra))

    def records_stream(self, name: str, period: Period, filters: Filters, **extra):
        """The same records as an Arrow RecordBatchReader, read batch by batch (downloads). A store
        that cannot stream (Spark) hands over its frame's batches."""
        params = self.params([period], filters, **extra)
        stream = getattr(self.store, "stream", None)
        if stream is not None:
            return stream(f"records_{name}", params)
        return self.store.run(f"records_{name}", params).to_arrow().to_reader()

    def records_preview(
        self, name: str, period: Period, filters: Filters, limit: int, **extra
    ) -> tuple[pl.DataFrame, int]:
        """The first `limit` records behind a number and how many there are in all (record tables)."""
        # lazy: safe_output loads pyarrow.compute (~30 ms), which the CLI's figures never need
        from dashboard.safe_output import preview

        def run() -> tuple[pl.DataFrame, int]:
            table, total, schema = preview(self.records_stream(name, period, filters, **extra), limit)
            return (pl.from_arrow(table) if schema is not None else pl.DataFrame()), total

        query = f"records_{name}"
        params = self.params([period], filters, **extra)
        bound = {k: params[k] for k in query_parameters(query) if k in params}
        return self.results.get_or_run(f"{query}:preview", {**bound, "limit": int(limit)}, run)

    # -- the CLI's JSON ---------------------------------------------------------------------------
    def kpis(self, start=None, end=None, **filters) -> dict:
        period = self.period(start, end)
        checked = self.filters(**filters)
        row = self.kpi_table([period], checked).row(0, named=True)
        return {
            "as_of": self.store.snapshot.as_of_iso,
            "period": period.as_dict(),
            "filters": checked.as_dict(),
            "kpis": {key: clean(row[key]) for key in KPI_KEYS},
            "cohort_mature": bool(row["cohort_mature"]),
        }

    def campaigns(self, start=None, end=None, model: str | None = None, **filters) -> dict:
        period = self.period(start, end)
        model = model or self.policy.model
        table = self.attribution_table(period, self.filters(**filters), model)
        listed = table.filter(pl.col("campaign_id").is_not_null())
        totals = table.filter(pl.col("campaign_id").is_null()).row(0, named=True)
        # thousands of campaigns: made JSON-safe column-wise (NaN/inf -> None, as clean() does per
        # value), which measured 50 -> 17 ms for 4,940 campaigns against a Python loop
        floats = [k for k in CAMPAIGN_KEYS if listed.schema[k].is_float()]
        listed = listed.select("campaign_id", "name", "channel", *CAMPAIGN_KEYS).with_columns(
            pl.when(pl.col(k).is_finite()).then(pl.col(k)).otherwise(None).alias(k) for k in floats
        )
        return {
            "model": model,
            "period": period.as_dict(),
            "campaigns": listed.to_dicts(),
            "unattributed_pipeline": clean(totals["unattributed_pipeline"]),
            "unattributed_bookings": clean(totals["unattributed_bookings"]),
        }

    def scoring(self, start=None, end=None, **filters) -> dict:
        period = self.period(start, end)
        table = self.scoring_table(period, self.filters(**filters))
        return {
            "bands": [
                {"band": r["band"], "leads": r["leads"], "converted": r["converted"], "rate": clean(r["rate"])}
                for r in table.iter_rows(named=True)
            ],
            "score_auc": clean(table["score_auc"][0]) if table.height else None,
        }

    def default_trailing(self) -> Period:
        """Six calendar months ending with the newest month whose cohort is mature at as_of."""
        return trailing_mature_months(self.as_of, self.policy.zone, self.policy.window_days)

    def plan(self, target: float, start=None, end=None, trailing_start=None, trailing_end=None, **filters) -> dict:
        if target is None or not math.isfinite(float(target)) or float(target) < 0:
            raise ArgumentError(f"--target must be a bookings amount >= 0, not {target!r}")
        period = self.period(start, end)
        if trailing_start is None and trailing_end is None:
            trailing = self.default_trailing()
        elif trailing_start is None or trailing_end is None:
            raise ArgumentError("give both --trailing-from and --trailing-to, or neither")
        else:
            trailing = Period.of(trailing_start, trailing_end)
        checked = self.filters(**filters)
        rates_row = self.kpi_table([trailing], checked).row(0, named=True)
        rate_keys = (
            "avg_deal_size",
            "win_rate",
            "sql_to_opp_rate",
            "mql_to_sql_rate",
            "lead_to_mql_rate",
            "cost_per_mql",
        )
        rates = {k: clean(rates_row[k]) for k in rate_keys}
        needed = self._run("plan", {"target": float(target), **rates}).row(0, named=True)
        # by when each stage must happen for deals to close from the period's first day on:
        # work back by the steps' median durations
        lags = {
            "opportunities": rates_row["sales_cycle_days"],
            "sqls": rates_row["median_days_sql_to_opp"],
            "mqls": rates_row["median_days_mql_to_sql"],
            "leads": rates_row["median_days_lead_to_mql"],
        }
        by_when, day = {}, period.start
        for stage, lag in lags.items():
            if lag is None or day is None:
                by_when[stage], day = None, None
                continue
            day = day - dt.timedelta(days=math.ceil(lag))
            by_when[stage] = day.isoformat()
        # a date on or before the snapshot's local day asked for something already past at as_of
        today = local_date(self.as_of, self.policy.zone)
        already_past = [stage for stage, when in by_when.items() if when and dt.date.fromisoformat(when) <= today]
        return {
            "as_of": self.store.snapshot.as_of_iso,
            "target": float(target),
            "period": period.as_dict(),
            "trailing": trailing.as_dict(),
            "trailing_cohort_mature": bool(rates_row["cohort_mature"]),
            "filters": checked.as_dict(),
            "rates": rates,
            "needed": {k: clean(v) for k, v in needed.items()},
            "lag_days": {k: clean(v) for k, v in lags.items()},
            "by_when": by_when,
            "already_past": already_past,
        }

    def plan_target(
        self, period: Period, filters: Filters, quarter: bool | None = None
    ) -> tuple[Period, float | None, str]:
        """The plan the page and the deck show for a period: the month after it (`quarter`: the fiscal
        quarter after it; by default when the period is a fiscal quarter), against that period's bookings
        target (a quarter's is its months' sum); targets are often entered late, so without one the
        period's own target stands in. Returns (the planned period, the target or None when neither has
        one, where it came from)."""
        fiscal = self.policy.fiscal_year_start_month
        if quarter is None:
            quarter = period == quarter_containing(period.start, fiscal)
        planned = next_fiscal_quarter(period, fiscal) if quarter else next_month(period)
        rows = {r["period_key"]: r for r in self.kpi_table([period, planned], filters).iter_rows(named=True)}
        name = lambda p: fiscal_label(p, fiscal)  # noqa: E731
        for source in (planned, period):
            target = rows[source.key]["bookings_target"]
            if isinstance(target, (int, float)) and math.isfinite(target) and target > 0:
                note = "" if source == planned else f" (none is set for {name(planned)} yet)"
                return planned, float(target), f"{name(source)} bookings target{note}"
        return planned, None, f"no bookings target for {name(planned)} or {name(period)}"

    # -- changes between two snapshots (the pipeline waterfall) -----------------------------------
    def snapshot_names(self) -> list[str]:
        """The snapshots of this Funnel's data root, oldest first."""
        engine, remote = self.engine
        return [s.name for s in list_snapshots(str(self.store.snapshot.path.parent), engine, remote)]

    def sibling(self, name: str) -> Funnel:
        """Another snapshot of the same data root, opened on the same engine and kept with this one."""
        if name == self.store.snapshot.name:
            return self
        # kept by the snapshot's identity, not its name: one replaced on disk (`import --replace`) is opened
        # anew, so a waterfall never mixes the old snapshot's facts with the new one's files
        key = (name, self._identity_of(name))
        with self._pool_lock:
            found = self._siblings.get(key)
        if found is None:
            engine, remote = self.engine
            found = Funnel(open_store(str(self.store.snapshot.path.parent), name, engine, remote))
            found.engine = self.engine
            with self._pool_lock:
                found = self._siblings.setdefault(key, found)
        return found

    def _identity_of(self, name: str) -> str:
        """A snapshot's prepared-facts key (store.facts_key); a cluster's snapshot (Spark) is known by name."""
        if self.engine[0] != "duckdb":
            return name
        info = resolve(self.store.snapshot.path.parent, name)
        return facts_key(info, policy_params(self.policy, info.as_of))

    def change_snapshots(self, from_snapshot: str | None = None, to_snapshot: str | None = None):
        """(S0, S1) as Funnels: by default this Funnel's snapshot and the one taken before it."""
        names = self.snapshot_names()
        for flag, name in (("--from-snapshot", from_snapshot), ("--to-snapshot", to_snapshot)):
            if name is not None and name not in names:
                raise ArgumentError(f"{flag} {name}: no such snapshot (have: {', '.join(names)})")
        after = self.sibling(to_snapshot) if to_snapshot else self
        if from_snapshot is None:
            earlier = names[: names.index(after.store.snapshot.name)]
            if not earlier:
                raise ArgumentError(
                    f"no snapshot before {after.store.snapshot.name} to compare it with "
                    f"(have: {', '.join(names)}); give --from-snapshot"
                )
            from_snapshot = earlier[-1]
        before = self.sibling(from_snapshot)
        if before.as_of >= after.as_of:
            raise ArgumentError(
                f"--from-snapshot {from_snapshot} must be older than --to-snapshot {after.store.snapshot.name}"
            )
        return before, after

    def _states(self, filters: Filters) -> pl.DataFrame:
        """queries/opportunity_states.sql on this snapshot (its period lists are bound, never read)."""
        day = local_date(self.as_of, self.policy.zone)
        return self._run("opportunity_states", self.params([Period(day, day)], filters))

    def _changes(self, name: str, from_snapshot, to_snapshot, filters: dict, **extra):
        before, after = self.change_snapshots(from_snapshot, to_snapshot)
        checked = Filters.of(**filters)
        for key, value in checked.active().items():
            # a value of either snapshot: a segment gone since S0 still names S0's deals
            if value not in after.filter_values()[key] and value not in before.filter_values()[key]:
                after.filters(**{key: value})  # raises the usual "unknown ... (known: ...)" error
        previous, current = self.together(lambda: before._states(checked), lambda: after._states(checked))
        inputs = {"previous_states": previous, "current_states": current}
        # the older snapshot's identity keys the result too: a replaced S0 is a different question
        bound = {
            "from_snapshot": before.store.snapshot.name,
            "from_identity": self._identity_of(before.store.snapshot.name),
            **checked.as_dict(),
            **extra,
        }
        frame = after.results.get_or_run(name, bound, lambda: after.store.run_with(name, extra, inputs))
        return before, after, checked, frame

    def change_table(self, from_snapshot=None, to_snapshot=None, **filters) -> pl.DataFrame:
        """The waterfall (queries/changes.sql): one row per bucket: opportunities, amount, closed_amount."""
        return self._changes("changes", from_snapshot, to_snapshot, filters)[3]

    def change_records(self, bucket: str, from_snapshot=None, to_snapshot=None, **filters) -> pl.DataFrame:
        """One bucket's opportunities with both snapshots' state, stage and amount (records_changes.sql)."""
        if bucket not in CHANGE_RECORD_BUCKETS:
            raise ArgumentError(f"unknown bucket {bucket!r} (one of {', '.join(CHANGE_RECORD_BUCKETS)})")
        return self._changes("records_changes", from_snapshot, to_snapshot, filters, bucket=bucket)[3]

    def changes(self, from_snapshot=None, to_snapshot=None, **filters) -> dict:
        """What `funnel changes --json` prints (metrics.md "Machine-readable output")."""
        before, after, checked, table = self._changes("changes", from_snapshot, to_snapshot, filters)
        rows = {r["bucket"]: r for r in table.iter_rows(named=True)}

        def bucket(key):
            return {"count": int(rows[key]["opportunities"]), "amount": clean(float(rows[key]["amount"]))}

        return {
            "from_snapshot": before.store.snapshot.name,
            "to_snapshot": after.store.snapshot.name,
            "from_as_of": before.store.snapshot.as_of_iso,
            "to_as_of": after.store.snapshot.as_of_iso,
            "currency": after.policy.currency,
            "filters": checked.as_dict(),
            "buckets": {key: bucket(key) for key in CHANGE_BUCKETS},
            "won_bookings": clean(float(rows["won"]["closed_amount"])),
            "created_and_won": bucket("created_and_won"),
            "created_and_lost": bucket("created_and_lost"),
        }

    # -- pacing and projection (where will this period land?) ------------------------------------
    def current_periods(self) -> dict[str, Period]:
        """C: the fiscal quarter and the calendar month holding as_of (reporting time zone)."""
        today = local_date(self.as_of, self.policy.zone)
        return {"quarter": quarter_containing(today, self.policy.fiscal_year_start_month), "month": month_of(today)}

    def pace_table(self, filters: Filters, periods: list[Period] | None = None) -> pl.DataFrame:
        """queries/pace.sql: one row per period, each counted over [its first day, as_of]."""
        periods = periods or list(self.current_periods().values())
        as_of_us = to_us(self.as_of)
        params = self.params(periods, filters)
        # counted up to as_of itself; the targets stay the periods' whole days (first_day .. last_day)
        params["period_end_us"] = [as_of_us + 1 for _ in periods]
        params["span_end_us"] = as_of_us + 1
        return self._run("pace", params)

    def pace(self, **filters) -> dict:
        """What `funnel pace --json` prints: the quarter and the month holding as_of, on pace or not."""
        checked = self.filters(**filters)
        current = self.current_periods()
        rows = {r["period_key"]: r for r in self.pace_table(checked, list(current.values())).iter_rows(named=True)}
        result = {
            "as_of": self.store.snapshot.as_of_iso,
            "currency": self.policy.currency,
            "filters": checked.as_dict(),
        }
        for name, period in current.items():
            row = rows[period.key]
            figures = {
                f"{m}_{part}": clean(row[f"{m}_{part}"])
                for m in PACE_METRICS
                for part in ("to_date", "expected_to_date", "pace", "run_rate", "target")
            }
            # how many of C's months have a target: a target of fewer months than C has understates it
            figures.update({f"{m}_target_months": int(row[f"{m}_target_months"]) for m in PACE_METRICS})
            result[name] = {
                "period": period.as_dict(),
                "label": fiscal_label(period, self.policy.fiscal_year_start_month),
                "elapsed_days": clean(row["elapsed_days"]),
                "days": int(row["period_days"]),
                "months": int(row["period_months"]),
                **figures,
                "open_pipeline": clean(row["open_pipeline"]),
                "pipeline_coverage": clean(row["pipeline_coverage"]),
            }
        return result

    def pace_daily(self, filters: Filters, period: Period | None = None) -> pl.DataFrame:
        """The cumulative count of each paced figure by day of the period up to as_of (the chart of
        bookings and MQLs against the target line): pace.sql once per day, each "to date" that day's end."""
        period = period or self.current_periods()["quarter"]
        today = min(local_date(self.as_of, self.policy.zone), period.end)
        days = [
            Period(period.start, period.start + dt.timedelta(days=i)) for i in range((today - period.start).days + 1)
        ]
        zone = self.policy.zone
        params = self.params(days, filters)
        as_of_us = to_us(self.as_of)
        # each day counts to the end of that day (as_of on the last); targets stay the whole period's
        params["period_end_us"] = [
            min(local_midnight_us(d.end + dt.timedelta(days=1), zone), as_of_us + 1) for d in days
        ]
        params["period_last_day"] = [period.end for _ in days]
        params["span_end_us"] = max(params["period_end_us"])
        return self._run("pace", params)

    def projection_table(self, periods: list[Period], filters: Filters, trailing: Period | None = None) -> pl.DataFrame:
        """queries/projection.sql: each immature period's projected final rate per step, learned from the
        pooled mature cohorts of `trailing` (default: the plan's six mature months)."""
        trailing = trailing or self.default_trailing()
        zone = self.policy.zone
        params = self.params(periods, filters)
        params["trailing_start_us"] = local_midnight_us(trailing.start, zone)
        params["trailing_end_us"] = local_midnight_us(trailing.end + dt.timedelta(days=1), zone)
        params["span_start_us"] = min(params["span_start_us"], params["trailing_start_us"])
        params["span_end_us"] = max(params["span_end_us"], params["trailing_end_us"])
        return self._run("projection", params)

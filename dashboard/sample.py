"""`funnel sample`: a deterministic, believable B2B funnel written as Parquet snapshots.

One world is simulated once and written as K month-end snapshots, each holding only what was known at
its as_of: later leads, touches and opportunities are absent; later stage timestamps are null; deals
that close later are still open there. Same arguments, same bytes: no wall clock, fixed writer settings,
deterministic row order.

The parts live in dashboard/sampling/ (the cast, the plan, one chunk's simulation, the snapshot tables);
this module writes the snapshots and is the command.

Scale: leads are simulated in chunks of CHUNK_LEADS in created_at order (lead numbers follow creation
time, like a CRM's auto-number). Each chunk has its own random stream, seeded from (seed, chunk index),
and depends on no other chunk, so chunks could be simulated in any order. Leads and touches are streamed
to their files chunk by chunk; opportunities (a few percent of leads) are kept and sorted at the end.
Row order: leads and opportunities by created_at (ids follow it), campaigns by start_date, touches by
(lead_id, touched_at, touch_id). That touch order is the one that streams (a chunk is a range of lead ids,
so no global sort of ~5 touches per lead is needed), it keeps each lead's path contiguous, which is how
attribution reads touches, and row-group min/max statistics on lead_id let a reader skip row groups.

The stories the data carries (a monthly meeting argues about each):
- growth, a summer dip and a Q4 push in lead volume; deals pulled into quarter ends;
- the trade show SaaS Connect: many leads, few SQLs; the Pipeline Clinic webinar series: fewer, better;
- a lead score that predicts conversion imperfectly; students doing research (engaged, decent score,
  Education / tiny companies, rejected as "student");
- the month SLIPPED_MONTHS_BEFORE_AS_OF months before the newest as_of, when sales follow-up slipped
  past the 24 h SLA; one rep (BAD_REP) who leaves most of his MQLs untouched and undecided;
- rejected, recycled, rejected-then-accepted and accepted-then-rejected leads; skipped stages;
  responses logged before mql_at; several opportunities for one lead; deals with no lead.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract import TABLE_ORDER, TABLES, TARGET_METRICS
from dashboard.errors import UsageError
from dashboard.policy import Policy
from dashboard.sampling import simulate
from dashboard.sampling.cast import BAD_REP, SEGMENTS, _month_end_instants, _us
from dashboard.sampling.plan import Plan
from dashboard.sampling.simulate import _month_segment_counts
from dashboard.sampling.tables import campaigns_table, leads_table, opportunities_table, targets_table, touches_table
from dashboard.snapshots import SnapshotError, atomic_snapshot_dir, format_instant, parse_instant, read_info

# the names callers (tests, the bench) use from here; the world itself is simulated in dashboard/sampling/
__all__ = [
    "BAD_REP",
    "DEFAULT_AS_OF",
    "ROW_GROUP_ROWS",
    "Plan",
    "generate",
    "parse_instant",
    "simulate_chunk",
]

DEFAULT_LEADS = 20_000
DEFAULT_SEED = 7
DEFAULT_MONTHS = 24
DEFAULT_SNAPSHOTS = 2
DEFAULT_AS_OF = "2026-10-31T23:59:59Z"
CHUNK_LEADS = 500_000  # part of the output's definition: changing it changes the random streams
ROW_GROUP_ROWS = 1_000_000
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "write_statistics": True}


# ---------------------------------------------------------------------------------------------------
# Writing

DICTIONARY_COLUMNS = {
    "leads": ["origin", "channel", "segment", "region", "industry", "owner_id", "rejection_reason"],
    "opportunities": ["origin", "segment", "region", "owner_id", "stage"],
    "campaigns": ["channel", "segment", "owner"],
    "touches": ["campaign_id", "touch_type"],
    "targets": ["metric", "segment"],
}


class _Writer:
    """A Parquet file written in row groups of exactly ROW_GROUP_ROWS rows (the last one smaller)."""

    def __init__(self, path: Path, table: str):
        self.writer = pq.ParquetWriter(
            path, TABLES[table].arrow_schema, use_dictionary=DICTIONARY_COLUMNS[table], **PARQUET_OPTIONS
        )
        self.pending: list[pa.Table] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.pending.append(table)
            self.rows += table.num_rows
        if self.rows >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self.pending:
            return
        data = pa.concat_tables(self.pending)
        offset = 0
        while data.num_rows - offset >= ROW_GROUP_ROWS or (final and offset < data.num_rows):
            part = data.slice(offset, ROW_GROUP_ROWS)
            self.writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
            offset += part.num_rows
        rest = data.slice(offset)
        self.pending = [rest] if rest.num_rows else []
        self.rows = rest.num_rows

    def close(self) -> None:
        self._flush(final=True)
        self.writer.close()


def simulate_chunk(plan: Plan, index: int):
    """Chunk `index` of the world, CHUNK_LEADS leads wide (dashboard/sampling/simulate.py)."""
    return simulate.simulate_chunk(plan, index, CHUNK_LEADS)


def funnel_toml() -> str:
    """The contract's default policy, every key, with what it means."""
    p = Policy()

    def v(x):
        if isinstance(x, str):
            return json.dumps(x)
        return str(int(x)) if float(x).is_integer() else repr(float(x))

    return f"""\
# Policy both teams agreed on (these are the data contract's defaults). Every number on the dashboard
# is computed with these; change one here and it changes everywhere, for every snapshot in this folder.

[reporting]
timezone = {v(p.timezone)}              # months, days and --from/--to dates are read in this zone
currency = {v(p.currency)}              # the one reporting currency of amounts and costs

[sla]
first_response_hours = {v(p.first_response_hours)}     # sales: first human response within this many hours of mql_at
decision_days = {v(p.decision_days)}             # sales: accept or reject within this many days of mql_at
min_acceptance_rate = {v(p.min_acceptance_rate)}     # marketing: share of decided MQLs that sales accepts

[conversion]
window_days = {v(p.window_days)}              # a cohort counts a conversion only if it happens within this window

[attribution]
model = {v(p.model)}            # first_touch | last_touch | linear | u_shaped | w_shaped | time_decay
lookback_days = {v(p.lookback_days)}           # touches up to this many days before an opportunity count
half_life_days = {v(p.half_life_days)}            # time_decay only: a touch this many days older gets half the credit
"""


def generate(
    out: Path | str,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    months: int = DEFAULT_MONTHS,
    snapshots: int = DEFAULT_SNAPSHOTS,
    as_of: str | dt.datetime = DEFAULT_AS_OF,
    replace: bool = False,
) -> list[Path]:
    """Write the sample world as `snapshots` month-end snapshots under `out`; return their folders."""
    if isinstance(as_of, str):
        as_of = parse_instant(as_of)
    if leads < 1 or months < 1 or snapshots < 1:
        raise ValueError("--leads, --months and --snapshots must be at least 1")
    if snapshots > months:
        raise ValueError(f"--snapshots {snapshots} needs at least as many --months (got {months})")
    out = Path(out)
    plan = Plan(leads, seed, months, as_of)
    instants = _month_end_instants(as_of, snapshots)
    cuts = [_us(i) for i in instants]
    source = f"funnel sample --leads {leads} --seed {seed} --months {months} (as of {format_instant(as_of)})"
    with contextlib.ExitStack() as stack:
        folders = [stack.enter_context(atomic_snapshot_dir(out, i, source, replace=replace)) for i in instants]
        # ExitStack closes in reverse: the newest snapshot is renamed into place first
        writers = {}
        for k, folder in enumerate(folders):
            for name in ("leads", "touches"):
                writers[k, name] = _Writer(folder / f"{name}.parquet", name)
        opp_parts = []
        actual = {m: np.zeros((months, len(SEGMENTS))) for m in TARGET_METRICS}
        for index in range(math.ceil(leads / CHUNK_LEADS)):
            chunk = simulate_chunk(plan, index)
            for k, cut in enumerate(cuts):
                writers[k, "leads"].write(leads_table(plan, chunk.leads, cut))
                writers[k, "touches"].write(touches_table(plan, chunk.touches, cut))
            opp_parts.append(chunk.opps)
            for metric, counts in chunk.counts.items():
                actual[metric] += counts
            del chunk
        for w in writers.values():
            w.close()
        opps = {key: np.concatenate([p[key] for p in opp_parts]) for key in opp_parts[0]}
        order = np.lexsort((opps["key"], opps["created"]))
        opps = {key: v[order] for key, v in opps.items()}
        opps["number"] = np.arange(1, len(order) + 1, dtype=np.int64)  # CRM auto-number, in creation order
        plan.opp_width = max(7, len(str(len(order))))
        flow = opps["created"] <= plan.end_us
        actual["opportunities"] += _month_segment_counts(plan, opps["created"][flow], opps["segment"][flow])
        actual["pipeline"] += _month_segment_counts(
            plan, opps["created"][flow], opps["segment"][flow], weights=opps["amount"][flow]
        )
        booked = opps["won"] & (opps["closed"] <= plan.end_us)
        actual["bookings"] += _month_segment_counts(
            plan, opps["closed"][booked], opps["segment"][booked], weights=opps["amount"][booked]
        )
        targets = targets_table(plan, actual)
        for folder, cut in zip(folders, cuts):
            for name, table in (
                ("opportunities", opportunities_table(plan, opps, cut)),
                ("campaigns", campaigns_table(plan, cut)),
                ("targets", targets),
            ):
                writer = _Writer(folder / f"{name}.parquet", name)
                writer.write(table)
                writer.close()
    toml = out / "funnel.toml"
    if not toml.exists():
        toml.write_text(funnel_toml(), encoding="utf-8")
    return [out / i.date().isoformat() for i in instants]


# ---------------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="data root to write the snapshots (and funnel.toml) into")
    parser.add_argument(
        "--leads", type=int, default=DEFAULT_LEADS, help=f"leads in the world (default {DEFAULT_LEADS:,})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--months",
        type=int,
        default=DEFAULT_MONTHS,
        help=f"months of history up to the newest as_of (default {DEFAULT_MONTHS})",
    )
    parser.add_argument(
        "--snapshots",
        type=int,
        default=DEFAULT_SNAPSHOTS,
        help=f"month-end snapshots to write, newest at --as-of (default {DEFAULT_SNAPSHOTS})",
    )
    parser.add_argument(
        "--as-of", default=DEFAULT_AS_OF, help=f"the newest snapshot's as_of, ISO-8601 (default {DEFAULT_AS_OF})"
    )
    parser.add_argument("--replace", action="store_true", help="swap out existing snapshots of the same dates")


def run(args: argparse.Namespace) -> int:
    try:
        as_of = parse_instant(args.as_of)
    except ValueError:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO-8601 date or timestamp") from None
    for name in ("leads", "months", "snapshots"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1, not {getattr(args, name)}")
    if args.snapshots > args.months:
        raise UsageError(f"--snapshots {args.snapshots} needs at least as many --months (got {args.months})")
    try:
        folders = generate(args.out, args.leads, args.seed, args.months, args.snapshots, as_of, args.replace)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    for folder in folders:
        info = read_info(folder)
        rows = ", ".join(f"{n} {info.rows.get(n, 0):,}" for n in TABLE_ORDER)
        print(f"{folder}  as of {info.as_of_iso}: {rows}")
    return 0

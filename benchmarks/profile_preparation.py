"""Where the one-time preparation's time goes: each statement of queries/facts/views.sql, timed on its own.

    python benchmarks/profile_preparation.py bench-out/data/10000000 [--lead-facts]

It prepares the snapshot's facts into a throwaway DuckDB file in the system's temporary folder, under
the same memory limit as `Funnel.open` (store.PREPARE_MEMORY_LIMIT), statement by statement, and prints
the wall time of each. With --lead-facts it also builds `lead_facts` four ways to split its time: the
first touches alone, the whole table unsorted and sorted into a temporary (in-memory) table, and sorted
into the file. The prepared-facts cache beside the data is neither read nor written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.filters import policy_params  # noqa: E402
from dashboard.policy import load_policy  # noqa: E402
from dashboard.snapshots import data_root_of, resolve  # noqa: E402
from dashboard.store import (  # noqa: E402
    PREPARE_MEMORY_LIMIT,
    _connect,
    _register_snapshot,
    sql_parameters,
    view_statements,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--snapshot")
    parser.add_argument("--lead-facts", action="store_true", help="also split lead_facts' time")
    args = parser.parse_args(argv)
    info = resolve(Path(args.data), args.snapshot)
    view_params = policy_params(load_policy(data_root_of(info.path)), info.as_of)
    folder = tempfile.mkdtemp(prefix="funnel-prepare-")
    con = _connect(str(Path(folder) / "facts.duckdb"))
    con.execute("SET memory_limit = $limit", {"limit": PREPARE_MEMORY_LIMIT})
    _register_snapshot(con, info)

    def run(sql: str) -> float:
        started = time.perf_counter()
        con.execute(sql, {k: view_params[k] for k in sql_parameters(sql)})
        return time.perf_counter() - started

    statements = view_statements()
    total = 0.0
    try:
        for statement in statements:
            seconds = run(statement)
            total += seconds
            first = next(line for line in statement.splitlines() if line.strip() and not line.lstrip().startswith("--"))
            print(f"{seconds:8.2f} s  {first.strip()[:80]}")
        total += run("checkpoint")
        size = (Path(folder) / "facts.duckdb").stat().st_size
        print(f"{total:8.2f} s  in all; file {size / 2**20:,.0f} MB")
        if args.lead_facts:
            lead_facts = next(s for s in statements if "table lead_facts" in s)
            body = lead_facts[lead_facts.index("with ") :]
            first_touches = body[: body.index("stage_times as (")].rstrip().rstrip(",")
            print("lead_facts, split:")
            for label, sql in (
                ("the first touches alone", f"create temp table t1 as {first_touches}\nselect * from first_touches"),
                ("unsorted, into memory", "create temp table t2 as " + body.replace("order by latest_us", "")),
                ("sorted, into memory", "create temp table t3 as " + body),
                ("sorted, into the file", "create table t4 as " + body),
            ):
                print(f"{run(sql):8.2f} s  {label}")
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

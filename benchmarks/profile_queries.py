"""Where the time goes inside the pages' queries: DuckDB's own profile, operator by operator.

    python benchmarks/profile_queries.py bench-out/data/1000000 [--filter segment=Enterprise] [--top 12]

For each query the pages run (see dashboard/bench.py page_steps), it prints the wall time (median of a few
runs, profiling off), DuckDB's planning time, the query's peak buffer memory, and the operators that took
the most time with their row counts, from `PRAGMA enable_profiling='json'` (detailed mode). Profiling adds
overhead, so the operator times are for ranking, not for quoting; the wall times are quoted.

It reads a Store's connection (`funnel.store._con`): a measuring tool, not part of the app.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.api import Funnel  # noqa: E402
from dashboard.filters import Filters  # noqa: E402
from dashboard.store import query_parameters, query_text  # noqa: E402


def query_cases(funnel: Funnel, filters: Filters) -> list[tuple[str, str, dict]]:
    """(label, query name, bound parameters) for each distinct query the pages run."""
    period = funnel.default_period()
    months = funnel.monthly_periods(24)

    def bound(name, periods, group_by="all", **extra):
        params = funnel.params(periods, filters, group_by, **extra)
        return {k: params[k] for k in query_parameters(name)}

    # what the app itself runs (dashboard/app_state.py): one shared query for the last 13 months, the
    # comparison period and the period, serving the Overview, Funnel and SLA pages
    shared = list(dict.fromkeys([*funnel.monthly_periods(13), period.previous(), period]))
    return [
        ("kpis: the app's shared query (13 months + previous + period)", "kpis", bound("kpis", shared)),
        ("kpis: one period by campaign (app's Campaigns page)", "kpis", bound("kpis", [period], "campaign")),
        ("kpis: one period", "kpis", bound("kpis", [period])),
        ("kpis: period + previous period", "kpis", bound("kpis", [period, period.previous()])),
        ("kpis: 24 monthly periods", "kpis", bound("kpis", months)),
        ("kpis: one period by owner", "kpis", bound("kpis", [period], "owner")),
        ("attribution: six models", "attribution", bound("attribution", [period], model=None)),
        ("attribution: linear", "attribution", bound("attribution", [period], model="linear")),
        ("scoring", "scoring", bound("scoring", [period])),
        ("score_threshold", "score_threshold", bound("score_threshold", [period], threshold=50.0)),
    ]


def _walk(node: dict, out: list, path: str = "") -> None:
    """Flatten the operator tree; each operator is labelled with the CTE whose definition it belongs to
    (a CTE operator's first child defines the CTE, the second is the rest of the query)."""
    extra = node.get("extra_info") or {}
    name = node.get("type", "?")
    cte = extra.get("CTE Name") if isinstance(extra, dict) else None
    out.append(
        {
            "operator": name,
            "cte": cte or path,
            "seconds": node.get("timing", 0.0) or 0.0,
            "rows": node.get("intermediate_rows", 0),
            "extra": extra,
        }
    )
    for i, child in enumerate(node.get("children", [])):
        _walk(child, out, cte if cte and i == 0 else path)


def profile(con, sql: str, params: dict, runs: int = 5) -> dict:
    con.execute(sql, params).fetchall()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql, params).fetchall()
        times.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.json"
        con.execute("pragma enable_profiling='json'")
        con.execute("set profiling_mode='detailed'")
        con.execute(f"set profiling_output='{out}'")  # a temp path we made, not user input
        try:
            con.execute(sql, params).fetchall()
        finally:
            con.execute("pragma disable_profiling")
        doc = json.loads(out.read_text())
    ops: list[dict] = []
    for root in doc.get("operator", []) if isinstance(doc.get("operator"), list) else [doc.get("operator", {})]:
        _walk(root, ops)
    return {
        "wall_ms": statistics.median(times) * 1000,
        "planning_ms": 1000
        * sum((doc.get(k) or {}).get("total_time", 0) for k in ("planner", "optimizer", "physical_planner")),
        "profiled_ms": 1000 * (doc.get("query") or {}).get("total_time", 0),
        "cpu_ms": 1000 * (doc.get("query") or {}).get("cpu_time", 0),
        "peak_buffer_mb": (doc.get("system") or {}).get("peak_buffer_memory", 0) / 2**20,
        "operators": sorted(ops, key=lambda o: -o["seconds"]),
    }


def _describe(extra: dict) -> str:
    if not isinstance(extra, dict):
        return ""
    for key in ("Condition", "Conditions", "Groups", "Table", "Function", "Partition By"):
        if key in extra:
            value = extra[key]
            return f"{key}: {value if isinstance(value, str) else ', '.join(map(str, value))}"[:110]
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--filter", action="append", default=[], help="key=value, e.g. segment=Enterprise")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--only", help="profile only the queries whose label contains this")
    parser.add_argument("--json", help="also write the profiles (without operator detail) here")
    args = parser.parse_args(argv)
    filters = Filters.of(**dict(f.split("=", 1) for f in args.filter))
    funnel = Funnel.open(args.data)
    con = funnel.store._con
    summary = []
    for label, name, params in query_cases(funnel, filters):
        if args.only and args.only not in label:
            continue
        result = profile(con, query_text(name), params)
        summary.append({k: v for k, v in result.items() if k != "operators"} | {"query": label})
        print(
            f"\n== {label}: wall {result['wall_ms']:.0f} ms (median), planning {result['planning_ms']:.0f} ms, "
            f"profiled {result['profiled_ms']:.0f} ms, cpu {result['cpu_ms']:.0f} ms, "
            f"peak buffer {result['peak_buffer_mb']:.0f} MB"
        )
        total = sum(o["seconds"] for o in result["operators"]) or 1
        for o in result["operators"][: args.top]:
            print(
                f"  {o['seconds'] * 1000:7.1f} ms {100 * o['seconds'] / total:4.0f}%  {o['operator']:<22} "
                f"rows {o['rows']:>11,}  [{o['cte'] or '-'}] {_describe(o['extra'])}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

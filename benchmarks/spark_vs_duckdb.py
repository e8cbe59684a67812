"""Local Spark against DuckDB on one machine: the README's "Scaling out" table.

    funnel sample --out /tmp/s1m --leads 1000000        # ~15 s, ~120 MB of Parquet
    python benchmarks/spark_vs_duckdb.py --data /tmp/s1m [--runs 5]

Each engine runs in a process of its own (so neither's memory or threads disturb the other), on the
newest snapshot under --data, over the same calls the CLI makes: `funnel kpis` and `funnel campaigns`
for the last full month (the policy's attribution model). Reported: the one-time costs (starting Spark's
JVM; opening the snapshot, which prepares views.sql's facts: DuckDB from scratch and from its prepared
file, Spark into its cache) and the median of --runs warm runs of each call after one warm-up run. The
numbers are checked to agree before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def worker(data: str, engine: str, runs: int) -> dict:
    """One engine's timings (run in its own process by main())."""
    from dashboard.api import Funnel
    from dashboard.snapshots import resolve

    out: dict = {"engine": engine}
    if engine == "spark":
        from dashboard.engines.spark import spark_session

        out["start_s"], _ = _timed(spark_session)  # the JVM, once per process
    else:
        # DuckDB keeps the prepared facts in <root>/.cache when it can write there: time the
        # preparation from scratch (no prepared file), then the open that finds the file
        shutil.rmtree(Path(data) / ".cache", ignore_errors=True)
        out["start_s"] = 0.0
    out["open_s"], funnel = _timed(lambda: Funnel.open(data, engine=engine))
    if engine == "duckdb":
        funnel.store.close()
        out["reopen_s"], funnel = _timed(lambda: Funnel.open(data))
    out["snapshot"] = resolve(Path(data)).name
    if engine == "spark":
        # what the opened snapshot holds in Spark's cache (the JVM's storage report; local Spark only)
        infos = funnel.store._spark.sparkContext._jsc.sc().getRDDStorageInfo()
        out["cache_memory_mb"] = sum(i.memSize() for i in infos) / 2**20
        out["cache_disk_mb"] = sum(i.diskSize() for i in infos) / 2**20
    else:
        facts = getattr(funnel.store, "facts_path", None)
        out["facts_file_mb"] = facts.stat().st_size / 2**20 if facts else None
    funnel.results.max_bytes = 0  # no result cache (dashboard/results.py): every run is a real query
    calls = {"kpis": lambda: funnel.kpis(), "campaigns": lambda: funnel.campaigns()}
    for name, call in calls.items():
        out[f"{name}_result"] = call()  # the warm-up run (and what the other engine must agree with)
        out[f"{name}_s"] = [_timed(call)[0] for _ in range(runs)]
    funnel.store.close()
    return out


def machine() -> str:
    """The machine line of the report, from funnel bench's own probe."""
    from dashboard.bench import machine_info

    info = machine_info()
    return f"{info['nproc']} cores ({info['cpu']}), {info['ram_gb']} GB RAM, {info['os']}"


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)
    return a == b


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="/tmp/s1m", help="a data root (funnel sample --out ... --leads 1000000)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per call (the median is reported)")
    parser.add_argument("--worker", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        json.dump(worker(args.data, args.worker, args.runs), sys.stdout)
        return 0
    results = {}
    for engine in ("duckdb", "spark"):
        print(f"running {engine} ...", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--data", args.data, "--runs", str(args.runs), "--worker", engine],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.stderr.write(done.stderr)
            return done.returncode
        results[engine] = json.loads(done.stdout)
    duck, spark = results["duckdb"], results["spark"]
    for name in ("kpis", "campaigns"):
        if not _same(duck[f"{name}_result"], spark[f"{name}_result"]):
            print(f"the engines disagree on {name}: not timing a wrong answer", file=sys.stderr)
            return 1
    from dashboard.snapshots import resolve

    info = resolve(Path(args.data))
    model = duck["campaigns_result"]["model"]
    print(
        f"{info.rows.get('leads', 0):,} leads, {info.rows.get('touches', 0):,} touches (snapshot {info.name}); "
        f"{machine()}; median of {args.runs} warm runs\n"
    )
    print("| | DuckDB | local Spark |")
    print("|---|---:|---:|")
    print(f"| start the engine (Spark: its JVM, once per process) | – | {spark['start_s']:.1f} s |")
    print(f"| open the snapshot: prepare the facts | {duck['open_s']:.1f} s | {spark['open_s']:.1f} s |")
    print(
        f"| open it again (DuckDB: its prepared file; Spark prepares anew) | {duck['reopen_s']:.2f} s "
        f"| {spark['open_s']:.1f} s |"
    )
    facts = f"{duck['facts_file_mb']:,.0f} MB file" if duck.get("facts_file_mb") else "–"
    print(
        f"| the prepared facts (DuckDB: on disk; Spark: cached in memory + spilled to disk) | {facts} "
        f"| {spark['cache_memory_mb']:,.0f} MB + {spark['cache_disk_mb']:,.0f} MB |"
    )
    for name, label in (("kpis", "`funnel kpis` (last full month)"), ("campaigns", f"`funnel campaigns` ({model})")):
        d, s = statistics.median(duck[f"{name}_s"]), statistics.median(spark[f"{name}_s"])
        print(f"| {label} | {d * 1000:,.0f} ms | {s:,.1f} s ({s / d:,.0f}x) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`funnel bench`: how fast the dashboard is at 100k, 1M and 10M leads, and against the pandas way.

For each size it generates (or reuses, under `<out>/data/<N>/`) a sample funnel with `funnel sample`, then
measures, each in a fresh subprocess so that peak memory is per size and per engine:

- **ours**: `Funnel.open` (the one-time per-snapshot preparation), then, after a warm-up, the latency of each
  page's complete set of queries under a fixed list of filter changes (p50, p95), run together as the
  page runs them (`Funnel.together`, two at a time), each query timed too, and the process's peak memory;
- **pandas**: the headline figures the way a typical Streamlit app computes them (benchmarks/pandas_peer.py),
  timed interleaved with ours (`Funnel.kpis` + `Funnel.campaigns(model="linear")`) under the same filters,
  and checked to agree with ours within 1e-9 relative;
- the cold `funnel kpis --data ... --json` command (wall time, median of a few runs);
- the time to first page render of `funnel serve` (health endpoint, then a headless Chromium load that
  waits for a plotly chart), when the server and the app pages exist.

It prints a table and writes `<out>/bench.md` and `<out>/bench.json`. Exit code 1 when the pandas peer
disagrees with the Funnel (a bug in one of them), else 0. Timings on a shared machine are noisy: the
report gives medians and ratios. `funnel bench --browser` times the pages in headless Chromium instead
(dashboard/benching/browser.py).

The parts live in dashboard/benching/ (timing, processes, samples, pages, peer, serving, report, browser);
this module is the command: its flags, the loop over sizes and the fresh worker process of each measure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from dashboard.benching.browser import PAGE_NAMES, BrowserBenchError, measure_browser
from dashboard.benching.browser_report import evaluate_targets as browser_targets
from dashboard.benching.browser_report import render_markdown as browser_markdown
from dashboard.benching.pages import (
    AUTO_REPEAT_WARMUP_S,
    FILTER_PLAN,
    QUICK_FILTERS,
    measure_ours,
    page_steps,
    resolve_filters,
)
from dashboard.benching.peer import PEER_FILE, headline_ours, load_peer, measure_peer
from dashboard.benching.processes import REPO, peak_rss_mb, run_checked
from dashboard.benching.report import (
    DEFAULT_OUT,
    evaluate_targets,
    machine_info,
    print_rich,
    render_markdown,
    results_header,
    table_rows,
    write,
)
from dashboard.benching.samples import BENCH_MARKER, ensure_sample
from dashboard.benching.serving import SERVE_TIMEOUT_S, measure_kpis_cold, measure_serve
from dashboard.benching.timing import log, percentile, summary
from dashboard.errors import UsageError
from dashboard.page_queries import PAGES
from dashboard.snapshots import list_snapshots

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)

# the names other code and the tests use from here; the work itself is in dashboard/benching/
__all__ = [
    "AUTO_REPEAT_WARMUP_S",
    "BENCH_MARKER",
    "DEFAULT_OUT",
    "DEFAULT_SIZES",
    "FILTER_PLAN",
    "PAGES",
    "PEER_FILE",
    "QUICK_FILTERS",
    "SERVE_TIMEOUT_S",
    "add_arguments",
    "ensure_sample",
    "evaluate_targets",
    "headline_ours",
    "load_peer",
    "machine_info",
    "measure_kpis_cold",
    "measure_serve",
    "measure_size",
    "page_steps",
    "peak_rss_mb",
    "percentile",
    "render_markdown",
    "resolve_filters",
    "results_header",
    "run",
    "summary",
    "table_rows",
]


# -- command line ------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--leads",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        metavar="N",
        help="sample sizes in leads (default: 100000 1000000 10000000)",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"where bench.md, bench.json and the data cache go (default {DEFAULT_OUT}/)"
    )
    parser.add_argument("--data-cache", help="where generated snapshots are kept and reused (default OUT/data)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one repeat, three filters, one cold run, no server: a smoke test, not a measurement",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="times each (page, filter) is timed (default 3, or 1 when one "
        f"warm-up round takes over {AUTO_REPEAT_WARMUP_S:.0f} s; --quick 1)",
    )
    parser.add_argument("--kpis-runs", type=int, help="cold `funnel kpis` runs (default 3; --quick 1)")
    parser.add_argument(
        "--snapshots",
        type=int,
        default=1,
        help="snapshots per sample (default 1; with 2 the Overview also queries the previous one)",
    )
    parser.add_argument("--seed", type=int, default=7, help="sample seed (default 7)")
    parser.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    parser.add_argument("--no-serve", action="store_true", help="skip the `funnel serve` first-render measurement")
    parser.add_argument("--drop-data", action="store_true", help="delete each generated sample after measuring it")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="time what people feel instead: each page's first load and filter changes in headless "
        "Chromium on a real `funnel serve` (dashboard/benching/browser.py; writes OUT/browser.md)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        metavar="N",
        help="with --browser: also open the Overview in N sessions at once (default 0: none)",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PAGE",
        help="with --browser: only these pages (overview funnel campaigns sla scoring plan)",
    )
    # internal: one size measured in this (fresh) process
    parser.add_argument("--worker", choices=("ours", "peer"), help=argparse.SUPPRESS)
    parser.add_argument("--worker-data", help=argparse.SUPPRESS)
    parser.add_argument("--worker-spec", help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if args.worker:
        return _worker(args)
    if any(n < 1 for n in args.leads):
        raise UsageError("--leads must be at least 1")
    if args.snapshots < 1:
        raise UsageError("--snapshots must be at least 1")
    settings = {
        "quick": bool(args.quick),
        "repeat": args.repeat or (1 if args.quick else None),  # None: 3, or 1 for a slow size
        "kpis_runs": args.kpis_runs or (1 if args.quick else 3),
        "snapshots": args.snapshots,
        "seed": args.seed,
        "peer": not args.no_peer,
        "serve": not (args.no_serve or args.quick),
    }
    if args.browser:
        return run_browser(args, settings)
    if args.sessions or args.pages:
        raise UsageError("--sessions and --pages go with --browser")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.data_cache) if args.data_cache else out / "data"
    results = {**results_header(args), "settings": settings, "sizes": []}
    for leads in args.leads:
        results["sizes"].append(measure_size(leads, cache, settings, out, drop=args.drop_data))
        write(results, out)  # a long run leaves its partial results behind
    results["targets"] = evaluate_targets(results["sizes"])
    results["mismatches"] = sum(len(s.get("peer", {}).get("check", {}).get("mismatches", [])) for s in results["sizes"])
    write(results, out)
    if args.json:
        json.dump(results, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print_rich(results, out)
    return 1 if results["mismatches"] else 0


def run_browser(args, settings: dict) -> int:
    """`funnel bench --browser`: every size in --leads, written to OUT/browser.json and OUT/browser.md."""
    pages = tuple(args.pages or PAGE_NAMES)
    unknown = [p for p in pages if p not in PAGE_NAMES]
    if unknown:
        raise UsageError(f"--pages: unknown page(s) {', '.join(unknown)} (pages: {', '.join(PAGE_NAMES)})")
    if args.sessions < 0:
        raise UsageError("--sessions must be 0 or more")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.data_cache) if args.data_cache else out / "data"
    results = {
        **results_header(args),
        "sizes": [],
        "targets": [],
    }
    for leads in args.leads:
        data, generate_s = ensure_sample(cache, leads, settings["snapshots"], settings["seed"])
        log(f"{leads:,} leads: the browser on `funnel serve --data {data}`")
        load_before = os.getloadavg()[0]
        try:
            browser = measure_browser(
                data, out, pages, args.sessions, log=lambda m, leads=leads: log(f"{leads:,} leads: {m}")
            )
        except BrowserBenchError as exc:
            raise UsageError(f"funnel bench --browser ({leads:,} leads): {exc}") from None
        size = {
            "leads": leads,
            "data": str(data),
            "generate_s": generate_s,
            "browser": browser,
            "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        }
        results["sizes"].append(size)
        results["targets"] += browser_targets(leads, browser)
        (out / "browser.json").write_text(json.dumps(results, indent=2, allow_nan=False), encoding="utf-8")
        (out / "browser.md").write_text(browser_markdown(results), encoding="utf-8")
    if args.json:
        json.dump(results, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(browser_markdown(results))
        print(f"\nwritten: {out / 'browser.md'}, {out / 'browser.json'}")
    return 0


# -- one size ---------------------------------------------------------------------------------------


def measure_size(leads: int, cache: Path, settings: dict, out: Path, drop: bool = False) -> dict:
    data, generate_s = ensure_sample(cache, leads, settings["snapshots"], settings["seed"])
    newest = list_snapshots(data)[-1]
    result = {
        "leads": leads,
        "data": str(data),
        "rows": newest.rows,
        "generate_s": generate_s,
        "data_mb": round(sum(f.stat().st_size for f in newest.path.rglob("*") if f.is_file()) / 2**20, 1),
    }
    log(f"{leads:,} leads: timing the pages (fresh process)")
    load_before = os.getloadavg()[0]
    ours = _spawn_worker("ours", data, settings)
    result.update(ours)
    result["load_average_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    if settings["peer"]:
        log(f"{leads:,} leads: timing the pandas peer (fresh process)")
        spec = {**settings, "filters": ours["filters"], "period": ours["period"], "repeat": ours["repeat"]}
        result["peer"] = _spawn_worker("peer", data, spec)
        check = result["peer"]["check"]
        if check["mismatches"]:
            log(f"{leads:,} leads: the pandas peer DISAGREES on {len(check['mismatches'])} figure(s)")
    log(f"{leads:,} leads: cold `funnel kpis --json` x{settings['kpis_runs']}")
    result["kpis_cold"] = measure_kpis_cold(data, settings["kpis_runs"])
    if settings["serve"]:
        log(f"{leads:,} leads: time to first render of `funnel serve`")
        result["serve"] = measure_serve(data, out)
    else:
        result["serve"] = {"status": "skipped", "note": "--quick or --no-serve"}
    if drop and (data / BENCH_MARKER).is_file():
        shutil.rmtree(data, ignore_errors=True)
        result["data_dropped"] = True
    return result


def _spawn_worker(kind: str, data: Path, spec: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        run_checked(
            [
                sys.executable,
                "-m",
                "dashboard.cli",
                "bench",
                "--worker",
                kind,
                "--worker-data",
                str(data),
                "--worker-spec",
                json.dumps(spec),
                "--worker-result",
                str(result_file),
            ],
            cwd=REPO,
        )
        return json.loads(result_file.read_text(encoding="utf-8"))


def _worker(args) -> int:
    spec = json.loads(args.worker_spec)
    result = (
        measure_ours(Path(args.worker_data), spec)
        if args.worker == "ours"
        else measure_peer(Path(args.worker_data), spec)
    )
    result["peak_rss_mb" if args.worker == "ours" else "process_peak_rss_mb"] = peak_rss_mb()
    Path(args.worker_result).write_text(json.dumps(result, allow_nan=False), encoding="utf-8")
    return 0

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
report gives medians and ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import metadata
from pathlib import Path

from dashboard.page_queries import PAGES, page_queries

REPO = Path(__file__).resolve().parent.parent
PEER_FILE = REPO / "benchmarks" / "pandas_peer.py"
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
DEFAULT_OUT = "bench-out"
SERVE_TIMEOUT_S = 300.0
AUTO_REPEAT_WARMUP_S = 40.0  # a size whose warm-up round takes longer is timed once per (page, filter)

# The filter changes each page is timed under (a value unknown to a snapshot falls back to one it has).
FILTER_PLAN = (
    ("none", {}),
    ("segment", {"segment": "Enterprise"}),
    ("channel", {"channel": "webinar"}),
    ("region", {"region": "EMEA"}),
    ("origin", {"origin": "marketing"}),
    ("campaign", {"campaign": None}),  # the campaign with the most linear-attributed pipeline in the period
    ("segment+channel", {"segment": "Enterprise", "channel": "webinar"}),
)
QUICK_FILTERS = ("none", "segment", "campaign")

# The targets (docs/performance.md)
PAGE_P50_MS_1M = 300.0
KPIS_COLD_S_1M = 2.0
PAGE_P50_MS_10M = 3000.0
PEAK_MB_10M = 2048.0
PREPARE_S_10M = 60.0
PEER_RATIO_10M = 3.0
PEER_RATIO_1M = 1.0
SCALING_10X = 12.0


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
        "Chromium on a real `funnel serve` (dashboard/bench_browser.py; writes OUT/browser.md)",
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
    from dashboard.errors import UsageError

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
        from dashboard import bench_browser

        return bench_browser.run(args, settings, _log)
    if args.sessions or args.pages:
        raise UsageError("--sessions and --pages go with --browser")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(args.data_cache) if args.data_cache else out / "data"
    results = {**results_header(args), "settings": settings, "sizes": []}
    for leads in args.leads:
        results["sizes"].append(measure_size(leads, cache, settings, out, drop=args.drop_data))
        _write(results, out)  # a long run leaves its partial results behind
    results["targets"] = evaluate_targets(results["sizes"])
    results["mismatches"] = sum(len(s.get("peer", {}).get("check", {}).get("mismatches", [])) for s in results["sizes"])
    _write(results, out)
    if args.json:
        json.dump(results, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        _print_rich(results, out)
    return 1 if results["mismatches"] else 0


def results_header(args) -> dict:
    """What every bench report opens with: when, the command that made it, and the machine."""
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "funnel bench " + " ".join(_argv_of(args)),
        "machine": machine_info(),
    }


def _argv_of(args) -> list[str]:
    argv = ["--leads", *map(str, args.leads)]
    if args.out != DEFAULT_OUT:
        argv += ["--out", args.out]
    for flag in ("quick", "json", "no_peer", "no_serve", "drop_data"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    for opt in ("repeat", "kpis_runs"):
        if getattr(args, opt):
            argv += ["--" + opt.replace("_", "-"), str(getattr(args, opt))]
    if args.snapshots != 1:
        argv += ["--snapshots", str(args.snapshots)]
    if getattr(args, "browser", False):
        argv.append("--browser")
        if args.sessions:
            argv += ["--sessions", str(args.sessions)]
        if args.pages:
            argv += ["--pages", *args.pages]
    return argv


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- one size ---------------------------------------------------------------------------------------


def measure_size(leads: int, cache: Path, settings: dict, out: Path, drop: bool = False) -> dict:
    data, generate_s = ensure_sample(cache, leads, settings["snapshots"], settings["seed"])
    from dashboard.snapshots import list_snapshots

    newest = list_snapshots(data)[-1]
    result = {
        "leads": leads,
        "data": str(data),
        "rows": newest.rows,
        "generate_s": generate_s,
        "data_mb": round(sum(f.stat().st_size for f in newest.path.rglob("*") if f.is_file()) / 2**20, 1),
    }
    _log(f"{leads:,} leads: timing the pages (fresh process)")
    load_before = os.getloadavg()[0]
    ours = _spawn_worker("ours", data, settings)
    result.update(ours)
    result["load_average_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    if settings["peer"]:
        _log(f"{leads:,} leads: timing the pandas peer (fresh process)")
        spec = {**settings, "filters": ours["filters"], "period": ours["period"], "repeat": ours["repeat"]}
        result["peer"] = _spawn_worker("peer", data, spec)
        check = result["peer"]["check"]
        if check["mismatches"]:
            _log(f"{leads:,} leads: the pandas peer DISAGREES on {len(check['mismatches'])} figure(s)")
    _log(f"{leads:,} leads: cold `funnel kpis --json` x{settings['kpis_runs']}")
    result["kpis_cold"] = measure_kpis_cold(data, settings["kpis_runs"])
    if settings["serve"]:
        _log(f"{leads:,} leads: time to first render of `funnel serve`")
        result["serve"] = measure_serve(data, out)
    else:
        result["serve"] = {"status": "skipped", "note": "--quick or --no-serve"}
    if drop and (data / BENCH_MARKER).is_file():
        shutil.rmtree(data, ignore_errors=True)
        result["data_dropped"] = True
    return result


# the file `funnel bench` writes into each sample folder it generates: the only folders it deletes
BENCH_MARKER = ".funnel-bench-sample"


def ensure_sample(cache: Path, leads: int, snapshots: int, seed: int) -> tuple[Path, float | None]:
    """The cached sample for this size, generated with `funnel sample` when missing or different."""
    from dashboard.snapshots import SnapshotError, list_snapshots

    path = cache / str(leads)
    try:
        found = list_snapshots(path)
        if len(found) >= snapshots and f"--leads {leads} --seed {seed} " in found[-1].source:
            return path, None
    except SnapshotError:
        pass
    if path.exists():
        # only a folder this command made (its marker file says so) is deleted; anything else under
        # --data-cache is someone's data
        if not (path / BENCH_MARKER).is_file():
            from dashboard.errors import UsageError

            raise UsageError(
                f"{path} exists but is not a sample `funnel bench` made (it has no {BENCH_MARKER}); "
                "it is left as it is: move it, or give another --data-cache"
            )
        shutil.rmtree(path)
    _log(f"{leads:,} leads: generating the sample into {path}")
    path.mkdir(parents=True)
    (path / BENCH_MARKER).write_text(
        "made by `funnel bench`, which may delete this folder to regenerate it\n", encoding="utf-8"
    )
    started = time.perf_counter()
    _run_checked(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "sample",
            "--out",
            str(path),
            "--leads",
            str(leads),
            "--snapshots",
            str(snapshots),
            "--seed",
            str(seed),
        ]
    )
    return path, round(time.perf_counter() - started, 2)


def _run_checked(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def _spawn_worker(kind: str, data: Path, spec: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        _run_checked(
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
        _measure_ours(Path(args.worker_data), spec)
        if args.worker == "ours"
        else _measure_peer(Path(args.worker_data), spec)
    )
    result["peak_rss_mb" if args.worker == "ours" else "process_peak_rss_mb"] = peak_rss_mb()
    Path(args.worker_result).write_text(json.dumps(result, allow_nan=False), encoding="utf-8")
    return 0


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- timing helpers ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(samples_s: list[float]) -> dict:
    return {"p50_ms": _ms(percentile(samples_s, 0.5)), "p95_ms": _ms(percentile(samples_s, 0.95)), "n": len(samples_s)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


class _Timer:
    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


# -- ours: the pages' query sets ---------------------------------------------------------------------


def page_steps(funnel, previous, period, filters) -> dict[str, list[tuple[str, object]]]:
    """Each page's complete set of queries for one filter state, as the page declares them
    (dashboard/page_queries.py, the list the page itself prefetches): page -> [(query label, thunk)].
    Every page is timed as the first one opened after the filter change (nothing shared from another
    page's cache): the worst case a person sees."""
    return {
        page: [
            (q.label, functools.partial(q.run, funnel)) for q in page_queries(page, funnel, period, filters, previous)
        ]
        for page in PAGES
    }


def resolve_filters(funnel, period, names: tuple[str, ...]) -> list[dict]:
    """The filter list for this snapshot: [{"name", "values"}], values known to the snapshot."""
    known = funnel.filter_values()
    top_campaign = None
    out = []
    for name, wanted in FILTER_PLAN:
        if name not in names:
            continue
        values = {}
        for key, value in wanted.items():
            if key == "campaign" and value is None:
                if top_campaign is None:
                    listed = funnel.campaigns(period.start, period.end, model="linear")["campaigns"]
                    ranked = sorted(listed, key=lambda c: (-(c["attributed_pipeline"] or 0), c["campaign_id"]))
                    top_campaign = ranked[0]["campaign_id"] if ranked else (known["campaign"] or [None])[0]
                value = top_campaign
            elif value not in known[key]:
                value = known[key][0] if known[key] else None
            if value is None:
                break
            values[key] = value
        else:
            label = name if name == "none" else ", ".join(f"{k}={v}" for k, v in values.items())
            out.append({"name": label, "values": values})
    return out


def _timed(thunk):
    """The thunk as a call that returns how long it took (seconds)."""

    def run() -> float:
        timer = _Timer()
        thunk()
        return timer()

    return run


def _uncached(funnel):
    """The Funnel with its result cache off (dashboard/results.py): every timed call runs its queries."""
    funnel.results.max_bytes = 0
    return funnel


def _measure_ours(data: Path, spec: dict) -> dict:
    from dashboard.api import Funnel
    from dashboard.filters import Filters
    from dashboard.snapshots import previous_snapshot, resolve
    from dashboard.store import cache_folders

    # the one-time preparation is timed from scratch: drop any prepared facts of an earlier run
    for folder in cache_folders(resolve(data, None)):
        shutil.rmtree(folder, ignore_errors=True)
    timer = _Timer()
    funnel = Funnel.open(data)
    prepare_s = timer()
    funnel.store.close()
    timer = _Timer()
    funnel = _uncached(Funnel.open(data))  # what every later process pays: attaching the prepared facts
    open_s = timer()
    previous, prepare_previous_s = None, None
    prev_info = previous_snapshot(funnel.store.snapshot)
    if prev_info is not None:
        timer = _Timer()
        previous = _uncached(Funnel.open(prev_info.path))
        prepare_previous_s = timer()
    period = funnel.default_period()
    names = QUICK_FILTERS if spec["quick"] else tuple(n for n, _ in FILTER_PLAN)
    filters = resolve_filters(funnel, period, names)

    # warm-up: every page once, unfiltered (first-run costs: plan caches, file metadata, imports)
    warm = _Timer()
    for steps in page_steps(funnel, previous, period, Filters()).values():
        for _, thunk in steps:
            thunk()
    warm_up_s = warm()
    repeat = spec["repeat"] or (3 if warm_up_s <= AUTO_REPEAT_WARMUP_S else 1)

    pages: dict[str, list[float]] = {p: [] for p in PAGES}
    by_filter: dict[str, dict[str, list[float]]] = {f["name"]: {p: [] for p in PAGES} for f in filters}
    queries: dict[str, list[float]] = {}
    for _ in range(repeat):
        for f in filters:
            state = Filters.of(**f["values"])
            for page, steps in page_steps(funnel, previous, period, state).items():
                # as the page runs them (app_state.View.prefetch): together, two at a time
                page_timer = _Timer()
                took = funnel.together(*(_timed(thunk) for _, thunk in steps))
                elapsed = page_timer()
                for (label, _), seconds in zip(steps, took):
                    queries.setdefault(label, []).append(seconds)
                pages[page].append(elapsed)
                by_filter[f["name"]][page].append(elapsed)

    return {
        "snapshot": funnel.store.snapshot.name,
        "period": period.as_dict(),
        "filters": filters,
        "repeat": repeat,
        "warm_up_s": round(warm_up_s, 2),
        "prepare_s": round(prepare_s, 3),
        "open_s": round(open_s, 3),
        "prepare_previous_s": None if prepare_previous_s is None else round(prepare_previous_s, 3),
        "pages": {p: summary(v) for p, v in pages.items()},
        "pages_by_filter": {
            name: {p: _ms(statistics.median(v)) for p, v in per.items()} for name, per in by_filter.items()
        },
        "queries": {label: summary(v) for label, v in queries.items()},
    }


# -- the pandas peer -------------------------------------------------------------------------------


def _peer_module():
    """benchmarks/pandas_peer.py, loaded from the source tree (it is not part of the installed package)."""
    name = "benchmarks.pandas_peer"
    if name in sys.modules:
        return sys.modules[name]
    if not PEER_FILE.is_file():
        raise RuntimeError(f"{PEER_FILE}: the pandas peer is missing (a source checkout is needed)")
    spec = importlib.util.spec_from_file_location(name, PEER_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_peer():
    """The pandas peer module (for tests and notebooks)."""
    return _peer_module()


def headline_ours(funnel, start, end, values: dict) -> dict:
    """Our side of the headline figures, as `funnel kpis` and `funnel campaigns --model linear` give them."""
    return {
        "kpis": funnel.kpis(start, end, **values),
        "campaigns": funnel.campaigns(start, end, model="linear", **values),
    }


def _measure_peer(data: Path, spec: dict) -> dict:
    """The pandas peer: load, then its headline figures and ours, interleaved (pandas, ours; then ours,
    pandas) under each filter, so that a noisy neighbour slows both sides alike; the figures are compared."""
    from dashboard.api import Funnel
    from dashboard.snapshots import resolve

    peer = _peer_module()
    snapshot = resolve(data).path
    timer = _Timer()
    frames = peer.PandasFunnel.load(snapshot)
    load_s = timer()
    start, end = spec["period"]["from"], spec["period"]["to"]
    frames.headline(start, end)  # warm-up
    pandas_peak_mb = peak_rss_mb()  # before DuckDB joins this process

    funnel = _uncached(Funnel.open(data))
    headline_ours(funnel, start, end, {})  # warm-up
    repeat = 1 if spec["quick"] else max(3, spec["repeat"])
    samples: dict[str, list[float]] = {"pandas": [], "ours": []}
    by_filter = {f["name"]: {"pandas": [], "ours": []} for f in spec["filters"]}
    mismatches = []
    compared = 0
    for rep in range(repeat):
        for i, f in enumerate(spec["filters"]):
            results = {}
            for side in ("pandas", "ours") if (rep + i) % 2 == 0 else ("ours", "pandas"):
                t = _Timer()
                if side == "pandas":
                    results[side] = frames.headline(start, end, **f["values"])
                else:
                    results[side] = headline_ours(funnel, start, end, f["values"])
                elapsed = t()
                samples[side].append(elapsed)
                by_filter[f["name"]][side].append(elapsed)
            if rep == 0:
                ours = results["ours"]
                compared += len(peer.KPI_KEYS) + len(ours["campaigns"]["campaigns"]) + 1
                mismatches += [
                    {"filter": f["name"], **m} for m in peer.compare(ours["kpis"], ours["campaigns"], results["pandas"])
                ]
    pandas_p50, ours_p50 = percentile(samples["pandas"], 0.5), percentile(samples["ours"], 0.5)
    return {
        "load_s": round(load_s, 3),
        "pandas_peak_rss_mb": pandas_peak_mb,
        "repeat": repeat,
        "headline": summary(samples["pandas"]),
        "ours_headline": summary(samples["ours"]),
        "ratio": round(pandas_p50 / ours_p50, 2) if ours_p50 else None,
        "by_filter": [
            {
                "filter": name,
                "ours_ms": _ms(statistics.median(v["ours"])),
                "pandas_ms": _ms(statistics.median(v["pandas"])),
                "ratio": round(statistics.median(v["pandas"]) / statistics.median(v["ours"]), 2),
            }
            for name, v in by_filter.items()
        ],
        "check": {
            "status": "mismatch" if mismatches else "agree",
            "figures_compared": compared,
            "tolerance": peer.TOLERANCE,
            "mismatches": mismatches[:50],
        },
    }


# -- the cold CLI and the server ------------------------------------------------------------------------


def _funnel_command() -> list[str]:
    """The installed `funnel` script (not a shell shim) or, failing that, `python -m dashboard.cli`."""
    script = Path(sys.executable).parent / "funnel"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dashboard.cli"]


def measure_kpis_cold(data: Path, runs: int) -> dict:
    times = []
    for _ in range(runs):
        t = _Timer()
        done = _run_checked([*_funnel_command(), "kpis", "--data", str(data), "--json"])
        times.append(t())
        json.loads(done.stdout)  # it printed a whole JSON object
    return {"median_s": round(statistics.median(times), 3), "runs_s": [round(x, 3) for x in times]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def app_pages_exist() -> bool:
    pages = REPO / "dashboard" / "app_pages"
    return (REPO / "dashboard" / "app.py").is_file() and pages.is_dir() and any(pages.glob("*.py"))


def measure_serve(data: Path, out: Path, timeout: float = SERVE_TIMEOUT_S) -> dict:
    """Start `funnel serve` on a free local port; time until /_stcore/health answers and until the first
    page has drawn a plotly chart in headless Chromium."""
    if importlib.util.find_spec("dashboard.serve") is None:
        return {
            "status": "unavailable",
            "note": "dashboard/serve.py does not exist yet, so `funnel serve` cannot start: nothing measured",
        }
    help_text = subprocess.run([*_funnel_command(), "serve", "--help"], capture_output=True, text=True).stdout
    port = _free_port()
    cmd = [*_funnel_command(), "serve"]
    if "--data" in help_text:
        cmd += ["--data", str(data)]
    if "--port" in help_text:
        cmd += ["--port", str(port)]
    if "--host" in help_text:
        cmd += ["--host", "127.0.0.1"]
    env = {
        **os.environ,
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    url = f"http://127.0.0.1:{port}"
    log_path = out / "serve.log"
    result: dict = {"status": "error", "command": "funnel " + " ".join(cmd[cmd.index("serve") :])}
    with open(log_path, "w") as log:
        t = _Timer()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True)
        try:
            while t() < timeout:
                if proc.poll() is not None:
                    result["note"] = f"the server exited with code {proc.returncode} (see {log_path})"
                    return result
                if _http_ok(f"{url}/_stcore/health"):
                    result["health_s"] = round(t(), 2)
                    break
                time.sleep(0.1)
            else:
                result["note"] = f"no health answer within {timeout:.0f} s"
                return result
            if not app_pages_exist():
                result.update(
                    status="health only",
                    note="the app pages (dashboard/app.py, app_pages/) do not exist yet: time to health endpoint only",
                )
                return result
            result.update(_first_render(url, t, timeout))
        finally:
            _stop(proc)
    return result


def _first_render(url: str, t: _Timer, timeout: float) -> dict:
    """Load the first page in headless Chromium; poll until a plotly chart is drawn or an exception shows."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"status": "health only", "note": "playwright is not installed"}
    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(headless=True, executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
            while t() < timeout:
                if page.query_selector('[data-testid="stPlotlyChart"] .js-plotly-plot, .js-plotly-plot .main-svg'):
                    return {"status": "ok", "first_render_s": round(t(), 2)}
                broken = page.query_selector('[data-testid="stException"]')
                if broken:
                    text = " ".join((broken.inner_text() or "").split())[:200]
                    return {"status": "exception", "note": f"the first page shows an exception: {text}"}
                time.sleep(0.25)
            return {"status": "no chart", "note": f"no plotly chart on the first page within {timeout:.0f} s"}
        finally:
            browser.close()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


# -- the machine -----------------------------------------------------------------------------------


def machine_info() -> dict:
    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu or platform.processor() or None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "pandas": version("pandas"),
        "polars": version("polars"),
        "pyarrow": version("pyarrow"),
        "streamlit": version("streamlit"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# -- targets and the report ----------------------------------------------------------------------------


def evaluate_targets(sizes: list[dict]) -> list[dict]:
    """The issue's targets, for the sizes measured: [{"target", "leads", "measured", "met"}]."""
    by = {s["leads"]: s for s in sizes}
    rows = []

    def add(target, leads, measured, met):
        rows.append({"target": target, "leads": leads, "measured": measured, "met": met})

    if 1_000_000 in by:
        s = by[1_000_000]
        for page in PAGES:
            p50 = s["pages"][page]["p50_ms"]
            add(f"{page} page p50 <= {PAGE_P50_MS_1M:.0f} ms", 1_000_000, f"{p50:,.0f} ms", p50 <= PAGE_P50_MS_1M)
        cold = s["kpis_cold"]["median_s"]
        add(f"`funnel kpis` cold <= {KPIS_COLD_S_1M:.0f} s", 1_000_000, f"{cold:.2f} s", cold <= KPIS_COLD_S_1M)
        if s.get("peer", {}).get("ratio") is not None:
            r = s["peer"]["ratio"]
            add("not slower than pandas (pandas / ours >= 1)", 1_000_000, f"{r:.2f}x", r >= PEER_RATIO_1M)
    if 10_000_000 in by:
        s = by[10_000_000]
        for page in PAGES:
            p50 = s["pages"][page]["p50_ms"]
            add(
                f"{page} page p50 <= {PAGE_P50_MS_10M / 1000:.0f} s",
                10_000_000,
                f"{p50 / 1000:,.2f} s",
                p50 <= PAGE_P50_MS_10M,
            )
        peak = s["peak_rss_mb"]
        add(f"peak memory <= {PEAK_MB_10M / 1024:.0f} GB", 10_000_000, f"{peak / 1024:.2f} GB", peak <= PEAK_MB_10M)
        prep = s["prepare_s"]
        add(f"per-snapshot preparation <= {PREPARE_S_10M:.0f} s", 10_000_000, f"{prep:.1f} s", prep <= PREPARE_S_10M)
        if s.get("peer", {}).get("ratio") is not None:
            r = s["peer"]["ratio"]
            add(f">= {PEER_RATIO_10M:.0f}x faster than pandas", 10_000_000, f"{r:.2f}x", r >= PEER_RATIO_10M)
    for small in sorted(by):
        big = small * 10
        if big not in by:
            continue
        for page in PAGES:
            ratio = by[big]["pages"][page]["p50_ms"] / by[small]["pages"][page]["p50_ms"]
            add(
                f"{page} page: 10x leads costs <= {SCALING_10X:.0f}x time",
                big,
                f"{ratio:.1f}x (vs {small:,})",
                ratio <= SCALING_10X,
            )
        ratio = by[big]["prepare_s"] / by[small]["prepare_s"]
        add(
            f"preparation: 10x leads costs <= {SCALING_10X:.0f}x time",
            big,
            f"{ratio:.1f}x (vs {small:,})",
            ratio <= SCALING_10X,
        )
    return rows


def _fmt_ms(ms) -> str:
    if ms is None:
        return "–"
    return f"{ms / 1000:,.2f} s" if ms >= 10_000 else f"{ms:,.0f} ms"


def _fmt_s(s) -> str:
    return "–" if s is None else f"{s:,.2f} s"


def table_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """The headline table: one row per figure, one column per size."""
    sizes = results["sizes"]
    header = ["", *[f"{s['leads']:,} leads" for s in sizes]]
    rows = []

    def row(label, fn):
        cells = []
        for s in sizes:
            try:
                cells.append(fn(s))
            except (KeyError, TypeError):
                cells.append("–")
        rows.append([label, *cells])

    row("rows: opportunities / touches", lambda s: f"{s['rows']['opportunities']:,} / {s['rows']['touches']:,}")
    row("Parquet on disk", lambda s: f"{s['data_mb']:,.0f} MB")
    row("one-time preparation (first Funnel.open)", lambda s: _fmt_s(s["prepare_s"]))
    row("Funnel.open with prepared facts", lambda s: _fmt_s(s["open_s"]))
    for page in PAGES:
        row(
            f"{page} page p50 / p95",
            lambda s, page=page: f"{_fmt_ms(s['pages'][page]['p50_ms'])} / {_fmt_ms(s['pages'][page]['p95_ms'])}",
        )
    row("`funnel kpis --json` cold (median)", lambda s: _fmt_s(s["kpis_cold"]["median_s"]))
    row("`funnel serve`: health / first chart", _serve_cell)
    row("peak memory (RSS)", lambda s: f"{s['peak_rss_mb']:,.0f} MB")
    row("headline figures p50: ours (interleaved)", lambda s: _fmt_ms(s["peer"]["ours_headline"]["p50_ms"]))
    row("headline figures p50: pandas (interleaved)", lambda s: _fmt_ms(s["peer"]["headline"]["p50_ms"]))
    row("pandas / ours (p50)", lambda s: f"{s['peer']['ratio']:.2f}x")
    row(
        "pandas load + prepare / peak memory",
        lambda s: f"{_fmt_s(s['peer']['load_s'])} / {s['peer']['pandas_peak_rss_mb']:,.0f} MB",
    )
    row(
        "pandas peer agrees (1e-9 rel.)",
        lambda s: (
            "yes" if s["peer"]["check"]["status"] == "agree" else f"NO: {len(s['peer']['check']['mismatches'])} figures"
        ),
    )
    return header, rows


def _serve_cell(s) -> str:
    serve = s["serve"]
    if serve.get("status") == "ok":
        return f"{_fmt_s(serve['health_s'])} / {_fmt_s(serve['first_render_s'])}"
    if "health_s" in serve:
        return f"{_fmt_s(serve['health_s'])} / {serve['status']}"
    return serve.get("status", "–")


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# `funnel bench` results",
        "",
        f"Measured {results['generated_at']} with `{results['command']}`.",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pandas {m['pandas']}, Polars {m['polars']}, PyArrow {m['pyarrow']}, "
        f"Streamlit {m['streamlit']}. Load average at start: "
        + (", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "–")
        + ".",
        "",
    ]
    settings = results["settings"]
    filters = results["sizes"][0].get("filters", []) if results["sizes"] else []
    lines += [
        f"Each page's full query set was timed, run as the page runs it (two queries at a time), under each "
        f"of {len(filters)} filter states "
        f"({'; '.join(f['name'] for f in filters)}), "
        + ", ".join(f"{s.get('repeat', settings.get('repeat'))}x at {s['leads']:,} leads" for s in results["sizes"])
        + ", after a warm-up round, in one fresh process per size. p50/p95 are over all those runs.",
        "",
    ]
    header, rows = table_rows(results)
    lines += _md_table(header, rows)
    if results.get("targets"):
        lines += ["", "## Targets", ""]
        lines += _md_table(
            ["target", "leads", "measured", "met"],
            [
                [t["target"], f"{t['leads']:,}", t["measured"], "yes" if t["met"] else "**no**"]
                for t in results["targets"]
            ],
        )
    labels = sorted({label for s in results["sizes"] for label in s.get("queries", {})})
    if labels:
        lines += ["", "## Per query (p50 / p95)", ""]
        lines += _md_table(
            ["query", *[f"{s['leads']:,}" for s in results["sizes"]]],
            [
                [
                    label,
                    *[
                        f"{_fmt_ms(s['queries'][label]['p50_ms'])} / {_fmt_ms(s['queries'][label]['p95_ms'])}"
                        if label in s.get("queries", {})
                        else "–"
                        for s in results["sizes"]
                    ],
                ]
                for label in labels
            ],
        )
    for s in results["sizes"]:
        if "pages_by_filter" in s:
            lines += ["", f"## Page p50 by filter, {s['leads']:,} leads", ""]
            lines += _md_table(
                ["filter", *PAGES],
                [[name, *[_fmt_ms(per[p]) for p in PAGES]] for name, per in s["pages_by_filter"].items()],
            )
        if s.get("peer", {}).get("by_filter"):
            lines += ["", f"## Headline figures vs pandas by filter, {s['leads']:,} leads", ""]
            lines += _md_table(
                ["filter", "ours p50", "pandas p50", "pandas / ours"],
                [
                    [
                        r["filter"],
                        _fmt_ms(r["ours_ms"]),
                        _fmt_ms(r["pandas_ms"]),
                        "–" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                    ]
                    for r in s["peer"]["by_filter"]
                ],
            )
            if s["peer"]["check"]["mismatches"]:
                lines += ["", "Mismatches (pandas peer vs Funnel):", ""]
                lines += _md_table(
                    ["filter", "figure", "funnel", "pandas"],
                    [
                        [x["filter"], x["figure"], str(x["funnel"]), str(x["pandas"])]
                        for x in s["peer"]["check"]["mismatches"]
                    ],
                )
        if s.get("serve", {}).get("note"):
            lines += ["", f"`funnel serve` at {s['leads']:,} leads: {s['serve']['note']}."]
    return "\n".join(lines) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def _write(results: dict, out: Path) -> None:
    (out / "bench.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if results["sizes"]:
        (out / "bench.md").write_text(render_markdown(results), encoding="utf-8")


def _print_rich(results: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    header, rows = table_rows(results)
    table = Table(title="funnel bench", title_justify="left")
    for i, col in enumerate(header):
        table.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if results.get("targets"):
        targets = Table(title="targets", title_justify="left")
        for col in ("target", "leads", "measured", "met"):
            targets.add_column(col)
        for t in results["targets"]:
            targets.add_row(t["target"], f"{t['leads']:,}", t["measured"], "yes" if t["met"] else "[red]no[/red]")
        console.print(targets)
    for s in results["sizes"]:
        for x in s.get("peer", {}).get("check", {}).get("mismatches", []):
            console.print(
                f"[red]mismatch[/red] {s['leads']:,} leads, {x['filter']}: {x['figure']} "
                f"funnel={x['funnel']} pandas={x['pandas']}"
            )
    console.print(f"written: {out / 'bench.md'}, {out / 'bench.json'}")

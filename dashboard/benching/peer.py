"""The pandas peer (benchmarks/pandas_peer.py): the headline figures the way a typical Streamlit app computes
them, timed interleaved with ours under the same filters and checked to agree with ours within 1e-9 relative."""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path

from dashboard.benching.pages import uncached
from dashboard.benching.processes import REPO, peak_rss_mb
from dashboard.benching.timing import Timer, ms, percentile, summary
from dashboard.snapshots import resolve

PEER_FILE = REPO / "benchmarks" / "pandas_peer.py"


def peer_module():
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
    return peer_module()


def headline_ours(funnel, start, end, values: dict) -> dict:
    """Our side of the headline figures, as `funnel kpis` and `funnel campaigns --model linear` give them."""
    return {
        "kpis": funnel.kpis(start, end, **values),
        "campaigns": funnel.campaigns(start, end, model="linear", **values),
    }


def measure_peer(data: Path, spec: dict) -> dict:
    """The pandas peer: load, then its headline figures and ours, interleaved (pandas, ours; then ours,
    pandas) under each filter, so that a noisy neighbour slows both sides alike; the figures are compared."""
    # lazy: the pandas side's peak memory is read before DuckDB and Polars join this process
    from dashboard.api import Funnel

    peer = peer_module()
    snapshot = resolve(data).path
    timer = Timer()
    frames = peer.PandasFunnel.load(snapshot)
    load_s = timer()
    start, end = spec["period"]["from"], spec["period"]["to"]
    frames.headline(start, end)  # warm-up
    pandas_peak_mb = peak_rss_mb()  # before DuckDB joins this process

    funnel = uncached(Funnel.open(data))
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
                t = Timer()
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
                "ours_ms": ms(statistics.median(v["ours"])),
                "pandas_ms": ms(statistics.median(v["pandas"])),
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

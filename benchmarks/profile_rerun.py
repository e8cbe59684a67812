"""Where a page's rerun spends its time on the server: cProfile around one Streamlit rerun, not a guess.

    python benchmarks/profile_rerun.py /work/data-i17/1000000 --page campaigns [--segment Enterprise] [--top 25]

Runs the dashboard (dashboard/app.py) in-process with Streamlit's AppTest on the given data root: one warm-up
run of the page with no filter (the caches fill), one run with the segment filter (its queries run), then the
profiled run: the segment filter set again, i.e. a rerun whose queries are all cached — what is left is the
work the page does outside the queries on every rerun. With --cold the profiled run uses a segment not seen
before, so its queries run inside the profile too. Prints the wall time of each run and the functions with the
most cumulative and own time. AppTest builds the same element messages the server sends (Arrow tables, Plotly
JSON), but not the websocket: the browser's share is measured by `funnel bench --browser`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAGES = {
    "overview": None,
    "funnel": "app_pages/funnel.py",
    "campaigns": "app_pages/campaigns.py",
    "sla": "app_pages/sla.py",
    "scoring": "app_pages/scoring.py",
    "plan": "app_pages/plan.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a data root or snapshot folder (e.g. from `funnel sample --leads 1000000`)")
    parser.add_argument("--page", choices=list(PAGES), default="campaigns")
    parser.add_argument("--segment", default="Enterprise", help="the segment the rerun filters on")
    parser.add_argument("--other-segment", default="SMB", help="the segment of the cold run with --cold")
    parser.add_argument("--cold", action="store_true", help="profile a rerun with a new segment (queries run)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", help="also write the raw profile here (for snakeviz / pstats)")
    args = parser.parse_args()

    os.environ["FUNNEL_DATA"] = str(Path(args.data).resolve())
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=900)
    if PAGES[args.page]:
        at.switch_page(PAGES[args.page])
    runs = []

    def rerun(label, segment):
        if segment is not None:
            at.sidebar.selectbox(key="segment").set_value(segment)
        started = time.perf_counter()
        at.run()
        runs.append((label, time.perf_counter() - started))
        if at.exception:
            raise SystemExit(f"{label}: the page raised {[e.message for e in at.exception]}")

    rerun("first run, no filter", None)
    rerun(f"segment={args.segment} (queries run)", args.segment)
    profiler = cProfile.Profile()
    target = args.other_segment if args.cold else args.segment
    at.sidebar.selectbox(key="segment").set_value(None)
    rerun("back to no filter (cached)", None)
    at.sidebar.selectbox(key="segment").set_value(target)
    # the script runs in a thread AppTest starts per run: profile inside that thread
    plain_run = threading.Thread.run

    def profiled_run(thread):
        profiler.enable()
        try:
            plain_run(thread)
        finally:
            profiler.disable()

    threading.Thread.run = profiled_run
    started = time.perf_counter()
    try:
        at.run()
    finally:
        threading.Thread.run = plain_run
    runs.append(
        (f"PROFILED: segment={target} ({'queries run' if args.cold else 'cached'})", time.perf_counter() - started)
    )
    for label, seconds in runs:
        print(f"{seconds * 1000:9.0f} ms  {label}")
    if args.out:
        profiler.dump_stats(args.out)
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"\n== by {order} ==")
        print("\n".join(line for line in text.getvalue().splitlines() if line.strip())[-(args.top + 3) * 120 :])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A/B: the SLA page's queries under the calendar clock and the business clock, interleaved.

The business clock changes only the one-time preparation (lead_outcomes.sql looks up working time once
per snapshot); the pages read the same precomputed columns. On a shared machine two separate `funnel
bench` runs differ by their load more than by the clock, so this script times both data roots in one
process, round by round alternately (the order flipped every round), the page's queries as
dashboard/bench.py's page_steps runs them, with the result cache off.

    python benchmarks/sla_clock_ab.py CALENDAR_ROOT BUSINESS_ROOT [--rounds N]

Both roots must hold the same snapshot; their funnel.toml differ in [sla] clock (and [calendar]).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.api import Funnel  # noqa: E402
from dashboard.bench import page_steps  # noqa: E402
from dashboard.filters import Filters  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("calendar_root")
    parser.add_argument("business_root")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--page", default="sla")
    args = parser.parse_args()
    funnels = {}
    for name, root in (("calendar", args.calendar_root), ("business", args.business_root)):
        started = time.perf_counter()
        funnel = Funnel.open(root)
        funnel.results.max_bytes = 0  # every call a real query
        funnels[name] = funnel
        print(
            f"{name}: clock={funnel.policy.clock}, open (prepares when no facts yet) {time.perf_counter() - started:.2f} s"
        )
    period = funnels["calendar"].default_period()
    states = [Filters(), Filters(segment="Enterprise"), Filters(region="EMEA")]
    times: dict[str, list[float]] = {name: [] for name in funnels}
    for funnel in funnels.values():  # warm-up
        for _, thunk in page_steps(funnel, None, period, Filters())[args.page]:
            thunk()
    for i in range(args.rounds):
        order = list(funnels) if i % 2 == 0 else list(reversed(funnels))
        for name in order:
            for state in states:
                steps = page_steps(funnels[name], None, period, state)[args.page]
                started = time.perf_counter()
                funnels[name].together(*(thunk for _, thunk in steps))
                times[name].append(time.perf_counter() - started)
    for name, values in times.items():
        print(f"{name}: {args.page} page p50 {statistics.median(values) * 1000:.0f} ms over {len(values)} runs")
    ratio = statistics.median(times["business"]) / statistics.median(times["calendar"])
    print(f"business / calendar p50: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ours: each page's complete set of queries, timed in this process under a fixed list of filter changes."""

from __future__ import annotations

import functools
import shutil
import statistics
from pathlib import Path

from dashboard.benching.timing import Timer, ms, summary
from dashboard.filters import Filters
from dashboard.page_queries import PAGES, page_queries
from dashboard.snapshots import previous_snapshot, resolve

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


def timed(thunk):
    """The thunk as a call that returns how long it took (seconds)."""

    def run() -> float:
        timer = Timer()
        thunk()
        return timer()

    return run


def uncached(funnel):
    """The Funnel with its result cache off (dashboard/results.py): every timed call runs its queries."""
    funnel.results.max_bytes = 0
    return funnel


def measure_ours(data: Path, spec: dict) -> dict:
    # lazy: the bench's processes (the pandas peer's among them) load DuckDB and Polars only when they open a Funnel
    from dashboard.api import Funnel
    from dashboard.store import cache_folders

    # the one-time preparation is timed from scratch: drop any prepared facts of an earlier run
    for folder in cache_folders(resolve(data, None)):
        shutil.rmtree(folder, ignore_errors=True)
    timer = Timer()
    funnel = Funnel.open(data)
    prepare_s = timer()
    funnel.store.close()
    timer = Timer()
    funnel = uncached(Funnel.open(data))  # what every later process pays: attaching the prepared facts
    open_s = timer()
    previous, prepare_previous_s = None, None
    prev_info = previous_snapshot(funnel.store.snapshot)
    if prev_info is not None:
        timer = Timer()
        previous = uncached(Funnel.open(prev_info.path))
        prepare_previous_s = timer()
    period = funnel.default_period()
    names = QUICK_FILTERS if spec["quick"] else tuple(n for n, _ in FILTER_PLAN)
    filters = resolve_filters(funnel, period, names)

    # warm-up: every page once, unfiltered (first-run costs: plan caches, file metadata, imports)
    warm = Timer()
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
                page_timer = Timer()
                took = funnel.together(*(timed(thunk) for _, thunk in steps))
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
            name: {p: ms(statistics.median(v)) for p, v in per.items()} for name, per in by_filter.items()
        },
        "queries": {label: summary(v) for label, v in queries.items()},
    }

"""The result cache (dashboard/results.py): a repeated question is answered once, a new one is asked."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import polars as pl
import pytest

from dashboard.api import Funnel
from dashboard.results import ResultCache

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _counting(funnel: Funnel) -> list[str]:
    """Record every query the store really runs."""
    ran: list[str] = []
    real_run = funnel.store.run

    def run(name, params=None):
        ran.append(name)
        return real_run(name, params)

    funnel.store.run = run
    return ran


def test_a_repeated_call_runs_no_query_and_gives_the_same_answer():
    funnel = Funnel.open(SAMPLE)
    ran = _counting(funnel)
    first = funnel.kpis(segment="Enterprise")
    queries_first = len(ran)
    assert queries_first >= 1
    again = funnel.kpis(segment="Enterprise")
    assert again == first
    assert len(ran) == queries_first  # answered from the cache
    other = funnel.kpis(segment="SMB")
    assert len(ran) == queries_first + 1  # another filter is another question
    assert other["kpis"]["leads"] != first["kpis"]["leads"]  # and gets its own answer


def test_turned_off_every_call_runs_its_query():
    funnel = Funnel.open(SAMPLE)
    funnel.results.max_bytes = 0
    ran = _counting(funnel)
    funnel.campaigns(model="linear")
    funnel.campaigns(model="linear")
    assert ran.count("attribution") == 2


def test_the_key_tells_apart_values_that_compare_equal():
    # 1 == 1.0 == True in Python, but they bind as different SQL types; lists are frozen, not dropped
    keys = {ResultCache.key("q", {"x": v}) for v in (1, 1.0, True, "1", None)}
    assert len(keys) == 5
    assert ResultCache.key("q", {"x": [1, 2]}) != ResultCache.key("q", {"x": [2, 1]})
    assert ResultCache.key("q", {"a": 1, "b": 2}) == ResultCache.key("q", {"b": 2, "a": 1})


def test_the_budget_evicts_the_least_recently_used_and_skips_what_cannot_fit():
    frame = pl.DataFrame({"v": list(range(1000))})  # 8,000 bytes of int64
    size = frame.estimated_size()
    cache = ResultCache(max_bytes=2 * size)
    runs: list[str] = []

    def runner(tag, result=frame):
        def run():
            runs.append(tag)
            return result

        return run

    cache.get_or_run("q", {"k": "a"}, runner("a"))
    cache.get_or_run("q", {"k": "b"}, runner("b"))
    cache.get_or_run("q", {"k": "a"}, runner("a"))  # hit: "a" becomes the most recent
    cache.get_or_run("q", {"k": "c"}, runner("c"))  # 3 frames > budget of 2: "b" goes
    assert runs == ["a", "b", "c"]
    cache.get_or_run("q", {"k": "a"}, runner("a"))
    assert runs == ["a", "b", "c"]  # "a" stayed
    cache.get_or_run("q", {"k": "b"}, runner("b"))
    assert runs == ["a", "b", "c", "b"]  # "b" was evicted
    big = pl.DataFrame({"v": list(range(10_000))})  # larger than the whole budget
    cache.get_or_run("q", {"k": "big"}, runner("big", big))
    cache.get_or_run("q", {"k": "big"}, runner("big", big))
    assert runs[-2:] == ["big", "big"]  # returned, never kept


def test_queries_run_together_give_what_they_give_one_by_one_and_fill_the_cache():
    # a page's queries at once (Funnel.together, as app_state.View.prefetch runs them)
    funnel = Funnel.open(SAMPLE)
    period = funnel.default_period()
    filters = funnel.filters(segment="Enterprise")
    calls = [
        lambda: funnel.kpi_table([period, period.previous()], filters),
        lambda: funnel.kpi_table([period], filters, "owner"),
        lambda: funnel.attribution_table(period, filters, None),
        lambda: funnel.records("rejection_reasons", period, filters, owner=None),
    ]
    together = funnel.together(*calls)
    ran = _counting(funnel)
    one_by_one = [call() for call in calls]
    assert ran == []  # every result was kept by the run together: the page's own calls query nothing
    fresh = Funnel.open(SAMPLE)
    for frame, name in zip(together, ("kpis", "kpis", "attribution", "records_rejection_reasons")):
        assert isinstance(frame, pl.DataFrame) and frame.height > 0, name
    assert [f.equals(g) for f, g in zip(together, one_by_one)] == [True] * 4
    # and equal to a Funnel that ran them one at a time, with no cache in between
    sequential = [
        fresh.kpi_table([period, period.previous()], filters),
        fresh.kpi_table([period], filters, "owner"),
        fresh.attribution_table(period, filters, None),
        fresh.records("rejection_reasons", period, filters, owner=None),
    ]
    assert [f.equals(g) for f, g in zip(together, sequential)] == [True] * 4


def test_an_error_in_a_query_run_together_reaches_the_caller():
    funnel = Funnel.open(SAMPLE)
    period = funnel.default_period()

    def broken():
        return funnel.records(
            "leads", period, funnel.filters(), stage="no such stage", owner=None, score_from=None, score_to=None
        )

    try:
        funnel.together(lambda: funnel.kpi_table([period], funnel.filters()), broken)
    except Exception as exc:  # DuckDB's error() from records_leads.sql's allow-list
        assert "unknown $stage" in str(exc)
    else:
        raise AssertionError("the broken query's error was lost")


def _in_threads(cache: ResultCache, run, callers: int) -> tuple[list, list, list]:
    """`callers` threads ask the same question while the first asker's query is held running."""
    results, errors = [], []

    def ask():
        try:
            results.append(cache.get_or_run("q", {"k": 1}, run))
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(callers)]
    for t in threads:
        t.start()
    return threads, results, errors


def test_a_question_already_being_answered_is_not_asked_again():
    # ten sessions open the same page at once: the first runs the query, nine wait for its answer
    cache = ResultCache()
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []
    frame = pl.DataFrame({"v": [1, 2, 3]})

    def run():
        runs.append(1)
        started.set()
        release.wait(10)
        return frame

    threads, results, errors = _in_threads(cache, run, 10)
    assert started.wait(10)
    deadline = time.time() + 10
    while cache.joined < 9 and time.time() < deadline:  # the other nine are waiting, not running
        time.sleep(0.01)
    assert (len(runs), cache.misses, cache.joined) == (1, 1, 9)
    release.set()
    for t in threads:
        t.join(10)
    assert len(runs) == 1 and errors == []
    assert len(results) == 10 and all(r is frame for r in results)
    assert cache.get_or_run("q", {"k": 1}, run) is frame and len(runs) == 1  # and then it is kept


def test_the_error_of_a_question_being_answered_reaches_every_waiter_and_is_not_kept():
    cache = ResultCache()
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def run():
        runs.append(1)
        started.set()
        release.wait(10)
        raise ValueError("unknown $stage")

    threads, results, errors = _in_threads(cache, run, 3)
    assert started.wait(10)
    deadline = time.time() + 10
    while cache.joined < 2 and time.time() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(10)
    assert len(runs) == 1 and results == []
    assert len(errors) == 3 and all("unknown $stage" in str(e) for e in errors)
    release.clear()
    release.set()
    with pytest.raises(ValueError):  # a failed question is asked again next time, not answered from memory
        cache.get_or_run("q", {"k": 1}, run)
    assert len(runs) == 2

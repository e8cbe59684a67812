"""`funnel bench --browser` (dashboard/benching/browser.py): the shape and invariants of its report, not timings.

The end-to-end test runs it once on a tiny generated sample (a real `funnel serve`, headless Chromium): every
change it makes must be drawn without an error, each time must be positive and no larger than the wall time
the test took, the percentiles ordered, the server's CPU time non-negative, every session drawn. The probe's
"drawn" rule and the /proc readings are checked on their own without a browser.

Run: pytest -m e2e tests/test_bench_browser.py   (needs playwright and /usr/bin/chromium)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from dashboard.benching import browser as bench_browser
from dashboard.benching.browser import PAGES, is_drawn, summarise
from dashboard.benching.browser_report import evaluate_targets
from dashboard.benching.processes import browser_cpu_seconds, cpu_seconds, rss_mb
from dashboard.cli import main

LEADS = 2000  # small enough to generate in seconds; the bench's own generation path is used


# -- the "drawn" rule -----------------------------------------------------------------------------------------


def state(**overrides) -> dict:
    """A settled page: last DOM change at 1000 ms, last message at 900 ms, polled at 2500 ms (1.5 s quiet)."""
    base = {
        "now": 2500,
        "mutation": 1000,
        "message": 900,
        "stale": 0,
        "skeletons": 0,
        "charts": 2,
        "drawn": 2,
        "exception": "",
        "title": "Campaigns & ROI",
        "script": "notRunning",
    }
    return {**base, **overrides}


def test_a_settled_page_is_drawn():
    assert is_drawn(state(), since_ms=500)


@pytest.mark.parametrize(
    "overrides, why",
    [
        ({"stale": 1}, "an element of the previous run is still stale"),
        ({"skeletons": 1}, "a skeleton is still waiting for its element"),
        ({"drawn": 1}, "one of two charts has no SVG yet"),
        ({"now": 1500}, "only 0.5 s of quiet since the last DOM change"),
        ({"message": 1800}, "a websocket message 0.7 s ago: the server is still talking"),
        ({"title": None}, "no page title: the app has not drawn at all"),
        ({"script": "running"}, "the script still runs (a long query: nothing moves, yet more will come)"),
        ({"script": "initial"}, "the first run has not started"),
    ],
)
def test_not_drawn_while(overrides, why):
    assert not is_drawn(state(**overrides), since_ms=500), why


def test_nothing_since_the_click_is_not_drawn():
    # the DOM last changed (1000 ms) and the last message came (900 ms) before the click at 1200 ms: the
    # rerun has not started, however quiet the page is
    assert not is_drawn(state(), since_ms=1200)


# -- the server's processes from /proc ----------------------------------------------------------------------------


def test_cpu_and_memory_of_a_process_group_come_from_proc():
    group = os.getpgid(0)  # this test's own process group
    before = cpu_seconds(group)
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn 0.3 s of CPU in this process
        pass
    spent = cpu_seconds(group) - before
    assert spent >= 0.25  # clock ticks are 10 ms: 0.3 s burned reads as at least 0.29 s, whatever else runs
    assert rss_mb(group) > 10  # a Python interpreter with polars imported holds well over 10 MB


def test_browser_cpu_counts_this_process_descendants_only():
    import subprocess
    import sys

    before = browser_cpu_seconds(exclude_pgid=-1)
    # a child that burns 0.3 s of CPU and exits... an exited child no longer counts, so it sleeps after
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time() + 0.3\n"
            "while time.process_time() < t: pass\nprint('done', flush=True)\ntime.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "done"
        assert browser_cpu_seconds(exclude_pgid=-1) - before >= 0.25
        # the same child in an excluded process group is not counted
        assert browser_cpu_seconds(exclude_pgid=os.getpgid(child.pid)) < browser_cpu_seconds(exclude_pgid=-1)
    finally:
        child.kill()
        child.wait()


def test_browser_cpu_keeps_a_reaped_grandchild():
    import subprocess
    import sys

    # a child whose own child burns 0.3 s and exits; the child reaps it and waits: the burned time stays in
    # the sum (as the child's cutime), as a closed browser context's renderer stays in Chromium's
    script = (
        "import subprocess, sys, time\n"
        "subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time() + 0.3\\n"
        "while time.process_time() < t: pass'])\n"
        "print('reaped', flush=True)\ntime.sleep(30)"
    )
    before = browser_cpu_seconds(exclude_pgid=-1)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "reaped"
        assert browser_cpu_seconds(exclude_pgid=-1) - before >= 0.25
    finally:
        child.kill()
        child.wait()


def test_summary_leaves_the_repeat_out_of_the_percentiles():
    result = {
        "changes": [
            {"seconds": 0.4, "repeat": False, "server_cpu_s": 0.2},
            {"seconds": 0.6, "repeat": False, "server_cpu_s": 0.3},
            {"seconds": 1.0, "repeat": False, "server_cpu_s": 0.5},
            {"seconds": 0.1, "repeat": True, "server_cpu_s": 0.05},
            {"error": "not drawn within 180 s", "repeat": False, "server_cpu_s": 9.0},
        ]
    }
    s = summarise(result)
    # fresh changes 0.4, 0.6, 1.0: median 0.6; p95 by linear interpolation 0.6 + 0.9 * (1.0 - 0.6) = 0.96
    assert s["change_s"] == {"n": 3, "p50": 0.6, "p95": 0.96, "max": 1.0}
    assert s["repeat_s"] == 0.1 and s["repeat_server_cpu_s"] == 0.05 and s["repeat_browser_cpu_s"] is None
    # CPU of the four drawn changes 0.05, 0.2, 0.3, 0.5: median (0.2 + 0.3) / 2
    assert s["server_cpu_per_change_s"] == {"p50": 0.25, "max": 0.5}
    assert s["failed"] == 1


def test_targets_apply_to_their_size_only():
    page = {
        "page": "campaigns",
        "first_load": {"seconds": 2.0},
        "change_s": {"p50": 0.4, "p95": 0.9, "max": 0.9},
        "repeat_s": 0.2,
        "repeat_server_cpu_s": 0.1,
        "failed": 0,
    }
    assert evaluate_targets(2000, {"pages": [page]}) == []
    met = evaluate_targets(1_000_000, {"pages": [page]})
    assert len(met) == 4 and all(t["met"] for t in met)
    slow = evaluate_targets(1_000_000, {"pages": [{**page, "change_s": {"p50": 0.4, "p95": 1.2, "max": 1.2}}]})
    assert [t["met"] for t in slow] == [False, True, True, True]
    assert [t["met"] for t in evaluate_targets(10_000_000, {"pages": [page]})] == [True]


# -- end to end -------------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_browser_bench_on_a_tiny_sample(tmp_path, capsys):
    pytest.importorskip("playwright.sync_api")
    if not Path(bench_browser.CHROMIUM).exists():
        pytest.skip(f"{bench_browser.CHROMIUM} is missing")
    started = time.perf_counter()
    code = main(
        [
            "bench",
            "--browser",
            "--leads",
            str(LEADS),
            "--out",
            str(tmp_path),
            "--pages",
            "campaigns",
            "scoring",
            "--sessions",
            "2",
            "--json",
        ]
    )
    wall = time.perf_counter() - started
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads((tmp_path / "browser.json").read_text(encoding="utf-8"))
    assert printed == written
    assert "| campaigns |" in (tmp_path / "browser.md").read_text(encoding="utf-8")
    assert written["command"].startswith("funnel bench --leads 2000") and "--browser" in written["command"]
    (size,) = written["sizes"]
    assert size["leads"] == LEADS
    run = size["browser"]
    assert run["warm_up"]["seconds"] > 0
    assert [p["page"] for p in run["pages"]] == ["campaigns", "scoring"]
    own = {name: control for name, _, control in PAGES}
    for page in run["pages"]:
        assert 0 < page["first_load"]["seconds"] < wall
        changes = page["changes"]
        # three segments, the repeat, two period presets, two changes of the page's own control, a campaign
        assert [c["control"] for c in changes] == ["segment"] * 4 + ["period", "period"] + [
            own[page["page"]][1]
        ] * 2 + ["campaign"]
        assert [c["repeat"] for c in changes] == [False, False, False, True] + [False] * 5
        assert changes[3]["value"] == changes[0]["value"]  # the repeat goes back to the first segment
        for change in changes:
            assert "error" not in change, change
            assert 0 < change["seconds"] < wall
            assert change["server_cpu_s"] >= 0
            assert change["browser_cpu_s"] > 0  # Chromium redrew the page: its processes spent some CPU
            assert change["charts"] >= 1 and change["title"]
        c = page["change_s"]
        assert c["n"] == 8 and c["p50"] <= c["p95"] <= c["max"]
        assert page["failed"] == 0
    sessions = run["sessions"]
    assert sessions["sessions"] == 2 and sessions["drawn"] == 2 and sessions["failed"] == 0
    assert len(sessions["each_s"]) == 2 and all(0 < s < wall for s in sessions["each_s"])
    assert sessions["server_cpu_s"] > 0  # two sessions drew a page: the server did some work
    assert sessions["server_rss_peak_mb"] >= sessions["server_rss_before_mb"] > 0
    assert written["targets"] == []  # the targets are for 1M and 10M leads, not a tiny sample


def test_browser_options_are_checked(capsys):
    assert main(["bench", "--browser", "--leads", "10", "--pages", "nowhere"]) == 2
    assert "--pages" in capsys.readouterr().err
    assert main(["bench", "--sessions", "3", "--leads", "10"]) == 2
    assert "--browser" in capsys.readouterr().err


@pytest.mark.e2e
def test_the_probe_counts_what_is_drawn_not_what_is_announced():
    # a selectbox clears its screen-reader announcement ("3 options available") about a second after a
    # choice: a change inside an aria-live region is drawn nowhere, so it must not move the page's last change
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(bench_browser.CHROMIUM).exists():
        pytest.skip(f"{bench_browser.CHROMIUM} is missing")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bench_browser.CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.add_init_script(bench_browser.PROBE_SCRIPT)
            page.goto(
                "data:text/html,<div aria-live='polite'><span id='said'>3 options</span></div><p id='shown'>a</p>"
            )
            counted = "() => window.__funnelBench.mutations"
            before = page.evaluate(counted)
            page.evaluate("() => { document.getElementById('said').textContent = ''; }")
            page.evaluate("() => document.querySelector('[aria-live]').append(document.createElement('div'))")
            time.sleep(0.1)  # mutation observers report asynchronously
            assert page.evaluate(counted) == before
            page.evaluate("() => { document.getElementById('shown').textContent = 'b'; }")
            time.sleep(0.1)
            assert page.evaluate(counted) == before + 1
        finally:
            browser.close()

"""New data while serving: a running dashboard shows a snapshot imported after it started, and reopens a
snapshot replaced with `funnel import --replace` (what is kept open is keyed by the snapshot's facts key).

The fast tests check the identity itself; the e2e test goes through `funnel serve` and headless Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from serving import CHROMIUM, chromium, chromium_available, serving

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
METRIC = '[data-testid="stMetricValue"]'


def funnel_import(source: Path, out: Path, *extra: str) -> None:
    # a snapshot folder is itself a valid export (the contract's own column names, no mapping needed)
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "import", "--source", str(source), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


def test_the_identity_is_the_facts_key_and_changes_when_a_snapshot_is_replaced(tmp_path):
    from dashboard.app_state import snapshot_identity

    funnel_import(SAMPLE / "2026-10-31", tmp_path)
    first = snapshot_identity(str(tmp_path), "2026-10-31")
    assert snapshot_identity(str(tmp_path), "2026-10-31") == first  # same files: same identity
    funnel_import(SAMPLE / "2026-09-30", tmp_path, "--as-of", "2026-10-31T20:00:00Z", "--replace")
    assert snapshot_identity(str(tmp_path), "2026-10-31") != first
    # a policy change is a new identity too: the facts bind its values
    replaced = snapshot_identity(str(tmp_path), "2026-10-31")
    (tmp_path / "funnel.toml").write_text("[conversion]\nwindow_days = 30\n", encoding="utf-8")
    assert snapshot_identity(str(tmp_path), "2026-10-31") != replaced


def test_the_listing_changes_with_an_import(tmp_path):
    from dashboard.app_state import _listing

    funnel_import(SAMPLE / "2026-10-31", tmp_path)
    before = _listing(str(tmp_path))
    assert [name for name, _ in before] == ["2026-10-31"]
    funnel_import(SAMPLE / "2026-09-30", tmp_path)
    assert [name for name, _ in _listing(str(tmp_path))] == ["2026-09-30", "2026-10-31"]


def _metrics(page) -> list[str]:
    page.wait_for_selector(METRIC, timeout=90_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    return page.locator(METRIC).all_inner_texts()


def _as_of(page) -> str:
    return page.locator('[data-testid="stSidebar"]').get_by_text("Data as of").inner_text(timeout=60_000)


@pytest.mark.e2e
@pytest.mark.slow
def test_a_running_dashboard_sees_new_and_replaced_snapshots(tmp_path):
    if not chromium_available():
        pytest.skip(f"needs playwright and Chromium at {CHROMIUM}")
    funnel_import(SAMPLE / "2026-10-31", tmp_path)
    with serving(["--data", str(tmp_path)], cwd=ROOT, env=dict(os.environ)) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "/?snapshot=2026-10-31")
        before = _metrics(page)
        assert _as_of(page) == "Data as of 31 Oct 2026 23:59 UTC"

        # imported after the server started: listed and opened, no restart
        funnel_import(SAMPLE / "2026-09-30", tmp_path)
        page.goto(base + "/?snapshot=2026-09-30")
        _metrics(page)
        assert _as_of(page) == "Data as of 30 Sep 2026 23:59 UTC"

        # the same name, new files: the September export taken again as of 31 Oct 20:00
        funnel_import(SAMPLE / "2026-09-30", tmp_path, "--as-of", "2026-10-31T20:00:00Z", "--replace")
        page.goto(base + "/?snapshot=2026-10-31")
        after = _metrics(page)
        assert _as_of(page) == "Data as of 31 Oct 2026 20:00 UTC"  # from the reopened snapshot's own files
        assert after != before  # October's numbers of the old files are gone with them

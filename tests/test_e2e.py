"""End to end: `funnel serve` on a free port, every page opened in headless Chromium.

Checks that each page draws its charts (plotly SVG present), shows no error or exception element, that a
URL filter reproduces a view, that clicking a funnel bar lists its records, and how long a filter change
takes to redraw. Screenshots of every page (1600x1000) go to screenshots/ (gitignored).

Run: pytest -m e2e tests/test_e2e.py   (needs playwright and /usr/bin/chromium)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import chromium, serving

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHOTS = ROOT / "screenshots"
# url path -> (screenshot name, the number of charts the page draws)
PAGES = {
    "": ("overview", 3),
    "funnel": ("funnel", 2),
    "campaigns": ("campaigns", 2),
    "sla": ("sla", 5),
    "scoring": ("scoring", 1),
    "plan": ("plan", 1),
    "data": ("data", 0),
    "changes": ("changes", 1),
}
# the page is done: no script running, a title, at least `expected` charts, each container drawn as SVG
READY = """(expected) => {
  if (document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')) return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  const boxes = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
  const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').length;
  return boxes >= expected && drawn >= boxes;
}"""
# the first metric shows a new value and the script has finished
REDRAWN = """(old) => {
  const v = document.querySelector('[data-testid="stMetricValue"]');
  return v && v.innerText !== old && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def server():
    if not any(SAMPLE.glob("*/snapshot.json")):
        pytest.skip("no committed sample under data/sample")
    with serving(["--data", str(SAMPLE)], cwd=ROOT) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def open_page(pg, url: str, charts: int = 0) -> None:
    pg.goto(url)
    pg.wait_for_function(READY, arg=charts, timeout=60_000, polling=100)
    pg.wait_for_timeout(500)  # a rerun may start right after the first paint (URL-bound widgets)
    pg.wait_for_function(READY, arg=charts, timeout=60_000, polling=100)


def test_server_binds_to_localhost_only(server):
    assert server.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_draws(server, page, path):
    name, expected_charts = PAGES[path]
    open_page(page, f"{server}/{path}", expected_charts)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
    assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() == expected_charts
    if expected_charts:
        assert page.locator(".js-plotly-plot svg.main-svg").count() >= expected_charts
    assert "Data as of" in page.locator('[data-testid="stSidebar"]').inner_text()


def test_url_filter_reproduces_the_view(server, page):
    open_page(page, f"{server}/sla?segment=Enterprise&period=Last+full+quarter", 5)
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert "segment=Enterprise" in caption
    assert "Jul 2026" in caption or "2026" in caption
    page.screenshot(path=str(SHOTS / "sla_enterprise_quarter.png"))
    open_page(page, f"{server}/?campaign=C0093", 1)  # a hand-written link may name the campaign by id
    caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text()
    assert "campaign=C0093" in caption


def test_clicking_a_funnel_bar_lists_its_records(server, page):
    open_page(page, f"{server}/funnel", 2)
    bars = page.locator('[data-testid="stPlotlyChart"]').first.locator(".bars .point path")
    assert bars.count() == 6
    bars.nth(1).click(force=True)  # the MQL bar
    page.wait_for_selector('[data-testid="stDownloadButton"]', timeout=30_000)
    page.wait_for_function(READY, arg=2, timeout=60_000, polling=100)
    # the records' CSV and Parquet downloads
    assert "records" in page.locator('[data-testid="stDownloadButton"]').first.inner_text()
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    page.locator('[data-testid="stDownloadButton"]').first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "funnel_records.png"))


def test_clicking_a_waterfall_bar_lists_its_opportunities(server, page):
    open_page(page, f"{server}/changes", 1)
    bars = page.locator('[data-testid="stPlotlyChart"]').first.locator(".point path")
    assert bars.count() == 9  # start, seven flows, end
    box = bars.nth(4).bounding_box()  # won
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector('[data-testid="stDownloadButton"]', timeout=30_000)
    page.wait_for_function(READY, arg=1, timeout=60_000, polling=100)
    assert "opportunities" in page.locator('[data-testid="stDownloadButton"]').first.inner_text()
    assert "Won: " in page.locator('[data-testid="stMain"]').inner_text()
    page.screenshot(path=str(SHOTS / "changes_records.png"))


def test_filter_change_redraws_fast(server, page):
    """A filter change on the sample redraws the Overview quickly (cached queries; measured in the browser)."""
    open_page(page, f"{server}/", 3)
    value = page.locator('[data-testid="stMetricValue"]').first
    timings = []
    for segment in ("Enterprise", "SMB", "Mid-Market", "Enterprise"):
        before = value.inner_text()
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Segment").click()
        start = time.perf_counter()
        page.get_by_role("option", name=segment, exact=True).click()
        page.wait_for_function(REDRAWN, arg=before, timeout=30_000, polling=20)
        timings.append(time.perf_counter() - start)
    print("filter change -> redraw (s):", ", ".join(f"{t:.2f}" for t in timings))
    assert f"segment={segment}" in page.url or "segment=" in page.url
    # the last change repeats an earlier one: served from cache
    assert min(timings) < 1.0

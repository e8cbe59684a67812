"""End to end, in headless Chromium: the meeting record and the exports inside the app.

`funnel serve` on a temporary data root (the committed sample's snapshots linked in, so meetings.sqlite is
written there): two browser sessions add chart notes and decisions/actions at the same time, and a third
sees them on the charts and, in the next meeting's view, under "Agreed last time"; the meeting deck and a
chart's PNG and SVG are downloaded from the app and opened.

Run: pytest -m e2e tests/test_meeting_e2e.py   (needs playwright and /usr/bin/chromium)
"""

from __future__ import annotations

import datetime as dt
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sample_root import linked_sample
from serving import chromium, serving

from dashboard.meetings import MeetingStore

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
# the script has finished and the page's charts are drawn
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]')
  && !!document.querySelector('[data-testid="stMain"] h1')
  && document.querySelectorAll('[data-testid="stPlotlyChart"]').length
     === document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').length"""
# the hover texts of every chart's notes trace (plotly keeps the figure on its div)
NOTES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
  gd => (gd.data || []).filter(t => t.meta === 'chart-notes').flatMap(t => t.hovertext).join(' | '))"""


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return linked_sample(tmp_path_factory.mktemp("meeting_root"))


@pytest.fixture(scope="module")
def server(data_root):
    env = {k: v for k, v in os.environ.items() if k != "BROWSER_PATH"}  # kaleido finds /usr/bin/chromium
    with serving(["--data", str(data_root)], cwd=ROOT, env=env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def session(browser):
    """A browser context of its own: its own Streamlit session, as a second person's laptop would be."""
    return browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True).new_page()


def open_page(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_function(IDLE, timeout=90_000, polling=100)
    pg.wait_for_timeout(600)  # URL-bound widgets may rerun once right after the first paint
    pg.wait_for_function(IDLE, timeout=90_000, polling=100)


def expand(pg, title: str):
    """Open a (closed) expander by its title; returns the form inside it."""
    box = pg.locator('[data-testid="stExpander"]').filter(has_text=title)
    if box.locator("details[open]").count() == 0:
        box.locator("summary").click()
    return box.locator('[data-testid="stForm"]')


def fill_note(pg, text: str):
    form = expand(pg, "Add a chart note")
    form.locator("textarea").fill(text)
    return form.get_by_role("button", name="Add the note")


def fill_record(pg, text: str, kind: str, owner: str = "", due: dt.date | None = None):
    form = expand(pg, "Record a decision or an action")
    form.locator('[data-testid="stRadio"] label').filter(has_text=kind).click()
    form.locator("textarea").fill(text)
    if owner:
        form.locator("input[aria-label=Owner]").fill(owner)
    if due:
        form.locator('[data-testid="stDateInput"] [role=spinbutton][data-type=year]').click()
        pg.keyboard.type(due.strftime("%Y%m%d"))
    return form.get_by_role("button", name="Record")


def succeeded(pg, text: str) -> None:
    pg.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=text).wait_for(timeout=60_000)
    assert pg.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0


def test_two_sessions_record_at_once_and_a_third_sees_it(server, browser, data_root):
    a, b = session(browser), session(browser)
    open_page(a, f"{server}/funnel")
    open_page(b, f"{server}/sla")
    submit_a, submit_b = fill_note(a, "Routing change <b>from A</b>"), fill_note(b, "Trade show from B")
    submit_a.click()
    submit_b.click()  # both submitted before either answer arrives
    succeeded(a, "Note for 31 Oct 2026 added")
    succeeded(b, "Note for 31 Oct 2026 added")

    # the meeting that reviewed snapshot 2026-09-30 records an action and a decision, from both sessions
    due = dt.date.today() + dt.timedelta(days=40)
    open_page(a, f"{server}/?snapshot=2026-09-30")
    open_page(b, f"{server}/?snapshot=2026-09-30")
    submit_a = fill_record(a, "Answer MQLs within 8 hours (A)", "action", "Sam", due)
    submit_b = fill_record(b, "Pause non-brand paid search in SMB (B)", "decision")
    submit_a.click()
    submit_b.click()
    succeeded(a, "Action recorded by anonymous")
    succeeded(b, "Decision recorded by anonymous")

    # a third session: both notes on the Funnel trend and on both SLA trends (as plain text, escaped)
    c = session(browser)
    open_page(c, f"{server}/funnel")
    funnel_notes = [n for n in c.evaluate(NOTES) if n]
    assert len(funnel_notes) == 1
    assert "Routing change &lt;b&gt;from A&lt;/b&gt;" in funnel_notes[0] and "Trade show from B" in funnel_notes[0]
    open_page(c, f"{server}/sla")
    assert len([n for n in c.evaluate(NOTES) if "Trade show from B" in n and "from A" in n]) == 2
    c.locator(".js-plotly-plot").filter(has=c.locator(".scatterlayer")).first.scroll_into_view_if_needed()

    # the next meeting (the newest snapshot, 2026-10-31) opens with what was agreed at 2026-09-30
    open_page(c, f"{server}/")
    grid = c.locator('[data-testid="stDataFrame"]').first
    # the grid draws its cells after the page settles: wait for the row rather than read a grid still empty
    grid.locator("[role=gridcell]").filter(has_text="Answer MQLs within 8 hours (A)").first.wait_for(
        state="attached", timeout=30_000
    )
    cells = grid.locator("[role=gridcell]").all_inner_texts()
    assert "Answer MQLs within 8 hours (A)" in cells and "Pause non-brand paid search in SMB (B)" in cells
    assert "Sam" in cells and due.isoformat() in cells
    c.screenshot(path=str(data_root / "overview.png"))
    record = MeetingStore.open(data_root)
    assert len(record.notes()) == 2 and len(record.actions("2026-09-30")) == 2
    assert {n.created_by for n in record.notes()} == {"anonymous"}


def test_deck_and_chart_images_download_from_the_app(server, browser, tmp_path):
    from PIL import Image
    from pptx import Presentation

    pg = session(browser)
    open_page(pg, f"{server}/?segment=Enterprise")
    pg.get_by_role("button", name="Export meeting deck").click()
    button = pg.locator('[data-testid="stDownloadButton"]').filter(has_text="Download funnel-review-")
    button.wait_for(timeout=180_000)
    with pg.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "funnel-review-2026-10-01-2026-10-31-enterprise.pptx"
    deck = tmp_path / download.suggested_filename
    download.save_as(deck)
    prs = Presentation(str(deck))
    cover = "\n".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert "Filters: segment=Enterprise" in cover and "Snapshot as of 2026-10-31 23:59 UTC" in cover
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[1].startswith("Agreed last time") and titles[-1].startswith("Agreed today")
    footer = next(sh.text_frame.text for sh in prs.slides[2].shapes if sh.name == "Footer context")
    assert "segment=Enterprise" in footer and "as of 2026-10-31 23:59 UTC" in footer
    assert any(sh.name == "Chart picture" for s in prs.slides for sh in s.shapes)  # kaleido rendered in the app

    # the Overview's chart as PNG and SVG, rendered only on the click
    popover = pg.locator('[data-testid="stPopover"]').first
    popover.locator("button").first.click()
    for label, check in (("Download PNG", "png"), ("Download SVG", "svg")):
        with pg.expect_download(timeout=90_000) as info:
            pg.get_by_role("button", name=label).click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        assert path.suffix == f".{check}"
        if check == "png":
            with Image.open(path) as image:
                assert image.format == "PNG" and image.width >= 1000
        else:
            assert ET.parse(path).getroot().tag.endswith("svg")
        if label == "Download PNG":  # the popover closes after a download: open it again
            if (
                pg.get_by_role("button", name="Download SVG").count() == 0
                or not pg.get_by_role("button", name="Download SVG").is_visible()
            ):
                popover.locator("button").first.click()

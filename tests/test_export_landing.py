"""The deck's "what changed" waterfall and "Where this quarter will land" slides, and the projected rates on
its trend slide: native charts carrying the API's numbers, definitions in the notes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from dashboard import export
from dashboard.api import CHANGE_BUCKETS, Funnel
from dashboard.metrics import BY_KEY

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
GENERATED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def funnel():
    return Funnel.open(SAMPLE)


@pytest.fixture(scope="module")
def slides(funnel):
    prs = Presentation(io.BytesIO(export.build_deck(funnel, generated_at=GENERATED)))
    return {s.shapes.title.text: s for s in prs.slides}


def find(slides, start: str):
    return next(s for title, s in slides.items() if title.startswith(start))


def chart_of(slide, name: str):
    return next(s for s in slide.shapes if s.name == name).chart


def test_waterfall_slide_is_a_native_chart_of_the_api_buckets(slides, funnel):
    changes = funnel.changes()
    slide = find(slides, "Open pipeline up")
    assert "largest movers" in slide.shapes.title.text
    chart = chart_of(slide, "Waterfall")
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_STACKED
    assert len(list(chart.plots[0].categories)) == len(CHANGE_BUCKETS)
    base, added, taken, totals = (list(s.values) for s in chart.plots[0].series)
    b = {k: v["amount"] for k, v in changes["buckets"].items()}
    assert totals[0] == b["start"] and totals[-1] == b["end"]
    assert added[1] == b["new"] and taken[4] == b["won"] and taken[5] == b["lost"]
    # each step stands where the previous one ended: start + new, then down by won to the lost step's top
    assert base[4] == pytest.approx(b["start"] + b["new"] + b["increased"] - b["decreased"] - b["won"])
    notes = slide.notes_slide.notes_text_frame.text
    assert BY_KEY["changes_removed"].definition in notes and changes["from_as_of"] in notes


def test_landing_slide_shows_the_pace_of_the_quarter(slides, funnel):
    quarter = funnel.pace()["quarter"]
    slide = find(slides, "Where this quarter will land")
    table = next(s for s in slide.shapes if s.name == "Pace").table
    bookings = [c.text for c in table.rows[4].cells]
    assert bookings[0] == "Bookings" and bookings[1] == BY_KEY["bookings_to_date"].format(quarter["bookings_to_date"])
    chart = chart_of(slide, "Bookings against target")
    assert chart.chart_type == XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS
    cumulative = list(chart.plots[0].series[0].values)
    assert cumulative[-1] == quarter["bookings_to_date"]
    assert "targets are set for 1 of its 3 months" in " ".join(
        s.text_frame.text for s in slide.shapes if s.has_text_frame
    )
    assert BY_KEY["pipeline_coverage"].definition in slide.notes_slide.notes_text_frame.text


def test_trend_slide_has_the_projected_rates_beside_the_observed(slides):
    slide = next(s for s in slides.values() if any(sh.name.startswith("Trend ") for sh in s.shapes))
    notes = slide.notes_slide.notes_text_frame.text
    assert "Projected (learned from the mature cohorts of Feb 2026 – Jul 2026)" in notes


def test_deck_of_the_oldest_snapshot_says_there_is_nothing_to_compare(tmp_path):
    prs = Presentation(io.BytesIO(export.build_deck(Funnel.open(SAMPLE, "2026-09-30"), generated_at=GENERATED)))
    slide = next(s for s in prs.slides if s.shapes.title.text == "What changed since the last snapshot")
    assert any("no snapshot before" in s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_funnel_slide_notes_give_the_maturing_cohorts_projected_rates(slides):
    # the sample's last full month (Oct 2026) is younger than W = 90 days: its "Won 0" gets a projection
    slide = find(slides, "MQL → SQL fell")
    notes = slide.notes_slide.notes_text_frame.text
    assert "Projected final rates of this still-maturing cohort" in notes and "Opportunity → Won" in notes

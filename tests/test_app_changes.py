"""The Changes page and the Overview's "Where we will land", through Streamlit's AppTest on the sample."""

from __future__ import annotations

from test_app_pages import app, data_root, funnel, no_exception  # noqa: F401 (fixtures)

from dashboard.metrics import BY_KEY, format_value


def test_changes_page_draws_the_waterfall_of_the_api(app, funnel):
    at = app("changes")
    no_exception(at)
    expected = funnel.changes()
    chart = at.get("plotly_chart")[0].proto.spec
    # the waterfall's bars are the API's buckets, start to end, and the title names the largest movers
    assert "waterfall" in chart and "largest movers" in chart
    for key in ("start", "end", "won", "lost", "new"):
        assert format_value(expected["buckets"][key]["amount"], "currency") in chart, key
    assert "30 Sep 2026" in chart and "31 Oct 2026" in chart  # both as-of dates
    shown = {m.label: m.value for m in at.metric}
    label = f"{BY_KEY['won_bookings'].label} · {expected['buckets']['won']['count']:,} deals"
    assert shown[label] == format_value(expected["won_bookings"], "currency")


def test_changes_page_follows_the_filters(app, funnel):
    at = app("changes", segment="Enterprise")
    no_exception(at)
    amount = funnel.changes(segment="Enterprise")["buckets"]["end"]["amount"]
    assert format_value(amount, "currency") in at.get("plotly_chart")[0].proto.spec


def test_changes_page_on_the_oldest_snapshot_says_there_is_nothing_before(app):
    at = app("changes", snapshot="2026-09-30")
    no_exception(at)
    assert any("oldest" in i.value for i in at.info)


def test_overview_shows_where_we_will_land(app, funnel):
    at = app("overview")
    no_exception(at)
    quarter = funnel.pace()["quarter"]
    shown = {m.label: m.value for m in at.metric}
    assert shown[BY_KEY["bookings_to_date"].label] == format_value(quarter["bookings_to_date"], "currency")
    assert shown[BY_KEY["pipeline_coverage"].label] == format_value(quarter["pipeline_coverage"], "multiple")
    assert shown[BY_KEY["mqls_pace"].label] == format_value(quarter["mqls_pace"], "rate")
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert sum("Target, pro rata" in s for s in specs) == 2  # bookings and MQLs against the target line
    assert any("of pace" in m.value for m in at.markdown)


def test_funnel_trend_shows_the_projected_segment(app):
    at = app("funnel")
    no_exception(at)
    trend = at.get("plotly_chart")[-1].proto.spec
    assert "projected" in trend and "learned from the mature cohorts of Feb 2026" in trend

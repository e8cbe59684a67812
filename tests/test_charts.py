"""charts.py and findings.py: pure functions, tested on real query results of the sample and on edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboard import charts, findings
from dashboard.api import Funnel
from dashboard.filters import Filters

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def funnel() -> Funnel:
    if not any(SAMPLE.glob("*/snapshot.json")):
        pytest.skip("no committed sample under data/sample")
    return Funnel.open(SAMPLE)


@pytest.fixture(scope="module")
def monthly(funnel) -> pl.DataFrame:
    return funnel.kpi_table(funnel.monthly_periods(13), Filters())


def test_colours_are_distinct_hex():
    colours = [charts.MARKETING_COLOR, charts.SALES_COLOR, charts.JOINT_COLOR]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in colours)
    assert len(set(colours)) == 3
    assert charts.side_color("mqls") == charts.MARKETING_COLOR
    assert charts.side_color("bookings") == charts.SALES_COLOR
    assert charts.side_color("mql_to_sql_rate") == charts.JOINT_COLOR


def test_charts_import_no_streamlit():
    source = (Path(charts.__file__).read_text(), Path(findings.__file__).read_text())
    assert all("streamlit" not in s and "duckdb" not in s for s in source)


def test_funnel_chart(funnel):
    row = funnel.kpi_table([funnel.default_period()], Filters()).row(0, named=True)
    fig = charts.funnel_chart(row, "title")
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert list(bar.x) == [row[k] for k, _, _ in charts.FUNNEL_STAGES]
    assert list(bar.customdata) == [k for k, _, _ in charts.FUNNEL_STAGES]  # a click names its stage
    assert "of previous" in bar.text[1] and "of leads" in bar.text[1]
    assert bar.marker.color[0] == charts.MARKETING_COLOR and bar.marker.color[-1] == charts.SALES_COLOR
    assert fig.layout.title.text == "title"


def test_funnel_chart_empty_cohort():
    fig = charts.funnel_chart({k: 0 for k, _, _ in charts.FUNNEL_STAGES})
    assert not fig.data and "No leads" in fig.layout.annotations[0].text


def test_trend_chart_marks_immature_cohorts(monthly):
    fig = charts.trend_chart(monthly, "mql_to_sql_rate")
    assert len(fig.data) == 2
    mature, maturing = fig.data
    assert "mature" in mature.name and "maturing" in maturing.name
    assert maturing.line.dash == "dash" and maturing.line.color == charts.MUTED_COLOR
    flags = monthly["cohort_mature"].to_list()
    # the solid line holds only mature months; the dashed one only immature months (plus the joint point)
    assert all(v is None for v, ok in zip(mature.y, flags) if not ok)
    last_mature = max(i for i, ok in enumerate(flags) if ok)
    assert all(v is None for i, (v, ok) in enumerate(zip(maturing.y, flags)) if ok and i != last_mature)


def test_trend_chart_volume_is_one_line_with_target(monthly):
    fig = charts.trend_chart(monthly, "mqls", target_key="mql_target", values=False)
    assert [t.name for t in fig.data] == ["MQLs", "MQL target"]
    assert fig.data[0].mode == "lines+markers"


def test_campaign_and_attribution_charts(funnel):
    period = funnel.default_period()
    one = funnel.attribution_table(period, Filters(), funnel.policy.model)
    fig = charts.campaign_roi_chart(one)
    assert [t.name for t in fig.data] == ["Campaign cost", "Attributed bookings"]
    assert all(c.startswith("C") for c in fig.data[0].customdata)
    every = funnel.attribution_table(period, Filters(), None)
    fig = charts.attribution_compare_chart(every, policy_model=funnel.policy.model)
    assert len(fig.data) == 6 and "(policy)" in fig.data[0].name
    shares = charts.attribution_shares(every)
    for model in {m for m, _ in shares}:
        assert sum(v for (m, _), v in shares.items() if m == model) == pytest.approx(1.0)


def test_sla_chart_draws_the_floor(monthly):
    fig = charts.sla_chart(monthly, min_acceptance_rate=0.6, hours=24, days=5)
    assert len(fig.data) == 3
    assert "24 h" in fig.data[0].name and "5 d" in fig.data[1].name
    assert fig.layout.shapes[0].y0 == 0.6


def test_scoring_chart_intervals(funnel):
    bands = funnel.scoring_table(funnel.default_period(), Filters())
    fig = charts.scoring_chart(bands, threshold=50)
    bar = fig.data[0]
    assert len(bar.y) == 10
    assert all(lo >= 0 and hi >= 0 for lo, hi in zip(bar.error_y.arrayminus, bar.error_y.array))
    assert bar.marker.color[0] != bar.marker.color[-1]  # below the threshold is pale


def test_plan_chart(funnel):
    plan = funnel.plan(1_000_000)
    fig = charts.plan_chart(plan)
    assert list(fig.data[0].y) == [label for _, label, _ in charts.PLAN_STAGES]
    assert any("by " in t for t in fig.data[0].text)
    assert charts.plan_chart({"needed": {}}).layout.annotations


def test_other_charts(funnel):
    period = funnel.default_period()
    row = funnel.kpi_table([period], Filters()).row(0, named=True)
    assert len(charts.sourced_chart(row).data) == 4
    by_segment = funnel.kpi_table([period], Filters(), "segment")
    fig = charts.target_bars_chart(by_segment, "mqls", "mql_target")
    assert all(not str(x).startswith("<b>(") for x in fig.data[0].x)
    owners = funnel.kpi_table([period], Filters(), "owner")
    assert charts.owner_chart(owners).data
    reasons = funnel.records("rejection_reasons", period, Filters(), owner=None)
    assert charts.count_bars_chart(reasons, "rejection_reason", "rejected_mqls").data


def test_charts_survive_empty_frames(funnel):
    empty = funnel.kpi_table([funnel.default_period()], Filters()).clear()
    for fig in (
        charts.trend_chart(empty, "mqls"),
        charts.sla_chart(empty),
        charts.campaign_roi_chart(empty),
        charts.owner_chart(empty),
        charts.scoring_chart(empty),
    ):
        assert isinstance(fig, go.Figure) and fig.layout.annotations


# -- findings --------------------------------------------------------------------------------------------
def test_change_finding_wording():
    assert (
        findings.change_finding("mql_to_sql_rate", 0.19, 0.24, "Enterprise")
        == "MQL → SQL fell from 24% to 19% in Enterprise"
    )
    assert findings.change_finding("mqls", 462, 400, None) == "MQLs rose from 400 to 462"
    assert findings.change_finding("mqls", 400, 400) == "MQLs held at 400"
    assert "no value" in findings.change_finding("win_rate", None, 0.2)
    assert "nothing to compare" in findings.change_finding("win_rate", 0.2, None)
    # two rates that round to the same whole percent keep a decimal so the sentence is not absurd
    assert findings.change_finding("win_rate", 0.243, 0.238) == "Win rate rose from 23.8% to 24.3%"


def test_delta_text_and_colour():
    assert findings.delta_text("win_rate", 0.25, 0.2) == "+5.0 pts"
    assert findings.delta_text("bookings", 1_000_000, 1_250_000) == "-$250.0k"
    assert findings.delta_text("mqls", 5, None) is None
    assert findings.delta_color("sales_cycle_days") == "inverse"
    assert findings.delta_color("marketing_cost") == "off"


def test_other_findings(funnel):
    period = funnel.default_period()
    assert "of target" in findings.target_finding(462, 472)
    assert "above the agreed 60% floor" in findings.floor_finding(0.68, 0.6)
    assert "below" in findings.floor_finding(0.5, 0.6)
    assert findings.small_cohort_warning(12) and findings.small_cohort_warning(30) is None
    assert "AUC" in findings.scoring_finding(funnel.scoring_table(period, Filters()))
    assert "MQLs" in findings.plan_finding(funnel.plan(1_000_000))
    shares = charts.attribution_shares(funnel.attribution_table(period, Filters(), None))
    assert "pipeline credit under" in findings.attribution_finding(shares)
    rows = funnel.attribution_table(period, Filters(), "linear").to_dicts()
    assert findings.campaign_finding(rows).startswith("Best return")
    owners = funnel.kpi_table([period], Filters(), "owner").to_dicts()
    assert "never got a response" in findings.untouched_finding(owners)
    assert findings.scope_text(Filters(segment="SMB", region="EMEA")) == "SMB, EMEA"
    assert findings.scope_text(Filters()) is None


# -- the registry decides (issue 21): cohort metrics, currency, the AUC's format ------------------------
def _two_months(key: str, first: float, second: float) -> pl.DataFrame:
    # Aug is a mature cohort, Sep is not (its W days have not passed by as_of)
    return pl.DataFrame(
        {
            "period_key": ["2026-08-01..2026-08-31", "2026-09-01..2026-09-30"],
            key: [first, second],
            "cohort_mature": [True, False],
        }
    )


def test_a_steps_median_days_is_a_cohort_metric_its_immature_months_drawn_apart():
    fig = charts.trend_chart(_two_months("median_days_mql_to_sql", 12.0, 4.0), "median_days_mql_to_sql")
    assert [t.name for t in fig.data] == [
        "Days MQL → SQL (mature cohorts)",
        "Days MQL → SQL (still maturing: will rise)",
    ]
    assert list(fig.data[0].y) == [12.0, None]  # September's 4.0 days is not drawn as comparable


def test_a_trend_finding_compares_only_mature_months_of_a_steps_median():
    rows = [
        {"period_key": "2026-07-01..2026-07-31", "median_days_mql_to_sql": 10.0, "cohort_mature": True},
        *_two_months("median_days_mql_to_sql", 12.0, 4.0).to_dicts(),
    ]
    text = findings.trend_finding(rows, "median_days_mql_to_sql")
    # Jul 10.0 d -> Aug 12.0 d, the two latest mature cohorts; September (4.0 d, maturing) is left out
    assert "Jul 2026 → Aug 2026" in text and "Sep" not in text


def test_sales_cycle_is_a_flow_not_a_cohort_metric():
    from dashboard.metrics import BY_KEY

    assert not BY_KEY["sales_cycle_days"].is_cohort and BY_KEY["median_days_sql_to_opp"].is_cohort
    fig = charts.trend_chart(_two_months("sales_cycle_days", 30.0, 20.0), "sales_cycle_days")
    assert len(fig.data) == 1 and list(fig.data[0].y) == [30.0, 20.0]


def test_money_on_charts_is_in_the_reporting_currency():
    frame = pl.DataFrame({"period_key": ["2026-08-01..2026-08-31"], "pipeline": [25_000.0], "cohort_mature": [True]})
    fig = charts.trend_chart(frame, "pipeline", currency="EUR")
    assert fig.layout.yaxis.tickprefix == "€"
    assert fig.data[0].text == ("€25.0k",)  # 25,000 >= 10,000: thousands with one decimal
    bars = charts.target_bars_chart(
        pl.DataFrame({"group_key": ["SMB"], "pipeline": [500.0], "pipeline_target": [800.0]}),
        "pipeline",
        "pipeline_target",
        currency="GBP",
    )
    assert bars.layout.yaxis.tickprefix == "£" and bars.data[1].text == ("£500",)
    # the sourced chart's hover gives the full amount in the same currency (it once said "$" always)
    row = {
        "pipeline": 30_000.0,
        "marketing_sourced_pipeline": 20_000.0,
        "sales_sourced_pipeline": 10_000.0,
        "other_sourced_pipeline": 0.0,
        "marketing_influenced_pipeline": 25_000.0,
    }
    sourced = charts.sourced_chart(row, currency="EUR")
    assert [t.hovertemplate for t in sourced.data] == [
        "Marketing-sourced: €%{x:,.0f}<extra></extra>",
        "Sales-sourced: €%{x:,.0f}<extra></extra>",
        "Partner/other-sourced: €%{x:,.0f}<extra></extra>",
        "Marketing-influenced: €%{x:,.0f}<extra></extra>",
    ]
    # 20,000 of 30,000 = 67%: the bar's own label, compact
    assert sourced.data[0].text == ("Marketing-sourced<br>€20.0k · 67%",)


def test_the_auc_has_one_format_everywhere():
    from dashboard.metrics import BY_KEY, excel_format, format_value

    # 0.7345 shows as 0.73 on the page, in the CLI table, in findings and in the deck's notes
    assert BY_KEY["score_auc"].format(0.7345) == "0.73" == format_value(0.7345, "score")
    assert excel_format("score") == "0.00"
    rows = [
        {"band": "0-10", "rate": 0.1, "leads": 10, "score_auc": 0.7345},
        {"band": "90-100", "rate": 0.6, "leads": 10, "score_auc": 0.7345},
    ]
    assert "AUC 0.73" in findings.scoring_finding(pl.DataFrame(rows))

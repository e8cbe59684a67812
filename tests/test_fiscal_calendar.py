"""The fiscal calendar wired through the CLI, presets, plan and deck (metrics.md "Fiscal calendar").

One tiny snapshot (as_of 2027-02-15T12:00:00Z, reporting zone UTC) under three policies: fiscal years
starting in January, February and July. Leads created at noon UTC on:
  2026-01-31, 2026-02-01, 2026-04-30, 2026-05-01, 2026-12-15, 2027-01-31, 2027-02-01
Monthly MQL targets (company-wide): Nov 2026 100, Dec 2026 200, Jan 2027 300.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from snapshot_builder import lead, write_snapshot

from dashboard.api import Funnel
from dashboard.cli import main
from dashboard.periods import Period, next_fiscal_quarter

AS_OF = "2027-02-15T12:00:00Z"
DAYS = ("2026-01-31", "2026-02-01", "2026-04-30", "2026-05-01", "2026-12-15", "2027-01-31", "2027-02-01")


def _root(tmp_path_factory, start_month: int):
    root = tmp_path_factory.mktemp(f"fiscal{start_month}")
    write_snapshot(
        root,
        AS_OF,
        f"[reporting]\nfiscal_year_start_month = {start_month}\n",
        leads=[lead(f"L{i}", f"{day}T12:00:00Z") for i, day in enumerate(DAYS)],
        targets=[
            {"month": m, "metric": "mqls", "target": t}
            for m, t in (("2026-11-01", 100.0), ("2026-12-01", 200.0), ("2027-01-01", 300.0))
        ],
    )
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    return {m: _root(tmp_path_factory, m) for m in (1, 2, 7)}


def kpis(capsys, root, *args):
    assert main(["kpis", "--data", str(root), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "start_month, period, days, leads",
    [
        # January: FY2026 = calendar 2026; Q1 = Jan-Mar 2026 holds Jan 31 and Feb 1
        (1, "FY2026-Q1", ("2026-01-01", "2026-03-31"), 2),
        (1, "FY2026", ("2026-01-01", "2026-12-31"), 5),  # every 2026 day of the list
        # February: FY2027 = Feb 2026 .. Jan 2027; Q1 = Feb-Apr 2026 holds Feb 1 and Apr 30
        (2, "FY2027-Q1", ("2026-02-01", "2026-04-30"), 2),
        # Q4 spans the calendar year: Nov 2026 .. Jan 2027 holds Dec 15 and Jan 31
        (2, "FY2027-Q4", ("2026-11-01", "2027-01-31"), 2),
        (2, "FY2027", ("2026-02-01", "2027-01-31"), 5),  # Feb 1 .. Jan 31: all but 2026-01-31 and 2027-02-01
        # July: FY2027 = Jul 2026 .. Jun 2027; Q2 = Oct-Dec 2026 (Dec 15), Q3 = Jan-Mar 2027 (Jan 31, Feb 1)
        (7, "FY2027-Q2", ("2026-10-01", "2026-12-31"), 1),
        (7, "FY2027-Q3", ("2027-01-01", "2027-03-31"), 2),
        (7, "FY2026-Q4", ("2026-04-01", "2026-06-30"), 2),  # Apr 30 and May 1
        (2, "2026-04", ("2026-04-01", "2026-04-30"), 1),  # a month stays a calendar month
    ],
)
def test_period_shorthand_on_the_cli(roots, capsys, start_month, period, days, leads):
    result = kpis(capsys, roots[start_month], "--period", period)
    assert result["period"] == {"from": days[0], "to": days[1]}
    assert result["kpis"]["leads"] == leads


def test_a_quarters_target_is_its_months_sum(roots, capsys):
    # FY2027 Q4 with a February start = Nov + Dec + Jan = 100 + 200 + 300
    assert kpis(capsys, roots[2], "--period", "FY2027-Q4")["kpis"]["mql_target"] == 600


@pytest.mark.parametrize("command", ["kpis", "campaigns", "scoring", "plan", "export"])
def test_every_period_command_takes_period(roots, capsys, tmp_path, command):
    """--period FY2027-Q1 (February start) prints what --from 2026-02-01 --to 2026-04-30 prints."""
    extra = {"plan": ["--target", "1000"], "export": ["--out", str(tmp_path / "deck.pptx")]}.get(command, [])
    printed = []
    for period in (["--period", "FY2027-Q1"], ["--from", "2026-02-01", "--to", "2026-04-30"]):
        assert main([command, "--data", str(roots[2]), *period, "--json", *extra]) == 0
        result = json.loads(capsys.readouterr().out)
        printed.append({k: v for k, v in result.items() if k not in ("seconds", "bytes")})
    assert printed[0] == printed[1]
    if command != "scoring":  # (scoring's JSON has no period)
        assert printed[0]["period"] == {"from": "2026-02-01", "to": "2026-04-30"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--period", "FY2027-Q5"], "--period"),
        (["--period", "2026-13"], "month 13"),
        (["--period", "FY2027", "--from", "2026-01-01", "--to", "2026-01-31"], "not both"),
    ],
)
def test_bad_period_is_refused_with_exit_2(roots, capsys, args, message):
    assert main(["kpis", "--data", str(roots[2]), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_readable_table_names_the_fiscal_quarter(roots, capsys):
    assert main(["kpis", "--data", str(roots[2]), "--period", "FY2027-Q4"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # (the table may wrap its title)
    assert "FY2027 Q4 (Nov 2026-Jan 2027): 2026-11-01 .. 2027-01-31" in out


def test_next_fiscal_quarter():
    # January start: after Jul-Sep 2026 comes Oct-Dec 2026
    assert next_fiscal_quarter(Period.of("2026-09-01", "2026-09-30"), 1) == Period.of("2026-10-01", "2026-12-31")
    # February start: after Aug-Oct 2026 comes Nov 2026-Jan 2027 (spanning the calendar year), then Feb-Apr
    assert next_fiscal_quarter(Period.of("2026-08-01", "2026-10-31"), 2) == Period.of("2026-11-01", "2027-01-31")
    assert next_fiscal_quarter(Period.of("2026-12-10", "2027-01-05"), 2) == Period.of("2027-02-01", "2027-04-30")
    # July start: after Apr-Jun 2026 (Q4 of FY2026) comes Jul-Sep 2026
    assert next_fiscal_quarter(Period.of("2026-04-01", "2026-06-30"), 7) == Period.of("2026-07-01", "2026-09-30")


@pytest.mark.parametrize(
    "start_month, preset, days",
    [
        # as_of 15 Feb 2027: February start -> Q1 of FY2028 began 1 Feb 2027; July -> Q3 began 1 Jan 2027
        (2, "Quarter to date", ("2027-02-01", "2027-02-15")),
        (7, "Quarter to date", ("2027-01-01", "2027-02-15")),
        (1, "Quarter to date", ("2027-01-01", "2027-02-15")),
        (2, "Year to date", ("2027-02-01", "2027-02-15")),
        (7, "Year to date", ("2026-07-01", "2027-02-15")),
        # the last full quarter before 15 Feb 2027: Nov-Jan (February start), Oct-Dec (July and January)
        (2, "Last full quarter", ("2026-11-01", "2027-01-31")),
        (7, "Last full quarter", ("2026-10-01", "2026-12-31")),
    ],
)
def test_sidebar_presets_are_fiscal(roots, start_month, preset, days):
    from dashboard.app_state import PRESETS, preset_period

    assert preset in PRESETS
    period = preset_period(preset, Funnel.open(roots[start_month]))
    assert period == Period(dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[1]))


def test_the_deck_names_the_fiscal_quarter_and_plans_the_next(roots):
    from pptx import Presentation

    from dashboard import export

    funnel = Funnel.open(roots[2])
    data = export.collect(funnel, Period.of("2026-08-01", "2026-10-31"))
    # a fiscal quarter's deck plans the next fiscal quarter, Nov 2026-Jan 2027, against its target 600
    assert data.plan_period == Period.of("2026-11-01", "2027-01-31")
    assert data.label(data.plan_period) == "FY2027 Q4 (Nov 2026-Jan 2027)"
    import io

    deck = Presentation(io.BytesIO(export.build_deck(funnel, Period.of("2026-08-01", "2026-10-31"))))
    texts = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    assert "FY2027 Q3 (Aug-Oct 2026)" in texts


def test_quarterly_trend_periods_and_names(roots):
    from dashboard import charts
    from dashboard.filters import Filters
    from dashboard.periods import fiscal_quarter_name

    funnel = Funnel.open(roots[2])  # February start, as_of 15 Feb 2027
    quarters = funnel.quarterly_periods(3)
    # the last three: Aug-Oct 2026 (FY2027 Q3), Nov 2026-Jan 2027 (Q4), and FY2028 Q1 up to as_of
    assert quarters == [
        Period.of("2026-08-01", "2026-10-31"),
        Period.of("2026-11-01", "2027-01-31"),
        Period.of("2027-02-01", "2027-02-15"),
    ]
    names = [fiscal_quarter_name(q, 2) for q in quarters]
    assert names == ["FY2027 Q3", "FY2027 Q4", "FY2028 Q1 to date"]
    trend = funnel.kpi_table(quarters, Filters())
    # leads: none in Aug-Oct; Dec 15 and Jan 31 in Nov-Jan; Feb 1 in Feb 1-15
    assert dict(zip(trend["period_key"], trend["leads"])) == {
        quarters[0].key: 0,
        quarters[1].key: 2,
        quarters[2].key: 1,
    }
    fig = charts.trend_chart(trend, "leads", x_labels=dict(zip((q.key for q in quarters), names)))
    assert list(fig.data[0].x) == names

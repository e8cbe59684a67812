"""Pacing for the current period and the projected conversion of a maturing cohort (metrics.md "Pacing and
projection"), each worked by hand on a tiny snapshot."""

from __future__ import annotations

import json

import pytest
from snapshot_builder import lead, opportunity, write_snapshot

from dashboard.api import PROJECTION_STEPS, Funnel
from dashboard.cli import main
from dashboard.filters import Filters
from dashboard.periods import Period

AS_OF = "2026-11-16T00:00:00Z"


@pytest.fixture(scope="module")
def paced(tmp_path_factory):
    """as_of 16 Nov 2026 00:00 UTC, calendar fiscal year: C = Q4 (1 Oct .. 31 Dec, n = 92 days, e = 46
    days elapsed) and the month November (n = 30, e = 15)."""
    root = tmp_path_factory.mktemp("pace")
    write_snapshot(
        root,
        AS_OF,
        leads=[
            lead("l0", "2026-09-30T00:00:00Z", mql_at="2026-09-30T12:00:00Z"),  # before C
            lead("l1", "2026-10-05T00:00:00Z", mql_at="2026-10-05T00:00:00Z"),
            lead("l2", "2026-11-02T00:00:00Z", mql_at="2026-11-02T00:00:00Z"),
            lead("l3", "2026-11-15T00:00:00Z", mql_at="2026-11-16T00:00:01Z"),  # a second after as_of
        ],
        opportunities=[
            opportunity(
                "o1", "2026-09-01T00:00:00Z", 1000, stage="Closed Won", is_won=True, closed_at="2026-10-10T00:00:00Z"
            ),
            opportunity(
                "o2", "2026-10-02T00:00:00Z", 2000, stage="Closed Won", is_won=True, closed_at="2026-11-03T00:00:00Z"
            ),
            opportunity("o3", "2026-10-15T00:00:00Z", 5000),  # open
            opportunity("o4", "2026-11-10T00:00:00Z", 1200),  # open
            opportunity(
                "o5", "2026-08-01T00:00:00Z", 300, stage="Closed Lost", is_closed=True, closed_at="2026-10-20T00:00:00Z"
            ),
        ],
        targets=[
            {"month": "2026-10-01", "metric": "bookings", "target": 3000.0},
            {"month": "2026-11-01", "metric": "bookings", "target": 3000.0},
            {"month": "2026-12-01", "metric": "bookings", "target": 3200.0},
            {"month": "2026-10-01", "metric": "mqls", "target": 10.0},
            {"month": "2026-11-01", "metric": "mqls", "target": 10.0},
            {"month": "2026-12-01", "metric": "mqls", "target": 10.0},
        ],
    )
    return Funnel.open(root)


def test_quarter_pace_worked_by_hand(paced):
    q = paced.pace()["quarter"]
    assert q["period"] == {"from": "2026-10-01", "to": "2026-12-31"} and q["days"] == 92
    assert q["elapsed_days"] == pytest.approx(46.0)  # 31 days of October + 15 of November
    # MQLs: l1 (5 Oct) and l2 (2 Nov); l0 is before C, l3 a second after as_of
    assert q["mqls_to_date"] == 2
    assert q["mqls_expected_to_date"] == pytest.approx(15.0)  # target 30 x 46 / 92
    assert q["mqls_pace"] == pytest.approx(2 / 15)
    assert q["mqls_run_rate"] == pytest.approx(4.0)  # 2 x 92 / 46
    # bookings: o1 (10 Oct) 1000 + o2 (3 Nov) 2000; target 3000 + 3000 + 3200 = 9200
    assert q["bookings_to_date"] == 3000.0
    assert q["bookings_expected_to_date"] == pytest.approx(4600.0)  # 9200 x 46 / 92
    assert q["bookings_pace"] == pytest.approx(3000 / 4600)
    assert q["bookings_run_rate"] == pytest.approx(6000.0)
    # pipeline: created in C: o2 2000 + o3 5000 + o4 1200; no pipeline target, so no expectation or pace
    assert q["pipeline_to_date"] == 8200.0
    assert q["pipeline_expected_to_date"] is None and q["pipeline_pace"] is None
    assert q["pipeline_run_rate"] == pytest.approx(16400.0)
    # coverage: open o3 5000 + o4 1200 = 6200 over what is left to book, 9200 - 3000 = 6200
    assert q["pipeline_coverage"] == pytest.approx(1.0)
    # targets for all three months of bookings and MQLs, none for pipeline
    assert (q["months"], q["bookings_target_months"], q["mqls_target_months"], q["pipeline_target_months"]) == (
        3,
        3,
        3,
        0,
    )


def test_month_pace_worked_by_hand(paced):
    m = paced.pace()["month"]
    assert m["period"] == {"from": "2026-11-01", "to": "2026-11-30"} and m["days"] == 30
    assert m["elapsed_days"] == pytest.approx(15.0)
    assert m["mqls_to_date"] == 1  # l2
    assert m["mqls_expected_to_date"] == pytest.approx(5.0)  # 10 x 15 / 30
    assert m["mqls_pace"] == pytest.approx(0.2)
    assert m["mqls_run_rate"] == pytest.approx(2.0)  # 1 x 30 / 15
    assert m["bookings_to_date"] == 2000.0  # o2
    assert m["bookings_pace"] == pytest.approx(2000 / 1500)  # expected 3000 x 15 / 30
    assert m["pipeline_coverage"] == pytest.approx(6.2)  # 6200 / (3000 - 2000)


def test_nothing_left_to_book_has_no_coverage(paced):
    # a period whose target is October's 3000 alone, counted to as_of: 3000 booked, 3000 - 3000 = 0 left
    row = paced.pace_table(Filters(), [Period.of("2026-10-01", "2026-10-31")]).row(0, named=True)
    assert row["bookings_to_date"] == 3000.0 and row["bookings_target"] == 3000.0
    assert row["pipeline_coverage"] is None
    # SMB has no target rows of its own (the targets are company-wide): no expectation, pace or coverage
    smb = paced.pace(segment="SMB")["quarter"]
    assert smb["bookings_expected_to_date"] is None and smb["bookings_pace"] is None
    assert smb["pipeline_coverage"] is None and smb["bookings_to_date"] == 3000.0


def test_daily_cumulative_ends_at_the_figure_to_date(paced):
    daily = paced.pace_daily(Filters())
    assert daily.height == 47  # 1 Oct .. 16 Nov (as_of is 16 Nov 00:00: that day counts up to as_of)
    assert daily["bookings_to_date"].to_list()[8:11] == [0.0, 1000.0, 1000.0]  # o1 won on 10 Oct (day 10)
    assert daily["bookings_to_date"][-1] == paced.pace()["quarter"]["bookings_to_date"]
    assert daily["mqls_to_date"].is_sorted()


def test_cli_pace(paced, capsys):
    root = paced.store.snapshot.path.parent
    assert main(["pace", "--data", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["quarter"]["bookings_to_date"] == 3000.0
    assert main(["pace", "--data", str(root)]) == 0
    assert "Pipeline coverage" in capsys.readouterr().out


@pytest.fixture(scope="module")
def maturing(tmp_path_factory):
    """W = 10 days, as_of 16 Nov 2026 00:00 UTC. The newest mature month is October (31 Oct 23:59:59 + 10
    days <= as_of), so the pool is May .. October; November's cohort is not mature.

    Pool, MQL -> SQL delays d: p1 2 days, p2 6 days, p3 20 (> W: not converted), p4 never. N = 4, so
    p(x) = (pool leads with d <= x) / 4 and p_final = p(10) = 2/4."""
    root = tmp_path_factory.mktemp("projection")

    def mql(lead_id, at, sql_at=None):
        return lead(lead_id, at, mql_at=at, sql_at=sql_at)

    write_snapshot(
        root,
        AS_OF,
        funnel_toml="[conversion]\nwindow_days = 10\n",
        leads=[
            mql("p1", "2026-10-01T00:00:00Z", "2026-10-03T00:00:00Z"),
            mql("p2", "2026-10-02T00:00:00Z", "2026-10-08T00:00:00Z"),
            mql("p3", "2026-10-03T00:00:00Z", "2026-10-23T00:00:00Z"),
            mql("p4", "2026-10-04T00:00:00Z"),
            # November's cohort, ages a = min(10, as_of - mql_at):
            mql("c1", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"),  # a 10, d 1 <= a: converted now
            mql("c2", "2026-11-12T00:00:00Z"),  # a 4: p(4) = 1/4, q = (1/2 - 1/4) / (3/4) = 1/3
            mql("c3", "2026-11-15T00:00:00Z"),  # a 1: p(1) = 0, q = 1/2
            mql("c4", "2026-11-06T00:00:00Z"),  # a 10: p(10) = 1/2, q = 0
            mql("c5", "2026-11-10T00:00:00Z"),  # a 6, a tie with p2's d = 6: p(6) = 2/4, q = 0
        ],
    )
    return Funnel.open(root)


def test_projection_worked_by_hand(maturing):
    november = Period.of("2026-11-01", "2026-11-30")
    assert maturing.default_trailing() == Period.of("2026-05-01", "2026-10-31")
    table = maturing.projection_table([november], Filters())
    # one row per step whose cohort has a lead in November: no opportunity here, so no opp_to_won cohort
    assert set(table["step"]) == set(PROJECTION_STEPS) - {"opp_to_won"}
    row = table.filter(table["step"] == "mql_to_sql").row(0, named=True)
    assert (row["pooled_leads"], row["cohort"], row["converted_now"]) == (4, 5, 1)
    assert row["p_final"] == pytest.approx(0.5)
    # (1 converted + 1/3 + 1/2 + 0 + 0) / 5 = 11/30
    assert row["projected_rate"] == pytest.approx(11 / 30)
    # beside the observed rate, which counts only c1 so far
    observed = maturing.kpi_table([november], Filters()).row(0, named=True)["mql_to_sql_rate"]
    assert observed == pytest.approx(1 / 5)


def test_mature_periods_get_no_projection(maturing):
    october = Period.of("2026-10-01", "2026-10-31")
    assert maturing.projection_table([october], Filters()).height == 0


def test_no_pool_no_projection(maturing):
    # a trailing period with no MQL in it: nothing to learn from, so no projected rate (not the observed one)
    table = maturing.projection_table(
        [Period.of("2026-11-01", "2026-11-30")], Filters(), trailing=Period.of("2025-01-01", "2025-06-30")
    )
    row = table.filter(table["step"] == "mql_to_sql").row(0, named=True)
    assert row["pooled_leads"] is None and row["projected_rate"] is None

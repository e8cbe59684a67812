"""The plan's two rules that the page and the deck share (Funnel.plan_target, Funnel.plan's already_past),
worked by hand on tiny snapshots."""

from __future__ import annotations

import datetime as dt

from snapshot_builder import lead, write_snapshot

from dashboard import findings
from dashboard.api import Funnel
from dashboard.filters import Filters, Period

SEPTEMBER = Period.of("2026-09-01", "2026-09-30")


def _target(month: str, value: float) -> dict:
    return {"month": month, "metric": "bookings", "segment": None, "target": value}


def test_the_plan_is_for_the_month_after_the_period_against_its_own_target(tmp_path):
    write_snapshot(
        tmp_path,
        "2026-10-31T23:59:59Z",
        leads=[lead("L1", "2026-09-05T10:00:00Z")],
        targets=[_target("2026-09-01", 300_000.0), _target("2026-10-01", 450_000.0)],
    )
    month, target, source = Funnel.open(tmp_path).plan_target(SEPTEMBER, Filters())
    assert month == Period.of("2026-10-01", "2026-10-31") and target == 450_000.0
    assert source == "Oct 2026 bookings target"


def test_without_a_target_for_the_month_after_the_periods_own_stands_in(tmp_path):
    write_snapshot(
        tmp_path,
        "2026-10-31T23:59:59Z",
        leads=[lead("L1", "2026-09-05T10:00:00Z")],
        targets=[_target("2026-09-01", 300_000.0)],
    )
    month, target, source = Funnel.open(tmp_path).plan_target(SEPTEMBER, Filters())
    assert month.label() == "Oct 2026" and target == 300_000.0
    assert source == "Sep 2026 bookings target (none is set for Oct 2026 yet)"


def test_with_no_target_at_all_there_is_none_not_a_made_up_one(tmp_path):
    write_snapshot(tmp_path, "2026-10-31T23:59:59Z", leads=[lead("L1", "2026-09-05T10:00:00Z")])
    _, target, source = Funnel.open(tmp_path).plan_target(SEPTEMBER, Filters())
    assert target is None and source == "no bookings target for Oct 2026 or Sep 2026"


def test_a_date_already_past_at_the_snapshot_is_said_not_asked_for():
    # the deck's old title on a snapshot of 31 Oct: "$1.66M of bookings needs 538 MQLs by 18 Sep 2026"
    plan = {"needed": {"mqls": 538}, "target": 1_660_000.0, "by_when": {"mqls": "2026-09-18"}, "already_past": ["mqls"]}
    assert (
        findings.plan_finding(plan) == "$1.66M of bookings needs 538 MQLs by 18 Sep 2026, already past at the snapshot"
    )
    plan["already_past"] = []
    assert findings.plan_finding(plan) == "$1.66M of bookings needs 538 MQLs by 18 Sep 2026"


def test_already_past_holds_exactly_the_dates_on_or_before_the_local_as_of_day():
    # an invariant on the committed sample: planning the month after each of several periods
    from pathlib import Path

    funnel = Funnel.open(Path(__file__).resolve().parent.parent / "data" / "sample")
    today = funnel.as_of.astimezone(funnel.policy.zone).date()
    for start, end in (("2026-09-01", "2026-09-30"), ("2026-11-01", "2026-11-30"), ("2027-03-01", "2027-03-31")):
        plan = funnel.plan(1_000_000, start, end)
        past = {s for s, d in plan["by_when"].items() if d and dt.date.fromisoformat(d) <= today}
        assert set(plan["already_past"]) == past

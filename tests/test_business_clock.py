"""The business-hours SLA clock (metrics.md "The SLA clock"), worked by hand on a tiny snapshot.

Policy: clock = "business", H = 4 business hours, D = 2 working days (= 16 h of 09:00-17:00).
Default calendar: America/New_York, Mon-Fri 09:00-17:00, US holidays plus 2026-12-24.
Region "EMEA": Europe/Berlin with DE holidays; region "WEST": America/Los_Angeles with US-CA holidays
(other keys inherited from [calendar]). as_of 2026-12-31T23:59:59Z = Thu 31 Dec 18:59:59 EST.
Daylight saving 2026: New York Sun 8 Mar (EST -5 -> EDT -4) and Sun 1 Nov (back); Berlin Sun 29 Mar
(CET +1 -> CEST +2) and Sun 25 Oct (back). Each lead has its own owner, so the owner breakdown shows
each lead's own figures.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from snapshot_builder import lead, write_snapshot

from dashboard import Funnel
from dashboard.business_calendar import WorkCalendar, business_us, parse_calendars
from dashboard.filters import Filters, Period, policy_params
from dashboard.policy import PolicyError, load_policy

AS_OF = "2026-12-31T23:59:59Z"
YEAR = Period.of("2026-01-01", "2026-12-31")
POLICY = """
[sla]
clock = "business"
first_response_hours = 4
decision_days = 2

[calendar]
timezone = "America/New_York"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
hours = ["09:00", "17:00"]
holidays = "US"
extra_holidays = ["2026-12-24"]

[calendar.regions.EMEA]
timezone = "Europe/Berlin"
holidays = "DE"

[calendar.regions.WEST]
timezone = "America/Los_Angeles"
holidays = "US-CA"
"""


def _lead(lead_id: str, region: str, mql_at: str, **kw) -> dict:
    return lead(lead_id, "2026-01-01T00:00:00Z", region=region, owner_id=lead_id, mql_at=mql_at, **kw)


# lead     region  MQL (local)               response (local)            B to response      decision
# FRI      NY      Fri 6 Mar 18:00 EST       Mon 9 Mar 10:30 EDT         Mon 9-10:30 = 1.5  accepted Tue 10 Mar 16:00
#                                                                                           EDT: Mon 8 + Tue 7 = 15 <= 16
# NYMAR    NY      Fri 6 Mar 16:00 EST       Mon 9 Mar 09:30 EDT         1 + 0.5 = 1.5      accepted Wed 11 Mar 10:00:
#                  (Monday 09:00 EDT = 13:00Z: a fixed -5 offset would say 14:00Z, 1 h)      1 + 8 + 8 + 1 = 18 > 16
# NYNOV    NY      Fri 30 Oct 16:00 EDT      Mon 2 Nov 09:30 EST         1 + 0.5 = 1.5      none
# HOL      NY      Wed 25 Nov 16:00 EST      Fri 27 Nov 10:00 EST        1 + 0 (Thanksgiving) + 1 = 2
# ONHOL    NY      Thu 26 Nov 11:00 (holiday) Fri 27 Nov 09:30           0.5 (the clock starts Fri 09:00)
# BEFORE   NY      Mon 1 Jun 10:00 EDT       Mon 1 Jun 09:00 EDT         before the MQL: 0
# XMAS     NY      Wed 23 Dec 16:00 EST      none (untouched)            -                  rejected Mon 28 Dec 12:00:
#                  (24 Dec extra holiday, 25 Dec Christmas)                                 1 + 0 + 0 + 3 = 4 <= 16
# LATE     NY      Thu 31 Dec 14:00 EST      none                        B(mql, as_of) = 3 h < 4: not due (wall: 5 h)
# CAW      WEST    Mon 30 Mar 16:00 PDT      Wed 1 Apr 09:30 PDT         1 + 0 (Cesar Chavez Day, US-CA) + 0.5 = 1.5
#                  (under the New York calendar it would be 11.5: Tue 8 + Wed 09:00-12:30 EDT)
# BERMAR   EMEA    Fri 27 Mar 16:00 CET      Mon 30 Mar 09:30 CEST       1 + 0.5 = 1.5
# BEROCT   EMEA    Fri 23 Oct 16:00 CEST     Mon 26 Oct 09:30 CET        1 + 0.5 = 1.5
# BERHOL   EMEA    Wed 13 May 16:00 CEST     Fri 15 May 10:00 CEST       1 + 0 (Ascension Day, DE) + 1 = 2
LEADS = [
    _lead(
        "FRI",
        "AMER",
        "2026-03-06T23:00:00Z",
        first_response_at="2026-03-09T14:30:00Z",
        accepted_at="2026-03-10T20:00:00Z",
    ),
    _lead(
        "NYMAR",
        "AMER",
        "2026-03-06T21:00:00Z",
        first_response_at="2026-03-09T13:30:00Z",
        accepted_at="2026-03-11T14:00:00Z",
    ),
    _lead("NYNOV", "AMER", "2026-10-30T20:00:00Z", first_response_at="2026-11-02T14:30:00Z"),
    _lead("HOL", "AMER", "2026-11-25T21:00:00Z", first_response_at="2026-11-27T15:00:00Z"),
    _lead("ONHOL", "AMER", "2026-11-26T16:00:00Z", first_response_at="2026-11-27T14:30:00Z"),
    _lead("BEFORE", "AMER", "2026-06-01T14:00:00Z", first_response_at="2026-06-01T13:00:00Z"),
    _lead("XMAS", "AMER", "2026-12-23T21:00:00Z", rejected_at="2026-12-28T17:00:00Z", rejection_reason="student"),
    _lead("LATE", "AMER", "2026-12-31T19:00:00Z"),
    _lead("CAW", "WEST", "2026-03-30T23:00:00Z", first_response_at="2026-04-01T16:30:00Z"),
    _lead("BERMAR", "EMEA", "2026-03-27T15:00:00Z", first_response_at="2026-03-30T07:30:00Z"),
    _lead("BEROCT", "EMEA", "2026-10-23T14:00:00Z", first_response_at="2026-10-26T08:30:00Z"),
    _lead("BERHOL", "EMEA", "2026-05-13T14:00:00Z", first_response_at="2026-05-15T08:00:00Z"),
]


@pytest.fixture(scope="module")
def business(tmp_path_factory):
    root = tmp_path_factory.mktemp("business")
    write_snapshot(root, AS_OF, POLICY, leads=LEADS)
    return Funnel.open(root)


def by_owner(funnel: Funnel) -> dict[str, dict]:
    table = funnel.kpi_table([YEAR], Filters(), group_by="owner")
    return {r["group_key"]: r for r in table.iter_rows(named=True)}


def test_each_mqls_response_time_in_business_hours(business):
    rows = by_owner(business)
    expected = {
        "FRI": 1.5,
        "NYMAR": 1.5,
        "NYNOV": 1.5,
        "HOL": 2.0,
        "ONHOL": 0.5,
        "BEFORE": 0.0,
        "CAW": 1.5,
        "BERMAR": 1.5,
        "BEROCT": 1.5,
        "BERHOL": 2.0,
        "XMAS": None,
        "LATE": None,
    }
    assert {k: rows[k]["median_response_hours"] for k in expected} == pytest.approx(expected)


def test_due_met_untouched_and_decided_per_mql(business):
    rows = by_owner(business)
    # LATE: 3 business hours old at as_of, neither due for response (4 h) nor for decision (16 h)
    assert rows["LATE"]["due_for_response"] == 0 and rows["LATE"]["due_for_decision"] == 0
    assert rows["LATE"]["untouched_mqls"] == 0
    # XMAS: due (33 business hours by as_of), no response: missed and untouched; decided in 4 h
    assert rows["XMAS"]["due_for_response"] == 1 and rows["XMAS"]["responses_in_time"] == 0
    assert rows["XMAS"]["untouched_mqls"] == 1 and rows["XMAS"]["decisions_in_time"] == 1
    # FRI decided in 15 business hours (in time); NYMAR in 18 (late); the others never decided
    assert rows["FRI"]["decisions_in_time"] == 1 and rows["NYMAR"]["decisions_in_time"] == 0
    assert rows["BEFORE"]["responses_in_time"] == 1  # a response before the MQL is 0 hours


def test_sla_figures_in_business_hours(business):
    k = business.kpis("2026-01-01", "2026-12-31")["kpis"]
    # due for response: the 11 MQLs but LATE; met: all 10 with a response (each <= 2 h) -> 10 / 11
    assert k["sla_response_rate"] == pytest.approx(10 / 11)
    # responses: 0, 0.5, 1.5 (x6), 2, 2 -> the median of 10 values = (1.5 + 1.5) / 2
    assert k["median_response_hours"] == 1.5
    assert k["untouched_mqls"] == 1  # XMAS
    # due for decision: the 11 but LATE; in time: FRI (15 h), XMAS (4 h) -> 2 / 11
    assert k["sla_decision_rate"] == pytest.approx(2 / 11)


def test_the_calendar_clock_keeps_wall_time(tmp_path):
    """The same leads on the calendar clock: H = 4 wall hours, D = 2 days."""
    write_snapshot(tmp_path, AS_OF, POLICY.replace('clock = "business"', 'clock = "calendar"'), leads=LEADS)
    rows = by_owner(Funnel.open(tmp_path))
    # FRI: Fri 23:00Z -> Mon 14:30Z = 2 d 15.5 h = 63.5 h; CAW: Mon 23:00Z -> Wed 16:30Z = 41.5 h
    assert rows["FRI"]["median_response_hours"] == 63.5
    assert rows["CAW"]["median_response_hours"] == 41.5
    # LATE: 4 h 59 min 59 s old at as_of: due under wall time
    assert rows["LATE"]["due_for_response"] == 1


def test_b_in_sql_equals_the_definition_on_random_instants(tmp_path):
    """Invariant: each MQL's response hours from the SQL (W from the hourly table) equal B(a, b) summed
    interval by interval (business_calendar.business_us), for instants all over 2026 (both DST changes of
    both zones, holidays, weekends), in each calendar."""
    rng = random.Random(20)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    leads = []
    for i in range(120):
        region = ("AMER", "EMEA", "WEST")[i % 3]
        mql = start + dt.timedelta(minutes=rng.randrange(0, 364 * 24 * 60))
        response = mql + dt.timedelta(minutes=rng.randrange(-600, 10 * 24 * 60))
        leads.append(_lead(f"R{i}", region, mql.isoformat(), first_response_at=response.isoformat()))
    write_snapshot(tmp_path, AS_OF, POLICY, leads=leads)
    funnel = Funnel.open(tmp_path)
    rows = by_owner(funnel)
    calendars = dict(funnel.policy.calendars.regions)
    for row in leads:
        calendar = calendars.get(row["region"], funnel.policy.calendars.default)
        mql = dt.datetime.fromisoformat(row["mql_at"])
        response = dt.datetime.fromisoformat(row["first_response_at"])
        hours = business_us(calendar, mql, response) / 3_600_000_000
        assert rows[row["lead_id"]]["median_response_hours"] == pytest.approx(hours, abs=1e-9), row


def test_b_by_hand_across_the_dst_changes():
    new_york = WorkCalendar(timezone="America/New_York")
    utc = dt.UTC
    # Fri 6 Mar 16:00 EST (21:00Z) -> Mon 9 Mar 09:30 EDT (13:30Z): 1 h + 30 min
    assert (
        business_us(new_york, dt.datetime(2026, 3, 6, 21, tzinfo=utc), dt.datetime(2026, 3, 9, 13, 30, tzinfo=utc))
        == 90 * 60_000_000
    )
    # a whole week of 5 workdays is 40 h, whether or not it spans a change
    assert (
        business_us(new_york, dt.datetime(2026, 10, 26, tzinfo=utc), dt.datetime(2026, 11, 2, tzinfo=utc))
        == 40 * 3_600_000_000
    )
    # B = 0 when b <= a
    assert business_us(new_york, dt.datetime(2026, 3, 9, 15, tzinfo=utc), dt.datetime(2026, 3, 9, 14, tzinfo=utc)) == 0
    # one working day = the interval's length, 8 h
    assert new_york.working_day_us == 8 * 3_600_000_000


def test_the_prepared_facts_depend_on_the_calendar(tmp_path):
    from dashboard.snapshots import resolve
    from dashboard.store import facts_key

    write_snapshot(tmp_path, AS_OF, POLICY, leads=LEADS)
    info = resolve(tmp_path)
    key = facts_key(info, policy_params(load_policy(tmp_path), info.as_of))
    (tmp_path / "funnel.toml").write_text(POLICY.replace('"Europe/Berlin"', '"Europe/Paris"'), encoding="utf-8")
    assert facts_key(info, policy_params(load_policy(tmp_path), info.as_of)) != key


@pytest.mark.parametrize(
    "section, bad, named",
    [
        ("[calendar]", 'holidays = "XX"', "[calendar] holidays"),
        ("[calendar]", 'holidays = "US-ZZ"', "[calendar] holidays"),
        ("[calendar]", 'workdays = ["Mon", "Funday"]', "[calendar] workdays"),
        ("[calendar]", 'hours = ["17:00", "09:00"]', "[calendar] hours"),
        ("[calendar]", 'hours = ["09:00", "09:00"]', "[calendar] hours"),
        ("[calendar]", 'hours = ["9am", "17:00"]', "[calendar] hours"),
        ("[calendar]", 'timezone = "Mars/Olympus"', "[calendar] timezone"),
        ("[calendar.regions.EMEA]", 'timezone = "Europe/Nowhere"', "[calendar.regions.EMEA] timezone"),
        ("[calendar]", 'extra_holidays = ["2026-13-01"]', "[calendar] extra_holidays"),
        ("[calendar]", 'weekdays = ["Mon"]', "[calendar] has unknown key weekdays"),
        ("[sla]", 'clock = "wall"', "[sla] clock"),
        ("[reporting]", "fiscal_year_start_month = 13", "[reporting] fiscal_year_start_month"),
        ("[reporting]", "fiscal_year_start_month = 0", "[reporting] fiscal_year_start_month"),
    ],
)
def test_bad_calendar_keys_are_refused_by_name(tmp_path, section, bad, named):
    (tmp_path / "funnel.toml").write_text(f"{section}\n{bad}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=named.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        load_policy(tmp_path)


def test_a_region_inherits_what_it_does_not_override():
    calendars = parse_calendars(
        {
            "hours": ["08:00", "16:30"],
            "workdays": ["Monday", "tue", "Wed"],
            "regions": {"EMEA": {"timezone": "Europe/Berlin"}},
        },
        "UTC",
    )
    emea = dict(calendars.regions)["EMEA"]
    assert (emea.start_minute, emea.end_minute, emea.workdays) == (8 * 60, 16 * 60 + 30, (0, 1, 2))
    assert emea.timezone == "Europe/Berlin" and calendars.default.timezone == "UTC"  # reporting.timezone
    assert emea.working_day_us == 8.5 * 3_600_000_000


def test_the_example_policy_on_the_sample(tmp_path):
    """docs/examples/funnel-business-fiscal.toml on the sample's newest snapshot (with H = 24 as the
    sample's policy): only the SLA figures change, and B(a, b) <= b - a bounds them."""
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "data" / "sample" / "2026-10-31", tmp_path / "2026-10-31")
    example = (repo / "docs" / "examples" / "funnel-business-fiscal.toml").read_text(encoding="utf-8")
    assert 'clock = "business"' in example and "fiscal_year_start_month = 2" in example
    (tmp_path / "funnel.toml").write_text(
        example.replace("first_response_hours = 4", "first_response_hours = 24"), encoding="utf-8"
    )
    business = Funnel.open(tmp_path)
    wall = Funnel.open(repo / "data" / "sample", "2026-10-31")
    assert business.policy.clock == "business" and wall.policy.clock == "calendar"
    b, w = (
        f.kpi_table([Period.of("2026-09-01", "2026-09-30")], Filters()).row(0, named=True) for f in (business, wall)
    )
    sla = {
        "sla_response_rate",
        "median_response_hours",
        "untouched_mqls",
        "sla_decision_rate",
        "due_for_response",
        "responses_in_time",
        "due_for_decision",
        "decisions_in_time",
    }
    assert {k: v for k, v in b.items() if k not in sla} == {k: v for k, v in w.items() if k not in sla}
    assert b["due_for_response"] <= w["due_for_response"] and b["untouched_mqls"] <= w["untouched_mqls"]
    assert b["median_response_hours"] <= w["median_response_hours"]
    assert b["median_response_hours"] != w["median_response_hours"]  # the clock does change it


def test_the_cli_refuses_a_bad_calendar_with_exit_2(tmp_path, capsys):
    from dashboard.cli import main

    write_snapshot(tmp_path, AS_OF, POLICY.replace('holidays = "DE"', 'holidays = "ZZ"'), leads=LEADS)
    assert main(["kpis", "--data", str(tmp_path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "[calendar.regions.EMEA] holidays 'ZZ'" in err and "Traceback" not in err


def test_the_cli_table_says_business_hours(business, capsys):
    from dashboard.cli import main

    root = business.store.snapshot.path.parent
    assert main(["kpis", "--data", str(root), "--from", "2026-01-01", "--to", "2026-12-31"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Response within SLA (business hours)" in out and "Decision within SLA (working days)" in out
    assert "4 business hours / 2 working days" in out


def test_the_deck_says_business_hours(business):
    import io

    from pptx import Presentation

    from dashboard import export

    deck = Presentation(io.BytesIO(export.build_deck(business, Period.of("2026-03-01", "2026-03-31"))))
    texts = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    notes = " ".join(slide.notes_slide.notes_text_frame.text for slide in deck.slides if slide.has_notes_slide)
    # March: FRI, NYMAR, BERMAR, CAW are the month's MQLs; all answered within 4 business hours
    assert "within 4 business hours" in texts
    assert "Response within SLA (business hours)" in notes and "SLA clock: business hours" in notes

"""Comparison periods (dashboard/filters.py Period.previous), worked out on a calendar."""

from dashboard.filters import Period


def test_a_month_compares_with_the_month_before():
    assert Period.of("2026-03-01", "2026-03-31").previous() == Period.of("2026-02-01", "2026-02-28")
    assert Period.of("2026-01-01", "2026-01-31").previous() == Period.of("2025-12-01", "2025-12-31")


def test_a_quarter_compares_with_the_quarter_before_not_92_days():
    # Jul-Sep has 92 days; 92 days back would start on 31 Mar, but the previous quarter is Apr-Jun (91 days)
    assert Period.of("2026-07-01", "2026-09-30").previous() == Period.of("2026-04-01", "2026-06-30")
    assert Period.of("2026-01-01", "2026-03-31").previous() == Period.of("2025-10-01", "2025-12-31")


def test_other_periods_compare_with_as_many_days_before():
    # 10-16 Mar is 7 days: the 7 days before are 3-9 Mar
    assert Period.of("2026-03-10", "2026-03-16").previous() == Period.of("2026-03-03", "2026-03-09")


# -- the fiscal calendar (metrics.md "Fiscal calendar"), worked on a calendar -------------------------
import datetime as dt  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import pytest  # noqa: E402

from dashboard.errors import ArgumentError  # noqa: E402
from dashboard.periods import (  # noqa: E402
    fiscal_label,
    fiscal_quarter,
    fiscal_quarter_of,
    fiscal_year,
    fiscal_year_of,
    last_full_quarter,
    parse_date,
    parse_period,
    quarter_to_date,
    trailing_months,
    year_to_date,
)

UTC = ZoneInfo("UTC")


def test_a_fiscal_year_is_named_by_the_calendar_year_it_ends_in():
    # start month 2: FY2027 = 1 Feb 2026 .. 31 Jan 2027
    assert fiscal_year(2027, 2) == Period.of("2026-02-01", "2027-01-31")
    assert fiscal_year_of(dt.date(2026, 2, 1), 2) == 2027
    assert fiscal_year_of(dt.date(2026, 1, 31), 2) == 2026
    # start month 1: FY2026 = calendar 2026
    assert fiscal_year(2026, 1) == Period.of("2026-01-01", "2026-12-31")
    assert fiscal_year_of(dt.date(2026, 12, 31), 1) == 2026
    # start month 7: FY2027 = 1 Jul 2026 .. 30 Jun 2027
    assert fiscal_year(2027, 7) == Period.of("2026-07-01", "2027-06-30")


def test_fiscal_quarters_are_three_month_blocks_from_the_start_month():
    # start 2: Q1 Feb-Apr 2026, Q4 Nov 2026-Jan 2027 (the quarter that spans a calendar year)
    assert fiscal_quarter(2027, 1, 2) == Period.of("2026-02-01", "2026-04-30")
    assert fiscal_quarter(2027, 4, 2) == Period.of("2026-11-01", "2027-01-31")
    assert fiscal_quarter_of(dt.date(2027, 1, 15), 2) == (2027, 4)
    assert fiscal_quarter_of(dt.date(2026, 10, 31), 2) == (2027, 3)
    # start 7: 15 Aug 2026 is in Q1 of FY2027 (Jul-Sep 2026)
    assert fiscal_quarter_of(dt.date(2026, 8, 15), 7) == (2027, 1)
    # start 1: the calendar quarters
    assert fiscal_quarter(2026, 3, 1) == Period.of("2026-07-01", "2026-09-30")


def test_fiscal_labels_name_the_months():
    assert fiscal_label(Period.of("2026-02-01", "2026-04-30"), 2) == "FY2027 Q1 (Feb-Apr 2026)"
    assert fiscal_label(Period.of("2026-11-01", "2027-01-31"), 2) == "FY2027 Q4 (Nov 2026-Jan 2027)"
    assert fiscal_label(Period.of("2026-02-01", "2027-01-31"), 2) == "FY2027 (Feb 2026-Jan 2027)"
    assert fiscal_label(Period.of("2026-07-01", "2026-09-30"), 1) == "FY2026 Q3 (Jul-Sep 2026)"
    # not a fiscal quarter: the plain label
    assert fiscal_label(Period.of("2026-09-01", "2026-09-30"), 2) == "Sep 2026"


def test_period_shorthand():
    assert parse_period("2026-09", 2) == Period.of("2026-09-01", "2026-09-30")
    assert parse_period("FY2027", 2) == Period.of("2026-02-01", "2027-01-31")
    assert parse_period("fy2027-q4", 2) == Period.of("2026-11-01", "2027-01-31")
    for bad in ("2026-13", "FY2027-Q5", "Q1", "FY0001"):
        with pytest.raises(ArgumentError):
            parse_period(bad, 2)


def test_presets_on_the_fiscal_calendar():
    as_of = dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=dt.UTC)
    # start 2: quarters Aug-Oct, Nov-Jan; Oct 31 has ended at 23:59:59, so Aug-Oct is the last full one
    assert last_full_quarter(as_of, UTC, 2) == Period.of("2026-08-01", "2026-10-31")
    # a second earlier, Aug-Oct has not ended: May-Jul
    assert last_full_quarter(as_of - dt.timedelta(seconds=1), UTC, 2) == Period.of("2026-05-01", "2026-07-31")
    # calendar quarters: Jul-Sep
    assert last_full_quarter(as_of, UTC, 1) == Period.of("2026-07-01", "2026-09-30")
    assert quarter_to_date(as_of, UTC, 2) == Period.of("2026-08-01", "2026-10-31")
    assert year_to_date(as_of, UTC, 2) == Period.of("2026-02-01", "2026-10-31")
    assert year_to_date(as_of, UTC, 7) == Period.of("2026-07-01", "2026-10-31")
    assert year_to_date(as_of, UTC, 1) == Period.of("2026-01-01", "2026-10-31")


def test_trailing_months_end_at_the_given_day():
    months = trailing_months(dt.date(2026, 10, 15), 3)
    assert months == [
        Period.of("2026-08-01", "2026-08-31"),
        Period.of("2026-09-01", "2026-09-30"),
        Period.of("2026-10-01", "2026-10-15"),
    ]


def test_dates_outside_1900_to_2200_are_refused():
    with pytest.raises(ArgumentError, match="outside 1900..2200"):
        parse_date("0001-01-01", "--from")
    with pytest.raises(ArgumentError, match="outside"):
        Period.of("2026-01-01", "9999-12-31")

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

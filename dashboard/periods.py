"""The one home of time rules: periods, presets, "previous" and "next", trailing mature months,
cohort maturity, and the fiscal calendar.

A period is whole local days in the reporting time zone, both ends inclusive. Every page, the CLI, the
deck and the bench ask this module which days a preset, a trend or a plan covers, so two of them can
never disagree about "last quarter".

Fiscal years (metrics.md, "Fiscal calendar"): `fiscal_year_start_month` m in 1..12; a fiscal year is
named by the calendar year in which it ends (m = 2: FY2027 = 1 Feb 2026 .. 31 Jan 2027; m = 1: FY2026 =
calendar 2026); its quarters are the 3-month blocks from its first month. Months stay calendar months.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.errors import ArgumentError

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_date(value: dt.date | str, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{what} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    return check_date_range(day, what)


# The days a period may cover: wide enough for any CRM's history and any plan, narrow enough that every
# local midnight and "+ W days" stays a valid datetime (year 1 or 9999 overflow).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)


def check_date_range(day: dt.date, what: str = "date") -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ArgumentError(f"{what} {day.isoformat()} is outside {FIRST_DAY.year}..{LAST_DAY.year}")
    return day


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends inclusive."""

    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, start: dt.date | str, end: dt.date | str) -> Period:
        period = cls(parse_date(start, "--from"), parse_date(end, "--to"))
        if period.start > period.end:
            raise ArgumentError(f"--from {period.start} is after --to {period.end}")
        return period

    @classmethod
    def from_key(cls, key: str) -> Period:
        """The period a query's `period_key` ("2026-09-01..2026-09-30") names."""
        start, end = key.split("..")
        return cls(dt.date.fromisoformat(start), dt.date.fromisoformat(end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def label(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return self.start.strftime("%b %Y")
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    def previous(self) -> Period:
        """The comparison period: as many whole calendar months just before for a period of whole
        months (a month, a quarter), else as many days just before."""
        if self.start.day == 1 and self.end == month_end(self.end):
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            return Period(add_months(self.start, -months), self.start - dt.timedelta(days=1))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def local_midnight_us(day: dt.date, zone: ZoneInfo) -> int:
    """Epoch microseconds of 00:00 local time on `day` in `zone`."""
    instant = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)
    return (instant - EPOCH) // dt.timedelta(microseconds=1)


def to_us(instant: dt.datetime) -> int:
    return (instant.astimezone(UTC) - EPOCH) // dt.timedelta(microseconds=1)


def end_of_day_us(day: dt.date, zone: ZoneInfo) -> int:
    """'End of day' as the contract writes it (as_of = ...T23:59:59Z): one second before the next midnight."""
    return local_midnight_us(day + dt.timedelta(days=1), zone) - 1_000_000


def last_full_month(as_of: dt.datetime, zone: ZoneInfo) -> Period:
    """The newest calendar month whose last day had ended (23:59:59 local) by as_of."""
    local = as_of.astimezone(zone).date()
    candidate_end = month_end(local)
    if end_of_day_us(candidate_end, zone) > to_us(as_of):
        candidate_end = local.replace(day=1) - dt.timedelta(days=1)
    return Period(candidate_end.replace(day=1), candidate_end)


def has_ended(period: Period, as_of: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the period's last day had ended (23:59:59 local, as the contract writes as_of) by as_of."""
    return end_of_day_us(period.end, zone) <= to_us(as_of)


def months_between(first: dt.date, last: dt.date) -> list[Period]:
    """Calendar months from the one holding `first` to the one holding `last`."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(Period(day, month_end(day)))
        day = month_end(day) + dt.timedelta(days=1)
    return months


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month holding `day` (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_of(day: dt.date) -> Period:
    """The calendar month holding `day`."""
    return Period(day.replace(day=1), month_end(day))


def next_month(period: Period) -> Period:
    """The calendar month after the one holding the period's last day (the plan's "month after")."""
    return month_of(period.end + dt.timedelta(days=1))


def local_date(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The reporting zone's calendar date of an instant (never the UTC date)."""
    return instant.astimezone(zone).date()


def trailing_months(last: dt.date, count: int) -> list[Period]:
    """`count` calendar months ending with the one holding `last`; the last one runs only to `last`
    (a trend up to as_of, or up to a period's end)."""
    periods = months_between(add_months(last, -(count - 1)), last)
    periods[-1] = Period(periods[-1].start, min(periods[-1].end, last))
    return periods


def cohort_matures_at(period: Period, zone: ZoneInfo, window_days: float) -> dt.datetime:
    """When a cohort of the period is mature (metrics.md): its last day's end (23:59:59 local) + W days."""
    end = dt.datetime.combine(period.end, dt.time(23, 59, 59), tzinfo=zone)
    return end + dt.timedelta(days=window_days)


def is_cohort_mature(period: Period, as_of: dt.datetime, zone: ZoneInfo, window_days: float) -> bool:
    return cohort_matures_at(period, zone, window_days) <= as_of


def trailing_mature_months(as_of: dt.datetime, zone: ZoneInfo, window_days: float, count: int = 6) -> Period:
    """`count` calendar months ending with the newest month whose cohort is mature at as_of (the
    plan's default trailing period)."""
    month = last_full_month(as_of, zone)
    while not is_cohort_mature(month, as_of, zone, window_days):
        month = month.previous()
    return Period(add_months(month.start, -(count - 1)), month.end)


# -- the fiscal calendar ----------------------------------------------------------------------------
def check_start_month(start_month: int) -> int:
    if isinstance(start_month, bool) or not isinstance(start_month, int) or not 1 <= start_month <= 12:
        raise ArgumentError(f"fiscal_year_start_month must be a month number 1..12, not {start_month!r}")
    return start_month


def fiscal_year_of(day: dt.date, start_month: int = 1) -> int:
    """The fiscal year holding `day`, named by the calendar year in which that fiscal year ends."""
    check_start_month(start_month)
    return day.year + 1 if start_month > 1 and day.month >= start_month else day.year


def fiscal_year(year: int, start_month: int = 1) -> Period:
    """FY`year`: the twelve months that end in calendar year `year` (or with it, for start month 1)."""
    check_start_month(start_month)
    first = dt.date(year - 1 if start_month > 1 else year, start_month, 1)
    return Period(first, add_months(first, 12) - dt.timedelta(days=1))


def fiscal_quarter(year: int, quarter: int, start_month: int = 1) -> Period:
    if quarter not in (1, 2, 3, 4):
        raise ArgumentError(f"a fiscal quarter is 1..4, not {quarter!r}")
    first = add_months(fiscal_year(year, start_month).start, 3 * (quarter - 1))
    return Period(first, add_months(first, 3) - dt.timedelta(days=1))


def fiscal_quarter_of(day: dt.date, start_month: int = 1) -> tuple[int, int]:
    """(fiscal year, quarter 1..4) holding `day`."""
    year = fiscal_year_of(day, start_month)
    months_in = (day.month - start_month) % 12
    return year, months_in // 3 + 1


def quarter_containing(day: dt.date, start_month: int = 1) -> Period:
    return fiscal_quarter(*fiscal_quarter_of(day, start_month), start_month)


def last_full_quarter(as_of: dt.datetime, zone: ZoneInfo, start_month: int = 1) -> Period:
    """The newest fiscal quarter whose last day had ended (23:59:59 local) by as_of."""
    quarter = quarter_containing(last_full_month(as_of, zone).end, start_month)
    if end_of_day_us(quarter.end, zone) > to_us(as_of):
        quarter = quarter_containing(quarter.start - dt.timedelta(days=1), start_month)
    return quarter


def quarter_to_date(as_of: dt.datetime, zone: ZoneInfo, start_month: int = 1) -> Period:
    today = local_date(as_of, zone)
    return Period(quarter_containing(today, start_month).start, today)


def next_fiscal_quarter(period: Period, start_month: int = 1) -> Period:
    """The fiscal quarter after the one holding the period's last day (the plan's "next quarter")."""
    return quarter_containing(add_months(quarter_containing(period.end, start_month).start, 3), start_month)


def trailing_fiscal_quarters(last: dt.date, count: int, start_month: int = 1) -> list[Period]:
    """`count` fiscal quarters ending with the one holding `last`; the last one runs only to `last` (a
    quarterly trend up to as_of)."""
    quarters = [quarter_containing(last, start_month)]
    while len(quarters) < count:
        quarters.insert(0, quarter_containing(quarters[0].start - dt.timedelta(days=1), start_month))
    quarters[-1] = Period(quarters[-1].start, min(quarters[-1].end, last))
    return quarters


def fiscal_quarter_name(period: Period, start_month: int = 1) -> str:
    """A short name for a trend's axis: "FY2027 Q1", or "FY2028 Q1 to date" for a quarter's first part."""
    year, quarter = fiscal_quarter_of(period.start, start_month)
    whole = fiscal_quarter(year, quarter, start_month)
    if period.start != whole.start or period.end > whole.end:
        return period.label()
    return f"FY{year} Q{quarter}" + ("" if period.end == whole.end else " to date")


def year_to_date(as_of: dt.datetime, zone: ZoneInfo, start_month: int = 1) -> Period:
    today = local_date(as_of, zone)
    return Period(fiscal_year(fiscal_year_of(today, start_month), start_month).start, today)


def _month_span(period: Period) -> str:
    """ "Feb-Apr 2026", or "Nov 2026-Jan 2027" when the months cross a calendar year."""
    first, last = MONTH_NAMES[period.start.month - 1], MONTH_NAMES[period.end.month - 1]
    if period.start.year == period.end.year:
        return f"{first}-{last} {period.end.year}"
    return f"{first} {period.start.year}-{last} {period.end.year}"


def fiscal_label(period: Period, start_month: int = 1) -> str:
    """A period's name on the fiscal calendar: "FY2027 Q1 (Feb-Apr 2026)", "FY2027 (Feb 2026-Jan 2027)";
    with a January start, "FY2026 Q3 (Jul-Sep 2026)". Any other period keeps Period.label()."""
    year, quarter = fiscal_quarter_of(period.start, start_month)
    if period == fiscal_quarter(year, quarter, start_month):
        return f"FY{year} Q{quarter} ({_month_span(period)})"
    if period == fiscal_year(year, start_month):
        return f"FY{year} ({_month_span(period)})"
    return period.label()


_PERIOD_ARG = re.compile(r"^(?:(?P<month>\d{4}-\d{2})|FY(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?)$", re.IGNORECASE)


def parse_period(text: str, start_month: int = 1) -> Period:
    """`--period YYYY-MM | FYyyyy | FYyyyy-Qn`, the shorthand for --from/--to."""
    match = _PERIOD_ARG.match(str(text).strip())
    if not match:
        raise ArgumentError(f"--period {text!r} is not YYYY-MM, FYyyyy or FYyyyy-Qn (e.g. 2026-09, FY2027, FY2027-Q1)")
    if match["month"]:
        year, month = (int(x) for x in match["month"].split("-"))
        if not 1 <= month <= 12:
            raise ArgumentError(f"--period {text!r}: month {month} is not 01..12")
        return month_of(check_date_range(dt.date(year, month, 1), "--period"))
    year = int(match["year"])
    if not FIRST_DAY.year < year <= LAST_DAY.year:
        raise ArgumentError(f"--period {text!r}: fiscal year {year} is outside {FIRST_DAY.year + 1}..{LAST_DAY.year}")
    period = (
        fiscal_quarter(year, int(match["quarter"]), start_month) if match["quarter"] else fiscal_year(year, start_month)
    )
    check_date_range(period.start, "--period")
    check_date_range(period.end, "--period")
    return period

"""Filters and periods, and how they become bound SQL parameters.

Periods are whole local days in the reporting time zone. SQL never converts time zones: each period is
handed to it as a half-open UTC interval [start_us, end_us) in epoch microseconds, computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from dashboard.policy import Policy

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000

FILTER_KEYS = ("segment", "region", "channel", "origin", "campaign")
# Breakdown dimensions a query may group by (an allow-list; the SQL maps each to a column).
GROUP_BY = ("all", "segment", "region", "channel", "origin", "campaign", "owner")


class ArgumentError(ValueError):
    """A wrong argument (bad date, unknown filter value, ...): the message says which and why."""


@dataclass(frozen=True)
class Filters:
    segment: str | None = None
    region: str | None = None
    channel: str | None = None
    origin: str | None = None
    campaign: str | None = None

    @classmethod
    def of(cls, **values: str | None) -> Filters:
        unknown = set(values) - set(FILTER_KEYS)
        if unknown:
            raise ArgumentError(f"unknown filter {', '.join(sorted(unknown))} (filters: {', '.join(FILTER_KEYS)})")
        return cls(**{k: (v if v not in ("", None) else None) for k, v in values.items()})

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def active(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def describe(self) -> str:
        active = self.active()
        return ", ".join(f"{k}={v}" for k, v in active.items()) if active else "all records"


def parse_date(value: dt.date | str, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{what} {value!r} is not an ISO date (YYYY-MM-DD)") from None


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
            index = self.start.year * 12 + self.start.month - 1 - months
            return Period(dt.date(index // 12, index % 12 + 1, 1), self.start - dt.timedelta(days=1))
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


def months_between(first: dt.date, last: dt.date) -> list[Period]:
    """Calendar months from the one holding `first` to the one holding `last`."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(Period(day, month_end(day)))
        day = month_end(day) + dt.timedelta(days=1)
    return months


def period_params(periods: list[Period], policy: Policy) -> dict[str, list]:
    """The `periods` fragment's inputs: parallel lists, one entry per period."""
    zone = policy.zone
    params = {
        "period_keys": [p.key for p in periods],
        "period_start_us": [local_midnight_us(p.start, zone) for p in periods],
        "period_end_us": [local_midnight_us(p.end + dt.timedelta(days=1), zone) for p in periods],
        "period_end_of_day_us": [end_of_day_us(p.end, zone) for p in periods],
        "period_first_day": [p.start for p in periods],
        "period_last_day": [p.end for p in periods],
    }
    # the span of all periods: a lead with no timestamp in it cannot count in any period
    params["span_start_us"] = min(params["period_start_us"])
    params["span_end_us"] = max(params["period_end_us"])
    return params


def policy_params(policy: Policy, as_of: dt.datetime) -> dict[str, object]:
    return {
        "as_of_us": to_us(as_of),
        "window_us": round(policy.window_days * US_PER_DAY),
        "response_us": round(policy.first_response_hours * US_PER_HOUR),
        "decision_us": round(policy.decision_days * US_PER_DAY),
        "lookback_us": round(policy.lookback_days * US_PER_DAY),
        "half_life_days": float(policy.half_life_days),
    }

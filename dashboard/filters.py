"""Filters, and how filters and periods become bound SQL parameters.

Periods (dashboard/periods.py) are whole local days in the reporting time zone. SQL never converts time
zones: each period is handed to it as a half-open UTC interval [start_us, end_us) in epoch microseconds,
computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from dashboard.errors import ArgumentError
from dashboard.periods import (  # noqa: F401 (Period and its helpers: re-exported, callers know them here)
    EPOCH,
    UTC,
    Period,
    end_of_day_us,
    last_full_month,
    local_midnight_us,
    month_end,
    months_between,
    parse_date,
    to_us,
)
from dashboard.policy import Policy

US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000

FILTER_KEYS = ("segment", "region", "channel", "origin", "campaign")
# Breakdown dimensions a query may group by (an allow-list; the SQL maps each to a column).
GROUP_BY = ("all", "segment", "region", "channel", "origin", "campaign", "owner")


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
        # the SLA clock (lead_outcomes.sql). Under "business", store.py builds the working-time tables
        # from these calendars (business_calendar.py); their repr and the holidays package's version (its
        # data) are part of what the prepared facts depend on (store.facts_key digests every item here)
        "business_clock": policy.clock == "business",
        "business_calendars": policy.calendars if policy.clock == "business" else None,
        "holidays_version": _holidays_version() if policy.clock == "business" else None,
    }


def _holidays_version() -> str:
    import holidays  # lazy: ~40 ms, only for the business-hours SLA clock

    return holidays.__version__

"""The business calendar of the SLA's business-hours clock (metrics.md, "The SLA clock").

`funnel.toml`'s `[calendar]` (and `[calendar.regions.NAME]`, matched on the lead's region) says when sales
works: workdays, each workday's hours in local time of a zone, and holidays (a country, or country and
subdivision, of the `holidays` package, plus extra dates). Under `[sla] clock = "business"`

    B(a, b) = the length of [a, b) intersected with the working intervals,

where a working interval is [day start, day end) of a workday that is not a holiday, in local time,
converted to an instant (so a daylight-saving change is exact), and B(a, b) = 0 when b <= a.

SQL never converts time zones, on either engine. So the intervals are computed here, once per snapshot
over the time span its timestamps cover, and handed to SQL as a table (`working_hours`) from which any
instant t gets W(t), the working time elapsed since the table's start: then B(a, b) = max(0, W(b) - W(a)).
The table has one row per calendar and UTC hour (key = floor((t + OFFSET) / 1 h), an equi-join both
engines run as a hash join): W at the hour's start, plus the at most two pieces of working intervals
inside that hour. Two suffice because two pieces in one hour need a gap of under an hour between two
workdays' intervals with a whole interval between the second gap, i.e. two local days inside an hour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa

from dashboard.errors import FunnelError

US_PER_HOUR = 3_600_000_000
US_PER_MINUTE = 60_000_000
# microseconds from 0001-01-01 to the epoch: hour keys stay positive for any timestamp either engine
# holds, so the SQL's integer division (truncating on both engines) is a floor
HOUR_KEY_OFFSET_US = 62_135_596_800_000_000
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOUR = re.compile(r"^(\d{2}):(\d{2})$")
CALENDAR_KEYS = ("timezone", "workdays", "hours", "holidays", "extra_holidays")
DEFAULT_CALENDAR = "default"


class CalendarError(FunnelError):
    """A `[calendar]` value the contract does not allow; the message names the key."""


@dataclass(frozen=True)
class WorkCalendar:
    """One business calendar: when its workdays' working intervals are."""

    name: str = DEFAULT_CALENDAR
    timezone: str = "UTC"
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    start_minute: int = 9 * 60  # local time of day, minutes
    end_minute: int = 17 * 60
    holidays: str | None = None  # "US", "US-CA"
    extra_holidays: tuple[dt.date, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def working_day_us(self) -> int:
        """One working day: one workday's interval as its hours say (8 h for 09:00-17:00)."""
        return (self.end_minute - self.start_minute) * US_PER_MINUTE

    @property
    def hours_label(self) -> str:
        def hhmm(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        days = ", ".join(DAY_NAMES[d] for d in self.workdays)
        extra = f" + {len(self.extra_holidays)} extra dates" if self.extra_holidays else ""
        holidays = f", {self.holidays} holidays{extra}" if self.holidays else (f", {extra[3:]} off" if extra else "")
        return f"{days} {hhmm(self.start_minute)}-{hhmm(self.end_minute)} {self.timezone}{holidays}"

    def holiday_dates(self, first: dt.date, last: dt.date) -> set[dt.date]:
        days = {d for d in self.extra_holidays if first <= d <= last}
        if self.holidays:
            import holidays as holidays_package  # lazy: ~40 ms, only for a calendar that names a country

            country, _, subdiv = self.holidays.partition("-")
            found = holidays_package.country_holidays(
                country, subdiv=subdiv or None, years=range(first.year, last.year + 1)
            )
            days |= {d for d in found if first <= d <= last}
        return days

    def intervals(self, first: dt.date, last: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """The working intervals of the local days first..last as sorted, disjoint [start, end) epoch
        microseconds (overlaps, possible only around a zone's skipped or repeated day, are merged)."""
        zone, off = self.zone, self.holiday_dates(first, last)
        workdays = set(self.workdays)
        start_time = dt.time(self.start_minute // 60, self.start_minute % 60)
        end_time = dt.time(self.end_minute // 60, self.end_minute % 60)
        starts, ends = [], []
        day = first
        while day <= last:
            if day.weekday() in workdays and day not in off:
                starts.append(_epoch_us(dt.datetime.combine(day, start_time, tzinfo=zone)))
                ends.append(_epoch_us(dt.datetime.combine(day, end_time, tzinfo=zone)))
            day += dt.timedelta(days=1)
        return _merge(np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))


@dataclass(frozen=True)
class BusinessCalendars:
    """The default calendar and the per-region ones (matched on the lead's region, exactly)."""

    default: WorkCalendar = WorkCalendar()
    regions: tuple[tuple[str, WorkCalendar], ...] = ()

    def all(self) -> list[WorkCalendar]:
        """Calendar id i is the i-th of these: 0 the default, then the regions in the order given."""
        return [self.default, *(calendar for _, calendar in self.regions)]

    def describe(self) -> str:
        text = self.default.hours_label
        for region, calendar in self.regions:
            text += f"; region {region}: {calendar.hours_label}"
        return text


def _epoch_us(instant: dt.datetime) -> int:
    return (instant.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    if len(starts) < 2:
        return starts, ends
    reach = np.maximum.accumulate(ends)
    # an interval opens a new run unless it starts before the runs so far reach
    opens = np.concatenate(([True], starts[1:] > reach[:-1]))
    run = np.cumsum(opens) - 1
    merged_ends = np.zeros(int(run[-1]) + 1, dtype=np.int64)
    np.maximum.at(merged_ends, run, reach)
    return starts[opens], merged_ends


# -- reading funnel.toml's [calendar] ------------------------------------------------------------------
def parse_calendars(section: object, reporting_timezone: str) -> BusinessCalendars:
    """`[calendar]` (with its `regions` sub-tables) as calendars; CalendarError names a bad key."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise CalendarError("[calendar] must be a table")
    own = {k: v for k, v in section.items() if k != "regions"}
    default = _parse_one("[calendar]", own, WorkCalendar(timezone=reporting_timezone), DEFAULT_CALENDAR)
    regions_section = section.get("regions", {})
    if not isinstance(regions_section, dict):
        raise CalendarError("[calendar] regions must be tables [calendar.regions.NAME]")
    regions = []
    for region, values in regions_section.items():
        where = f"[calendar.regions.{region}]"
        if not isinstance(values, dict):
            raise CalendarError(f"{where} must be a table of calendar keys")
        # a region's calendar is the default one with the keys it gives replaced
        regions.append((region, _parse_one(where, values, default, region)))
    return BusinessCalendars(default, tuple(regions))


def _parse_one(where: str, values: dict, base: WorkCalendar, name: str) -> WorkCalendar:
    unknown = sorted(set(values) - set(CALENDAR_KEYS))
    if unknown:
        raise CalendarError(f"{where} has unknown key {', '.join(unknown)} (keys: {', '.join(CALENDAR_KEYS)})")
    fields: dict[str, object] = {"name": name}
    if "timezone" in values:
        fields["timezone"] = _timezone(where, values["timezone"])
    if "workdays" in values:
        fields["workdays"] = _workdays(where, values["workdays"])
    if "hours" in values:
        fields["start_minute"], fields["end_minute"] = _hours(where, values["hours"])
    if "holidays" in values:
        fields["holidays"] = _holidays(where, values["holidays"])
    if "extra_holidays" in values:
        fields["extra_holidays"] = _extra_holidays(where, values["extra_holidays"])
    merged = {**base.__dict__, **fields}
    return WorkCalendar(**merged)


def _timezone(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CalendarError(f"{where} timezone must be an IANA time zone name, not {value!r}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"{where} timezone {value!r} is not an IANA time zone") from None
    return value


def _workdays(where: str, value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise CalendarError(f'{where} workdays must be a non-empty list of day names, e.g. ["Mon", "Fri"]')
    days = set()
    for name in value:
        text = name.strip().lower() if isinstance(name, str) else None
        if text in (d.lower() for d in DAY_NAMES):
            days.add([d.lower() for d in DAY_NAMES].index(text))
        elif text in _FULL_DAY_NAMES:
            days.add(_FULL_DAY_NAMES.index(text))
        else:
            raise CalendarError(f"{where} workdays: {name!r} is not a day (one of {', '.join(DAY_NAMES)})")
    return tuple(sorted(days))


def _hours(where: str, value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise CalendarError(f'{where} hours must be ["HH:MM", "HH:MM"] (start, end), not {value!r}')
    minutes = []
    for text in value:
        match = _HOUR.match(text) if isinstance(text, str) else None
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise CalendarError(f"{where} hours: {text!r} is not a time of day HH:MM (00:00..23:59)")
        minutes.append(int(match[1]) * 60 + int(match[2]))
    if minutes[1] <= minutes[0]:
        raise CalendarError(f"{where} hours: the end {value[1]!r} is not after the start {value[0]!r}")
    return minutes[0], minutes[1]


def _holidays(where: str, value: object) -> str | None:
    if value in ("", None):
        return None
    if not isinstance(value, str):
        raise CalendarError(f'{where} holidays must be a country code such as "US" or "US-CA", not {value!r}')
    import holidays as holidays_package  # lazy: ~40 ms, only for a calendar that names a country

    country, _, subdiv = value.strip().partition("-")
    try:
        holidays_package.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError as exc:
        raise CalendarError(f"{where} holidays {value!r}: the holidays package does not know it ({exc})") from None
    return value.strip()


def _extra_holidays(where: str, value: object) -> tuple[dt.date, ...]:
    if not isinstance(value, list):
        raise CalendarError(f"{where} extra_holidays must be a list of ISO dates, not {value!r}")
    days = []
    for item in value:
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            days.append(item)
            continue
        try:
            days.append(dt.date.fromisoformat(item))
        except (TypeError, ValueError):
            raise CalendarError(f"{where} extra_holidays: {item!r} is not an ISO date (YYYY-MM-DD)") from None
    return tuple(sorted(set(days)))


# -- B(a, b), for checks and tests: the definition, written directly ------------------------------------
def business_us(calendar: WorkCalendar, a: dt.datetime, b: dt.datetime) -> int:
    """B(a, b) in microseconds by summing the intersections interval by interval (the SQL reads the
    cumulative table instead; tests compare the two)."""
    if b <= a:
        return 0
    a_us, b_us = _epoch_us(a), _epoch_us(b)
    starts, ends = calendar.intervals(
        a.astimezone(calendar.zone).date() - dt.timedelta(days=2),
        b.astimezone(calendar.zone).date() + dt.timedelta(days=2),
    )
    return int(np.maximum(0, np.minimum(ends, b_us) - np.maximum(starts, a_us)).sum())


# -- the tables handed to SQL ---------------------------------------------------------------------------
CALENDARS_SCHEMA = pa.schema(
    [
        ("calendar_id", pa.int32()),
        ("working_day_us", pa.int64()),  # one working day
        ("as_of_w_us", pa.int64()),  # W(as_of)
    ]
)
CALENDAR_REGIONS_SCHEMA = pa.schema([("region", pa.string()), ("calendar_id", pa.int32())])
WORKING_HOURS_SCHEMA = pa.schema(
    [
        ("calendar_id", pa.int32()),
        ("hour_key", pa.int64()),  # (t + HOUR_KEY_OFFSET_US) // 1 h for t in this hour
        ("w_start_us", pa.int64()),  # W at the hour's start
        ("p1_start_us", pa.int64()),
        ("p1_end_us", pa.int64()),  # working pieces inside the hour
        ("p2_start_us", pa.int64()),
        ("p2_end_us", pa.int64()),  # (zero length where there are fewer)
    ]
)


def empty_tables() -> dict[str, pa.Table]:
    """The tables under the calendar clock: SQL binds them and reads none of their rows."""
    return {
        "calendars": CALENDARS_SCHEMA.empty_table(),
        "calendar_regions": CALENDAR_REGIONS_SCHEMA.empty_table(),
        "working_hours": WORKING_HOURS_SCHEMA.empty_table(),
    }


def working_time_tables(
    calendars: BusinessCalendars, first_us: int, last_us: int, as_of_us: int
) -> dict[str, pa.Table]:
    """`calendars`, `calendar_regions` and `working_hours` covering every instant in [first_us, last_us]
    and as_of (the snapshot's timestamps: store.py asks queries/facts/calendar_span.sql)."""
    first_us, last_us = min(first_us, as_of_us), max(last_us, as_of_us)
    first_key = (first_us + HOUR_KEY_OFFSET_US) // US_PER_HOUR
    last_key = (last_us + HOUR_KEY_OFFSET_US) // US_PER_HOUR
    keys = np.arange(first_key, last_key + 1, dtype=np.int64)
    hour_starts = keys * US_PER_HOUR - HOUR_KEY_OFFSET_US
    epoch = dt.datetime(1970, 1, 1)
    # local days that can reach into the span: a zone is at most a day and a bit from UTC
    first_day = (epoch + dt.timedelta(microseconds=int(first_us))).date() - dt.timedelta(days=2)
    last_day = (epoch + dt.timedelta(microseconds=int(last_us))).date() + dt.timedelta(days=2)
    calendar_rows, hour_tables = [], []
    for calendar_id, calendar in enumerate(calendars.all()):
        starts, ends = calendar.intervals(first_day, last_day)
        worked_before = np.concatenate(([0], np.cumsum(ends - starts)))[:-1] if len(starts) else starts

        def w_at(t: np.ndarray, starts=starts, ends=ends, worked_before=worked_before) -> np.ndarray:
            i = np.searchsorted(starts, t, side="right") - 1
            inside = np.clip(t - starts[np.maximum(i, 0)], 0, ends[np.maximum(i, 0)] - starts[np.maximum(i, 0)])
            return np.where(i >= 0, worked_before[np.maximum(i, 0)] + inside, 0) if len(starts) else np.zeros_like(t)

        calendar_rows.append((calendar_id, calendar.working_day_us, int(w_at(np.array([as_of_us]))[0])))
        # the intervals overlapping each hour [h, h + 1 h): from the first ending after h to the last
        # starting before h + 1 h
        lo = np.searchsorted(ends, hour_starts, side="right")
        hi = np.searchsorted(starts, hour_starts + US_PER_HOUR, side="left")
        count = hi - lo
        if len(count) and count.max() > 2:
            raise CalendarError(f"calendar {calendar.name}: more than two working intervals in one hour")
        pieces = []
        for k in (0, 1):
            has = count > k
            idx = np.clip(lo + k, 0, max(len(starts) - 1, 0))
            if len(starts):
                p_start = np.where(has, np.maximum(starts[idx], hour_starts), hour_starts)
                p_end = np.where(has, np.minimum(ends[idx], hour_starts + US_PER_HOUR), hour_starts)
            else:
                p_start = p_end = hour_starts
            pieces += [p_start, p_end]
        hour_tables.append(
            pa.table(
                [
                    pa.array(np.full(len(keys), calendar_id, dtype=np.int32)),
                    pa.array(keys),
                    pa.array(w_at(hour_starts)),
                    *(pa.array(p) for p in pieces),
                ],
                schema=WORKING_HOURS_SCHEMA,
            )
        )
    return {
        "calendars": pa.Table.from_pylist(
            [dict(zip(CALENDARS_SCHEMA.names, r)) for r in calendar_rows], schema=CALENDARS_SCHEMA
        ),
        "calendar_regions": pa.Table.from_pylist(
            [{"region": region, "calendar_id": i + 1} for i, (region, _) in enumerate(calendars.regions)],
            schema=CALENDAR_REGIONS_SCHEMA,
        ),
        "working_hours": pa.concat_tables(hour_tables),
    }

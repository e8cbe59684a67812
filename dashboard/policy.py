"""The policy both teams agreed on: `funnel.toml` at the data root, with the contract's defaults."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.business_calendar import BusinessCalendars, CalendarError, parse_calendars
from dashboard.errors import FunnelError

SLA_CLOCKS = ("calendar", "business")
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay")


class PolicyError(FunnelError):
    """funnel.toml is unreadable or holds a value outside what the contract allows."""


@dataclass(frozen=True)
class Policy:
    timezone: str = "UTC"
    currency: str = "USD"
    first_response_hours: float = 24
    decision_days: float = 5
    min_acceptance_rate: float = 0.6
    window_days: float = 90
    model: str = "w_shaped"
    lookback_days: float = 365
    half_life_days: float = 7
    fiscal_year_start_month: int = 1
    clock: str = "calendar"  # [sla] clock: SLA_CLOCKS
    calendars: BusinessCalendars = BusinessCalendars()  # [calendar], used when clock = "business"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# funnel.toml section.key -> Policy field
_KEYS = {
    ("reporting", "timezone"): "timezone",
    ("reporting", "currency"): "currency",
    ("sla", "first_response_hours"): "first_response_hours",
    ("sla", "decision_days"): "decision_days",
    ("sla", "min_acceptance_rate"): "min_acceptance_rate",
    ("conversion", "window_days"): "window_days",
    ("attribution", "model"): "model",
    ("attribution", "lookback_days"): "lookback_days",
    ("attribution", "half_life_days"): "half_life_days",
    ("reporting", "fiscal_year_start_month"): "fiscal_year_start_month",
    ("sla", "clock"): "clock",
}


# The range every number of funnel.toml must fall in: Policy field -> (lowest, highest, lowest allowed?).
# Wide enough for any team's agreement, narrow enough that every date computed from a value stays in
# 1900..2200 (docs/decisions.md, "Policy limits"). A key added later adds its line here.
LIMITS: dict[str, tuple[float, float, bool]] = {
    "first_response_hours": (0, 24 * 3650, True),  # up to ten years
    "decision_days": (0, 3650, True),
    "min_acceptance_rate": (0, 1, True),  # a fraction
    "window_days": (0, 3650, False),  # a window of no days counts nothing
    "lookback_days": (0, 36500, True),
    "half_life_days": (0, 3650, False),  # credit halves every H days: H > 0
    "fiscal_year_start_month": (1, 12, True),
}


def check_number(
    path: Path,
    section: str,
    key: str,
    value: object,
    whole: bool = False,
    limits: tuple[float, float, bool] | None = None,
) -> float | int:
    """One number of funnel.toml checked for type, finiteness and range; PolicyError naming the key.

    TOML allows nan, inf and 1e300, and a boolean is no number here."""
    where = f"{path}: [{section}] {key}"
    if whole:
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"{where} must be a whole number, not {value!r}")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{where} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PolicyError(f"{where} must be a finite number, not {value!r}")
    if limits is not None:
        low, high, low_allowed = limits
        if value > high or value < low or (value == low and not low_allowed):
            shown = f"{low:g}..{high:g}" if low_allowed else f"> {low:g} and <= {high:g}"
            raise PolicyError(f"{where} must be in {shown}, not {value!r}")
    return value if whole else float(value)


def load_policy(data_root: Path) -> Policy:
    """Read `<data_root>/funnel.toml`; absent file or keys take the defaults."""
    path = Path(data_root) / "funnel.toml"
    if not path.exists():
        return Policy()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from None
    values: dict[str, object] = {}
    types = {f.name: f.type for f in fields(Policy)}
    for section in {section for section, _ in _KEYS}:
        if section in doc and not isinstance(doc[section], dict):
            raise PolicyError(f"{path}: [{section}] must be a table of keys, not {doc[section]!r}")
    for (section, key), name in _KEYS.items():
        if key not in doc.get(section, {}):
            continue
        value = doc[section][key]
        if types[name] in ("float", float):
            value = check_number(path, section, key, value, limits=LIMITS.get(name, (0, math.inf, True)))
        elif types[name] in ("int", int):
            value = check_number(path, section, key, value, whole=True, limits=LIMITS.get(name))
        elif not isinstance(value, str):
            raise PolicyError(f"{path}: [{section}] {key} must be a string, not {value!r}")
        values[name] = value
    policy = Policy(**values)
    try:
        policy.zone  # noqa: B018 - ZoneInfo raises here for a zone it does not know
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"{path}: [reporting] timezone {policy.timezone!r} is not an IANA time zone") from None
    if policy.clock not in SLA_CLOCKS:
        raise PolicyError(f"{path}: [sla] clock {policy.clock!r} is not one of {', '.join(SLA_CLOCKS)}")
    try:  # dashboard/business_calendar.py reads [calendar]; checked whichever clock is chosen
        policy = replace(policy, calendars=parse_calendars(doc.get("calendar"), policy.timezone))
    except CalendarError as exc:
        raise PolicyError(f"{path}: {exc}") from None
    if policy.model not in ATTRIBUTION_MODELS:
        raise PolicyError(f"{path}: [attribution] model {policy.model!r} is not one of {', '.join(ATTRIBUTION_MODELS)}")
    if policy.half_life_days <= 0:
        raise PolicyError(f"{path}: [attribution] half_life_days must be > 0")
    if not 1 <= policy.fiscal_year_start_month <= 12:
        raise PolicyError(
            f"{path}: [reporting] fiscal_year_start_month must be a month number 1..12, "
            f"not {policy.fiscal_year_start_month!r}"
        )
    if policy.min_acceptance_rate > 1:
        raise PolicyError(f"{path}: [sla] min_acceptance_rate is a fraction in 0..1")
    return policy

"""The sample world's cast and constants (segments, regions, owners, channels, sources, rates, seasons) and
the small helpers every part of the simulation uses. Part of `funnel sample` (dashboard/sample.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

US = 1_000_000
HOUR = 3_600 * US
DAY = 86_400 * US
NEVER = np.iinfo(np.int64).max  # "does not happen" (or not before the end of the world)

# ---------------------------------------------------------------------------------------------------
# The cast
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
REGION_MIX = (0.45, 0.32, 0.15, 0.08)
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Professional Services",
    "Media",
    "Public Sector",
    "Education",
)
INDUSTRY_MIX = (0.26, 0.14, 0.12, 0.13, 0.10, 0.11, 0.05, 0.05, 0.04)
EDUCATION = INDUSTRIES.index("Education")
OWNERS_BY_SEGMENT = {
    "SMB": ("ana.silva", "ben.carter", "chloe.martin", "diego.ramos", "ella.fischer", "farid.haddad"),
    "Mid-Market": ("grace.kim", "hugo.laurent", "ines.costa", "jonas.berg", "tom.becker"),
    "Enterprise": ("kate.oconnor", "liam.walsh", "mei.tanaka", "noah.schmidt"),
}
OWNERS = tuple(o for s in SEGMENTS for o in OWNERS_BY_SEGMENT[s])
BAD_REP = "tom.becker"  # leaves most of his MQLs untouched
SLIPPED_MONTHS_BEFORE_AS_OF = 3  # with the default as_of: July 2026, response times blew past 24 h
FLAGSHIP_SHOW = "SaaS Connect"
FLAGSHIP_CITY = "Las Vegas"
WEBINAR_SERIES = "Pipeline Clinic"

REJECTION_REASONS = ("no budget", "student", "competitor", "bad data", "recycle: not ready", "recycle: timing")
RECYCLE = (REJECTION_REASONS.index("recycle: not ready"), REJECTION_REASONS.index("recycle: timing"))
STAGES = ("Prospecting", "Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
TOUCH_TYPES = (
    "ad_click",
    "social_click",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "event_attended",
    "content_download",
    "web_visit",
    "form",
)
# the touch a lead leaves with a campaign of each channel, after (or before) the lead was created
CHANNEL_TOUCH = {
    "paid_search": "ad_click",
    "social": "social_click",
    "email": "email_click",
    "webinar": "webinar_attended",
    "event": "event_attended",
    "content": "content_download",
    "organic_search": "web_visit",
}
PRE_TOUCH_MIX = {"paid_search": 0.30, "social": 0.25, "content": 0.22, "organic_search": 0.18, "email": 0.05}
POST_TOUCH_MIX = {"email": 0.45, "content": 0.18, "webinar": 0.17, "social": 0.08, "paid_search": 0.07, "event": 0.05}

AMOUNT_MEDIAN = (8_000.0, 35_000.0, 150_000.0)  # per segment, lognormal
CYCLE_MEDIAN_DAYS = (20.0, 45.0, 90.0)
WIN_RATE = (0.28, 0.26, 0.22)
OPP_RATE = (0.55, 0.60, 0.68)  # P(opportunity | SQL)

MONTH_SEASON = (0.95, 1.00, 1.08, 1.02, 1.00, 0.88, 0.72, 0.70, 1.02, 1.12, 1.15, 0.82)  # Jan..Dec
YEARLY_GROWTH = 1.45
WEEKDAY = (1.0, 1.0, 1.0, 1.0, 0.95, 0.25, 0.22)  # Mon..Sun
HOURLY = (
    1.0,
    0.8,
    0.7,
    0.7,
    0.8,
    1.0,
    1.5,
    2.5,
    3.5,
    4.0,
    4.0,
    4.0,
    4.0,
    4.5,
    5.0,
    5.0,
    4.5,
    4.0,
    3.5,
    3.0,
    2.5,
    2.0,
    1.5,
    1.2,
)  # UTC hour of day: Europe's afternoon meets America's morning


@dataclass(frozen=True)
class Source:
    """How leads from one kind of campaign (or from no campaign) behave."""

    name: str
    channel: str
    origin: str
    share: float  # of all leads
    p_mql: float
    p_accept: float  # P(accepted | decided MQL)
    p_sql: float  # P(SQL | MQL)
    win: float  # win-rate multiplier
    quality: float  # mean of the latent fit/intent
    students: float  # share of "students doing research"
    pre: float  # mean touches before the lead was created
    post: float  # mean touches after
    mql_lag_days: float
    segment_mix: tuple[float, float, float]
    cpl: float  # campaign cost per expected lead
    acq_touch: str | None  # the touch that created the lead (None: no campaign behind it)
    owner: str | None = None  # the marketer running its campaigns
    amount: float = 1.0


SOURCES = (
    Source(
        "paid_brand",
        "paid_search",
        "marketing",
        0.05,
        0.38,
        0.76,
        0.30,
        1.00,
        0.10,
        0.02,
        1.2,
        2.5,
        6,
        (0.50, 0.33, 0.17),
        150,
        "ad_click",
        "maria.lopez",
    ),
    Source(
        "paid_nonbrand",
        "paid_search",
        "marketing",
        0.13,
        0.30,
        0.70,
        0.24,
        0.95,
        0.00,
        0.03,
        1.0,
        2.5,
        10,
        (0.55, 0.30, 0.15),
        380,
        "ad_click",
        "maria.lopez",
    ),
    Source(
        "social",
        "social",
        "marketing",
        0.09,
        0.25,
        0.64,
        0.17,
        0.90,
        -0.10,
        0.07,
        1.0,
        2.8,
        12,
        (0.45, 0.35, 0.20),
        260,
        "social_click",
        "maria.lopez",
    ),
    Source(
        "newsletter",
        "email",
        "marketing",
        0.03,
        0.30,
        0.70,
        0.20,
        1.00,
        0.00,
        0.03,
        0.8,
        3.5,
        14,
        (0.50, 0.33, 0.17),
        25,
        "email_click",
        "li.wei",
    ),
    Source(
        "nurture",
        "email",
        "marketing",
        0.03,
        0.32,
        0.70,
        0.22,
        1.00,
        0.00,
        0.02,
        0.8,
        3.5,
        14,
        (0.50, 0.33, 0.17),
        35,
        "email_click",
        "li.wei",
    ),
    Source(
        "ebook",
        "content",
        "marketing",
        0.06,
        0.32,
        0.62,
        0.16,
        0.90,
        -0.05,
        0.12,
        1.0,
        3.2,
        12,
        (0.50, 0.33, 0.17),
        180,
        "content_download",
        "sofia.rossi",
    ),
    Source(
        "syndication",
        "content",
        "marketing",
        0.04,
        0.28,
        0.60,
        0.15,
        0.85,
        -0.10,
        0.05,
        0.6,
        2.4,
        15,
        (0.50, 0.33, 0.17),
        230,
        "content_download",
        "sofia.rossi",
    ),
    Source(
        "organic",
        "organic_search",
        "marketing",
        0.12,
        0.30,
        0.72,
        0.28,
        1.00,
        0.05,
        0.06,
        1.2,
        2.8,
        8,
        (0.55, 0.30, 0.15),
        0,
        "form",
        None,
    ),
    Source(
        "referral",
        "referral",
        "other",
        0.04,
        0.55,
        0.85,
        0.45,
        1.40,
        0.35,
        0.01,
        0.3,
        2.0,
        4,
        (0.45, 0.35, 0.20),
        300,
        "form",
        "emma.novak",
        1.1,
    ),
    Source(
        "partner",
        "partner",
        "partner",
        0.07,
        0.50,
        0.80,
        0.40,
        1.25,
        0.25,
        0.01,
        0.4,
        2.0,
        5,
        (0.30, 0.40, 0.30),
        250,
        "form",
        "emma.novak",
        1.15,
    ),
    Source(
        "webinar",
        "webinar",
        "marketing",
        0.07,
        0.52,
        0.82,
        0.40,
        1.15,
        0.20,
        0.05,
        1.0,
        3.5,
        5,
        (0.35, 0.45, 0.20),
        130,
        "webinar_registered",
        "sofia.rossi",
    ),
    Source(
        "flagship",
        "event",
        "marketing",
        0.05,
        0.36,
        0.45,
        0.05,
        0.60,
        -0.25,
        0.03,
        0.3,
        1.5,
        3,
        (0.55, 0.35, 0.10),
        420,
        "event_attended",
        "jamal.reed",
        0.85,
    ),
    Source(
        "field_event",
        "event",
        "marketing",
        0.05,
        0.45,
        0.75,
        0.30,
        1.10,
        0.20,
        0.01,
        0.4,
        2.2,
        3,
        (0.20, 0.40, 0.40),
        650,
        "event_attended",
        "jamal.reed",
        1.1,
    ),
    Source(
        "outbound",
        "outbound",
        "sales",
        0.10,
        0.45,
        0.80,
        0.35,
        1.00,
        0.10,
        0.00,
        0.1,
        1.0,
        7,
        (0.25, 0.40, 0.35),
        0,
        None,
    ),
    Source(
        "direct",
        "direct",
        "marketing",
        0.03,
        0.32,
        0.70,
        0.25,
        1.00,
        0.00,
        0.03,
        0.8,
        2.2,
        6,
        (0.55, 0.30, 0.15),
        0,
        None,
    ),
    Source(
        "other", "other", "other", 0.02, 0.20, 0.55, 0.15, 0.80, -0.20, 0.02, 0.2, 1.5, 20, (0.50, 0.30, 0.20), 0, None
    ),
)
SRC = {s.name: i for i, s in enumerate(SOURCES)}
REASONS_GENERAL = (0.30, 0.0, 0.10, 0.15, 0.25, 0.20)  # over REJECTION_REASONS
REASONS_EVENT = (0.15, 0.0, 0.08, 0.32, 0.30, 0.15)
REASONS_AFTER_ACCEPT = (0.45, 0.0, 0.25, 0.0, 0.0, 0.30)

WEBINAR_TOPICS = (
    "Forecasting that sales trusts",
    "Lead scoring without the hype",
    "Pipeline reviews that work",
    "The SLA between sales and marketing",
    "Attribution for humans",
    "Territory planning",
    "Win/loss analysis",
    "Building a RevOps team",
    "Pricing pages that convert",
    "Onboarding to expansion",
    "Board metrics for SaaS",
    "Data hygiene in the CRM",
)
EBOOKS = (
    "The State of RevOps",
    "Pipeline Forecasting Playbook",
    "Lead Scoring 101",
    "The CFO's Guide to SaaS Metrics",
    "Sales & Marketing SLA Template",
    "B2B Conversion Benchmarks",
    "The ABM Field Guide",
    "Churn Early-Warning Checklist",
)
FIELD_EVENTS = (
    ("Executive roundtable", "London", "EMEA", 1),
    ("Regional summit", "Chicago", "North America", 2),
    ("Roadshow", "Singapore", "APAC", 1),
    ("Executive dinner", "New York", "North America", 1),
    ("Regional summit", "São Paulo", "LATAM", 2),
    ("Executive roundtable", "Berlin", "EMEA", 1),
    ("Roadshow", "Sydney", "APAC", 1),
    ("Executive dinner", "Toronto", "North America", 1),
    ("Regional summit", "Paris", "EMEA", 2),
    ("Roadshow", "Mexico City", "LATAM", 1),
)
PARTNERS = ("Northwind Consulting", "Contoso Cloud", "Fabrikam Systems", "Tailspin Advisory")


# ---------------------------------------------------------------------------------------------------
# Small helpers


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *stream])))


def _month_end_instants(as_of: dt.datetime, count: int) -> list[dt.datetime]:
    """The K snapshot instants, oldest first: as_of, and the last second of each month before it."""
    out = [as_of]
    first = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(count - 1):
        out.append(first - dt.timedelta(seconds=1))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out[::-1]


def _us(value: dt.datetime) -> int:
    return int(round(value.timestamp())) * US + value.microsecond


def _epoch_month(t_us: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of UTC instants (epoch microseconds)."""
    return t_us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)


def _seconds(x: np.ndarray) -> np.ndarray:
    """A duration in (fractional) seconds as whole-second microseconds."""
    return np.floor(x).astype(np.int64) * US


def _ids(prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """Fixed-width ids like L00012345, built without a Python loop over rows."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n, p = len(numbers), len(prefix)
    size = p + width
    buf = np.empty((n, size), dtype=np.uint8)
    buf[:, :p] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    x = numbers.copy()
    for j in range(size - 1, p - 1, -1):
        buf[:, j] = 48 + x % 10
        x //= 10
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    bitmap = None
    nulls = 0
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little"))
        nulls = int((~valid).sum())
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf.reshape(-1)), bitmap, nulls)


def _strings(values: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    """Codes into a small vocabulary as a plain string array (-1 = null)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(values), pa.string()).take(pa.array(codes, mask=codes < 0))


def _timestamps(values: np.ndarray, as_of: int | None = None) -> pa.Array:
    """Epoch microseconds as timestamp[us, UTC]; NEVER (and anything after as_of) is null."""
    hidden = values == NEVER if as_of is None else values > as_of
    return pa.array(np.where(hidden, 0, values), type=pa.timestamp("us", tz="UTC"), mask=hidden)


def _choice(rng: np.random.Generator, probs, size: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(probs, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(size), side="right"), len(cum) - 1)


def _choice_rows(rng: np.random.Generator, cum_rows: np.ndarray) -> np.ndarray:
    """One draw per row from that row's cumulative distribution."""
    u = rng.random(len(cum_rows))[:, None]
    return np.minimum((u >= cum_rows).sum(axis=1), cum_rows.shape[1] - 1)


def _lognormal_s(rng: np.random.Generator, median_s: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    return np.exp(rng.normal(np.log(median_s), sigma, size))

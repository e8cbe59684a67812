"""`funnel sample`: a deterministic, believable B2B funnel written as Parquet snapshots.

One world is simulated once and written as K month-end snapshots, each holding only what was known at
its as_of: later leads, touches and opportunities are absent; later stage timestamps are null; deals
that close later are still open there. Same arguments, same bytes: no wall clock, fixed writer settings,
deterministic row order.

Scale: leads are simulated in chunks of CHUNK_LEADS in created_at order (lead numbers follow creation
time, like a CRM's auto-number). Each chunk has its own random stream, seeded from (seed, chunk index),
and depends on no other chunk, so chunks could be simulated in any order. Leads and touches are streamed
to their files chunk by chunk; opportunities (a few percent of leads) are kept and sorted at the end.
Row order: leads and opportunities by created_at (ids follow it), campaigns by start_date, touches by
(lead_id, touched_at, touch_id). That touch order is the one that streams (a chunk is a range of lead ids,
so no global sort of ~5 touches per lead is needed), it keeps each lead's path contiguous, which is how
attribution reads touches, and row-group min/max statistics on lead_id let a reader skip row groups.

The stories the data carries (a monthly meeting argues about each):
- growth, a summer dip and a Q4 push in lead volume; deals pulled into quarter ends;
- the trade show SaaS Connect: many leads, few SQLs; the Pipeline Clinic webinar series: fewer, better;
- a lead score that predicts conversion imperfectly; students doing research (engaged, decent score,
  Education / tiny companies, rejected as "student");
- the month SLIPPED_MONTHS_BEFORE_AS_OF months before the newest as_of, when sales follow-up slipped
  past the 24 h SLA; one rep (BAD_REP) who leaves most of his MQLs untouched and undecided;
- rejected, recycled, rejected-then-accepted and accepted-then-rejected leads; skipped stages;
  responses logged before mql_at; several opportunities for one lead; deals with no lead.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract import CHANNELS, ORIGINS, TABLE_ORDER, TABLES, TARGET_METRICS
from dashboard.policy import Policy
from dashboard.snapshots import atomic_snapshot_dir, format_instant, parse_instant

DEFAULT_LEADS = 20_000
DEFAULT_SEED = 7
DEFAULT_MONTHS = 24
DEFAULT_SNAPSHOTS = 2
DEFAULT_AS_OF = "2026-10-31T23:59:59Z"

CHUNK_LEADS = 500_000  # part of the output's definition: changing it changes the random streams
ROW_GROUP_ROWS = 1_000_000
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3, "write_statistics": True}

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


# ---------------------------------------------------------------------------------------------------
# The plan: calendar, campaigns and how many leads arrive each day (shared by every chunk)


@dataclass
class Campaigns:
    name: list[str] = field(default_factory=list)
    source: list[int] = field(default_factory=list)
    segment: list[int] = field(default_factory=list)
    region: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)  # day index relative to the world's first day
    end: list[int] = field(default_factory=list)  # inclusive; == start for a one-day campaign
    one_day: list[bool] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # day it appears in the CRM (planned ahead)
    cost_weight: list[float] = field(default_factory=list)  # expected leads over the whole campaign (units)
    quality: list[float] = field(default_factory=list)
    owner: list[str | None] = field(default_factory=list)
    scalable: list[bool] = field(default_factory=list)  # multiplied into variants at scale
    # lead-creation profile: (campaign, day, weight) entries
    prof_camp: list[np.ndarray] = field(default_factory=list)
    prof_day: list[np.ndarray] = field(default_factory=list)
    prof_w: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        name,
        source,
        start,
        end,
        weight_days,
        weights,
        *,
        segment=-1,
        region=-1,
        one_day=False,
        created=None,
        cost_weight,
        quality=0.0,
        owner=None,
        scalable=False,
        n_days,
    ):
        days = np.asarray(weight_days, dtype=np.int64)
        w = np.asarray(weights, dtype=float)
        inside = (days >= 0) & (days < n_days) & (w > 0)
        if not inside.any() or start >= n_days:
            return
        i = len(self.name)
        self.name.append(name)
        self.source.append(source)
        self.segment.append(segment)
        self.region.append(region)
        self.start.append(start)
        self.end.append(end)
        self.one_day.append(one_day)
        self.created.append(start if created is None else created)
        self.cost_weight.append(cost_weight)
        self.quality.append(quality)
        self.owner.append(owner)
        self.scalable.append(scalable)
        self.prof_camp.append(np.full(int(inside.sum()), i, dtype=np.int64))
        self.prof_day.append(days[inside])
        self.prof_w.append(w[inside])


class Plan:
    """Everything that is the same for every chunk, drawn from the seed's plan stream."""

    def __init__(self, n_leads: int, seed: int, months: int, as_of: dt.datetime):
        self.n_leads, self.seed, self.months = n_leads, seed, months
        self.as_of = as_of
        self.end_us = _us(as_of)
        last_month = dt.date(as_of.year, as_of.month, 1)
        y, m = divmod(last_month.year * 12 + last_month.month - 1 - (months - 1), 12)
        self.start_date = dt.date(y, m + 1, 1)
        self.start_us = _us(dt.datetime(y, m + 1, 1, tzinfo=dt.UTC))
        self.n_days = (as_of.date() - self.start_date).days + 1
        self.day_us = self.start_us + np.arange(self.n_days, dtype=np.int64) * DAY
        self.start_epoch_day = (self.start_date - dt.date(1970, 1, 1)).days
        self.start_month = (self.start_date.year - 1970) * 12 + self.start_date.month - 1
        self.slipped_month = (as_of.year - 1970) * 12 + as_of.month - 1 - SLIPPED_MONTHS_BEFORE_AS_OF
        self.lead_width = max(8, len(str(n_leads)))
        self.account_width = max(8, len(str(2 * n_leads + 10)))
        self.owner_code = {o: i for i, o in enumerate(OWNERS)}
        self.bad_rep = self.owner_code[BAD_REP]
        seg_first, seg_count, k = [], [], 0
        for s in SEGMENTS:
            seg_first.append(k)
            seg_count.append(len(OWNERS_BY_SEGMENT[s]))
            k += len(OWNERS_BY_SEGMENT[s])
        self.seg_owner_first = np.array(seg_first)
        self.seg_owner_count = np.array(seg_count)

        hourly = np.asarray(HOURLY, dtype=float)
        self.tod_cdf = np.concatenate([[0.0], np.cumsum(hourly) / hourly.sum()])
        self.tod_hours = np.arange(25, dtype=float)
        rng = _rng(seed, 0)
        self._build_campaigns(rng)
        self._build_days(rng)
        self._build_touch_index()

    # -- calendar shapes --------------------------------------------------------------------------
    def shape(self, days: np.ndarray, weekday: bool = True) -> np.ndarray:
        """Relative lead volume on world days (any integer, also outside the world)."""
        days = np.asarray(days, dtype=np.int64)
        d64 = np.datetime64(self.start_date, "D") + days
        moy = d64.astype("datetime64[M]").astype(np.int64) % 12
        value = np.asarray(MONTH_SEASON)[moy] * np.exp(np.log(YEARLY_GROWTH) * days / 365.25)
        if weekday:
            wd = (d64.astype(np.int64) + 3) % 7
            value = value * np.asarray(WEEKDAY)[wd] / np.mean(WEEKDAY)
        return value

    def day_of(self, date: dt.date) -> int:
        return (date - self.start_date).days

    def _periods(self, months_per_period: int) -> list[tuple[dt.date, dt.date]]:
        """Calendar periods (quarters: 3, halves: 6, years: 12) overlapping the world."""
        out = []
        first = (self.start_date.year * 12 + self.start_date.month - 1) // months_per_period * months_per_period
        last = self.as_of.year * 12 + self.as_of.month - 1
        for p in range(first, last + 1, months_per_period):
            y, m = divmod(p, 12)
            y2, m2 = divmod(p + months_per_period, 12)
            out.append((dt.date(y, m + 1, 1), dt.date(y2, m2 + 1, 1) - dt.timedelta(days=1)))
        return out

    # -- campaigns -----------------------------------------------------------------------------------
    def _build_campaigns(self, rng: np.random.Generator) -> None:
        base = self._campaign_plan(np.random.Generator(np.random.PCG64(0)), variants=1)
        target = max(40, round(self.n_leads / 200))
        scalable = sum(base.scalable)
        fixed = len(base.name) - scalable
        variants = max(1, round((target - fixed) / max(scalable, 1)))
        c = self._campaign_plan(rng, variants)
        order = sorted(range(len(c.name)), key=lambda i: (c.start[i], c.name[i]))
        self.campaigns = c
        self.camp_order = np.array(order, dtype=np.int64)  # id order: by start date, then name
        n = len(c.name)
        rank = np.empty(n, dtype=np.int64)
        rank[self.camp_order] = np.arange(n)
        self.camp_number = rank + 1
        self.camp_width = max(4, len(str(n)))
        self.camp_source = np.array(c.source, dtype=np.int64)
        self.camp_segment = np.array(c.segment, dtype=np.int64)
        self.camp_region = np.array(c.region, dtype=np.int64)
        self.camp_start = np.array(c.start, dtype=np.int64)
        self.camp_end = np.array(c.end, dtype=np.int64)
        self.camp_quality = np.array(c.quality, dtype=float)
        self.camp_virtual = np.array([SOURCES[s].acq_touch is None for s in c.source])
        self.camp_channel = np.array([CHANNELS.index(SOURCES[s].channel) for s in c.source], dtype=np.int64)
        self.prof_camp = np.concatenate(c.prof_camp)
        self.prof_day = np.concatenate(c.prof_day)
        self.prof_w = np.concatenate(c.prof_w)
        self.cost_noise = np.exp(rng.normal(0.0, 0.2, n))

    def _campaign_plan(self, rng: np.random.Generator, variants: int) -> Campaigns:
        c = Campaigns()
        n_days = self.n_days
        world = np.arange(n_days)

        def variant_weights(k: int) -> np.ndarray:
            w = np.exp(rng.normal(0.0, 0.4, k))
            return w / w.mean()

        def suffix(v: int) -> str:
            return f" #{v + 1}" if variants > 1 else ""

        def always_on(source: str, share: float, periods, label, segment=-1, scalable=True):
            src = SRC[source]
            k = variants if scalable else 1
            for p_start, p_end in periods:
                s, e = self.day_of(p_start), self.day_of(p_end)
                days = np.arange(max(s, 0), min(e, n_days - 1) + 1)
                if len(days) == 0:
                    continue
                full = self.shape(np.arange(s, e + 1)).sum()
                for v, vw in enumerate(variant_weights(k)):
                    c.add(
                        label(p_start) + (suffix(v) if scalable else ""),
                        src,
                        s,
                        e,
                        days,
                        share / k * vw * self.shape(days),
                        segment=segment,
                        cost_weight=share / k * vw * full,
                        quality=SOURCES[src].quality + rng.normal(0, 0.15),
                        owner=SOURCES[src].owner,
                        scalable=scalable,
                        n_days=n_days,
                    )

        def quarter(d):
            return f"{d.year} Q{(d.month - 1) // 3 + 1}"

        def half(d):
            return f"H{(d.month - 1) // 6 + 1} {d.year}"

        quarters, halves, years = self._periods(3), self._periods(6), self._periods(12)
        always_on(
            "paid_brand",
            SOURCES[SRC["paid_brand"]].share,
            quarters,
            lambda d: f"Paid search · Brand · {quarter(d)}",
            scalable=False,
        )
        for seg, share in ((0, 0.06), (1, 0.04), (2, 0.03)):
            always_on(
                "paid_nonbrand",
                share,
                quarters,
                lambda d, seg=seg: f"Paid search · Non-brand · {SEGMENTS[seg]} · {quarter(d)}",
                segment=seg,
            )
        always_on("social", 0.04, quarters, lambda d: f"LinkedIn Ads · Mid-Market · {quarter(d)}", segment=1)
        always_on("social", 0.02, quarters, lambda d: f"LinkedIn ABM · Enterprise · {quarter(d)}", segment=2)
        always_on("social", 0.03, halves, lambda d: f"Social retargeting · {half(d)}")
        always_on("newsletter", SOURCES[SRC["newsletter"]].share, quarters, lambda d: f"Newsletter · {quarter(d)}")
        always_on(
            "nurture", SOURCES[SRC["nurture"]].share, years, lambda d: f"Nurture program {d.year}", scalable=False
        )
        always_on(
            "syndication", SOURCES[SRC["syndication"]].share, halves, lambda d: f"Content syndication · {half(d)}"
        )
        always_on("organic", SOURCES[SRC["organic"]].share, years, lambda d: f"Website & SEO {d.year}", scalable=False)
        always_on(
            "referral",
            SOURCES[SRC["referral"]].share,
            years,
            lambda d: f"Customer referral program {d.year}",
            scalable=False,
        )
        for partner in PARTNERS[:2]:
            always_on(
                "partner",
                SOURCES[SRC["partner"]].share / 2,
                halves,
                lambda d, partner=partner: f"Partner co-marketing · {partner} · {half(d)}",
            )
        # e-books: a new one every quarter, promoted for four months
        src = SRC["ebook"]
        for p_start, _ in quarters:
            s = self.day_of(p_start)
            e = s + 119
            days = np.arange(max(s, 0), min(e, n_days - 1) + 1)
            if len(days) == 0:
                continue
            full = self.shape(np.arange(s, e + 1)).sum()
            title = EBOOKS[(p_start.year * 4 + (p_start.month - 1) // 3) % len(EBOOKS)]
            for v, vw in enumerate(variant_weights(variants)):
                share = SOURCES[src].share * 90 / 120 / variants * vw
                c.add(
                    f"E-book: {title} ({p_start.year})" + suffix(v),
                    src,
                    s,
                    e,
                    days,
                    share * self.shape(days),
                    cost_weight=share * full,
                    quality=SOURCES[src].quality + rng.normal(0, 0.15),
                    owner=SOURCES[src].owner,
                    scalable=True,
                    n_days=n_days,
                )
        # the Pipeline Clinic webinar series: one live episode a month (third Thursday), one-day campaigns;
        # registrations arrive in the ten days before, attendee lists are imported the day after
        src = SRC["webinar"]
        episode = 0
        for m_start, m_end in self._periods(1):
            d = m_start + dt.timedelta(days=(3 - m_start.weekday()) % 7 + 14)
            day = self.day_of(d)
            days = np.arange(day - 10, day + 2)
            ramp = np.concatenate([np.linspace(1.0, 4.0, 11), [1.5]]) * self.shape(days) / self.shape(days, False)
            month_days = np.arange(self.day_of(m_start), self.day_of(m_end) + 1)
            volume = SOURCES[src].share * self.shape(month_days).sum()
            episode += 1
            for v, vw in enumerate(variant_weights(variants)):
                topic = WEBINAR_TOPICS[(episode * 5 + v) % len(WEBINAR_TOPICS)]
                region = -1 if variants == 1 else v % len(REGIONS)
                vol = volume / variants * vw
                name = f"{WEBINAR_SERIES} webinar #{episode}: {topic}"
                if variants > 1:
                    name += f" ({REGIONS[region]}, session {v + 1})"
                c.add(
                    name,
                    src,
                    day,
                    day,
                    days,
                    vol * ramp / ramp.sum(),
                    region=region,
                    one_day=True,
                    created=day - 21,
                    cost_weight=vol,
                    quality=SOURCES[src].quality + rng.normal(0, 0.1),
                    owner=SOURCES[src].owner,
                    scalable=True,
                    n_days=n_days,
                )
        # the flagship trade show, every April (Tuesday to Thursday of the second full week): badge scans
        # during the show, lists imported in the two days after
        src = SRC["flagship"]
        aprils = [p for p in self._periods(1) if p[0].month == 4] or [self._periods(1)[len(self._periods(1)) // 2]]
        for m_start, _ in aprils:
            d = m_start + dt.timedelta(days=(1 - m_start.weekday()) % 7 + 7)
            day = self.day_of(d)
            days = np.arange(day, day + 5)
            volume = SOURCES[src].share * 365 * float(self.shape(np.array([day]), False)[0])
            c.add(
                f"Trade show: {FLAGSHIP_SHOW} {d.year} ({FLAGSHIP_CITY})",
                src,
                day,
                day + 2,
                days,
                volume * np.array([0.22, 0.22, 0.16, 0.25, 0.15]),
                region=0,
                created=day - 60,
                cost_weight=volume,
                quality=SOURCES[src].quality,
                owner=SOURCES[src].owner,
                n_days=n_days,
            )
        # field events: roughly every six weeks, rotating cities; one-day ones have no end date
        src = SRC["field_event"]
        spacing = 45
        k = 0
        for day in range(10, n_days + spacing, spacing):
            for v, vw in enumerate(variant_weights(variants)):
                kind, city, region, length = FIELD_EVENTS[(k + v) % len(FIELD_EVENTS)]
                d = self.start_date + dt.timedelta(days=day + (v % 7) * 5)
                d += dt.timedelta(days=(1 - d.weekday()) % 7)  # a Tuesday
                s = self.day_of(d)
                days = np.arange(s, s + length + 2)
                volume = SOURCES[src].share * spacing * float(self.shape(np.array([s]), False)[0]) / variants * vw
                prof = np.array([0.6, 0.3, 0.1] if length == 1 else [0.35, 0.35, 0.2, 0.1])
                c.add(
                    f"{kind} · {city} · {d:%Y-%m}" + suffix(v),
                    src,
                    s,
                    s + length - 1,
                    days,
                    volume * prof,
                    region=REGIONS.index(region),
                    one_day=length == 1,
                    created=s - 30,
                    cost_weight=volume,
                    quality=SOURCES[src].quality + rng.normal(0, 0.15),
                    owner=SOURCES[src].owner,
                    scalable=True,
                    n_days=n_days,
                )
            k += 1
        # leads with no campaign behind them: created by sales, direct, other (never written as campaigns)
        for name in ("outbound", "direct", "other"):
            src = SRC[name]
            c.add(
                f"({name})",
                src,
                0,
                n_days - 1,
                world,
                SOURCES[src].share * self.shape(world),
                cost_weight=0.0,
                quality=SOURCES[src].quality,
                n_days=n_days,
            )
        return c

    # -- leads per day -------------------------------------------------------------------------------
    def _build_days(self, rng: np.random.Generator) -> None:
        intensity = np.bincount(self.prof_day, weights=self.prof_w, minlength=self.n_days)
        # the newest day may be cut short by as_of
        last_tod = (self.end_us - self.day_us[-1]) / HOUR
        self.last_day_frac = float(np.interp(min(last_tod + 1 / 3600, 24.0), self.tod_hours, self.tod_cdf))
        intensity[-1] *= self.last_day_frac
        total = intensity.sum()
        self.counts = rng.multinomial(self.n_leads, intensity / total).astype(np.int64)
        self.cum_counts = np.cumsum(self.counts)
        self.day_first = self.cum_counts - self.counts
        self.leads_per_unit = self.n_leads / total
        # acquisition lookup: entries sorted by (day, campaign), cumulative weight within the day in (0, 1]
        order = np.lexsort((self.prof_camp, self.prof_day))
        day, camp, w = self.prof_day[order], self.prof_camp[order], self.prof_w[order]
        self.acq_key, self.acq_camp = self._lookup(day, camp, w)
        expected = np.bincount(self.prof_camp, weights=self.prof_w, minlength=len(self.camp_source))
        self.camp_expected_leads = expected * self.leads_per_unit

    @staticmethod
    def _lookup(group: np.ndarray, item: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted choice within groups as one sorted key array: for entries sorted by group, key =
        group + the cumulative share of the group's weight up to and including the entry (the last is exactly
        group + 1). searchsorted(key, group + u, 'right') then picks an entry of that group with u in [0, 1)."""
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        sizes = np.diff(np.r_[starts, len(group)])
        cum = np.cumsum(weight)
        before = np.repeat(np.r_[0.0, cum[starts[1:] - 1]], sizes)
        total = np.repeat(np.add.reduceat(weight, starts), sizes)
        share = (cum - before) / total
        share[starts + sizes - 1] = 1.0
        return group.astype(float) + share, item

    # -- campaigns a later touch of a channel can land in -----------------------------------------------
    def _build_touch_index(self) -> None:
        n_days = self.n_days
        chans, days, camps, weights = [], [], [], []
        for i in range(len(self.camp_source)):
            if self.camp_virtual[i] or CHANNELS[self.camp_channel[i]] not in CHANNEL_TOUCH:
                continue
            s, e = max(self.camp_start[i], 0), min(self.camp_end[i], n_days - 1)
            if e < s:
                continue
            d = np.arange(s, e + 1)
            chans.append(np.full(len(d), self.camp_channel[i]))
            days.append(d)
            camps.append(np.full(len(d), i))
            weights.append(np.full(len(d), max(self.camp_expected_leads[i], 1e-9) / len(d)))
        ch, d, cp = (np.concatenate(x).astype(np.int64) for x in (chans, days, camps))
        w = np.concatenate(weights)
        group = ch * (n_days + 1) + d
        order = np.lexsort((cp, group))
        self.touch_key, self.touch_camp = self._lookup(group[order], cp[order], w[order])
        # for each channel and day: the first day on or after it with a campaign of that channel (-1: none)
        self.next_day = np.full((len(CHANNELS), n_days + 1), -1, dtype=np.int64)
        has = np.zeros((len(CHANNELS), n_days + 1), dtype=bool)
        has[ch, d] = True
        for c in np.unique(ch):
            idx = np.where(has[c], np.arange(n_days + 1), n_days + 1)
            nxt = np.minimum.accumulate(idx[::-1])[::-1]
            self.next_day[c] = np.where(nxt > n_days, -1, nxt)

    def pick_touch_campaigns(self, rng, channel: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
        """For proposed touches (channel, time): a campaign of that channel active that day (or the next day
        one is), the possibly shifted time, and whether the touch can happen at all."""
        day = (t - self.start_us) // DAY
        ok = (day >= 0) & (day < self.n_days)
        day = np.clip(day, 0, self.n_days - 1)
        new_day = self.next_day[channel, day]
        ok &= new_day >= 0
        new_day = np.where(ok, new_day, day)
        t = t + (new_day - day) * DAY
        ok &= t <= self.end_us
        key = channel * (self.n_days + 1) + new_day + rng.random(len(t)) * (1 - 1e-9)
        pos = np.minimum(np.searchsorted(self.touch_key, key, side="right"), len(self.touch_key) - 1)
        camp = self.touch_camp[pos]
        ok &= self.camp_channel[camp] == channel
        return camp, t, ok


# ---------------------------------------------------------------------------------------------------
# One chunk of the world


@dataclass
class Chunk:
    leads: dict[str, np.ndarray]
    touches: dict[str, np.ndarray]
    opps: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]  # month x segment flow counts, for the targets


def simulate_chunk(plan: Plan, index: int) -> Chunk:
    """Leads index*CHUNK_LEADS .. and everything that happens to them; depends on no other chunk."""
    rng = _rng(plan.seed, 1, index)
    a = index * CHUNK_LEADS
    b = min(plan.n_leads, a + CHUNK_LEADS)
    n = b - a
    lead = np.arange(a, b, dtype=np.int64)

    # arrival: day from the daily counts; within the day in order, following the hour-of-day curve
    day = np.searchsorted(plan.cum_counts, lead, side="right")
    rank = lead - plan.day_first[day]
    frac = (rank + rng.random(n)) / plan.counts[day]
    frac *= np.where(day == plan.n_days - 1, plan.last_day_frac, 1.0)
    hours = np.interp(frac, plan.tod_cdf, plan.tod_hours)
    created = plan.day_us[day] + np.minimum(np.floor(hours * 3600), 86_399).astype(np.int64) * US
    created = np.minimum(created, plan.end_us)

    camp = plan.acq_camp[np.searchsorted(plan.acq_key, day + rng.random(n) * (1 - 1e-9), side="right")]
    src = plan.camp_source[camp]
    S = SOURCES
    p_mql = np.array([s.p_mql for s in S])[src]
    p_acc = np.array([s.p_accept for s in S])[src]
    p_sql = np.array([s.p_sql for s in S])[src]
    channel = plan.camp_channel[camp]
    origin = np.array([ORIGINS.index(s.origin) for s in S])[src]
    is_event = np.array([s.channel == "event" for s in S])[src]
    student = rng.random(n) < np.array([s.students for s in S])[src]

    # who they are
    mix = np.cumsum(np.array([s.segment_mix for s in S]), axis=1)[src]
    segment = _choice_rows(rng, mix)
    camp_seg = plan.camp_segment[camp]
    segment = np.where((camp_seg >= 0) & (rng.random(n) < 0.85), camp_seg, segment)
    segment[student] = 0
    region = _choice(rng, REGION_MIX, n)
    camp_reg = plan.camp_region[camp]
    region = np.where((camp_reg >= 0) & (rng.random(n) < 0.8), camp_reg, region)
    industry = _choice(rng, INDUSTRY_MIX, n)
    industry[rng.random(n) < 0.06] = -1
    industry[student] = EDUCATION
    emp_median = np.array([45.0, 600.0, 7000.0])[segment]
    emp_lo = np.array([2, 200, 2000])[segment]
    emp_hi = np.array([199, 1999, 250_000])[segment]
    employees = np.clip(np.round(np.exp(rng.normal(np.log(emp_median), 0.8))), emp_lo, emp_hi).astype(np.int64)
    employees[student] = rng.integers(1, 11, int(student.sum()))
    employees[rng.random(n) < 0.05] = -1

    # the latent fit x intent that the score sees imperfectly and the outcomes follow
    z = plan.camp_quality[camp] + rng.normal(0.0, 1.0, n)
    z[student] = rng.normal(0.7, 0.4, int(student.sum()))
    mql = rng.random(n) < np.where(student, 0.7, np.clip(p_mql * np.exp(0.6 * z - 0.18), 0, 0.97))
    outbound = src == SRC["outbound"]
    owner = plan.seg_owner_first[segment] + (rng.random(n) * plan.seg_owner_count[segment]).astype(np.int64)
    owner = np.where(mql | outbound | (rng.random(n) < 0.5), owner, -1)
    score = 48 + 16 * (0.55 * z + 0.84 * rng.normal(0.0, 1.0, n)) + 4 * mql
    score = np.where(student, rng.normal(63, 7, n), score)
    score = np.round(np.clip(score, 0, 100), 1)
    score_null = (rng.random(n) < 0.04) | (outbound & (rng.random(n) < 0.4))

    # MQL: hand-raisers within hours, the rest after nurturing (event lists: after the import and scoring)
    hand = (rng.random(n) < 0.35) & ~is_event
    lag = np.where(
        hand,
        rng.exponential(2 * 3600, n) + 60,
        np.minimum(_lognormal_s(rng, np.array([s.mql_lag_days for s in S])[src] * 86_400, 1.0, n), 200 * 86_400),
    )
    mql_at = np.where(mql, created + _seconds(lag), NEVER)

    # sales' first response
    mql_month = _epoch_month(np.where(mql, mql_at, created))
    slipped = mql & (mql_month == plan.slipped_month)
    bad = mql & (owner == plan.bad_rep)
    untouched = mql & (rng.random(n) < np.where(bad, 0.55, np.where(slipped, 0.06, 0.03)))
    delay_h = np.where(
        slipped,
        _lognormal_s(rng, 36.0, 0.6, n),
        np.where(bad, _lognormal_s(rng, 18.0, 1.0, n), _lognormal_s(rng, 3.0, 1.1, n)),
    )
    resp = mql_at + _seconds(delay_h * 3600)
    mql_day = np.where(mql, mql_at, 0) // DAY
    wd = (mql_day + 3) % 7
    monday_8 = (mql_day + (7 - wd)) * DAY + 8 * HOUR + _seconds(_lognormal_s(rng, 2 * 3600.0, 0.8, n))
    resp = np.where(mql & (wd >= 5) & (rng.random(n) < 0.6), np.maximum(resp, monday_8), resp)  # weekend
    early = mql & (rng.random(n) < 0.015)  # logged before the MQL flag was set
    resp = np.where(early, np.maximum(mql_at - _seconds(rng.uniform(120, 3 * 3600, n)), created + 60 * US), resp)
    responded = mql & ~untouched
    first_response = np.where(responded, resp, NEVER)

    # sales' decision: accept or reject (or recycle)
    p_decide = np.where(responded, np.where(bad, 0.9, np.where(slipped, 0.93, 0.96)), np.where(bad, 0.05, 0.4))
    decided = mql & (rng.random(n) < p_decide)
    decide_at = np.maximum(mql_at, np.where(responded, resp, mql_at)) + _seconds(
        np.where(slipped, _lognormal_s(rng, 60 * 3600.0, 0.8, n), _lognormal_s(rng, 26 * 3600.0, 0.8, n))
    )
    # each step's multiplier is centred on the population that reaches it (MQLs are already the better
    # leads: their latent value sits ~0.45 higher; accepted ones ~0.6 higher), so the rates stay calibrated
    p_accept = np.clip(p_acc * np.exp(0.4 * (z - 0.45) - 0.08), 0.05, 0.97)
    accepted = decided & np.where(student, rng.random(n) < 0.08, rng.random(n) < p_accept)
    rejected = decided & ~accepted
    reason = np.where(is_event, _choice(rng, REASONS_EVENT, n), _choice(rng, REASONS_GENERAL, n))
    reason = np.where(student, REJECTION_REASONS.index("student"), reason)
    accepted_at = np.where(accepted, decide_at, NEVER)
    rejected_at = np.where(rejected, decide_at, NEVER)
    # recycled leads that came back: rejected, then accepted weeks later
    back = rejected & np.isin(reason, RECYCLE) & (rng.random(n) < 0.12)
    accepted_at = np.where(back, rejected_at + _seconds(rng.uniform(20, 120, n) * 86_400), accepted_at)
    sal = accepted | back

    # SQL
    p_sql_acc = np.clip(p_sql / p_acc * np.exp(0.7 * (z - 0.6) - 0.245), 0, 0.95) * np.where(back, 0.5, 1.0)
    sql = sal & ~student & (rng.random(n) < p_sql_acc)
    sql_at = np.where(sql, accepted_at + _seconds(_lognormal_s(rng, 5 * 86_400.0, 0.8, n)), NEVER)
    # accepted, then disqualified after a first call
    later_rej = accepted & ~sql & ~back & (rng.random(n) < 0.3)
    rejected_at = np.where(later_rej, accepted_at + _seconds(_lognormal_s(rng, 12 * 86_400.0, 0.7, n)), rejected_at)
    reason = np.where(later_rej, _choice(rng, REASONS_AFTER_ACCEPT, n), reason)
    reason = np.where(rejected_at != NEVER, reason, -1)
    # SQL with no SAL recorded (a skipped stage)
    accepted_at = np.where(sql & (rng.random(n) < 0.06), NEVER, accepted_at)

    # opportunities from leads: after the SQL; a few straight from an accepted lead (no sql_at)
    opp1 = sql & (rng.random(n) < np.array(OPP_RATE)[segment])
    opp1_at = sql_at + _seconds(_lognormal_s(rng, 4 * 86_400.0, 0.7, n))
    skip = accepted & ~sql & ~later_rej & (rng.random(n) < 0.04)
    opp1 |= skip
    opp1_at = np.where(skip, accepted_at + _seconds(_lognormal_s(rng, 8 * 86_400.0, 0.6, n)), opp1_at)
    opp2 = opp1 & (rng.random(n) < 0.07)
    opp2_at = opp1_at + _seconds(rng.uniform(60, 300, n) * 86_400)
    opp3 = opp2 & (rng.random(n) < 0.2)
    opp3_at = opp2_at + _seconds(rng.uniform(60, 200, n) * 86_400)
    o_lead = np.concatenate([np.flatnonzero(opp1), np.flatnonzero(opp2), np.flatnonzero(opp3)])
    o_seq = np.concatenate(
        [np.zeros(opp1.sum(), np.int64), np.ones(opp2.sum(), np.int64), np.full(opp3.sum(), 2, np.int64)]
    )
    o_created = np.concatenate([opp1_at[opp1], opp2_at[opp2], opp3_at[opp3]])
    o_created = np.maximum(o_created, created[o_lead])
    real = o_created <= plan.end_us
    o_lead, o_seq, o_created = o_lead[real], o_seq[real], o_created[real]
    m = len(o_lead)
    o_origin = np.where(rng.random(m) < 0.55, -1, origin[o_lead])
    o_origin = np.where(rng.random(m) < 0.05, ORIGINS.index("partner"), o_origin)
    o_owner = owner[o_lead]
    o_seg = segment[o_lead]
    fill = plan.seg_owner_first[o_seg] + (rng.random(m) * plan.seg_owner_count[o_seg]).astype(np.int64)
    o_owner = np.where(o_owner < 0, fill, o_owner)
    o_amount_mod = np.array([s.amount for s in S])[src[o_lead]] * np.where(o_seq > 0, 0.6, 1.0)
    o_win_mod = (
        np.array([s.win for s in S])[src[o_lead]]
        * np.exp(0.35 * (z[o_lead] - 1.3) - 0.06)
        * np.where(o_seq > 0, 1.25, 1.0)
    )
    opps = _deals(
        plan,
        rng,
        lead=a + o_lead,
        key=(a + o_lead) * 4 + o_seq,
        created=o_created,
        segment=o_seg,
        region=region[o_lead],
        owner=o_owner,
        origin=o_origin,
        amount_mod=o_amount_mod,
        win_mod=o_win_mod,
        account=a + o_lead + 1,
    )

    # deals sales (or partners) created with no lead: as many as ~1.2 % of this chunk's leads, at the
    # times of random leads of the chunk (so they follow the same seasonality)
    k = int(round(n * 0.012))
    anchor = rng.integers(0, n, k) if n else np.zeros(0, np.int64)
    s_created = np.minimum(created[anchor] + _seconds(rng.uniform(0, 86_400, k)), plan.end_us)
    s_seg = _choice(rng, (0.30, 0.35, 0.35), k)
    s_origin = _choice(rng, (0.08, 0.80, 0.12), k)  # null, sales, partner
    s_origin = np.array([-1, ORIGINS.index("sales"), ORIGINS.index("partner")])[s_origin]
    s_owner = plan.seg_owner_first[s_seg] + (rng.random(k) * plan.seg_owner_count[s_seg]).astype(np.int64)
    s_number = plan.n_leads + a + np.arange(k, dtype=np.int64)
    s_opps = _deals(
        plan,
        rng,
        lead=np.full(k, -1, np.int64),
        key=s_number * 4 + 3,
        created=s_created,
        segment=s_seg,
        region=_choice(rng, REGION_MIX, k),
        owner=s_owner,
        origin=s_origin,
        amount_mod=np.where(s_origin == ORIGINS.index("partner"), 1.15, 1.0),
        win_mod=np.where(s_origin == ORIGINS.index("partner"), 1.2, 1.0) * np.exp(rng.normal(0, 0.35, k)),
        account=s_number + 1,
    )
    opps = {key: np.concatenate([opps[key], s_opps[key]]) for key in opps}

    touches = _touches(plan, rng, a, created, camp, src, mql, student, z)

    leads = {
        "lead": lead,
        "created": created,
        "origin": origin,
        "channel": channel,
        "segment": segment,
        "region": region,
        "industry": industry,
        "employees": employees,
        "owner": owner,
        "score": np.where(score_null, np.nan, score),
        "mql_at": mql_at,
        "first_response_at": first_response,
        "accepted_at": accepted_at,
        "sql_at": sql_at,
        "rejected_at": rejected_at,
        "reason": reason,
    }
    counts = {}
    for metric, t in (("leads", created), ("mqls", mql_at), ("sqls", sql_at)):
        ok = t <= plan.end_us
        counts[metric] = _month_segment_counts(plan, t[ok], segment[ok])
    return Chunk(leads, touches, opps, counts)


def _month_segment_counts(plan: Plan, t: np.ndarray, segment: np.ndarray, weights=None) -> np.ndarray:
    month = _epoch_month(t) - plan.start_month
    return np.bincount(month * len(SEGMENTS) + segment, weights=weights, minlength=plan.months * len(SEGMENTS)).reshape(
        plan.months, len(SEGMENTS)
    )


def _deals(plan: Plan, rng, *, lead, key, created, segment, region, owner, origin, amount_mod, win_mod, account):
    """Amounts, outcomes and close dates for opportunities (closing after the world's end = still open)."""
    m = len(created)
    amount = np.exp(rng.normal(np.log(np.array(AMOUNT_MEDIAN)[segment]), 0.6)) * amount_mod
    amount = np.round(amount / 50) * 50
    won = rng.random(m) < np.clip(np.array(WIN_RATE)[segment] * win_mod, 0, 0.9)
    cycle = _lognormal_s(rng, np.array(CYCLE_MEDIAN_DAYS)[segment] * 86_400, 0.5, m)
    cycle = np.where(won, cycle, cycle * rng.uniform(0.6, 1.2, m))
    closed = created + _seconds(cycle + 3600)
    # the quarter-end push: won deals heading for the first weeks of a quarter get pulled into the last days
    # of the one before (harder in Q4)
    d64 = (closed // US).astype("datetime64[s]").astype("datetime64[D]")
    month = d64.astype("datetime64[M]")
    q_start = month - (month.astype(np.int64) % 3)
    day_in_q = (d64 - q_start.astype("datetime64[D]")).astype(np.int64)
    prev_q_end = q_start.astype("datetime64[D]").astype(np.int64) - 1  # epoch day
    prev_is_q4 = (q_start.astype(np.int64) % 12) == 0
    pull = won & (day_in_q < 20) & (rng.random(m) < np.where(prev_is_q4, 0.7, 0.5))
    pulled = (prev_q_end - rng.integers(0, 6, m)) * DAY + _seconds(rng.uniform(9 * 3600, 20 * 3600, m))
    pull &= pulled > created + 3 * DAY
    closed = np.where(pull, pulled, closed)
    stuck = rng.random(m) < 0.03  # never closes: the old open deals every CRM has
    closed = np.where(stuck, NEVER, closed)
    stuck_stage = rng.integers(1, 3, m)  # Discovery or Proposal
    acc = (np.asarray(account) * 7919 + 104_729) % (10**plan.account_width)
    acc = np.where(rng.random(m) < 0.02, -1, acc)
    return {
        "lead": np.asarray(lead),
        "key": np.asarray(key),
        "created": created,
        "closed": closed,
        "won": won,
        "stuck_stage": stuck_stage,
        "segment": segment,
        "region": region,
        "owner": owner,
        "origin": origin,
        "amount": amount,
        "account": acc,
    }


def _touches(plan: Plan, rng, first_lead: int, created, camp, src, mql, student, z) -> dict[str, np.ndarray]:
    n = len(created)
    local = np.arange(n, dtype=np.int64)
    S = SOURCES
    has_campaign = ~plan.camp_virtual[camp]
    ttype = {t: i for i, t in enumerate(TOUCH_TYPES)}
    parts = []  # (local lead, time, campaign, type)

    # the touch that created the lead
    acq = np.array([ttype.get(s.acq_touch or "", -1) for s in S])[src]
    t_acq = created - _seconds(rng.uniform(5, 600, n))
    cday = (created - plan.start_us) // DAY
    start, end = plan.camp_start[camp], plan.camp_end[camp]
    event = has_campaign & (plan.camp_channel[camp] == CHANNELS.index("event"))
    ev_day = np.clip(cday, start, end)
    t_ev = plan.start_us + ev_day * DAY + _seconds(rng.uniform(9 * 3600, 18 * 3600, n))
    t_acq = np.where(event, np.minimum(t_ev, created - 60 * US), t_acq)
    webinar = has_campaign & (plan.camp_channel[camp] == CHANNELS.index("webinar"))
    t_live = plan.start_us + start * DAY + 16 * HOUR + _seconds(rng.uniform(0, 3600, n))
    registered = webinar & (cday <= start)
    acq = np.where(webinar & ~registered, ttype["webinar_attended"], acq)
    t_acq = np.where(webinar & ~registered, np.minimum(t_live, created - 60 * US), t_acq)
    parts.append((local[has_campaign], t_acq[has_campaign], camp[has_campaign], acq[has_campaign]))
    attended = registered & (rng.random(n) < 0.6) & (t_live <= plan.end_us)
    live = np.full(int(attended.sum()), ttype["webinar_attended"])
    parts.append((local[attended], t_live[attended], camp[attended], live))

    # touches before the lead existed (cookie history, matched at the form fill) and after (nurture)
    pre_mean = np.array([s.pre for s in S])[src]
    post_mean = np.array([s.post for s in S])[src] * np.where(mql, 1.7, 1.2) * np.exp(0.15 * z)
    post_mean = np.where(student, 9.0, post_mean)
    for mean, sign, mix, spread in ((pre_mean, -1, PRE_TOUCH_MIX, 15.0), (post_mean, 1, POST_TOUCH_MIX, 50.0)):
        count = np.minimum(rng.poisson(mean), 40)
        who = np.repeat(local, count)
        k = len(who)
        gap = rng.exponential(spread * 86_400, k) + 3600
        t = created[who] + sign * _seconds(gap)
        ch_names = list(mix)
        ch = np.array([CHANNELS.index(c) for c in ch_names])[_choice(rng, list(mix.values()), k)]
        c, t, ok = plan.pick_touch_campaigns(rng, ch, t)
        if sign < 0:
            ok &= t < created[who]
        tt = np.array(
            [ttype[CHANNEL_TOUCH[CHANNELS[i]]] if CHANNELS[i] in CHANNEL_TOUCH else -1 for i in range(len(CHANNELS))]
        )[ch]
        parts.append((who[ok], t[ok], c[ok], tt[ok]))

    who = np.concatenate([p[0] for p in parts])
    t = np.maximum(np.concatenate([p[1] for p in parts]), plan.start_us)
    c = np.concatenate([p[2] for p in parts])
    tt = np.concatenate([p[3] for p in parts])
    tt = np.where(rng.random(len(tt)) < 0.01, -1, tt)
    keep = t <= plan.end_us
    who, t, c, tt = who[keep], t[keep], c[keep], tt[keep]
    # order by (lead, time); generation order breaks ties. Touch ids number each lead's touches in that order.
    order = np.argsort((who << 40) | ((t - plan.start_us) // US), kind="stable")
    who, t, c, tt = who[order], t[order], c[order], tt[order]
    first = np.r_[0, np.flatnonzero(who[1:] != who[:-1]) + 1]
    seq = np.arange(len(who)) - np.repeat(first, np.diff(np.r_[first, len(who)]))
    keep = seq < 100
    return {
        "lead": first_lead + who[keep],
        "seq": seq[keep],
        "t": t[keep],
        "campaign": c[keep],
        "type": tt[keep],
        "lead_created": created[who[keep]],
    }


# ---------------------------------------------------------------------------------------------------
# Snapshot views: what the CRM showed at as_of


def leads_table(plan: Plan, L: dict[str, np.ndarray], as_of: int) -> pa.Table:
    keep = L["created"] <= as_of
    L = {k: v[keep] for k, v in L.items()}
    rejected = L["rejected_at"] <= as_of
    arrays = [
        _ids("L", L["lead"] + 1, plan.lead_width),
        _timestamps(L["created"]),
        _strings(ORIGINS, L["origin"]),
        _strings(CHANNELS, L["channel"]),
        _strings(SEGMENTS, L["segment"]),
        _strings(REGIONS, L["region"]),
        _strings(INDUSTRIES, L["industry"]),
        pa.array(L["employees"], type=pa.int64(), mask=L["employees"] < 0),
        _strings(OWNERS, L["owner"]),
        pa.array(L["score"], type=pa.float64(), mask=np.isnan(L["score"])),
        *(_timestamps(L[c], as_of) for c in ("mql_at", "first_response_at", "accepted_at", "sql_at", "rejected_at")),
        _strings(REJECTION_REASONS, np.where(rejected, L["reason"], -1)),
    ]
    return pa.Table.from_arrays(arrays, schema=TABLES["leads"].arrow_schema)


def touches_table(plan: Plan, T: dict[str, np.ndarray], as_of: int) -> pa.Table:
    keep = (T["t"] <= as_of) & (T["lead_created"] <= as_of)
    T = {k: v[keep] for k, v in T.items()}
    arrays = [
        _ids("T", (T["lead"] + 1) * 100 + T["seq"], plan.lead_width + 2),
        _ids("L", T["lead"] + 1, plan.lead_width),
        _ids("C", plan.camp_number[T["campaign"]], plan.camp_width),
        _timestamps(T["t"]),
        _strings(TOUCH_TYPES, T["type"]),
    ]
    return pa.Table.from_arrays(arrays, schema=TABLES["touches"].arrow_schema)


def opportunities_table(plan: Plan, O: dict[str, np.ndarray], as_of: int) -> pa.Table:
    keep = O["created"] <= as_of
    O = {k: v[keep] for k, v in O.items()}
    closed = O["closed"] <= as_of
    won = O["won"] & closed
    elapsed = (as_of - O["created"]) / np.maximum(np.where(O["closed"] == NEVER, 1, O["closed"] - O["created"]), 1)
    open_stage = np.searchsorted(np.array([0.2, 0.45, 0.75]), elapsed, side="right")
    open_stage = np.where(O["closed"] == NEVER, O["stuck_stage"], open_stage)
    stage = np.where(closed, np.where(won, 4, 5), open_stage)
    arrays = [
        _ids("O", O["number"], plan.opp_width),
        _ids("L", O["lead"] + 1, plan.lead_width, valid=O["lead"] >= 0),
        _ids("A", np.maximum(O["account"], 0), plan.account_width, valid=O["account"] >= 0),
        _timestamps(O["created"]),
        _strings(ORIGINS, O["origin"]),
        _strings(SEGMENTS, O["segment"]),
        _strings(REGIONS, O["region"]),
        _strings(OWNERS, O["owner"]),
        _strings(STAGES, stage),
        pa.array(O["amount"], type=pa.float64()),
        pa.array(closed, type=pa.bool_()),
        pa.array(won, type=pa.bool_()),
        _timestamps(np.where(closed, O["closed"], NEVER)),
    ]
    return pa.Table.from_arrays(arrays, schema=TABLES["opportunities"].arrow_schema)


def campaigns_table(plan: Plan, as_of: int) -> pa.Table:
    c = plan.campaigns
    order = [
        int(i) for i in plan.camp_order if not plan.camp_virtual[i] and plan.start_us + c.created[i] * DAY <= as_of
    ]
    idx = np.array(order, dtype=np.int64)
    start = plan.camp_start[idx]
    cost = np.array([SOURCES[c.source[i]].cpl * c.cost_weight[i] for i in order]) * plan.leads_per_unit
    cost = np.round(cost * plan.cost_noise[idx] / 50) * 50 if len(idx) else np.zeros(0)
    end = np.where(np.array([c.one_day[i] for i in order], dtype=bool), -1, plan.camp_end[idx])
    arrays = [
        _ids("C", plan.camp_number[idx], plan.camp_width),
        pa.array([c.name[i] for i in order], pa.string()),
        _strings(CHANNELS, plan.camp_channel[idx]),
        _strings(SEGMENTS, plan.camp_segment[idx]),
        pa.array((plan.start_epoch_day + start).astype(np.int32), type=pa.date32()),
        pa.array((plan.start_epoch_day + np.maximum(end, 0)).astype(np.int32), type=pa.date32(), mask=end < 0),
        pa.array(cost, type=pa.float64()),
        pa.array([c.owner[i] for i in order], pa.string()),
    ]
    return pa.Table.from_arrays(arrays, schema=TABLES["campaigns"].arrow_schema)


def targets_table(plan: Plan, actual: dict[str, np.ndarray]) -> pa.Table:
    """Targets near the actuals but smoother (they did not foresee the summer dip), a little optimistic,
    per segment; for mqls also a company-wide row in the last six months (not the sum of the segments)."""
    rng = _rng(plan.seed, 2)
    optimism = {"leads": 1.04, "mqls": 1.06, "sqls": 1.05, "opportunities": 1.05, "pipeline": 1.08, "bookings": 1.05}
    months, rows = plan.months, []
    for metric in TARGET_METRICS:
        a = actual[metric]
        padded = np.vstack([a[:1], a, a[-1:]])
        smooth = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
        value = smooth * optimism[metric] * np.exp(rng.normal(0, 0.05, smooth.shape))
        step = 1000.0 if metric in ("pipeline", "bookings") else 1.0
        value = np.round(value / step) * step
        for m in range(months):
            for s in range(len(SEGMENTS)):
                rows.append((m, metric, s, float(value[m, s])))
            if metric == "mqls" and m >= months - min(6, months):
                rows.append((m, metric, -1, float(np.round(value[m].sum() * 1.03))))
    rows.sort(key=lambda r: (r[0], TARGET_METRICS.index(r[1]), r[2]))
    month_day = [(_month_date(plan.start_month + r[0]) - dt.date(1970, 1, 1)).days for r in rows]
    arrays = [
        pa.array(np.array(month_day, dtype=np.int32), type=pa.date32()),
        pa.array([r[1] for r in rows], pa.string()),
        _strings(SEGMENTS, np.array([r[2] for r in rows])),
        pa.array([r[3] for r in rows], pa.float64()),
    ]
    return pa.Table.from_arrays(arrays, schema=TABLES["targets"].arrow_schema)


def _month_date(epoch_month: int) -> dt.date:
    y, m = divmod(epoch_month, 12)
    return dt.date(1970 + y, m + 1, 1)


# ---------------------------------------------------------------------------------------------------
# Writing

DICTIONARY_COLUMNS = {
    "leads": ["origin", "channel", "segment", "region", "industry", "owner_id", "rejection_reason"],
    "opportunities": ["origin", "segment", "region", "owner_id", "stage"],
    "campaigns": ["channel", "segment", "owner"],
    "touches": ["campaign_id", "touch_type"],
    "targets": ["metric", "segment"],
}


class _Writer:
    """A Parquet file written in row groups of exactly ROW_GROUP_ROWS rows (the last one smaller)."""

    def __init__(self, path: Path, table: str):
        self.writer = pq.ParquetWriter(
            path, TABLES[table].arrow_schema, use_dictionary=DICTIONARY_COLUMNS[table], **PARQUET_OPTIONS
        )
        self.pending: list[pa.Table] = []
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.pending.append(table)
            self.rows += table.num_rows
        if self.rows >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self.pending:
            return
        data = pa.concat_tables(self.pending)
        offset = 0
        while data.num_rows - offset >= ROW_GROUP_ROWS or (final and offset < data.num_rows):
            part = data.slice(offset, ROW_GROUP_ROWS)
            self.writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
            offset += part.num_rows
        rest = data.slice(offset)
        self.pending = [rest] if rest.num_rows else []
        self.rows = rest.num_rows

    def close(self) -> None:
        self._flush(final=True)
        self.writer.close()


def funnel_toml() -> str:
    """The contract's default policy, every key, with what it means."""
    p = Policy()

    def v(x):
        if isinstance(x, str):
            return json.dumps(x)
        return str(int(x)) if float(x).is_integer() else repr(float(x))

    return f"""\
# Policy both teams agreed on (these are the data contract's defaults). Every number on the dashboard
# is computed with these; change one here and it changes everywhere, for every snapshot in this folder.

[reporting]
timezone = {v(p.timezone)}              # months, days and --from/--to dates are read in this zone
currency = {v(p.currency)}              # the one reporting currency of amounts and costs

[sla]
first_response_hours = {v(p.first_response_hours)}     # sales: first human response within this many hours of mql_at
decision_days = {v(p.decision_days)}             # sales: accept or reject within this many days of mql_at
min_acceptance_rate = {v(p.min_acceptance_rate)}     # marketing: share of decided MQLs that sales accepts

[conversion]
window_days = {v(p.window_days)}              # a cohort counts a conversion only if it happens within this window

[attribution]
model = {v(p.model)}            # first_touch | last_touch | linear | u_shaped | w_shaped | time_decay
lookback_days = {v(p.lookback_days)}           # touches up to this many days before an opportunity count
half_life_days = {v(p.half_life_days)}            # time_decay only: a touch this many days older gets half the credit
"""


def generate(
    out: Path | str,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    months: int = DEFAULT_MONTHS,
    snapshots: int = DEFAULT_SNAPSHOTS,
    as_of: str | dt.datetime = DEFAULT_AS_OF,
    replace: bool = False,
) -> list[Path]:
    """Write the sample world as `snapshots` month-end snapshots under `out`; return their folders."""
    if isinstance(as_of, str):
        as_of = parse_instant(as_of)
    if leads < 1 or months < 1 or snapshots < 1:
        raise ValueError("--leads, --months and --snapshots must be at least 1")
    if snapshots > months:
        raise ValueError(f"--snapshots {snapshots} needs at least as many --months (got {months})")
    out = Path(out)
    plan = Plan(leads, seed, months, as_of)
    instants = _month_end_instants(as_of, snapshots)
    cuts = [_us(i) for i in instants]
    source = f"funnel sample --leads {leads} --seed {seed} --months {months} (as of {format_instant(as_of)})"
    with contextlib.ExitStack() as stack:
        folders = [stack.enter_context(atomic_snapshot_dir(out, i, source, replace=replace)) for i in instants]
        # ExitStack closes in reverse: the newest snapshot is renamed into place first
        writers = {}
        for k, folder in enumerate(folders):
            for name in ("leads", "touches"):
                writers[k, name] = _Writer(folder / f"{name}.parquet", name)
        opp_parts = []
        actual = {m: np.zeros((months, len(SEGMENTS))) for m in TARGET_METRICS}
        for index in range(math.ceil(leads / CHUNK_LEADS)):
            chunk = simulate_chunk(plan, index)
            for k, cut in enumerate(cuts):
                writers[k, "leads"].write(leads_table(plan, chunk.leads, cut))
                writers[k, "touches"].write(touches_table(plan, chunk.touches, cut))
            opp_parts.append(chunk.opps)
            for metric, counts in chunk.counts.items():
                actual[metric] += counts
            del chunk
        for w in writers.values():
            w.close()
        opps = {key: np.concatenate([p[key] for p in opp_parts]) for key in opp_parts[0]}
        order = np.lexsort((opps["key"], opps["created"]))
        opps = {key: v[order] for key, v in opps.items()}
        opps["number"] = np.arange(1, len(order) + 1, dtype=np.int64)  # CRM auto-number, in creation order
        plan.opp_width = max(7, len(str(len(order))))
        flow = opps["created"] <= plan.end_us
        actual["opportunities"] += _month_segment_counts(plan, opps["created"][flow], opps["segment"][flow])
        actual["pipeline"] += _month_segment_counts(
            plan, opps["created"][flow], opps["segment"][flow], weights=opps["amount"][flow]
        )
        booked = opps["won"] & (opps["closed"] <= plan.end_us)
        actual["bookings"] += _month_segment_counts(
            plan, opps["closed"][booked], opps["segment"][booked], weights=opps["amount"][booked]
        )
        targets = targets_table(plan, actual)
        for folder, cut in zip(folders, cuts):
            for name, table in (
                ("opportunities", opportunities_table(plan, opps, cut)),
                ("campaigns", campaigns_table(plan, cut)),
                ("targets", targets),
            ):
                writer = _Writer(folder / f"{name}.parquet", name)
                writer.write(table)
                writer.close()
    toml = out / "funnel.toml"
    if not toml.exists():
        toml.write_text(funnel_toml(), encoding="utf-8")
    return [out / i.date().isoformat() for i in instants]


# ---------------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="data root to write the snapshots (and funnel.toml) into")
    parser.add_argument(
        "--leads", type=int, default=DEFAULT_LEADS, help=f"leads in the world (default {DEFAULT_LEADS:,})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--months",
        type=int,
        default=DEFAULT_MONTHS,
        help=f"months of history up to the newest as_of (default {DEFAULT_MONTHS})",
    )
    parser.add_argument(
        "--snapshots",
        type=int,
        default=DEFAULT_SNAPSHOTS,
        help=f"month-end snapshots to write, newest at --as-of (default {DEFAULT_SNAPSHOTS})",
    )
    parser.add_argument(
        "--as-of", default=DEFAULT_AS_OF, help=f"the newest snapshot's as_of, ISO-8601 (default {DEFAULT_AS_OF})"
    )
    parser.add_argument("--replace", action="store_true", help="swap out existing snapshots of the same dates")


def run(args: argparse.Namespace) -> int:
    from dashboard.errors import UsageError
    from dashboard.snapshots import SnapshotError, read_info

    try:
        as_of = parse_instant(args.as_of)
    except ValueError:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO-8601 date or timestamp") from None
    for name in ("leads", "months", "snapshots"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1, not {getattr(args, name)}")
    if args.snapshots > args.months:
        raise UsageError(f"--snapshots {args.snapshots} needs at least as many --months (got {args.months})")
    try:
        folders = generate(args.out, args.leads, args.seed, args.months, args.snapshots, as_of, args.replace)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    for folder in folders:
        info = read_info(folder)
        rows = ", ".join(f"{n} {info.rows.get(n, 0):,}" for n in TABLE_ORDER)
        print(f"{folder}  as of {info.as_of_iso}: {rows}")
    return 0

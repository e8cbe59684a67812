"""The sample world's plan, shared by every chunk: its calendar, campaigns and how many leads arrive each day.
Part of `funnel sample` (dashboard/sample.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from dashboard.contract import CHANNELS
from dashboard.sampling.cast import (
    BAD_REP,
    CHANNEL_TOUCH,
    DAY,
    EBOOKS,
    FIELD_EVENTS,
    FLAGSHIP_CITY,
    FLAGSHIP_SHOW,
    HOUR,
    HOURLY,
    MONTH_SEASON,
    OWNERS,
    OWNERS_BY_SEGMENT,
    PARTNERS,
    REGIONS,
    SEGMENTS,
    SLIPPED_MONTHS_BEFORE_AS_OF,
    SOURCES,
    SRC,
    WEBINAR_SERIES,
    WEBINAR_TOPICS,
    WEEKDAY,
    YEARLY_GROWTH,
    _rng,
    _us,
)

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

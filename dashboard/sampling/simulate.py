"""One chunk of the sample world: its leads, their touches, stages, SLA behaviour and deals, from the chunk's own
random stream. Part of `funnel sample` (dashboard/sample.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.contract import CHANNELS, ORIGINS
from dashboard.sampling.cast import (
    AMOUNT_MEDIAN,
    CHANNEL_TOUCH,
    CYCLE_MEDIAN_DAYS,
    DAY,
    EDUCATION,
    HOUR,
    INDUSTRY_MIX,
    NEVER,
    OPP_RATE,
    POST_TOUCH_MIX,
    PRE_TOUCH_MIX,
    REASONS_AFTER_ACCEPT,
    REASONS_EVENT,
    REASONS_GENERAL,
    RECYCLE,
    REGION_MIX,
    REJECTION_REASONS,
    SEGMENTS,
    SOURCES,
    SRC,
    TOUCH_TYPES,
    US,
    WIN_RATE,
    _choice,
    _choice_rows,
    _epoch_month,
    _lognormal_s,
    _rng,
    _seconds,
)
from dashboard.sampling.plan import Plan

# ---------------------------------------------------------------------------------------------------
# One chunk of the world


@dataclass
class Chunk:
    leads: dict[str, np.ndarray]
    touches: dict[str, np.ndarray]
    opps: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]  # month x segment flow counts, for the targets


def simulate_chunk(plan: Plan, index: int, chunk_leads: int) -> Chunk:
    """Leads index*chunk_leads .. and everything that happens to them; depends on no other chunk."""
    rng = _rng(plan.seed, 1, index)
    a = index * chunk_leads
    b = min(plan.n_leads, a + chunk_leads)
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

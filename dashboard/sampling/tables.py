"""The sample world as one snapshot saw it: what the CRM showed at its as_of, as the contract's Arrow tables.
Part of `funnel sample` (dashboard/sample.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from dashboard.contract import CHANNELS, ORIGINS, TABLES, TARGET_METRICS
from dashboard.sampling.cast import (
    DAY,
    INDUSTRIES,
    NEVER,
    OWNERS,
    REGIONS,
    REJECTION_REASONS,
    SEGMENTS,
    SOURCES,
    STAGES,
    TOUCH_TYPES,
    _ids,
    _rng,
    _strings,
    _timestamps,
)
from dashboard.sampling.plan import Plan

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

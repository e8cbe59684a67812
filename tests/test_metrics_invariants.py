"""Invariants that must hold on any data, checked on random snapshots full of awkward records:
stages out of order or skipped, several deals per lead, deals with no lead, touches on both sides of
every boundary, ties on timestamps."""

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snapshot_builder import write_snapshot

from dashboard import Funnel
from dashboard.filters import Filters, Period
from dashboard.policy import ATTRIBUTION_MODELS

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
CHANNELS = ["webinar", "event", "paid_search"]


def instant(hours: int) -> str:
    return (BASE + dt.timedelta(hours=hours)).isoformat()


maybe_hours = st.one_of(st.none(), st.integers(0, 24 * 150))


@st.composite
def snapshots(draw):
    n_leads = draw(st.integers(1, 25))
    leads = []
    for i in range(n_leads):
        leads.append(
            {
                "lead_id": f"L{i}",
                "created_at": instant(draw(st.integers(0, 24 * 120))),
                "origin": draw(st.sampled_from(["marketing", "sales", "partner", "other"])),
                "channel": draw(st.sampled_from(CHANNELS)),
                "segment": draw(st.sampled_from(SEGMENTS)),
                "region": draw(st.sampled_from(["EMEA", "APAC"])),
                "owner_id": draw(st.sampled_from([None, "a", "b"])),
                "score": draw(st.one_of(st.none(), st.integers(0, 100))),
                **{
                    col: (None if (h := draw(maybe_hours)) is None else instant(h))
                    for col in ("mql_at", "first_response_at", "accepted_at", "sql_at", "rejected_at")
                },
            }
        )
    opportunities = []
    for j in range(draw(st.integers(0, 15))):
        closed = draw(st.sampled_from(["open", "won", "lost"]))
        created = draw(st.integers(0, 24 * 140))
        opportunities.append(
            {
                "opportunity_id": f"O{j}",
                "lead_id": draw(st.one_of(st.none(), st.sampled_from([l["lead_id"] for l in leads]))),
                "created_at": instant(created),
                "origin": draw(st.sampled_from([None, "marketing", "sales", "partner"])),
                "segment": draw(st.sampled_from(SEGMENTS)),
                "region": "EMEA",
                "stage": closed,
                "amount": float(draw(st.integers(0, 10_000))),
                "is_closed": closed != "open",
                "is_won": closed == "won",
                "closed_at": None if closed == "open" else instant(created + draw(st.integers(0, 24 * 60))),
            }
        )
    campaigns = [
        {
            "campaign_id": f"C{k}",
            "name": f"C{k}",
            "channel": draw(st.sampled_from(CHANNELS)),
            "segment": draw(st.sampled_from([None, *SEGMENTS])),
            "start_date": (BASE + dt.timedelta(days=draw(st.integers(0, 120)))).date(),
            "end_date": None,
            "cost": float(draw(st.integers(0, 5000))),
        }
        for k in range(draw(st.integers(1, 4)))
    ]
    for c in campaigns:
        if draw(st.booleans()):
            c["end_date"] = c["start_date"] + dt.timedelta(days=draw(st.integers(0, 60)))
    touches = [
        {
            "touch_id": f"T{m:03d}",
            "lead_id": draw(st.sampled_from([l["lead_id"] for l in leads])),
            "campaign_id": draw(st.sampled_from([c["campaign_id"] for c in campaigns])),
            # coarse times make ties on timestamp common
            "touched_at": instant(24 * draw(st.integers(0, 140))),
        }
        for m in range(draw(st.integers(0, 40)))
    ]
    return {"leads": leads, "opportunities": opportunities, "campaigns": campaigns, "touches": touches}


PERIODS = [Period.of("2026-01-01", "2026-02-28"), Period.of("2026-03-01", "2026-03-31")]
RATES = (
    "lead_to_mql_rate",
    "mql_to_sql_rate",
    "sql_to_opp_rate",
    "opp_to_won_rate",
    "lead_to_won_rate",
    "win_rate",
    "sla_response_rate",
    "sla_decision_rate",
    "acceptance_rate",
)
VOLUMES = ("leads", "mqls", "sals", "sqls", "opportunities", "pipeline", "won_deals", "bookings", "lost_deals")


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=snapshots())
def test_invariants_hold_on_random_snapshots(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("random")
    write_snapshot(root, "2026-04-15T12:00:00Z", **data)
    funnel = Funnel.open(root)
    total = funnel.kpi_table(PERIODS, Filters())
    by_key = {r["period_key"]: r for r in total.iter_rows(named=True)}
    for row in by_key.values():
        # every rate within 0..1
        for key in RATES:
            assert row[key] is None or 0 <= row[key] <= 1, key
        # sourced pipelines add up to the pipeline
        sourced = row["marketing_sourced_pipeline"] + row["sales_sourced_pipeline"] + row["other_sourced_pipeline"]
        assert close(sourced, row["pipeline"])
        # the stage funnel never grows
        stages = [
            row[k]
            for k in ("funnel_leads", "funnel_mqls", "funnel_sals", "funnel_sqls", "funnel_opportunities", "funnel_won")
        ]
        assert stages == sorted(stages, reverse=True)
    # volumes over all segments (and over all owners) add up to the total
    for dimension in ("segment", "owner", "origin"):
        split = funnel.kpi_table(PERIODS, Filters(), group_by=dimension)
        for period_key, row in by_key.items():
            part = split.filter(split["period_key"] == period_key)
            for key in VOLUMES:
                assert close(float(part[key].sum()), float(row[key])), (dimension, key)
    # a filter never increases a volume
    for segment in SEGMENTS:
        filtered = funnel.kpi_table(PERIODS, Filters(segment=segment))
        for r in filtered.iter_rows(named=True):
            for key in VOLUMES:
                assert r[key] <= by_key[r["period_key"]][key] + 1e-9, (segment, key)
    # attributed + unattributed pipeline (and bookings) = pipeline (bookings), for every model
    for period in PERIODS:
        table = funnel.attribution_table(period, Filters())
        row = by_key[period.key]
        for model in ATTRIBUTION_MODELS:
            part = table.filter(table["model"] == model)
            attributed = float(part["attributed_pipeline"].fill_null(0).sum())
            unattributed = float(part["unattributed_pipeline"].fill_null(0).sum())
            assert close(attributed + unattributed, row["pipeline"]), model
            booked = float(part["attributed_bookings"].fill_null(0).sum())
            assert close(booked + float(part["unattributed_bookings"].fill_null(0).sum()), row["bookings"]), model
    funnel.store.close()

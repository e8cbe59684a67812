"""The pandas peer: the dashboard's headline figures computed the way a typical Streamlit app does it.

A typical app loads the snapshot's tables into pandas once (`pd.read_parquet` under `st.cache_data`),
then filters and groups the DataFrames on every widget change. This module is that app's metric code,
written plainly and idiomatically, as a competent analyst would write it; it is neither tuned nor
deliberately slow. It serves twice:

- as the *peer* that `funnel bench` times side by side with the DuckDB queries (same figures, same
  filters), and
- as an independent second computation of the same numbers from docs/metrics.md: tests and the bench
  assert that it agrees with `Funnel.kpis` and `Funnel.campaigns(model="linear")`.

It shares no metric code with `dashboard/` (only the policy file reader): every definition below is
re-read from metrics.md. What depends only on the snapshot (a lead's first opportunity, reached()
times, an opportunity's effective origin, each opportunity's linear touch credits) is computed once in
`load()`, as an app would cache it; `headline()` does only what depends on the period and filters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.policy import load_policy

# the figures this peer computes (a subset of `funnel kpis --json`'s keys)
KPI_KEYS = (
    "leads",
    "mqls",
    "sqls",
    "opportunities",
    "pipeline",
    "won_deals",
    "bookings",
    "win_rate",
    "mql_to_sql_rate",
    "sla_response_rate",
    "untouched_mqls",
    "marketing_cost",
)
FILTER_KEYS = ("segment", "region", "channel", "origin", "campaign")
TOLERANCE = 1e-9  # relative


def _utc(series: pd.Series) -> pd.Series:
    """Timestamps as UTC-aware (the contract: a zone-less timestamp is UTC)."""
    if series.dt.tz is None:
        return series.dt.tz_localize("UTC")
    return series.dt.tz_convert("UTC")


def _ratio(numerator, denominator):
    """A ratio whose denominator is 0 is null."""
    return float(numerator) / float(denominator) if denominator else None


class PandasFunnel:
    """One snapshot in pandas DataFrames, and the headline figures over it."""

    def __init__(self, leads, opportunities, campaigns, touches, credits, as_of, policy):
        self.leads = leads
        self.opportunities = opportunities
        self.campaigns = campaigns
        self.touches = touches
        self.credits = credits
        self.as_of = as_of
        self.policy = policy

    # -- once per snapshot (an app's st.cache_data) ---------------------------------------------------
    @classmethod
    def load(cls, snapshot: Path | str) -> PandasFunnel:
        snapshot = Path(snapshot)
        meta = json.loads((snapshot / "snapshot.json").read_text(encoding="utf-8"))
        as_of = pd.Timestamp(meta["as_of"].replace("Z", "+00:00")).tz_convert("UTC")
        policy = load_policy(snapshot.parent)

        leads = pd.read_parquet(
            snapshot / "leads.parquet",
            columns=[
                "lead_id",
                "created_at",
                "origin",
                "channel",
                "segment",
                "region",
                "mql_at",
                "first_response_at",
                "accepted_at",
                "sql_at",
            ],
        )
        opps = pd.read_parquet(
            snapshot / "opportunities.parquet",
            columns=[
                "opportunity_id",
                "lead_id",
                "created_at",
                "origin",
                "segment",
                "region",
                "amount",
                "is_closed",
                "is_won",
                "closed_at",
            ],
        )
        campaigns = pd.read_parquet(
            snapshot / "campaigns.parquet",
            columns=["campaign_id", "channel", "segment", "start_date", "end_date", "cost"],
        )
        touches = pd.read_parquet(snapshot / "touches.parquet", columns=["lead_id", "campaign_id", "touched_at"])

        for frame, columns in (
            (leads, ["created_at", "mql_at", "first_response_at", "accepted_at", "sql_at"]),
            (opps, ["created_at", "closed_at"]),
            (touches, ["touched_at"]),
        ):
            for column in columns:
                frame[column] = _utc(frame[column])

        # reached(x, S): the earliest of stage S and every later stage; a lead's opportunities are all of
        # them, whatever the filters
        with_lead = opps[opps["lead_id"].notna()]
        won = with_lead[with_lead["is_won"]]
        leads = leads.merge(
            with_lead.groupby("lead_id")["created_at"].min().rename("opportunity_at"),
            left_on="lead_id",
            right_index=True,
            how="left",
        )
        leads = leads.merge(
            won.groupby("lead_id")["closed_at"].min().rename("won_at"), left_on="lead_id", right_index=True, how="left"
        )
        leads["reached_sql_at"] = leads[["sql_at", "opportunity_at", "won_at"]].min(axis=1)
        leads["reached_mql_at"] = leads[["mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at"]].min(axis=1)

        # an opportunity's lead channel (for --channel) and effective origin (own, else its lead's, else sales)
        lead_cols = leads[["lead_id", "channel", "origin"]].rename(
            columns={"channel": "lead_channel", "origin": "lead_origin"}
        )
        opps = opps.merge(lead_cols, on="lead_id", how="left")
        opps["effective_origin"] = opps["origin"].fillna(opps["lead_origin"]).fillna("sales")

        # campaigns: cost spread evenly over start..end inclusive (no end, or an end before the start: one day)
        campaigns["start_date"] = pd.to_datetime(campaigns["start_date"])
        end = pd.to_datetime(campaigns["end_date"]).fillna(campaigns["start_date"])
        campaigns["end_date"] = end.where(end >= campaigns["start_date"], campaigns["start_date"])
        campaigns["days"] = (campaigns["end_date"] - campaigns["start_date"]).dt.days + 1

        # linear credit: each touch on the path [created_at - L, created_at] gets 1/n, whatever the filters
        lookback = pd.Timedelta(days=policy.lookback_days)
        paths = with_lead[["opportunity_id", "lead_id", "created_at"]].merge(touches, on="lead_id")
        paths = paths[
            (paths["touched_at"] >= paths["created_at"] - lookback) & (paths["touched_at"] <= paths["created_at"])
        ]
        paths = paths.assign(credit=1.0 / paths.groupby("opportunity_id")["campaign_id"].transform("size"))
        credits = paths[["opportunity_id", "campaign_id", "credit"]].reset_index(drop=True)
        opps["has_path"] = opps["opportunity_id"].map(credits.groupby("opportunity_id").size()).notna()

        return cls(leads, opps, campaigns, touches, credits, as_of, policy)

    # -- per interaction --------------------------------------------------------------------------------
    def period_bounds(self, start: dt.date, end: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Whole local days start..end as a half-open UTC interval."""
        zone = ZoneInfo(self.policy.timezone)
        lo = dt.datetime.combine(start, dt.time(0), tzinfo=zone)
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return pd.Timestamp(lo).tz_convert("UTC"), pd.Timestamp(hi).tz_convert("UTC")

    def headline(self, start: dt.date | str, end: dt.date | str, **filters) -> dict:
        """The headline KPIs and the linear attributed pipeline per campaign, for a period and filters."""
        start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        filters = {k: v for k, v in filters.items() if v is not None}
        unknown = set(filters) - set(FILTER_KEYS)
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}")
        lo, hi = self.period_bounds(start, end)

        def in_period(series: pd.Series) -> pd.Series:
            return (series >= lo) & (series < hi)  # NaT compares False

        # the filtered population
        leads, opps, campaigns = self.leads, self.opportunities, self.campaigns
        if "campaign" in filters:
            # leads with a touch in the campaign, and their opportunities: a semi-join. (Not `isin`: on the
            # default arrow-backed `str` dtype, pandas 3.1 turns each of its values into a pyarrow scalar
            # in Python, ~13 us apiece, which would make this peer look slower than pandas needs to be.)
            touched = self.touches.loc[self.touches["campaign_id"] == filters["campaign"], ["lead_id"]]
            touched = touched.drop_duplicates()
            leads = leads.merge(touched, on="lead_id")
            opps = opps.merge(touched, on="lead_id")
            campaigns = campaigns[campaigns["campaign_id"] == filters["campaign"]]
        for key in ("segment", "region", "channel", "origin"):
            if key in filters:
                leads = leads[leads[key] == filters[key]]
        for key, column in (
            ("segment", "segment"),
            ("region", "region"),
            ("channel", "lead_channel"),
            ("origin", "effective_origin"),
        ):
            if key in filters:
                opps = opps[opps[column] == filters[key]]
        if "segment" in filters:
            campaigns = campaigns[campaigns["segment"] == filters["segment"]]
        if "channel" in filters:
            campaigns = campaigns[campaigns["channel"] == filters["channel"]]

        kpis: dict[str, object] = {}
        # volumes
        kpis["leads"] = int(in_period(leads["created_at"]).sum())
        is_mql = in_period(leads["mql_at"])
        kpis["mqls"] = int(is_mql.sum())
        kpis["sqls"] = int(in_period(leads["sql_at"]).sum())
        created = opps[in_period(opps["created_at"])]
        kpis["opportunities"] = len(created)
        kpis["pipeline"] = float(created["amount"].sum())
        closed_in_period = in_period(opps["closed_at"])
        won = opps[opps["is_won"] & closed_in_period]
        lost = opps[opps["is_closed"] & ~opps["is_won"] & closed_in_period]
        kpis["won_deals"] = len(won)
        kpis["bookings"] = float(won["amount"].sum())
        kpis["win_rate"] = _ratio(len(won), len(won) + len(lost))

        # conversion mql -> sql: the cohort reached mql in the period; converted if it reached sql within W
        window = pd.Timedelta(days=self.policy.window_days)
        cohort = leads[in_period(leads["reached_mql_at"])]
        converted = cohort["reached_sql_at"] <= cohort["reached_mql_at"] + window
        kpis["mql_to_sql_rate"] = _ratio(converted.sum(), len(cohort))

        # SLA, sales' side: MQLs with mql_at in the period
        mqls = leads[is_mql]
        response_limit = pd.Timedelta(hours=self.policy.first_response_hours)
        due = mqls["mql_at"] + response_limit <= self.as_of
        responded = mqls["first_response_at"].notna()
        response = (mqls["first_response_at"] - mqls["mql_at"]).clip(lower=pd.Timedelta(0))
        met = due & responded & (response <= response_limit)
        kpis["sla_response_rate"] = _ratio(met.sum(), due.sum())
        kpis["untouched_mqls"] = int((due & ~responded).sum())

        # cost: each campaign's share of days inside the period
        first, last = pd.Timestamp(start), pd.Timestamp(end)
        overlap = (campaigns["end_date"].clip(upper=last) - campaigns["start_date"].clip(lower=first)).dt.days + 1
        kpis["marketing_cost"] = float((campaigns["cost"] * overlap.clip(lower=0) / campaigns["days"]).sum())

        # linear attribution over the opportunities in scope created in the period
        credited = created[["opportunity_id", "amount"]].merge(self.credits, on="opportunity_id")
        attributed = (credited["credit"] * credited["amount"]).groupby(credited["campaign_id"]).sum()
        return {
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "filters": filters,
            "kpis": kpis,
            "attributed_pipeline": {str(k): float(v) for k, v in attributed.items()},
            "unattributed_pipeline": float(created.loc[~created["has_path"], "amount"].sum()),
        }


# -- the agreement check --------------------------------------------------------------------------------


def close(a, b, tolerance: float = TOLERANCE) -> bool:
    """Equal within `tolerance` relative (both null counts as equal; null vs a number does not)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) or a == b


def compare(kpis: dict, campaigns: dict, peer: dict, tolerance: float = TOLERANCE) -> list[dict]:
    """Where the peer disagrees with `Funnel.kpis(...)` and `Funnel.campaigns(..., model="linear")`.

    Returns one entry per differing figure: {"figure", "funnel", "pandas"}; empty when they agree.
    """
    mismatches = []
    for key in KPI_KEYS:
        ours, theirs = kpis["kpis"][key], peer["kpis"][key]
        if not close(ours, theirs, tolerance):
            mismatches.append({"figure": key, "funnel": ours, "pandas": theirs})
    listed = {c["campaign_id"]: c["attributed_pipeline"] for c in campaigns["campaigns"]}
    for campaign_id in sorted(set(listed) | set(peer["attributed_pipeline"])):
        ours = listed.get(campaign_id, 0.0)
        theirs = peer["attributed_pipeline"].get(campaign_id, 0.0)
        if not close(ours, theirs, tolerance):
            mismatches.append({"figure": f"attributed_pipeline[{campaign_id}]", "funnel": ours, "pandas": theirs})
    if not close(campaigns["unattributed_pipeline"], peer["unattributed_pipeline"], tolerance):
        mismatches.append(
            {
                "figure": "unattributed_pipeline",
                "funnel": campaigns["unattributed_pipeline"],
                "pandas": peer["unattributed_pipeline"],
            }
        )
    return mismatches

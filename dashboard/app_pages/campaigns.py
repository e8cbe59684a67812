"""Campaigns & ROI: what did each campaign cost, what did it bring, and does the attribution model matter?"""

import polars as pl
import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _ui
from dashboard.metrics import BY_KEY, format_value
from dashboard.policy import ATTRIBUTION_MODELS

COLUMNS = (
    "cost",
    "leads_acquired",
    "mqls",
    "campaign_cost_per_lead",
    "attributed_pipeline",
    "attributed_bookings",
    "roi",
)

view = app_state.current()
view.prefetch_page("campaigns")
_ui.header(view, "Campaigns & ROI", "What did each campaign cost, and what pipeline and bookings did it bring?")
model = st.selectbox(
    "Attribution model",
    ATTRIBUTION_MODELS,
    index=ATTRIBUTION_MODELS.index(view.policy.model),
    format_func=lambda m: m.replace("_", " ") + (" (agreed policy)" if m == view.policy.model else ""),
    key="model",
    bind="query-params",
)
frame = view.attribution(model)
listed = frame.filter(pl.col("campaign_id").is_not_null())
# the finding reads only campaigns with cost and an ROI: the others are left out before a dict is made of each
spent = listed.filter((pl.col("cost") > 0) & pl.col("roi").is_not_null())
title = findings.campaign_finding(
    spent.select("campaign_id", "name", "cost", "roi").to_dicts(), view.scope, view.currency
)
event = _ui.plot(charts.campaign_roi_chart(listed, title, currency=view.currency), key="campaign_click", select=True)
totals = frame.filter(pl.col("campaign_id").is_null()).row(0, named=True)
st.caption(
    f"Credit by the {model.replace('_', ' ')} model. Unattributed (no lead or no touch in the lookback): "
    f"pipeline {format_value(totals['unattributed_pipeline'], 'currency', view.currency)}, bookings "
    f"{format_value(totals['unattributed_bookings'], 'currency', view.currency)}. "
    "Click a bar for its opportunities."
)
campaign = _ui.clicked(event)
if campaign:
    _ui.records_table(
        view,
        "opportunities",
        f"Opportunities with {campaign} on their touch path",
        f"campaign_{campaign}",
        stage="credited",
        path_campaign=campaign,
        owner=None,
    )

# MQLs per campaign: the kpi breakdown by the lead's first campaign
mqls = view.kpis(group_by="campaign").select(pl.col("group_key").alias("campaign_id"), "mqls")
table = (
    listed.join(mqls, on="campaign_id", how="left")
    .rename({"cost_per_lead": "campaign_cost_per_lead"})
    .sort(["cost", "attributed_bookings"], descending=True, nulls_last=True)
)
st.subheader("Every campaign in scope")
_ui.metric_table(
    table,
    {"name": "Campaign", "channel": "Channel"},
    {k: (BY_KEY[k].label + (" (first touch)" if k == "mqls" else ""), BY_KEY[k].unit) for k in COLUMNS},
    view.currency,
    height=420,
)

st.subheader("All six models side by side")
everything = view.attribution(None)
shares = charts.attribution_shares(everything)
_ui.plot(
    charts.attribution_compare_chart(
        everything, findings.attribution_finding(shares, view.scope), policy_model=view.policy.model, shares=shares
    ),
    key="models_chart",
)
st.caption(
    "Each channel's share of the period's attributed pipeline under each model, channels where the models "
    "disagree most first. Same opportunities, same touches: only the credit rule differs."
)

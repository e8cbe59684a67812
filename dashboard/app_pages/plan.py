"""Plan: what does a bookings target need from each stage, and by when?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _ui
from dashboard.metrics import BY_KEY, format_value

HORIZONS = ("Next month", "Next fiscal quarter")
RATES = ("avg_deal_size", "win_rate", "sql_to_opp_rate", "mql_to_sql_rate", "lead_to_mql_rate", "cost_per_mql")

view = app_state.current()
_ui.header(
    view,
    "Plan",
    "What does next month's (or quarter's) bookings target need from each stage of the funnel, and by when?",
)
# targets are monthly; a fiscal quarter's is its months' sum (metrics.md "Fiscal calendar")
horizon = st.radio("Plan for", HORIZONS, index=0, horizontal=True, key="horizon", bind="query-params")
# the trailing rates the plan works back from and the plan at the month's own target, together
view.prefetch_page("plan")
# the period after this one and its bookings target: the deck's rule too (Funnel.plan_target)
target_period, planned, source = view.plan_target(quarter=horizon == HORIZONS[1])
target = st.number_input(
    f"Bookings target for {view.label(target_period)} ({view.currency})",
    min_value=0.0,
    value=float(planned or 0.0),
    step=50_000.0,
    format="%.0f",
    key="target",
    bind="query-params",
    help=f"Defaults to the {source}.",
)
if planned is None:
    st.caption(f"The snapshot has {source}: enter one.")
if target <= 0:
    st.info("Enter a bookings target above zero to see what it needs from each stage.")
    st.stop()
plan = view.plan(target, target_period)
t = plan["trailing"]

_ui.plot(charts.plan_chart(plan, findings.plan_finding(plan, view.scope, view.currency)), key="plan_chart")
st.caption(
    f"Worked back from the trailing rates of {t['from']} to {t['to']} (mature cohorts). 'By when' counts "
    f"back from the first day of {view.label(target_period)} by the median days of each step."
)
passed = plan["already_past"]
if passed:
    st.warning(
        f"{len(passed)} of the dates are on or before the snapshot's as_of ({view.info.as_of:%d %b %Y}): "
        "what those stages needed for this target had to be in the funnel already."
    )
if not plan["trailing_cohort_mature"]:
    st.warning("Some of the trailing months are not mature yet: the rates may be understated.")

left, right = st.columns(2, gap="large")
with left:
    _ui.side_heading("joint", "Needed")
    needed = plan["needed"]
    rows = [
        ("Won deals", "won_deals", "count"),
        ("Opportunities", "opportunities", "count"),
        ("SQLs", "sqls", "count"),
        ("MQLs", "mqls", "count"),
        ("Leads", "leads", "count"),
        ("Marketing budget", "marketing_budget", "currency"),
    ]
    st.table(
        {
            "Stage": [r[0] for r in rows],
            "Needed": [format_value(needed.get(r[1]), r[2], view.currency) for r in rows],
            "By when": [
                plan["by_when"].get(r[1]) or (f"in {view.label(target_period)}" if r[1] == "won_deals" else "–")
                for r in rows
            ],
        },
        hide_index=True,
    )
with right:
    _ui.side_heading("joint", "From these trailing rates")
    st.table(
        {
            "Rate": [BY_KEY[k].label for k in RATES],
            "Value": [format_value(plan["rates"][k], BY_KEY[k].unit, view.currency) for k in RATES],
        },
        hide_index=True,
    )
    st.caption(" ".join(f"**{BY_KEY[k].label}**: {BY_KEY[k].definition}" for k in RATES))

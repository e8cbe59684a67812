"""Overview: the joint scorecard. Are marketing and sales on track, and what moved since last period?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _meeting, _ui
from dashboard.metrics import BY_KEY, format_value
from dashboard.page_queries import compared_period

MARKETING = (
    "mqls",
    "mql_target_attainment",
    "acceptance_rate",
    "marketing_sourced_pipeline",
    "marketing_influenced_pipeline",
    "marketing_sourced_bookings",
    "cost_per_mql",
    "marketing_roi",
)
SALES = (
    "sqls",
    "pipeline",
    "bookings",
    "win_rate",
    "sales_cycle_days",
    "sales_sourced_pipeline",
    "sla_response_rate",
    "avg_deal_size",
)
JOINT = ("mql_to_sql_rate", "sql_to_opp_rate", "opp_to_won_rate", "lead_to_won_rate")

view = app_state.current()
prev_snap = app_state.previous_snapshot_name(view)
older = None if prev_snap is None else view.funnel_of(prev_snap)
compared = compared_period(view.period, older)
view.prefetch_page("overview", older)
_ui.header(view, "Overview", "Are marketing and sales on track together this period?")
_meeting.agreed(view)  # the meeting opens with what it agreed last time, and records today's
_meeting.deck_button(view)
row, prev = view.row(), view.row(view.previous)

st.subheader(
    _ui.as_text(findings.change_finding("mql_to_sql_rate", row["mql_to_sql_rate"], prev["mql_to_sql_rate"], view.scope))
)
left, right = st.columns(2, gap="large")
for column, side, keys in ((left, "marketing", MARKETING), (right, "sales", SALES)):
    with column:
        _ui.side_heading(side)
        cells = st.columns(2)
        for i, key in enumerate(keys):
            with cells[i % 2]:
                _ui.metric(view, key, row, prev)
_ui.plot(
    charts.sourced_chart(row, findings.sourced_finding(row, view.scope, view.currency), view.currency), key="sourced"
)
st.caption(
    "Sourced pipeline splits the whole by effective origin (own origin, else the lead's, else sales); "
    "influenced overlaps it and is never added to it."
)

_ui.side_heading("joint", "The handoff: cohort conversion")
for column, key in zip(st.columns(len(JOINT)), JOINT):
    with column:
        _ui.metric(view, key, row, prev)
if not row["cohort_mature"]:
    st.info(
        f"The {view.period.label()} cohort is still maturing: leads have {view.policy.window_days:g} days to "
        "convert, so these rates will still rise. Compare mature months on the Funnel page."
    )

if not row["cohort_mature"]:
    _ui.projected_rates(view, JOINT)
_ui.where_we_will_land(view)

st.subheader("Since the previous snapshot")
if prev_snap is None:
    st.caption("This is the first snapshot: nothing to compare with.")
else:
    new, old = view.row(compared), view.row(compared, snapshot=prev_snap)
    changed = [
        (
            BY_KEY[k].label,
            format_value(old[k], BY_KEY[k].unit, view.currency),
            format_value(new[k], BY_KEY[k].unit, view.currency),
            findings.delta_text(k, new[k], old[k], view.currency) or "–",
        )
        for k in (*MARKETING, *SALES, *JOINT)
        if old[k] != new[k]
    ]
    note = (
        ""
        if compared == view.period
        else (
            f" Snapshot {prev_snap} was taken before {view.period.label()} ended, so this compares {compared.label()}."
        )
    )
    st.caption(
        f"{compared.label()} as snapshot {prev_snap} saw it and as {view.snapshot} sees it now: late data, "
        f"restated records, maturing cohorts.{note}"
    )
    if changed:
        st.dataframe(
            {
                "Metric": [c[0] for c in changed],
                f"Snapshot {prev_snap}": [c[1] for c in changed],
                f"Snapshot {view.snapshot}": [c[2] for c in changed],
                "Change": [c[3] for c in changed],
            },
            hide_index=True,
            width="stretch",
        )
    else:
        st.success(f"No number of {compared.label()} changed between the two snapshots.")

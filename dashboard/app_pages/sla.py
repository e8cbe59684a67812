"""SLA: is marketing sending enough MQLs sales accepts, and is sales following up on them in time?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _meeting, _ui
from dashboard.metrics import BY_KEY, format_value, metric_for, sla_units

OWNER_COLUMNS = (
    "mqls",
    "due_for_response",
    "untouched_mqls",
    "sla_response_rate",
    "median_response_hours",
    "sla_decision_rate",
    "acceptance_rate",
)

view = app_state.current()
p = view.policy
view.prefetch_page("sla")
_ui.header(view, "SLA", "Is marketing sending enough MQLs that sales accepts, and does sales follow up in time?")
row, prev = view.row(), view.row(view.previous)
monthly = view.monthly()
notes = _meeting.view_notes(view)  # the chart notes for these filters, drawn on both trends

left, right = st.columns(2, gap="large")
with left:
    _ui.side_heading("marketing", "Marketing: enough MQLs, good enough to accept")
    st.markdown(f"**{_ui.as_text(findings.target_finding(row['mqls'], row['mql_target'], 'MQLs', view.scope))}**")
    cells = st.columns(2)  # two to a half-page row, as on the sales side: three cut the values short ("97.…")
    for i, key in enumerate(("mqls", "mql_target_attainment", "acceptance_rate")):
        with cells[i % 2]:
            _ui.metric(view, key, row, prev)
    st.markdown(f"**{_ui.as_text(findings.floor_finding(row['acceptance_rate'], p.min_acceptance_rate, view.scope))}**")
    title = _ui.wrap(findings.trend_finding(monthly.to_dicts(), "mqls", view.scope), 40)  # a half-width chart
    _ui.plot(
        charts.trend_chart(
            monthly, "mqls", title, target_key="mql_target", values=False, currency=view.currency, notes=notes
        ),
        key="mql_trend",
    )
    _ui.plot(
        charts.target_bars_chart(
            view.kpis(group_by="segment"), "mqls", "mql_target", "MQLs vs target by segment", currency=view.currency
        ),
        key="mql_segments",
    )
with right:
    _ui.side_heading("sales", "Sales: every MQL answered and decided in time")
    finding = findings.sla_finding(
        row["sla_response_rate"],
        p.first_response_hours,
        row["sla_decision_rate"],
        p.decision_days,
        view.scope,
        units=sla_units(p),
    )
    st.markdown(f"**{_ui.as_text(finding)}**")
    cells = st.columns(2)
    for i, key in enumerate(("sla_response_rate", "sla_decision_rate", "median_response_hours", "untouched_mqls")):
        with cells[i % 2]:
            _ui.metric(view, key, row, prev)
    reasons = view.records("rejection_reasons", owner=None)
    _ui.plot(
        charts.count_bars_chart(
            reasons,
            "rejection_reason",
            "rejected_mqls",
            f"Why sales rejected {format_value(row['rejected_mqls'], 'count')} MQLs",
            color=charts.SALES_COLOR,
        ),
        key="reasons",
    )

_ui.plot(
    charts.sla_chart(
        monthly,
        findings.trend_finding(monthly.to_dicts(), "sla_response_rate", view.scope),
        p.min_acceptance_rate,
        p.first_response_hours,
        p.decision_days,
        notes=notes,
        units=sla_units(p),
    ),
    key="sla_trend",
)
st.caption(
    "Both sides month by month: sales' response and decision rates, marketing's acceptance rate against "
    "the floor both teams agreed."
    + (f" Sales' SLA counts business hours: {p.calendars.describe()}." if p.clock == "business" else "")
)
_meeting.note_form(view, "sla")

st.subheader("Who is not following up")
owners = view.kpis(group_by="owner")
owners = owners.filter(owners["mqls"] > 0).sort(["untouched_mqls", "mqls"], descending=True)
st.markdown(f"**{_ui.as_text(findings.untouched_finding(owners.to_dicts(), view.scope))}**")
table, chart = st.columns([3, 2], gap="large")
_ui.metric_table(
    owners,
    {"group_key": "Owner"},
    {
        k: (metric_for(k, p).label, BY_KEY[k].unit) if k in BY_KEY else ("MQLs due for response", "count")
        for k in OWNER_COLUMNS
    },
    view.currency,
    height=min(600, 38 + 35 * owners.height),
    where=table,
)
with chart:
    title = _ui.wrap("Untouched MQLs by owner (click for the leads)", 34)
    event = _ui.plot(charts.owner_chart(owners, "untouched_mqls", title), key="owner_click", select=True)
owner = _ui.clicked(event)
if owner:
    _ui.records_table(
        view,
        "leads",
        f"Untouched MQLs owned by {owner}",
        f"untouched_{owner}",
        stage="untouched",
        owner=owner,
        score_from=None,
        score_to=None,
    )

"""Funnel: where do leads drop out, how fast do they move, and is that changing?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _meeting, _ui
from dashboard.metrics import BY_KEY, format_value
from dashboard.periods import fiscal_quarter_name

STEPS = (
    ("Lead → MQL", "lead_to_mql", "flow_mqls_per_lead", "median_days_lead_to_mql"),
    ("MQL → SQL", "mql_to_sql", "flow_sqls_per_mql", "median_days_mql_to_sql"),
    ("SQL → Opportunity", "sql_to_opp", "flow_opportunities_per_sql", "median_days_sql_to_opp"),
    ("Opportunity → Won", "opp_to_won", "flow_won_per_opportunity", "median_days_opp_to_won"),
)
TREND_KEYS = (
    "mql_to_sql_rate",
    "lead_to_mql_rate",
    "sql_to_opp_rate",
    "opp_to_won_rate",
    "median_days_mql_to_sql",
    "mqls",
    "sqls",
    "pipeline",
)
STAGE_OF = {
    "funnel_leads": "lead",
    "funnel_mqls": "mql",
    "funnel_sals": "sal",
    "funnel_sqls": "sql",
    "funnel_opportunities": "opportunity",
    "funnel_won": "won",
}

view = app_state.current()
view.prefetch_page("funnel")
_ui.header(view, "Funnel", "Where do this period's leads drop out, and how fast do they move?")
row = view.row()
_ui.warn_small(row["funnel_leads"], "lead cohort")
if not row["cohort_mature"]:
    st.info(
        f"Still maturing: leads of {view.period.label()} have {view.policy.window_days:g} days to convert, so "
        "the later stages will still fill up. Mature months are solid in the trend below."
    )

title = findings.funnel_finding(row, view.policy.window_days, view.scope)
event = _ui.plot(charts.funnel_chart(row, title), key="funnel_click", select=True)
st.caption(
    "The period's lead cohort (reached(lead) in the period) and how many reached each stage within "
    f"{view.policy.window_days:g} days. Click a bar to see its records."
)
stage = _ui.clicked(event)
if stage in STAGE_OF:
    _ui.records_table(
        view,
        "leads",
        f"{BY_KEY[stage].label}: the records",
        f"funnel_{STAGE_OF[stage]}",
        stage=STAGE_OF[stage],
        owner=None,
        score_from=None,
        score_to=None,
    )

st.subheader("Cohort conversion vs flow ratio, and velocity")
st.table(
    {
        "Step": [s[0] for s in STEPS],
        "Cohort conversion (same people)": [format_value(row[f"{s[1]}_rate"], "rate") for s in STEPS],
        "Cohort size": [format_value(row[f"{s[1]}_cohort"], "count") for s in STEPS],
        "Flow ratio (events of the period, not a conversion rate)": [format_value(row[s[2]], "rate") for s in STEPS],
        "Median days (converters)": [format_value(row[s[3]], "days") for s in STEPS],
    },
    hide_index=True,
)
for label, step, _, _ in STEPS:
    if 0 < row[f"{step}_cohort"] < 30:
        st.caption(f"⚠️ {label}: only {row[f'{step}_cohort']} leads in the cohort; its rate swings by chance.")


@st.fragment
def trend() -> None:
    """The trend, its metric picker and its month/fiscal-quarter switch: a change reruns this part only (not
    the sidebar, the funnel chart and the table above), docs/performance.md."""
    key = st.selectbox("Trend of", TREND_KEYS, format_func=lambda k: BY_KEY[k].label, key="trend", bind="query-params")
    by = st.radio("By", ("Month", "Fiscal quarter"), horizontal=True, key="trend_by", bind="query-params")
    if by == "Fiscal quarter":
        # fiscal quarters of funnel.toml's fiscal year; the running quarter is shown "to date", and left out of
        # the finding (a part quarter against a whole one)
        quarters = view.funnel.quarterly_periods(5)
        names = {q.key: fiscal_quarter_name(q, view.policy.fiscal_year_start_month) for q in quarters}
        trend = view.kpis(quarters).sort("period_key")
        whole = [r for r in trend.to_dicts() if not names[r["period_key"]].endswith("to date")]
        _ui.plot(
            charts.trend_chart(
                trend,
                key,
                findings.trend_finding(whole, key, view.scope, names=names),
                target_key="mql_target" if key == "mqls" else None,
                x_labels=names,
                currency=view.currency,
            ),
            key="trend_chart_quarters",
        )
    elif key.endswith("_rate"):  # a cohort rate: its immature months get their projected final rate beside
        monthly = view.monthly()
        projected = view.projection(tuple(view.funnel.monthly_periods(13)))
        _ui.plot(
            charts.trend_with_projection(
                monthly,
                key,
                projected,
                app_state.learned_from(view),
                findings.trend_finding(monthly.to_dicts(), key, view.scope),
                notes=_meeting.view_notes(view),
            ),
            key="trend_chart",
        )
    else:
        monthly = view.monthly()
        _ui.plot(
            charts.trend_chart(
                monthly,
                key,
                findings.trend_finding(monthly.to_dicts(), key, view.scope),
                target_key="mql_target" if key == "mqls" else None,
                currency=view.currency,
                notes=_meeting.view_notes(view),
            ),
            key="trend_chart",
        )
    st.caption(
        f"{BY_KEY[key].definition} Dashed grey: cohorts younger than {view.policy.window_days:g} days "
        "(still maturing), never compared with mature ones."
    )
    if key.endswith("_rate") and by != "Fiscal quarter":
        st.caption(
            f"Dashed, labelled projected: each maturing month's projected final rate, learned from the mature "
            f"cohorts of {app_state.learned_from(view)}. {BY_KEY['projected_rate'].definition}"
        )
    _meeting.note_form(view, "funnel")


trend()

"""Lead scoring: does the score predict who reaches SQL, and where should the MQL threshold sit?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _ui
from dashboard.metrics import BY_KEY, format_value
from dashboard.page_queries import DEFAULT_THRESHOLD

view = app_state.current()
view.prefetch_page("scoring")
_ui.header(view, "Lead scoring", "Does the lead score predict who reaches SQL, and where should the MQL bar sit?")
bands = view.scoring()
scored = int(bands["leads"].sum()) if bands.height else 0
_ui.warn_small(scored, "scored leads of the period")

auc = bands["score_auc"][0] if bands.height else None


@st.fragment
def what_if_threshold() -> None:
    """The score metrics, the threshold slider, its what-if and the band chart it shades: moving the slider (or
    clicking a band) reruns this part only, not the sidebar and the whole page (docs/performance.md). A
    fragment draws only into containers it creates, so the columns are made here."""
    left, right = st.columns([1, 3])
    with left:
        st.metric(
            BY_KEY["score_auc"].label, BY_KEY["score_auc"].format(auc), help=BY_KEY["score_auc"].definition, border=True
        )
        st.metric(
            "Scored leads",
            format_value(scored, "count"),
            border=True,
            help="Leads created in the period that carry a score.",
        )
    with right:
        cutoff = st.slider(
            "MQL threshold: what if only leads scoring at least this became MQLs?",
            0,
            100,
            DEFAULT_THRESHOLD,
            step=5,
            key="threshold",
            bind="query-params",
        )
        what_if = view.threshold(cutoff)
        st.markdown(f"#### {_ui.as_text(findings.threshold_finding(cutoff, what_if, view.scope))}")
        for column, (label, value, unit, help_text) in zip(
            st.columns(3),
            (
                (
                    "MQL volume at this threshold",
                    what_if["leads_above"],
                    "count",
                    "Scored leads at or above the threshold.",
                ),
                ("Their SQL rate", what_if["sql_rate_above"], "rate", "Of them, the share reaching SQL within W days."),
                (
                    "Converters captured",
                    what_if["captured_share"],
                    "rate",
                    "Their converters over all converters among scored leads.",
                ),
            ),
        ):
            with column:
                st.metric(label, format_value(value, unit), help=help_text, border=True)

    event = _ui.plot(
        charts.scoring_chart(bands, findings.scoring_finding(bands, view.scope), threshold=cutoff),
        key="band_click",
        select=True,
    )
    st.caption(f"{BY_KEY['band_rate'].definition} Bars below the threshold are pale. Click a band for its leads.")
    band = _ui.clicked(event)
    if band:
        low, high = (float(x) for x in band.split("-"))
        _ui.records_table(
            view,
            "leads",
            f"Leads scoring {band}",
            f"score_{band}",
            stage="scored",
            owner=None,
            score_from=low,
            score_to=high,
        )


what_if_threshold()

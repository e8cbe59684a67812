"""The Streamlit entry point: the shared sidebar filters and the page list, nothing else.

Run it with `funnel serve` (or `streamlit run dashboard/app.py -- --data PATH`). Every page reads the
view the sidebar selected (app_state.current()) and draws it; the filters live in the URL.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import app_auth, app_state

PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(
    page_title="Shared Funnel", page_icon=":material/filter_alt:", layout="wide", initial_sidebar_state="expanded"
)
# projector-sized numbers: larger metric values and labels than Streamlit's defaults
st.html("""<style>
[data-testid="stMetricValue"] {font-size: 2.3rem;}
[data-testid="stMetricLabel"] p {font-size: 1.05rem;}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important;}
[data-testid="stTable"] td, [data-testid="stTable"] th {font-size: 1.0rem;}
[data-testid="stMetricDelta"] {font-size: 1.05rem;}
h1 {font-size: 2.3rem !important;}
</style>""")

app_auth.gate(app_state.data_root())  # with [auth] in funnel.toml: nothing below runs until allowed
st.session_state["_view"] = app_state.sidebar()

page = st.navigation(
    [
        st.Page(PAGES / "overview.py", title="Overview", icon=":material/handshake:", default=True),
        st.Page(PAGES / "funnel.py", title="Funnel", icon=":material/filter_alt:"),
        st.Page(PAGES / "changes.py", title="Changes", icon=":material/waterfall_chart:"),
        st.Page(PAGES / "campaigns.py", title="Campaigns & ROI", icon=":material/campaign:", url_path="campaigns"),
        st.Page(PAGES / "sla.py", title="SLA", icon=":material/timer:"),
        st.Page(PAGES / "scoring.py", title="Lead scoring", icon=":material/leaderboard:", url_path="scoring"),
        st.Page(PAGES / "plan.py", title="Plan", icon=":material/event:"),
        st.Page(PAGES / "data.py", title="Data", icon=":material/database:"),
    ]
)
page.run()

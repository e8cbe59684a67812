"""Data: which snapshots exist, can their numbers be trusted, and what does each metric mean?"""

import streamlit as st

from dashboard import app_auth, app_state
from dashboard.app_pages import _meeting, _ui
from dashboard.contract import TABLE_ORDER
from dashboard.metrics import METRICS, metric_for, sla_units

view = app_state.current()
_ui.header(view, "Data", "Which snapshots are there, can their numbers be trusted, and what does each number mean?")

st.subheader("Snapshots")
snaps = app_state.snapshots(view.data)
st.dataframe(
    {
        "Snapshot": [s.name for s in snaps],
        "As of (UTC)": [s.as_of_iso for s in snaps],
        **{t: [s.rows.get(t) for s in snaps] for t in TABLE_ORDER},
        "Source": [s.source for s in snaps],
    },
    hide_index=True,
    width="stretch",
)
st.caption(
    f"Data root: {view.data}. Numbers are computed with the policy in its funnel.toml "
    f"(window {view.policy.window_days:g} days, response SLA {view.policy.first_response_hours:g} "
    f"{sla_units(view.policy)[0]}, decision SLA {view.policy.decision_days:g} {sla_units(view.policy)[1]}, "
    f"attribution {view.policy.model})."
    + (f" Business calendar: {view.policy.calendars.describe()}." if view.policy.clock == "business" else "")
)

bad = app_state.bad_folders(view.data)
if bad:
    st.error(
        f"{len(bad)} folder(s) of the data root cannot be read as a snapshot and are left out; every other "
        "snapshot works. `funnel validate` on the data root reports them too.",
        icon=":material/block:",
    )
    st.dataframe(
        {"Folder": [b["name"] for b in bad], "Problem": [b["problem"] for b in bad]}, hide_index=True, width="stretch"
    )
user = app_auth.signed_in_as()
st.caption(
    f"Signed in as {user}."
    if user
    else "Sign-in is not configured: anyone who can open this address sees "
    "the data (see the README, 'Sharing the dashboard')."
)

st.subheader(f"Validation of snapshot {view.snapshot}")
report = app_state.validation(str(view.info.path), view.identity)
errors, warnings = report["dict"]["errors"], report["dict"]["warnings"]
if errors:
    st.error(f"{len(errors)} errors: the numbers of this snapshot are not to be trusted until they are fixed.")
elif warnings:
    st.warning(f"No errors; {len(warnings)} warnings worth knowing about.", icon="⚠️")
else:
    st.success("No errors and no warnings: the snapshot meets the data contract.")
if errors or warnings:
    st.dataframe(
        {
            "Level": ["error"] * len(errors) + ["warning"] * len(warnings),
            "Table": [f["table"] for f in errors + warnings],
            "Column": [f["column"] or "" for f in errors + warnings],
            "Finding": [f["message"] for f in errors + warnings],
            "Rows": [f["count"] for f in errors + warnings],
            "Examples": [", ".join(f["examples"][:3]) for f in errors + warnings],
        },
        hide_index=True,
        width="stretch",
    )
with st.expander("The full report (as `funnel validate` prints it)"):
    st.code(report["text"] or "(empty)", language=None)

_meeting.notes_table(view)

st.subheader("Glossary")
side = st.segmented_control("Whose numbers", ["marketing", "sales", "joint"], key="glossary_side")
shown = [metric_for(m.key, view.policy) for m in METRICS]  # SLA definitions as the policy's clock says
st.table(
    {
        "Metric": [m.label for m in shown if side in (None, m.side)],
        "Key": [m.key for m in METRICS if side in (None, m.side)],
        "Side": [m.side for m in METRICS if side in (None, m.side)],
        "Definition": [m.definition for m in shown if side in (None, m.side)],
        "Query": [f"queries/{m.query}.sql" for m in METRICS if side in (None, m.side)],
    },
    hide_index=True,
)

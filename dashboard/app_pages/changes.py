"""Changes: where did the open pipeline go between two snapshots (new, grown, shrunk, won, lost, reopened,
deleted in the CRM)?"""

import streamlit as st

from dashboard import app_state, charts, findings
from dashboard.app_pages import _ui
from dashboard.metrics import BY_KEY, format_value

view = app_state.current()
_ui.header(view, "Changes", "Why is the open pipeline different from last time?")
# newest first: the snapshots taken before the one on screen
names = [s.name for s in app_state.snapshots(view.data)]
older = names[names.index(view.snapshot) + 1 :] if view.snapshot in names else []
if not older:
    st.info(f"Snapshot {view.snapshot} is the oldest here: there is no earlier snapshot to compare it with.")
    st.stop()
base = st.selectbox("Compared with the snapshot of", older, key="changes_from", bind="query-params")
result = view.changes(base)
movers = view.change_records(base, "moved").head(2).to_dicts()

title = findings.changes_finding(result, movers, view.scope)
event = _ui.plot(charts.waterfall_chart(result, _ui.wrap(title, 80)), key="waterfall", select=True)
st.caption(
    f"The open pipeline of snapshot {base} (as of {result['from_as_of']}), each flow that moved it, and the "
    f"open pipeline of snapshot {view.snapshot} (as of {result['to_as_of']}); it always adds up. Filters "
    "use each deal's values in the newer snapshot, or the older one's for a deal deleted since. "
    "Click a bar to list its opportunities."
)

beside = st.columns(3)
for column, key, amount, count in (
    (beside[0], "won_bookings", result["won_bookings"], result["buckets"]["won"]["count"]),
    (beside[1], "changes_created_and_won", result["created_and_won"]["amount"], result["created_and_won"]["count"]),
    (beside[2], "changes_created_and_lost", result["created_and_lost"]["amount"], result["created_and_lost"]["count"]),
):
    with column:
        st.metric(
            f"{BY_KEY[key].label} · {count:,} deals",
            format_value(amount, "currency", view.currency),
            border=True,
            help=BY_KEY[key].definition,
        )

with st.expander("What each bar means"):
    st.markdown(
        "\n".join(
            f"- **{BY_KEY[f'changes_{k}'].label}**: {BY_KEY[f'changes_{k}'].definition}"
            for k, _ in charts.WATERFALL_STEPS
        )
    )

bucket = _ui.clicked(event)
if bucket:
    frame = view.change_records(base, bucket)
    st.subheader(f"{BY_KEY[f'changes_{bucket}'].label}: {frame.height:,} opportunities")
    st.caption(BY_KEY[f"changes_{bucket}"].definition + f" Before = snapshot {base}, after = snapshot {view.snapshot}.")
    if frame.is_empty():
        st.info("No opportunity in this bucket for the current filters.")
    else:
        st.dataframe(frame, width="stretch", hide_index=True, height=min(420, 38 + 35 * frame.height))
        st.download_button(
            f"Download {frame.height:,} opportunities (CSV)",
            frame.write_csv().encode("utf-8"),
            file_name=f"changes_{bucket}_{base}_{view.snapshot}.csv",
            mime="text/csv",
            key="download_changes",
        )

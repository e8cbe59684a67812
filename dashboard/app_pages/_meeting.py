"""The meeting's own record on the pages: chart notes, "Agreed last time" / "Agreed today", the deck export.

Not a page (st.navigation lists the pages in app.py). The record lives in dashboard/meetings.py (no
Streamlit); this file draws it and its forms. Whatever a person typed is shown as plain text: in tables
(st.dataframe), hover text (escaped by charts.note_hover) and the deck, never through st.markdown.
Every write names who made it (app_state.current_user) and is followed by a rerun, so the charts and
lists drawn above the form show it at once; another session sees it on its next rerun.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import app_state, export
from dashboard.app_state import View
from dashboard.errors import FunnelError
from dashboard.meetings import KINDS, MAX_OWNER, MAX_TEXT, STATUSES, Action, MeetingStore
from dashboard.periods import local_date

_FLASH = "_meeting_flash"
_DECK = "_meeting_deck"


def store_of(view: View) -> tuple[MeetingStore | None, str | None]:
    """The data root's record, or None and why there is none."""
    try:
        return app_state.meeting_store(view.data), None
    except FunnelError as exc:
        return None, str(exc)


def today(view: View) -> dt.date:
    """The meeting's day (overdue and "in the past" are judged against it), in the reporting time zone."""
    return local_date(dt.datetime.now(dt.UTC), view.policy.zone)


def _flash(where: str) -> None:
    message = st.session_state.get(_FLASH)
    if message and message[0] == where:
        del st.session_state[_FLASH]
        st.success(message[1], icon=":material/check:")


def _done(where: str, message: str) -> None:
    st.session_state[_FLASH] = (where, message)
    st.rerun()


def _read_only_text(store: MeetingStore | None, reason: str | None, what: str) -> str:
    return f"{what} is disabled: {reason or store.read_only_reason}."


# -- chart notes -----------------------------------------------------------------------------------------
def view_notes(view: View) -> list:
    """The chart notes whose scope the view's filters match (every snapshot's: a note explains a date)."""
    store, _ = store_of(view)
    if store is None:
        return []
    try:
        return store.notes(view.filters)
    except FunnelError:  # a damaged record must not take the charts down; the Data page says what is wrong
        return []


def note_form(view: View, page: str) -> None:
    """ "Add a chart note" under a page's trends: a date, the text, and whether it is for these filters only."""
    _flash(f"note_{page}")
    store, reason = store_of(view)
    with st.expander("Add a chart note: what explains a bump on these charts?", icon=":material/sticky_note_2:"):
        if store is None or not store.writable:
            st.info(
                _read_only_text(store, reason, "Adding notes") + " The notes already recorded are drawn on the "
                "charts and listed on the Data page."
            )
            return
        first, last = app_state.note_span(view)
        scoped = bool(view.filters.active())
        with st.form(f"note_form_{page}", clear_on_submit=True, border=False):
            day = st.date_input(
                "Date the note explains",
                value=min(max(view.period.end, first), last),
                key=f"note_date_{page}",
                format="YYYY-MM-DD",
                help=f"Between {first:%d %b %Y} and {last:%d %b %Y}: the days the snapshots' monthly charts cover.",
            )
            text = st.text_area(
                "Note",
                key=f"note_text_{page}",
                placeholder="e.g. Routing change: MQLs go to the SDR queue first",
                help=f"Plain text, at most {MAX_TEXT:,} characters: shown exactly as typed, as the "
                "hover text of the ▼ marker on the charts.",
            )
            only_here = st.checkbox(
                f"Only for this view's filters ({view.filters.describe()})",
                value=scoped,
                disabled=not scoped,
                key=f"note_scope_{page}",
                help="Scoped notes show only on views with these filters; others on every view.",
            )
            submitted = st.form_submit_button("Add the note", icon=":material/add:")
        if submitted:
            try:
                note = store.add_note(
                    day,
                    text or "",
                    app_state.current_user(),
                    scope=view.filters if (scoped and only_here) else None,
                    page=page,
                    snapshot=view.snapshot,
                    span=(first, last),
                )
            except FunnelError as exc:
                st.error(str(exc), icon=":material/error:")
                return
            _done(f"note_{page}", f"Note for {note.date:%d %b %Y} added ({note.scope_text()}), by {note.created_by}.")


def notes_table(view: View) -> None:
    """The Data page's list of every chart note, and every meeting's decisions and actions."""
    store, reason = store_of(view)
    st.subheader("Chart notes")
    if store is None:
        st.info(f"No meeting record here: {reason}")
        return
    try:
        notes, actions = store.notes(), store.actions()
    except FunnelError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    where = f"Kept in {store.path}" + (
        ""
        if store.writable
        else f" (read-only: {store.read_only_reason}; adding notes, decisions and actions is disabled)"
    )
    st.caption(
        f"{where}. Each note is drawn on every monthly trend whose months cover its date, on views whose "
        "filters include its scope."
    )
    if notes:
        st.dataframe(
            {
                "Date": [n.date for n in notes],
                "Note": [n.text for n in notes],
                "Scope": [n.scope_text() for n in notes],
                "Added on page": [n.page or "" for n in notes],
                "Snapshot on screen": [n.snapshot or "" for n in notes],
                "Written by": [n.created_by for n in notes],
                "Written at (UTC)": [n.created_at for n in notes],
            },
            hide_index=True,
            width="stretch",
            key="notes_table",
        )
    else:
        st.caption("No chart notes yet: add them under the trends on the Funnel and SLA pages.")
    with st.expander(f"Decisions and actions of every meeting ({len(actions)})"):
        if actions:
            st.dataframe(_action_rows(actions, today(view), meeting=True), hide_index=True, width="stretch")
        else:
            st.caption("None recorded yet: the Overview records them.")


# -- decisions and actions -------------------------------------------------------------------------------
def _status_text(a: Action, on: dt.date) -> str:
    return f"⚠ {a.status} · overdue" if a.overdue(on) else a.status


def _action_rows(items, on: dt.date, meeting: bool = False) -> dict:
    rows = {"Meeting (snapshot)": [a.meeting for a in items]} if meeting else {}
    return {
        **rows,
        "Kind": [a.kind for a in items],
        "Decision or action": [a.text for a in items],
        "Owner": [a.owner or "–" for a in items],
        "Due": [a.due for a in items],
        "Status": [_status_text(a, on) for a in items],
        "Recorded by": [a.created_by for a in items],
    }


def agreed(view: View) -> None:
    """The Overview's opening: the previous meeting's decisions and actions with their status (overdue
    marked), a way to update that status, and today's record with a form to add to it."""
    store, reason = store_of(view)
    previous = app_state.previous_snapshot_name(view)
    on = today(view)
    st.subheader("Agreed last time")
    if store is None:
        st.info(f"No meeting record: {reason}")
        return
    try:
        record = store.record(view.snapshot, previous, on)
    except FunnelError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    _flash("status")
    if previous is None:
        st.caption("This is the first snapshot: there was no earlier meeting.")
    elif not record.last_time:
        st.caption(f"Nothing was recorded at the meeting that reviewed snapshot {previous}.")
    else:
        late = sum(a.overdue(on) for a in record.last_time)
        st.caption(
            f"The meeting on snapshot {previous}: {len(record.last_time)} decisions and actions"
            + (f", **{late} overdue** (open after their due date)" if late else "")
            + "."
        )
        st.dataframe(_action_rows(record.last_time, on), hide_index=True, width="stretch", key="agreed_last_time")
        if store.writable:
            _status_form(store, record.last_time)
    st.subheader("Agreed today")
    _flash("today")
    if record.today:
        st.dataframe(_action_rows(record.today, on), hide_index=True, width="stretch", key="agreed_today")
    else:
        st.caption(f"Nothing recorded yet for this meeting (snapshot {view.snapshot}).")
    if not store.writable:
        st.info(_read_only_text(store, reason, "Recording decisions and actions"))
        return
    with st.expander("Record a decision or an action", icon=":material/edit_note:"):
        with st.form("record_form", clear_on_submit=True, border=False):
            kind = st.radio("Kind", KINDS, index=1, horizontal=True, key="record_kind")
            text = st.text_area(
                "What was agreed",
                key="record_text",
                help=f"Plain text, at most {MAX_TEXT:,} characters.",
                placeholder="e.g. Sales answers MQLs within 8 hours from March",
            )
            left, right = st.columns(2)
            owner = left.text_input(
                "Owner", max_chars=MAX_OWNER, key="record_owner", help="Who does it (needed for an action)."
            )
            due = right.date_input(
                "Due", value=None, key="record_due", format="YYYY-MM-DD", help="Needed for an action; not before today."
            )
            submitted = st.form_submit_button("Record", icon=":material/add:")
        if submitted:
            try:
                item = store.add_action(
                    view.snapshot,
                    text or "",
                    app_state.current_user(),
                    kind=kind,
                    owner=owner or None,
                    due=due,
                    today=on,
                )
            except FunnelError as exc:
                st.error(str(exc), icon=":material/error:")
                return
            _done("today", f"{item.kind.capitalize()} recorded by {item.created_by}.")


def _status_form(store: MeetingStore, items) -> None:
    with st.form("status_form", border=False):
        left, right, go = st.columns([5, 3, 1], vertical_alignment="bottom")
        chosen = left.selectbox(
            "Update the status of",
            items,
            key="status_item",
            format_func=lambda a: f"{a.kind}: {a.text[:80]}{'…' if len(a.text) > 80 else ''} ({a.owner or '–'})",
        )
        status = right.segmented_control("Status", STATUSES, default="done", key="status_value")
        submitted = go.form_submit_button("Set")
    if submitted and chosen is not None and status:
        try:
            store.set_status(chosen.id, status, app_state.current_user())
        except FunnelError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        _done("status", f"Status set to {status}.")


# -- the meeting deck ------------------------------------------------------------------------------------
def deck_button(view: View) -> None:
    """ "Export meeting deck": builds the deck of the view on screen only when clicked, with a progress bar,
    then offers it as a download (kept for this view until the view changes)."""
    view_key = (view.data, view.snapshot, view.period, view.filters)
    if st.button(
        "Export meeting deck",
        icon=":material/slideshow:",
        key="export_deck",
        help="A PowerPoint deck of this view (snapshot, period, filters), with the chart notes and the "
        "meeting's decisions and actions.",
    ):
        store, _ = store_of(view)
        with st.status("Building the meeting deck…", expanded=True) as status:
            bar = st.progress(0.0, text="Running the deck's queries")
            try:
                record, notes = None, []
                if store is not None:
                    record = store.record(view.snapshot, app_state.previous_snapshot_name(view), today(view))
                    notes = store.notes()
                result = export.render_deck(
                    view.funnel,
                    view.period,
                    view.filters,
                    record=record,
                    chart_notes=notes,
                    progress=lambda done, total, name: bar.progress(
                        done / total, text=f"Slide {done} of {total}: {name}"
                    ),
                )
            except FunnelError as exc:
                status.update(label=f"The deck could not be built: {exc}", state="error")
                return
            st.session_state[_DECK] = (
                view_key,
                export.deck_file_name(view.period, view.filters),
                result.content,
                result.image_problems,
            )
            status.update(
                label=f"Deck ready: {result.slides} slides in {result.seconds:.1f} s", state="complete", expanded=False
            )
    deck = st.session_state.get(_DECK)
    if deck and deck[0] == view_key:
        _, file_name, content, problems = deck
        st.download_button(
            f"Download {file_name}",
            content,
            file_name,
            export.PPTX_MIME,
            key="download_deck",
            icon=":material/download:",
            type="primary",
            on_click="ignore",
        )
        for problem in problems:
            st.warning(f"Pictures left out of the deck: {problem}", icon="⚠️")

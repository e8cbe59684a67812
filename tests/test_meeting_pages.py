"""The meeting record on the pages (Streamlit AppTest, on the committed sample's snapshots linked into a
temporary data root, so meetings.sqlite is written there and never into data/sample).

Overview: "Agreed last time" (previous meeting's actions, overdue marked, status updated), "Agreed today"
and its form, bad input answered by a message; Funnel/SLA: a chart note added from the page is drawn on
its trends; Data: the notes listed; a read-only root says why adding is disabled.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sample_root import linked_sample

from dashboard.meetings import MeetingStore

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
FAR = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def data_root(tmp_path) -> Path:
    return linked_sample(tmp_path)


@pytest.fixture
def app(data_root, monkeypatch):
    monkeypatch.setenv("FUNNEL_DATA", str(data_root))
    monkeypatch.setenv("BROWSER_PATH", "/nowhere/chromium")  # no image rendering in these tests
    # ... even when an earlier test started this process's browser (export._RENDERER outlives a test)
    from dashboard import export

    monkeypatch.setattr(type(export._RENDERER), "running", property(lambda self: False))

    def make(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        if page:
            at.switch_page(f"app_pages/{page}.py")
        return at.run()

    return make


def no_exception(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


def frames(at, column: str) -> list:
    """The st.dataframes (pandas) that have this column, in page order (AppTest does not expose their keys)."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def figure_json(at, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id)
    return json.loads(chart.proto.spec)


def test_overview_opens_with_what_was_agreed_last_time(app, data_root):
    store = MeetingStore.open(data_root)
    store.add_action("2026-09-30", "Answer MQLs within 8 hours", "carol", owner="Sam", due="2026-10-15")
    store.add_action("2026-09-30", "Pause non-brand paid search in SMB", "carol", kind="decision")
    store.add_action("2026-08-31", "an older meeting's action", "carol", owner="Kim", due="2026-09-15")
    at = app()
    no_exception(at)
    assert [s.value for s in at.subheader][:2] == ["Agreed last time", "Agreed today"]
    (last,) = frames(at, "Decision or action")  # nothing recorded today yet: the one table is last time's
    # the meeting before 2026-10-31 reviewed 2026-09-30: its two items, the action overdue (due 15 Oct, open)
    assert list(last["Decision or action"]) == ["Answer MQLs within 8 hours", "Pause non-brand paid search in SMB"]
    assert list(last["Status"]) == ["⚠ open · overdue", "open"]
    assert any("1 overdue" in c.value for c in at.caption)
    # the status form marks it done
    at.selectbox(key="status_item").set_value(at.selectbox(key="status_item").options[0])
    at.button(key="FormSubmitter:status_form-Set").click().run()
    no_exception(at)
    assert list(frames(at, "Decision or action")[0]["Status"]) == ["done", "open"]
    assert store.actions("2026-09-30")[0].updated_by == "anonymous"


def test_recording_today_and_bad_input(app, data_root):
    at = app()
    assert any("Nothing recorded yet" in c.value for c in at.caption)

    def submit(text, owner="", due=None, kind="action"):
        at.radio(key="record_kind").set_value(kind)
        at.text_area(key="record_text").set_value(text)
        at.text_input(key="record_owner").set_value(owner)
        at.date_input(key="record_due").set_value(due)
        at.button(key="FormSubmitter:record_form-Record").click().run()
        no_exception(at)
        return [e.value for e in at.error]

    assert submit("   ", "Sam", FAR) == ["action text is empty: write what the note, decision or action says"]
    assert submit("x", "Sam", "2020-01-01")[0].startswith("due date 2020-01-01 is in the past")
    assert submit("x", "", FAR) == ["an action needs an owner: who will do it"]
    assert "at most 2,000" in submit("y" * 1_000_000, "Sam", FAR)[0]
    assert MeetingStore.open(data_root).actions() == []  # nothing half-written
    markdown = "**Sales** answers <b>MQLs</b> within 8 hours"
    assert submit(markdown, "Sam", FAR) == []
    # nothing was recorded at the previous meeting: the one table is today's
    assert list(frames(at, "Decision or action")[0]["Decision or action"]) == [markdown]  # as typed
    assert [a.text for a in MeetingStore.open(data_root).actions("2026-10-31")] == [markdown]
    # the next meeting (a later snapshot) would show it as "Agreed last time"; the earlier one does not
    earlier = app(snapshot="2026-09-30")
    assert frames(earlier, "Decision or action") == []


@pytest.mark.parametrize("page, charts", [("funnel", ["trend_chart"]), ("sla", ["mql_trend", "sla_trend"])])
def test_a_chart_note_added_from_the_page_is_drawn_on_its_trends(app, data_root, page, charts):
    at = app(page)
    no_exception(at)
    at.date_input(key=f"note_date_{page}").set_value(dt.date(2026, 7, 14))
    at.text_area(key=f"note_text_{page}").set_value("Routing change <i>July</i>")
    at.button(key=f"FormSubmitter:note_form_{page}-Add the note").click().run()
    no_exception(at)
    assert any("Note for 14 Jul 2026 added (all records), by anonymous" in s.value for s in at.success)
    for key in charts:
        notes = [t for t in figure_json(at, key)["data"] if t.get("meta") == "chart-notes"]
        assert len(notes) == 1 and notes[0]["x"] == ["2026-07-14"]
        assert "Routing change &lt;i&gt;July&lt;/i&gt;" in notes[0]["hovertext"][0]
    (note,) = MeetingStore.open(data_root).notes()
    assert (note.page, note.snapshot, note.created_by) == (page, "2026-10-31", "anonymous")


def test_a_note_outside_every_snapshot_or_empty_gets_a_message(app):
    at = app("funnel")
    at.date_input(key="note_date_funnel").set_value(dt.date(2027, 1, 5))
    at.text_area(key="note_text_funnel").set_value("later")
    at.button(key="FormSubmitter:note_form_funnel-Add the note").click().run()
    no_exception(at)
    # the oldest snapshot (as of 30 Sep 2026) draws 13 months, Sep 2025..Sep 2026; the newest ends on 31 Oct 2026
    assert [e.value for e in at.error] == [
        "note date 2027-01-05 is outside every snapshot: the snapshots' charts cover 2025-09-01 to 2026-10-31"
    ]
    at.date_input(key="note_date_funnel").set_value(dt.date(2026, 7, 14))
    at.text_area(key="note_text_funnel").set_value("")
    at.button(key="FormSubmitter:note_form_funnel-Add the note").click().run()
    assert [e.value for e in at.error] == ["note text is empty: write what the note, decision or action says"]


def test_a_scoped_note_shows_only_on_views_with_its_filters(app, data_root):
    at = app("funnel", segment="Enterprise")
    at.date_input(key="note_date_funnel").set_value(dt.date(2026, 8, 3))
    at.text_area(key="note_text_funnel").set_value("Trade show")
    assert at.checkbox(key="note_scope_funnel").value is True
    at.button(key="FormSubmitter:note_form_funnel-Add the note").click().run()
    assert MeetingStore.open(data_root).notes()[0].scope == {"segment": "Enterprise"}
    has_notes = lambda a: any(t.get("meta") == "chart-notes" for t in figure_json(a, "trend_chart")["data"])  # noqa: E731
    assert has_notes(at)
    assert not has_notes(app("funnel"))
    assert not has_notes(app("funnel", segment="SMB"))


def test_data_page_lists_the_notes(app, data_root):
    store = MeetingStore.open(data_root)
    store.add_note("2026-07-14", "**Routing** change", "alice@example.com", page="funnel")
    store.add_note("2026-08-03", "Trade show", "bob@example.com", scope={"segment": "Enterprise"}, page="sla")
    at = app("data")
    no_exception(at)
    (notes,) = frames(at, "Note")
    assert list(notes["Note"]) == ["**Routing** change", "Trade show"]
    assert list(notes["Scope"]) == ["all records", "segment=Enterprise"]
    assert list(notes["Written by"]) == ["alice@example.com", "bob@example.com"]


def test_a_read_only_root_shows_the_record_and_says_why_adding_is_disabled(app, data_root, monkeypatch):
    MeetingStore.open(data_root).add_note("2026-07-14", "Routing change", "alice")
    monkeypatch.setattr("dashboard.meetings.os.access", lambda path, mode: not mode & 2)  # W_OK
    at = app("funnel")
    no_exception(at)
    assert any(t.get("meta") == "chart-notes" for t in figure_json(at, "trend_chart")["data"])
    (info,) = [i.value for i in at.info if "disabled" in i.value]
    assert info.startswith("Adding notes is disabled:") and "read-only" in info
    assert not [t for t in at.text_area if t.key == "note_text_funnel"]
    overview = app()
    assert any(i.value.startswith("Recording decisions and actions is disabled") for i in overview.info)


def test_every_chart_offers_png_and_svg_rendered_only_on_click(app, monkeypatch):
    from dashboard import export

    rendered = []
    monkeypatch.setattr(export, "figure_to_image", lambda *a, **k: rendered.append(a) or b"")
    monkeypatch.setenv("BROWSER_PATH", "/usr/bin/true")  # "available": an executable file
    at = app("sla")
    no_exception(at)
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    # the SLA page draws 5 charts: a PNG and an SVG button under each, enabled
    assert len(at.get("plotly_chart")) == 5
    assert labels.count("Download PNG") == 5 and labels.count("Download SVG") == 5
    assert not any(b.proto.disabled for b in buttons)
    assert rendered == []  # drawing the page rendered no image: only a click does


def test_without_a_browser_the_image_buttons_say_why(app):
    at = app("plan")  # BROWSER_PATH=/nowhere/chromium (the fixture)
    no_exception(at)
    buttons = [b for b in at.get("download_button") if b.proto.label in ("Download PNG", "Download SVG")]
    assert len(buttons) == 2 and all(b.proto.disabled for b in buttons)
    reason = "Image export needs Chrome or Chromium: BROWSER_PATH '/nowhere/chromium' is not an executable file."
    assert any(c.value.startswith(f"Image downloads are off: {reason}") for c in at.caption)
    assert all(b.proto.help.startswith(reason) for b in buttons)


def test_the_deck_is_built_only_when_clicked(app, data_root, monkeypatch):
    from dashboard import export

    built = []
    real = export.render_deck
    monkeypatch.setattr(export, "render_deck", lambda *a, **k: built.append(k) or real(*a, **k))
    MeetingStore.open(data_root).add_action(
        "2026-09-30", "Answer MQLs within 8 hours", "carol", owner="Sam", due="2026-10-15"
    )
    at = app(segment="Enterprise")
    assert built == [] and not [b for b in at.get("download_button") if "funnel-review" in b.proto.label]
    at.button(key="export_deck").click().run()
    no_exception(at)
    assert len(built) == 1 and built[0]["record"].last_time[0].text == "Answer MQLs within 8 hours"
    (deck,) = [b for b in at.get("download_button") if "funnel-review" in b.proto.label]
    assert deck.proto.label == "Download funnel-review-2026-10-01-2026-10-31-enterprise.pptx"
    # no browser in these tests: the deck is still built, and the missing pictures are named
    assert any(w.value.startswith("Pictures left out of the deck: Image export needs Chrome") for w in at.warning)
    at.run()  # a rerun keeps the built deck for this view, without building it again
    assert len(built) == 1 and [b for b in at.get("download_button") if "funnel-review" in b.proto.label]

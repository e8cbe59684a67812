"""The meeting record (dashboard/meetings.py): chart notes, decisions and actions in <root>/meetings.sqlite.

Storage (WAL, versioned schema, two processes writing at once), bad input, `funnel notes export|import`,
a read-only root, the notes on trend charts (charts.note_layers) and the record in the deck.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sample_root import linked_sample

from dashboard import charts, export
from dashboard.api import Funnel
from dashboard.filters import Filters
from dashboard.meetings import DB_NAME, MAX_TEXT, MIGRATIONS, MeetingError, MeetingStore, data_root_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
TODAY = dt.date(2026, 11, 5)


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def store(root) -> MeetingStore:
    return MeetingStore.open(root)


# -- storage ---------------------------------------------------------------------------------------------
def test_nothing_is_written_until_the_first_write(root, store):
    assert store.notes() == [] and store.actions("2026-10-31") == []
    assert not (root / DB_NAME).exists()  # looking (opening a page) creates no file
    store.add_note("2026-07-14", "routing change", "alice")
    assert (root / DB_NAME).is_file()


def test_schema_is_versioned_and_the_database_is_in_wal_mode(root, store):
    store.add_note("2026-07-14", "routing change", "alice")
    con = sqlite3.connect(root / DB_NAME)
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert con.execute("select max(version) from schema_version").fetchone()[0] == len(MIGRATIONS)
    con.close()
    assert store.schema_version() == len(MIGRATIONS)
    # a second store on the same file migrates nothing again and sees the row
    again = MeetingStore.open(root)
    assert [n.text for n in again.notes()] == ["routing change"]
    assert again.schema_version() == len(MIGRATIONS)


def test_a_newer_schema_is_refused_with_a_reason(root, store):
    store.add_note("2026-07-14", "x", "alice")
    con = sqlite3.connect(root / DB_NAME)
    con.execute("insert into schema_version values (99)")
    con.commit()
    con.close()
    with pytest.raises(MeetingError, match="schema version 99, newer"):
        MeetingStore.open(root).notes()


def test_the_record_is_never_written_into_a_snapshot_folder(tmp_path):
    snapshot = tmp_path / "2026-10-31"
    snapshot.mkdir()
    (snapshot / "snapshot.json").write_text('{"as_of": "2026-10-31T23:59:59Z"}')
    assert data_root_of(snapshot) == tmp_path
    MeetingStore.open(snapshot).add_note("2026-10-01", "x", "a")
    assert (tmp_path / DB_NAME).is_file() and not (snapshot / DB_NAME).exists()


def _write_notes(root: str, writer: str, count: int) -> None:
    store = MeetingStore.open(root)
    for i in range(count):
        store.add_note(dt.date(2026, 1, 1) + dt.timedelta(days=i % 300), f"{writer} note {i}", writer)


def test_two_processes_writing_at_once_lose_nothing(root):
    # 2 processes x 300 notes, started together: 600 rows, each writer's 300 texts all there
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_notes, args=(str(root), w, 300)) for w in ("alice", "bob")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    notes = MeetingStore.open(root).notes()
    assert len(notes) == 600
    for writer in ("alice", "bob"):
        assert {n.text for n in notes if n.created_by == writer} == {f"{writer} note {i}" for i in range(300)}
    assert len({n.uid for n in notes}) == 600


# -- who and when ------------------------------------------------------------------------------------------
def test_each_row_records_who_and_when(store):
    note = store.add_note("2026-07-14", "routing change", "alice@example.com")
    action = store.add_action(
        "2026-10-31", "answer MQLs in 8 h", "bob@example.com", owner="Sam", due="2026-11-30", today=TODAY
    )
    store.set_status(action.id, "done", "carol@example.com")
    (stored,) = store.actions("2026-10-31")
    assert note.created_by == "alice@example.com" and stored.created_by == "bob@example.com"
    assert stored.status == "done" and stored.updated_by == "carol@example.com"
    for stamp in (note.created_at, stored.created_at, stored.updated_at):
        assert dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None


# -- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01"])
def test_empty_text_is_refused(store, text):
    with pytest.raises(MeetingError, match="is empty"):
        store.add_note("2026-07-14", text, "alice")
    with pytest.raises(MeetingError, match="is empty"):
        store.add_action("m", text, "alice", kind="decision")


def test_a_1mb_paste_is_refused_with_its_length(store):
    with pytest.raises(MeetingError, match=r"1,048,576 characters long; at most 2,000"):
        store.add_note("2026-07-14", "x" * 1_048_576, "alice")
    assert store.notes() == []
    assert store.add_note("2026-07-14", "y" * MAX_TEXT, "alice").text == "y" * MAX_TEXT


def test_a_due_date_in_the_past_is_refused(store):
    with pytest.raises(MeetingError, match="due date 2026-11-04 is in the past .today is 2026-11-05"):
        store.add_action("2026-10-31", "x", "a", owner="Sam", due="2026-11-04", today=TODAY)
    assert store.add_action("2026-10-31", "x", "a", owner="Sam", due=TODAY, today=TODAY).due == TODAY


def test_an_action_needs_an_owner_and_a_due_date(store):
    with pytest.raises(MeetingError, match="needs an owner"):
        store.add_action("2026-10-31", "x", "a", due="2026-12-01", today=TODAY)
    with pytest.raises(MeetingError, match="needs a due date"):
        store.add_action("2026-10-31", "x", "a", owner="Sam", today=TODAY)
    assert store.add_action("2026-10-31", "a decision", "a", kind="decision").owner is None


def test_a_note_outside_every_snapshot_is_refused(store):
    span = (dt.date(2025, 9, 1), dt.date(2026, 10, 31))
    for day in ("2026-11-01", "2025-08-31"):
        with pytest.raises(MeetingError, match=f"note date {day} is outside every snapshot"):
            store.add_note(day, "x", "a", span=span)
    assert store.add_note("2026-10-31", "x", "a", span=span).date == dt.date(2026, 10, 31)


def test_bad_dates_status_and_scope_are_refused(store):
    with pytest.raises(MeetingError, match="not a date"):
        store.add_note("14/07/2026", "x", "a")
    with pytest.raises(MeetingError, match="unknown filter owner"):
        store.add_note("2026-07-14", "x", "a", scope={"owner": "Sam"})
    with pytest.raises(MeetingError, match="status 'closed'"):
        store.set_status(1, "closed", "a")
    with pytest.raises(MeetingError, match="no decision or action with id 42"):
        store.set_status(42, "done", "a")


def test_markdown_and_html_are_stored_as_typed(store):
    text = "**bold** <script>alert(1)</script> <b>x</b>"
    assert store.add_note("2026-07-14", text, "a").text == text
    assert store.notes()[0].text == text


# -- scope ---------------------------------------------------------------------------------------------------
def test_a_note_shows_on_views_whose_filters_include_its_scope(store):
    store.add_note("2026-07-14", "everywhere", "a")
    store.add_note("2026-08-01", "enterprise only", "a", scope=Filters(segment="Enterprise"))
    texts = lambda f: [n.text for n in store.notes(f)]  # noqa: E731
    assert texts(Filters()) == ["everywhere"]
    assert texts(Filters(segment="Enterprise")) == ["everywhere", "enterprise only"]
    assert texts(Filters(segment="Enterprise", region="EMEA")) == ["everywhere", "enterprise only"]
    assert texts(Filters(segment="SMB")) == ["everywhere"]


def test_the_meeting_record_marks_overdue_actions(store):
    late = store.add_action("2026-09-30", "late", "a", owner="Sam", due="2026-10-15", today=dt.date(2026, 10, 1))
    store.add_action("2026-09-30", "on time", "a", owner="Kim", due="2026-12-01", today=dt.date(2026, 10, 1))
    done = store.add_action("2026-09-30", "done late", "a", owner="Kim", due="2026-10-02", today=dt.date(2026, 10, 1))
    store.set_status(done.id, "done", "a")
    store.add_action("2026-10-31", "today's", "a", kind="decision")
    record = store.record("2026-10-31", "2026-09-30", TODAY)
    assert [a.text for a in record.last_time] == ["late", "on time", "done late"]
    assert [a.text for a in record.today] == ["today's"]
    # open and due 15 Oct < 5 Nov: overdue; due 1 Dec: not yet; done: never overdue
    assert [a.overdue(TODAY) for a in record.last_time] == [True, False, False]
    assert late.overdue(TODAY)


# -- read-only root ------------------------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_root_shows_the_record_and_refuses_writes(root, store):
    store.add_note("2026-07-14", "routing change", "alice")
    # a WAL database folded back, then the folder made read-only (e.g. a mounted share)
    con = sqlite3.connect(root / DB_NAME)
    con.execute("pragma wal_checkpoint(truncate)")
    con.close()
    for extra in ("-wal", "-shm"):
        (root / f"{DB_NAME}{extra}").unlink(missing_ok=True)
    os.chmod(root / DB_NAME, 0o444)
    os.chmod(root, 0o555)
    try:
        ro = MeetingStore.open(root)
        assert not ro.writable and "read-only" in ro.read_only_reason
        assert [n.text for n in ro.notes()] == ["routing change"]
        with pytest.raises(MeetingError, match="can't be written.*read-only"):
            ro.add_note("2026-07-15", "x", "a")
    finally:
        os.chmod(root, 0o755)


def test_a_read_only_root_that_holds_no_record_shows_none(tmp_path):
    store = MeetingStore.open(tmp_path, read_only=True)
    assert store.notes() == [] and store.actions() == [] and not (tmp_path / DB_NAME).exists()


def test_a_spark_uri_keeps_no_record():
    with pytest.raises(MeetingError, match="read through Spark has no meeting record"):
        MeetingStore.open("s3a://bucket/funnel")


# -- funnel notes export | import ------------------------------------------------------------------------
def funnel_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_notes_export_and_import_between_roots(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    source = MeetingStore.open(a)
    source.add_note("2026-07-14", "routing <b>change</b>", "alice", scope={"segment": "SMB"}, page="funnel")
    source.add_action("2026-09-30", "answer in 8 h", "bob", owner="Sam", due="2026-10-15")
    source.add_action("2026-09-30", "pause paid search", "bob", kind="decision")
    out = tmp_path / "record.json"
    done = funnel_cli("notes", "export", "--data", str(a), "--out", str(out))
    assert done.returncode == 0, done.stderr
    payload = json.loads(out.read_text())
    assert len(payload["notes"]) == 1 and len(payload["actions"]) == 2
    first = funnel_cli("notes", "import", str(out), "--data", str(b))
    assert first.returncode == 0 and "1 notes (0 already there), 2 decisions and actions" in first.stdout
    again = funnel_cli("notes", "import", str(out), "--data", str(b))  # importing twice adds nothing
    assert "0 notes (1 already there), 0 decisions and actions (2 already there)" in again.stdout
    moved = MeetingStore.open(b)
    (note,) = moved.notes()
    assert (note.text, note.scope, note.created_by, note.page) == (
        "routing <b>change</b>",
        {"segment": "SMB"},
        "alice",
        "funnel",
    )
    assert [(x.kind, x.owner, x.due, x.created_by) for x in moved.actions()] == [
        ("action", "Sam", dt.date(2026, 10, 15), "bob"),
        ("decision", None, None, "bob"),
    ]


def test_notes_import_refuses_a_bad_file_whole(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "shared-funnel-meetings/1",
                "notes": [
                    {"uid": "a", "date": "2026-07-14", "text": "fine"},
                    {"uid": "b", "date": "2026-07-15", "text": "  "},
                ],
            }
        )
    )
    done = funnel_cli("notes", "import", str(bad), "--data", str(tmp_path))
    assert done.returncode == 2 and "notes[1]: text is empty" in done.stderr and "Traceback" not in done.stderr
    assert MeetingStore.open(tmp_path).notes() == []  # nothing half-written
    (tmp_path / "x.json").write_text("{not json")
    done = funnel_cli("notes", "import", str(tmp_path / "x.json"), "--data", str(tmp_path))
    assert done.returncode == 2 and "not valid JSON" in done.stderr
    (tmp_path / "y.json").write_text("[]")
    done = funnel_cli("notes", "import", str(tmp_path / "y.json"), "--data", str(tmp_path))
    assert done.returncode == 2 and "not a Shared Funnel meeting record" in done.stderr
    done = funnel_cli("notes", "export", "--data", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "no such folder" in done.stderr


# -- notes on charts -----------------------------------------------------------------------------------------
def _trend(notes=()):
    import polars as pl

    # three months, Jul-Sep 2026: the axis covers 1 Jul to 30 Sep
    frame = pl.DataFrame(
        {
            "period_key": ["2026-07-01..2026-07-31", "2026-08-01..2026-08-31", "2026-09-01..2026-09-30"],
            "mqls": [10, 12, 9],
            "cohort_mature": [True, True, True],
        }
    )
    return charts.trend_chart(frame, "mqls", notes=notes)


def test_notes_are_drawn_where_the_axis_covers_their_date(store):
    for day, text in (
        ("2026-06-30", "before"),
        ("2026-07-01", "first day"),
        ("2026-08-14", "<b>routing</b>"),
        ("2026-08-14", "second same day"),
        ("2026-09-30", "last day"),
        ("2026-10-01", "after"),
    ):
        store.add_note(day, text, "alice")
    fig = _trend(store.notes())
    (trace,) = [t for t in fig.data if t.meta == charts.NOTES_TRACE]
    assert list(trace.x) == [dt.date(2026, 7, 1), dt.date(2026, 8, 14), dt.date(2026, 9, 30)]
    hover = trace.hovertext[1]
    assert "&lt;b&gt;routing&lt;/b&gt;" in hover and "<b>routing" not in hover  # plain text, not HTML
    assert "second same day" in hover and "alice" in hover
    assert len([s for s in fig.layout.shapes if s.x0 == s.x1]) == 3  # one dotted line per day


def test_a_chart_without_notes_in_range_is_unchanged(store):
    store.add_note("2025-01-01", "long ago", "a")
    fig = _trend(store.notes())
    assert [t.meta for t in fig.data] == [None]


# -- the record in the deck ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_funnel():
    if not any(SAMPLE.glob("*/snapshot.json")):
        pytest.skip("no committed sample")
    return Funnel.open(SAMPLE)


def test_the_deck_carries_the_record_and_the_chart_notes(tmp_path, sample_funnel, monkeypatch):
    from pptx import Presentation

    monkeypatch.setenv("BROWSER_PATH", "/nowhere/chromium")  # the picture slides are not what is tested here
    store = MeetingStore.open(tmp_path)
    store.add_note("2026-07-14", "Routing change", "alice")
    store.add_note("2026-08-03", "Trade show", "bob", scope={"segment": "SMB"})  # not this view's: left out
    store.add_action(
        "2026-09-30", "Answer MQLs within 8 hours", "carol", owner="Sam", due="2026-10-15", today=dt.date(2026, 10, 1)
    )
    store.add_action("2026-10-31", "Pause non-brand paid search", "carol", kind="decision")
    record = store.record("2026-10-31", "2026-09-30", TODAY)
    steps = []
    result = export.render_deck(
        sample_funnel,
        None,
        Filters(),
        record=record,
        chart_notes=store.notes(),
        progress=lambda done, total, name: steps.append((done, total, name)),
    )
    assert result.slides == len(export.SLIDES) + 2
    assert steps[0] == (1, result.slides, "cover") and steps[-1] == (result.slides, result.slides, "agreed today")
    prs = Presentation(io.BytesIO(result.content))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[1] == "Agreed last time (2026-09-30): 0 of 1 done, 1 overdue"
    assert titles[-1] == "Agreed today (2026-10-31): 1 decision"
    table = next(sh for sh in prs.slides[1].shapes if sh.has_table).table
    assert table.cell(1, 0).text == "Action: Answer MQLs within 8 hours"
    assert (table.cell(1, 1).text, table.cell(1, 3).text) == ("Sam", "open · overdue")
    trend = next(s for s in prs.slides if any(sh.name == "Trend mql_to_sql_rate" for sh in s.shapes))
    chart = next(sh for sh in trend.shapes if sh.has_chart).chart
    assert "Jul 2026 ▲" in list(chart.plots[0].categories) and "Aug 2026" in list(chart.plots[0].categories)
    text = "\n".join(sh.text_frame.text for sh in trend.shapes if sh.has_text_frame)
    assert "▲ 14 Jul 2026: Routing change" in text and "Trade show" not in text
    assert "Routing change" in trend.notes_slide.notes_text_frame.text


def test_without_a_record_the_deck_is_unchanged(sample_funnel, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nowhere/chromium")
    result = export.render_deck(sample_funnel, None, Filters())
    assert result.slides == len(export.SLIDES)


def test_funnel_export_reads_the_roots_record(tmp_path, monkeypatch):
    from pptx import Presentation

    root = linked_sample(tmp_path / "root")
    MeetingStore.open(root).add_action(
        "2026-09-30", "Answer MQLs within 8 hours", "carol", owner="Sam", due="2026-10-15"
    )
    out = tmp_path / "deck.pptx"
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "export", "--data", str(root), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "BROWSER_PATH": "/nowhere/x"},
    )
    assert done.returncode == 0, done.stderr
    titles = [s.shapes.title.text for s in Presentation(str(out)).slides]
    assert titles[1].startswith("Agreed last time (2026-09-30)") and titles[-1] == "Agreed today"


def test_a_root_the_process_may_not_write_shows_the_record_and_says_why(root, store, monkeypatch):
    # as test_a_read_only_root_... but for any user (root ignores chmod): the permission check answers "no"
    store.add_note("2026-07-14", "routing change", "alice")
    monkeypatch.setattr("dashboard.meetings.os.access", lambda path, mode: not mode & os.W_OK)
    ro = MeetingStore.open(root)
    assert not ro.writable
    assert ro.read_only_reason == f"{str(root / DB_NAME)!r} is read-only"
    assert [n.text for n in ro.notes()] == ["routing change"]  # read through a read-only connection
    with pytest.raises(MeetingError, match="can't be written"):
        ro.add_action("2026-10-31", "x", "a", kind="decision")

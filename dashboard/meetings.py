"""The meeting's own record: chart notes, and the decisions and actions of each meeting.

A meeting reviews one snapshot, so a meeting is named by that snapshot's folder name ("2026-10-31"); the
previous meeting is the one that reviewed the snapshot before it.

Everything lives in one SQLite database beside the snapshots, `<data root>/meetings.sqlite`, never inside a
snapshot folder (snapshots are immutable). It is opened in WAL mode, so readers never wait for a writer and
several dashboard sessions (and processes) can write at once: each write is one short `BEGIN IMMEDIATE`
transaction on its own connection, and a writer that finds the database busy waits (busy timeout) instead
of failing. The schema is created and migrated here, recorded in a `schema_version` table.

The SQL is in this module rather than in queries/*.sql: those files are DuckDB queries over a read-only
snapshot, run through store.run_query; these statements are a different database's storage layer, written
together with the migrations that shape their tables, and no metric is computed from them.

No Streamlit here: the app passes who is writing (the signed-in user, else "anonymous").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dashboard.errors import FunnelError, UsageError
from dashboard.filters import FILTER_KEYS, Filters

DB_NAME = "meetings.sqlite"
KINDS = ("decision", "action")
STATUSES = ("open", "done", "dropped")
MAX_TEXT = 2_000  # characters in a note, decision or action: a sentence or a short paragraph, not a paste
MAX_OWNER = 120
BUSY_TIMEOUT_S = 30
EXPORT_FORMAT = "shared-funnel-meetings/1"
ANONYMOUS = "anonymous"
# control characters other than tab and newline: they can't be written to a PowerPoint file (XML) and
# have no business in a sentence
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# schema migrations, in order; schema_version holds how many have run
MIGRATIONS: tuple[str, ...] = (
    """
    create table notes (
        id integer primary key,
        uid text not null unique,           -- stable across export/import, so importing twice adds nothing
        note_date text not null,            -- ISO date the note explains (a day in the reporting time zone)
        body text not null,                 -- plain text, never rendered as Markdown or HTML
        segment text, region text, channel text, origin text, campaign text,  -- the scope, null = any
        page text,                          -- the page it was added from
        snapshot text,                      -- the snapshot on screen when it was written
        created_by text not null,
        created_at text not null            -- UTC, ISO-8601
    );
    create index notes_by_date on notes (note_date);
    create table actions (
        id integer primary key,
        uid text not null unique,
        meeting text not null,              -- the snapshot the meeting reviewed
        kind text not null check (kind in ('decision', 'action')),
        body text not null,
        owner text,
        due_date text,                      -- ISO date
        status text not null default 'open' check (status in ('open', 'done', 'dropped')),
        created_by text not null,
        created_at text not null,
        updated_by text,
        updated_at text
    );
    create index actions_by_meeting on actions (meeting);
    """,
)


class MeetingError(FunnelError):
    """Bad input for the meeting record, or a record that can't be written; the message says what."""


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def clean_text(text: object, what: str = "text", limit: int = MAX_TEXT) -> str:
    """Text as stored: stripped, control characters removed; empty or too long is refused."""
    if not isinstance(text, str):
        raise MeetingError(f"{what}: expected text, not {type(text).__name__}")
    value = _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    if not value:
        raise MeetingError(f"{what} is empty: write what the note, decision or action says")
    if len(value) > limit:
        raise MeetingError(
            f"{what} is {len(value):,} characters long; at most {limit:,} are kept in the meeting "
            "record (a sentence or a short paragraph; link a document for more)"
        )
    return value


def _date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise MeetingError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def _scope(scope: Filters | dict | None) -> dict[str, str]:
    if scope is None:
        return {}
    values = scope.active() if isinstance(scope, Filters) else {k: v for k, v in scope.items() if v not in (None, "")}
    unknown = set(values) - set(FILTER_KEYS)
    if unknown:
        raise MeetingError(
            f"note scope: unknown filter {', '.join(sorted(unknown))} (filters: {', '.join(FILTER_KEYS)})"
        )
    return {k: clean_text(str(v), f"note scope {k}", MAX_OWNER) for k, v in values.items()}


@dataclass(frozen=True)
class Note:
    """A dated explanation of a chart ("Jul: the routing change"), for the views its scope matches."""

    id: int
    uid: str
    date: dt.date
    text: str
    scope: dict[str, str] = field(default_factory=dict)  # filter -> value; empty: every view
    page: str | None = None
    snapshot: str | None = None
    created_by: str = ANONYMOUS
    created_at: str = ""

    def applies_to(self, filters: Filters) -> bool:
        """A note shows on a view that has every filter of its scope set to the same value (the view may
        filter more); a note without scope shows on every view."""
        active = filters.active()
        return all(active.get(k) == v for k, v in self.scope.items())

    def scope_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.scope.items()) or "all records"


@dataclass(frozen=True)
class Action:
    """A decision or an action agreed in a meeting (the meeting = the snapshot it reviewed)."""

    id: int
    uid: str
    meeting: str
    kind: str
    text: str
    owner: str | None
    due: dt.date | None
    status: str
    created_by: str
    created_at: str
    updated_by: str | None = None
    updated_at: str | None = None

    def overdue(self, today: dt.date) -> bool:
        """Still open after its due date."""
        return self.status == "open" and self.due is not None and self.due < today


# What a field is called in an error: in the app's forms, or in an export's JSON (`funnel notes import`).
FORM_NAMES = {"date": "note date", "text": "{kind} text", "author": "author", "due": "due date"}
EXPORT_NAMES = {"date": "date", "text": "text", "author": "created_by", "due": "due"}
# the columns a new note or action is stored in (its id and the updated_* of a status change come later)
NOTE_COLUMNS = (
    "uid, note_date, body, segment, region, channel, origin, campaign, page, snapshot, created_by, created_at"
)
ACTION_COLUMNS = "uid, meeting, kind, body, owner, due_date, status, created_by, created_at"


def _checked_note(uid, day, text, scope, page, snapshot, author, created_at, *, names: dict) -> Note:
    """A note as it is stored, its text cleaned, from the app's form or an export; refused when it is not
    one (the one set of checks both take)."""
    return Note(
        0,
        uid,
        _date(day, names["date"]),
        clean_text(text, names["text"].format(kind="note")),
        _scope(scope),
        page,
        snapshot,
        clean_text(author or ANONYMOUS, names["author"], MAX_OWNER),
        str(created_at or now_utc()),
    )


def _checked_action(
    uid, meeting, kind, text, owner, due, status, author, created_at, *, names: dict, updated_by=None, updated_at=None
) -> Action:
    """A decision or an action as it is stored, from the app's form or an export; refused when it is not one.
    What agreeing a new action asks more (an owner, a due date not past) is MeetingStore.add_action's."""
    if kind not in KINDS:
        raise MeetingError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    _check_status(status)
    return Action(
        0,
        uid,
        clean_text(meeting, "meeting", MAX_OWNER),
        kind,
        clean_text(text, names["text"].format(kind=kind)),
        clean_text(owner, "owner", MAX_OWNER) if owner not in (None, "") else None,
        _date(due, names["due"]) if due not in (None, "") else None,
        status,
        clean_text(author or ANONYMOUS, names["author"], MAX_OWNER),
        str(created_at or now_utc()),
        updated_by,
        updated_at,
    )


def _check_status(status: object) -> None:
    if status not in STATUSES:
        raise MeetingError(f"status {status!r}: one of {', '.join(STATUSES)}")


def _note_row(n: Note) -> tuple:
    """A note's values for NOTE_COLUMNS."""
    return (
        n.uid,
        n.date.isoformat(),
        n.text,
        *(n.scope.get(k) for k in FILTER_KEYS),
        n.page,
        n.snapshot,
        n.created_by,
        n.created_at,
    )


def _action_row(a: Action) -> tuple:
    """An action's values for ACTION_COLUMNS."""
    due = a.due.isoformat() if a.due else None
    return (a.uid, a.meeting, a.kind, a.text, a.owner, due, a.status, a.created_by, a.created_at)


def _marks(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


@dataclass(frozen=True)
class MeetingRecord:
    """What the Overview and the deck show: the previous meeting's items, and this meeting's."""

    meeting: str
    previous: str | None
    last_time: tuple[Action, ...]
    today: tuple[Action, ...]
    on: dt.date  # the day overdue is judged against


def data_root_of(data: str | Path) -> Path:
    """The folder that holds the snapshots: --data itself, or its parent when --data is one snapshot folder
    (the record is never written into a snapshot)."""
    path = Path(data).resolve()
    return path.parent if (path / "snapshot.json").is_file() else path


def _writable_reason(root: Path, db: Path) -> str | None:
    """Why the record can't be written here (None: it can)."""
    if not root.is_dir():
        return f"the data root {str(root)!r} is not a folder"
    if db.exists() and not os.access(db, os.W_OK):
        return f"{str(db)!r} is read-only"
    if not os.access(root, os.W_OK | os.X_OK):
        return f"the data root {str(root)!r} is read-only, so {DB_NAME} can't be written beside the snapshots"
    return None


class MeetingStore:
    """The meeting record of one data root. Thread- and process-safe: every call opens its own connection."""

    def __init__(self, data: str | Path, *, read_only: bool = False):
        if "://" in str(data):
            raise MeetingError(
                f"{data}: a data root read through Spark has no meeting record; notes, decisions "
                "and actions are kept beside local snapshot folders"
            )
        self.root = data_root_of(data)
        self.path = self.root / DB_NAME
        self.read_only_reason = "opened read-only" if read_only else _writable_reason(self.root, self.path)
        self._migrated = False
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data: str | Path, *, read_only: bool = False) -> MeetingStore:
        return cls(data, read_only=read_only)

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def writable(self) -> bool:
        return self.read_only_reason is None

    # -- connections -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection | None]:
        """A connection for one call; None when reading a record that doesn't exist (nothing recorded yet)."""
        if write and not self.writable:
            raise MeetingError(f"the meeting record can't be written: {self.read_only_reason}")
        # the file is created on the first write, never by looking: opening a page writes nothing
        if self.writable and (write or self.path.is_file()):
            self._ensure_schema()
        if not self.writable or not self.path.is_file():
            if not self.path.is_file():
                yield None
                return
            try:  # read-only: a WAL database needs its -shm file, which a read-only folder may lack
                con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
                con.execute("select count(*) from sqlite_master").fetchone()
            except sqlite3.OperationalError:
                con = sqlite3.connect(f"{self.path.as_uri()}?immutable=1", uri=True)
        else:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            con.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        con.row_factory = sqlite3.Row
        try:
            if write:
                con.execute("begin immediate")  # take the write lock now: no deadlock between two upgrades
                try:
                    yield con
                except BaseException:
                    con.execute("rollback")
                    raise
                con.execute("commit")
            else:
                yield con
        except sqlite3.DatabaseError as exc:  # e.g. still locked after the busy timeout, a damaged file
            raise MeetingError(
                f"{self.path}: the meeting record could not be {'written' if write else 'read'} ({exc})"
            ) from None
        finally:
            con.close()

    def _ensure_schema(self) -> None:
        with self._lock:
            if not self._migrated:
                self._migrate()
                self._migrated = True

    def _migrate(self) -> None:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise MeetingError(f"{self.path}: can't open the meeting record ({exc})") from None
        try:
            con.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_S * 1000}")
            con.execute("pragma journal_mode = wal")  # persistent: set once, holds for every later connection
            con.execute("begin immediate")
            con.execute("create table if not exists schema_version (version integer not null)")
            row = con.execute("select max(version) from schema_version").fetchone()
            version = row[0] or 0
            if version > len(MIGRATIONS):
                con.execute("rollback")
                raise MeetingError(
                    f"{self.path} has schema version {version}, newer than this program knows "
                    f"({len(MIGRATIONS)}): update Shared Funnel"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    con.execute(statement)
                con.execute("insert into schema_version (version) values (?)", (number,))
            con.execute("commit")
        except sqlite3.DatabaseError as exc:
            raise MeetingError(f"{self.path}: not a usable meeting record ({exc})") from None
        finally:
            con.close()

    def schema_version(self) -> int:
        with self._connect() as con:
            if con is None:
                return 0
            return con.execute("select max(version) from schema_version").fetchone()[0] or 0

    # -- chart notes -------------------------------------------------------------------------------------
    def add_note(
        self,
        day: dt.date | str,
        text: str,
        author: str,
        *,
        scope: Filters | dict | None = None,
        page: str | None = None,
        snapshot: str | None = None,
        span: tuple[dt.date, dt.date] | None = None,
        uid: str | None = None,
        created_at: str | None = None,
    ) -> Note:
        """Record a chart note. `span` (first, last day any snapshot's charts cover) refuses a note no chart
        could ever show."""
        note = _checked_note(
            uid or uuid.uuid4().hex, day, text, scope, page, snapshot, author, created_at, names=FORM_NAMES
        )
        if span is not None and not (span[0] <= note.date <= span[1]):
            raise MeetingError(
                f"note date {note.date.isoformat()} is outside every snapshot: the snapshots' charts cover "
                f"{span[0].isoformat()} to {span[1].isoformat()}"
            )
        with self._connect(write=True) as con:
            cur = con.execute(f"insert into notes ({NOTE_COLUMNS}) values ({_marks(NOTE_COLUMNS)})", _note_row(note))
            return Note(cur.lastrowid, *astuple_tail(note))

    def notes(
        self, filters: Filters | None = None, start: dt.date | None = None, end: dt.date | None = None
    ) -> list[Note]:
        """Notes by date (then by when written); only those for `filters` and within [start, end] when given."""
        with self._connect() as con:
            if con is None:
                return []
            rows = con.execute(
                "select * from notes where note_date >= coalesce(?, note_date) and note_date <= coalesce(?, note_date)"
                " order by note_date, id",
                (start.isoformat() if start else None, end.isoformat() if end else None),
            ).fetchall()
        found = [_note(r) for r in rows]
        return [n for n in found if filters is None or n.applies_to(filters)]

    # -- decisions and actions ---------------------------------------------------------------------------
    def add_action(
        self,
        meeting: str,
        text: str,
        author: str,
        *,
        kind: str = "action",
        owner: str | None = None,
        due: dt.date | str | None = None,
        today: dt.date | None = None,
        uid: str | None = None,
        status: str = "open",
        created_at: str | None = None,
    ) -> Action:
        """Record a decision or an action of a meeting. An action needs an owner and a due date not before
        `today` (the day it is agreed); a decision may have either."""
        if kind == "action" and not (isinstance(owner, str) and owner.strip()):
            raise MeetingError("an action needs an owner: who will do it")
        action = _checked_action(
            uid or uuid.uuid4().hex, meeting, kind, text, owner, due, status, author, created_at, names=FORM_NAMES
        )
        if kind == "action" and action.due is None:
            raise MeetingError("an action needs a due date")
        if action.due is not None and today is not None and action.due < today:
            raise MeetingError(f"due date {action.due.isoformat()} is in the past (today is {today.isoformat()})")
        with self._connect(write=True) as con:
            cur = con.execute(
                f"insert into actions ({ACTION_COLUMNS}) values ({_marks(ACTION_COLUMNS)})", _action_row(action)
            )
            return Action(cur.lastrowid, *astuple_tail(action))

    def set_status(self, action_id: int, status: str, author: str) -> None:
        _check_status(status)
        with self._connect(write=True) as con:
            cur = con.execute(
                "update actions set status = ?, updated_by = ?, updated_at = ? where id = ?",
                (status, clean_text(author or ANONYMOUS, "author", MAX_OWNER), now_utc(), int(action_id)),
            )
            if cur.rowcount == 0:
                raise MeetingError(f"no decision or action with id {action_id}")

    def actions(self, meeting: str | None = None) -> list[Action]:
        """A meeting's decisions and actions in the order recorded (every meeting's when None)."""
        with self._connect() as con:
            if con is None:
                return []
            rows = con.execute(
                "select * from actions where meeting = coalesce(?, meeting) order by meeting, id", (meeting,)
            ).fetchall()
        return [_action(r) for r in rows]

    def record(self, meeting: str, previous: str | None, on: dt.date) -> MeetingRecord:
        return MeetingRecord(
            meeting, previous, tuple(self.actions(previous)) if previous else (), tuple(self.actions(meeting)), on
        )

    # -- moving the record between data roots ------------------------------------------------------------
    def export_json(self) -> dict:
        return {
            "format": EXPORT_FORMAT,
            "exported_at": now_utc(),
            "root": str(self.root),
            "notes": [_note_json(n) for n in self.notes()],
            "actions": [_action_json(a) for a in self.actions()],
        }

    def import_json(self, payload: object, where: str = "the import") -> dict[str, int]:
        """Add the notes and actions of an export that are not here yet (matched by uid), in one transaction:
        a bad row refuses the whole file and writes nothing."""
        if not isinstance(payload, dict) or payload.get("format") != EXPORT_FORMAT:
            raise MeetingError(
                f'{where}: not a Shared Funnel meeting record (expected "format": '
                f'"{EXPORT_FORMAT}", from `funnel notes export`)'
            )
        notes, actions = payload.get("notes", []), payload.get("actions", [])
        if not isinstance(notes, list) or not isinstance(actions, list):
            raise MeetingError(f'{where}: "notes" and "actions" must be lists')
        rows_n, rows_a = [], []
        for i, n in enumerate(notes):
            try:
                note = _checked_note(
                    str(n["uid"]),
                    n["date"],
                    n["text"],
                    n.get("scope") or {},
                    n.get("page"),
                    n.get("snapshot"),
                    n.get("created_by"),
                    n.get("created_at"),
                    names=EXPORT_NAMES,
                )
                rows_n.append(_note_row(note))
            except (KeyError, TypeError, AttributeError, MeetingError) as exc:
                raise MeetingError(f"{where}: notes[{i}]: {_why(exc)}") from None
        for i, a in enumerate(actions):
            try:
                action = _checked_action(
                    str(a["uid"]),
                    a["meeting"],
                    a["kind"],
                    a["text"],
                    a.get("owner"),
                    a.get("due"),
                    a.get("status", "open"),
                    a.get("created_by"),
                    a.get("created_at"),
                    names=EXPORT_NAMES,
                    updated_by=a.get("updated_by"),
                    updated_at=a.get("updated_at"),
                )
                rows_a.append((*_action_row(action), action.updated_by, action.updated_at))
            except (KeyError, TypeError, AttributeError, MeetingError) as exc:
                raise MeetingError(f"{where}: actions[{i}]: {_why(exc)}") from None
        with self._connect(write=True) as con:
            before = con.total_changes
            con.executemany(f"insert or ignore into notes ({NOTE_COLUMNS}) values ({_marks(NOTE_COLUMNS)})", rows_n)
            added_notes = con.total_changes - before
            columns = f"{ACTION_COLUMNS}, updated_by, updated_at"
            con.executemany(f"insert or ignore into actions ({columns}) values ({_marks(columns)})", rows_a)
            added_actions = con.total_changes - before - added_notes
        return {
            "notes_added": added_notes,
            "notes_skipped": len(rows_n) - added_notes,
            "actions_added": added_actions,
            "actions_skipped": len(rows_a) - added_actions,
        }


def _statements(script: str) -> list[str]:
    """A migration script as single statements (executescript would commit the migration's transaction)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return [s for s in out if s.strip(" ;\n")]


def astuple_tail(item) -> tuple:
    """Every field of a Note/Action but its id (to rebuild it with the id the database gave)."""
    return tuple(getattr(item, f) for f in list(item.__dataclass_fields__)[1:])


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)


def _note(row: sqlite3.Row) -> Note:
    return Note(
        row["id"],
        row["uid"],
        dt.date.fromisoformat(row["note_date"]),
        row["body"],
        {k: row[k] for k in FILTER_KEYS if row[k] is not None},
        row["page"],
        row["snapshot"],
        row["created_by"],
        row["created_at"],
    )


def _action(row: sqlite3.Row) -> Action:
    return Action(
        row["id"],
        row["uid"],
        row["meeting"],
        row["kind"],
        row["body"],
        row["owner"],
        dt.date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        row["status"],
        row["created_by"],
        row["created_at"],
        row["updated_by"],
        row["updated_at"],
    )


def _note_json(n: Note) -> dict:
    d = asdict(n)
    d.pop("id")
    d["date"] = n.date.isoformat()
    return d


def _action_json(a: Action) -> dict:
    d = asdict(a)
    d.pop("id")
    d["due"] = a.due.isoformat() if a.due else None
    return d


# -- `funnel notes export | import` -----------------------------------------------------------------------
def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="notes_command", required=True, metavar="export|import")
    ex = sub.add_parser("export", help="write the data root's meeting record (notes, decisions, actions) as JSON")
    ex.add_argument("--data", default="data/sample", help="the data root whose meetings.sqlite to read")
    ex.add_argument("--out", metavar="FILE.json", help="where to write (default: standard output)")
    im = sub.add_parser("import", help="add the notes, decisions and actions of an export not already there")
    im.add_argument("file", metavar="FILE.json", help="a file written by `funnel notes export`")
    im.add_argument("--data", default="data/sample", help="the data root whose meetings.sqlite to add to")


def run(args) -> int:
    if not Path(args.data).is_dir():
        raise UsageError(f"--data {args.data!r}: no such folder")
    if args.notes_command == "export":
        store = MeetingStore.open(args.data, read_only=True)
        text = json.dumps(store.export_json(), indent=2, ensure_ascii=False) + "\n"
        if args.out:
            out = Path(args.out)
            if not out.parent.is_dir():
                raise UsageError(f"--out {args.out!r}: folder {str(out.parent)!r} does not exist")
            out.write_text(text, encoding="utf-8")
            payload = json.loads(text)
            print(
                f"wrote {out}: {len(payload['notes'])} notes, {len(payload['actions'])} decisions and actions",
                file=sys.stderr,
            )
        else:
            sys.stdout.write(text)
        return 0
    source = Path(args.file)
    try:
        payload = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{args.file!r}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{args.file!r}: not valid JSON ({exc})") from None
    store = MeetingStore.open(args.data)
    counts = store.import_json(payload, where=str(source))
    print(
        f"imported into {store.path}: {counts['notes_added']} notes ({counts['notes_skipped']} already there), "
        f"{counts['actions_added']} decisions and actions ({counts['actions_skipped']} already there)"
    )
    return 0

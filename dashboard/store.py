"""The only module that talks to DuckDB: a snapshot's tables as read-only views, and run_query().

A snapshot never changes, so the per-lead and per-opportunity facts that queries/facts/views.sql builds
(lead_facts, opportunity_facts, attribution_credits, touches) are prepared once and kept in a DuckDB
file beside the data root, `<root>/.cache/<snapshot>-<key>.duckdb`: the next process opens it
read-only in a fraction of the time, and DuckDB pages its compressed columns in as queries need them
instead of holding every table in memory. The key hashes everything the facts depend on (the
snapshot's files, views.sql, the policy values and as_of it binds, the DuckDB version), so a changed input
prepares anew. Where no cache folder is writable the facts are built in memory, as before.

A snapshot is checked against the data contract the first time it is opened (`check_contract`); the
report is kept beside the prepared facts (`<snapshot>-<key>.contract.json`), so a later open costs a
file read. One that breaks the contract is refused (SnapshotInvalid), never computed from.

Prepared facts heal (docs/decisions.md, "Faults"): a facts file that fails to attach or to read
(truncated, zero bytes, flipped bytes) is moved aside and prepared again, or the facts are built in
memory, with one warning; a DuckDB I/O error while preparing (a full disk) is handled as any I/O error:
the next cache folder, then memory. Temporary files a killed preparation left are removed after a day.

Queries are files under queries/: the queries callers run by name at the top, the CTEs they share in
fragments/, the prepared facts in facts/, the data contract's table checks in checks/ (run by
validate.py). A line `-- @include NAME.sql` pastes a file beside the including one, or a shared
fragment (a list of CTEs), in its place, so a definition used by several queries is written once. User values reach SQL
only as bound `$parameters`; each query receives just the parameters it names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from functools import cache
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from dashboard.business_calendar import empty_tables
from dashboard.business_calendar import working_time_tables as build_working_time
from dashboard.contract import TABLE_ORDER
from dashboard.filters import policy_params
from dashboard.policy import Policy, load_policy
from dashboard.resources import queries_dir
from dashboard.snapshots import SnapshotError, SnapshotInfo, data_root_of, resolve

# a cache file untouched this long belongs to no live preparation (10M leads prepare in under 2 minutes)
STALE_SECONDS = 24 * 3600
# DuckDB's words for a database file it cannot trust (its checksums, its header, a short read)
_DAMAGED = (
    "Corrupt database file",
    "not a valid DuckDB database file",
    "checksum",
    "Could not read enough bytes",
    "Serialization Error",
    "Deserialization",
)

FRAGMENTS = "fragments"  # queries/fragments/: the CTEs queries share through `-- @include name.sql`
FACTS = "facts"  # queries/facts/: the prepared facts (views.sql and what it includes), built once per snapshot
CHECKS = "checks"  # queries/checks/: the data contract's table and cross-table checks (dashboard/validate.py)
FOLDERS = (FRAGMENTS, FACTS, CHECKS)
VIEWS = f"{FACTS}/views"  # the prepared facts' statements; its text (includes expanded) is part of the facts' key
CALENDAR_SPAN = f"{FACTS}/calendar_span"  # the span of time the business clock's working-time tables cover
QUERIES_DIR = queries_dir()  # inside the installed package, or the checkout's queries/ (dashboard/resources.py)
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+([\w.-]+\.sql)[ \t]*$", re.MULTILINE)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
CACHE_DIR_NAME = ".cache"
# Preparing the facts sorts and joins every touch; DuckDB spills what exceeds this to a temporary file
# beside the cache. Measured on 10M leads (48M touches): peak RSS 4.5 GB -> 1.7 GB, time unchanged
# (102 s -> 103 s).
PREPARE_MEMORY_LIMIT = "1500MB"
# Querying the attached facts file: DuckDB keeps the file's blocks it has read cached up to its memory
# limit, by default 80% of RAM, so a long meeting on 10M leads grew the process to 2.7 GB with most of
# it cache. Capped, the cache evicts instead (the dashboard shares the laptop with a browser and the
# slides). Not applied to facts built in memory, which must fit whole.
QUERY_MEMORY_LIMIT = "1500MB"
# run() executes on a cursor and takes the result as Arrow: the relation API (cursor.sql(...).pl())
# binds and optimises the query twice, which measured 40 ms of a 126 ms kpis query. The copy DuckDB
# warns about is of the result, a few rows for a metric query.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


@cache
def query_names() -> list[str]:
    """Every query file's name (without .sql; one in a sub-folder as "<folder>/<name>"), sorted."""
    top = [path.stem for path in QUERIES_DIR.glob("*.sql")]
    nested = [f"{folder}/{path.stem}" for folder in FOLDERS for path in (QUERIES_DIR / folder).glob("*.sql")]
    return sorted(top + nested)


def query_path(name: str, beside: str = "") -> Path:
    """queries/<name>.sql (a name may start with its folder: "facts/views", "checks/<check>").

    A name `-- @include` gives (a file name alone) is looked for beside the including file (`beside`,
    its folder under queries/), then among the fragments: queries/ holds the queries callers run by
    name, queries/fragments/ the CTEs they share."""
    file_name = name if name.endswith(".sql") else f"{name}.sql"
    for folder in dict.fromkeys((beside, "", FRAGMENTS)):
        path = QUERIES_DIR / folder / file_name
        if path.is_file():
            return path
    raise FileNotFoundError(f"queries/{file_name}: no such query")


def query_text(name: str) -> str:
    """The SQL of queries/<name>.sql with its includes expanded."""
    return _expand(name if name.endswith(".sql") else f"{name}.sql", ())


def _expand(file_name: str, seen: tuple[str, ...], beside: str = "") -> str:
    if file_name in seen:
        raise ValueError(f"queries/{file_name}: include cycle through {' -> '.join(seen)}")
    path = query_path(file_name, beside)
    folder = path.parent.relative_to(QUERIES_DIR).as_posix()
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: _expand(m.group(1), seen + (file_name,), folder), text)


def sql_parameters(sql: str) -> frozenset[str]:
    """The `$names` a piece of SQL binds (comments ignored)."""
    return frozenset(_PARAM.findall(_COMMENT.sub("", sql)))


@cache
def query_parameters(name: str) -> frozenset[str]:
    """The `$names` queries/<name>.sql binds."""
    return sql_parameters(query_text(name))


def bound_parameters(name: str, params: dict[str, object] | None) -> dict[str, object]:
    """The values queries/<name>.sql binds, taken from `params`; a missing one is a programming error."""
    wanted = query_parameters(name)
    params = params or {}
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"queries/{name}.sql needs parameters {', '.join(sorted(missing))}")
    return {k: params[k] for k in wanted}


def view_statements() -> list[str]:
    """queries/facts/views.sql as its statements, in order (pieces that are only comments dropped)."""
    return [text for text in query_text(VIEWS).split(";\n") if _COMMENT.sub("", text).strip()]


def query_header(name: str) -> str:
    """The leading comment block of a query file: what it answers, its grain, its parameters."""
    lines = []
    for line in query_path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines).strip()


class Store:
    """One snapshot opened read-only: DuckDB views over its Parquet files, plus the agreed policy.

    One DuckDB connection per Store; each query runs on its own cursor, so threads (Streamlit
    sessions) can share a Store safely.
    """

    def __init__(self, snapshot: SnapshotInfo, policy: Policy, prepared: bool = True):
        self.snapshot = snapshot
        self.policy = policy
        self._lock = threading.Lock()
        # each query parsed once: DuckDB 2's parser took 20 ms of a 105 ms KPI query (1M leads), and
        # executing a parsed statement binds and plans a copy of it with the values given
        self._statements: dict[str, duckdb.Statement] = {}
        # The facts depend on the policy (fixed per data root) and the snapshot's as_of: the
        # attribution lookback, and each lead's outcomes under W, H and D (facts/lead_outcomes.sql).
        self._view_params = policy_params(policy, snapshot.as_of)
        self._healed = False
        facts = prepare_facts(snapshot, self._view_params) if prepared else None
        try:
            self._con = self._connect_facts(facts)
        except duckdb.Error as exc:
            if facts is None or not is_damaged(exc):
                raise
            self._con = self._connect_facts(self._heal_facts(facts, exc))
        self.facts_path = self._facts

    def _connect_facts(self, facts: Path | None) -> duckdb.DuckDBPyConnection:
        """A connection with the snapshot's raw tables and its facts (attached, or built in memory)."""
        self._facts = facts
        con = _connect(":memory:")
        try:
            _register_snapshot(con, self.snapshot)  # raw_<table>: the record tables show the source rows
            if facts is None:
                _run_views(con, self._view_params)
                return con
            # the facts file attached read-only, each of its tables seen under its own name (a view,
            # so every cursor sees it: a search_path setting would hold for this connection only)
            con.execute("SET memory_limit = $limit", {"limit": QUERY_MEMORY_LIMIT})
            # what exceeds it spills beside the facts, not into `.tmp/` under whatever folder the user
            # started the command in (DuckDB's default for an in-memory database)
            con.execute("SET temp_directory = $folder", {"folder": str(facts.parent / "spill")})
            con.execute("ATTACH $path AS facts (READ_ONLY)", {"path": str(facts)})
            kept = con.execute(
                "select table_name from duckdb_tables() where database_name = 'facts' order by table_name"
            ).fetchall()
            for (table,) in kept:
                con.table(f'facts.main."{table}"').create_view(table)
            return con
        except BaseException:
            con.close()
            raise

    def _heal_facts(self, facts: Path, exc: BaseException) -> Path | None:
        """A damaged facts file: moved aside and prepared again (or the facts built in memory where it
        cannot be), with one warning. Returns the facts to use."""
        moved = set_aside(facts)
        self._healed = True
        again = prepare_facts(self.snapshot, self._view_params)
        if again is not None:
            try:  # the new file must attach, or this snapshot is built in memory
                _connect_facts_check(again)
            except duckdb.Error:
                set_aside(again)
                again = None
        where = f"prepared again as {again.name}" if again else "built in memory for this run"
        warn_once(
            f"the prepared facts {facts} could not be read ({_first_line(exc)}); moved aside to "
            f"{moved.name if moved else '(could not be moved)'} and {where}"
        )
        return again

    @classmethod
    def open(cls, data: Path | str, snapshot: str | None = None) -> Store:
        """The snapshot `data` and `snapshot` name, checked against the data contract first (the check
        runs once per snapshot; SnapshotInvalid when it breaks the contract)."""
        info = resolve(Path(data), snapshot)
        policy = load_policy(data_root_of(info.path))
        require_valid(info)
        return cls(info, policy)

    def run(self, name: str, params: dict[str, object] | None = None) -> pl.DataFrame:
        """Run queries/<name>.sql with the parameters it names taken from `params`."""
        sql, bound = query_text(name), bound_parameters(name, params)
        for attempt in (1, 2):
            with self._lock:
                con = self._con
                statement = self._statements.get(name)
                if statement is None:
                    [statement] = con.extract_statements(sql)
                    self._statements[name] = statement
                cursor = con.cursor()
            try:
                return pl.from_arrow(cursor.execute(statement, bound).to_arrow_table())
            except duckdb.Error as exc:
                # a facts file damaged after it was attached (a block that fails its checksum): heal
                # once, then ask again; any other error is the query's own
                if attempt == 2 or self._facts is None or not is_damaged(exc):
                    raise
                self._reconnect_after(con, exc)
            finally:
                cursor.close()
        raise AssertionError("unreachable")

    def stream(
        self, name: str, params: dict[str, object] | None = None, batch_rows: int = 64 * 1024
    ) -> pa.RecordBatchReader:
        """queries/<name>.sql's rows as Arrow batches, read as they are consumed (a record download
        never holds the whole result). The reader owns its cursor; read it to the end or close it."""
        bound = bound_parameters(name, params)
        with self._lock:
            cursor = self._con.cursor()
        try:
            return cursor.execute(query_text(name), bound).to_arrow_reader(batch_rows)
        except BaseException:
            cursor.close()
            raise

    def _reconnect_after(self, broken: duckdb.DuckDBPyConnection, exc: BaseException) -> None:
        with self._lock:
            if self._con is not broken:
                return  # another thread healed it already
            facts = self._heal_facts(self._facts, exc)
            self._con = self._connect_facts(facts)
            self.facts_path = facts
        broken.close()

    def run_with(self, name: str, params: dict[str, object] | None, inputs: dict[str, pl.DataFrame]) -> pl.DataFrame:
        """Run queries/<name>.sql with `inputs` visible to it as tables under their names: how a query
        reads another snapshot's rows (the changes between two snapshots). Each input is registered on
        this query's own cursor only, so concurrent queries never see each other's."""
        sql, bound = query_text(name), bound_parameters(name, params)
        with self._lock:
            cursor = self._con.cursor()
        try:
            for table, frame in inputs.items():
                cursor.register(table, frame.to_arrow())
            return pl.from_arrow(cursor.execute(sql, bound).to_arrow_table())
        finally:
            cursor.close()

    def close(self) -> None:
        self._con.close()


# -- connections and the prepared facts ---------------------------------------------------------------


def _connect(database: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database, read_only=read_only)  # threads: DuckDB uses every core it may
    con.execute("SET TimeZone = 'UTC'")
    return con


def _table_sources(snapshot: SnapshotInfo) -> dict[str, Path]:
    sources = {}
    for table in TABLE_ORDER:
        path = snapshot.path / f"{table}.parquet"
        if not (path.is_dir() or path.is_file()):
            raise SnapshotError(f"{snapshot.path}: {table}.parquet is missing")
        sources[table] = path
    return sources


def _register_snapshot(con: duckdb.DuckDBPyConnection, snapshot: SnapshotInfo) -> None:
    """raw_<table>: a temporary view over each of the snapshot's Parquet files (or folders of them)."""
    for table, path in _table_sources(snapshot).items():
        source = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        # The Python relation API takes the path as a value, never as SQL text.
        con.read_parquet(source).create_view(f"raw_{table}")


def _run_views(con: duckdb.DuckDBPyConnection, view_params: dict[str, object]) -> None:
    _register_working_time(con, view_params)
    for statement in view_statements():
        con.execute(statement, {k: view_params[k] for k in sql_parameters(statement)})


def working_time_tables(view_params: dict[str, object], span) -> dict[str, object]:
    """The SLA clock's tables (business_calendar.py) for a snapshot: empty under the calendar clock; under
    the business clock, covering `span()`'s (first_us, last_us) of the snapshot's timestamps and as_of.
    Shared with the Spark engine, which registers the same Arrow tables."""
    if not view_params.get("business_clock"):
        return empty_tables()
    as_of_us = int(view_params["as_of_us"])
    first_us, last_us = span()
    return build_working_time(
        view_params["business_calendars"],
        as_of_us if first_us is None else int(first_us),
        as_of_us if last_us is None else int(last_us),
        as_of_us,
    )


def _register_working_time(con: duckdb.DuckDBPyConnection, view_params: dict[str, object]) -> None:
    """calendars, calendar_regions, working_hours: temporary views over Arrow tables, read once by
    facts/lead_outcomes.sql while the facts are prepared (not kept in the facts file)."""

    def span():
        [row] = con.execute(query_text(CALENDAR_SPAN)).fetchall()
        return row

    for name, table in working_time_tables(view_params, span).items():
        con.register(name, table)


def facts_key(snapshot: SnapshotInfo, view_params: dict[str, object]) -> str:
    """A digest of everything the prepared facts depend on."""
    digest = hashlib.sha256()
    digest.update(duckdb.__version__.encode())
    digest.update(query_text(VIEWS).encode())  # lead_outcomes.sql included
    digest.update(query_text(CALENDAR_SPAN).encode())  # the span the business clock's working time covers
    digest.update(repr(sorted(view_params.items())).encode())
    for table, path in _table_sources(snapshot).items():
        files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
        for file in files:
            stat = file.stat()
            digest.update(f"{table}:{file.relative_to(snapshot.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def cache_folders(snapshot: SnapshotInfo) -> list[Path]:
    """Where prepared facts may live, in order: beside the snapshots, else the user's cache folder."""
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shared-funnel"
    # the user cache serves several data roots: one sub-folder per resolved root
    root = snapshot.path.resolve().parent
    return [root / CACHE_DIR_NAME, user_cache / hashlib.sha256(str(root).encode()).hexdigest()[:16]]


def prepare_facts(snapshot: SnapshotInfo, view_params: dict[str, object]) -> Path | None:
    """The prepared-facts file for this snapshot, built now if missing; None where none can be written.

    Built in a temporary file and renamed into place, so a reader never sees a half-written one and
    two processes preparing at once both end with a whole file. Older files of the same snapshot
    (a replaced snapshot, another policy) are removed once the new one is in place.
    """
    key = facts_key(snapshot, view_params)
    for folder in cache_folders(snapshot):
        final = folder / f"{snapshot.name}-{key}.duckdb"
        if final.is_file():
            return final
        clean_orphans(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=f".{snapshot.name}-", suffix=".tmp", dir=folder)
        except OSError:
            continue  # not writable here: try the next folder
        os.close(handle)
        temp = Path(temp_name)
        temp.unlink()  # DuckDB creates the file itself
        try:
            con = _connect(str(temp))
            try:
                con.execute("SET memory_limit = $limit", {"limit": PREPARE_MEMORY_LIMIT})
                _register_snapshot(con, snapshot)
                _run_views(con, view_params)
            finally:
                con.close()
            os.replace(temp, final)
        except (OSError, duckdb.Error) as exc:
            # no room or no permission here (a full disk reaches us as a DuckDB IOException, or as a
            # failed commit naming the file): the next folder, else the facts are built in memory, with
            # one warning saying why. Any other DuckDB error is a bug, raised.
            _remove(temp, Path(f"{temp}.wal"))
            if not isinstance(exc, OSError) and not is_io_error(exc):
                raise
            warn_once(f"could not prepare the facts in {folder} ({_first_line(exc)}); trying elsewhere")
            continue
        except BaseException:
            _remove(temp, Path(f"{temp}.wal"))
            raise
        for stale in folder.glob(f"{snapshot.name}-*.duckdb"):
            if stale != final:
                _remove(stale, Path(f"{stale}.wal"))
        return final
    return None


def _remove(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink()
        except OSError:
            pass


# -- faults: damaged facts, orphans, one warning --------------------------------------------------------

_WARNED: set[str] = set()


def warn_once(text: str) -> None:
    """A warning on stderr, once per process (the dashboard's server log, the CLI's terminal)."""
    if text in _WARNED:
        return
    _WARNED.add(text)
    print(f"funnel: warning: {text}", file=sys.stderr)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def is_damaged(exc: BaseException) -> bool:
    """Whether a DuckDB error says a database file is unreadable (not that a query is wrong)."""
    return isinstance(exc, duckdb.IOException) or any(word in str(exc) for word in _DAMAGED)


# DuckDB's words for a write the file system refused (its errors carry no errno)
_IO_WORDS = (
    "Could not write file",
    "No space left on device",
    "File too large",
    "Disk quota exceeded",
    "Read-only file system",
    "Permission denied",
    "Could not create",
    "Could not open file",
)


def is_io_error(exc: BaseException) -> bool:
    """Whether a DuckDB error is the file system's (a full disk, no permission), not the query's."""
    return isinstance(exc, duckdb.IOException) or any(word in str(exc) for word in _IO_WORDS)


def _connect_facts_check(path: Path) -> None:
    """Attach a facts file read-only and read every table's row count and first block."""
    con = _connect(":memory:")
    try:
        con.execute("ATTACH $path AS facts (READ_ONLY)", {"path": str(path)})
        for (table,) in con.execute("select table_name from duckdb_tables() where database_name = 'facts'").fetchall():
            con.table(f'facts.main."{table}"').limit(1).fetchall()
    finally:
        con.close()


def set_aside(path: Path) -> Path | None:
    """Move a damaged cache file (and its .wal) out of the way, for a person to look at; removed by
    clean_orphans after a day. None when it could not be moved (then it is deleted, if possible)."""
    aside = path.with_name(f".{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        os.replace(path, aside)
    except OSError:
        _remove(path)
        aside = None
    _remove(Path(f"{path}.wal"))
    return aside


def clean_orphans(folder: Path) -> list[Path]:
    """Remove what killed preparations left in a cache folder: temporary files (`.<snapshot>-*.tmp`
    and their .wal) and damaged files set aside, once untouched for a day (a younger one may be a live
    preparation's); a .wal beside no database at once (DuckDB leaves none after a clean close)."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for path in entries:
        name = path.name
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        temporary = name.startswith(".") and (name.endswith(".tmp") or name.endswith(".tmp.wal") or ".damaged-" in name)
        orphan_wal = (
            name.endswith(".duckdb.wal")
            and not name.startswith(".")
            and not path.with_name(name[:-4]).exists()
            and age > 60
        )
        if (temporary and age > STALE_SECONDS) or orphan_wal:
            _remove(path)
            removed.append(path)
    return removed


# -- the contract, checked on open ----------------------------------------------------------------------


class SnapshotInvalid(SnapshotError):
    """A snapshot that breaks the data contract: nothing is computed from it. `report` holds the
    findings (dashboard.validate.Report)."""

    def __init__(self, snapshot: SnapshotInfo, report):
        self.snapshot = snapshot
        self.report = report
        rules = "; ".join(
            f"{f.file} · {f.column + ' · ' if f.column else ''}{f.rule}: {f.message}" for f in report.errors[:3]
        )
        more = f" (and {len(report.errors) - 3} more)" if len(report.errors) > 3 else ""
        super().__init__(
            f"snapshot {snapshot.name} ({snapshot.path}) breaks the data contract, so no number is computed "
            f"from it: {rules}{more}. Run `funnel validate {snapshot.path}` for the full report."
        )


def _contract_key(snapshot: SnapshotInfo) -> str:
    """A digest of what a contract check depends on: the checks' code (validate.py, contract.py and
    queries/checks/) and the snapshot's files."""
    # lazy: validate imports this module (its checks are queries run through the store's loader)
    import dashboard.contract
    import dashboard.validate

    digest = hashlib.sha256()
    for module in (dashboard.contract, dashboard.validate):
        digest.update(Path(module.__file__).read_bytes())
    for name in query_names():
        if name.startswith(f"{CHECKS}/"):
            digest.update(f"{name}\n{query_text(name)}".encode())
    for file in sorted(snapshot.path.rglob("*")):
        if file.is_file():
            stat = file.stat()
            digest.update(f"{file.relative_to(snapshot.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def check_contract(snapshot: SnapshotInfo):
    """The snapshot's contract report (dashboard.validate.Report): read from its cache file when the
    snapshot was checked before, else checked now and kept (where a cache folder is writable)."""
    from dashboard.validate import Report, validate_snapshot  # lazy: validate imports this module

    key = _contract_key(snapshot)
    for folder in cache_folders(snapshot):
        kept = folder / f"{snapshot.name}-{key}.contract.json"
        try:
            return Report.from_dict(json.loads(kept.read_text(encoding="utf-8")))
        except FileNotFoundError:
            continue
        except (OSError, ValueError, KeyError, TypeError):
            _remove(kept)  # damaged: checked again below
    report = validate_snapshot(snapshot.path)
    text = json.dumps(report.to_dict(), default=str)
    for folder in cache_folders(snapshot):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{snapshot.name}-", suffix=".tmp", dir=folder)
        except OSError:
            continue  # not writable here: try the next folder
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(temp, folder / f"{snapshot.name}-{key}.contract.json")
        except OSError:
            _remove(Path(temp))
            continue
        for stale in folder.glob(f"{snapshot.name}-*.contract.json"):
            if stale.name != f"{snapshot.name}-{key}.contract.json":
                _remove(stale)
        break
    return report


def require_valid(snapshot: SnapshotInfo) -> None:
    """SnapshotInvalid unless the snapshot meets the data contract (warnings are allowed)."""
    report = check_contract(snapshot)
    if not report.ok:
        raise SnapshotInvalid(snapshot, report)

"""The only module that talks to DuckDB: a snapshot's tables as read-only views, and run_query().

A snapshot never changes, so the per-lead and per-opportunity facts that queries/views.sql builds
(lead_facts, opportunity_facts, attribution_credits, touches) are prepared once and kept in a DuckDB
file beside the data root, `<root>/.cache/<snapshot>-<key>.duckdb`: the next process opens it
read-only in a fraction of the time, and DuckDB pages its compressed columns in as queries need them
instead of holding every table in memory. The key hashes everything the facts depend on (the
snapshot's files, views.sql, the policy values and as_of it binds, the DuckDB version), so a changed input
prepares anew. Where no cache folder is writable the facts are built in memory, as before.

Queries are files under queries/. A line `-- @include NAME.sql` pastes a shared fragment (a list of
CTEs) in its place, so a definition used by several queries is written once. User values reach SQL
only as bound `$parameters`; each query receives just the parameters it names.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from dashboard.contract import TABLE_ORDER
from dashboard.filters import policy_params
from dashboard.policy import Policy, load_policy
from dashboard.snapshots import SnapshotError, SnapshotInfo, data_root_of, resolve

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
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


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    """The SQL of queries/<name>.sql with its includes expanded."""
    return _expand(name if name.endswith(".sql") else f"{name}.sql", ())


def _expand(file_name: str, seen: tuple[str, ...]) -> str:
    if file_name in seen:
        raise ValueError(f"queries/{file_name}: include cycle through {' -> '.join(seen)}")
    path = QUERIES_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(f"queries/{file_name}: no such query")
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: _expand(m.group(1), seen + (file_name,)), text)


def sql_parameters(sql: str) -> frozenset[str]:
    """The `$names` a piece of SQL binds (comments ignored)."""
    return frozenset(_PARAM.findall(_COMMENT.sub("", sql)))


@lru_cache(maxsize=None)
def query_parameters(name: str) -> frozenset[str]:
    """The `$names` queries/<name>.sql binds."""
    return sql_parameters(query_text(name))


def view_statements() -> list[str]:
    """queries/views.sql as its statements, in order (pieces that are only comments dropped)."""
    return [text for text in query_text("views").split(";\n") if _COMMENT.sub("", text).strip()]


def query_header(name: str) -> str:
    """The leading comment block of a query file: what it answers, its grain, its parameters."""
    lines = []
    for line in (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines():
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
        # attribution lookback, and each lead's outcomes under W, H and D (lead_outcomes.sql).
        view_params = policy_params(policy, snapshot.as_of)
        facts = prepare_facts(snapshot, view_params) if prepared else None
        self.facts_path = facts
        self._con = _connect(":memory:")
        _register_snapshot(self._con, snapshot)  # raw_<table>: the record tables show the source rows
        if facts is None:
            _run_views(self._con, view_params)
        else:
            # the facts file attached read-only, each of its tables seen under its own name (a view,
            # so every cursor sees it: a search_path setting would hold for this connection only)
            self._con.execute("SET memory_limit = $limit", {"limit": QUERY_MEMORY_LIMIT})
            # what exceeds it spills beside the facts, not into `.tmp/` under whatever folder the user
            # started the command in (DuckDB's default for an in-memory database)
            self._con.execute("SET temp_directory = $folder", {"folder": str(facts.parent / "spill")})
            self._con.execute("ATTACH $path AS facts (READ_ONLY)", {"path": str(facts)})
            kept = self._con.execute(
                "select table_name from duckdb_tables() where database_name = 'facts' order by table_name"
            ).fetchall()
            for (table,) in kept:
                self._con.table(f'facts.main."{table}"').create_view(table)

    @classmethod
    def open(cls, data: Path | str, snapshot: str | None = None) -> Store:
        info = resolve(Path(data), snapshot)
        return cls(info, load_policy(data_root_of(info.path)))

    def run(self, name: str, params: dict[str, object] | None = None) -> pl.DataFrame:
        """Run queries/<name>.sql with the parameters it names taken from `params`."""
        sql = query_text(name)
        wanted = query_parameters(name)
        params = params or {}
        missing = wanted - params.keys()
        if missing:
            raise KeyError(f"queries/{name}.sql needs parameters {', '.join(sorted(missing))}")
        bound = {k: params[k] for k in wanted}
        with self._lock:
            statement = self._statements.get(name)
            if statement is None:
                [statement] = self._con.extract_statements(sql)
                self._statements[name] = statement
            cursor = self._con.cursor()
        try:
            return pl.from_arrow(cursor.execute(statement, bound).to_arrow_table())
        finally:
            cursor.close()

    def run_with(self, name: str, params: dict[str, object] | None, inputs: dict[str, pl.DataFrame]) -> pl.DataFrame:
        """Run queries/<name>.sql with `inputs` visible to it as tables under their names: how a query
        reads another snapshot's rows (the changes between two snapshots). Each input is registered on
        this query's own cursor only, so concurrent queries never see each other's."""
        sql = query_text(name)
        wanted = query_parameters(name)
        params = params or {}
        missing = wanted - params.keys()
        if missing:
            raise KeyError(f"queries/{name}.sql needs parameters {', '.join(sorted(missing))}")
        with self._lock:
            cursor = self._con.cursor()
        try:
            for table, frame in inputs.items():
                cursor.register(table, frame.to_arrow())
            return pl.from_arrow(cursor.execute(sql, {k: params[k] for k in wanted}).to_arrow_table())
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
    for statement in view_statements():
        con.execute(statement, {k: view_params[k] for k in sql_parameters(statement)})


def facts_key(snapshot: SnapshotInfo, view_params: dict[str, object]) -> str:
    """A digest of everything the prepared facts depend on."""
    digest = hashlib.sha256()
    digest.update(duckdb.__version__.encode())
    digest.update(query_text("views").encode())
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
        except OSError:
            _remove(temp, Path(f"{temp}.wal"))
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

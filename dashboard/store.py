"""The only module that talks to DuckDB: a snapshot's tables as read-only views, and run_query().

Queries are files under queries/. A line `-- @include NAME.sql` pastes a shared fragment (a list of
CTEs) in its place, so a definition used by several queries is written once. User values reach SQL
only as bound `$parameters`; each query receives just the parameters it names.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl

from dashboard.contract import TABLE_ORDER
from dashboard.policy import Policy, load_policy
from dashboard.snapshots import SnapshotError, SnapshotInfo, data_root_of, resolve

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+([\w.-]+\.sql)[ \t]*$", re.MULTILINE)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


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


@lru_cache(maxsize=None)
def query_parameters(name: str) -> frozenset[str]:
    """The `$names` a query binds (comments ignored)."""
    return frozenset(_PARAM.findall(_COMMENT.sub("", query_text(name))))


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

    def __init__(self, snapshot: SnapshotInfo, policy: Policy):
        self.snapshot = snapshot
        self.policy = policy
        self._lock = threading.Lock()
        self._con = duckdb.connect(":memory:", config={"threads": 2})
        self._con.execute("SET TimeZone = 'UTC'")
        for table in TABLE_ORDER:
            path = snapshot.path / f"{table}.parquet"
            if path.is_dir():  # a partitioned table: a folder of Parquet files
                source = str(path / "**" / "*.parquet")
            elif path.is_file():
                source = str(path)
            else:
                raise SnapshotError(f"{snapshot.path}: {table}.parquet is missing")
            # The Python relation API takes the path as a value, never as SQL text.
            self._con.read_parquet(source).create_view(f"raw_{table}")
        # The facts depend on the policy (the attribution lookback), fixed per data root.
        view_params = {
            "lookback_us": round(policy.lookback_days * 86_400_000_000),
            "half_life_days": float(policy.half_life_days),
        }
        for statement in query_text("views").split(";\n"):
            if statement.strip() and _COMMENT.sub("", statement).strip():
                names = set(_PARAM.findall(_COMMENT.sub("", statement)))
                self._con.execute(statement, {k: view_params[k] for k in names})

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
            cursor = self._con.cursor()
        try:
            return cursor.sql(sql, params=bound).pl()
        finally:
            cursor.close()

    def close(self) -> None:
        self._con.close()

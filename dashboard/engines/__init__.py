"""Where the queries run: DuckDB in this process (the default), or Apache Spark.

    store = open_store("data/sample")                                        # DuckDB
    store = open_store("data/sample", engine="spark")                        # a local Spark (needs Java)
    store = open_store("s3a://bucket/funnel", engine="spark", spark_remote="sc://host:15002")

Both stores have the same interface: `snapshot`, `policy`, `run(name, params) -> polars.DataFrame`,
`close()`; both run the same queries/*.sql (Spark through sqlglot, see spark_sql.py). Nothing here
imports pyspark until the Spark engine is chosen, so DuckDB users never need it.
"""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.errors import FunnelError
from dashboard.snapshots import is_snapshot_folder, resolve
from dashboard.snapshots import list_snapshots as local_snapshots

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
# a URI names a folder on a cluster's file system (s3a://, abfss://, hdfs://, file:// ...)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_REMOTE = re.compile(r"^sc://[^/\s:]+(:\d+)?(/.*)?$")


class EngineError(FunnelError):
    """The chosen engine cannot run here (missing pyspark or Java, a bad --spark-remote, an
    unreachable cluster); the message says what is missing and how to get it."""


# read by dashboard/app_state.py in the Streamlit process `funnel serve` starts
ENGINE_ENV = "FUNNEL_ENGINE"
SPARK_REMOTE_ENV = "FUNNEL_SPARK_REMOTE"


def add_engine_arguments(parser) -> None:
    """--engine and --spark-remote, for every command that computes numbers (kpis ... export, serve)."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=DEFAULT_ENGINE,
        help="where the queries run: duckdb (in this process, the default) or spark "
        "(a local Spark, or the cluster of --spark-remote)",
    )
    parser.add_argument(
        "--spark-remote",
        metavar="sc://HOST:PORT",
        help="with --engine spark: the Spark Connect server to run on (default: a local Spark)",
    )


def is_uri(path: object) -> bool:
    return isinstance(path, str) and bool(_URI.match(path))


def check_engine(engine: str, spark_remote: str | None = None) -> None:
    """Refuse a wrong engine setting before anything is opened (the CLI turns this into exit 2)."""
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    if spark_remote is not None and engine != "spark":
        raise EngineError("--spark-remote needs --engine spark")
    if spark_remote is not None and not _REMOTE.match(spark_remote):
        raise EngineError(f"--spark-remote {spark_remote!r} is not a Spark Connect address (sc://HOST:PORT)")


def open_store(
    data: Path | str, snapshot: str | None = None, engine: str = DEFAULT_ENGINE, spark_remote: str | None = None
):
    """One snapshot under `data`, opened on `engine`: a dashboard.store.Store or a SparkStore."""
    check_engine(engine, spark_remote)
    if engine == "spark":
        from dashboard.engines.spark import SparkStore  # lazy: pyspark is optional

        return SparkStore.open(data, snapshot, spark_remote=spark_remote)
    if is_uri(str(data)):
        raise EngineError(f"--data {data}: DuckDB reads local folders; a cluster URI needs --engine spark")
    from dashboard.store import Store  # lazy: `funnel serve` imports this module; DuckDB loads with a store

    return Store.open(data, snapshot)


def list_snapshots(data: str, engine: str = DEFAULT_ENGINE, spark_remote: str | None = None) -> list:
    """The snapshots under a data root, oldest first; a URI is listed through Spark."""
    check_engine(engine, spark_remote)
    if is_uri(data):
        if engine != "spark":
            raise EngineError(f"--data {data}: DuckDB reads local folders; a cluster URI needs --engine spark")
        from dashboard.engines.spark import list_remote, spark_session  # lazy: pyspark is optional

        return list_remote(spark_session(spark_remote), data)
    return [resolve(Path(data))] if is_snapshot_folder(Path(data)) else local_snapshots(Path(data))

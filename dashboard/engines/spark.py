"""A snapshot opened on Apache Spark: the same interface as dashboard.store.Store, the same queries.

    store = SparkStore.open("data/sample")                                     # local Spark
    store = SparkStore.open("s3a://bucket/funnel", spark_remote="sc://host:15002")
    store.run("kpis", params)                                                  # a polars DataFrame

Without `spark_remote` a local Spark runs in this process's JVM (`local[*]`; Java 17+). With one, the
work runs on a Spark Connect server (the thin client: no JVM here), and `data` must be a path the
cluster reads: a URI (s3a://, abfss://, hdfs://) or a folder mounted at the same place.

Each opened snapshot gets its own Spark session (its own temporary views, so two snapshots can be
open side by side), with the session time zone set to UTC as DuckDB's is: timestamps become epoch
microseconds in facts/views.sql, and periods arrive as UTC microsecond intervals, so no zone conversion
happens in SQL. facts/views.sql's tables are cached (memory, spilling to disk) when the snapshot is opened,
as DuckDB materialises them. Parameters are always bound (`spark.sql(sql, args=...)`), never
formatted into the SQL.

pyspark (and grpc) are imported inside the functions that use them, on purpose: the extra is optional,
and this module is imported to say so (check_available) on machines without it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from dashboard.contract import TABLE_ORDER
from dashboard.engines import EngineError, check_engine, is_uri
from dashboard.engines.spark_sql import spark_query, spark_views
from dashboard.filters import policy_params
from dashboard.policy import Policy, PolicyError, load_policy
from dashboard.snapshots import (
    SNAPSHOT_NAME,
    SnapshotError,
    SnapshotInfo,
    choose_snapshot,
    data_root_of,
    read_info,
    resolve,
)
from dashboard.store import CALENDAR_SPAN, query_parameters, working_time_tables

INSTALL_PYSPARK = "pip install 'shared-funnel[spark]' (pyspark with Spark Connect support)"
INSTALL_JAVA = (
    "a local Spark needs a Java runtime, 17 or newer (Debian/Ubuntu: apt-get install -y "
    "openjdk-17-jre-headless; or set JAVA_HOME)"
)
LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"  # errors only (the JVM's own)
CONNECT_TIMEOUT_S = float(os.environ.get("FUNNEL_SPARK_CONNECT_TIMEOUT", "15"))
# yyyy-mm-dd folders, as a Hadoop glob (snapshots.SNAPSHOT_NAME as a pattern the file system expands)
_SNAPSHOT_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"

_sessions: dict[str | None, object] = {}
_sessions_lock = threading.Lock()


@dataclass(frozen=True)
class UriPath:
    """A folder on a cluster's file system, e.g. s3a://bucket/funnel/2026-09-30 (pathlib would fold the
    `//`). Offers what a SnapshotInfo's path is asked for: name, parent, `/`, str()."""

    uri: str

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def parent(self) -> UriPath:
        return UriPath(self.uri.rstrip("/").rsplit("/", 1)[0])

    def __truediv__(self, other: str) -> UriPath:
        return UriPath(f"{self.uri.rstrip('/')}/{other}")

    def __str__(self) -> str:
        return self.uri


def unavailable_reason(spark_remote: str | None = None) -> str | None:
    """Why `--engine spark` cannot run here (None when it can): pyspark, its Connect client, or Java."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"--engine spark needs pyspark: {INSTALL_PYSPARK}"
    if spark_remote is not None:
        try:
            from pyspark.sql.connect.utils import check_dependencies

            check_dependencies("dashboard.engines.spark")
        except ImportError as exc:
            return f"--spark-remote needs the Spark Connect client ({exc}): {INSTALL_PYSPARK}"
        return None
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").is_file()):
        return f"--engine spark without --spark-remote starts a local Spark, and {INSTALL_JAVA}"
    return None


def check_available(spark_remote: str | None = None) -> None:
    """Raise EngineError unless `--engine spark` can run: pyspark (and Java for a local Spark) here, and
    a Spark Connect server answering at `spark_remote`. Starts nothing."""
    check_engine("spark", spark_remote)
    reason = unavailable_reason(spark_remote)
    if reason:
        raise EngineError(reason)
    if spark_remote is not None:
        _check_reachable(spark_remote)


def _quiet_pyspark_loggers() -> None:
    # pyspark logs every SQL error as a JSON record on stderr before raising it; the error is raised
    # to us anyway (and becomes a one-line message), so the duplicate is noise in a CLI or the app.
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _local_conf() -> dict[str, str]:
    cores = os.cpu_count() or 2
    return {
        "spark.app.name": "shared-funnel",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # 200 shuffle partitions (the default) are sized for a cluster; on one machine they are 200
        # tiny tasks per join. Adaptive execution still coalesces what is left.
        "spark.sql.shuffle.partitions": str(max(4, 2 * cores)),
        # the queries are many small stages over cached tables; on one machine adaptive re-planning
        # between stages costs more than it saves (kpis on the sample: 8.3 s with, 5.0 s without)
        "spark.sql.adaptive.enabled": "false",
        # the JVM's default heap (1 GiB in local mode) is too small to cache a million-lead snapshot
        "spark.driver.memory": os.environ.get("FUNNEL_SPARK_DRIVER_MEMORY", "4g"),
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
    }


def spark_session(spark_remote: str | None = None):
    """The process's Spark session for `spark_remote` (None: a local Spark, started on first use).

    A local session already running in this process (a notebook's, the tests') is reused as it is.
    """
    reason = unavailable_reason(spark_remote)
    if reason:
        raise EngineError(reason)
    check_engine("spark", spark_remote)
    _quiet_pyspark_loggers()
    with _sessions_lock:
        if spark_remote in _sessions:
            return _sessions[spark_remote]
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession

        try:
            if spark_remote is None:
                builder = SparkSession.builder.master(f"local[{os.cpu_count() or 2}]")
                for key, value in _local_conf().items():
                    builder = builder.config(key, value)
                session = builder.getOrCreate()
                session.sparkContext.setLogLevel("ERROR")
            else:
                _check_reachable(spark_remote)
                session = _connect_session(spark_remote)
                session.conf.set("spark.sql.session.timeZone", "UTC")  # the first call reaches the server
        except PySparkException as exc:
            where = f"the Spark Connect server at {spark_remote}" if spark_remote else "a local Spark"
            raise EngineError(
                f"could not start {where}: {_first_line(exc)}" + ("" if spark_remote else f" ({INSTALL_JAVA})")
            ) from None
        _sessions[spark_remote] = session
        return session


def _check_reachable(spark_remote: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail in seconds when no Spark Connect server answers: the client itself retries for minutes."""
    import grpc
    from pyspark.errors import PySparkException
    from pyspark.sql.connect.client import DefaultChannelBuilder

    try:
        builder = DefaultChannelBuilder(spark_remote)  # the address's own options: TLS, token, ...
    except PySparkException as exc:
        raise EngineError(f"--spark-remote {spark_remote!r}: {_first_line(exc)}") from None
    channel = builder.toChannel()
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout_s)
    except grpc.FutureTimeoutError:
        raise EngineError(
            f"no Spark Connect server answers at {builder.endpoint} "
            f"(waited {timeout_s:.0f} s; is it running, and is the port open?)"
        ) from None
    finally:
        channel.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _new_session(spark_remote: str | None):
    """A session of its own for one opened snapshot: separate temporary views and settings."""
    base = spark_session(spark_remote)
    # a local one shares the JVM and the cache, the views are its own; a Connect one is a new server session
    session = base.newSession() if spark_remote is None else _connect_session(spark_remote)
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session


def _connect_session(spark_remote: str):
    # the Connect client's own class: pyspark.sql.SparkSession.builder.remote() refuses when a local
    # session runs in the process (a notebook's), and its getOrCreate() would hand back a session of
    # whichever server was asked first
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    return ConnectSession.builder.remote(spark_remote).create()


# -- snapshots where they lie --------------------------------------------------------------------------
def _read_text(spark, uri: str) -> str | None:
    """A small file's text through Spark (so any file system the cluster reads), None when absent."""
    from pyspark.errors import AnalysisException

    try:
        rows = spark.read.text(uri, wholetext=True).collect()
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            return None
        raise
    return rows[0][0] if rows else ""


def _info_from_text(folder: str, text: str) -> SnapshotInfo:
    # snapshot.json is checked by snapshots.read_info, which reads a local folder: give it one
    with tempfile.TemporaryDirectory(prefix="funnel-snapshot-") as tmp:
        Path(tmp, "snapshot.json").write_text(text, encoding="utf-8")
        try:
            info = read_info(Path(tmp))
        except SnapshotError as exc:
            raise SnapshotError(str(exc).replace(tmp, folder)) from None
    return dataclasses.replace(info, path=UriPath(folder))


def remote_snapshots(spark, root: str) -> list[SnapshotInfo]:
    """The snapshots under a data root URI, oldest first (as snapshots.list_snapshots orders them)."""
    from pyspark.errors import AnalysisException

    root = root.rstrip("/")
    try:
        rows = (
            spark.read.text(f"{root}/{_SNAPSHOT_GLOB}/snapshot.json", wholetext=True)
            .select("value", "_metadata.file_path")
            .collect()
        )
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            return []
        raise
    found = []
    for text, file_path in rows:
        folder = file_path.rsplit("/", 1)[0]
        if SNAPSHOT_NAME.match(folder.rsplit("/", 1)[-1]):
            # the file system may spell the root differently (s3a://b/x vs s3a://b/x/): keep the user's
            found.append(_info_from_text(f"{root}/{folder.rsplit('/', 1)[-1]}", text))
    return sorted(found, key=lambda s: (s.as_of, s.name))


def list_remote(spark, data: str) -> list[SnapshotInfo]:
    """The snapshots a --data URI offers, oldest first: those under a data root, or the one it names."""
    data = data.rstrip("/")
    meta = _read_text(spark, f"{data}/snapshot.json")
    return [_info_from_text(data, meta)] if meta is not None else remote_snapshots(spark, data)


def resolve_remote(spark, data: str, snapshot: str | None = None) -> SnapshotInfo:
    """snapshots.resolve for a URI: a data root (newest snapshot unless `snapshot`) or one snapshot folder."""
    data = data.rstrip("/")
    meta = _read_text(spark, f"{data}/snapshot.json")
    if meta is not None:
        return choose_snapshot(data, [_info_from_text(data, meta)], snapshot, one_folder=True)
    return choose_snapshot(data, remote_snapshots(spark, data), snapshot)


def remote_policy(spark, data_root: str) -> Policy:
    """load_policy for a data root URI: its funnel.toml read through Spark, checked the same way."""
    text = _read_text(spark, f"{data_root.rstrip('/')}/funnel.toml")
    if text is None:
        return Policy()
    with tempfile.TemporaryDirectory(prefix="funnel-policy-") as tmp:
        Path(tmp, "funnel.toml").write_text(text, encoding="utf-8")
        try:
            return load_policy(Path(tmp))
        except PolicyError as exc:
            raise PolicyError(str(exc).replace(str(Path(tmp, "funnel.toml")), f"{data_root}/funnel.toml")) from None


# -- the store ------------------------------------------------------------------------------------------


def _to_polars(frame) -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


class SparkStore:
    """One snapshot opened on Spark: facts/views.sql's views and tables as temporary views of its own session,
    then queries/<name>.sql transpiled (once per name) and run with bound parameters."""

    def __init__(self, snapshot: SnapshotInfo, policy: Policy, spark, owns_session: bool = True):
        from pyspark import StorageLevel
        from pyspark.errors import AnalysisException, PySparkException

        self.snapshot = snapshot
        self.policy = policy
        self.engine = "spark"
        self._spark = spark
        self._owns_session = owns_session
        self._views: list[str] = []
        self._cached: list = []
        self._inputs_lock = threading.Lock()
        for table in TABLE_ORDER:
            # a file or a folder of Parquet parts (Hive-style key=value subfolders become extra
            # columns, which views.sql does not read)
            location = str(snapshot.path / f"{table}.parquet")
            try:
                frame = spark.read.parquet(location)
                frame.schema  # noqa: B018 - Spark Connect resolves lazily: ask now, so a missing file fails here
            except PySparkException as exc:
                if isinstance(exc, AnalysisException) and exc.getCondition() == "PATH_NOT_FOUND":
                    raise SnapshotError(f"{snapshot.path}: {table}.parquet is missing") from None
                # e.g. PARQUET_TYPE_ILLEGAL: nanosecond timestamps, which Spark 4 does not read
                raise SnapshotError(f"{location}: Spark cannot read it ({_first_line(exc)})") from None
            self._register(f"raw_{table}", frame)
        view_params = policy_params(policy, snapshot.as_of)  # as DuckDB's Store: the policy and as_of
        self._register_working_time(spark, view_params)
        for statement in spark_views():
            frame = spark.sql(statement.sql, args={k: view_params[k] for k in statement.parameters})
            if statement.materialise:
                # cached once per opened snapshot, as DuckDB's `create table`: count() fills the cache
                # now, so opening pays the preparation and the first query does not
                frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
                frame.count()
                self._cached.append(frame)
            self._register(statement.target, frame)

    def _register_working_time(self, spark, view_params) -> None:
        """The SLA clock's tables (store.working_time_tables: the same Arrow tables as DuckDB's)."""

        def span():
            row = _to_polars(spark.sql(spark_query(CALENDAR_SPAN).sql)).row(0)
            return row[0], row[1]

        for name, table in working_time_tables(view_params, span).items():
            self._register(name, spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table)))

    def _register(self, name: str, frame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.append(name)

    @classmethod
    def open(
        cls, data: Path | str, snapshot: str | None = None, spark_remote: str | None = None, spark=None
    ) -> SparkStore:
        """`data` is a local data root or snapshot folder, or a URI the cluster reads. `spark`: use this
        session as it is (a notebook's), instead of a new session per snapshot."""
        owns = spark is None
        spark = _new_session(spark_remote) if spark is None else spark
        try:
            if is_uri(str(data)):
                uri = str(data).rstrip("/")
                info = resolve_remote(spark, uri, snapshot)
                # funnel.toml sits in the data root: the parent when --data named one snapshot folder
                policy = remote_policy(spark, str(info.path.parent) if str(info.path) == uri else uri)
            else:
                info = resolve(Path(data).resolve(), snapshot)
                policy = load_policy(data_root_of(info.path))
            return cls(info, policy, spark, owns_session=owns)
        except BaseException:
            if owns:
                _release(spark)
            raise

    def run(self, name: str, params: dict[str, object] | None = None) -> pl.DataFrame:
        """Run queries/<name>.sql (as Spark SQL) with the parameters it names taken from `params`."""
        statement = spark_query(name)
        params = params or {}
        missing = query_parameters(name) - params.keys()
        if missing:
            raise KeyError(f"queries/{name}.sql needs parameters {', '.join(sorted(missing))}")
        return _to_polars(self._spark.sql(statement.sql, args={k: params[k] for k in statement.parameters}))

    def run_with(self, name: str, params: dict[str, object] | None, inputs: dict[str, pl.DataFrame]) -> pl.DataFrame:
        """Store.run_with on Spark: each input becomes a temporary view of this snapshot's session for
        the query (one such query at a time per store, so two never see each other's inputs)."""
        with self._inputs_lock:
            for table, frame in inputs.items():
                self._spark.createDataFrame(frame.to_pandas(), schema=_spark_schema(frame)).createOrReplaceTempView(
                    table
                )
            try:
                return self.run(name, params)
            finally:
                for table in inputs:
                    self._spark.catalog.dropTempView(table)

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        if self._owns_session:
            for name in self._views:
                self._spark.catalog.dropTempView(name)
            _release(self._spark)
        self._cached, self._views = [], []


_SPARK_TYPES = {pl.Utf8: "string", pl.Float64: "double", pl.Boolean: "boolean", pl.Int64: "bigint", pl.Int32: "int"}


def _spark_schema(frame: pl.DataFrame | pa.Table) -> str:
    """The DDL schema of an input frame or Arrow table, so an empty one (no rows to infer from) or an
    all-null column keeps its type."""
    if isinstance(frame, pa.Table):
        frame = pl.from_arrow(frame)
    return ", ".join(f"`{name}` {_SPARK_TYPES.get(dtype, 'string')}" for name, dtype in frame.schema.items())


def _is_connect(spark) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


def _release(spark) -> None:
    # a local session made by newSession() shares the JVM with every other store: never stop it.
    # A Spark Connect session of our own is released on the server.
    if _is_connect(spark):
        spark.stop()

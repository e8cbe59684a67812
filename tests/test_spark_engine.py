"""The same numbers on Spark: `--engine spark` against DuckDB, figure by figure.

Every figure of `kpis`, `campaigns` (all six models) and `scoring` must agree to 1e-9 relative (1e-9
absolute near zero, where a relative tolerance means nothing: a difference of two sums added up in
another order). Snapshots: the committed sample and the hand-worked tests' own snapshots (built by
their fixtures, so the edge cases they were written for - skipped stages, time zones, prorated
targets, tied touches - run on Spark too). One local Spark (one JVM) serves the whole run; each
opened snapshot gets a Spark session of its own.

Without pyspark or Java these tests are skipped with the reason; CI sets FUNNEL_REQUIRE_SPARK=1, so
there a missing Spark is a failure, not a skip. The slower comparisons (a Spark Connect server, every
breakdown and record query, random snapshots) are marked spark_full and run with FUNNEL_SPARK_FULL=1:

    FUNNEL_SPARK_FULL=1 python -m pytest -q -m "spark or spark_full"
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.api import Funnel
from dashboard.engines.spark import SparkStore, unavailable_reason
from dashboard.filters import Filters, Period
from dashboard.policy import ATTRIBUTION_MODELS

REASON = unavailable_reason()
if REASON:
    if os.environ.get("FUNNEL_REQUIRE_SPARK"):
        pytest.fail(f"FUNNEL_REQUIRE_SPARK is set, but {REASON}", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
FULL = bool(os.environ.get("FUNNEL_SPARK_FULL"))
pytestmark = pytest.mark.spark
needs_full = pytest.mark.skipif(not FULL, reason="the full Spark comparison runs with FUNNEL_SPARK_FULL=1")
REL, ABS = 1e-9, 1e-9


# -- comparing --------------------------------------------------------------------------------------------
def assert_same(duck, spark, where: str = "") -> None:
    """Equal structure, equal strings and counts, floats within REL/ABS; `where` names the figure."""
    if isinstance(duck, dict):
        assert isinstance(spark, dict) and duck.keys() == spark.keys(), f"{where}: keys {duck.keys()} vs {spark}"
        for key in duck:
            assert_same(duck[key], spark[key], f"{where}.{key}")
    elif isinstance(duck, list):
        assert isinstance(spark, list) and len(duck) == len(spark), f"{where}: {len(duck)} vs {len(spark)} rows"
        for i, (a, b) in enumerate(zip(duck, spark)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(duck, float) or isinstance(spark, float):
        assert duck is not None and spark is not None, f"{where}: duckdb {duck!r}, spark {spark!r}"
        assert math.isclose(duck, spark, rel_tol=REL, abs_tol=ABS), f"{where}: duckdb {duck!r}, spark {spark!r}"
    else:
        assert duck == spark and type(duck) is type(spark), f"{where}: duckdb {duck!r}, spark {spark!r}"


def ranked(result: dict) -> dict:
    """campaigns' JSON with its list in a tie-proof order: the query sorts by attributed pipeline, and
    two pipelines equal on paper may differ in the 16th digit between engines."""
    campaigns = sorted(result["campaigns"], key=lambda c: (-round(c["attributed_pipeline"], 6), c["campaign_id"]))
    return {**result, "campaigns": campaigns}


def figures(funnel: Funnel, start=None, end=None, **filters) -> dict:
    """What the CLI prints for kpis, campaigns --model M (each of the six) and scoring."""
    return {
        "kpis": funnel.kpis(start, end, **filters),
        **{
            f"campaigns --model {m}": ranked(funnel.campaigns(start, end, model=m, **filters))
            for m in ATTRIBUTION_MODELS
        },
        "scoring": funnel.scoring(start, end, **filters),
    }


# -- the engines ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def spark():
    """The local Spark every test here shares (started once: Spark takes seconds to start)."""
    from dashboard.engines.spark import spark_session

    return spark_session()


@pytest.fixture(scope="session")
def open_both(spark):
    """open_both(root) -> (DuckDB Funnel, Spark Funnel) on the same snapshot; Spark's closed at the end."""
    opened = []

    def open_both(root: Path, snapshot: str | None = None) -> tuple[Funnel, Funnel]:
        on_spark = Funnel.open(root, snapshot, engine="spark")
        opened.append(on_spark)
        return Funnel.open(root, snapshot), on_spark

    yield open_both
    for funnel in opened:
        funnel.store.close()


def hand_worked(module: str, fixture: str, tmp_path_factory) -> Path:
    """The data root one of the hand-worked tests' fixtures writes (its snapshot, its funnel.toml)."""
    built = getattr(__import__(module), fixture).__wrapped__(tmp_path_factory)
    return built.store.snapshot.path.parent


# -- the same numbers -------------------------------------------------------------------------------------
def test_sample_gives_the_same_numbers(open_both):
    duck, spark = open_both(SAMPLE)
    assert spark.store.engine == "spark" and spark.store.snapshot.as_of == duck.store.snapshot.as_of
    assert_same(figures(duck), figures(spark), "sample")


@pytest.mark.spark_full
@needs_full
def test_sample_other_periods_the_same(open_both):
    duck, spark = open_both(SAMPLE)
    for period in (duck.default_period().previous(), Period.of("2026-01-01", "2026-09-30")):
        assert_same(
            figures(duck, period.start, period.end), figures(spark, period.start, period.end), f"sample {period.key}"
        )


# (test module, fixture, the periods and filters its hand-worked tests use)
HAND_WORKED = [
    (
        "test_metrics_volumes_conversion",
        "funnel",
        [
            ("2026-03-01", "2026-03-31", {}),
            ("2026-04-01", "2026-04-30", {}),
            ("2026-03-01", "2026-03-31", {"segment": "Enterprise"}),
            ("2026-03-01", "2026-03-31", {"channel": "webinar"}),
            ("2026-03-01", "2026-03-31", {"origin": "sales"}),
        ],
    ),
    (
        "test_metrics_attribution",
        "funnel",
        [("2026-03-01", "2026-03-31", {}), ("2026-03-01", "2026-03-31", {"campaign": "c2"})],
    ),
    ("test_metrics_sla_targets_cost", "sla", [("2026-03-01", "2026-03-31", {})]),
    (
        "test_metrics_sla_targets_cost",
        "targets",
        [
            ("2026-03-16", "2026-04-15", {}),
            ("2026-03-16", "2026-04-15", {"segment": "SMB"}),
            ("2026-05-01", "2026-05-31", {}),
        ],
    ),
    (
        "test_metrics_sla_targets_cost",
        "cost",
        [
            ("2026-03-01", "2026-03-31", {}),
            ("2026-03-01", "2026-03-31", {"segment": "Enterprise"}),
            ("2026-03-01", "2026-03-31", {"channel": "event"}),
            ("2026-01-01", "2026-01-31", {}),
        ],
    ),
    (
        "test_metrics_timezone_scoring",
        "new_york",
        [(None, None, {}), ("2026-03-01", "2026-03-31", {}), ("2026-03-01", "2026-03-31", {"segment": "C"})],
    ),
    ("test_metrics_timezone_scoring", "scores", [("2026-03-01", "2026-03-31", {})]),
    # the business-hours SLA clock: working-time tables registered on Spark, W looked up per hour
    (
        "test_business_clock",
        "business",
        [("2026-01-01", "2026-12-31", {}), ("2026-01-01", "2026-12-31", {"region": "EMEA"})],
    ),
]


@pytest.mark.parametrize("module, fixture, cases", HAND_WORKED, ids=[f"{m[13:]}.{f}" for m, f, _ in HAND_WORKED])
def test_hand_worked_snapshots_give_the_same_numbers(open_both, tmp_path_factory, module, fixture, cases):
    duck, spark = open_both(hand_worked(module, fixture, tmp_path_factory))
    first, *others = cases
    start, end, filters = first
    assert_same(figures(duck, start, end, **filters), figures(spark, start, end, **filters), f"{fixture} {first}")
    for start, end, filters in others:  # the variants the hand-worked tests check: their KPIs
        assert_same(duck.kpis(start, end, **filters), spark.kpis(start, end, **filters), f"{fixture} {start} {filters}")
    if fixture == "funnel" and module.endswith("attribution"):  # credits over the whole path under a filter
        assert_same(
            ranked(duck.campaigns("2026-03-01", "2026-03-31", model="w_shaped", campaign="c2")),
            ranked(spark.campaigns("2026-03-01", "2026-03-31", model="w_shaped", campaign="c2")),
            "c2",
        )


def test_frames_have_the_same_columns_and_types(open_both):
    """Pages and charts read the frames: same columns, same types, same values."""
    duck, spark = open_both(SAMPLE)
    period = duck.default_period()
    for name, produce in {
        "kpi_table": lambda f: f.kpi_table([period, period.previous()], Filters()),
        "attribution_table": lambda f: f.attribution_table(period, Filters(), None),
        "scoring_table": lambda f: f.scoring_table(period, Filters()),
    }.items():
        a, b = produce(duck), produce(spark)
        assert a.schema == b.schema, name
        assert_same(a.to_dicts(), b.to_dicts(), name)


# -- the CLI, the errors, data where it lies ----------------------------------------------------------
def funnel_cli(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess:
    code = "import sys; from dashboard.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_cli_with_engine_spark_prints_the_same_json(tmp_path_factory):
    """A real `funnel kpis --engine spark --json` (its own process, its own local Spark)."""
    root = hand_worked("test_metrics_volumes_conversion", "funnel", tmp_path_factory)
    args = ["kpis", "--data", str(root), "--from", "2026-03-01", "--to", "2026-03-31", "--json"]
    duck = funnel_cli(*args)
    spark = funnel_cli(*args, "--engine", "spark")
    assert duck.returncode == 0 and spark.returncode == 0, spark.stderr[-2000:]
    assert_same(json.loads(duck.stdout), json.loads(spark.stdout), "funnel kpis")


def test_data_where_it_lies_a_uri(spark):
    """--data as a URI: snapshots found, policy read and tables scanned through Spark (file:// here;
    s3a://, abfss://, hdfs:// on a cluster)."""
    from dashboard.engines import list_snapshots

    duck = Funnel.open(SAMPLE)
    on_uri = Funnel.open(f"{SAMPLE.as_uri()}/", engine="spark")  # a data root: its newest snapshot
    one = Funnel.open(f"{SAMPLE.as_uri()}/2026-09-30", engine="spark")  # one snapshot folder
    try:
        assert (str(on_uri.store.snapshot.path), on_uri.store.snapshot.name) == (
            f"{SAMPLE.as_uri()}/2026-10-31",
            "2026-10-31",
        )
        assert on_uri.store.snapshot.as_of == duck.store.snapshot.as_of
        assert on_uri.store.snapshot.rows == duck.store.snapshot.rows and on_uri.policy == duck.policy
        assert_same(duck.kpis(), on_uri.kpis(), "kpis over file://")
        assert one.store.snapshot.name == "2026-09-30" and one.policy == duck.policy  # funnel.toml of its root
        assert [s.name for s in list_snapshots(SAMPLE.as_uri(), engine="spark")] == ["2026-09-30", "2026-10-31"]
    finally:
        on_uri.store.close()
        one.store.close()


def test_uri_errors_are_clear(spark, tmp_path):
    from dashboard.snapshots import SnapshotError

    with pytest.raises(SnapshotError, match="no snapshots here"):
        SparkStore.open(tmp_path.as_uri())
    with pytest.raises(SnapshotError, match="no snapshot '1999-01-01'"):
        SparkStore.open(SAMPLE.as_uri(), "1999-01-01")


# -- the full run (FUNNEL_SPARK_FULL=1) --------------------------------------------------------------
@pytest.mark.spark_full
@needs_full
@pytest.mark.parametrize("group_by", ["segment", "channel", "campaign", "owner", "origin", "region"])
def test_every_breakdown_the_same(open_both, group_by):
    duck, spark = open_both(SAMPLE)
    periods = duck.monthly_periods(13)
    a, b = duck.kpi_table(periods, Filters(), group_by), spark.kpi_table(periods, Filters(), group_by)
    assert a.schema == b.schema
    assert_same(a.to_dicts(), b.to_dicts(), f"kpi_table by {group_by}")


@pytest.mark.spark_full
@needs_full
@pytest.mark.parametrize(
    "name, extra",
    [
        ("leads", {"stage": "mql", "owner": None, "score_from": None, "score_to": None}),
        ("leads", {"stage": "untouched", "owner": None, "score_from": None, "score_to": None}),
        ("leads", {"stage": "scored", "owner": None, "score_from": 50.0, "score_to": 60.0}),
        ("opportunities", {"stage": "won", "owner": None, "path_campaign": None}),
        ("campaigns", {"active_only": True}),
        ("rejection_reasons", {"owner": None}),
    ],
)
def test_records_and_what_ifs_the_same(open_both, name, extra):
    duck, spark = open_both(SAMPLE)
    period = duck.default_period()
    a, b = duck.records(name, period, Filters(), **extra), spark.records(name, period, Filters(), **extra)
    assert a.columns == b.columns and a.height == b.height
    assert_same(a.to_dicts(), b.to_dicts(), f"records_{name}")
    assert_same(duck.threshold(period, Filters(), 55), spark.threshold(period, Filters(), 55), "threshold")
    assert_same(duck.plan(1_000_000), spark.plan(1_000_000), "plan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """A Spark Connect server on this machine (what a cluster runs), for the --spark-remote path."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = (tmp_path_factory.mktemp("connect") / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(home / "bin" / "spark-submit"),
            "--master",
            "local[2]",
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--conf",
            f"spark.connect.grpc.binding.port={port}",
            "--conf",
            "spark.ui.enabled=false",
            "spark-internal",
        ],
        env={**os.environ, "SPARK_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert server.poll() is None, "the Spark Connect server exited"
        time.sleep(1)
    yield f"sc://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=60)
    log.close()


@pytest.mark.spark_full
@needs_full
def test_spark_connect_gives_the_same_numbers(connect_server):
    duck = Funnel.open(SAMPLE)
    remote = Funnel.open(SAMPLE, engine="spark", spark_remote=connect_server)
    try:
        assert_same(figures(duck), figures(remote), "over Spark Connect")
    finally:
        remote.store.close()
    cli = funnel_cli("scoring", "--data", str(SAMPLE), "--json", "--engine", "spark", "--spark-remote", connect_server)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert_same(duck.scoring(), json.loads(cli.stdout), "funnel scoring --spark-remote")


@pytest.mark.spark_full
@needs_full
def test_random_snapshots_the_same(open_both, tmp_path_factory):
    """The invariant tests' random awkward snapshots (hypothesis), on both engines."""
    from hypothesis import HealthCheck, given, settings
    from snapshot_builder import write_snapshot
    from test_metrics_invariants import PERIODS, snapshots

    @settings(
        max_examples=5,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(snapshots())
    def check(tables):
        root = tmp_path_factory.mktemp("random")
        write_snapshot(root, "2026-05-31T23:59:59Z", **tables)
        duck, spark = open_both(root)
        for period in PERIODS:
            assert_same(
                figures(duck, period.start, period.end),
                figures(spark, period.start, period.end),
                f"random snapshot {period.key}",
            )
        spark.store.close()

    check()


@pytest.mark.spark_full
@needs_full
def test_the_app_on_spark_over_a_uri(spark, monkeypatch):
    """The dashboard as `funnel serve --engine spark --data <URI>` runs it: the Overview shows the same
    numbers as on DuckDB; the snapshots are listed through Spark; the Data page says it cannot validate."""
    from streamlit.testing.v1 import AppTest

    app = str(ROOT / "dashboard" / "app.py")

    def overview(data: str, engine: str) -> AppTest:
        monkeypatch.setenv("FUNNEL_DATA", data)
        monkeypatch.setenv("FUNNEL_ENGINE", engine)
        at = AppTest.from_file(app, default_timeout=900).run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    on_duckdb, on_spark = overview(str(SAMPLE), "duckdb"), overview(SAMPLE.as_uri(), "spark")
    assert [m.value for m in on_spark.metric] == [m.value for m in on_duckdb.metric]
    assert on_spark.selectbox(key="snapshot").options == ["2026-10-31", "2026-09-30"]
    data_page = AppTest.from_file(app, default_timeout=900)
    data_page.switch_page("app_pages/data.py")
    data_page.run()
    assert not data_page.exception, [e.message for e in data_page.exception]
    assert any("warnings" in w.value for w in data_page.warning)

"""The same waterfall, pacing and projection on Spark as on DuckDB (the pattern of test_spark_engine.py:
the sample and the hand-worked tests' own snapshots, every figure to 1e-9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard.api import CHANGE_RECORD_BUCKETS, Funnel
from dashboard.engines.spark import unavailable_reason
from dashboard.filters import Filters

REASON = unavailable_reason()
if REASON:
    if os.environ.get("FUNNEL_REQUIRE_SPARK"):
        pytest.fail(f"FUNNEL_REQUIRE_SPARK is set, but {REASON}", pytrace=False)
    pytest.skip(REASON, allow_module_level=True)

from test_spark_engine import assert_same  # noqa: E402 (after the skip: it starts nothing, needs pyspark)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def open_both():
    from dashboard.engines.spark import spark_session

    spark_session()
    opened = []

    def open_both(root: Path) -> tuple[Funnel, Funnel]:
        on_spark = Funnel.open(root, engine="spark")
        opened.append(on_spark)
        return Funnel.open(root), on_spark

    yield open_both
    for funnel in opened:
        for f in (funnel, *funnel._siblings.values()):
            f.store.close()


def frame_rows(frame):
    return [
        {k: (float(v) if isinstance(v, int) and not isinstance(v, bool) and k == "move" else v) for k, v in row.items()}
        for row in frame.to_dicts()
    ]


def test_sample_changes_pace_projection_the_same(open_both):
    duck, spark = open_both(SAMPLE)
    assert spark.store.engine == "spark"
    for filters in ({}, {"segment": "Enterprise"}, {"channel": "webinar"}):
        assert_same(duck.changes(**filters), spark.changes(**filters), f"changes {filters}")
    assert_same(duck.pace(), spark.pace(), "pace")
    periods = duck.monthly_periods(4)
    assert_same(
        duck.projection_table(periods, Filters()).to_dicts(),
        spark.projection_table(periods, Filters()).to_dicts(),
        "projection",
    )


def test_hand_worked_pair_the_same(open_both, tmp_path_factory):
    import test_changes

    duck, spark = open_both(test_changes.build_pair(tmp_path_factory.mktemp("spark-changes")))
    for filters in ({}, {"segment": "SMB"}, {"segment": "Enterprise"}):
        assert_same(duck.changes(**filters), spark.changes(**filters), f"changes {filters}")
    for bucket in CHANGE_RECORD_BUCKETS:
        assert_same(frame_rows(duck.change_records(bucket)), frame_rows(spark.change_records(bucket)), bucket)


def test_hand_worked_pace_and_projection_the_same(open_both, tmp_path_factory):
    # the hand-worked fixtures of test_pace_projection.py (the tie of an age with a delay, a cohort younger
    # than W, events a second after as_of), rebuilt as test_spark_engine.hand_worked does
    import test_pace_projection as hand

    from dashboard.filters import Period

    november = [Period.of("2026-11-01", "2026-11-30")]
    for fixture in (hand.paced, hand.maturing):
        duck, spark = open_both(fixture.__wrapped__(tmp_path_factory).store.snapshot.path.parent)
        assert_same(duck.pace(), spark.pace(), f"pace {fixture.__name__}")
        assert_same(
            duck.projection_table(november, Filters()).to_dicts(),
            spark.projection_table(november, Filters()).to_dicts(),
            f"projection {fixture.__name__}",
        )

"""The prepared-facts file (dashboard/store.py): same numbers as building in memory, reused while
the snapshot is unchanged, rebuilt when it changes, and never required (unwritable roots)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.api import Funnel
from dashboard.filters import policy_params
from dashboard.policy import load_policy
from dashboard.snapshots import resolve
from dashboard.store import CACHE_DIR_NAME, Store, facts_key

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture()
def root(tmp_path, monkeypatch) -> Path:
    """A copy of the newest sample snapshot, and a user cache folder of its own."""
    newest = sorted(p for p in SAMPLE.iterdir() if p.name[:1].isdigit())[-1]
    shutil.copytree(newest, tmp_path / "data" / newest.name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "data"


def same(a, b) -> bool:
    """Equal, floats to 1e-12 relative: a parallel sum may add in another order."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return a == b


def _open(root: Path, prepared: bool) -> Funnel:
    info = resolve(root, None)
    return Funnel(Store(info, load_policy(root), prepared=prepared))


def test_prepared_and_in_memory_agree(root):
    # invariant: where the facts live cannot change a number
    prepared, in_memory = _open(root, True), _open(root, False)
    assert prepared.store.facts_path is not None and in_memory.store.facts_path is None
    assert same(prepared.kpis(), in_memory.kpis())
    assert same(prepared.kpis(segment="Enterprise"), in_memory.kpis(segment="Enterprise"))
    for model in ("first_touch", "linear", "time_decay"):
        assert same(prepared.campaigns(model=model), in_memory.campaigns(model=model))
    assert same(prepared.scoring(), in_memory.scoring())
    lead_records = prepared.records(
        "leads",
        prepared.default_period(),
        prepared.filters(),
        stage="mql_in_period",
        owner=None,
        score_from=None,
        score_to=None,
    )
    assert lead_records.height == prepared.kpis()["kpis"]["mqls"]


def test_reused_while_unchanged_rebuilt_when_changed(root):
    first = _open(root, True).store.facts_path
    assert first.parent == root / CACHE_DIR_NAME
    stamp = first.stat().st_mtime_ns
    assert _open(root, True).store.facts_path == first
    assert first.stat().st_mtime_ns == stamp  # reused, not rebuilt
    # a replaced table file (new size/mtime) is a different snapshot: new facts, the old file removed
    leads = next(root.glob("*/leads.parquet"))
    os.utime(leads, ns=(stamp + 10**9, stamp + 10**9))
    second = _open(root, True).store.facts_path
    assert second != first and second.is_file() and not first.exists()


def test_unwritable_root_uses_the_user_cache(root, tmp_path):
    (root / CACHE_DIR_NAME).write_text("a file where the cache folder would go")
    path = _open(root, True).store.facts_path
    assert path is not None and path.is_relative_to(tmp_path / "user-cache")


def test_queries_on_prepared_facts_run_under_the_memory_cap(root):
    # the attached file's blocks are cached up to DuckDB's memory limit: capped (store.py), so a long
    # session does not grow the process to 80% of RAM; facts built in memory keep DuckDB's default
    from dashboard.store import QUERY_MEMORY_LIMIT

    def limit(funnel):
        return funnel.store._con.execute("select current_setting('memory_limit')").fetchone()[0]

    import duckdb

    reference = duckdb.connect()
    reference.execute("SET memory_limit = $limit", {"limit": QUERY_MEMORY_LIMIT})
    capped = reference.execute("select current_setting('memory_limit')").fetchone()[0]
    prepared, in_memory = _open(root, True), _open(root, False)
    assert limit(prepared) == capped
    assert limit(in_memory) != capped
    # what exceeds the cap spills beside the facts file, never into the user's working folder
    spill = prepared.store._con.execute("select current_setting('temp_directory')").fetchone()[0]
    assert Path(spill).parent == prepared.store.facts_path.parent


@pytest.mark.parametrize(
    "stored_as", [pa.timestamp("ns", tz="Asia/Kolkata"), pa.timestamp("us"), pa.timestamp("ms", tz="America/New_York")]
)
def test_times_stored_another_way_give_the_same_numbers(root, tmp_path, stored_as):
    # invariant: a zoned timestamp is its instant whatever its zone and unit, and a zone-less one is
    # read as UTC (the contract; views.sql takes each time through timestamptz). The sample's
    # times are whole seconds, so a millisecond unit loses nothing.
    other = tmp_path / "other"
    shutil.copytree(root, other)
    for path in other.glob("*/*.parquet"):
        table = pq.read_table(path)
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(stored_as))
        pq.write_table(table, path)
    ours, theirs = _open(root, True), _open(other, True)
    assert pq.read_schema(next(other.glob("*/touches.parquet"))).field("touched_at").type == stored_as
    assert same(ours.kpis(), theirs.kpis())
    periods = ours.monthly_periods(13)
    assert same(
        ours.kpi_table(periods, ours.filters(), "segment").to_dicts(),
        theirs.kpi_table(periods, theirs.filters(), "segment").to_dicts(),
    )
    assert same(ours.campaigns(model="time_decay"), theirs.campaigns(model="time_decay"))
    # the records behind a number show the source rows as stored: the same rows
    period = ours.default_period()
    for funnel in (ours, theirs):
        leads = funnel.records(
            "leads", period, funnel.filters(), stage="mql_in_period", owner=None, score_from=None, score_to=None
        )
        deals = funnel.records(
            "opportunities", period, funnel.filters(), stage="created", owner=None, path_campaign=None
        )
        assert leads.height == funnel.kpis()["kpis"]["mqls"] > 0
        assert deals.height == funnel.kpis()["kpis"]["opportunities"] > 0


@pytest.mark.parametrize("changed", ["facts/views", "facts/lead_outcomes", "facts/calendar_span"])
def test_the_facts_key_covers_every_file_the_facts_are_built_from(root, monkeypatch, changed):
    # an edited facts query is a different build: its prepared facts must not be reused
    info = resolve(root, None)
    params = policy_params(load_policy(root), info.as_of)
    before = facts_key(info, params)
    real_read = Path.read_text

    def edited(path, *args, **kwargs):
        text = real_read(path, *args, **kwargs)
        return text + "\n-- edited\n" if path.as_posix().endswith(f"queries/{changed}.sql") else text

    monkeypatch.setattr(Path, "read_text", edited)
    assert facts_key(info, params) != before

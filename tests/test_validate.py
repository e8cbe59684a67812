"""The contract's checks (dashboard.validate): every error and warning rule on tiny hand-made tables, the
snapshot reader that never crashes, `funnel validate` exit codes, and the report as plain data."""

import datetime as dt
import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from snapshot_builder import campaign, lead, opportunity, table_of, touch, write_snapshot

from dashboard.cli import main
from dashboard.contract import TABLE_ORDER, TABLES
from dashboard.validate import IMPLEMENTED_TABLE_CHECKS, Report, validate_snapshot, validate_tables

AS_OF = dt.datetime(2026, 4, 30, 23, 59, 59, tzinfo=dt.UTC)


def tables(**rows) -> dict[str, pa.Table]:
    return {name: table_of(name, rows.get(name, [])) for name in TABLE_ORDER}


def good() -> dict[str, list[dict]]:
    return {
        "leads": [
            lead("L1", "2026-03-02T00:00:00Z", mql_at="2026-03-03T00:00:00Z", score=80),
            lead("L2", "2026-04-02T00:00:00Z", score=20),
        ],
        "opportunities": [opportunity("O1", "2026-04-10T00:00:00Z", 5000, lead_id="L1")],
        "campaigns": [campaign("C1", "2026-03-01", 900, end_date="2026-04-29")],
        "touches": [touch("T1", "L1", "C1", "2026-03-01T00:00:00Z")],
        "targets": [{"month": "2026-04-01", "metric": "mqls", "target": 10}],
    }


def findings(report: Report, rule: str, level: str = "errors"):
    return [f for f in getattr(report, level) if f.rule == rule]


def test_a_good_snapshot_has_no_findings():
    report = validate_tables(tables(**good()), AS_OF)
    assert report.ok and not report.errors and not report.warnings, report.to_text()


def test_every_contract_row_rule_has_a_check():
    stated = {check for t in TABLES.values() for check in t.checks}
    assert stated == set(IMPLEMENTED_TABLE_CHECKS)


ERRORS = [
    # (rows to change, table, column, rule, count, first example)
    (
        {"leads": [lead("L1", "2026-03-02T00:00:00Z"), lead("L1", "2026-03-03T00:00:00Z")]},
        "leads",
        "lead_id",
        "unique",
        2,
        "L1 (rows 1, 2)",
    ),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", segment=None)]}, "leads", "segment", "not_null", 1, "L1"),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", origin="web")]}, "leads", "origin", "allowed", 1, "L1: 'web'"),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", score=101.5)]}, "leads", "score", "range", 1, "L1: 101.5"),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", score=float("nan"))]}, "leads", "score", "type", 1, "L1: nan"),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", employees=-3)]}, "leads", "employees", "negative", 1, "L1: -3"),
    (
        {"opportunities": [opportunity("O1", "2026-04-10T00:00:00Z", -5)]},
        "opportunities",
        "amount",
        "negative",
        1,
        "O1: -5",
    ),
    (
        {"opportunities": [opportunity("O1", "2026-04-10T00:00:00Z", 5, lead_id="L9")]},
        "opportunities",
        "lead_id",
        "references",
        1,
        "O1: lead_id='L9'",
    ),
    (
        {"opportunities": [opportunity("O1", "2026-04-10T00:00:00Z", 5, origin="inbound")]},
        "opportunities",
        "origin",
        "allowed",
        1,
        "O1: 'inbound'",
    ),
    (
        {
            "opportunities": [
                dict(
                    opportunity("O1", "2026-04-10T00:00:00Z", 5),
                    is_won=True,
                    is_closed=False,
                    closed_at="2026-04-11T00:00:00Z",
                )
            ]
        },
        "opportunities",
        "is_won",
        "won_implies_closed",
        1,
        "O1",
    ),
    (
        {"opportunities": [opportunity("O1", "2026-04-10T00:00:00Z", 5, is_closed=True)]},
        "opportunities",
        "closed_at",
        "closed_needs_closed_at",
        1,
        "O1",
    ),
    ({"campaigns": [campaign("C1", "2026-03-01", -1)]}, "campaigns", "cost", "negative", 1, "C1: -1"),
    (
        {"touches": [touch("T1", "L9", "C1", "2026-03-01T00:00:00Z")]},
        "touches",
        "lead_id",
        "references",
        1,
        "T1: lead_id='L9'",
    ),
    (
        {"touches": [touch("T1", "L1", "C9", "2026-03-01T00:00:00Z")]},
        "touches",
        "campaign_id",
        "references",
        1,
        "T1: campaign_id='C9'",
    ),
    (
        {"targets": [{"month": "2026-04-01", "metric": "revenue", "target": 1}]},
        "targets",
        "metric",
        "allowed",
        1,
        "row 1: 'revenue'",
    ),
    (
        {"targets": [{"month": "2026-04-01", "metric": "mqls", "target": -1}]},
        "targets",
        "target",
        "negative",
        1,
        "row 1: -1",
    ),
    (
        {
            "targets": [
                {"month": "2026-04-01", "metric": "mqls", "target": 1},
                {"month": "2026-04-01", "metric": "mqls", "target": 2},
            ]
        },
        "targets",
        "month, metric, segment",
        "unique",
        2,
        "2026-04 mqls (all) (rows 1, 2)",
    ),
]


@pytest.mark.parametrize(
    "change, table, column, rule, count, example", ERRORS, ids=[f"{e[1]}.{e[2]}.{e[3]}" for e in ERRORS]
)
def test_each_error_rule(change, table, column, rule, count, example):
    rows = good() | change
    report = validate_tables(tables(**rows), AS_OF)
    assert not report.ok
    (f,) = [f for f in report.errors if f.rule == rule and f.column == column]
    assert (f.table, f.file, f.count) == (table, f"{table}.parquet", count)
    assert f.examples[0] == example
    line = f.to_text()
    assert f"{table}.parquet · {column} · {rule}:" in line and example in line


WARNINGS = [
    (
        {"leads": [lead("L1", "2026-03-02T00:00:00Z", mql_at="2026-03-05T00:00:00Z", sql_at="2026-03-04T00:00:00Z")]},
        "leads",
        "sql_at",
        "order",
    ),
    (
        {
            "leads": [
                lead("L1", "2026-03-02T00:00:00Z", mql_at="2026-03-05T00:00:00Z", accepted_at="2026-03-04T00:00:00Z")
            ]
        },
        "leads",
        "accepted_at",
        "order",
    ),
    (
        {
            "leads": [
                lead(
                    "L1",
                    "2026-03-02T00:00:00Z",
                    mql_at="2026-03-05T00:00:00Z",
                    first_response_at="2026-03-04T00:00:00Z",
                )
            ]
        },
        "leads",
        "first_response_at",
        "order",
    ),
    ({"leads": [lead("L1", "2026-05-02T00:00:00Z")]}, "leads", "created_at", "after_as_of"),
    ({"leads": [lead("L1", "2026-03-02T00:00:00Z", channel="tiktok")]}, "leads", "channel", "known"),
    ({"campaigns": [campaign("C1", "2026-03-01", 0)]}, "campaigns", "cost", "zero_cost"),
    (
        {"campaigns": [campaign("C1", "2026-03-01", 5, end_date="2026-02-01")]},
        "campaigns",
        "end_date",
        "end_before_start",
    ),
    ({"campaigns": [campaign("C1", "2026-03-01", 5, channel="display")]}, "campaigns", "channel", "known"),
    (
        {"opportunities": [opportunity("O1", "2026-03-01T00:00:00Z", 5, lead_id="L1")]},
        "opportunities",
        "created_at",
        "order",
    ),
    (
        {
            "opportunities": [
                opportunity(
                    "O1", "2026-04-10T00:00:00Z", 5, lead_id="L1", is_won=True, closed_at="2026-04-12T00:00:00Z"
                )
            ],
            "touches": [touch("T1", "L1", "C1", "2026-04-20T00:00:00Z")],
        },
        "touches",
        "touched_at",
        "touch_after_close",
    ),
    ({"targets": [{"month": "2026-04-15", "metric": "mqls", "target": 1}]}, "targets", "month", "month_start"),
    ({"touches": []}, "touches", None, "empty"),
]


@pytest.mark.parametrize("change, table, column, rule", WARNINGS, ids=[f"{w[1]}.{w[2]}.{w[3]}" for w in WARNINGS])
def test_each_warning_rule(change, table, column, rule):
    report = validate_tables(tables(**(good() | change)), AS_OF)
    assert report.ok, report.to_text()
    assert [(f.table, f.column) for f in report.warnings if f.rule == rule] == [(table, column)]


def test_no_as_of_skips_only_the_as_of_warning():
    rows = good() | {"leads": [lead("L1", "2030-01-01T00:00:00Z")], "touches": []}
    rows["opportunities"] = []
    assert not findings(validate_tables(tables(**rows), None), "after_as_of", "warnings")


def test_types_other_tools_write_are_accepted_and_wrong_types_refused():
    t = tables(**good())
    leads = t["leads"]
    # integer ids, nanosecond timestamps with a zone, a dictionary-encoded string column
    ids = pa.array([1, 2], pa.int64())
    created = leads.column("created_at").cast(pa.timestamp("ns", tz="Europe/Berlin"))
    t["leads"] = (
        leads.set_column(0, "lead_id", ids)
        .set_column(1, "created_at", created)
        .set_column(3, "channel", leads.column("channel").dictionary_encode())
    )
    t["touches"] = table_of("touches", [])
    t["opportunities"] = table_of("opportunities", [])
    report = validate_tables(t, AS_OF)
    assert report.ok, report.to_text()
    # a money column stored as text is a type error naming the stored type
    opps = table_of("opportunities", good()["opportunities"])
    t["opportunities"] = opps.set_column(9, "amount", pa.array(["5000"]))
    (f,) = findings(validate_tables(t, AS_OF), "type")
    assert (f.table, f.column) == ("opportunities", "amount") and "string" in f.message


def test_missing_table_and_missing_column():
    t = tables(**good())
    del t["targets"]
    t["campaigns"] = t["campaigns"].drop_columns(["cost"])
    report = validate_tables(t, AS_OF)
    assert [(f.table, f.column, f.rule) for f in report.errors] == [
        ("campaigns", "cost", "required"),
        ("targets", None, "missing"),
    ]


def test_report_is_plain_data():
    report = validate_tables(tables(**(good() | {"campaigns": [campaign("C1", "2026-03-01", 0)]})), AS_OF)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["ok"] is True and data["warnings"][0]["rule"] == "zero_cost"
    assert set(data["warnings"][0]) == {"table", "file", "column", "rule", "count", "examples", "message"}
    assert report.to_text().count("\n") == len(report.errors) + len(report.warnings) + len(report.notes) - 1


def test_lines_and_files_name_the_source():
    rows = good() | {"leads": [lead("L1", "2026-03-02T00:00:00Z"), lead("L2", "2026-03-02T00:00:00Z", origin="web")]}
    report = validate_tables(tables(**rows), AS_OF, files={"leads": "crm.csv"}, lines={"leads": np.array([2, 9])})
    (f,) = report.errors
    assert f.file == "crm.csv" and f.examples == ("L2 (line 9): 'web'",)


# --------------------------------------------------------------------------------------------------
# Snapshots on disk and `funnel validate`


@pytest.fixture
def root(tmp_path):
    rows = good()
    write_snapshot(tmp_path, "2026-03-31T23:59:59Z", **{k: v for k, v in rows.items() if k != "opportunities"})
    write_snapshot(tmp_path, "2026-04-30T23:59:59Z", **rows)
    return tmp_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_validate_a_root_and_one_snapshot(root, capsys):
    code, text = run(capsys, "validate", root)
    assert code == 0, text
    assert "2026-03-31: ok" in text and "2026-04-30: ok" in text
    code, text = run(capsys, "validate", root / "2026-04-30")
    assert code == 0 and "0 errors" in text


def test_validate_the_committed_sample(capsys):
    code, text = run(capsys, "validate", "data/sample")
    assert code == 0, text


def test_invalid_snapshot_exits_1(root, capsys):
    folder = root / "2026-04-30"
    pq.write_table(
        table_of("opportunities", [opportunity("O1", "2026-04-10T00:00:00Z", -5)]), folder / "opportunities.parquet"
    )
    code, text = run(capsys, "validate", root)
    assert code == 1
    assert "opportunities.parquet · amount · negative: 1 row with a negative amount · e.g. O1: -5" in text
    code, text = run(capsys, "validate", root, "--json")
    assert code == 1
    data = json.loads(text)
    assert [d["ok"] for d in data] == [True, False]


def test_bad_paths_exit_2(tmp_path, capsys):
    code, text = run(capsys, "validate", tmp_path / "nope")
    assert code == 2 and "no such file or folder" in text
    code, text = run(capsys, "validate", tmp_path)
    assert code == 2 and "no snapshots here" in text


def test_unreadable_files_are_findings_not_crashes(root):
    folder = root / "2026-04-30"
    (folder / "touches.parquet").write_bytes(b"not parquet at all")
    (folder / "targets.parquet").unlink()
    (folder / "snapshot.json").write_text('{"as_of": "someday"}', encoding="utf-8")
    report = validate_snapshot(folder)
    rules = {(f.table, f.rule) for f in report.errors}
    assert {("touches", "unreadable"), ("targets", "missing"), ("snapshot", "as_of")} <= rules
    assert "is not an ISO-8601 timestamp" in next(f.message for f in report.errors if f.rule == "as_of")


def test_snapshot_json_missing_or_broken(root):
    folder = root / "2026-04-30"
    (folder / "snapshot.json").write_text("{", encoding="utf-8")
    (f,) = [f for f in validate_snapshot(folder).errors if f.rule == "as_of"]
    assert f.file == "snapshot.json" and "not valid JSON" in f.message
    (folder / "snapshot.json").unlink()
    (f,) = [f for f in validate_snapshot(folder).errors if f.rule == "as_of"]
    assert "missing" in f.message


def test_row_counts_in_snapshot_json_are_checked(root):
    folder = root / "2026-04-30"
    meta = json.loads((folder / "snapshot.json").read_text())
    meta["rows"]["leads"] = 7
    (folder / "snapshot.json").write_text(json.dumps(meta))
    (f,) = findings(validate_snapshot(folder), "rows", "warnings")
    assert f.table == "leads" and "says 7 rows, the file has 2" in f.message


@pytest.mark.slow
def test_a_million_rows_validate_quickly():
    n = 1_000_000
    rng = np.random.default_rng(3)
    base = pa.scalar(dt.datetime(2025, 1, 1), pa.timestamp("us")).value
    created = pa.array(base + rng.integers(0, 10**13, n), pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    leads = table_of("leads", [])
    cols = {c.name: pa.nulls(n, c.arrow_type) for c in TABLES["leads"].columns}
    cols.update(
        lead_id=pa.array([f"L{i}" for i in range(n)]),
        created_at=created,
        origin=pa.array(["marketing"] * n),
        channel=pa.array(["email"] * n),
        segment=pa.array(["SMB"] * n),
        region=pa.array(["EMEA"] * n),
    )
    leads = pa.table(cols)
    t = tables(**good())
    t["leads"] = leads
    t["opportunities"] = table_of("opportunities", [])
    t["touches"] = table_of("touches", [])
    start = time.perf_counter()
    report = validate_tables(t, AS_OF)
    assert time.perf_counter() - start < 10
    assert [f.rule for f in report.errors] == []

"""queries/checks/: every file is read and run by dashboard.validate, says honestly what it needs, keeps
the contract's own rules (unique ids, references, the row rules in words) as files, and is triggered
here by a hand-made case (a new check without one fails `test_every_check_file_has_a_case`)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from snapshot_builder import campaign, lead, opportunity, touch
from test_validate import AS_OF, good, tables

from dashboard.contract import TABLES
from dashboard.store import QUERIES_DIR, query_header, sql_parameters
from dashboard.validate import IMPLEMENTED_TABLE_CHECKS, KEY, POS, check_files, validate_tables

CHECKS = {c.name.removeprefix("checks/"): c for c in check_files()}

L1 = "2026-03-02T00:00:00Z"
O_AT = "2026-04-10T00:00:00Z"

# check file -> (rows changed from test_validate.good(), offending rows, first example)
CASES = {
    "leads_mql_before_created": ({"leads": [lead("L1", L1, mql_at="2026-03-01T00:00:00Z")]}, 1, "L1"),
    "leads_response_before_mql": (
        {"leads": [lead("L1", L1, mql_at="2026-03-05T00:00:00Z", first_response_at="2026-03-04T00:00:00Z")]},
        1,
        "L1",
    ),
    "leads_accepted_before_mql": (
        {"leads": [lead("L1", L1, mql_at="2026-03-05T00:00:00Z", accepted_at="2026-03-04T00:00:00Z")]},
        1,
        "L1",
    ),
    "leads_sql_before_mql": (
        {"leads": [lead("L1", L1, mql_at="2026-03-05T00:00:00Z", sql_at="2026-03-04T00:00:00Z")]},
        1,
        "L1",
    ),
    "leads_rejected_before_mql": (
        {"leads": [lead("L1", L1, mql_at="2026-03-05T00:00:00Z", rejected_at="2026-03-04T00:00:00Z")]},
        1,
        "L1",
    ),
    "leads_sql_before_accepted": (
        {
            "leads": [
                lead(
                    "L1",
                    L1,
                    mql_at="2026-03-03T00:00:00Z",
                    accepted_at="2026-03-06T00:00:00Z",
                    sql_at="2026-03-05T00:00:00Z",
                )
            ]
        },
        1,
        "L1",
    ),
    "leads_unique_lead_id": (
        {"leads": [lead("L1", L1), lead("L2", L1), lead("L1", L1), lead("L1", L1), lead("L1", L1)]},
        4,
        "L1 (rows 1, 3, 4, ...)",
    ),
    "opportunities_closed_before_created": (
        {"opportunities": [opportunity("O1", O_AT, 5, lead_id="L1", is_closed=True, closed_at="2026-04-09T00:00:00Z")]},
        1,
        "O1",
    ),
    "opportunities_closed_needs_closed_at": (
        {"opportunities": [opportunity("O1", O_AT, 5, lead_id="L1", is_closed=True)]},
        1,
        "O1",
    ),
    "opportunities_created_before_lead": (
        {"opportunities": [opportunity("O1", "2026-03-01T00:00:00Z", 5, lead_id="L1")]},
        1,
        "O1: lead_id='L1'",
    ),
    "opportunities_unique_opportunity_id": (
        {"opportunities": [opportunity("O1", O_AT, 5, lead_id="L1"), opportunity("O1", O_AT, 6, lead_id="L1")]},
        2,
        "O1 (rows 1, 2)",
    ),
    "opportunities_unknown_lead": (
        {"opportunities": [opportunity("O1", O_AT, 5, lead_id="L9")]},
        1,
        "O1: lead_id='L9'",
    ),
    "opportunities_won_implies_closed": (
        {
            "opportunities": [
                dict(opportunity("O1", O_AT, 5, lead_id="L1"), is_won=True, is_closed=False, closed_at=O_AT)
            ]
        },
        1,
        "O1",
    ),
    "campaigns_end_before_start": (
        {"campaigns": [campaign("C1", "2026-03-01", 5, end_date="2026-02-01")]},
        1,
        "C1",
    ),
    "campaigns_unique_campaign_id": (
        {"campaigns": [campaign("C1", "2026-03-01", 5), campaign("C1", "2026-03-02", 5)]},
        2,
        "C1 (rows 1, 2)",
    ),
    "campaigns_zero_cost": ({"campaigns": [campaign("C1", "2026-03-01", 0)]}, 1, "C1"),
    "touches_after_close": (
        {
            "opportunities": [opportunity("O1", O_AT, 5, lead_id="L1", is_won=True, closed_at="2026-04-12T00:00:00Z")],
            "touches": [touch("T1", "L1", "C1", "2026-04-20T00:00:00Z")],
        },
        1,
        "T1: lead_id='L1'",
    ),
    "touches_unique_touch_id": (
        {"touches": [touch("T1", "L1", "C1", L1), touch("T1", "L1", "C1", L1)]},
        2,
        "T1 (rows 1, 2)",
    ),
    "touches_unknown_campaign": ({"touches": [touch("T1", "L1", "C9", L1)]}, 1, "T1: campaign_id='C9'"),
    "touches_unknown_lead": ({"touches": [touch("T1", "L9", "C1", L1)]}, 1, "T1: lead_id='L9'"),
    "targets_month_start": (
        {"targets": [{"month": "2026-04-15", "metric": "mqls", "target": 1}]},
        1,
        "row 1: 2026-04-15",
    ),
    "targets_unique_month_metric_segment": (
        {
            "targets": [
                {"month": "2026-04-01", "metric": "mqls", "target": 1, "segment": "smb"},
                {"month": "2026-04-01", "metric": "mqls", "target": 1},
                {"month": "2026-04-01", "metric": "mqls", "target": 2, "segment": "smb"},
            ]
        },
        2,
        "2026-04 mqls smb (rows 1, 3)",
    ),
}


def test_every_file_under_queries_checks_is_read():
    files = {p.stem for p in (QUERIES_DIR / "checks").glob("*.sql")}
    assert files and set(CHECKS) == files


def test_every_check_file_has_a_case():
    assert set(CASES) == set(CHECKS), "a check under queries/checks/ needs a case here that triggers it"


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_check_file_finds_its_rows(name):
    change, count, example = CASES[name]
    check = CHECKS[name]
    report = validate_tables(tables(**(good() | change)), AS_OF)
    found = getattr(report, f"{check.severity}s")
    (f,) = [f for f in found if (f.table, f.column, f.rule) == (check.table, check.column, check.rule)]
    assert (f.count, f.examples[0]) == (count, example), f.to_text()
    # the message is the header's template, counted
    assert f.message.startswith(f"{count:,} ") and "{" not in f.message


def test_a_good_snapshot_triggers_no_check_file():
    report = validate_tables(tables(**good()), AS_OF)
    assert not report.errors and not report.warnings


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_reads_only_the_columns_it_needs(name):
    # registered with nothing but its @needs columns (and the two the runner adds), the check must bind:
    # a column missing from @needs would break it on a table that lacks that column, not skip it
    check = CHECKS[name]
    con = duckdb.connect()
    data = tables(**good())
    for table in {t for t, _ in check.needs} | {check.table}:
        columns = {c: data[table].column(c) for t, c in check.needs if t == table}
        n = data[table].num_rows
        columns[KEY] = pa.chunked_array([pa.nulls(n, pa.string())])
        columns[POS] = pa.chunked_array([pa.array(range(1, n + 1), pa.int64())])
        con.register(f"v_{table}", pa.table(columns))
    rows = con.execute(f"select key, pos, value from ({check.sql}) limit 0").fetchall()
    assert rows == [] and not sql_parameters(check.sql)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_file_has_the_house_header(name):
    header = query_header(f"checks/{name}")
    assert header.startswith(f"{name}: "), "the header opens with the file's name and what it finds"
    for line in ("Grain:", "Inputs:", "Parameters:"):
        assert f"\n{line}" in header, f"checks/{name}.sql: header lacks {line}"
    assert CHECKS[name].severity in ("error", "warning")
    for table, column in CHECKS[name].needs:
        TABLES[table].column(column)  # KeyError for a column the contract does not have


def test_the_contracts_own_rules_are_check_files():
    rules = {(c.table, c.column, c.rule) for c in CHECKS.values()}
    for table in TABLES.values():
        for column in table.columns:
            if column.unique:
                assert (table.name, column.name, "unique") in rules
            if column.references:
                assert (table.name, column.name, "references") in rules
    assert set(IMPLEMENTED_TABLE_CHECKS.values()) <= {c.rule for c in CHECKS.values()}

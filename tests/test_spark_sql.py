"""queries/*.sql as Spark SQL: what the transpiler does to DuckDB's dialect, without starting Spark.

The numbers themselves are compared engine against engine in tests/test_spark_engine.py; these tests
pin the rules that make them agree, so a sqlglot upgrade that changes one fails here, by name.
"""

from __future__ import annotations

import re

import pytest

from dashboard.engines.spark_sql import TranspileError, spark_query, spark_views, transpile
from dashboard.store import QUERIES_DIR, query_parameters

# queries the API runs (the top of queries/; fragments/ are pasted in with `-- @include`), and the one
# the Spark engine runs before the facts (facts/views.sql is transpiled statement by statement, below)
QUERIES = sorted([p.stem for p in QUERIES_DIR.glob("*.sql")] + ["facts/calendar_span"])


def test_the_queries_are_the_ones_the_api_runs():
    assert {"kpis", "attribution", "scoring", "score_threshold", "plan", "filter_values"} <= set(QUERIES)
    assert not {"scope", "volumes", "conversion", "velocity"} & set(QUERIES)


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_transpiles_with_its_parameters_bound(name):
    statement = spark_query(name)
    assert statement.parameters == query_parameters(name)  # every $name became a :name marker
    assert "$" not in re.sub(r"'[^']*'", "''", statement.sql)  # (an error message may say "$stage")
    for parameter in statement.parameters:
        assert re.search(rf":{parameter}\b", statement.sql)
    # DuckDB-only spellings that must not reach Spark
    for duckdb_only in ("UNNEST(", "EPOCH_US(", "QUANTILE_CONT(", "PERCENTILE_CONT(", "LIST_", " ERROR("):
        assert duckdb_only not in statement.sql.upper(), duckdb_only


def test_views_become_selects_registered_by_name():
    statements = {s.target: s for s in spark_views()}
    assert {"leads", "opportunities", "touches", "lead_facts", "opportunity_facts", "attribution_credits"} <= set(
        statements
    )
    assert statements["lead_facts"].materialise and not statements["leads"].materialise
    assert statements["attribution_credits"].parameters == {"lookback_us", "half_life_days"}
    # each lead's outcomes are judged once, under the policy, its SLA clock and as_of (lead_outcomes.sql)
    assert statements["lead_facts"].parameters == {
        "window_us",
        "response_us",
        "decision_us",
        "as_of_us",
        "business_clock",
    }
    assert all(s.sql.upper().startswith(("SELECT", "WITH")) for s in statements.values())


def test_decimal_literals_are_doubles():
    # Spark keeps 1.0 / n as DECIMAL and caps its scale at 6 digits; DuckDB divides in DOUBLE
    sql = transpile("select 1.0 / n, 0.4 * x, 10 as whole, 1e5 as already_double from t").sql
    assert "CAST(1.0 AS DOUBLE) / n" in sql and "CAST(0.4 AS DOUBLE) * x" in sql
    assert "10 AS whole" in sql and "1e5 AS already_double" in sql


def test_a_computed_list_index_keeps_duckdbs_one_based_meaning():
    sql = transpile("select $keys[i] as k, $keys[1] as first from (select unnest(generate_series(1, 2)) as i)").sql
    assert "ELEMENT_AT(:keys, i) AS k" in sql  # element_at is 1-based, as DuckDB's [] is
    assert ":keys[0] AS first" in sql  # a literal index: sqlglot shifts it itself


def test_the_periods_come_from_one_generator():
    sql = spark_query("kpis").sql
    assert sql.count("EXPLODE(") == 1 and "EXPLODE(SEQUENCE(1, SIZE(:period_keys)))" in sql


def test_duckdb_functions_without_a_spark_twin_are_mapped_or_refused():
    sql = transpile("select epoch_us(cast(t as timestamp)) as us, error('bad ' || $x) as e from r").sql
    assert "UNIX_MICROS(CAST(CAST(t AS TIMESTAMP_NTZ) AS TIMESTAMP_LTZ))" in sql
    assert "RAISE_ERROR('bad ' || :x)" in sql
    with pytest.raises(TranspileError, match=r"queries/x.sql: list_sum\(\) is DuckDB-only"):
        transpile("select list_sum(xs) from t", "queries/x.sql")
    with pytest.raises(TranspileError, match="2 unnest"):
        transpile("select unnest($a) as a, unnest($b) as b", "queries/x.sql")


def test_ascending_orders_keep_duckdbs_nulls_last():
    # DuckDB sorts nulls last, Spark first (ascending): the transpiled ORDER BY says which
    sql = transpile("select a, row_number() over (order by b) as r from t order by a, c desc").sql
    assert "ORDER BY b NULLS LAST" in sql and "ORDER BY a NULLS LAST, c DESC" in sql

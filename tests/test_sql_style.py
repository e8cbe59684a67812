"""The SQL linter: every complete query under queries/ (its fragments expanded in place) parses as DuckDB
SQL and keeps the house style (dbt's: lowercase keywords, functions and types, explicit `as` for aliases,
single spaces, no ambiguous joins or distinct-with-group-by). sqlfluff cannot read a fragment alone
(`lead_periods as (...)` is not a statement), so fragments are checked inside the queries that include them.
"""

from __future__ import annotations

import re

import pytest

from dashboard.store import QUERIES_DIR, query_names, query_text

sqlfluff = pytest.importorskip("sqlfluff.core")

# capitalisation (CP01-05), spacing (LT01), implicit aliases (AL01), ambiguous distinct/union/join (AM01),
# simple case that should be coalesce/nullif (ST02). Indentation (LT02) is left out: an included
# fragment keeps its own file's indentation.
RULES = "CP01,CP02,CP03,CP04,CP05,LT01,AL01,AM01,ST02"
_FRAGMENT = re.compile(r"^\w+ as \(", re.MULTILINE)


def _is_fragment(name: str) -> bool:
    code = [
        line
        for line in (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("--")
    ]
    return bool(code) and bool(_FRAGMENT.match(code[0]))


COMPLETE = [name for name in query_names() if not _is_fragment(name)]


@pytest.fixture(scope="module")
def linter():
    config = sqlfluff.FluffConfig(
        overrides={"dialect": "duckdb", "templater": "placeholder", "rules": RULES},
        configs={"templater": {"placeholder": {"param_style": "dollar"}}},
    )
    return sqlfluff.Linter(config=config)


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPLETE)
def test_query_parses_and_keeps_the_house_style(linter, name):
    violations = linter.lint_string(query_text(name)).get_violations()
    report = [f"line {v.line_no}:{v.line_pos} {v.rule_code()} {v.desc()}" for v in violations]
    assert not report, f"queries/{name}.sql (fragments expanded):\n" + "\n".join(report)


def test_fragments_are_included_by_a_complete_query():
    # a fragment no query includes is dead SQL, and no linter would ever read it
    included = {
        m for name in COMPLETE for m in re.findall(r"@include\s+(\w+)\.sql", (QUERIES_DIR / f"{name}.sql").read_text())
    }
    nested = {
        m for name in included for m in re.findall(r"@include\s+(\w+)\.sql", (QUERIES_DIR / f"{name}.sql").read_text())
    }
    assert {name for name in query_names() if _is_fragment(name)} <= included | nested

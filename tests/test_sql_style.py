"""The SQL linter: every complete query under queries/ (its fragments expanded in place) parses as DuckDB
SQL and keeps the house style (dbt's: lowercase keywords, functions and types, explicit `as` for aliases,
single spaces, no ambiguous joins or distinct-with-group-by). sqlfluff cannot read a fragment alone
(`lead_periods as (...)` is not a statement), so fragments are checked inside the queries that include them.
"""

from __future__ import annotations

import re

import pytest

from dashboard.store import query_names, query_path, query_text

sqlfluff = pytest.importorskip("sqlfluff.core")

# capitalisation (CP01-05), spacing (LT01), implicit aliases (AL01), ambiguous distinct/union/join (AM01),
# simple case that should be coalesce/nullif (ST02). Indentation (LT02) is left out: an included
# fragment keeps its own file's indentation.
RULES = "CP01,CP02,CP03,CP04,CP05,LT01,AL01,AM01,ST02"
_FRAGMENT = re.compile(r"^\w+ as \(", re.MULTILINE)


def _is_fragment(name: str) -> bool:
    code = [
        line
        for line in query_path(name).read_text(encoding="utf-8").splitlines()
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


def test_every_fragment_is_included_and_every_include_is_a_fragment():
    # queries/fragments/ holds exactly the CTEs queries share: one no query includes is dead SQL that no
    # linter reads, and a top-level file included elsewhere belongs among the fragments
    fragments = {name.split("/", 1)[1] for name in query_names() if name.startswith("fragments/")}
    included = {m for name in query_names() for m in re.findall(r"@include\s+(\w+)\.sql", query_path(name).read_text())}
    assert fragments <= included, f"never included: {sorted(fragments - included)}"
    # facts/views.sql includes facts/lead_outcomes.sql (beside it): the prepared facts' own step, not a shared fragment
    assert included - fragments == {"lead_outcomes"}
    assert all(_is_fragment(f"fragments/{name}") for name in fragments)

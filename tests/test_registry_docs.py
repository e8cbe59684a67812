"""The registry, the generated glossary and the query files stay in step."""

from pathlib import Path

import pytest

from dashboard.metrics import KPI_KEYS, METRICS, render_docs
from dashboard.store import QUERIES_DIR, query_header, query_names, query_parameters

ROOT = Path(__file__).resolve().parent.parent


def test_docs_metrics_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == render_docs(), (
        "docs/metrics.md is stale: run `python -m dashboard.metrics > docs/metrics.md`"
    )


def test_every_metric_names_an_existing_query():
    for m in METRICS:
        assert (QUERIES_DIR / f"{m.query}.sql").is_file(), m.key


def test_kpi_keys_are_the_spec_tables_from_volumes_to_cost():
    # metrics.md: Volumes 9, Conversion 5, Velocity 4, Deals 7, SLA sales 4, SLA marketing 3, Cost 5
    assert len(KPI_KEYS) == 37
    assert len(set(m.key for m in METRICS)) == len(METRICS)


@pytest.mark.parametrize("name", query_names())
def test_every_query_file_has_a_header_with_its_grain(name):
    # the named queries, and those under fragments/, facts/ and checks/ too
    header = query_header(name)
    assert "Grain:" in header, f"{name}.sql: header must state its grain"
    assert "Parameters:" in header or "parameters" in header.lower(), f"{name}.sql: header must list parameters"


def test_queries_take_user_values_only_as_parameters():
    # the filters reach SQL as $names, never as text pasted in
    assert {"segment", "region", "channel", "origin", "campaign"} <= query_parameters("kpis")
    for path in QUERIES_DIR.rglob("*.sql"):
        # (a check's header holds its message template, `{rows} with ...`: comments are not SQL)
        text = "\n".join(line.split("--")[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert "{" not in text.replace("{}", ""), f"{path.name}: looks like a format template"


def _columns_written(path: Path) -> set[str]:
    """Columns a query's selects compute (an `as name` whose expression is more than a pass-through of
    the same column from a fragment, such as `coalesce(lf.mqls, 0) as mqls`)."""
    import re

    written = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        for match in re.finditer(r"(.*?)\bas (\w+)\b", line):
            expression, name = match.group(1).strip().rstrip(","), match.group(2)
            if not re.fullmatch(rf"(coalesce\()?\w+\.{name}(, 0\))?", expression):
                written.add(name)
    return written


def test_every_metric_points_at_the_query_that_writes_its_final_value():
    # the registry's `query` is shown next to the number: it must be the file whose select computes it
    for m in METRICS:
        written = _columns_written(QUERIES_DIR / f"{m.query}.sql")
        assert m.column_name in written, f"{m.key}: queries/{m.query}.sql does not compute {m.column_name}"
        if m.query == "changes":  # one row per bucket: the bucket's row must be written too
            bucket = "won" if m.key == "won_bookings" else m.key.removeprefix("changes_")
            assert f"('{bucket}'," in (QUERIES_DIR / "changes.sql").read_text(), m.key

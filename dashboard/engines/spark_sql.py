"""queries/*.sql (DuckDB SQL, the one copy) as Spark SQL, transpiled with sqlglot when first used.

sqlglot maps most of DuckDB's dialect to Spark's (casts, date_diff, median, FILTER clauses, the NULL
order of ORDER BY, $name -> :name parameter markers). A few rules it does not apply are added here,
each a statement about the two dialects rather than about one query:

- A decimal literal (`0.4`, `86400000000.0`) is DOUBLE on Spark. DuckDB reads it as DECIMAL too, but
  turns DECIMAL division into DOUBLE; Spark keeps DECIMAL and caps the scale at 6 digits once the
  precision runs out, which would lose the 1e-9 agreement the tests require.
- A subscript with a computed index, `$list[i]`, becomes `element_at(list, i)`: DuckDB lists are
  1-based, Spark's `[]` is 0-based (sqlglot shifts only literal indexes), `element_at` is 1-based.
- `epoch_us(ts)` -> `unix_micros(cast(ts as timestamp_ltz))`, `error(msg)` -> `raise_error(msg)`.

Anything else that is DuckDB-only fails here, at load time, naming the query and the function, rather
than halfway through a Spark job. Where a construct has no faithful mapping, the SQL in queries/ is
written in the subset both engines read the same (see docs/spark.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp

from dashboard.store import query_text, view_statements

# DuckDB function -> its Spark equivalent (same arguments, same meaning)
_RENAMED = {"EPOCH_US": "UNIX_MICROS", "ERROR": "RAISE_ERROR"}
# functions sqlglot passes through by name that Spark has, with the same meaning
_SPARK_FUNCTIONS = {"UNIX_MICROS", "RAISE_ERROR", "ELEMENT_AT"}


class TranspileError(ValueError):
    """A query uses DuckDB SQL that has no faithful Spark form; the message names query and construct."""


@dataclass(frozen=True)
class SparkStatement:
    """One statement as Spark runs it: the SELECT text and the `:names` it binds.

    `target`/`materialise` are set for views.sql's `create or replace view|table NAME as SELECT`:
    Spark does not allow parameter markers in a view's definition, so the store runs the SELECT with
    its parameters bound and registers the result under NAME (cached when it was a table).
    """

    sql: str
    parameters: frozenset[str]
    target: str | None = None
    materialise: bool = False


def _to_spark(tree: exp.Expression, where: str) -> tuple[str, frozenset[str]]:
    tree = tree.copy()
    for node in tree.find_all(exp.Parameter):  # `$1` or `${x}`: the queries use named `$name` only
        raise TranspileError(f"{where}: parameter {node.sql('duckdb')} is not a named $parameter")
    for literal in list(tree.find_all(exp.Literal)):
        # 1e5 is a DOUBLE on both engines already; `0.4` is DECIMAL on both (see the module doc)
        if literal.is_number and not literal.is_int and "e" not in literal.this.lower():
            literal.replace(exp.cast(literal.copy(), exp.DataType.build("double")))
    for bracket in list(tree.find_all(exp.Bracket)):
        index = bracket.expressions[0] if len(bracket.expressions) == 1 else None
        if index is not None and not isinstance(index, exp.Literal):
            bracket.replace(exp.Anonymous(this="ELEMENT_AT", expressions=[bracket.this, index]))
    for function in list(tree.find_all(exp.Anonymous)):
        name = function.name.upper()
        if name == "EPOCH_US":
            # DuckDB's timestamp has no zone (sqlglot writes Spark's TIMESTAMP_NTZ); unix_micros takes
            # Spark's zoned TIMESTAMP. In a UTC session the cast between them keeps the instant.
            (argument,) = function.expressions
            function.set("expressions", [exp.cast(argument, exp.DataType.build("timestampltz"))])
        if name in _RENAMED:
            function.set("this", _RENAMED[name])
        elif name not in _SPARK_FUNCTIONS:
            raise TranspileError(
                f"{where}: {name.lower()}() is DuckDB-only (no Spark mapping); "
                "rewrite it in SQL both engines read the same"
            )
    for select in tree.find_all(exp.Select):
        generators = [e for e in select.expressions if e.find(exp.Unnest, exp.Explode)]
        if len(generators) > 1:
            raise TranspileError(
                f"{where}: {len(generators)} unnest() in one SELECT; Spark allows one "
                "generator per SELECT (index the lists with one generated index instead)"
            )
    names = frozenset(p.name for p in tree.find_all(exp.Placeholder))
    return tree.sql(dialect="spark", comments=False), names


def transpile(duckdb_sql: str, where: str = "query") -> SparkStatement:
    """One DuckDB statement as Spark SQL, with the parameters it binds; `where` names it in errors."""
    try:
        trees = [t for t in sqlglot.parse(duckdb_sql, read="duckdb") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise TranspileError(f"{where}: sqlglot cannot read it ({exc})") from None
    if len(trees) != 1:
        raise TranspileError(f"{where}: expected one statement, found {len(trees)}")
    sql, names = _to_spark(trees[0], where)
    return SparkStatement(sql, names)


@cache
def spark_query(name: str) -> SparkStatement:
    """queries/<name>.sql as Spark SQL (cached per query name: transpiling kpis takes ~0.25 s)."""
    return transpile(query_text(name), f"queries/{name}.sql")


@cache
def spark_views() -> tuple[SparkStatement, ...]:
    """queries/facts/views.sql, statement by statement, as the SELECTs that build each view and table."""
    statements = []
    for i, text in enumerate(view_statements(), start=1):
        where = f"queries/facts/views.sql statement {i}"
        tree = sqlglot.parse_one(text, read="duckdb")
        if not isinstance(tree, exp.Create) or tree.kind not in ("VIEW", "TABLE") or tree.expression is None:
            raise TranspileError(f"{where}: expected `create or replace view|table NAME as SELECT`")
        sql, names = _to_spark(tree.expression, where)
        statements.append(SparkStatement(sql, names, target=tree.this.name, materialise=tree.kind == "TABLE"))
    return tuple(statements)

"""The data contract's checks, written once: `funnel import` runs them before writing a snapshot,
`funnel validate` runs them on snapshots already written, and the Data page shows their report.

Errors refuse a snapshot (the rules of ../shared/spec/data-contract.md); warnings are reported and
accepted. Two kinds of check, both over the tables registered as views `v_<table>`:
- the per-column rules (not null, a finite number, its range, its allowed or known values, not after
  as_of) are generated here from `dashboard.contract`, which states them column by column: they are the
  contract as code. Each is one vectorised condition, and one aggregate scan per table counts all of
  them, so a 10M-row table validates in seconds;
- every rule of one table or a pair of tables (ids unique, references, the order of stages, won
  implies closed, ...) is a file under queries/checks/, read with the store's loader. Its header says
  what it finds and holds the finding's severity, table, column, rule, the columns it needs and its
  message; its select returns the offending rows as `key, pos, value`.
A failing check costs a second small query for its first few offenders. Identifiers in generated SQL
come from the contract only (quoted), values are always bound. Column lists, types, allowed values and
limits come from `dashboard.contract`; nothing here restates them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dashboard.contract import TABLE_ORDER, TABLES, Table
from dashboard.errors import UsageError
from dashboard.snapshots import SnapshotError, is_snapshot_folder, read_info, scan_root
from dashboard.store import CHECKS, bound_parameters, query_names, query_path, query_text

EXAMPLES = 5  # offending ids / lines shown per finding

POS = "__funnel_pos"  # the source line (import) or row number (snapshot) of each row
KEY = "__funnel_key"  # the row's key (the contract's key column) where the table has one it could read, else null


# --------------------------------------------------------------------------------------------------
# The report: a plain data object (the Data page renders it; the CLI prints to_text()).


@dataclass(frozen=True)
class Finding:
    """One broken (or suspicious) rule: where, which rule, how many rows, the first few offenders."""

    table: str
    file: str
    column: str | None
    rule: str
    count: int
    examples: tuple[str, ...] = ()
    message: str = ""

    def to_text(self, level: str = "error") -> str:
        where = f"{self.file} · {self.column}" if self.column else self.file
        text = f"{level:<7} {where} · {self.rule}: {self.message}"
        if self.examples:
            text += " · e.g. " + ", ".join(self.examples)
        return text

    def to_dict(self) -> dict:
        return {
            "table": self.table,
            "file": self.file,
            "column": self.column,
            "rule": self.rule,
            "count": self.count,
            "examples": list(self.examples),
            "message": self.message,
        }


@dataclass
class Report:
    """What validation (or an import) found. `ok` means: no errors (warnings are allowed)."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # normalisations an import did, tables written empty

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, *args, **kw) -> None:
        self.errors.append(Finding(*args, **kw))

    def warn(self, *args, **kw) -> None:
        self.warnings.append(Finding(*args, **kw))

    def extend(self, other: Report) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.notes.extend(other.notes)

    def to_text(self) -> str:
        lines = [f.to_text("error") for f in self.errors]
        lines += [f.to_text("warning") for f in self.warnings]
        lines += [f"note    {n}" for n in self.notes]
        if not lines:
            return "ok: every contract check passed"
        return "\n".join(lines)

    def summary(self) -> str:
        state = "ok" if self.ok else "INVALID"
        return f"{state}: {_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}"

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """The report to_dict() wrote (the store keeps each snapshot's report beside its facts)."""

        def finding(d: dict) -> Finding:
            return Finding(
                d["table"], d["file"], d["column"], d["rule"], int(d["count"]), tuple(d["examples"]), d["message"]
            )

        return cls([finding(d) for d in data["errors"]], [finding(d) for d in data["warnings"]], list(data["notes"]))

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "notes": list(self.notes),
        }


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _rows(n: int) -> str:
    return _plural(n, "row")


_NOUNS = {"rows": "row", "campaigns": "campaign", "touches": "touch", "opportunities": "opportunity", "leads": "lead"}
_GROUP_NOUNS = {"duplicated ids": "duplicated id", "duplicated keys": "duplicated key"}


def _counted(template: str, n: int, groups: int = 0) -> str:
    """'{campaigns} with zero cost' -> '1 campaign with zero cost' / '3 campaigns with zero cost';
    '{duplicated ids}' counts `groups` the same way."""
    for plural, singular in _NOUNS.items():
        template = template.replace("{" + plural + "}", f"{n:,} {singular if n == 1 else plural}")
    for plural, singular in _GROUP_NOUNS.items():
        template = template.replace("{" + plural + "}", f"{groups:,} {singular if groups == 1 else plural}")
    return template


# --------------------------------------------------------------------------------------------------
# Types


def compatible(kind: str, t: pa.DataType) -> bool:
    """Whether a stored Arrow type can be read as the contract's logical type without loss of meaning.

    Other tools may store ids as integers, timestamps with a zone or in nanoseconds, dates as
    timestamps: all readable (queries/facts/views.sql casts them the same way).
    """
    if pa.types.is_null(t):
        return True
    if pa.types.is_dictionary(t):
        t = t.value_type
    stringy = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    if kind == "string":
        return stringy or pa.types.is_integer(t)
    if kind in ("timestamp", "date"):
        return pa.types.is_timestamp(t) or pa.types.is_date(t)
    if kind == "integer":
        return pa.types.is_integer(t)
    if kind in ("number", "decimal"):
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    if kind == "boolean":
        return pa.types.is_boolean(t)
    raise ValueError(kind)


def _nested_or_binary(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return (
        pa.types.is_nested(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
        or pa.types.is_binary_view(t)
    )


def _normalise(column: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    """A compatible stored column as the one Arrow type the checks expect (cheap casts, no SQL casts).

    Timestamps become naive UTC microseconds (Arrow keeps UTC instants, so dropping the zone is free);
    zone-less timestamps are taken as UTC, as the contract says.
    """
    t = column.type
    if pa.types.is_dictionary(t) or pa.types.is_null(t):
        column = column.cast(t.value_type if pa.types.is_dictionary(t) else ARROW_NAIVE[kind])
        t = column.type
    target = ARROW_NAIVE[kind]
    if kind == "string" and not pa.types.is_integer(t):
        return column  # string, large_string or string_view: DuckDB reads each as VARCHAR
    if kind == "integer":
        return column
    if kind == "date" and pa.types.is_timestamp(t) and t.tz is not None:
        column = column.cast(pa.timestamp(t.unit), safe=False)
    if t == target:
        return column
    return column.cast(target, safe=False)


ARROW_NAIVE = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------------
# The per-column checks, generated from the contract
#
# Why these stay in Python while every rule of one table or a pair of tables is a file under
# queries/checks/: they are dashboard/contract.py read column by column (its nullable, type, min/max,
# allowed/known and timestamp fields), so a new column or a changed limit is checked with no SQL
# written; a file per column and rule would restate the contract ~80 times and drift from it. They are
# also counted together, one `count(*) filter (where ...)` each in one aggregate scan per table, which
# is what keeps a 10M-row table in seconds. The SQL is safe as generated: identifiers come from the
# contract only, quoted; every value (a limit, a list, as_of) is a bound parameter.


@dataclass
class _Check:
    severity: str  # "error" | "warning"
    table: str
    column: str | None
    rule: str
    condition: str  # SQL over the table's view; identifiers from the contract only, values bound
    describe: str  # "{rows}" is replaced by "3 rows" etc.
    needs: tuple[str, ...]
    params: dict = field(default_factory=dict)
    show_value: bool = False  # show the offending value beside each example
    value_summary: bool = False  # list the distinct offending values (with counts) in the message


def _column_checks(table: Table, as_of: dt.datetime | None) -> list[_Check]:
    checks: list[_Check] = []
    n = 0

    def param(value) -> str:
        nonlocal n
        n += 1
        return f"p{n}"

    for c in table.columns:
        col = _q(c.name)
        finite = f"isfinite({col}) and " if c.type in ("number", "decimal") else ""
        if not c.nullable:
            checks.append(
                _Check(
                    "error",
                    table.name,
                    c.name,
                    "not_null",
                    f"{col} is null",
                    f"{{rows}} with no {c.name} (it may not be blank)",
                    (c.name,),
                )
            )
        if c.type in ("number", "decimal"):
            checks.append(
                _Check(
                    "error",
                    table.name,
                    c.name,
                    "type",
                    f"(isnan({col}) or isinf({col}))",
                    f"{{rows}} with a {c.name} that is not a finite number",
                    (c.name,),
                    show_value=True,
                )
            )
        if c.min is not None and c.max is not None:
            lo, hi = param(c.min), param(c.max)
            checks.append(
                _Check(
                    "error",
                    table.name,
                    c.name,
                    "range",
                    f"{finite}({col} < ${lo} or {col} > ${hi})",
                    f"{{rows}} with {c.name} outside {c.min:g}..{c.max:g}",
                    (c.name,),
                    {lo: c.min, hi: c.max},
                    show_value=True,
                )
            )
        elif c.min is not None:
            lo = param(c.min)
            rule, words = ("negative", f"a negative {c.name}") if c.min == 0 else ("min", f"{c.name} below {c.min:g}")
            checks.append(
                _Check(
                    "error",
                    table.name,
                    c.name,
                    rule,
                    f"{finite}{col} < ${lo}",
                    f"{{rows}} with {words}",
                    (c.name,),
                    {lo: c.min},
                    show_value=True,
                )
            )
        elif c.max is not None:
            hi = param(c.max)
            checks.append(
                _Check(
                    "error",
                    table.name,
                    c.name,
                    "max",
                    f"{finite}{col} > ${hi}",
                    f"{{rows}} with {c.name} above {c.max:g}",
                    (c.name,),
                    {hi: c.max},
                    show_value=True,
                )
            )
        for kind, values, severity in (("allowed", c.allowed, "error"), ("known", c.known, "warning")):
            if values:
                p = param(values)
                words = "outside the contract's list" if kind == "allowed" else "not in the known list"
                checks.append(
                    _Check(
                        severity,
                        table.name,
                        c.name,
                        kind,
                        f"({col} is not null and not list_contains(${p}, {col}))",
                        f"{{rows}} with a {c.name} {words} ({', '.join(values)})",
                        (c.name,),
                        {p: list(values)},
                        show_value=True,
                        value_summary=True,
                    )
                )
        if c.type == "timestamp" and as_of is not None:
            p = param(as_of)
            checks.append(
                _Check(
                    "warning",
                    table.name,
                    c.name,
                    "after_as_of",
                    f"{col} > ${p}",
                    f"{{rows}} with {c.name} after the snapshot's as_of",
                    (c.name,),
                    {p: as_of.astimezone(dt.UTC).replace(tzinfo=None)},
                    show_value=True,
                )
            )

    return checks


# --------------------------------------------------------------------------------------------------
# The checks of one table or a pair of tables: queries/checks/*.sql


@dataclass(frozen=True)
class CheckFile:
    """One file under queries/checks/: its header's fields and its SQL (includes expanded).

    The header holds, one per line, `-- @severity: error|warning`, `-- @table:`, `-- @column:`,
    `-- @rule:`, `-- @needs:` (the columns it reads; `table.column` for another table's),
    `-- @message:` (the finding's text; `{rows}`, `{leads}`, ... `{duplicated ids}` are counted), and
    optionally `-- @shows: value|<column>` (each example shows the offending value, named or not) and
    `-- @examples: duplicates` (rows grouped by key, the way a uniqueness check is read).
    """

    name: str  # "checks/<file name without .sql>"
    severity: str
    table: str
    column: str | None
    rule: str
    needs: tuple[tuple[str, str], ...]  # (table, column)
    message: str
    sql: str
    shows: str | None = None
    examples: str = "rows"


_FIELDS = {"severity", "table", "column", "rule", "needs", "message", "shows", "examples"}
_REQUIRED = _FIELDS - {"shows", "examples"}


def _read_check(name: str) -> CheckFile:
    fields: dict[str, str] = {}
    for line in query_path(name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        if body.startswith("@"):
            key, _, value = body[1:].partition(":")
            if key not in _FIELDS or key in fields:
                raise ValueError(f"queries/{name}.sql: header field @{key} unknown or repeated")
            fields[key] = value.strip()
    missing = _REQUIRED - fields.keys()
    if missing:
        raise ValueError(f"queries/{name}.sql: header lacks {', '.join('@' + f for f in sorted(missing))}")
    if fields["severity"] not in ("error", "warning") or fields["table"] not in TABLES:
        raise ValueError(f"queries/{name}.sql: bad @severity or @table")
    if fields.get("examples", "rows") not in ("rows", "duplicates"):
        raise ValueError(f"queries/{name}.sql: @examples is rows or duplicates")
    needs = []
    for item in fields["needs"].split(","):
        table, _, column = item.strip().rpartition(".")
        needs.append((table or fields["table"], column))
    return CheckFile(
        name=name,
        severity=fields["severity"],
        table=fields["table"],
        column=fields["column"] or None,
        rule=fields["rule"],
        needs=tuple(needs),
        message=fields["message"],
        sql=query_text(name),
        shows=fields.get("shows") or None,
        examples=fields.get("examples", "rows"),
    )


@cache
def check_files() -> tuple[CheckFile, ...]:
    """Every file under queries/checks/, in the order they run: by table (the contract's order), then name."""
    checks = [_read_check(name) for name in query_names() if name.startswith(f"{CHECKS}/")]
    return tuple(sorted(checks, key=lambda c: (TABLE_ORDER.index(c.table), c.name)))


# Every row rule contract.py states in words has its check above (tests/test_validate.py holds us to it).
IMPLEMENTED_TABLE_CHECKS = {
    "is_won implies is_closed": "won_implies_closed",
    "a closed opportunity has closed_at": "closed_needs_closed_at",
    "month is the first day of a month": "month_start",
    "one row per month, metric and segment": "unique",
}


# --------------------------------------------------------------------------------------------------
# Validation


class _Context:
    """The tables registered in one DuckDB connection, with the columns each check may use."""

    def __init__(self, tables: dict, files: dict[str, str], lines: dict | None):
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.files = files
        self.lines = lines or {}
        self.usable: dict[str, set[str]] = {}
        self.counts: dict[str, int] = {}
        self.report = Report()
        for name in TABLE_ORDER:
            data = tables.get(name)
            if data is None:
                continue
            if not isinstance(data, pa.Table) and hasattr(data, "to_arrow"):
                data = data.to_arrow()
            contract = TABLES[name]
            usable: set[str] = set()
            columns: dict[str, pa.ChunkedArray] = {}
            for c in contract.columns:
                if c.name not in data.column_names:
                    self.report.error(
                        name,
                        self.file(name),
                        c.name,
                        "required",
                        data.num_rows,
                        message=f"required column {c.name} is missing",
                    )
                    continue
                t = data.schema.field(c.name).type
                if not compatible(c.type, t):
                    self.report.error(
                        name,
                        self.file(name),
                        c.name,
                        "type",
                        data.num_rows,
                        message=f"column {c.name} is stored as {t}, not {c.type}",
                    )
                    continue
                try:
                    columns[c.name] = _normalise(data.column(c.name), c.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    self.report.error(
                        name,
                        self.file(name),
                        c.name,
                        "type",
                        data.num_rows,
                        message=f"column {c.name} ({t}) cannot be read as {c.type} ({exc})",
                    )
                    continue
                usable.add(c.name)
            for f in data.schema:
                # nested or binary values have no text form: a CSV download of the records would fail
                if _nested_or_binary(f.type):
                    self.report.error(
                        name,
                        self.file(name),
                        f.name,
                        "nested",
                        data.num_rows,
                        message=f"column {f.name} is stored as {f.type}: lists, structs, maps "
                        "and binary data are not allowed (flatten it, or drop it)",
                    )
            pos = self.lines.get(name)
            if pos is None:
                pos = np.arange(1, data.num_rows + 1, dtype=np.int64)
            columns[POS] = pa.chunked_array([pa.array(pos, type=pa.int64())])
            key = contract.key
            columns[KEY] = columns[key] if key in usable else pa.chunked_array([pa.nulls(data.num_rows, pa.string())])
            self.con.register(f"v_{name}", pa.table(columns))
            self.usable[name] = usable
            self.counts[name] = data.num_rows

    def file(self, table: str) -> str:
        return self.files.get(table, f"{table}.parquet")

    def where(self, table: str) -> str:
        return "line" if table in self.lines else "row"

    def has(self, table: str, *columns: str) -> bool:
        return table in self.usable and all(c in self.usable[table] for c in columns)

    def label(self, table: str, key, pos, value=None, show_key_pos: bool = False, column: str | None = None) -> str:
        if key is None:
            text = f"{self.where(table)} {pos}"
        elif table in self.lines or show_key_pos:
            text = f"{key} ({self.where(table)} {pos})"
        else:
            text = str(key)
        if value is not None:
            text += f": {column}={_show(value)}" if column else f": {_show(value)}"
        return text


def _show(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _run_column_checks(ctx: _Context, name: str, as_of: dt.datetime | None) -> None:
    checks = [c for c in _column_checks(TABLES[name], as_of) if ctx.has(name, *c.needs)]
    if not checks:
        return
    params: dict = {}
    for c in checks:
        params.update(c.params)
    counts = ctx.con.execute(
        "select " + ", ".join(f"count(*) filter (where {c.condition})" for c in checks) + f" from v_{name}",
        params,
    ).fetchone()
    for check, count in zip(checks, counts):
        if not count:
            continue
        p = {k: v for k, v in check.params.items()}
        value = _q(check.column) if check.show_value else "null"
        rows = ctx.con.execute(
            f"select {_q(KEY)}, {_q(POS)}, {value} from v_{name} where {check.condition} "
            f"order by {_q(POS)} limit $examples",
            p | {"examples": EXAMPLES},
        ).fetchall()
        examples = tuple(ctx.label(name, k, pos, v if check.show_value else None) for k, pos, v in rows)
        message = _counted(check.describe, int(count))
        if check.value_summary:
            values = ctx.con.execute(
                f"select {_q(check.column)}, count(*) as n from v_{name} where {check.condition} "
                "group by all order by n desc, 1 limit $examples",
                p | {"examples": EXAMPLES},
            ).fetchall()
            message += "; values: " + ", ".join(f"{_show(v)} ({n:,})" for v, n in values)
        report = ctx.report.errors if check.severity == "error" else ctx.report.warnings
        report.append(Finding(name, ctx.file(name), check.column, check.rule, int(count), examples, message))


def _run_check_files(ctx: _Context, name: str) -> None:
    """The table's checks under queries/checks/ (those whose columns it could read): each counted, and
    the first few offenders fetched in source order, parameters bound."""
    for check in check_files():
        if check.table != name or not all(ctx.has(t, c) for t, c in check.needs):
            continue
        params = bound_parameters(check.name, {})
        # the offending rows, and for a uniqueness check the keys they repeat (0: not counted)
        groups_sql = "count(distinct key)" if check.examples == "duplicates" else "0"
        count, groups = ctx.con.execute(f"select count(*), {groups_sql} from ({check.sql})", params).fetchone()
        if not count:
            continue
        if check.examples == "duplicates":
            rows = ctx.con.execute(
                f"select key, list(pos order by pos) from ({check.sql}) group by key order by min(pos) limit $examples",
                params | {"examples": EXAMPLES},
            ).fetchall()
            examples = tuple(
                f"{k} ({ctx.where(name)}s {', '.join(str(p) for p in positions[:3])}"
                f"{', ...' if len(positions) > 3 else ''})"
                for k, positions in rows
            )
        else:
            rows = ctx.con.execute(
                f"select key, pos, value from ({check.sql}) order by pos limit $examples",
                params | {"examples": EXAMPLES},
            ).fetchall()
            named = None if check.shows in (None, "value") else check.shows
            examples = tuple(ctx.label(name, k, p, v if check.shows else None, column=named) for k, p, v in rows)
        report = ctx.report.errors if check.severity == "error" else ctx.report.warnings
        message = _counted(check.message, int(count), int(groups))
        report.append(Finding(name, ctx.file(name), check.column, check.rule, int(count), examples, message))


def validate_tables(
    tables: dict[str, pa.Table],
    as_of: dt.datetime | None,
    *,
    files: dict[str, str] | None = None,
    lines: dict | None = None,
) -> Report:
    """Check the five tables against the contract.

    `as_of` (aware) is the snapshot's moment (None: skip the "after as_of" warnings). `files` names the
    file each table came from (default `<table>.parquet`), `lines` gives each row's source line number
    (an int array per table; default: row numbers), both used in the findings.
    """
    ctx = _Context(tables, files or {}, lines)
    try:
        for name in TABLE_ORDER:
            if name not in tables:
                ctx.report.error(name, ctx.file(name), None, "missing", 0, message=f"the {name} table is missing")
                continue
            _run_column_checks(ctx, name, as_of)
            _run_check_files(ctx, name)
        for name in TABLE_ORDER:
            if ctx.counts.get(name) == 0:
                ctx.report.warn(name, ctx.file(name), None, "empty", 0, message=f"{name} has no rows")
    finally:
        ctx.con.close()
    return ctx.report


def read_parquet(path: Path) -> pa.Table:
    """A snapshot table: one Parquet file, or a folder of Parquet parts (as the store reads it)."""
    if path.is_dir():
        return ds.dataset(path, format="parquet").to_table()
    return pq.read_table(path)


def validate_snapshot(path: Path | str) -> Report:
    """Check one snapshot folder: snapshot.json's as_of, then the five Parquet files.

    A missing or unreadable file is an error finding, never an exception.
    """
    folder = Path(path)
    report = Report()
    as_of = None
    info = None
    try:
        info = read_info(folder)
        as_of = info.as_of
    except SnapshotError as exc:
        report.error(
            "snapshot",
            "snapshot.json",
            "as_of",
            "as_of",
            1,
            message=str(exc).replace(str(folder / "snapshot.json") + ": ", ""),
        )
    tables: dict[str, pa.Table] = {}
    for name in TABLE_ORDER:
        file = folder / f"{name}.parquet"
        if not file.exists():
            report.error(name, file.name, None, "missing", 0, message=f"{file.name} is missing")
            continue
        try:
            tables[name] = read_parquet(file)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            report.error(
                name, file.name, None, "unreadable", 0, message=f"{file.name} is not readable Parquet ({first})"
            )
    checked = validate_tables(tables, as_of)
    # tables that could not be read were reported above; do not report them missing twice
    checked.errors = [f for f in checked.errors if not (f.rule == "missing" and f.table not in tables)]
    report.extend(checked)
    if info is not None:
        for name, data in tables.items():
            said = info.rows.get(name)
            if said is not None and said != data.num_rows:
                report.warn(
                    name,
                    f"{name}.parquet",
                    None,
                    "rows",
                    abs(said - data.num_rows),
                    message=f"snapshot.json says {said:,} rows, the file has {data.num_rows:,}",
                )
    return report


# --------------------------------------------------------------------------------------------------
# `funnel validate PATH`


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="a snapshot folder, or a data root (every snapshot in it)")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")


def snapshot_folders(path: Path) -> list[Path]:
    """PATH as a list of snapshot folders: itself, or the dated folders of a data root."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (give a snapshot folder or a data root)")
    if is_snapshot_folder(path):
        return [path]
    # the root's catalogue (an interrupted --replace finished or undone first), readable folders and not
    good, bad = scan_root(path)
    found = sorted([s.path for s in good] + [b.path for b in bad])
    if not found:
        if any((path / f"{t}.parquet").exists() for t in TABLE_ORDER):
            return [path]  # a snapshot folder without its snapshot.json: validate it (and say so)
        raise UsageError(f"{path}: no snapshots here (expected a snapshot folder, or folders like 2026-09-30/)")
    return found


def run(args: argparse.Namespace) -> int:
    folders = snapshot_folders(Path(args.path))
    reports = [(folder, validate_snapshot(folder)) for folder in folders]
    if args.json:
        json.dump([{"snapshot": str(f), **r.to_dict()} for f, r in reports], sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for i, (folder, report) in enumerate(reports):
            if i:
                print()
            print(f"{folder}: {report.summary()}")
            if report.errors or report.warnings or report.notes:
                print(report.to_text())
    return 0 if all(r.ok for _, r in reports) else 1

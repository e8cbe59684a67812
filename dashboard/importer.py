"""`funnel import`: a CRM export (CSV or Parquet files, plus an optional TOML mapping) becomes a new snapshot.

Steps, per table: find the file, check it is readable text (UTF-8, no NUL bytes), read every cell as a
string (Polars), map source columns to contract columns (columns / constants / defaults / value maps),
parse each contract column to its type in vectorised form, keep unmapped source columns as extra string
columns. Then the contract's checks (dashboard.validate, the same code `funnel validate` runs) and, only
when no error was found, one atomic write (dashboard.snapshots.atomic_snapshot_dir): the new snapshot
folder appears whole or not at all, and an existing snapshot is never modified.

How to write a mapping, what is refused and what is only warned: docs/import.md. The mapping, the
readers and the parsers are dashboard/importing/; this module is the import itself and its command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dashboard.contract import TABLE_ORDER, TABLES
from dashboard.errors import UsageError
from dashboard.importing.mapping import MappingError, TableMapping, load_mapping, resolve_mapping
from dashboard.importing.parsers import ISO_INSTANT, POLARS_TYPES, _build_table, _parse_timestamp
from dashboard.importing.readers import LINE, PARQUET_SUFFIXES, _locate, _read_csv, _read_parquet
from dashboard.snapshots import SnapshotError, atomic_snapshot_dir, format_instant, parse_instant, read_info
from dashboard.validate import Report, validate_tables

# the names callers (tests, notebooks) import from here; the mapping, readers and parsers live in importing/
__all__ = [
    "ISO_INSTANT",
    "ImportResult",
    "MappingError",
    "TableMapping",
    "_parse_timestamp",
    "add_arguments",
    "import_export",
    "load_mapping",
    "parse_as_of",
    "read_export",
    "resolve_mapping",
    "run",
]


class ImportRefused(Exception):
    """The export breaks the contract; nothing was written. `report` says what, where and how often."""

    def __init__(self, report: Report):
        super().__init__(report.summary())
        self.report = report


# --------------------------------------------------------------------------------------------------
# The export as a whole


@dataclass
class Export:
    """An export read and parsed, before validation: what `funnel import` would write."""

    tables: dict[str, pl.DataFrame]  # contract columns (typed) + extras, in source order
    files: dict[str, str]  # table -> the source file it came from ("(no <table> file)" for an absent table)
    lines: dict[str, np.ndarray]  # table -> each row's CSV line (only tables read from CSV)
    report: Report
    as_of_cells: dict[str, dict[str, pl.Series]]
    failed: dict[str, set[str]]

    def latest_instant(self) -> dt.datetime | None:
        """The latest timestamp anywhere in the export (cells defaulted to the as-of excluded)."""
        latest = None
        for name, df in self.tables.items():
            for c in TABLES[name].columns:
                if c.type != "timestamp" or c.name not in df.columns:
                    continue
                value = df[c.name].max()
                if value is not None and (latest is None or value > latest):
                    latest = value
        return latest


def read_export(source: Path | str, mapping: dict[str, TableMapping] | None = None, progress=None) -> Export:
    """Read every table of an export (files found by the mapping, or by contract name without one)."""
    source = Path(source)
    mapping = mapping or {}
    report = Report()
    tables: dict[str, pl.DataFrame] = {}
    files: dict[str, str] = {}
    lines: dict[str, np.ndarray] = {}
    as_of_cells: dict[str, dict[str, pl.Series]] = {}
    failed: dict[str, set[str]] = {}
    seen_files: set[str] = set()
    for name in TABLE_ORDER:
        if progress:
            progress(name)
        spec = mapping.get(name) or TableMapping(name)
        if spec.empty:
            report.notes.append(f"{name}: none in this export (the mapping says empty = true): written empty")
            tables[name] = _empty_frame(name)
            files[name] = f"(no {name} file)"
            continue
        path = _locate(source, name, spec, report)
        if path is None:
            if any(f.table == name for f in report.errors):
                continue
            if name == "leads":
                report.error(
                    name,
                    "leads.csv",
                    None,
                    "missing_file",
                    0,
                    (),
                    f"{source} has no leads file (leads.csv or leads.parquet; a mapping names it with "
                    "[leads] file = ..., or says [leads] empty = true)",
                )
                continue
            report.notes.append(f"{name}: not in the export: written empty, with its columns")
            tables[name] = _empty_frame(name)
            files[name] = f"(no {name} file)"
            continue
        seen_files.add(path.name)
        files[name] = path.name
        if path.suffix.lower() in PARQUET_SUFFIXES:
            src = _read_parquet(path, name, report)
        else:
            src = _read_csv(path, name, spec, report)
        if src is None:
            continue
        parsed = _build_table(name, src, spec, report)
        if parsed is None:
            continue
        tables[name] = parsed.df
        if parsed.is_csv:
            lines[name] = parsed.df[LINE].to_numpy()
        as_of_cells[name] = parsed.as_of_cells
        failed[name] = parsed.failed_columns
    _link_leads(tables, files, mapping, report)
    _clear_expected_close(tables, files, report)
    for name, df in tables.items():
        if LINE in df.columns:
            tables[name] = df.drop(LINE)
    if source.is_dir():
        unused = sorted(
            p.name
            for p in source.iterdir()
            if p.is_file()
            and p.name not in seen_files
            and p.name != "snapshot.json"
            and p.suffix.lower() in (".csv", ".parquet", ".pq", ".tsv", ".txt")
        )
        if unused:
            report.notes.append(f"not used: {', '.join(unused)}")
    return Export(tables, files, lines, report, as_of_cells, failed)


def _empty_frame(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: POLARS_TYPES[c.type] for c in TABLES[name].columns})


def _link_leads(tables: dict, files: dict, mapping: dict, report: Report) -> None:
    """[opportunities] lead_id_from_leads: the lead whose (leads source) column holds the deal's id."""
    spec = mapping.get("opportunities")
    if not spec or not spec.lead_id_from_leads or "opportunities" not in tables or "leads" not in tables:
        return
    column = spec.lead_id_from_leads
    leads, opps = tables["leads"], tables["opportunities"]
    if column not in leads.columns:
        report.error(
            "leads",
            files.get("leads", "leads"),
            column,
            "missing_column",
            leads.height,
            (),
            f"[opportunities] lead_id_from_leads names {column!r}, which is not a column of the leads file",
        )
        return
    links = (
        leads.select(pl.col(column).cast(pl.String).alias("__deal"), pl.col("lead_id").alias("__lead"))
        .drop_nulls()
        .unique(subset="__deal", keep="first", maintain_order=True)
    )
    joined = opps.join(links, left_on="opportunity_id", right_on="__deal", how="left", maintain_order="left")
    filled = joined.select((pl.col("lead_id").is_null() & pl.col("__lead").is_not_null()).sum()).item()
    tables["opportunities"] = joined.with_columns(pl.coalesce("lead_id", "__lead").alias("lead_id")).drop("__lead")
    report.notes.append(
        f"{files['opportunities']}: lead_id: {filled:,} deal(s) linked to their lead through "
        f"the leads file's {column!r}"
    )


def _clear_expected_close(tables: dict, files: dict, report: Report) -> None:
    """An open deal's close date is the date sales expects, not a close: cleared (and said)."""
    df = tables.get("opportunities")
    if df is None:
        return
    open_dated = (pl.col("is_closed") == False) & pl.col("closed_at").is_not_null()  # noqa: E712
    n = df.select(open_dated.sum()).item()
    if n:
        tables["opportunities"] = df.with_columns(
            pl.when(open_dated).then(None).otherwise(pl.col("closed_at")).alias("closed_at")
        )
        report.notes.append(
            f"{files['opportunities']}: closed_at: cleared on {n:,} open deal(s) (an open deal's "
            "close date is an expected date, not a close)"
        )


def _finalise(export: Export, as_of: dt.datetime) -> dict[str, pa.Table]:
    """Fill as-of defaults, clear open deals' close dates, and convert to Arrow with the contract's types."""
    as_of_utc = as_of.astimezone(dt.UTC)
    out: dict[str, pa.Table] = {}
    for name, df in export.tables.items():
        for col, mask in export.as_of_cells.get(name, {}).items():
            kind = TABLES[name].column(col).type
            value = as_of_utc if kind == "timestamp" else as_of_utc.date()
            df = df.with_columns(
                pl.when(pl.lit(mask)).then(pl.lit(value).cast(POLARS_TYPES[kind])).otherwise(pl.col(col)).alias(col)
            )
        out[name] = _to_arrow(name, df, strict=False)
    return out


def _to_arrow(name: str, df: pl.DataFrame, strict: bool) -> pa.Table:
    contract = TABLES[name]
    data = df.to_arrow()
    fields = [pa.field(c.name, c.arrow_type, nullable=c.nullable or not strict) for c in contract.columns]
    for f in data.schema:
        if f.name not in contract.names:
            t = f.type
            if pa.types.is_large_string(t) or pa.types.is_string_view(t):
                t = pa.string()
            fields.append(pa.field(f.name, t))
    schema = pa.schema(fields)
    return data.select(schema.names).cast(schema)


def end_of_day(value: dt.datetime) -> dt.datetime:
    value = value.astimezone(dt.UTC)
    return dt.datetime.combine(value.date(), dt.time(23, 59, 59), tzinfo=dt.UTC)


def parse_as_of(text: str) -> dt.datetime:
    """--as-of: an ISO-8601 timestamp; a date alone means the end of that day (23:59:59Z)."""
    text = text.strip()
    value = parse_instant(text)
    if len(text) == 10:  # YYYY-MM-DD
        value = end_of_day(value)
    return value


@dataclass
class ImportResult:
    path: Path
    as_of: dt.datetime
    rows: dict[str, int]
    report: Report


def import_export(
    source: Path | str,
    out: Path | str,
    *,
    mapping: dict[str, TableMapping] | Path | str | None = None,
    as_of: dt.datetime | str | None = None,
    replace: bool = False,
    progress=None,
    allow_empty: bool = False,
) -> ImportResult:
    """Read, check and write one export as `<out>/<as_of date>/`. Raises ImportRefused (nothing written)."""
    source, out = Path(source), Path(out)
    mapping_name = None
    if not isinstance(mapping, dict):
        mapping_name = Path(mapping).name if mapping else None
        mapping = load_mapping(mapping)
    if isinstance(as_of, str):
        as_of = parse_as_of(as_of)
    if as_of is not None:
        _refuse_existing(out, as_of, replace)
    export = read_export(source, mapping, progress=progress)
    report = export.report
    if as_of is None:
        as_of = _source_as_of(source, report)
    if as_of is None:
        latest = export.latest_instant()
        if latest is None and report.ok:
            raise MappingError("the export holds no timestamp to take the as-of from: give --as-of")
        if latest is not None:
            as_of = end_of_day(latest)
            report.notes.append(
                f"as_of: not given; the end of the day of the export's latest timestamp: {format_instant(as_of)}"
            )
    if as_of is not None and all(name in export.tables for name in TABLE_ORDER):
        # every table was read: the contract's checks run even when some values did not parse, so one
        # attempt shows every problem (a column that did not parse is not also reported as blank)
        if progress:
            progress("validate")
        tables = _finalise(export, as_of)
        checked = validate_tables(tables, as_of, files=export.files, lines=export.lines)
        report.errors.extend(
            f for f in checked.errors if not (f.rule == "not_null" and f.column in export.failed.get(f.table, set()))
        )
        report.warnings.extend(checked.warnings)
    # a mapping that declares the leads empty (`[leads] empty = true`) says so as plainly as --allow-empty
    allow_empty = allow_empty or bool(mapping.get("leads") and mapping["leads"].empty)
    if report.ok and not allow_empty and "leads" in export.tables and len(export.tables["leads"]) == 0:
        # a header-only export would become the newest, default snapshot with every number empty
        report.error(
            "leads",
            export.files.get("leads", "leads"),
            None,
            "empty_export",
            0,
            (),
            "the export holds no leads: refused, so it cannot become the newest snapshot with "
            "every number empty (import it with --allow-empty if that is what you mean)",
        )
    if not report.ok:
        raise ImportRefused(report)
    _refuse_existing(out, as_of, replace)
    if progress:
        progress("write")
    label = f"funnel import {source.resolve()}" + (f" (mapping {mapping_name})" if mapping_name else "")
    try:
        with atomic_snapshot_dir(out, as_of, label, replace=replace) as tmp:
            for name in TABLE_ORDER:
                pq.write_table(
                    _to_arrow(name, pl.from_arrow(tables[name]), strict=True),
                    tmp / f"{name}.parquet",
                    compression="zstd",
                    compression_level=3,
                )
            (tmp / "import_report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    except SnapshotError as exc:
        raise MappingError(str(exc)) from None
    path = out / as_of.astimezone(dt.UTC).date().isoformat()
    return ImportResult(path, as_of, {n: t.num_rows for n, t in tables.items()}, report)


def _refuse_existing(out: Path, as_of: dt.datetime, replace: bool) -> None:
    final = out / as_of.astimezone(dt.UTC).date().isoformat()
    if final.exists() and not replace:
        raise MappingError(
            f"{final}: a snapshot for {final.name} already exists; an existing snapshot is never "
            "modified (use --replace to swap it for this import)"
        )


def _source_as_of(source: Path, report: Report) -> dt.datetime | None:
    meta = source / "snapshot.json"
    if not meta.is_file():
        return None

    try:
        return read_info(source).as_of
    except SnapshotError as exc:
        report.error("snapshot", "snapshot.json", "as_of", "as_of", 1, (), str(exc).replace(str(meta) + ": ", ""))
        return None


# --------------------------------------------------------------------------------------------------
# `funnel import`


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", required=True, metavar="DIR", help="the folder holding the export's CSV/Parquet files")
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help="a TOML mapping (or the name of a shipped one: salesforce, hubspot, olist, maven)",
    )
    p.add_argument("--out", required=True, metavar="ROOT", help="the data root the new snapshot folder goes into")
    p.add_argument(
        "--as-of",
        metavar="ISO",
        help="the export's moment (a date alone: the end of that day, UTC); default: the source's "
        "snapshot.json, else the end of the day of the export's latest timestamp",
    )
    p.add_argument("--replace", action="store_true", help="swap an existing snapshot of the same date")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept an export with no leads (refused by default: it would become the newest snapshot)",
    )


def run(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.is_dir():
        raise UsageError(f"--source {source}: no such folder")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: not a folder")
    mapping_path = resolve_mapping(args.mapping) if args.mapping else None
    try:
        mapping = load_mapping(mapping_path)
        as_of = parse_as_of(args.as_of) if args.as_of else None
    except MappingError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        if "is outside" in str(exc):
            raise UsageError(f"--as-of {args.as_of!r}: {exc}") from None
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO-8601 date or timestamp") from None

    err = Console(stderr=True)
    steps = [*TABLE_ORDER, "validate", "write"]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("import", total=len(steps))

        def progress(step: str) -> None:
            bar.update(task, description=f"import: {step}", completed=steps.index(step))

        try:
            result = import_export(
                source,
                Path(args.out),
                mapping=mapping,
                as_of=as_of,
                replace=args.replace,
                progress=progress,
                allow_empty=args.allow_empty,
            )
        except ImportRefused as exc:
            bar.stop()
            print(exc.report.to_text())
            print(f"funnel import: refused ({exc.report.summary()}); nothing was written", file=sys.stderr)
            return 2
        except MappingError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            print(f"funnel import: {exc.strerror or exc}{where}; nothing was written", file=sys.stderr)
            return 1
        except (Exception, pl.exceptions.PanicException) as exc:  # noqa: BLE001 - never a traceback
            print(
                f"funnel import: the import stopped on an unexpected problem ({type(exc).__name__}: {exc}); "
                "nothing was written. Please report it with the file that caused it.",
                file=sys.stderr,
            )
            return 1
    rows = ", ".join(f"{name} {n:,}" for name, n in result.rows.items())
    print(f"imported {source} -> {result.path} (as_of {format_instant(result.as_of)})")
    print(f"rows: {rows}")
    if result.report.warnings or result.report.notes:
        print(result.report.to_text())
    return 0

"""`funnel import`: a CRM export (CSV or Parquet files, plus an optional TOML mapping) becomes a new snapshot.

Steps, per table: find the file, check it is readable text (UTF-8, no NUL bytes), read every cell as a
string (Polars), map source columns to contract columns (columns / constants / defaults / value maps),
parse each contract column to its type in vectorised form, keep unmapped source columns as extra string
columns. Then the contract's checks (dashboard.validate, the same code `funnel validate` runs) and, only
when no error was found, one atomic write (dashboard.snapshots.atomic_snapshot_dir): the new snapshot
folder appears whole or not at all, and an existing snapshot is never modified.

How to write a mapping, what is refused and what is only warned: docs/import.md.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import difflib
import json
import sys
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from dashboard.contract import TABLE_ORDER, TABLES
from dashboard.errors import FunnelError
from dashboard.snapshots import format_instant, parse_instant
from dashboard.validate import EXAMPLES, Finding, Report, validate_tables

AS_OF_TOKEN = "$as_of"  # a default/constant for a timestamp or date column: the snapshot's as_of
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
PARQUET_SUFFIXES = (".parquet", ".pq")
LINE = "__funnel_line"  # the source line (CSV) or row number (Parquet) of each row, while importing

# ISO-8601: a date, optionally a time (seconds and fraction optional), optionally a zone (Z, UTC, +02,
# +0200, +02:00). Groups: date, hh:mm, :ss, .fraction, zone.
ISO_INSTANT = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?([.,]\d{1,9})?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
ISO_DATE = r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}.*)?$"

TABLE_KEYS = {
    "file",
    "empty",
    "columns",
    "constants",
    "defaults",
    "values",
    "split",
    "formats",
    "timezone",
    "delimiter",
    "skip_rows_without",
    "lead_id_from_leads",
}


class MappingError(FunnelError):
    """A mapping that cannot be used (malformed TOML, unknown table or column, wrong value type)."""


class ImportRefused(Exception):
    """The export breaks the contract; nothing was written. `report` says what, where and how often."""

    def __init__(self, report: Report):
        super().__init__(report.summary())
        self.report = report


# --------------------------------------------------------------------------------------------------
# Mappings


@dataclass
class TableMapping:
    """How one contract table is read from the export (see docs/import.md for each key)."""

    name: str
    file: str | None = None
    empty: bool = False
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # contract column -> source column(s)
    constants: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # contract column -> {source: contract}
    split: dict[str, str] = field(default_factory=dict)  # contract column -> separator (first item kept)
    formats: tuple[str, ...] = ()  # extra strptime formats for dates/timestamps, tried after ISO-8601
    timezone: str | None = None  # zone of timestamps written without an offset (default UTC)
    delimiter: str = ","
    skip_rows_without: tuple[str, ...] = ()
    lead_id_from_leads: str | None = None  # opportunities only: a leads source column holding the deal id


def _scalar_text(value, where: str) -> str:
    """A TOML value as the text the type parsers read."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise MappingError(f"{where}: {value!r} is not a single value (use a string, number, boolean or date)")


def _parse_table(name: str, raw: dict, where: str) -> TableMapping:
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: [{name}] must be a table")
    unknown = set(raw) - TABLE_KEYS
    if unknown:
        raise MappingError(
            f"{where}: [{name}] has unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(TABLE_KEYS))})"
        )
    contract = TABLES[name]
    names = contract.names
    spec = TableMapping(name)

    def column_name(col: str, section: str) -> str:
        if col not in names:
            hint = difflib.get_close_matches(col, names, n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else f" (columns: {', '.join(names)})"
            raise MappingError(f"{where}: [{name}.{section}] {col!r} is not a column of {name}{extra}")
        return col

    def section(key: str) -> dict:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise MappingError(f"{where}: [{name}.{key}] must be a table")
        return value

    if "file" in raw:
        if not isinstance(raw["file"], str) or not raw["file"].strip():
            raise MappingError(f"{where}: [{name}] file must be a file name (relative to --source)")
        spec.file = raw["file"].strip()
    if "empty" in raw:
        if not isinstance(raw["empty"], bool):
            raise MappingError(f"{where}: [{name}] empty must be true or false")
        spec.empty = raw["empty"]
        if spec.empty and spec.file:
            raise MappingError(f"{where}: [{name}] has both a file and empty = true")
    for col, src in section("columns").items():
        column_name(col, "columns")
        if isinstance(src, str) and src.strip():
            spec.columns[col] = (src.strip(),)
        elif isinstance(src, list) and src and all(isinstance(s, str) and s.strip() for s in src):
            spec.columns[col] = tuple(s.strip() for s in src)
        else:
            raise MappingError(f"{where}: [{name}.columns] {col} must name a source column (or a list of them)")
    for key, target in (("constants", spec.constants), ("defaults", spec.defaults)):
        for col, value in section(key).items():
            column_name(col, key)
            target[col] = _scalar_text(value, f"{where}: [{name}.{key}] {col}")
    for col, table in section("values").items():
        column_name(col, "values")
        if not isinstance(table, dict) or not table:
            raise MappingError(f"{where}: [{name}.values.{col}] must be a table of source value = contract value")
        spec.values[col] = {str(k): _scalar_text(v, f"{where}: [{name}.values.{col}] {k!r}") for k, v in table.items()}
    for col, sep in section("split").items():
        column_name(col, "split")
        if not isinstance(sep, str) or not sep:
            raise MappingError(f'{where}: [{name}.split] {col} must be a separator such as ";"')
        spec.split[col] = sep
    both = set(spec.constants) & (set(spec.columns) | set(spec.defaults) | set(spec.values) | set(spec.split))
    if both:
        raise MappingError(
            f"{where}: [{name}] {', '.join(sorted(both))}: a constant cannot also be mapped, "
            "defaulted, value-mapped or split"
        )
    if "formats" in raw:
        formats = raw["formats"]
        if isinstance(formats, str):
            formats = [formats]
        if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
            raise MappingError(f'{where}: [{name}] formats must be a list of strptime formats like "%m/%d/%Y"')
        spec.formats = tuple(formats)
    if "timezone" in raw:
        try:
            zoneinfo.ZoneInfo(str(raw["timezone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise MappingError(
                f'{where}: [{name}] timezone {raw["timezone"]!r} is not an IANA time zone (e.g. "Europe/Berlin")'
            ) from None
        spec.timezone = str(raw["timezone"])
    if "delimiter" in raw:
        if not isinstance(raw["delimiter"], str) or len(raw["delimiter"]) != 1:
            raise MappingError(f'{where}: [{name}] delimiter must be one character, e.g. ";" or "\\t"')
        spec.delimiter = raw["delimiter"]
    if "skip_rows_without" in raw:
        cols = raw["skip_rows_without"]
        if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
            raise MappingError(f"{where}: [{name}] skip_rows_without must be a list of contract columns")
        spec.skip_rows_without = tuple(column_name(c, "skip_rows_without") for c in cols)
    if "lead_id_from_leads" in raw:
        if name != "opportunities" or not isinstance(raw["lead_id_from_leads"], str):
            raise MappingError(
                f"{where}: lead_id_from_leads belongs in [opportunities] and names a column of the leads source"
            )
        spec.lead_id_from_leads = raw["lead_id_from_leads"].strip()
    return spec


def load_mapping(path: Path | str | None) -> dict[str, TableMapping]:
    """Read a TOML mapping (None: no mapping, every table by its contract name and columns)."""
    if path is None:
        return {}
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except UnicodeDecodeError:
        raise MappingError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: malformed TOML: {exc}") from None
    except OSError as exc:
        raise MappingError(f"{path}: cannot read ({exc.strerror})") from None
    unknown = set(raw) - set(TABLE_ORDER)
    if unknown:
        raise MappingError(
            f"{path.name}: unknown table(s) {', '.join(sorted(unknown))} (tables: {', '.join(TABLE_ORDER)})"
        )
    return {name: _parse_table(name, raw[name], path.name) for name in TABLE_ORDER if name in raw}


def shipped_mappings_dir() -> Path:
    from dashboard.resources import mappings_dir

    return mappings_dir()


def resolve_mapping(text: str) -> Path:
    """--mapping FILE, or the name of a shipped mapping (`--mapping olist` = mappings/olist.toml)."""
    path = Path(text)
    if path.exists() or path.suffix:
        return path
    shipped = shipped_mappings_dir() / f"{text}.toml"
    return shipped if shipped.exists() else path


# --------------------------------------------------------------------------------------------------
# Reading files


@dataclass
class _Source:
    """One table's source file read as strings, with each row's source line."""

    df: pl.DataFrame  # every source column (as strings, for CSV) + LINE
    file: str
    is_csv: bool
    headers: list[str]


def _text_problem(path: Path, table: str) -> Finding | None:
    """Empty, binary or non-UTF-8 files, found in one streaming pass (before any parsing)."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        return Finding(table, name, None, "empty_file", 0, (), "the file is empty (0 bytes; expected a header line)")
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as f:
        first = True
        while chunk := f.read(1 << 24):
            if first:
                first = False
                if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    return Finding(
                        table,
                        name,
                        None,
                        "encoding",
                        1,
                        ("line 1",),
                        "the file is UTF-16; save the export as UTF-8 (CSV UTF-8)",
                    )
                if chunk.startswith(b"PAR1"):
                    return Finding(
                        table, name, None, "binary", 1, ("line 1",), "this is a Parquet file; name it .parquet"
                    )
            nul = chunk.find(b"\x00")
            if nul >= 0:
                at = line + chunk.count(b"\n", 0, nul)
                return Finding(
                    table,
                    name,
                    None,
                    "binary",
                    1,
                    (f"line {at}",),
                    f"not a text file (a NUL byte at line {at}): binary data, not a CSV export",
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = max(0, min(exc.start, len(chunk) - 1))
                at = line + chunk.count(b"\n", 0, bad)
                return Finding(
                    table,
                    name,
                    None,
                    "encoding",
                    1,
                    (f"line {at}",),
                    f"not UTF-8: byte 0x{chunk[bad]:02x} at line {at} (save the export as UTF-8)",
                )
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return Finding(
            table, name, None, "encoding", 1, (f"line {line}",), "not UTF-8: the file ends in the middle of a character"
        )
    if size < 4096 and not path.read_bytes().strip(b"\xef\xbb\xbf \t\r\n"):
        return Finding(table, name, None, "empty_file", 0, (), "the file is blank (expected a header line)")
    return None


def _header(path: Path, delimiter: str) -> tuple[list[str], int]:
    """The header's column names (trimmed, duplicates numbered) and how many lines it spans."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        names = next(reader, [])
        lines = reader.line_num
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        name = name.strip() or f"(unnamed column {i + 1})"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out, max(1, lines)


def _csv_problem(path: Path, delimiter: str, width: int) -> tuple[int, str] | None:
    """Where a CSV the reader refused goes wrong (looked for only after a failure; Python's csv module)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if len(row) > width:
                    return start, f"the row has {len(row)} fields, the header {width}"
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                return start, "a quoted cell is never closed"
            return start, f"malformed CSV ({exc})"
    return None


def _read_csv(path: Path, table: str, spec: TableMapping, report: Report) -> _Source | None:
    problem = _text_problem(path, table)
    if problem:
        report.errors.append(problem)
        return None
    try:
        headers, header_lines = _header(path, spec.delimiter)
    except csv.Error as exc:
        report.error(table, path.name, None, "csv", 1, ("line 1",), f"the header line is not valid CSV ({exc})")
        return None
    try:
        df = pl.read_csv(
            path,
            has_header=True,
            new_columns=headers,
            infer_schema=False,
            separator=spec.delimiter,
            encoding="utf8",
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except Exception as exc:  # noqa: BLE001 - the reader's own words, with the line found by us
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        found = _csv_problem(path, spec.delimiter, len(headers))
        if found:
            at, what = found
            report.error(
                table, path.name, None, "csv", 1, (f"line {at}",), f"not readable as CSV: at line {at}, {what}"
            )
        else:
            report.error(table, path.name, None, "csv", 1, (), f"not readable as CSV ({first})")
        return None
    if df.width != len(headers):
        report.error(table, path.name, None, "csv", 1, (), "the header and the rows disagree on the columns")
        return None
    # Line numbers, the header being line 1: one line per record, plus the line breaks inside quoted
    # cells of the records before it.
    breaks = (
        pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in headers])
        if headers
        else pl.lit(0)
    )
    df = df.with_columns(breaks.cast(pl.Int64).alias(LINE))
    df = df.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + header_lines + 1 + pl.col(LINE).cum_sum() - pl.col(LINE)).alias(LINE)
    )
    # A blank line is a row of nothing: dropped, and said.
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in headers])
    n_blank = df.select(blank.sum()).item() if headers else 0
    if n_blank:
        df = df.filter(~blank)
        report.notes.append(f"{path.name}: skipped {n_blank:,} blank line(s)")
    return _Source(df, path.name, True, headers)


def _read_parquet(path: Path, table: str, report: Report) -> _Source | None:
    import pyarrow.parquet as pq

    try:
        data = pq.read_table(path)
        df = pl.from_arrow(data)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is a finding, not a crash
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        report.error(table, path.name, None, "unreadable", 1, (), f"not a readable Parquet file ({first})")
        return None
    if not isinstance(df, pl.DataFrame):
        df = df.to_frame()
    headers = df.columns
    # Non-string columns become text the type parsers read (ISO-8601, true/false, plain numbers).
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            continue
        if isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else "")
            exprs.append(col.dt.to_string(fmt).alias(name))
        elif dtype == pl.Date:
            exprs.append(col.dt.to_string("%Y-%m-%d").alias(name))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")).alias(name))
        elif dtype.is_numeric() or dtype == pl.Categorical or isinstance(dtype, pl.Enum):
            exprs.append(col.cast(pl.String).alias(name))
    if exprs:
        df = df.with_columns(exprs)
    df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias(LINE))
    return _Source(df, path.name, False, headers)


def _inside(source: Path, path: Path) -> bool:
    """Whether a path (links followed) lies inside the source folder."""
    try:
        return path.resolve().is_relative_to(source.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _locate(source: Path, name: str, spec: TableMapping, report: Report) -> Path | None:
    if spec.file:
        path = source / spec.file
        if not _inside(source, path):
            # an absolute path, ../ or a link out of the export: refused before the file is opened, so
            # no message can quote what it holds
            report.error(
                name,
                spec.file,
                None,
                "outside_source",
                0,
                (),
                f"the mapping names {spec.file} for {name}, which is outside --source {source}; "
                "a mapping may only name files inside the export's folder",
            )
            return None
        if not path.is_file():
            report.error(
                name,
                spec.file,
                None,
                "missing_file",
                0,
                (),
                f"the mapping names {spec.file} for {name}, but {source} has no such file",
            )
            return None
        return path
    found = [
        source / f"{name}{suffix}"
        for suffix in (".csv", ".parquet")
        if (source / f"{name}{suffix}").is_file() and _inside(source, source / f"{name}{suffix}")
    ]
    if len(found) > 1:
        report.error(
            name,
            f"{name}.csv",
            None,
            "ambiguous_file",
            0,
            (),
            f"both {name}.csv and {name}.parquet are in the source; keep one",
        )
        return None
    return found[0] if found else None


# --------------------------------------------------------------------------------------------------
# Parsing (vectorised): strings -> contract types


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trim whitespace; a blank cell is null."""
    e = expr.str.strip_chars()
    return pl.when(e == "").then(None).otherwise(e)


def _localize(naive: pl.Expr, tz: str | None) -> pl.Expr:
    if not tz or tz == "UTC":
        return naive.dt.replace_time_zone("UTC")
    return naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _parse_timestamp(s: pl.Expr, g: pl.Expr, spec: TableMapping) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(UTC timestamp, is date-only, had a non-UTC offset) from the text `s` and its ISO_INSTANT groups `g`."""
    date, hm, sec, frac, zone = (g.struct.field(k) for k in ("1", "2", "3", "4", "5"))
    frac = frac.str.replace(",", ".", literal=True)
    wall = pl.concat_str([date, pl.lit("T"), hm.fill_null("00:00"), sec.fill_null(":00"), frac.fill_null("")])
    zone_norm = (
        pl.when(zone.is_in(["Z", "z", "UTC"]))
        .then(pl.lit("+00:00"))
        .when(zone.str.len_chars() == 3)
        .then(zone + ":00")
        .when(zone.str.len_chars() == 5)
        .then(zone.str.slice(0, 3) + ":" + zone.str.slice(3, 2))
        .otherwise(zone)
    )
    aware = pl.concat_str([wall, zone_norm]).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us")
    naive = _localize(wall.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us"), spec.timezone)
    value = pl.when(zone.is_null()).then(naive).otherwise(aware.dt.convert_time_zone("UTC"))
    for fmt in spec.formats:
        alt = s.str.to_datetime(fmt, strict=False, time_unit="us")
        alt = alt.dt.convert_time_zone("UTC") if "%z" in fmt or "%:z" in fmt else _localize(alt, spec.timezone)
        value = pl.coalesce([value, alt])
    date_only = date.is_not_null() & hm.is_null()
    shifted = zone.is_not_null() & ~zone_norm.is_in(["+00:00", "-00:00"])
    return value, date_only, shifted


def _parse_date(s: pl.Expr, spec: TableMapping) -> pl.Expr:
    value = s.str.extract(ISO_DATE, 1).str.to_date("%Y-%m-%d", strict=False)
    for fmt in spec.formats:
        value = pl.coalesce([value, s.str.to_datetime(fmt, strict=False, time_unit="us").dt.date()])
    return value


def _parse_boolean(s: pl.Expr) -> pl.Expr:
    low = s.str.to_lowercase()
    return pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False).otherwise(None)


def _parse_number(s: pl.Expr) -> pl.Expr:
    x = s.cast(pl.Float64, strict=False)
    return pl.when(x.is_nan() | x.is_infinite()).then(None).otherwise(x)


def _parse_integer(s: pl.Expr) -> pl.Expr:
    x = _parse_number(s)
    return pl.when(x == x.round(0)).then(x).otherwise(None).cast(pl.Int64, strict=False)


TYPE_WORDS = {
    "timestamp": "an ISO-8601 date or timestamp",
    "date": "an ISO-8601 date (YYYY-MM-DD)",
    "boolean": "a boolean (true/false, 1/0, yes/no)",
    "number": "a number",
    "decimal": "a number",
    "integer": "a whole number",
}
POLARS_TYPES = {
    "string": pl.String,
    "timestamp": pl.Datetime("us", "UTC"),
    "date": pl.Date,
    "integer": pl.Int64,
    "number": pl.Float64,
    "decimal": pl.Float64,
    "boolean": pl.Boolean,
}


@dataclass
class _Parsed:
    df: pl.DataFrame  # contract columns (typed) + extras (strings) + LINE
    file: str
    is_csv: bool
    as_of_cells: dict[str, pl.Series] = field(default_factory=dict)  # column -> mask of "$as_of" cells
    failed_columns: set[str] = field(default_factory=set)


def _example(key, line, is_csv: bool, column: str, value) -> str:
    where = f"line {line}" if is_csv else f"row {line}"
    text = f"{key} ({where})" if key is not None else where
    return f"{text}: {column}={value!r}" if value is not None else text


def _count_rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _source_expr(
    name: str, col: str, names: tuple[str, ...], src: _Source, used: set[str], report: Report
) -> pl.Expr | None:
    """The cleaned text of the source column(s) for one contract column (a list is joined with ':')."""
    headers = src.headers
    ok = True
    for s in names:
        if s not in headers:
            close = difflib.get_close_matches(s, headers, n=3, cutoff=0.6)
            if close:
                hint = f"; close: {', '.join(repr(c) for c in close)}"
            else:
                more = " ..." if len(headers) > 12 else ""
                hint = f"; its columns: {', '.join(repr(h) for h in headers[:12])}{more}"
            if len(headers) == 1 and any(d in headers[0] for d in ";\t|"):
                hint += " (the header is a single column: is the file delimited by ';' or tabs? set delimiter)"
            report.error(
                name,
                src.file,
                col,
                "missing_column",
                src.df.height,
                (),
                f"source column {s!r} (for {col}) is not in {src.file} ({_count_rows(src.df.height)}){hint}",
            )
            ok = False
        elif src.df.schema[s] != pl.String:
            report.error(
                name,
                src.file,
                col,
                "type",
                src.df.height,
                (),
                f"source column {s!r} (for {col}) is stored as {src.df.schema[s]}, which cannot be read "
                "as a single value",
            )
            ok = False
        elif f"{s} (2)" in headers:
            report.error(
                name,
                src.file,
                col,
                "ambiguous_column",
                src.df.height,
                (),
                f"source column {s!r} (for {col}) appears more than once in the header",
            )
            ok = False
    if not ok:
        return None
    used.update(names)
    exprs = [_clean(pl.col(s)) for s in names]
    return exprs[0] if len(exprs) == 1 else pl.concat_str(exprs, separator=":")


def _build_table(name: str, src: _Source, spec: TableMapping, report: Report) -> _Parsed | None:
    contract = TABLES[name]
    headers, file = src.headers, src.file
    used: set[str] = set()
    text: dict[str, pl.Expr] = {}  # contract column -> text after split, value map and default
    as_of_flags: dict[str, pl.Expr] = {}  # contract column -> cells that take the snapshot's as_of
    counted: list[tuple[pl.Expr, str]] = []  # (per-row flag, note) summed into the import's notes
    notes: list[str] = []
    absent: list[str] = []  # optional contract columns the export does not have
    broken = False

    for c in contract.columns:
        as_of_ok = c.type in ("timestamp", "date")
        if c.name in spec.constants:
            value = spec.constants[c.name].strip()
            if value == AS_OF_TOKEN and as_of_ok:
                text[c.name] = pl.lit(None, dtype=pl.String)
                as_of_flags[c.name] = pl.lit(True)
            else:
                text[c.name] = pl.lit(value or None, dtype=pl.String)
            continue
        if c.name in spec.columns:
            expr = _source_expr(name, c.name, spec.columns[c.name], src, used, report)
        elif c.name in headers:
            expr = _source_expr(name, c.name, (c.name,), src, used, report)
        elif c.name in spec.defaults:
            expr = pl.lit(None, dtype=pl.String)
        elif c.nullable:
            expr = pl.lit(None, dtype=pl.String)
            absent.append(c.name)
        else:
            hint = ""
            if len(headers) == 1 and any(d in headers[0] for d in ";\t|"):
                hint = " (the header is a single column: is the file delimited by ';' or tabs? set delimiter)"
            report.error(
                name,
                file,
                c.name,
                "missing_column",
                src.df.height,
                (),
                f"required column {c.name} is missing ({_count_rows(src.df.height)}): {file} has no column "
                f"{c.name!r} and the mapping gives none{hint}",
            )
            expr = None
        if expr is None:
            broken = True
            continue
        if c.name in spec.split:
            sep = spec.split[c.name]
            counted.append(
                (
                    expr.str.contains(sep, literal=True).fill_null(False),
                    f"{c.name}: {{n}} cell(s) held several values separated by {sep!r}; the first was kept",
                )
            )
            expr = (
                expr.str.split(sep)
                .list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))
                .list.first()
            )
        if c.name in spec.values:
            vmap = dict(spec.values[c.name])
            star = vmap.pop("*", None)
            hit = expr.is_in(list(vmap)) if vmap else pl.lit(False)
            mapped = expr.replace(list(vmap), [v.strip() for v in vmap.values()]) if vmap else expr
            if star is not None:
                hit = hit | expr.is_not_null()
                other = expr.is_not_null() & ~expr.is_in(list(vmap))
                mapped = pl.when(other).then(pl.lit(star.strip())).otherwise(mapped)
            counted.append((hit.fill_null(False), f"{c.name}: {{n}} value(s) translated by the mapping's value map"))
            expr = pl.when(mapped == "").then(None).otherwise(mapped)
        if c.name in spec.defaults:
            value = spec.defaults[c.name].strip()
            if value == AS_OF_TOKEN and as_of_ok:
                as_of_flags[c.name] = expr.is_null()
                counted.append((expr.is_null(), f"{c.name}: {{n}} blank cell(s) take the snapshot's as_of (default)"))
            else:
                counted.append((expr.is_null(), f"{c.name}: {{n}} blank cell(s) take the default {value!r}"))
                expr = pl.when(expr.is_null()).then(pl.lit(value or None)).otherwise(expr)
        text[c.name] = expr
    if broken:
        return None
    if absent:
        notes.append(f"{file}: not in the export, left empty: {', '.join(absent)}")

    # Stage 1: contract columns as text, the extras as they came (text cleaned), flags, the line.
    extras = [h for h in headers if h not in used]
    renamed = {h: (f"{h} (source)" if h in contract.names else h) for h in extras}
    if any(h != renamed[h] for h in extras):
        notes.append(
            f"{file}: unmapped source column(s) named like contract columns kept as "
            + ", ".join(repr(renamed[h]) for h in extras if h != renamed[h])
        )
    trim = [
        pl.col(h).is_not_null() & (pl.col(h).str.len_bytes() != pl.col(h).str.strip_chars().str.len_bytes())
        for h in sorted(used)
        if src.df.schema[h] == pl.String
    ]
    stage = src.df.select(
        [e.alias(col) for col, e in text.items()]
        + [(_clean(pl.col(h)) if src.df.schema[h] == pl.String else pl.col(h)).alias(renamed[h]) for h in extras]
        + [e.alias(f"__asof_{col}") for col, e in as_of_flags.items()]
        + [e.alias(f"__count_{i}") for i, (e, _) in enumerate(counted)]
        + [(pl.any_horizontal(trim) if trim else pl.lit(False)).alias("__trimmed"), pl.col(LINE)]
    )
    if spec.skip_rows_without:
        drop = pl.any_horizontal(
            [
                pl.col(c).is_null() & ~pl.col(f"__asof_{c}") if c in as_of_flags else pl.col(c).is_null()
                for c in spec.skip_rows_without
            ]
        )
        skipped = stage.filter(drop)
        if skipped.height:
            where = "lines" if src.is_csv else "rows"
            shown = ", ".join(str(x) for x in skipped[LINE].head(EXAMPLES).to_list())
            more = ", ..." if skipped.height > EXAMPLES else ""
            notes.append(
                f"{file}: skipped {skipped.height:,} row(s) without {' or '.join(spec.skip_rows_without)} "
                f"(skip_rows_without; {where} {shown}{more})"
            )
            stage = stage.filter(~drop)
    sums = stage.select([pl.col(f"__count_{i}").sum() for i in range(len(counted))] + [pl.col("__trimmed").sum()]).row(
        0
    )
    for (_, note), n in zip(counted, sums[:-1]):
        if n:
            notes.append(f"{file}: " + note.replace("{n}", f"{n:,}"))
    if sums[-1]:
        notes.append(f"{file}: trimmed surrounding whitespace in {sums[-1]:,} row(s)")
    stage = stage.drop([f"__count_{i}" for i in range(len(counted))] + ["__trimmed"])

    # Stage 2: parse each contract column to its type, vectorised; keep the text to report failures.
    # The ISO groups of timestamp columns are extracted once (a column), then read field by field.
    stamps = [c.name for c in contract.columns if c.type == "timestamp"]
    stage = stage.with_columns([pl.col(c).str.extract_groups(ISO_INSTANT).alias(f"__iso_{c}") for c in stamps])
    parsed, flags, typed_cols = [], [], []
    for c in contract.columns:
        s = pl.col(c.name)
        if c.type == "timestamp":
            value, date_only, shifted = _parse_timestamp(s, pl.col(f"__iso_{c.name}"), spec)
            typed = pl.col(f"__typed_{c.name}").is_not_null()
            flags += [(date_only & typed).alias(f"__donly_{c.name}"), (shifted & typed).alias(f"__shift_{c.name}")]
        elif c.type == "date":
            value = _parse_date(s, spec)
        elif c.type == "boolean":
            value = _parse_boolean(s)
        elif c.type == "integer":
            value = _parse_integer(s)
        elif c.type in ("number", "decimal"):
            value = _parse_number(s)
        else:
            value = s
        if c.type != "string":
            typed_cols.append(c)
        parsed.append(value.cast(POLARS_TYPES[c.type]).alias(f"__typed_{c.name}"))
    work = stage.with_columns(parsed)
    work = work.with_columns(flags).drop([f"__iso_{c}" for c in stamps])
    key = contract.key
    failed: set[str] = set()
    for c in typed_cols:
        bad = pl.col(c.name).is_not_null() & pl.col(f"__typed_{c.name}").is_null()
        n = work.select(bad.sum()).item()
        if not n:
            continue
        failed.add(c.name)
        rows = work.filter(bad).head(EXAMPLES)
        keys = rows[key].to_list() if key else [None] * rows.height
        report.error(
            name,
            file,
            c.name,
            "type",
            n,
            tuple(
                _example(k, line, src.is_csv, c.name, v)
                for k, line, v in zip(keys, rows[LINE].to_list(), rows[c.name].to_list())
            ),
            f"{n:,} value(s) of {c.name} are not {TYPE_WORDS[c.type]}",
        )
        if not c.nullable:  # the blank cells of this column, apart from the unreadable ones
            blank = pl.col(c.name).is_null() & (~pl.col(f"__asof_{c.name}") if c.name in as_of_flags else pl.lit(True))
            rows = work.filter(blank)
            if rows.height:
                keys = rows[key].head(EXAMPLES).to_list() if key else [None] * min(rows.height, EXAMPLES)
                report.error(
                    name,
                    file,
                    c.name,
                    "not_null",
                    rows.height,
                    tuple(
                        _example(k, line, src.is_csv, c.name, None)
                        for k, line in zip(keys, rows[LINE].head(EXAMPLES).to_list())
                    ),
                    f"{rows.height:,} row(s) with no {c.name} (it may not be blank)",
                )
    if flags:
        sums = work.select([pl.col(f.meta.output_name()).sum() for f in flags]).row(0, named=True)
        for flag, n in sums.items():
            if not n:
                continue
            col = flag.split("_", 3)[-1]
            if flag.startswith("__donly_"):
                notes.append(f"{file}: {col}: {n:,} date-only value(s) read as midnight {spec.timezone or 'UTC'}")
            else:
                notes.append(f"{file}: {col}: {n:,} value(s) with a UTC offset converted to UTC")
    out = work.with_columns([pl.col(f"__typed_{c.name}").alias(c.name) for c in contract.columns])
    out = out.drop([f"__typed_{c.name}" for c in contract.columns] + [f.meta.output_name() for f in flags])

    # Text values the contract lists: case and spacing normalised to the list's spelling, and said.
    fixes = []
    for c in contract.columns:
        values = c.allowed or c.known
        if c.type != "string" or not values:
            continue
        canon = pl.col(c.name).str.to_lowercase().str.replace_all(r"[\s\-]+", "_")
        fix = pl.col(c.name).is_not_null() & ~pl.col(c.name).is_in(list(values)) & canon.is_in(list(values))
        n = out.select(fix.sum()).item()
        if n:
            shown = out.filter(fix)[c.name].unique(maintain_order=True).head(3).to_list()
            notes.append(
                f"{file}: {c.name}: {n:,} value(s) normalised to the contract's spelling "
                f"(e.g. {', '.join(repr(v) for v in shown)})"
            )
            fixes.append(pl.when(fix).then(canon).otherwise(pl.col(c.name)).alias(c.name))
    if fixes:
        out = out.with_columns(fixes)
    as_of_cells = {col: out[f"__asof_{col}"].fill_null(False) for col in as_of_flags}
    out = out.drop([f"__asof_{col}" for col in as_of_flags])
    report.notes.extend(notes)
    return _Parsed(out, file, src.is_csv, as_of_cells, failed)


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
    from dashboard.snapshots import SnapshotError, atomic_snapshot_dir

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
            import pyarrow.parquet as pq

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
    from dashboard.snapshots import SnapshotError, read_info

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
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from dashboard.errors import UsageError

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

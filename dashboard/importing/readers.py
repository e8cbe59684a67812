"""An import's readers: find each table's file inside --source, check it is readable text, and read every
cell as a string (CSV) or as stored (Parquet), with the line or row each came from."""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from dashboard.importing.mapping import TableMapping
from dashboard.validate import Finding, Report

PARQUET_SUFFIXES = (".parquet", ".pq")
LINE = "__funnel_line"  # the source line (CSV) or row number (Parquet) of each row, while importing


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

    def at_line(check: str, line: int, message: str) -> Finding:
        return Finding(table, name, None, check, 1, (f"line {line}",), message)

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
                    return at_line("encoding", 1, "the file is UTF-16; save the export as UTF-8 (CSV UTF-8)")
                if chunk.startswith(b"PAR1"):
                    return at_line("binary", 1, "this is a Parquet file; name it .parquet")
            nul = chunk.find(b"\x00")
            if nul >= 0:
                at = line + chunk.count(b"\n", 0, nul)
                return at_line(
                    "binary", at, f"not a text file (a NUL byte at line {at}): binary data, not a CSV export"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = max(0, min(exc.start, len(chunk) - 1))
                at = line + chunk.count(b"\n", 0, bad)
                return at_line(
                    "encoding", at, f"not UTF-8: byte 0x{chunk[bad]:02x} at line {at} (save the export as UTF-8)"
                )
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return at_line("encoding", line, "not UTF-8: the file ends in the middle of a character")
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

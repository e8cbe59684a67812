"""An import's parsers: each contract column from its mapped source cells, in vectorised Polars expressions
(ISO and local timestamps, dates, booleans, numbers), with the first offending values named."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import polars as pl

from dashboard.contract import TABLES
from dashboard.importing.mapping import AS_OF_TOKEN, TableMapping
from dashboard.importing.readers import LINE, _Source
from dashboard.validate import EXAMPLES, Report

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")

# ISO-8601: a date, optionally a time (seconds and fraction optional), optionally a zone (Z, UTC, +02,
# +0200, +02:00). Groups: date, hh:mm, :ss, .fraction, zone.
ISO_INSTANT = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?([.,]\d{1,9})?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$"
)
ISO_DATE = r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}.*)?$"


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

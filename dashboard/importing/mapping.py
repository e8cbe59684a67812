"""An import's column mapping: the TOML that says how a CRM's export becomes the contract (docs/import.md),
read and checked; the shipped mappings found by name."""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.contract import TABLE_ORDER, TABLES
from dashboard.errors import FunnelError
from dashboard.resources import mappings_dir

AS_OF_TOKEN = "$as_of"  # a default/constant for a timestamp or date column: the snapshot's as_of

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
    return mappings_dir()


def resolve_mapping(text: str) -> Path:
    """--mapping FILE, or the name of a shipped mapping (`--mapping olist` = mappings/olist.toml)."""
    path = Path(text)
    if path.exists() or path.suffix:
        return path
    shipped = shipped_mappings_dir() / f"{text}.toml"
    return shipped if shipped.exists() else path

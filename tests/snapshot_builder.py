"""Build tiny hand-made snapshots for tests: rows as dicts, every contract column not given is null.

Timestamps may be written as ISO strings ("2026-03-31T23:30:00Z"); dates as "2026-03-01".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract import TABLE_ORDER, TABLES
from dashboard.snapshots import format_instant, parse_instant


def _value(kind: str, value):
    if value is None:
        return None
    if kind == "timestamp" and isinstance(value, str):
        return parse_instant(value)
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def table_of(name: str, rows: list[dict]) -> pa.Table:
    table = TABLES[name]
    unknown = {k for row in rows for k in row} - set(table.names)
    assert not unknown, f"{name}: unknown columns {unknown}"
    columns = {
        c.name: pa.array([_value(c.type, row.get(c.name)) for row in rows], type=c.arrow_type) for c in table.columns
    }
    return pa.table(columns, schema=table.arrow_schema)


def write_snapshot(root: Path, as_of: str, funnel_toml: str | None = None, **tables: list[dict]) -> Path:
    """Write `<root>/<as_of date>/` with the given rows (absent tables are empty)."""
    root = Path(root)
    as_of_dt = parse_instant(as_of)
    folder = root / as_of_dt.date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name in TABLE_ORDER:
        data = table_of(name, tables.get(name, []))
        pq.write_table(data, folder / f"{name}.parquet")
        rows[name] = data.num_rows
    meta = {"as_of": format_instant(as_of_dt), "source": "test", "rows": rows}
    (folder / "snapshot.json").write_text(json.dumps(meta), encoding="utf-8")
    if funnel_toml is not None:
        (root / "funnel.toml").write_text(funnel_toml, encoding="utf-8")
    return folder


def lead(lead_id: str, created_at: str, **kw) -> dict:
    """A lead row with plain defaults for the required columns."""
    row = {
        "lead_id": lead_id,
        "created_at": created_at,
        "origin": "marketing",
        "channel": "webinar",
        "segment": "SMB",
        "region": "EMEA",
    }
    row.update(kw)
    return row


def opportunity(opportunity_id: str, created_at: str, amount: float, **kw) -> dict:
    row = {
        "opportunity_id": opportunity_id,
        "created_at": created_at,
        "segment": "SMB",
        "region": "EMEA",
        "stage": "Discovery",
        "amount": amount,
        "is_closed": False,
        "is_won": False,
    }
    row.update(kw)
    if row.get("is_won"):
        row.setdefault("stage", "Closed Won")
        row["is_closed"] = True
    return row


def campaign(campaign_id: str, start_date: str, cost: float, **kw) -> dict:
    row = {
        "campaign_id": campaign_id,
        "name": campaign_id.title(),
        "channel": "webinar",
        "start_date": start_date,
        "cost": cost,
    }
    row.update(kw)
    return row


def touch(touch_id: str, lead_id: str, campaign_id: str, touched_at: str, **kw) -> dict:
    row = {"touch_id": touch_id, "lead_id": lead_id, "campaign_id": campaign_id, "touched_at": touched_at}
    row.update(kw)
    return row

"""Snapshot folders on disk: finding them, reading their metadata, writing a new one atomically.

A snapshot is `<root>/<YYYY-MM-DD>/` with `snapshot.json` and one Parquet file per contract table.
A new snapshot is built in a hidden temporary folder beside its final place and renamed into place
in one step, so it appears whole or not at all; an existing snapshot is never written into.
"""

from __future__ import annotations

from dashboard.errors import FunnelError

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.contract import TABLE_ORDER

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SnapshotError(FunnelError):
    """A snapshot that cannot be found or read; the message says what and where."""


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    as_of: dt.datetime  # timezone-aware, UTC
    source: str
    rows: dict[str, int]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def as_of_iso(self) -> str:
        return format_instant(self.as_of)


def parse_instant(text: str) -> dt.datetime:
    """An ISO-8601 date or datetime as an aware UTC datetime (no zone means UTC; a date means midnight)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def format_instant(value: dt.datetime) -> str:
    """UTC, ISO-8601, with a Z: 2026-09-30T23:59:59Z (microseconds only when present)."""
    value = value.astimezone(dt.timezone.utc)
    spec = "seconds" if value.microsecond == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def read_info(folder: Path) -> SnapshotInfo:
    meta_path = folder / "snapshot.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{meta_path}: missing (every snapshot folder holds a snapshot.json)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("as_of"), str):
        raise SnapshotError(f"{meta_path}: needs an \"as_of\" ISO-8601 timestamp")
    try:
        as_of = parse_instant(meta["as_of"])
    except ValueError:
        raise SnapshotError(f"{meta_path}: as_of {meta['as_of']!r} is not an ISO-8601 timestamp") from None
    rows = meta.get("rows") if isinstance(meta.get("rows"), dict) else {}
    return SnapshotInfo(folder, as_of, str(meta.get("source", "")), {k: int(v) for k, v in rows.items()})


def list_snapshots(root: Path) -> list[SnapshotInfo]:
    """The snapshots under a data root, oldest first (by as_of, then name)."""
    root = Path(root)
    if not root.is_dir():
        raise SnapshotError(f"{root}: no such folder")
    found = [read_info(p) for p in sorted(root.iterdir()) if p.is_dir() and SNAPSHOT_NAME.match(p.name)
             and (p / "snapshot.json").exists()]
    return sorted(found, key=lambda s: (s.as_of, s.name))


def is_snapshot_folder(path: Path) -> bool:
    return (Path(path) / "snapshot.json").is_file()


def data_root_of(path: Path) -> Path:
    """The data root a --data path belongs to (the folder holding funnel.toml and the snapshots)."""
    path = Path(path)
    return path.parent if is_snapshot_folder(path) else path


def resolve(data: Path | str, snapshot: str | None = None) -> SnapshotInfo:
    """--data names a data root (newest snapshot unless --snapshot picks one) or one snapshot folder."""
    data = Path(data)
    if is_snapshot_folder(data):
        return choose_snapshot(data, [read_info(data)], snapshot, one_folder=True)
    return choose_snapshot(data, list_snapshots(data), snapshot)


def choose_snapshot(data: Path | str, snapshots: list[SnapshotInfo], snapshot: str | None,
                    one_folder: bool = False) -> SnapshotInfo:
    """The snapshot --snapshot names among those --data offers (oldest first), else the newest.
    `one_folder`: --data named a single snapshot folder, which --snapshot may only repeat."""
    if one_folder:
        (info,) = snapshots
        if snapshot and snapshot != info.name:
            raise SnapshotError(f"--data {data} is one snapshot folder; --snapshot {snapshot} does not match it")
        return info
    if not snapshots:
        raise SnapshotError(f"{data}: no snapshots here (expected folders like 2026-09-30/ with a snapshot.json)")
    if snapshot is None:
        return snapshots[-1]
    for info in snapshots:
        if info.name == snapshot:
            return info
    names = ", ".join(s.name for s in snapshots)
    raise SnapshotError(f"{data}: no snapshot {snapshot!r} (have: {names})")


def previous_snapshot(info: SnapshotInfo) -> SnapshotInfo | None:
    """The snapshot taken before this one in the same data root, if any."""
    root = info.path.parent
    try:
        earlier = [s for s in list_snapshots(root) if s.as_of < info.as_of]
    except SnapshotError:
        return None
    return earlier[-1] if earlier else None


@contextlib.contextmanager
def atomic_snapshot_dir(root: Path, as_of: dt.datetime, source: str, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes `<root>/<as_of date>/`, whole.

    The caller writes the Parquet files into the folder; this writes snapshot.json (with the row
    counts read back from the files) and renames. On any exception the temporary folder is removed
    and whatever was at the final place is untouched. With `replace`, an existing snapshot of the
    same date is swapped out only after the new one is complete.
    """
    import pyarrow.parquet as pq

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / as_of.astimezone(dt.timezone.utc).date().isoformat()
    if final.exists() and not replace:
        raise SnapshotError(f"{final}: a snapshot for {final.name} already exists (use --replace to swap it)")
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=root))
    try:
        yield tmp
        rows = {}
        for name in TABLE_ORDER:
            file = tmp / f"{name}.parquet"
            if not file.exists():
                raise SnapshotError(f"{final}: {name}.parquet was not written")
            rows[name] = pq.ParquetFile(file).metadata.num_rows
        meta = {"as_of": format_instant(as_of), "source": source, "rows": rows}
        (tmp / "snapshot.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp makes it private; a snapshot is for everyone who may read the root
        if final.exists():
            # Swap: move the old one aside, put the new one in place, then drop the old one.
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=root))
            os.rename(final, old / final.name)
            try:
                os.rename(tmp, final)
            except OSError:
                os.rename(old / final.name, final)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)

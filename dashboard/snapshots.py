"""Snapshot folders on disk: finding them, reading their metadata, writing a new one atomically.

A snapshot is `<root>/<YYYY-MM-DD>/` with `snapshot.json` and one Parquet file per contract table.
A new snapshot is built in a hidden temporary folder beside its final place and renamed into place
in one step, so it appears whole or not at all; an existing snapshot is never written into.

Crash safety (docs/decisions.md, "Faults"): every file and folder is fsynced before a rename, and a
`--replace` swap interrupted between its two renames (the old snapshot moved aside, the new one not yet
in place) is finished or undone the next time the root is listed or written (`recover_root`). A
folder whose snapshot.json cannot be read is set aside with its problem (`scan_root`), so one bad
folder never stops the others from being used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.contract import TABLE_ORDER
from dashboard.errors import FunnelError
from dashboard.periods import FIRST_DAY, LAST_DAY

SNAPSHOT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# the hidden folders atomic_snapshot_dir makes beside `<date>/`: the new snapshot being written, and
# the old one moved aside during a --replace swap
_TMP_FOLDER = re.compile(r"^\.(\d{4}-\d{2}-\d{2})\.tmp-")
_OLD_FOLDER = re.compile(r"^\.(\d{4}-\d{2}-\d{2})\.old-")
# a temporary folder untouched for this long belongs to no live import (an import of 10M leads writes
# within minutes); younger ones are never removed
STALE_SECONDS = 24 * 3600


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
    """An ISO-8601 date or datetime as an aware UTC datetime (no zone means UTC; a date means midnight).

    ValueError for text that is not one, or an instant outside 1900..2200 (the days periods.py allows;
    0001-01-01T00:00:00+01:00 would not even fit a datetime in UTC)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"{text.strip()!r} is outside {FIRST_DAY.year}..{LAST_DAY.year}")
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{text.strip()!r} is outside {FIRST_DAY.year}..{LAST_DAY.year}") from None
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise ValueError(f"{text.strip()!r} is outside {FIRST_DAY.year}..{LAST_DAY.year}")
    return value


def format_instant(value: dt.datetime) -> str:
    """UTC, ISO-8601, with a Z: 2026-09-30T23:59:59Z (microseconds only when present)."""
    value = value.astimezone(dt.UTC)
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
        raise SnapshotError(f'{meta_path}: needs an "as_of" ISO-8601 timestamp')
    try:
        as_of = parse_instant(meta["as_of"])
    except ValueError as exc:
        why = "is outside" in str(exc) and f"is outside {FIRST_DAY.year}..{LAST_DAY.year}"
        raise SnapshotError(f"{meta_path}: as_of {meta['as_of']!r} {why or 'is not an ISO-8601 timestamp'}") from None
    rows = meta.get("rows") if isinstance(meta.get("rows"), dict) else {}
    counts = {}
    for table, count in rows.items():
        # a row count is a whole number >= 0 (JSON may hold "many", 1.5, true or 1e400 instead)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SnapshotError(f"{meta_path}: rows.{table} {count!r} is not a row count (a whole number >= 0)")
        counts[str(table)] = count
    return SnapshotInfo(folder, as_of, str(meta.get("source", "")), counts)


@dataclass(frozen=True)
class BadFolder:
    """A dated folder of a data root that cannot be used as a snapshot, and why."""

    path: Path
    problem: str

    @property
    def name(self) -> str:
        return self.path.name


def scan_root(root: Path) -> tuple[list[SnapshotInfo], list[BadFolder]]:
    """The snapshots under a data root, oldest first (by as_of, then name), and the dated folders that
    cannot be read as one (a missing or broken snapshot.json), by name. A leftover --replace swap is
    finished or undone first (recover_root)."""
    root = Path(root)
    if not root.is_dir():
        raise SnapshotError(f"{root}: no such folder")
    recover_root(root)
    found, bad = [], []
    for p in sorted(root.iterdir()):
        if not (p.is_dir() and SNAPSHOT_NAME.match(p.name)):
            continue
        try:
            found.append(read_info(p))
        except SnapshotError as exc:
            bad.append(BadFolder(p, str(exc).replace(f"{p}{os.sep}", "")))
    return sorted(found, key=lambda s: (s.as_of, s.name)), bad


def list_snapshots(root: Path) -> list[SnapshotInfo]:
    """The snapshots under a data root, oldest first (by as_of, then name); unreadable folders are left
    out (scan_root lists them with their problem)."""
    return scan_root(root)[0]


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
    found, bad = scan_root(data)
    for folder in bad:
        if folder.name == snapshot:  # the one asked for is broken: say why, not "no such snapshot"
            raise SnapshotError(f"{folder.path}: {folder.problem}")
    return choose_snapshot(data, found, snapshot)


def choose_snapshot(
    data: Path | str, snapshots: list[SnapshotInfo], snapshot: str | None, one_folder: bool = False
) -> SnapshotInfo:
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


def previous_in(snapshots: list[SnapshotInfo], name: str) -> SnapshotInfo | None:
    """The snapshot taken before the one named, among a root's snapshots (any order): the newest whose
    as_of is earlier; None for the oldest, or a name not among them."""
    this = next((s for s in snapshots if s.name == name), None)
    if this is None:
        return None
    earlier = sorted((s for s in snapshots if s.as_of < this.as_of), key=lambda s: (s.as_of, s.name))
    return earlier[-1] if earlier else None


def previous_snapshot(info: SnapshotInfo) -> SnapshotInfo | None:
    """The snapshot taken before this one in the same data root, if any."""
    try:
        return previous_in(list_snapshots(info.path.parent), info.name)
    except SnapshotError:
        return None


@contextlib.contextmanager
def atomic_snapshot_dir(root: Path, as_of: dt.datetime, source: str, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes `<root>/<as_of date>/`, whole.

    The caller writes the Parquet files into the folder; this writes snapshot.json (with the row
    counts read back from the files) and renames. On any exception the temporary folder is removed
    and whatever was at the final place is untouched. With `replace`, an existing snapshot of the
    same date is swapped out only after the new one is complete.
    """
    import pyarrow.parquet as pq  # lazy: ~15 ms, only when a snapshot is written (not on a read path)

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    recover_root(root)
    final = root / as_of.astimezone(dt.UTC).date().isoformat()
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
        # on disk before it is renamed into place: a power cut must not leave a named but empty snapshot
        _fsync_tree(tmp)
        if final.exists():
            # Swap: move the old one aside, put the new one in place, then drop the old one. Killed
            # between the two renames, recover_root finishes the swap (the new folder is complete: it
            # has its snapshot.json) the next time the root is opened.
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=root))
            os.rename(final, old / final.name)
            try:
                os.rename(tmp, final)
            except OSError:
                os.rename(old / final.name, final)
                raise
            _fsync_dir(root)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
            _fsync_dir(root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# -- crash safety -------------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename into it) durable. Not every file system lets a folder be
    fsynced (some network mounts refuse): that is no reason to fail an import."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """fsync every file under a folder, then each folder, deepest first."""
    for here, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            with open(os.path.join(here, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(Path(here))


def _age_seconds(path: Path) -> float:
    """Seconds since anything in a folder (or a file) last changed."""
    newest = path.lstat().st_mtime
    if path.is_dir():
        for here, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(here, name)).st_mtime)
    return time.time() - newest


def _complete(folder: Path) -> bool:
    """A folder atomic_snapshot_dir finished writing: snapshot.json is written last, then fsynced."""
    try:
        read_info(folder)
    except SnapshotError:
        return False
    return all((folder / f"{t}.parquet").exists() for t in TABLE_ORDER)


def recover_root(root: Path) -> list[str]:
    """Finish or undo what an interrupted atomic_snapshot_dir left in a data root; what it did, in words.

    - `.<date>.old-*/<date>` with no `<date>/` (killed between the two renames of a --replace): the
      newest complete `.<date>.tmp-*` is put in place (the swap finished), else the old snapshot is
      moved back (the swap undone). Either way the date has a snapshot again.
    - `.<date>.old-*` beside a `<date>/` (killed before the old copy was dropped): removed once stale.
    - `.<date>.tmp-*` folders untouched for a day: removed; a younger one may be a live import.
    A root that cannot be written (a read-only mount) is left as it is.
    """
    root = Path(root)
    done: list[str] = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return done
    olds = [p for p in entries if _OLD_FOLDER.match(p.name) and p.is_dir()]
    tmps = [p for p in entries if _TMP_FOLDER.match(p.name) and p.is_dir()]
    try:
        for old in olds:
            date = _OLD_FOLDER.match(old.name).group(1)
            final, kept = root / date, old / date
            if kept.is_dir() and not final.exists():
                ready = [t for t in tmps if t.name.startswith(f".{date}.tmp-") and t.exists() and _complete(t)]
                if ready:
                    newest = max(ready, key=lambda t: t.stat().st_mtime)
                    os.rename(newest, final)
                    done.append(f"{final}: finished an interrupted --replace (the new snapshot put in place)")
                else:
                    os.rename(kept, final)
                    done.append(f"{final}: undid an interrupted --replace (the old snapshot moved back)")
                _fsync_dir(root)
                shutil.rmtree(old, ignore_errors=True)
            elif final.exists() and (kept.is_dir() or _age_seconds(old) > STALE_SECONDS):
                # the swap ended (the new snapshot is in place) but its old copy was not dropped; an
                # empty old folder may be a live swap's, about to receive the old snapshot
                shutil.rmtree(old, ignore_errors=True)
                done.append(f"{old}: removed the copy an interrupted --replace left")
        for tmp in tmps:
            if tmp.exists() and _age_seconds(tmp) > STALE_SECONDS:
                shutil.rmtree(tmp, ignore_errors=True)
                done.append(f"{tmp}: removed an import's temporary folder, untouched for a day")
    except OSError:
        pass  # not ours to change (read-only): the listing still works
    return done

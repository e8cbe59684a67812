"""choose_snapshot (dashboard/snapshots.py): which snapshot --data and --snapshot name, shared by the
local resolver and the Spark engine's URI resolver."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard.snapshots import SnapshotError, SnapshotInfo, choose_snapshot


def _info(name: str) -> SnapshotInfo:
    as_of = dt.datetime.fromisoformat(f"{name}T23:59:59+00:00")
    return SnapshotInfo(Path("/data") / name, as_of, "test", {})


SNAPSHOTS = [_info("2026-08-31"), _info("2026-09-30"), _info("2026-10-31")]  # oldest first


def test_the_newest_unless_one_is_named():
    assert choose_snapshot("/data", SNAPSHOTS, None).name == "2026-10-31"
    assert choose_snapshot("/data", SNAPSHOTS, "2026-09-30").name == "2026-09-30"


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(SnapshotError, match=r"no snapshot '2026-07-31' \(have: 2026-08-31, 2026-09-30, 2026-10-31\)"):
        choose_snapshot("/data", SNAPSHOTS, "2026-07-31")


def test_an_empty_root_says_what_it_expected():
    with pytest.raises(SnapshotError, match="no snapshots here"):
        choose_snapshot("/data", [], None)


def test_one_snapshot_folder_accepts_only_its_own_name():
    folder = [_info("2026-09-30")]
    assert choose_snapshot("/data/2026-09-30", folder, None, one_folder=True).name == "2026-09-30"
    assert choose_snapshot("/data/2026-09-30", folder, "2026-09-30", one_folder=True).name == "2026-09-30"
    with pytest.raises(SnapshotError, match="is one snapshot folder; --snapshot 2026-10-31 does not match it"):
        choose_snapshot("/data/2026-09-30", folder, "2026-10-31", one_folder=True)

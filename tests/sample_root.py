"""A data root of a test's own holding the committed sample: its snapshots linked (read-only Parquet, not
copied) and its funnel.toml, so that what a test writes beside them (meetings.sqlite) or caches is its own."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def linked_sample(root: Path) -> Path:
    """`root` (made if missing) with the sample's snapshots and funnel.toml linked in; the test is skipped
    where the committed sample is missing."""
    if not any(SAMPLE.glob("*/snapshot.json")):
        pytest.skip("no committed sample under data/sample")
    root.mkdir(parents=True, exist_ok=True)
    for snap in SAMPLE.glob("*/snapshot.json"):
        (root / snap.parent.name).symlink_to(snap.parent)
    (root / "funnel.toml").symlink_to(SAMPLE / "funnel.toml")
    return root

"""The sample each size is measured on: generated once with `funnel sample` under the data cache and reused."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from dashboard.benching.processes import run_checked
from dashboard.benching.timing import log
from dashboard.errors import UsageError
from dashboard.snapshots import SnapshotError, list_snapshots

# the file `funnel bench` writes into each sample folder it generates: the only folders it deletes
BENCH_MARKER = ".funnel-bench-sample"


def ensure_sample(cache: Path, leads: int, snapshots: int, seed: int) -> tuple[Path, float | None]:
    """The cached sample for this size, generated with `funnel sample` when missing or different."""
    path = cache / str(leads)
    try:
        found = list_snapshots(path)
        if len(found) >= snapshots and f"--leads {leads} --seed {seed} " in found[-1].source:
            return path, None
    except SnapshotError:
        pass
    if path.exists():
        # only a folder this command made (its marker file says so) is deleted; anything else under
        # --data-cache is someone's data
        if not (path / BENCH_MARKER).is_file():
            raise UsageError(
                f"{path} exists but is not a sample `funnel bench` made (it has no {BENCH_MARKER}); "
                "it is left as it is: move it, or give another --data-cache"
            )
        shutil.rmtree(path)
    log(f"{leads:,} leads: generating the sample into {path}")
    path.mkdir(parents=True)
    (path / BENCH_MARKER).write_text(
        "made by `funnel bench`, which may delete this folder to regenerate it\n", encoding="utf-8"
    )
    started = time.perf_counter()
    run_checked(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "sample",
            "--out",
            str(path),
            "--leads",
            str(leads),
            "--snapshots",
            str(snapshots),
            "--seed",
            str(seed),
        ]
    )
    return path, round(time.perf_counter() - started, 2)

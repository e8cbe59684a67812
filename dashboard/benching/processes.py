"""The processes the bench starts and watches: commands run to completion, `funnel serve` in its own process
group, and what /proc says about their CPU time and memory."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
REPO = Path(__file__).resolve().parent.parent.parent  # the source tree the bench's commands run in


def run_checked(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def funnel_command() -> list[str]:
    """The installed `funnel` script (not a shell shim) or, failing that, `python -m dashboard.cli`."""
    script = Path(sys.executable).parent / "funnel"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dashboard.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- /proc ---------------------------------------------------------------------------------------------


def process_stats() -> dict[int, list[bytes]]:
    """Every live process's /proc/PID/stat, as the fields after "(comm)": state ppid pgrp ... utime stime
    cutime cstime at indexes 11 to 14 (fields 14 to 17 of stat(5)). A process that exits meanwhile is left out."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stats[int(entry)] = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
    return stats


def group_pids(pgid: int) -> list[int]:
    """Every live process in the process group (the `funnel serve` wrapper and its streamlit child)."""
    return [pid for pid, fields in process_stats().items() if int(fields[2]) == pgid]


def cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the process group's live processes, in seconds (/proc/PID/stat)."""
    ticks = sum(int(f[11]) + int(f[12]) for f in process_stats().values() if int(f[2]) == pgid)  # utime, stime
    return ticks / CLOCK_TICKS


def browser_cpu_seconds(exclude_pgid: int) -> float:
    """User + system CPU time of this process's descendants (playwright's driver and Chromium's processes),
    the server's process group left out: the browser's share of a change, on the same cores."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for pid, fields in process_stats().items():
        if int(fields[2]) == exclude_pgid:
            continue
        children.setdefault(int(fields[1]), []).append(pid)
        # utime + stime, and cutime + cstime: a renderer that exited and was reaped still counts, in its
        # parent's figure (without them the sum drops when a browser context closes)
        ticks[pid] = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    total, todo = 0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / CLOCK_TICKS


def rss_mb(pgid: int) -> float:
    """Resident memory of the process group's live processes, in MB (/proc/PID/statm)."""
    total = 0
    for pid in group_pids(pgid):
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        except OSError:
            continue
    return total * PAGE_SIZE / 2**20

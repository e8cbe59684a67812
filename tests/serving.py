"""Start `funnel serve` for a test and wait until it answers; stop it (and its streamlit child) after. And
headless Chromium to look at it (Debian's, through playwright), skipping the test where either is missing."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout and proc.poll() is not None else ""
            stop(proc)
            pytest.fail(f"funnel serve did not start (exit {proc.poll()}):\n{out[-3000:]}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # funnel serve stops its streamlit child with it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def serving(
    args: list[str],
    command: list[str] | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """`funnel serve ARGS --port <free>`; yields the base URL."""
    port = free_port()
    command = command or [sys.executable, "-m", "dashboard.cli"]
    proc = subprocess.Popen(
        [*command, "serve", *args, "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{host}:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        stop(proc)


def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


@contextlib.contextmanager
def chromium() -> Iterator:
    """Headless Chromium (a playwright Browser); the test is skipped without playwright or CHROMIUM."""
    if not chromium_available():
        pytest.skip(f"needs playwright and Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright  # lazy: optional (the [test] extra)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

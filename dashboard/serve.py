"""`funnel serve`: start the dashboard on the newest snapshot under --data.

Runs `streamlit run dashboard/app.py` in a child process: headless, bound to 127.0.0.1 unless --host
says otherwise, with --data handed over in the FUNNEL_DATA environment variable (and as script args,
so `streamlit run dashboard/app.py -- --data PATH` works the same way by hand).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from dashboard.snapshots import SnapshotError, resolve

APP = Path(__file__).resolve().parent / "app.py"
DATA_ENV = "FUNNEL_DATA"  # read by dashboard/app_state.py


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="data/sample",
                        help="a data root (its newest snapshot is shown first) or one snapshot folder "
                             "(default: data/sample)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for the network)")


def command(data: Path, port: int, host: str) -> list[str]:
    """The streamlit command line `funnel serve` runs."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        "--client.showErrorDetails=type",
        "--theme.baseFontSize=17",
        "--", "--data", str(data),
    ]


def run(args: argparse.Namespace) -> int:
    from dashboard.cli import UsageError

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number (1-65535)")
    data = Path(args.data).resolve()
    try:
        info = resolve(data)
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"funnel serve: snapshot {info.name} (as of {info.as_of_iso}) from {data}\n"
          f"  open http://{shown}:{args.port}/  (Ctrl+C stops)", file=sys.stderr, flush=True)
    env = {**os.environ, DATA_ENV: str(data)}
    child = subprocess.Popen(command(data, args.port, args.host), env=env)

    def stop(signum, frame):  # SIGTERM (a service manager, a test) stops the server with us
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)

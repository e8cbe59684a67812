"""`funnel serve`: start the dashboard on the newest snapshot under --data.

Runs `streamlit run dashboard/app.py` in a child process: headless, bound to 127.0.0.1 unless --host
says otherwise, with --data handed over in the FUNNEL_DATA environment variable (and as script args,
so `streamlit run dashboard/app.py -- --data PATH` works the same way by hand); --engine and
--spark-remote likewise (FUNNEL_ENGINE, FUNNEL_SPARK_REMOTE).

Sign-in (dashboard/auth.py): an [auth] section in the data root's funnel.toml is checked here, before the
server starts, and handed to Streamlit as a private secrets file (--secrets.files); a --host other than
loopback without it refuses unless --allow-anonymous is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from dashboard.auth import (
    REQUIRED_ENV,
    AuthError,
    check_provider,
    client_secret,
    cookie_secret,
    is_loopback,
    load_auth,
    redirect_uri,
    write_secrets,
)
from dashboard.engines import ENGINE_ENV, SPARK_REMOTE_ENV, EngineError, add_engine_arguments, check_engine, is_uri
from dashboard.errors import UsageError
from dashboard.resources import is_bundled_sample
from dashboard.snapshots import SnapshotError, data_root_of, resolve

APP = Path(__file__).resolve().parent / "app.py"
DATA_ENV = "FUNNEL_DATA"  # read by dashboard/app_state.py


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        help="a data root (its newest snapshot is shown first) or one snapshot folder (default: the bundled sample)",
    )
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for the network)",
    )
    parser.add_argument(
        "--allow-anonymous",
        action="store_true",
        help="serve a non-loopback --host without sign-in (anyone who reaches the port sees the data)",
    )
    add_engine_arguments(parser)


def command(
    data: Path | str,
    port: int,
    host: str,
    engine: str = "duckdb",
    spark_remote: str | None = None,
    secrets_file: Path | None = None,
) -> list[str]:
    """The streamlit command line `funnel serve` runs (secrets_file: the sign-in settings, dashboard/auth.py)."""
    engine_args = [] if engine == "duckdb" else ["--engine", engine]
    secrets_args = [f"--secrets.files={secrets_file}"] if secrets_file else []
    if spark_remote:
        engine_args += ["--spark-remote", spark_remote]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        "--client.showErrorDetails=type",
        "--theme.baseFontSize=17",
        *secrets_args,
        "--",
        *engine_args,
        "--data",
        str(data),
    ]


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number (1-65535)")
    try:
        check_engine(args.engine, args.spark_remote)
        if args.engine == "spark":
            # refuse now (missing pyspark or Java, no server at --spark-remote), not in the browser
            from dashboard.engines.spark import check_available  # lazy: pyspark is optional

            check_available(args.spark_remote)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    on = "" if args.engine == "duckdb" else f" on Spark ({args.spark_remote or 'local'})"
    if is_uri(args.data):
        # a cluster's folder: the app lists its snapshots through Spark (dashboard/engines/spark.py)
        if args.engine != "spark":
            raise UsageError(f"--data {args.data}: DuckDB reads local folders; a cluster URI needs --engine spark")
        data = args.data
        where = f"data root {data}"
    else:
        data = Path(args.data).resolve()
        try:
            info = resolve(data)
        except SnapshotError as exc:
            raise UsageError(str(exc)) from None
        where = f"snapshot {info.name} (as of {info.as_of_iso}) from {data}"
    secrets_file = _sign_in(args, None if is_uri(args.data) else data_root_of(Path(data)))
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"funnel serve: {where}{on}\n  open http://{shown}:{args.port}/  (Ctrl+C stops)", file=sys.stderr, flush=True)
    env = {**os.environ, DATA_ENV: str(data), ENGINE_ENV: args.engine}
    env.pop(SPARK_REMOTE_ENV, None)  # only this run's --spark-remote, never one left in the environment
    env.pop(REQUIRED_ENV, None)
    if secrets_file:
        env[REQUIRED_ENV] = "1"  # the dashboard refuses to run without [auth] from now on (app_auth.gate)
    if args.spark_remote:
        env[SPARK_REMOTE_ENV] = args.spark_remote
    try:
        child = subprocess.Popen(
            command(data, args.port, args.host, args.engine, args.spark_remote, secrets_file), env=env
        )
    except BaseException:
        _remove_secrets(secrets_file)
        raise

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
        _remove_secrets(secrets_file)


def _sign_in(args: argparse.Namespace, root: Path | None) -> Path | None:
    """Check sign-in before the server starts; the private secrets file Streamlit reads, or None (no sign-in).

    A non-loopback --host without sign-in refuses (unless --allow-anonymous); a broken [auth] always stops
    here, naming the key: it never falls back to serving without sign-in."""
    try:
        config = load_auth(root) if root is not None else None
        if config is None:
            if not is_loopback(args.host) and not args.allow_anonymous:
                if root is not None and is_bundled_sample(root):  # its funnel.toml is inside the package
                    raise UsageError(
                        f"--host {args.host} would show the bundled sample to anyone who can reach port "
                        f"{args.port}. For your own data, `funnel init DIR`, import into it and add an [auth] "
                        f"section to DIR/funnel.toml (see the README, 'Sharing the dashboard'); or pass "
                        f"--allow-anonymous to show the sample to everyone on this network."
                    )
                raise UsageError(
                    f"--host {args.host} makes every lead, deal and amount readable by anyone who can reach port "
                    f"{args.port}, and no sign-in is configured. Add an [auth] section to "
                    f"{root / 'funnel.toml' if root else 'the data root funnel.toml'} (your identity provider's "
                    f"server_metadata_url, client_id, allowed_emails / allowed_domains; the client secret in "
                    f"$FUNNEL_AUTH_CLIENT_SECRET; see the README, 'Sharing the dashboard'), or pass "
                    f"--allow-anonymous if everyone on this network may see the data."
                )
            return None
        secret = client_secret(config, root)
        redirect = redirect_uri(config, args.host, args.port)
        check_provider(config)
        path = write_secrets(config, secret, redirect, cookie_secret(root))
    except AuthError as exc:
        raise UsageError(str(exc)) from None
    print(
        f"funnel serve: sign-in required ({config.server_metadata_url}); allowed: "
        f"{', '.join([*config.allowed_emails, *('*@' + d for d in config.allowed_domains)])}",
        file=sys.stderr,
        flush=True,
    )
    return path


def _remove_secrets(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)

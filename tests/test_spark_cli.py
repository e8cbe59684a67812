"""`--engine` and `--spark-remote` on the command line: wrong settings exit 2 with a message that says
what is missing, and never start a server or a JVM. Runs without Spark (nothing here needs one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "data" / "sample")
CLI = "import sys; from dashboard.cli import main; sys.exit(main(sys.argv[1:]))"


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli(*argv, env=None, prelude=""):
    return subprocess.run(
        [sys.executable, "-c", prelude + CLI, *argv], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )


def free_port() -> int:
    with socket.socket() as s:  # bound, then released: nothing listens there afterwards
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["kpis", "--spark-remote", "sc://cluster:15002"], "--spark-remote needs --engine spark"),
        (["campaigns", "--engine", "spark", "--spark-remote", "http://cluster:15002"], "not a Spark Connect address"),
        (["scoring", "--data", "s3a://bucket/funnel"], "a cluster URI needs --engine spark"),
        (["serve", "--data", "abfss://lake@account.dfs.core.windows.net/funnel"], "a cluster URI needs --engine spark"),
        (["serve", "--spark-remote", "sc://cluster:15002"], "--spark-remote needs --engine spark"),
    ],
)
def test_wrong_engine_settings_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_an_unknown_engine_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["kpis", "--engine", "postgres"])
    assert exited.value.code == 2
    assert "invalid choice: 'postgres' (choose from 'duckdb', 'spark')" in capsys.readouterr().err


def test_without_pyspark_engine_spark_says_what_to_install():
    # pyspark made unimportable in the child, whether or not it is installed here
    result = cli("kpis", "--data", SAMPLE, "--engine", "spark", prelude="import sys; sys.modules['pyspark'] = None; ")
    assert result.returncode == 2 and result.stdout == ""
    assert "--engine spark needs pyspark: pip install 'shared-funnel[spark]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_java_a_local_spark_says_what_to_install():
    pytest.importorskip("pyspark", reason="without pyspark the message is about pyspark (the test above)")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # python, and no java
    result = cli("export", "--data", SAMPLE, "--out", "/tmp/never.pptx", "--engine", "spark", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "a local Spark needs a Java runtime, 17 or newer" in result.stderr
    assert "apt-get install -y openjdk-17-jre-headless" in result.stderr


def test_no_spark_connect_server_fails_fast(capsys, monkeypatch):
    pytest.importorskip("pyspark.sql.connect.client", reason="the Spark Connect client comes with pyspark[connect]")
    remote = f"sc://127.0.0.1:{free_port()}"
    monkeypatch.setattr("dashboard.engines.spark.CONNECT_TIMEOUT_S", 2.0)
    for command in ("kpis", "serve"):
        code, out, err = run(capsys, command, "--engine", "spark", "--spark-remote", remote)
        assert code == 2, err
        assert f"no Spark Connect server answers at 127.0.0.1:{remote.rsplit(':', 1)[1]}" in err


def test_serve_hands_the_engine_to_the_app():
    from dashboard import serve

    cmd = serve.command(Path(SAMPLE), 8600, "127.0.0.1", "spark", "sc://cluster:15002")
    assert cmd[-7:] == ["--", "--engine", "spark", "--spark-remote", "sc://cluster:15002", "--data", SAMPLE]
    assert serve.command(Path(SAMPLE), 8600, "127.0.0.1")[-3:] == ["--", "--data", SAMPLE]  # DuckDB: as before

"""Install it anywhere: the built wheel, installed into a fresh virtual environment, works from an empty folder.

Builds the sdist and the wheel from the sdist (`python -m build`, as a release would), installs the wheel
with its dependencies into a new venv (no checkout on its path: pip resolves the dependencies, from its
cache when warm), then from an empty temporary folder runs `funnel kpis --json` (the bundled sample),
`funnel import --mapping olist` (a shipped mapping by name) and `funnel serve` (health, then the
Overview drawn in headless Chromium).

Measured on the project's shared 2-core machine with pip's cache warm: build 13 s, the venv with every
dependency 85 s (850 MB), the whole module 203 s. Run: pytest -m slow tests/test_wheel.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from serving import CHROMIUM, chromium, chromium_available, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# the shared datasets sit beside the project (../shared/datasets), or beside the folder of worktrees
DATASETS = next(
    (p / "shared" / "datasets" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "datasets").is_dir()),
    ROOT.parent / "shared" / "datasets",
)
OLIST = DATASETS / "olist_marketing_funnel"


def run(cmd: list[str], cwd: Path, timeout: float = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{' '.join(cmd)} -> {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    pytest.importorskip("build", reason="`build` is in the [test] extra")
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    # sdist first, then the wheel from the unpacked sdist: both must carry queries/, mappings/, the sample
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=work)
    [wheel] = dist.glob("*.whl")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=work)
    empty = work / "empty"
    empty.mkdir()
    # a clean environment: nothing of the checkout or of this test run's interpreter leaks in
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FUNNEL_DATA")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {"wheel": wheel, "python": python, "funnel": env_dir / "bin" / "funnel", "cwd": empty, "env": env}


def test_the_wheel_carries_the_queries_the_mappings_and_the_sample(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    # every query file, the shared fragments (queries/fragments/) too, at the same relative path
    queries = {p.relative_to(ROOT / "queries").as_posix() for p in (ROOT / "queries").rglob("*.sql")}
    assert {n.removeprefix("dashboard/queries/") for n in names if n.startswith("dashboard/queries/")} == queries
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("dashboard/mappings/")} == {
        "salesforce.toml",
        "hubspot.toml",
        "olist.toml",
        "maven.toml",
    }
    for snapshot in (ROOT / "data" / "sample").glob("*/snapshot.json"):
        for file in snapshot.parent.iterdir():
            assert f"dashboard/sample_data/{snapshot.parent.name}/{file.name}" in names
    assert "dashboard/sample_data/funnel.toml" in names
    assert not any("/.cache/" in n for n in names)  # prepared facts of a checkout never ship


def test_kpis_from_an_empty_folder_use_the_bundled_sample(installed):
    done = run([str(installed["funnel"]), "kpis", "--json"], cwd=installed["cwd"], env=installed["env"])
    assert done.stderr.count("using the bundled sample") == 1
    assert "sample_data" in done.stderr and str(ROOT) not in done.stderr  # the package's copy, not the checkout
    from_wheel = json.loads(done.stdout)
    # the same numbers as the checkout's own sample gives
    here = run(
        [sys.executable, "-m", "dashboard.cli", "kpis", "--json", "--data", str(ROOT / "data" / "sample")], cwd=ROOT
    )
    assert from_wheel == json.loads(here.stdout)
    assert not list(installed["cwd"].iterdir())  # nothing written into the folder it ran in


def test_import_by_mapping_name_from_an_empty_folder(installed):
    if not OLIST.is_dir():
        pytest.skip(f"the Olist dataset is not at {OLIST} (../shared/datasets beside the project)")
    out = installed["cwd"] / "olist-root"
    run(
        [str(installed["funnel"]), "import", "--mapping", "olist", "--source", str(OLIST), "--out", str(out)],
        cwd=installed["cwd"],
        env=installed["env"],
    )
    [snapshot] = [p for p in out.iterdir() if (p / "snapshot.json").is_file()]
    # the dataset's README: 8,000 marketing qualified leads, one lead row each
    assert json.loads((snapshot / "snapshot.json").read_text())["rows"]["leads"] == 8000
    done = run(
        [str(installed["funnel"]), "kpis", "--json", "--data", str(out), "--from", "2017-06-01", "--to", "2018-05-31"],
        cwd=installed["cwd"],
        env=installed["env"],
    )
    assert "bundled sample" not in done.stderr
    assert json.loads(done.stdout)["kpis"]["mqls"] == 8000  # every MQL of the dataset falls in these 12 months


def test_serve_from_an_empty_folder(installed):
    if not chromium_available():
        pytest.skip(f"needs playwright and Chromium at {CHROMIUM}")
    with (
        serving([], command=[str(installed["funnel"])], cwd=installed["cwd"], env=installed["env"]) as base,
        chromium() as browser,
    ):
        page = browser.new_page()
        page.goto(base + "/")
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Data as of 31 Oct 2026" in page.locator('[data-testid="stSidebar"]').inner_text()

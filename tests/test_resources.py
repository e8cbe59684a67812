"""dashboard/resources.py: one place that finds the shipped files; no --data means the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard import resources
from dashboard.cli import main
from dashboard.importer import resolve_mapping
from dashboard.store import QUERIES_DIR

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_folders_are_found():
    assert QUERIES_DIR == resources.queries_dir() and (QUERIES_DIR / "facts" / "views.sql").is_file()
    for name in resources.SHIPPED_MAPPINGS:
        assert resolve_mapping(name) == resources.mappings_dir() / f"{name}.toml"
        assert resolve_mapping(name).is_file()
    sample = resources.sample_data()
    assert (sample / "funnel.toml").is_file() and len(list(sample.glob("*/snapshot.json"))) == 2
    assert resources.is_bundled_sample(sample) and not resources.is_bundled_sample(sample / "2026-10-31")


def test_an_unknown_mapping_name_stays_a_path_the_importer_reports():
    assert str(resolve_mapping("pipedrive")) == "pipedrive"


@pytest.mark.parametrize("command", ["kpis", "campaigns"])
def test_no_data_means_the_bundled_sample_said_once(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # any folder: nothing is looked up relative to it
    assert main([command, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("no --data given: using the bundled sample data") == 1
    assert str(resources.sample_data()) in captured.err
    assert json.loads(captured.out)["period"]["to"] == "2026-10-31"  # the last full month of the sample's newest
    assert not list(tmp_path.iterdir())


def test_an_explicit_data_root_says_nothing_about_the_sample(capsys):
    assert main(["kpis", "--json", "--data", str(resources.sample_data())]) == 0
    assert "bundled sample" not in capsys.readouterr().err


def test_every_code_package_is_in_the_wheel():
    # pyproject.toml lists the packages by hand (the data folders are mapped into the package): a new
    # sub-package left out of the list would be missing from every install but an editable one
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dashboard").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"

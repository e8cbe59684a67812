"""Where the files that ship with Shared Funnel are: the queries, the shipped mappings, the sample snapshots.

The repository keeps them at the top level (`queries/`, `mappings/`, `data/sample/`, their one copy in
git); the build maps them into the package (pyproject.toml: dashboard/queries, dashboard/mappings,
dashboard/sample_data), so an installed wheel finds them with importlib.resources from any folder.

In a checkout (`pip install -e .`) the package is the `dashboard/` folder itself, which holds none of
them: setuptools' editable finder does not serve data folders mapped under a package, so there they
are the checkout's top-level folders, found next to the package. That is the only place a path is
worked out from the package's location, and both cases give real folders (a wheel is unpacked on
install), so callers get a plain Path.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# name inside the installed package -> the folder it is built from in the repository
_SOURCES = {"queries": "queries", "mappings": "mappings", "sample_data": "data/sample"}
SHIPPED_MAPPINGS = ("salesforce", "hubspot", "olist", "maven")


def _folder(name: str) -> Path:
    package = Path(str(files("dashboard")))
    installed = package / name
    if installed.is_dir():
        return installed
    checkout = package.parent / _SOURCES[name]
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"{installed}: the installed package has no {name}/ (a broken build of shared-funnel?)")


def queries_dir() -> Path:
    """The folder of queries/*.sql."""
    return _folder("queries")


def mappings_dir() -> Path:
    """The folder of the shipped column mappings (salesforce.toml, hubspot.toml, olist.toml, maven.toml)."""
    return _folder("mappings")


def sample_data() -> Path:
    """The bundled sample data root: two snapshots and their funnel.toml."""
    return _folder("sample_data")


def is_bundled_sample(path: Path | str) -> bool:
    try:
        return Path(path).resolve() == sample_data().resolve()
    except FileNotFoundError:
        return False

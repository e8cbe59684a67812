"""`funnel kpis` on the real Olist funnel (../shared/datasets), imported with mappings/olist.toml.

The dataset's README states the facts, checked independently of this project: 842 of the 8,000 MQLs
were won; 195 of the 1,586 paid-search MQLs. With a conversion window longer than any MQL -> won time,
the lead -> won cohort rate of the whole period must be exactly those fractions.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.api import Funnel
from dashboard.filters import Period

PROJECT = Path(__file__).resolve().parent.parent
OLIST = PROJECT.parent / "shared" / "datasets" / "olist_marketing_funnel"


@pytest.fixture(scope="module")
def olist_root(tmp_path_factory):
    if not OLIST.is_dir():
        pytest.skip("the Olist dataset is not available beside the project (../shared/datasets)")
    root = tmp_path_factory.mktemp("olist")
    funnel("import", "--source", str(OLIST), "--mapping", str(PROJECT / "mappings" / "olist.toml"), "--out", str(root))
    # a window longer than the dataset (MQLs from 2017-06, wins up to 2018-11): every win counts
    (root / "funnel.toml").write_text("[conversion]\nwindow_days = 3650\n", encoding="utf-8")
    return root


def funnel(*argv: str) -> str:
    # the installed console script, as a user runs it
    done = subprocess.run(
        [str(Path(sys.executable).parent / "funnel"), *argv], cwd=PROJECT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def kpis(root, *filters: str) -> dict:
    # the whole MQL period: first_contact_date runs 2017-06-14 .. 2018-05-31
    return json.loads(
        funnel("kpis", "--data", str(root), "--from", "2017-06-01", "--to", "2018-05-31", "--json", *filters)
    )["kpis"]


def cohort(root, **filters) -> tuple[int, int]:
    """The lead -> won cohort behind the rate, from the API the CLI is a layer over."""
    f = Funnel.open(root)
    row = f.kpi_table([Period.of("2017-06-01", "2018-05-31")], f.filters(**filters)).row(0, named=True)
    return row["lead_to_won_cohort"], row["lead_to_won_converted"]


def test_all_mqls_842_of_8000_won(olist_root):
    k = kpis(olist_root)
    assert k["lead_to_won_rate"] == 842 / 8000  # 10.525 %
    assert k["leads"] == k["mqls"] == 8000  # every row of the MQL file is a lead and an MQL in the period
    assert cohort(olist_root) == (8000, 842)


def test_paid_search_195_of_1586_won(olist_root):
    k = kpis(olist_root, "--channel", "paid_search")
    assert k["lead_to_won_rate"] == 195 / 1586  # 12.30 %
    assert cohort(olist_root, channel="paid_search") == (1586, 195)

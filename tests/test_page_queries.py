"""Each page declares its queries once (dashboard/page_queries.py): the page prefetches that list, and
`funnel bench` times the same list. Checked by running the pages (AppTest): after a page's declared
queries have run, drawing the page asks the database for nothing more, so the declaration is the page's
whole query set and the bench measures what a person waits for."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_root import linked_sample

from dashboard import app_state, bench
from dashboard.page_queries import PAGES, page_queries
from dashboard.store import Store

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture
def data_root(tmp_path) -> Path:
    return linked_sample(tmp_path)  # a root of its own: no result from another test is in any cache


@pytest.mark.parametrize("page", PAGES)
def test_drawing_a_page_runs_no_query_it_did_not_declare(page, data_root, monkeypatch):
    monkeypatch.setenv("FUNNEL_DATA", str(data_root))
    monkeypatch.setenv("BROWSER_PATH", "/nowhere/chromium")
    after_prefetch: list[str] = []
    prefetched = {"done": False}
    real_run, real_prefetch = Store.run, app_state.View.prefetch_page

    def run(self, name, params=None):
        if prefetched["done"]:
            after_prefetch.append(name)
        return real_run(self, name, params)

    def prefetch_page(self, name, older=None):
        real_prefetch(self, name, older)
        prefetched["done"] = True

    monkeypatch.setattr(Store, "run", run)
    monkeypatch.setattr(app_state.View, "prefetch_page", prefetch_page)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception
    assert prefetched["done"], f"{page} does not prefetch its declared queries"
    assert after_prefetch == [], f"{page} ran queries it does not declare: {after_prefetch}"


def test_the_bench_times_the_declared_queries():
    from dashboard.api import Funnel
    from dashboard.filters import Filters

    funnel = Funnel.open(SAMPLE)
    period = funnel.default_period()
    steps = bench.page_steps(funnel, None, period, Filters())
    assert set(steps) == set(PAGES)
    for page in PAGES:
        assert [label for label, _ in steps[page]] == [q.label for q in page_queries(page, funnel, period, Filters())]

"""`funnel bench` and its pandas peer.

The peer (benchmarks/pandas_peer.py) is an independent second computation of the headline figures from
metrics.md, written in pandas with no metric code shared with the SQL: these tests hold it and the Funnel to
the same numbers (1e-9 relative) on a generated sample and on random awkward snapshots. The bench itself
is run once, tiny and --quick, for the shape of what it writes. No timing is asserted.
"""

import datetime as dt
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snapshot_builder import write_snapshot

from dashboard import Funnel
from dashboard.bench import PAGES, evaluate_targets, load_peer, percentile, render_markdown
from dashboard.cli import main
from dashboard.sample import generate

peer = load_peer()
PandasFunnel = peer.PandasFunnel


def agree(funnel, frames, start, end, **filters):
    kpis = funnel.kpis(start, end, **filters)
    campaigns = funnel.campaigns(start, end, model="linear", **filters)
    mismatches = peer.compare(kpis, campaigns, frames.headline(start, end, **filters))
    assert not mismatches, f"{start}..{end} {filters}: {mismatches[:5]}"
    return kpis


# -- the peer on a generated sample ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=["utc", "new_york"])
def sample(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"bench-{request.param}")
    if request.param == "new_york":
        # another zone and other windows: periods become non-midnight UTC intervals, W and L change
        (root / "funnel.toml").write_text(
            '[reporting]\ntimezone = "America/New_York"\n[conversion]\nwindow_days = 30\n'
            "[attribution]\nlookback_days = 60\n",
            encoding="utf-8",
        )
    generate(root, leads=3000, snapshots=1)
    funnel = Funnel.open(root)
    return funnel, peer.PandasFunnel.load(funnel.store.snapshot.path)


def top_campaign(funnel, period):
    listed = funnel.campaigns(period.start, period.end, model="linear")["campaigns"]
    return max(listed, key=lambda c: (c["attributed_pipeline"], c["campaign_id"]))["campaign_id"]


FILTERS = [
    {},
    {"segment": "Enterprise"},
    {"channel": "webinar"},
    {"region": "EMEA"},
    {"origin": "marketing"},
    {"origin": "sales"},
    {"segment": "SMB", "channel": "paid_search"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_peer_agrees_on_the_default_month(sample, filters):
    funnel, frames = sample
    period = funnel.default_period()
    kpis = agree(funnel, frames, period.start, period.end, **filters)
    if not filters:
        assert kpis["kpis"]["leads"] > 0 and kpis["kpis"]["pipeline"] > 0  # a real comparison, not 0 == 0


def test_peer_agrees_under_a_campaign_filter(sample):
    funnel, frames = sample
    period = funnel.default_period()
    campaign = top_campaign(funnel, period)
    agree(funnel, frames, period.start, period.end, campaign=campaign)
    agree(funnel, frames, period.start, period.end, campaign=campaign, segment="Enterprise")


@pytest.mark.parametrize(
    "start,end", [("2026-01-01", "2026-06-30"), ("2025-11-15", "2025-12-14"), ("2026-10-31", "2026-10-31")]
)
def test_peer_agrees_on_other_periods(sample, start, end):
    funnel, frames = sample
    for filters in ({}, {"segment": "Mid-Market"}, {"channel": "event"}):
        agree(funnel, frames, start, end, **filters)


def test_compare_reports_a_difference(sample):
    """The check can fail: a changed figure is reported, not absorbed by the tolerance."""
    funnel, frames = sample
    period = funnel.default_period()
    kpis = funnel.kpis(period.start, period.end)
    campaigns = funnel.campaigns(period.start, period.end, model="linear")
    result = frames.headline(period.start, period.end)
    result["kpis"]["pipeline"] *= 1 + 1e-6
    some = next(iter(result["attributed_pipeline"]))
    result["attributed_pipeline"][some] += 1.0
    figures = {m["figure"] for m in peer.compare(kpis, campaigns, result)}
    assert figures == {"pipeline", f"attributed_pipeline[{some}]"}


# -- the peer on random awkward snapshots -----------------------------------------------------------------

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SEGMENTS = ["SMB", "Enterprise"]
CHANNELS = ["webinar", "event"]


def _at(hours: int) -> str:
    return (BASE + dt.timedelta(hours=hours)).isoformat()


maybe_hours = st.one_of(st.none(), st.integers(0, 24 * 100))


@st.composite
def awkward_snapshots(draw):
    """Skipped and out-of-order stages, responses before the MQL, deals with no lead, several deals per
    lead, campaigns with no segment or one day, touches on both sides of every window edge, ties."""
    leads = [
        {
            "lead_id": f"L{i}",
            "created_at": _at(draw(st.integers(0, 24 * 90))),
            "origin": draw(st.sampled_from(["marketing", "sales", "partner"])),
            "channel": draw(st.sampled_from(CHANNELS)),
            "segment": draw(st.sampled_from(SEGMENTS)),
            "region": draw(st.sampled_from(["EMEA", "APAC"])),
            **{
                col: (None if (h := draw(maybe_hours)) is None else _at(h))
                for col in ("mql_at", "first_response_at", "accepted_at", "sql_at")
            },
        }
        for i in range(draw(st.integers(1, 20)))
    ]
    lead_ids = [lead["lead_id"] for lead in leads]
    opportunities = []
    for j in range(draw(st.integers(0, 12))):
        state = draw(st.sampled_from(["open", "won", "lost"]))
        created = draw(st.integers(0, 24 * 100))
        opportunities.append(
            {
                "opportunity_id": f"O{j}",
                "lead_id": draw(st.one_of(st.none(), st.sampled_from(lead_ids))),
                "created_at": _at(created),
                "origin": draw(st.sampled_from([None, "marketing", "sales"])),
                "segment": draw(st.sampled_from(SEGMENTS)),
                "region": "EMEA",
                "stage": state,
                "amount": float(draw(st.integers(0, 10_000))),
                "is_closed": state != "open",
                "is_won": state == "won",
                "closed_at": None if state == "open" else _at(created + draw(st.integers(0, 24 * 40))),
            }
        )
    campaigns = []
    for k in range(draw(st.integers(1, 3))):
        start = (BASE + dt.timedelta(days=draw(st.integers(0, 90)))).date()
        length = draw(st.one_of(st.none(), st.integers(0, 50)))
        campaigns.append(
            {
                "campaign_id": f"C{k}",
                "name": f"C{k}",
                "channel": draw(st.sampled_from(CHANNELS)),
                "segment": draw(st.sampled_from([None, *SEGMENTS])),
                "start_date": start,
                "end_date": None if length is None else start + dt.timedelta(days=length),
                "cost": float(draw(st.integers(0, 5000))),
            }
        )
    touches = [
        {
            "touch_id": f"T{m:03d}",
            "lead_id": draw(st.sampled_from(lead_ids)),
            "campaign_id": draw(st.sampled_from([c["campaign_id"] for c in campaigns])),
            "touched_at": _at(24 * draw(st.integers(0, 100))),
        }  # whole days: ties and edges
        for m in range(draw(st.integers(0, 30)))
    ]
    return {"leads": leads, "opportunities": opportunities, "campaigns": campaigns, "touches": touches}


@settings(
    max_examples=int(os.environ.get("PEER_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=awkward_snapshots(),
    zone=st.sampled_from(["UTC", "Asia/Kolkata"]),
    period=st.sampled_from([("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-03-31")]),
    filters=st.sampled_from(
        [
            {},
            {"segment": "SMB"},
            {"channel": "webinar"},
            {"origin": "marketing"},
            {"campaign": "C0"},
            {"segment": "Enterprise", "channel": "event"},
        ]
    ),
)
def test_peer_agrees_on_awkward_snapshots(tmp_path_factory, data, zone, period, filters):
    """(PEER_EXAMPLES=500 for a longer hunt.)"""
    root = tmp_path_factory.mktemp("awkward")
    toml = f'[reporting]\ntimezone = "{zone}"\n[conversion]\nwindow_days = 20\n[attribution]\nlookback_days = 30\n'
    folder = write_snapshot(root, "2026-04-30T23:59:59Z", funnel_toml=toml, **data)
    funnel = Funnel.open(root)
    known = funnel.filter_values()
    if not all(v in known[k] for k, v in filters.items()):
        filters = {}  # an unknown value is refused by the Funnel, not compared
    agree(funnel, PandasFunnel.load(folder), *period, **filters)


# -- the bench command ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_bench_quick_writes_json_and_markdown(tmp_path, capsys):
    code = main(["bench", "--leads", "2000", "--quick", "--out", str(tmp_path), "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written == printed
    assert {"generated_at", "command", "machine", "settings", "sizes", "targets", "mismatches"} <= set(written)
    assert {"nproc", "ram_gb", "cpu", "python", "duckdb", "pandas"} <= set(written["machine"])
    (size,) = written["sizes"]
    assert size["leads"] == 2000 and size["rows"]["leads"] == 2000
    assert set(size["pages"]) == set(PAGES)
    for page in PAGES:
        stats = size["pages"][page]
        assert stats["n"] == len(size["filters"]) and 0 < stats["p50_ms"] <= stats["p95_ms"]
    assert size["filters"][0] == {"name": "none", "values": {}}
    assert any("campaign" in f["values"] for f in size["filters"])
    assert size["prepare_s"] > 0 and size["peak_rss_mb"] > 0
    assert size["kpis_cold"]["median_s"] > 0
    assert size["serve"]["status"] == "skipped"
    assert "kpis: 13 months + previous + period (shared by Overview, Funnel, SLA)" in size["queries"]
    assert size["peer"]["check"] == {**size["peer"]["check"], "status": "agree", "mismatches": []}
    assert size["peer"]["ratio"] > 0 and size["peer"]["pandas_peak_rss_mb"] > 0 and written["mismatches"] == 0
    markdown = (tmp_path / "bench.md").read_text()
    assert "2,000 leads" in markdown and "pandas / ours" in markdown
    for page in PAGES:
        assert f"{page} page p50 / p95" in markdown
    # the cached sample is reused, not generated again
    assert (tmp_path / "data" / "2000").is_dir()


def test_percentile_interpolates():
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0], 0.95) == pytest.approx(1.95)
    assert percentile([], 0.5) is None


def _size(leads, page_ms, **extra):
    return {
        "leads": leads,
        "pages": {p: {"p50_ms": page_ms, "p95_ms": page_ms, "n": 1} for p in PAGES},
        "prepare_s": extra.get("prepare_s", 1.0),
        "peak_rss_mb": extra.get("peak_rss_mb", 500.0),
        "kpis_cold": {"median_s": extra.get("cold", 1.0)},
        "peer": {"ratio": extra.get("ratio", 2.0)},
    }


def test_targets_are_judged_per_size_and_scaling():
    rows = evaluate_targets(
        [
            _size(1_000_000, 250.0, cold=2.5, ratio=0.8),
            _size(10_000_000, 3500.0, prepare_s=30.0, peak_rss_mb=3000.0, ratio=4.0),
        ]
    )
    met = {(r["target"], r["leads"]): r["met"] for r in rows}
    assert met[("overview page p50 <= 300 ms", 1_000_000)] is True
    assert met[("`funnel kpis` cold <= 2 s", 1_000_000)] is False
    assert met[("not slower than pandas (pandas / ours >= 1)", 1_000_000)] is False
    assert met[("overview page p50 <= 3 s", 10_000_000)] is False
    assert met[("peak memory <= 2 GB", 10_000_000)] is False
    assert met[("per-snapshot preparation <= 60 s", 10_000_000)] is True
    assert met[(">= 3x faster than pandas", 10_000_000)] is True
    assert met[("overview page: 10x leads costs <= 12x time", 10_000_000)] is False  # 3500 / 250 = 14x
    assert met[("preparation: 10x leads costs <= 12x time", 10_000_000)] is False  # 30 s / 1 s


def test_markdown_renders_without_optional_parts():
    results = {
        "generated_at": "2026-01-01T00:00:00+00:00",
        "command": "funnel bench --leads 10",
        "machine": {
            "nproc": 2,
            "cpu": "x",
            "ram_gb": 1,
            "os": "y",
            "python": "3",
            "duckdb": "2",
            "pandas": "3",
            "polars": "1",
            "pyarrow": "1",
            "streamlit": None,
            "load_average": None,
        },
        "settings": {"repeat": 1},
        "targets": [],
        "sizes": [
            {
                **_size(10, 5.0),
                "rows": {"opportunities": 1, "touches": 2},
                "data_mb": 0.1,
                "serve": {"status": "unavailable", "note": "no server"},
                "filters": [],
            }
        ],
    }
    text = render_markdown(results)
    assert "| overview page p50 / p95 | 5 ms / 5 ms |" in text
    assert "no server" in text

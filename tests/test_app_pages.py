"""Every page of the dashboard, run through Streamlit's AppTest on the committed sample snapshot.

Each page must render without an exception, show its key elements, and respond to a filter (set in the
URL, as a shared link would, or through the sidebar widget). The Overview's numbers must equal
`Funnel.kpis` for the same filters: the page and the CLI read the same query.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.api import Funnel
from dashboard.filters import Filters
from dashboard.metrics import BY_KEY, column_format, column_scale, format_value

streamlit_testing = pytest.importorskip("streamlit.testing.v1")
AppTest = streamlit_testing.AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
SAMPLE = ROOT / "data" / "sample"
PAGES = {
    "overview": "app_pages/overview.py",
    "funnel": "app_pages/funnel.py",
    "changes": "app_pages/changes.py",
    "campaigns": "app_pages/campaigns.py",
    "sla": "app_pages/sla.py",
    "scoring": "app_pages/scoring.py",
    "plan": "app_pages/plan.py",
    "data": "app_pages/data.py",
}


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """The committed sample; without one (a fresh generator change), generate it once."""
    if any(SAMPLE.glob("*/snapshot.json")):
        return SAMPLE
    out = tmp_path_factory.mktemp("sample")
    subprocess.run([sys.executable, "-m", "dashboard.cli", "sample", "--out", str(out)], check=True, cwd=ROOT)
    return out


@pytest.fixture(scope="session")
def funnel(data_root) -> Funnel:
    return Funnel.open(data_root)


@pytest.fixture
def app(data_root, monkeypatch):
    monkeypatch.setenv("FUNNEL_DATA", str(data_root))

    def make(page: str = "overview", **query) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        if page != "overview":
            at.switch_page(PAGES[page])
        return at.run()

    return make


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def no_exception(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


def charts(at) -> int:
    return len(at.get("plotly_chart"))


# -- every page ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders(app, page):
    at = app(page)
    no_exception(at)
    assert at.title, "every page has a title"
    # the snapshot's as-of time is always visible (sidebar)
    assert any("Data as of" in m.value for m in at.sidebar.markdown)
    # the global filters are in the sidebar, bound to the URL by key
    for key in ("snapshot", "segment", "region", "channel", "origin", "campaign"):
        assert at.selectbox(key=key) is not None
    assert at.radio(key="period").value == "Last full month"


def fingerprint(at) -> tuple:
    """What a page shows: its numbers, its charts' data and its tables."""
    return (
        tuple(m.value for m in at.metric),
        tuple(c.proto.spec for c in at.get("plotly_chart")),
        tuple(str(t.value) for t in at.table),
        tuple(str(d.value) for d in at.dataframe),
    )


@pytest.mark.parametrize("page", [p for p in PAGES if p != "data"])
def test_page_responds_to_a_filter_in_the_url(app, page):
    everyone, smb = app(page), app(page, segment="SMB")
    no_exception(smb)
    assert smb.selectbox(key="segment").value == "SMB"
    assert fingerprint(smb) != fingerprint(everyone)


def test_data_page_responds_to_the_snapshot(app, data_root):
    from dashboard.snapshots import list_snapshots

    snaps = list_snapshots(data_root)
    if len(snaps) < 2:
        pytest.skip("one snapshot only")
    newest, oldest = app("data"), app("data", snapshot=snaps[0].name)
    no_exception(oldest)
    assert any(snaps[0].name in s.value for s in oldest.subheader)
    assert [s.value for s in oldest.subheader] != [s.value for s in newest.subheader]


def test_overview_shows_both_sides(app):
    at = app("overview")
    no_exception(at)
    shown = metrics(at)
    for key in (
        "mqls",
        "mql_target_attainment",
        "acceptance_rate",
        "pipeline",
        "bookings",
        "marketing_sourced_pipeline",
        "marketing_influenced_pipeline",
        "win_rate",
        "sales_cycle_days",
    ):
        assert BY_KEY[key].label in shown, key
    # every metric carries its registry definition as help text, and a change against the previous period
    for m in at.metric:
        assert m.help
    assert any(m.delta for m in at.metric)
    assert charts(at) >= 1  # sourced vs influenced
    assert any("previous snapshot" in s.value for s in at.subheader)


@pytest.mark.parametrize("segment", [None, "Enterprise"])
def test_overview_numbers_equal_funnel_kpis(app, funnel, segment):
    query = {"segment": segment} if segment else {}
    at = app("overview", **query)
    no_exception(at)
    expected = funnel.kpis(**query)["kpis"]
    currency = funnel.policy.currency
    shown = metrics(at)
    checked = 0
    for key, value in expected.items():
        label = BY_KEY[key].label
        if label in shown:
            assert shown[label] == format_value(value, BY_KEY[key].unit, currency), key
            checked += 1
    assert checked >= 16


def test_filter_in_url_changes_the_numbers(app):
    everyone = metrics(app("overview"))
    enterprise_at = app("overview", segment="Enterprise")
    assert enterprise_at.selectbox(key="segment").value == "Enterprise"
    assert metrics(enterprise_at)["MQLs"] != everyone["MQLs"]
    assert "segment=Enterprise" in enterprise_at.caption[0].value


def test_campaign_link_by_id_or_label(app):
    by_id = app("overview", campaign="C0093")
    no_exception(by_id)
    assert by_id.selectbox(key="campaign").value.startswith("C0093 · ")
    assert "campaign=C0093" in by_id.caption[0].value
    by_label = app("overview", campaign=by_id.selectbox(key="campaign").value)
    assert metrics(by_label) == metrics(by_id)


def test_unknown_filter_value_in_url_is_ignored(app):
    at = app("overview", segment="No such segment")
    no_exception(at)
    assert at.selectbox(key="segment").value is None


def test_filter_widget_changes_the_numbers_and_the_url(app):
    at = app("sla")
    before = metrics(at)["MQLs"]
    at.selectbox(key="segment").select("SMB").run()
    no_exception(at)
    assert metrics(at)["MQLs"] != before


def test_period_presets(app, funnel):
    at = app("overview")
    month = metrics(at)["MQLs"]
    at.radio(key="period").set_value("Last full quarter").run()
    no_exception(at)
    assert metrics(at)["MQLs"] != month
    at.radio(key="period").set_value("Custom").run()
    no_exception(at)
    assert at.date_input(key="dates") is not None


def test_older_snapshot_via_url(app, data_root):
    from dashboard.snapshots import list_snapshots

    snaps = list_snapshots(data_root)
    if len(snaps) < 2:
        pytest.skip("one snapshot only")
    at = app("overview", snapshot=snaps[0].name)
    no_exception(at)
    assert any(f"snapshot {snaps[0].name}" in c.value for c in at.caption)


def test_data_may_be_one_snapshot_folder(data_root, monkeypatch):
    from dashboard.snapshots import list_snapshots

    folder = list_snapshots(data_root)[-1].path
    monkeypatch.setenv("FUNNEL_DATA", str(folder))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    no_exception(at)
    assert at.selectbox(key="snapshot").options == [folder.name]
    assert any("first snapshot" in c.value for c in at.caption)


def test_funnel_page(app):
    at = app("funnel")
    no_exception(at)
    assert charts(at) == 2  # the stage funnel and the monthly trend
    assert at.selectbox(key="trend").value == "mql_to_sql_rate"
    table = at.table[0].value
    assert "Cohort conversion (same people)" in table.columns
    assert any("Flow ratio" in c for c in table.columns)
    # the trend metric is a widget too
    at.selectbox(key="trend").set_value("mqls").run()
    no_exception(at)


def test_funnel_warns_on_small_cohort(app, funnel):
    # a single campaign leaves a handful of leads: the page says not to trust the rates
    values = funnel.filter_values()["campaign"]
    from dashboard.app_state import campaign_label

    small = None
    for campaign in values:
        row = funnel.kpi_table([funnel.default_period()], Filters(campaign=campaign)).row(0, named=True)
        if 0 < row["funnel_leads"] < 30:
            small = campaign
            break
    if small is None:
        pytest.skip("no small campaign cohort in this sample")
    names = dict(
        zip(
            *[
                funnel.records("campaigns", funnel.default_period(), Filters(), active_only=False)[c].to_list()
                for c in ("campaign_id", "name")
            ]
        )
    )
    at = app("funnel", campaign=campaign_label(small, names))
    no_exception(at)
    assert any("swing by chance" in w.value for w in at.warning)


def test_campaigns_page(app, funnel):
    at = app("campaigns")
    no_exception(at)
    assert at.selectbox(key="model").value == funnel.policy.model
    assert charts(at) == 2  # ROI per campaign, all models side by side
    assert any("six models" in s.value for s in at.subheader)
    at.selectbox(key="model").set_value("first_touch").run()
    no_exception(at)


def test_sla_page(app):
    at = app("sla")
    no_exception(at)
    shown = metrics(at)
    for key in ("acceptance_rate", "sla_response_rate", "sla_decision_rate", "median_response_hours", "untouched_mqls"):
        assert BY_KEY[key].label in shown
    assert any("not following up" in s.value for s in at.subheader)
    assert charts(at) >= 4


def test_scoring_page_threshold(app):
    at = app("scoring")
    no_exception(at)
    before = metrics(at)["MQL volume at this threshold"]
    at.slider(key="threshold").set_value(80).run()
    no_exception(at)
    assert metrics(at)["MQL volume at this threshold"] != before
    assert "Score AUC" in metrics(at)


def test_plan_page(app):
    at = app("plan")
    no_exception(at)
    assert charts(at) == 1
    at.number_input(key="target").set_value(2_000_000).run()
    no_exception(at)
    assert any("$2.00M" in m.value for m in at.markdown) or charts(at) == 1


def test_data_page(app, funnel):
    at = app("data")
    no_exception(at)
    glossary = at.table[-1].value
    assert set(BY_KEY[k].label for k in ("mqls", "win_rate", "score_auc")) <= set(glossary["Metric"])
    assert any("Validation" in s.value for s in at.subheader)


# -- the records behind a number ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "stage,count",
    [
        ("lead", "funnel_leads"),
        ("mql", "funnel_mqls"),
        ("sal", "funnel_sals"),
        ("sql", "funnel_sqls"),
        ("opportunity", "funnel_opportunities"),
        ("won", "funnel_won"),
        ("mql_in_period", "mqls"),
        ("untouched", "untouched_mqls"),
        ("rejected", "rejected_mqls"),
    ],
)
@pytest.mark.parametrize("segment", [None, "Enterprise"])
def test_lead_records_match_their_number(funnel, stage, count, segment):
    period, filters = funnel.default_period().previous(), Filters(segment=segment)
    row = funnel.kpi_table([period], filters).row(0, named=True)
    records = funnel.records("leads", period, filters, stage=stage, owner=None, score_from=None, score_to=None)
    assert records.height == row[count]
    assert "lead_id" in records.columns and records["lead_id"].n_unique() == records.height


@pytest.mark.parametrize("stage,count", [("created", "opportunities"), ("won", "won_deals"), ("lost", "lost_deals")])
def test_opportunity_records_match_their_number(funnel, stage, count):
    period, filters = funnel.default_period(), Filters(region="EMEA")
    row = funnel.kpi_table([period], filters).row(0, named=True)
    records = funnel.records("opportunities", period, filters, stage=stage, owner=None, path_campaign=None)
    assert records.height == row[count]


def test_scored_records_match_the_band(funnel):
    period = funnel.default_period()
    bands = funnel.scoring_table(period, Filters())
    for band in bands.iter_rows(named=True):
        low, high = (float(x) for x in band["band"].split("-"))
        records = funnel.records("leads", period, Filters(), stage="scored", owner=None, score_from=low, score_to=high)
        assert records.height == band["leads"], band["band"]


def test_rejection_reasons_add_up(funnel):
    period = funnel.default_period()
    reasons = funnel.records("rejection_reasons", period, Filters(), owner=None)
    assert reasons["rejected_mqls"].sum() == funnel.kpi_table([period], Filters()).row(0, named=True)["rejected_mqls"]


def test_untouched_records_by_owner(funnel):
    period = funnel.default_period()
    owners = funnel.kpi_table([period], Filters(), "owner")
    for row in owners.filter(owners["untouched_mqls"] > 0).iter_rows(named=True):
        records = funnel.records(
            "leads", period, Filters(), stage="untouched", owner=row["group_key"], score_from=None, score_to=None
        )
        assert records.height == row["untouched_mqls"]
        assert set(records["owner_id"].to_list()) == {row["group_key"]}


def test_credited_opportunities_hold_the_campaign(funnel):
    period = funnel.default_period()
    table = funnel.attribution_table(period, Filters(), "linear")
    top = table.filter(table["attributed_pipeline"] > 0).sort("attributed_pipeline", descending=True).row(0, named=True)
    records = funnel.records(
        "opportunities", period, Filters(), stage="credited", owner=None, path_campaign=top["campaign_id"]
    )
    assert records.height >= top["attributed_opportunities"] > 0


@pytest.mark.parametrize(
    "name,extra",
    [
        ("leads", {"owner": None, "score_from": None, "score_to": None}),
        ("opportunities", {"owner": None, "path_campaign": None}),
    ],
)
def test_records_stage_is_an_allow_list(funnel, name, extra):
    with pytest.raises(Exception, match="unknown"):
        funnel.records(name, funnel.default_period(), Filters(), stage="won'; drop table leads; --", **extra)


# -- funnel serve ----------------------------------------------------------------------------------------
def test_serve_command_is_headless_and_local_by_default(data_root):
    import argparse

    from dashboard import serve

    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.data, args.port, args.host) == (None, 8501, "127.0.0.1")  # no --data: the bundled sample (cli.main)
    cmd = serve.command(Path(data_root), 8600, args.host)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(APP)
    assert "--server.headless=true" in cmd and "--server.address=127.0.0.1" in cmd and "--server.port=8600" in cmd
    assert cmd[-3:] == ["--", "--data", str(data_root)]


def test_serve_rejects_a_missing_data_root(tmp_path, capsys):
    from dashboard.cli import main

    assert main(["serve", "--data", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_metric_tables_hold_numbers_so_a_header_click_sorts_by_value(app, funnel):
    # shown as text ("$9,750", "$13,400"), a header click sorted them as text; kept as numbers with the
    # registry's format, the grid sorts by value and still shows them the registry's way
    at = app("campaigns")
    no_exception(at)
    grid = at.dataframe[0]
    shown, config = grid.value, json.loads(grid.proto.columns)
    for key in ("cost", "attributed_bookings", "roi", "leads_acquired"):
        header = BY_KEY[key].label
        assert shown[header].dtype.kind == "f", header
        assert config[header]["type_config"]["format"] == column_format(BY_KEY[key].unit, "USD"), header
    assert config[BY_KEY["cost"].label]["type_config"]["format"] == "$%,.0f"
    assert config[BY_KEY["roi"].label]["type_config"]["format"] == "%+,.0f%%"
    # the ROI column is the attribution's roi as a percentage (x 100), campaign by campaign
    period, model = funnel.default_period(), funnel.policy.model
    roi = {
        r["name"]: r["roi"]
        for r in funnel.attribution_table(period, Filters(), model).iter_rows(named=True)
        if r["campaign_id"] is not None
    }
    for name, value in zip(shown["Campaign"], shown[BY_KEY["roi"].label]):
        expected = roi[name]
        assert (value != value and expected is None) or value == pytest.approx(100 * expected), name


def test_a_column_format_for_every_unit_of_the_registry():
    # every unit a metric can have gets a table format of its own (no "%g" fallback), and only
    # percentages are scaled
    for unit in {m.unit for m in BY_KEY.values()} - {"flag"}:
        assert column_format(unit, "EUR") != "%g", unit
        assert column_scale(unit) == (100.0 if unit in ("rate", "ratio") else 1.0), unit
    assert column_format("currency", "EUR") == "€%,.0f" and column_format("currency", "GBP") == "£%,.0f"

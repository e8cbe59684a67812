"""Mappings: the shipped ones load, are documented and import hand-made exports with Salesforce's and
HubSpot's real headers; a broken mapping is a clear error (exit 2)."""

import json
from pathlib import Path

import duckdb
import pytest

from dashboard.cli import main
from dashboard.contract import TABLES
from dashboard.importer import MappingError, load_mapping

PROJECT = Path(__file__).resolve().parent.parent
MAPPINGS = PROJECT / "mappings"
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
SHIPPED = ["salesforce", "hubspot", "olist", "maven"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def sql(folder: Path, query: str):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for table in TABLES:
        con.execute(f"create view {table} as select * from read_parquet('{folder / (table + '.parquet')}')")
    return con.execute(query).fetchall()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mapping_loads_and_is_documented(name):
    path = MAPPINGS / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a mapping opens with its assumptions"
    assert "Assumptions" in text or "assumptions" in text.lower()
    mapping = load_mapping(path)
    assert "leads" in mapping
    docs = (PROJECT / "docs" / "import.md").read_text(encoding="utf-8")
    assert f"mappings/{name}.toml" in docs


def import_fixture(capsys, tmp_path, name):
    code, text = run(capsys, "import", "--source", FIXTURES / name, "--mapping", name, "--out", tmp_path)
    assert code == 0, text
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return folder, text


def test_salesforce_report_exports(tmp_path, capsys):
    folder, text = import_fixture(capsys, tmp_path, "salesforce")
    assert folder.name == "2026-02-27"  # the latest date once the open deal's expected close date is cleared
    leads = sql(
        folder,
        "select lead_id, origin, channel, region, employees, "
        "strftime(created_at, '%Y-%m-%d %H:%M'), strftime(sql_at, '%Y-%m-%d') from leads order by 1",
    )
    assert leads == [
        ("00Q5g00000AbCdE", "marketing", "organic_search", "United Kingdom", 120, "2026-01-05 00:00", "2026-01-20"),
        ("00Q5g00000AbCdF", "marketing", "event", "United States", 2500, "2026-01-12 00:00", None),
        ("00Q5g00000AbCdG", "partner", "partner", "United Kingdom", 800, "2026-02-02 00:00", "2026-02-16"),
        ("00Q5g00000AbCdH", "sales", "outbound", "Unknown", None, "2026-02-09 00:00", None),
        ("00Q5g00000AbCdJ", "other", "other", "Netherlands", 45, "2026-02-14 00:00", None),  # trimmed, blank source
    ]
    opps = sql(
        folder,
        "select opportunity_id, lead_id, stage, amount, is_closed, is_won, "
        "strftime(created_at, '%Y-%m-%d %H:%M'), strftime(closed_at, '%Y-%m-%d') "
        "from opportunities order by 1",
    )
    assert opps == [
        ("0065g00000XyZaB", "00Q5g00000AbCdE", "Closed Won", 24000.0, True, True, "2026-01-20 10:15", "2026-02-27"),
        ("0065g00000XyZaC", "00Q5g00000AbCdG", "Proposal/Price Quote", 9500.0, False, False, "2026-02-16 16:40", None),
        ("0065g00000XyZaD", None, "Closed Lost", 0.0, True, False, "2026-02-01 09:00", "2026-02-20"),
    ]
    assert sql(folder, "select campaign_id, channel, cost, end_date is null from campaigns order by 1") == [
        ("7015g000000AaAa", "webinar", 4200.0, False),
        ("7015g000000AaAb", "event", 18500.0, False),
        ("7015g000000AaAc", "partner", 0.0, True),
    ]
    # responders only, lead members only; touch_id = campaign:lead
    assert sql(folder, "select touch_id, touch_type from touches order by 1") == [
        ("7015g000000AaAa:00Q5g00000AbCdE", "Attended"),
        ("7015g000000AaAb:00Q5g00000AbCdF", "Visited Booth"),
        ("7015g000000AaAc:00Q5g00000AbCdG", "Registered"),
    ]
    # extra report columns are kept
    assert sql(folder, "select \"Lead Status\" from leads where lead_id = '00Q5g00000AbCdH'") == [
        ("Open - Not Contacted",)
    ]
    assert "skipped 2 row(s) without lead_id or touched_at" in text and "lines 4, 6" in text
    assert "2 deal(s) linked to their lead" in text
    assert "cost · zero_cost" in text


def test_hubspot_exports(tmp_path, capsys):
    folder, text = import_fixture(capsys, tmp_path, "hubspot")
    leads = sql(
        folder,
        "select lead_id, origin, channel, strftime(mql_at, '%Y-%m-%d %H:%M'), "
        "strftime(sql_at, '%Y-%m-%d %H:%M') from leads order by 1",
    )
    assert leads == [
        ("101", "marketing", "organic_search", "2026-01-06 10:00", "2026-01-09 15:30"),
        ("102", "marketing", "paid_search", "2026-01-09 08:45", None),
        ("103", "sales", "other", None, "2026-01-22 09:00"),
        ("104", "marketing", "social", None, None),
        ("105", "other", "other", None, None),
    ]
    opps = sql(
        folder,
        "select opportunity_id, lead_id, is_closed, is_won, amount, closed_at is null from opportunities order by 1",
    )
    assert opps == [
        ("9001", "101", True, True, 24000.0, False),
        ("9002", "103", False, False, 9500.0, True),
        ("9003", None, True, False, 0.0, False),
    ]
    assert "1 cell(s) held several values separated by ';'; the first was kept" in text
    assert sql(folder, "select count(*) from campaigns") == [(0,)]
    # "Number of Employees" is a range picklist: kept as an extra column, not parsed
    assert sql(folder, "select \"Number of Employees\" from leads where lead_id = '101'") == [("100-500",)]


def test_hubspot_portal_time_zone(tmp_path, capsys):
    text = (MAPPINGS / "hubspot.toml").read_text(encoding="utf-8")
    mapping = tmp_path / "hubspot_berlin.toml"
    mapping.write_text(text.replace('# timezone = "Europe/Berlin"', 'timezone = "Europe/Berlin"'), encoding="utf-8")
    code, out = run(capsys, "import", "--source", FIXTURES / "hubspot", "--mapping", mapping, "--out", tmp_path / "o")
    assert code == 0, out
    (folder,) = (tmp_path / "o").iterdir()
    # 09:12 in Berlin (winter, UTC+1) is 08:12 UTC
    assert sql(folder, "select strftime(created_at, '%H:%M') from leads where lead_id = '101'") == [("08:12",)]


def test_hubspot_deal_with_an_unknown_contact_is_refused(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    for f in (FIXTURES / "hubspot").iterdir():
        (src / f.name).write_text(f.read_text(encoding="utf-8").replace(",103;104,", ",999;104,"), encoding="utf-8")
    code, text = run(capsys, "import", "--source", src, "--mapping", "hubspot", "--out", tmp_path / "o")
    assert code == 2
    assert "deals.csv · lead_id · references: 1 row" in text and "9002 (line 3): lead_id='999'" in text


def test_value_map_catch_all_and_mapping_to_blank(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "crm.csv").write_text(
        "id,created,src,seg\nA,2026-01-01,Webinar,N/A\nB,2026-01-02,Fax,SMB\nC,2026-01-03,,SMB\n", encoding="utf-8"
    )
    (src / "m.toml").write_text(
        """
[leads]
file = "crm.csv"
[leads.columns]
lead_id = "id"
created_at = "created"
channel = "src"
origin = "src"
segment = "seg"
[leads.constants]
region = "EMEA"
[leads.defaults]
segment = "Unknown"
origin = "other"
channel = "other"
[leads.values.channel]
Webinar = "webinar"
[leads.values.origin]
Webinar = "marketing"
"*" = "sales"
[leads.values.segment]
"N/A" = ""
""",
        encoding="utf-8",
    )
    code, text = run(
        capsys, "import", "--source", src, "--mapping", src / "m.toml", "--out", tmp_path / "o", "--as-of", "2026-01-31"
    )
    assert code == 0, text
    rows = sql(tmp_path / "o" / "2026-01-31", "select lead_id, channel, origin, segment from leads order by 1")
    assert rows == [
        ("A", "webinar", "marketing", "Unknown"),
        ("B", "Fax", "sales", "SMB"),
        ("C", "other", "other", "SMB"),
    ]
    # an unmapped channel passes through and is a warning, not a refusal
    assert "channel · known" in text and "'Fax'" in text


def test_skip_and_as_of_default_and_formats(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "deals.csv").write_text(
        "id,opened,closed,state,value\nD1,03/02/2026,15/02/2026,won,10\nD2,,,open,\nD3,05/02/2026,,open,5\n",
        encoding="utf-8",
    )
    (src / "m.toml").write_text(
        """
[leads]
empty = true
[opportunities]
file = "deals.csv"
formats = ["%d/%m/%Y"]
[opportunities.columns]
opportunity_id = "id"
created_at = "opened"
closed_at = "closed"
stage = "state"
is_closed = "state"
is_won = "state"
amount = "value"
[opportunities.constants]
segment = "SMB"
region = "EMEA"
[opportunities.defaults]
created_at = "$as_of"
amount = 0
[opportunities.values.is_closed]
won = true
open = false
[opportunities.values.is_won]
won = true
open = false
""",
        encoding="utf-8",
    )
    code, text = run(
        capsys, "import", "--source", src, "--mapping", src / "m.toml", "--out", tmp_path / "o", "--as-of", "2026-02-28"
    )
    assert code == 0, text
    rows = sql(
        tmp_path / "o" / "2026-02-28",
        "select opportunity_id, strftime(created_at, '%Y-%m-%d %H:%M:%S'), "
        "strftime(closed_at, '%Y-%m-%d') from opportunities order by 1",
    )
    assert rows == [
        ("D1", "2026-02-03 00:00:00", "2026-02-15"),
        ("D2", "2026-02-28 23:59:59", None),
        ("D3", "2026-02-05 00:00:00", None),
    ]
    assert "1 blank cell(s) take the snapshot's as_of" in text


MAPPING_ERRORS = [
    ("[lead]\nfile = 'x.csv'\n", "unknown table(s) lead"),
    ("[leads]\nfiles = 'x.csv'\n", "unknown key(s) files"),
    ("[leads.columns]\ncreate_at = 'x'\n", "did you mean created_at?"),
    ("[leads.columns]\nlead_id = 5\n", "must name a source column"),
    ("[leads.columns]\norigin = 'x'\n[leads.constants]\norigin = 'marketing'\n", "a constant cannot also be mapped"),
    ("[leads]\ntimezone = 'Mars/Olympus'\n", "not an IANA time zone"),
    ("[leads]\nformats = ['no percent']\n", "strptime formats"),
    ("[leads]\nfile = 'x.csv'\nempty = true\n", "both a file and empty = true"),
    ("[leads.values.channel]\nWeb = ['a', 'b']\n", "is not a single value"),
    ("[leads]\nlead_id_from_leads = 'x'\n", "belongs in [opportunities]"),
    ("[leads\n", "malformed TOML"),
]


@pytest.mark.parametrize("toml, message", MAPPING_ERRORS, ids=[m for _, m in MAPPING_ERRORS])
def test_broken_mappings_are_clear_errors(tmp_path, capsys, toml, message):
    path = tmp_path / "m.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError, match=None) as exc:
        load_mapping(path)
    assert message in str(exc.value)
    code, text = run(capsys, "import", "--source", FIXTURES / "contract", "--mapping", path, "--out", tmp_path / "o")
    assert code == 2 and message in text and "Traceback" not in text
    assert not (tmp_path / "o").exists()


def test_import_report_is_written_with_the_snapshot(tmp_path, capsys):
    folder, _ = import_fixture(capsys, tmp_path, "hubspot")
    report = json.loads((folder / "import_report.json").read_text())
    assert report["ok"] is True and any("Associated" not in n for n in report["notes"])

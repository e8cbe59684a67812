"""`funnel import`: broken exports are refused (exit 2, file/column/rule/count/examples, nothing written),
snapshots are written atomically, --replace swaps safely, types parse as the contract says, and the two real
datasets import with their known counts."""

import hashlib
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
PROJECT = Path(__file__).resolve().parent.parent
DATASETS = PROJECT.parent / "shared" / "datasets"
OLIST = DATASETS / "olist_marketing_funnel"
MAVEN = DATASETS / "maven_crm_sales_opportunities"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def tree(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) with the hash of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def sql(folder: Path, query: str):
    con = duckdb.connect()
    for table in ("leads", "opportunities", "campaigns", "touches", "targets"):
        con.execute(f"create view {table} as select * from read_parquet('{folder / (table + '.parquet')}')")
    return con.execute(query).fetchall()


@pytest.fixture
def src(tmp_path):
    """A copy of the valid hand-made export (contract column names), to break."""
    path = tmp_path / "src"
    shutil.copytree(FIXTURES / "contract", path)
    return path


@pytest.fixture
def out(tmp_path, capsys):
    """A data root that already holds one snapshot (2026-02-28) from the valid export."""
    root = tmp_path / "out"
    code, text = run(capsys, "import", "--source", FIXTURES / "contract", "--out", root, "--as-of", "2026-02-28")
    assert code == 0, text
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


# --------------------------------------------------------------------------------------------------
# The valid export


def test_valid_export_imports_with_a_report(out, capsys):
    folder = out / "2026-02-28"
    assert sorted(p.name for p in folder.iterdir()) == [
        "campaigns.parquet",
        "import_report.json",
        "leads.parquet",
        "opportunities.parquet",
        "snapshot.json",
        "targets.parquet",
        "touches.parquet",
    ]
    assert sql(folder, "select count(*) from leads") == [(5,)]
    assert sql(folder, "select count(*) from touches") == [(5,)]
    # the extra source column is kept, as a string column
    assert sql(folder, "select utm_campaign from leads where lead_id = 'L1'") == [("jan-webinar",)]
    assert pq.read_schema(folder / "leads.parquet").field("utm_campaign").type == pa.string()
    # contract types
    schema = pq.read_schema(folder / "opportunities.parquet")
    assert schema.field("amount").type == pa.float64() and schema.field("is_won").type == pa.bool_()
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    code, text = run(capsys, "validate", folder)
    assert code == 0, text


def test_no_temporary_folders_are_left_behind(out):
    assert [p.name for p in out.iterdir()] == ["2026-02-28"]  # no temporary folders left behind


# --------------------------------------------------------------------------------------------------
# Broken exports: refused, named, nothing written


def _latin1(src):
    text = (src / "leads.csv").read_text(encoding="utf-8").replace("Retail", "Détail")
    (src / "leads.csv").write_bytes(text.encode("latin-1"))


def _utf16(src):
    (src / "leads.csv").write_bytes((src / "leads.csv").read_text(encoding="utf-8").encode("utf-16"))


def _binary(src):
    (src / "touches.csv").write_bytes(b"touch_id,lead_id\n" + bytes(range(256)) * 4)


def _drop_column(src):
    lines = (src / "leads.csv").read_text(encoding="utf-8").splitlines()
    (src / "leads.csv").write_text(
        "\n".join(",".join(x.split(",")[:1] + x.split(",")[2:]) for x in lines) + "\n", encoding="utf-8"
    )


def _ragged(src):
    append(src / "touches.csv", "T6,L1,C1,2026-01-09T00:00:00Z,form,extra,cells")


def _malformed_mapping(src):
    (src / "m.toml").write_text("[leads\nfile = 'leads.csv'\n", encoding="utf-8")


def _mapping_missing_file(src):
    (src / "m.toml").write_text("[leads]\nfile = 'crm_leads.csv'\n", encoding="utf-8")


def _mapping_missing_column(src):
    (src / "m.toml").write_text("[leads.columns]\ncreated_at = 'Create Date'\n", encoding="utf-8")


BROKEN = {
    # name: (break the export, [expected pieces of one output line: file, column, rule, count, example])
    "empty file": (lambda s: (s / "campaigns.csv").write_bytes(b""), ["campaigns.csv", "empty_file", "0 bytes"]),
    "not UTF-8": (_latin1, ["leads.csv", "encoding", "byte 0xe9", "line 5"]),
    "UTF-16": (_utf16, ["leads.csv", "encoding", "UTF-16", "line 1"]),
    "binary garbage": (_binary, ["touches.csv", "binary", "NUL byte", "line 2"]),
    "missing column": (_drop_column, ["leads.csv", "created_at", "missing_column"]),
    "more fields than the header": (_ragged, ["touches.csv", "csv", "line 7", "7 fields, the header 5"]),
    "unclosed quote": (
        lambda s: append(s / "touches.csv", 'T6,L1,C1,"2026-01-09,form'),
        ["touches.csv", "csv", "at line 7, a quoted cell is never closed"],
    ),
    "duplicate ids": (
        lambda s: append(s / "leads.csv", "L2,2026-02-11,marketing,email,SMB,EMEA,,,,,,,,,,,"),
        ["leads.csv", "lead_id", "unique", "2 rows", "L2 (lines 3, 7)"],
    ),
    "broken touch reference": (
        lambda s: append(s / "touches.csv", "T6,L99,C1,2026-01-09T00:00:00Z,form"),
        ["touches.csv", "lead_id", "references", "1 row", "T6 (line 7): lead_id='L99'"],
    ),
    "broken campaign reference": (
        lambda s: edit(s / "touches.csv", "T4,L5,C3", "T4,L5,C9"),
        ["touches.csv", "campaign_id", "references", "1 row", "T4 (line 5)"],
    ),
    "broken opportunity lead": (
        lambda s: edit(s / "opportunities.csv", "O2,L4,", "O2,L404,"),
        ["opportunities.csv", "lead_id", "references", "1 row", "O2 (line 3)"],
    ),
    "negative amount": (
        lambda s: edit(s / "opportunities.csv", "8000.50", "-8000.50"),
        ["opportunities.csv", "amount", "negative", "1 row", "O2 (line 3): -8000.5"],
    ),
    "negative cost": (
        lambda s: edit(s / "campaigns.csv", ",800,", ",-800,"),
        ["campaigns.csv", "cost", "negative", "1 row", "C3 (line 4)"],
    ),
    "score out of range": (
        lambda s: edit(s / "leads.csv", "Retail,12,,90,", "Retail,12,,190,"),
        ["leads.csv", "score", "range", "1 row", "L4 (line 5): 190"],
    ),
    "unknown origin": (
        lambda s: edit(s / "leads.csv", "L5,2026-02-10T15:00:00Z,marketing", "L5,2026-02-10T15:00:00Z,web"),
        ["leads.csv", "origin", "allowed", "1 row", "L5 (line 6): 'web'"],
    ),
    "unknown target metric": (
        lambda s: edit(s / "targets.csv", "bookings", "revenue"),
        ["targets.csv", "metric", "allowed", "1 row", "line 3: 'revenue'"],
    ),
    "unparseable timestamp": (
        lambda s: edit(s / "leads.csv", "2026-02-01T10:00:00Z", "2026-13-45"),
        ["leads.csv", "created_at", "type", "1 value", "L4 (line 5): created_at='2026-13-45'"],
    ),
    "unparseable boolean": (
        lambda s: edit(s / "opportunities.csv", ",false,false,", ",maybe,false,"),
        ["opportunities.csv", "is_closed", "type", "1 value", "O2 (line 3): is_closed='maybe'"],
    ),
    "unparseable number": (
        lambda s: edit(s / "opportunities.csv", "12000", "12k"),
        ["opportunities.csv", "amount", "type", "1 value", "O1 (line 2): amount='12k'"],
    ),
    "thousands separator": (
        lambda s: edit(s / "opportunities.csv", "12000", "12,000"),
        ["opportunities.csv", "csv", "at line 2, the row has 14 fields, the header 13"],
    ),
    "semicolon-delimited": (
        lambda s: (s / "campaigns.csv").write_text("campaign_id;name\nC1;x\n", encoding="utf-8"),
        ["campaigns.csv", "campaign_id", "missing_column", "(1 row)", "delimited by ';'"],
    ),
    "won but not closed": (
        lambda s: edit(s / "opportunities.csv", "Closed Won,12000,true,true", "Closed Won,12000,false,true"),
        ["opportunities.csv", "is_won", "won_implies_closed", "1 opportunity", "O1 (line 2)"],
    ),
    "closed without closed_at": (
        lambda s: edit(s / "opportunities.csv", "false,2026-02-25T09:00:00Z", "false,"),
        ["opportunities.csv", "closed_at", "closed_needs_closed_at", "1 opportunity", "O3 (line 4)"],
    ),
    "blank required value": (
        lambda s: edit(s / "leads.csv", "sales,outbound,Mid-Market", "sales,outbound,"),
        ["leads.csv", "segment", "not_null", "1 row", "L3 (line 4)"],
    ),
    "no leads file": (lambda s: (s / "leads.csv").unlink(), ["leads.csv", "missing_file"]),
    "mapping names a missing file": (_mapping_missing_file, ["crm_leads.csv", "missing_file"]),
    "mapping names a missing column": (
        _mapping_missing_column,
        ["leads.csv", "created_at", "missing_column", "'Create Date'"],
    ),
    "malformed TOML": (_malformed_mapping, ["m.toml", "malformed TOML", "line 1"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_export_is_refused_and_nothing_is_written(case, src, out, capsys):
    breaker, expected = BROKEN[case]
    breaker(src)
    before = tree(out)
    argv = ["import", "--source", src, "--out", out, "--as-of", "2026-03-31"]
    if (src / "m.toml").exists():
        argv += ["--mapping", src / "m.toml"]
    code, text = run(capsys, *argv)
    assert code == 2, text
    assert "Traceback" not in text
    # one line names the file, the column, the rule, the count and the first offenders
    assert any(all(piece in line for piece in expected) for line in text.splitlines()), text
    assert tree(out) == before  # the earlier snapshot is byte-for-byte untouched, nothing new appeared
    assert sorted(p.name for p in out.iterdir()) == ["2026-02-28"]


def test_a_refusal_lists_every_problem_at_once(src, tmp_path, capsys):
    edit(src / "leads.csv", "2026-02-01T10:00:00Z", "yesterday")
    edit(src / "opportunities.csv", "8000.50", "-1")
    append(src / "touches.csv", "T6,L99,C1,2026-01-09T00:00:00Z,form")
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 2
    assert "created_at · type" in text and "amount · negative" in text and "lead_id · references" in text
    assert "nothing was written" in text
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_wrong_arguments_exit_2(tmp_path, capsys):
    code, text = run(capsys, "import", "--source", tmp_path / "nope", "--out", tmp_path / "o")
    assert code == 2 and "no such folder" in text
    code, text = run(capsys, "import", "--source", FIXTURES / "contract", "--out", tmp_path / "o", "--as-of", "soon")
    assert code == 2 and "not an ISO-8601" in text
    code, text = run(
        capsys,
        "import",
        "--source",
        FIXTURES / "contract",
        "--out",
        tmp_path / "o",
        "--mapping",
        tmp_path / "missing.toml",
    )
    assert code == 2 and "no such mapping file" in text


# --------------------------------------------------------------------------------------------------
# Same date twice, --replace


def test_same_date_twice_is_refused(out, capsys):
    before = tree(out)
    code, text = run(
        capsys, "import", "--source", FIXTURES / "contract", "--out", out, "--as-of", "2026-02-28T08:00:00Z"
    )
    assert code == 2 and "already exists" in text and "--replace" in text
    assert tree(out) == before


def test_replace_swaps_the_snapshot(src, out, capsys):
    append(src / "leads.csv", "L6,2026-02-20T09:00:00Z,marketing,email,SMB,EMEA,,,,,,,,,,,")
    before = tree(out)
    code, text = run(capsys, "import", "--source", src, "--out", out, "--as-of", "2026-02-28", "--replace")
    assert code == 0, text
    assert tree(out) != before
    assert sql(out / "2026-02-28", "select count(*) from leads") == [(6,)]
    assert [p.name for p in out.iterdir()] == ["2026-02-28"]


def test_replace_keeps_the_old_snapshot_when_the_export_is_refused(src, out, capsys):
    edit(src / "opportunities.csv", "8000.50", "-8000.50")
    before = tree(out)
    code, _ = run(capsys, "import", "--source", src, "--out", out, "--as-of", "2026-02-28", "--replace")
    assert code == 2
    assert tree(out) == before


def test_replace_keeps_the_old_snapshot_when_writing_fails(src, out, capsys, monkeypatch):
    append(src / "leads.csv", "L6,2026-02-20T09:00:00Z,marketing,email,SMB,EMEA,,,,,,,,,,,")
    before = tree(out)
    real = pq.write_table

    def failing(table, where, *a, **kw):
        if str(where).endswith("touches.parquet"):
            raise OSError(28, "No space left on device")
        return real(table, where, *a, **kw)

    monkeypatch.setattr(pq, "write_table", failing)
    code, text = run(capsys, "import", "--source", src, "--out", out, "--as-of", "2026-02-28", "--replace")
    assert code == 1 and "No space left" in text and "nothing was written" in text
    assert "Traceback" not in text
    assert tree(out) == before
    assert [p.name for p in out.iterdir()] == ["2026-02-28"]


# --------------------------------------------------------------------------------------------------
# Types and normalisation


def _one_table_export(tmp_path, leads_rows: list[str], opp_rows: list[str] | None = None) -> Path:
    src = tmp_path / "types"
    src.mkdir()
    (src / "leads.csv").write_text(
        "lead_id,created_at,origin,channel,segment,region,employees,score\n" + "\n".join(leads_rows) + "\n",
        encoding="utf-8",
    )
    if opp_rows:
        (src / "opportunities.csv").write_text(
            "opportunity_id,created_at,segment,region,stage,amount,is_closed,is_won,closed_at\n"
            + "\n".join(opp_rows)
            + "\n",
            encoding="utf-8",
        )
    return src


def test_timestamps_dates_and_offsets(tmp_path, capsys):
    src = _one_table_export(
        tmp_path,
        [
            "D,2026-03-01,marketing,email,SMB,EMEA,,",  # a date alone: midnight UTC
            "Z,2026-03-01T10:00:00Z,marketing,email,SMB,EMEA,,",  # Z
            "P,2026-03-01T10:00:00+02:00,marketing,email,SMB,EMEA,,",  # +02:00 -> 08:00 UTC
            "N,2026-03-01T10:00:00.250-05:00,marketing,email,SMB,EMEA,,",  # fraction, -05:00 -> 15:00:00.25
            "S,2026-03-01 10:00,marketing,email,SMB,EMEA,,",  # space, no seconds, no zone: UTC
            "C,2026-03-01T10:00:00+0530,marketing,email,SMB,EMEA,,",  # +0530 -> 04:30 UTC
        ],
    )
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 0, text
    rows = dict(
        sql(
            tmp_path / "o" / "2026-03-31",
            "select lead_id, strftime(created_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f') from leads",
        )
    )
    assert rows == {
        "D": "2026-03-01T00:00:00.000000",
        "Z": "2026-03-01T10:00:00.000000",
        "P": "2026-03-01T08:00:00.000000",
        "N": "2026-03-01T15:00:00.250000",
        "S": "2026-03-01T10:00:00.000000",
        "C": "2026-03-01T04:30:00.000000",
    }
    assert "1 date-only value(s) read as midnight UTC" in text
    assert "3 value(s) with a UTC offset converted to UTC" in text


def test_booleans_numbers_and_whitespace(tmp_path, capsys):
    src = _one_table_export(
        tmp_path,
        [
            "  L1 , 2026-03-01 ,Marketing,Paid Search,SMB,EMEA, 120 , 55.5 ",
            "L2,2026-03-02,marketing,email,SMB,EMEA,1e2,",
        ],
        [
            "O1,2026-03-03,SMB,EMEA,Won,100,1,1,2026-03-04",
            "O2,2026-03-03,SMB,EMEA,Lost,0,TRUE,false,2026-03-04",
            "O3,2026-03-03,SMB,EMEA,Open,50,0,0,",
            "O4,2026-03-03,SMB,EMEA,Won,75.25,Yes,yes,2026-03-05",
            "O5,2026-03-03,SMB,EMEA,Open,1,no,No,2026-04-30",
        ],
    )
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 0, text
    folder = tmp_path / "o" / "2026-03-31"
    assert sql(folder, "select opportunity_id, is_closed, is_won from opportunities order by 1") == [
        ("O1", True, True),
        ("O2", True, False),
        ("O3", False, False),
        ("O4", True, True),
        ("O5", False, False),
    ]
    assert sql(folder, "select lead_id, origin, channel, employees, score from leads order by 1") == [
        ("L1", "marketing", "paid_search", 120, 55.5),
        ("L2", "marketing", "email", 100, None),
    ]
    assert sql(folder, "select closed_at from opportunities where opportunity_id = 'O5'") == [(None,)]
    assert "trimmed surrounding whitespace" in text
    assert "normalised to the contract's spelling" in text and "'Paid Search'" in text
    assert "cleared on 1 open deal(s)" in text


def test_integer_with_a_fraction_is_refused(tmp_path, capsys):
    src = _one_table_export(tmp_path, ["L1,2026-03-01,marketing,email,SMB,EMEA,12.5,"])
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 2 and "employees · type" in text and "L1 (line 2): employees='12.5'" in text


def test_as_of_defaults_and_after_as_of_warning(tmp_path, capsys):
    # no --as-of: the end of the day of the latest timestamp in the export
    code, text = run(capsys, "import", "--source", FIXTURES / "contract", "--out", tmp_path / "a")
    assert code == 0 and "2026-02-25T23:59:59Z" in text
    assert (tmp_path / "a" / "2026-02-25").is_dir()
    # an --as-of before some timestamps: imported, with a warning naming them
    code, text = run(
        capsys, "import", "--source", FIXTURES / "contract", "--out", tmp_path / "b", "--as-of", "2026-02-15T00:00:00Z"
    )
    assert code == 0
    assert "closed_at · after_as_of" in text and "O1" in text


def test_as_of_from_the_sources_snapshot_json(src, tmp_path, capsys):
    (src / "snapshot.json").write_text('{"as_of": "2026-03-15T12:00:00+01:00"}', encoding="utf-8")
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o")
    assert code == 0, text
    assert (tmp_path / "o" / "2026-03-15").is_dir()
    assert '"as_of": "2026-03-15T11:00:00Z"' in (tmp_path / "o" / "2026-03-15" / "snapshot.json").read_text()
    (src / "snapshot.json").write_text('{"as_of": "whenever"}', encoding="utf-8")
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "p")
    assert code == 2 and "snapshot.json · as_of" in text


def test_parquet_source_with_zoned_timestamps(tmp_path, capsys):
    import datetime as dt

    src = tmp_path / "pq"
    src.mkdir()
    berlin = dt.timezone(dt.timedelta(hours=2))
    leads = pa.table(
        {
            "lead_id": pa.array([1, 2], pa.int64()),  # integer ids: kept as text
            "created_at": pa.array([dt.datetime(2026, 3, 1, 10, tzinfo=berlin)] * 2, pa.timestamp("ns", tz="+02:00")),
            "origin": ["marketing", "sales"],
            "channel": ["email", "outbound"],
            "segment": ["SMB", "SMB"],
            "region": ["EMEA", "EMEA"],
            "score": pa.array([10, 20], pa.int32()),
            "campaign_tag": ["a", None],
        }
    )
    pq.write_table(leads, src / "leads.parquet")
    code, text = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 0, text
    folder = tmp_path / "o" / "2026-03-31"
    assert sql(
        folder,
        "select lead_id, strftime(created_at at time zone 'UTC', '%H:%M'), score, campaign_tag from leads order by 1",
    ) == [("1", "08:00", 10.0, "a"), ("2", "08:00", 20.0, None)]


def test_blank_lines_and_multiline_cells_keep_line_numbers(src, capsys, tmp_path):
    text = (src / "touches.csv").read_text(encoding="utf-8")
    text = text.replace("T3,L2,C2,2026-01-08T09:00:00Z,ad_click", 'T3,L2,C2,2026-01-08T09:00:00Z,"ad\nclick"\n')
    (src / "touches.csv").write_text(text + "T6,L99,C1,2026-01-09T00:00:00Z,form\n", encoding="utf-8")
    code, out = run(capsys, "import", "--source", src, "--out", tmp_path / "o", "--as-of", "2026-03-31")
    assert code == 2
    # header = 1, T1..T5 = 2..6 plus one line break inside a cell and one blank line: T6 is on line 9
    assert "T6 (line 9): lead_id='L99'" in out
    assert "skipped 1 blank line" in out


# --------------------------------------------------------------------------------------------------
# Real data (read from ../shared/datasets, never copied)


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    if not OLIST.is_dir():
        pytest.skip("the Olist dataset is not available")
    root = tmp_path_factory.mktemp("olist")
    assert (
        main(
            [
                "import",
                "--source",
                str(OLIST),
                "--mapping",
                str(PROJECT / "mappings" / "olist.toml"),
                "--out",
                str(root),
            ]
        )
        == 0
    )
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    return folder


def test_olist_counts(olist):
    assert sql(olist, "select count(*) from leads") == [(8000,)]
    assert sql(olist, "select count(*) filter (where is_won), count(*) from opportunities") == [(842, 842)]
    paid = sql(
        olist,
        """
        select count(distinct l.lead_id), count(distinct o.lead_id) filter (where o.is_won)
        from leads l left join opportunities o on o.lead_id = l.lead_id
        where l.channel = 'paid_search'""",
    )
    assert paid == [(1586, 195)]
    # the 60 blank origins became "unknown", beside Olist's own 1,099 "unknown"
    assert sql(olist, "select count(*) from leads where channel = 'unknown'") == [(1159,)]
    assert sql(olist, "select min(created_at) = min(mql_at) from leads") == [(True,)]


def test_olist_report_warns_about_the_deal_won_before_its_mql(olist):
    import json

    report = json.loads((olist / "import_report.json").read_text())
    assert report["ok"] and not report["errors"]
    early = [w for w in report["warnings"] if w["table"] == "opportunities" and w["rule"] == "order"]
    assert early and early[0]["count"] == 1
    assert any(w["rule"] == "known" and w["column"] == "channel" for w in report["warnings"])


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    if not MAVEN.is_dir():
        pytest.skip("the Maven dataset is not available")
    root = tmp_path_factory.mktemp("maven")
    assert main(["import", "--source", str(MAVEN), "--mapping", "maven", "--out", str(root)]) == 0
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    return folder


def test_maven_counts(maven):
    won, closed, total, value = sql(
        maven,
        """
        select count(*) filter (where is_won), count(*) filter (where is_closed), count(*),
               sum(amount) filter (where is_won) from opportunities""",
    )[0]
    assert (won, closed, total) == (4238, 6711, 8800)
    assert round(won / closed * 100, 2) == 63.15
    assert value == 10_005_534
    assert sql(maven, "select count(*) from leads") == [(0,)]
    # the 500 Prospecting deals without an engage date are dated at the snapshot's as_of
    assert sql(
        maven,
        """
        select count(*) from opportunities
        where stage = 'Prospecting' and created_at = timestamptz '2017-12-31 23:59:59+00'""",
    ) == [(500,)]
    assert sql(maven, "select count(*) from opportunities where not is_closed and closed_at is not null") == [(0,)]


# --------------------------------------------------------------------------------------------------
# The timestamp parser against Python's own ISO-8601 reading (dashboard.snapshots.parse_instant)


def test_timestamp_parser_agrees_with_python():
    import datetime as dt

    import polars as pl
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dashboard.importer import ISO_INSTANT, TableMapping, _parse_timestamp
    from dashboard.snapshots import parse_instant

    moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1))
    offsets = st.sampled_from([None, "Z", "+00:00", "+02:00", "-05:00", "+05:30", "-09:30", "+14:00"])
    shapes = st.sampled_from(["date", "minutes", "seconds", "micros"])

    def text(moment, offset, shape, sep):
        if shape == "date":
            return moment.date().isoformat()
        spec = {"minutes": "minutes", "seconds": "seconds", "micros": "microseconds"}[shape]
        return moment.isoformat(sep=sep, timespec=spec) + (offset or "")

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(moments, offsets, shapes, st.sampled_from(["T", " "])), min_size=1, max_size=40))
    def check(cases):
        texts = [text(*c) for c in cases]
        frame = pl.DataFrame({"s": texts})
        frame = frame.with_columns(pl.col("s").str.extract_groups(ISO_INSTANT).alias("g"))
        value, _, _ = _parse_timestamp(pl.col("s"), pl.col("g"), TableMapping("leads"))
        got = frame.select(value.alias("v"))["v"].to_list()
        assert got == [parse_instant(t) for t in texts], texts

    check()

"""Faults, damaged files and hostile input (issue 16): each test first reproduces the fault (kill,
truncate, fill, corrupt, hostile value), then checks for a clear refusal, or that the numbers equal a
clean run's and no snapshot is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.api import Funnel
from dashboard.cli import main
from dashboard.snapshots import recover_root, scan_root

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
OLD, NEW = "2026-09-30", "2026-10-31"  # the committed sample's two snapshots
DAY = 24 * 3600


@pytest.fixture()
def root(tmp_path, monkeypatch) -> Path:
    """A copy of the sample data root (both snapshots, its funnel.toml) and a user cache of its own."""
    shutil.copytree(SAMPLE, tmp_path / "data", ignore=shutil.ignore_patterns(".cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def clean() -> dict[str, dict]:
    """`funnel kpis --json` of each sample snapshot, from an untouched copy: what every repaired run
    must print again."""
    out = {}
    for name in (OLD, NEW):
        f = Funnel.open(SAMPLE, name)
        out[name] = f.kpis()
        f.store.close()
    return out


def kpis(capsys, root: Path, *args: str) -> tuple[int, dict | None, str]:
    """Run `funnel kpis --json` in this process: (exit code, the JSON or None, stderr)."""
    capsys.readouterr()
    code = main(["kpis", "--data", str(root), "--json", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def funnel_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def age(path: Path, seconds: float) -> None:
    """Make a file or folder (and what it holds) look untouched for `seconds`."""
    then = time.time() - seconds
    for here, dirs, files in os.walk(path) if path.is_dir() else [(str(path.parent), [], [path.name])]:
        for name in files + dirs:
            os.utime(os.path.join(here, name), (then, then))
    os.utime(path, (then, then))


# -- validate on open -------------------------------------------------------------------------------------


def _break_contract(folder: Path) -> None:
    """Every lead row twice and every amount negative: the import's two worst cases, copied in by hand."""
    leads = pq.read_table(folder / "leads.parquet")
    pq.write_table(pa.concat_tables([leads, leads]), folder / "leads.parquet")
    opps = pq.read_table(folder / "opportunities.parquet")
    at = opps.schema.get_field_index("amount")
    negative = pa.compute.multiply(opps["amount"], pa.scalar(-1, opps.schema.field("amount").type))
    pq.write_table(opps.set_column(at, "amount", negative), folder / "opportunities.parquet")


def test_a_snapshot_that_breaks_the_contract_is_refused_and_the_others_work(root, capsys, clean, monkeypatch):
    _break_contract(root / NEW)
    code, _, err = kpis(capsys, root)
    assert code == 2
    assert "breaks the data contract" in err and "funnel validate" in err
    assert "unique" in err and "negative" in err  # the first rules broken, named
    assert "Traceback" not in err
    for command in (
        ["campaigns"],
        ["scoring"],
        ["plan", "--target", "100000"],
        ["export", "--out", str(root / "deck.pptx")],
    ):
        capsys.readouterr()
        assert main([*command, "--data", str(root)]) == 2
        assert "breaks the data contract" in capsys.readouterr().err
    assert not (root / "deck.pptx").exists()
    # the other snapshot of the same root gives the clean run's numbers
    code, older, _ = kpis(capsys, root, "--snapshot", OLD)
    assert code == 0 and older == clean[OLD]


def test_the_contract_check_is_kept_so_a_later_open_costs_nothing(root, capsys, clean, monkeypatch):
    code, first, _ = kpis(capsys, root)
    assert code == 0 and first == clean[NEW]
    kept = list((root / ".cache").glob(f"{NEW}-*.contract.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text())["ok"] is True

    def no_second_check(path):
        raise AssertionError(f"validated {path} again")

    monkeypatch.setattr("dashboard.validate.validate_snapshot", no_second_check)
    code, again, _ = kpis(capsys, root)
    assert code == 0 and again == clean[NEW]


def test_a_snapshot_changed_after_its_check_is_checked_again(root, capsys):
    assert kpis(capsys, root)[0] == 0  # checked and kept: ok
    _break_contract(root / NEW)  # the files change: the kept report no longer applies
    code, _, err = kpis(capsys, root)
    assert code == 2 and "breaks the data contract" in err


# -- a data root survives one bad folder ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "meta",
    [
        '{"as_of": "0001-01-01T00:00:00+01:00"}',  # was an OverflowError
        '{"as_of": "2026-08-31T23:59:59Z", "rows": {"leads": "many"}}',  # was a ValueError
        '{"as_of": "yesterday"}',
        '{"as_of": "2999-01-01T00:00:00Z"}',
        '{"as_of": ',
        "[1, 2]",
    ],
)
def test_one_bad_snapshot_folder_leaves_the_others_usable(root, capsys, clean, meta):
    bad = root / "2026-08-31"
    shutil.copytree(root / OLD, bad)
    (bad / "snapshot.json").write_text(meta, encoding="utf-8")
    for name in (OLD, NEW):
        code, result, err = kpis(capsys, root, "--snapshot", name)
        assert code == 0 and result == clean[name], err
    code, newest, _ = kpis(capsys, root)
    assert newest == clean[NEW]
    # naming the bad one: its problem, exit 2
    code, _, err = kpis(capsys, root, "--snapshot", "2026-08-31")
    assert code == 2 and "snapshot.json" in err and "Traceback" not in err
    # listed with its problem
    found, broken = scan_root(root)
    assert [s.name for s in found] == [OLD, NEW] and [b.name for b in broken] == ["2026-08-31"]
    capsys.readouterr()
    assert main(["validate", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: INVALID" in out and f"{root / NEW}: ok" in out


# -- crash-safe --replace ----------------------------------------------------------------------------------------

KILL_AT_RENAME = textwrap.dedent("""
    import os, signal, sys
    from dashboard.cli import main
    real, calls, kill_at = os.rename, [0], int(os.environ["KILL_AT_RENAME"])
    def rename(src, dst, *a, **kw):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the power cut: no finally, no cleanup
        return real(src, dst, *a, **kw)
    os.rename = rename
    sys.exit(main(sys.argv[1:]))
""")


def _import_killed_at(rename: int, source: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, "import", "--source", str(source), "--out", str(out), "--replace"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "KILL_AT_RENAME": str(rename)},
        timeout=300,
    )


def test_replace_killed_between_its_renames_finishes_the_swap(root, capsys, clean):
    # the import's renames: 1 = the old snapshot moved aside, 2 = the new one put in place
    done = _import_killed_at(2, SAMPLE / NEW, root)
    assert done.returncode == -9
    assert not (root / NEW).exists()  # the fault: the snapshot is gone from its place ...
    left = sorted(p.name for p in root.iterdir() if p.name.startswith(f".{NEW}."))
    assert any(".old-" in n for n in left) and any(".tmp-" in n for n in left)
    # ... and the next open puts it back: the newest is still NEW, with the clean run's numbers
    code, result, _ = kpis(capsys, root)
    assert code == 0 and result == clean[NEW]
    assert not [p for p in root.iterdir() if p.name.startswith(f".{NEW}.")]  # nothing left over


def test_replace_killed_before_the_new_snapshot_is_whole_restores_the_old_one(root, capsys, clean):
    done = _import_killed_at(2, SAMPLE / NEW, root)
    assert done.returncode == -9
    for tmp in root.glob(f".{NEW}.tmp-*"):
        (tmp / "snapshot.json").unlink()  # the new folder is not whole: the swap must be undone
    actions = recover_root(root)
    assert any("undid" in a for a in actions)
    code, result, _ = kpis(capsys, root)
    assert code == 0 and result == clean[NEW]


def test_replace_killed_while_writing_keeps_the_old_snapshot_and_cleans_only_stale_temporaries(root, capsys, clean):
    done = _import_killed_at(1, SAMPLE / NEW, root)  # killed at its first rename: nothing swapped yet
    assert done.returncode == -9
    (young,) = root.glob(f".{NEW}.tmp-*")
    code, result, _ = kpis(capsys, root)
    assert code == 0 and result == clean[NEW]
    assert young.exists()  # under a day old: it may be a live import's, never removed
    old_old = root / f".{NEW}.old-abandoned"
    old_old.mkdir()
    age(young, DAY + 60)
    age(old_old, DAY + 60)
    recover_root(root)
    assert not young.exists() and not old_old.exists()
    assert kpis(capsys, root)[1] == clean[NEW]


def test_files_and_folders_are_fsynced_before_the_rename(root, monkeypatch):
    from dashboard import importer

    events: list[str] = []
    real_fsync, real_rename = os.fsync, os.rename
    monkeypatch.setattr(
        os, "fsync", lambda fd: (events.append(f"fsync {os.readlink(f'/proc/self/fd/{fd}')}"), real_fsync(fd))[1]
    )
    monkeypatch.setattr(os, "rename", lambda a, b: (events.append(f"rename {a}"), real_rename(a, b))[1])
    importer.import_export(SAMPLE / NEW, root, replace=True)
    first_rename = next(i for i, e in enumerate(events) if e.startswith("rename"))
    synced = [e for e in events[:first_rename] if e.startswith("fsync")]
    assert any(e.endswith("snapshot.json") for e in synced) and any(e.endswith("leads.parquet") for e in synced)
    assert any(".tmp-" in e and not e.endswith((".json", ".parquet")) for e in synced)  # the folder itself
    assert events[-1].startswith("fsync")  # the root, after the rename


# -- prepared facts that heal -------------------------------------------------------------------------------------


def _facts(root: Path) -> Path:
    (path,) = (root / ".cache").glob(f"{NEW}-*.duckdb")
    return path


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _zero(path: Path) -> None:
    path.write_bytes(b"")


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for at in range(8192, len(data), 4099):  # past the headers: the data blocks' checksums fail
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _zero, _flip], ids=["truncated", "zero-bytes", "flipped-bytes"])
def test_a_damaged_facts_file_is_set_aside_and_rebuilt(root, capsys, clean, damage):
    assert kpis(capsys, root)[1] == clean[NEW]
    damage(_facts(root))
    code, result, err = kpis(capsys, root)
    assert code == 0 and result == clean[NEW]
    assert err.count("warning") == 1 and "moved aside" in err
    assert list((root / ".cache").glob(f".{NEW}-*.duckdb.damaged-*"))  # kept for a person to look at
    code, again, err = kpis(capsys, root)  # healed: the next run is quiet
    assert again == clean[NEW] and err == ""


def test_a_facts_file_damaged_while_open_heals_on_the_next_query(root, clean):
    f = Funnel.open(root)
    _flip(f.store.facts_path)
    f.results.max_bytes = 0
    assert f.kpis() == clean[NEW]


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    # the disk fills at 2 MB: a write beyond fails with EFBIG (as ENOSPC would) instead of killing us
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
    from dashboard.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_a_full_disk_while_preparing_falls_back_to_memory(root, tmp_path, clean):
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, "kpis", "--data", str(root), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == clean[NEW]
    assert "Traceback" not in done.stderr and "could not prepare the facts" in done.stderr
    assert not list((root / ".cache").glob("*.duckdb"))  # no half-written facts left behind
    assert not list((root / ".cache").glob(".*.tmp*"))


def test_orphans_of_killed_preparations_are_cleaned_once_stale(root, capsys, clean):
    cache = root / ".cache"
    cache.mkdir()
    stale = [cache / f".{NEW}-abc123.tmp", cache / f".{NEW}-abc123.tmp.wal", cache / f".{NEW}-x.duckdb.damaged-1"]
    live = cache / f".{NEW}-live.tmp"
    for path in [*stale, live]:
        path.write_bytes(b"left by a killed run")
    for path in stale:
        age(path, DAY + 60)
    assert kpis(capsys, root)[1] == clean[NEW]
    assert not any(p.exists() for p in stale) and live.exists()


# -- policy and dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "toml, key",
    [
        ("[conversion]\nwindow_days = nan", "window_days"),
        ("[conversion]\nwindow_days = inf", "window_days"),
        ("[conversion]\nwindow_days = 1e300", "window_days"),
        ("[conversion]\nwindow_days = 0", "window_days"),
        ("[attribution]\nhalf_life_days = nan", "half_life_days"),
        ("[attribution]\nlookback_days = -inf", "lookback_days"),
        ("[sla]\nmin_acceptance_rate = nan", "min_acceptance_rate"),
        ("[sla]\nfirst_response_hours = true", "first_response_hours"),
        ('[sla]\ndecision_days = "5"', "decision_days"),
        ("[reporting]\nfiscal_year_start_month = 13", "fiscal_year_start_month"),
        ("[reporting]\nfiscal_year_start_month = 1.5", "fiscal_year_start_month"),
        ("sla = 3", "[sla]"),
    ],
)
def test_every_policy_value_is_checked(root, capsys, toml, key):
    (root / "funnel.toml").write_text(toml + "\n", encoding="utf-8")
    code, _, err = kpis(capsys, root)
    assert code == 2 and key in err and "funnel.toml" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["kpis", "--from", "0001-01-01", "--to", "9999-12-31"],
        ["kpis", "--from", "1899-12-31", "--to", "2026-01-31"],
        ["import", "--source", str(SAMPLE / NEW), "--as-of", "0001-01-01T00:00:00+01:00"],
        ["import", "--source", str(SAMPLE / NEW), "--as-of", "2201-01-01"],
    ],
)
def test_dates_outside_1900_2200_are_refused(root, capsys, args):
    capsys.readouterr()
    extra = ["--out", str(root / "new")] if args[0] == "import" else ["--data", str(root)]
    assert main([*args, *extra]) == 2
    err = capsys.readouterr().err
    assert "outside 1900..2200" in err
    assert not (root / "new").exists()


# -- an empty export is refused ----------------------------------------------------------------------------------


def _header_only_export(folder: Path) -> Path:
    folder.mkdir()
    for table in ("leads", "opportunities", "campaigns", "touches", "targets"):
        columns = pq.read_schema(SAMPLE / NEW / f"{table}.parquet").names
        (folder / f"{table}.csv").write_text(",".join(columns) + "\n", encoding="utf-8")
    return folder


def test_an_export_with_no_leads_is_refused_unless_allowed(root, tmp_path, capsys, clean):
    source = _header_only_export(tmp_path / "export")
    capsys.readouterr()
    assert main(["import", "--source", str(source), "--out", str(root), "--as-of", "2026-11-30"]) == 2
    assert "--allow-empty" in capsys.readouterr().out
    assert not (root / "2026-11-30").exists()
    assert kpis(capsys, root)[1] == clean[NEW]  # the newest is still the real one
    assert main(["import", "--source", str(source), "--out", str(root), "--as-of", "2026-11-30", "--allow-empty"]) == 0
    assert (root / "2026-11-30" / "snapshot.json").is_file()


# -- safe output ---------------------------------------------------------------------------------------------------


def test_csv_cells_that_start_a_formula_are_neutralised():
    from dashboard.safe_output import neutralise_formulas

    batch = pa.record_batch(
        {
            "owner_id": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", None, "a=b"],
            "amount": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        }
    )
    out = neutralise_formulas(batch).to_pydict()
    assert out["owner_id"] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
        None,
        "a=b",
    ]
    assert out["amount"] == batch.to_pydict()["amount"]  # numbers stay numbers (a negative is no formula)


def _hostile_owner_root(root: Path) -> Path:
    """The newest snapshot with every lead's owner_id a spreadsheet formula."""
    leads = pq.read_table(root / NEW / "leads.parquet")
    at = leads.schema.get_field_index("owner_id")
    pq.write_table(
        leads.set_column(at, "owner_id", pa.array(['=HYPERLINK("http://evil","x")'] * leads.num_rows)),
        root / NEW / "leads.parquet",
    )
    return root


def test_record_preview_is_bounded_and_downloads_stream_every_row(root):
    from dashboard.safe_output import spool

    f = Funnel.open(_hostile_owner_root(root))
    extra = dict(stage="lead", owner=None, score_from=None, score_to=None)
    every = f.records("leads", f.default_period(), f.filters(), **extra)
    assert every.height > 100
    shown, total = f.records_preview("leads", f.default_period(), f.filters(), 100, **extra)
    assert shown.height == 100 and total == every.height
    assert shown.equals(every.head(100))
    csv = pl.read_csv(
        spool(f.records_stream("leads", f.default_period(), f.filters(), **extra), "csv"), infer_schema=False
    )
    assert csv.height == every.height and csv["lead_id"].to_list() == every["lead_id"].to_list()
    assert set(csv["owner_id"]) == {'\'=HYPERLINK("http://evil","x")'}
    parquet = pl.read_parquet(spool(f.records_stream("leads", f.default_period(), f.filters(), **extra), "parquet"))
    assert parquet.equals(every)  # the Parquet download keeps the values exactly


def test_data_values_render_as_text_not_markdown():
    from markdown_it import MarkdownIt

    from dashboard.safe_output import as_text

    md = MarkdownIt("commonmark").enable("strikethrough").enable("table")
    for value in [
        "[click](http://evil)",
        "![x](http://evil/i.png)",
        "<img src=x onerror=alert(1)>",
        "**bold**",
        "# heading",
        "- item",
        "`code`",
        "a_b_c",
        "~~gone~~",
        "> quote",
        "x | y",
    ]:
        html = md.render(as_text(value))
        assert not any(
            tag in html
            for tag in ("<a ", "<img", "<strong", "<em", "<h1", "<li", "<code", "<s>", "<blockquote", "<table")
        ), (value, html)
        assert (
            md.renderInline(as_text(value))
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
            .replace("&quot;", '"')
            == value
        )


# -- nested and binary columns ---------------------------------------------------------------------------------------


def test_nested_or_binary_columns_are_refused_at_import_and_on_open(root, tmp_path, capsys):
    source = tmp_path / "export"
    shutil.copytree(SAMPLE / NEW, source)
    leads = pq.read_table(source / "leads.parquet")
    n = leads.num_rows
    leads = leads.append_column("tags", pa.array([["a", "b"]] * n)).append_column("blob", pa.array([b"\x00\x01"] * n))
    pq.write_table(leads, source / "leads.parquet")
    capsys.readouterr()
    assert main(["import", "--source", str(source), "--out", str(tmp_path / "out")]) == 2
    out = capsys.readouterr().out
    assert "tags" in out and "blob" in out and "nested" in out
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    # copied into a data root by hand: refused when opened
    shutil.copy(source / "leads.parquet", root / NEW / "leads.parquet")
    code, _, err = kpis(capsys, root)
    assert code == 2 and "tags" in err


# -- honest links -------------------------------------------------------------------------------------------------------


def test_a_link_value_the_snapshot_lacks_is_named(root, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FUNNEL_DATA", str(root))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.query_params["segment"] = "NoSuchSegment"
    at.run()
    assert not at.exception
    assert any("NoSuchSegment" in w.value for w in at.warning)
    ok = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    ok.query_params["segment"] = "Enterprise"
    ok.run()
    assert not ok.warning


def test_the_dashboard_shows_findings_for_a_broken_snapshot_and_serves_the_others(root, monkeypatch, clean):
    from streamlit.testing.v1 import AppTest

    _break_contract(root / NEW)
    monkeypatch.setenv("FUNNEL_DATA", str(root))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert not at.metric  # no number from the broken snapshot
    assert any("breaks the data contract" in e.value for e in at.error)
    assert at.selectbox(key="snapshot").options == [NEW, OLD]  # the other is one click away
    at.selectbox(key="snapshot").set_value(OLD).run()
    assert not at.exception and at.metric


# -- mappings stay inside --source; bench deletes only its own folders ---------------------------------------------------


@pytest.mark.parametrize("target", ["../secret.csv", "ABSOLUTE", "link.csv"])
def test_a_mapping_file_outside_the_source_is_refused_without_echoing_it(tmp_path, capsys, target):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOP-SECRET-LINE,x\n1,2\n", encoding="utf-8")
    source = _header_only_export(tmp_path / "export")
    if target == "link.csv":
        (source / "link.csv").symlink_to(secret)
    name = str(secret) if target == "ABSOLUTE" else target
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(f"[leads]\nfile = {json.dumps(name)}\n", encoding="utf-8")
    capsys.readouterr()
    code = main(
        [
            "import",
            "--source",
            str(source),
            "--mapping",
            str(mapping),
            "--out",
            str(tmp_path / "out"),
            "--as-of",
            "2026-11-30",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and "outside --source" in out + err
    assert "TOP-SECRET-LINE" not in out + err


def test_bench_deletes_only_folders_it_made(tmp_path):
    from dashboard.bench import BENCH_MARKER, ensure_sample
    from dashboard.errors import UsageError

    mine = tmp_path / "cache" / "300"
    mine.mkdir(parents=True)
    (mine / "thesis.txt").write_text("not a sample", encoding="utf-8")
    with pytest.raises(UsageError, match="not a sample"):
        ensure_sample(tmp_path / "cache", 300, 1, 7)
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "not a sample"
    shutil.rmtree(mine)
    path, _ = ensure_sample(tmp_path / "cache", 300, 1, 7)
    assert (path / BENCH_MARKER).is_file() and scan_root(path)[0]
    (path / "extra").write_text("bench output", encoding="utf-8")
    again, _ = ensure_sample(tmp_path / "cache", 300, 1, 8)  # another seed: its own marked folder, regenerated
    assert (again / BENCH_MARKER).is_file() and not (again / "extra").exists()


def test_data_values_in_charts_are_plotly_text_not_markup():
    from dashboard import charts

    hostile = "<a href='http://evil'>click</a>"
    frame = pl.DataFrame({"group_key": [hostile, "ana"], "untouched_mqls": [3, 1]})
    fig = charts.owner_chart(frame, "untouched_mqls", f"Untouched MQLs of {hostile}<br>by owner")
    (bar,) = fig.data
    assert list(bar.y) == ["&lt;a href='http://evil'&gt;click&lt;/a&gt;", "ana"]
    assert list(bar.customdata) == [hostile, "ana"]  # a click still names the owner as stored
    assert fig.layout.title.text == "Untouched MQLs of &lt;a href='http://evil'&gt;click&lt;/a&gt;<br>by owner"
    reasons = charts.count_bars_chart(pl.DataFrame({"reason": ["<b>x</b> & y"], "n": [2]}), "reason", "n")
    assert list(reasons.data[0].y) == ["&lt;b&gt;x&lt;/b&gt; &amp; y"]


def test_a_record_table_shows_a_bounded_preview_with_the_total_and_both_downloads(root, monkeypatch):
    from streamlit.testing.v1 import AppTest

    def page():
        from dashboard import app_state
        from dashboard.app_pages import _ui

        _ui.PREVIEW_ROWS = 50  # the 10,000 of a real page, scaled to the sample
        view = app_state.sidebar()
        _ui.records_table(view, "leads", "Leads", "all_leads", stage="lead", owner=None, score_from=None, score_to=None)

    monkeypatch.setenv("FUNNEL_DATA", str(root))
    f = Funnel.open(root)
    total = f.records(
        "leads", f.default_period(), f.filters(), stage="lead", owner=None, score_from=None, score_to=None
    ).height
    at = AppTest.from_function(page, default_timeout=120).run()
    assert not at.exception
    assert at.dataframe[0].value.shape[0] == 50
    assert any(
        f"{total:,} records · the first 50 shown; the download holds all {total:,}" in c.value for c in at.caption
    )
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [f"Download {total:,} records (CSV)", f"Download {total:,} records (Parquet)"]

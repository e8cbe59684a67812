"""The CLI: JSON shape of metrics.md's last section, readable tables, and clean refusals (exit 2)."""

import json

import pytest
from snapshot_builder import campaign, lead, opportunity, touch, write_snapshot

from dashboard.cli import main
from dashboard.metrics import KPI_KEYS


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    write_snapshot(
        root,
        "2026-04-30T23:59:59Z",
        leads=[
            lead("L1", "2026-03-02T00:00:00Z", mql_at="2026-03-03T00:00:00Z", score=80, segment="Enterprise"),
            lead("L2", "2026-04-02T00:00:00Z", score=20),
        ],
        opportunities=[opportunity("O1", "2026-04-10T00:00:00Z", 5000, lead_id="L1", segment="Enterprise")],
        campaigns=[campaign("C1", "2026-03-01", 900, end_date="2026-04-29")],
        touches=[touch("T1", "L1", "C1", "2026-03-01T00:00:00Z")],
    )
    return root


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_kpis_json_has_every_key_and_plain_numbers(data, capsys):
    code, out, _ = run(capsys, "kpis", "--data", str(data), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"as_of", "period", "filters", "kpis", "cohort_mature"}
    assert list(result["kpis"]) == list(KPI_KEYS)
    # without --from/--to: the last full month before as_of (Apr 30 23:59:59 ends April)
    assert result["period"] == {"from": "2026-04-01", "to": "2026-04-30"}
    assert result["as_of"] == "2026-04-30T23:59:59Z"
    assert result["kpis"]["leads"] == 1 and result["kpis"]["pipeline"] == 5000
    assert all(v is None or isinstance(v, (int, float)) for v in result["kpis"].values())
    assert isinstance(result["cohort_mature"], bool)


def test_campaigns_and_scoring_json(data, capsys):
    code, out, _ = run(
        capsys,
        "campaigns",
        "--data",
        str(data),
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-30",
        "--model",
        "linear",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and result["model"] == "linear"
    assert set(result) == {"model", "period", "campaigns", "unattributed_pipeline", "unattributed_bookings"}
    (c1,) = result["campaigns"]
    assert c1["campaign_id"] == "C1" and c1["attributed_pipeline"] == 5000
    # C1 runs Mar 1 .. Apr 29 = 60 days for 900: April holds 29 days = 435
    assert c1["cost"] == pytest.approx(435)
    code, out, _ = run(capsys, "scoring", "--data", str(data), "--from", "2026-03-01", "--to", "2026-04-30", "--json")
    result = json.loads(out)
    assert [b["band"] for b in result["bands"]][:2] == ["0-10", "10-20"]
    assert set(result["bands"][0]) == {"band", "leads", "converted", "rate"}


def test_readable_tables(data, capsys):
    code, out, _ = run(capsys, "kpis", "--data", str(data), "--segment", "Enterprise")
    assert code == 0 and "MQL → SQL" in out and "segment=Enterprise" in out
    code, out, _ = run(
        capsys,
        "plan",
        "--data",
        str(data),
        "--target",
        "100000",
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--trailing-from",
        "2026-03-01",
        "--trailing-to",
        "2026-04-30",
    )
    assert code == 0 and "won_deals" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["kpis", "--segment", "Nope"], "unknown segment 'Nope'"),
        (["kpis", "--from", "2026-13-01", "--to", "2026-12-31"], "is not an ISO date"),
        (["kpis", "--from", "2026-04-30", "--to", "2026-04-01"], "is after --to"),
        (["kpis", "--from", "2026-04-01"], "give both --from and --to"),
        (["campaigns", "--model", "w_shape"], "unknown model 'w_shape'"),
        (["kpis", "--snapshot", "1999-01-01"], "no snapshot '1999-01-01'"),
        (["plan", "--target", "-5"], "--target must be"),
    ],
)
def test_wrong_arguments_exit_2_with_a_clear_message(data, capsys, argv, message):
    code, out, err = run(capsys, *argv[:1], "--data", str(data), *argv[1:])
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(capsys, "kpis", "--data", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err

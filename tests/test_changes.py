"""The pipeline waterfall between two snapshots (metrics.md "Changes between two snapshots"), worked by hand,
and its reconciliation on any pair of snapshots (Hypothesis)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snapshot_builder import lead, opportunity, write_snapshot

from dashboard.api import CHANGE_BUCKETS, Funnel
from dashboard.cli import main
from dashboard.errors import ArgumentError

S0, S1 = "2026-09-30T23:59:59Z", "2026-10-31T23:59:59Z"


def open_(opp_id, amount, created="2026-08-01T10:00:00Z", **kw):
    return opportunity(opp_id, created, amount, **kw)


def won(opp_id, amount, closed, **kw):
    return opportunity(
        opp_id, "2026-08-01T10:00:00Z", amount, **{"stage": "Closed Won", **kw}, is_won=True, closed_at=closed
    )


def lost(opp_id, amount, closed, **kw):
    return opportunity(
        opp_id, "2026-08-01T10:00:00Z", amount, **{"stage": "Closed Lost", **kw}, is_closed=True, closed_at=closed
    )


def build_pair(root: Path) -> Path:
    """Two snapshots of one CRM; every deal SMB unless said otherwise.

    | deal | S0                  | S1                   | bucket                             |
    | A    | open 1000           | open 1000            | unchanged                          |
    | B    | open 1000           | open 1500            | increased 500                      |
    | C    | open 2000           | open 1200            | decreased 800                      |
    | D    | open 3000           | won 3500             | won 3000 (won_bookings 3500)       |
    | E    | open 700            | lost 700             | lost 700                           |
    | F    | lost 400            | open 600             | reopened 600                       |
    | G    | open 900            | (deleted in the CRM) | removed 900                        |
    | H    | -                   | open 250             | new 250                            |
    | I    | -                   | won 800              | created_and_won 800 (beside)       |
    | J    | -                   | lost 300             | created_and_lost 300 (beside)      |
    | K    | won 5000            | won 5000             | nothing (closed in both)           |
    | M    | open 100, SMB       | open 100, Enterprise | unchanged; moved segment           |
    """
    leads = [lead("l1", "2026-07-01T00:00:00Z")]
    write_snapshot(
        root,
        S0,
        leads=leads,
        opportunities=[
            open_("A", 1000),
            open_("B", 1000),
            open_("C", 2000),
            open_("D", 3000),
            open_("E", 700),
            lost("F", 400, "2026-09-10T00:00:00Z"),
            open_("G", 900),
            won("K", 5000, "2026-09-01T00:00:00Z"),
            open_("M", 100, lead_id="l1"),
        ],
    )
    write_snapshot(
        root,
        S1,
        leads=leads,
        opportunities=[
            open_("A", 1000),
            open_("B", 1500, stage="Proposal"),
            open_("C", 1200),
            won("D", 3500, "2026-10-20T00:00:00Z"),
            lost("E", 700, "2026-10-05T00:00:00Z"),
            open_("F", 600, stage="Negotiation"),
            open_("H", 250, created="2026-10-02T00:00:00Z"),
            opportunity(
                "I", "2026-10-03T00:00:00Z", 800, stage="Closed Won", is_won=True, closed_at="2026-10-25T00:00:00Z"
            ),
            opportunity(
                "J", "2026-10-04T00:00:00Z", 300, stage="Closed Lost", is_closed=True, closed_at="2026-10-26T00:00:00Z"
            ),
            won("K", 5000, "2026-09-01T00:00:00Z"),
            open_("M", 100, segment="Enterprise", lead_id="l1"),
        ],
    )
    return root


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return Funnel.open(build_pair(tmp_path_factory.mktemp("changes")))


def amounts(result):
    return {k: (v["count"], v["amount"]) for k, v in result["buckets"].items()}


def test_each_bucket_worked_by_hand(pair):
    result = pair.changes()
    assert (result["from_snapshot"], result["to_snapshot"]) == ("2026-09-30", "2026-10-31")
    assert amounts(result) == {
        "start": (7, 8700.0),  # A 1000 + B 1000 + C 2000 + D 3000 + E 700 + G 900 + M 100
        "new": (1, 250.0),  # H
        "increased": (1, 500.0),  # B: 1500 - 1000
        "decreased": (1, 800.0),  # C: 2000 - 1200
        "won": (1, 3000.0),  # D left the open pipeline at its S0 amount
        "lost": (1, 700.0),  # E
        "reopened": (1, 600.0),  # F, at its S1 amount
        "removed": (1, 900.0),  # G, deleted from the CRM
        "end": (6, 4650.0),  # A 1000 + B 1500 + C 1200 + F 600 + H 250 + M 100
    }
    # 8700 + 250 + 500 - 800 - 3000 - 700 + 600 - 900 = 4650
    assert result["won_bookings"] == 3500.0  # D booked at 3500
    assert result["created_and_won"] == {"count": 1, "amount": 800.0}  # I
    assert result["created_and_lost"] == {"count": 1, "amount": 300.0}  # J


def test_a_deal_that_moved_segment_counts_under_its_new_segment(pair):
    # M was SMB in S0 and is Enterprise in S1: filters read S1's values, so it left SMB's waterfall
    # entirely (not as a removal) and is in Enterprise's from start to end
    smb = amounts(pair.changes(segment="SMB"))
    assert smb["start"] == (6, 8600.0) and smb["end"] == (5, 4550.0)
    enterprise = amounts(pair.changes(segment="Enterprise"))
    assert enterprise["start"] == (1, 100.0) and enterprise["end"] == (1, 100.0)
    assert all(enterprise[k] == (0, 0.0) for k in CHANGE_BUCKETS if k not in ("start", "end"))


def test_a_deleted_deal_is_filtered_by_its_older_values(pair):
    # G is absent from S1: its S0 segment (SMB) decides, so SMB's waterfall shows it removed
    assert amounts(pair.changes(segment="SMB"))["removed"] == (1, 900.0)


def test_drill_down_lists_both_snapshots(pair):
    won_rows = pair.change_records("won").to_dicts()
    assert [
        (r["opportunity_id"], r["stage_before"], r["amount_before"], r["stage_after"], r["amount_after"])
        for r in won_rows
    ] == [("D", "Discovery", 3000.0, "Closed Won", 3500.0)]
    reopened = pair.change_records("reopened").row(0, named=True)
    assert (reopened["state_before"], reopened["state_after"], reopened["move"]) == ("lost", "open", 600.0)
    removed = pair.change_records("removed").row(0, named=True)
    assert (removed["opportunity_id"], removed["state_after"], removed["amount_after"]) == ("G", "absent", None)
    # every bucket's records add up to the bucket's count
    result = pair.changes()
    for key in CHANGE_BUCKETS:
        assert pair.change_records(key).height == result["buckets"][key]["count"], key
    with pytest.raises(ArgumentError, match="unknown bucket"):
        pair.change_records("vanished")


def test_cli_json_is_the_spec_form(pair, capsys):
    root = pair.store.snapshot.path.parent
    assert main(["changes", "--data", str(root), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) >= {
        "from_snapshot",
        "to_snapshot",
        "currency",
        "buckets",
        "won_bookings",
        "created_and_won",
        "created_and_lost",
    }
    assert printed["buckets"] == pair.changes()["buckets"]
    assert main(["changes", "--data", str(root)]) == 0  # the readable table: every bucket, by its label
    table = capsys.readouterr().out
    assert "Removed in the CRM" in table and "Created and won between" in table and "$8,700" in table
    assert main(["changes", "--data", str(root), "--segment", "Nope"]) == 2
    assert "unknown segment 'Nope'" in capsys.readouterr().err
    assert main(["changes", "--data", str(root), "--from-snapshot", "2026-10-31"]) == 2
    assert "must be older" in capsys.readouterr().err
    assert main(["changes", "--data", str(root), "--from-snapshot", "2025-01-01"]) == 2
    assert "no such snapshot" in capsys.readouterr().err


def test_one_snapshot_alone_has_nothing_to_compare(tmp_path):
    write_snapshot(tmp_path, S0, opportunities=[open_("A", 1)])
    with pytest.raises(ArgumentError, match="no snapshot before"):
        Funnel.open(tmp_path).changes()


# -- any pair of snapshots ------------------------------------------------------------------------------------
STATES = st.sampled_from(["absent", "open", "won", "lost"])
DEALS = st.lists(
    st.tuples(
        STATES,
        STATES,
        st.integers(0, 5000),
        st.integers(0, 5000),
        st.sampled_from(["SMB", "Enterprise"]),
        st.sampled_from(["SMB", "Enterprise"]),
    ),
    min_size=0,
    max_size=12,
)


def _row(opp_id, state, amount, segment):
    if state == "open":
        return open_(opp_id, float(amount), segment=segment)
    if state == "won":
        return won(opp_id, float(amount), "2026-09-15T00:00:00Z", segment=segment)
    return lost(opp_id, float(amount), "2026-09-15T00:00:00Z", segment=segment)


def expected_by_rule(deals, segment=None):
    """The spec's table, applied deal by deal in Python: an independent computation of the buckets."""
    out = {k: [0, 0.0] for k in (*CHANGE_BUCKETS, "created_and_won", "created_and_lost")}

    def add(key, amount):
        out[key][0] += 1
        out[key][1] += amount

    for s0, s1, a0, a1, seg0, seg1 in deals:
        if s0 == s1 == "absent":
            continue
        if segment is not None and (seg1 if s1 != "absent" else seg0) != segment:
            continue
        if s0 == "open":
            add("start", a0)
        if s1 == "open":
            add("end", a1)
        if s0 == "absent" and s1 == "open":
            add("new", a1)
        elif s0 == s1 == "open" and a1 > a0:
            add("increased", a1 - a0)
        elif s0 == s1 == "open" and a1 < a0:
            add("decreased", a0 - a1)
        elif s0 == "open" and s1 in ("won", "lost"):
            add(s1, a0)
        elif s0 in ("won", "lost") and s1 == "open":
            add("reopened", a1)
        elif s0 == "open" and s1 == "absent":
            add("removed", a0)
        elif s0 == "absent" and s1 in ("won", "lost"):
            add(f"created_and_{s1}", a1)
    return {k: (c, float(a)) for k, (c, a) in out.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals=DEALS, segment=st.sampled_from([None, "SMB", "Enterprise"]))
def test_the_waterfall_reconciles_on_any_pair_of_snapshots(deals, segment):
    with tempfile.TemporaryDirectory(prefix="funnel-changes-") as tmp:
        root = Path(tmp)
        first = [_row(f"o{i}", s0, a0, seg0) for i, (s0, _, a0, _, seg0, _) in enumerate(deals) if s0 != "absent"]
        second = [_row(f"o{i}", s1, a1, seg1) for i, (_, s1, _, a1, _, seg1) in enumerate(deals) if s1 != "absent"]
        # a lead so that a snapshot with no deal still has filter values to check against
        write_snapshot(
            root,
            S0,
            leads=[
                lead("l1", "2026-07-01T00:00:00Z", segment="SMB"),
                lead("l2", "2026-07-01T00:00:00Z", segment="Enterprise"),
            ],
            opportunities=first,
        )
        write_snapshot(
            root,
            S1,
            leads=[
                lead("l1", "2026-07-01T00:00:00Z", segment="SMB"),
                lead("l2", "2026-07-01T00:00:00Z", segment="Enterprise"),
            ],
            opportunities=second,
        )
        funnel = Funnel.open(root)
        try:
            result = funnel.changes(segment=segment)
        finally:
            for f in (funnel, *funnel._siblings.values()):
                f.store.close()
    b = {k: v["amount"] for k, v in result["buckets"].items()}
    assert all(v >= 0 for v in b.values())
    reconciled = (
        b["start"] + b["new"] + b["increased"] - b["decreased"] - b["won"] - b["lost"] + b["reopened"] - b["removed"]
    )
    assert reconciled == pytest.approx(b["end"], abs=1e-6)
    got = {k: (v["count"], v["amount"]) for k, v in result["buckets"].items()}
    got.update({k: (result[k]["count"], result[k]["amount"]) for k in ("created_and_won", "created_and_lost")})
    assert got == expected_by_rule(deals, segment)


def test_an_older_snapshot_replaced_on_disk_is_reopened_not_mixed(tmp_path):
    # S0 holds one open deal of 100; S1 the same deal at 150: start 100, increased 50, end 150.
    older = [opportunity("O1", "2026-09-10T10:00:00Z", 100.0)]
    write_snapshot(tmp_path, "2026-09-30T23:59:59Z", opportunities=older)
    write_snapshot(tmp_path, "2026-10-31T23:59:59Z", opportunities=[opportunity("O1", "2026-09-10T10:00:00Z", 150.0)])
    funnel = Funnel.open(tmp_path)
    first = funnel.changes()["buckets"]
    assert (first["start"]["amount"], first["increased"]["amount"]) == (100.0, 50.0)
    # S0 replaced (as `import --replace` would): the deal was 120 then. The same open Funnel now reads it:
    # start 120, increased 150 - 120 = 30; nothing of the old file's 100 is left
    import os

    write_snapshot(tmp_path, "2026-09-30T23:59:59Z", opportunities=[opportunity("O1", "2026-09-10T10:00:00Z", 120.0)])
    path = tmp_path / "2026-09-30" / "opportunities.parquet"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    second = funnel.changes()["buckets"]
    assert (second["start"]["amount"], second["increased"]["amount"], second["end"]["amount"]) == (120.0, 30.0, 150.0)

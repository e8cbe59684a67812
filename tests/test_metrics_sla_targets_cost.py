"""SLA (both sides), prorated targets and spread campaign cost on tiny hand-built snapshots.

Policy: defaults (H = 24 hours, D = 5 days). as_of 2026-03-31T23:59:59Z. Period: March 2026.
"""

import pytest
from snapshot_builder import campaign, lead, write_snapshot

from dashboard import Funnel

AS_OF = "2026-03-31T23:59:59Z"


@pytest.fixture(scope="module")
def sla(tmp_path_factory):
    root = tmp_path_factory.mktemp("sla")
    # mql       response            accepted / sql       rejected     notes
    # S1 Mar 01 Mar 01 10:00 (10 h) acc Mar 03           -            met; decided in 2 d; accepted
    # S2 Mar 02 Mar 03 06:00 (30 h) -                    Mar 10       missed; decided in 8 d; rejected
    # S3 Mar 05 Mar 04 23:00 (-1 h) acc Mar 06           Mar 08       logged before the MQL = 0 h, met;
    #                                                                 accepted then rejected -> accepted
    # S4 Mar 06 none                acc Mar 09           Mar 07       untouched; rejected then accepted
    #                                                                 -> rejected; decided Mar 07 (1 d)
    # S5 Mar 31 12:00 none          -                    -            not due for anything at as_of
    # S6 Mar 28 none                sql Mar 29 (no SAL)  -            untouched; decision not yet due
    #                                                                 (Apr 2); accepted via reached(sal)
    write_snapshot(
        root,
        AS_OF,
        leads=[
            lead(
                "S1",
                "2026-02-20T00:00:00Z",
                mql_at="2026-03-01T00:00:00Z",
                first_response_at="2026-03-01T10:00:00Z",
                accepted_at="2026-03-03T00:00:00Z",
                owner_id="ana",
            ),
            lead(
                "S2",
                "2026-02-20T00:00:00Z",
                mql_at="2026-03-02T00:00:00Z",
                first_response_at="2026-03-03T06:00:00Z",
                rejected_at="2026-03-10T00:00:00Z",
                rejection_reason="student",
                owner_id="bob",
            ),
            lead(
                "S3",
                "2026-02-20T00:00:00Z",
                mql_at="2026-03-05T00:00:00Z",
                first_response_at="2026-03-04T23:00:00Z",
                accepted_at="2026-03-06T00:00:00Z",
                rejected_at="2026-03-08T00:00:00Z",
                rejection_reason="no budget",
                owner_id="ana",
            ),
            lead(
                "S4",
                "2026-02-20T00:00:00Z",
                mql_at="2026-03-06T00:00:00Z",
                accepted_at="2026-03-09T00:00:00Z",
                rejected_at="2026-03-07T00:00:00Z",
                rejection_reason="bad data",
                owner_id="bob",
            ),
            lead("S5", "2026-02-20T00:00:00Z", mql_at="2026-03-31T12:00:00Z", owner_id="bob"),
            lead(
                "S6",
                "2026-02-20T00:00:00Z",
                mql_at="2026-03-28T00:00:00Z",
                sql_at="2026-03-29T00:00:00Z",
                owner_id="bob",
            ),
        ],
    )
    return Funnel.open(root)


def test_sales_side_of_the_sla(sla):
    k = sla.kpis("2026-03-01", "2026-03-31")["kpis"]
    # due for response: S1 S2 S3 S4 S6 (S5 is due Apr 1 12:00); met: S1 (10 h), S3 (0 h) -> 2 / 5
    assert k["sla_response_rate"] == 0.4
    assert k["untouched_mqls"] == 2  # S4, S6 (S5 not due yet)
    assert k["median_response_hours"] == 10.0  # S1 10, S2 30, S3 0 -> median 10
    # due for decision: S1 S2 S3 S4 (S5, S6 due in April); in time: S1 2 d, S3 1 d, S4 1 d -> 3 / 4
    assert k["sla_decision_rate"] == 0.75


def test_marketing_side_acceptance(sla):
    k = sla.kpis("2026-03-01", "2026-03-31")["kpis"]
    # accepted: S1, S3 (accepted before its rejection), S6 (SQL without SAL); rejected: S2, S4 -> 3 / 5
    assert k["acceptance_rate"] == 0.6


def test_sla_by_owner_finds_who_leaves_mqls_untouched(sla):
    from dashboard.filters import Filters, Period

    table = sla.kpi_table([Period.of("2026-03-01", "2026-03-31")], Filters(), group_by="owner")
    by_owner = {r["group_key"]: r for r in table.iter_rows(named=True)}
    assert by_owner["ana"]["untouched_mqls"] == 0
    assert by_owner["bob"]["untouched_mqls"] == 2  # S4, S6
    # the breakdown adds up to the total
    assert sum(r["mqls"] for r in by_owner.values()) == 6


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    root = tmp_path_factory.mktemp("targets")
    write_snapshot(
        root,
        "2026-05-31T23:59:59Z",
        leads=[
            lead("T1", "2026-03-01T00:00:00Z", mql_at="2026-03-20T00:00:00Z"),
            lead("T2", "2026-03-01T00:00:00Z", mql_at="2026-04-02T00:00:00Z", segment="Enterprise"),
        ],
        targets=[
            {"month": "2026-03-01", "metric": "mqls", "segment": None, "target": 310},
            {"month": "2026-03-01", "metric": "mqls", "segment": "SMB", "target": 100},
            {"month": "2026-03-01", "metric": "mqls", "segment": "Enterprise", "target": 62},
            {"month": "2026-04-01", "metric": "mqls", "segment": "SMB", "target": 90},
            {"month": "2026-04-01", "metric": "mqls", "segment": "Enterprise", "target": 60},
            {"month": "2026-04-01", "metric": "bookings", "segment": None, "target": 1_000_000},
        ],
    )
    return Funnel.open(root)


def test_targets_prorate_company_wide_rows_first(targets):
    # period Mar 16 .. Apr 15: March has a company-wide row: 310 x 16/31 = 160;
    # April has none: sum of segments (90 + 60) x 15/30 = 75; total 235
    k = targets.kpis("2026-03-16", "2026-04-15")["kpis"]
    assert k["mql_target"] == pytest.approx(235)
    assert k["mql_target_attainment"] == pytest.approx(2 / 235)  # T1 (Mar 20), T2 (Apr 2)


def test_targets_under_a_segment_filter_use_that_segment(targets):
    # SMB: 100 x 16/31 + 90 x 15/30 = 51.6129... + 45
    k = targets.kpis("2026-03-16", "2026-04-15", segment="SMB")["kpis"]
    assert k["mql_target"] == pytest.approx(100 * 16 / 31 + 45)
    assert k["mqls"] == 1


def test_no_target_is_null_not_zero(targets):
    k = targets.kpis("2026-05-01", "2026-05-31")["kpis"]
    assert k["mql_target"] is None and k["mql_target_attainment"] is None


@pytest.fixture(scope="module")
def cost(tmp_path_factory):
    root = tmp_path_factory.mktemp("cost")
    write_snapshot(
        root,
        "2026-04-30T23:59:59Z",
        leads=[
            lead("M1", "2026-03-03T00:00:00Z", mql_at="2026-03-04T00:00:00Z"),
            lead("M2", "2026-03-05T00:00:00Z", mql_at="2026-03-06T00:00:00Z", origin="sales", channel="outbound"),
        ],
        campaigns=[
            # Feb 20 .. Mar 10 = 19 days, 10 of them in March: 1900 x 10/19 = 1000
            campaign("K1", "2026-02-20", 1900, end_date="2026-03-10"),
            # one-day campaign on Mar 31: 500
            campaign("K2", "2026-03-31", 500, channel="event"),
            # Mar 25 .. Apr 3 = 10 days, 7 in March: 700; aimed at Enterprise only
            campaign("K3", "2026-03-25", 1000, end_date="2026-04-03", segment="Enterprise"),
            campaign("K4", "2026-04-01", 999),  # April only
            campaign("K5", "2026-03-15", 0, end_date="2026-03-20"),  # free
        ],
    )
    return Funnel.open(root)


def test_cost_is_spread_over_campaign_days(cost):
    k = cost.kpis("2026-03-01", "2026-03-31")["kpis"]
    assert k["marketing_cost"] == pytest.approx(2200)  # 1000 + 500 + 700
    assert k["cost_per_mql"] == pytest.approx(1100)  # 2200 / 2 MQLs
    assert k["cost_per_lead"] == pytest.approx(2200)  # 2200 / 1 marketing-origin lead (M1)
    assert k["cost_per_opportunity"] is None  # no marketing opportunities: undefined
    assert k["marketing_roi"] == pytest.approx(-1.0)  # (0 - 2200) / 2200


def test_cost_scope_follows_segment_and_channel(cost):
    # a segment filter keeps only that segment's campaigns (null-segment ones need no segment filter)
    assert cost.kpis("2026-03-01", "2026-03-31", segment="Enterprise")["kpis"]["marketing_cost"] == pytest.approx(700)
    assert cost.kpis("2026-03-01", "2026-03-31", channel="event")["kpis"]["marketing_cost"] == pytest.approx(500)
    # a period with campaigns but no cost falling in it is 0, and its ratios null
    k = cost.kpis("2026-01-01", "2026-01-31")["kpis"]
    assert k["marketing_cost"] == 0 and k["marketing_roi"] is None

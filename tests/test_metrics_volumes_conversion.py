"""Volumes, cohort conversion, velocity and deals on a tiny hand-built snapshot.

Policy: defaults (UTC, W = 90 days). as_of 2026-06-30T23:59:59Z. Period: March 2026.

lead  created  mql    accepted sql    opportunities                               origin     segment
A     Mar 02   Mar 03 Mar 04   Mar 10 O1 Mar 15, 1000, won Apr 20                 marketing  SMB
B     Mar 05   -      -        Mar 20 -          (skipped MQL and SAL)            marketing  SMB
C     Feb 25   Mar 01 -        -      -                                           marketing  SMB
D     Mar 10   Mar 11 -        -      O2 Mar 25, 2000, lost Apr 01 (skipped SQL)  partner    Enterprise
                                      O3 May 01, 4000, won Jun 28 (2nd deal)
O4: no lead, created Mar 20, 300, open, origin null -> effective origin sales. All times 00:00 UTC.
"""

import pytest
from snapshot_builder import lead, opportunity, write_snapshot

from dashboard import Funnel


@pytest.fixture(scope="module")
def funnel(tmp_path_factory):
    root = tmp_path_factory.mktemp("volumes")
    write_snapshot(
        root,
        "2026-06-30T23:59:59Z",
        leads=[
            lead(
                "A",
                "2026-03-02T00:00:00Z",
                mql_at="2026-03-03T00:00:00Z",
                accepted_at="2026-03-04T00:00:00Z",
                sql_at="2026-03-10T00:00:00Z",
            ),
            lead("B", "2026-03-05T00:00:00Z", sql_at="2026-03-20T00:00:00Z"),
            lead("C", "2026-02-25T00:00:00Z", mql_at="2026-03-01T00:00:00Z"),
            lead("D", "2026-03-10T00:00:00Z", mql_at="2026-03-11T00:00:00Z", origin="partner", segment="Enterprise"),
        ],
        opportunities=[
            opportunity("O1", "2026-03-15T00:00:00Z", 1000, lead_id="A", is_won=True, closed_at="2026-04-20T00:00:00Z"),
            opportunity(
                "O2",
                "2026-03-25T00:00:00Z",
                2000,
                lead_id="D",
                segment="Enterprise",
                is_closed=True,
                stage="Closed Lost",
                closed_at="2026-04-01T00:00:00Z",
            ),
            opportunity(
                "O3",
                "2026-05-01T00:00:00Z",
                4000,
                lead_id="D",
                segment="Enterprise",
                is_won=True,
                closed_at="2026-06-28T00:00:00Z",
            ),
            opportunity("O4", "2026-03-20T00:00:00Z", 300),
        ],
    )
    return Funnel.open(root)


def test_volumes_count_events_in_the_period(funnel):
    k = funnel.kpis("2026-03-01", "2026-03-31")["kpis"]
    assert k["leads"] == 3  # A, B, D (C was created in February)
    assert k["mqls"] == 3  # A, C, D by mql_at; B never had an mql_at
    assert k["sals"] == 1  # A
    assert k["sqls"] == 2  # A (Mar 10), B (Mar 20)
    assert k["opportunities"] == 3  # O1, O2, O4
    assert k["pipeline"] == 3300  # 1000 + 2000 + 300
    assert (k["won_deals"], k["bookings"], k["lost_deals"]) == (0, 0, 0)  # nothing closed in March


def test_cohort_conversion_counts_skipped_stages_as_reached(funnel):
    result = funnel.kpis("2026-03-01", "2026-03-31")
    k = result["kpis"]
    # lead -> mql: cohort A, B, D; B reached MQL at its sql_at (Mar 20): 3/3
    assert k["lead_to_mql_rate"] == 1.0
    # mql -> sql: cohort A (Mar 3), B (Mar 20), C (Mar 1), D (Mar 11); D reached SQL at O2 (Mar 25): 3/4
    assert k["mql_to_sql_rate"] == 0.75
    # sql -> opp: cohort A (Mar 10), B (Mar 20), D (Mar 25); A and D have opportunities: 2/3
    assert k["sql_to_opp_rate"] == pytest.approx(2 / 3)
    # opp -> won: cohort A (O1 Mar 15), D (earliest of O2/O3: Mar 25); A won Apr 20 (36 d);
    # D's first win is Jun 28, 95 d > 90 after Mar 25: 1/2
    assert k["opp_to_won_rate"] == 0.5
    # lead -> won: cohort A, B, D; only A won within 90 days of creation: 1/3
    assert k["lead_to_won_rate"] == pytest.approx(1 / 3)
    # Mar 31 23:59:59 + 90 days = Jun 29 23:59:59 <= as_of Jun 30 23:59:59
    assert result["cohort_mature"] is True


def test_cohort_immature_when_the_window_runs_past_as_of(funnel):
    # Apr 30 23:59:59 + 90 d = Jul 29 > as_of
    assert funnel.kpis("2026-04-01", "2026-04-30")["cohort_mature"] is False


def test_velocity_medians_are_interpolated_over_converters(funnel):
    k = funnel.kpis("2026-03-01", "2026-03-31")["kpis"]
    # lead -> mql converters: A 1 d, B 15 d, D 1 d -> median 1
    assert k["median_days_lead_to_mql"] == 1.0
    # mql -> sql converters: A 7 d, B 0 d, D 14 d -> median 7
    assert k["median_days_mql_to_sql"] == 7.0
    # sql -> opp converters: A 5 d, D 0 d -> even count, mean of the two = 2.5
    assert k["median_days_sql_to_opp"] == 2.5
    assert k["sales_cycle_days"] is None  # nothing won in March


def test_deals_and_sourcing(funnel):
    k = funnel.kpis("2026-04-01", "2026-04-30")["kpis"]
    # April: O1 won (1000), O2 lost -> win rate 1 / 2, deal size 1000, cycle Mar 15 -> Apr 20 = 36 d
    assert (k["won_deals"], k["lost_deals"], k["bookings"]) == (1, 1, 1000)
    assert k["win_rate"] == 0.5
    assert k["avg_deal_size"] == 1000
    assert k["sales_cycle_days"] == 36.0
    assert k["marketing_sourced_bookings"] == 1000  # O1: origin null -> lead A's marketing
    march = funnel.kpis("2026-03-01", "2026-03-31")["kpis"]
    assert march["marketing_sourced_pipeline"] == 1000  # O1
    assert march["sales_sourced_pipeline"] == 300  # O4, no lead -> sales
    assert march["other_sourced_pipeline"] == 2000  # O2, lead D is partner
    assert march["marketing_influenced_pipeline"] == 0  # no touches at all
    assert march["win_rate"] is None  # 0 / 0 is undefined, not 0


def test_filters_choose_leads_not_their_opportunities(funnel):
    # Enterprise: lead D, opportunities O2 (and O3 later). D's reached(sql) still uses O2.
    k = funnel.kpis("2026-03-01", "2026-03-31", segment="Enterprise")["kpis"]
    assert (k["leads"], k["mqls"], k["opportunities"], k["pipeline"]) == (1, 1, 1, 2000)
    assert k["mql_to_sql_rate"] == 1.0
    # --channel drops the opportunity with no lead (O4)
    k = funnel.kpis("2026-03-01", "2026-03-31", channel="webinar")["kpis"]
    assert (k["opportunities"], k["pipeline"]) == (2, 3000)
    # --origin uses the effective origin: O4 (no lead) is sales
    k = funnel.kpis("2026-03-01", "2026-03-31", origin="sales")["kpis"]
    assert (k["leads"], k["opportunities"], k["pipeline"]) == (0, 1, 300)


def test_stage_funnel_is_monotonic_for_the_lead_cohort(funnel):
    from dashboard.filters import Filters, Period

    row = funnel.kpi_table([Period.of("2026-03-01", "2026-03-31")], Filters()).row(0, named=True)
    # cohort A, B, D: MQL all 3 (B via SQL); SAL A, B (via SQL), D (via O2); SQL A, B, D; opp A, D; won A
    stages = [
        row[k]
        for k in ("funnel_leads", "funnel_mqls", "funnel_sals", "funnel_sqls", "funnel_opportunities", "funnel_won")
    ]
    assert stages == [3, 3, 3, 3, 2, 1]
    # flow ratio, labelled as such: 2 SQLs in March / 3 MQLs in March
    assert row["flow_sqls_per_mql"] == pytest.approx(2 / 3)


def test_a_lead_whose_span_crosses_a_period_with_none_of_its_events_counts_nowhere_there(funnel):
    # queries/fragments/volumes.sql joins a lead to every period its span of stage times overlaps. A's span runs
    # Mar 02 (created) .. Apr 20 (O1 won), D's Mar 10 .. Jun 28 (O3 won): both cross April, D's crosses
    # May, yet neither has a lead event there nor a reached() time that starts a cohort (their first
    # opportunities, O1 Mar 15 and O2 Mar 25, are in March; a win starts no cohort). So April and May
    # count no lead, while their opportunity events still count (O2 lost Apr 01, O1 won Apr 20, O3 May 01).
    from dashboard.filters import Filters, Period

    lead_counts = (
        "leads",
        "mqls",
        "sals",
        "sqls",
        "lead_to_mql_cohort",
        "mql_to_sql_cohort",
        "sql_to_opp_cohort",
        "opp_to_won_cohort",
        "funnel_leads",
        "funnel_won",
        "due_for_response",
        "untouched_mqls",
        "accepted_mqls",
        "rejected_mqls",
    )
    lead_ratios = (
        "lead_to_mql_rate",
        "mql_to_sql_rate",
        "opp_to_won_rate",
        "median_days_lead_to_mql",
        "median_days_opp_to_won",
        "median_response_hours",
        "sla_response_rate",
        "acceptance_rate",
    )
    april, may = Period.of("2026-04-01", "2026-04-30"), Period.of("2026-05-01", "2026-05-31")
    for period, deals in ((april, (1, 1, 0)), (may, (0, 0, 1))):
        row = funnel.kpi_table([period], Filters()).row(0, named=True)
        assert {k: row[k] for k in lead_counts} == dict.fromkeys(lead_counts, 0), period
        assert {k: row[k] for k in lead_ratios} == dict.fromkeys(lead_ratios), period
        assert (row["won_deals"], row["lost_deals"], row["opportunities"]) == deals, period
        for stage in ("lead", "won", "mql_in_period"):
            assert (
                funnel.records(
                    "leads", period, Filters(), stage=stage, owner=None, score_from=None, score_to=None
                ).height
                == 0
            )


def test_campaign_breakdown_is_the_first_touch_ever_with_touch_id_breaking_ties(tmp_path):
    # E: touches T2 (campaign B) and T1 (campaign A) at the same instant, Feb 20, then T0 (campaign C)
    #    later, Mar 05 (after E's created_at). First touch ever = the earliest touched_at, ties by
    #    touch_id: T1 < T2, so campaign A. F: one touch T9 (campaign B) on Mar 01. G: no touch -> (none).
    # March leads by first campaign: A = 1 (E), B = 1 (F), (none) = 1 (G); C is a campaign with no
    # lead whose first touch it is: a row of 0.
    # An opportunity counts under its lead's first campaign (views.sql opportunity_facts): OE (E, 100)
    # and OE2 (E, 20) under A, OF (F, 300) under B, OG (G, 1000) and ON (no lead, 5) under (none).
    # Pipeline by key: A = 100 + 20 = 120, B = 300, C = 0, (none) = 1000 + 5 = 1005.
    from snapshot_builder import campaign, touch

    write_snapshot(
        tmp_path,
        "2026-06-30T23:59:59Z",
        leads=[lead("E", "2026-03-02T00:00:00Z"), lead("F", "2026-03-03T00:00:00Z"), lead("G", "2026-03-04T00:00:00Z")],
        campaigns=[campaign(c, "2026-01-01", 100.0) for c in ("A", "B", "C")],
        touches=[
            touch("T2", "E", "B", "2026-02-20T10:00:00Z"),
            touch("T1", "E", "A", "2026-02-20T10:00:00Z"),
            touch("T0", "E", "C", "2026-03-05T00:00:00Z"),
            touch("T9", "F", "B", "2026-03-01T00:00:00Z"),
        ],
        opportunities=[
            opportunity("OE", "2026-03-10T00:00:00Z", 100, lead_id="E"),
            opportunity("OE2", "2026-03-12T00:00:00Z", 20, lead_id="E"),
            opportunity("OF", "2026-03-11T00:00:00Z", 300, lead_id="F"),
            opportunity("OG", "2026-03-13T00:00:00Z", 1000, lead_id="G"),
            opportunity("ON", "2026-03-14T00:00:00Z", 5),
        ],
    )
    f = Funnel.open(tmp_path)
    table = f.kpi_table([f.period("2026-03-01", "2026-03-31")], f.filters(), group_by="campaign")
    leads = {row["group_key"]: row["leads"] for row in table.iter_rows(named=True)}
    assert leads == {"A": 1, "B": 1, "C": 0, "(none)": 1}
    pipeline = {row["group_key"]: (row["opportunities"], row["pipeline"]) for row in table.iter_rows(named=True)}
    assert pipeline == {"A": (2, 120), "B": (1, 300), "C": (0, 0), "(none)": (2, 1005)}

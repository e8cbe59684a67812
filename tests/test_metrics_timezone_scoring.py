"""A non-UTC reporting time zone (America/New_York, DST from Mar 8 2026) and the lead-score review."""

import pytest
from snapshot_builder import lead, write_snapshot

from dashboard import Funnel

NY = '[reporting]\ntimezone = "America/New_York"\n'


@pytest.fixture(scope="module")
def new_york(tmp_path_factory):
    root = tmp_path_factory.mktemp("tz")
    # local March = [Mar 1 05:00Z (EST), Apr 1 04:00Z (EDT))
    write_snapshot(
        root,
        "2026-04-01T03:00:00Z",  # Mar 31 23:00 in New York: March has not ended there yet
        funnel_toml=NY,
        leads=[
            lead("Z1", "2026-03-01T04:30:00Z", segment="A"),  # Feb 28 23:30 EST -> February
            lead("Z2", "2026-03-01T05:00:00Z", segment="B"),  # Mar 1 00:00 EST -> March
            lead("Z3", "2026-04-01T02:59:59Z", segment="C"),  # Mar 31 22:59:59 EDT -> March
            # MQL 2026-03-31T23:30Z = Mar 31 19:30 EDT -> a March MQL
            lead("Z4", "2026-02-10T12:00:00Z", segment="D", mql_at="2026-03-31T23:30:00Z"),
        ],
    )
    return Funnel.open(root)


def test_period_days_are_local_days(new_york):
    k = new_york.kpis("2026-03-01", "2026-03-31")["kpis"]
    assert k["leads"] == 2  # Z2, Z3 (Z1 is a February lead in New York, a March one in UTC)
    assert k["mqls"] == 1  # Z4
    assert new_york.kpis("2026-02-01", "2026-02-28")["kpis"]["leads"] == 2  # Z1, Z4
    assert new_york.kpis("2026-03-01", "2026-03-31", segment="C")["kpis"]["leads"] == 1


def test_default_period_is_the_last_full_local_month(new_york):
    # as_of is Mar 31 23:00 local: March is not over there, so the last full month is February
    assert new_york.kpis()["period"] == {"from": "2026-02-01", "to": "2026-02-28"}


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    sql = {"sql_at": "2026-03-20T00:00:00Z"}
    write_snapshot(
        root,
        "2026-04-30T23:59:59Z",
        leads=[
            lead("P1", "2026-03-02T00:00:00Z", score=5),
            lead("P2", "2026-03-02T00:00:00Z", score=15),
            lead("P3", "2026-03-02T00:00:00Z", score=15, **sql),
            lead("P4", "2026-03-02T00:00:00Z", score=55, **sql),
            lead("P5", "2026-03-02T00:00:00Z", score=100, **sql),
            lead("P6", "2026-03-02T00:00:00Z", score=90),
            lead("P7", "2026-03-02T00:00:00Z", score=None, **sql),  # no score: not reviewed
            lead("P8", "2026-03-02T00:00:00Z", score=70, sql_at="2026-07-01T00:00:00Z"),  # SQL after W: not converted
        ],
    )
    return Funnel.open(root)


def test_score_bands(scores):
    bands = {b["band"]: b for b in scores.scoring("2026-03-01", "2026-03-31")["bands"]}
    assert len(bands) == 10
    assert (bands["0-10"]["leads"], bands["0-10"]["converted"]) == (1, 0)
    assert (bands["10-20"]["leads"], bands["10-20"]["converted"], bands["10-20"]["rate"]) == (2, 1, 0.5)
    assert (bands["90-100"]["leads"], bands["90-100"]["converted"]) == (2, 1)  # 100 belongs to the last band
    assert (bands["70-80"]["leads"], bands["70-80"]["converted"]) == (1, 0)
    assert bands["30-40"]["rate"] is None  # empty band


def test_score_auc_counts_ties_half(scores):
    # converters {15, 55, 100}, non-converters {5, 15, 90, 70}: 12 pairs
    # 15 beats 5, ties 15 -> 1.5; 55 beats 5, 15 -> 2; 100 beats all four -> 4; total 7.5 / 12
    assert scores.scoring("2026-03-01", "2026-03-31")["score_auc"] == pytest.approx(7.5 / 12)


def test_threshold_what_if(scores):
    from dashboard.filters import Filters, Period

    what_if = scores.threshold(Period.of("2026-03-01", "2026-03-31"), Filters(), 50)
    # scoring >= 50: 55 (conv), 100 (conv), 90, 70 -> 4 leads, SQL rate 2/4, holding 2 of 3 converters
    assert what_if["leads_above"] == 4
    assert what_if["sql_rate_above"] == 0.5
    assert what_if["captured_share"] == pytest.approx(2 / 3)


def test_wilson_interval_brackets_the_rate(scores):
    from dashboard.filters import Filters, Period

    table = scores.scoring_table(Period.of("2026-03-01", "2026-03-31"), Filters())
    for row in table.filter(table["leads"] > 0).iter_rows(named=True):
        assert 0 <= row["rate_low"] <= row["rate"] <= row["rate_high"] <= 1
    # n = 2, p = 1/2, z = 1.96: (0.5 + z²/4 ± z·sqrt(0.125 + z²/16)) / (1 + z²/2)
    z = 1.959963984540054
    low = (0.5 + z * z / 4 - z * (0.125 + z * z / 16) ** 0.5) / (1 + z * z / 2)
    assert table.filter(table["band"] == "10-20")["rate_low"][0] == pytest.approx(low)

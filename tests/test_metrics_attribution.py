"""Attribution under the six models on a hand-built touch path.

funnel.toml: lookback 30 days, half-life 7 days. as_of 2026-04-30T23:59:59Z. Period: March 2026.
Lead L1 created Mar 10 00:00. O1 (lead L1) created Mar 20 00:00, amount 1000, won Mar 25.
Touches of L1 (all 00:00 UTC):
  ta Feb 01 c_old   outside the lookback (Mar 20 - 30 d = Feb 18)      -> not in the path
  tb Mar 01 c1      FT (position 1)
  tc Mar 05 c2      tied with td on timestamp; touch_id orders them     -> position 2
  td Mar 05 c3      last touch at or before L1's creation = LC          -> position 3
  te Mar 15 c1      after lead creation, last in path = OC               -> position 4
  tf Mar 22 c4      after the opportunity was created                    -> not in the path
O2: no lead, created Mar 03, 500 -> unattributed. O3: lead L2 with no touches, Mar 08, 200 -> unattributed.
"""

import pytest
from snapshot_builder import campaign, lead, opportunity, touch, write_snapshot

from dashboard import Funnel
from dashboard.policy import ATTRIBUTION_MODELS

TOML = """
[attribution]
lookback_days = 30
half_life_days = 7
"""


@pytest.fixture(scope="module")
def funnel(tmp_path_factory):
    root = tmp_path_factory.mktemp("attribution")
    write_snapshot(
        root,
        "2026-04-30T23:59:59Z",
        funnel_toml=TOML,
        leads=[lead("L1", "2026-03-10T00:00:00Z"), lead("L2", "2026-03-01T00:00:00Z")],
        opportunities=[
            opportunity(
                "O1", "2026-03-20T00:00:00Z", 1000, lead_id="L1", is_won=True, closed_at="2026-03-25T00:00:00Z"
            ),
            opportunity("O2", "2026-03-03T00:00:00Z", 500),
            opportunity("O3", "2026-03-08T00:00:00Z", 200, lead_id="L2"),
        ],
        campaigns=[campaign(c, "2026-01-01", 100, end_date="2026-03-31") for c in ("c_old", "c1", "c2", "c3", "c4")],
        touches=[
            touch("ta", "L1", "c_old", "2026-02-01T00:00:00Z"),
            touch("tb", "L1", "c1", "2026-03-01T00:00:00Z"),
            touch("td", "L1", "c3", "2026-03-05T00:00:00Z"),
            touch("tc", "L1", "c2", "2026-03-05T00:00:00Z"),
            touch("te", "L1", "c1", "2026-03-15T00:00:00Z"),
            touch("tf", "L1", "c4", "2026-03-22T00:00:00Z"),
        ],
    )
    return Funnel.open(root)


def credits(funnel, model):
    result = funnel.campaigns("2026-03-01", "2026-03-31", model=model)
    return {c["campaign_id"]: c["attributed_opportunities"] for c in result["campaigns"]}, result


# time decay weights 2^(-age / 7), ages to Mar 20: tb 19 d, tc 15 d, td 15 d, te 5 d
_W = {"tb": 2 ** (-19 / 7), "tc": 2 ** (-15 / 7), "td": 2 ** (-15 / 7), "te": 2 ** (-5 / 7)}
_S = sum(_W.values())

EXPECTED = {
    "first_touch": {"c1": 1.0},  # tb
    "last_touch": {"c1": 1.0},  # te (OC)
    "linear": {"c1": 0.5, "c2": 0.25, "c3": 0.25},  # 1/4 each; c1 holds tb and te
    # 0.4 FT (tb) + 0.4 LC (td) + 0.2 shared by tc and te
    "u_shaped": {"c1": 0.4 + 0.1, "c2": 0.1, "c3": 0.4},
    # 0.3 FT (tb) + 0.3 LC (td) + 0.3 OC (te) + 0.1 to the only other touch, tc
    "w_shaped": {"c1": 0.6, "c2": 0.1, "c3": 0.3},
    "time_decay": {"c1": (_W["tb"] + _W["te"]) / _S, "c2": _W["tc"] / _S, "c3": _W["td"] / _S},
}


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_credit_per_model(funnel, model):
    got, result = credits(funnel, model)
    for campaign_id, expected in EXPECTED[model].items():
        assert got[campaign_id] == pytest.approx(expected), campaign_id
    for campaign_id in set(got) - set(EXPECTED[model]):
        assert got[campaign_id] == 0, campaign_id  # c_old (outside lookback), c4 (after creation)
    assert result["unattributed_pipeline"] == 700  # O2 (no lead) + O3 (empty path)
    # credit sums to 1 per opportunity, so attributed + unattributed pipeline = pipeline (1700)
    pipeline = sum(c["attributed_pipeline"] for c in result["campaigns"]) + result["unattributed_pipeline"]
    assert pipeline == pytest.approx(1700)
    # O1 was also won in March: bookings credit equals its opportunity credit x 1000
    bookings = {c["campaign_id"]: c["attributed_bookings"] for c in result["campaigns"]}
    assert bookings["c1"] == pytest.approx(1000 * EXPECTED[model]["c1"])


def test_leads_acquired_and_campaign_cost(funnel):
    result = funnel.campaigns("2026-03-01", "2026-03-31", model="linear")
    rows = {c["campaign_id"]: c for c in result["campaigns"]}
    # L1's first touch ever is ta (c_old) even though it is outside the lookback; L2 has no touches
    assert rows["c_old"]["leads_acquired"] == 1
    assert rows["c1"]["leads_acquired"] == 0 and rows["c1"]["cost_per_lead"] is None
    # each campaign runs Jan 1 .. Mar 31 = 90 days for 100; March is 31 of them
    assert rows["c1"]["cost"] == pytest.approx(100 * 31 / 90)
    # ROI = (attributed bookings - cost) / cost; linear gives c1 half of the 1000 won
    assert rows["c1"]["roi"] == pytest.approx((500 - 100 * 31 / 90) / (100 * 31 / 90))
    assert set(rows) == {"c_old", "c1", "c2", "c3", "c4"}  # every campaign in scope is listed


def test_campaign_filter_keeps_touched_leads_but_credits_whole_path(funnel):
    # --campaign c2 keeps L1 (it touched c2) and O1; credit still goes along the whole path
    result = funnel.campaigns("2026-03-01", "2026-03-31", model="w_shaped", campaign="c2")
    rows = {c["campaign_id"]: c for c in result["campaigns"]}
    assert rows["c1"]["attributed_opportunities"] == pytest.approx(0.6)  # listed: it received credit
    assert result["unattributed_pipeline"] == 0  # O2, O3 are not in scope

"""Results-based financing (issue 25): ``[[source.dli]]`` rows, worked by hand (docs/method.md, *Results-based
financing*)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import run, scenario_from_dict
from dfl_finance.engine.results import DliRows, delayed, earn, payments
from dfl_finance.inputs.stress import StressSpec, stresses_of
from dfl_finance.model.samples import draw_samples
from dfl_finance.studies.risk.stress import NotApplicable, apply_stress
from tests.conftest import small_scenario_dict


def _rows(**kw) -> DliRows:
    """One row by default: amount 10, target 0.5, lag 1, deadline the third year (index 2), lapses."""
    base = dict(source=np.array([0]), target=np.array([0.5]), amount=np.array([10.0]), scalable=np.array([False]),
                floor=np.array([0.0]), lag=np.array([1]), deadline=np.array([2]), next_row=np.array([-1]))
    base.update(kw)
    return DliRows(**base)


def _scenario(dli: list[dict] | None, kind: str = "grant", years: int = 4, **source) -> dict:
    """100 schools connected in equal steps of 25 from 2026 to 2029 (shares 0.25, 0.5, 0.75, 1.0), a terminal at
    1,000 USD each: 25,000 USD a year, all paid by the domestic budget (1 M USD). A USD scenario without inflation, so
    current and constant prices are the same. ``dli`` None: no results-based source."""
    src = {"id": "pforr", "kind": kind, "currency": "USD", "dli": dli, **source}
    if kind == "loan":
        src.update(rate=0.0075, grace_years=5, maturity_years=10, repayment="linear")
    return small_scenario_dict(
        scenario={"name": "DLI", "start_year": 2026, "years": years},
        programme=[{"id": "connectivity", "pillar": "infrastructure", "driver": "schools", "target_share": 1.0,
                    "target_year": 2025 + years, "rollout": "linear",
                    "cost": [{"item": "terminal", "kind": "capex", "unit_cost": 1000.0}]}],
        source=[{"id": "budget", "kind": "domestic"}, *([src] if dli is not None else [])])


def test_a_dli_earned_in_2027_is_paid_in_2028_and_2027_carries_the_pre_financing():
    """By hand: the share reached is 0.25 (2026), 0.50 (2027), 0.75, 1.00. The DLI (target 0.5, 10,000 USD, lag
    1) is reached at the end of 2027, verified a year later and paid in 2028.
    - 2027: the budget pays the year's 25,000 in full (the DLI pays no cost cell): burden 25,000, the pre-financing;
    - 2028: the budget pays 25,000 and receives 10,000: burden 25,000 - 10,000 = 15,000;
    - the grant's disbursed total is 10,000; the financing table has no row for it (it paid no cell)."""
    r = run(scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0,
                                          "lag": 1}])))
    t = r.tables()
    fiscal = t["fiscal"].set_index("year")
    assert_allclose(fiscal.loc[[2026, 2027, 2028, 2029], "domestic_outlay"], [25_000.0] * 4)
    assert_allclose(fiscal.loc[[2026, 2027, 2028, 2029], "government_burden"], [25_000.0, 25_000.0, 15_000.0,
                                                                                  25_000.0])
    (row,) = t["dli"].to_dict("records")
    assert (row["earned_year"], row["payment_year"], row["earned"], row["received"]) == (2027, 2028, 10_000.0,
                                                                                        10_000.0)
    assert row["deadline"] == 2028  # default: the last year (2029) minus the lag
    assert "pforr" not in set(t["financing"]["source"])
    assert t["sources"].set_index("source").loc["pforr", "disbursed"] == 10_000.0
    summary = r.summary()
    assert summary["total_external"] == pytest.approx(10_000.0)
    # the PV of the government's cost falls by the receipt discounted two years at 5%: 10,000 / 1.05^2 = 9,070.29
    base = run(scenario_from_dict(_scenario(None))).summary()
    assert base["pv_government_cost"] - summary["pv_government_cost"] == pytest.approx(10_000 / 1.05 ** 2)


def test_a_scenario_without_dli_rows_writes_no_dli_table():
    assert "dli" not in run(scenario_from_dict(_scenario(None))).tables()


def test_a_scalable_dli_at_60_percent_earns_60_percent():
    """By hand: target 0.5 from a floor of 0, amount 10; the result reaches only 0.1, 0.2, 0.3 by the deadline
    (the third year): (0.3 - 0) / (0.5 - 0) = 60% -> 6 earned at the deadline (year 2), paid in year 3 (lag 1),
    4 lapses."""
    e = earn(np.array([[[0.1], [0.2], [0.3], [0.4]]]), np.array([[0.0]]), _rows(scalable=np.array([True])))
    assert_allclose([e.earned[0, 0], e.lapsed[0, 0]], [6.0, 4.0])
    assert (e.earned_year[0, 0], e.paid_year[0, 0]) == (2, 3)


def test_a_scalable_dli_priced_per_unit_above_its_floor():
    """By hand, in a scenario: 100 schools, 25 a year; a price of 400 USD per school connected above a floor of 20
    up to a target of 80 (the most it pays: 400 x (80 - 20) = 24,000), deadline 2027, lag 1. By the end of 2027,
    50 schools: (50 - 20) = 30 schools x 400 = 12,000 earned (50% of 24,000), paid in 2028; 12,000 lapses."""
    r = run(scenario_from_dict(_scenario([{"programme": "connectivity", "measure": "reached", "target": 80.0,
                                          "price": 400.0, "scalable": True, "floor": 20.0, "deadline": 2027}])))
    (row,) = r.tables()["dli"].to_dict("records")
    assert (row["amount"], row["earned"], row["lapsed"], row["earned_year"], row["payment_year"]) == (
        24_000.0, 12_000.0, 12_000.0, 2027, 2028)
    assert row["result"] == 50.0


@pytest.mark.parametrize(("unearned", "second"), [("lapse", 5.0), ("roll_over", 10.0)])
def test_lapse_and_roll_over(unearned, second):
    """By hand: the path 0.2, 0.5, 0.9. Row 1 (5, target 0.8, deadline year 1) is not reached by year 1: its 5
    lapses, or rolls over to row 2 (5, target 0.8, deadline year 2), which is reached in year 2 and then earns
    5 + 5 = 10."""
    value = np.array([[[0.2, 0.2], [0.5, 0.5], [0.9, 0.9]]])
    rows = _rows(source=np.array([0, 0]), target=np.array([0.8, 0.8]), amount=np.array([5.0, 5.0]),
                 scalable=np.array([False, False]), floor=np.zeros(2), lag=np.array([0, 0]),
                 deadline=np.array([1, 2]), next_row=np.array([1 if unearned == "roll_over" else -1, -1]))
    e = earn(value, np.zeros((1, 2)), rows)
    assert_allclose(e.earned[0], [0.0, second])
    assert_allclose(e.lapsed[0], [5.0 if unearned == "lapse" else 0.0, 0.0])
    assert_allclose(e.rolled_over[0], [5.0 if unearned == "roll_over" else 0.0, 0.0])
    assert e.earned_year[0].tolist() == [-1, 2]


def test_roll_over_in_a_scenario_goes_to_the_next_row_on_the_same_result():
    """By hand: row 1 (4,000, target 0.9 by 2027) is missed (0.5 in 2027) and rolls over to row 2 (6,000, target
    0.75 by 2028), reached in 2028: 10,000 paid in 2029 (lag 1)."""
    r = run(scenario_from_dict(_scenario([
        {"programme": "connectivity", "target": 0.9, "amount": 4_000.0, "deadline": 2027, "unearned": "roll_over"},
        {"programme": "connectivity", "target": 0.75, "amount": 6_000.0, "deadline": 2028}])))
    rows = r.tables()["dli"].to_dict("records")
    assert [(x["earned"], x["rolled_over"], x["amount"]) for x in rows] == [(0.0, 4_000.0, 4_000.0),
                                                                           (10_000.0, 0.0, 10_000.0)]
    assert rows[1]["payment_year"] == 2029
    burden = r.tables()["fiscal"].set_index("year")["government_burden"]
    assert burden[2029] == 25_000.0 - 10_000.0


def test_a_dli_credit_is_borrowed_when_paid():
    """An IDA-style credit against results: the 10,000 is disbursed in 2028 (earned 2027, lag 1), so its debt
    service starts from 2028's balance: interest 0.75% x 10,000 = 75 in 2029."""
    r = run(scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}],
                                         kind="loan")))
    ds = r.tables()["debt_service"].set_index("year")
    assert ds.loc[2028, "disbursed"] == 10_000.0
    assert ds.loc[2029, "interest"] == pytest.approx(75.0)
    assert r.tables()["fiscal"].set_index("year").loc[2028, "government_burden"] == 15_000.0


def test_a_delay_moves_the_result_later_and_a_miss_earns_nothing():
    """Draw 0: on time, earned in year 1. Draw 1: one year late, earned in year 2 (the path seen is 0 (before the
    plan), 0.2, 0.5). Draw 2: the result does not come (achieved 0): nothing earned, 10 lapses."""
    value = np.repeat(np.array([[[0.2], [0.5], [0.8]]]), 3, axis=0)
    rows = _rows(achieved=np.array([[1.0], [1.0], [0.0]]), delay=np.array([[0], [1], [0]]))
    e = earn(value, np.zeros((3, 1)), rows)
    assert e.earned_year[:, 0].tolist() == [1, 2, -1]
    assert_allclose(e.earned[:, 0], [10.0, 10.0, 0.0])
    assert_allclose(e.lapsed[:, 0], [0.0, 0.0, 10.0])
    assert_allclose(delayed(value[:, :, 0], np.array([0.1, 0.1, 0.1]), np.array([0, 2, 5]))[1], [0.1, 0.1, 0.2])


def test_payments_convert_to_constant_prices_in_the_payment_year():
    """10 earned in year 1, paid in year 2 where the source's currency is 2 per constant local unit: 5."""
    rows = _rows()
    e = earn(np.array([[[0.2], [0.5], [0.8]]]), np.zeros((1, 1)), rows)
    conv = np.array([[[1.0, 1.5, 2.0]]])  # (D, S, Y)
    assert_allclose(payments(e, rows, conv, 1, 3)[0, :, 0], [0.0, 0.0, 5.0])


def test_the_results_delay_stress_delays_every_result_a_year():
    """Under the stress the result of 0.5 comes at the end of 2028 instead of 2027: paid in 2029, not 2028."""
    sc = scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}]))
    assert StressSpec("results_delay") in stresses_of(sc)
    stressed = apply_stress(sc, StressSpec("results_delay", size=1))
    assert stressed.source[1].dli[0].result_delay == 1
    (row,) = run(stressed).tables()["dli"].to_dict("records")
    assert (row["earned_year"], row["payment_year"]) == (2028, 2029)
    with pytest.raises(NotApplicable):
        apply_stress(scenario_from_dict(_scenario(None)), StressSpec("results_delay"))
    assert StressSpec("results_delay") not in stresses_of(scenario_from_dict(_scenario(None)))


def test_risk_draws_of_a_dli_follow_its_probability_and_delay():
    """A probability of 0.7: about 70% of 2,000 draws reach the result; a delay of 0 or 1 year with weights 0.5:
    the draws that reach it are paid in 2028 or 2029, about half each."""
    sc = scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0,
                                        "probability": 0.7, "delay": {"values": [0, 1]}}]))
    draws = 2000
    samples = draw_samples(sc, draws, seed=1, method="mc")
    r = run(sc, draws=draws, samples=samples)
    paid = r.sim.results_paid[:, :, 1]  # (D, Y) the grant
    got = paid.sum(axis=1) > 0
    assert got.mean() == pytest.approx(0.7, abs=0.04)
    late = paid[got, 3] > 0  # paid in 2029
    assert late.mean() == pytest.approx(0.5, abs=0.05)
    assert_allclose(paid.sum(axis=1)[got], 10_000.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4), st.lists(st.floats(0.05, 1.0), min_size=3,
                                                                        max_size=3),
       st.lists(st.booleans(), min_size=3, max_size=3), st.lists(st.booleans(), min_size=3, max_size=3))
def test_nothing_is_created_or_lost(path, targets, scalable, roll):
    """Whatever the path: every row's own amount is earned or lapses in the end (a roll-over moves it on), and no
    row earns more than its amount (its own and what rolled over to it)."""
    value = np.repeat(np.maximum.accumulate(np.array(path))[None, :, None], 3, axis=2)
    rows = _rows(source=np.zeros(3, dtype=np.int64), target=np.array(targets), amount=np.array([1.0, 2.0, 3.0]),
                 scalable=np.array(scalable), floor=np.zeros(3), lag=np.zeros(3, dtype=np.int64),
                 deadline=np.array([1, 2, 3]), next_row=np.array([1 if roll[0] else -1, 2 if roll[1] else -1, -1]))
    e = earn(value, np.zeros((1, 3)), rows)
    assert e.earned.sum() + e.lapsed.sum() == pytest.approx(6.0)
    assert (e.earned <= e.amount + 1e-12).all() and (e.earned >= 0).all()


@pytest.mark.parametrize(("payer", "burden_2028"), [("government", 25_000.0 + 60_000.0), ("partner", 25_000.0)])
def test_an_outcome_bond_pre_finances_and_the_outcome_funder_repays(payer, burden_2028):
    """By hand: the investor (a grant with outcome_bond) pays the first 50,000 of costs (commitment 50,000): 2026's and
    2027's 25,000, so the budget pays nothing then; from 2028 the budget pays the 25,000 a year. The outcome payment,
    50,000 x 1.2 = 60,000 for 50% of schools connected (reached in 2027, lag 1), is paid in 2028: by the government
    (a social impact bond: 2028's burden 25,000 + 60,000 = 85,000) or by a partner (2028's burden 25,000). The
    investor's return: 60,000 / 50,000 - 1 = 20% over the two years."""
    r = run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.5, "amount": 60_000.0}],
        commitment=50_000.0, outcome_bond={"payer": payer})))
    t = r.tables()
    burden = t["fiscal"].set_index("year")["government_burden"]
    assert burden[2026] == burden[2027] == 0.0
    assert burden[2028] == burden_2028
    (row,) = t["dli"].to_dict("records")
    assert (row["role"], row["earned"], row["payment_year"]) == (f"outcome_payment_{payer}", 60_000.0, 2028)
    assert row["received"] == (-60_000.0 if payer == "government" else 0.0)
    assert t["sources"].set_index("source").loc["pforr", "disbursed"] == 50_000.0  # the principal, not the payment
    paid = t["financing"].groupby("source")["amount"].sum()
    assert paid["pforr"] == 50_000.0


def test_an_outcome_bond_whose_results_fail_costs_the_outcome_funder_nothing():
    """The target is 0.9 by 2027 (reached 0.5): nothing earned, the 60,000 lapses; the investor loses its 50,000."""
    r = run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.9, "amount": 60_000.0, "deadline": 2027}],
        commitment=50_000.0, outcome_bond={"payer": "government"})))
    (row,) = r.tables()["dli"].to_dict("records")
    assert (row["earned"], row["lapsed"], row["received"]) == (0.0, 60_000.0, 0.0)
    assert r.tables()["fiscal"].set_index("year")["government_burden"][2028] == 25_000.0


def _gfs(result, year: int) -> dict[tuple[str, str, str, str], float]:
    g = result.gfs_df()
    g = g[g["year"] == year]
    return {(r.account, r.gfs_class, r.financed_by, r.charged_to): r.amount for r in g.itertuples()}


def _ties(result) -> None:
    """The published fiscal table by year: the charges add up to the burden, and the uses to the burden plus grants
    received plus borrowing (exactly here: every amount is a whole number)."""
    f = result.fiscal_df().set_index("year")
    assert_allclose(f["charged_to_vote"] + f["charged_to_treasury"], f["government_burden"], atol=1e-6)
    uses = f[["expense", "interest", "net_acquisition_nfa", "amortisation"]].sum(axis=1)
    assert_allclose(uses, f["government_burden"] + f["grant_revenue"] + f["borrowing"], atol=1e-6)
    assert_allclose(f["deficit_effect"], f["government_burden"] + f["debt_effect"], atol=1e-6)


def test_gfs_a_dli_grant_is_grant_revenue_when_paid_and_the_vote_pre_finances():
    """By hand (GFSM 2014: grants received are revenue, 13, when received; docs/method.md, *Fiscal accounts in GFS
    terms*): the DLI grant of 10,000 is earned in 2027 and paid in 2028.
    - 2027: the budget buys 25 terminals, 25,000 of nonfinancial assets (31), financed by the domestic source and
      charged to the education vote; no revenue; charged to the vote 25,000 = the burden (the pre-financing);
    - 2028: the same 25,000 charged to the vote, and the grant's 10,000 is grant revenue received by the Treasury:
      charged_to_treasury = -10,000, so the charges add up to the burden 25,000 - 10,000 = 15,000; deficit effect =
      25,000 - 10,000 = 15,000."""
    r = run(scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0,
                                          "lag": 1}])))
    assert _gfs(r, 2027) == {("nonfinancial_assets", "nonfinancial_assets", "domestic", "education_vote"): 25_000.0}
    assert _gfs(r, 2028) == {("nonfinancial_assets", "nonfinancial_assets", "domestic", "education_vote"): 25_000.0,
                             ("revenue", "grants", "grant", "treasury"): 10_000.0}
    f = r.fiscal_df().set_index("year")
    assert (f.loc[2027, "grant_revenue"], f.loc[2027, "charged_to_vote"], f.loc[2027, "charged_to_treasury"]) == (
        0.0, 25_000.0, 0.0)
    assert (f.loc[2028, "grant_revenue"], f.loc[2028, "charged_to_vote"], f.loc[2028, "charged_to_treasury"],
            f.loc[2028, "deficit_effect"], f.loc[2028, "government_burden"]) == (
        10_000.0, 25_000.0, -10_000.0, 15_000.0, 15_000.0)
    _ties(r)


def test_gfs_a_dli_credit_is_borrowing_received_by_the_treasury():
    """The same result on a credit (0.75%, 5 years' grace): the 10,000 is borrowing (3304) in 2028, a liability, not
    revenue: debt effect +10,000, deficit effect 25,000 (the spending), charged to the Treasury -10,000; in 2029
    the interest of 75 (0.75% x 10,000) is charged to the Treasury: 25,000 + 75 = 25,075 of burden."""
    r = run(scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}],
                                         kind="loan")))
    assert _gfs(r, 2028)[("financing", "borrowing", "loan", "treasury")] == 10_000.0
    f = r.fiscal_df().set_index("year")
    assert (f.loc[2028, "grant_revenue"], f.loc[2028, "borrowing"], f.loc[2028, "debt_effect"],
            f.loc[2028, "deficit_effect"], f.loc[2028, "charged_to_treasury"]) == (
        0.0, 10_000.0, 10_000.0, 25_000.0, -10_000.0)
    assert (f.loc[2029, "charged_to_treasury"], f.loc[2029, "government_burden"]) == (75.0, 25_075.0)
    _ties(r)


def test_gfs_an_outcome_payment_by_the_government_is_an_expense_of_the_vote():
    """The social impact bond above: the investor's 50,000 is a grant received in 2026-2027 (it paid the costs); the
    government's outcome payment of 60,000 in 2028 is use of goods and services (22) charged to the vote: charged to
    the vote 25,000 + 60,000 = 85,000 = the burden."""
    r = run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.5, "amount": 60_000.0}],
        commitment=50_000.0, outcome_bond={"payer": "government"})))
    assert _gfs(r, 2028)[("expense", "use_of_goods_and_services", "domestic", "education_vote")] == 60_000.0
    assert r.fiscal_df().set_index("year").loc[2028, "charged_to_vote"] == 85_000.0
    _ties(r)


def test_the_net_envelope_deducts_a_dli_credits_debt_service():
    """By hand: the budget may give the plan 2.5% of 1,000,000 = 25,000 a year (net envelope, the default), exactly
    the yearly 25,000 of terminals. The DLI credit (0.75%, 5 years' grace) disburses its 10,000 in 2028 (earned
    2027, lag 1); its interest of 0.75% x 10,000 = 75 in 2029 is debt service the envelope deducts, as any credit's:
    2029's domestic room is 25,000 - 75 = 24,925, so the budget pays 24,925 and 75 stays in the gap; the burden is
    24,925 + 75 = 25,000, at the cap (before, the budget paid the whole 25,000 and the burden passed the cap by
    75)."""
    raw = _scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}], kind="loan")
    raw["source"][0]["budget_share_cap"] = 0.025
    f = run(scenario_from_dict(raw)).tables()["fiscal"].set_index("year")
    assert (f.loc[2028, "domestic_outlay"], f.loc[2028, "gap"]) == (25_000.0, 0.0)
    assert (f.loc[2029, "debt_service"], f.loc[2029, "domestic_envelope"], f.loc[2029, "domestic_outlay"],
            f.loc[2029, "gap"], f.loc[2029, "government_burden"]) == (75.0, 24_925.0, 24_925.0, 75.0, 25_000.0)


def test_the_net_envelope_without_a_cap_leaves_a_dli_credit_alone():
    """Without a budget_share_cap there is no envelope to deduct from: the budget pays the 25,000 and the burden of
    2029 is 25,000 + 75."""
    raw = _scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}], kind="loan")
    f = run(scenario_from_dict(raw)).tables()["fiscal"].set_index("year")
    assert (f.loc[2029, "domestic_outlay"], f.loc[2029, "government_burden"]) == (25_000.0, 25_075.0)


def test_a_commitment_caps_the_payments_against_results_in_the_order_they_are_paid():
    """By hand: rows of 6 (paid in year 3) and 5 (paid in year 2) on one source committed for 8: the row paid first
    gets its 5, the other 8 - 5 = 3 of its 6; the 3 beyond the commitment lapses (and is not paid)."""
    e = earn(np.array([[[0.6, 0.6], [0.6, 0.6], [0.6, 0.6], [0.6, 0.6]]]), np.array([[0.0, 0.0]]),
             _rows(source=np.array([0, 0]), target=np.array([0.5, 0.5]), amount=np.array([6.0, 5.0]),
                   scalable=np.array([False, False]), floor=np.array([0.0, 0.0]), lag=np.array([3, 2]),
                   deadline=np.array([0, 0]), next_row=np.array([-1, -1]), commitment=np.array([[8.0]])))
    assert e.paid_year.tolist() == [[3, 2]]
    assert e.earned.tolist() == [[3.0, 5.0]] and e.lapsed.tolist() == [[3.0, 0.0]]


def test_the_pledge_shortfall_stress_limits_what_a_dli_grant_pays():
    """The grant's 10,000 DLI (earned 2027, paid 2028) with half its pledge delivered (pledge_shortfall 0.5; without
    a commitment, the pledge is the sum of its rows): it pays 5,000 in 2028, 5,000 lapses, and 2028's burden is
    25,000 - 5,000 = 20,000."""
    sc = scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}]))
    stressed = apply_stress(sc, StressSpec("pledge_shortfall", "pforr", size=0.5))
    assert stressed.source[1].commitment == 5_000.0
    r = run(stressed)
    (row,) = r.tables()["dli"].to_dict("records")
    assert (row["earned"], row["lapsed"], row["received"], row["payment_year"]) == (5_000.0, 5_000.0, 5_000.0, 2028)
    assert r.tables()["fiscal"].set_index("year").loc[2028, "government_burden"] == 20_000.0


def test_pledge_draws_limit_a_dli_grants_payments():
    """A reliability of 0.6: in about 60% of 2,000 draws the pledge comes and the DLI pays its 10,000; in the others
    it pays nothing (its commitment in the draw is 0)."""
    sc = scenario_from_dict(_scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}],
                                      reliability=0.6))
    draws = 2000
    r = run(sc, draws=draws, samples=draw_samples(sc, draws, seed=3, method="mc"))
    paid = r.sim.results_paid[:, :, 1].sum(axis=1)
    assert set(np.round(paid, 6)) == {0.0, 10_000.0}
    assert (paid > 0).mean() == pytest.approx(0.6, abs=0.04)
    assert run(sc).sim.results_paid[:, :, 1].sum() == 10_000.0  # the deterministic run takes the pledge as written


@pytest.mark.parametrize("payer", ["government", "partner"])
def test_the_outcome_bond_investors_return_by_hand(payer):
    """By hand: the investor pays 25,000 in 2026 and 25,000 in 2027 and is repaid 60,000 in 2028 (a USD scenario
    without inflation: current prices are constant prices). The IRR r solves -25,000 - 25,000 x + 60,000 x^2 = 0 with
    x = 1 / (1 + r): 12 x^2 - 5 x - 5 = 0, x = (5 + sqrt(265)) / 24 = 0.886618, r = 1 / x - 1 = 12.788%. Who pays
    the outcomes does not change the investor's return."""
    r = run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.5, "amount": 60_000.0}],
        commitment=50_000.0, outcome_bond={"payer": payer})))
    x = (5 + 265 ** 0.5) / 24
    assert r.summary()["outcome_bond_irr__pforr"] == pytest.approx(1 / x - 1, abs=1e-6)
    row = r.summary_df().set_index("metric").loc["outcome_bond_irr__pforr"]
    assert row["unit"] == "share"


def test_an_outcome_bond_that_repays_nothing_returns_minus_one():
    """The result is missed: the investor paid 50,000 and receives nothing: -100%."""
    r = run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.9, "amount": 60_000.0, "deadline": 2027}],
        commitment=50_000.0, outcome_bond={"payer": "government"})))
    assert r.summary()["outcome_bond_irr__pforr"] == -1.0
    assert "outcome_bond_irr__pforr" not in run(scenario_from_dict(_scenario(
        [{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}]))).summary()  # not an outcome bond


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1.0, 1e6), min_size=1, max_size=4), st.floats(1.0, 3.0), st.integers(1, 4))
def test_property_the_irr_zeroes_the_npv(invested, multiple, wait):
    """Whatever is invested over the first years and repaid (more than invested) later, the value of the flows at
    the rate found is 0, and the rate is positive."""
    from dfl_finance.engine.bond_return import internal_rate_of_return, npv

    flows = np.zeros(len(invested) + wait)
    flows[:len(invested)] = -np.array(invested)
    flows[-1] += multiple * sum(invested)
    (r,) = internal_rate_of_return(flows[None, :])
    assert r > -1e-9
    assert abs(npv(flows, r)) <= 1e-6 * sum(invested)


def test_the_optimiser_takes_a_dli_credit_as_a_fixed_source():
    """The net-envelope case above, optimised: the credit's 10,000 is expected in 2028 (as the waterfall earns it),
    so its 75 of interest in 2029 is a fixed charge on the envelope: the optimal mix, like the waterfall, leaves the
    budget 25,000 - 75 = 24,925 in 2029 and 75 in the gap (it cannot do better: the domestic budget is the only
    source that pays cells). With the burden limit at 2.5% it holds too: 2028's burden is 25,000 - 10,000."""
    from dfl_finance.studies.optimise import optimise, options_for

    raw = _scenario([{"programme": "connectivity", "target": 0.5, "amount": 10_000.0}], kind="loan")
    raw["source"][0]["budget_share_cap"] = 0.025
    raw["context"]["burden_limit"] = 0.025
    sc = scenario_from_dict(raw)
    opt = optimise(sc, options_for(sc, burden_limit=True))
    f = opt.result.tables()["fiscal"].set_index("year")
    assert (f.loc[2029, "domestic_outlay"], f.loc[2029, "gap"], f.loc[2029, "government_burden"]) == (
        24_925.0, 75.0, 25_000.0)
    assert f.loc[2028, "government_burden"] == 15_000.0
    assert (f["government_burden"] <= 25_000.0 + 1e-6).all()

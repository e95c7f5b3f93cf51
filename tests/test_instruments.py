"""The instruments of issue 25 (docs/method.md, *Instruments*): an interest buy-down written on the loan's side, a
debt-for-education swap (kind ``swap``) and a universal service fund levy (kind ``levy``). Known answers by hand,
property tests of the engine rules, one broken fixture per validation error."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import ScenarioError, run, scenario_from_dict
from dfl_finance.engine.instruments import (
    buy_down_share,
    guarantee_charge,
    levy_yield,
    split_guarantee_fee,
    swap_counterpart,
)
from dfl_finance.engine.loans import bought_down
from dfl_finance.inputs.instruments import connectivity_programmes

YEARS = [2026, 2027]


def _scenario(sources, programmes=None, **extra):
    """A USD scenario of two years (no prices: every amount as written) with one programme of fixed capex of 100 a
    year, unless ``programmes`` are given."""
    return scenario_from_dict({
        "scenario": {"name": "Instruments", "start_year": 2026, "years": 2, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
        "programme": programmes or [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "build", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": YEARS}]}],
        "source": sources,
        **extra,
    })


def _paid(result, source):
    df = result.financing_df()
    return df[df["source"] == source].groupby("year")["amount"].sum().reindex(YEARS, fill_value=0.0).to_numpy()


# ------------------------------------------------------------------------------ buy-down on the loan's side

_LOAN_5PCT = {"id": "ida", "kind": "loan", "rate": 0.05, "grace_years": 0, "maturity_years": 2,
              "repayment": "linear", "commitment": 100.0, "first_year": 2026, "last_year": 2026}


def _loan_side(rate=0.01, **gpe):
    return _scenario([{"id": "gpe", "kind": "grant", **gpe},
                      {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": rate}},
                      {"id": "mof", "kind": "domestic"}])


def test_a_buy_down_from_5_to_1_percent_and_its_grant_element():
    """Known answer, worked by hand.

    The loan disburses 100 in 2026 at 5%, repaid 50 and 50 in 2027 and 2028 (grace 0, maturity 2). Interest:
    5% x 100 = 5 in 2027, 5% x 50 = 2.5 in 2028. The borrower pays 1%: 1 and 0.5; the grant pays the share
    1 - 0.01 / 0.05 = 0.8 of it: 4 and 2 (6 in all). Debt service 51 and 50.5 (without: 55 and 52.5).

    Grant element at 5%: without the buy-down the loan is at the discount rate, 1 - (55 / 1.05 + 52.5 / 1.05^2) /
    100 = 1 - (52.380952 + 47.619048) / 100 = 0. With it: 1 - (51 / 1.05 + 50.5 / 1.1025) / 100
    = 1 - (48.571429 + 45.804989) / 100 = 0.056236."""
    r = run(_loan_side())
    ds = r.debt_service_df().set_index("year")
    assert_allclose(ds.loc[[2027, 2028], "interest"], [1.0, 0.5])
    assert_allclose(ds.loc[[2027, 2028], "principal"], [50.0, 50.0])
    assert_allclose(r.fiscal_df().set_index("year").loc[[2027, 2028], "debt_service"], [51.0, 50.5])
    s = r.summary()
    assert s["grant_element__ida"] == pytest.approx(1 - (51 / 1.05 + 50.5 / 1.05**2) / 100)
    assert s["grant_element__ida"] == pytest.approx(0.0562358277)
    assert s["total_interest_bought_down"] == pytest.approx(6.0)
    assert "gpe" not in set(r.financing_df()["source"])  # it pays interest, no cost cell
    without = run(_scenario([{"id": "gpe", "kind": "grant", "commitment": 0.0}, _LOAN_5PCT,
                             {"id": "mof", "kind": "domestic"}])).summary()
    assert without["grant_element__ida"] == pytest.approx(0.0, abs=1e-12)


def test_the_loan_side_and_the_grant_side_are_one_buy_down():
    """``[source.buy_down] by = "gpe", rate = 0.01`` on the loan is the grant-side ``{loan = "ida", share = 0.8}``:
    the same tables, to the last digit (one engine path), with and without a cap on the grant."""
    for cap in ({}, {"commitment": 5.0}):
        loan_side = run(_loan_side(**cap))
        grant_side = run(_scenario([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida", "share": 0.8}, **cap},
                                    _LOAN_5PCT, {"id": "mof", "kind": "domestic"}]))
        for table in ("debt_service_df", "fiscal_df", "financing_df"):
            a, b = getattr(loan_side, table)(), getattr(grant_side, table)()
            assert a.equals(b), table
        assert loan_side.summary() == pytest.approx(grant_side.summary())


@given(loan_rate=st.floats(0.0, 0.2), rate=st.floats(0.0, 0.2),
       interest=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=20))
def test_a_buy_down_leaves_the_borrower_the_interest_at_its_rate(loan_rate, rate, interest):
    """Interest is charged on the outstanding balance: paying the share ``1 - rate / loan_rate`` of it leaves the
    borrower ``rate / loan_rate`` of it, the interest at ``rate`` (all of it where the loan is cheaper)."""
    share = buy_down_share(np.array([loan_rate]), rate)
    assert 0.0 <= share[0] <= 1.0
    x = np.array([interest])
    left = x - bought_down(x, share, np.array([np.inf]))
    expected = x * (rate / loan_rate if loan_rate > rate else 1.0)
    assert_allclose(left, expected, rtol=1e-9, atol=1e-6)


# ------------------------------------------------------------------------------ debt-for-education swap

def _swap(share=0.5, service=10e6, cost=20e6, **extra):
    return _scenario([{"id": "swap", "kind": "swap", "creditor": "Germany (KfW)", "debt_service": service,
                       "counterpart_share": share, **extra},
                      {"id": "mof", "kind": "domestic"}],
                     programmes=[{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
                         {"item": "build", "kind": "fixed_capex", "unit_cost": cost, "schedule": YEARS}]}])


def test_a_swap_of_usd_10_m_of_service_at_a_50_percent_counterpart_rate():
    """Known answer, worked by hand.

    The creditor cancels USD 10 M of service a year in 2026 and 2027; the government pays 50% of it to the plan:
    the counterpart is USD 5 M a year, a domestic source of the plan (it pays first, the budget pays the other
    USD 15 M of the 20 M a year). The treasury no longer pays the 10 M a year: cancelled 20 M in all, against a
    counterpart of 10 M; the government's net gain is (1 - 0.5) x 20 M = 10 M."""
    r = run(_swap())
    assert_allclose(_paid(r, "swap"), [5e6, 5e6])
    assert_allclose(_paid(r, "mof"), [15e6, 15e6])
    fin = r.financing_df()
    assert set(fin.loc[fin["source"] == "swap", "source_kind"]) == {"domestic"}
    s = r.summary()
    assert s["total_debt_service_cancelled"] == pytest.approx(20e6)
    assert s["total_domestic"] == pytest.approx(40e6)  # the counterpart is domestic money
    assert s["total_external"] == pytest.approx(0.0)
    assert s["total_debt_service_cancelled"] - _paid(r, "swap").sum() == pytest.approx(10e6)
    assert run(_scenario([{"id": "mof", "kind": "domestic"}])).summary()["total_debt_service_cancelled"] == 0


def test_a_swap_lowers_the_country_s_debt_service_and_its_pv_in_the_dsf_view():
    """Known answer, worked by hand: exports USD 200 M, revenue 150 M, GDP 1 bn, an existing external debt service of
    20 M a year and a PV of external debt of 300 M. The swap cancels 10 M a year in 2026 and 2027: debt service /
    exports falls by 10 / 200 = 0.05 to (20 - 10) / 200 = 0.05; debt service / revenue by 10 / 150 = 0.066667. At
    the end of 2026 the PV of external debt falls by the 10 M cancelled in 2027, 10 / 1.05 = 9.5238 M: 0.009524 of
    GDP, to 0.3 - 0.009524 = 0.290476; at the end of 2027 nothing cancelled is left to fall due."""
    d = _swap().model_dump(exclude_none=True)
    d["debt"] = {"capacity": "medium", "data_year": 2026, "gdp": 1e9, "exports": 2e8, "revenue": 1.5e8,
                 "external_debt_service": 2e7, "pv_external_debt": 3e8}
    dsf = run(scenario_from_dict(d)).dsf_df().set_index(["ratio", "year"])
    assert_allclose(dsf.loc[("debt_service_exports", 2026), ["plan", "total"]].to_numpy(float), [-0.05, 0.05])
    assert_allclose(dsf.loc[("debt_service_revenue", 2027), "plan"], -10 / 150)
    assert_allclose(dsf.loc[("pv_debt_gdp", 2026), ["plan", "total"]].to_numpy(float),
                    [-10e6 / 1.05 / 1e9, 0.3 - 10e6 / 1.05 / 1e9])
    assert_allclose(dsf.loc[("pv_debt_gdp", 2027), "plan"], 0.0, atol=1e-15)


def test_a_swap_of_a_loan_of_the_plan_lowers_its_service_and_raises_its_grant_element():
    """Known answer, worked by hand: ``creditor`` names the plan's loan.

    The loan pays the capex of 100 in 2026 at 5%, repaid 50 + 50 in 2027 and 2028; interest 5 and 2.5. The swap
    cancels 10 of its 2027 service, the interest first: interest 5 -> 0, principal 50 -> 45 (forgiven: the balance
    is 50 at the end of 2027 as scheduled). Debt service 45 and 52.5 (without: 55 and 52.5). The counterpart, 50% x 10
    = 5, pays 5 of the opex of 20 in 2027. Grant element at 5%: 1 - (45 / 1.05 + 52.5 / 1.05^2) / 100 =
    1 - (42.857143 + 47.619048) / 100 = 0.095238 (without: 0)."""
    sc = scenario_from_dict({
        "scenario": {"name": "Loan swap", "start_year": 2026, "years": 3, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e9},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "build", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": [2026]},
            {"item": "run", "kind": "fixed_opex", "unit_cost": 20.0}]}],
        "source": [{**_LOAN_5PCT, "eligible": ["a:capex"]},
                   {"id": "swap", "kind": "swap", "creditor": "ida", "debt_service": [0.0, 10.0, 0.0],
                    "counterpart_share": 0.5},
                   {"id": "mof", "kind": "domestic"}],
    })
    r = run(sc)
    ds = r.debt_service_df().set_index("year")
    assert_allclose(ds.loc[[2027, 2028], "interest"], [0.0, 2.5])
    assert_allclose(ds.loc[[2027, 2028], "principal"], [45.0, 50.0])
    assert_allclose(ds.loc[2027, "outstanding"], 50.0)
    fin = r.financing_df()
    assert_allclose(fin[fin["source"] == "swap"].groupby("year")["amount"].sum().reindex([2026, 2027, 2028],
                                                                                        fill_value=0.0),
                    [0.0, 5.0, 0.0])
    s = r.summary()
    assert s["total_debt_service_cancelled"] == pytest.approx(10.0)
    assert s["grant_element__ida"] == pytest.approx(1 - (45 / 1.05 + 52.5 / 1.05**2) / 100)
    assert s["grant_element__ida"] == pytest.approx(0.0952380952)


def test_a_swap_pays_only_in_its_window_and_per_year_as_written():
    r = run(_swap(service=[4e6, 8e6], first_year=2027))
    assert_allclose(_paid(r, "swap"), [0.0, 4e6])
    assert r.summary()["total_debt_service_cancelled"] == pytest.approx(8e6)


def test_a_swap_s_pledge_may_not_materialise_in_a_risk_draw():
    """A swap with ``reliability``: in a draw where the pledge does not materialise it pays nothing (its counterpart
    cap scaled by 0), in the others its counterpart."""
    from dfl_finance.inputs.uncertain import PLEDGE_MATERIALISES
    from dfl_finance.model.compile import build_model_inputs, build_source_inputs

    sc = _swap(reliability=0.5)
    src = build_source_inputs(sc, draws=2, samples={("source", 0, PLEDGE_MATERIALISES): np.array([1.0, 0.0])})
    assert_allclose(src.annual_cap[:, 0, :], [[5e6, 5e6], [0.0, 0.0]])
    inputs = build_model_inputs(sc, draws=2, samples={("source", 0, PLEDGE_MATERIALISES): np.array([1.0, 0.0])})
    assert_allclose(inputs.cancelled_service, [[10e6, 10e6], [0.0, 0.0]])


def test_a_usd_swap_in_a_local_currency_scenario_is_converted():
    """In a KES scenario at 130 KES/USD (no inflation), USD 10 M cancelled at 50% pays KES 650 M a year."""
    sc = scenario_from_dict({
        "scenario": {"name": "Swap KES", "start_year": 2026, "years": 2, "post_horizon_years": 0, "currency": "KES"},
        "macro": {"inflation": 0.0, "usd_inflation": 0.0, "fx_rate": 130.0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e12},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "build", "kind": "fixed_capex", "unit_cost": 2e9, "schedule": YEARS}]}],
        "source": [{"id": "swap", "kind": "swap", "creditor": "Spain", "debt_service": 10e6,
                    "counterpart_share": 0.5}, {"id": "mof", "kind": "domestic"}],
    })
    r = run(sc)
    assert_allclose(_paid(r, "swap"), [650e6, 650e6])
    assert r.summary()["total_debt_service_cancelled"] == pytest.approx(2 * 1300e6)


@given(service=st.lists(st.floats(0.0, 1e9), min_size=1, max_size=10), share=st.floats(0.0, 1.0))
def test_the_counterpart_is_never_more_than_the_service_cancelled(service, share):
    x = np.array([service])
    c = swap_counterpart(x, share)
    assert (c >= 0).all() and (c <= x + 1e-6).all()
    assert_allclose(x - c, (1 - share) * x, atol=1e-6)


# ------------------------------------------------------------------------------ universal service fund levy

_TWO = [{"id": "connectivity", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "links", "kind": "fixed_opex", "unit_cost": 2e6}]},
        {"id": "emis", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "system", "kind": "fixed_opex", "unit_cost": 1e6}]}]


def test_a_usf_levy_path_pays_connectivity():
    """Known answer, worked by hand.

    Telecom revenue 100 M in 2026 and 110 M in 2027, a levy of 1.5%: 0.015 x 100 M = 1.5 M and 0.015 x 110 M =
    1.65 M. Earmarked to connectivity (the programme `connectivity`, 2 M a year): it pays 1.5 M and 1.65 M of it;
    the budget pays the other 0.5 M and 0.35 M, and all of the EMIS (1 M a year)."""
    sc = _scenario([{"id": "usf", "kind": "levy", "base": [100e6, 110e6], "rate": 0.015},
                    {"id": "mof", "kind": "domestic"}], programmes=_TWO)
    assert connectivity_programmes(sc) == ["connectivity"]
    r = run(sc)
    fin = r.financing_df()
    usf = fin[fin["source"] == "usf"]
    assert set(usf["programme"]) == {"connectivity"}
    assert_allclose(_paid(r, "usf"), [1.5e6, 1.65e6])
    assert_allclose(_paid(r, "mof"), [0.5e6 + 1e6, 0.35e6 + 1e6])
    assert set(usf["source_kind"]) == {"domestic"}


def test_a_levy_s_base_is_in_current_prices():
    """Known answer: a KES scenario with 10% inflation (prices of 2026); a base of KES 100 M in 2026 and 110 M in 2027
    in current prices at 1% raises 1.0 M and 1.1 M current, 1.0 M and 1.1 / 1.1 = 1.0 M in prices of 2026."""
    sc = scenario_from_dict({
        "scenario": {"name": "Levy KES", "start_year": 2026, "years": 2, "post_horizon_years": 0, "currency": "KES"},
        "macro": {"inflation": 0.10, "usd_inflation": 0.0, "fx_rate": 130.0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e12},
        "programme": _TWO,
        "source": [{"id": "usf", "kind": "levy", "base": [100e6, 110e6], "rate": 0.01},
                   {"id": "mof", "kind": "domestic"}],
    })
    assert_allclose(_paid(run(sc), "usf"), [1e6, 1e6])


def test_a_levy_with_eligible_pays_what_it_names():
    sc = _scenario([{"id": "usf", "kind": "levy", "base": 100e6, "rate": 0.015, "eligible": ["emis"]},
                    {"id": "mof", "kind": "domestic"}], programmes=_TWO)
    fin = run(sc).financing_df()
    assert set(fin.loc[fin["source"] == "usf", "programme"]) == {"emis"}
    assert_allclose(fin.loc[fin["source"] == "usf", "amount"].sum(), 2e6)  # 1 M a year: the EMIS costs less


def test_connectivity_is_recognised_by_its_id_template_or_name():
    progs = [{"id": "school_links", "name": "School connectivity", "pillar": "infrastructure", "driver": "none",
              "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0}]},
             {"id": "sat", "template": "connectivity-satellite", "pillar": "infrastructure", "driver": "schools",
              "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0}]},
             {"id": "emis", "pillar": "infrastructure", "driver": "none",
              "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0}]}]
    sc = _scenario([{"id": "mof", "kind": "domestic"}], programmes=progs, context={
        "schools": 10, "learners": 0, "teachers": 0, "education_budget": 1e9})
    assert connectivity_programmes(sc) == ["school_links", "sat"]


@given(base=st.lists(st.floats(0.0, 1e12), min_size=1, max_size=10), rate=st.floats(0.0, 1.0))
def test_a_levy_is_linear_in_its_base(base, rate):
    b = np.array([base])
    assert_allclose(levy_yield(2 * b, rate), 2 * levy_yield(b, rate), rtol=1e-12, atol=1e-9)
    assert (levy_yield(b, rate) <= b + 1e-6).all()


# ------------------------------------------------------------------------------ guarantees

_COMMERCIAL = {"id": "bank", "kind": "loan", "rate": 0.08, "grace_years": 0, "maturity_years": 2,
               "repayment": "linear", "commitment": 100.0, "first_year": 2026, "last_year": 2026}


def test_a_guaranteed_loan_s_rate_and_service():
    """Known answer, worked by hand.

    A commercial loan of 100 in 2026 at 8%, repaid 50 and 50 in 2027 and 2028. IDA guarantees 80% of it for a fee of
    0.5% a year on the guaranteed balance, and the lender lends at 4% with the guarantee. Interest at 4%: 4% x 100 =
    4 in 2027, 4% x 50 = 2 in 2028; fee 0.5% x 80% x 100 = 0.4, then 0.5% x 80% x 50 = 0.2. Debt service 54.4 and
    52.2 (without the guarantee, at 8%: 58 and 54). Guaranteed balance: 80% x 100 = 80 at the end of 2026, 40 at the
    end of 2027, 0 after: the peak is 80, a contingent liability of IDA; the country owes the whole loan (its
    outstanding is 100, then 50).

    Grant element at 5%: 1 - (54.4 / 1.05 + 52.2 / 1.05^2) / 100 = 1 - (51.809524 + 47.346939) / 100 = 0.008435."""
    r = run(_scenario([{**_COMMERCIAL, "guarantee": {"by": "IDA", "share": 0.8, "fee": 0.005, "rate": 0.04}},
                       {"id": "mof", "kind": "domestic"}]))
    ds = r.debt_service_df().set_index("year")
    assert_allclose(ds.loc[[2027, 2028], "interest"], [4.0, 2.0])
    assert_allclose(ds.loc[[2027, 2028], "fees"], [0.4, 0.2])
    assert_allclose(ds.loc[[2026, 2027], "outstanding"], [100.0, 50.0])
    assert_allclose(r.fiscal_df().set_index("year").loc[[2027, 2028], "debt_service"], [54.4, 52.2])
    s = r.summary()
    assert s["peak_guaranteed_outstanding"] == pytest.approx(80.0)
    assert s["grant_element__bank"] == pytest.approx(1 - (54.4 / 1.05 + 52.2 / 1.05**2) / 100)
    assert s["grant_element__bank"] == pytest.approx(0.0084353741)
    without = run(_scenario([_COMMERCIAL, {"id": "mof", "kind": "domestic"}]))
    assert_allclose(without.fiscal_df().set_index("year").loc[[2027, 2028], "debt_service"], [58.0, 54.0])
    assert without.summary()["peak_guaranteed_outstanding"] == 0
    # the DSF view (GDP 1,000 a year): the guaranteed part is a memo row, the guarantor's; the country's PV of debt
    # and its debt service are the whole loan's
    d = r.scenario.model_dump(exclude_none=True)
    d["debt"] = {"gdp": 1000.0, "exports": 200.0, "revenue": 150.0}
    dsf = run(scenario_from_dict(d)).dsf_df().set_index(["ratio", "year"])
    assert_allclose(dsf.loc[("guaranteed_gdp", 2026), "plan"], 0.08)
    assert_allclose(dsf.loc[("guaranteed_gdp", 2027), "plan"], 0.04)
    assert_allclose(dsf.loc[("debt_service_exports", 2027), "plan"], 54.4 / 200)
    assert "guaranteed_gdp" not in set(run(scenario_from_dict({**d, "source": [
        _COMMERCIAL, {"id": "mof", "kind": "domestic"}]})).dsf_df()["ratio"])


@given(rate=st.floats(0.0, 0.3), share=st.floats(0.01, 1.0), fee=st.floats(0.0, 0.1),
       balance=st.lists(st.floats(0.0, 1e9), min_size=1, max_size=20))
def test_a_guarantee_s_charge_splits_into_interest_at_the_rate_and_the_fee(rate, share, fee, balance):
    """The charge ``(rate + share x fee) x balance`` splits into ``rate x balance`` (interest) and ``share x fee x
    balance`` (the fee), nothing created or lost."""
    b = np.array([balance])
    charge_rate = guarantee_charge(np.array([rate]), share, fee)
    interest, fees = split_guarantee_fee(charge_rate[:, None] * b, charge_rate, np.array([share * fee]))
    assert_allclose(interest + fees, charge_rate[:, None] * b, rtol=1e-12, atol=1e-6)
    assert_allclose(interest, rate * b, rtol=1e-9, atol=1e-6)
    assert_allclose(fees, share * fee * b, rtol=1e-9, atol=1e-6)


# ------------------------------------------------------------------- one broken fixture per validation error

_GRANT = {"id": "gpe", "kind": "grant"}


@pytest.mark.parametrize("sources, path, words, value", [
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"rate": 0.01}}], "source[1].buy_down.by", "names the grant", None),
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"by": "nope", "rate": 0.01}}], "source[1].buy_down.by",
     "no source with this id", "nope"),
    ([{"id": "mof", "kind": "domestic"}, {**_LOAN_5PCT, "buy_down": {"by": "mof", "rate": 0.01}}],
     "source[1].buy_down.by", "source[0] is a domestic source", "mof"),
    ([{**_GRANT, "currency": "KES"}, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.01}}],
     "source[1].buy_down.by", "the loan is in USD and the grant in KES", "gpe"),
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"by": "gpe"}}], "source[1].buy_down.rate", "gives the rate", None),
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.06}}], "source[1].buy_down.rate",
     "below the loan's rate (0.05)", 0.06),
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.01, "loan": "ida"}}], "source[1].buy_down.loan",
     "written on the grant's side", "ida"),
    ([_GRANT, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.01, "share": 0.5}}], "source[1].buy_down.share",
     "written on the grant's side", 0.5),
    ([{**_GRANT, "eligible": ["a"]}, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.01}}],
     "source[0].eligible", "not cost cells", ["a"]),
    ([{**_GRANT, "buy_down": {"share": 0.5}}, _LOAN_5PCT], "source[0].buy_down.loan", "names the loan", None),
    ([{**_GRANT, "buy_down": {"loan": "ida", "rate": 0.01}}, _LOAN_5PCT], "source[0].buy_down.rate",
     "written on the loan's side", 0.01),
    ([{**_GRANT, "buy_down": {"loan": "ida"}}, {**_LOAN_5PCT, "buy_down": {"by": "gpe", "rate": 0.01}}],
     "source[1].buy_down.by", "already buys down a loan", "gpe"),
    ([{"id": "swap", "kind": "swap", "debt_service": 1.0, "counterpart_share": 0.5}], "source[0].creditor",
     "a swap needs creditor", None),
    ([{"id": "swap", "kind": "swap", "creditor": "Spain", "debt_service": [1.0], "counterpart_share": 0.5}],
     "source[0].debt_service", "one per projection year", [1.0]),
    ([{"id": "swap", "kind": "swap", "creditor": "Spain", "debt_service": 1.0, "counterpart_share": 0.5,
       "annual_cap": 3.0}], "source[0].annual_cap", "not a cap", 3.0),
    ([{"id": "swap", "kind": "swap", "creditor": "mof", "debt_service": 1.0, "counterpart_share": 0.5},
      {"id": "mof", "kind": "domestic"}], "source[0].creditor", "names a domestic source", "mof"),
    ([{"id": "swap", "kind": "swap", "creditor": "ida", "debt_service": 1.0, "counterpart_share": 0.5,
       "currency": "KES"}, _LOAN_5PCT], "source[0].creditor", "the loan is in USD and the swap in KES", "ida"),
    ([{"id": "mof", "kind": "domestic", "counterpart_share": 0.5}], "source[0].counterpart_share",
     "only swap sources", 0.5),
    ([{"id": "usf", "kind": "levy", "base": 1.0}], "source[0].rate", "a levy needs base", None),
    ([{"id": "usf", "kind": "levy", "base": [1.0, 2.0, 3.0], "rate": 0.01}], "source[0].base",
     "one per projection year", [1.0, 2.0, 3.0]),
    ([{"id": "usf", "kind": "levy", "base": 1.0, "rate": 0.01}], "source[0].eligible",
     "no connectivity programme", None),
    ([{"id": "mof", "kind": "domestic", "base": 1.0}], "source[0].base", "only levy sources", 1.0),
    ([{**_COMMERCIAL, "guarantee": {"by": "IDA", "share": 0.5, "rate": 0.09}}], "source[0].guarantee.rate",
     "below the loan's rate without the guarantee (0.08)", 0.09),
    ([_GRANT, {**_COMMERCIAL, "guarantee": {"by": "IDA", "share": 0.5, "rate": 0.04},
               "buy_down": {"by": "gpe", "rate": 0.01}}], "source[1].guarantee", "cannot also be bought down", None),
    ([{"id": "mof", "kind": "domestic", "guarantee": {"by": "IDA", "share": 0.5, "rate": 0.04}}],
     "source[0].guarantee", "only loan sources", None),
])
def test_each_new_validation_error_names_the_field_and_the_value(sources, path, words, value):
    extra = {}
    if any(s.get("currency") == "KES" for s in sources):
        extra = {"scenario": {"name": "Instruments", "start_year": 2026, "years": 2, "post_horizon_years": 0,
                              "currency": "KES"},
                 "macro": {"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 130.0}}
    with pytest.raises(ScenarioError) as exc:
        _scenario(sources, **extra)
    found = {p.path: p for p in exc.value.problems}
    assert path in found, [p.format() for p in exc.value.problems]
    assert words in found[path].message, found[path].message
    if value is not None:
        assert found[path].value == value
    assert path in str(exc.value)


@pytest.mark.parametrize("source", [
    {"id": "swap", "kind": "swap", "creditor": "Spain", "debt_service": 1.0, "counterpart_share": 1.5},
    {"id": "swap", "kind": "swap", "creditor": "Spain", "debt_service": -1.0, "counterpart_share": 0.5},
    {"id": "usf", "kind": "levy", "base": -1.0, "rate": 0.01},
    {**_COMMERCIAL, "guarantee": {"by": "IDA", "share": 0.0, "rate": 0.04}},
    {**_COMMERCIAL, "guarantee": {"by": "IDA", "share": 0.5, "fee": 0.5, "rate": 0.04}},
])
def test_each_new_field_refuses_a_value_out_of_range(source):
    with pytest.raises(ScenarioError) as exc:
        _scenario([source])
    assert "source[0]" in str(exc.value)


# ------------------------------------------------------------------------------ the bundled Kenya options

def test_the_kenya_instrument_options_run_and_each_uses_its_instrument():
    """scenarios/instruments/: one Kenya option per instrument, the plan of the bundled Kenya options unchanged."""
    from dfl_finance import load_scenario
    from tests.conftest import ROOT

    folder = ROOT / "scenarios" / "instruments"
    plan = run(load_scenario(ROOT / "scenarios" / "kenya-domestic.toml")).summary()["total_cost"]
    got = {p.stem: run(load_scenario(p)) for p in sorted(folder.glob("*.toml"))}
    assert set(got) == {"kenya-ida-buy-down", "kenya-debt-swap", "kenya-usf-levy", "kenya-guaranteed-loan"}
    for r in got.values():
        assert r.summary()["total_cost"] == pytest.approx(plan)  # the same plan, the same uncertain rows
    assert got["kenya-ida-buy-down"].summary()["total_interest_bought_down"] > 0
    ge = run(load_scenario(ROOT / "scenarios" / "kenya-ida-gpe.toml")).summary()["grant_element__ida"]
    assert got["kenya-ida-buy-down"].summary()["grant_element__ida"] > ge
    swap = got["kenya-debt-swap"]
    assert swap.summary()["total_debt_service_cancelled"] > 0
    fin = swap.financing_df()
    counterpart = fin.loc[fin["source"] == "swap", "amount"].sum()
    assert counterpart <= 0.5 * swap.summary()["total_debt_service_cancelled"] + 1.0
    fin = got["kenya-usf-levy"].financing_df()
    assert set(fin.loc[(fin["source"] == "usf") & (fin["amount"] > 0), "programme"]) == {"connectivity"}
    assert got["kenya-guaranteed-loan"].summary()["peak_guaranteed_outstanding"] > 0


def test_the_app_s_sources_table_keeps_the_instruments():
    """A table edit in the app keeps a swap's, a levy's, a guarantee's and a loan-side buy-down's fields as they were
    (they are not columns of the sources table: HIDDEN_SOURCE_FIELDS)."""
    from dfl_finance import load_scenario
    from dfl_finance.app.editing import scenario_from_tables, tables_of
    from tests.conftest import ROOT

    for path in sorted((ROOT / "scenarios" / "instruments").glob("*.toml")):
        sc = load_scenario(path)
        progs, lines, sources = tables_of(sc)
        assert scenario_from_tables(sc, progs, lines, sources).source == sc.source, path.name


def test_the_delay_stress_leaves_a_buy_down_grant_s_window_alone():
    """The delay stress moves every grant's and loan's window; a buy-down grant has none (it pays the interest as
    it falls due), on either side, so the stressed scenario stays valid and only the loan moves."""
    from dfl_finance.studies.risk.stress import delay

    for sc in (_loan_side(), _scenario([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida", "share": 0.8}},
                                        _LOAN_5PCT, {"id": "mof", "kind": "domestic"}])):
        stressed = delay(sc, years=1)
        gpe, ida = stressed.source[0], stressed.source[1]
        assert (gpe.first_year, gpe.last_year) == (None, None)
        assert ida.first_year == 2027

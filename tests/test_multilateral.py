"""Multilateral rules as the partners apply them (issue 22; docs/method.md, *Multilateral rules*): IDA's terms by
lending category, GPE's match on commitments under an allocation ceiling, a GPE grant as an interest buy-down, and
GPE's domestic-financing requirement (education's share of public expenditure against 20%)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance import ScenarioError, load_scenario, run, scenario_from_dict, scenario_warnings
from dfl_finance.engine.loans import ServiceTerms, bought_down
from dfl_finance.inputs.profiles import country_profiles
from dfl_finance.inputs.rules import partner_of
from dfl_finance.model.compile import build_model_inputs
from tests.conftest import ROOT

YEARS = [2026, 2027, 2028, 2029]


def _scenario(sources, years=4, budget=1e6, **extra):
    """A USD scenario (no prices: every amount as written) with one programme of fixed capex of 100 a year."""
    return scenario_from_dict({
        "scenario": {"name": "Rules", "start_year": 2026, "years": years, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": budget,
                    **extra.pop("context", {})},
        "programme": [{"id": "a", "pillar": "infrastructure", "driver": "none", "cost": [
            {"item": "build", "kind": "fixed_capex", "unit_cost": 100.0, "schedule": YEARS[:years]}]}],
        "source": sources,
        **extra,
    })


def _paid(result, source):
    df = result.financing_df()
    return df[df["source"] == source].groupby("year")["amount"].sum().reindex(YEARS[:4], fill_value=0.0).to_numpy()


# ------------------------------------------------------------------------- IDA's terms by lending category

def test_the_profiles_say_the_lending_category_and_kenya_is_a_blend_country():
    profiles = country_profiles()
    assert profiles["KEN"].values["lending_category"].value == "blend"
    assert profiles["RWA"].values["lending_category"].value == "ida-only"
    sc = load_scenario(ROOT / "scenarios/kenya-ida-gpe.toml")
    assert sc.debt.lending_category == "blend"


def test_the_bundled_kenya_option_borrows_from_ida_on_blend_terms():
    sc = load_scenario(ROOT / "scenarios/kenya-ida-gpe.toml")
    ida = next(s for s in sc.source if s.id == "ida")
    # IDA21 blend terms: 25 years, 5 of grace, 5% a year in years 6-25, 2.18% in USD
    assert (ida.kind, ida.terms, ida.rate, ida.grace_years, ida.maturity_years) == (
        "loan", "ida21-blend-fixed", 0.0218, 5, 25)
    assert not [w for w in scenario_warnings(sc) if w.path.startswith("source")]


def _kenya(source):
    raw = load_scenario(ROOT / "scenarios/kenya-ida-gpe.toml").model_dump(exclude_none=True)
    raw["source"] = [s for s in raw["source"] if s["id"] != "ida"] + [source]
    return scenario_from_dict(raw)


def test_an_ida_grant_to_a_blend_country_is_a_warning_naming_the_rule():
    sc = _kenya({"id": "ida", "name": "IDA grant", "kind": "grant", "commitment": 250e6})
    (w,) = [w for w in scenario_warnings(sc) if w.path.startswith("source")]
    assert w.path == "source[2].kind" and w.value == "grant"
    assert "blend countries" in w.message and "no grants" in w.message and "ida21-blend-fixed" in w.message


def test_an_ida_credit_on_other_than_blend_terms_to_a_blend_country_is_a_warning():
    sc = _kenya({"id": "ida", "kind": "loan", "terms": "ida21-regular", "commitment": 250e6})
    (w,) = [w for w in scenario_warnings(sc) if w.path.startswith("source")]
    assert w.path == "source[2].terms" and w.value == "ida21-regular"


def test_an_ida_grant_to_an_ida_only_country_is_no_warning():
    raw = load_scenario(ROOT / "scenarios/rwanda-grants-gpe.toml").model_dump(exclude_none=True)
    raw["source"].append({"id": "ida_grant", "kind": "grant", "commitment": 1e6})
    assert not [w for w in scenario_warnings(scenario_from_dict(raw)) if w.path.startswith("source")]


@pytest.mark.parametrize("source, partner", [
    ({"id": "ida", "kind": "grant"}, "ida"),
    ({"id": "ida_credit", "kind": "grant"}, "ida"),
    ({"id": "wb", "name": "IDA grant", "kind": "grant"}, "ida"),
    ({"id": "gpe_match", "kind": "grant"}, "gpe"),
    ({"id": "idaho", "kind": "grant"}, "other"),
    ({"id": "ida", "kind": "grant", "partner": "other"}, "other"),
])
def test_the_partner_is_the_field_else_a_word_of_the_id_or_name(source, partner):
    assert partner_of(_scenario([source]).source[0]) == partner


# ------------------------------------------------------------------ GPE: the match assessed on commitments

def test_a_gpe_commitment_ceiling_binds():
    """Known answer. The cost is 100 a year for 4 years (400). IDA (a grant here, to keep the arithmetic plain) is
    committed at 90 and pays after GPE; GPE's match is 1:3 on commitments under an allocation of 50:

        ceiling = min(allocation 50, 1/3 x 90 = 30) = 30

    GPE pays first (priority 0), so it pays 30 in the first year (its whole ceiling: nothing holds it to a third of
    what IDA pays that year), IDA 70 then 20 (its 90), the budget the rest. On the yearly basis GPE could pay at
    most 1/3 of IDA's payment in the same year: 0 in 2026 (IDA pays after it: the fixed point gives GPE 25 and IDA
    75), and so on."""
    sources = [
        {"id": "gpe", "kind": "grant", "priority": 0, "allocation": 50.0,
         "match": {"sources": ["ida"], "ratio": 1 / 3, "basis": "commitments"}},
        {"id": "ida", "kind": "grant", "priority": 1, "commitment": 90.0},
        {"id": "mof", "kind": "domestic"},
    ]
    r = run(_scenario(sources))
    assert_allclose(_paid(r, "gpe"), [30.0, 0.0, 0.0, 0.0])
    assert_allclose(_paid(r, "ida"), [70.0, 20.0, 0.0, 0.0])
    assert_allclose(_paid(r, "mof"), [0.0, 80.0, 100.0, 100.0])
    inputs = build_model_inputs(_scenario(sources))
    assert inputs.sources.commitment[0, 0] == pytest.approx(30.0) and inputs.sources.match_ratio[0] == 0.0
    # the allocation binds instead when the matched commitment is larger: min(50, 1/3 x 300) = 50
    sources[1]["commitment"] = 300.0
    assert _paid(run(_scenario(sources)), "gpe").sum() == pytest.approx(50.0)
    # the yearly basis (today's rule, the default) holds GPE to a third of IDA's payment in each year
    sources[0]["match"] = {"sources": ["ida"], "ratio": 1 / 3}
    sources[1]["commitment"] = 90.0
    yearly = run(_scenario(sources))
    gpe, ida = _paid(yearly, "gpe"), _paid(yearly, "ida")
    assert (gpe <= ida / 3 + 1e-9).all() and gpe[0] == pytest.approx(25.0)


def test_a_match_on_commitments_counts_a_pledge_only_where_it_materialises():
    from dfl_finance.inputs.uncertain import PLEDGE_MATERIALISES

    sources = [
        {"id": "gpe", "kind": "grant", "allocation": 50.0,
         "match": {"sources": ["ida"], "ratio": 1 / 3, "basis": "commitments"}},
        {"id": "ida", "kind": "grant", "commitment": 90.0, "reliability": 0.5},
    ]
    samples = {("source", 1, PLEDGE_MATERIALISES): np.array([1.0, 0.0])}
    inputs = build_model_inputs(_scenario(sources), draws=2, samples=samples)
    assert_allclose(inputs.sources.commitment[:, 0], [30.0, 0.0])


def test_the_bundled_gpe_grants_are_matched_on_commitments():
    """GPE assesses its Multiplier and Match on the co-financiers' commitments: every bundled GPE grant says so, and
    the default (``yearly``) is left for other partners' rules."""
    gpe = [s for p in sorted((ROOT / "scenarios").glob("*.toml")) for s in load_scenario(p).source
           if s.match is not None]
    assert len(gpe) == 3 and all(s.match.basis == "commitments" for s in gpe)


# ---------------------------------------------------------------------------------- GPE as an interest buy-down

def _buy_down_scenario(share=0.5, cap=6.0, **gpe):
    """A loan of 100 disbursed in 2026 at 10%, repaid in equal halves in 2027 and 2028 (grace 0, maturity 2); a GPE
    grant buys down ``share`` of its interest up to ``cap``."""
    return _scenario([
        {"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida", "share": share},
         **({"commitment": cap} if cap is not None else {}), **gpe},
        {"id": "ida", "kind": "loan", "rate": 0.10, "grace_years": 0, "maturity_years": 2, "repayment": "linear",
         "commitment": 100.0, "first_year": 2026, "last_year": 2026},
        {"id": "mof", "kind": "domestic"},
    ], years=2)


def test_a_buy_down_lowers_the_interest_the_burden_and_raises_the_grant_element():
    """Known answer, worked by hand.

    The loan disburses 100 in 2026 (the cost of 2026); the cost of 2027 falls on the budget. Interest: 10% x 100 =
    10 in 2027, 10% x 50 = 5 in 2028; principal 50 and 50. GPE pays half the interest up to 6: 5 in 2027, then the
    1 it has left in 2028 (not 2.5). The government pays interest 10 - 5 = 5 in 2027 and 5 - 1 = 4 in 2028: debt
    service 55 and 54 (without the buy-down 60 and 55).

    Grant element at 5%: 1 - (55 / 1.05 + 54 / 1.05^2) / 100 = 1 - (52.380952 + 48.979592) / 100 = -0.013605
    (without: 1 - (57.142857 + 49.886621) / 100 = -0.070295). GPE pays no cost cell."""
    r = run(_buy_down_scenario())
    ds = r.debt_service_df().set_index("year")
    assert_allclose(ds.loc[[2027, 2028], "interest"], [5.0, 4.0])
    assert_allclose(ds.loc[[2027, 2028], "principal"], [50.0, 50.0])
    fiscal = r.fiscal_df().set_index("year")
    assert_allclose(fiscal.loc[[2027, 2028], "debt_service"], [55.0, 54.0])
    s = r.summary()
    assert s["grant_element__ida"] == pytest.approx(1 - (55 / 1.05 + 54 / 1.05**2) / 100)
    assert s["grant_element__ida"] == pytest.approx(-0.0136054422)
    assert s["total_interest_bought_down"] == pytest.approx(6.0)
    assert s["total_debt_service"] == pytest.approx(109.0)
    assert "gpe" not in set(r.financing_df()["source"])
    without = run(_scenario([s_ for s_ in _buy_down_scenario().model_dump(exclude_none=True)["source"]
                             if s_["id"] != "gpe"], years=2)).summary()
    assert without["grant_element__ida"] == pytest.approx(1 - (60 / 1.05 + 55 / 1.05**2) / 100)
    assert without["total_interest_bought_down"] == 0  # (there whatever the sources: a sweep's cases share columns)


def test_a_buy_down_without_a_cap_pays_its_share_of_every_year_of_interest():
    r = run(_buy_down_scenario(share=1.0, cap=None))
    ds = r.debt_service_df().set_index("year")
    assert_allclose(ds.loc[[2027, 2028], "interest"], [0.0, 0.0])
    assert r.summary()["grant_element__ida"] == pytest.approx(1 - (50 / 1.05 + 50 / 1.05**2) / 100)
    assert r.summary()["total_interest_bought_down"] == pytest.approx(15.0)


def test_the_net_envelope_deducts_the_debt_service_net_of_the_buy_down():
    """ServiceTerms (the waterfall's view of a loan, for the net envelope) gives the same payments as the debt
    service the run reports: interest net of the buy-down."""
    inputs = build_model_inputs(_buy_down_scenario())
    (bd,) = inputs.buy_downs
    spec = inputs.loans[0]
    terms = ServiceTerms(spec.source, spec.profile, spec.rate, 0.0, 0.0, inputs.sources.commitment[:, 1],
                         np.ones(3, dtype=bool), np.ones((3, 1)), bd.share, bd.cap)
    disbursed = np.array([[100.0], [0.0], [0.0]])
    assert_allclose(terms.payments(disbursed)[:, 0], [0.0, 55.0, 54.0])


@given(interest=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=30),
       share=st.floats(0.01, 1.0), cap=st.one_of(st.just(np.inf), st.floats(0.0, 1e7)))
def test_a_buy_down_pays_its_share_until_its_cap_and_never_more(interest, share, cap):
    x = np.array([interest])
    paid = bought_down(x, np.array([share]), np.array([cap]))
    assert (paid >= 0).all() and (paid <= share * x + 1e-9).all()
    assert paid.sum() == pytest.approx(min(cap, share * x.sum()), rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------- GPE's domestic-financing requirement

def test_the_education_share_comes_from_the_profile_and_is_checked_against_20_percent():
    """Known answer: Kenya's education sector Sh 656.6 bn of total budget estimates of Sh 3,920 bn (FY2024/25):
    656.6 / 3920 = 0.1675, below GPE's 20%. Rwanda: Rwf 792.7 bn of Rwf 5,690 bn = 0.139315."""
    ken = load_scenario(ROOT / "scenarios/kenya-ida-gpe.toml")
    assert ken.context.education_share == pytest.approx(656.6 / 3920)
    (w,) = [w for w in scenario_warnings(ken) if w.path == "context.education_share"]
    assert "16.8%" in w.message and "20%" in w.message and "GPE" in w.message
    assert run(ken).summary()["education_expenditure_share"] == pytest.approx(0.1675)
    rwa = load_scenario(ROOT / "scenarios/rwanda-grants-gpe.toml")
    assert rwa.context.education_share == pytest.approx(792.7 / 5690)


def test_the_check_is_for_scenarios_with_a_gpe_source():
    sc = load_scenario(ROOT / "scenarios/kenya-domestic.toml")
    assert not [w for w in scenario_warnings(sc) if w.path == "context.education_share"]
    # the share is reported for any plan (a yardstick), the warning only where GPE's rule applies
    assert run(sc).summary()["education_expenditure_share"] == pytest.approx(0.1675)


def test_a_share_at_or_above_20_percent_passes_and_an_unknown_one_is_said():
    gpe = [{"id": "gpe", "kind": "grant", "commitment": 10.0}]
    assert not scenario_warnings(_scenario(gpe, context={"education_share": 0.2}))
    (w,) = scenario_warnings(_scenario(gpe))
    assert w.path == "context.education_share" and "cannot be checked" in w.message


# ------------------------------------------------------------------- one broken fixture per validation error

_LOAN = {"id": "ida", "kind": "loan", "rate": 0.02, "grace_years": 1, "maturity_years": 3, "repayment": "linear"}


@pytest.mark.parametrize("sources, path, words, value", [
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "nope"}}, _LOAN],
     "source[0].buy_down.loan", "no source with this id", "nope"),
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "other"}}, {"id": "other", "kind": "grant"}],
     "source[0].buy_down.loan", "source[1] is a grant source", "other"),
    ([{"id": "gpe", "kind": "grant", "currency": "KES", "buy_down": {"loan": "ida"}}, _LOAN],
     "source[0].buy_down.loan", "the loan is in USD and the grant in KES", "ida"),
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida"}},
      {"id": "gpe2", "kind": "grant", "buy_down": {"loan": "ida"}}, _LOAN],
     "source[1].buy_down.loan", "already buys down", "ida"),
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida"}, "eligible": ["a"]}, _LOAN],
     "source[0].eligible", "not cost cells", ["a"]),
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida"}, "first_year": 2027}, _LOAN],
     "source[0].first_year", "not cost cells", 2027),
    ([{"id": "gpe", "kind": "grant", "buy_down": {"loan": "ida"}, "match": {"sources": ["ida"], "ratio": 0.5}},
      {**_LOAN, "commitment": 10.0}],
     "source[0].match.basis", "assessed on commitments", "yearly"),
    ([{"id": "gpe", "kind": "grant", "match": {"sources": ["ida"], "ratio": 0.5, "basis": "commitments"}},
      {"id": "ida", "kind": "grant"}],
     "source[0].match.sources[0]", "needs the commitment of every matched source", "ida"),
    ([{"id": "gpe", "kind": "grant", "match": {"sources": ["mof"], "ratio": 0.5, "basis": "commitments"}},
      {"id": "mof", "kind": "domestic", "commitment": 10.0}],
     "source[0].match.sources[0]", "in the grant's currency (USD); source[1] is in KES", "mof"),
    ([{**_LOAN, "allocation": 10.0}], "source[0].allocation", "only grant sources have this field", 10.0),
    ([{"id": "mof", "kind": "domestic", "buy_down": {"loan": "mof"}}], "source[0].buy_down",
     "only grant sources have this field", {"loan": "mof", "share": 1.0, "by": None, "rate": None}),
])
def test_each_new_validation_error_names_the_field_and_the_value(sources, path, words, value):
    extra = {}
    if any(s.get("currency") == "KES" or s["id"] == "mof" for s in sources):
        extra = {"scenario": {"name": "Rules", "start_year": 2026, "years": 4, "post_horizon_years": 0,
                              "currency": "KES"},
                 "macro": {"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 130.0}}
    with pytest.raises(ScenarioError) as exc:
        _scenario(sources, **extra)
    found = {p.path: p for p in exc.value.problems}
    assert path in found, [p.format() for p in exc.value.problems]
    got = found[path].value
    assert words in found[path].message and (got.model_dump() if hasattr(got, "model_dump") else got) == value
    assert path in str(exc.value)


@pytest.mark.parametrize("field, value", [("buy_down", {"loan": "ida", "share": 0.0}),
                                          ("allocation", -1.0),
                                          ("partner", "imf")])
def test_each_new_field_refuses_a_value_out_of_range(field, value):
    with pytest.raises(ScenarioError) as exc:
        _scenario([{"id": "gpe", "kind": "grant", field: value}, _LOAN])
    assert any(p.path.startswith(f"source[0].{field}") for p in exc.value.problems)

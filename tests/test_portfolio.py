"""A donor's portfolio: a two-country fund by hand, the allocation's properties, the pooled discount, bad files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, load_scenario, run, save_scenario, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.inputs.profiles import observed_fx
from dfl_finance.studies.portfolio import REACH_COLUMNS, allocate_envelope, load_portfolio, run_portfolio, with_fund
from tests.conftest import ROOT, one_year_plan, write_portfolio


def _country(name, cost, learners=1000):
    """A USD plan of one year: a lump sum of ``cost`` and a domestic budget that pays 100 of it."""
    return scenario_from_dict(one_year_plan(name, cost, learners))


def _portfolio(tmp_path, envelope, rule="need", extra="", costs=(400.0, 200.0)):
    return write_portfolio(tmp_path, {"A": _country("A", costs[0], 1000), "B": _country("B", costs[1], 3000)},
                           f'envelope = {envelope}\nrule = "{rule}"\n{extra}')


def test_a_proportional_fund_for_two_countries_by_hand(tmp_path):
    # A costs 400 and its budget pays 100: need 300; B costs 200: need 100. A fund of 200 by need: 150 and 50.
    r = run_portfolio(load_portfolio(_portfolio(tmp_path, 200.0)))
    alloc = r.allocation_df().set_index("country")
    assert alloc["need"].to_dict() == {"A": 300.0, "B": 100.0}
    assert alloc["share"].to_dict() == pytest.approx({"A": 150.0, "B": 50.0})
    assert alloc["gap_after"].to_dict() == pytest.approx({"A": 150.0, "B": 50.0})
    # per-country results equal running each country alone with its share
    alone = run(with_fund(_country("A", 400.0), r.portfolio.fund, 150.0))
    assert alone.summary() == r.after[0].summary()
    tables = r.tables()
    assert set(tables["financing"]["country"]) == {"A", "B"}
    paid = tables["financing"].query("source == 'fund'").groupby("country")["amount"].sum()
    assert paid.to_dict() == pytest.approx({"A": 150.0, "B": 50.0})
    eq = r.equity_df().set_index("country")
    assert eq.loc["A", "gap_per_learner"] == pytest.approx(0.15) and eq.loc["B", "fund_per_learner"] == \
        pytest.approx(50.0 / 3000)
    assert eq["marginal_gap_closed_per_usd"].tolist() == pytest.approx([1.0, 1.0])  # each USD more closes a USD


def test_a_fund_larger_than_the_need_gives_each_its_need_and_per_learner_caps_at_need(tmp_path):
    r = run_portfolio(load_portfolio(_portfolio(tmp_path, 1000.0)))
    assert r.share.tolist() == pytest.approx([300.0, 100.0])
    # per learner: 0.2 USD each asks 200 for A and 600 for B (B's capped at its need of 100). 250 in proportion to
    # 200 : 600 is 62.5 and 187.5; B takes its 100, and the 87.5 it cannot take go to A: 150 and 100
    r = run_portfolio(load_portfolio(_portfolio(tmp_path, 250.0, "per-learner", "per_learner = 0.2")))
    assert r.share.tolist() == pytest.approx([150.0, 100.0])


def test_a_pooled_discount_lowers_the_need(tmp_path):
    spec = _portfolio(tmp_path, 0.0, extra='[[pooled]]\nitem = "satellite terminal"\ndiscount = 0.25\n'
                      'source = "PLACEHOLDER: a test"')
    r = run_portfolio(load_portfolio(spec))
    assert r.need.tolist() == pytest.approx([400 * 0.75 - 100, 200 * 0.75 - 100])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=8), st.floats(0, 5e6),
       st.floats(0, 1e5), st.floats(1e5, 1e7))
# a need far below the envelope's dust (1e-9 of it) was left unpaid: the dust is now of what is to give
@example([(0.0, 6.1e-05)], 61036.0, 0.0, 100000.0)
def test_the_shares_add_up_to_the_envelope_or_the_need_and_never_exceed_a_need(rows, envelope, floor, ceiling):
    basis = np.array([b for b, _ in rows])
    need = np.array([n for _, n in rows])
    low = np.minimum(floor, need)
    if low.sum() > envelope * (1 + 1e-12):  # the floors' sum is compared with the rule's tolerance for rounding
        with pytest.raises(ValueError):
            allocate_envelope(basis, need, envelope, floor, ceiling)
        return
    share = allocate_envelope(basis, need, envelope, floor, ceiling)
    cap = np.minimum(need, ceiling)
    assert (share <= cap + 1e-6).all() and (share >= low - 1e-6).all()
    assert share.sum() == pytest.approx(min(envelope, cap.sum()), rel=1e-9, abs=1e-6)


def test_a_country_that_fails_validation_is_named_and_the_others_checked(tmp_path, capsys):
    spec = _portfolio(tmp_path, 100.0)
    (tmp_path / "B.toml").write_text((tmp_path / "B.toml").read_text().replace("learners = 3000", "learners = -1"),
                                     encoding="utf-8")
    spec.write_text(spec.read_text().replace('rule = "need"', 'rule = "greed"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    text = str(info.value)
    assert f"{(tmp_path / 'B.toml').resolve()}: context.learners" in text and "fund.rule" in text
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("name, words", [
    ("missing.toml", "missing.toml: file not found"),
    (".", "is a folder, not a scenario file"),
    ("portfolio.toml", "portfolio.toml: this is a portfolio file, not a scenario"),
])
def test_a_country_whose_scenario_file_cannot_be_read_is_named_by_its_row(tmp_path, capsys, name, words):
    """A [[country]] naming a file that is missing, a folder or not a scenario was reported by that file alone,
    without the portfolio file and the row that names it (found by tests/test_fuzz_inputs.py, issue 26)."""
    spec = _portfolio(tmp_path, 100.0)
    spec.write_text(spec.read_text().replace('scenario = "B.toml"', f'scenario = "{name}"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: country[1].scenario" and problem.value == name and words in problem.message
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}: country[1].scenario: ") and f"(got '{name}')" in err


@pytest.mark.parametrize("pooled, field, words", [
    ("pooled = -inf", "pooled", "a list of [[pooled]] tables"),
    ("pooled = { item = \"satellite terminal\" }", "pooled", "a list of [[pooled]] tables"),
    ("[[pooled]]\nitem = \"satellite terminal\"\ndiscount = false\nsource = \"PLACEHOLDER: x\"", "pooled[0].discount",
     "a share of the unit cost"),
])
def test_pooled_discounts_that_are_not_a_list_of_tables_are_named(tmp_path, capsys, pooled, field, words):
    """``pooled = -inf`` ended in a traceback (a TypeError; found by tests/test_fuzz_inputs.py), and a discount of
    false was taken as 0 (issue 26)."""
    spec = _portfolio(tmp_path, 100.0)
    spec.write_text(f"{pooled}\n" + spec.read_text() if not pooled.startswith("[[") else
                    spec.read_text() + f"\n{pooled}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: {field}" and words in problem.message
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"{spec}: {field}: ")


@pytest.mark.parametrize("where, field", [("weight = 1e300", "country[0].weight"),
                                          ("group_weights = { low = 1e300 }", "fund.group_weights.low")])
def test_a_weight_above_a_million_is_refused_named(tmp_path, capsys, where, field):
    """A weight of 1e300 (a country's, or its income group's) was taken and allocation.csv said the basis was inf
    (found by tests/test_fuzz_inputs.py, issue 26)."""
    spec = _portfolio(tmp_path, 100.0, rule="weighted", extra=where if where.startswith("group") else "")
    text = spec.read_text().replace('scenario = "A.toml"', 'scenario = "A.toml"\nincome_group = "low"')
    spec.write_text(text.replace('scenario = "A.toml"', f'scenario = "A.toml"\n{where}') if where.startswith(
        "weight") else text.replace('scenario = "B.toml"', 'scenario = "B.toml"\nweight = 1.0'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: {field}" and problem.value == 1e300
    assert "a number from 0 to 1,000,000 (the weighted rule shares by need × weight)" in problem.message
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"{spec}: {field}: ")


def test_portfolio_command_on_the_example(tmp_path, capsys):
    assert main(["portfolio", str(ROOT / "examples/portfolio-east-africa.toml"), "--out", str(tmp_path / "o")]) == 0
    alloc = pd.read_csv(tmp_path / "o" / "allocation.csv")
    assert alloc["share"].sum() == pytest.approx(40e6, rel=1e-9)
    assert "shared by need" in capsys.readouterr().out
    assert {"country", "scenario"} <= set(pd.read_csv(tmp_path / "o" / "fiscal.csv").columns)


def test_income_groups_and_the_total(tmp_path):
    spec = _portfolio(tmp_path, 200.0)
    spec.write_text(spec.read_text().replace('scenario = "A.toml"', 'scenario = "A.toml"\nincome_group = "low"')
                    .replace('scenario = "B.toml"', 'scenario = "B.toml"\nincome_group = "upper-middle"'),
                    encoding="utf-8")
    groups = run_portfolio(load_portfolio(spec)).groups_df().set_index("group")
    assert groups.loc["all", "need"] == 400.0 and groups.loc["all", "fund_share"] == pytest.approx(200.0)
    assert groups.loc["all", "gap_after"] == pytest.approx(200.0)
    assert groups.loc["all", "gap_per_learner"] == pytest.approx(200.0 / 4000)
    assert groups.loc["low", "gap_after"] == pytest.approx(150.0) and groups.loc["upper-middle", "countries"] == 1


def test_a_scenario_file_given_as_a_portfolio_or_a_sweep_is_named_as_such(capsys, tmp_path):
    scenario = str(ROOT / "scenarios/rwanda-domestic.toml")
    assert main(["portfolio", scenario, "--out", str(tmp_path / "a")]) == 2
    assert "this is a scenario file, not a portfolio" in capsys.readouterr().err
    assert main(["sweep", str(ROOT / "examples/portfolio-east-africa.toml"), "--out", str(tmp_path / "b")]) == 2
    assert "this is a portfolio, not a sweep" in capsys.readouterr().err


@pytest.mark.parametrize("example, envelope, rule, options", [
    ("portfolio-east-africa.toml", 40e6, "need", {}),
    # USD 24 M and 30 M, not 40 M, for these two, and a ceiling of 12 M, not 25 M (costs23): Kenya's need is USD 13.4 M
    # on the one connectivity price basis, so its weight or its learners would give it more than it needs and 40 M
    # would not all be shared; Kenya's weighted share (2.5 / 3.5 x 24 = 17.1 M) is capped at the ceiling
    ("portfolio-east-africa.toml", 24e6, "weighted", {"weights": {"Kenya": 2.5}, "ceiling": 12e6}),
    ("portfolio-east-africa.toml", 30e6, "per-learner", {"per_learner": 5.0, "floor": 5e6}),
    ("portfolio-gpe-optimal.toml", 60e6, "optimal", {"objective": "gap", "floor": 25e6}),
    ("portfolio-gpe-optimal.toml", 50e6, "optimal", {"co_finances": (), "ceiling": 30e6}),
], ids=["need", "weighted", "per-learner", "optimal-gap-floor", "optimal-no-co-financing"])
def test_the_portfolio_pages_zip_holds_the_commands_tables(tmp_path, example, envelope, rule, options):
    """The Portfolio page's download: allocation.csv, portfolio_equity.csv, portfolio_groups.csv and
    portfolio_reach.csv, byte for byte
    as dfl-finance portfolio writes them for the portfolio file with the page's options (the page's other
    download), its scenario paths read in examples/ as the page reads them."""
    import io
    import tomllib
    import zipfile

    import tomli_w

    from dfl_finance.app.portfolio import examples_dir, portfolio_results, portfolio_zip

    path = ROOT / "examples" / example
    options = dict(options)
    per_learner = options.pop("per_learner", None)
    results = portfolio_results(path.read_text(encoding="utf-8"), example, envelope, rule, per_learner, "real-lcu",
                                **options)
    files = zipfile.ZipFile(io.BytesIO(portfolio_zip(results)))
    raw = tomllib.loads(results["toml"])
    for row in raw["country"]:
        row["scenario"] = str(examples_dir() / row["scenario"])
    spec = tmp_path / "page.toml"
    spec.write_text(tomli_w.dumps(raw), encoding="utf-8")
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 0
    for name in ("allocation.csv", "portfolio_equity.csv", "portfolio_groups.csv", "portfolio_reach.csv"):
        assert files.read(name) == (tmp_path / "o" / name).read_bytes(), name
    # the options were run (not the file's): the shares add up to the envelope within the floor and the ceiling
    alloc = pd.read_csv(tmp_path / "o" / "allocation.csv").set_index("country")
    assert alloc["share"].sum() == pytest.approx(envelope, rel=1e-9)
    assert raw["fund"].get("per_learner") == per_learner
    assert alloc["share"].min() >= options.get("floor", 0.0) - 0.01
    assert alloc["share"].max() <= options.get("ceiling", np.inf) + 0.01
    fund = raw["fund"]
    assert (fund["rule"], fund["envelope"], fund.get("objective"), fund.get("co_finances", [])) == (
        rule, envelope, options.get("objective", "reach") if rule == "optimal" else None,
        list(options.get("co_finances", ["gpe"] if "gpe" in example else [])))
    if "weights" in options:
        assert [c.get("weight", 1.0) for c in raw["country"]] == [1.0, 2.5]
        assert alloc.loc["Kenya", "capped"] and alloc.loc["Kenya", "share"] == pytest.approx(options["ceiling"])


# ------------------------------------------------------------------------------------------------ the optimal rule

def _schools_country(name, cost, learners, gpe=None):
    """A USD plan of one year that connects 100 schools at ``cost`` in all (capex), its budget paying 100 of it;
    ``gpe``: a grant of that commitment matched 1:1 on a source that pays nothing (the fund co-finances it)."""
    sources = [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.1}]
    if gpe is not None:
        sources = [{"id": "gpe", "kind": "grant", "priority": 0, "commitment": gpe,
                    "match": {"sources": ["donor"], "ratio": 1.0}},
                   {"id": "donor", "kind": "grant", "priority": 1, "commitment": 0.0}, *sources]
    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 100, "learners": learners, "teachers": 0, "education_budget": 1000.0},
        "programme": [{"id": "connectivity", "pillar": "infrastructure", "driver": "schools", "start_share": 0.0,
                       "target_share": 1.0, "target_year": 2026, "rollout": "linear",
                       "cost": [{"item": "satellite terminal", "kind": "capex", "unit_cost": cost / 100}]}],
        "source": sources,
    })


def _optimal_portfolio(tmp_path, envelope, objective="reach", gpe=None, extra=""):
    return write_portfolio(tmp_path, {"A": _schools_country("A", 400.0, 1000, gpe),
                                      "B": _schools_country("B", 200.0, 3000)},
                           f'envelope = {envelope}\nrule = "optimal"\nobjective = "{objective}"\n{extra}',
                           name="optimal", file="optimal.toml")


def test_the_optimal_rule_reaches_the_most_learners_by_hand(tmp_path):
    # A: 100 schools for 400, 1,000 learners, its budget pays 100: a USD of the fund reaches 1000/400 = 2.5 learners,
    # up to a need of 300. B: 100 schools for 200, 3,000 learners, need 100: 15 learners per USD. The most learners:
    # B first, up to its need, then A.
    r = run_portfolio(load_portfolio(_optimal_portfolio(tmp_path, 50.0)))
    assert r.share.tolist() == pytest.approx([0.0, 50.0])
    r = run_portfolio(load_portfolio(_optimal_portfolio(tmp_path, 200.0)))
    assert r.share.tolist() == pytest.approx([100.0, 100.0])
    eq = r.equity_df().set_index("country")
    # A reaches (100 + 100) / 400 of its schools, B all of them (whole schools in the table)
    assert eq["reached_share_end"].tolist() == pytest.approx([0.5, 1.0])
    assert r.allocation_df()["basis"].tolist() == pytest.approx([500.0, 3000.0])  # learners reached
    assert eq["marginal_learners_reached_per_usd"].tolist() == pytest.approx([2.5, 0.0])
    # the need rule would share 200 as 150 : 50 and reach 1000 x 250/400 + 3000 x 150/200 = 2,875 < 3,500 learners
    assert [x.need for x in r.responses] == pytest.approx([300.0, 100.0])
    # an envelope above the total need: each its need
    r = run_portfolio(load_portfolio(_optimal_portfolio(tmp_path, 1000.0)))
    assert r.share.tolist() == pytest.approx([300.0, 100.0])


def test_the_gap_objective_follows_the_fund_s_co_financing(tmp_path):
    # A's GPE grant matches the fund 1:1 up to 30: A's first 30 of the fund close 60 of gap (and reach 5 learners per
    # USD), B's close 50. The most gap closed: A's 30 first; the other 20 to B (no more gap to close either way, and
    # B reaches more). The most learners: B's 15 per USD first, so B takes the whole 50.
    spec = _optimal_portfolio(tmp_path, 50.0, "gap", gpe=30.0, extra='co_finances = ["gpe"]')
    r = run_portfolio(load_portfolio(spec))
    assert [x.need for x in r.responses] == pytest.approx([300.0 - 30.0, 100.0])
    assert r.allocation_df()["gap_before"].tolist() == pytest.approx([300.0, 100.0])  # the need is less: GPE pays
    assert r.share.tolist() == pytest.approx([30.0, 20.0])
    assert r.allocation_df()["gap_after"].tolist() == pytest.approx([300.0 - 60.0, 80.0])
    spec = _optimal_portfolio(tmp_path, 50.0, "reach", gpe=30.0, extra='co_finances = ["gpe"]')
    assert run_portfolio(load_portfolio(spec)).share.tolist() == pytest.approx([0.0, 50.0])
    # without the co-financing, the grant matches nothing: A's need is its whole gap
    r = run_portfolio(load_portfolio(_optimal_portfolio(tmp_path, 50.0, "gap", gpe=30.0)))
    assert [x.need for x in r.responses] == pytest.approx([300.0, 100.0])


@st.composite
def _responses(draw):
    """Two to four countries' responses: random piecewise-linear curves, the gap falling and the reach rising, with
    slopes that may rise (non-concave)."""
    from dfl_finance.studies.portfolio import Response

    out = []
    for _ in range(draw(st.integers(2, 4))):
        k = draw(st.integers(1, 5))
        lengths = np.array(draw(st.lists(st.floats(1.0, 100.0), min_size=k, max_size=k)))
        closed = np.array(draw(st.lists(st.floats(1.0, 2.0), min_size=k, max_size=k))) * lengths
        reach = np.array(draw(st.lists(st.floats(0.0, 10.0), min_size=k, max_size=k))) * lengths
        amount = np.concatenate([[0.0], np.cumsum(lengths)])
        gap0 = closed.sum()
        out.append(Response(amount, gap0 - np.concatenate([[0.0], np.cumsum(closed)]),
                            np.concatenate([[0.0], np.cumsum(reach)])))
    return out


@settings(max_examples=60, deadline=None)
@given(_responses(), st.floats(0.0, 400.0), st.sampled_from(["reach", "gap"]))
def test_the_optimal_shares_beat_every_allocation_on_a_grid(responses, envelope, objective):
    from dfl_finance.studies.portfolio import SNAP, allocate_optimal

    share = allocate_optimal(responses, envelope, objective=objective)
    need = np.array([r.need for r in responses])
    assert (share >= -1e-9).all() and (share <= need + 1e-6).all()
    assert share.sum() == pytest.approx(min(envelope, need.sum()), rel=1e-6, abs=1e-6)  # a USD closes >= 1 of gap

    def value(x):
        at = [r.at(v) for r, v in zip(responses, x)]
        gap_closed = sum(r.gap[0] - g for r, (g, _) in zip(responses, at))
        reached = sum(v for _, v in at)
        return (reached, gap_closed) if objective == "reach" else (gap_closed, reached)

    best = value(share)
    # the shares are optimal up to the snap of the solver's dust (SNAP of the envelope a country) times the slopes
    slopes = max(float(np.max(np.abs(np.diff(np.stack([r.gap, r.reached]), axis=1) / np.diff(r.amount))))
                 for r in responses if r.amount.size > 1)
    scale = max(abs(best[0]), 1.0) * 1e-6 + SNAP * envelope * slopes * len(responses)
    # every allocation of the envelope on a grid of each country's amounts (its measured points and a fine grid)
    grids = [np.unique(np.concatenate([r.amount, np.linspace(0, r.need, 41)])) for r in responses]
    import itertools
    for x in itertools.product(*grids[:-1]):
        rest = envelope - sum(x)
        if rest < -1e-9:
            continue
        last = min(rest, need[-1])
        assert value([*x, last])[0] <= best[0] + scale


@pytest.mark.parametrize("extra, rule, field, words", [
    ('objective = "most"', "optimal", "fund.objective", "one of reach, gap"),
    ('objective = "gap"', "need", "fund.objective", "only the optimal rule has an objective"),
    ('co_finances = ["gpe"]', "need", "fund.co_finances", "no country has a grant with a match rule and this id"),
    ('co_finances = "gpe"', "need", "fund.co_finances", "a list of source ids"),
])
def test_a_bad_optimal_rule_or_co_financing_is_named(tmp_path, capsys, extra, rule, field, words):
    spec = _portfolio(tmp_path, 100.0, rule, extra)
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert f"{spec}: {field}" in str(info.value) and words in str(info.value)
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_on_the_engine_the_optimal_rule_does_at_least_as_well_as_every_other_rule():
    """The bundled optimal example, run country by country with its shares: no other rule's shares reach more
    learners, nor, at the same reach, close more gap (the engine's own numbers, not the measured curves)."""
    from dataclasses import replace

    pf = load_portfolio(ROOT / "examples/portfolio-gpe-optimal.toml")
    best = run_portfolio(pf)

    def measures(r):
        learners = sum(float(e["learners"] * e["reached_share_end"]) for _, e in r.equity_df().iterrows())
        return learners, -float(r.allocation_df()["gap_after"].sum())

    reach, gap = measures(best)
    assert best.share.sum() == pytest.approx(60e6, rel=1e-9)
    for rule, per_learner in (("need", None), ("per-learner", 5.0), ("weighted", None)):
        other = measures(run_portfolio(replace(pf, fund=replace(pf.fund, rule=rule, per_learner=per_learner))))
        assert other[0] <= reach + 1e-6 * reach
        if other[0] >= reach - 1e-6 * reach:
            assert other[1] <= gap + 1e-6 * abs(gap), rule
    # here connectivity is funded whatever the share: the gap decides. With the plans at their inputs' expected values
    # ([risk] point = "mean", issue 22) the need shares already do as well (the fund no longer unlocks more GPE money
    # elsewhere); at the files' values the optimal rule closed more gap than need
    need = run_portfolio(replace(pf, fund=replace(pf.fund, rule="need")))
    assert -gap <= float(need.allocation_df()["gap_after"].sum()) * (1 + 1e-9)


# ------------------------------------------------------------------------- countries from a profile and a template

TEMPLATE = """
[scenario]
name = "Plan"
start_year = 2026
years = 3
post_horizon_years = 0
[context]
schools = 1
learners = 1
teachers = 1
education_budget = 1.0
budget_growth = 0.5
burden_limit = 0.04
[macro]
inflation = 0.02
[debt]
gdp = 1.0
[[programme]]
id = "connectivity"
pillar = "infrastructure"
driver = "schools"
target_share = 0.5
[[programme.cost]]
item = "satellite terminal"
kind = "capex"
unit_cost = 500.0
[[source]]
id = "mof"
kind = "domestic"
budget_share_cap = 0.01
annual_cap = 1e6
"""


def _profile_portfolio(tmp_path, countries, template=TEMPLATE, fund='envelope = 0.0\nrule = "need"', head=""):
    (tmp_path / "plan.toml").write_text(template, encoding="utf-8")
    spec = tmp_path / "portfolio.toml"
    spec.write_text(f'[portfolio]\nname = "profiles"\n{head}\n{countries}\n[fund]\n{fund}\n', encoding="utf-8")
    return spec


def test_a_profile_country_is_the_template_with_the_profiles_context(tmp_path):
    from dfl_finance.inputs.profiles import country_profiles

    spec = _profile_portfolio(tmp_path, '[[country]]\nprofile = "KEN"\n[[country]]\nprofile = "NPL"\nname = "N"',
                              head='template = "plan.toml"')
    pf = load_portfolio(spec)
    assert [(c.label, c.profile, c.income_group, c.file) for c in pf.countries] == [
        ("Kenya", "KEN", "lower-middle", (tmp_path / "plan.toml").resolve()),
        ("N", "NPL", "lower-middle", (tmp_path / "plan.toml").resolve())]
    for c in pf.countries:
        prof = country_profiles()[c.profile]
        sc = c.scenario
        assert (sc.name, sc.scenario.country, sc.scenario.currency) == (f"Plan: {prof.name}", prof.iso3,
                                                                        prof.currency)
        # the template's counts, budget, growth, prices and debt figures are gone: the profile's fill them
        assert (sc.context.schools, sc.context.learners, sc.context.teachers) == tuple(
            int(prof.number(f)) for f in ("schools", "learners", "teachers"))
        assert sc.context.education_budget == prof.number("education_budget")
        assert sc.context.budget_year == prof.values["education_budget"].year
        assert sc.context.budget_growth == prof.number("budget_growth")
        # the exchange rate: the latest observed in data/price_history.csv by the price year, else the profile's
        obs = observed_fx(str(prof.currency), sc.scenario.base_year)
        assert (sc.macro.inflation, sc.macro.usd_inflation, sc.macro.fx_rate) == (
            prof.number("inflation"), prof.number("usd_inflation"), obs.value if obs else prof.number("fx_rate"))
        assert sc.debt.gdp == prof.number("gdp") and sc.debt.capacity == prof.values["dsf_capacity"].value
        assert sc.context.burden_limit == 0.04  # a policy threshold of the template stays
        # what the USD template wrote in USD stays in USD: the cost line and the domestic cap
        assert sc.programme[0].cost[0].currency == "USD" and sc.source[0].currency == "USD"
        assert sc.source[0].annual_cap == 1e6
    # the same as writing Kenya's scenario by hand
    by_hand = scenario_from_dict({
        "scenario": {"name": "Plan: Kenya", "country": "KEN", "currency": "KES", "start_year": 2026, "years": 3,
                     "post_horizon_years": 0},
        "context": {"burden_limit": 0.04},
        "programme": [{"id": "connectivity", "pillar": "infrastructure", "driver": "schools", "target_share": 0.5,
                       "cost": [{"item": "satellite terminal", "kind": "capex", "unit_cost": 500.0,
                                 "currency": "USD"}]}],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.01, "annual_cap": 1e6,
                    "currency": "USD"}]})
    assert pf.countries[0].scenario == by_hand
    assert run(pf.countries[0].scenario).summary()["total_cost"] > 0


def test_a_profile_countrys_values_apply_on_top_and_its_group_can_be_given(tmp_path):
    spec = _profile_portfolio(tmp_path, '[[country]]\nprofile = "RWA"\nincome_group = "lower-middle"\n'
                              '[country.values]\n"context.schools" = 7\n"source[mof].budget_share_cap" = 0.5',
                              head='template = "plan.toml"')
    (c,) = load_portfolio(spec).countries
    assert (c.scenario.context.schools, c.scenario.source[0].budget_share_cap) == (7, 0.5)
    assert c.income_group == "lower-middle"  # the row's group wins over the profile's (low)


def test_a_template_in_the_countrys_own_currency_keeps_its_local_amounts(tmp_path):
    # a KES template with a KES cap is fine for Kenya, refused for Nepal (next test)
    template = TEMPLATE.replace('name = "Plan"', 'name = "Plan"\ncurrency = "KES"').replace(
        "[macro]\ninflation = 0.02", "[macro]\ninflation = 0.02\nusd_inflation = 0.02\nfx_rate = 130.0")
    spec = _profile_portfolio(tmp_path, '[[country]]\nprofile = "KEN"', template=template,
                              head='template = "plan.toml"')
    (c,) = load_portfolio(spec).countries
    assert (c.scenario.source[0].currency, c.scenario.source[0].annual_cap) == (None, 1e6)
    # the profile's default rate (the latest KES rate data/price_history.csv observed by 2026), not the template's
    assert c.scenario.macro.fx_rate == observed_fx("KES", 2026).value != 130.0


def test_the_scenarios_profile_gives_a_scenario_country_its_income_group(tmp_path):
    kenya = (ROOT / "scenarios/kenya-domestic.toml").resolve()
    spec = tmp_path / "portfolio.toml"
    spec.write_text(f'[[country]]\nscenario = "{kenya}"\n[[country]]\nscenario = "{kenya}"\nname = "K2"\n'
                    'income_group = "low"\n[fund]\nenvelope = 0.0\nrule = "need"\n', encoding="utf-8")
    assert [c.income_group for c in load_portfolio(spec).countries] == ["lower-middle", "low"]


def test_group_weights_by_hand(tmp_path):
    # A needs 300, B 100. Group weights low 1, lower-middle 3: bases 300 and 300, so 200 is shared 100 and 100
    def spec(a_extra=""):
        path = _portfolio(tmp_path, 200.0, "weighted",
                          "group_weights = { low = 1.0, lower-middle = 3.0 }")
        path.write_text(path.read_text().replace('scenario = "A.toml"', f'scenario = "A.toml"\nincome_group = "low"'
                                                 f'{a_extra}').replace('scenario = "B.toml"', 'scenario = "B.toml"\n'
                                                                       'income_group = "lower-middle"'),
                        encoding="utf-8")
        return path

    r = run_portfolio(load_portfolio(spec()))
    assert [c.weight for c in r.portfolio.countries] == [1.0, 3.0]
    assert r.basis.tolist() == [300.0, 300.0] and r.share.tolist() == pytest.approx([100.0, 100.0])
    # a country's own weight wins over its group's: 2 x 300 against 3 x 100, so 200 x 2/3 and 200 x 1/3
    r = run_portfolio(load_portfolio(spec("\nweight = 2.0")))
    assert [c.weight for c in r.portfolio.countries] == [2.0, 3.0]
    assert r.share.tolist() == pytest.approx([400.0 / 3, 200.0 / 3])


BROKEN = {  # one broken portfolio per validation error: (countries, template, fund, [portfolio] lines), and what
    # the message must say (each also names the portfolio file, or the template file for a country)
    "both scenario and profile": ('[[country]]\nscenario = "A.toml"\nprofile = "KEN"', TEMPLATE, None,
                                  'template = "plan.toml"', ["country[0]: give the country's scenario file or its "
                                                             "country profile, not both"]),
    "neither scenario nor profile": ('[[country]]\nname = "A"', TEMPLATE, None, "",
                                     ["country[0].scenario: the country's scenario file", "is required"]),
    "unknown profile": ('[[country]]\nprofile = "XYZ"', TEMPLATE, None, 'template = "plan.toml"',
                        ["country[0].profile: no country profile with this code", "(got 'XYZ')"]),
    "a profile without a template": ('[[country]]\nprofile = "KEN"', TEMPLATE, None, "",
                                     ["country[0].profile: a country given by its profile needs the portfolio's "
                                      "plan template", "(got 'KEN')"]),
    "a template that is not there": ('[[country]]\nprofile = "KEN"', TEMPLATE, None, 'template = "nowhere.toml"',
                                     ["portfolio.template:", "nowhere.toml: file not found"]),
    "a portfolio given as the template": ('[[country]]\nprofile = "KEN"', '[portfolio]\nname = "p"\n[[country]]\n'
                                          'profile = "KEN"', None, 'template = "plan.toml"',
                                          ["portfolio.template:", "plan.toml: a plan template is a scenario file"]),
    "a foreign-currency amount": (
        '[[country]]\nprofile = "NPL"',
        TEMPLATE.replace('name = "Plan"', 'name = "Plan"\ncurrency = "KES"').replace(
            "[macro]\ninflation = 0.02", "[macro]\ninflation = 0.02\nusd_inflation = 0.02\nfx_rate = 130.0"),
        None, 'template = "plan.toml"',
        ["plan.toml for NPL (", "country[0]): programme[0].cost[0].unit_cost: a unit cost in KES, the template's "
                                "currency, which is not the currency of Nepal (NPR)",
         "source[0].annual_cap: an amount in KES, the template's currency", '"source[mof].annual_cap" = ...',
         "(got 1000000.0)"]),
    "a domestic bond of another currency": (
        '[[country]]\nprofile = "KEN"',
        TEMPLATE.replace("burden_limit = 0.04", "burden_limit = 0.04\ngap_financing = { rate = 0.1, "
                         "maturity_years = 10 }"), None, 'template = "plan.toml"',
        ["plan.toml for KEN (", "context.gap_financing: a domestic bond's rate in USD, the template's currency, "
                                "which is not the currency of Kenya (KES)"]),
    "a school table of another country": (
        '[[country]]\nprofile = "KEN"',
        TEMPLATE.replace('target_share = 0.5\n', 'target_share = 0.5\nschools = { table = "rwanda.csv" }\n'),
        None, 'template = "plan.toml"',
        ["plan.toml for KEN (", "programme[0].schools: a school table describes one country's schools"]),
    "a template that fails for this country": (
        '[[country]]\nprofile = "RWA"\n[[country]]\nprofile = "KEN"',
        TEMPLATE.replace("burden_limit = 0.04", 'burden_limit = 0.04\nbudget_scope = "non-wage"'), None,
        'template = "plan.toml"', ["plan.toml for RWA (", "country[0]): context.education_budget: required"]),
    "an unknown group in group_weights": (
        '[[country]]\nprofile = "KEN"\nweight = 1.0', TEMPLATE,
        'envelope = 0.0\nrule = "weighted"\ngroup_weights = { lower_middle = 0.6 }', 'template = "plan.toml"',
        ["fund.group_weights.lower_middle: not an income group (known: low, lower-middle, upper-middle, high)"]),
    "a group without a weight": (
        '[[country]]\nprofile = "KEN"', TEMPLATE, 'envelope = 0.0\nrule = "weighted"\ngroup_weights = { low = 1.0 }',
        'template = "plan.toml"', ["country[0].income_group: Kenya: fund.group_weights has no weight for this group "
                                   "(it has low)", "(got 'lower-middle')"]),
    "a country without a group": (
        '[[country]]\nscenario = "A.toml"', TEMPLATE,
        'envelope = 0.0\nrule = "weighted"\ngroup_weights = { low = 1.0 }', "",
        ["country[0].income_group: A has no income group (neither its [[country]] nor its scenario's country "
         "profile gives one)"]),
    "an income group that is not one": ('[[country]]\nscenario = "A.toml"\nincome_group = "middle"', TEMPLATE, None,
                                        "", ["country[0].income_group: one of low, lower-middle, upper-middle, high",
                                             "(got 'middle')"]),
    "an unknown field of [portfolio]": ('[[country]]\nscenario = "A.toml"', TEMPLATE, None, 'templat = "plan.toml"',
                                        ["portfolio.templat: unknown field (known: common, name, template)"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_broken_portfolio_is_named(case, tmp_path, capsys):
    countries, template, fund, head, messages = BROKEN[case]
    save_scenario(_country("A", 400.0), tmp_path / "A.toml")
    spec = _profile_portfolio(tmp_path, countries, template, fund or 'envelope = 0.0\nrule = "need"', head)
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    text = str(info.value)
    assert str(spec) in text or str((tmp_path / "plan.toml").resolve()) in text
    for message in messages:
        assert message in text, text
    assert "needs the portfolio's plan template" not in text or case == "a profile without a template"
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and messages[0] in err


def test_a_template_that_fails_for_one_country_leaves_the_others_checked(tmp_path):
    # Rwanda's profile has no non-wage budget, Kenya's has: only Rwanda fails, and a bad scenario row is reported too
    save_scenario(_country("A", 400.0), tmp_path / "A.toml")
    (tmp_path / "A.toml").write_text((tmp_path / "A.toml").read_text().replace("learners = 1000", "learners = -1"),
                                     encoding="utf-8")
    spec = _profile_portfolio(tmp_path, '[[country]]\nprofile = "RWA"\n[[country]]\nprofile = "KEN"\n'
                              '[[country]]\nscenario = "A.toml"',
                              TEMPLATE.replace("burden_limit = 0.04", 'burden_limit = 0.04\nbudget_scope = "non-wage"'),
                              head='template = "plan.toml"')
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    paths = [p.path for p in info.value.problems]
    plan = (tmp_path / "plan.toml").resolve()
    assert paths == [f"{plan} for RWA ({spec}: country[0]): context.education_budget",
                     f"{(tmp_path / 'A.toml').resolve()}: context.learners"]


def test_portfolio_command_on_the_profiles_example(tmp_path):
    assert main(["portfolio", str(ROOT / "examples/portfolio-profiles.toml"), "--out", str(tmp_path / "o")]) == 0
    alloc = pd.read_csv(tmp_path / "o" / "allocation.csv").set_index("country")
    assert list(alloc.index) == ["Rwanda", "Kenya", "Nepal", "Bangladesh"]
    assert alloc["share"].sum() == pytest.approx(min(60e6, alloc["need"].sum()), rel=1e-9)
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    cost = summary[summary["metric"] == "total_cost_nominal_usd"].set_index("country")["value"]
    assert (cost > 1e7).all()  # every country has a plan of some size
    scenarios = set(pd.read_csv(tmp_path / "o" / "fiscal.csv")["scenario"])
    assert scenarios == {f"Data for learning plan: {c}" for c in alloc.index}
    groups = pd.read_csv(tmp_path / "o" / "portfolio_groups.csv").set_index("group")
    assert groups.loc["low", "countries"] == 1 and groups.loc["lower-middle", "countries"] == 3
    equity = pd.read_csv(tmp_path / "o" / "portfolio_equity.csv").set_index("country")
    assert equity["income_group"].to_dict() == {"Rwanda": "low", "Kenya": "lower-middle", "Nepal": "lower-middle",
                                                "Bangladesh": "lower-middle"}
    # the weighted basis is need x the group's weight (no country gives its own; the need column is rounded to cents)
    assert (alloc["basis"] / alloc["need"]).fillna(0.6).round(6).tolist() == [1.0, 0.6, 0.6, 0.6]


def test_the_portfolio_page_reads_an_uploaded_profiles_portfolio_with_its_template_in_examples():
    from dfl_finance.app.portfolio import load_portfolio_text, portfolio_file

    text = (ROOT / "examples/portfolio-profiles.toml").read_text(encoding="utf-8")
    assert [c.profile for c in load_portfolio_text(text, "mine.toml").countries] == ["RWA", "KEN", "NPL", "BGD"]
    assert portfolio_file(text, "mine.toml")["countries"]["Scenario"][0] == "plan-template.toml with the RWA profile"
    with pytest.raises(ScenarioError, match="mine.toml: portfolio.template: a bundled plan template or scenario"):
        load_portfolio_text(text.replace('template = "plan-template.toml"', 'template = "../../plan.toml"'),
                            "mine.toml")


def test_a_regional_facility_lends_on_its_terms(tmp_path):
    # the fund as a loan at 2% a year, repaid in equal principal over 2 years after 1 year of grace: A borrows its
    # share of 150 in 2026 and repays 75 in 2028 and 2029 with interest on what it still owes
    extra = ('[fund.source]\nkind = "loan"\nname = "Regional facility"\nrate = 0.02\ngrace_years = 1\n'
             'maturity_years = 3\nrepayment = "linear"')
    r = run_portfolio(load_portfolio(_portfolio(tmp_path, 200.0, extra=extra)), "nominal-lcu")
    assert r.share.tolist() == pytest.approx([150.0, 50.0])
    assert r.allocation_df()["gap_after"].tolist() == pytest.approx([150.0, 50.0])
    debt = r.tables()["debt_service"].query("country == 'A' and source == 'fund'").set_index("year")
    assert debt["disbursed"].to_dict() == pytest.approx({2026: 150.0, 2027: 0.0, 2028: 0.0, 2029: 0.0})
    assert debt["interest"].to_dict() == pytest.approx({2026: 0.0, 2027: 3.0, 2028: 3.0, 2029: 1.5}, abs=1e-9)
    assert debt["principal"].to_dict() == pytest.approx({2026: 0.0, 2027: 0.0, 2028: 75.0, 2029: 75.0}, abs=1e-9)
    # a USD more of a loan closes a USD of gap and costs the government its service: a PV saving below zero
    eq = r.equity_df()
    assert eq["marginal_gap_closed_per_usd"].tolist() == pytest.approx([1.0, 1.0])
    assert (eq["marginal_pv_saving_per_usd"] < 0).all()


@pytest.mark.parametrize("source, field, words", [
    ('kind = "ppp"', "fund.source.kind", "one of grant, loan"),
    ('commitment = 5.0', "fund.source", "the portfolio sets id, currency, commitment, priority"),
    ('kind = "loan"\nrate = 2.0', "fund.source.rate", "less than or equal to 1 (in A's scenario)"),
])
def test_a_bad_fund_source_is_named(tmp_path, capsys, source, field, words):
    spec = _portfolio(tmp_path, 100.0, extra=f"[fund.source]\n{source}")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert f"{spec}: {field}" in str(info.value) and words in str(info.value)
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "Traceback" not in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(1.0, 1e6), st.floats(1.0, 1e6)), min_size=2, max_size=8), st.floats(1.0, 5e6),
       st.floats(0.0, 1.0))
def test_a_floor_lifts_only_the_shares_below_it_and_the_others_stay_in_proportion(rows, envelope, level):
    basis = np.array([b for b, _ in rows])
    need = np.array([n for _, n in rows])
    plain = allocate_envelope(basis, need, envelope)
    # a floor at or below every share changes nothing
    assert allocate_envelope(basis, need, envelope, floor=float(plain.min())) == pytest.approx(plain, rel=1e-9)
    floor = level * min(envelope / len(rows), float(need.min()))
    share = allocate_envelope(basis, need, envelope, floor=floor)
    free = (share > floor * (1 + 1e-9)) & (share < need * (1 - 1e-9))
    if free.sum() > 1:  # the shares neither at a floor nor at a need are in proportion to the basis
        ratio = share[free] / basis[free]
        assert ratio == pytest.approx(np.full(ratio.size, ratio[0]), rel=1e-9)
    lifted = share > plain * (1 + 1e-9)
    assert (share[lifted] == pytest.approx(np.full(int(lifted.sum()), floor), rel=1e-9))  # lifted only to the floor


def test_the_command_names_floors_too_large_and_says_what_is_not_shared(tmp_path, capsys):
    spec = _portfolio(tmp_path, 100.0, extra="floor = 80.0")  # needs 300 and 100: floors of 80 each need 160
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert f"{spec}: fund.floor: the floors need USD 160.00 (each country's floor of USD 80.00" in err
    assert "Traceback" not in err
    spec = _portfolio(tmp_path, 1000.0)  # more than the needs (400)
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "b")]) == 0
    assert "USD 600.00 of the envelope is not shared: every country has all it can take" in capsys.readouterr().out
    alloc = pd.read_csv(tmp_path / "b" / "allocation.csv")
    assert set(alloc["basis_unit"]) == {"USD (current prices)"}


def test_one_mistake_one_problem_and_a_portfolio_given_as_a_scenario_is_named(tmp_path, capsys):
    # a misspelt rule with an objective: the rule is named, not also the objective
    spec = _optimal_portfolio(tmp_path, 50.0, gpe=30.0, extra='co_finances = ["gpe"]')
    spec.write_text(spec.read_text().replace('rule = "optimal"', 'rule = "optimial"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert [p.path for p in info.value.problems] == [f"{spec}: fund.rule"]
    # a country that cannot be read: its problem, not also "no country has the grant" it would have had
    spec.write_text(spec.read_text().replace('rule = "optimial"', 'rule = "optimal"'), encoding="utf-8")
    (tmp_path / "A.toml").write_text((tmp_path / "A.toml").read_text().replace("learners = 1000", "learners = -1"),
                                     encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert not [p for p in info.value.problems if "co_finances" in p.path]
    # a portfolio file given to validate: named as such
    assert main(["validate", str(ROOT / "examples/portfolio-east-africa.toml")]) == 2
    assert "this is a portfolio file, not a scenario: run it with dfl-finance portfolio" in capsys.readouterr().err


# ------------------------------------------------------------------------- the reach of every programme the fund pays

def _devices_country(name="D", extra_programmes=()):
    """A USD plan of one year: learner devices at 10 USD a learner for 1,000 learners (10,000), then a workshop at
    20 USD a teacher for 50 teachers (1,000), all reached in 2026; the budget pays 100, of the devices (paid first)."""
    def programme(pid, driver, cost, kind="capex", pillar="infrastructure"):
        return {"id": pid, "pillar": pillar, "driver": driver, "start_share": 0.0, "target_share": 1.0,
                "target_year": 2026, "rollout": "linear",
                "cost": [{"item": pid.replace("_", " "), "kind": kind, "unit_cost": cost}]}

    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 10, "learners": 1000, "teachers": 50, "education_budget": 1000.0},
        "programme": [programme("devices", "learners", 10.0), programme("training", "teachers", 20.0, "capex",
                                                                        "capacities"),
                      *(programme(*p) for p in extra_programmes)],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.1}],
    })


def test_a_fund_that_pays_part_of_a_devices_gap_reaches_that_many_more_learners_by_hand(tmp_path):
    # the budget pays 100 of the devices (10 learners); a fund of 2,000 pays 2,000 of the devices' gap of 9,900:
    # 2,000 / 10 USD = 200 more learners, and no teacher
    spec = write_portfolio(tmp_path, {"D": _devices_country()}, 'envelope = 2000.0\nrule = "need"')
    r = run_portfolio(load_portfolio(spec))
    reach = r.reach_df().set_index("programme")
    assert list(r.reach_df().columns) == REACH_COLUMNS
    assert reach.loc["devices", ["driver", "fund_capex", "fund_opex"]].tolist() == ["learners", 2000.0, 0.0]
    assert reach.loc["devices", ["reached_funded_before", "reached_funded_after", "reached_by_fund"]].tolist() == \
        pytest.approx([10.0, 210.0, 200.0])
    assert reach.loc["training", ["fund_capex", "reached_by_fund"]].tolist() == pytest.approx([0.0, 0.0])
    # a fund of 10,400 closes the devices' gap (990 more learners) and pays 500 of the workshops: 25 more teachers;
    # a USD more pays workshops: 1 / 20 teacher a USD, and no more learners
    spec = write_portfolio(tmp_path, {"D": _devices_country()}, 'envelope = 10400.0\nrule = "need"')
    r = run_portfolio(load_portfolio(spec))
    reach = r.reach_df().set_index("programme")
    assert reach["reached_by_fund"].to_dict() == pytest.approx({"devices": 990.0, "training": 25.0})
    assert reach["fund_capex"].to_dict() == pytest.approx({"devices": 9900.0, "training": 500.0})
    assert reach["marginal_reached_per_usd"].to_dict() == pytest.approx({"devices": 0.0, "training": 0.05})
    assert reach["marginal_fund_paid_per_usd"].to_dict() == pytest.approx({"devices": 0.0, "training": 1.0})
    assert (reach["country"] == "D").all()
    assert "portfolio_reach" in r.tables()


def test_running_costs_paid_by_the_fund_are_unit_years_and_a_programme_without_units_has_no_reach(tmp_path):
    # after the devices (9,900 of gap) and the workshops (1,000), data-literacy materials at 2 USD a learner a year
    # (2,000) and an officials' course, a lump sum of 300 a year: a fund of 11,900 pays half the materials, so
    # 1,000 learners x 0.5 = 500 learner-years of running costs; 13,200 pays them all (1,000) and the course, which
    # has no units to count
    country = _devices_country(extra_programmes=[("literacy", "learners", 2.0, "opex"),
                                                 ("officials", "none", 300.0, "fixed_opex")])
    for envelope, literacy, officials in ((11900.0, 500.0, 0.0), (13200.0, 1000.0, 300.0)):
        spec = write_portfolio(tmp_path, {"D": country}, f'envelope = {envelope}\nrule = "need"')
        reach = run_portfolio(load_portfolio(spec)).reach_df().set_index("programme")
        assert reach.loc["literacy", ["fund_capex", "fund_opex", "reached_by_fund", "unit_years_by_fund"]].tolist() \
            == pytest.approx([0.0, literacy * 2, 0.0, literacy])
        assert reach.loc["officials", "fund_opex"] == pytest.approx(officials)
        assert reach.loc["officials", ["reached_funded_before", "reached_by_fund", "unit_years_by_fund",
                                       "marginal_reached_per_usd"]].isna().all()
        assert reach.loc["devices", "reached_by_fund"] == pytest.approx(990.0)


# ------------------------------------------------------------------------- the page: the user's own scenarios

def _own_files(tmp_path):
    """A portfolio naming the user's own scenario files A.toml and B.toml (beside it), as the command runs it, and
    the files by name as the page is given them."""
    spec = _portfolio(tmp_path, 200.0)
    return spec, {f: (tmp_path / f).read_text(encoding="utf-8") for f in ("A.toml", "B.toml")}


def test_the_page_runs_a_portfolio_of_the_users_own_scenario_files_as_the_command_does(tmp_path):
    """A portfolio naming scenario files beside it, given to the page with those files (uploaded, or picked in the
    workspace): the page's tables are the command's, and its download (the portfolio file with the page's options
    and the scenario files in a zip), unzipped and run by the command, writes them byte for byte."""
    import io
    import zipfile

    from dfl_finance.app.portfolio import options_zip, portfolio_file, portfolio_results, portfolio_zip

    spec, files = _own_files(tmp_path)
    text = spec.read_text(encoding="utf-8")
    shown = portfolio_file(text, "mine.toml", files)
    assert shown["countries"]["Scenario"].tolist() == ["A.toml", "B.toml"]
    results = portfolio_results(text, "mine.toml", 200.0, "weighted", None, "real-lcu", files=files,
                                weights={"B": 3.0})
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "cli")]) == 0
    cli = pd.read_csv(tmp_path / "cli" / "allocation.csv").set_index("country")
    # the command's file shares by need: 150 and 50; the page's options (weighted, B x 3): 300 : 300 -> 100 each
    assert cli["share"].tolist() == pytest.approx([150.0, 50.0])
    assert results["share"] == pytest.approx([100.0, 100.0])
    unzipped = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(options_zip(results, "mine.toml"))).extractall(unzipped)
    assert sorted(p.name for p in unzipped.iterdir()) == ["A.toml", "B.toml", "mine.toml"]
    assert main(["portfolio", str(unzipped / "mine.toml"), "--out", str(tmp_path / "o")]) == 0
    tables = zipfile.ZipFile(io.BytesIO(portfolio_zip(results)))
    for name in ("allocation.csv", "portfolio_equity.csv", "portfolio_groups.csv", "portfolio_reach.csv"):
        assert tables.read(name) == (tmp_path / "o" / name).read_bytes(), name


def test_the_users_own_scenario_files_are_named_by_file_and_field_and_only_they_are_read(tmp_path):
    from dfl_finance.app.portfolio import load_portfolio_text

    spec, files = _own_files(tmp_path)
    text = spec.read_text(encoding="utf-8")
    bad = {**files, "B.toml": files["B.toml"].replace("learners = 3000", "learners = -1")}
    with pytest.raises(ScenarioError) as info:
        load_portfolio_text(text, "mine.toml", bad)
    (problem,) = info.value.problems
    assert problem.path == "B.toml: context.learners" and str(tmp_path) not in str(info.value)
    # a country whose file is not given (nor bundled): named, with the files given; nothing else is read
    with pytest.raises(ScenarioError) as info:
        load_portfolio_text(text, "mine.toml", {"A.toml": files["A.toml"]})
    (problem,) = info.value.problems
    assert problem.path == "mine.toml: country[1].scenario" and problem.value == "B.toml"
    assert "nor one of the scenario files given with the portfolio (A.toml)" in problem.message
    with pytest.raises(ScenarioError, match="mine.toml: country\\[0\\].scenario: not a bundled scenario"):
        load_portfolio_text(text.replace('"A.toml"', f'"{tmp_path / "A.toml"}"'), "mine.toml", files)
    # a given file's name with a folder, or the portfolio's own name, is refused
    with pytest.raises(ScenarioError, match="scenario files: ../A.toml: a file name without a folder"):
        load_portfolio_text(text, "mine.toml", {"../A.toml": files["A.toml"], "B.toml": files["B.toml"]})
    with pytest.raises(ScenarioError, match="has the portfolio file's name"):
        load_portfolio_text(text, "mine.toml", {**files, "mine.toml": text})


def test_a_portfolio_of_picked_scenarios_names_each_country_once_and_keeps_every_file():
    """Scenarios picked on the page (workspace or bundled): a country named after its profile, or after the scenario
    when two picked scenarios share it; file names made distinct; the fund's id not a source of theirs."""
    from dfl_finance import dump_scenario, load_scenario
    from dfl_finance.app.portfolio import PICKED_FILE, load_portfolio_text, picked_portfolio
    from dfl_finance.model.load import apply_overrides

    rwanda = load_scenario(ROOT / "scenarios/rwanda-domestic.toml")
    mine = apply_overrides(rwanda, {"scenario.name": "Rwanda: my plan", "source[mof].id": "pooled_fund"})
    kenya = load_scenario(ROOT / "scenarios/kenya-domestic.toml")
    picks = [("rwanda-domestic.toml", (ROOT / "scenarios/rwanda-domestic.toml").read_text(encoding="utf-8"), rwanda),
             ("rwanda-domestic.toml", dump_scenario(mine), mine),  # a workspace file of the same name
             ("kenya-domestic.toml", (ROOT / "scenarios/kenya-domestic.toml").read_text(encoding="utf-8"), kenya)]
    text, files = picked_portfolio(picks, ROOT / "scenarios")
    assert list(files) == ["rwanda-domestic.toml", "rwanda-domestic-2.toml", "kenya-domestic.toml"]
    pf = load_portfolio_text(text, PICKED_FILE, files)
    assert [c.label for c in pf.countries] == ["Rwanda: domestic budget only", "Rwanda: my plan", "Kenya"]
    assert pf.fund.id == "pooled_fund_2" and pf.fund.rule == "need"
    assert [c.scenario.name for c in pf.countries] == [rwanda.name, mine.name, kenya.name]


def test_a_picked_scenario_that_names_a_baseline_runs_in_the_portfolio_wherever_its_files_are_written(tmp_path):
    """A workspace scenario's baseline is named relative to the workspace: the portfolio's scenario files name it by
    its full path, so the page (a temporary folder) and the downloaded files (another folder) both find it."""
    from dfl_finance.app.portfolio import PICKED_FILE, load_portfolio_text, picked_portfolio
    from dfl_finance.inputs.io import rebase_text

    workspace = tmp_path / "workspace"
    ida = ROOT / "scenarios" / "rwanda-ida-credit.toml"
    text = rebase_text(ida.read_text(encoding="utf-8"), ida.parent, workspace)  # as the app's workspace sees it
    portfolio, files = picked_portfolio([("ida.toml", text, load_scenario(ida))], workspace)
    assert load_portfolio_text(portfolio, PICKED_FILE, files).countries[0].scenario.baseline_scenario is not None
    out = tmp_path / "downloaded"
    out.mkdir()
    (out / PICKED_FILE).write_text(portfolio, encoding="utf-8")
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
    assert main(["portfolio", str(out / PICKED_FILE), "--out", str(tmp_path / "fund")]) == 0


@pytest.mark.parametrize("value", ["nan", "-1.0", "inf", "0.0", "true", '"2"'])
def test_a_per_learner_amount_that_is_not_a_positive_finite_number_is_refused(tmp_path, capsys, value):
    """per_learner = nan, -1 or inf was accepted and reported every gap closed (issue 26)."""
    spec = _portfolio(tmp_path, 100.0)
    text = spec.read_text(encoding="utf-8").replace('rule = "need"', f'rule = "per-learner"\nper_learner = {value}')
    spec.write_text(text, encoding="utf-8")
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "fund.per_learner" in err and "Traceback" not in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize("written", [r"B\u0000.toml", "  "])
def test_a_country_file_name_with_a_nul_or_only_blanks_is_refused_by_its_row(tmp_path, capsys, written):
    """A file name holding a NUL character (a TOML escape, \\u0000) reached the operating system, whose refusal ended
    the command with a traceback (found by tests/test_fuzz_inputs.py); now the row's field refuses it, as it does a
    blank name."""
    spec = _portfolio(tmp_path, 100.0)
    spec.write_text(spec.read_text().replace('scenario = "B.toml"', f'scenario = "{written}"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert [p.path for p in info.value.problems] == [f"{spec}: country[1].scenario"]
    assert main(["portfolio", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith(f"{spec}: country[1].scenario: ")

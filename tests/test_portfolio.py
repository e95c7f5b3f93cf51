"""A donor's portfolio: a two-country fund by hand, the allocation's properties, the pooled discount, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, run, save_scenario, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.portfolio import allocate_envelope, load_portfolio, run_portfolio, with_fund

ROOT = Path(__file__).resolve().parents[1]


def _country(name, cost, learners=1000):
    """A USD plan of one year: a lump sum of ``cost`` and a domestic budget that pays 100 of it."""
    return scenario_from_dict({
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": learners, "teachers": 0, "education_budget": 1000.0},
        "programme": [{"id": "connectivity", "pillar": "infrastructure", "driver": "none",
                       "cost": [{"item": "satellite terminal", "kind": "fixed_capex", "unit_cost": cost}]}],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.1}],
    })


def _portfolio(tmp_path, envelope, rule="need", extra="", costs=(400.0, 200.0)):
    files = []
    for name, cost in zip(("A", "B"), costs):
        path = tmp_path / f"{name}.toml"
        save_scenario(_country(name, cost, learners=1000 if name == "A" else 3000), path)
        files.append(path)
    spec = tmp_path / "portfolio.toml"
    spec.write_text(f"""
[portfolio]
name = "two countries"
[[country]]
scenario = "{files[0].name}"
[[country]]
scenario = "{files[1].name}"
[fund]
id = "fund"
envelope = {envelope}
rule = "{rule}"
{extra}
""", encoding="utf-8")
    return spec


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
def test_the_shares_add_up_to_the_envelope_or_the_need_and_never_exceed_a_need(rows, envelope, floor, ceiling):
    basis = np.array([b for b, _ in rows])
    need = np.array([n for _, n in rows])
    low = np.minimum(floor, need)
    if low.sum() > envelope:
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


def test_the_portfolio_pages_zip_holds_the_commands_tables(tmp_path):
    """The Portfolio page's download: allocation.csv, portfolio_equity.csv and portfolio_groups.csv, byte for byte
    as dfl-finance portfolio writes them."""
    import io
    import zipfile

    from dfl_finance.app.portfolio import portfolio_results, portfolio_zip

    example = ROOT / "examples/portfolio-east-africa.toml"
    results = portfolio_results(example.read_text(encoding="utf-8"), example.name, 40e6, "need", None, "real-lcu")
    files = zipfile.ZipFile(io.BytesIO(portfolio_zip(results)))
    assert main(["portfolio", str(example), "--out", str(tmp_path / "o")]) == 0
    for name in ("allocation.csv", "portfolio_equity.csv", "portfolio_groups.csv"):
        assert files.read(name) == (tmp_path / "o" / name).read_bytes(), name

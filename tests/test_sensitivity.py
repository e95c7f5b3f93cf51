"""Sensitivity: the tornado and the Sobol indices by hand, the Sobol wrapper on the Ishigami function, the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dfl_finance import scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.engine.sampling import Marginal
from dfl_finance.inputs.io import dump_scenario
from dfl_finance.studies.risk.sensitivity import (
    SOBOL_COLUMNS,
    SOBOL_INDEX_COLUMNS,
    TORNADO_COLUMNS,
    SensitivityError,
    check_metrics,
    check_n,
    evaluate,
    sobol,
    sobol_df,
    tornado,
    uncertain_inputs,
)

COST = "programme[connect].cost[kit].unit_cost"
LIMIT = "context.burden_limit"


def _plan(uncertain, sources=None):
    # one line: 100 schools reached in 2026, each a kit at 500 USD: total cost = 100 x unit cost
    return {
        "scenario": {"name": "sens", "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e6},
        "programme": [{"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
                       "cost": [{"item": "kit", "kind": "capex", "unit_cost": 500.0}]}],
        "source": sources or [],
        "uncertain": uncertain,
    }


#: the unit cost uniform on 400..600, and an input that does not touch the total cost (the burden limit)
ROWS = [{"path": LIMIT, "distribution": "uniform", "low": 0.05, "high": 0.2},
        {"path": COST, "distribution": "uniform", "low": 400.0, "high": 600.0}]


def _toml(tmp_path, raw, name="sens.toml"):
    path = tmp_path / name
    path.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ tornado


def test_the_tornado_swing_of_total_cost_by_hand():
    # the unit cost at its 5th and 95th percentiles, 410 and 590: total cost 41,000 and 59,000, a swing of
    # 100 x (590 - 410) = 18,000; the burden limit moves nothing: swing 0, ranked second
    t = tornado(scenario_from_dict(_plan(ROWS)), ["total_cost"])
    assert list(t.columns) == TORNADO_COLUMNS
    first, second = t.iloc[0], t.iloc[1]
    assert (first["path"], first["rank"], second["path"], second["rank"]) == (COST, 1, LIMIT, 2)
    assert (first["low_input"], first["high_input"]) == pytest.approx((410.0, 590.0))
    assert (first["low_value"], first["high_value"]) == pytest.approx((41000.0, 59000.0))
    assert first["swing"] == pytest.approx(100 * (590 - 410))
    assert second["swing"] == 0 and second["low_value"] == second["high_value"] == 50000
    assert (second["low_input"], second["high_input"]) == pytest.approx((0.0575, 0.1925))
    assert set(t["unit"]) == {"USD"} and t.attrs["base"]["total_cost"] == 50000


def test_the_tornado_holds_the_other_inputs_at_the_scenarios_own_values():
    # a grant that pays up to its commitment (30,000; uncertain 0..40,000): with the unit cost at its low and high,
    # the gap is 100 x unit cost - 30,000; with the commitment at 2,000 and 38,000 (its p5 and p95), 48,000 and
    # 12,000
    rows = [{"path": COST, "distribution": "uniform", "low": 400.0, "high": 600.0},
            {"path": "source[donor].commitment", "distribution": "uniform", "low": 0.0, "high": 40000.0}]
    sources = [{"id": "donor", "kind": "grant", "currency": "USD", "commitment": 30000.0}]
    raw = {**_plan(rows, sources), "risk": {"point": "as_written"}}  # the file's values, not the means
    t = tornado(scenario_from_dict(raw), ["total_gap", "total_cost"]).set_index(["metric", "path"])
    assert t.loc[("total_gap", COST), ["low_value", "high_value"]].tolist() == [11000, 29000]
    assert t.loc[("total_gap", "source[donor].commitment"), ["low_value", "high_value"]].tolist() == [48000, 12000]
    assert t.loc[("total_gap", "source[donor].commitment"), "rank"] == 1  # swing 36,000 over 18,000
    assert t.loc[("total_cost", "source[donor].commitment"), "swing"] == 0


def test_the_tornado_holds_the_other_inputs_at_their_means_by_default():
    # [risk] point = "mean" (the default): the other inputs at their distributions' means, the unit cost at
    # (400 + 600) / 2 = 500 and the commitment at (0 + 40,000) / 2 = 20,000. The unit cost at its p5 and p95 (410 and
    # 590): gaps 100 x 410 - 20,000 = 21,000 and 100 x 590 - 20,000 = 39,000; the base gap 50,000 - 20,000 = 30,000
    rows = [{"path": COST, "distribution": "uniform", "low": 400.0, "high": 600.0},
            {"path": "source[donor].commitment", "distribution": "uniform", "low": 0.0, "high": 40000.0}]
    sources = [{"id": "donor", "kind": "grant", "currency": "USD", "commitment": 30000.0}]
    t = tornado(scenario_from_dict(_plan(rows, sources)), ["total_gap"]).set_index(["metric", "path"])
    assert t.loc[("total_gap", COST), ["low_value", "high_value"]].tolist() == [21000, 39000]
    assert t.attrs["base"]["total_gap"] == 30000


def test_all_the_tornado_runs_are_one_engine_call(monkeypatch):
    import dfl_finance.studies.risk.sensitivity as sensitivity

    calls = []
    real = sensitivity.run
    monkeypatch.setattr(sensitivity, "run", lambda *args, **kwargs: calls.append(kwargs["draws"]) or
                        real(*args, **kwargs))
    tornado(scenario_from_dict(_plan(ROWS)), ["total_cost", "total_gap"])
    assert calls == [2 * 2 + 1]  # the base and each input at its low and high


# ------------------------------------------------------------------------------------------------ Sobol


def _ishigami(x, a=7.0, b=0.1):
    return np.atleast_2d(np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0]))


def test_the_sobol_wrapper_gives_the_ishigami_indices():
    # a, b = 7, 0.1, inputs uniform on (-pi, pi): analytic first-order and total indices (Ishigami and Homma 1990;
    # Sobol' and Levitan 1999)
    s = sobol(_ishigami, [Marginal("uniform", low=-np.pi, high=np.pi)] * 3, 2**11, seed=7)
    s1, st = [0.3139, 0.4424, 0.0], [0.5576, 0.4424, 0.2437]
    np.testing.assert_allclose(s.first_order[0], s1, atol=0.02)
    np.testing.assert_allclose(s.total_order[0], st, atol=0.02)
    # the bootstrap intervals bracket the estimates and are narrow at this N
    assert (s.first_order_low <= s.first_order).all() and (s.first_order <= s.first_order_high).all()
    assert (s.total_order_low <= s.total_order).all() and (s.total_order <= s.total_order_high).all()
    assert (s.first_order_high - s.first_order_low).max() < 0.1


def test_the_sobol_wrapper_is_scipys_estimator_and_is_reproducible():
    marginals = [Marginal("uniform", low=-np.pi, high=np.pi)] * 3
    a, b = sobol(_ishigami, marginals, 256, seed=3), sobol(_ishigami, marginals, 256, seed=3)
    assert np.array_equal(a.first_order_low, b.first_order_low) and np.array_equal(a.total_order, b.total_order)
    # scipy directly, with the same design (uniforms from the same generator mapped through the same ppf)
    ref = stats.sobol_indices(func=lambda u: _ishigami(-np.pi + 2 * np.pi * u), n=256,
                              dists=[stats.uniform()] * 3, rng=np.random.default_rng(3))
    np.testing.assert_allclose(a.first_order[0], ref.first_order, atol=1e-9)
    np.testing.assert_allclose(a.total_order[0], ref.total_order, atol=1e-9)


def test_sobol_indices_of_total_cost_by_hand():
    # total cost = 100 x unit cost: the unit cost explains all of its variance (S1 = ST = 1), the burden limit
    # none (exactly 0: the runs that change only it give the same total cost)
    s = sobol_df(scenario_from_dict(_plan(ROWS)), ["total_cost"], n=512, seed=1).set_index("path")
    assert list(sobol_df(scenario_from_dict(_plan(ROWS)), ["total_cost"], n=4, seed=1).columns) == SOBOL_COLUMNS
    assert s.loc[COST, "first_order"] == pytest.approx(1.0, abs=0.05)
    assert s.loc[COST, "total_order"] == pytest.approx(1.0, abs=0.05)
    assert s.loc[LIMIT, ["first_order", "total_order"]].tolist() == [0.0, 0.0]
    assert s.loc[COST, "first_order_low"] <= 1.0 <= s.loc[COST, "first_order_high"]


def test_a_metric_undefined_in_some_runs_has_no_indices():
    # leverage needs domestic outlay; the grant is the only source: leverage is undefined in every run
    rows = [{"path": COST, "distribution": "uniform", "low": 400.0, "high": 600.0}]
    sources = [{"id": "donor", "kind": "grant", "currency": "USD"}]
    s = sobol_df(scenario_from_dict(_plan(rows, sources)), ["leverage", "total_cost"], n=16, seed=1)
    assert s.loc[s["metric"] == "leverage", SOBOL_INDEX_COLUMNS].isna().all().all()
    assert s.loc[s["metric"] == "total_cost", "first_order"].iloc[0] == pytest.approx(1.0, abs=0.2)


def test_chunked_evaluation_equals_one_call(monkeypatch):
    import dfl_finance.studies.risk.sensitivity as sens

    sc = scenario_from_dict(_plan(ROWS, [{"id": "donor", "kind": "grant", "currency": "USD",
                                          "commitment": 30000.0}]))
    inputs = uncertain_inputs(sc)
    x = np.stack([inp.marginal.ppf(np.linspace(0.01, 0.99, 37)) for inp in inputs])
    whole = evaluate(sc, inputs, x, ["total_cost", "total_gap", "peak_burden_share"])[0]
    monkeypatch.setattr(sens, "_chunk_draws", lambda scenario: 5)
    np.testing.assert_array_equal(evaluate(sc, inputs, x, ["total_cost", "total_gap", "peak_burden_share"])[0],
                                  whole)


# ------------------------------------------------------------------------------------------------ bad input


def test_bad_requests_name_the_problem():
    with pytest.raises(SensitivityError, match="unknown metric 'gap'.*total_gap"):
        check_metrics(["gap"])
    with pytest.raises(SensitivityError, match="power of 2.*1000.*512 or 1024"):
        check_n(1000)
    with pytest.raises(SensitivityError, match="no \\[\\[uncertain\\]\\] rows: sensitivity needs them"):
        tornado(scenario_from_dict(_plan([])), ["total_cost"])


def test_sensitivity_command_writes_the_tables_with_the_seed(tmp_path, capsys):
    path = _toml(tmp_path, _plan(ROWS))
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--metric", "total_cost", "--metric", "total_gap", "--out", str(out),
                 "--n", "64", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    # ranked, each input by its label and with its unit (the tables keep the path)
    assert printed.index("connect: kit, unit cost") < printed.index("Burden limit")
    assert "410 .. 590 USD" in printed and "0.0575 .. 0.1925 share" in printed and COST not in printed
    t, s = pd.read_csv(out / "tornado.csv"), pd.read_csv(out / "sobol.csv")
    assert list(t.columns) == TORNADO_COLUMNS and list(s.columns) == SOBOL_COLUMNS
    assert set(t["metric"]) == set(s["metric"]) == {"total_cost", "total_gap"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["sensitivity"]["engine_draws"] == 64 * (2 + 2)
    assert main(["sensitivity", str(path), "--metric", "total_cost", "--metric", "total_gap",
                 "--out", str(tmp_path / "again"), "--n", "64", "--seed", "5"]) == 0
    assert pd.read_csv(tmp_path / "again" / "sobol.csv").equals(s)
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "t"), "--no-sobol"]) == 0
    assert not (tmp_path / "t" / "sobol.csv").exists() and (tmp_path / "t" / "tornado.csv").exists()


@pytest.mark.parametrize("args, uncertain, words", [
    (["--metric", "gap"], ROWS, "unknown metric 'gap'"),
    (["--n", "100"], ROWS, "power of 2"),
    ([], [], "sensitivity needs them"),
])
def test_sensitivity_command_refuses_bad_requests_with_exit_2(tmp_path, capsys, args, uncertain, words):
    path = _toml(tmp_path, _plan(uncertain))
    capsys.readouterr()
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_tables_name_each_input_in_words_with_its_unit_and_keep_its_path():
    sc = scenario_from_dict(_plan(ROWS))
    t, s = tornado(sc, ["total_cost"]), sobol_df(sc, ["total_cost"], n=8, seed=1)
    # added after the columns there were
    assert list(t.columns) == ["scenario", "metric", "path", "low_input", "high_input", "low_value", "high_value",
                               "swing", "unit", "rank", "input_label", "input_unit"]
    assert list(s.columns) == ["scenario", "metric", "path", "first_order", "total_order", "first_order_low",
                               "first_order_high", "total_order_low", "total_order_high", "input_label", "input_unit",
                               "note"]
    for table in (t, s):
        words = dict(zip(table["path"], zip(table["input_label"], table["input_unit"])))
        assert words == {COST: ("connect: kit, unit cost", "USD"), LIMIT: ("Burden limit", "share")}
    assert set(t["unit"]) == {"USD"}  # the metric's unit stays in its own column


def test_an_index_above_one_is_explained_in_the_table_and_the_output_with_the_sample_size_to_raise(tmp_path, capsys):
    # Kenya's funding gap at N = 64: the online teacher course's estimated first-order index exceeds 1, which a share
    # of the variance cannot (scipy's estimators at a small sample); the others stay within 0..1. The file's first
    # four rows (the plan's unit costs and inflation, before issue 22 added the devices, the exchange rate and the
    # budget), the deterministic run as written, with the budget's share capped at 1.5%, not 3% (as the East-African
    # portfolio example caps it), so that there is a gap: on the one connectivity price basis (costs23) the plan
    # leaves none at 3%; the 4G bandwidth's index was the one above 1 before
    from tests.conftest import ROOT

    text = (ROOT / "scenarios/kenya-ida-gpe.toml").read_text(encoding="utf-8")
    kenya = tmp_path / "kenya.toml"
    kenya.write_text(text[:text.index("# The largest cost lines")].replace('point = "mean"', 'point = "as_written"')
                     .replace("budget_share_cap = 0.03", "budget_share_cap = 0.015"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(kenya), "--n", "64", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    s = pd.read_csv(out / "sobol.csv", keep_default_na=False)
    over = s[s["first_order"] > 1]
    assert len(over) == 1 and over["path"].iloc[0] == "programme[teacher_data_skills_online].cost[0].unit_cost"
    assert over["note"].iloc[0].startswith("first-order and total indices above 1 (100%)")
    assert "N = 64 base samples" in over["note"].iloc[0]
    assert set(s.loc[s["first_order"] <= 1, "note"]) == {""}
    assert "note: the Sobol index of the funding gap to Teacher data skills (online): online course per teacher" \
           in printed and "small samples do this; raise the sample size with --n (now 64; e.g. --n 256)" \
           in printed


def test_a_sobol_design_larger_than_a_risk_run_is_refused_with_its_size(tmp_path, capsys):
    """--n 2^30 asked for 48 GiB (issue 26): N (k + 2) engine draws may be at most MAX_DRAWS, said with the N that
    fits."""
    from tests.conftest import ROOT

    code = main(["sensitivity", str(ROOT / "scenarios" / "rwanda-ida-credit.toml"), "--n", str(2**30),
                 "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "1,073,741,824" in err and "at most 1,000,000" in err and "N at most 65,536" in err
    assert not (tmp_path / "s").exists()

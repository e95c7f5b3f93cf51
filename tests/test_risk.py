"""Risk: uncertain inputs, their draws and the quantile tables; known answers by hand, reproducibility, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dfl_finance import ScenarioError, scenario_from_dict
from dfl_finance.cli import main
from dfl_finance.engine.sampling import Marginal, correlate, uniforms
from dfl_finance.inputs.io import dump_scenario
from dfl_finance.outputs.result import quantiles_df
from dfl_finance.studies.risk import run_risk


def _plan(uncertain, risk=None, sources=None, **context):
    return {
        "scenario": {"name": "risk", "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 100, "learners": 0, "teachers": 0, "education_budget": 1e6, **context},
        "programme": [{"id": "connect", "pillar": "infrastructure", "driver": "schools", "rollout": "immediate",
                       "cost": [{"item": "kit", "kind": "capex", "unit_cost": 500.0}]}],
        "source": sources or [],
        "uncertain": uncertain,
        **({"risk": risk} if risk else {}),
    }


# ------------------------------------------------------------------------------------------------ sampling


@pytest.mark.parametrize("method", ["lhs", "sobol", "mc"])
def test_the_same_seed_gives_the_same_draws(method):
    a, b = uniforms(64, 3, method, 7), uniforms(64, 3, method, 7)
    assert np.array_equal(a, b) and not np.array_equal(a, uniforms(64, 3, method, 8))
    assert ((a > 0) & (a < 1)).all()


@pytest.mark.parametrize("m, check", [
    (Marginal("uniform", low=2.0, high=4.0), stats.uniform(2, 2)),
    (Marginal("triangular", low=0.0, mode=1.0, high=4.0), stats.triang(0.25, 0, 4)),
    (Marginal("pert", low=0.0, mode=1.0, high=4.0), stats.beta(2.0, 4.0, 0, 4)),  # 1 + 4 x 1/4, 1 + 4 x 3/4
    (Marginal("lognormal", median=3.0, sd_log=0.5), stats.lognorm(0.5, scale=3.0)),
])
def test_each_distribution_follows_its_definition(m, check):
    u = np.array([0.05, 0.25, 0.5, 0.9])
    assert m.ppf(u) == pytest.approx(check.ppf(u))


def test_a_normal_is_truncated_to_the_field_and_a_discrete_follows_its_weights():
    normal = Marginal("normal", mean=0.9, sd=0.2, lower_bound=0.0, upper_bound=1.0)
    x = normal.ppf(np.linspace(0.001, 0.999, 101))
    assert x.min() >= 0.0 and x.max() <= 1.0
    discrete = Marginal("discrete", values=(1.0, 2.0, 3.0), weights=(1.0, 1.0, 2.0))
    # cumulative weights 0.25, 0.5, 1.0
    assert discrete.ppf(np.array([0.1, 0.3, 0.6, 0.99])).tolist() == [1.0, 2.0, 3.0, 3.0]


def test_a_group_is_correlated_at_its_rho():
    u = correlate(uniforms(20000, 3, "mc", 1), [[0, 1]], [0.8])
    z = stats.norm.ppf(u)
    r = np.corrcoef(z, rowvar=False)
    assert r[0, 1] == pytest.approx(0.8, abs=0.02) and abs(r[0, 2]) < 0.03


# ------------------------------------------------------------------------------------------------ known answers


def test_a_uniform_unit_cost_gives_total_cost_quantiles_by_hand():
    # 100 schools reached in 2026 at a unit cost uniform on 400..600: the total cost is 100 x the unit cost, so its
    # p10 is 100 x 420 = 42,000, its p50 50,000, its p90 58,000 and its mean 50,000 (a Latin hypercube of 1,000
    # draws puts one draw in each 1/1000 of the range: the quantiles are within 0.1 of the range)
    raw = _plan([{"path": "programme[connect].cost[kit].unit_cost", "distribution": "uniform",
                  "low": 400.0, "high": 600.0}], risk={"draws": 1000, "seed": 3})
    q = quantiles_df(run_risk(scenario_from_dict(raw))).set_index(["metric", "statistic"])["value"]
    assert q[("total_cost", "p10")] == pytest.approx(42000, abs=40)
    assert q[("total_cost", "p50")] == pytest.approx(50000, abs=40)
    assert q[("total_cost", "p90")] == pytest.approx(58000, abs=40)
    assert q[("total_cost", "mean")] == pytest.approx(50000, abs=40)


def test_the_gap_mean_by_hand_with_an_uncertain_grant():
    # cost 50,000; a grant whose commitment is 0 or 50,000 with probability 1/2 each (a pledge that materialises
    # or not), nothing else: the gap is 50,000 or 0, its mean 25,000
    raw = _plan([{"path": "source[donor].commitment", "distribution": "discrete", "values": [0.0, 50000.0]}],
                risk={"draws": 2000, "seed": 5, "method": "mc"},
                sources=[{"id": "donor", "kind": "grant", "currency": "USD"}])
    q = quantiles_df(run_risk(scenario_from_dict(raw))).set_index(["metric", "statistic"])["value"]
    assert q[("total_gap", "mean")] == pytest.approx(25000, rel=0.05)
    assert q[("total_gap", "p5")] == 0 and q[("total_gap", "p95")] == 50000


def test_without_uncertain_inputs_every_draw_is_the_deterministic_run():
    from dfl_finance import run

    sc = scenario_from_dict(_plan([]))
    q = quantiles_df(run_risk(sc, draws=4)).set_index(["metric", "statistic"])["value"]
    assert q[("total_cost", "p5")] == q[("total_cost", "p95")] == run(sc).summary()["total_cost"]


def test_a_loan_rate_and_inflation_can_vary():
    raw = _plan([{"path": "source[ida].rate", "distribution": "uniform", "low": 0.0, "high": 0.05},
                 {"path": "macro.inflation", "distribution": "triangular", "low": 0.02, "mode": 0.05,
                  "high": 0.12}],
                sources=[{"id": "ida", "kind": "loan", "rate": 0.01, "grace_years": 1, "maturity_years": 5,
                          "repayment": "annuity"}], risk={"draws": 50, "seed": 1})
    raw["scenario"]["currency"] = "RWF"
    raw["macro"] = {"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 1300.0}
    res = run_risk(scenario_from_dict(raw))
    service = res.metric_arrays()["total_debt_service"]
    assert np.ptp(service) > 0  # the rate moves the debt service
    assert len(np.unique(res.inputs.prices.lcu[:, -1])) > 40  # and inflation the price paths


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("row, field, words", [
    ({"path": "programme[nowhere].cost[0].unit_cost", "distribution": "uniform", "low": 1.0, "high": 2.0},
     "uncertain[0].path", "nowhere"),
    ({"path": "scenario.name", "distribution": "uniform", "low": 1.0, "high": 2.0},
     "uncertain[0].path", "cannot vary"),
    ({"path": "programme[connect].target_share", "distribution": "uniform", "low": 0.5, "high": 1.2},
     "uncertain[0].high", "<= 1"),
    ({"path": "programme[connect].cost[kit].unit_cost", "distribution": "uniform", "low": 2.0, "high": 1.0},
     "uncertain[0].high", "above low"),
    ({"path": "programme[connect].cost[kit].unit_cost", "distribution": "triangular", "low": 1.0, "high": 2.0},
     "uncertain[0].mode", "required"),
    ({"path": "programme[connect].cost[kit].unit_cost", "distribution": "normal", "mean": 500.0, "sd": 50.0,
      "low": 1.0}, "uncertain[0].low", "takes mean, sd"),
])
def test_a_bad_uncertain_row_names_its_field(row, field, words):
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(_plan([row]))
    text = str(exc.value)
    assert field in text and words in text, text


def test_a_correlation_that_is_not_a_correlation_matrix_is_refused():
    rows = [{"path": path, "distribution": "uniform", "low": 0.1, "high": 0.2, "group": "g", "rho": -0.9}
            for path in ("programme[connect].start_share", "programme[connect].target_share",
                         "context.burden_limit")]
    with pytest.raises(ScenarioError, match="not positive semi-definite"):
        scenario_from_dict(_plan(rows))


def test_risk_command_writes_quantiles_with_the_seed_and_refuses_bad_draws(tmp_path, capsys):
    raw = _plan([{"path": "programme[connect].cost[kit].unit_cost", "distribution": "pert", "low": 400.0,
                  "mode": 450.0, "high": 700.0}])
    path = tmp_path / "risk.toml"
    path.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["risk", str(path), "--draws", "200", "--seed", "11", "--out", str(out), "--draws-out"]) == 0
    q = pd.read_csv(out / "quantiles.csv")
    assert set(q["statistic"]) == {"p5", "p10", "p50", "p90", "p95", "mean"}
    assert "prob_over_limit" in set(q["metric"])
    assert set(pd.read_csv(out / "yearly_quantiles.csv")["measure"]) == {"cost", "gap", "burden_share"}
    assert pd.read_csv(out / "draws.csv")["draw"].nunique() == 200
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["risk"]["risk"]["draws"] == 200
    # the same seed, the same numbers
    assert main(["risk", str(path), "--draws", "200", "--seed", "11", "--out", str(tmp_path / "again")]) == 0
    assert pd.read_csv(tmp_path / "again" / "quantiles.csv").equals(q)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["risk", str(path), "--draws", "0", "--out", str(tmp_path / "bad")])
    assert exc.value.code == 2 and "--draws" in capsys.readouterr().err


def test_a_pledge_with_reliability_p_gives_the_gap_mean_by_hand():
    # cost 50,000 in one year; a grant of 50,000 that materialises with probability 0.7 and otherwise pays nothing:
    # the gap is 0 with probability 0.7 and 50,000 with 0.3, its mean 15,000
    raw = _plan([], risk={"draws": 4000, "seed": 9, "method": "mc"},
                sources=[{"id": "donor", "kind": "grant", "commitment": 50000.0, "reliability": 0.7}])
    sc = scenario_from_dict(raw)
    q = quantiles_df(run_risk(sc)).set_index(["metric", "statistic"])["value"]
    assert q[("total_gap", "mean")] == pytest.approx(15000, rel=0.05)
    from dfl_finance import run

    assert run(sc).summary()["total_gap"] == 0  # the deterministic run takes the pledge as written


def test_a_disbursement_share_and_a_lag_by_hand():
    # 50,000 a year for 3 years (fixed opex); a grant of at most 50,000 a year in 2026 only. Half of each draw's
    # pledge disburses (share = 0.5 exactly); with a lag of 1 year it pays in 2027 instead: in both cases the grant
    # pays 25,000 and the gap is 150,000 - 25,000
    raw = {
        "scenario": {"name": "lag", "start_year": 2026, "years": 3, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": 0, "teachers": 0, "education_budget": 1e6},
        "programme": [{"id": "a", "pillar": "governance", "driver": "none",
                       "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 50000.0}]}],
        "source": [{"id": "donor", "kind": "grant", "annual_cap": 50000.0, "last_year": 2026,
                    "disbursement_share": {"distribution": "discrete", "values": [0.5]},
                    "disbursement_lag": {"values": [0, 1], "weights": [0.5, 0.5]}}],
        "risk": {"draws": 200, "seed": 4, "method": "mc"},
    }
    res = run_risk(scenario_from_dict(raw))
    gap = res.metric_arrays()["total_gap"]
    assert gap == pytest.approx(np.full(200, 125000.0))
    paid_2027 = res.sim.paid[:, 1, 0]
    assert set(np.round(paid_2027)) == {0.0, 25000.0}  # the delayed draws pay in 2027


def test_a_bad_disbursement_share_or_lag_names_its_field():
    bad_share = _plan([], sources=[{"id": "donor", "kind": "grant", "commitment": 1.0,
                                    "disbursement_share": {"distribution": "uniform", "low": 0.5, "high": 1.5}}])
    with pytest.raises(ScenarioError, match=r"source\[0\]\.disbursement_share\.high"):
        scenario_from_dict(bad_share)
    bad_lag = _plan([], sources=[{"id": "donor", "kind": "grant", "commitment": 1.0,
                                  "disbursement_lag": {"values": [0, -1]}}])
    with pytest.raises(ScenarioError, match=r"source\[0\]\.disbursement_lag\.values"):
        scenario_from_dict(bad_lag)


def test_a_line_uncertain_from_data_follows_a_triangular_over_its_range():
    # 100 kits at 500 with a public range of 400..600: triangular(400, 500, 600), mean 500, so the mean total cost
    # is 100 x 500 = 50,000; p5 of the triangular: 400 + sqrt(0.05 x 200 x 100) = 431.62 -> 43,162
    raw = _plan([], risk={"draws": 2000, "seed": 2})
    raw["programme"][0]["cost"][0].update(price_range=[400.0, 600.0], uncertain="from-data")
    q = quantiles_df(run_risk(scenario_from_dict(raw))).set_index(["metric", "statistic"])["value"]
    assert q[("total_cost", "mean")] == pytest.approx(50000, abs=50)
    assert q[("total_cost", "p5")] == pytest.approx(43162, abs=60)


def test_template_lines_carry_the_public_range_of_their_data_row():
    from dfl_finance.inputs.profiles import templates

    lines = {c["item"]: c for c in templates()["connectivity-satellite"]["cost"]}
    assert lines["satellite terminal"]["price_range"] == [515.0, 600.0]  # Giga Rwanda and Sierra Leone


@pytest.mark.parametrize("line, field", [
    ({"uncertain": "from-data"}, "uncertain"),
    ({"price_range": [700.0, 600.0]}, "price_range"),
    ({"price_range": [600.0, 700.0], "uncertain": "from-data"}, "price_range"),  # the mode 500 outside
])
def test_a_bad_price_range_names_its_field(line, field):
    raw = _plan([])
    raw["programme"][0]["cost"][0].update(line)
    with pytest.raises(ScenarioError, match=rf"programme\[0\]\.cost\[0\]\.{field}"):
        scenario_from_dict(raw)


# ------------------------------------------------------------------------------------------------ chunks, progress

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("chunk", [1, 7, 64, 500])
def test_chunks_do_not_change_a_single_number(chunk):
    """The chunked run keeps of each draw what the whole run gives (the engine treats every draw alone, the inputs
    are sampled once): every summary metric and yearly measure of every draw to rounding error (matrix products
    may round the last bit differently for another number of draws), and the same rounded quantile tables."""
    from dfl_finance import load_scenario
    from dfl_finance.outputs.result import yearly_quantiles_df
    from dfl_finance.studies.risk import risk_draws

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    whole = run_risk(sc, 500, seed=3)
    parts = risk_draws(sc, 500, seed=3, chunk=chunk)
    assert parts.draws == 500
    expected = whole.summary_arrays()
    assert list(parts.summary_arrays()) == list(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(parts.summary_arrays()[key], values, rtol=1e-13, atol=0, err_msg=key)
    for key, values in whole.yearly_arrays().items():
        np.testing.assert_allclose(parts.yearly_arrays()[key], values, rtol=1e-13, atol=1e-300, err_msg=key)
    pd.testing.assert_frame_equal(quantiles_df(parts), quantiles_df(whole))
    pd.testing.assert_frame_equal(yearly_quantiles_df(parts), yearly_quantiles_df(whole))


def test_a_chunk_holds_about_chunk_bytes_of_arrays_within_the_memory_limit(monkeypatch):
    """The default chunk: about CHUNK_BYTES of engine arrays (smaller chunks cost less CPU per draw), at least
    CHUNK_FLOOR draws, and never more than the memory limit allows."""
    import dfl_finance.studies.risk.draws as chunked
    from dfl_finance import load_scenario
    from dfl_finance.model.sizing import memory_estimate, sizes

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    sizes_seen: list[int] = []
    monkeypatch.setattr(chunked, "run", lambda scenario, basis, draws, samples: sizes_seen.append(draws) or
                        run_risk(scenario, 2, seed=1))
    chunked.risk_draws(sc, 3000, seed=1)
    size = sizes_seen[0]
    assert chunked.CHUNK_FLOOR <= size < 3000 and sum(sizes_seen) == 3000
    assert memory_estimate(sizes(sc, size)) <= chunked.CHUNK_BYTES < memory_estimate(sizes(sc, size + 50))
    sizes_seen.clear()
    monkeypatch.setattr(chunked, "chunk_draws", lambda scenario, memory=None, most=None: 10 if most else 5000)
    chunked.risk_draws(sc, 30, seed=1)  # the memory limit allows 10 draws a call: the floor does not apply
    assert sizes_seen == [10, 10, 10]


def test_a_chunked_run_reports_its_progress_in_draws():
    from dfl_finance.studies.risk import risk_draws

    done: list[int] = []
    risk_draws(scenario_from_dict(_plan([{"path": "programme[connect].cost[kit].unit_cost",
                                          "distribution": "uniform", "low": 400.0, "high": 600.0}])),
               draws=25, seed=1, chunk=10, progress=done.append)
    # each chunk's draws once it is done: draws 10-19, 20-24, then 0-9 (the first chunk runs last: it is kept)
    assert done == [10, 5, 10]


def _on_a_terminal(args: list[str]) -> bytes:
    """What a command writes to stderr when stderr is a 100-column terminal (a pseudo-terminal)."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    main_fd, sub_fd = os.openpty()
    fcntl.ioctl(sub_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "dfl_finance.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=sub_fd, cwd=ROOT)
    os.close(sub_fd)
    out = b""
    while True:
        try:
            block = os.read(main_fd, 4096)
        except OSError:  # the command closed the terminal
            break
        if not block:
            break
        out += block
    os.close(main_fd)
    assert proc.wait() == 0
    return out


def test_a_long_risk_run_shows_a_progress_bar_on_a_terminal_and_none_in_a_pipe(tmp_path):
    import subprocess
    import sys

    # 100,000 draws: the bar shows after a second, and 10,000 draws now take less
    args = ["risk", "scenarios/rwanda-ida-credit.toml", "--draws", "100000", "--seed", "2"]
    shown = _on_a_terminal([*args, "--out", str(tmp_path / "tty")]).decode("utf-8", "replace")
    # the bar is shown (its last state may not be drawn before it is cleared: tqdm draws at most every 0.1 s, and
    # the draws' count is checked in test_a_chunked_run_reports_its_progress_in_draws)
    assert "/100k [" in shown and "draw/s" in shown
    piped = subprocess.run([sys.executable, "-m", "dfl_finance.cli", *args, "--out", str(tmp_path / "pipe")],
                           capture_output=True, text=True, cwd=ROOT, check=True)
    assert "draw/s" not in piped.stderr and "%|" not in piped.stderr


def test_draws_out_in_parquet_holds_the_csv_rows_and_a_huge_table_is_refused(tmp_path, capsys, monkeypatch):
    import dfl_finance.cli.commands as cli
    from dfl_finance.outputs.export import verify_outputs

    raw = _plan([{"path": "programme[connect].cost[kit].unit_cost", "distribution": "uniform", "low": 400.0,
                  "high": 600.0}])
    path = tmp_path / "risk.toml"
    path.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    assert main(["risk", str(path), "--draws", "50", "--out", str(tmp_path / "csv"), "--draws-out"]) == 0
    assert main(["risk", str(path), "--draws", "50", "--out", str(tmp_path / "pq"), "--draws-out", "parquet"]) == 0
    csv = pd.read_csv(tmp_path / "csv" / "draws.csv")
    pq = pd.read_parquet(tmp_path / "pq" / "draws.parquet")
    assert not (tmp_path / "pq" / "draws.csv").exists()
    assert len(pq) == len(csv) and pq["draw"].nunique() == 50
    np.testing.assert_allclose(pq["value"].to_numpy(), csv["value"].to_numpy(), rtol=1e-12)
    assert verify_outputs(tmp_path / "pq") == []  # the manifest lists and hashes the Parquet file
    capsys.readouterr()
    monkeypatch.setattr(cli, "DRAWS_OUT_ROWS", 1000)
    assert main(["risk", str(path), "--draws", "50", "--out", str(tmp_path / "big"), "--draws-out"]) == 2
    err = capsys.readouterr().err
    assert "--draws-out would write" in err and "Traceback" not in err
    assert not (tmp_path / "big").exists()


# ------------------------------------------------------------------------------------------------ flat draws

FLAT = "no uncertain inputs: every draw is the same; its quantiles are flat"
STILL = "its uncertain inputs move no summary metric: every draw is the same; its quantiles are flat"


def _file(tmp_path, name, uncertain, sources=None):
    raw = _plan(uncertain, sources=sources)
    raw["scenario"]["name"] = name
    path = tmp_path / f"{name}.toml"
    path.write_text(dump_scenario(scenario_from_dict(raw)), encoding="utf-8")
    return path


KIT = [{"path": "programme[connect].cost[kit].unit_cost", "distribution": "uniform", "low": 400.0, "high": 600.0}]
# teachers drive no programme of the plan: drawing them moves nothing
TEACHERS = [{"path": "context.teachers", "distribution": "uniform", "low": 10.0, "high": 20.0}]


def test_risk_says_which_scenario_is_flat_in_its_output_its_table_and_its_manifest(tmp_path, capsys):
    files = [_file(tmp_path, "plain", []), _file(tmp_path, "still", TEACHERS), _file(tmp_path, "drawn", KIT)]
    out = tmp_path / "out"
    assert main(["risk", *map(str, files), "--draws", "50", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"plain: {FLAT}" in printed and f"still: {STILL}" in printed
    assert "drawn: " not in printed  # its draws differ: nothing to say
    q = pd.read_csv(out / "quantiles.csv", keep_default_na=False)
    assert list(q.columns) == ["scenario", "metric", "statistic", "value", "unit", "note"]
    assert dict(q.groupby("scenario")["note"].agg(lambda n: set(n))) == {"plain": {FLAT}, "still": {STILL},
                                                                          "drawn": {""}}
    risk = json.loads((out / "manifest.json").read_text())["risk"]
    assert risk["plain"]["uncertain"] == [] and risk["plain"]["flat"] and risk["plain"]["note"] == FLAT
    assert risk["still"]["uncertain"] == ["context.teachers"] and risk["still"]["note"] == STILL
    assert risk["drawn"]["flat"] is False and "note" not in risk["drawn"]


def test_a_pledge_or_a_line_from_data_is_an_uncertain_input_and_one_draw_is_not_called_flat():
    from dfl_finance.inputs.uncertain import drawn_inputs

    grant = {"id": "donor", "kind": "grant", "commitment": 20_000.0, "reliability": 0.5}
    sc = scenario_from_dict(_plan([], sources=[grant]))
    assert drawn_inputs(sc) == ["source[donor].reliability"]
    assert set(quantiles_df(run_risk(sc, draws=40, seed=1))["note"]) == {""}
    raw = _plan([])
    raw["programme"][0]["cost"][0].update(price_range=[400.0, 600.0], uncertain="from-data")
    assert drawn_inputs(scenario_from_dict(raw)) == ["programme[connect].cost[kit].unit_cost"]
    assert set(quantiles_df(run_risk(scenario_from_dict(_plan(KIT)), draws=1))["note"]) == {""}
    assert set(quantiles_df(run_risk(scenario_from_dict(_plan([])), draws=1))["note"]) == {FLAT}


def test_optimise_over_draws_says_a_flat_scenario_is_flat(tmp_path, capsys):
    mof = [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.5}]
    out = tmp_path / "out"
    assert main(["optimise", str(_file(tmp_path, "plain", [], mof)), "--draws", "5", "--out", str(out)]) == 0
    assert FLAT in capsys.readouterr().out
    assert set(pd.read_csv(out / "quantiles.csv")["note"]) == {FLAT}
    draws = json.loads((out / "manifest.json").read_text())["optimise"]["draws"]
    assert draws["uncertain"] == [] and draws["flat"] and draws["note"] == FLAT


def test_a_sweep_says_which_cases_are_flat(tmp_path, capsys):
    # an override set may add uncertain inputs: the plain scenario is flat as written, not with the kit drawn
    files = [_file(tmp_path, "plain", []), _file(tmp_path, "drawn", KIT)]
    spec = tmp_path / "sweep.toml"
    spec.write_text(f'[sweep]\nname = "flat"\nscenarios = ["{files[0]}", "{files[1]}"]\nseeds = [1, 2]\n'
                    'draws = 20\n\n[[sweep.override]]\nname = "as written"\n\n[[sweep.override]]\n'
                    'name = "kit drawn"\nvalues = { uncertain = [{ path = "programme[connect].cost[kit].unit_cost", '
                    'distribution = "uniform", low = 300.0, high = 700.0 }] }\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0"]) == 0
    printed = capsys.readouterr().out
    cases = pd.read_csv(out / "cases.csv", keep_default_na=False)
    flat = cases.loc[cases["note"] != "", ["case", "scenario", "override", "uncertain_inputs", "note"]]
    assert flat.values.tolist() == [[k, "plain", "as written", 0, FLAT] for k in (0, 1)]
    assert set(cases.loc[cases["note"] == "", "uncertain_inputs"]) == {1}
    assert f"plain: {FLAT} (cases 0, 1)" in printed and "drawn:" not in printed
    q = pd.read_csv(out / "quantiles.csv", keep_default_na=False)
    assert q.groupby("case")["note"].agg(set).to_dict() == {k: {FLAT} if k in (0, 1) else {""} for k in range(8)}
    manifest = json.loads((out / "manifest.json").read_text())
    kit = ["programme[connect].cost[kit].unit_cost"]
    assert manifest["uncertain"] == {"plain": {"as written": [], "kit drawn": kit},
                                     "drawn": {"as written": kit, "kit drawn": kit}}
    assert manifest["flat"] == {"0": FLAT, "1": FLAT}

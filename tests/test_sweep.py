"""Sweeps on dask.distributed: a real LocalCluster with two workers, and a scheduler and two workers started as
separate processes with the dask command-line tools, against the same sweep in this process; resume, a failed case
reported by name, bad sweep files; a portfolio's sweep against run_portfolio and against sums by hand."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError
from dfl_finance.cli import main
from dfl_finance.studies.sweep import load_sweep, read_draws, run_sweep
from dfl_finance.vocabulary import metric_definition, minor_unit_digits
from tests.conftest import ROOT, one_year_plan, write_portfolio


def _spec(tmp_path: Path, extra: str = "", draws: int = 20, chunk: int = 7) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(f"""
[sweep]
name = "test sweep"
scenarios = ["{ROOT / 'scenarios/rwanda-ida-credit.toml'}", "{ROOT / 'scenarios/kenya-ida-gpe.toml'}"]
stresses = ["baseline", "capex_overrun=0.3"]
seeds = [1, 2]
draws = {draws}
chunk = {chunk}
{extra}
[[sweep.override]]
name = "as written"

[[sweep.override]]
name = "growth 3%"
values = {{ "context.budget_growth" = 0.03 }}
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def client():
    from dfl_finance.studies.sweep import local_client

    c = local_client(2)
    yield c
    c.close()


def test_two_workers_give_the_numbers_of_one_process(tmp_path, client):
    sweep = load_sweep(_spec(tmp_path))
    assert len(sweep.cases) == 2 * 2 * 2 * 2 and len(sweep.tasks()) == 16 * 3
    local = run_sweep(sweep, tmp_path / "local")
    dask = run_sweep(sweep, tmp_path / "dask", client=client)
    assert not local.failed and not dask.failed and dask.ran == 48
    a, b = read_draws(tmp_path / "local"), read_draws(tmp_path / "dask")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 16 * 20 and a.groupby("case")["draw"].nunique().eq(20).all()
    # the partitions read as one table by pandas and by dask (the case from the folders' names)
    import dask.dataframe as dd

    for whole_table in (pd.read_parquet(tmp_path / "dask" / "draws"),
                        dd.read_parquet(tmp_path / "dask" / "draws").compute()):
        whole_table["case"] = whole_table["case"].astype(int)
        pd.testing.assert_frame_equal(whole_table.sort_values(["case", "draw"]).reset_index(drop=True)[a.columns],
                                      a, check_dtype=False)
    # the chunks do not change a number: the same sweep in one chunk per case
    whole = run_sweep(load_sweep(_spec(tmp_path, chunk=20)), tmp_path / "whole")
    assert not whole.failed
    pd.testing.assert_frame_equal(read_draws(tmp_path / "whole"), a)
    # the seeds move Rwanda's draws (its [[uncertain]] rows; Kenya has none), the stress moves the cost, the
    # budget growth the burden share
    q = pd.read_csv(tmp_path / "dask" / "quantiles.csv")
    cases = pd.read_csv(tmp_path / "dask" / "cases.csv").set_index("case")
    mean = q[q["statistic"] == "mean"].pivot(index="case", columns="metric", values="value").join(cases)
    rwanda = mean[mean["scenario"] == "Rwanda: IDA credit-led"]
    assert rwanda.groupby(["stress", "override"])["total_cost"].nunique().eq(2).all()  # two seeds
    assert mean.groupby(["scenario", "seed", "override"])["total_cost"].nunique().eq(2).all()  # the stress
    assert mean.groupby(["scenario", "seed", "stress"])["peak_burden_share"].nunique().eq(2).all()  # the growth
    assert set(q["unit"]) >= {"RWF", "KES"}


def test_the_same_sweep_runs_again_on_the_same_client(tmp_path, client):
    # the tasks were named by the case, the chunk and the process: a second run of the sweep on the same client named
    # the tasks of the first, which the scheduler had not always forgotten, and some were cancelled ("lost
    # dependencies"); each run now names its own
    sweep = load_sweep(_spec(tmp_path, draws=10, chunk=5))
    runs = [run_sweep(sweep, tmp_path / f"run-{i}", client=client) for i in range(4)]
    assert [r.failed for r in runs] == [{}] * 4 and [r.ran for r in runs] == [len(sweep.tasks())] * 4
    first = read_draws(tmp_path / "run-0")
    for i in range(1, 4):
        pd.testing.assert_frame_equal(read_draws(tmp_path / f"run-{i}"), first)


def test_a_sweep_resumes_from_the_chunks_written(tmp_path):
    sweep = load_sweep(_spec(tmp_path, draws=10, chunk=5))
    run_sweep(sweep, tmp_path / "out")
    before = read_draws(tmp_path / "out")
    gone = tmp_path / "out" / "draws" / "case=3" / "chunk=5.parquet"
    gone.unlink()
    again = run_sweep(sweep, tmp_path / "out", resume=True)
    assert again.ran == 1 and again.skipped == len(sweep.tasks()) - 1
    pd.testing.assert_frame_equal(read_draws(tmp_path / "out"), before)


def test_resume_keeps_only_the_chunks_computed_from_the_same_inputs_and_says_which_it_computes_again(tmp_path,
                                                                                                       capsys):
    """After a change of seed, --resume reused the old draws under the new labels with exit 0 (issue 26): a case's
    chunks are kept only when what they were computed from is unchanged; the others are computed again, named."""
    spec = _spec(tmp_path, draws=10, chunk=5)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0"]) == 0
    capsys.readouterr()
    spec.write_text(spec.read_text(encoding="utf-8").replace("seeds = [1, 2]", "seeds = [1, 5]"), encoding="utf-8")
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0", "--resume"]) == 0
    err = capsys.readouterr().err
    sweep = load_sweep(spec)
    changed = [c.index for c in sweep.cases if c.seed == 5]
    assert changed and all(f"case {k} (" in err for k in changed) and "inputs changed" in err
    fresh = tmp_path / "fresh"
    run_sweep(sweep, fresh)
    pd.testing.assert_frame_equal(read_draws(out), read_draws(fresh))  # as if run afresh with the new seeds
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(map(int, manifest["recomputed"])) == changed


def test_a_chunk_whose_writing_was_killed_leaves_nothing_the_readers_see(tmp_path):
    """A sweep killed while writing left a .tmp file in draws/ that --resume never removed, and
    pandas.read_parquet(draws/) failed on it (issue 26)."""
    sweep = load_sweep(_spec(tmp_path, draws=10, chunk=5))
    out = tmp_path / "out"
    run_sweep(sweep, out)
    for name in ("chunk=5.parquet.tmp4242", ".chunk=5.parquet.tmp4243"):  # as left by a kill, old and new names
        (out / "draws" / "case=0" / name).write_bytes(b"PAR1 half a file")
    run_sweep(sweep, out, resume=True)
    assert not [p for p in (out / "draws").rglob("*") if ".tmp" in p.name]
    assert len(pd.read_parquet(out / "draws")) == len(sweep.cases) * sweep.draws


def test_a_sweep_too_large_is_refused_before_anything_is_made(tmp_path):
    """10^11 tasks ended in a MemoryError (issue 26): the size is said and refused before the cases are made."""
    seeds = ", ".join(str(k) for k in range(5000))
    spec = _spec(tmp_path, draws=1_000_000, chunk=1).read_text(encoding="utf-8").replace(
        "seeds = [1, 2]", f"seeds = [{seeds}]")
    (tmp_path / "sweep.toml").write_text(spec, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"too large: 40,000 cases x 1,000,000 draws"):
        load_sweep(tmp_path / "sweep.toml")


def test_a_sweep_into_a_folder_that_cannot_be_made_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    spec = _spec(tmp_path, draws=10, chunk=5)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "a-file" / "out"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "a-file is not a folder" in err and "nothing was written" in err


def test_a_failed_case_is_reported_by_name_and_the_others_kept(tmp_path, capsys, monkeypatch):
    # a worker with less memory than the machine that checked the sweep: the chunks of the set that makes the plan
    # run 60 years after it (about 2 MiB each) are refused by the memory guard, those as written (0.6 MiB) run
    spec = _spec(tmp_path, draws=6, chunk=6)
    spec.write_text(spec.read_text().replace('name = "growth 3%"', 'name = "long tail"').replace(
        '"context.budget_growth" = 0.03', '"scenario.post_horizon_years" = 60'), encoding="utf-8")
    sweep = load_sweep(spec)
    monkeypatch.setenv("DFL_FINANCE_MEMORY_GIB", "0.001")
    state = run_sweep(sweep, tmp_path / "o")
    assert {sweep.cases[k].override for k in state.failed} == {"long tail"} and len(state.failed) == 8
    assert all("too large to run" in why for why in state.failed.values())
    cases = pd.read_csv(tmp_path / "o" / "cases.csv")
    failed = cases[cases["failed"].notna()]
    assert len(failed) == 8 and set(failed["override"]) == {"long tail"}
    assert (cases.loc[cases["failed"].isna(), "draws"] == 6).all()  # the others' results are there
    assert main(["sweep", str(spec), "--out", str(tmp_path / "p"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("failed: case") == 8 and "long tail" in err and "too large to run" in err


@pytest.mark.parametrize("stress, field, words", [
    ("capex_overrun=nan", "sweep.stresses", "capex_overrun=nan: size: the size of capex_overrun is"),
    ("pledge_shortfall:nobody", "sweep.stresses", "pledge_shortfall:nobody: source: no source with this id"),
    ("capex_overrun=10", "sweep.stresses", "capex_overrun=10: the stressed scenario is not valid: programme[0]."
                                           "cost[0].unit_cost: Input should be less than or equal to 1e+18"),
    ("delay:gpe", "sweep.case[0].stress", "delay:gpe: source: no source with this id (known: ida, mof)"),
])
def test_a_stress_that_cannot_stress_a_scenario_is_refused_by_the_sweep_file_and_field(tmp_path, capsys, stress,
                                                                                      field, words):
    """A stress size outside its range, a source a scenario does not have, or a stressed scenario that does not
    validate passed the sweep's check and failed every case it made, each named only by its case (found by
    tests/test_fuzz_inputs.py, issue 26)."""
    listed = f'[[sweep.case]]\nscenario = "{ROOT / "scenarios/rwanda-ida-credit.toml"}"\nstress = "{stress}"\n'
    spec = _spec(tmp_path, draws=2, chunk=2, extra=listed if field.startswith("sweep.case") else "")
    text = spec.read_text().replace('"capex_overrun=0.3"', f'"{stress}"')
    spec.write_text(text.replace('name = "as written"', 'name = "as written"\nvalues = { '
                                 '"programme[0].cost[0].unit_cost" = 1e17 }', 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    assert {p.path for p in info.value.problems} == {f"{spec}: {field}"}, info.value  # one per scenario at most
    assert words in info.value.problems[0].message and "rwanda-ida-credit.toml" in info.value.problems[0].message
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}: {field}: ") and "failed: case" not in err and not (tmp_path / "o").exists()


def test_a_bad_sweep_names_every_problem(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text((ROOT / "scenarios/rwanda-domestic.toml").read_text().replace(
        "[context]", "[context]\nschools = -3", 1), encoding="utf-8")
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text().replace(f'"{ROOT / "scenarios/kenya-ida-gpe.toml"}"', f'"{broken}"')
                    .replace('"context.budget_growth"', '"context.budget_grwth"')
                    .replace('"capex_overrun=0.3"', '"capex_overun"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    text = str(info.value)
    assert f"{broken}: context.schools" in text  # the broken scenario, by file and field
    assert "budget_grwth" in text and "did you mean" in text  # the override path, in the valid scenario
    assert "capex_overun" in text


@pytest.mark.parametrize("name, words", [("missing.toml", "missing.toml: file not found"),
                                         (".", "is a folder, not a scenario file")])
def test_a_scenario_file_that_cannot_be_read_is_named_by_the_sweep_file_and_field(tmp_path, capsys, name, words):
    """A missing scenario file was named alone, without the sweep file and sweep.scenarios (found by
    tests/test_fuzz_inputs.py, issue 26)."""
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text().replace(f'"{ROOT / "scenarios/kenya-ida-gpe.toml"}"', f'"{name}"'),
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: sweep.scenarios" and problem.value == name and words in problem.message
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert capsys.readouterr().err.startswith(f"{spec}: sweep.scenarios: ")


@pytest.mark.parametrize("seeds, case_seed", [("[18446744073709551616]", None), ("[true]", None),
                                               ("[1]", "9223372036854775808")])
def test_a_seed_that_is_not_a_whole_number_from_0_to_2_63_is_refused(tmp_path, capsys, seeds, case_seed):
    """Seeds of 2**64 validated and every case then failed with an OverflowError; true was taken as the seed 1
    (found by tests/test_fuzz_inputs.py, issue 26)."""
    extra = f'[[sweep.case]]\nscenario = "{ROOT / "scenarios/kenya-ida-gpe.toml"}"\nseed = {case_seed}\n' \
        if case_seed else ""
    spec = _spec(tmp_path, extra=extra)
    spec.write_text(spec.read_text().replace("seeds = [1, 2]", f"seeds = {seeds}"), encoding="utf-8")
    field = "sweep.case[0].seed" if case_seed else "sweep.seeds"
    words = rf"{re.escape(field)}: a.* whole number.* from 0 to 9,223,372,036,854,775,807"
    with pytest.raises(ScenarioError, match=words):
        load_sweep(spec)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}: {field}: ") and "failed: case" not in err and not (tmp_path / "o").exists()


def test_two_override_sets_of_the_same_name_are_refused(tmp_path):
    """Two sets named alike made cases with the same labels, and a listed case took the last of them (seen while
    extending the fuzz to sweep files, issue 26)."""
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text().replace('name = "growth 3%"', 'name = "as written"'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: sweep.override[1].name" and problem.value == "as written"
    assert "the name of sweep.override[0]: give each set its own name" in problem.message


@pytest.mark.parametrize("extra, key, words", [
    ('[[override]]\nname = "growth 4%"\nvalues = { "context.budget_growth" = 0.04 }\n', "override",
     "(did you mean [[sweep.override]]?)"),
    ("mutation = nan\n", "mutation", "unknown table: a sweep file has a [sweep] table"),
])
def test_a_table_outside_sweep_is_refused_not_dropped(tmp_path, capsys, extra, key, words):
    """Override sets written as [[override]] instead of [[sweep.override]], or any other key outside [sweep], were
    dropped without a word and the sweep ran without them (seen while extending the fuzz to sweep files, issue
    26)."""
    spec = _spec(tmp_path)
    spec.write_text(extra + spec.read_text(), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(spec)
    (problem,) = info.value.problems
    assert problem.path == f"{spec}: {key}" and words in problem.message
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert capsys.readouterr().err.startswith(f"{spec}: {key}: ") and not (tmp_path / "o").exists()


def test_a_listed_set_of_cases_instead_of_the_product(tmp_path):
    spec = _spec(tmp_path, draws=6, chunk=6, extra=f"""
[[sweep.case]]
scenario = "{ROOT / 'scenarios/kenya-ida-gpe.toml'}"
override = "growth 3%"
stress = "capex_overrun=0.3"
seed = 5

[[sweep.case]]
scenario = "{ROOT / 'scenarios/rwanda-ida-credit.toml'}"
""")
    sweep = load_sweep(spec)
    assert [(c.scenario, c.override, c.stress, c.seed) for c in sweep.cases] == [
        ("Kenya: IDA credit with GPE multiplier", "growth 3%", "capex_overrun=0.3", 5),
        ("Rwanda: IDA credit-led", "as written", "baseline", 1)]
    state = run_sweep(sweep, tmp_path / "o")
    assert not state.failed and len(read_draws(tmp_path / "o")) == 12
    bad = spec.read_text().replace('override = "growth 3%"', 'override = "growth 4%"')
    spec.write_text(bad, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"sweep.case\[0\].override"):
        load_sweep(spec)


def test_a_folder_or_a_missing_file_given_as_a_sweep_or_portfolio_is_named(tmp_path, capsys):
    assert main(["sweep", str(tmp_path), "--out", str(tmp_path / "a")]) == 2
    assert "is a folder, not a sweep file" in capsys.readouterr().err
    assert main(["portfolio", str(tmp_path / "none.toml"), "--out", str(tmp_path / "b")]) == 2
    assert "none.toml: file not found" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ a portfolio's sweep

EXAMPLE = ROOT / "examples" / "sweep-portfolio-east-africa.toml"


def _portfolio_spec(tmp_path: Path, portfolio: str, extra: str = "", draws: int = 200) -> Path:
    """A sweep of ``portfolio`` with an override set that makes each country's budget share uncertain."""
    path = tmp_path / "sweep.toml"
    path.write_text(f"""
[sweep]
portfolio = "{portfolio}"
draws = {draws}
chunk = 64
{extra}
[[sweep.override]]
name = "as written"

[[sweep.override]]
name = "uncertain budget"
[sweep.override.values]
uncertain = [{{ path = "source[mof].budget_share_cap", distribution = "uniform", low = 0.05, high = 0.3 }}]
""", encoding="utf-8")
    return path


def _two_countries(tmp_path: Path, envelope: float = 350.0) -> Path:
    """A portfolio of two one-year USD plans: A costs 400 and B 200; a budget of 1,000 of which the domestic source
    pays ``budget_share_cap`` (0.1 as written); the fund by need."""
    from dfl_finance import scenario_from_dict

    return write_portfolio(tmp_path, {"A": scenario_from_dict(one_year_plan("A", 400.0)),
                                      "B": scenario_from_dict(one_year_plan("B", 200.0))},
                           f'envelope = {envelope}\nrule = "need"')


def test_a_portfolio_sweep_on_two_workers_gives_the_numbers_of_one_process(tmp_path, client):
    sweep = load_sweep(EXAMPLE)
    assert sweep.portfolio is not None and sweep.portfolio.labels == ["Rwanda", "Kenya"]
    assert {c.scenario for c in sweep.cases} == {"Rwanda", "Kenya"} and len(sweep.cases) == 2 * 2 * 2
    local = run_sweep(sweep, tmp_path / "local")
    dask = run_sweep(sweep, tmp_path / "dask", client=client)
    assert not local.failed and not dask.failed and not local.incomplete and dask.ran == len(sweep.tasks())
    pd.testing.assert_frame_equal(read_draws(tmp_path / "local"), read_draws(tmp_path / "dask"))
    for table in ("cases.csv", "quantiles.csv", "portfolio_quantiles.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "local" / table), pd.read_csv(tmp_path / "dask" / table))
    # the countries' own uncertain inputs move the cost in every case (Kenya's plan fits its budget: its gap is 0
    # in most draws); the second option set draws one input more
    draws = read_draws(tmp_path / "dask")
    assert draws.groupby(["scenario", "override", "stress"])["total_cost_nominal_usd"].nunique().gt(30).all()
    cases = pd.read_csv(tmp_path / "dask" / "cases.csv", keep_default_na=False)
    drawn = cases.groupby(["scenario", "override"])["uncertain_inputs"].agg(set).map(lambda k: k.pop())
    assert drawn.to_dict() == {("Kenya", "as written"): 10, ("Kenya", "uncertain fund disbursement"): 11,
                               ("Rwanda", "as written"): 10, ("Rwanda", "uncertain fund disbursement"): 11}
    # the portfolio's common factors: the same draws in both countries, case by case
    assert sweep.portfolio.common == ("macro.usd_inflation", "macro.fx_rate", "programme[devices].cost[0].unit_cost")
    assert set(cases["note"]) == {""}
    pq = pd.read_csv(tmp_path / "dask" / "portfolio_quantiles.csv")
    assert set(pq["metric"]) == {"total_cost_nominal_usd", "total_external_nominal_usd", "total_gap_nominal_usd",
                                 "countries_with_gap"}
    assert len(pq.groupby(["override", "stress", "seed"])) == 4 and set(pq["portfolio"]) == {
        "Pooled fund, East Africa (example)"}


def test_the_countries_of_a_portfolio_sweep_are_the_portfolio_run(tmp_path):
    from dfl_finance.inputs.io import parse_resolved
    from dfl_finance.studies.portfolio import load_portfolio, run_portfolio

    # the example portfolio with its countries' inputs as written ([risk] point = "as_written": the deterministic run
    # at the files' values, which a draw without uncertain inputs takes)
    portfolio = tmp_path / "portfolio.toml"
    portfolio.write_text((ROOT / "examples" / "portfolio-east-africa.toml").read_text(encoding="utf-8").replace(
        '"../scenarios/', '"{}/'.format(ROOT / "scenarios")).replace(
        'values = { "source[mof]', 'values = { "risk.point" = "as_written", "source[mof]'), encoding="utf-8")
    spec = tmp_path / "one.toml"  # the example in 3 draws; its cases as written (without the countries' uncertain
    # inputs: every draw is the portfolio's own run) and unstressed
    spec.write_text(EXAMPLE.read_text(encoding="utf-8").replace('"portfolio-east-africa.toml"', '"{}"'.format(
        portfolio)).replace("draws = 40", "draws = 3").replace(
        'name = "as written"', 'name = "as written"\nvalues = { uncertain = [] }'), encoding="utf-8")
    sweep = load_sweep(spec)
    sweep = dataclasses.replace(sweep, cases=[c for c in sweep.cases if c.override == "as written"
                                              and c.stress == "baseline"])
    state = run_sweep(sweep, tmp_path / "o")
    assert not state.failed
    expected = run_portfolio(load_portfolio(portfolio))
    assert sweep.portfolio is not None and sweep.portfolio.shares == pytest.approx(expected.share.tolist())
    draws = read_draws(tmp_path / "o")
    for key, country, result in zip(sweep.portfolio.keys, expected.portfolio.countries, expected.after):
        assert parse_resolved(sweep.texts[key]) == result.scenario  # what the workers get is the portfolio's
        summary = result.in_basis(sweep.basis).summary()  # rounded as summary.csv writes it
        exact = {k: float(v[0]) for k, v in result.in_basis(sweep.basis).summary_arrays().items()}
        mine = draws[draws["scenario"] == country.label]
        assert len(mine) == 3 and summary["total_grant"] > 0  # the fund pays
        assert list(draws.columns.drop(["case", "scenario", "override", "stress", "seed", "draw"])) == list(exact)
        for metric, value in exact.items():
            # to the last bits: a present value's sum over the years runs in another order in a run of 3 draws
            # than in one of 1 (numpy's reduction), within 1e-12 (issue 21's rule where the order of summation moves)
            np.testing.assert_allclose(mine[metric].to_numpy(), np.full(3, value), rtol=1e-12, atol=0,
                                       err_msg=metric)
            if metric in summary:  # rounding: money to the minor unit of its currency (a cost per learner
                # connected of USD 3.81; a cost per learner-year of RWF 4,328), the rest to 1e-4 relative
                minor = 0.5 * 10.0 ** -minor_unit_digits(result.in_basis(sweep.basis).currency)
                cent = minor if metric_definition(metric).kind == "money" else 1e-6
                assert value == pytest.approx(summary[metric], rel=1e-4, abs=cent), metric
            else:
                assert np.isnan(value), metric


def test_portfolio_quantiles_are_the_sums_of_the_country_draws(tmp_path):
    from dfl_finance.outputs.result import STATISTICS

    spec = _portfolio_spec(tmp_path, str(_two_countries(tmp_path)), extra='stresses = ["baseline", '
                           '"capex_overrun=0.2"]\nseeds = [3, 4]')
    state = run_sweep(load_sweep(spec), tmp_path / "o")
    assert not state.failed and not state.incomplete
    # by hand, from the Parquet files: each country's draws, summed over the countries draw by draw
    rows = pd.concat([pd.read_parquet(f) for f in (tmp_path / "o" / "draws").rglob("*.parquet")])
    assert set(rows["scenario"]) == {"A", "B"}
    keys = ["override", "stress", "seed", "draw"]
    a, b = (rows[rows["scenario"] == s].set_index(keys).sort_index() for s in ("A", "B"))
    total = a["total_gap_nominal_usd"] + b["total_gap_nominal_usd"]
    count = (a["total_gap_nominal_usd"] > 0).astype(int) + (b["total_gap_nominal_usd"] > 0).astype(int)
    q = pd.read_csv(tmp_path / "o" / "portfolio_quantiles.csv")
    assert len(q) == 2 * 2 * 2 * 4 * len(STATISTICS)
    for (override, stress, seed), g in q.groupby(["override", "stress", "seed"]):
        for metric, values in (("total_gap_nominal_usd", total), ("countries_with_gap", count)):
            v = values.loc[(override, stress, seed)].to_numpy(dtype=float)
            assert len(v) == 200
            got = g[g["metric"] == metric].set_index("statistic")["value"]
            digits = 2 if metric == "total_gap_nominal_usd" else 10  # an amount to the cent, a count as a share
            assert got["mean"] == round(v.mean(), digits)
            for stat in ("p5", "p50", "p95"):
                assert got[stat] == round(np.percentile(v, float(stat[1:])), digits), (metric, stat)
    # the numbers by hand: as written A's budget pays 100 of 400 and B's 100 of 200; the fund of 350 by need
    # (300 : 100) gives 262.5 and 87.5: the gaps are 37.5 and 12.5
    g = q[(q["override"] == "as written") & (q["stress"] == "baseline") & (q["seed"] == 3)].set_index(
        ["metric", "statistic"])["value"]
    assert g["total_gap_nominal_usd", "p50"] == pytest.approx(50.0) and g["countries_with_gap", "mean"] == 2
    # with an uncertain budget share each country is sometimes fully funded, and the two sample their own
    # inputs: independent, not the same numbers in both
    unc = count.xs("uncertain budget", level="override")
    assert set(unc) == {0, 1, 2}
    da = a["total_domestic"].xs("uncertain budget", level="override")
    db = b["total_domestic"].xs("uncertain budget", level="override")
    assert abs(np.corrcoef(da, db)[0, 1]) < 0.3


def _linked_scenario(folder: Path) -> Path:
    """linked.toml in ``folder``: rwanda-domestic with a programme that plans the synthetic school table beside it."""
    import shutil

    shutil.copy(ROOT / "data" / "schools-rwanda-synthetic.csv", folder / "schools.csv")
    linked = folder / "linked.toml"
    linked.write_text((ROOT / "scenarios" / "rwanda-domestic.toml").read_text(encoding="utf-8") + """
[[programme]]
id = "school_links"
pillar = "infrastructure"
driver = "schools"
  [programme.schools]
  table = "schools.csv"
  order = "remote-first"
  budget = 400000
""", encoding="utf-8")
    return linked


def test_a_school_table_scenario_travels_to_the_workers_whole(tmp_path, client, monkeypatch):
    """The workers get the scenario as validated here (school plan included): they read no school table."""
    _linked_scenario(tmp_path)
    spec = tmp_path / "sweep.toml"
    spec.write_text('[sweep]\nscenarios = ["linked.toml"]\ndraws = 2\n', encoding="utf-8")
    sweep = load_sweep(spec)
    (tmp_path / "schools.csv").unlink()  # gone from this machine too
    monkeypatch.chdir(tmp_path)
    local, dask = run_sweep(sweep, tmp_path / "local"), run_sweep(sweep, tmp_path / "dask", client=client)
    assert not local.failed and not dask.failed, (local.failed, dask.failed)
    pd.testing.assert_frame_equal(read_draws(tmp_path / "local"), read_draws(tmp_path / "dask"))
    assert (read_draws(tmp_path / "local")["total_cost"] > 0).all()


@pytest.mark.parametrize("change, words", [
    ({"portfolio": '"none.toml"'}, ["sweep.portfolio", "none.toml: file not found"]),
    ({"portfolio": "3"}, ["sweep.portfolio: a portfolio file", "(got 3)"]),
    ({"rule": '"neediest"'}, ["portfolio.toml: fund.rule: one of need", "(got 'neediest')"]),
    ({"country": "schools = -3"}, ["A.toml: context.schools", "(got -3)"]),
    ({"portfolio": None}, ["sweep: name the scenarios", "or a portfolio", "both are missing or empty"]),
    ({"portfolio": '"A.toml"'}, ["A.toml: this is a scenario file, not a portfolio"]),
    ({"case": 'scenario = "C"'}, ["sweep.case[0].scenario: one of the sweep's scenario files, or a country",
                                  "portfolio (A, B)", "(got 'C')"]),
])
def test_a_bad_portfolio_sweep_is_named(tmp_path, capsys, change, words):
    portfolio = _two_countries(tmp_path)
    if "rule" in change:
        portfolio.write_text(portfolio.read_text().replace('"need"', change["rule"]), encoding="utf-8")
    if "country" in change:
        country = tmp_path / "A.toml"
        country.write_text(country.read_text().replace("[context]", "[context]\n" + change["country"]).replace(
            "schools = 0\n", ""), encoding="utf-8")
    spec = _portfolio_spec(tmp_path, "portfolio.toml", draws=2,
                           extra=f"[[sweep.case]]\n{change['case']}\n" if "case" in change else "")
    text = spec.read_text()
    if "portfolio" in change:
        new = "" if change["portfolio"] is None else f"portfolio = {change['portfolio']}"
        text = text.replace('portfolio = "portfolio.toml"', new)
    spec.write_text(text, encoding="utf-8")
    code = main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "out" / "draws").exists()


def test_the_sweep_tables_are_written_as_every_table_is_text_neutralised_and_line_breaks_quoted(tmp_path):
    """An override set named "\\r=2+5" broke the rows of cases.csv, quantiles.csv and portfolio_quantiles.csv in two
    and was written as a formula: the sweep wrote them with pandas, not the one CSV writer (found by
    tests/test_fuzz_inputs.py, issue 26)."""
    from dfl_finance.outputs.export import neutralise_text

    _two_countries(tmp_path)
    spec = _portfolio_spec(tmp_path, "portfolio.toml", draws=2)
    spec.write_text(spec.read_text().replace('name = "uncertain budget"', 'name = "\\r=2+5"'), encoding="utf-8")
    state = run_sweep(load_sweep(spec), tmp_path / "o")
    assert not state.failed
    for name in ("cases.csv", "quantiles.csv", "portfolio_quantiles.csv"):
        text = (tmp_path / "o" / name).read_text(encoding="utf-8")
        table = pd.read_csv(tmp_path / "o" / name, keep_default_na=False)
        assert not [line for line in text.splitlines() if line.startswith(("=", "@", "+", "-"))], name
        if "case" in table:  # every row read back whole: its case a number
            assert set(table["case"]) == {0, 1, 2, 3}, name
        if "override" in table:
            assert set(table["override"]) == {"as written", neutralise_text("\r=2+5")}, name  # "'\r'=2+5"


def test_a_portfolio_beside_scenarios_and_countries_by_name_in_listed_cases(tmp_path):
    spec = _portfolio_spec(tmp_path, str(_two_countries(tmp_path)), draws=4, extra=f"""
scenarios = ["{ROOT / 'scenarios/rwanda-ida-credit.toml'}"]
[[sweep.case]]
scenario = "B"
override = "uncertain budget"

[[sweep.case]]
scenario = "{ROOT / 'scenarios/rwanda-ida-credit.toml'}"
""")
    sweep = load_sweep(spec)
    assert [(c.scenario, c.file.endswith("#B"), c.override) for c in sweep.cases] == [
        ("B", True, "uncertain budget"), ("Rwanda: IDA credit-led", False, "as written")]
    state = run_sweep(sweep, tmp_path / "o")
    assert not state.failed and state.incomplete == [
        "uncertain budget, baseline, seed 0: no draws of A (failed, the stress does not apply, or not a listed case)"]
    assert len(pd.read_csv(tmp_path / "o" / "portfolio_quantiles.csv")) == 0
    assert len(read_draws(tmp_path / "o")) == 8


# ------------------------------------------------------------------------------- separate processes, as on machines


def _dask_cli_missing() -> str | None:
    """Why the dask command-line tools cannot be started from this interpreter, or None."""
    for module in ("click", "distributed.cli.dask_scheduler", "distributed.cli.dask_worker"):
        if importlib.util.find_spec(module) is None:
            return f"the dask command-line tools are not installed here ({module} cannot be imported)"
    return None


@contextlib.contextmanager
def _separate_processes(folder: Path, workers: int = 2) -> Iterator[str]:
    """A Dask scheduler and ``workers`` workers (one thread each), each a separate process started with the dask
    command line (``python -m distributed.cli.dask_scheduler`` / ``dask_worker``, which the ``dask scheduler`` and
    ``dask worker`` commands run) in a folder of its own, as on separate machines; its address once every worker has
    joined. Every process is stopped on the way out, whatever happens."""
    from distributed import Client

    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    procs: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(name: str, *args: str) -> None:
        home = folder / name
        home.mkdir(parents=True)
        log = (folder / f"{name}.log").open("wb")
        logs.append(log)
        procs.append(subprocess.Popen([sys.executable, "-m", *args], cwd=home, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True))

    try:
        start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--no-dashboard", "--dashboard-address", ":0")  # (its web server would take 8787 otherwise)
        for i in range(workers):
            start(f"worker{i}", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                  "--no-dashboard", "--name", f"worker{i}", "--local-directory", str(folder / f"worker{i}"))
        try:
            with Client(address, timeout="60s") as client:
                client.wait_for_workers(workers, timeout=120)
                pids = client.run(os.getpid)
        except (OSError, TimeoutError) as exc:
            text = "\n".join(f"--- {f.name}\n" + f.read_text(errors="replace")[-2000:]
                             for f in sorted(folder.glob("*.log")))
            pytest.fail(f"the scheduler and {workers} workers did not start: {exc}\n{text}")
        assert len(set(pids.values())) == workers and os.getpid() not in pids.values()
        yield address
    finally:
        for proc in procs:  # SIGTERM: the dask commands close gracefully (a worker's nanny stops its worker)
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 30
        for proc in procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the process and the ones it started
                proc.wait()
        for log in logs:
            log.close()


@pytest.mark.skipif(_dask_cli_missing() is not None, reason=str(_dask_cli_missing()))
def test_separate_scheduler_and_worker_processes_give_the_numbers_of_one_process(tmp_path, capsys):
    # a portfolio's countries (scenarios made in memory) beside a scenario file with uncertain inputs
    spec = _portfolio_spec(tmp_path, str(_two_countries(tmp_path)), draws=30, extra=f"""
scenarios = ["{ROOT / 'scenarios/rwanda-ida-credit.toml'}"]
stresses = ["baseline", "capex_overrun=0.3"]
""")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "here"), "--workers", "0"]) == 0
    with _separate_processes(tmp_path / "cluster") as address:
        code = main(["sweep", str(spec), "--out", str(tmp_path / "there"), "--scheduler", address])
        assert code == 0, capsys.readouterr().err
    pd.testing.assert_frame_equal(read_draws(tmp_path / "here"), read_draws(tmp_path / "there"))
    assert len(read_draws(tmp_path / "there")) == 3 * 2 * 2 * 30
    for table in ("cases.csv", "quantiles.csv", "portfolio_quantiles.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "here" / table), pd.read_csv(tmp_path / "there" / table))
    import json

    manifest = json.loads((tmp_path / "there" / "manifest.json").read_text())
    assert manifest["workers"] == address and manifest["portfolio"]["shares_usd"] == pytest.approx(
        {"A": 262.5, "B": 87.5})


def test_a_cluster_without_workers_or_with_another_version_is_refused(client):
    from distributed import Client, LocalCluster

    from dfl_finance import DflFinanceError
    from dfl_finance.studies.sweep import check_cluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty, Client(empty) as c:
        with pytest.raises(DflFinanceError, match="^scheduler: no worker joined the scheduler in 1 s"):
            check_cluster(c, wait=1)
    assert check_cluster(client) == 2

    def set_version(version: str) -> str:
        from dfl_finance import vocabulary

        old, vocabulary.VERSION = vocabulary.VERSION, version
        return old

    worker = sorted(client.scheduler_info()["workers"])[0]
    old = client.run(set_version, "9.9.9", workers=[worker])[worker]
    try:
        with pytest.raises(DflFinanceError, match=rf"^scheduler: workers with another dfl-finance than this one "
                                                  rf".*{worker} \(9\.9\.9\)"):
            check_cluster(client)
    finally:
        client.run(set_version, old, workers=[worker])
    assert check_cluster(client) == 2


def test_the_sweep_names_its_options_not_the_command_lines_flags():
    """A study speaks in option names (the command line's argparse names: ``workers``, ``scheduler``); the faces
    say their own flags or labels (issue 20)."""
    from dfl_finance import DflFinanceError
    from dfl_finance.studies.sweep import check_workers

    assert check_workers(2) == 2
    with pytest.raises(DflFinanceError, match=r"^workers: must be between 1 and 1024 worker processes, or 0 to run "
                                              r"in this process \(got 2000\)$"):
        check_workers(2000)


def test_a_scenario_with_a_school_table_sweeps_with_overrides_and_stresses(tmp_path, monkeypatch):
    """The school plan's lines travel with the scenario: an override set and a capex stress apply to them on the
    worker (here, in process, from another working folder), and the stressed cases cost more."""
    _linked_scenario(tmp_path)
    (tmp_path / "sweep.toml").write_text("""
[sweep]
name = "linked"
scenarios = ["linked.toml"]
stresses = ["baseline", "capex_overrun=0.3"]
seeds = [1]
draws = 2
[[sweep.override]]
name = "tighter"
values = { "context.burden_limit" = 0.04 }
""", encoding="utf-8")
    sweep = load_sweep(tmp_path / "sweep.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    state = run_sweep(sweep, tmp_path / "o")
    assert not state.failed
    cost = read_draws(tmp_path / "o").groupby("stress")["total_cost"].mean()
    assert cost["capex_overrun=0.3"] > cost["baseline"]


def test_the_rwanda_options_example_sweeps_the_five_options_on_the_same_uncertain_inputs(tmp_path):
    spec = tmp_path / "options.toml"  # the example in 8 draws, its scenarios named from here
    spec.write_text((ROOT / "examples" / "sweep-rwanda-options.toml").read_text(encoding="utf-8")
                    .replace('"../scenarios/', f'"{ROOT / "scenarios"}/').replace("draws = 1000", "draws = 8"),
                    encoding="utf-8")
    sweep = load_sweep(spec)
    assert len({c.scenario for c in sweep.cases}) == 5 and len(sweep.cases) == 10
    state = run_sweep(sweep, tmp_path / "o")
    assert not state.failed and len({tuple(d) for d in state.drawn.values()}) == 1  # the same inputs in each
    cases = pd.read_csv(tmp_path / "o" / "cases.csv", keep_default_na=False)
    assert set(cases["note"]) == {""} and set(cases["draws"]) == {8}
    draws = read_draws(tmp_path / "o")
    # the same draws of the plan's cost in every option (the same inputs, distributions and seed)
    cost = draws[draws["stress"] == "baseline"].pivot(index="draw", columns="scenario", values="total_cost")
    assert cost.nunique(axis=1).eq(1).all() and cost.iloc[:, 0].nunique() == 8


# --- issue 21: where a sweep runs, and what travels --------------------------------------------------------------


def _files(out: Path) -> dict[str, bytes]:
    """Every file a sweep wrote, by its path under ``out``, but the manifest."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _quantiles_from_all_draws(out: Path, sweep) -> pd.DataFrame:
    """quantiles.csv as the sweep wrote it before issue 21: from all its draws read as one table (read_draws),
    grouped by case, each metric in the order of that table's columns."""
    from dfl_finance.outputs.result import _statistics, round_statistic
    from dfl_finance.outputs.tables import columns
    from dfl_finance.studies.sweep import LABELS, _Drawn, _units

    draws = read_draws(out)
    units = _units(sweep, _Drawn(sweep))
    notes = pd.read_csv(out / "cases.csv", keep_default_na=False).set_index("case")["note"]
    rows = []
    for case, g in draws.groupby("case", sort=True):
        file = sweep.cases[int(case)].file
        for m in [c for c in draws.columns if c not in LABELS]:
            values = g[m].to_numpy(dtype=float)
            if not np.isfinite(values).any():
                continue
            for stat, v in _statistics(values).items():
                unit = units[file].get(m, "")
                if np.isfinite(v):
                    rows.append({"case": int(case), "scenario": g["scenario"].iloc[0], "metric": m, "statistic": stat,
                                 "value": round_statistic(float(v), m, unit), "unit": unit,
                                 "note": notes[int(case)]})
    return pd.DataFrame(rows, columns=columns("quantiles", "sweep"))


def test_a_sweep_writes_the_same_files_in_process_on_one_worker_on_two_and_from_its_files(tmp_path, client):
    """Issue 21: a task returns its chunk's file and a worker summarises the cases it ran; the files and tables are
    the same to the byte whichever way the sweep runs: in this process, on one worker, on two, or summarised here
    from the files (a resumed run). quantiles.csv is the one computed from all the draws read as one table, as
    before (16 cases: case=10 comes before case=2 in the folder's listing; a scenario with a loan has metrics that
    one without has not)."""
    from dfl_finance.studies.sweep import SweepRun, local_client, summarise

    spec = _spec(tmp_path)
    text = spec.read_text(encoding="utf-8")
    first, second = str(ROOT / "scenarios/rwanda-ida-credit.toml"), str(ROOT / "scenarios/kenya-ida-gpe.toml")
    assert f'"{first}", "{second}"' in text  # a scenario without a loan first: its cases have fewer metrics
    spec.write_text(text.replace(f'"{first}", "{second}"', f'"{ROOT / "scenarios/rwanda-grants-gpe.toml"}", "{first}"'),
                    encoding="utf-8")
    sweep = load_sweep(spec)
    here = run_sweep(sweep, tmp_path / "here")
    two = run_sweep(sweep, tmp_path / "two", client=client)
    one_client = local_client(1)
    try:
        one = run_sweep(sweep, tmp_path / "one", client=one_client)
    finally:
        one_client.close()
    assert not here.failed and not one.failed and not two.failed
    written = _files(tmp_path / "here")
    assert len([f for f in written if f.endswith(".parquet")]) == len(sweep.tasks())
    assert _files(tmp_path / "one") == written and _files(tmp_path / "two") == written
    assert here.notes == one.notes == two.notes and here.drawn == two.drawn
    # the tables from the files alone
    for table in ("cases.csv", "quantiles.csv"):
        (tmp_path / "two" / table).unlink()
    summarise(SweepRun(sweep, tmp_path / "two"))
    assert _files(tmp_path / "two") == written
    expected = _quantiles_from_all_draws(tmp_path / "here", sweep)
    assert len(set(expected["metric"])) > len(set(expected[expected["case"] == 0]["metric"]))  # metrics differ
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "here" / "quantiles.csv", keep_default_na=False),
                                  pd.read_csv(io.StringIO(expected.to_csv(index=False)), keep_default_na=False))


def test_a_portfolio_sweep_summarised_on_the_workers_is_the_one_summarised_here(tmp_path, client):
    """portfolio_quantiles.csv from the countries' sums each worker returns with its case's summary, and from the
    files, to the byte."""
    from dfl_finance.studies.sweep import SweepRun, summarise

    sweep = load_sweep(_portfolio_spec(tmp_path, str(_two_countries(tmp_path)), draws=24))
    state = run_sweep(sweep, tmp_path / "dask", client=client)
    assert not state.failed and not state.incomplete
    written = _files(tmp_path / "dask")
    (tmp_path / "dask" / "portfolio_quantiles.csv").unlink()
    summarise(SweepRun(sweep, tmp_path / "dask"))
    assert _files(tmp_path / "dask") == written
    run_sweep(sweep, tmp_path / "here")
    assert _files(tmp_path / "here") == written


def test_a_case_with_a_failed_chunk_is_summarised_from_the_chunks_written(tmp_path, client, monkeypatch):
    """A worker summarises only a case whose chunks all ran: one with a failed chunk is summarised here, from the
    chunks written, as it was before issue 21."""
    import dfl_finance.studies.sweep as module

    sweep = load_sweep(_spec(tmp_path, draws=14, chunk=7))
    inner = module.run_chunk

    def failing(text, case, start, stop, *args):
        if case.index == 3 and start == 7:
            raise RuntimeError("a chunk that fails")
        return inner(text, case, start, stop, *args)

    monkeypatch.setattr(module, "run_chunk", failing)
    state = run_sweep(sweep, tmp_path / "here")
    assert set(state.failed) == {3}
    cases = pd.read_csv(tmp_path / "here" / "cases.csv").set_index("case")
    assert cases.loc[3, "draws"] == 7 and cases.drop(index=3)["draws"].eq(14).all()
    expected = _quantiles_from_all_draws(tmp_path / "here", sweep)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "here" / "quantiles.csv", keep_default_na=False),
                                  pd.read_csv(io.StringIO(expected.to_csv(index=False)), keep_default_na=False))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=5),
       st.lists(st.floats(-1e9, 1e9) | st.just(float("nan")), min_size=45, max_size=45))
def test_a_case_summary_does_not_depend_on_its_chunks(sizes, values):
    """The statistics, note and portfolio sums of a case are those of all its draws however they are chunked (the
    chunks concatenated in order of their draws: the same numbers in the same order)."""
    from dfl_finance.studies.sweep import _parquet, summarise_case

    n = sum(sizes)
    rows = pd.DataFrame({"case": 0, "scenario": "s", "override": "o", "stress": "baseline", "seed": 1,
                         "draw": np.arange(n), "total_cost_nominal_usd": values[:n],
                         "total_external_nominal_usd": values[n:2 * n] if 2 * n <= 45 else values[:n],
                         "total_gap_nominal_usd": np.ones(n), "total_cost": values[-n:]})
    whole = summarise_case(["x"], True, rows)
    edges = np.cumsum([0, *sizes])
    chunks = [rows.iloc[a:b] for a, b in zip(edges[:-1], edges[1:])]
    for parts in (chunks, [_parquet(c) for c in chunks]):
        split = summarise_case(["x"], True, *parts)
        assert split.draws == whole.draws == n and split.metrics == whole.metrics and split.note == whole.note
        assert split.stats.keys() == whole.stats.keys()
        for m, stats in whole.stats.items():
            np.testing.assert_array_equal(list(split.stats[m].values()), list(stats.values()))  # to the bit
        for k, v in whole.portfolio.items():
            np.testing.assert_array_equal(split.portfolio[k], v)


def test_a_process_parses_and_samples_a_case_once_for_all_its_chunks(tmp_path, monkeypatch):
    """case_inputs keeps the last KEPT_CASES cases' scenario and samples: a chunk reads them instead of parsing and
    sampling all the case's draws again; the rows are those of a fresh process."""
    import dfl_finance.studies.sweep as module

    sweep = load_sweep(_spec(tmp_path, draws=12, chunk=4))
    c = sweep.cases[0]
    text = sweep.texts[c.file]
    module._kept.clear()
    fresh = [module.run_chunk(text, c, s, s + 4, 12, sweep.method, sweep.basis) for s in (0, 4, 8)]
    calls = []
    inner = module.draw_samples
    monkeypatch.setattr(module, "draw_samples", lambda *a: calls.append(a) or inner(*a))
    module._kept.clear()
    again = [module.run_chunk(text, c, s, s + 4, 12, sweep.method, sweep.basis) for s in (0, 4, 8)]
    assert len(calls) == 1
    for a, b in zip(fresh, again):
        pd.testing.assert_frame_equal(a, b)
    for other in sweep.cases[1:4]:
        module.run_chunk(sweep.texts[other.file], other, 0, 4, 12, sweep.method, sweep.basis)
    assert len(module._kept) == module.KEPT_CASES
    module._kept.clear()


def test_a_small_sweep_runs_in_process_and_says_so(tmp_path, capsys):
    """Without --workers, a sweep of fewer draws than IN_PROCESS_BELOW over all its cases runs in this process (a
    cluster's start-up would cost more than its workers save), and the output says so and how to run it on Dask."""
    from dfl_finance.studies.sweep import IN_PROCESS_BELOW

    spec = _spec(tmp_path, draws=10, chunk=5)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "auto")]) == 0
    out = capsys.readouterr().out
    assert (f"ran in process: 16 cases x 10 draws = 160 draws is below the {IN_PROCESS_BELOW:,} at which starting "
            "local Dask workers pays (--workers N runs it on N local Dask workers)") in out
    manifest = json.loads((tmp_path / "auto" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["workers"] == "in process"
    assert main(["sweep", str(spec), "--out", str(tmp_path / "zero"), "--workers", "0"]) == 0
    assert "ran in process" not in capsys.readouterr().out  # asked for: nothing to explain
    assert _files(tmp_path / "auto") == _files(tmp_path / "zero")


def test_workers_given_run_a_small_sweep_on_dask(tmp_path, capsys):
    spec = _spec(tmp_path, draws=10, chunk=5)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert "ran in process" not in capsys.readouterr().out
    assert json.loads((tmp_path / "one" / "manifest.json").read_text(encoding="utf-8"))["workers"] == 1
    assert main(["sweep", str(spec), "--out", str(tmp_path / "zero"), "--workers", "0"]) == 0
    assert _files(tmp_path / "one") == _files(tmp_path / "zero")


@pytest.mark.parametrize(("cases", "total", "workers", "here"), [
    (16, 0.5, 2, True), (1, -1, 2, True), (1, 0, 2, False), (8, 2.0, 2, False), (8, 2.0, 1, True),
    (100, 2.0, 4, False)])
def test_the_work_of_a_sweep_decides_where_it_runs(cases, total, workers, here):
    """In process below IN_PROCESS_BELOW draws over all the cases (``total``: that many times the threshold, or the
    threshold plus that many draws), or with one worker; else on the workers."""
    from dfl_finance.studies.sweep import IN_PROCESS_BELOW, Sweep, runs_in_process

    n = int(IN_PROCESS_BELOW * total) if isinstance(total, float) else IN_PROCESS_BELOW + total
    sweep = Sweep("s", [object()] * cases, n // cases, 1000, "lhs", "real-lcu")
    assert runs_in_process(sweep, workers) is here


def test_the_help_of_workers_gives_the_threshold():
    """The parser does not import the sweep (the command line starts without the engine): its help says the
    threshold in words, kept equal to IN_PROCESS_BELOW here."""
    from dfl_finance.cli.parser import build_parser
    from dfl_finance.studies.sweep import IN_PROCESS_BELOW

    sweep = build_parser()._subparsers._group_actions[0].choices["sweep"]
    (workers,) = [a for a in sweep._actions if "--workers" in a.option_strings]
    assert f"fewer than {IN_PROCESS_BELOW:,} draws" in workers.help


def test_a_case_that_fails_on_the_workers_is_summarised_from_its_files_as_in_process(tmp_path, client, monkeypatch):
    """A case whose chunks fail on the workers (their memory guard refuses them) has no summary from the workers:
    its row in cases.csv says why, with no draws, and the tables are those of the same sweep in this process."""
    spec = _spec(tmp_path, draws=6, chunk=3)
    spec.write_text(spec.read_text().replace('name = "growth 3%"', 'name = "long tail"').replace(
        '"context.budget_growth" = 0.03', '"scenario.post_horizon_years" = 60'), encoding="utf-8")
    sweep = load_sweep(spec)

    def memory(value: str | None) -> None:
        if value is None:
            os.environ.pop("DFL_FINANCE_MEMORY_GIB", None)
        else:
            os.environ["DFL_FINANCE_MEMORY_GIB"] = value

    monkeypatch.setenv("DFL_FINANCE_MEMORY_GIB", "0.0005")
    here = run_sweep(sweep, tmp_path / "here")
    client.run(memory, "0.0005")
    try:
        there = run_sweep(sweep, tmp_path / "there", client=client)
    finally:
        client.run(memory, None)
    assert set(here.failed) == set(there.failed) and {sweep.cases[k].override for k in there.failed} == {"long tail"}
    assert _files(tmp_path / "there") == _files(tmp_path / "here")
    cases = pd.read_csv(tmp_path / "there" / "cases.csv")
    assert (cases.loc[cases["failed"].notna(), "draws"] == 0).all()
    assert (cases.loc[cases["failed"].isna(), "draws"] == 6).all()


def test_the_local_workers_run_numpy_on_one_thread_each_with_glibcs_own_memory_thresholds(client):
    """Two worker processes of one thread each on two cores: numpy's own threads (OpenBLAS, OpenMP, MKL) are one a
    worker too, so the workers do not fight over the cores; and Dask's MALLOC_TRIM_THRESHOLD_ (64 KiB) is not set in
    them: with it every array of the engine was a fresh mapping and a worker took 1.8x the CPU time of this process
    for the same draws (issue 21)."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")
    found = client.run(lambda: [os.environ.get(n) for n in names])
    here = os.environ.get("MALLOC_TRIM_THRESHOLD_")  # (set for this process by another cluster: inherited)
    assert len(found) == 2 and all(v == ["1", "1", "1", here] for v in found.values())
    assert {w["nthreads"] for w in client.scheduler_info()["workers"].values()} == {1}

"""Sweeps on dask.distributed: a real LocalCluster with two workers against the same sweep in this process, resume,
a failed case reported by name, bad sweep files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dfl_finance import ScenarioError
from dfl_finance.cli import main
from dfl_finance.sweep import load_sweep, read_draws, run_sweep

ROOT = Path(__file__).resolve().parents[1]


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
    from dfl_finance.sweep import local_client

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


def test_a_sweep_resumes_from_the_chunks_written(tmp_path):
    sweep = load_sweep(_spec(tmp_path, draws=10, chunk=5))
    run_sweep(sweep, tmp_path / "out")
    before = read_draws(tmp_path / "out")
    gone = tmp_path / "out" / "draws" / "case=3" / "chunk=5.parquet"
    gone.unlink()
    again = run_sweep(sweep, tmp_path / "out", resume=True)
    assert again.ran == 1 and again.skipped == len(sweep.tasks()) - 1
    pd.testing.assert_frame_equal(read_draws(tmp_path / "out"), before)


def test_a_failed_case_is_reported_by_name_and_the_others_kept(tmp_path, capsys):
    # a capex overrun of 10^17 times makes unit costs above the largest amount: that stress fails in each case
    spec = _spec(tmp_path, draws=6, chunk=6)
    spec.write_text(spec.read_text().replace('"capex_overrun=0.3"', '"capex_overrun=10"'), encoding="utf-8")
    text = spec.read_text()
    spec.write_text(text.replace('name = "as written"', 'name = "as written"\nvalues = { '
                                 '"programme[0].cost[0].unit_cost" = 1e17 }', 1), encoding="utf-8")
    code = main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "failed: case" in err and "capex_overrun=10" in err
    cases = pd.read_csv(tmp_path / "o" / "cases.csv")
    failed = cases[cases["failed"].notna()]
    assert len(failed) == 4 and set(failed["stress"]) == {"capex_overrun=10"}
    assert (cases.loc[cases["failed"].isna(), "draws"] == 6).all()  # the others' results are there


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
        ("Kenya: IDA grant with GPE multiplier", "growth 3%", "capex_overrun=0.3", 5),
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

"""Every value an ``[[uncertain]]`` row draws is one its field may hold (issue 26).

Rows on inflation, US inflation or budget growth passed ``validate`` with distributions that left the field's range
(a peak burden of 1e33, totals off by 4x, a crash of ``optimise --draws``): these fields also take a list of values
per year, so their range is kept beside the field (``bounds``) and the rows are checked against it. A normal and a
lognormal are truncated to the range. The property: whatever row validates, its draws stay inside the range, and
the run over them is finite.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, scenario_from_dict
from dfl_finance.inputs.uncertain import UNCERTAIN_FIELDS, field_bounds
from dfl_finance.model.samples import draw_samples
from dfl_finance.studies.risk import risk_draws
from tests.conftest import small_scenario_dict

#: Each uncertain field of the small test scenario, as a path (its programme and cost line are the first).
PATHS = {
    ("programme", int, "cost", int, "unit_cost"): "programme[0].cost[0].unit_cost",
    ("programme", int, "cost", int, "price_trend"): "programme[0].cost[0].price_trend",
    ("programme", int, "start_share"): "programme[0].start_share",
    ("programme", int, "target_share"): "programme[0].target_share",
    ("programme", int, "target_year"): "programme[0].target_year",
    ("context", "schools"): "context.schools",
    ("context", "learners"): "context.learners",
    ("context", "teachers"): "context.teachers",
    ("context", "education_budget"): "context.education_budget",
    ("context", "budget_growth"): "context.budget_growth",
    ("context", "burden_limit"): "context.burden_limit",
    ("context", "budget_execution"): "context.budget_execution",
    ("source", int, "share_cap"): "source[0].share_cap",
    ("source", int, "annual_cap"): "source[0].annual_cap",
    ("source", int, "commitment"): "source[0].commitment",
    ("source", int, "budget_share_cap"): "source[1].budget_share_cap",
    ("source", int, "rate"): "source[0].rate",
    ("source", int, "return_rate"): "source[2].return_rate",
    ("source", int, "spread"): "source[3].spread",
    ("scenario", "discount_rate"): "scenario.discount_rate",
    ("macro", "inflation"): "macro.inflation",
    ("macro", "usd_inflation"): "macro.usd_inflation",
    ("macro", "fx_rate"): "macro.fx_rate",
}
EDGES = [-1e6, -2.0, -1.0, -0.999, -0.5, 0.0, 1e-9, 0.05, 0.5, 1.0, 1.5, 10.0, 11.0, 2026.0, 2030.0, 1e6, 1e19]


def _scenario(row: dict) -> dict:
    raw = small_scenario_dict()
    raw["scenario"].update(currency="RWF")
    raw["macro"] = {"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 1300.0}
    raw["source"] = [
        {"id": "lender", "kind": "loan", "rate": 0.02, "maturity_years": 10, "grace_years": 2, "repayment": "linear",
         "commitment": 1e5, "annual_cap": 5e4},
        {"id": "mof", "kind": "domestic", "budget_share_cap": 0.1},
        {"id": "operator", "kind": "ppp", "return_rate": 0.08, "contract_years": 10},
        {"id": "floating", "kind": "loan", "rate_reference": [0.02] * 5, "spread": 0.01, "maturity_years": 10,
         "grace_years": 2, "repayment": "linear", "commitment": 1e4},
    ]
    raw["uncertain"] = [row]
    return raw


@st.composite
def rows(draw):
    shape = draw(st.sampled_from(sorted(PATHS, key=str)))
    kind = draw(st.sampled_from(["uniform", "triangular", "pert", "normal", "lognormal", "discrete"]))
    a, b = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2, unique=True)))
    row: dict = {"path": PATHS[shape], "distribution": kind}
    if kind == "uniform":
        row.update(low=a, high=b)
    elif kind in ("triangular", "pert"):
        row.update(low=a, high=b, mode=(a + b) / 2)
    elif kind == "normal":
        row.update(mean=a, sd=draw(st.sampled_from([0.01, 1.0, 100.0])))
    elif kind == "lognormal":
        row.update(median=abs(a) or 1.0, sd_log=draw(st.sampled_from([0.1, 1.0, 5.0])))
    else:
        row.update(values=[a, b])
    return shape, row


def _inside(values: np.ndarray, lo: float, hi: float, lo_open: bool, hi_open: bool) -> bool:
    above = values > lo if lo_open else values >= lo
    below = values < hi if hi_open else values <= hi
    return bool((above & below).all())


@settings(max_examples=150, deadline=None)
@given(rows())
def test_every_row_that_validates_draws_only_values_its_field_may_hold(case):
    shape, row = case
    try:
        sc = scenario_from_dict(_scenario(row))
    except ScenarioError:
        return
    samples = draw_samples(sc, 256, 7, "lhs")
    (loc, values), = [(k, v) for k, v in samples.items() if not str(k[-1]).startswith("_")]
    lo, hi, lo_open, hi_open = field_bounds(loc)
    if loc[-1] == "target_year":
        lo, hi = sc.scenario.start_year, sc.end_year
    assert np.isfinite(values).all() and _inside(values, lo, hi, lo_open, hi_open), (row, values.min(), values.max())
    result = risk_draws(sc, 16, 7, "lhs", "real-lcu")
    for key in ("total_cost", "total_gap", "pv_government_cost"):
        assert np.isfinite(result.metric_arrays()[key]).all(), (row, key)


def test_every_uncertain_field_has_a_path_here():
    assert set(PATHS) == set(UNCERTAIN_FIELDS)


@pytest.mark.parametrize("path, row, field", [
    ("macro.inflation", {"distribution": "uniform", "low": -2.0, "high": 0.1}, "low"),
    ("macro.usd_inflation", {"distribution": "triangular", "low": -1.0, "mode": 0.02, "high": 0.1}, "low"),
    ("context.budget_growth", {"distribution": "normal", "mean": 1.5, "sd": 0.1}, "mean"),
    ("context.budget_growth", {"distribution": "discrete", "values": [0.01, 2.0]}, "values"),
    ("source[0].annual_cap", {"distribution": "uniform", "low": -5.0, "high": 10.0}, "low"),
])
def test_a_row_whose_distribution_leaves_its_fields_range_is_refused_naming_it(path, row, field):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_scenario({"path": path, **row}))
    assert f"uncertain[0].{field}" in str(info.value) and "outside the field's allowed range" in str(info.value)


def test_a_lognormal_is_allowed_on_a_bounded_field_and_truncated_to_it():
    """lognormal, a documented distribution, was refused on every bounded field (unit costs included)."""
    sc = scenario_from_dict(_scenario({"path": "context.burden_limit", "distribution": "lognormal",
                                       "median": 0.05, "sd_log": 2.0}))
    values = next(iter(draw_samples(sc, 4096, 3, "lhs").values()))
    assert values.max() <= 1.0 and values.min() > 0 and values.max() > 0.9  # the tail is cut at 1, not folded
    assert np.median(values) == pytest.approx(0.05, rel=0.3)
    sc = scenario_from_dict(_scenario({"path": "programme[0].cost[0].unit_cost", "distribution": "lognormal",
                                       "median": 500.0, "sd_log": 0.2}))
    values = next(iter(draw_samples(sc, 4096, 3, "lhs").values()))
    assert math.isclose(float(np.median(values)), 500.0, rel_tol=0.02)


def test_a_sweep_override_or_a_portfolio_value_cannot_bring_such_a_row_in(tmp_path, capsys):
    """The rows get in through a sweep's override set and a portfolio's values too: both are refused, named."""
    import shutil

    from dfl_finance.cli import main
    from tests.conftest import ROOT

    shutil.copy(ROOT / "scenarios" / "rwanda-domestic.toml", tmp_path / "rwanda-domestic.toml")
    row = '{ path = "macro.inflation", distribution = "uniform", low = -3.0, high = 0.1 }'
    (tmp_path / "sweep.toml").write_text(
        '[sweep]\nname = "x"\nscenarios = ["rwanda-domestic.toml"]\ndraws = 10\nchunk = 10\nseeds = [1]\n'
        f'[[sweep.override]]\nname = "wide"\n[sweep.override.values]\nuncertain = [{row}]\n', encoding="utf-8")
    assert main(["sweep", str(tmp_path / "sweep.toml"), "--out", str(tmp_path / "s"), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "sweep.override[0].values: uncertain[0].low" in err and "allowed range" in err
    (tmp_path / "portfolio.toml").write_text(
        '[portfolio]\nname = "p"\n[[country]]\nscenario = "rwanda-domestic.toml"\n'
        f'values = {{ uncertain = [{row}] }}\n[fund]\nid = "fund"\nenvelope = 1e6\n', encoding="utf-8")
    assert main(["portfolio", str(tmp_path / "portfolio.toml"), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "uncertain[0].low" in err and "allowed range" in err and "Traceback" not in err


# ------------------------------------------------------------------ a programme's start and target shares (issue 26)

SHARES = [0.0, 0.1, 0.3, 0.5, 0.8, 0.9, 1.0]


def _share_row(path: str, kind: str, a: float, b: float) -> dict:
    if kind == "uniform":
        return {"path": path, "distribution": kind, "low": a, "high": b}
    if kind == "triangular":
        return {"path": path, "distribution": kind, "low": a, "mode": b, "high": b}
    if kind == "normal":
        return {"path": path, "distribution": kind, "mean": a, "sd": 0.2}
    if kind == "lognormal":
        return {"path": path, "distribution": kind, "median": b or 0.5, "sd_log": 1.0}
    return {"path": path, "distribution": kind, "values": [a, b]}


@st.composite
def share_rows(draw):
    kinds = st.sampled_from(["uniform", "triangular", "normal", "lognormal", "discrete", None])
    rows = []
    for path in ("programme[0].start_share", "programme[0].target_share"):
        kind = draw(kinds)
        if kind is not None:
            a, b = sorted(draw(st.lists(st.sampled_from(SHARES), min_size=2, max_size=2, unique=True)))
            rows.append(_share_row(path, kind, a, b))
    return rows


@settings(max_examples=150, deadline=None)
@given(share_rows())
def test_no_draw_has_a_target_share_below_its_start_share(rows):
    """A target_share row on [0, 0.1] of a programme that starts at 0.556 validated: its draws reached units back at
    a negative capex and ``optimise --draws`` found no mix (found by tests/test_fuzz_inputs.py). Whatever rows on a
    programme's start and target shares validate, no draw, and no run with one of them at the file's value (as a
    tornado holds it), has the target below the start."""
    raw = _scenario(rows[0]) if rows else _scenario({"path": "context.burden_limit", "distribution": "uniform",
                                                      "low": 0.1, "high": 0.2})
    raw["programme"][0].update(start_share=0.3, target_share=0.8)
    raw["uncertain"] = rows
    try:
        sc = scenario_from_dict(raw)
    except ScenarioError:
        return
    samples = draw_samples(sc, 512, 11, "lhs")
    start = samples.get(("programme", 0, "start_share"), np.full(512, 0.3))
    target = samples.get(("programme", 0, "target_share"), np.full(512, 0.8))
    assert max(start.max(), 0.3) <= min(target.min(), 0.8), (rows, start.max(), target.min())
    result = risk_draws(sc, 16, 7, "lhs", "real-lcu")
    assert (result.metric_arrays()["total_cost"] >= 0).all()


@pytest.mark.parametrize("row, field, words", [
    ({"path": "programme[0].target_share", "distribution": "uniform", "low": 0.0, "high": 0.1}, "low",
     "(>= 0.3 and <= 1) (a target_share is at least the programme's start_share: 0.3)"),
    ({"path": "programme[0].start_share", "distribution": "triangular", "low": 0.2, "mode": 0.5, "high": 0.9},
     "high", "(>= 0 and <= 0.8) (a start_share is at most the programme's target_share: 0.8)"),
    ({"path": "programme[0].target_share", "distribution": "normal", "mean": 0.2, "sd": 0.1}, "mean",
     "(>= 0.3 and <= 1) (a target_share is at least the programme's start_share: 0.3)"),
])
def test_a_share_row_that_crosses_the_other_share_is_refused_naming_it(row, field, words):
    raw = _scenario(row)
    raw["programme"][0].update(start_share=0.3, target_share=0.8)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    (problem,) = info.value.problems
    assert problem.path == f"uncertain[0].{field}" and words in problem.message, problem


def test_optimise_over_draws_of_a_target_share_runs_or_is_refused_at_validation(tmp_path, capsys):
    """The fuzz case: validate said ok and optimise --draws then found no mix in draw 0."""
    import shutil

    from dfl_finance.cli import main
    from tests.conftest import ROOT

    for f in ("rwanda-ida-credit.toml", "rwanda-domestic.toml"):
        shutil.copy(ROOT / "scenarios" / f, tmp_path / f)
    path = tmp_path / "rwanda-ida-credit.toml"
    text = path.read_text(encoding="utf-8")
    row = '\n[[uncertain]]\npath = "programme[connectivity].target_share"\ndistribution = "uniform"\n'
    path.write_text(text + row + "low = 0.0\nhigh = 0.1\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert f"{path}: uncertain[10].low: the distribution gives low = 0" in capsys.readouterr().err  # after the 10 rows
    path.write_text(text + row + "low = 0.6\nhigh = 0.99\n", encoding="utf-8")
    assert main(["optimise", str(path), "--draws", "4", "--out", str(tmp_path / "o")]) == 0

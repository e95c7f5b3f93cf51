"""The risk run's summary of each chunk of draws (issue 21: what `risk --draws 10000` adds to a plain run): the
shortcuts it takes give the numbers of the whole computation to the last bit, on every bundled scenario."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance import load_scenario
from dfl_finance.outputs.result import _rows_added_up
from dfl_finance.studies.risk import run_risk
from dfl_finance.vocabulary import HEADLINE_METRICS, PRICE_BASES
from tests.conftest import ROOT

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_the_headline_metrics_in_every_basis_are_those_of_the_whole_summary_to_the_bit(path):
    # _headline_arrays shares the rounded cost rows with the cost per outcome and adds up zero rows (no gap) without
    # the passes; metric_arrays of a fresh run (nothing shared) is the whole computation. (Adding up a slice of the
    # rows, one source's, is not the same: numpy then merges the year and cell axes and sums them in another order.)
    sc = load_scenario(path)
    for basis in PRICE_BASES:
        quick = run_risk(sc, draws=24, seed=5).in_basis(basis)
        headline = quick._headline_arrays()
        outcomes = quick._outcome_metric_arrays()
        whole = run_risk(sc, draws=24, seed=5).in_basis(basis).metric_arrays()
        for key in HEADLINE_METRICS:
            assert np.array_equal(headline[key], whole[key], equal_nan=True), (basis, key)
        for key, values in outcomes.items():
            assert np.array_equal(values, whole[key], equal_nan=True), (basis, key)


def test_rows_that_are_all_zero_add_up_to_zero_without_the_passes():
    # 0.0 and -0.0 rows at finite factors: each rounded row +0.0, so every draw's sum is +0.0 (not -0.0)
    values = np.zeros((3, 4, 2))
    values[1, 2, 0] = -0.0
    factors = np.array([[0.5], [2.0], [1.0]])[:, :, None] * np.ones((3, 4, 1))
    out = _rows_added_up(values, factors, 2, (1, 2))
    assert out.tolist() == [0.0, 0.0, 0.0] and not np.signbit(out).any()
    # a NaN factor is not taken as a zero row: 0 x NaN = NaN, as the whole computation gives
    factors[2, 0, 0] = np.nan
    assert np.isnan(_rows_added_up(values, factors, 2, (1, 2))[2])
    # known answer where a row is not zero: 1.234 x 2 = 2.468 -> 2.47, + 0.5 x 2 = 1.0, added up: 3.47
    values[0, 0, 0], values[0, 1, 1] = 1.234, 0.5
    factors[0] = 2.0
    assert _rows_added_up(values, factors, 2, (1, 2))[0] == pytest.approx(3.47, abs=1e-12)


def _yearly_quantiles_as_before(result):
    """yearly_quantiles_df as it was built before issue 21's work: one frame per measure and statistic, sorted."""
    import pandas as pd

    from dfl_finance.outputs.result import (
        SHARE_UNIT,
        STATISTICS,
        YEARLY_MEASURES,
        YEARLY_QUANTILE_COLUMNS,
        _statistics,
    )
    from dfl_finance.outputs.rounding import round_to
    from dfl_finance.vocabulary import SHARE_DIGITS

    frames = []
    for measure, values in result.yearly_arrays().items():
        unit, digits = ((SHARE_UNIT, SHARE_DIGITS) if measure == "burden_share" else
                        (result.currency, result.digits))
        for stat, v in _statistics(values).items():
            frames.append(pd.DataFrame({"scenario": result.name, "year": result._years(v.shape[0]),
                                        "measure": measure, "statistic": stat, "value": round_to(v, digits),
                                        "unit": unit}))
    df = pd.concat(frames, ignore_index=True)
    order = {k: i for i, k in enumerate([*STATISTICS, *YEARLY_MEASURES])}
    df = df.sort_values(["measure", "year", "statistic"], key=lambda c: c if c.name == "year" else c.map(order),
                        kind="stable")
    return df[YEARLY_QUANTILE_COLUMNS].reset_index(drop=True)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_yearly_quantiles_built_as_columns_are_the_sorted_frames_of_before(path):
    import pandas as pd

    from dfl_finance.outputs.result import yearly_quantiles_df
    from dfl_finance.studies.risk import risk_draws

    res = risk_draws(load_scenario(path), draws=30, seed=3, basis="nominal-usd")
    pd.testing.assert_frame_equal(yearly_quantiles_df(res), _yearly_quantiles_as_before(res))


def test_yearly_quantiles_known_answer():
    # cost in one year over draws 1, 2, 3, 4 (numpy's linear percentiles): p5 = 1 + 0.15 x (2 - 1) = 1.15 (rounded to
    # the RWF, 1), p50 = 2.5 (to even: 2), mean 2.5 (2); the rows: year, then p5, p10, p50, p90, p95, mean
    import types

    from dfl_finance.outputs.result import yearly_quantiles_df

    fake = types.SimpleNamespace(name="x", currency="RWF", digits=0,
                                 yearly_arrays=lambda: {"cost": np.array([[1.0], [2.0], [3.0], [4.0]])},
                                 _years=lambda n: np.arange(2026, 2026 + n))
    df = yearly_quantiles_df(fake)
    assert df["statistic"].tolist() == ["p5", "p10", "p50", "p90", "p95", "mean"]
    # p10 = 1 + 0.3 = 1.3 -> 1; p90 = 3 + 0.7 = 3.7 -> 4; p95 = 3.85 -> 4
    assert df["value"].tolist() == [1.0, 1.0, 2.0, 4.0, 4.0, 2.0] and set(df["year"]) == {2026}


amounts = st.one_of(st.just(0.0), st.just(-0.0), st.floats(-1e9, 1e9, allow_nan=False), st.just(0.005),
                    st.just(-0.005))


@given(draws=st.integers(1, 5), years=st.integers(1, 4), cells=st.integers(1, 12), digits=st.sampled_from([0, 2]),
       seed=st.integers(0, 2**32 - 1), zeros=st.floats(0, 1), flip=st.booleans(), data=st.data())
def test_rows_added_up_is_add_up_of_the_rows_to_the_bit(draws, years, cells, digits, seed, zeros, flip, data):
    # the summary's sums skip a pass (-0.0 -> 0.0 on the sums, not the rows) and all-zero rows: the same bits as
    # before (the rows rounded in place, -0.0 -> 0.0 on each, summed in the product's layout), whatever the layout;
    # and the rule of published totals (add_up, rounded=False) to the last bits (it may sum in another order)
    from dfl_finance.outputs.rounding import add_up

    def before(values, factors, digits, axis):
        rows = np.multiply(values, factors)
        np.round(rows, digits, out=rows)
        rows += 0.0
        return np.asarray(np.sum(rows, axis=axis), dtype=float)

    rng = np.random.default_rng(seed)
    special = np.array(data.draw(st.lists(amounts, min_size=draws * years * cells, max_size=draws * years * cells)))
    values = np.where(rng.random(special.shape) < zeros, special, rng.normal(0, 1e6, special.shape))
    values = values.reshape(draws, years, cells)
    if flip:  # the draw axis innermost, as the engine lays out its arrays
        values = np.asfortranarray(values)
    factors = rng.uniform(0.5, 2.0, (draws, years, 1))
    for axis in ((1,), (1, 2), (2,)):
        mine = _rows_added_up(values, factors, digits, axis)
        theirs = before(values, factors, digits, axis)
        assert mine.shape == theirs.shape and np.array_equal(mine, theirs), axis
        assert not np.signbit(mine[mine == 0]).any()
        np.testing.assert_allclose(mine, add_up(values * factors, digits, axis, rounded=False), rtol=1e-12,
                                   atol=1e-6)


def test_the_first_chunk_runs_last_and_every_draw_keeps_its_place():
    # 20 draws in chunks of 7 (draws 0-6, 7-13, 14-19), run 7-13, 14-19, then 0-6 (kept as ``first``): each draw's
    # metrics and yearly measures are those of its chunk run on its own, in draw order, to the bit
    from dfl_finance.model.samples import draw_samples
    from dfl_finance.outputs.result import run
    from dfl_finance.studies.risk import risk_draws

    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    res = risk_draws(sc, draws=20, seed=4, chunk=7)
    samples = draw_samples(sc, 20, 4, sc.risk.method)
    parts = [run(sc, draws=b - a, samples={k: v[a:b] for k, v in samples.items()}) for a, b in
             ((0, 7), (7, 14), (14, 20))]
    assert res.first.draws == 7 and res.draws == 20
    width = parts[0].yearly_arrays()["burden_share"].shape[1]  # draw 0's years, in every chunk
    for key in ("total_cost", "pv_government_cost", "peak_burden_share"):
        assert np.array_equal(res.arrays[key], np.concatenate([p.summary_arrays()[key] for p in parts])), key
    assert np.array_equal(res.yearly["burden_share"],
                          np.concatenate([p.yearly_arrays(width)["burden_share"] for p in parts]))
    assert res.summary_df().equals(parts[0].for_draw(0).summary_df())

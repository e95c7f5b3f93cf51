"""The quantile tables' statistics in one partition per column, and the summary's totals with fewer temporary
arrays: the numbers np.nanpercentile and add_up give, to the last bit."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance.outputs.result import STATISTICS, _statistics

seeds = st.integers(0, 2**32 - 1)


def _nan_statistics(values):
    """The statistics as they were taken before: one np.nanpercentile per percentile."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: (np.nanmean(values, axis=0) if q is None else np.nanpercentile(values, q, axis=0))
                for k, q in STATISTICS.items()}


@given(seed=seeds, draws=st.integers(1, 400), columns=st.integers(0, 6), two_d=st.booleans(),
       nan_share=st.sampled_from([0.0, 0.0, 0.1, 0.9, 1.0]), ties=st.booleans())
def test_the_statistics_in_one_partition_are_the_nanpercentiles(seed, draws, columns, two_d, nan_share, ties):
    rng = np.random.default_rng(seed)
    values = rng.normal(1e6, 3e5, (draws, columns) if two_d else (draws,))
    if ties:
        values = np.round(values, -5)
    values[rng.random(values.shape) < nan_share] = np.nan
    mine, theirs = _statistics(values), _nan_statistics(values)
    assert list(mine) == list(theirs)
    for key in theirs:
        assert np.shape(mine[key]) == np.shape(theirs[key])
        assert np.array_equal(mine[key], theirs[key], equal_nan=True), key


# ------------------------------------------------------------------------------------------------ summary totals


@given(seed=seeds, shape=st.tuples(st.integers(1, 30), st.integers(1, 8), st.integers(1, 3), st.integers(1, 5)),
       digits=st.sampled_from([0, 2, 3]), scale=st.sampled_from([1e-3, 1.0, 1e6]))
def test_the_summary_totals_in_place_are_add_up(seed, shape, digits, scale):
    from dfl_finance.outputs.result import _rows_added_up
    from dfl_finance.outputs.rounding import add_up

    rng = np.random.default_rng(seed)
    values = rng.normal(0, scale, shape)
    values[rng.random(shape) < 0.3] = 0.0
    factors = rng.random(shape[:2]) + 0.5
    f = factors[:, :, None, None]
    for axis in ((1, 3), (1, 2, 3)):
        mine, theirs = _rows_added_up(values, f, digits, axis), add_up(values * f, digits, axis=axis, rounded=False)
        assert np.array_equal(mine, theirs)


@given(seed=seeds, draws=st.integers(1, 30), years=st.integers(1, 12), digits=st.sampled_from([0, 2]))
def test_a_loans_rounded_total_is_the_sum_of_its_rounded_running_totals(seed, draws, years, digits):
    from types import SimpleNamespace

    from dfl_finance.outputs.result import _rounded_totals
    from dfl_finance.outputs.rounding import round_to

    rng = np.random.default_rng(seed)
    flows = {f: rng.normal(0, 100, (draws, years)) * (rng.random((draws, years)) < 0.5)
             for f in ("disbursed", "interest", "principal", "fees", "outstanding")}
    flows["interest"][0] = 1e-4  # a draw whose payments round to nothing
    factors = rng.random((draws, years)) + 0.5
    ds = SimpleNamespace(**flows)
    # as it was computed before: every running total rounded, the one of the last year with a payment taken
    stacked = np.stack([flows[f] * factors for f in ("disbursed", "interest", "principal", "fees", "outstanding")],
                       axis=1)
    last = np.where(np.any(round_to(stacked, digits) != 0, axis=1), np.arange(years)[None, :], -1).max(axis=1)
    running = round_to(np.cumsum(stacked[:, 1:4], axis=2), digits)
    at_last = np.take_along_axis(running, np.maximum(last, 0)[:, None, None], axis=2)[:, :, 0]
    assert np.array_equal(_rounded_totals(ds, factors, digits), np.where(last >= 0, at_last.sum(axis=1), 0.0))

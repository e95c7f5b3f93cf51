"""The quantile tables' statistics in one partition per column are the numbers np.nanpercentile gives, to the
last bit (NaN draws, all-NaN columns, ties, one draw)."""

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

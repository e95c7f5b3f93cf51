"""The rule of published totals (:mod:`dfl_finance.outputs.rounding`): a total is the sum of its rows as written."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance.outputs.rounding import add_up, round_cumulative, round_to

AMOUNTS = st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=1, max_size=40)


@given(AMOUNTS, st.sampled_from([0, 2, 3]))
def test_a_total_is_the_sum_of_its_rows_as_written(rows, digits):
    written = round_to(rows, digits)
    total = add_up(rows, digits)
    assert total == round_to(written.sum(), digits)  # what a reader who adds up the rows finds
    assert abs(total - float(np.sum(rows))) <= len(rows) * 0.5 * 10.0 ** -digits + 1e-6  # half a unit a row at most
    assert add_up(rows, digits, rounded=False) == written.sum()


@given(AMOUNTS, st.sampled_from([0, 2]))
def test_a_flow_rounded_cumulatively_adds_up_to_its_rounded_total_in_every_year(flow, digits):
    rows = round_cumulative(flow, digits)
    unit = 10.0 ** -digits
    assert np.allclose(np.cumsum(rows), round_to(np.cumsum(flow), digits), rtol=0, atol=1e-6)
    assert np.all(np.abs(rows - np.asarray(flow)) <= unit + 1e-6)  # each within one minor unit of the exact flow

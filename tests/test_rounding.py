"""The rule of published totals (:mod:`dfl_finance.outputs.rounding`): a total is the sum of its rows as written."""

import numpy as np
from hypothesis import example, given
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
@example([425905675.37109375, 134217728.046875, -488724124.0546875, -317534921.125, -1.8359375, -5.125, -719874996.0,
          -903489719.0, -999999999.4257812, -362051250.3515625, -704145000.8671875, -359270682.0, -0.15625], 2)
def test_a_flow_rounded_cumulatively_adds_up_to_its_rounded_total_in_every_year(flow, digits):
    rows = round_cumulative(flow, digits)
    unit = 10.0 ** -digits
    # to the minor unit: what a reader adding the rows up finds (a float sum of 40 rows near 4e9 carries a few ulps,
    # 5e-7 each, so an absolute 1e-6 on the floats is tighter than the arithmetic; hypothesis found such a flow)
    added, total = np.cumsum(rows), round_to(np.cumsum(flow), digits)
    assert np.array_equal(np.round(added / unit), np.round(total / unit)), (added, total)
    assert np.all(np.abs(rows - np.asarray(flow)) <= unit + 1e-6)  # each within one minor unit of the exact flow

"""Fiscal years from calendar years (engine/calendar.py): known answers and the total kept."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dfl_finance.engine.calendar import fiscal_year_count, fiscal_year_labels, to_fiscal_years


def test_a_july_start_splits_each_calendar_year_in_halves():
    # 1,200 in 2026 and 2027, fiscal year from July: 2025/26 = 6/12 x 1,200 = 600 (Jan-Jun 2026);
    # 2026/27 = 6/12 x 1,200 (Jul-Dec 2026) + 6/12 x 1,200 (Jan-Jun 2027) = 1,200; 2027/28 = 600 (Jul-Dec 2027).
    assert to_fiscal_years(np.array([[1200.0, 1200.0]]), 7).tolist() == [[600.0, 1200.0, 600.0]]
    assert fiscal_year_labels(2026, 2, 7) == ["2025/26", "2026/27", "2027/28"]


def test_an_april_start_gives_three_months_to_the_year_that_ends():
    # April start (India, Japan, the UK): fiscal year (t-1)/t ends in March of t, so it takes 3/12 of calendar t;
    # 1,200 in 2026 alone: 2025/26 = 300, 2026/27 = 900.
    assert to_fiscal_years(np.array([1200.0]), 4).tolist() == [300.0, 900.0]


def test_a_january_start_is_the_calendar_year():
    values = np.array([[1.0, 2.0, 3.0]])
    assert to_fiscal_years(values, 1).tolist() == values.tolist()
    assert fiscal_year_labels(2026, 3, 1) == ["2026", "2027", "2028"]


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_outside_the_year_is_refused(month):
    with pytest.raises(ValueError, match="start_month"):
        to_fiscal_years(np.ones(2), month)


@given(hnp.arrays(float, st.tuples(st.integers(1, 3), st.integers(1, 40)),
                  elements=st.floats(0, 1e12, allow_nan=False, allow_infinity=False)),
       st.integers(1, 12))
def test_the_total_over_the_horizon_is_the_same_in_both_calendars(values, month):
    fiscal = to_fiscal_years(values, month)
    assert fiscal.shape == values.shape[:-1] + (fiscal_year_count(values.shape[-1], month),)
    np.testing.assert_allclose(fiscal.sum(axis=-1), values.sum(axis=-1), rtol=1e-12, atol=1e-6)
    assert (fiscal >= 0).all()

"""The column-by-column CSV writer (dfl_finance.outputs.csv_columns) writes the bytes pandas writes of the
neutralised table, on random tables of every column type it takes, and leaves the rest to pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfl_finance.outputs.csv_columns import columns_csv_text
from dfl_finance.outputs.export import _csv_text_by_field, _neutral, _neutralised, csv_text


def pandas_text(df: pd.DataFrame) -> str:
    """What csv_text wrote before the column writer: pandas' to_csv of the neutralised table."""
    neutral, carriage_return = _neutralised(df)
    assert not carriage_return
    return str(neutral.to_csv(index=False, lineterminator="\n"))


TEXT = st.text(alphabet=st.sampled_from(list('ab =+-@\t\n,"\'é😀 0.;')), max_size=8)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e16, 1e-5, 1e-4, 0.1, 2.675,
                                                                           123456789.12, -1e300, 5e-324])


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 12))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "bool", "Int64", "str", "object", "empty"]), min_size=2,
                          max_size=6))
    data = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            col = pd.Series(draw(st.lists(FLOATS, min_size=rows, max_size=rows)), dtype=float)
        elif kind == "int":
            col = pd.Series(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=rows, max_size=rows)),
                            dtype=np.int64)
        elif kind == "bool":
            col = pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool)
        elif kind == "Int64":
            col = pd.Series(draw(st.lists(st.none() | st.integers(-10**12, 10**12), min_size=rows, max_size=rows)),
                            dtype="Int64")
        elif kind == "empty":
            col = pd.Series([None] * rows, dtype=object)
        else:
            values = draw(st.lists(st.none() | TEXT, min_size=rows, max_size=rows))
            col = pd.Series(values, dtype="str" if kind == "str" else object)
        data[draw(TEXT.filter(lambda t: "\r" not in t)) + f"#{i}"] = col
    return pd.DataFrame(data)


@given(tables())
def test_the_column_writer_writes_the_bytes_pandas_writes(df):
    fast = columns_csv_text(df, _neutral)
    assert fast is not None
    assert fast == pandas_text(df)
    assert csv_text(df) == fast


@given(st.lists(FLOATS, min_size=1, max_size=50))
def test_floats_are_written_as_pandas_writes_them_minus_zero_and_nan_included(values):
    df = pd.DataFrame({"x": values, "y": np.arange(len(values))})
    assert columns_csv_text(df, _neutral) == pandas_text(df)


@pytest.mark.parametrize("df", [
    pd.DataFrame({"a": ["x"]}),  # one column: the csv module quotes a lone empty field
    pd.DataFrame({"a": [], "b": []}),  # no rows
    pd.DataFrame({"a": ["x\ry"], "b": [1.0]}),  # a carriage return: the field-by-field writer
    pd.DataFrame({"a\r": ["x"], "b": [1.0]}),
    pd.DataFrame({"a": [1.0, "x"], "b": [1.0, 2.0]}),  # text mixed with numbers
    pd.DataFrame({"a": pd.to_datetime(["2026-01-01"]), "b": [1.0]}),
    pd.DataFrame({"a": pd.array([1.5, None], dtype="Float64"), "b": [1.0, 2.0]}),
    pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": [1.0, 2.0]}),
    pd.DataFrame([[1.0, 2.0]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
])
def test_what_the_column_writer_does_not_take_is_left_to_pandas(df):
    assert columns_csv_text(df, _neutral) is None


def test_a_carriage_return_still_goes_through_the_field_writer():
    df = pd.DataFrame({"a": ["x\r=1", "y"], "b": [1.0, 2.0]})
    assert csv_text(df) == _csv_text_by_field(df) == "a,b\n\"x\r'=1\",1.0\ny,2.0\n"


def test_a_large_table_of_schools_is_written_as_pandas_writes_it():
    from dfl_finance.inputs.schools import check_schools
    from dfl_finance.model.schools import plan_schools
    from dfl_finance.outputs.schools import school_tables
    from dfl_finance.studies.schools import generate_schools

    df = generate_schools(5_000, seed=3)
    df.loc[7, "region"] = '=cmd|"x",y'
    df.loc[8, "region"] = "a\nb"
    tables = school_tables(plan_schools(check_schools(df), budget=1e5, order="region-quota"))
    for table in tables.values():
        assert csv_text(table) == pandas_text(table)


def test_text_held_in_several_arrow_chunks_is_written_as_pandas_writes_it():
    parts = [pd.DataFrame({"a": pd.Series([f"=x{i}", "b,c", None], dtype="str"), "b": [1.0, -0.0, np.nan]})
             for i in range(3)]
    df = pd.concat(parts, ignore_index=True)
    assert columns_csv_text(df, _neutral) == pandas_text(df)

"""Export: injection-safe text, all-or-nothing writes (more in test_outputs.py)."""

import pandas as pd
import pytest

from dfl_finance import run, scenario_from_dict
from dfl_finance.export import neutralise_text, write_atomically, write_tables
from tests.conftest import small_scenario_dict


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_like_text_gets_a_quote(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("value", ["School connectivity", "a=b", 3, -2.5, None])
def test_other_values_pass(value):
    assert neutralise_text(value) == value


def test_scenario_name_and_item_are_neutralised_but_numbers_are_not(tmp_path):
    raw = small_scenario_dict()
    raw["scenario"]["name"] = "=HYPERLINK(\"http://x\")"
    raw["programme"][0]["cost"][0]["item"] = "@terminal"
    tables = run(scenario_from_dict(raw)).tables()
    write_tables(tables, tmp_path)
    costs = pd.read_csv(tmp_path / "costs.csv")
    assert costs["scenario"].str.startswith("'=").all()
    assert costs["item"].str.startswith("'@").all()
    assert pd.api.types.is_float_dtype(costs["amount"])


def test_write_atomically_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out"
    write_atomically(out, {"a.csv": lambda p: p.write_text("old")})
    manifest = (out / "manifest.json").read_bytes()

    def fail(path):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomically(out, {"a.csv": lambda p: p.write_text("new"), "b.csv": fail})
    assert (out / "a.csv").read_text() == "old"
    assert (out / "manifest.json").read_bytes() == manifest
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "manifest.json"]

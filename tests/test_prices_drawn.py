"""The price paths of many draws in one pass (``build_prices(..., drawn=...)``) are, draw by draw and to the last bit,
the paths of the scenario with that draw's ``[macro]`` values (as they were built before: one scenario copy and one
call per draw)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import load_scenario, scenario_from_dict
from dfl_finance.engine.prices import Prices
from dfl_finance.model.compile import PRICE_FIELDS, build_model_inputs, build_prices, horizon_of
from dfl_finance.model.samples import draw_samples
from tests.conftest import ROOT
from tests.strategies import priced_scenario_dicts


def _one_by_one(sc, horizon: int, drawn: dict[str, np.ndarray]) -> Prices:
    """Each draw's paths from its own copy of the scenario (the way they were built before)."""
    draws = len(next(iter(drawn.values())))
    built = [build_prices(sc.model_copy(update={"macro": sc.macro.model_copy(
        update={f: float(v[d]) for f, v in drawn.items()})}), horizon, 1) for d in range(draws)]
    return Prices(*(np.concatenate([getattr(p, a) for p in built]) for a in ("lcu", "usd", "fx")),
                  start=built[0].start, base=built[0].base)


def _same(a: Prices, b: Prices) -> None:
    assert (a.start, a.base) == (b.start, b.base)
    for name in ("lcu", "usd", "fx"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and np.array_equal(x, y), name


@st.composite
def drawn_macro(draw):
    """A priced scenario (an fx_path, or an fx_rate of some year; cost lines quoted years before it starts, where
    the CPI history of data/ applies to KES and USD) and some of its [macro] values drawn."""
    raw = draw(priced_scenario_dicts(max_years=5))
    start = raw["scenario"]["start_year"]
    if draw(st.booleans()):
        del raw["macro"]["fx_path"]
        raw["macro"]["fx_rate"] = draw(st.floats(50, 500))
        if draw(st.booleans()):
            raw["macro"]["fx_year"] = start - draw(st.integers(0, 4))
    if draw(st.booleans()):
        raw["scenario"]["currency"] = draw(st.sampled_from(["KES", "USD"]))
        if raw["scenario"]["currency"] == "USD":
            for field in ("usd_inflation", "fx_path", "fx_rate", "fx_year"):
                raw["macro"].pop(field, None)
    for p in raw["programme"]:
        for line in p["cost"]:
            if draw(st.booleans()):
                line["price_year"] = start - draw(st.integers(0, 6))
    fields = draw(st.lists(st.sampled_from(PRICE_FIELDS), min_size=1, max_size=3, unique=True))
    if raw["scenario"]["currency"] == "USD":
        fields = ["inflation"]
    elif "fx_path" in raw["macro"]:
        fields = [f for f in fields if f != "fx_rate"] or ["inflation"]
    D = draw(st.integers(1, 6))
    values = {"inflation": st.floats(-0.05, 0.3), "usd_inflation": st.floats(-0.02, 0.1), "fx_rate": st.floats(1, 900)}
    drawn = {f: np.array(draw(st.lists(values[f], min_size=D, max_size=D))) for f in fields}
    return raw, drawn


@settings(max_examples=80, deadline=None)
@given(case=drawn_macro())
def test_all_draws_priced_at_once_are_each_draw_priced_alone(case):
    raw, drawn = case
    sc = scenario_from_dict(raw)
    H = horizon_of(sc)
    D = len(next(iter(drawn.values())))
    _same(build_prices(sc, H, D, drawn=drawn), _one_by_one(sc, H, drawn))


def test_the_bundled_risk_draws_are_priced_as_one_by_one():
    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    samples = draw_samples(sc, 300, 7, "lhs")
    drawn = {f: samples[("macro", f)] for f in PRICE_FIELDS if ("macro", f) in samples}
    assert drawn  # the Rwanda scenario's inflation is uncertain
    _same(build_model_inputs(sc, 300, samples=samples).prices, _one_by_one(sc, horizon_of(sc), drawn))


def test_without_drawn_values_every_draw_has_the_scenarios_paths():
    sc = load_scenario(ROOT / "scenarios" / "rwanda-ida-credit.toml")
    H = horizon_of(sc)
    one, many = build_prices(sc, H), build_prices(sc, H, 4)
    for name in ("lcu", "usd", "fx"):
        assert np.array_equal(np.repeat(getattr(one, name), 4, axis=0), getattr(many, name))

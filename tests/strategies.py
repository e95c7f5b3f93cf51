"""Shared hypothesis strategies: random but valid scenario dicts."""

from hypothesis import strategies as st

from dfl_finance.vocabulary import DRIVERS, LINE_KINDS, PILLARS, ROLLOUTS

START = 2026
FIXED_KINDS = [k for k in LINE_KINDS if k.startswith("fixed_")]


@st.composite
def cost_lines(draw, driver: str, years: int):
    kinds = FIXED_KINDS if driver == "none" else list(LINE_KINDS)
    kind = draw(st.sampled_from(kinds))
    line = {"item": draw(st.from_regex(r"[a-z]([a-z ]{0,6}[a-z])?", fullmatch=True)), "kind": kind,
            "unit_cost": draw(st.floats(0, 1e5, allow_nan=False)),
            "price_trend": draw(st.floats(-0.5, 0.5, allow_nan=False))}
    if kind == "capex":
        line["lifetime"] = draw(st.none() | st.integers(1, 12))
        line["replace_existing"] = draw(st.booleans())
        if line["lifetime"] is None:
            del line["lifetime"]
    if kind == "fixed_capex":
        line["schedule"] = sorted(draw(st.sets(st.integers(START, START + years - 1), min_size=1, max_size=years)))
    return line


@st.composite
def programmes(draw, idx: int, years: int):
    driver = draw(st.sampled_from(DRIVERS))
    start = draw(st.floats(0, 1, allow_nan=False))
    target = draw(st.floats(start, 1, allow_nan=False))
    return {
        "id": f"p{idx}", "pillar": draw(st.sampled_from(PILLARS)),
        "driver": driver, "start_share": start, "target_share": target,
        "target_year": draw(st.integers(START, START + years - 1)),
        "rollout": draw(st.sampled_from(ROLLOUTS)),
        "cost": draw(st.lists(cost_lines(driver, years), min_size=1, max_size=4)),
    }


@st.composite
def scenario_dicts(draw, max_years: int = 15):
    years = draw(st.integers(1, max_years))
    n = draw(st.integers(1, 4))
    return {
        "scenario": {"name": "Property", "start_year": START, "years": years,
                     "discount_rate": draw(st.floats(0, 0.2, allow_nan=False))},
        "context": {"schools": draw(st.integers(0, 50_000)), "learners": draw(st.integers(0, 10_000_000)),
                    "teachers": draw(st.integers(0, 200_000)), "education_budget": 1e8},
        "programme": [draw(programmes(i, years)) for i in range(n)],
    }

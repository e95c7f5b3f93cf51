"""Engine speed: median wall time of the engine for the benchmark scenarios (no file I/O is timed).

Run: ``python benchmarks/bench_engine.py`` (``--quick``: fewer repeats, no 100,000-draw row). Prints one line per
measurement, and each goal with the measured figure and its ratio to the goal ("MISSED" when it is not met).
Goals (issue 21), whole engine on the six-source scenario with its draws perturbed: 1 draw under 2 ms, 10,000 draws
under 0.2 s, the cost per draw flat from 1,000 to 100,000 draws (at most 1.2x), and 100 programmes no dearer per
programme than 30 (at most 100/30 = 3.33x the time). The cost engine alone (3 programmes, 10 lines, 10 years) is
reported without a goal.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from goals import Goal, print_goals

from dfl_finance import load_scenario, run
from dfl_finance.engine.costs import project_costs
from dfl_finance.engine.fiscal import cost_metrics
from dfl_finance.engine.model import simulate
from dfl_finance.engine.prices import real_discount_factors
from dfl_finance.memory import keep_freed_memory
from dfl_finance.model.compile import build_cost_inputs, build_model_inputs
from dfl_finance.outputs.result import concat_tables

HERE = Path(__file__).resolve().parent
COST_SCENARIO = HERE / "scenarios" / "three_programmes_ten_lines.toml"
SOURCES_SCENARIO = HERE / "scenarios" / "six_sources.toml"


def median_time(fn, repeat: int, number: int = 1) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def perturbed(inputs, rng: np.random.Generator):
    """The same inputs with unit costs and driver counts varied per draw (as a Monte Carlo run would)."""
    return replace(inputs,
                   unit_cost=inputs.unit_cost * rng.lognormal(0.0, 0.2, inputs.unit_cost.shape),
                   driver_count=inputs.driver_count * rng.uniform(0.9, 1.1, inputs.driver_count.shape))


def bench_costs(draws: int, repeat: int) -> float:
    sc = load_scenario(COST_SCENARIO)
    inputs = perturbed(build_cost_inputs(sc, draws=draws), np.random.default_rng(0))
    factors = real_discount_factors(np.full(draws, sc.scenario.discount_rate), True, np.ones((draws, inputs.years)))
    learners = np.full(draws, float(sc.context.learners))

    def engine():
        proj = project_costs(inputs)
        cost_metrics(proj, factors, learners)

    return median_time(engine, repeat, number=1 if draws > 1 else 20)


def priced(sc):
    """The six-source scenario in local currency with the whole price layer at work: its cost lines priced in USD,
    5% local and 2% US inflation, a depreciating exchange-rate path, USD loans and grants (their defaults)."""
    from dfl_finance import scenario_from_dict

    raw = sc.model_dump(exclude_none=True)
    raw["scenario"].update(name="Benchmark: 6 sources in RWF", currency="RWF")
    raw["macro"] = {"inflation": 0.05, "usd_inflation": 0.02,
                    "fx_path": [1300.0 * 1.04 ** i for i in range(sc.scenario.years)]}
    raw["context"]["education_budget"] *= 1300.0
    for p in raw["programme"]:
        for c in p["cost"]:
            c["currency"] = "USD"
    return scenario_from_dict(raw)


def bench_full(draws: int, repeat: int, with_prices: bool = False) -> tuple[float, int]:
    sc = load_scenario(SOURCES_SCENARIO)
    if with_prices:
        sc = priced(sc)
    inputs = build_model_inputs(sc, draws=draws)
    inputs = replace(inputs, costs=perturbed(inputs.costs, np.random.default_rng(1)))
    iterations = simulate(inputs).allocation.iterations
    return median_time(lambda: simulate(inputs), repeat, number=1 if draws > 1 else 10), iterations


def many_programmes(n: int):
    """The six-source scenario with ``n`` programmes: its three programmes repeated (ids suffixed), each source
    eligible for the copies of the programmes it was eligible for."""
    from dfl_finance import scenario_from_dict

    raw = load_scenario(SOURCES_SCENARIO).model_dump(exclude_none=True)
    template = raw["programme"]
    raw["programme"] = [dict(copy.deepcopy(template[i % len(template)]), id=f"{template[i % len(template)]['id']}_{i}")
                        for i in range(n)]
    for source in raw["source"]:
        if "eligible" in source:
            source["eligible"] = [p["id"] + entry[len(entry.split(":")[0]):] for entry in source["eligible"]
                                  for p in raw["programme"] if p["id"].rsplit("_", 1)[0] == entry.split(":")[0]]
    return scenario_from_dict(raw)


def bench_engine(sc, draws: int, repeat: int) -> tuple[float, float]:
    """Whole engine and the waterfall alone (:func:`~dfl_finance.engine.financing.allocate`) on ``draws``
    perturbed draws of ``sc``: median wall times."""
    from dfl_finance.engine.costs import project_costs
    from dfl_finance.engine.financing import allocate
    from dfl_finance.engine.model import allocation_problem

    inputs = build_model_inputs(sc, draws=draws)
    inputs = replace(inputs, costs=perturbed(inputs.costs, np.random.default_rng(1)))
    problem = allocation_problem(inputs)
    budget = problem.budget[:, :inputs.years]
    project_costs(inputs.costs)
    number = 1 if draws > 1 else 10
    return (median_time(lambda: simulate(inputs), repeat, number),
            median_time(lambda: allocate(problem.cells, problem.sources, budget), repeat, number))


def bench_app_redraw(repeat: int) -> tuple[float, float]:
    """What the app does after one edit of a bundled scenario, without Streamlit itself: validate the edit, write
    the TOML (the cache key), run the engine and build the tables (a cache miss), and build and serialise the five
    Compare charts for two scenarios. Returns (engine + tables, engine + tables + charts) medians."""
    from dfl_finance.app.charts import compare_charts
    from dfl_finance.app.editing import apply_values
    from dfl_finance.inputs.io import dump_scenario
    from dfl_finance.model.load import parse_scenario

    root = HERE.parent / "scenarios"
    sc = load_scenario(root / "rwanda-ida-credit.toml")
    other = run(load_scenario(root / "rwanda-domestic.toml")).tables()
    state = {"k": 0}

    def edit_and_run():
        state["k"] += 1
        new = apply_values(sc, {"programme[0].cost[0].unit_cost": 515.0 + state["k"]})
        return run(parse_scenario(dump_scenario(new), folder=root)).tables()  # its baseline is beside it

    def redraw():
        for chart in compare_charts(concat_tables([edit_and_run(), other]), "USD").values():
            chart.to_json()

    return median_time(edit_and_run, repeat), median_time(redraw, repeat)


def goals(quick: bool = False, repeat: int = 21) -> list[Goal]:
    """The issue's goals for the whole engine on the six-source scenario (its draws perturbed), timed as the
    commands run the engine: with the memory setting dfl_finance.cli.main makes for each command."""
    keep_freed_memory()
    if quick:
        repeat = min(repeat, 5)
    sc = load_scenario(SOURCES_SCENARIO)
    how = "median wall time, in process, no file I/O; six-source scenario, draws perturbed"
    t1, it1 = bench_full(1, repeat)
    t2, it2 = bench_full(10_000, max(5, repeat // 3))
    out = [Goal("engine, 1 draw", t1 * 1e3, "ms", 2.0, how=f"{how}; {it1} waterfall passes"),
           Goal("engine, 10,000 draws", t2, "s", 0.2, how=f"{how}; {it2} waterfall passes")]
    per_draw = {}
    counts = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    os.environ.setdefault("DFL_FINANCE_MEMORY_GIB", "16")  # 100,000 draws need more than the default limit
    for n in counts:
        whole, waterfall = bench_engine(sc, n, 3 if n >= 100_000 else max(5, repeat // 3))
        per_draw[n] = (whole / n, waterfall / n)
    last = counts[-1]
    for i, part in enumerate(("engine", "waterfall")):
        ratio = per_draw[last][i] / per_draw[1_000][i]
        out.append(Goal(f"{part}: cost per draw at {last:,} draws / at 1,000", ratio, "x", 1.2,
                        how=f"{per_draw[1_000][i] * 1e6:.1f} and {per_draw[last][i] * 1e6:.1f} us a draw"))
    times = {n: bench_engine(many_programmes(n), 1_000, max(3, repeat // 5)) for n in (30, 100)}
    for i, part in enumerate(("engine", "waterfall")):
        out.append(Goal(f"{part}: 100 programmes / 30 programmes, 1,000 draws", times[100][i] / times[30][i], "x",
                        100 / 30, how=f"{times[30][i] * 1e3:.1f} and {times[100][i] * 1e3:.1f} ms; goal: linear"))
    return out


def main() -> None:
    keep_freed_memory()  # the engine as the commands run it (dfl_finance.cli.main sets it for each command)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and no 100,000-draw row")
    args = parser.parse_args()
    if args.quick:
        args.repeat = min(args.repeat, 5)
    sc = load_scenario(COST_SCENARIO)
    n_lines = sum(len(p.cost) for p in sc.programme)
    print(f"cost scenario: {len(sc.programme)} programmes, {n_lines} cost lines, {sc.scenario.years} years")
    t1 = bench_costs(1, args.repeat)
    print(f"costs engine, 1 draw:          {t1 * 1e3:8.3f} ms")
    t2 = bench_costs(10_000, max(5, args.repeat // 3))
    print(f"costs engine, 10,000 draws:    {t2 * 1e3:8.1f} ms")
    t3 = median_time(lambda: run(sc).tables(), args.repeat, number=5)
    print(f"run() + tidy tables, 1 draw:   {t3 * 1e3:8.3f} ms  (validation excluded, no file I/O)")
    sc = load_scenario(SOURCES_SCENARIO)
    print(f"full scenario: {len(sc.source)} sources ({', '.join(s.kind for s in sc.source)}), "
          f"{sc.scenario.years} years")
    print_goals(goals(args.quick, args.repeat))
    t6 = median_time(lambda: run(sc).tables(), args.repeat, number=5)
    print(f"run() + tidy tables, 1 draw:   {t6 * 1e3:8.3f} ms")
    t7, _ = bench_full(1, args.repeat, with_prices=True)
    print(f"whole engine in RWF, 1 draw:   {t7 * 1e3:8.3f} ms  (USD-priced lines and loans, inflation, fx path)")
    t8, _ = bench_full(10_000, max(5, args.repeat // 3), with_prices=True)
    print(f"whole engine in RWF, 10,000:   {t8 * 1e3:8.1f} ms")
    try:
        a, b = bench_app_redraw(max(5, args.repeat // 2))
    except ImportError:
        print("app redraw: skipped (install the app extra: pip install -e .[app])")
    else:
        print(f"app, one edit -> new tables:   {a * 1e3:8.1f} ms  (validate, TOML, engine, tables; bundled Rwanda)")
        print(f"app, one edit -> 5 charts:     {b * 1e3:8.1f} ms  (Streamlit's own rendering excluded; the browser "
              "benchmark measures what a user sees)")


if __name__ == "__main__":
    main()

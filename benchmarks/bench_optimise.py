"""Optimiser speed: the six-source, ten-year benchmark scenario and a 30-year case with 10 programmes and 10
sources, solved as linear programmes (HiGHS), with the size of each programme.

Run: ``python benchmarks/bench_optimise.py``. Targets (issue 11): six sources under 0.5 s; 30 years x 10 programmes
x 10 sources under 5 s.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from bench_engine import SOURCES_SCENARIO, median_time

from dfl_finance import load_scenario, scenario_from_dict
from dfl_finance.engine.model import simulate
from dfl_finance.engine.optimise import Options, optimise
from dfl_finance.model.compile import build_model_inputs
from dfl_finance.studies.optimise import optimise as optimise_scenario
from dfl_finance.studies.optimise import optimise_draws

HERE = Path(__file__).resolve().parent


def large(years: int = 30, programmes: int = 10, sources: int = 10):
    """The six-source scenario grown to ``years`` years, ``programmes`` programmes (copies of its three, each with
    its cost lines, targets spread over the plan) and ``sources`` sources (grants, loans with IDA and IBRD terms,
    a PPP, matched grants and a domestic budget), every source eligible for a few programmes."""
    base = load_scenario(SOURCES_SCENARIO).model_dump(exclude_none=True)
    base["scenario"].update(name=f"Benchmark: {years} years, {programmes} programmes, {sources} sources",
                            years=years)
    progs = []
    for i in range(programmes):
        p = dict(base["programme"][i % len(base["programme"])])
        p["id"] = f"{p['id']}_{i}"
        if "target_year" in p:
            p["target_year"] = 2026 + (3 + 2 * i) % years
        p["cost"] = [dict(c, schedule=[2026 + (i % years)]) if "schedule" in c else dict(c) for c in p["cost"]]
        progs.append(p)
    ids = [p["id"] for p in progs]
    srcs = []
    for k in range(sources - 1):
        kind = ["grant", "loan", "grant", "loan", "ppp"][k % 5]
        s = {"id": f"s{k}", "kind": kind, "priority": k,
             "eligible": [ids[(k + j) % programmes] + (":capex" if kind == "ppp" else "") for j in range(4)]}
        if kind == "grant":
            s.update(commitment=20e6 + 5e6 * k, annual_cap=4e6)
            if k >= 2:
                s["match"] = {"sources": [f"s{k - 1}"], "ratio": 0.5}
        elif kind == "loan":
            s.update(terms="ida21-regular" if k % 2 else "ibrd-flexible", commitment=60e6 + 10e6 * k)
        else:
            s.update(contract_years=10, return_rate=0.1)
        srcs.append(s)
    srcs.append({"id": "mof", "kind": "domestic", "budget_share_cap": 0.05})
    base["programme"], base["source"] = progs, srcs
    return scenario_from_dict(base)


def bench(sc, repeat: int) -> dict:
    inputs = build_model_inputs(sc)
    step = partial(optimise, options=Options())
    sim = simulate(inputs, allocation=step)
    best = optimise_scenario(sc)
    return {"size": sim.allocation.solutions[0].size,
            "engine": median_time(lambda: simulate(inputs, allocation=step), repeat),
            "whole": median_time(lambda: optimise_scenario(sc), repeat),
            "pv": (best.waterfall.summary()["pv_government_cost"], best.result.summary()["pv_government_cost"]),
            "gap": (best.waterfall.summary()["total_gap"], best.result.summary()["total_gap"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--draws", type=int, default=200, help="draws of the per-draw optimisation")
    args = parser.parse_args()
    optimise_scenario(load_scenario(SOURCES_SCENARIO))  # warm up (scipy's import)
    for sc, target in ((load_scenario(SOURCES_SCENARIO), 0.5), (large(), 5.0)):
        b = bench(sc, args.repeat)
        rows, cols, nnz = b["size"]
        (pv_w, pv_o), (gap_w, gap_o) = b["pv"], b["gap"]
        print(f"{sc.name}")
        print(f"  programme: {rows:,} rows, {cols:,} columns, {nnz:,} non-zeros")
        print(f"  engine with the optimiser:   {b['engine']:7.3f} s")
        print(f"  optimise() end to end:       {b['whole']:7.3f} s  (target < {target:g} s; waterfall run included)")
        print(f"  gap: waterfall {gap_w:,.0f}, optimum {gap_o:,.0f}")
        print(f"  PV government cost: waterfall {pv_w:,.0f}, optimum {pv_o:,.0f} ({pv_o / pv_w - 1:+.1%})")
    sc = load_scenario(HERE.parent / "scenarios" / "rwanda-ida-credit.toml")
    t = median_time(lambda: optimise_draws(sc, draws=args.draws), 1)
    print(f"{sc.name}: {args.draws} draws, each optimised: {t:.2f} s ({t / args.draws * 1e3:.1f} ms a draw)")


if __name__ == "__main__":
    main()

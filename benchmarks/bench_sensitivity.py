"""Sensitivity speed: Sobol indices of a bundled scenario with 10 uncertain inputs at N = 2^12 base samples
(``N (k + 2)`` = 49,152 engine draws, then the bootstrap intervals), and its tornado.

The scenario is ``scenarios/rwanda-ida-credit.toml`` with its four ``[[uncertain]]`` rows and six more: unit
costs, the education budget and its growth and a programme's target share, each uniform on +-20% of the file's value
(the budget on +-10%, its growth on +-50%, the share on 0.8..1).

Run: ``python benchmarks/bench_sensitivity.py``. Target (issue 10): Sobol indices for 10 inputs at N = 2^12 under
30 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib
from pathlib import Path

from dfl_finance import scenario_from_dict
from dfl_finance.inputs.paths import get
from dfl_finance.studies.risk import sensitivity
from dfl_finance.studies.risk.sensitivity import sobol_df, tornado

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rwanda-ida-credit.toml"
METRICS = ["total_gap", "pv_government_cost", "peak_burden_share"]
#: five of the six inputs added to the file's four (and the target share), their range around the file's value
EXTRA = [
    ("programme[connectivity].cost[1].unit_cost", 0.2), ("programme[solar_power].cost[0].unit_cost", 0.2),
    ("programme[devices].cost[0].unit_cost", 0.2), ("context.education_budget", 0.1), ("context.budget_growth", 0.5),
]


def scenario_with_ten_inputs():
    raw = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    base = scenario_from_dict(raw, folder=SCENARIO.parent)  # its baseline is beside it
    for path, spread in EXTRA:
        value = float(get(base, path))
        raw["uncertain"].append({"path": path, "distribution": "uniform", "low": value * (1 - spread),
                                 "high": value * (1 + spread)})
    raw["uncertain"].append({"path": "programme[connectivity].target_share", "distribution": "uniform",
                             "low": 0.8, "high": 1.0})
    return scenario_from_dict(raw, folder=SCENARIO.parent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2**12)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    sc = scenario_with_ten_inputs()
    k = len(sc.uncertain)
    print(f"{sc.name}: {k} uncertain inputs, N = {args.n:,}: {args.n * (k + 2):,} engine draws; "
          f"metrics {', '.join(METRICS)}")
    sobol_df(sc, METRICS, n=8, seed=1)  # warm up (imports, data files)
    engine: list[float] = []
    evaluate = sensitivity.evaluate

    def timed_evaluate(*a, **kw):  # the engine's share of the time (sampling the design and the bootstrap aside)
        t0 = time.perf_counter()
        out = evaluate(*a, **kw)
        engine.append(time.perf_counter() - t0)
        return out

    sensitivity.evaluate = timed_evaluate
    times, t_tornado, t_engine = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        tornado(sc, METRICS)
        t_tornado.append(time.perf_counter() - t0)
        engine.clear()
        t0 = time.perf_counter()
        s = sobol_df(sc, METRICS, n=args.n, seed=2026)
        times.append(time.perf_counter() - t0)
        t_engine.append(sum(engine))
    print(f"tornado ({2 * k + 1} draws, one engine run):   {statistics.median(t_tornado):6.2f} s")
    print(f"Sobol indices and bootstrap intervals:  {statistics.median(times):6.2f} s  (target < 30 s)")
    print(f"  of which the engine ({args.n * (k + 2):,} draws):  {statistics.median(t_engine):6.2f} s")
    print(s[s["metric"] == METRICS[1]].to_string(index=False))


if __name__ == "__main__":
    main()

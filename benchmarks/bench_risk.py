"""Risk run speed: a bundled scenario with its uncertain inputs over 10,000 draws, end to end (sampling, engine,
quantile tables, files), and the peak memory of the arrays (tracemalloc).

Run: ``python benchmarks/bench_risk.py``. Targets (issue 10): under 3 s end to end; under 1 GB of memory.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import tracemalloc
from pathlib import Path

from bench_engine import median_time

from dfl_finance import load_scenario
from dfl_finance.cli import main as cli
from dfl_finance.results import quantiles_df, yearly_quantiles_df
from dfl_finance.risk import run_risk

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rwanda-ida-credit.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sc = load_scenario(SCENARIO)
    print(f"{sc.name}: {len(sc.uncertain)} uncertain inputs, {args.draws:,} draws ({sc.risk.method})")
    run_risk(sc, draws=16)  # warm up
    t_run = median_time(lambda: run_risk(sc, draws=args.draws), args.repeat)
    res = run_risk(sc, draws=args.draws)
    t_q = median_time(lambda: (quantiles_df(res), yearly_quantiles_df(res)), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        def risk_command() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                cli(["risk", str(SCENARIO), "--draws", str(args.draws), "--out", tmp])

        t_cli = median_time(risk_command, args.repeat)
    tracemalloc.start()
    quantiles_df(run_risk(sc, draws=args.draws))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"sampling + engine:                 {t_run:6.2f} s")
    print(f"quantile tables:                   {t_q:6.2f} s")
    print(f"dfl-finance risk, end to end:      {t_cli:6.2f} s  (target < 3 s; files written, console output)")
    print(f"peak memory (tracemalloc):         {peak / 2**20:6.0f} MiB (target < 1 GB)")


if __name__ == "__main__":
    main()

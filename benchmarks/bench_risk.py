"""Risk run speed: a bundled scenario with its uncertain inputs over 10,000 draws, end to end (sampling, engine,
quantile tables, files), and the peak memory (tracemalloc) of the whole run kept (``run_risk``) and of the chunked
run the command line and the app use (``risk_draws``), at 10,000 and at ``--many`` draws.

Run: ``python benchmarks/bench_risk.py``. Targets (issue 10): under 3 s end to end; under 1 GB of memory.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench_engine import median_time

from dfl_finance import load_scenario
from dfl_finance.cli import main as cli
from dfl_finance.outputs.result import quantiles_df, yearly_quantiles_df
from dfl_finance.studies.risk import risk_draws, run_risk

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rwanda-ida-credit.toml"


def peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--many", type=int, default=100_000, help="draws of the memory check of chunked runs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sc = load_scenario(SCENARIO)
    print(f"{sc.name}: {len(sc.uncertain)} uncertain inputs, {args.draws:,} draws ({sc.risk.method})")
    run_risk(sc, draws=16)  # warm up
    t_run = median_time(lambda: run_risk(sc, draws=args.draws), args.repeat)
    t_chunked = median_time(lambda: risk_draws(sc, draws=args.draws), args.repeat)
    res = risk_draws(sc, draws=args.draws)
    t_q = median_time(lambda: (quantiles_df(res), yearly_quantiles_df(res)), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        def risk_command() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                cli(["risk", str(SCENARIO), "--draws", str(args.draws), "--out", tmp])

        t_cli = median_time(risk_command, args.repeat)
    whole = peak_mib(lambda: quantiles_df(run_risk(sc, draws=args.draws)))
    chunked = peak_mib(lambda: quantiles_df(risk_draws(sc, draws=args.draws)))
    t_many = median_time(lambda: risk_draws(sc, draws=args.many), 1)
    many = peak_mib(lambda: quantiles_df(risk_draws(sc, draws=args.many)))
    print(f"sampling + engine, one call:       {t_run:6.2f} s  (run_risk: every table of every draw kept)")
    print(f"sampling + engine, chunked:        {t_chunked:6.2f} s  (risk_draws, as the CLI and the app)")
    print(f"quantile tables:                   {t_q:6.2f} s")
    print(f"dfl-finance risk, end to end:      {t_cli:6.2f} s  (target < 3 s; files written, console output)")
    print(f"peak memory, one call:             {whole:6.0f} MiB (target < 1 GB)")
    print(f"peak memory, chunked:              {chunked:6.0f} MiB")
    print(f"{args.many:,} draws chunked:            {t_many:6.2f} s, {many:6.0f} MiB peak")


if __name__ == "__main__":
    main()

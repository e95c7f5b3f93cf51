"""Risk run speed: a bundled scenario with its uncertain inputs over 10,000 draws, end to end (sampling, engine,
quantile tables, files), and the peak memory (tracemalloc) of the whole run kept (``run_risk``) and of the chunked
run the command line and the app use (``risk_draws``), at 10,000 and at ``--many`` draws.

The whole command as a user waits for it (issue 21): ``dfl-finance risk FILE --draws 10000`` against a plain
``dfl-finance run FILE``, each a fresh process, in interleaved pairs (risk, run, run, risk, ...): what the draws add,
in wall time and in CPU time (user + system of the finished child, ``resource.getrusage(RUSAGE_CHILDREN)``), the
median of the pairs' differences.

Run: ``python benchmarks/bench_risk.py``. Goal (issue 21): the draws add under 0.5 s to a plain run, wall and CPU;
the peak memory is reported (the memory guard refuses runs above 4 GiB).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench_engine import median_time
from goals import Goal, print_goals, timed_command

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


#: What the draws may add to a plain run of the same file, wall and CPU seconds (issue 21).
GOAL_ADDED = 0.5


def command_seconds(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of ``dfl-finance ARGS`` in a fresh process, its output thrown away."""
    return timed_command([sys.executable, "-m", "dfl_finance.cli", *args])


def whole_commands(draws: int, pairs: int) -> list[Goal]:
    """``risk --draws`` against ``run`` of the same file, interleaved pairs: what the draws add (the median of the
    pairs' differences) against :data:`GOAL_ADDED`, in wall and CPU time."""
    with tempfile.TemporaryDirectory() as tmp:
        risk = ["risk", str(SCENARIO), "--draws", str(draws), "--out", f"{tmp}/risk"]
        plain = ["run", str(SCENARIO), "--out", f"{tmp}/run"]
        command_seconds(risk), command_seconds(plain)  # warm up (the file cache)
        times: dict[str, list[tuple[float, float]]] = {"risk": [], "run": []}
        for i in range(pairs):
            order = (("risk", risk), ("run", plain)) if i % 2 == 0 else (("run", plain), ("risk", risk))
            for name, args in order:
                times[name].append(command_seconds(args))
    out = []
    for k, what in enumerate(("wall", "CPU")):
        r, p = ([t[k] for t in times[name]] for name in ("risk", "run"))
        added = statistics.median(a - b for a, b in zip(r, p))
        out.append(Goal(f"risk --draws {draws:,} adds to a plain run, {what}", added, "s", GOAL_ADDED,
                        how=f"risk {statistics.median(r):.2f} s, run {statistics.median(p):.2f} s; medians of "
                            f"{pairs} interleaved pairs, whole processes"))
    return out


def goals(quick: bool = False) -> list[Goal]:
    """The issue's goal (what 10,000 draws add to a plain run), and the peak memory of 100,000 chunked draws."""
    out = whole_commands(10_000, 3 if quick else 7)
    sc = load_scenario(SCENARIO)
    many = 20_000 if quick else 100_000
    out.append(Goal(f"risk draws, {many:,} in chunks: peak memory", peak_mib(lambda: quantiles_df(
        risk_draws(sc, draws=many))), "MiB", how="tracemalloc, sampling + engine + quantile tables"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--many", type=int, default=100_000, help="draws of the memory check of chunked runs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=7, help="interleaved pairs of the whole-command comparison")
    args = parser.parse_args()
    sc = load_scenario(SCENARIO)
    print(f"{sc.name}: {len(sc.uncertain)} uncertain inputs, {args.draws:,} draws ({sc.risk.method})")
    print_goals(whole_commands(args.draws, args.pairs))
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
    print(f"dfl-finance risk, in process:      {t_cli:6.2f} s  (files written, console output)")
    print(f"peak memory, one call:             {whole:6.0f} MiB")
    print(f"peak memory, chunked:              {chunked:6.0f} MiB")
    print(f"{args.many:,} draws chunked:            {t_many:6.2f} s, {many:6.0f} MiB peak")


if __name__ == "__main__":
    main()

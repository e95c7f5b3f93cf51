"""School model speed: the whole ``dfl-finance schools`` command on 100,000 generated schools (a new process, start-up
and the outputs written included), then the engine alone (the least-cost choice and the rollout of 1,000 to 1,000,000
synthetic schools, the table already read and checked), the checks of the table, the tables, and the peak memory.

Run: ``python benchmarks/bench_schools.py`` (``--command-only``: the whole command alone; ``--before DIR``: the same
commands with the package at DIR too, e.g. a checkout of the code before issue 21, interleaved with ours and their
ratio printed). Targets: the whole command under 2 s of wall and of CPU time on 100,000 schools, outputs written, in
each configuration (issue 21): the even pace, a yearly budget with region quotas, the distances measured from 2,000
fibre nodes, and a Giga-style table (the towers of bench_giga.py's world, the Giga school data's column names); the
engine under 0.3 s at 10,000 schools and 2 s at 100,000, linear in the schools (issue 12). CPU time is the process's
user and system time (``resource.getrusage(RUSAGE_CHILDREN)``), which a free core gives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import tracemalloc
from pathlib import Path

from bench_engine import median_time
from goals import Goal, timed_command

from dfl_finance.inputs.schools import GIGA_ALIASES, check_schools, nearest_km
from dfl_finance.model.schools import plan_schools
from dfl_finance.outputs.schools import school_tables
from dfl_finance.studies.schools import generate_schools

#: The goal of the whole command on 100,000 schools (wall and CPU seconds, issue 21).
COMMAND_GOAL_S = 2.0
COMMAND_SCHOOLS = 100_000
FIBRE_NODES = 2_000


def command_tables(folder: Path, n: int, seed: int = 1) -> dict[str, Path]:
    """The generated school tables the command reads: ``schools.csv`` (generate_schools), ``nodes.csv`` (2,000 of
    its schools as fibre nodes) and ``giga.csv`` (bench_giga's world: one tower per school, each school's nearest
    tower, under the Giga school data's column names)."""
    from bench_giga import giga_world

    df = generate_schools(n, seed=seed)
    paths = {"schools": folder / "schools.csv", "nodes": folder / "nodes.csv", "giga": folder / "giga.csv"}
    df.to_csv(paths["schools"], index=False)
    df.sample(min(FIBRE_NODES, n), random_state=0)[["lat", "lon"]].to_csv(paths["nodes"], index=False)
    world, _ = giga_world(n, seed)
    world.rename(columns={ours: theirs for theirs, ours in GIGA_ALIASES.items()}).to_csv(paths["giga"], index=False)
    return paths


def configurations(paths: dict[str, Path]) -> dict[str, list[str]]:
    """name -> the command's arguments (without ``--out``)."""
    table = str(paths["schools"])
    return {
        "even pace": [table],
        "budget, region quotas": [table, "--budget", "1000000", "--order", "region-quota"],
        f"{FIBRE_NODES:,} fibre nodes": [table, "--fibre-nodes", str(paths["nodes"])],
        "Giga-style table": [str(paths["giga"]), "--budget", "1000000", "--order", "region-quota"],
    }


def run_command(args: list[str], out: Path, pythonpath: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of ``dfl-finance schools ARGS --out OUT`` in a new process (:func:`goals.timed_command`);
    with ``pythonpath``, the package there, run from its folder (``python -m`` puts the current folder first on the
    path)."""
    cmd = [sys.executable, "-m", "dfl_finance.cli", "schools", *args, "--out", str(out)]
    return timed_command(cmd, cwd=pythonpath, **({"PYTHONPATH": pythonpath} if pythonpath else {}))


def verdict(value: float, goal: float) -> str:
    return f"{value:.2f} s, {'met' if value < goal else 'MISSED'} ({value / goal:.2f} of the goal)"


def goals(quick: bool = False) -> list[Goal]:
    """The whole command on 100,000 generated schools in each configuration, wall and CPU (the larger)."""
    repeat = 3 if quick else 5
    out = []
    with tempfile.TemporaryDirectory(prefix="dfl-bench-schools-") as tmp:
        folder = Path(tmp)
        paths = command_tables(folder, COMMAND_SCHOOLS)
        for name, args in configurations(paths).items():
            run_command(args, folder / "warm")  # the first run reads the files from disk
            runs = [run_command(args, folder / "out") for _ in range(repeat)]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            out.append(Goal(f"dfl-finance schools, {COMMAND_SCHOOLS:,} schools, {name}", max(wall, cpu), "s",
                            COMMAND_GOAL_S, how=f"wall {wall:.2f} s, CPU {cpu:.2f} s, the larger; median of "
                                                f"{repeat}, a new process each, outputs written"))
    return out


def bench_command(repeat: int, before: str | None) -> None:
    print(f"whole command, {COMMAND_SCHOOLS:,} generated schools (python -m dfl_finance.cli schools ... --out DIR; "
          f"a new process each run, outputs written; median of {repeat}; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}: wall time above CPU time is waiting for a core or the disk)")
    with tempfile.TemporaryDirectory(prefix="dfl-bench-schools-") as tmp:
        folder = Path(tmp)
        paths = command_tables(folder, COMMAND_SCHOOLS)
        for name, args in configurations(paths).items():
            ours, theirs = [], []
            run_command(args, folder / "warm")  # the first run reads the files from disk
            for _ in range(repeat):  # interleaved with the code before, when given
                ours.append(run_command(args, folder / "out"))
                if before:
                    theirs.append(run_command(args, folder / "out-before", before))
            wall = statistics.median(w for w, _ in ours)
            cpu = statistics.median(c for _, c in ours)
            print(f"  {name:<24} goal < {COMMAND_GOAL_S:g} s: wall {verdict(wall, COMMAND_GOAL_S)}; "
                  f"CPU {verdict(cpu, COMMAND_GOAL_S)}")
            if before:
                ratio_wall = statistics.median(a[0] / b[0] for a, b in zip(ours, theirs))
                ratio_cpu = statistics.median(a[1] / b[1] for a, b in zip(ours, theirs))
                print(f"  {'':<24} before ({before}): wall {statistics.median(w for w, _ in theirs):.2f} s, CPU "
                      f"{statistics.median(c for _, c in theirs):.2f} s; ratio now/before (median of pairs): wall "
                      f"{ratio_wall:.2f}, CPU {ratio_cpu:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--command-only", action="store_true", help="the whole command alone, not the engine")
    parser.add_argument("--before", metavar="DIR", help="also run the command with the package at DIR (PYTHONPATH), "
                        "interleaved, e.g. a checkout of the code before issue 21")
    args = parser.parse_args()
    bench_command(args.repeat, args.before)
    if args.command_only:
        return
    print("\nengine (in this process, the table already read and checked)")
    for n in (1_000, 10_000, 100_000, 1_000_000):
        df = generate_schools(n, seed=1)
        table = check_schools(df)
        t_plan = median_time(lambda: plan_schools(table, years=10), args.repeat)
        t_budget = median_time(lambda: plan_schools(table, years=10, budget=1e6, order="region-quota"),
                               args.repeat)
        t_check = median_time(lambda: check_schools(df), max(1, args.repeat // 2))
        plan = plan_schools(table, years=10)
        t_tables = median_time(lambda: school_tables(plan), 1)
        nodes = df.sample(max(n // 50, 1), random_state=0)
        t_kd = median_time(lambda: nearest_km(df["lat"].to_numpy(), df["lon"].to_numpy(), nodes["lat"].to_numpy(),
                                              nodes["lon"].to_numpy()), args.repeat)
        t_ext = median_time(lambda: plan_schools(table, years=10, extend_fibre=True,
                                                 prefer=("fibre", "cellular", "p2p", "satellite")), 1) \
            if n <= 100_000 else float("nan")
        tracemalloc.start()
        plan_schools(table, years=10)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{n:>9,} schools: engine {t_plan * 1e3:8.1f} ms (budget, region quotas {t_budget * 1e3:8.1f} ms), "
              f"fibre distances to {len(nodes):,} nodes {t_kd * 1e3:7.1f} ms, table checks {t_check * 1e3:7.1f} ms, "
              f"tables {t_tables * 1e3:7.1f} ms, fibre extension (fibre first) {t_ext * 1e3:7.1f} ms, "
              f"engine peak {peak / 2**20:6.1f} MiB")
    print(f"goal: the whole command < {COMMAND_GOAL_S:g} s (wall and CPU) at {COMMAND_SCHOOLS:,} schools (above)")


if __name__ == "__main__":
    main()

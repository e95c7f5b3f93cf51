"""Sweep throughput on dask.distributed (issue 21): one worker against two at 100,000 draws on clusters started and
warmed before timing, the engine draws per CPU-second of the workers without and with their start-up, a small sweep
in this process against Dask, the break-even below which a sweep runs in process, and (issue 13) a sweep of 40
countries x 6 options x 1,000 draws.

The "countries" are the bundled scenarios with their counts, budget and unit costs scaled (a stand-in for country
files); the options are override sets on the financing (budget growth, burden limit, envelope, discount rate).

- **Scaling**: 4 countries x 2 options x 12,500 draws (100,000 engine draws, chunks of 1,000) on a LocalCluster of one
  worker and on one of two, both started and warmed (every worker has imported the package and run a chunk) before
  any timing, run alternately ``--repeat`` times. Goal (issue 21): two workers 1.7x or more faster than one. Each pair
  is one ratio; the median and the spread are printed. On a machine whose cores other work shares, the ratio says
  how much core the second worker got, not what it adds on a free core: the per-CPU-second figure says that.
- **Start-up included**: the same sweep on a fresh LocalCluster of two workers, timed from the cluster's start (what
  ``dfl-finance sweep --workers 2`` waits), and the draws per CPU-second of the workers counting their start-up.
- **Small sweeps**: 8 cases x 1,000 draws in this process, on a fresh two-worker cluster and on a started one; the
  break-even ``start-up / (in-process seconds per draw - two-worker seconds per draw)``, against
  :data:`dfl_finance.studies.sweep.IN_PROCESS_BELOW` (the threshold of ``dfl-finance sweep`` without ``--workers``).

Run: ``python benchmarks/bench_sweep.py`` (``--countries 0`` leaves out the large sweep, ``--repeat N`` sets the pairs,
``--quick`` 20,000 draws and one pair); ``goals()`` gives the figures to ``benchmarks/performance.py``.
``--scheduler tcp://host:8786`` runs the sweeps on a running cluster instead (``dask scheduler`` and ``dask worker ...
--nthreads 1``) and reports the engine draws per second per worker thread and per CPU-second of its workers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from goals import Goal, print_goals

import dfl_finance.studies.sweep as sweep_module
from dfl_finance import load_scenario, save_scenario, scenario_from_dict
from dfl_finance.studies.sweep import load_sweep, local_client, run_sweep

HERE = Path(__file__).resolve().parent
BUNDLED = ["rwanda-ida-credit.toml", "rwanda-grants-gpe.toml", "kenya-ida-gpe.toml", "rwanda-ppp.toml"]
OPTIONS = [("as written", {}), ("budget growth 0", {"context.budget_growth": 0.0}),
           ("budget growth 4%", {"context.budget_growth": 0.04}), ("burden limit 4%", {"context.burden_limit": 0.04}),
           ("gross envelope", {"context.envelope": "gross"}), ("discount 5%", {"scenario.discount_rate": 0.05})]
#: Issue 21: two started workers at least this much faster than one at 100,000 draws.
GOAL_SPEEDUP = 1.7
#: Issue 13: 40 countries x 6 options x 1,000 draws within this [s].
GOAL_LARGE = 120.0


def scaled_country(file: str, i: int) -> dict[str, Any]:
    """Country ``i`` of a benchmark: the bundled scenario ``file`` (a dict) with its counts and budget scaled by a
    factor between 0.5 and 1.5 that depends on ``i``, named ``Country <i + 1> (<its name>)``."""
    raw = load_scenario(HERE.parent / "scenarios" / file).model_dump(exclude_none=True)
    scale = 0.5 + (i * 37 % 100) / 100
    raw["scenario"]["name"] = f"Country {i + 1:02d} ({raw['scenario']['name']})"
    for k in ("schools", "learners", "teachers"):
        raw["context"][k] = int(raw["context"][k] * scale)
    raw["context"]["education_budget"] *= scale
    return raw


def countries(folder: Path, n: int) -> list[Path]:
    """``n`` scenario files: the bundled ones with their counts and budget scaled, each with its own uncertain rows
    (so every case has draws that differ)."""
    out = []
    for i in range(n):
        raw = scaled_country(BUNDLED[i % len(BUNDLED)], i)
        raw["risk"] = {"draws": 1000, "seed": i, "method": "lhs"}
        path = folder / f"country{i:02d}.toml"
        if not path.exists():
            save_scenario(scenario_from_dict(raw, folder=HERE.parent / "scenarios"), path)  # its baseline is there
        out.append(path)
    return out


def spec(folder: Path, files: list[Path], draws: int, chunk: int, options: int, name: str = "sweep") -> Path:
    lines = ["[sweep]", 'name = "benchmark"', f"scenarios = {[str(f) for f in files]!r}".replace("'", '"'),
             f"draws = {draws}", f"chunk = {chunk}", "seeds = [7]", ""]
    for option, values in OPTIONS[:options]:
        lines += ["[[sweep.override]]", f'name = "{option}"']
        if values:
            body = ", ".join(f'"{k}" = {v!r}'.replace("'", '"') for k, v in values.items())
            lines.append(f"values = {{ {body} }}")
        lines.append("")
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Timed:
    """Wall time of one sweep, the CPU time its workers spent meanwhile (all of them: what the sweep cost in cores,
    whatever else the machine runs; this process's own when it runs in process), and the part spent writing the
    tables in this process (``summarise``); ``busiest``: the CPU time of the worker that spent most."""

    def __init__(self, sweep: Any, out: Path, client: Any = None) -> None:
        tables = []
        inner = sweep_module.summarise

        def summarise(*args: Any, **kwargs: Any) -> None:
            t = time.perf_counter()
            inner(*args, **kwargs)
            tables.append(time.perf_counter() - t)

        before = client.run(time.process_time) if client is not None else {}
        cpu, t = time.process_time(), time.perf_counter()
        sweep_module.summarise = summarise  # (run_sweep calls the module's summarise)
        try:
            state = run_sweep(sweep, out, client=client)
        finally:
            sweep_module.summarise = inner
        self.wall = time.perf_counter() - t
        if state.failed:  # a run with failed chunks is no measure of the speed
            raise RuntimeError(f"{out}: chunks failed: {state.failed}")
        if client is None:
            self.cpu = time.process_time() - cpu
            self.busiest = self.cpu
        else:
            after = client.run(time.process_time)
            self.cpu = sum(v - before.get(w, 0.0) for w, v in after.items())
            self.busiest = max(v - before.get(w, 0.0) for w, v in after.items())  # the worker with most CPU time
        self.tables = tables[0]
        self.draws = len(sweep.cases) * sweep.draws
        assert not state.failed, state.failed


def _warm(client: Any, warmup: Any, folder: Path) -> None:
    """Every worker imports what a chunk needs and runs chunks (a small sweep of several chunks per worker)."""
    client.run(lambda: [__import__(m) for m in ("pandas", "pyarrow", "scipy.stats", "dfl_finance.studies.sweep")])
    run_sweep(warmup, folder / f"warm-{time.perf_counter_ns()}", client=client)


def _client(scheduler: str) -> Any:
    from distributed import Client

    from dfl_finance.studies.sweep import check_cluster

    client = Client(scheduler, timeout="10s")
    check_cluster(client)
    return client


def _spread(values: list[float], digits: int = 2) -> str:
    low, mid, high = (f"{v:,.{digits}f}" for v in (min(values), statistics.median(values), max(values)))
    return f"median {mid}, from {low} to {high}"


def _label(sweep: Any) -> str:
    return f"{len(sweep.cases)} cases x {sweep.draws:,} draws = {len(sweep.cases) * sweep.draws:,} draws"


def scaling(folder: Path, big: Any, warmup: Any, repeat: int) -> list[Goal]:
    """One worker against two, both started and warmed, ``repeat`` pairs run alternately."""
    one, two = local_client(1), local_client(2)
    loads = [os.getloadavg()[0]]
    try:
        _warm(one, warmup, folder)
        _warm(two, warmup, folder)
        runs = []
        for i in range(repeat):
            a = Timed(big, folder / f"one-{i}", one)
            b = Timed(big, folder / f"two-{i}", two)
            runs.append((a, b))
            loads.append(os.getloadavg()[0])
            print(f"  pair {i + 1}: 1 worker {a.wall:.1f} s, 2 workers {b.wall:.1f} s (of which the tables in this "
                  f"process {a.tables:.2f} / {b.tables:.2f} s): speed-up {a.wall / b.wall:.2f}; load average "
                  f"{loads[-1]:.1f}", flush=True)
    finally:
        one.close()
        two.close()
    n = runs[0][0].draws
    ratios = [a.wall / b.wall for a, b in runs]
    load = f"load average {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
    cpu1, cpu2 = [n / a.cpu for a, _ in runs], [n / b.cpu for _, b in runs]
    # each worker on a core of its own: the time of the busiest worker's CPU, and the tables written in this process
    projected = [(a.cpu + a.tables) / (b.busiest + b.tables) for a, b in runs]
    return [
        Goal(f"sweep of {n:,} draws, 2 started workers over 1", statistics.median(ratios), "x", GOAL_SPEEDUP,
             below=False, how=f"wall time, {_spread(ratios)} over {repeat} interleaved pairs; {_label(big)}, chunks "
             f"of {big.chunk:,}; 1 worker {_spread([a.wall for a, _ in runs], 1)} s; {load}"),
        Goal(f"sweep of {n:,} draws, 2 workers over 1 projected from CPU time", statistics.median(projected), "x",
             how=f"not a measurement of wall time: (1 worker's CPU + tables) / (the busiest of 2 workers' CPU + "
             f"tables), as if each worker had a core; {_spread(projected)}"),
        Goal(f"sweep of {n:,} draws, engine draws per CPU-second of 1 worker", statistics.median(cpu1), "draws/s",
             how=f"start-up excluded (cluster started and warmed); {_spread(cpu1, 0)}"),
        Goal(f"sweep of {n:,} draws, engine draws per CPU-second of 2 workers", statistics.median(cpu2), "draws/s",
             how=f"start-up excluded (cluster started and warmed); {_spread(cpu2, 0)}"),
    ]


def started(folder: Path, big: Any) -> list[Goal]:
    """The same sweep on a fresh cluster of two workers, timed from its start."""
    t = time.perf_counter()
    client = local_client(2)
    try:
        up = time.perf_counter() - t
        run = Timed(big, folder / "fresh", client)
        wall = time.perf_counter() - t
        cpu = sum(client.run(time.process_time).values())  # each worker's whole life: its start-up included
    finally:
        client.close()
    n = run.draws
    return [
        Goal(f"sweep of {n:,} draws from a fresh 2-worker cluster's start", wall, "s",
             how=f"{up:.1f} s to start the cluster; the first chunks pay the workers' imports; load average "
             f"{os.getloadavg()[0]:.1f}"),
        Goal(f"sweep of {n:,} draws, engine draws per CPU-second of 2 workers, start-up included", n / cpu,
             "draws/s", how=f"each worker's CPU time since it started; {n / run.cpu:,.0f} from the sweep's start"),
    ]


def small(folder: Path, sweep: Any, warmup: Any) -> list[Goal]:
    """In process against Dask, fresh and started, and the break-even."""
    here = Timed(sweep, folder / "here")
    t = time.perf_counter()
    client = local_client(2)
    try:
        Timed(sweep, folder / "fresh-small", client)
        fresh = time.perf_counter() - t
        _warm(client, warmup, folder)
        warm = Timed(sweep, folder / "warm-small", client)
    finally:
        client.close()
    n = here.draws
    startup = fresh - warm.wall
    saved = here.wall / n - warm.wall / n  # seconds a draw that two started workers save
    threshold = getattr(sweep_module, "IN_PROCESS_BELOW", None)
    words = f"the threshold in dfl_finance: {threshold:,} draws" if threshold else "no threshold in dfl_finance"
    goals = [
        Goal(f"small sweep ({n:,} draws), in process / a fresh 2-worker cluster", here.wall / fresh, "x", 1.0,
             how=f"in process {here.wall:.1f} s; on a fresh cluster {fresh:.1f} s from its start; on a started one "
             f"{warm.wall:.1f} s; {_label(sweep)}; one run each"),
    ]
    if saved > 0:
        goals.append(Goal("break-even of a fresh 2-worker cluster, cases x draws", startup / saved, "draws",
                          how=f"its start-up {startup:.1f} s / the {saved * 1e6:.0f} us a draw two started workers "
                          f"save; {words}"))
    else:
        print(f"break-even: two started workers saved no time a draw here ({words})")
    return goals


def goals(quick: bool = False, repeat: int | None = None) -> list[Goal]:
    """The sweep's figures against issue 21 (see the module's docstring). ``quick``: 20,000 draws, one pair."""
    repeat = repeat or (1 if quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        four = countries(folder, 4)
        big = load_sweep(spec(folder, four, 2_500 if quick else 12_500, 1000, 2, "big"))
        little = load_sweep(spec(folder, four, 1000, 250, 2, "small"))
        warmup = load_sweep(spec(folder, four[:1], 64, 8, 1, "warmup"))
        return [*scaling(folder, big, warmup, repeat), *started(folder, big), *small(folder, little, warmup)]


def cluster(address: str) -> None:
    """The small and the 100,000-draw sweeps on a running cluster."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        four = countries(folder, 4)
        warmup = load_sweep(spec(folder, four[:1], 64, 8, 1, "warmup"))
        client = _client(address)
        try:
            _warm(client, warmup, folder)
            threads = sum(int(w["nthreads"]) for w in client.scheduler_info()["workers"].values())
            for sw in (load_sweep(spec(folder, four, 1000, 250, 2, "small")),
                       load_sweep(spec(folder, four, 12_500, 1000, 2, "big"))):
                r = Timed(sw, folder / f"cluster-{sw.draws}", client)
                print(f"cluster at {address}, {_label(sw)} in chunks of {sw.chunk:,}: {r.wall:.1f} s on {threads} "
                      f"worker threads; {r.draws / r.wall / threads:,.0f} engine draws/s per worker thread, "
                      f"{r.draws / r.cpu:,.0f} per CPU-second of the workers")
        finally:
            client.close()


def large(n: int, options: int, draws: int, scheduler: str | None) -> None:
    """Issue 13: 40 countries x 6 options x 1,000 draws on two started workers (or the cluster at ``scheduler``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = countries(folder, n)
        warmup = load_sweep(spec(folder, files[:1], 64, 8, 1, "warmup"))
        sweep = load_sweep(spec(folder, files, draws, draws, options, "large"))
        client = _client(scheduler) if scheduler else local_client(2)
        try:
            _warm(client, warmup, folder)
            r = Timed(sweep, folder / "large", client)
            threads = sum(int(w["nthreads"]) for w in client.scheduler_info()["workers"].values())
        finally:
            client.close()
        verdict = "met" if r.wall < GOAL_LARGE else "MISSED"
        print(f"{n} countries x {options} options x {draws:,} draws ({r.draws:,} engine draws) on {threads} started "
              f"workers: {r.wall:.1f} s (issue 13: < {GOAL_LARGE:.0f} s: {verdict}); {r.draws / r.wall / threads:,.0f} "
              f"engine draws/s per worker, {r.draws / r.cpu:,.0f} per CPU-second of the workers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--countries", type=int, default=40, help="countries of the large sweep (0: leave it out)")
    parser.add_argument("--options", type=int, default=6)
    parser.add_argument("--draws", type=int, default=1000, help="draws of the large sweep")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of 1- and 2-worker runs")
    parser.add_argument("--quick", action="store_true", help="20,000 draws and one pair (a smoke run)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a running Dask scheduler (tcp://host:8786) whose workers run the sweeps")
    args = parser.parse_args()
    print(f"os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.scheduler:
        cluster(args.scheduler)
    else:
        print_goals(goals(args.quick, args.repeat))
    if args.countries:
        large(args.countries, args.options, args.draws, args.scheduler)


if __name__ == "__main__":
    main()

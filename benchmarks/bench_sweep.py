"""Sweep throughput on dask.distributed: the same sweep with 1 and 2 local workers (the speed-up), engine draws per
second per core, and a sweep of 40 countries x 6 options x 1,000 draws.

The 40 "countries" are the bundled scenarios with their counts, budget and unit costs scaled (a stand-in for 40
country files); the 6 options are override sets on the financing (shares of the domestic cap, loan commitments,
the envelope). Run: ``python benchmarks/bench_sweep.py``. Target (issue 13): 40 x 6 x 1,000 under 2 minutes.

``--scheduler tcp://host:8786`` runs the same sweeps on a running cluster instead (a scheduler and workers started
with ``dask scheduler`` and ``dask worker ... --nthreads 1``, on this machine as separate processes or on others) and
reports the engine draws per second per worker thread. Every run also reports the engine draws per CPU-second of
the workers (their CPU time, whatever else the machine runs); ``--countries 0`` leaves out the large sweep.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from dfl_finance import load_scenario, save_scenario, scenario_from_dict
from dfl_finance.studies.sweep import load_sweep, local_client, run_sweep

HERE = Path(__file__).resolve().parent
BUNDLED = ["rwanda-ida-credit.toml", "rwanda-grants-gpe.toml", "kenya-ida-gpe.toml", "rwanda-ppp.toml"]
OPTIONS = [("as written", {}), ("budget growth 0", {"context.budget_growth": 0.0}),
           ("budget growth 4%", {"context.budget_growth": 0.04}), ("burden limit 4%", {"context.burden_limit": 0.04}),
           ("gross envelope", {"context.envelope": "gross"}), ("discount 5%", {"scenario.discount_rate": 0.05})]


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
        save_scenario(scenario_from_dict(raw, folder=HERE.parent / "scenarios"), path)  # its baseline is there
        out.append(path)
    return out


def spec(folder: Path, files: list[Path], draws: int, chunk: int, options: int) -> Path:
    lines = ["[sweep]", 'name = "benchmark"', f"scenarios = {[str(f) for f in files]!r}".replace("'", '"'),
             f"draws = {draws}", f"chunk = {chunk}", "seeds = [7]", ""]
    for name, values in OPTIONS[:options]:
        lines += ["[[sweep.override]]", f'name = "{name}"']
        if values:
            body = ", ".join(f'"{k}" = {v!r}'.replace("'", '"') for k, v in values.items())
            lines.append(f"values = {{ {body} }}")
        lines.append("")
    path = folder / "sweep.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def timed(sweep, out: Path, workers: int, scheduler: str | None = None) -> tuple[float, float, int]:
    """The wall time of the sweep on ``workers`` local workers (or on the cluster at ``scheduler``), the CPU time
    its workers spent meanwhile (all of them: what the sweep cost in cores, whatever else the machines run) and
    their threads."""
    client = _client(scheduler) if scheduler else local_client(workers) if workers else None
    try:
        threads, before = 1, {}
        if client is not None:  # warm the workers (imports) before timing
            client.run(lambda: __import__("dfl_finance.engine.model"))
            threads = sum(int(w["nthreads"]) for w in client.scheduler_info()["workers"].values())
            before = client.run(time.process_time)
        t, cpu = time.perf_counter(), time.process_time()
        state = run_sweep(sweep, out, client=client)
        elapsed = time.perf_counter() - t
        if client is None:
            cpu = time.process_time() - cpu
        else:
            after = client.run(time.process_time)
            cpu = sum(v - before.get(w, 0.0) for w, v in after.items())
        assert not state.failed, state.failed
        return elapsed, cpu, threads
    finally:
        if client is not None:
            client.close()


def _client(scheduler: str) -> Any:
    from distributed import Client

    from dfl_finance.studies.sweep import check_cluster

    client = Client(scheduler, timeout="10s")
    check_cluster(client)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--countries", type=int, default=40)
    parser.add_argument("--options", type=int, default=6)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a running Dask scheduler (tcp://host:8786) whose workers run the sweeps")
    args = parser.parse_args()
    print(f"os.cpu_count() = {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = load_sweep(spec(folder, countries(folder, 4), 1000, 250, 2))
        draws = len(small.cases) * small.draws
        if args.scheduler:
            t, cpu, threads = timed(small, folder / "cluster", 0, args.scheduler)
            where = f"the cluster's {threads} worker threads"
            print(f"cluster at {args.scheduler}: {len(small.cases)} cases x {small.draws:,} draws in chunks of "
                  f"{small.chunk}: {t:.1f} s on {where}; {draws / t:,.0f} engine draws/s, {draws / t / threads:,.0f} "
                  f"per worker thread; {draws / cpu:,.0f} per CPU-second of the workers")
        else:
            where = "2 local workers"
            t1, _, _ = timed(small, folder / "one", 1)
            t2, cpu2, _ = timed(small, folder / "two", 2)
            print(f"scaling: {len(small.cases)} cases x {small.draws:,} draws in chunks of {small.chunk}: 1 worker "
                  f"{t1:.1f} s, 2 workers {t2:.1f} s (speed-up {t1 / t2:.2f}); {draws / t1:,.0f} engine draws/s per "
                  f"core; {draws / cpu2:,.0f} per CPU-second of the workers")
        if args.countries:
            files = countries(folder, args.countries)
            big = load_sweep(spec(folder, files, args.draws, args.draws, args.options))
            t, cpu, threads = timed(big, folder / "big", 2, args.scheduler)
            n = len(big.cases) * big.draws
            print(f"{args.countries} countries x {args.options} options x {args.draws:,} draws ({n:,} engine draws) "
                  f"on {where}: {t:.1f} s (target < 120 s); {n / t / threads:,.0f} engine draws/s per worker "
                  f"thread, {n / cpu:,.0f} per CPU-second of the workers")


if __name__ == "__main__":
    main()

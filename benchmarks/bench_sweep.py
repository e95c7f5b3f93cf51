"""Sweep throughput on dask.distributed: the same sweep with 1 and 2 local workers (the speed-up), engine draws per
second per core, and a sweep of 40 countries x 6 options x 1,000 draws.

The 40 "countries" are the bundled scenarios with their counts, budget and unit costs scaled (a stand-in for 40
country files); the 6 options are override sets on the financing (shares of the domestic cap, loan commitments,
the envelope). Run: ``python benchmarks/bench_sweep.py``. Target (issue 13): 40 x 6 x 1,000 under 2 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dfl_finance import load_scenario, save_scenario, scenario_from_dict
from dfl_finance.sweep import load_sweep, local_client, run_sweep

HERE = Path(__file__).resolve().parent
BUNDLED = ["rwanda-ida-credit.toml", "rwanda-grants-gpe.toml", "kenya-ida-gpe.toml", "rwanda-ppp.toml"]
OPTIONS = [("as written", {}), ("budget growth 0", {"context.budget_growth": 0.0}),
           ("budget growth 4%", {"context.budget_growth": 0.04}), ("burden limit 4%", {"context.burden_limit": 0.04}),
           ("gross envelope", {"context.envelope": "gross"}), ("discount 5%", {"scenario.discount_rate": 0.05})]


def countries(folder: Path, n: int) -> list[Path]:
    """``n`` scenario files: the bundled ones with their counts and budget scaled, each with the uncertain rows of
    rwanda-ida-credit where its paths resolve (so every case has draws that differ)."""
    out = []
    for i in range(n):
        raw = load_scenario(HERE.parent / "scenarios" / BUNDLED[i % len(BUNDLED)]).model_dump(exclude_none=True)
        scale = 0.5 + (i * 37 % 100) / 100
        raw["scenario"]["name"] = f"Country {i + 1:02d} ({raw['scenario']['name']})"
        for k in ("schools", "learners", "teachers"):
            raw["context"][k] = int(raw["context"][k] * scale)
        raw["context"]["education_budget"] *= scale
        raw["risk"] = {"draws": 1000, "seed": i, "method": "lhs"}
        path = folder / f"country{i:02d}.toml"
        save_scenario(scenario_from_dict(raw), path)
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


def timed(sweep, out: Path, workers: int) -> float:
    client = local_client(workers) if workers else None
    try:
        if client is not None:  # warm the workers (imports) before timing
            client.run(lambda: __import__("dfl_finance.engine.model"))
        t = time.perf_counter()
        state = run_sweep(sweep, out, client=client)
        elapsed = time.perf_counter() - t
        assert not state.failed, state.failed
        return elapsed
    finally:
        if client is not None:
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--countries", type=int, default=40)
    parser.add_argument("--options", type=int, default=6)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = load_sweep(spec(folder, countries(folder, 4), 1000, 250, 2))
        draws = len(small.cases) * small.draws
        t1 = timed(small, folder / "one", 1)
        t2 = timed(small, folder / "two", 2)
        print(f"scaling: {len(small.cases)} cases x {small.draws:,} draws in chunks of {small.chunk}: 1 worker "
              f"{t1:.1f} s, 2 workers {t2:.1f} s (speed-up {t1 / t2:.2f}); {draws / t1:,.0f} engine draws/s per core")
        files = countries(folder, args.countries)
        big = load_sweep(spec(folder, files, args.draws, args.draws, args.options))
        t = timed(big, folder / "big", 2)
        print(f"{args.countries} countries x {args.options} options x {args.draws:,} draws "
              f"({len(big.cases) * big.draws:,} engine draws) on 2 workers: {t:.1f} s (target < 120 s)")


if __name__ == "__main__":
    main()

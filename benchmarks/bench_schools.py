"""School model speed: the least-cost choice and the rollout of 10,000 and 100,000 synthetic schools (engine time:
the table already read and checked), the checks of the table, the tables written out, and the peak memory.

Run: ``python benchmarks/bench_schools.py``. Targets (issue 12): under 0.3 s at 10,000 schools and 2 s at 100,000
(engine time), linear in the schools.
"""

from __future__ import annotations

import argparse
import tracemalloc

from bench_engine import median_time

from dfl_finance.inputs.schools import check_schools, nearest_km
from dfl_finance.model.schools import plan_schools
from dfl_finance.outputs.schools import school_tables
from dfl_finance.studies.schools import generate_schools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
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
    print("targets: engine < 300 ms at 10,000 schools and < 2 s at 100,000")


if __name__ == "__main__":
    main()

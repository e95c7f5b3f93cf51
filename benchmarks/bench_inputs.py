"""Large inputs: how long validation, compilation and a whole run take for the largest files a user may give.

Run: ``python benchmarks/bench_inputs.py``. Prints one line per case (median wall time in this process).

Cases: a source with an ``eligible`` list that fills a file up to the size limit (a 50 MB list took 16 s in a
per-entry loop before, and is now refused unread); a file with as many programmes as fit under the limit; and the
memory guard's answer for the most sources a scenario may have x 1,000 programmes x the longest horizon
(refused before any array is allocated).
"""

from __future__ import annotations

import statistics
import time

import tomli_w

from dfl_finance import parse_scenario, run
from dfl_finance.errors import ScenarioError
from dfl_finance.model.compile import build_model_inputs
from dfl_finance.vocabulary import MAX_FILE_BYTES, MAX_SOURCES, MAX_YEARS


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _base(programmes: list[dict], sources: list[dict], years: int = 10) -> dict:
    return {"scenario": {"name": "Large", "start_year": 2026, "years": years},
            "context": {"schools": 10_000, "learners": 1_000_000, "teachers": 50_000, "education_budget": 1e9},
            "programme": programmes, "source": sources}


def _programme(i: int) -> dict:
    return {"id": f"p{i}", "pillar": "infrastructure", "driver": "schools", "target_share": 0.9,
            "cost": [{"item": "terminal", "kind": "capex", "unit_cost": 500.0, "lifetime": 5},
                     {"item": "service", "kind": "opex", "unit_cost": 120.0}]}


def long_eligible_list() -> str:
    programmes = [_programme(i) for i in range(20)]
    sample = [f"p{i % 20}:capex" for i in range(1000)]
    entry_bytes = len(tomli_w.dumps({"eligible": sample})) / 1000
    n = int((MAX_FILE_BYTES - 20_000) / entry_bytes)
    eligible = [f"p{i % 20}:capex" for i in range(n)]
    return tomli_w.dumps(_base(programmes, [{"id": "donor", "kind": "grant", "eligible": eligible},
                                            {"id": "mof", "kind": "domestic"}]))


def many_programmes() -> str:
    one = len(tomli_w.dumps({"programme": [_programme(i) for i in range(10_000, 11_000)]})) / 1000
    n = int((MAX_FILE_BYTES - 20_000) / one)
    return tomli_w.dumps(_base([_programme(i) for i in range(n)], [{"id": "mof", "kind": "domestic"}]))


def main() -> None:
    text = long_eligible_list()
    sc = parse_scenario(text)
    n = len(sc.source[0].eligible or [])
    print(f"eligible list of {n:,} entries ({len(text) / 2**20:.1f} MiB): validate "
          f"{median_time(lambda: parse_scenario(text)) * 1000:,.0f} ms, compile "
          f"{median_time(lambda: build_model_inputs(sc)) * 1000:,.0f} ms, run "
          f"{median_time(lambda: run(sc).tables(), 1) * 1000:,.0f} ms")
    text = many_programmes()
    sc = parse_scenario(text)
    print(f"{len(sc.programme):,} programmes ({len(text) / 2**20:.1f} MiB): validate "
          f"{median_time(lambda: parse_scenario(text), 1) * 1000:,.0f} ms, run and tables "
          f"{median_time(lambda: run(sc).tables(), 1) * 1000:,.0f} ms")
    # the most sources a scenario may have (MAX_SOURCES) x 1,000 programmes x the longest horizon (MAX_YEARS)
    huge = tomli_w.dumps(_base(
        [{"id": f"p{i}", "pillar": "governance", "driver": "none",
          "cost": [{"item": "x", "kind": "fixed_opex", "unit_cost": 1.0}]} for i in range(1000)],
        [{"id": f"s{i}", "kind": "grant", "annual_cap": 1.0} for i in range(MAX_SOURCES)], years=MAX_YEARS))
    what = f"{MAX_SOURCES:,} sources x 1,000 programmes x {MAX_YEARS} years"
    t0 = time.perf_counter()
    try:
        build_model_inputs(parse_scenario(huge))
    except ScenarioError as exc:
        print(f"{what}: refused in {(time.perf_counter() - t0) * 1000:.1f} ms (validation included): "
              f"{exc.problems[0].message}")
    else:
        print(f"{what}: validated and compiled in {(time.perf_counter() - t0) * 1000:.1f} ms")

if __name__ == "__main__":
    main()

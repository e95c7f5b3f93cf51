"""A portfolio of many countries: the time to share a pooled fund by need and by the optimal rule.

The countries are the bundled scenarios with their counts and budget scaled and a tighter domestic cap (a stand-in
for country files, as in bench_sweep.py), so that each has a gap; the fund co-finances the GPE grants. The optimal
rule measures each country's response to the fund with the engine (a few runs of a few dozen draws each), then
solves the allocation as a mixed-integer programme with HiGHS. Run: ``python benchmarks/bench_portfolio.py
[--countries 40]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_sweep import scaled_country  # the same stand-in countries (this folder is on the path of a script)

from dfl_finance import save_scenario, scenario_from_dict
from dfl_finance.studies.portfolio import allocate_optimal, discounted, fund_response, load_portfolio, run_portfolio

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"
BUNDLED = ["rwanda-grants-gpe.toml", "kenya-ida-gpe.toml", "rwanda-ida-credit.toml", "rwanda-domestic.toml",
           "kenya-domestic.toml", "rwanda-philanthropy.toml"]


def portfolio_file(folder: Path, n: int, envelope: float) -> Path:
    rows = []
    for i in range(n):
        raw = scaled_country(BUNDLED[i % len(BUNDLED)], i)
        for s in raw["source"]:
            if s["kind"] == "domestic" and "budget_share_cap" in s:
                s["budget_share_cap"] = 0.004 + 0.002 * (i % 5)
        # read beside the bundled files (its baseline is there); saved, its baseline is named from the new folder
        save_scenario(scenario_from_dict(raw, folder=BUNDLED_DIR), folder / f"c{i:02d}.toml")
        rows.append(f'[[country]]\nscenario = "c{i:02d}.toml"\nname = "Country {i + 1:02d}"\n')
    path = folder / "portfolio.toml"
    path.write_text(f'[portfolio]\nname = "bench"\n{"".join(rows)}\n[fund]\nid = "pooled_fund"\nenvelope = '
                    f'{envelope}\nrule = "optimal"\nco_finances = ["gpe", "gpe_match"]\n', encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--countries", type=int, default=40)
    ap.add_argument("--envelope", type=float, default=500e6)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pf = load_portfolio(portfolio_file(Path(tmp), args.countries, args.envelope))
        scenarios = [discounted(c.scenario, pf.pooled) for c in pf.countries]
        t = time.perf_counter()
        responses = [fund_response(sc, pf.fund) for sc in scenarios]
        t_resp = time.perf_counter() - t
        points = sum(r.amount.size for r in responses)
        t = time.perf_counter()
        share = allocate_optimal(responses, pf.fund.envelope, objective="reach")
        t_alloc = time.perf_counter() - t
        t = time.perf_counter()
        share_gap = allocate_optimal(responses, pf.fund.envelope, objective="gap")
        t_gap = time.perf_counter() - t
        t = time.perf_counter()
        run_portfolio(pf).tables()  # what the command computes: the marginal values included
        t_opt = time.perf_counter() - t
        t = time.perf_counter()
        run_portfolio(replace(pf, fund=replace(pf.fund, rule="need"))).tables()
        t_need = time.perf_counter() - t
    print(f"{args.countries} countries, envelope USD {args.envelope / 1e6:,.0f} M, total need "
          f"USD {sum(r.need for r in responses) / 1e6:,.0f} M")
    print(f"  responses measured: {t_resp:.2f} s ({points} amounts in all, {points / args.countries:.0f} a country)")
    print(f"  allocation (reach, then gap): {t_alloc:.3f} s; (gap, then reach): {t_gap:.3f} s; "
          f"countries funded: {int((share > 0).sum())} / {int((share_gap > 0).sum())}")
    print(f"  whole portfolio run with its tables: optimal rule {t_opt:.2f} s, need rule {t_need:.2f} s")
    print(f"  shares add up to USD {np.sum(share) / 1e6:,.3f} M")


if __name__ == "__main__":
    main()

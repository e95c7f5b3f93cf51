"""The run of a portfolio: each country with the pooled discounts, its need, the fund shared by the rule, each country
run with its share (:func:`run_portfolio`), and the tables across countries (:class:`PortfolioRun`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.outputs.formatting import format_money
from dfl_finance.outputs.result import run
from dfl_finance.outputs.rounding import add_up
from dfl_finance.outputs.tables import columns
from dfl_finance.studies.portfolio.allocation import allocate_envelope, allocate_optimal
from dfl_finance.studies.portfolio.response import (
    Response,
    fund_response,
    fund_runs,
    learners_reached,
    programme_reach,
)
from dfl_finance.studies.portfolio.transforms import discounted, with_fund
from dfl_finance.vocabulary import SHARE_DIGITS

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.engine import Floats
    from dfl_finance.outputs.result import Result
    from dfl_finance.studies.portfolio.fund import Portfolio

ALLOCATION_COLUMNS = columns("allocation")
EQUITY_COLUMNS = columns("portfolio_equity")
#: portfolio_reach.csv: one row per country and programme. The fund's payments to the programme over the plan (USD,
#: current prices), and in the programme's driver units (none for a ``driver = "none"`` programme): the units it
#: reaches with funded capex by the plan's end without and with the fund, the difference (the units reached thanks to
#: the fund), the unit-years whose running costs are paid thanks to the fund, the units a USD more of the fund
#: reaches, and what of that USD the fund pays the programme (:func:`programme_reach`).
REACH_COLUMNS = columns("portfolio_reach")
GROUP_COLUMNS = columns("portfolio_groups")
#: The decimals of the portfolio tables' numbers as written: amounts to the cent; amounts per learner (cents and less),
#: shares, ratios and reach per USD to SHARE_DIGITS.
_DIGITS = {"fund_share": 2, "gap_per_learner": SHARE_DIGITS, "fund_per_learner": SHARE_DIGITS,
           "reached_share_end": SHARE_DIGITS, "peak_burden_share": SHARE_DIGITS,
           "marginal_gap_closed_per_usd": SHARE_DIGITS, "marginal_pv_saving_per_usd": SHARE_DIGITS,
           "marginal_learners_reached_per_usd": SHARE_DIGITS, "marginal_reached_per_usd": SHARE_DIGITS,
           "marginal_fund_paid_per_usd": SHARE_DIGITS}


#: The costs per outcome of portfolio_equity.csv (issue 25), each country's in current USD (its summary's).
_EQUITY_OUTCOMES = ("cost_per_learners_connected", "cost_per_teachers_trained", "cost_per_officials_trained")


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the columns of :data:`_DIGITS` rounded (``-0.0`` as ``0.0``)."""
    for column in df.columns.intersection(list(_DIGITS)):
        df[column] = df[column].astype(float).round(_DIGITS[column]) + 0.0
    return df


#: Step of the finite difference that measures the marginal value of the fund in a country: this share of the
#: larger of its remaining gap and its share (USD).
MARGINAL_STEP = 0.01


@dataclass(frozen=True)
class PortfolioRun:
    portfolio: Portfolio
    need: Floats
    basis: Floats
    share: Floats
    before: list[Result]
    after: list[Result]
    responses: list[Response] = field(default_factory=list)  # each country's response to the fund (optimal rule)

    @cached_property
    def more(self) -> list[tuple[float, Result]]:
        """Each country run again with a little more of the fund: the step (USD, :data:`MARGINAL_STEP` of its
        remaining gap or of its share, the larger) and the run (made when first asked: the equity and reach tables
        need it, a sweep of the portfolio's countries does not)."""
        out = []
        for b, r, s in zip(self.before, self.after, self.share):
            step = MARGINAL_STEP * max(r.summary()["total_gap_nominal_usd"], s, 1.0)
            out.append((step, run(with_fund(b.scenario, self.portfolio.fund, s + step), r.basis)))
        return out

    @cached_property
    def marginal(self) -> Floats:
        """(C, 3) what a little more of the fund does in each country, per USD: the gap closed (USD), the PV
        government cost saved (its currency in the run's basis) and the learners of the schools connected
        (:func:`learners_reached`); from the runs of :attr:`more`."""
        out = []
        for r, (step, bigger) in zip(self.after, self.more):
            now, more = r.summary(), bigger.summary()
            reached = [learners_reached(x.scenario, x.inputs, x.sim)[0] for x in (r, bigger)]
            out.append(((now["total_gap_nominal_usd"] - more["total_gap_nominal_usd"]) / step,
                        (now["pv_government_cost"] - more["pv_government_cost"]) / step,
                        (reached[1] - reached[0]) / step))
        return np.array(out)

    def reach_df(self) -> pd.DataFrame:
        """portfolio_reach.csv: for each country and programme, what the fund pays it (capex and opex over the plan,
        USD at current prices) and what it reaches thanks to the fund, in its driver's units
        (:func:`programme_reach`, with the fund against without it): ``reached_funded_before`` and
        ``reached_funded_after`` the units reached with funded capex by the plan's end, ``reached_by_fund`` their
        difference, ``unit_years_by_fund`` the unit-years whose running costs are paid thanks to the fund, and
        ``marginal_reached_per_usd`` the units a USD more of the fund reaches and ``marginal_fund_paid_per_usd``
        what of that USD the fund pays the programme (from :attr:`more`: where the next USD goes). Units are
        counted fractionally (rounded to hundredths); a ``driver = "none"`` programme has none (empty)."""
        import pandas as pd

        fid = self.portfolio.fund.id
        rows = []
        for c, b, r, (step, bigger) in zip(self.portfolio.countries, self.before, self.after, self.more):
            units0, years0, _, _ = programme_reach(b)
            units1, years1, capex, opex = programme_reach(r, fid)
            units2, _, capex2, opex2 = programme_reach(bigger, fid)
            for i, p in enumerate(r.scenario.programme):
                rows.append({"country": c.label, "programme": p.id, "driver": p.driver,
                             "fund_capex": round(float(capex[i]), 2), "fund_opex": round(float(opex[i]), 2),
                             "reached_funded_before": round(float(units0[i]), 2),
                             "reached_funded_after": round(float(units1[i]), 2),
                             "reached_by_fund": round(float(units1[i] - units0[i]), 2),
                             "unit_years_by_fund": round(float(years1[i] - years0[i]), 2),
                             "marginal_reached_per_usd": float(units2[i] - units1[i]) / step,
                             "marginal_fund_paid_per_usd": float(capex2[i] + opex2[i] - capex[i] - opex[i]) / step})
        return _rounded(pd.DataFrame(rows, columns=REACH_COLUMNS))

    def allocation_df(self) -> pd.DataFrame:
        import pandas as pd

        gap_after = [r.summary().get("total_gap_nominal_usd", math.nan) for r in self.after]
        gap_before = [r.summary().get("total_gap_nominal_usd", math.nan) for r in self.before]
        f = self.portfolio.fund
        cap = np.minimum(self.need, f.ceiling)
        unit = ("learners" if f.rule == "optimal" and f.objective == "reach" else
                "USD (current prices) x weight" if f.rule == "weighted" else
                f.objective if f.rule == "optimal" and f.objective != "gap" else "USD (current prices)")
        return pd.DataFrame({"country": [c.label for c in self.portfolio.countries], "gap_before": gap_before,
                             "need": np.round(self.need, 2), "basis": np.round(self.basis, 2), "basis_unit": unit,
                             "share": np.round(self.share, 2),
                             "capped": self.share >= cap - 1e-6 * np.maximum(cap, 1.0),
                             "gap_after": np.round(gap_after, 2), "unit": "USD (current prices)"},
                            columns=ALLOCATION_COLUMNS)

    def equity_df(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for c, r, share, m in zip(self.portfolio.countries, self.after, self.share, self.marginal):
            s = r.summary()
            learners = float(r.scenario.context.learners or 0)
            out = r.outcomes_df()
            schools = out[out["driver"] == "schools"]
            ids = set(schools["programme"])
            pid = "connectivity" if "connectivity" in ids else (sorted(ids)[0] if ids else None)
            mine = schools[schools["programme"] == pid]
            reached = float(mine.sort_values("year")["reached_funded_share"].iloc[-1]) if len(mine) else math.nan
            rows.append({"country": c.label, "income_group": c.income_group, "learners": learners,
                         "gap_per_learner": s.get("total_gap_nominal_usd", math.nan) / learners if learners else
                         math.nan, "reached_share_end": reached, "peak_burden_share": s.get("peak_burden_share"),
                         "fund_share": share, "fund_per_learner": share / learners if learners else math.nan,
                         "marginal_gap_closed_per_usd": m[0], "marginal_pv_saving_per_usd": m[1],
                         "pv_saving_currency": r.currency, "marginal_learners_reached_per_usd": m[2],
                         **{f"{k}_nominal_usd": s.get(f"{k}_nominal_usd", math.nan) for k in _EQUITY_OUTCOMES}})
        return _rounded(pd.DataFrame(rows, columns=EQUITY_COLUMNS))

    def groups_df(self) -> pd.DataFrame:
        """portfolio_groups.csv: the countries of each income group and of the whole portfolio (``all``): learners,
        need, the fund's share and the gap after it (USD, current prices), the gap per learner, and the reach and
        peak burden share weighted by learners."""
        import pandas as pd

        eq = self.equity_df()
        alloc = self.allocation_df()
        df = eq.merge(alloc[["country", "need", "gap_after"]], on="country")
        rows = []
        for group, g in [("all", df), *((str(k), v) for k, v in df.groupby("income_group", sort=True))]:
            learners = float(g["learners"].sum())
            w = g["learners"] / learners if learners else g["learners"] * 0.0 + 1.0 / len(g)
            rows.append({"group": group, "countries": len(g), "learners": learners,
                         "need": float(add_up(g["need"], 2)), "fund_share": float(add_up(g["fund_share"], 2)),
                         "gap_after": float(add_up(g["gap_after"], 2)),
                         "gap_per_learner": float(g["gap_after"].sum()) / learners if learners else math.nan,
                         "reached_share_end": float((g["reached_share_end"] * w).sum()),
                         "peak_burden_share": float((g["peak_burden_share"].astype(float) * w).sum())})
        return _rounded(pd.DataFrame(rows, columns=GROUP_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every country's run tables with a ``country`` column, and allocation, equity and the groups."""
        import pandas as pd

        per: dict[str, list[pd.DataFrame]] = {}
        for c, r in zip(self.portfolio.countries, self.after):
            for name, df in r.tables().items():
                df.insert(0, "country", c.label)
                per.setdefault(name, []).append(df)
        out = {name: pd.concat(frames, ignore_index=True) for name, frames in per.items()}
        out["allocation"] = self.allocation_df()
        out["portfolio_equity"] = self.equity_df()
        out["portfolio_groups"] = self.groups_df()
        out["portfolio_reach"] = self.reach_df()
        return out


def run_portfolio(portfolio: Portfolio, basis: str = "real-lcu") -> PortfolioRun:
    """Each country with the pooled discounts, its need (what an uncapped fund would pay it), the fund shared by the
    rule, and each country run with its share; the marginal value of the fund in each is
    :attr:`PortfolioRun.marginal`, measured when first asked."""
    scenarios = [discounted(c.scenario, portfolio.pooled) for c in portfolio.countries]
    before = [run(sc, basis) for sc in scenarios]
    fund = portfolio.fund
    responses: list[Response] = []
    if fund.rule == "optimal":
        responses = [fund_response(sc, fund) for sc in scenarios]
        need = np.array([r.need for r in responses])
    else:
        # what an uncapped fund pays, each cell to the cent as the tables write the gap it closes: without
        # co-financing, the need is the gap before the fund to the cent
        need = np.array([max(float(np.round(fund_runs(sc, fund, np.array([math.inf]))[3][0], 2).sum()), 0.0)
                         for sc in scenarios])
    learners = np.array([float(sc.context.learners or 0) for sc in scenarios])
    if fund.rule in ("need", "optimal"):
        basis_values = need
    elif fund.rule == "weighted":
        basis_values = need * np.array([c.weight for c in portfolio.countries])
    else:
        basis_values = learners * float(fund.per_learner or 0.0)
        need = np.minimum(need, basis_values)  # the formula's amount is the most a country asks
    where = f"{portfolio.file}: fund" if portfolio.file is not None else "fund"
    low = np.minimum(fund.floor, np.minimum(need, fund.ceiling))
    if low.sum() > fund.envelope * (1 + 1e-12):
        raise ScenarioError([Problem(f"{where}.floor", f"the floors need {format_money(low.sum(), 'USD')} (each "
                                     f"country's floor of {format_money(fund.floor, 'USD')}, or its need when that is "
                                     f"less), more than the envelope of {format_money(fund.envelope, 'USD')}: lower "
                                     "the floor or raise the envelope", fund.floor)])
    try:
        if fund.rule == "optimal":
            share = allocate_optimal(responses, fund.envelope, fund.floor, fund.ceiling, fund.objective)
        else:
            share = allocate_envelope(basis_values, need, fund.envelope, fund.floor, fund.ceiling)
    except ValueError as exc:
        raise ScenarioError([Problem(f"{where}.rule", str(exc), has_value=False)]) from None
    if fund.rule == "optimal":  # the basis of the optimal rule: the objective's value at the share
        basis_values = np.array([(r.gap[0] - r.at(x)[0]) if fund.objective == "gap" else r.at(x)[1]
                                 for r, x in zip(responses, share)])
    after = [run(with_fund(sc, fund, s), basis) for sc, s in zip(scenarios, share)]
    return PortfolioRun(portfolio, need, basis_values, share, before, after, responses)

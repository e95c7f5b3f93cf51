"""regions.csv: each programme's cost and reach by region and year (docs/method.md, *Regions*).

The national figures are those of the run's own tables: a programme's cost in a year is the sum of its rows of
costs.csv (as published, each rounded), its reach outcomes.csv's ``reached``. Each is split over the regions by the
weights of :func:`dfl_finance.model.regions.region_split`, rounded by the largest-remainder rule
(:func:`dfl_finance.engine.regions.apportion`): the regions of a programme add up to its national cost to the minor
unit and to its national reach exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfl_finance.engine.calendar import fiscal_year_labels, to_fiscal_years
from dfl_finance.engine.regions import apportion
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.regions import has_regions
from dfl_finance.model.regions import region_split
from dfl_finance.outputs.rounding import round_cumulative, round_to
from dfl_finance.outputs.tables import columns

REGION_COLUMNS = columns("regions")


def empty_regions() -> pd.DataFrame:
    """regions.csv of a scenario without regions: the columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c in ("year", "reach") else float if c == "cost" else object)
                         for c in REGION_COLUMNS})


def regions_df(sc: Scenario, costs: pd.DataFrame, outcomes: pd.DataFrame, digits: int, basis: str,
               currency: str) -> pd.DataFrame:
    """regions.csv of a run (see the module) from its costs and outcomes tables, whose amounts are in ``basis`` and
    ``currency`` and rounded to ``digits`` decimals. Rows: every year, every region and every programme with a weight
    in that region in some year, by year, region (in :attr:`~dfl_finance.model.regions.RegionSplit.names` order)
    and programme (file order)."""
    if not has_regions(sc):
        return empty_regions()
    split = region_split(sc)
    ids = [p.id for p in sc.programme]
    years = np.arange(sc.scenario.start_year, sc.scenario.start_year + sc.scenario.years)
    Y, P, R = len(years), len(ids), len(split.names)
    cost = (costs.groupby(["year", "programme"])["amount"].sum()
            .reindex(pd.MultiIndex.from_product([years, ids]), fill_value=0.0).to_numpy().reshape(Y, P))
    cost = round_to(cost, digits)  # the sum of the published rows, without float dust (the rule of published totals)
    reached = (outcomes.groupby(["year", "programme"])["reached"].sum()
               .reindex(pd.MultiIndex.from_product([years, ids]), fill_value=0).to_numpy().reshape(Y, P))
    cost_parts = apportion(cost, split.cost, digits)  # (Y, P, R)
    reach_parts = apportion(reached.astype(float), split.reach, 0)
    keep = np.asarray((split.cost > 0).any(axis=0) | (split.reach > 0).any(axis=0), dtype=bool)  # (P, R)
    y, r, p = np.nonzero(np.broadcast_to(keep.T[None, :, :], (Y, R, P)))
    df = pd.DataFrame({
        "scenario": sc.name, "year": years[y], "region": np.asarray(split.names, dtype=object)[r],
        "programme": np.asarray(ids, dtype=object)[p], "cost": cost_parts[y, p, r],
        "reach": reach_parts[y, p, r].astype(np.int64), "price_basis": basis, "currency": currency})
    return df[REGION_COLUMNS]


def regions_by_fiscal_year(regions: pd.DataFrame, start_month: int, digits: int,
                           before: dict[tuple[str, str], float] | None = None) -> pd.DataFrame:
    """regions.csv by fiscal year (``[scenario] fiscal_year_start``): ``fiscal_year`` ("2026/27") in place of
    ``year``. The cost is a flow, spread as every flow (:func:`dfl_finance.engine.calendar.to_fiscal_years`: fiscal year
    t/t+1 takes (13 - m)/12 of calendar year t and (m - 1)/12 of t + 1); the reach is a stock, taken at the end of
    the fiscal year (month m - 1 of t + 1), between the ends of calendar years t and t + 1 in proportion to the months
    (the reach after the last year is the last year's). ``before``: each (scenario, programme)'s national reach
    before start_year (the end of calendar year start_year - 1; default 0), split like its first year's reach. Each
    programme's national figure of a fiscal year (the cost rounded to ``digits`` so that its running total is exact,
    :func:`~dfl_finance.outputs.rounding.round_cumulative`: the fiscal years add up to the calendar years' total to
    the minor unit; the reach to whole units) is split over its regions by the largest-remainder rule, so the
    regions still add up to it exactly.

    >>> df = pd.DataFrame({"scenario": "s", "year": [2026, 2027], "region": "A", "programme": "p",
    ...                    "cost": [1200.0, 1200.0], "reach": [40, 80], "price_basis": "real-lcu", "currency": "USD"})
    >>> out = regions_by_fiscal_year(df, 7, 2)
    >>> out[["fiscal_year", "cost", "reach"]].to_dict("list")
    {'fiscal_year': ['2025/26', '2026/27', '2027/28'], 'cost': [600.0, 1200.0, 600.0], 'reach': [20, 60, 80]}
    """
    out_columns = ["fiscal_year" if c == "year" else c for c in REGION_COLUMNS]
    if regions.empty:
        return empty_regions().rename(columns={"year": "fiscal_year"}).astype({"fiscal_year": object})[out_columns]
    frames = []
    for name, df in regions.groupby("scenario", sort=False):
        first, last = int(df["year"].min()), int(df["year"].max())
        years = np.arange(first, last + 1)
        keys = pd.MultiIndex.from_frame(df[["region", "programme"]].drop_duplicates())
        cost = (df.pivot_table(index=["region", "programme"], columns="year", values="cost", aggfunc="sum")
                .reindex(index=keys, columns=years).fillna(0.0).to_numpy(dtype=float))  # (K, Y)
        reach = (df.pivot_table(index=["region", "programme"], columns="year", values="reach", aggfunc="sum")
                 .reindex(index=keys, columns=years).fillna(0.0).to_numpy(dtype=float))
        labels = fiscal_year_labels(first, len(years), start_month)
        programmes = keys.get_level_values("programme").to_numpy(dtype=object)
        if start_month == 1:  # the fiscal year is the calendar year
            f_cost, f_reach = cost, reach
        else:
            f_cost = to_fiscal_years(cost, start_month)  # (K, Y + 1)
            national_first = pd.Series(reach[:, 0]).groupby(programmes).transform("sum").to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                first_share = np.where(national_first > 0, reach[:, 0] / np.where(national_first > 0,
                                                                                   national_first, 1.0), 0.0)
            was = np.array([(before or {}).get((str(name), str(p)), 0.0) for p in programmes]) * first_share
            ends = np.concatenate([was[:, None], reach, reach[:, -1:]], axis=1)  # ends of calendar years first-1..
            f_reach = ends[:, :-1] + (start_month - 1) / 12 * np.diff(ends, axis=1)  # (K, Y + 1)
        parts_cost = np.zeros_like(f_cost)
        parts_reach = np.zeros_like(f_reach)
        for p in dict.fromkeys(programmes):
            rows = programmes == p
            # rounded so that the running total is exact: the fiscal years add up to the calendar years' total
            parts_cost[rows] = apportion(round_cumulative(f_cost[rows].sum(axis=0), digits), f_cost[rows].T,
                                         digits).T
            parts_reach[rows] = apportion(np.round(f_reach[rows].sum(axis=0)), f_reach[rows].T, 0).T
        K, F = parts_cost.shape
        frames.append(pd.DataFrame({
            "scenario": name, "fiscal_year": np.tile(np.asarray(labels, dtype=object), K),
            "region": np.repeat(keys.get_level_values("region").to_numpy(dtype=object), F),
            "programme": np.repeat(programmes, F), "cost": parts_cost.reshape(-1),
            "reach": parts_reach.reshape(-1).astype(np.int64), "price_basis": df["price_basis"].iloc[0],
            "currency": df["currency"].iloc[0]}))
    out = pd.concat(frames, ignore_index=True)
    order = {label: k for k, label in enumerate(dict.fromkeys(out["fiscal_year"]))}
    out = out.sort_values(["scenario", "fiscal_year"], key=lambda s: s.map(order) if s.name == "fiscal_year" else
                          s.map({n: k for k, n in enumerate(dict.fromkeys(out["scenario"]))}), kind="stable")
    return out[out_columns].reset_index(drop=True)

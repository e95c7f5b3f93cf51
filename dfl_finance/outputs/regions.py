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

from dfl_finance.engine.regions import apportion
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.regions import has_regions
from dfl_finance.model.regions import region_split
from dfl_finance.outputs.rounding import round_to
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

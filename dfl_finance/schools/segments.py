"""The equity view: by segment (area, region, and the whole country), schools and learners connected each year,
cost per school and per learner, the share still unconnected; and two national measures: the urban-rural gap in
connection rates and the concentration (Gini) of spending per learner across regions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocabulary import PRICE_DIGITS, SHARE_DIGITS

SEGMENT_COLUMNS = ["segment_type", "segment", "year", "schools", "connected_schools", "share_connected",
                   "learners", "connected_learners", "cost", "cost_per_school", "cost_per_learner"]
EQUITY_COLUMNS = ["measure", "value", "unit"]


def segments_df(schools: pd.DataFrame, start_year: int, years: int) -> pd.DataFrame:
    """segments.csv from schools.csv (``year_connected`` empty where not connected, ``technology == existing`` for
    schools connected before): one row per segment and year, cumulative to the end of that year. ``cost`` is the
    capex of the schools connected so far; cost per school and per learner are over the schools newly connected."""
    rows = []
    year_index = schools["year_connected"].to_numpy(dtype=float) - start_year
    existing = (schools["technology"] == "existing").to_numpy()
    learners = schools["learners"].to_numpy(dtype=float)
    capex = schools["capex"].to_numpy(dtype=float)
    groups = [("all", np.full(len(schools), "all", dtype=object)),
              ("area", schools["area"].to_numpy(dtype=object)),
              ("region", schools["region"].to_numpy(dtype=object))]
    for kind, labels in groups:
        for segment in sorted(set(labels)):
            m = labels == segment
            for k in range(years):
                done = m & (existing | (year_index <= k))
                new = m & (year_index <= k) & ~existing
                n_new, l_new = int(new.sum()), float(learners[new].sum())
                cost = float(capex[new].sum())
                rows.append({"segment_type": kind, "segment": segment, "year": start_year + k,
                             "schools": int(m.sum()), "learners": float(learners[m].sum()),
                             "connected_schools": int(done.sum()), "connected_learners": float(learners[done].sum()),
                             "share_connected": done.sum() / max(m.sum(), 1), "cost": cost,
                             "cost_per_school": cost / n_new if n_new else np.nan,
                             "cost_per_learner": cost / l_new if l_new else np.nan})
    df = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    # as written: amounts to the cent, amounts per school or learner as prices, shares to SHARE_DIGITS decimals
    for columns, digits in ((["cost"], 2), (["cost_per_school", "cost_per_learner"], PRICE_DIGITS),
                            (["share_connected"], SHARE_DIGITS)):
        df[columns] = df[columns].astype(float).round(digits) + 0.0
    return df


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini coefficient of ``values`` (0: equal, towards 1: concentrated).

    Examples
    --------
    >>> gini(np.array([1.0, 1.0]), np.array([1.0, 1.0])), round(gini(np.array([0.0, 1.0]), np.array([1.0, 1.0])), 3)
    (0.0, 0.5)
    """
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    if w.sum() <= 0 or (v * w).sum() <= 0:
        return 0.0
    cw = np.cumsum(w) / w.sum()
    cv = np.cumsum(v * w) / (v * w).sum()
    lorenz = np.concatenate([[0.0], cv])
    width = np.diff(np.concatenate([[0.0], cw]))
    return float(1.0 - (width * (lorenz[1:] + lorenz[:-1])).sum())


def equity_df(segments: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """equity.csv: the share of schools still unconnected at the end, the urban-rural gap in connection rates at the
    end (urban minus rural, percentage points as a share), and the Gini across regions of the plan's capex (of the
    schools connected in the plan) per learner of the region (weighted by learners)."""
    last = segments[segments["year"] == segments["year"].max()]
    area = last[last["segment_type"] == "area"].set_index("segment")["share_connected"]
    overall = float(last[last["segment_type"] == "all"]["share_connected"].iloc[0])
    # the plan's spending: the capex of the schools it connects (a school beyond the budget or the horizon gets none)
    spent = schools["capex"].where(schools["year_connected"].notna(), 0.0)
    by_region = schools.assign(spent=spent).groupby("region").agg(capex=("spent", "sum"),
                                                                  learners=("learners", "sum"))
    per_learner = (by_region["capex"] / by_region["learners"].where(by_region["learners"] > 0)).fillna(0.0)
    rows = [
        {"measure": "share_unconnected_end", "value": 1.0 - overall, "unit": "share of schools"},
        {"measure": "urban_rural_gap_end", "value": float(area.get("urban", np.nan) - area.get("rural", np.nan)),
         "unit": "share of schools (urban minus rural)"},
        {"measure": "urban_remote_gap_end", "value": float(area.get("urban", np.nan) - area.get("remote", np.nan)),
         "unit": "share of schools (urban minus remote)"},
        {"measure": "gini_capex_per_learner_regions",
         "value": gini(per_learner.to_numpy(), by_region["learners"].to_numpy()), "unit": "index (0-1)"},
    ]
    df = pd.DataFrame(rows, columns=EQUITY_COLUMNS)
    df["value"] = df["value"].astype(float).round(SHARE_DIGITS) + 0.0
    return df

"""The equity view: by segment (area, region, and the whole country), schools and learners connected each year,
cost per school and per learner, the share still unconnected; and two national measures: the urban-rural gap in
connection rates and the concentration (Gini) of spending per learner across regions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dfl_finance.model.schools import SchoolPlan
from dfl_finance.outputs.rounding import round_to
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import PRICE_DIGITS, SHARE_DIGITS, USD, minor_unit_digits
from dfl_finance.vocabulary import SCHOOL_EXISTING as EXISTING
from dfl_finance.vocabulary import SCHOOL_NONE as NONE
from dfl_finance.vocabulary import SCHOOL_TECHNOLOGIES as TECHNOLOGIES

#: What each value of ``technology`` means, as the command's tables and the app's legends say it.
TECHNOLOGY_LABELS = {
    "fibre": "Fibre", "cellular": "Cellular (4G/5G)", "p2p": "Point-to-point microwave", "satellite": "Satellite",
    EXISTING: "Already connected", NONE: "No technology serves it",
}
#: The order of the technologies in every table: the technologies, then the schools connected before, then none.
ORDER_OF_TECHNOLOGIES = (*TECHNOLOGIES, EXISTING, NONE)
#: The equity measures of equity.csv in words (the command and the app say them so; equity.csv keeps the keys).
EQUITY_LABELS = {
    "share_unconnected_end": "Schools still unconnected at the end",
    "urban_rural_gap_end": "Urban minus rural share connected at the end",
    "urban_remote_gap_end": "Urban minus remote share connected at the end",
    "gini_capex_per_learner_regions": "Gini of the plan's capex per learner across regions",
}


def technology_label(technology: str) -> str:
    return TECHNOLOGY_LABELS.get(technology, technology)


#: Decimals of the school tables' amounts (USD): the cent.
CENTS = minor_unit_digits(USD)
#: Columns of segments.csv and equity.csv (:mod:`dfl_finance.outputs.tables`).
SEGMENT_COLUMNS = columns("segments")
EQUITY_COLUMNS = columns("equity")


def segments_df(schools: pd.DataFrame, start_year: int, years: int) -> pd.DataFrame:
    """segments.csv from schools.csv (``year_connected`` empty where not connected, ``technology == existing`` for
    schools connected before): one row per segment and year, cumulative to the end of that year. ``cost`` is the
    capex of the schools connected so far (the sum of their rows of schools.csv: the rule of published totals,
    :func:`~dfl_finance.outputs.rounding.add_up`); cost per school and per learner are over the schools newly
    connected.

    Counted with arrays: the schools of each segment are taken once (in the table's order), and each year's sums are
    taken over them, element for element the sums of the whole table's rows of that segment, so every number is
    the one a sum over the whole table gives."""
    year_index = schools["year_connected"].to_numpy(dtype=float) - start_year
    existing = (schools["technology"] == "existing").to_numpy()
    learners = schools["learners"].to_numpy(dtype=float)
    capex = round_to(schools["capex"].to_numpy(dtype=float), CENTS)  # schools.csv's rows, as add_up takes them
    k = np.arange(years)
    kinds, names, members = [], [], []
    groups = [("all", None), ("area", schools["area"]), ("region", schools["region"])]
    for kind, labels in groups:
        if labels is None:  # the whole country (no row when there are no schools, as no area or region has one)
            segments = ["all"] if len(schools) else []
            order, bounds = np.arange(len(schools)), np.array([0, len(schools)])
        else:
            codes, uniques = pd.factorize(labels, use_na_sentinel=False)
            segments = sorted(uniques)
            position = {segment: i for i, segment in enumerate(segments)}
            codes = np.array([position[u] for u in uniques], dtype=np.int64)[codes]
            order = np.argsort(codes, kind="stable")  # each segment's schools in the table's order
            bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(segments)))]
        for i, segment in enumerate(segments):
            kinds.append(kind)
            names.append(segment)
            members.append(order[bounds[i]:bounds[i + 1]])
    S = len(members)
    n_schools = np.array([m.size for m in members], dtype=np.int64)
    n_learners = np.array([learners[m].sum() for m in members], dtype=float)
    n_done = np.zeros((S, years), dtype=np.int64)
    l_done = np.zeros((S, years))
    n_new = np.zeros((S, years), dtype=np.int64)
    l_new = np.zeros((S, years))
    cost = np.zeros((S, years))
    # whole learners add up exactly in any order (sums below 2**53): by year and cumulated, else row by row
    whole = bool(np.all(np.mod(learners, 1.0) == 0.0)) and float(np.abs(learners).sum()) < 2.0**52
    for j, m in enumerate(members):
        ex, yi, le, cx = existing[m], year_index[m], learners[m], capex[m]
        by = yi[None, :] <= k[:, None]  # (Y, n): connected in the plan by the end of each year
        done = ex[None, :] | by
        new = by & ~ex[None, :]
        n_done[j] = done.sum(axis=1)
        n_new[j] = new.sum(axis=1)
        if whole:
            first = np.where(np.isnan(yi) | ex, years, np.clip(np.ceil(yi), 0, years)).astype(np.int64)
            l_new[j] = np.cumsum(np.bincount(first, weights=le, minlength=years + 1)[:years])
            l_done[j] = le[ex].sum() + l_new[j]
        for y in range(years):  # the sums of the rows, in the table's order
            if not whole:
                l_done[j, y] = le[done[y]].sum()
                l_new[j, y] = le[new[y]].sum()
            cost[j, y] = cx[new[y]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_school = np.where(n_new > 0, cost / np.maximum(n_new, 1), np.nan)
        per_learner = np.where(l_new != 0, cost / np.where(l_new != 0, l_new, 1.0), np.nan)
    df = pd.DataFrame({
        "segment_type": np.repeat(np.array(kinds, dtype=object), years),
        "segment": np.repeat(np.array(names, dtype=object), years),
        "year": np.tile(start_year + k, S),
        "schools": np.repeat(n_schools, years),
        "connected_schools": n_done.reshape(-1),
        "share_connected": (n_done / np.maximum(n_schools, 1)[:, None]).reshape(-1),
        "learners": np.repeat(n_learners, years),
        "connected_learners": l_done.reshape(-1),
        "cost": cost.reshape(-1), "cost_per_school": per_school.reshape(-1),
        "cost_per_learner": per_learner.reshape(-1)}, columns=SEGMENT_COLUMNS)
    # as written: amounts to the cent, amounts per school or learner as prices, shares to SHARE_DIGITS decimals
    for cols, digits in ((["cost"], CENTS), (["cost_per_school", "cost_per_learner"], PRICE_DIGITS),
                         (["share_connected"], SHARE_DIGITS)):
        df[cols] = df[cols].astype(float).round(digits) + 0.0
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


def technology_counts(schools: pd.DataFrame) -> pd.DataFrame:
    """Per technology present (fibre, cellular, p2p, satellite, then already connected and none): ``schools`` (the
    schools whose least-cost technology it is: assigned, whether or not the plan reaches them), ``connected_in_plan``
    (connected within the plan's years and its yearly budget), ``learners`` and ``learners_in_plan``, and the capex,
    opex a year and cost over the horizon of all its schools, and ``capex_in_plan``, the capex of those connected in
    the plan [USD]. The schools connected before the plan are all connected, none of them in the plan."""
    df = schools.assign(in_plan=schools["year_connected"].notna())
    df = df.assign(learners_in_plan=df["learners"].where(df["in_plan"], 0.0),
                   capex_in_plan=df["capex"].where(df["in_plan"], 0.0))
    out = df.groupby("technology").agg(schools=("school_id", "size"), connected_in_plan=("in_plan", "sum"),
                                       learners=("learners", "sum"), learners_in_plan=("learners_in_plan", "sum"),
                                       capex=("capex", "sum"), capex_in_plan=("capex_in_plan", "sum"),
                                       opex_per_year=("opex_per_year", "sum"), cost_horizon=("cost_horizon", "sum"))
    rank = {t: i for i, t in enumerate(ORDER_OF_TECHNOLOGIES)}
    out = out.reset_index()
    out = out.iloc[np.argsort([rank.get(t, len(rank)) for t in out["technology"]], kind="stable")]
    return out.reset_index(drop=True).astype({"schools": int, "connected_in_plan": int})


def _points(gap: float) -> str:
    return f"{abs(gap) * 100:.1f} percentage points"


def equity_sentences(equity: pd.DataFrame, segments: pd.DataFrame) -> list[str]:
    """equity.csv in words, with the shares of the areas at the end of the plan."""
    value = dict(zip(equity["measure"], equity["value"]))
    last_year = int(segments["year"].max())
    last = segments[segments["year"] == last_year]
    whole = last[last["segment_type"] == "all"].iloc[0]
    area = {str(k): float(v) for k, v in zip(last.loc[last["segment_type"] == "area", "segment"],
                                            last.loc[last["segment_type"] == "area", "share_connected"])}
    out = []
    left = int(whole["schools"] - whole["connected_schools"])
    out.append(f"At the end of {last_year}, {value['share_unconnected_end']:.1%} of the schools are still "
               f"unconnected ({left:,} of {int(whole['schools']):,}).")
    for key, other in (("urban_rural_gap_end", "rural"), ("urban_remote_gap_end", "remote")):
        gap = value.get(key, float("nan"))
        if "urban" not in area or other not in area or not math.isfinite(gap):
            out.append(f"The urban-{other} gap is not defined: the table has no "
                       f"{'urban' if 'urban' not in area else other} schools.")
            continue
        u, o = area["urban"], area[other]
        if abs(gap) < 0.0005:
            out.append(f"Urban and {other} schools are connected alike by then ({u:.1%} and {o:.1%}).")
        else:
            (ahead, a), (behind, b) = ((("urban", u), (other, o)) if gap > 0 else ((other, o), ("urban", u)))
            out.append(f"{ahead.capitalize()} schools are {_points(gap)} more often connected than {behind} ones "
                       f"by then ({a:.1%} of {ahead} schools against {b:.1%} of {behind} ones).")
    gini_value = value.get("gini_capex_per_learner_regions", float("nan"))
    if math.isfinite(gini_value):
        out.append(f"The Gini coefficient of the plan's capex per learner across regions is {gini_value:.3f} "
                   "(weighted by learners; 0 when every region gets the same capex per learner, towards 1 when a few "
                   "regions get most of it).")
    return out


def school_tables(plan: SchoolPlan) -> dict[str, pd.DataFrame]:
    """The tables of a school plan: ``schools`` (:meth:`~dfl_finance.model.schools.SchoolPlan.schools_df`),
    ``segments`` (:func:`segments_df`) and ``equity`` (:func:`equity_df`)."""
    schools = plan.schools_df()
    segments = segments_df(schools, plan.start_year, plan.years)
    return {"schools": schools, "segments": segments, "equity": equity_df(segments, schools)}

"""A school plan: the least-cost technology of every school, the order and year in which each is connected, and
its tables (schools.csv, segments.csv, equity.csv)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine import Ints
from dfl_finance.engine.network import spanning_links
from dfl_finance.engine.rollout import ORDERS, connection_order, connection_years
from dfl_finance.engine.schools import TECHNOLOGIES, SchoolCosts, Schools, Technologies, school_costs
from dfl_finance.errors import OptionProblem, Problem, ScenarioError, known
from dfl_finance.inputs.schools import SchoolTable, nearest_km
from dfl_finance.model.sizing import check_school_plan
from dfl_finance.model.technology import default_technologies
from dfl_finance.vocabulary import MAX_YEARS

if TYPE_CHECKING:
    import pandas as pd  # pandas loads with the tables, not with `dfl-finance validate`

SCHOOL_COLUMNS = ["school_id", "region", "area", "learners", "technology", "power", "capex", "opex_per_year",
                  "cost_horizon", "year_connected"]


def engine_schools(table: SchoolTable) -> Schools:
    """The school table's checked columns as the engine's :class:`~dfl_finance.engine.schools.Schools`."""
    a = table.schools
    return Schools(learners=a.learners, electricity=a.electricity, connected=a.connected, fibre_km=a.fibre_km,
                   tower_km=a.tower_km, coverage=a.coverage)


@dataclass(frozen=True)
class SchoolPlan:
    table: SchoolTable
    costs: SchoolCosts
    year_index: Ints  # (N,) 0 = start_year, -1 not connected in the plan (or already connected)
    start_year: int
    years: int
    order: str
    sequence: Ints  # (N',) the rollout order of the eligible schools (indices into the table)

    def schools_df(self) -> pd.DataFrame:
        """schools.csv: one row per school (amounts in USD, ``year_connected`` empty where the school is not
        connected within the plan; ``existing`` schools were connected before it)."""
        import pandas as pd  # pandas loads with the tables, not with `dfl-finance validate`

        f = self.table.frame
        year = pd.array(np.where(self.year_index >= 0, self.start_year + self.year_index, 0), dtype="Int64")
        year[self.year_index < 0] = pd.NA
        df = pd.DataFrame({
            "school_id": f["school_id"].array, "region": f["region"].array, "area": f["area"].array,
            "learners": self.table.schools.learners, "technology": self.costs.technology,
            "power": self.costs.power, "capex": np.round(self.costs.capex, 2),
            "opex_per_year": np.round(self.costs.opex_per_year, 2),
            "cost_horizon": np.round(self.costs.cost_horizon, 2), "year_connected": year})
        return df[SCHOOL_COLUMNS]

    @property
    def connected_sequence(self) -> Ints:
        """The schools connected in the plan, in the order the plan connects them (indices into the table), cut at
        the last school connected within the horizon."""
        return self.sequence[self.year_index[self.sequence] >= 0]

    def yearly(self) -> dict[str, np.ndarray]:
        """Per technology (T,) and year (Y,): schools newly connected, their capex (solar kits included) and the
        opex of the schools connected by each year [USD]: what the financing model's connectivity programme costs."""
        T, Y = len(TECHNOLOGIES), self.years
        new = np.zeros((T, Y))
        capex = np.zeros((T, Y))
        opex = np.zeros((T, Y))
        take = (self.year_index >= 0) & (self.costs.choice >= 0)
        t, y = self.costs.choice[take], self.year_index[take]
        np.add.at(new, (t, y), 1.0)
        np.add.at(capex, (t, y), self.costs.capex[take])
        started = np.zeros((T, Y))
        np.add.at(started, (t, y), self.costs.opex_per_year[take])
        opex[:] = np.cumsum(started, axis=1)
        return {"schools": new, "capex": capex, "opex": opex}


def region_ranks(region: np.ndarray) -> Ints:
    """Each school's region as its rank among the regions' names in sorted order: the codes ``np.unique`` gives the
    names, found by hashing the names rather than sorting every school's."""
    import pandas as pd  # pandas loads with the tables, not with `dfl-finance validate`

    codes, names = pd.factorize(region)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(np.asarray(names, dtype=object), kind="stable")] = np.arange(len(names))
    return np.asarray(rank[codes], dtype=np.int64)


#: Most rounds of the fibre extension (each round adds the schools that fibre reaches through the last round's).
MAX_EXTENSION_ROUNDS = 50


def extended_fibre(table: SchoolTable, tech: Technologies, years: int, rate: float,
                   prefer: tuple[int, ...] | None) -> tuple[SchoolCosts, np.ndarray, int]:
    """Fibre extension: which schools take fibre by greedy nearest extension, then the links they lay by a minimum
    spanning tree (:func:`~dfl_finance.engine.network.spanning_links`). In the greedy rounds a school that takes fibre
    becomes a node for the others: in each round the schools not yet on fibre measure their way to the nearest node
    or school on fibre (great-circle, ``cKDTree``) and choose again; those that now take fibre join. Returns the
    costs, the fibre distances used (a school on fibre: its link in the tree) and the rounds. Each round is n log n;
    the schools on fibre only grow (a shorter way never makes fibre dearer), so the rounds end."""
    s = engine_schools(table)
    lat = table.frame["lat"].to_numpy(dtype=float)
    lon = table.frame["lon"].to_numpy(dtype=float)
    fibre = TECHNOLOGIES.index("fibre")
    km = s.fibre_km.copy()
    costs = school_costs(s, tech, years, rate, prefer)
    existing = (costs.choice == -1) & table.frame["connectivity"].astype(str).str.lower().isin(
        ["fibre", "fiber"]).to_numpy()
    on = (costs.choice == fibre) | existing
    rounds = 1
    for rounds in range(2, MAX_EXTENSION_ROUNDS + 2):
        if not on.any():
            break
        way = np.minimum(s.fibre_km, nearest_km(lat, lon, lat[on], lon[on]))
        trial = np.where(on, km, way)  # a school on fibre keeps the link it joined with
        again = school_costs(replace(s, fibre_km=trial), tech, years, rate, prefer)
        joined = ~on & (again.choice == fibre)
        km, costs = trial, again
        if not joined.any():
            break
        on = on | joined
    # the network the extension lays: the minimum spanning tree of the schools on fibre and the network (existing
    # fibre schools count as nodes), each school paying the edge to its parent (Giga's rule; engine.network)
    laid = costs.choice == fibre
    if laid.sum() > 1:
        node_km = s.fibre_km[laid] if not existing.any() else np.minimum(
            s.fibre_km[laid], nearest_km(lat[laid], lon[laid], lat[existing], lon[existing]))
        tree_km = km.copy()
        tree_km[laid] = spanning_links(lat[laid], lon[laid], node_km)
        again = school_costs(replace(s, fibre_km=tree_km), tech, years, rate, prefer)
        km, costs = tree_km, again
    return costs, km, rounds


def plan_schools(table: SchoolTable, years: int = 10, start_year: int = 2026, order: str = "cost-per-learner",
                 budget: float | None = None, target_year: int | None = None, rate: float = 0.0,
                 prefer: tuple[str, ...] | None = None, technologies: Technologies | None = None,
                 extend_fibre: bool = False) -> SchoolPlan:
    """The plan of a school table (see the engine and the rollout modules).

    Raises
    ------
    ScenarioError
        An unknown order or technology, a budget <= 0, a target year outside the plan; each problem names its
        option (:class:`~dfl_finance.errors.OptionProblem`: ``order``, ``years``, ``start_year``, ...).
    """
    problems: list[Problem] = []
    if order not in ORDERS:
        problems.append(OptionProblem("order", f"unknown order ({known(ORDERS)})", order))
    if prefer is not None:
        unknown = [p for p in prefer if p not in TECHNOLOGIES]
        if unknown or not prefer:
            problems.append(OptionProblem("prefer", f"name technologies ({known(TECHNOLOGIES)})", ",".join(prefer)))
    if budget is not None and not budget > 0:
        problems.append(OptionProblem("budget", "must be > 0 (USD of capex a year)", budget))
    if target_year is not None and not start_year <= target_year < start_year + years:
        problems.append(OptionProblem("target_year", f"must be within the plan ({start_year}.."
                                      f"{start_year + years - 1})", target_year))
    if order == "priority" and "priority" not in table.frame.columns:
        problems.append(OptionProblem("order", "the priority order needs a priority column in the school table",
                                      order))
    if not 1 <= years <= MAX_YEARS:
        problems.append(OptionProblem("years", f"must be 1 to {MAX_YEARS} years (as a scenario's years)", years))
    if not 1900 <= start_year <= 2200:
        problems.append(OptionProblem("start_year", "must be a year from 1900 to 2200", start_year))
    if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
        problems.append(OptionProblem("rate", "must be a discount rate from 0 to 1 (0.05 is 5% a year)", rate))
    if budget is not None and not math.isfinite(budget):
        problems.append(OptionProblem("budget", "must be a finite amount (USD of capex a year)", budget))
    if problems:
        raise ScenarioError(problems)
    check_school_plan(len(table), years)
    tech = technologies or default_technologies()
    pick = None if prefer is None else tuple(TECHNOLOGIES.index(p) for p in prefer)
    if extend_fibre:
        costs, km, _ = extended_fibre(table, tech, years, rate, pick)
        table = replace(table, schools=replace(table.schools, fibre_km=km))
    else:
        costs = school_costs(engine_schools(table), tech, years, rate, pick)
    priority = table.frame["priority"].to_numpy(dtype=float) if "priority" in table.frame.columns else None
    eligible = costs.choice >= 0
    region = region_ranks(table.region) if order == "region-quota" else table.region
    sequence = connection_order(order, costs.cost_horizon, table.schools.learners, table.area, region, eligible,
                                priority)
    year_index = connection_years(sequence, costs.capex, len(table), years, budget,
                                  None if target_year is None else target_year - start_year)
    return SchoolPlan(table=table, costs=costs, year_index=year_index, start_year=start_year, years=years,
                      order=order, sequence=sequence)

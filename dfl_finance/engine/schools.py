"""Least-cost connectivity school by school (pure numpy over schools, no loop per school).

For each school and each technology (:data:`TECHNOLOGIES`): whether it is feasible, what it costs to install
(capex: per school, plus per km for fibre), what it costs a year (opex: per km of fibre, plus the bandwidth the school
needs at the technology's price per Mbps, plus a flat plan per school) and over the planning horizon (the capex
bought again every ``lifetime`` years, the opex every year; discounted at ``rate``, 0 by default). The school takes
the cheapest feasible technology (or the first feasible one in a preferred order). A school already connected keeps
its connection (``existing``, no new cost). Off the grid, the school also needs solar power: the technology's watts
times a cost per watt (the Giga open cost model's rule), plus a flat kit where the table has one; it is part of the
choice. The choice counts ``opex_years`` of opex where the table gives them (Giga's ``years_opex``). Formulas and
sources: docs/method.md, *Schools*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Bools, Floats, Ints
from dfl_finance.engine.discount import discounted
from dfl_finance.vocabulary import SCHOOL_EXISTING, SCHOOL_NONE, SCHOOL_TECHNOLOGIES

#: The technologies a school can be connected with, in the order of the cost arrays.
TECHNOLOGIES = SCHOOL_TECHNOLOGIES
#: What ``technology`` says of a school already connected, and of one no technology can serve.
EXISTING, NONE = SCHOOL_EXISTING, SCHOOL_NONE


@dataclass(frozen=True)
class Technologies:
    """Costs and rules of each technology (arrays in the order of :data:`TECHNOLOGIES`), and of solar power and the
    bandwidth target. Amounts in USD; inf where a rule does not apply."""

    capex_per_school: Floats  # USD
    capex_per_km: Floats  # USD/km (fibre)
    opex_per_km: Floats  # USD/km/yr (fibre)
    per_mbps: Floats  # USD/Mbps/yr
    max_km: Floats  # km to the network it connects to (inf: none)
    min_coverage: Floats  # coverage index needed (0: none)
    max_mbps: Floats  # most it can deliver (inf: no limit)
    lifetime: Floats  # years before the equipment is bought again
    solar_capex: float
    solar_opex: float
    solar_lifetime: float
    mbps_per_school: float
    mbps_per_learner: float
    opex_per_school: Floats | None = None  # USD/school/yr: a flat plan (satellite), on top of per_mbps
    power_watts: Floats | None = None  # W the technology draws at the school (Giga's required_power)
    solar_per_watt: float = 0.0  # USD/W of solar capacity for a school off the grid
    opex_years: int | None = None  # years of opex counted in the choice (Giga's years_opex); None: the horizon


@dataclass(frozen=True)
class Schools:
    """The schools as arrays (N,)."""

    learners: Floats
    electricity: Bools
    connected: Bools
    fibre_km: Floats  # to the nearest fibre node
    tower_km: Floats  # to the nearest mobile tower (NaN: unknown; coverage then decides alone)
    coverage: Floats  # index (vocabulary.SCHOOL_COVERAGE)


@dataclass(frozen=True)
class SchoolCosts:
    """Per school (N,) unless said: the demand, each technology's feasibility and costs (N, T), the choice and its
    costs, and the solar kit."""

    demand: Floats  # Mbps
    feasible: Bools  # (N, T)
    capex_options: Floats  # (N, T) USD, inf where not feasible
    opex_options: Floats  # (N, T) USD/yr
    horizon_options: Floats  # (N, T) cost over the horizon, inf where not feasible
    choice: Ints  # index into TECHNOLOGIES; -1 existing, -2 none feasible
    power: Bools  # a solar kit is needed
    capex: Floats  # of the choice, solar kit included
    opex_per_year: Floats
    cost_horizon: Floats  # capex, replacements and opex over the horizon
    power_capex: Floats  # (N,) of which solar power (capex), USD
    power_opex: Floats  # (N,) of which solar upkeep, USD/yr
    criterion_options: Floats  # (N, T) what the choice minimises (opex over ``opex_years``), inf where not feasible

    @property
    def technology(self) -> np.ndarray:
        """The choice by name (:data:`TECHNOLOGIES`, ``existing`` or ``none``)."""
        names = np.array([*TECHNOLOGIES, NONE, EXISTING], dtype=object)
        return names[np.where(self.choice >= 0, self.choice, len(TECHNOLOGIES) + (self.choice == -1))]


def _purchase_factor(lifetime: Floats, years: int, rate: float) -> Floats:
    """PV of buying 1 at the start and again every ``lifetime`` years within ``years``: sum over k L < years."""
    lifetime = np.asarray(lifetime, dtype=float)
    k = np.arange(years)[:, None]
    bought = (k % np.maximum(np.round(lifetime), 1)[None, :] == 0)  # (years, T)
    return np.asarray(discounted(bought[None], np.array([rate]))[0].sum(axis=0), dtype=float)


def _annuity(years: int, rate: float) -> float:
    return float(discounted(np.ones((1, years)), np.array([rate])).sum())


def school_costs(s: Schools, t: Technologies, years: int, rate: float = 0.0,
                 prefer: tuple[int, ...] | None = None) -> SchoolCosts:
    """Feasibility, costs and the choice of every school over ``years`` years (see the module).

    Parameters
    ----------
    prefer : tuple of technology indices
        Take the first feasible technology in this order instead of the cheapest; a school for which none of them is
        feasible takes the cheapest feasible one (never an infeasible one).

    Examples
    --------
    One school 2 km from fibre, 4G, 100 learners, with power, over 5 years at 0%:

    >>> from dfl_finance.model.technology import default_technologies
    >>> s = Schools(np.array([100.0]), np.array([True]), np.array([False]), np.array([2.0]), np.array([np.nan]),
    ...             np.array([4.0]))
    >>> c = school_costs(s, default_technologies(), 5)
    >>> c.technology.tolist(), round(float(c.cost_horizon[0]), 2)
    (['satellite'], 3700.0)
    """
    demand = np.maximum(t.mbps_per_school, t.mbps_per_learner * s.learners)  # (N,)
    tower = np.where(np.isnan(s.tower_km), 0.0, s.tower_km)
    fibre = s.fibre_km
    # the distance each technology spans: fibre to its node, cellular to a tower, p2p to a tower or a fibre node
    km = np.stack([fibre, tower, np.minimum(np.where(np.isnan(s.tower_km), np.inf, s.tower_km), fibre),
                   np.zeros_like(fibre)], axis=1)  # (N, T)
    feasible = ((km <= t.max_km[None, :]) & (s.coverage[:, None] >= t.min_coverage[None, :])
                & (demand[:, None] <= t.max_mbps[None, :]))
    laid = np.stack([fibre, np.zeros_like(fibre), np.zeros_like(fibre), np.zeros_like(fibre)], axis=1)  # fibre km
    flat = np.zeros(len(TECHNOLOGIES)) if t.opex_per_school is None else t.opex_per_school
    watts = np.zeros(len(TECHNOLOGIES)) if t.power_watts is None else t.power_watts
    off_grid = ~s.electricity[:, None]
    # solar power off the grid: a flat kit (if any) plus the technology's watts x USD/W (Giga's rule)
    solar_capex = np.where(off_grid, t.solar_capex + watts[None, :] * t.solar_per_watt, 0.0)  # (N, T)
    solar_opex = np.where(off_grid, t.solar_opex, 0.0) * np.ones((1, len(TECHNOLOGIES)))
    capex = t.capex_per_school[None, :] + t.capex_per_km[None, :] * laid
    opex = t.opex_per_km[None, :] * laid + t.per_mbps[None, :] * demand[:, None] + flat[None, :]
    solar_pf = _purchase_factor(np.array([t.solar_lifetime]), years, rate)[0]
    horizon = (capex * _purchase_factor(t.lifetime, years, rate)[None, :] + opex * _annuity(years, rate)
               + solar_capex * solar_pf + solar_opex * _annuity(years, rate))
    horizon = np.where(feasible, horizon, np.inf)
    # the choice counts ``opex_years`` of opex (Giga: capex + years_opex x opex), else the whole horizon
    cy = years if t.opex_years is None else int(t.opex_years)
    criterion = (capex * _purchase_factor(t.lifetime, cy, rate)[None, :] + opex * _annuity(cy, rate)
                 + solar_capex * _purchase_factor(np.array([t.solar_lifetime]), cy, rate)[0]
                 + solar_opex * _annuity(cy, rate)) if cy != years else horizon
    criterion = np.where(feasible, criterion, np.inf)
    pick = np.argmin(criterion, axis=1)
    if prefer is not None:  # the first feasible technology in the preferred order, else the least-cost feasible one
        order = np.asarray(prefer, dtype=np.int64)
        first = np.argmax(feasible[:, order], axis=1)
        pick = np.where(feasible[:, order].any(axis=1), order[first], pick)
    found = feasible.any(axis=1)
    choice = np.where(s.connected, -1, np.where(found, pick, -2)).astype(np.int64)
    power = ~s.electricity & (choice >= 0)
    rows = np.arange(choice.size)
    safe = np.where(choice >= 0, choice, 0)
    take = choice >= 0
    p_capex = np.where(take, solar_capex[rows, safe], 0.0)
    p_opex = np.where(take, solar_opex[rows, safe], 0.0)
    chosen_capex = np.where(take, capex[rows, safe], 0.0) + p_capex
    chosen_opex = np.where(take, opex[rows, safe], 0.0) + p_opex
    chosen_h = np.where(take, horizon[rows, safe], 0.0)
    return SchoolCosts(demand=demand, feasible=feasible, capex_options=np.where(feasible, capex + solar_capex, np.inf),
                       opex_options=opex + solar_opex, horizon_options=horizon, choice=choice, power=power,
                       capex=chosen_capex, opex_per_year=chosen_opex, cost_horizon=chosen_h, power_capex=p_capex,
                       power_opex=p_opex, criterion_options=criterion)

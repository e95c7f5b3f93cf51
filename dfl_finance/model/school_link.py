"""A school plan in the financing model: the connectivity programme of a scenario takes its cost lines from the plan,
so every source, loan, risk draw and the optimiser work on it unchanged.

For each technology the plan uses, two lines in USD at the prices of the technology table: ``<technology>
installation`` (fixed_capex: the capex of the schools connected each year and of the equipment they buy again every
``lifetime`` years within the plan) and ``<technology> service`` (fixed_opex: the opex of the schools connected by each
year; after the plan it continues at the last year's amount); and, where schools need power, ``solar kits`` and
``solar upkeep``. Each line's ``unit_cost`` is its largest yearly amount and its ``profile`` each year's amount as a
share of it. The programme's reach (outcomes.csv) moves linearly from the share of schools connected before the plan
to the share connected at its end; schools.csv has each school's year.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine import Bools, Floats, Ints
from dfl_finance.engine.schools import TECHNOLOGIES
from dfl_finance.errors import OptionProblem, Problem, ScenarioError, known
from dfl_finance.inputs.io import validate_scenario
from dfl_finance.inputs.paths import resolve
from dfl_finance.inputs.schools import read_schools, region_problems
from dfl_finance.model.schools import plan_schools
from dfl_finance.model.technology import default_technologies, technology_rows
from dfl_finance.vocabulary import SCHOOL_PLAN_NOTE

#: The note that marks the cost lines a school plan writes (validation allows them beside [programme.schools]).
GENERATED = SCHOOL_PLAN_NOTE

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.model.schools import SchoolPlan


def _bought(start: Ints, lifetime: float, years: int) -> Floats:
    """(N, Y) 1 in the years a school connected in year index ``start`` buys its equipment (-1: never)."""
    k = np.arange(years)[None, :] - start[:, None]
    every = max(int(round(lifetime)), 1) if np.isfinite(lifetime) else years + 1
    bought: Bools = (start[:, None] >= 0) & (k >= 0) & (k % every == 0)
    return bought.astype(float)


def yearly_costs(plan: SchoolPlan, within: Bools | None = None) -> dict[str, np.ndarray]:
    """The plan's cost lines (see the module): ``{item: (kind, (Y,) USD a year)}`` of the lines with any cost;
    ``within`` (N,): only the schools it marks (a region's, for the split by region)."""
    t = default_technologies()
    c, Y, year = plan.costs, plan.years, plan.year_index
    solar_capex, solar_opex = c.power_capex, c.power_opex
    connected = (year >= 0) & (c.choice >= 0)
    if within is not None:
        connected = connected & within
    active = connected[:, None] & (np.arange(Y)[None, :] >= year[:, None])  # (N, Y) connected by the year
    out: dict[str, tuple[str, np.ndarray]] = {}
    for k, tech in enumerate(TECHNOLOGIES):
        mine = connected & (c.choice == k)
        if not mine.any():
            continue
        start = np.where(mine, year, -1)
        capex = (_bought(start, float(t.lifetime[k]), Y) * (c.capex - solar_capex)[:, None]).sum(axis=0)
        opex = (active & mine[:, None]).astype(float).T @ (c.opex_per_year - solar_opex)
        out[f"{tech} installation"] = ("fixed_capex", capex)
        out[f"{tech} service"] = ("fixed_opex", opex)
    powered = connected & c.power
    if powered.any():
        start = np.where(powered, year, -1)
        out["solar kits"] = ("fixed_capex", (_bought(start, t.solar_lifetime, Y) * solar_capex[:, None]).sum(axis=0))
        out["solar upkeep"] = ("fixed_opex", (active & powered[:, None]).astype(float).T @ solar_opex)
    return out  # type: ignore[return-value]


def _data_year() -> int | None:
    """The year of the technology table's prices (the Giga cost model's, 2023): its sources say it."""
    return 2023 if technology_rows() else None


def with_school_plan(scenario: Scenario, plan: SchoolPlan,
                     programme: str | None = None) -> tuple[Scenario, list[str]]:
    """The scenario with the cost lines of ``programme`` (default: the one with id ``connectivity``, else the first
    whose driver is schools) taken from the school plan, and ``context.schools`` the number of schools in the table;
    and notes: the ``[[uncertain]]`` rows of the replaced lines that were left out, another programme that also pays
    for power.

    Raises
    ------
    ScenarioError
        No such programme, or a plan of other years than the scenario's (a problem of the option ``programme`` or
        ``scenario``, :class:`~dfl_finance.errors.OptionProblem`).
    """
    meta = scenario.scenario
    ids = [p.id for p in scenario.programme]
    if programme is None:
        found = "connectivity" if "connectivity" in ids else next(
            (p.id for p in scenario.programme if p.driver == "schools"), None)
        if found is None:
            raise ScenarioError([OptionProblem("programme", "the scenario has no programme with id connectivity "
                                               "or driver schools to take the school plan (programmes: "
                                               f"{known(ids)})", has_value=False)])
        programme = found
    if programme not in ids:
        raise ScenarioError([OptionProblem("programme", f"no programme with this id (known: {known(ids)})",
                                           programme)])
    if plan.start_year != meta.start_year or plan.years != meta.years:
        raise ScenarioError([OptionProblem("scenario", f"the school plan covers {plan.start_year}.."
                                           f"{plan.start_year + plan.years - 1}, the scenario {meta.start_year}.."
                                           f"{scenario.end_year}", has_value=False)])
    lines = []
    for item, (kind, amounts) in yearly_costs(plan).items():
        top = float(amounts.max())
        if top <= 0:
            continue
        lines.append({"item": item, "kind": kind, "unit_cost": top, "currency": "USD", "price_year": _data_year(),
                      "profile": [float(a / top) for a in amounts],
                      "source_note": f"{GENERATED} (dfl-finance schools; data/school_technologies.csv)"})
    n = len(plan.table)
    before = int((plan.costs.choice == -1).sum())
    after = before + int(((plan.year_index >= 0) & (plan.costs.choice >= 0)).sum())
    last = int(plan.year_index.max()) if (plan.year_index >= 0).any() else 0
    raw = scenario.model_dump(exclude_none=True)
    raw["context"]["schools"] = n
    notes = []
    index = ids.index(programme)
    kept = []
    for row in raw.get("uncertain", []):
        loc = resolve(scenario, row["path"])
        if loc[:2] == ("programme", index) and len(loc) > 2 and loc[2] == "cost":
            notes.append(f"[[uncertain]] {row['path']} left out: the school plan replaces that cost line")
        else:
            kept.append(row)
    if "uncertain" in raw:
        raw["uncertain"] = kept
    if plan.costs.power.any():
        power = [p.id for p in scenario.programme if p.id != programme and "solar" in (p.id + " ".join(
            c.item for c in p.cost)).lower()]
        if power:
            notes.append(f"the school plan buys solar kits for the schools without power; programme "
                         f"{', '.join(power)} also pays for power: remove it or its schools would be paid twice")
    for p in raw["programme"]:
        if p["id"] == programme:
            p.pop("template", None)
            p.update(driver="schools", start_share=before / n if n else 0.0,
                     target_share=max(after / n, before / n) if n else 0.0, rollout="linear",
                     target_year=meta.start_year + last, cost=lines)
    return validate_scenario(raw, folder=scenario.folder), notes


def expand_school_links(scenario: Scenario, base: Path) -> Scenario:
    """The scenario with the cost lines of every programme that has a ``[programme.schools]`` table planned from it
    (its table and fibre nodes read relative to ``base``, the scenario file's folder).

    Raises
    ------
    ScenarioError
        The table cannot be read or fails its checks (each problem named with the programme's field), or the plan's
        options are refused.
    """
    out = scenario
    for i, p in enumerate(scenario.programme):
        link = p.schools
        if link is None:
            continue
        where = f"programme[{i}].schools"
        try:
            table = read_schools(base / link.table, None if link.fibre_nodes is None else base / link.fibre_nodes)
            if out.region:  # a school's region must be one of the scenario's regions (docs/method.md, Regions)
                unknown = region_problems(table, [r.name for r in out.region], str(base / link.table))
                if unknown:
                    raise ScenarioError(unknown)
            plan = plan_schools(table, years=out.scenario.years, start_year=out.scenario.start_year,
                                order=link.order, budget=link.budget, target_year=link.target_year, rate=link.rate,
                                prefer=tuple(link.prefer) if link.prefer else None, extend_fibre=link.extend_fibre)
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"{where}.table: {q.path}" if q.path else f"{where}.table", q.message,
                                         q.value, q.has_value) for q in exc.problems]) from None
        out, _ = with_school_plan(out, plan, p.id)
    return out

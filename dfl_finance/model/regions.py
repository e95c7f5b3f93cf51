"""A scenario's split by region: for every programme and year, the weights by which its cost and its reach are
divided among the regions (docs/method.md, *Regions*).

A programme is split, in this order of precedence, by its own ``regions`` (one share per region, every year); by its
school table's ``region`` column when it has one (``[programme.schools]``: each region's part of the plan's cost in
each year, and its part of the schools connected by the end of each year); by the ``[[region]]`` shares of its driver
(``schools``, ``learners``, ``teachers``, else ``share``; ``share`` for a programme with driver = "none"). A programme
that none of these splits is written under the region :data:`NOT_SPLIT`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.inputs.regions import NATIONAL
from dfl_finance.inputs.schools import read_schools
from dfl_finance.model.school_link import yearly_costs
from dfl_finance.model.schools import plan_schools

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Programme, Scenario

#: The region of a programme that the scenario does not split (a central cost, or no shares for its driver).
NOT_SPLIT = NATIONAL


@dataclass(frozen=True)
class RegionSplit:
    """``names`` (R,) the regions, in the order of the ``[[region]]`` rows, then of the programmes' own regions, then
    of the school tables' regions (sorted), then :data:`NOT_SPLIT` if a programme is not split; ``cost`` and
    ``reach`` (Y, P, R) the weights of each programme's cost and reach in each year (each row adds up to 1)."""

    names: list[str]
    cost: Floats
    reach: Floats


def _stamp(path: Path) -> tuple[int, int]:
    """The file's modification time and size (0, 0 if it cannot be read): a table changed on disk is planned again."""
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _school_weights(folder: str, link_json: str, start_year: int, years: int,
                    stamp: tuple[int, int] = (0, 0)) -> tuple[tuple[str, ...], Floats, Floats]:
    """The regions of a programme's school table (sorted), and (Y, R) each region's part of the plan's cost and of
    the schools connected by the end of each year (the schools connected before the plan included); ``stamp``: the
    table's :func:`_stamp`, so that the cache does not keep the plan of a table changed since."""
    link = json.loads(link_json)
    base = Path(folder)
    nodes = link.get("fibre_nodes")
    table = read_schools(base / link["table"], None if nodes is None else base / nodes)
    prefer = link.get("prefer")
    plan = plan_schools(table, years=years, start_year=start_year, order=link["order"], budget=link.get("budget"),
                        target_year=link.get("target_year"), rate=link["rate"],
                        prefer=tuple(prefer) if prefer else None, extend_fibre=link["extend_fibre"])
    region = np.asarray(table.region, dtype=object)
    names = tuple(sorted(set(region.tolist()), key=_natural))
    Y, R = years, len(names)
    cost = np.zeros((Y, R))
    reach = np.zeros((Y, R))
    c = plan.costs
    before = c.choice == -1  # connected before the plan
    for r, name in enumerate(names):
        mine = region == name
        cost[:, r] = sum((amounts for _, amounts in yearly_costs(plan, mine).values()), np.zeros(Y))
        during = mine & (plan.year_index >= 0) & (c.choice >= 0)
        by_year = np.bincount(plan.year_index[during], minlength=Y)[:Y].cumsum()
        reach[:, r] = (before & mine).sum() + by_year
    return names, cost, reach


def _natural(name: str) -> tuple[object, ...]:
    """Sort key that puts "Region 2" before "Region 10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _driver_shares(sc: Scenario, p: Programme) -> list[float] | None:
    """The ``[[region]]`` shares of the programme's driver (else ``share``), or None without them."""
    if not sc.region:
        return None
    for col in ((p.driver, "share") if p.driver != "none" else ("share",)):
        values = [getattr(r, col, None) for r in sc.region]
        if all(v is not None for v in values):
            return [float(v) for v in values if v is not None]
    return None


def region_split(sc: Scenario) -> RegionSplit:
    """The weights of the scenario's split by region (see the module)."""
    Y, P = sc.scenario.years, len(sc.programme)
    names: list[str] = [r.name for r in sc.region]
    for p in sc.programme:
        names += [n for n in (p.regions or {}) if n not in names]
    schools: dict[int, tuple[tuple[str, ...], Floats, Floats]] = {}
    folder = str(sc.folder or Path.cwd())
    for i, p in enumerate(sc.programme):
        if p.regions is None and p.schools is not None:
            schools[i] = _school_weights(folder, p.schools.model_dump_json(), sc.scenario.start_year, Y,
                                         _stamp(Path(folder) / p.schools.table))
            names += [n for n in schools[i][0] if n not in names]
    plain: dict[int, list[float]] = {}
    for i, p in enumerate(sc.programme):
        if p.regions is None and i not in schools:
            shares = _driver_shares(sc, p)
            if shares is None:
                if NOT_SPLIT not in names:
                    names.append(NOT_SPLIT)
            else:
                plain[i] = shares
    index = {n: k for k, n in enumerate(names)}
    cost = np.zeros((Y, P, len(names)))
    for i, p in enumerate(sc.programme):
        if p.regions is not None:
            for n, share in p.regions.items():
                cost[:, i, index[n]] = share
        elif i in plain:
            cost[:, i, :len(sc.region)] = plain[i]
        elif i not in schools:
            cost[:, i, index[NOT_SPLIT]] = 1.0
    reach = cost.copy()
    for i, (regions, c, r) in schools.items():
        cols = [index[n] for n in regions]
        cost[:, i, cols] = c
        reach[:, i, cols] = r
    return RegionSplit(names=names, cost=cost, reach=reach)

"""The rules of a scenario's regions (``[[region]]`` rows and a programme's ``regions``), checked with the other
rules that involve several fields (:func:`dfl_finance.inputs.rules.consistency_problems`).

A split by region is a set of shares that add up to 1: each ``[[region]]`` column (``share``, ``schools``,
``learners``, ``teachers``) is given on every row or on none, and adds up to 1 within
:data:`REGION_SUM_TOLERANCE` (published shares are rounded); a programme's own ``regions`` add up to 1 within the same
tolerance and name regions of the ``[[region]]`` rows when there are any (or :data:`NATIONAL`). The split itself
divides by the sum, so that the regions add up to the nation exactly (docs/method.md, *Regions*).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dfl_finance.errors import Problem, known
from dfl_finance.vocabulary import COUNTED_DRIVERS

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario

#: Shares of a split by region must add up to 1 within this tolerance (shares published to three or four decimals
#: do not add up exactly); the split divides by their sum.
REGION_SUM_TOLERANCE = 0.001
#: The ``[[region]]`` columns that hold shares: ``share`` (any driver) and one per counted driver.
REGION_COLUMNS = ("share", *COUNTED_DRIVERS)
#: The region of what is not split below the nation: a programme the scenario does not split, and a central cost a
#: programme keeps at the national level with its own ``regions = {"national" = 1.0}`` (always a known name).
NATIONAL = "national"


def has_regions(sc: Scenario) -> bool:
    """Whether the scenario splits anything by region: ``[[region]]`` rows, a programme's own ``regions``, or a
    programme with a school table (whose schools have regions)."""
    return bool(sc.region) or any(p.regions is not None or p.schools is not None for p in sc.programme)


def _sum_problem(path: str, total: float) -> list[Problem]:
    if abs(total - 1.0) > REGION_SUM_TOLERANCE:
        return [Problem(path, f"the shares add up to {total:.6g}, not 1 (within {REGION_SUM_TOLERANCE:g})", total)]
    return []


def region_problems(sc: Scenario) -> list[Problem]:
    """Every problem of the scenario's ``[[region]]`` rows and programmes' ``regions`` (see the module)."""
    out: list[Problem] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(sc.region):
        if r.name in seen:
            out.append(Problem(f"region[{i}].name", f"duplicate region name (also region[{seen[r.name]}])", r.name))
        seen.setdefault(r.name, i)
    for col in REGION_COLUMNS:
        given = [getattr(r, col) for r in sc.region]
        if all(v is None for v in given):
            continue
        missing = [i for i, v in enumerate(given) if v is None]
        if missing:
            out += [Problem(f"region[{i}].{col}", f"given on other rows: give {col} on every [[region]] row or on "
                            "none", has_value=False) for i in missing]
        else:
            out += _sum_problem(f"region.{col}", float(sum(v for v in given if v is not None)))
    names = set(seen)
    for i, p in enumerate(sc.programme):
        if p.regions is None:
            continue
        where = f"programme[{i}].regions"
        if not p.regions:
            out.append(Problem(where, "give at least one region and its share", p.regions))
            continue
        unknown = [n for n in p.regions if names and n not in names and n != NATIONAL]
        out += [Problem(f"{where}.{n}", f"not a [[region]] name (known: {known(sorted(names))})", n) for n in unknown]
        out += _sum_problem(where, float(sum(p.regions.values())))
    return out

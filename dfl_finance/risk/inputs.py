"""The ``[[uncertain]]`` rows of a scenario: their rules (checked with the rest of the scenario) and their draws.

Each row names a field by its path (:mod:`dfl_finance.paths`), which must be one of the fields that can vary
between draws (:data:`dfl_finance.compile.UNCERTAIN_FIELDS`), and a distribution whose values stay inside the
field's allowed range (a normal is truncated to it). Rows with the same ``group`` are correlated at the group's
``rho`` (:mod:`.sampling`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import annotated_types

from ..errors import Problem, ScenarioError

if TYPE_CHECKING:
    from ..engine import Floats
    from ..schema.models import Scenario, Uncertain
    from .sampling import Marginal

#: The parameters each distribution takes (the others must be left out).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "pert": ("low", "mode", "high"),
    "normal": ("mean", "sd"), "lognormal": ("median", "sd_log"), "discrete": ("values", "weights"),
}
_ALL = ("low", "high", "mode", "mean", "sd", "median", "sd_log", "values", "weights")
#: Parameters a distribution may leave out.
_OPTIONAL = {"weights"}


def field_bounds(loc: Sequence[str | int]) -> tuple[float, float, bool, bool]:
    """``(lower, upper, lower open, upper open)`` of the field at ``loc``, from its constraints in the schema."""
    from ..paths import model_at

    model = model_at(loc[:-1])
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    if model is None or not isinstance(loc[-1], str) or loc[-1] not in model.model_fields:
        return lo, hi, lo_open, hi_open
    for m in model.model_fields[loc[-1]].metadata:
        if isinstance(m, annotated_types.Ge):
            lo, lo_open = float(m.ge), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            lo, lo_open = float(m.gt), True  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            hi, hi_open = float(m.le), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            hi, hi_open = float(m.lt), True  # type: ignore[arg-type]
    return lo, hi, lo_open, hi_open


def _range_words(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    parts = []
    if math.isfinite(lo):
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if math.isfinite(hi):
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    return " and ".join(parts)


def _inside(x: float, lo: float, hi: float, lo_open: bool, hi_open: bool) -> bool:
    return (x > lo if lo_open else x >= lo) and (x < hi if hi_open else x <= hi)


def marginal(row: Uncertain, loc: Sequence[str | int], scenario: Scenario) -> Marginal:
    """The distribution of a row, with the bounds of its field (a target year: the years of the plan)."""
    from .sampling import Marginal

    lo, hi, _, _ = field_bounds(loc)
    if loc[-1] == "target_year":
        lo, hi = float(scenario.scenario.start_year), float(scenario.end_year)
    return Marginal(row.distribution, low=row.low, high=row.high, mode=row.mode, mean=row.mean, sd=row.sd,
                    median=row.median, sd_log=row.sd_log, values=tuple(row.values or ()),
                    weights=tuple(row.weights or ()), lower_bound=lo, upper_bound=hi)


def uncertain_problems(sc: Scenario) -> list[Problem]:
    """Every problem of the ``[[uncertain]]`` rows: the path, the distribution's parameters, the field's range,
    a field named twice, the groups' correlations."""
    from ..compile import can_vary
    from ..paths import resolve
    from .sampling import correlation_matrix, is_positive_semidefinite

    out: list[Problem] = []
    seen: dict[tuple[str | int, ...], int] = {}
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(sc.uncertain):
        where = f"uncertain[{i}]"
        try:
            loc = resolve(sc, row.path)
        except ScenarioError as exc:
            out += [Problem(f"{where}.path", p.message, row.path) for p in exc.problems]
            continue
        if not can_vary(loc):
            out.append(Problem(f"{where}.path", "this field cannot vary between draws (unit costs and price trends, "
                               "shares and target years of programmes, driver counts, the budget, its growth and "
                               "the burden limit, sources' caps, commitments and rates, the discount rate and "
                               "[macro] inflation and exchange rate can)", row.path))
            continue
        owner = sc.source[loc[1]] if loc[0] == "source" and isinstance(loc[1], int) else None
        if owner is not None and loc[-1] == "rate" and owner.kind != "loan":
            out.append(Problem(f"{where}.path", f"source `{owner.id}` is a {owner.kind}, not a loan: it has no rate",
                               row.path))
            continue
        if owner is not None and loc[-1] == "return_rate" and owner.kind != "ppp":
            out.append(Problem(f"{where}.path", f"source `{owner.id}` is a {owner.kind}: only a ppp has a "
                               "return_rate", row.path))
            continue
        if loc[0] == "macro" and isinstance(getattr(sc.macro, str(loc[-1])), list):
            out.append(Problem(f"{where}.path", "the scenario gives this path year by year; an uncertain input "
                               "replaces one number (give the path as one number to make it vary)", row.path))
            continue
        if loc in seen:
            out.append(Problem(f"{where}.path", f"this field is already uncertain in uncertain[{seen[loc]}]",
                               row.path))
            continue
        seen[loc] = i
        out += _parameter_problems(row, loc, sc, where)
        if row.group is not None:
            groups.setdefault(row.group, []).append(i)
        elif row.rho is not None:
            out.append(Problem(f"{where}.rho", "a correlation needs a group (the rows that move together)", row.rho))
    for name, rows in groups.items():
        rhos = {float(r) for r in (sc.uncertain[i].rho for i in rows) if r is not None}
        where = f"uncertain[{rows[0]}].rho"
        if len(rhos) > 1:
            out.append(Problem(where, f"the rows of group `{name}` give different correlations "
                               f"({', '.join(map(str, sorted(rhos)))}): give one", sorted(rhos)))
        elif not rhos:
            out.append(Problem(where, f"group `{name}` needs a correlation rho on one of its rows", has_value=False))
        else:
            rho = rhos.pop()
            if not is_positive_semidefinite(correlation_matrix(len(rows), rho)):
                out.append(Problem(where, f"a correlation of {rho} between each two of {len(rows)} inputs is not a "
                                   f"valid correlation matrix (not positive semi-definite: it needs rho >= "
                                   f"{-1 / (len(rows) - 1):.4g})", rho))
    return out


def _parameter_problems(row: Uncertain, loc: Sequence[str | int], sc: Scenario, where: str) -> list[Problem]:
    out: list[Problem] = []
    wanted = PARAMETERS[row.distribution]
    for name in _ALL:
        given = getattr(row, name) is not None
        if name in wanted and not given and name not in _OPTIONAL:
            out.append(Problem(f"{where}.{name}", f"required for a {row.distribution} distribution",
                               has_value=False))
        elif name not in wanted and given:
            out.append(Problem(f"{where}.{name}", f"a {row.distribution} distribution takes "
                               f"{', '.join(wanted)}, not {name}", getattr(row, name)))
    if out:
        return out
    d = row.distribution
    if d in ("uniform", "triangular", "pert"):
        low, high = float(row.low), float(row.high)  # type: ignore[arg-type]
        if not low < high:
            out.append(Problem(f"{where}.high", f"must be above low ({low:g})", row.high))
        if d != "uniform" and not low <= float(row.mode) <= high:  # type: ignore[arg-type]
            out.append(Problem(f"{where}.mode", f"must lie between low and high ({low:g}..{high:g})", row.mode))
    if d == "discrete":
        values, weights = row.values or [], row.weights
        if weights is not None and len(weights) != len(values):
            out.append(Problem(f"{where}.weights", f"give one weight per value ({len(values)})", weights))
        elif weights is not None and (min(weights) < 0 or sum(weights) <= 0):
            out.append(Problem(f"{where}.weights", "weights must be >= 0 and not all 0", weights))
    if out:
        return out
    # the values must be values the field may take (a normal is truncated to the field's range instead)
    lo, hi, lo_open, hi_open = field_bounds(loc)
    if loc[-1] == "target_year":
        lo, hi, lo_open, hi_open = float(sc.scenario.start_year), float(sc.end_year), False, False
    m = marginal(row, loc, sc)
    if d == "normal":
        if not _inside(float(row.mean), lo, hi, lo_open, hi_open):  # type: ignore[arg-type]
            out.append(Problem(f"{where}.mean", f"outside the field's allowed range "
                               f"({_range_words(lo, hi, lo_open, hi_open)})", row.mean))
        return out
    low, high = m.support()
    bad = [(name, v) for name, v in (("low", low), ("high", high)) if not _inside(v, lo, hi, lo_open, hi_open)]
    for name, v in bad:
        field = {"discrete": "values", "lognormal": "median"}.get(d, name)
        what = f"values from {low:g} to {high:g}" if d in ("discrete", "lognormal") else f"{name} = {v:g}"
        out.append(Problem(f"{where}.{field}", f"the distribution gives {what}, outside the field's allowed range "
                           f"({_range_words(lo, hi, lo_open, hi_open)})", getattr(row, field)))
        break
    return out


def draw_samples(sc: Scenario, draws: int, seed: int, method: str) -> dict[tuple[str | int, ...], Floats]:
    """The values of every uncertain input in each draw, by location: ``{location: (draws,)}``."""
    from ..paths import resolve
    from .sampling import sample

    locs = [resolve(sc, row.path) for row in sc.uncertain]
    marginals = [marginal(row, loc, sc) for row, loc in zip(sc.uncertain, locs)]
    groups: dict[str, list[int]] = {}
    for j, row in enumerate(sc.uncertain):
        if row.group is not None:
            groups.setdefault(row.group, []).append(j)
    rhos = [next(float(sc.uncertain[j].rho) for j in cols if sc.uncertain[j].rho is not None)  # type: ignore
            for cols in groups.values()]
    values = sample(marginals, draws, method, seed, list(groups.values()), rhos)
    return {tuple(loc): values[:, j] for j, loc in enumerate(locs)}

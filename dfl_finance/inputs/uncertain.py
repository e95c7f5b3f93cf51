"""The ``[[uncertain]]`` rows of a scenario: their rules (checked with the rest of the scenario) and their draws.

Each row names a field by its path (:mod:`dfl_finance.inputs.paths`), which must be one of the fields that can vary
between draws (:data:`UNCERTAIN_FIELDS`), and a distribution whose values stay inside the field's allowed range
(:func:`field_bounds`: the schema's constraints, or the ``bounds`` kept beside a field that also takes a list, such as
inflation): a row whose distribution can leave it is refused, naming the row; a normal and a lognormal are
truncated to it (their mean or median must lie inside). Rows with the same ``group`` are correlated at the group's
``rho`` (:mod:`.sampling`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import annotated_types

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.paths import canonical_path, marked_fields, model_at, resolve

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    from dfl_finance.inputs.models import Scenario, Share, Uncertain

#: Keys of a source's pledge draws in the samples (not fields of the scenario: leading ``_``): whether the pledge
#: materialises (1 or 0), the share that disburses, the delay in years.
PLEDGE_MATERIALISES, PLEDGE_SHARE, PLEDGE_LAG = "_materialises", "_share", "_lag"
#: The draws of a ``[[source.dli]]`` row (its location ``("source", k, "dli", r, ...)``): whether its result comes at
#: all (1 or 0, from its ``probability``) and how many years late (its ``delay``).
DLI_ACHIEVED, DLI_DELAY = "_achieved", "_delay"
#: The fields that can vary between draws, by the shape of their location: the names of the fields, the other parts
#: list indices (``programme[i].cost[j].unit_cost`` is ``("programme", int, "cost", int, "unit_cost")``). Whether a
#: field can vary is an attribute of the field (``varies=True`` in :mod:`dfl_finance.inputs.models`), read here.
UNCERTAIN_FIELDS: tuple[tuple[object, ...], ...] = marked_fields("varies")


def can_vary(loc: Sequence[str | int]) -> bool:
    """Whether the field at ``loc`` can vary between draws (:data:`UNCERTAIN_FIELDS`)."""
    return any(len(shape) == len(loc) and all(part is int and isinstance(x, int) or part == x
                                              for part, x in zip(shape, loc)) for shape in UNCERTAIN_FIELDS)


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
    model = model_at(loc[:-1])
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    if model is None or not isinstance(loc[-1], str) or loc[-1] not in model.model_fields:
        return lo, hi, lo_open, hi_open
    info = model.model_fields[loc[-1]]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    bounds = extra.get("bounds")  # a number field that also takes a list: its bounds, kept beside it
    if isinstance(bounds, dict):
        return (float(bounds.get("gt", bounds.get("ge", -math.inf))),  # type: ignore[arg-type]
                float(bounds.get("lt", bounds.get("le", math.inf))),  # type: ignore[arg-type]
                "gt" in bounds, "lt" in bounds)
    for m in info.metadata:
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


def allowed_range(loc: Sequence[str | int], sc: Scenario) -> tuple[float, float, bool, bool, str]:
    """``(lower, upper, lower open, upper open, why)``: the values an uncertain input at ``loc`` may take. Its
    field's range (:func:`field_bounds`); a target year, the years of the plan; a programme's ``target_share`` at
    least, and its ``start_share`` at most, the split between them that :func:`share_split` gives (a draw with the
    target below the start reached units back, at a negative capex, and the optimiser found no mix; issue 26).
    ``why`` says where a bound comes from, in words (or ``""``)."""
    lo, hi, lo_open, hi_open = field_bounds(loc)
    if loc[-1] == "target_year":
        return float(sc.scenario.start_year), float(sc.end_year), False, False, " (the years of the plan)"
    if len(loc) != 3 or loc[0] != "programme" or not isinstance(loc[1], int) or \
            loc[-1] not in ("start_share", "target_share"):
        return lo, hi, lo_open, hi_open, ""
    least_target, most_start = share_split(sc, loc[1])
    if loc[-1] == "target_share":
        if least_target >= lo:
            lo, lo_open = least_target, False
        return lo, hi, lo_open, hi_open, f" (a target_share is at least the programme's start_share: {least_target:g})"
    if most_start <= hi:
        hi, hi_open = most_start, False
    return lo, hi, lo_open, hi_open, f" (a start_share is at most the programme's target_share: {most_start:g})"


def share_split(sc: Scenario, i: int) -> tuple[float, float]:
    """``(least target, most start)``: the least value a draw of programme ``i``'s ``target_share`` may take and the
    most its ``start_share`` may take, so that no draw, and no run with one of them at the file's value (a
    tornado's), has the target below the start. A share without a row is the file's; a row with a bounded
    distribution (uniform, triangular, pert, discrete) reaches its lowest and highest values, and the file's value;
    a normal or lognormal row is truncated at the other's extreme value, or, when both are truncated, at the file's
    start_share."""
    p = sc.programme[i]
    start, target = _row_at(sc, ("programme", i, "start_share")), _row_at(sc, ("programme", i, "target_share"))
    start_free = start is not None and start.distribution in _TRUNCATED
    target_free = target is not None and target.distribution in _TRUNCATED
    start_top = max(p.start_share, _support(start)[1]) if start is not None and not start_free else p.start_share
    target_bottom = min(p.target_share, _support(target)[0]) if target is not None and not target_free \
        else p.target_share
    if start_free and target_free:
        return p.start_share, p.start_share
    if start_free:  # (never above the file's target, never below its start: a tornado holds the other at it)
        split = max(p.start_share, target_bottom)
        return split, split
    if target_free:
        split = min(p.target_share, start_top)
        return split, split
    return start_top, target_bottom


#: Distributions truncated to the range of their field, rather than bounded by their parameters.
_TRUNCATED = ("normal", "lognormal")


def _row_at(sc: Scenario, loc: tuple[str | int, ...]) -> Uncertain | None:
    """The ``[[uncertain]]`` row of the field at ``loc`` whose distribution has its parameters, if there is one."""
    for row in sc.uncertain:
        try:
            here = tuple(resolve(sc, row.path))
        except ScenarioError:
            continue
        if here == loc and all(getattr(row, name) is not None for name in PARAMETERS[row.distribution]
                               if name not in _OPTIONAL):
            return row
    return None


def uncertain_problems(sc: Scenario) -> list[Problem]:
    """Every problem of the ``[[uncertain]]`` rows: the path, the distribution's parameters, the field's range,
    a field named twice, the groups' correlations."""
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
                               "shares and target years of programmes, driver counts, the budget, its growth, its "
                               "execution and the burden limit, sources' caps, commitments and rates, the discount "
                               "rate and [macro] inflation and exchange rate can)", row.path))
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
        if loc[0] == "programme" and loc[-1] == "unit_cost" and isinstance(loc[1], int) and isinstance(loc[3], int) \
                and sc.programme[loc[1]].cost[loc[3]].uncertain == "from-data":
            out.append(Problem(f"{where}.path", "this unit cost is already uncertain: its cost line says uncertain "
                               "= \"from-data\"", row.path))
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
            # every two of m inputs at rho: the matrix's eigenvalues are 1 + (m - 1) rho and 1 - rho
            if 1 + (len(rows) - 1) * rho < -1e-12:
                out.append(Problem(where, f"a correlation of {rho} between each two of {len(rows)} inputs is not a "
                                   f"valid correlation matrix (not positive semi-definite: it needs rho >= "
                                   f"{-1 / (len(rows) - 1):.4g})", rho))
    return out


def pledge_problems(sc: Scenario) -> list[Problem]:
    """The rules of the sources' ``disbursement_share`` (a distribution of shares, 0..1) and ``disbursement_lag``
    (whole years >= 0 with weights)."""
    out: list[Problem] = []
    for k, src in enumerate(sc.source):
        if src.disbursement_share is not None:
            # the bounds of a share: those of share_cap (0..1)
            out += _parameter_problems(src.disbursement_share, ("source", k, "share_cap"), sc,
                                       f"source[{k}].disbursement_share")
        lag = src.disbursement_lag
        if lag is not None:
            where = f"source[{k}].disbursement_lag"
            if min(lag.values) < 0:
                out.append(Problem(f"{where}.values", "delays are whole years >= 0", lag.values))
            if lag.weights is not None and len(lag.weights) != len(lag.values):
                out.append(Problem(f"{where}.weights", f"give one weight per value ({len(lag.values)})",
                                   lag.weights))
            elif lag.weights is not None and (min(lag.weights) < 0 or sum(lag.weights) <= 0):
                out.append(Problem(f"{where}.weights", "weights must be >= 0 and not all 0", lag.weights))
    return out


def _support(row: Uncertain | Share) -> tuple[float, float]:
    """The smallest and largest value a (checked) distribution gives, but for the (truncated) normal and
    lognormal."""
    d = row.distribution
    if d == "discrete":
        values = row.values or [0.0]
        return float(min(values)), float(max(values))
    return float(row.low or 0.0), float(row.high or 0.0)


def _parameter_problems(row: Uncertain | Share, loc: Sequence[str | int], sc: Scenario,
                        where: str) -> list[Problem]:
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
    lo, hi, lo_open, hi_open, why = allowed_range(loc, sc)
    if d in ("normal", "lognormal"):  # truncated to the field's range: its centre must lie inside it
        centre, name = (row.mean, "mean") if d == "normal" else (row.median, "median")
        if not _inside(float(centre), lo, hi, lo_open, hi_open):  # type: ignore[arg-type]
            out.append(Problem(f"{where}.{name}", f"outside the field's allowed range "
                               f"({_range_words(lo, hi, lo_open, hi_open)}){why}", centre))
        return out
    low, high = _support(row)
    bad = [(name, v) for name, v in (("low", low), ("high", high)) if not _inside(v, lo, hi, lo_open, hi_open)]
    for name, v in bad:
        field = {"discrete": "values", "lognormal": "median"}.get(d, name)
        what = f"values from {low:g} to {high:g}" if d in ("discrete", "lognormal") else f"{name} = {v:g}"
        out.append(Problem(f"{where}.{field}", f"the distribution gives {what}, outside the field's allowed range "
                           f"({_range_words(lo, hi, lo_open, hi_open)}){why}", getattr(row, field)))
        break
    return out


#: What a risk run says of a scenario whose draws are all the same (printed after its name, written in the ``note``
#: column of quantiles.csv and in the manifest): it has nothing to draw, or what it draws moves no summary metric.
NO_INPUTS_NOTE = "no uncertain inputs: every draw is the same; its quantiles are flat"
NO_EFFECT_NOTE = "its uncertain inputs move no summary metric: every draw is the same; its quantiles are flat"
#: Two draws of a metric are the same when they differ by at most this share of its size (or this much below 1).
SAME_DRAW_TOLERANCE = 1e-12


def drawn_inputs(sc: Scenario) -> list[str]:
    """Everything a risk run of ``sc`` draws, as field paths: its ``[[uncertain]]`` rows (as written), its cost lines
    with ``uncertain = "from-data"`` and its sources' uncertain pledges (``reliability``, ``disbursement_share``,
    ``disbursement_lag``); empty when every draw is the deterministic run."""
    out = [row.path for row in sc.uncertain]
    for i, p in enumerate(sc.programme):
        for j, c in enumerate(p.cost):
            if c.uncertain == "from-data" and c.price_range is not None:
                out.append(canonical_path(sc, ("programme", i, "cost", j, "unit_cost")))
    for k, src in enumerate(sc.source):
        for name in ("reliability", "disbursement_share", "disbursement_lag"):
            if getattr(src, name) is not None:
                out.append(canonical_path(sc, ("source", k, name)))
    return out


def draws_all_same(arrays: Mapping[str, Floats]) -> bool:
    """Whether every draw of every metric in ``arrays`` ({metric: (draws,)}) has the same value (an undefined
    metric, NaN, in the same draws), to :data:`SAME_DRAW_TOLERANCE`."""
    import numpy as np  # numpy loads with a risk run's outputs, not with every validate

    for values in arrays.values():
        v = np.asarray(values, dtype=float)
        if v.size < 2:
            continue
        defined = np.isfinite(v)
        if defined.any() and not defined.all():  # defined in some draws only
            return False
        d = v[defined]
        if d.size and float(d.max() - d.min()) > SAME_DRAW_TOLERANCE * max(1.0, float(np.abs(d).max())):
            return False
    return True


def flat_note(drawn: Sequence[str], arrays: Mapping[str, Floats]) -> str:
    """The words a risk run's outputs give a scenario whose draws are all the same (:data:`NO_INPUTS_NOTE`,
    :data:`NO_EFFECT_NOTE`), else ``""``. ``drawn``: what the scenario draws (:func:`drawn_inputs`); ``arrays``: its
    summary metrics, {metric: (draws,)}. A run of one draw of a scenario with uncertain inputs is not called flat
    (one draw shows no spread, whatever the inputs)."""
    if not drawn:
        return NO_INPUTS_NOTE
    import numpy as np  # numpy loads with a risk run's outputs, not with every validate

    draws = max((np.asarray(v).size for v in arrays.values()), default=0)
    return NO_EFFECT_NOTE if draws > 1 and draws_all_same(arrays) else ""


def run_entry(sc: Scenario, draws: int, seed: int, method: str, note: str) -> dict[str, object]:
    """What a manifest records of a risk run of ``sc`` (``risk``, ``optimise --draws``, the app's export): its draws,
    seed and method, what it draws (:func:`drawn_inputs`), whether every draw is the same (``flat``) and, if so,
    why (``note``: :func:`flat_note`)."""
    return {"draws": int(draws), "seed": int(seed), "method": str(method), "uncertain": drawn_inputs(sc),
            "flat": bool(note), **({"note": note} if note else {})}

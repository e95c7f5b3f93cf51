"""A donor's portfolio: country scenarios, a pooled fund shared by a rule, pooled procurement; each country run with
its share, and the view across countries.

A portfolio file (TOML)::

    [portfolio]
    name = "Pooled fund, East Africa"
    template = "plan-template.toml"    # optional: a plan template for the countries given by their profile

    [[country]]
    scenario = "../scenarios/rwanda-ida-credit.toml"   # relative to this file
    income_group = "low"                                # optional: low | lower-middle | upper-middle | high
    weight = 1.0                                        # optional: the weight of the weighted rule
    values = { "source[mof].budget_share_cap" = 0.02 }  # optional: field-path overrides of the scenario

    [[country]]
    profile = "KEN"          # instead of scenario: the plan template run with the country profile KEN
    values = { "source[ida].commitment" = 80e6 }

    [fund]
    id = "pooled_fund"
    envelope = 50e6          # USD, current prices, over the plans
    rule = "need"            # need | per-learner | weighted | optimal
    per_learner = 2.0        # per-learner: USD per learner
    objective = "reach"      # optimal: the most learners reached (reach) or the most gap closed (gap) first
    co_finances = ["gpe"]    # optional: grants whose match rule counts the fund as co-financing

    [fund.source]            # optional: the fund's own source fields (default: a grant eligible for every cell)
    kind = "loan"            # a regional facility that lends: grant | loan
    terms = "ida21-regular"  # a loan's terms (a term sheet of data/loan_terms.csv, or rate, grace_years, ...)
    eligible = ["connectivity:capex"]
    floor = 1e6              # optional, per country
    ceiling = 20e6           # optional, per country
    group_weights = { low = 1.0, lower-middle = 0.6 }   # optional: the weight of a country without its own

    [[pooled]]               # pooled procurement: a discount on the unit cost of the cost lines of this item
    item = "satellite terminal"
    discount = 0.3
    source = "PLACEHOLDER: ..."   # the public source of the discount, or PLACEHOLDER: and why

**Countries** (:func:`read_country`): a ``[[country]]`` names either its ``scenario`` file or its country ``profile``
(an ISO3 code of ``data/country_profiles.csv``), not both. A profile country's scenario is the portfolio's plan
``template`` (a scenario file, relative to the portfolio file, whose ``[scenario]`` may name any country or none) made
for that country by :func:`country_plan`: ``scenario.country`` the profile's code, ``currency`` the profile's, the
name ``"<template name>: <country name>"``, and the template's values of the fields a profile fills
(:data:`PROFILE_FILLED`: counts, budget, budget growth, prices, exchange rate, debt figures) dropped so that the
profile fills them; then it is validated as any scenario file (every check applies) and its ``values`` apply on top.
Amounts in USD carry over to any country (a USD template's cost lines and sources with amounts are pinned to USD);
amounts in the template's own currency, other than USD, are refused for a country of another currency, as are a
domestic bond (``context.gap_financing``, a rate in the template's currency) and a school table (one country's
schools) of another country. A country's label is its ``name``, else its profile's country name (profile rows) or
its scenario's country code (scenario rows). Its **income group** is the row's ``income_group``, else the World Bank
group of its scenario's country profile (``income_group`` in ``data/country_profiles.csv``), else none.

**Need** is what the fund would pay a country if it had no limit, in nominal USD, after the pooled discounts: its
funding gap before the fund, less what the fund unlocks from the grants it co-finances. **Rules**
(:func:`allocate_envelope`): ``need`` shares the envelope in proportion to need; ``per-learner`` in proportion to
learners (``per_learner`` USD each, the envelope permitting); ``weighted`` in proportion to need x weight. A country's
**weight** is its own ``weight``; without one, its income group's weight in ``[fund] group_weights`` when the fund
gives them (a country whose group has no weight there, or that has no group, is an error naming it), else 1
(:func:`weights_from_groups`). Every rule caps a country at its need and its ceiling, gives it at least its floor
(never above its need), and hands what a capped country cannot take to the others in the same proportions (water-
filling), so the shares add up to the envelope, or to the total need when that is smaller. ``optimal``
(:func:`allocate_optimal`) measures each country's :class:`Response` to the fund with the engine
(:func:`fund_response`: the gap left and the learners reached, at amounts of the share) and gives the shares that
reach the most learners, then close the most gap (or the other way round), then come closest to sharing by need. The
fund joins each country's scenario as a grant in USD with its share as commitment, paying after every other source
(what they leave: the gap).

**Reach.** The optimal rule's ``reach`` counts the learners of the schools connected (:func:`learners_reached`): one
count, since the units of different programmes do not add up. What the fund reaches in every programme, in its
driver's units, is :meth:`PortfolioRun.reach_df` (portfolio_reach.csv): each country's run with its share against its
run without the fund (:func:`programme_reach`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dfl_finance.engine.model import funded_units, simulate
from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.io import read_toml, validate_scenario
from dfl_finance.inputs.profiles import CONTEXT_FIELDS, DEBT_FIELDS, MACRO_FIELDS, country_profiles
from dfl_finance.model.compile import build_model_inputs, cell_order
from dfl_finance.model.load import apply_overrides, load_scenario, scenario_from_dict
from dfl_finance.outputs.formatting import format_money
from dfl_finance.outputs.result import run
from dfl_finance.vocabulary import INCOME_GROUPS, MAX_AMOUNT, MAX_WEIGHT, SHARE_DIGITS, USD

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.engine import Floats
    from dfl_finance.engine.model import ModelInputs, Simulation
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.inputs.profiles import CountryProfile
    from dfl_finance.outputs.result import Result

RULES = ("need", "per-learner", "weighted", "optimal")
#: What a fund may be: a pooled grant, or a regional facility that lends.
FUND_KINDS = ("grant", "loan")
#: Source fields the portfolio sets for the fund, not its ``[fund.source]``.
FUND_SET = ("id", "currency", "commitment", "priority")
#: What the optimal rule maximises first: the learners reached at the plan's end, or the gap closed.
OBJECTIVES = ("reach", "gap")
#: Amounts at which a country's response to the fund is measured, evenly spaced from 0 to its need (besides the
#: amounts at which the fund finishes paying a cost cell).
RESPONSE_POINTS = 33
#: Rounds in which the measured amounts of a response are refined where it bends between them.
REFINE_ROUNDS = 4
#: The optimal rule's later stages hold each earlier objective to this share of its optimum.
HOLD_TOLERANCE = 1e-9
#: A share of the optimal rule within this share of the envelope of its floor, its cap or the need-proportional share
#: is that value (the solver's dust).
SNAP = 1e-6
ALLOCATION_COLUMNS = ["country", "gap_before", "need", "basis", "basis_unit", "share", "capped", "gap_after", "unit"]
EQUITY_COLUMNS = ["country", "income_group", "learners", "gap_per_learner", "reached_share_end",
                  "peak_burden_share", "fund_share", "fund_per_learner", "marginal_gap_closed_per_usd",
                  "marginal_pv_saving_per_usd", "pv_saving_currency", "marginal_learners_reached_per_usd"]
#: portfolio_reach.csv: one row per country and programme. The fund's payments to the programme over the plan (USD,
#: current prices), and in the programme's driver units (none for a ``driver = "none"`` programme): the units it
#: reaches with funded capex by the plan's end without and with the fund, the difference (the units reached thanks to
#: the fund), the unit-years whose running costs are paid thanks to the fund, the units a USD more of the fund
#: reaches, and what of that USD the fund pays the programme (:func:`programme_reach`).
REACH_COLUMNS = ["country", "programme", "driver", "fund_capex", "fund_opex", "reached_funded_before",
                 "reached_funded_after", "reached_by_fund", "unit_years_by_fund", "marginal_reached_per_usd",
                 "marginal_fund_paid_per_usd"]
GROUP_COLUMNS = ["group", "countries", "learners", "need", "fund_share", "gap_after", "gap_per_learner",
                 "reached_share_end", "peak_burden_share"]
#: The decimals of the portfolio tables' numbers as written: amounts to the cent; amounts per learner (cents and less),
#: shares, ratios and reach per USD to SHARE_DIGITS.
_DIGITS = {"fund_share": 2, "gap_per_learner": SHARE_DIGITS, "fund_per_learner": SHARE_DIGITS,
           "reached_share_end": SHARE_DIGITS, "peak_burden_share": SHARE_DIGITS,
           "marginal_gap_closed_per_usd": SHARE_DIGITS, "marginal_pv_saving_per_usd": SHARE_DIGITS,
           "marginal_learners_reached_per_usd": SHARE_DIGITS, "marginal_reached_per_usd": SHARE_DIGITS,
           "marginal_fund_paid_per_usd": SHARE_DIGITS}


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the columns of :data:`_DIGITS` rounded (``-0.0`` as ``0.0``)."""
    for column in df.columns.intersection(list(_DIGITS)):
        df[column] = df[column].astype(float).round(_DIGITS[column]) + 0.0
    return df
#: The fields of a ``[[country]]`` row.
COUNTRY_FIELDS = ("scenario", "profile", "name", "income_group", "weight", "values")
#: What a country profile fills in a scenario (:meth:`~dfl_finance.inputs.profiles.CountryProfile.defaults`), table by
#: table: a plan template's own values of these fields are dropped for a profile country, so that its profile fills
#: them (its ``values`` can still set them).
PROFILE_FILLED: dict[str, tuple[str, ...]] = {"context": (*CONTEXT_FIELDS, "budget_year"),
                                              "macro": (*MACRO_FIELDS, "fx_year", "fx_path"),
                                              "debt": (*DEBT_FIELDS, "data_year")}
#: Step of the finite difference that measures the marginal value of the fund in a country: this share of the
#: larger of its remaining gap and its share (USD).
MARGINAL_STEP = 0.01


@dataclass(frozen=True)
class Fund:
    id: str
    envelope: float
    rule: str
    per_learner: float | None = None
    floor: float = 0.0
    ceiling: float = math.inf
    objective: str = "reach"  # the optimal rule's (OBJECTIVES)
    co_finances: tuple[str, ...] = ()  # ids of grants whose match rule counts the fund as co-financing
    source: dict[str, Any] = field(default_factory=dict)  # the fund's own source fields: a loan's terms, eligibility


@dataclass(frozen=True)
class CountryEntry:
    label: str
    file: Path  # the scenario file, or the plan template of a profile country
    scenario: Scenario
    income_group: str = ""
    weight: float = 1.0
    profile: str = ""  # the country profile (ISO3) of a country made from the plan template


@dataclass(frozen=True)
class Portfolio:
    name: str
    countries: list[CountryEntry]
    fund: Fund
    pooled: list[tuple[str, float, str]] = field(default_factory=list)  # item, discount, source
    file: Path | None = None  # the portfolio file (its problems name it)


def allocate_envelope(basis: Floats, need: Floats, envelope: float, floor: Floats | float = 0.0,
                      ceiling: Floats | float = math.inf) -> Floats:
    """Shares of ``envelope`` in proportion to ``basis``, each at most ``min(need, ceiling)`` and at least
    ``min(floor, need)``: ``clip(k x basis, low, cap)`` with the one factor ``k`` that makes them add up to
    ``min(envelope, sum of the caps)``. A floor lifts only the countries whose proportional share is below it (the
    others give up what that takes, in proportion), and what a capped country cannot take goes to the others in the
    same proportions (water-filling). Countries with no basis get their floor, then, if the envelope is still not
    all given, equal parts of what is left.

    Examples
    --------
    >>> allocate_envelope(np.array([30.0, 10.0]), np.array([30.0, 10.0]), 20.0).tolist()
    [15.0, 5.0]
    >>> allocate_envelope(np.array([1.0, 1.0]), np.array([4.0, 100.0]), 20.0).tolist()  # the first is capped
    [4.0, 16.0]
    >>> allocate_envelope(np.array([30.0, 10.0]), np.array([30.0, 10.0]), 20.0, floor=4.0).tolist()  # not needed
    [15.0, 5.0]
    >>> allocate_envelope(np.array([30.0, 10.0]), np.array([30.0, 10.0]), 20.0, floor=8.0).tolist()
    [12.0, 8.0]
    """
    basis = np.maximum(np.asarray(basis, dtype=float), 0.0)
    cap = np.minimum(np.maximum(np.asarray(need, dtype=float), 0.0), np.asarray(ceiling, dtype=float))
    low = np.minimum(np.broadcast_to(np.asarray(floor, dtype=float), cap.shape), cap)
    if low.sum() > envelope * (1 + 1e-12):
        raise ValueError(f"the floors need {low.sum():,.0f}, more than the envelope of {envelope:,.0f}")
    target = min(float(envelope), float(cap.sum()))
    pos = basis > 0
    share = low.copy()
    if pos.any() and target > low.sum():
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # a tiny basis: a bend beyond floats
            share = _proportional(basis, low, cap, target)
    left = target - share.sum()
    open_ = share < cap - 1e-12 * np.maximum(cap, 1.0)
    for _ in range(cap.size + 1):  # what is left: in proportion to the basis among those open, else equal parts
        if left <= 1e-9 * max(envelope, 1.0) or not open_.any():
            break
        weights = np.where(open_, basis, 0.0)
        weights = weights if weights.sum() > 0 else open_.astype(float)
        take = np.minimum(left * (weights / weights.sum()), cap - share)
        share = share + take
        left -= take.sum()
        open_ = open_ & (share < cap - 1e-12 * np.maximum(cap, 1.0))
    return share


def _proportional(basis: Floats, low: Floats, cap: Floats, target: float) -> Floats:
    """``clip(k x basis, low, cap)`` with the ``k`` at which they add up to ``target``, or at the last bend where a
    share with a basis meets its floor or cap (when the target needs more: those with no basis, or a bend beyond
    floats)."""
    pos = basis > 0
    # g(k) = sum clip(k basis, low, cap) rises piecewise linearly in k, bending where a share meets its floor
    # or its cap: find the stretch where it reaches the target, then k exactly on it
    bends = np.unique(np.concatenate([low[pos] / basis[pos], cap[pos] / basis[pos]]))
    bends = bends[np.isfinite(bends)]
    total = np.clip(bends[:, None] * basis[None, :], low, cap).sum(axis=1)
    i = int(np.searchsorted(total, target))  # the first bend at which g >= target
    if i < bends.size:
        at = bends[i - 1] if i > 0 else 0.0  # inside (at, bends[i]]: the free shares are those strictly inside
        mid = 0.5 * (at + bends[i])
        free = pos & (mid * basis > low) & (mid * basis < cap)
        fixed = np.where(mid * basis <= low, low, cap)
        k = (target - fixed[~free].sum()) / basis[free].sum() if free.any() else bends[i]
        share = np.where(free, k * basis, fixed)
    else:  # past the last bend (a basis so small that its bend overflows): the rest by water-filling below
        share = np.clip((bends[-1] if bends.size else 0.0) * basis, low, cap)
    return share


def allocate_optimal(responses: list[Response], envelope: float, floor: Floats | float = 0.0,
                     ceiling: Floats | float = math.inf, objective: str = "reach") -> Floats:
    """The shares of ``envelope`` that reach the most learners (``objective`` "reach") or close the most gap ("gap")
    over the countries' :class:`Response` curves, each share within ``[min(floor, need), min(ceiling, need)]``.

    Three lexicographic stages, each a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``) over the
    curves, linear between their measured amounts: (1) the objective; (2) at that optimum, the other one; (3) at both
    optima, the shares closest (least total absolute difference) to sharing the envelope by need. A curve with a
    slope that rises somewhere (the fund finishing a cell of another programme before reaching the schools of a later
    year) needs its segments filled in order: a binary per segment boundary (the incremental formulation); a curve
    that only bends down needs none, so a portfolio of such countries is a linear programme. With binaries, the
    stages are solved again as linear programmes with the binaries fixed (exact to the solver's feasibility
    tolerance, not its integrality tolerance), and a share within :data:`SNAP` of the envelope of its floor, cap or
    need-proportional share is set to it (:func:`_snap`).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    C = len(responses)
    need = np.array([r.need for r in responses])
    hi = np.minimum(need, np.broadcast_to(np.asarray(ceiling, dtype=float), (C,)))
    lo = np.minimum(np.broadcast_to(np.asarray(floor, dtype=float), (C,)), hi)
    if lo.sum() > envelope * (1 + 1e-12):
        raise ValueError(f"the floors need {lo.sum():,.0f}, more than the envelope of {envelope:,.0f}")
    length, slopes, owner, ordered = _segments(responses, hi)
    n, nb = len(length), len(ordered)
    if n == 0 or envelope <= 0:
        return lo.copy()
    # amounts in units of the envelope: HiGHS's tolerances apply to shares of it (of a millionth of a need at least)
    unit = max(float(envelope), 1e-6 * float(hi.max()))
    L = np.array(length) / unit
    S = np.array(slopes)  # (n, 2): gap closed, learners reached, per USD
    S = S / np.maximum(np.abs(S).max(axis=0), 1e-300)  # each objective's slopes at most 1
    seg_of = np.array(owner)
    # variables: segments (n), order binaries (nb), then |s_c - target_c| as u+ and u- (2 C)
    N = n + nb + 2 * C
    rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []  # (columns, values, low, high)
    rows.append((np.arange(n), np.ones(n), -np.inf, float(envelope) / unit))
    for c in range(C):
        mine = np.flatnonzero(seg_of == c)
        rows.append((mine, np.ones(mine.size), float(lo[c]) / unit, np.inf))
    for b, (k, k1) in enumerate(ordered):  # delta_k >= L_k z_b and delta_k1 <= L_k1 z_b
        rows.append((np.array([k, n + b]), np.array([1.0, -L[k]]), 0.0, np.inf))
        rows.append((np.array([k1, n + b]), np.array([1.0, -L[k1]]), -np.inf, 0.0))
    target = allocate_envelope(need, need, envelope, lo, hi) / unit
    for c in range(C):  # sum of c's segments - target_c = u+_c - u-_c
        mine = np.flatnonzero(seg_of == c)
        rows.append((np.concatenate([mine, [n + nb + c, n + nb + C + c]]),
                     np.concatenate([np.ones(mine.size), [-1.0, 1.0]]), float(target[c]), float(target[c])))
    upper = np.concatenate([L, np.ones(nb), np.full(2 * C, np.inf)])
    integrality = np.concatenate([np.zeros(n), np.ones(nb), np.zeros(2 * C)])
    first, second = (1, 0) if objective == "reach" else (0, 1)

    def solve(cost: np.ndarray, extra: list[tuple[np.ndarray, np.ndarray, float, float]], low: np.ndarray,
              high: np.ndarray, integer: np.ndarray) -> np.ndarray | None:
        every = rows + extra
        r = np.concatenate([np.full(cols.size, i) for i, (cols, _, _, _) in enumerate(every)])
        matrix = coo_matrix((np.concatenate([v for _, v, _, _ in every]),
                             (r, np.concatenate([cols for cols, _, _, _ in every]))), shape=(len(every), N))
        constraints = LinearConstraint(matrix.tocsr(), [lo_ for _, _, lo_, _ in every], [hi_ for _, _, _, hi_ in every])
        for presolve in (True, False):  # presolve may call held rows infeasible by rounding
            res = milp(cost, integrality=integer, bounds=Bounds(low, high), constraints=constraints,
                       options={"mip_rel_gap": 1e-9, "presolve": presolve})
            if res.x is not None:
                return np.asarray(res.x)
        return None

    def stages(low: np.ndarray, high: np.ndarray, integer: np.ndarray) -> np.ndarray | None:
        """The three stages; each later one holds the earlier optima to HOLD_TOLERANCE, or to up to 1e4 times
        that when the solver finds the held rows infeasible by rounding; a stage that still fails leaves the
        previous stage's solution (None: the first failed)."""
        held: list[tuple[np.ndarray, np.ndarray, float, float]] = []
        x = None
        for which in (first, second, None):
            cost = np.zeros(N)
            if which is None:
                cost[n + nb:] = 1.0
            else:
                cost[:n] = -S[:, which]
            for loosen in (1.0, 1e2, 1e4):
                rows_held = [(cols, v, best - loosen * HOLD_TOLERANCE * max(abs(best), 1.0), np.inf)
                             for cols, v, best, _ in held]
                found = solve(cost, rows_held, low, high, integer)
                if found is not None:
                    break
            if found is None:
                return x
            x = found
            if which is not None:
                held.append((np.arange(n), S[:, which], float(S[:, which] @ x[:n]), np.inf))
        return x

    low = np.zeros(N)
    x = stages(low, upper, integrality)
    if x is None:
        raise ValueError("the optimal allocation could not be solved (HiGHS found no feasible allocation)")
    if nb:  # again as linear programmes with the order binaries fixed: exact, beyond the MIP's integrality tolerance
        z = np.round(x[n:n + nb])
        fixed_low = low.copy()
        fixed_low[n:n + nb] = z
        exact = stages(fixed_low, np.concatenate([L, z, upper[n + nb:]]), np.zeros(N))
        x = x if exact is None else exact
    share = _snap(np.clip(np.bincount(seg_of, weights=x[:n], minlength=C) * unit, lo, hi), [lo, hi, target * unit],
                  SNAP * unit)
    # the solver's tolerances: never more than the envelope, and all of it (or every need) when that is within them
    full = min(float(envelope), float(hi.sum()))
    off = share.sum() - full
    if off > 0 or -off <= 1e-6 * unit:
        room = share - lo if off > 0 else hi - share
        share = share - off * room / max(room.sum(), 1e-300)
    return share


def _segments(responses: list[Response],
              hi: Floats) -> tuple[list[float], list[Floats], list[int], list[tuple[int, int]]]:
    """The straight segments of each country's curve up to its cap ``hi``: their lengths (USD), their slopes (gap
    closed and learners reached per USD, (2,) each), the country of each, and the pairs of neighbouring segments
    that must be filled in order (every pair of a curve whose slope rises somewhere)."""
    length: list[float] = []
    slopes: list[Floats] = []
    owner: list[int] = []
    ordered: list[tuple[int, int]] = []
    for c, r in enumerate(responses):
        a = np.append(r.amount[r.amount < hi[c]], hi[c]) if hi[c] > 0 else np.zeros(1)
        closed = r.gap[0] - np.interp(a, r.amount, r.gap)
        reached = np.interp(a, r.amount, r.reached)
        L = np.diff(a)
        keep = L > 1e-9 * max(hi[c], 1.0)
        L, dg, dr = L[keep], np.diff(closed)[keep], np.diff(reached)[keep]
        sl = np.stack([dg / L, dr / L], axis=1) if L.size else np.zeros((0, 2))
        # merge neighbours of equal slopes (a straight stretch measured at several amounts)
        merged_L: list[float] = []
        merged_s: list[Floats] = []
        for length_k, slope_k in zip(L, sl):
            if merged_s and np.allclose(merged_s[-1], slope_k, rtol=1e-9, atol=1e-12):
                merged_L[-1] += float(length_k)
            else:
                merged_L.append(float(length_k))
                merged_s.append(slope_k)
        first = len(length)
        length += merged_L
        slopes += merged_s
        owner += [c] * len(merged_L)
        rises = any((merged_s[k + 1] > merged_s[k] + 1e-12 * (1 + np.abs(merged_s[k]))).any()
                    for k in range(len(merged_s) - 1))
        if rises:
            ordered += [(first + k, first + k + 1) for k in range(len(merged_L) - 1)]
    return length, slopes, owner, ordered


def _snap(share: Floats, anchors: list[Floats], tol: float) -> Floats:
    """``share`` with each value within ``tol`` of one of its anchors (floor, cap, the need-proportional share) set
    to it, the solver's dust; what that moves goes to the shares left as they were (none left: it is dropped), so
    the total stays."""
    out = share.copy()
    snapped = np.zeros(share.shape, dtype=bool)
    for a in anchors:
        near = ~snapped & (np.abs(share - a) <= tol)
        out[near] = a[near]
        snapped |= near
    free = np.flatnonzero(~snapped)
    if free.size:
        out[free] += (share.sum() - out.sum()) / free.size
    return out


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file: every country scenario is validated (a failing one is reported with its file
    and field, the others still checked), the fund and the pooled discounts are checked.

    Raises
    ------
    ScenarioError
        Every problem, each naming the portfolio file or the country's scenario file and the field.
    """
    path = Path(path)
    raw = read_toml(path, "portfolio file")
    if "portfolio" not in raw and {"scenario", "programme"} & set(raw):
        raise ScenarioError([Problem(str(path), "this is a scenario file, not a portfolio: a portfolio has a "
                                     "[portfolio] table, [[country]] tables naming scenario files or country "
                                     "profiles, and a [fund] (example: examples/portfolio-east-africa.toml)",
                                     has_value=False)])
    problems: list[Problem] = []
    unknown = set(raw) - {"portfolio", "country", "fund", "pooled"}
    for key in sorted(unknown):
        problems.append(Problem(f"{path}: {key}", "unknown table (known: portfolio, country, fund, pooled)",
                                has_value=False))
    template = read_plan_template(path, raw.get("portfolio", {}), problems)
    countries = []
    own_weight: list[tuple[int, bool]] = []  # each country's row, and whether the row gives its weight
    rows = raw.get("country", [])
    if not isinstance(rows, list) or not rows:
        problems.append(Problem(f"{path}: country", "list the countries as [[country]] tables, each with a "
                                "scenario file or a country profile", has_value=False))
        rows = []
    for i, row in enumerate(rows):
        entry = read_country(row, f"{path}: country[{i}]", path.parent, template, problems)
        if entry is not None:
            countries.append(entry)
            own_weight.append((i, isinstance(row, dict) and "weight" in row))
    labels = [c.label for c in countries]
    if len(set(labels)) != len(labels):
        problems.append(Problem(f"{path}: country", "two countries have the same name (give each a name)", labels))
    f = raw.get("fund")
    fund = None
    if not isinstance(f, dict):
        problems.append(Problem(f"{path}: fund", "a [fund] table with id, envelope and rule is required",
                                has_value=False))
    else:
        where = f"{path}: fund"
        extra = set(f) - {"id", "envelope", "rule", "per_learner", "floor", "ceiling", "objective", "co_finances",
                          "group_weights", "source"}
        if extra:
            problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))}", has_value=False))
        envelope = f.get("envelope")
        if not isinstance(envelope, (int, float)) or isinstance(envelope, bool) or not 0 <= envelope < 1e18:
            problems.append(Problem(f"{where}.envelope", "an amount in USD >= 0", envelope))
        if f.get("rule") not in RULES:
            problems.append(Problem(f"{where}.rule", f"one of {', '.join(RULES)}", f.get("rule")))
        per_learner = f.get("per_learner")
        if f.get("rule") == "per-learner" and per_learner is None:
            problems.append(Problem(f"{where}.per_learner", "the per-learner rule needs USD per learner",
                                    has_value=False))
        elif per_learner is not None and (not isinstance(per_learner, (int, float)) or isinstance(per_learner, bool)
                                          or not 0 < per_learner <= MAX_AMOUNT):
            # nan, -1 or inf was taken and said every gap closed (issue 26)
            problems.append(Problem(f"{where}.per_learner", "USD per learner: a number > 0 and finite",
                                    per_learner))
        fid = f.get("id", "pooled_fund")
        if any(fid in {s.id for s in c.scenario.source} for c in countries):
            problems.append(Problem(f"{where}.id", "a country's scenario already has a source with this id", fid))
        objective = f.get("objective", "reach")
        if objective not in OBJECTIVES:
            problems.append(Problem(f"{where}.objective", f"one of {', '.join(OBJECTIVES)} (the optimal rule's)",
                                    objective))
        elif "objective" in f and f.get("rule") in RULES and f.get("rule") != "optimal":  # (a bad rule: named)
            problems.append(Problem(f"{where}.objective", "only the optimal rule has an objective", objective))
        co = f.get("co_finances", [])
        if not isinstance(co, list) or not all(isinstance(x, str) for x in co):
            problems.append(Problem(f"{where}.co_finances", "a list of source ids", co))
            co = []
        for x in co if len(countries) == len(rows) else ():  # a grant with a match rule in some country (when
            # every country could be read: else the problem is theirs)
            if not any(s.id == x and s.match is not None for c in countries for s in c.scenario.source):
                problems.append(Problem(f"{where}.co_finances", "no country has a grant with a match rule and this "
                                        "id", x))
        floor, ceiling = f.get("floor", 0.0), f.get("ceiling", math.inf)
        if not (isinstance(floor, (int, float)) and isinstance(ceiling, (int, float)) and 0 <= floor <= ceiling):
            problems.append(Problem(f"{where}.floor", "floor and ceiling: amounts with 0 <= floor <= ceiling",
                                    [floor, ceiling]))
        if "group_weights" in f:
            countries = weights_from_groups(countries, own_weight, f["group_weights"], path, problems)
        own = f.get("source", {})
        if not isinstance(own, dict):
            problems.append(Problem(f"{where}.source", "a table of the fund's source fields", own))
            own = {}
        elif set(own) & set(FUND_SET):
            problems.append(Problem(f"{where}.source", f"the portfolio sets {', '.join(FUND_SET)} (the fund's id, "
                                    "USD, each country's share, paying last)", sorted(set(own) & set(FUND_SET))))
        elif own.get("kind", "grant") not in FUND_KINDS:
            problems.append(Problem(f"{where}.source.kind", f"one of {', '.join(FUND_KINDS)}", own.get("kind")))
        if not problems:
            fund = Fund(str(fid), float(envelope or 0.0), str(f["rule"]), f.get("per_learner"), float(floor),
                        float(ceiling), str(objective), tuple(co), dict(own))
            for c in countries:  # the fund's source as each country's scenario takes it
                try:
                    with_fund(c.scenario, fund, 0.0)
                except ScenarioError as exc:
                    mine = f"source[{len(c.scenario.source)}]"  # the fund's own fields by their names
                    problems += [Problem(f"{where}.source{q.path[len(mine):]}" if q.path.startswith(mine) else
                                         f"{where}.source", f"{q.message} (in {c.label}'s scenario"
                                         f"{'' if q.path.startswith(mine) else ', ' + q.path})", q.value,
                                         q.has_value) for q in exc.problems]
    pooled = []
    discounts = raw.get("pooled", [])
    if not isinstance(discounts, list):  # (a number here was iterated: a traceback, issue 26)
        problems.append(Problem(f"{path}: pooled", "a list of [[pooled]] tables, each with item, discount and "
                                "source", discounts))
        discounts = []
    for i, p in enumerate(discounts):
        where = f"{path}: pooled[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("item"), str):
            problems.append(Problem(f"{where}.item", "the cost item the discount applies to", has_value=False))
            continue
        d = p.get("discount")
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0 <= d < 1:
            problems.append(Problem(f"{where}.discount", "a share of the unit cost, >= 0 and < 1", d))
            continue
        source = str(p.get("source", "")).strip()
        if not source:
            problems.append(Problem(f"{where}.source", "cite the public source of the discount, or write "
                                    "PLACEHOLDER: and why", has_value=False))
        if not any(line.item == p["item"] for c in countries for prog in c.scenario.programme for line in prog.cost):
            problems.append(Problem(f"{where}.item", "no cost line of any country has this item", p["item"]))
        pooled.append((p["item"], float(d), source))
    if problems or fund is None:
        raise ScenarioError(problems)
    return Portfolio(str(raw.get("portfolio", {}).get("name", path.stem)), countries, fund, pooled, path)


@dataclass(frozen=True)
class PlanTemplate:
    """A portfolio's plan template: its file and its parsed (not yet validated) content (``None``: it could not be
    read, a problem already reported)."""

    file: Path
    raw: dict[str, Any] | None


def read_plan_template(path: Path, table: object, problems: list[Problem]) -> PlanTemplate | None:
    """The ``[portfolio]`` table's plan ``template`` (relative to the portfolio file ``path``), parsed, if it gives
    one; if it cannot be read or is no scenario, a problem at ``portfolio.template`` (appended to ``problems``) and a
    template without content."""
    if not isinstance(table, dict):
        problems.append(Problem(f"{path}: portfolio", "a [portfolio] table with a name (and optionally a template)",
                                table))
        return None
    for key in sorted(set(table) - {"name", "template"}):
        problems.append(Problem(f"{path}: portfolio.{key}", "unknown field (known: name, template)",
                                has_value=False))
    name = table.get("template")
    if name is None:
        return None
    where = f"{path}: portfolio.template"
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(where, "a scenario file, relative to the portfolio file", name))
        return PlanTemplate(path, None)
    file = (path.parent / name).resolve()
    try:
        raw = read_toml(file, "plan template")
    except ScenarioError as exc:
        problems += [Problem(where, f"{p.path}: {p.message}" if p.path else p.message, name) for p in exc.problems]
        return PlanTemplate(file, None)
    if not isinstance(raw.get("scenario"), dict) or "portfolio" in raw or "country" in raw:
        problems.append(Problem(where, f"{file}: a plan template is a scenario file (a [scenario] table, "
                                "[[programme]] and [[source]] tables), not a portfolio", name))
        return PlanTemplate(file, None)
    return PlanTemplate(file, raw)


def read_country(row: object, where: str, folder: Path, template: PlanTemplate | None,
                 problems: list[Problem]) -> CountryEntry | None:
    """One ``[[country]]`` row (``where`` names it in messages): its scenario file (relative to ``folder``) or its
    country profile with the plan ``template``, validated, with its ``values`` on top, its label, income group and
    weight (1 if the row gives none). ``None`` if it has problems (appended to ``problems``)."""
    if not isinstance(row, dict):
        problems.append(Problem(where, "a [[country]] table with a scenario file or a country profile", row))
        return None
    extra = set(row) - set(COUNTRY_FIELDS)
    if extra:
        problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))} (known: "
                                f"{', '.join(COUNTRY_FIELDS)})", has_value=False))
    weight = row.get("weight", 1.0)
    if not is_weight(weight):
        problems.append(Problem(f"{where}.weight", WEIGHT_WORDS, weight))
        weight = 1.0
    group = row.get("income_group")
    if group is not None and group not in INCOME_GROUPS:
        problems.append(Problem(f"{where}.income_group", f"one of {', '.join(INCOME_GROUPS)} (the World Bank's "
                                "income groups)", group))
        group = None
    if "scenario" in row and "profile" in row:
        problems.append(Problem(where, "give the country's scenario file or its country profile, not both",
                                {"scenario": row["scenario"], "profile": row["profile"]}))
        return None
    profiles = country_profiles()
    if "profile" in row:
        iso3 = row["profile"]
        if not isinstance(iso3, str) or iso3 not in profiles:
            problems.append(Problem(f"{where}.profile", f"no country profile with this code in data/ (known: "
                                    f"{known(sorted(profiles))})", iso3))
            return None
        if template is None:
            problems.append(Problem(f"{where}.profile", "a country given by its profile needs the portfolio's plan "
                                    "template: [portfolio] template = \"plan-template.toml\" (a scenario file, "
                                    "relative to the portfolio file)", iso3))
            return None
        if template.raw is None:
            return None  # the template's problem is reported at portfolio.template
        profile = profiles[iso3]
        file = template.file
        try:
            sc = scenario_from_dict(country_plan(template.raw, profile), file=str(file))
        except ScenarioError as exc:
            problems += [Problem(f"{file} for {iso3} ({where}): {p.path}" if p.path else f"{file} for {iso3} "
                                 f"({where})", p.message, p.value, p.has_value) for p in exc.problems]
            return None
    elif isinstance(row.get("scenario"), str):
        profile = None
        file = (folder / row["scenario"]).resolve()
        try:
            sc = load_scenario(file)
        except ScenarioError as exc:  # a file that cannot be read is named by the row that names it
            problems += exc.named_by(f"{where}.scenario", str(file), row["scenario"])
            return None
    else:
        problems.append(Problem(f"{where}.scenario", "the country's scenario file (scenario = \"...\", relative to "
                                "the portfolio file) or its country profile (profile = \"KEN\", with [portfolio] "
                                "template) is required", row.get("scenario"), "scenario" in row))
        return None
    values = row.get("values", {})
    try:  # field-path overrides of the country's scenario (the portfolio's own assumptions)
        sc = apply_overrides(sc, values) if isinstance(values, dict) and values else sc
    except ScenarioError as exc:
        problems += [Problem(f"{where}.values: {p.path}", p.message, p.value, p.has_value) for p in exc.problems]
        return None
    mine = profiles.get(sc.scenario.country or "")
    label = row.get("name") or (profile.name if profile else None) or sc.scenario.country or sc.name
    return CountryEntry(str(label), file, sc, str(group or (mine.income_group if mine else None) or ""),
                        float(weight), profile.iso3 if profile else "")


def country_plan(template: dict[str, Any], profile: CountryProfile) -> dict[str, Any]:
    """The parsed scenario of a profile country: the plan ``template`` (a parsed scenario file) with
    ``scenario.country`` set to the profile's code, ``currency`` to the profile's currency, the name
    ``"<template name>: <country name>"``, and the template's values of the fields that the profile fills
    (:data:`PROFILE_FILLED`) dropped, so that the scenario loader fills them from the profile. The template is not
    changed; the result still has to be validated (:func:`~dfl_finance.inputs.scenario_from_dict`).

    Amounts in USD carry over: in a template in USD, cost lines and domestic or PPP sources with amounts (whose
    currency would otherwise become the country's) are given ``currency = "USD"``.

    Raises
    ------
    ScenarioError
        For a country whose currency is not the template's: amounts of cost lines or sources (``unit_cost``,
        ``annual_cap``, ``commitment``) in the template's currency when that is not USD, and a domestic bond
        (``context.gap_financing``: a rate in the template's currency). For a country other than the template's: a
        school table (``[programme.schools]``, one country's schools). Each problem names the field.
    """
    raw = copy.deepcopy(template)
    given = raw.get("scenario")
    meta: dict[str, Any] = given if isinstance(given, dict) else {}
    ours = meta.get("currency", USD) if isinstance(meta.get("currency", USD), str) else USD
    local = profile.currency or USD
    programmes = [p if isinstance(p, dict) else {} for p in raw.get("programme", [])] \
        if isinstance(raw.get("programme"), list) else []
    sources = [s if isinstance(s, dict) else {} for s in raw.get("source", [])] \
        if isinstance(raw.get("source"), list) else []
    problems = []
    if ours != local:
        foreign = f"{ours}, the template's currency, which is not the currency of {profile.name} ({local})"
        per_country = "leave it out of the template and give each country its own in its values"
        if ours != USD:
            for i, p in enumerate(programmes):
                for j, line in enumerate(p.get("cost", []) if isinstance(p.get("cost"), list) else []):
                    if isinstance(line, dict) and line.get("currency", ours) == ours and "unit_cost" in line:
                        problems.append(Problem(f"programme[{i}].cost[{j}].unit_cost", f"a unit cost in {foreign}: "
                                                "price the line in USD (currency = \"USD\"), or give "
                                                f"{profile.name} its own scenario file", line["unit_cost"]))
            for i, src in enumerate(sources):
                own = src.get("currency") or (USD if src.get("kind") in ("grant", "loan") else ours)
                for name in ("annual_cap", "commitment"):
                    if own == ours and name in src:
                        problems.append(Problem(f"source[{i}].{name}", f"an amount in {foreign}: {per_country} "
                                                f"(\"source[{src.get('id', i)}].{name}\" = ...), or give it in USD "
                                                "(currency = \"USD\")", src[name]))
        context = raw.get("context")
        if isinstance(context, dict) and "gap_financing" in context:
            problems.append(Problem("context.gap_financing", f"a domestic bond's rate in {foreign}: {per_country} "
                                    "(\"context.gap_financing\" = { rate = ..., maturity_years = ... })",
                                    context["gap_financing"]))
    if meta.get("country") != profile.iso3:
        for i, p in enumerate(programmes):
            if "schools" in p:
                problems.append(Problem(f"programme[{i}].schools", f"a school table describes one country's "
                                        f"schools, not {profile.name}'s: give {profile.name} its own scenario file",
                                        p["schools"]))
    if problems:
        raise ScenarioError(problems)
    for table, fields in PROFILE_FILLED.items():
        if isinstance(raw.get(table), dict):
            raw[table] = {k: v for k, v in raw[table].items() if k not in fields}
    if ours == USD != local:  # what the template wrote in USD stays in USD
        for p in programmes:
            for line in p.get("cost", []) if isinstance(p.get("cost"), list) else []:
                if isinstance(line, dict):
                    line.setdefault("currency", USD)
        for src in sources:
            if src.get("kind") in ("domestic", "ppp") and {"annual_cap", "commitment"} & set(src):
                src.setdefault("currency", USD)
    if isinstance(given, dict):
        title = meta.get("name")
        raw["scenario"] = {**meta, **({"name": f"{title}: {profile.name}"} if isinstance(title, str) else {}),
                           "country": profile.iso3, "currency": local}
    return raw


#: What a weight is, in words (:func:`is_weight`).
WEIGHT_WORDS = f"a number from 0 to {MAX_WEIGHT:,.0f} (the weighted rule shares by need × weight)"


def is_weight(value: object) -> bool:
    """Whether ``value`` is a country's weight in the weighted rule: a number from 0 to
    :data:`~dfl_finance.vocabulary.MAX_WEIGHT`."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_WEIGHT


def weights_from_groups(countries: list[CountryEntry], own_weight: list[tuple[int, bool]], table: object,
                        path: Path, problems: list[Problem]) -> list[CountryEntry]:
    """The countries with the weight of their income group in ``[fund] group_weights`` (``table``) where their row
    gives no weight of its own (``own_weight``: each country's row index and whether it gives one). A group that is
    not an income group, a weight that is not a number >= 0, and a country without a weight of its own whose group
    has none (or that has no group) are problems naming the field and the country."""
    where = f"{path}: fund.group_weights"
    if not isinstance(table, dict) or not table:
        problems.append(Problem(where, "a table of weights by income group, e.g. { low = 1.0, lower-middle = 0.6 }",
                                table))
        return countries
    weights = {}
    for group, w in table.items():
        if group not in INCOME_GROUPS:
            problems.append(Problem(f"{where}.{group}", f"not an income group (known: {', '.join(INCOME_GROUPS)})",
                                    group))
        elif not is_weight(w):
            problems.append(Problem(f"{where}.{group}", f"a weight: {WEIGHT_WORDS}", w))
        else:
            weights[group] = float(w)
    out = []
    for c, (i, own) in zip(countries, own_weight):
        if own:
            out.append(c)
        elif not c.income_group:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label} has no income group (neither "
                                    "its [[country]] nor its scenario's country profile gives one) to take its "
                                    "weight from fund.group_weights: give it an income_group or a weight",
                                    has_value=False))
        elif c.income_group not in table:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label}: fund.group_weights has no "
                                    f"weight for this group (it has {', '.join(weights) or 'none'}): add one, or "
                                    "give the country its own weight", c.income_group))
        elif c.income_group in weights:  # (a group's weight that is not one is named above, once)
            out.append(replace(c, weight=weights[c.income_group]))
    return out if len(out) == len(countries) else countries


def discounted(scenario: Scenario, pooled: list[tuple[str, float, str]]) -> Scenario:
    """The scenario with the pooled discounts on the unit costs of the lines of their items."""
    overrides = {f"programme[{i}].cost[{j}].unit_cost": c.unit_cost * (1.0 - d)
                 for item, d, _ in pooled for i, p in enumerate(scenario.programme)
                 for j, c in enumerate(p.cost) if c.item == item}
    return apply_overrides(scenario, overrides) if overrides else scenario


def with_fund(scenario: Scenario, fund: Fund, share: float) -> Scenario:
    """The scenario with the fund as a USD source of ``share`` (``inf``: as much as the country's gap takes) that
    pays after every other source, counted as co-financing by the match rules of the grants it co-finances: a grant,
    or what the fund's ``source`` fields make it (a loan on its terms, eligible cells, a window)."""
    raw = scenario.model_dump(exclude_none=True)
    last = max([s.get("priority", 0) or 0 for s in raw["source"]] + [0])
    for s in raw["source"]:  # domestic sources without a priority pay last: give them one, before the fund
        if s["kind"] == "domestic" and "priority" not in s:
            s["priority"] = last + 1
        if s["id"] in fund.co_finances and "match" in s:
            s["match"]["sources"] = [*s["match"]["sources"], fund.id]
    raw["source"].append({"name": "Pooled fund", "kind": "grant", **fund.source, "id": fund.id, "currency": "USD",
                          "priority": last + 2, **({"commitment": float(share)} if math.isfinite(share) else {})})
    # the school plans are the scenario's already: not planned again
    return validate_scenario(raw, folder=scenario.folder)


def reach_programme(scenario: Scenario) -> int | None:
    """The programme whose reach counts the learners a country reaches: its ``connectivity`` programme, else its
    first programme driven by schools (None: it has none)."""
    schools = [i for i, p in enumerate(scenario.programme) if p.driver == "schools"]
    named = [i for i in schools if scenario.programme[i].id == "connectivity"]
    return (named or schools)[0] if schools else None


@dataclass(frozen=True)
class Response:
    """A country's response to the fund, measured by the engine at amounts of the fund's share (USD, ascending from
    0 to ``need``): the gap left (nominal USD) and the learners reached at the plan's end (the learners of the
    schools that :func:`reach_programme` connects with funded capex, counted fractionally so that the response is
    linear between the amounts at which the fund finishes paying a cost cell)."""

    amount: Floats  # (K,)
    gap: Floats  # (K,)
    reached: Floats  # (K,)

    @property
    def need(self) -> float:
        """The amount of the fund that closes the country's gap."""
        return float(self.amount[-1])

    def at(self, amount: float) -> tuple[float, float]:
        """The gap and learners reached at ``amount`` (linear between the measured amounts)."""
        return (float(np.interp(amount, self.amount, self.gap)), float(np.interp(amount, self.amount, self.reached)))


def _fund_runs(scenario: Scenario, fund: Fund, amounts: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """One engine run of ``scenario`` with the fund at each of ``amounts`` (a draw each; ``inf``: uncapped): the gap
    (nominal USD), the learners reached and what the fund pays (nominal USD), each (K,); the fund's payments per
    year and cell (K, Y, C) in nominal USD as fourth."""
    sc = with_fund(scenario, fund, 0.0)
    j = len(sc.source) - 1
    inp = build_model_inputs(sc, draws=len(amounts), samples={("source", j, "commitment"): np.asarray(amounts)})
    sim = simulate(inp)
    Y = sc.scenario.years
    usd = inp.conversion(True)[:, :Y]  # (K, Y) constant local prices -> nominal USD
    gap = (sim.allocation.gap.sum(axis=2) * usd).sum(axis=1)
    fund_paid = sim.allocation.pay[:, :, j, :] * usd[:, :, None]  # (K, Y, C)
    return gap, learners_reached(sc, inp, sim), fund_paid.sum(axis=(1, 2)), fund_paid


def learners_reached(scenario: Scenario, inp: ModelInputs, sim: Simulation) -> Floats:
    """The learners a simulation of ``scenario`` reaches at the plan's end, each draw (D,): the learners of the
    schools that :func:`reach_programme` connects with funded capex, counted fractionally (0 without such a
    programme)."""
    p = reach_programme(scenario)
    if p is None:
        return np.zeros(sim.cells.shape[0])
    units = funded_units(inp, sim, whole=False)[:, scenario.scenario.years - 1, p]
    count = inp.costs.driver_count[:, p]
    learners = np.asarray(inp.learners, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(count > 0, learners * units / np.where(count > 0, count, 1.0), 0.0), dtype=float)


def programme_reach(result: Result, fund: str | None = None) -> tuple[Floats, Floats, Floats, Floats]:
    """What each programme of a run reaches, and what the source ``fund`` pays it, for the run's draw; (P,) each:

    - the units of its driver it reaches with funded capex by the plan's end (the engine's ``reached_funded``,
      counted fractionally: each year's newly reached units times the share of the programme's capex paid that year);
    - the unit-years whose running costs are paid over the plan: ``sum over years of reached x the share of the
      programme's opex paid that year`` (0 for a programme without opex);
    - what ``fund`` (a source id; None or absent: nothing) pays of its capex, and of its opex, in nominal USD.

    A programme with ``driver = "none"`` has no units: NaN for the first two.
    """
    sc, sim, d = result.scenario, result.sim, result.draw
    Y = sc.scenario.years
    units = funded_units(result.inputs, sim, whole=False)[d, Y - 1]
    opex, gap = sim.cells[d, :, 1::2], sim.allocation.gap[d, :, 1::2]  # (Y, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = np.where(opex > 0, np.clip(1.0 - gap / np.where(opex > 0, opex, 1.0), 0.0, 1.0), 0.0)
    unit_years = (sim.costs.reached[d] * paid).sum(axis=0)
    none = np.array([p.driver == "none" for p in sc.programme], dtype=bool)
    ids = [s.id for s in sc.source]
    if fund in ids:
        usd = result.inputs.conversion(True)[d, :Y]
        pays = (sim.allocation.pay[d, :, ids.index(fund), :] * usd[:, None]).sum(axis=0)  # (C,)
    else:
        pays = np.zeros(2 * len(sc.programme))
    return (np.where(none, np.nan, units), np.where(none, np.nan, unit_years), pays[0::2], pays[1::2])


def fund_response(scenario: Scenario, fund: Fund, points: int = RESPONSE_POINTS) -> Response:
    """The country's :class:`Response` to the fund. Its need is what an uncapped fund pays (the gap before the fund,
    less what the fund unlocks from the grants it co-finances). It is measured at ``points`` amounts evenly spaced
    from 0 to the need and at every amount where the uncapped fund finishes paying a cost cell (in the waterfall's
    order: years, then cells by programme priority); then, in up to :data:`REFINE_ROUNDS` rounds, each stretch
    between two amounts whose midpoint is off the straight line (another source's cap reached inside it: a
    co-financed grant's commitment, say) gets its midpoint and the amount where the lines of its two neighbours
    cross, which is the bend when they are straight."""
    _, _, need, cells = _fund_runs(scenario, fund, np.array([math.inf]))
    total = float(need[0])
    if total <= 0.0:
        amounts = np.array([0.0])
        gap, reached, _, _ = _fund_runs(scenario, fund, amounts)
        return Response(amounts, np.maximum(gap, 0.0), reached)
    per_cell = cells[0][:, cell_order(scenario.programme)]
    bends = np.cumsum(per_cell.reshape(-1))
    amounts = np.unique(np.concatenate([np.linspace(0.0, total, points), bends[bends < total * (1.0 - 1e-9)]]))
    gap, reached, _, _ = _fund_runs(scenario, fund, amounts)
    values = np.stack([gap, reached])  # (2, K)
    for _ in range(REFINE_ROUNDS):
        mids = 0.5 * (amounts[:-1] + amounts[1:])
        at_mid = np.stack(_fund_runs(scenario, fund, mids)[:2])
        tol = 1e-9 * np.maximum(np.abs(values).max(axis=1, keepdims=True), 1.0)
        bent = (np.abs(at_mid - 0.5 * (values[:, :-1] + values[:, 1:])) > tol).any(axis=0)
        if not bent.any():
            break
        slope = np.diff(values, axis=1) / np.diff(amounts)  # (2, K - 1)
        cross = []
        for i in np.flatnonzero(bent[1:-1]) + 1:  # the lines of the stretches before and after i
            for k in range(2):
                s0, s1 = slope[k, i - 1], slope[k, i + 1]
                if abs(s0 - s1) > 1e-12 * max(abs(s0), abs(s1), 1e-300):
                    x = (values[k, i + 1] - values[k, i] + s0 * amounts[i] - s1 * amounts[i + 1]) / (s0 - s1)
                    if amounts[i] < x < amounts[i + 1]:
                        cross.append(x)
        extra = np.setdiff1d(np.array(cross), amounts)
        new_values = np.stack(_fund_runs(scenario, fund, extra)[:2]) if extra.size else np.zeros((2, 0))
        extra, new_values = np.concatenate([mids[bent], extra]), np.concatenate([at_mid[:, bent], new_values], 1)
        amounts, order = np.unique(np.concatenate([amounts, extra]), return_index=True)
        values = np.concatenate([values, new_values], axis=1)[:, order]
    return Response(amounts, np.maximum(values[0], 0.0), values[1])


@dataclass(frozen=True)
class PortfolioRun:
    portfolio: Portfolio
    need: Floats
    basis: Floats
    share: Floats
    before: list[Result]
    after: list[Result]
    responses: list[Response] = field(default_factory=list)  # each country's response to the fund (optimal rule)

    @cached_property
    def more(self) -> list[tuple[float, Result]]:
        """Each country run again with a little more of the fund: the step (USD, :data:`MARGINAL_STEP` of its
        remaining gap or of its share, the larger) and the run (made when first asked: the equity and reach tables
        need it, a sweep of the portfolio's countries does not)."""
        out = []
        for b, r, s in zip(self.before, self.after, self.share):
            step = MARGINAL_STEP * max(r.summary()["total_gap_nominal_usd"], s, 1.0)
            out.append((step, run(with_fund(b.scenario, self.portfolio.fund, s + step), r.basis)))
        return out

    @cached_property
    def marginal(self) -> Floats:
        """(C, 3) what a little more of the fund does in each country, per USD: the gap closed (USD), the PV
        government cost saved (its currency in the run's basis) and the learners of the schools connected
        (:func:`learners_reached`); from the runs of :attr:`more`."""
        out = []
        for r, (step, bigger) in zip(self.after, self.more):
            now, more = r.summary(), bigger.summary()
            reached = [learners_reached(x.scenario, x.inputs, x.sim)[0] for x in (r, bigger)]
            out.append(((now["total_gap_nominal_usd"] - more["total_gap_nominal_usd"]) / step,
                        (now["pv_government_cost"] - more["pv_government_cost"]) / step,
                        (reached[1] - reached[0]) / step))
        return np.array(out)

    def reach_df(self) -> pd.DataFrame:
        """portfolio_reach.csv: for each country and programme, what the fund pays it (capex and opex over the plan,
        USD at current prices) and what it reaches thanks to the fund, in its driver's units
        (:func:`programme_reach`, with the fund against without it): ``reached_funded_before`` and
        ``reached_funded_after`` the units reached with funded capex by the plan's end, ``reached_by_fund`` their
        difference, ``unit_years_by_fund`` the unit-years whose running costs are paid thanks to the fund, and
        ``marginal_reached_per_usd`` the units a USD more of the fund reaches and ``marginal_fund_paid_per_usd``
        what of that USD the fund pays the programme (from :attr:`more`: where the next USD goes). Units are
        counted fractionally (rounded to hundredths); a ``driver = "none"`` programme has none (empty)."""
        import pandas as pd

        fid = self.portfolio.fund.id
        rows = []
        for c, b, r, (step, bigger) in zip(self.portfolio.countries, self.before, self.after, self.more):
            units0, years0, _, _ = programme_reach(b)
            units1, years1, capex, opex = programme_reach(r, fid)
            units2, _, capex2, opex2 = programme_reach(bigger, fid)
            for i, p in enumerate(r.scenario.programme):
                rows.append({"country": c.label, "programme": p.id, "driver": p.driver,
                             "fund_capex": round(float(capex[i]), 2), "fund_opex": round(float(opex[i]), 2),
                             "reached_funded_before": round(float(units0[i]), 2),
                             "reached_funded_after": round(float(units1[i]), 2),
                             "reached_by_fund": round(float(units1[i] - units0[i]), 2),
                             "unit_years_by_fund": round(float(years1[i] - years0[i]), 2),
                             "marginal_reached_per_usd": float(units2[i] - units1[i]) / step,
                             "marginal_fund_paid_per_usd": float(capex2[i] + opex2[i] - capex[i] - opex[i]) / step})
        return _rounded(pd.DataFrame(rows, columns=REACH_COLUMNS))

    def allocation_df(self) -> pd.DataFrame:
        import pandas as pd

        gap_after = [r.summary().get("total_gap_nominal_usd", math.nan) for r in self.after]
        gap_before = [r.summary().get("total_gap_nominal_usd", math.nan) for r in self.before]
        f = self.portfolio.fund
        cap = np.minimum(self.need, f.ceiling)
        unit = ("learners" if f.rule == "optimal" and f.objective == "reach" else
                "USD (current prices) x weight" if f.rule == "weighted" else "USD (current prices)")
        return pd.DataFrame({"country": [c.label for c in self.portfolio.countries], "gap_before": gap_before,
                             "need": np.round(self.need, 2), "basis": np.round(self.basis, 2), "basis_unit": unit,
                             "share": np.round(self.share, 2),
                             "capped": self.share >= cap - 1e-6 * np.maximum(cap, 1.0),
                             "gap_after": np.round(gap_after, 2), "unit": "USD (current prices)"},
                            columns=ALLOCATION_COLUMNS)

    def equity_df(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for c, r, share, m in zip(self.portfolio.countries, self.after, self.share, self.marginal):
            s = r.summary()
            learners = float(r.scenario.context.learners or 0)
            out = r.outcomes_df()
            schools = out[out["driver"] == "schools"]
            ids = set(schools["programme"])
            pid = "connectivity" if "connectivity" in ids else (sorted(ids)[0] if ids else None)
            mine = schools[schools["programme"] == pid]
            reached = float(mine.sort_values("year")["reached_funded_share"].iloc[-1]) if len(mine) else math.nan
            rows.append({"country": c.label, "income_group": c.income_group, "learners": learners,
                         "gap_per_learner": s.get("total_gap_nominal_usd", math.nan) / learners if learners else
                         math.nan, "reached_share_end": reached, "peak_burden_share": s.get("peak_burden_share"),
                         "fund_share": share, "fund_per_learner": share / learners if learners else math.nan,
                         "marginal_gap_closed_per_usd": m[0], "marginal_pv_saving_per_usd": m[1],
                         "pv_saving_currency": r.currency, "marginal_learners_reached_per_usd": m[2]})
        return _rounded(pd.DataFrame(rows, columns=EQUITY_COLUMNS))

    def groups_df(self) -> pd.DataFrame:
        """portfolio_groups.csv: the countries of each income group and of the whole portfolio (``all``): learners,
        need, the fund's share and the gap after it (USD, current prices), the gap per learner, and the reach and
        peak burden share weighted by learners."""
        import pandas as pd

        eq = self.equity_df()
        alloc = self.allocation_df()
        df = eq.merge(alloc[["country", "need", "gap_after"]], on="country")
        rows = []
        for group, g in [("all", df), *((str(k), v) for k, v in df.groupby("income_group", sort=True))]:
            learners = float(g["learners"].sum())
            w = g["learners"] / learners if learners else g["learners"] * 0.0 + 1.0 / len(g)
            rows.append({"group": group, "countries": len(g), "learners": learners,
                         "need": round(float(g["need"].sum()), 2), "fund_share": round(float(g["fund_share"].sum()), 2),
                         "gap_after": round(float(g["gap_after"].sum()), 2),
                         "gap_per_learner": float(g["gap_after"].sum()) / learners if learners else math.nan,
                         "reached_share_end": float((g["reached_share_end"] * w).sum()),
                         "peak_burden_share": float((g["peak_burden_share"].astype(float) * w).sum())})
        return _rounded(pd.DataFrame(rows, columns=GROUP_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every country's run tables with a ``country`` column, and allocation, equity and the groups."""
        import pandas as pd

        per: dict[str, list[pd.DataFrame]] = {}
        for c, r in zip(self.portfolio.countries, self.after):
            for name, df in r.tables().items():
                df.insert(0, "country", c.label)
                per.setdefault(name, []).append(df)
        out = {name: pd.concat(frames, ignore_index=True) for name, frames in per.items()}
        out["allocation"] = self.allocation_df()
        out["portfolio_equity"] = self.equity_df()
        out["portfolio_groups"] = self.groups_df()
        out["portfolio_reach"] = self.reach_df()
        return out


def run_portfolio(portfolio: Portfolio, basis: str = "real-lcu") -> PortfolioRun:
    """Each country with the pooled discounts, its need (what an uncapped fund would pay it), the fund shared by the
    rule, and each country run with its share; the marginal value of the fund in each is
    :attr:`PortfolioRun.marginal`, measured when first asked."""
    scenarios = [discounted(c.scenario, portfolio.pooled) for c in portfolio.countries]
    before = [run(sc, basis) for sc in scenarios]
    fund = portfolio.fund
    responses: list[Response] = []
    if fund.rule == "optimal":
        responses = [fund_response(sc, fund) for sc in scenarios]
        need = np.array([r.need for r in responses])
    else:
        # what an uncapped fund pays, each cell to the cent as the tables write the gap it closes: without
        # co-financing, the need is the gap before the fund to the cent
        need = np.array([max(float(np.round(_fund_runs(sc, fund, np.array([math.inf]))[3][0], 2).sum()), 0.0)
                         for sc in scenarios])
    learners = np.array([float(sc.context.learners or 0) for sc in scenarios])
    if fund.rule in ("need", "optimal"):
        basis_values = need
    elif fund.rule == "weighted":
        basis_values = need * np.array([c.weight for c in portfolio.countries])
    else:
        basis_values = learners * float(fund.per_learner or 0.0)
        need = np.minimum(need, basis_values)  # the formula's amount is the most a country asks
    where = f"{portfolio.file}: fund" if portfolio.file is not None else "fund"
    low = np.minimum(fund.floor, np.minimum(need, fund.ceiling))
    if low.sum() > fund.envelope * (1 + 1e-12):
        raise ScenarioError([Problem(f"{where}.floor", f"the floors need {format_money(low.sum(), 'USD')} (each "
                                     f"country's floor of {format_money(fund.floor, 'USD')}, or its need when that is "
                                     f"less), more than the envelope of {format_money(fund.envelope, 'USD')}: lower "
                                     "the floor or raise the envelope", fund.floor)])
    try:
        if fund.rule == "optimal":
            share = allocate_optimal(responses, fund.envelope, fund.floor, fund.ceiling, fund.objective)
        else:
            share = allocate_envelope(basis_values, need, fund.envelope, fund.floor, fund.ceiling)
    except ValueError as exc:
        raise ScenarioError([Problem(f"{where}.rule", str(exc), has_value=False)]) from None
    if fund.rule == "optimal":  # the basis of the optimal rule: the objective's value at the share
        basis_values = np.array([(r.gap[0] - r.at(x)[0]) if fund.objective == "gap" else r.at(x)[1]
                                 for r, x in zip(responses, share)])
    after = [run(with_fund(sc, fund, s), basis) for sc, s in zip(scenarios, share)]
    return PortfolioRun(portfolio, need, basis_values, share, before, after, responses)

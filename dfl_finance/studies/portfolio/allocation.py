"""The rules that share the fund's envelope among the countries: in proportion to a basis (need, learners, need x
weight; :func:`allocate_envelope`), or the optimal shares over the countries' responses (:func:`allocate_optimal`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dfl_finance.engine import Floats
    from dfl_finance.studies.portfolio.response import Response

#: The optimal rule's later stages hold each earlier objective to this share of its optimum.
HOLD_TOLERANCE = 1e-9
#: A share of the optimal rule within this share of the envelope of its floor, its cap or the need-proportional share
#: is that value (the solver's dust).
SNAP = 1e-6


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
    share: Floats = low.copy()
    if pos.any() and target > low.sum():
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # a tiny basis: a bend beyond floats
            share = _proportional(basis, low, cap, target)
    left = target - share.sum()
    open_ = share < cap - 1e-12 * np.maximum(cap, 1.0)
    for _ in range(cap.size + 1):  # what is left: in proportion to the basis among those open, else equal parts
        if left <= 1e-9 * max(target, 1.0) or not open_.any():  # dust of what is to give, not of the envelope
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
        out: Floats = lo.copy()
        return out
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
    first, second = (0, 1) if objective == "gap" else (1, 0)  # reach, or an outcome measure: the reach curve

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


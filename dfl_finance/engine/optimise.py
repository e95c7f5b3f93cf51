"""The best financing mix: a linear programme over what each source pays in each cost cell and year.

Every rule of the waterfall is linear in the amounts paid, and so is the debt service (a fixed repayment profile
times the disbursements), so the mix that leaves the smallest gap at the lowest cost to the government is the
solution of a linear programme, solved with HiGHS (``scipy.optimize.linprog``) on sparse matrices. The programme is
written out in docs/method.md (*The optimiser*); in short, for one draw:

Variables
    ``x[y, s, c] >= 0`` what source ``s`` pays in cell ``c`` in year ``y`` (only where the source may pay: eligible
    cell, a year of its window, a share cap above 0), at most ``share_cap[s] x cost[y, c]``; ``g[y, c] >= 0`` the gap.
Constraints
    balance ``sum_s x[y, s, c] + g[y, c] = cost[y, c]``; each source's ``annual_cap`` and ``commitment`` (in its own
    nominal currency, through ``conversion``); the domestic envelope ``sum_c x[y, d, c] + w_d service[y] <=
    budget_share_cap[d] x budget[y]`` (the service term with a net envelope, ``w_d`` the source's part of it);
    the match rules ``A[y, g] <= ratio x sum_m A[y, m]``; and the optional limits (:class:`Options`): the burden
    limit in every year of the horizon, a cap on new debt (its face value, or its PV at 5% in USD), a minimum share of
    the plan's cost for a source.
Objective (lexicographic)
    1. the smallest gap (its total, or its present value); 2. at that gap, the smallest PV cost to the government
    (domestic outlay, debt service and PPP payments, discounted as ``pv_government_cost``), each year's flows
    optionally weighted up by ``1 + late_weight x j / (H - 1)``; 3. at that cost, ties broken deterministically: the
    gap falls on the programmes of the lowest priority, and the sources that pay first in the waterfall's order
    pay first.

Shadow prices are the duals of the second stage: what one more unit of a constraint's right-hand side (a source's
commitment or annual cap, a year's budget room or burden limit) saves of PV government cost, the gap held at its
optimum; the first stage's duals give the gap that one more unit would close.

The one difference from the waterfall: a source's ``share_cap`` bounds its share of the cell's *cost* (the waterfall
applies it to what is left when the source's turn comes, which depends on the order), and with a net envelope the
debt service may not exceed ``budget_share_cap x budget`` (the waterfall then lets the domestic source pay 0 and
flags ``service_over_envelope``). Every waterfall allocation that keeps its service within the envelope is a feasible
point of the programme, so the optimum never leaves a larger gap nor, at the same gap, costs more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.dsf import present_value_ahead
from dfl_finance.engine.financing import DOMESTIC, Allocation, SourceInputs
from dfl_finance.engine.loans import common_profile, convolution_matrix, pv_at_disbursement, unit_payments
from dfl_finance.engine.variable_rate import extend_path, variable_unit_matrix
from dfl_finance.vocabulary import DSF_RATIOS, FIRST_STAGES

#: Tolerance (a share of the plan's cost) with which the first stage's optimum is held in the second when holding it
#: exactly is infeasible by rounding: HiGHS's own feasibility tolerance on the scaled programme.
STAGE_TOLERANCE = 1e-7
#: Weight of a unit of gap against the PV cost in the final solve (relative to the largest PV coefficient).
GAP_WEIGHT = 1e4
#: Weight of the tie-break against the PV cost in the second stage (relative to its largest coefficient).
TIE_WEIGHT = 1e-8
#: Payments below this share of the plan's cost are the solver's rounding: set to 0.
DUST = 1e-9


class Infeasible(ValueError):
    """No allocation meets the constraints; ``constraint`` names the (optional) constraint that cannot hold."""

    def __init__(self, constraint: str, message: str) -> None:
        super().__init__(f"{constraint}: {message}")
        self.constraint = constraint
        self.message = message


@dataclass(frozen=True)
class ServiceSpec:
    """A loan's or PPP's payments as a linear function of its disbursements, in constant local prices.

    ``payments[d, j, t]``: what one unit disbursed in year ``t`` costs in year ``j`` (interest, principal,
    front-end fee, less the commitment fee it saves); ``fixed[d, j]``: what it costs whatever is drawn (the
    commitment fee on the whole commitment).
    """

    source: int
    payments: Floats  # (D, H, Y)
    fixed: Floats  # (D, H)
    loan: bool  # a loan (new debt), not a PPP
    external: bool = False  # external public debt (the DSF ratios count it)
    pv_ahead: Floats | None = None  # (D, H, Y) PV at 5% at the end of year j of what one unit disbursed in t still
    # owes, in the loan's currency at current prices (the DSF's PV of debt)
    nominal: Floats | None = None  # (D, H) constant local prices -> the loan's currency at current prices
    pv_new: Floats | None = None  # (D,) external loans and PPPs: the PV at 5% of a tranche of 1 when it is disbursed,
    # at most 1 (:func:`~dfl_finance.engine.loans.pv_of_new_debt`), what a ceiling on the PV of new external debt counts


@dataclass(frozen=True)
class Options:
    """What the optimiser minimises and the optional limits it adds to the waterfall's rules."""

    first: str = "gap"  # one of FIRST_STAGES
    burden_limit: bool = False  # the burden share stays within the scenario's limit in every year
    max_debt: float | None = None  # at most this much disbursed by all loans [constant local prices]
    min_share: tuple[tuple[int, float], ...] = ()  # (source, share of the plan's total cost it pays at least)
    late_weight: float = 0.0  # weight on later years' burden in the second stage
    dsf: bool = False  # the LIC-DSF ratios (baseline plus plan) stay at or below their thresholds in every year
    max_pv_debt: float | None = None  # at most this PV of new external debt [USD, current prices]: each external
    # loan's disbursements at their PV at 5% when disbursed, at most their face value


@dataclass(frozen=True)
class AllocationProblem:
    """What an allocation step needs: the cells' costs and the sources (the waterfall uses these two and the
    budget), and what the optimiser also needs to price the mix."""

    cells: Floats  # (D, Y, C)
    sources: SourceInputs
    budget: Floats  # (D, H)
    recurrent: Floats  # (D, H) the plan's cost after its last year, carried by the government
    discount: Floats  # (D, H)
    burden_limit: Floats  # (D,)
    service: tuple[ServiceSpec, ...] = ()
    dsf: DsfLimits | None = None
    #: (D, H) what the government expects to receive against results in each year ([[source.dli]]: the payments
    #: a fixed source makes, settled on the waterfall's reach), taken off the burden in the burden-limit rows
    receipts: Floats | None = None


@dataclass(frozen=True)
class DsfLimits:
    """What the DSF limits need, nominal USD (D, H) each: the denominators of the four ratios, the baseline's PV of
    debt and debt service, and the thresholds (4,) in the order of DSF_RATIOS (NaN: no limit)."""

    gdp: Floats
    exports: Floats
    revenue: Floats
    base_pv: Floats  # 0 where the baseline is unknown
    base_service: Floats
    thresholds: Floats


@dataclass(frozen=True)
class Constraint:
    """One row of the programme whose right-hand side a reader may want more of, with its duals."""

    kind: str  # commitment, annual_cap, envelope, burden_limit, match_ratio, max_debt, min_share, max_pv_debt
    source: int | None  # the source it belongs to
    year: int | None  # index of the year (0 = start_year)
    value: float  # PV government cost saved per unit more of the right-hand side (second stage)
    gap_value: float  # gap closed per unit more (first stage)
    binding: bool
    rhs: float  # the right-hand side's value


@dataclass(frozen=True)
class DrawSolution:
    pay: Floats  # (Y, S, C)
    gap: Floats  # (Y, C)
    objective: tuple[float, float]  # the gap measure and the PV cost (of the variable part)
    constraints: list[Constraint]
    size: tuple[int, int, int]  # rows, columns, non-zeros of the second stage


@dataclass(frozen=True)
class OptimalAllocation(Allocation):
    """An :class:`~dfl_finance.engine.financing.Allocation` found by the optimiser, with each draw's solution."""

    solutions: list[DrawSolution] = field(default_factory=list, repr=False)


class _Rows:
    """A sparse constraint matrix built row by row (COO), with its right-hand sides and what each row stands for."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.tags: list[tuple[str, int | None, int | None] | None] = []

    def add(self, cols: np.ndarray, vals: np.ndarray | float, rhs: float,
            tag: tuple[str, int | None, int | None] | None = None) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), cols.shape)
        keep = vals != 0.0
        self.rows.append(np.full(int(keep.sum()), len(self.rhs), dtype=np.int64))
        self.cols.append(cols[keep])
        self.vals.append(vals[keep])
        self.rhs.append(float(rhs))
        self.tags.append(tag)

    def matrix(self) -> Any:
        """The rows as a scipy CSR matrix."""
        from scipy import sparse  # scipy (0.3 s) loads with the optimiser, not with every run

        if not self.rhs:
            return sparse.csr_matrix((0, self.n))
        return sparse.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                                 shape=(len(self.rhs), self.n))


def solve_draw(problem: AllocationProblem, d: int, options: Options) -> DrawSolution:
    """The optimal allocation of one draw (see the module's programme).

    Raises
    ------
    Infeasible
        An optional constraint cannot hold (the waterfall's own rules always can: paying nothing is allowed).
    """
    from scipy.optimize import linprog  # scipy (0.3 s) loads with the optimiser, not with every run

    src = problem.sources
    cost = problem.cells[d]  # (Y, C)
    Y, C = cost.shape
    S = src.kind.shape[0]
    H = problem.budget.shape[1]
    budget = problem.budget[d]
    discount = problem.discount[d]
    window = src.window if src.draw_window is None else src.draw_window[d]
    share = src.share_cap[d]
    annual = np.asarray(src.annual_cap[d], dtype=float)
    annual = np.repeat(annual[:, None], Y, axis=1) if annual.ndim == 1 else annual  # (S, Y)
    conv = np.ones((S, Y)) if src.conversion is None else src.conversion[d]  # (S, Y) local real -> source nominal
    cell_rank = np.empty(C, dtype=np.int64)
    cell_rank[np.arange(C) if src.cell_order is None else src.cell_order] = np.arange(C)
    position = np.empty(S, dtype=np.int64)
    position[src.order] = np.arange(S)

    # ---- variables: x[y, s, c] where the source may pay, then g[y, c]
    may = (src.eligible[None, :, :] & window.T[:, :, None] & (share[None, :, None] > 0)
           & (cost[:, None, :] > 0))  # (Y, S, C)
    ys, ss, cs = np.nonzero(may)
    n_x = ys.size
    gy, gc = np.nonzero(np.ones((Y, C), dtype=bool))
    n = n_x + gy.size
    upper = np.concatenate([share[ss] * cost[ys, cs], cost[gy, gc]])
    grouped: dict[tuple[int, int], list[int]] = {}
    for i in range(n_x):
        grouped.setdefault((int(ys[i]), int(ss[i])), []).append(i)
    cols_of = {k: np.asarray(v, dtype=np.int64) for k, v in grouped.items()}

    def annual_cols(s: int, y: int) -> np.ndarray:
        return cols_of.get((y, s), np.zeros(0, dtype=np.int64))

    # what each service source costs in year j per unit of x (dense (H, n) rows built per year when needed)
    services = [(sp.source, sp.payments[d], sp.fixed[d], sp.loan) for sp in problem.service]

    def service_row(j: int) -> tuple[np.ndarray, np.ndarray, float]:
        """The loans' and PPPs' payments of year j: columns, coefficients and the fixed part."""
        parts: list[np.ndarray] = []
        coefs: list[np.ndarray] = []
        fixed = 0.0
        for s, pay, fix, _ in services:
            fixed += float(fix[j])
            for t in range(Y):
                c_ = annual_cols(s, t)
                if c_.size and pay[j, t] != 0.0:
                    parts.append(c_)
                    coefs.append(np.full(c_.size, pay[j, t]))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0), fixed
        return np.concatenate(parts), np.concatenate(coefs), fixed

    # ---- equality rows: balance of every cell and year
    eq = _Rows(n)
    cell_vars: dict[tuple[int, int], list[int]] = {}
    for i in range(n_x):
        cell_vars.setdefault((int(ys[i]), int(cs[i])), []).append(i)
    for k in range(gy.size):
        y, c = int(gy[k]), int(gc[k])
        eq.add(np.asarray([*cell_vars.get((y, c), []), n_x + k], dtype=np.int64), 1.0, float(cost[y, c]))

    # ---- inequality rows
    ub = _Rows(n)
    for s in range(S):
        for y in range(Y):
            c_ = annual_cols(s, y)
            if c_.size and np.isfinite(annual[s, y]):
                ub.add(c_, conv[s, y], annual[s, y], ("annual_cap", s, y))
        if np.isfinite(src.commitment[d, s]):
            yearly = [annual_cols(s, y) for y in range(Y)]
            if any(c_.size for c_ in yearly):
                ub.add(np.concatenate(yearly), np.concatenate([np.full(c_.size, conv[s, y])
                                                               for y, c_ in enumerate(yearly)]),
                       float(src.commitment[d, s]), ("commitment", s, None))
    # the domestic envelope: with a net envelope, each capped domestic source carries its part of the service
    bshare = src.budget_share_cap[d]
    capped = [s for s in range(S) if src.kind[s] == DOMESTIC and np.isfinite(bshare[s])]
    total_share = sum(float(bshare[s]) for s in capped)
    for s in capped:
        w = float(bshare[s]) / total_share if total_share > 0 else 1.0
        for y in range(Y):
            c_ = annual_cols(s, y)
            row_cols, row_vals, fixed = c_, np.ones(c_.size), 0.0
            if src.net_envelope and services:
                sc_, sv_, fixed = service_row(y)
                row_cols, row_vals = np.concatenate([row_cols, sc_]), np.concatenate([row_vals, w * sv_])
                fixed *= w
            if row_cols.size:
                ub.add(row_cols, row_vals, float(bshare[s]) * budget[y] - fixed, ("envelope", s, y))
    # match rules: A[y, g] - ratio x sum_m A[y, m] <= 0
    for g in np.flatnonzero(src.match_ratio > 0):
        for y in range(Y):
            own = annual_cols(int(g), y)
            if not own.size:
                continue
            matched = [annual_cols(int(m), y) for m in np.flatnonzero(src.match_on[g])]
            ub.add(np.concatenate([own, *matched]),
                   np.concatenate([np.ones(own.size), *(np.full(m.size, -src.match_ratio[g]) for m in matched)]),
                   0.0, ("match_ratio", int(g), y))
    optional_start = len(ub.rhs)
    limit = float(problem.burden_limit[d])
    if options.burden_limit:
        domestic = [s for s in range(S) if src.kind[s] == DOMESTIC]
        for j in range(H):
            b_cols, b_vals, fixed = service_row(j)
            if j < Y:
                dom = [annual_cols(s, j) for s in domestic]
                b_cols = np.concatenate([b_cols, *dom])
                b_vals = np.concatenate([b_vals, *(np.ones(c_.size) for c_ in dom)])
            constant = fixed + float(problem.recurrent[d, j])
            if problem.receipts is not None:  # reimbursements against results lower the burden
                constant -= float(problem.receipts[d, j])
            room = limit * float(budget[j])
            if constant > room * (1.0 + 1e-9) + 1e-9:
                raise Infeasible(f"burden_limit[{j}]", f"the burden limit ({limit:.2%} of the budget) cannot hold "
                                 f"in year {j + 1} of the horizon: the plan's recurrent cost and fixed fees alone "
                                 f"are {constant / budget[j]:.2%} of the budget" if budget[j] > 0 else
                                 f"the burden limit cannot hold in year {j + 1}: the budget is 0")
            if b_cols.size:
                ub.add(b_cols, b_vals, room - constant, ("burden_limit", None, j))
    if options.dsf and problem.dsf is not None:
        _dsf_rows(ub, problem.dsf, d, problem.service, annual_cols, Y, H)
    if options.max_debt is not None:
        loans = [sp.source for sp in problem.service if sp.loan]
        ub.add(np.concatenate([annual_cols(s, y) for s in loans for y in range(Y)] or [np.zeros(0, np.int64)]),
               1.0, float(options.max_debt), ("max_debt", None, None))
    if options.max_pv_debt is not None:
        _pv_debt_row(ub, problem.service, d, annual_cols, Y, float(options.max_pv_debt))
    plan_cost = float(cost.sum())
    for s, least in options.min_share:
        ub.add(np.concatenate([annual_cols(s, y) for y in range(Y)] or [np.zeros(0, np.int64)]),
               -1.0, -float(least) * plan_cost, ("min_share", s, None))

    # ---- objectives
    gap_weight = np.ones(gy.size) if options.first == "gap" else discount[gy]
    first = np.concatenate([np.zeros(n_x), gap_weight])
    weight = discount * (1.0 + options.late_weight * np.arange(H) / max(H - 1, 1))
    pv = np.zeros(n)
    pv[:n_x] = np.where(src.kind[ss] == DOMESTIC, weight[ys], 0.0)
    for s, pay, _, _ in services:
        per_year = weight @ pay  # (Y,) PV per unit disbursed in year t
        mine = ss == s
        pv[:n_x][mine] += per_year[ys[mine]]
    # ties: the gap falls on the cells paid last (the lowest priority), the sources that pay first in the
    # waterfall's order pay first; a perturbation too small to change the PV cost beyond 1e-8 of the plan's cost
    tie = np.concatenate([(1.0 + position[ss]) / (S + 1.0), 1.0 + (C - cell_rank[gc]) / (C + 1.0)])

    # in units of the plan's cost (every number near 1 for HiGHS); the duals keep their meaning (d cost / d rhs)
    scale = max(plan_cost, 1.0)
    A_ub, b_ub = ub.matrix(), np.asarray(ub.rhs, dtype=float) / scale
    A_eq, b_eq = eq.matrix(), np.asarray(eq.rhs, dtype=float) / scale
    bounds = np.stack([np.zeros(n), upper / scale], axis=1)

    def solve(c: np.ndarray, A: Any, b: np.ndarray, culprit: bool = True) -> Any:
        res = linprog(c, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 2:
            raise Infeasible(*(_culprit(ub, optional_start, first, A_eq, b_eq, bounds, scale) if culprit else
                               ("gap", "the first stage's optimum cannot be held")))
        if res.status != 0:
            raise RuntimeError(f"the optimiser stopped: {res.message}")
        return res

    from scipy import sparse  # scipy (0.3 s) loads with the optimiser, not with every run

    stage1 = solve(first, A_ub, b_ub)
    gap_opt = float(stage1.fun) * scale
    A2 = sparse.vstack([A_ub, sparse.csr_matrix(first[None, :])], format="csr")
    epsilon = TIE_WEIGHT * max(float(np.abs(pv).max(initial=0.0)), 1.0)
    # the first stage's optimum is held exactly: the gap costs nothing in the second stage, so any room given to it
    # is taken (a gap of the tolerance x the plan's cost where the waterfall leaves none); where rounding makes
    # that infeasible, to the solver's own tolerance, then a hundred times looser
    for tolerance in (0.0, STAGE_TOLERANCE, 100 * STAGE_TOLERANCE):
        b2 = np.append(b_ub, float(stage1.fun) + tolerance * max(float(stage1.fun), 1.0))
        try:
            stage2 = solve(pv + epsilon * tie, A2, b2, culprit=tolerance > STAGE_TOLERANCE)
            break
        except Infeasible:
            if tolerance > STAGE_TOLERANCE:
                raise
    # the allocation itself: the gap weighted far above the PV cost in one objective, so that the tolerance with
    # which the second stage holds the least gap is not traded for cost (the second stage gives the shadow prices)
    held = float(stage1.fun) + STAGE_TOLERANCE * max(float(stage1.fun), 1.0)
    weight = GAP_WEIGHT * max(float(np.abs(pv).max(initial=0.0)), 1.0)
    for _ in range(3):
        final = solve(weight * first + pv + epsilon * tie, A_ub, b_ub)
        if float(first @ final.x) <= held:
            break
        weight *= 100.0  # a PV saving worth more than the weight per unit of gap: weigh the gap more
    x = np.clip(final.x * scale, 0.0, upper)
    pv_opt = float(pv @ x)

    pay = np.zeros((Y, S, C))
    pay[ys, ss, cs] = x[:n_x]
    pay[pay < DUST * scale] = 0.0  # the solver's rounding, not a payment
    paid = pay.sum(axis=1)
    # a cell paid to within the dust is paid in full (no dust left in the gap); a cell paid above its cost by
    # rounding has its payers scaled down: sources + gap = cost in every cell
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where((paid > 0) & (np.abs(cost - paid) <= DUST * scale), cost / np.where(paid > 0, paid, 1.0),
                        np.minimum(np.where(paid > 0, cost / np.where(paid > 0, paid, 1.0), 1.0), 1.0))
    pay *= fill[:, None, :]
    gap = np.maximum(cost - pay.sum(axis=1), 0.0)

    noise = 10.0 * epsilon * (S + C)  # the most the tie-break's weights (at most 2 each) can add to a dual
    m1 = stage1.ineqlin.marginals
    m2 = stage2.ineqlin.marginals[:len(ub.rhs)]
    slack = final.ineqlin.residual[:len(ub.rhs)]
    constraints = []
    for r, tag in enumerate(ub.tags):
        if tag is None:
            continue
        kind, who, when = tag
        # a dual within the tie-break's perturbation is rounding of the tie-break, not a value
        value = -float(m2[r]) if abs(m2[r]) > noise else 0.0
        gap_value = -float(m1[r]) if abs(m1[r]) > 1e-9 else 0.0
        binding = bool(slack[r] <= 1e-7) or value > 0.0 or gap_value > 0.0
        constraints.append(Constraint(kind, who, when, value=value, gap_value=gap_value, binding=binding,
                                      rhs=float(ub.rhs[r])))
    return DrawSolution(pay=pay, gap=gap, objective=(gap_opt, pv_opt), constraints=constraints,
                        size=(A2.shape[0] + A_eq.shape[0], n, int(A2.nnz + A_eq.nnz)))


def _dsf_rows(ub: _Rows, lim: DsfLimits, d: int, service: tuple[ServiceSpec, ...],
              annual_cols: Callable[[int, int], np.ndarray], Y: int, H: int) -> None:
    """Rows ``plan numerator[j] <= max(threshold x denominator[j] - baseline[j], 0)`` of the four DSF ratios,
    every year: the plan's debt may not push a ratio above its threshold, nor add to one that the country's existing
    debt already keeps above it (as ``years_above_<ratio>`` counts)."""
    external = [sp for sp in service if sp.external and sp.pv_ahead is not None and sp.nominal is not None]
    for k, ratio in enumerate(DSF_RATIOS):
        t = float(lim.thresholds[k])
        if not np.isfinite(t):
            continue
        pv = ratio.startswith("pv_")
        denominator = {"pv_debt_gdp": lim.gdp, "pv_debt_exports": lim.exports, "debt_service_exports": lim.exports,
                       "debt_service_revenue": lim.revenue}[ratio][d]
        base = (lim.base_pv if pv else lim.base_service)[d]
        for j in range(H):
            parts, coefs, fixed = [], [], 0.0
            for sp in external:
                per = (sp.pv_ahead[d, j] if pv else sp.payments[d, j] * sp.nominal[d, j])  # type: ignore[index]
                if not pv:
                    fixed += float(sp.fixed[d, j] * sp.nominal[d, j])  # type: ignore[index]
                for y in range(Y):
                    c_ = annual_cols(sp.source, y)
                    if c_.size and per[y] != 0.0:
                        parts.append(c_)
                        coefs.append(np.full(c_.size, per[y]))
            room = max(t * float(denominator[j]) - float(base[j]), 0.0) - fixed
            if not parts:
                if room < -1e-9 * max(abs(t * float(denominator[j])), 1.0):
                    raise Infeasible(f"dsf[{ratio}]", f"the commitment fees alone break the {ratio} limit in "
                                     f"year {j + 1} of the horizon")
                continue
            ub.add(np.concatenate(parts), np.concatenate(coefs), room, ("dsf", k, j))


def _pv_debt_row(ub: _Rows, service: tuple[ServiceSpec, ...], d: int, annual_cols: Callable[[int, int], np.ndarray],
                 Y: int, ceiling: float) -> None:
    """The row ``sum_external sum_y k[s, y] pv_new[s] A[y, s] <= ceiling``: the PV of new external debt in USD at
    current prices (each year's disbursement in the loan's currency times the PV of a tranche of 1 when disbursed)."""
    parts: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    for sp in service:
        if sp.pv_new is None or sp.nominal is None:
            continue
        for y in range(Y):
            c_ = annual_cols(sp.source, y)
            if c_.size:
                parts.append(c_)
                coefs.append(np.full(c_.size, float(sp.nominal[d, y]) * float(sp.pv_new[d])))
    ub.add(np.concatenate(parts) if parts else np.zeros(0, np.int64), np.concatenate(coefs) if coefs else 1.0,
           ceiling, ("max_pv_debt", None, None))


def _culprit(ub: _Rows, optional_start: int, c: np.ndarray, A_eq: Any, b_eq: np.ndarray, bounds: np.ndarray,
             scale: float) -> tuple[str, str]:
    """The optional constraint that makes the programme infeasible: the first group of optional rows without
    which it is feasible (the waterfall's own rules always are)."""
    from scipy.optimize import linprog  # scipy (0.3 s) loads with the optimiser, not with every run

    tags = ub.tags[optional_start:]
    groups: dict[tuple[str, int | None], list[int]] = {}
    for k, tag in enumerate(tags):
        if tag is not None:
            groups.setdefault((tag[0], tag[1]), []).append(optional_start + k)
    A = ub.matrix().tocsr()
    b = np.asarray(ub.rhs, dtype=float) / scale
    for (kind, s), rows in groups.items():
        keep = np.setdiff1d(np.arange(A.shape[0]), rows)
        res = linprog(c, A_ub=A[keep], b_ub=b[keep], A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 0:
            name = kind if s is None else f"{kind}[{s}]"
            return name, "cannot hold with the other rules (without it the mix is feasible)"
    return "constraints", "the optional limits cannot hold together"


def optimise(problem: AllocationProblem, options: Options | None = None,
             progress: Callable[[int], None] | None = None) -> OptimalAllocation:
    """The optimal allocation of every draw: one programme per draw, each draw's mix the best for its own inputs
    (``progress(1)`` after each).

    Raises
    ------
    Infeasible
        In some draw the limits cannot hold; with several draws its constraint names the draw.
    """
    options = options or Options()
    D, Y, C = problem.cells.shape
    S = problem.sources.kind.shape[0]
    pay = np.zeros((D, Y, S, C))
    gap = np.zeros((D, Y, C))
    solutions = []
    for d in range(D):
        try:
            sol = solve_draw(problem, d, options)
        except Infeasible as exc:
            if D == 1:
                raise
            raise Infeasible(exc.constraint, f"{exc.message} (in draw {d})") from None
        pay[d], gap[d] = sol.pay, sol.gap
        solutions.append(sol)
        if progress is not None:
            progress(1)
    return OptimalAllocation(pay=pay, gap=gap, iterations=1, solutions=solutions)


def service_specs(loans: list[tuple[Any, bool]], conversions: dict[bool | str, Floats], commitment: Floats,
                  window: np.ndarray, years: int, horizon: int) -> tuple[ServiceSpec, ...]:
    """The :class:`ServiceSpec` of each loan and PPP (``loans``: pairs of a
    :class:`~dfl_finance.engine.model.LoanSpec` and whether it is a loan, not a PPP): the conventions of
    :func:`~dfl_finance.engine.loans.debt_service`, in the loan's nominal currency, brought back to constant local
    prices with ``conversions[spec.key]`` (D, H): USD, the local currency or another currency (whose amounts the
    debt-sustainability rows take in USD, at ``conversions[True]``). A variable-rate loan pays each year's interest
    at that year's rate (:func:`~dfl_finance.engine.variable_rate.variable_unit_matrix`)."""
    out = []
    for spec, is_loan in loans:
        key = getattr(spec, "key", spec.usd)
        conv = conversions[key]  # (D, H)
        D = conv.shape[0]
        if getattr(spec, "rate_path", None) is not None:
            nominal = np.broadcast_to(variable_unit_matrix(spec.profile, extend_path(spec.rate_path, horizon), years,
                                                           horizon), (D, horizon, years))
        else:
            units = unit_payments(spec.profile, spec.rate, spec.payments_per_year)  # (D, K + 1)
            nominal = convolution_matrix(units, years, horizon)  # (D, H, Y)
        nominal = nominal + spec.front_end_fee * np.eye(horizon, years)[None]
        fixed = np.zeros((D, horizon))
        cf = spec.commitment_fee
        commit = commitment[:, spec.source]
        finite = np.isfinite(commit)
        if cf and finite.any():
            in_window = np.zeros(horizon, dtype=bool)
            in_window[:years] = window[spec.source]
            # the fee in year j on what is undrawn: cf x (commitment - what was drawn before j), in window years
            before = np.tril(np.ones((horizon, years)), -1) * in_window[:, None]
            nominal = nominal - cf * before[None] * finite[:, None, None]
            fixed = cf * np.where(finite, commit, 0.0)[:, None] * in_window[None, :]
        payments = nominal * conv[:, None, :years] / conv[:, :, None]
        pv_ahead = pv_new = None
        if spec.external:  # an external loan, or an availability PPP owed abroad (public external debt)
            pv_new = np.minimum(np.broadcast_to(pv_at_disbursement(spec.profile, spec.rate, spec.front_end_fee,
                                                                   payments_per_year=spec.payments_per_year),
                                                (D,)), 1.0)
            ahead = present_value_ahead(np.atleast_2d(unit_payments(*common_profile(spec.profile, spec.rate),
                                                                    spec.payments_per_year)))
            pv_ahead = convolution_matrix(ahead, years, horizon)  # per unit disbursed, the loan's currency
            pv_ahead = np.broadcast_to(pv_ahead, (D, horizon, years)) * conv[:, None, :years]
        to_usd = conv
        if isinstance(key, str):  # another currency: the PV ahead in USD at the end of each year, at its own path
            to_usd = conversions[True]
            if pv_ahead is not None:
                pv_ahead = pv_ahead * (to_usd / conv)[:, :, None]
        out.append(ServiceSpec(spec.source, payments, fixed / conv, is_loan, external=bool(spec.external),
                               pv_ahead=pv_ahead, nominal=to_usd, pv_new=pv_new))
    return tuple(out)


__all__ = ["FIRST_STAGES", "AllocationProblem", "Constraint", "DrawSolution", "Infeasible", "OptimalAllocation",
           "Options", "ServiceSpec", "DsfLimits", "optimise", "service_specs", "solve_draw"]

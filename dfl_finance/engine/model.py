"""The whole engine as one pure function: :func:`simulate` turns :class:`ModelInputs` (arrays with a leading draw
axis) into a :class:`Simulation`. :func:`dfl_finance.compile.build_model_inputs` makes the inputs of a scenario.

costs -> cells -> allocation (waterfall) -> loans and PPP payments -> fiscal table -> summary metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .costs import CostInputs, CostProjection, project_costs
from .financing import DOMESTIC, GRANT, LOAN, PPP, Allocation, SourceInputs, allocate, cell_costs
from .fiscal import budget_path, cost_metrics, financing_metrics, fiscal_arrays
from .loans import DebtService, debt_service, grant_element


@dataclass(frozen=True)
class LoanSpec:
    source: int  # index of the source
    profile: np.ndarray  # unit repayment profile (K + 1,)
    rate: float
    front_end_fee: float
    commitment_fee: float


@dataclass(frozen=True)
class ModelInputs:
    costs: CostInputs
    sources: SourceInputs
    loans: list[LoanSpec]
    ppps: list[LoanSpec]  # a PPP is repaid like an annuity loan at the return rate with no grace
    n_programmes: int
    education_budget: np.ndarray  # (D,) in the first year [currency/yr]
    budget_growth: np.ndarray  # (D,) [1/yr]
    burden_limit: np.ndarray  # (D,) [share]
    discount_rate: np.ndarray  # (D,) [1/yr]
    learners: np.ndarray  # (D,)

    @property
    def horizon(self) -> int:
        """Years from the first year to the last loan repayment or PPP payment (at least the projection)."""
        tails = [len(spec.profile) - 1 for spec in self.loans + self.ppps]
        return self.costs.years + max(tails, default=0)


@dataclass(frozen=True)
class Simulation:
    costs: CostProjection
    cells: np.ndarray  # (D, Y, C)
    allocation: Allocation
    paid: np.ndarray  # (D, Y, S) what each source paid in each year
    debt: dict[int, DebtService]  # by source index, arrays (D, H)
    ppp: dict[int, DebtService]  # by source index, arrays (D, H): availability payments split into return
    # (interest) and capital (principal)
    fiscal: dict[str, np.ndarray]  # (D, H) each
    metrics: dict[str, np.ndarray] = field(repr=False)  # (D,) each
    loan_grant_element: dict[int, np.ndarray] = field(repr=False)  # by source index, (D,)


def simulate(inp: ModelInputs) -> Simulation:
    """Run the engine over every draw. Pure: arrays in, arrays out."""
    proj = project_costs(inp.costs)
    cells = cell_costs(proj.amount, inp.costs.line_programme, inp.costs.line_kind, inp.n_programmes)
    Y, H = inp.costs.years, inp.horizon
    budget = budget_path(inp.education_budget, inp.budget_growth, H)
    alloc = allocate(cells, inp.sources, budget[:, :Y])
    paid = alloc.pay.sum(axis=3)
    window = inp.sources.window
    debt = {
        spec.source: debt_service(paid[:, :, spec.source], spec.profile, spec.rate, H,
                                  front_end_fee=spec.front_end_fee, commitment_fee=spec.commitment_fee,
                                  commitment=inp.sources.commitment[:, spec.source],
                                  fee_window=window[spec.source])
        for spec in inp.loans
    }
    ppp = {spec.source: debt_service(paid[:, :, spec.source], spec.profile, spec.rate, H) for spec in inp.ppps}
    kind = inp.sources.kind
    D = paid.shape[0]
    zeros = np.zeros((D, H))
    debt_total = sum((d.payments for d in debt.values()), zeros)
    ppp_total = sum((d.payments for d in ppp.values()), zeros)
    domestic = paid[:, :, kind == DOMESTIC].sum(axis=2)
    gap = alloc.gap.sum(axis=2)
    fiscal = fiscal_arrays(budget, domestic, debt_total, ppp_total, gap, inp.burden_limit)
    metrics = cost_metrics(proj, inp.discount_rate, inp.learners)
    metrics.update(financing_metrics(
        total_cost=metrics["total_cost"], paid=paid, kind=kind, gap=gap, fiscal=fiscal,
        discount_rate=inp.discount_rate, external_kinds=(GRANT, LOAN, PPP),
    ))
    loan_ge = {i: grant_element(np.concatenate([paid[:, :, i], np.zeros((D, H - Y))], axis=1), d.payments,
                                inp.discount_rate) for i, d in debt.items()}
    return Simulation(costs=proj, cells=cells, allocation=alloc, paid=paid, debt=debt, ppp=ppp,
                      fiscal=fiscal, metrics=metrics, loan_grant_element=loan_ge)

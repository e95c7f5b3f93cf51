"""The whole engine as one pure function: :func:`simulate` turns :class:`ModelInputs` (arrays with a leading draw
axis) into a :class:`Simulation`. :func:`dfl_finance.model.compile.build_model_inputs` makes the inputs of a scenario.

costs -> cells -> allocation (waterfall, within the net envelope) -> loans and PPP payments (in their own nominal
currency, converted back each year) -> fiscal table -> debt sustainability -> summary metrics.

Every amount is in constant prices of the base year in the local currency (real-lcu); :class:`Prices` converts to
the other bases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from dfl_finance.engine import Bools, Floats
from dfl_finance.engine.costs import CostInputs, CostProjection, project_costs, whole_units
from dfl_finance.engine.discount import present_value, present_value_at
from dfl_finance.engine.dsf import (
    DsfInputs,
    dsf_metrics,
    dsf_paths,
    dsf_ratios,
    present_value_ahead,
    pv_outstanding,
)
from dfl_finance.engine.financing import DOMESTIC, Allocation, SourceInputs, allocate, cell_costs
from dfl_finance.engine.fiscal import budget_path, cost_metrics, financing_metrics, fiscal_arrays, recurrent_metrics
from dfl_finance.engine.instruments import cancel_service, guaranteed_outstanding, split_guarantee_fee
from dfl_finance.engine.loans import (
    DebtService,
    ServiceTerms,
    bought_down,
    common_profile,
    debt_service,
    grant_element,
    unit_payments,
    year_end_equivalent,
)
from dfl_finance.engine.optimise import AllocationProblem, DsfLimits, ServiceSpec, service_specs
from dfl_finance.engine.prices import Prices
from dfl_finance.engine.results import DliEarnings, DliRows, earn, payments
from dfl_finance.engine.variable_rate import at_variable_rate, extend_path
from dfl_finance.vocabulary import EXTERNAL_KINDS, GRANT_ELEMENT_RATE, SOURCE_KINDS, pv_rate_key


@dataclass(frozen=True)
class LoanSpec:
    source: int  # index of the source
    profile: Floats  # (D, K + 1) unit repayment profile of each draw (an annuity's depends on its rate)
    rate: Floats  # (D,) interest or service charge
    front_end_fee: float
    commitment_fee: float
    usd: bool = False  # the credit is in USD; else in the local currency
    external: bool = False  # counts as external public debt (the debt-sustainability view)
    public: bool = True  # the government pays it and owes it (a user-pays PPP: the users pay, a contingent liability)
    payments_per_year: int = 1  # instalments a year (IDA and IBRD: 2): the charge on the balance of each period
    payment_months: tuple[int, ...] = (12,)  # the month of each instalment (where it falls by fiscal year)
    currency: str | None = None  # the credit is in this other currency ([macro.fx.<CODE>]); None: USD or local
    rate_path: Floats | None = None  # (D, Y) a variable rate in each projection year (then its last); None: fixed

    @property
    def key(self) -> bool | str:
        """The key of its conversion in :meth:`ModelInputs.conversions`: the other currency, else ``usd``."""
        return self.currency if self.currency is not None else self.usd
    guarantee_fee: Floats | None = None  # (D,) the part of ``rate`` that is a guarantee fee (None: not guaranteed)
    guaranteed_share: float = 0.0  # the share of its balance a partner guarantees (docs/method.md, *Instruments*)


@dataclass(frozen=True)
class BuyDown:
    """A grant that pays ``share`` of a loan's interest as it falls due, up to ``cap`` (docs/method.md,
    *Multilateral rules*)."""

    source: int  # index of the grant
    loan: int  # index of the loan source whose interest it pays
    share: Floats  # (D,) share of the interest
    cap: Floats  # (D,) what it may pay in all, in the loan's nominal currency (inf = none)


@dataclass(frozen=True)
class GapBond:
    """Domestic market borrowing that would close the gap: nominal local currency, ``profile`` repays it."""

    profile: Floats
    rate: float


@dataclass(frozen=True)
class ModelInputs:
    costs: CostInputs  # over the plan and the years after it (``costs.years >= years``)
    years: int  # Y: years of the plan
    horizon: int  # H: years from start_year to the last payment or post-horizon year
    sources: SourceInputs
    loans: list[LoanSpec]
    ppps: list[LoanSpec]  # a PPP is repaid like an annuity loan at the return rate with no grace
    n_programmes: int
    education_budget: Floats  # (D,) in the first year, constant local prices [currency/yr]
    budget_growth: Floats  # (D, H) real growth into each year [1/yr] (column 0: before start_year)
    burden_limit: Floats  # (D,) [share]
    discount: Floats  # (D, H) discount factors of constant-price flows
    learners: Floats  # (D,)
    prices: Prices
    gap_bond: GapBond | None = None
    dsf: DsfInputs | None = None
    domestic_cap: Floats | None = None  # (D,) sum of the domestic budget_share_caps (NaN = none)
    #: discount factors (D, H) of constant-price flows at other rates (PV_RATES: 5pct, borrowing_rate, social_rate)
    discount_at: dict[str, Floats] = field(default_factory=dict)
    buy_downs: tuple[BuyDown, ...] = ()  # grants that pay part of a loan's interest
    dli: DliRows | None = None  # results-based financing: the [[source.dli]] rows (docs/method.md)
    #: (D, Y) constant local prices: the existing external debt service that swaps cancel in each plan year (None:
    #: no swap); the DSF view takes it off the country's debt service and its PV (docs/method.md, *Instruments*)
    cancelled_service: Floats | None = None
    #: swaps of a loan of the plan: (loan index, (D, Y) the service cancelled each plan year in the loan's nominal
    #: currency); the loan's debt service falls (docs/method.md, *Instruments*)
    loan_swaps: tuple[tuple[int, Floats], ...] = ()

    def conversion(self, usd: bool) -> Floats:
        """(D, H) constant local prices -> nominal local currency (``usd`` False) or nominal USD."""
        return self.prices.to_currency(usd, self.horizon)

    def conversions(self) -> dict[bool | str, Floats]:
        """:meth:`conversion` to local currency (False) and USD (True), and to each other currency a loan or PPP is
        in (by its code), (D, H) each."""
        out: dict[bool | str, Floats] = {False: self.conversion(False), True: self.conversion(True)}
        for spec in self.loans + self.ppps:
            if spec.currency is not None and spec.currency not in out:
                out[spec.currency] = self.prices.to_other(spec.currency, self.horizon)
        return out


@dataclass(frozen=True)
class Simulation:
    costs: CostProjection  # over the plan years
    cells: Floats  # (D, Y, C)
    allocation: Allocation
    paid: Floats  # (D, Y, S) what each source paid in each year
    debt: dict[int, DebtService]  # by source index, arrays (D, H), constant local prices
    ppp: dict[int, DebtService]  # by source index, arrays (D, H): availability payments split into return
    # (interest) and capital (principal)
    fiscal: dict[str, Floats]  # (D, H) each
    metrics: dict[str, Floats] = field(repr=False)  # (D,) each
    loan_grant_element: dict[int, Floats] = field(repr=False)  # by source index, (D,)
    reached_funded: Floats = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))  # (D, Y, P)
    plan_cost: Floats = field(repr=False, default_factory=lambda: np.zeros((0, 0)))  # (D, H) incl. after the plan
    dsf: dict[str, Floats] = field(repr=False, default_factory=dict)  # (D, H) each
    ppp_value_for_money: dict[int, Floats] = field(repr=False, default_factory=dict)  # by source index, (D,)
    #: (D, N, L) the cost of every line over the plan and the years after it (N = Y + post-horizon years): the
    #: projection the plan's years are a view of, so keeping it costs no memory (the GFS accounts read it)
    line_cost: Floats = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))
    bought_down: dict[int, Floats] = field(repr=False, default_factory=dict)  # by buy-down grant, (D, H) constant
    # local prices: the interest it pays instead of the government
    #: (D, Y, S) what each source pays against results ([[source.dli]]) in each year, constant local prices; it is
    #: in ``paid`` too, and reimburses the government (the fiscal table's results_receipts)
    results_paid: Floats = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))
    dli: DliEarnings | None = field(repr=False, default=None)  # what each DLI row earns, when and when it is paid
    #: by guaranteed loan, (D, H) constant local prices: the guaranteed part of its balance at the end of each year, a
    #: contingent liability of the guarantor (docs/method.md, *Instruments*)
    guaranteed: dict[int, Floats] = field(repr=False, default_factory=dict)
    #: by loan a swap cancels service of, (D, H) constant local prices: the service cancelled
    cancelled: dict[int, Floats] = field(repr=False, default_factory=dict)


def _service_terms(inp: ModelInputs, spec: LoanSpec, conversion: Floats) -> ServiceTerms:
    Y = inp.years
    bd = next((b for b in inp.buy_downs if b.loan == spec.source), None)
    return ServiceTerms(spec.source, spec.profile, spec.rate, spec.front_end_fee, spec.commitment_fee,
                        inp.sources.commitment[:, spec.source], inp.sources.window[spec.source],
                        np.ascontiguousarray(conversion[:, :Y].T), None if bd is None else bd.share,
                        None if bd is None else bd.cap, spec.payments_per_year,
                        rate_path=None if spec.rate_path is None else spec.rate_path[:, :Y])


def _bought_down(nominal: DebtService, real: DebtService, bd: BuyDown,
                 conversion: Floats) -> tuple[DebtService, DebtService, Floats]:
    """A loan's debt service with a buy-down: the interest the government pays is what the grant does not (in the
    loan's nominal currency and in constant local prices), and what the grant pays, in constant local prices."""
    relief = bought_down(nominal.interest, bd.share, bd.cap)
    return (replace(nominal, interest=nominal.interest - relief),
            replace(real, interest=(nominal.interest - relief) / conversion), relief / conversion)


def _guaranteed(nominal: DebtService, real: DebtService, spec: LoanSpec, fee_rate: Floats,
                conversion: Floats) -> tuple[DebtService, DebtService, Floats]:
    """A guaranteed loan's debt service with its charge split into interest and the guarantee fee (in the loan's
    nominal currency and in constant local prices), and the guaranteed part of its balance in constant local
    prices."""
    interest, fee = split_guarantee_fee(nominal.interest, spec.rate, fee_rate)
    return (replace(nominal, interest=interest, fees=nominal.fees + fee),
            replace(real, interest=interest / conversion, fees=real.fees + fee / conversion),
            guaranteed_outstanding(real.outstanding, spec.guaranteed_share))


def _swapped(nominal: DebtService, real: DebtService, service: Floats,
             conversion: Floats) -> tuple[DebtService, DebtService, Floats]:
    """A loan's debt service with the service a swap cancels taken off (interest first, then principal), in its
    nominal currency and in constant local prices, and what was cancelled in constant local prices."""
    H, Y = nominal.interest.shape[1], service.shape[1]
    interest, principal, gone = cancel_service(nominal.interest, nominal.principal,
                                               np.pad(service, ((0, 0), (0, H - Y))))
    return (replace(nominal, interest=interest, principal=principal),
            replace(real, interest=interest / conversion, principal=principal / conversion), gone / conversion)


def _in_currency(paid: Floats, spec: LoanSpec, conversion: Floats, horizon: int, commitment: Floats,
                 window: Bools) -> tuple[DebtService, DebtService]:
    """Debt service of one loan in its nominal currency, and the same in constant local prices."""
    Y = paid.shape[1]
    nominal = debt_service(paid * conversion[:, :Y], spec.profile, spec.rate, horizon,
                           front_end_fee=spec.front_end_fee, commitment_fee=spec.commitment_fee,
                           commitment=commitment, fee_window=window, payments_per_year=spec.payments_per_year)
    # a loan without fees has none in any basis (0 / a positive rate is 0): no division for them
    fees = nominal.fees / conversion if spec.front_end_fee or spec.commitment_fee else np.zeros_like(nominal.fees)
    if spec.rate_path is not None:  # a variable rate: the interest of each year at that year's rate
        nominal = at_variable_rate(nominal, extend_path(spec.rate_path, horizon))
    real = DebtService(disbursed=nominal.disbursed / conversion, interest=nominal.interest / conversion,
                       principal=nominal.principal / conversion, fees=fees,
                       outstanding=nominal.outstanding / conversion)
    return nominal, real


def _usd(amount: Floats, factor: Floats | None) -> Floats:
    """An amount in a loan's nominal currency in USD: times ``factor`` (USD per unit of its currency, (D, H)) for a
    loan in another currency; a loan in USD (None) as it is."""
    return amount if factor is None else np.asarray(amount * factor, dtype=float)


def reached_funded(proj: CostProjection, existing: Floats, capex_cells: Floats, capex_gap: Floats,
                   whole: bool = True) -> Floats:
    """Units reached with the capex that is funded: each year's newly reached units times the funded share of the
    programme's capex that year, accumulated from the units reached before start_year; (D, Y, P). In whole units,
    or (``whole`` False) as the exact fractional count, linear in each year's funded share.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        funded = np.where(capex_cells > 0, 1.0 - capex_gap / np.where(capex_cells > 0, capex_cells, 1.0), 1.0)
    before = np.concatenate([existing[:, None, :], proj.reached[:, :-1, :]], axis=1)
    new = proj.reached - before
    units = existing[:, None, :] + np.cumsum(new * np.clip(funded, 0.0, 1.0), axis=1)
    return np.asarray(np.floor(units + 0.5 - 1e-9) if whole else units, dtype=float)


def funded_units(inp: ModelInputs, sim: Simulation, whole: bool = True) -> Floats:
    """:func:`reached_funded` of a simulation of ``inp`` (D, Y, P): the units each programme reaches with the capex
    that is funded."""
    existing = whole_units(inp.costs.driver_count * inp.costs.start_share)
    return reached_funded(sim.costs, existing, sim.cells[:, :, 0::2], sim.allocation.gap[:, :, 0::2], whole)


#: An allocation step: the waterfall (None, :func:`~dfl_finance.engine.financing.allocate`) or the optimiser
#: (:func:`~dfl_finance.engine.optimise.optimise` with its options), given the whole allocation problem.
AllocationStep = Callable[[AllocationProblem], Allocation]


def allocation_problem(inp: ModelInputs) -> AllocationProblem:
    """The allocation problem of the inputs, as :func:`simulate` poses it to its allocation step."""
    return _pose(inp, project_costs(inp.costs))[0]


def _pose(inp: ModelInputs, full: CostProjection) -> tuple[AllocationProblem, CostProjection,
                                                          dict[bool | str, Floats], Floats]:
    Y, H = inp.years, inp.horizon
    proj = CostProjection(*(a[:, :Y] for a in (full.reached, full.reached_share, full.quantity, full.price,
                                                full.amount)))
    cells = cell_costs(proj.amount, inp.costs.line_programme, inp.costs.line_kind, inp.n_programmes)
    budget = budget_path(inp.education_budget, inp.budget_growth, H)
    conv = inp.conversions()
    specs = inp.loans + [s for s in inp.ppps if s.public]  # a user-pays PPP costs the budget nothing
    src = inp.sources
    if src.net_envelope and specs:
        src = replace(src, service=tuple(_service_terms(inp, s, conv[s.key]) for s in specs))
    D = cells.shape[0]
    plan_cost = np.zeros((D, H))
    n_cost = min(full.amount.shape[1], H)
    plan_cost[:, :n_cost] = full.amount[:, :n_cost].sum(axis=2)
    recurrent = np.where(np.arange(H)[None, :] >= Y, plan_cost, 0.0)  # carried by the government after the plan
    limits = None
    if inp.dsf is not None:
        paths = dsf_paths(inp.dsf, inp.prices.window(inp.prices.usd, H), inp.prices.window(inp.prices.rer, H))
        limits = DsfLimits(gdp=paths.gdp, exports=paths.exports, revenue=paths.revenue,
                           base_pv=np.nan_to_num(paths.base_pv), base_service=np.nan_to_num(paths.base_service),
                           thresholds=inp.dsf.thresholds)
    problem = AllocationProblem(cells=cells, sources=src, budget=budget, recurrent=recurrent, discount=inp.discount,
                                burden_limit=inp.burden_limit, dsf=limits)
    return problem, proj, conv, plan_cost


def _domestic_pv_usd(inp: ModelInputs, nominal: dict[int, DebtService], gap: Floats,
                     conv: dict[bool | str, Floats]) -> Floats:
    """PV at the end of each year, at the framework's 5%, of the plan's domestic debt in nominal USD (D, H): its loans
    and availability PPPs in local currency, and the gap bond of ``[context] gap_financing`` (what would close the
    gap)."""
    Y, H = inp.years, inp.horizon
    D = gap.shape[0]
    local = sum((pv_outstanding(nominal[s.source].disbursed[:, :Y],
                                unit_payments(*common_profile(s.profile, s.rate), s.payments_per_year), H)
                 for s in inp.loans + inp.ppps if s.public and not s.external), np.zeros((D, H)))
    if inp.gap_bond is not None:
        local = local + pv_outstanding(gap * conv[False][:, :Y], unit_payments(inp.gap_bond.profile,
                                                                               inp.gap_bond.rate), H)
    return np.asarray(local * conv[True] / conv[False], dtype=float)  # nominal local currency -> nominal USD


def value_for_money(capex: Floats, payments: Floats, inp: ModelInputs, nominal: Floats) -> Floats:
    """A PPP against the public sector comparator (D,): the PV of building what it finances with the budget (its
    capex, paid when built) minus the PV of its availability payments, both at the government's rate, in constant
    prices of the price year at start_year. Positive: the PPP costs the government less.

    The government's rate is that of its market borrowing (``[context] gap_financing``, nominal: the nominal flows
    are discounted at it); without it, the scenario's discount rate. ``capex`` (D, Y) and ``payments`` (D, H) are in
    constant local prices; ``nominal`` (D, H) turns them into nominal local currency (a known answer by hand in
    tests/test_dsf.py).
    """
    Y, H = capex.shape[1], payments.shape[1]
    if inp.gap_bond is None:
        return np.asarray(present_value_at(capex, inp.discount) - present_value_at(payments, inp.discount),
                          dtype=float)
    rate = np.full(capex.shape[0], inp.gap_bond.rate)
    built, paid = present_value(capex * nominal[:, :Y], rate), present_value(payments * nominal[:, :H], rate)
    return np.asarray((built - paid) / nominal[:, 0], dtype=float)


def simulate(inp: ModelInputs, allocation: AllocationStep | None = None) -> Simulation:
    """Run the engine over every draw. Pure: arrays in, arrays out. ``allocation``: the step that decides who pays
    what (default: the waterfall); the rest of the engine is the same for every step."""
    full = project_costs(inp.costs)
    Y, H = inp.years, inp.horizon
    problem, proj, conv, plan_cost = _pose(inp, full)
    cells, budget, src, recurrent = problem.cells, problem.budget, problem.sources, problem.recurrent
    if allocation is None:
        alloc = allocate(cells, src, budget[:, :Y])
    else:
        specs = [(s, True) for s in inp.loans] + [(s, False) for s in inp.ppps if s.public]
        service = service_specs(specs, conv, inp.sources.commitment, inp.sources.window, Y, H)
        receipts = None
        if inp.dli is not None:  # a DLI source in the mix: a fixed source, its payments expected on the waterfall's
            service, receipts = _results_as_fixed(inp, problem, proj, service)  # reach
        alloc = allocation(replace(problem, service=service, receipts=receipts))
    existing = whole_units(inp.costs.driver_count * inp.costs.start_share)
    # capex cells are the even ones (line_cells): the funded share of each programme's capex
    funded = reached_funded(proj, existing, cells[:, :, 0::2], alloc.gap[:, :, 0::2])
    results_paid = np.zeros_like(alloc.pay.sum(axis=3))
    receipts = np.zeros(results_paid.shape[:2])
    earnings = None
    if inp.dli is not None:  # results-based financing: paid when the funded reach earns it (pre-financed)
        earnings, results_paid, outcome_paid = results_financing(inp, proj, funded)
        if allocation is None:  # the net envelope deducts a DLI credit's debt service as any credit's
            alloc, funded, (earnings, results_paid, outcome_paid) = _net_of_results_credits(
                inp, problem, proj, existing, alloc, (earnings, results_paid, outcome_paid))
    paid = alloc.pay.sum(axis=3)
    if inp.dli is not None:
        paid = paid + results_paid
        # what the government receives, less the outcome payments it makes on outcome bonds
        receipts = results_paid.sum(axis=2) - outcome_paid
    window = inp.sources.window
    commitment = inp.sources.commitment
    nominal: dict[int, DebtService] = {}
    debt: dict[int, DebtService] = {}
    bought: dict[int, Floats] = {}
    guaranteed: dict[int, Floats] = {}
    cancelled: dict[int, Floats] = {}
    for spec in inp.loans:
        nominal[spec.source], debt[spec.source] = _in_currency(paid[:, :, spec.source], spec, conv[spec.key], H,
                                                               commitment[:, spec.source], window[spec.source])
        if spec.guarantee_fee is not None:
            nominal[spec.source], debt[spec.source], guaranteed[spec.source] = _guaranteed(
                nominal[spec.source], debt[spec.source], spec, spec.guarantee_fee, conv[spec.usd])
        for loan, cancel in inp.loan_swaps:
            if loan == spec.source:
                nominal[loan], debt[loan], cancelled[loan] = _swapped(nominal[loan], debt[loan], cancel,
                                                                      conv[spec.usd])
        for bd in inp.buy_downs:
            if bd.loan == spec.source:
                nominal[spec.source], debt[spec.source], bought[bd.source] = _bought_down(
                    nominal[spec.source], debt[spec.source], bd, conv[spec.key])
    ppp: dict[int, DebtService] = {}
    for spec in inp.ppps:
        nominal[spec.source], ppp[spec.source] = _in_currency(paid[:, :, spec.source], spec, conv[spec.key], H,
                                                              commitment[:, spec.source], window[spec.source])
    kind = inp.sources.kind
    D = paid.shape[0]
    zeros = np.zeros((D, H))
    debt_total = sum((d.payments for d in debt.values()), zeros)
    ppp_total = sum((ppp[s.source].payments for s in inp.ppps if s.public), zeros)  # what the government pays
    domestic = paid[:, :, kind == DOMESTIC].sum(axis=2)
    gap = alloc.gap.sum(axis=2)
    fiscal = fiscal_arrays(budget, domestic, debt_total, ppp_total, gap, inp.burden_limit,
                           domestic_cap=inp.domestic_cap, net=inp.sources.net_envelope, recurrent=recurrent,
                           receipts=receipts)
    fiscal["plan_cost"] = plan_cost
    metrics = cost_metrics(proj, inp.discount[:, :Y], inp.learners)
    external_kinds = tuple(SOURCE_KINDS.index(k) for k in EXTERNAL_KINDS)
    external = np.isin(kind, external_kinds)
    metrics.update(financing_metrics(
        total_cost=metrics["total_cost"], paid=paid, kind=kind, gap=gap, fiscal=fiscal,
        discount=inp.discount, external_kinds=external_kinds,
        to_usd=conv[True],
    ))
    semi = [s for s in inp.loans if s.payments_per_year != 1]
    # each loan's payments at their dates, once: the external mix's grant element and the loan's own read them
    dated = {s.source: _dated_payments(nominal[s.source], s.payments_per_year) for s in inp.loans if s.source in debt}
    if semi:  # the external mix's grant element with each loan's instalments at their dates, as each loan's own
        earlier = sum(((dated[s.source] - nominal[s.source].payments) / conv[s.usd] for s in semi), zeros)
        received = np.concatenate([paid[:, :, external].sum(axis=2), np.zeros((D, H - Y))], axis=1)
        metrics["grant_element_external"] = grant_element(received * conv[True],
                                                          (debt_total + ppp_total + earlier) * conv[True],
                                                          np.full(D, GRANT_ELEMENT_RATE))
    metrics.update(recurrent_metrics(paid[:, :, external].sum(axis=2), plan_cost, budget, Y))
    for rate, factors in inp.discount_at.items():  # the government cost at three rates (PV_RATES)
        metrics[pv_rate_key(rate)] = present_value_at(fiscal["government_burden"], factors)
    if inp.gap_bond is not None:
        bond = debt_service(gap * conv[False][:, :Y], inp.gap_bond.profile, inp.gap_bond.rate, H)
        metrics["pv_government_cost_full_delivery"] = (metrics["pv_government_cost"]
                                                       + present_value_at(bond.payments / conv[False], inp.discount))
    pad = np.zeros((D, H - Y))
    loan_ge = {i: grant_element(np.concatenate([nominal[i].disbursed[:, :Y], pad], axis=1), dated[i],
                                np.full(D, GRANT_ELEMENT_RATE)) for i in (s.source for s in inp.loans) if i in debt}
    dsf: dict[str, Floats] = {}
    if inp.dsf is not None:
        usd = inp.prices.window(inp.prices.usd, H)
        rer = inp.prices.window(inp.prices.rer, H)
        # external debt: loans in USD, and availability PPPs in USD (their capital is public debt, GFSM 2014)
        abroad = [s for s in inp.loans + inp.ppps if s.external and s.public]
        # in USD: a loan in another currency converted each year at its own path (USD per unit of it)
        to_usd = {s.source: conv[True] / conv[s.key] for s in abroad if s.currency is not None}
        external_service = sum((_usd(nominal[s.source].payments, to_usd.get(s.source)) for s in abroad), zeros)
        pv = sum((_usd(pv_outstanding(nominal[s.source].disbursed[:, :Y],
                                      unit_payments(*common_profile(s.profile, s.rate), s.payments_per_year), H),
                       to_usd.get(s.source))
                  for s in abroad), zeros)
        if inp.cancelled_service is not None:  # a swap: the cancelled service no longer falls due, nor counts in PV
            legacy = np.pad(inp.cancelled_service, ((0, 0), (0, H - Y))) * conv[True]
            external_service = external_service - legacy
            pv = pv - present_value_ahead(legacy)
        for s in abroad:  # a swap of a plan loan: its payments are already net; what is still to be cancelled
            if s.source in cancelled:  # is not owed either
                pv = pv - present_value_ahead(cancelled[s.source] * conv[True])
        # contingent: the capital of user-pays PPPs (the government's only if the operator fails)
        ppp_capital = sum((ppp[s.source].outstanding for s in inp.ppps if not s.public), zeros) * conv[True]
        dsf = dsf_ratios(pv, external_service, ppp_capital, inp.dsf, usd, rer,
                         domestic_pv_usd=_domestic_pv_usd(inp, nominal, gap, conv))
        if guaranteed:  # memo: the guarantors' contingent liability (not in the country's ratios)
            dsf["guaranteed_gdp"] = sum(guaranteed.values(), zeros) * conv[True] / dsf["gdp"]
        # the years of the plan and of its repayments, as in dsf.csv
        owed = debt_total + ppp_total
        last = np.where(owed > 0, np.arange(H)[None, :], -1).max(axis=1)
        metrics.update(dsf_metrics(dsf, inp.dsf.thresholds, np.maximum(last + 1, Y).astype(float),
                                   inp.dsf.public_benchmark))
    vfm = {s.source: value_for_money(paid[:, :, s.source], ppp[s.source].payments, inp, conv[False])
           for s in inp.ppps if s.public}
    return Simulation(costs=proj, cells=cells, allocation=alloc, paid=paid, debt=debt, ppp=ppp,
                      fiscal=fiscal, metrics=metrics, loan_grant_element=loan_ge, reached_funded=funded,
                      plan_cost=plan_cost, dsf=dsf, ppp_value_for_money=vfm, line_cost=full.amount,
                      bought_down=bought, guaranteed=guaranteed, cancelled=cancelled,
                      results_paid=results_paid, dli=earnings)


def _net_of_results_credits(inp: ModelInputs, problem: AllocationProblem, proj: CostProjection, existing: Floats,
                            alloc: Allocation, settled: tuple[DliEarnings, Floats, Floats]
                            ) -> tuple[Allocation, Floats, tuple[DliEarnings, Floats, Floats]]:
    """The waterfall again until a DLI credit's debt service, deducted from the net envelope, is that of what the
    credit disburses against the results the allocation buys (docs/method.md, *The net envelope*).

    The credit pays no cost cell, so the first waterfall saw no disbursement of it; its payments against results
    (``settled``: the earnings, what sources pay against results (D, Y, S), the outcome payments) are then given to
    the waterfall as disbursements outside it (``SourceInputs.disbursed_outside``), whose service the envelope
    deducts, and the results are settled again on the reach that allocation funds. Debt service in year y depends
    on disbursements before y, and a result is paid at least a year after the year it is reached, so each pass
    settles at least one more year: at most Y + 1 passes; none when the credit's service inside the plan does not
    change (an IDA credit in its grace years with no charge: the first allocation stands)."""
    src = problem.sources
    loans = [t for t in src.service if (inp.dli is not None and (inp.dli.source == t.source).any())]
    if not (src.net_envelope and loans and np.isfinite(src.budget_share_cap).any()):
        return alloc, reached_funded(proj, existing, problem.cells[:, :, 0::2], alloc.gap[:, :, 0::2]), settled
    Y = inp.years
    ids = [t.source for t in loans]

    def owed(results: Floats) -> Floats:
        return np.asarray(sum((t.payments(np.ascontiguousarray(results[:, :, t.source].T)) for t in loans),
                              np.zeros((Y, results.shape[0]))), dtype=float)

    results = settled[1]
    before = owed(np.zeros_like(results))  # what the first waterfall deducted for these credits
    funded = reached_funded(proj, existing, problem.cells[:, :, 0::2], alloc.gap[:, :, 0::2])
    for _ in range(Y + 1):
        now = owed(results)
        if np.abs(now - before).max(initial=0.0) <= 1e-12 * max(float(np.abs(now).max(initial=0.0)), 1.0):
            break
        outside = np.zeros_like(results)
        outside[:, :, ids] = results[:, :, ids]
        alloc = allocate(problem.cells, replace(src, disbursed_outside=outside), problem.budget[:, :Y])
        funded = reached_funded(proj, existing, problem.cells[:, :, 0::2], alloc.gap[:, :, 0::2])
        settled = results_financing(inp, proj, funded)
        results, before = settled[1], now
    return alloc, funded, settled


def _results_as_fixed(inp: ModelInputs, problem: AllocationProblem, proj: CostProjection,
                      service: tuple[ServiceSpec, ...]) -> tuple[tuple[ServiceSpec, ...], Floats]:
    """A DLI source in the optimiser's mix as a fixed source (docs/method.md, *The optimiser*): its payments against
    results are expected to be those the waterfall's allocation earns (:func:`_net_of_results_credits`); a DLI
    credit's debt service on them becomes part of its ``fixed`` payments (so the net envelope, the burden limit and
    the DSF rows count it), and the receipts (less the government's outcome payments) come off the burden in the
    burden-limit rows. Returns the service specs and the receipts (D, H)."""
    Y, H = inp.years, inp.horizon
    alloc = allocate(problem.cells, problem.sources, problem.budget[:, :Y])
    existing = whole_units(inp.costs.driver_count * inp.costs.start_share)
    funded = reached_funded(proj, existing, problem.cells[:, :, 0::2], alloc.gap[:, :, 0::2])
    settled = results_financing(inp, proj, funded)
    _, _, (_, results, outcome) = _net_of_results_credits(inp, problem, proj, existing, alloc, settled)
    receipts = np.zeros((results.shape[0], H))
    receipts[:, :Y] = results.sum(axis=2) - outcome
    out = []
    for sp in service:
        paid = results[:, :, sp.source]
        if sp.loan and paid.any():
            sp = replace(sp, fixed=sp.fixed + np.einsum("dht,dt->dh", sp.payments, paid))
        out.append(sp)
    return tuple(out), receipts


def results_financing(inp: ModelInputs, proj: CostProjection, funded: Floats) -> tuple[DliEarnings, Floats, Floats]:
    """The DLI rows of ``inp`` settled on the reach the funded capex buys (``funded`` (D, Y, P), whole units, as
    outcomes.csv's reached_funded; a share of the driver's units for a reached_share row), a target reached within
    half a unit; what each source pays against them that reimburses the government (D, Y, S), and the outcome
    payments the government makes on outcome bonds (D, Y), in constant local prices (docs/method.md, *Results-based
    financing*, *Outcome bonds*)."""
    rows = inp.dli
    if rows is None or rows.programme is None or rows.share is None:
        raise ValueError("results_financing needs the DLI rows with their programmes and measures")
    count = inp.costs.driver_count  # (D, P)
    existing = whole_units(count * inp.costs.start_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(count > 0, count, 1.0)
        share = np.where(count[:, None, :] > 0, funded / safe[:, None, :], proj.reached_share)
        share_before = np.where(count > 0, existing / safe, inp.costs.start_share)
    p = rows.programme
    value = np.where(rows.share[None, None, :], share[:, :, p], funded[:, :, p])
    before = np.where(rows.share[None, :], share_before[:, p], existing[:, p])
    # half a unit: whole units reach a target that is not a whole number of units when they reach its nearest
    slack = np.where(rows.share[None, :], 0.5 / np.where(count > 0, count, np.inf)[:, p], 0.5)
    earnings = earn(value, before, rows, slack)
    S = inp.sources.kind.shape[0]
    sign = np.ones(p.shape[0]) if rows.sign is None else rows.sign
    reimbursed = payments(earnings, rows, inp.sources.conversion, S, inp.years, only=sign > 0)
    owed = payments(earnings, rows, inp.sources.conversion, S, inp.years, only=sign < 0).sum(axis=2)
    return earnings, reimbursed, owed


def _dated_payments(ds: DebtService, payments_per_year: int) -> Floats:
    """A loan's yearly payments (D, H), each year's instalments carried to its end at the grant element's 5%
    (:func:`~dfl_finance.engine.loans.year_end_equivalent`): what its grant element discounts. Fees as they are."""
    if payments_per_year == 1:
        return ds.payments
    before = np.concatenate([np.zeros_like(ds.outstanding[:, :1]), ds.outstanding[:, :-1]], axis=1)
    # the balance before each year's instalments: the end of the year before (a tranche is outstanding from the end
    # of its year)
    return np.asarray(year_end_equivalent(ds.interest, ds.principal, before, payments_per_year) + ds.fees,
                      dtype=float)

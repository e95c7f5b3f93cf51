"""Budget envelope, burden and summary metrics (pure array functions, leading draw axis)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Floats, Ints, ratio
from dfl_finance.engine.costs import CostProjection
from dfl_finance.engine.discount import present_value_at
from dfl_finance.engine.loans import grant_element
from dfl_finance.vocabulary import CHARGES, EXTERNAL_CHARGE, GFS_CLASSES, GRANT_ELEMENT_RATE, SOURCE_KINDS


def gap_share(total_gap: np.ndarray, total_cost: np.ndarray) -> np.ndarray:
    """``gap_share`` = total_gap / total_cost; NaN when nothing costs anything."""
    return ratio(total_gap, total_cost)


def leverage(total_external: np.ndarray, total_domestic: np.ndarray) -> np.ndarray:
    """``leverage`` = total_external / total_domestic; NaN without domestic outlay."""
    return ratio(total_external, total_domestic)


def cost_per_learner_year(total_cost: np.ndarray, learners: np.ndarray, years: int) -> np.ndarray:
    """``cost_per_learner_year`` = total_cost / (learners * years) [currency per learner-year]; NaN without
    learners."""
    return ratio(total_cost, np.asarray(learners, dtype=float) * years)


def cost_metrics(proj: CostProjection, discount: np.ndarray, learners: np.ndarray) -> dict[str, np.ndarray]:
    """Summary metrics of the cost projection, each of shape (D,).

    ``total_cost`` [currency], ``pv_total_cost`` [currency, PV with the discount factors (D, Y) of constant-price
    flows, first year undiscounted],
    ``cost_per_learner_year`` = total_cost / (learners * years) [currency per learner-year]; NaN when there are no
    learners.
    """
    total = proj.amount.sum(axis=(1, 2))
    return {
        "total_cost": total,
        "pv_total_cost": present_value_at(proj.amount, discount),
        "cost_per_learner_year": cost_per_learner_year(total, learners, proj.amount.shape[1]),
    }


def budget_path(education_budget: np.ndarray, growth: np.ndarray, horizon: int) -> np.ndarray:
    """Education budget in each year [currency/yr], (D, H): ``budget`` (D,) in the first year, then growing by
    ``growth[:, i]`` into year ``i``; ``growth`` is (D,) for one rate or (D, >= H) per year (its first column is
    not used).

    Examples
    --------
    >>> budget_path(np.array([100.0]), np.array([0.1]), 3).round(9).tolist()
    [[100.0, 110.0, 121.0]]
    >>> budget_path(np.array([100.0]), np.array([[0.0, 0.1, -0.5]]), 3).round(9).tolist()
    [[100.0, 110.0, 55.0]]
    """
    growth = np.asarray(growth, dtype=float)
    budget = np.asarray(education_budget, dtype=float)[:, None]
    if growth.ndim == 1:
        return np.asarray(budget * (1.0 + growth[:, None]) ** np.arange(horizon)[None, :], dtype=float)
    level = np.cumprod(1.0 + growth[:, 1:horizon], axis=1)
    return np.asarray(budget * np.concatenate([np.ones((growth.shape[0], 1)), level], axis=1), dtype=float)


def _pad(a: np.ndarray, horizon: int) -> np.ndarray:
    return np.concatenate([a, np.zeros((a.shape[0], horizon - a.shape[1]))], axis=1)


def fiscal_arrays(budget: np.ndarray, domestic: np.ndarray, debt_service: np.ndarray, ppp_payments: np.ndarray,
                  gap: np.ndarray, burden_limit: np.ndarray, domestic_cap: np.ndarray | None = None,
                  net: bool = False, recurrent: np.ndarray | None = None,
                  receipts: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The fiscal table over the extended horizon H (projection years, then the debt and PPP tail).

    ``government_burden = domestic_outlay + debt_service + ppp_payments + recurrent_after_plan``, the last being
    ``recurrent`` (D, H): the plan's cost in the years after its last year (opex and replacements at the final
    reach), which the government carries; ``burden_share`` = burden / budget (NaN, undefined, where the budget is
    0 or so small that the share overflows: never inf); ``over_limit``: burden > burden_limit x budget (beyond a
    relative 1e-9, so a domestic cap set at the limit is not flagged for rounding), so any burden on a budget of 0
    is over the limit. The gap
    is unfunded and not part of the burden. Inputs: budget, debt_service, ppp_payments (D, H); domestic, gap
    (D, Y); burden_limit (D,).

    ``domestic_envelope``: what the domestic sources may pay, ``cap x budget`` less debt service and PPP payments
    when ``net`` (never below 0), with ``cap`` = ``domestic_cap`` (D,), the sum of the domestic budget_share_caps
    (NaN where no domestic source has one); ``service_over_envelope``: debt service and PPP payments alone exceed
    ``cap x budget``.

    ``receipts`` (D, Y): what sources pay against results in each year ([[source.dli]]), which reimburses the
    government for the costs it pre-financed: ``results_receipts``, taken off the year's burden (docs/method.md,
    *Results-based financing*).
    """
    H = budget.shape[1]
    domestic_h = _pad(domestic, H)
    after = np.zeros_like(budget) if recurrent is None else np.asarray(recurrent, dtype=float)
    burden = domestic_h + debt_service + ppp_payments + after
    received = np.zeros_like(budget) if receipts is None else _pad(receipts, H)
    if receipts is not None and received.any():
        burden = burden - received
    share = ratio(burden, budget)
    limit = np.repeat(np.asarray(burden_limit, dtype=float)[:, None], H, axis=1)
    return {
        "education_budget": budget,
        "domestic_outlay": domestic_h,
        "debt_service": debt_service,
        "ppp_payments": ppp_payments,
        "recurrent_after_plan": after,
        "government_burden": burden,
        "burden_share": share,
        "burden_limit": limit,
        "over_limit": burden > limit * budget * (1.0 + 1e-9),  # not flagged for rounding at the cap
        "gap": _pad(gap, H),
        **envelope_arrays(budget, debt_service + ppp_payments, domestic_cap, net),
        "results_receipts": received,
    }


def envelope_arrays(budget: np.ndarray, owed: np.ndarray, domestic_cap: np.ndarray | None,
                    net: bool) -> dict[str, np.ndarray]:
    """``domestic_envelope`` and ``service_over_envelope`` (D, H); see :func:`fiscal_arrays`."""
    D, H = budget.shape
    cap = np.full(D, np.nan) if domestic_cap is None else np.asarray(domestic_cap, dtype=float)
    gross = cap[:, None] * budget
    envelope = np.maximum(gross - owed, 0.0) if net else gross
    return {"domestic_envelope": envelope,
            "service_over_envelope": np.where(np.isfinite(gross), owed > gross * (1.0 + 1e-9), False)}


def recurrent_metrics(external: np.ndarray, plan_cost: np.ndarray, budget: np.ndarray,
                      years: int) -> dict[str, np.ndarray]:
    """The recurrent bill after the partners leave, (D,) each.

    ``recurrent_cost_after_external``: the mean yearly cost of the plan (opex and replacements, which continue at
    the final reach after the last year of the plan) over the years after the last external disbursement, to the
    end of the post-horizon years; ``recurrent_share_after_external``: the mean of that cost over the education
    budget of each year. NaN without external finance or without years after it. Inputs: external (D, Y) what
    grants, loans and PPP operators pay; plan_cost and budget (D, H).
    """
    D, H = plan_cost.shape
    y = np.arange(years)[None, :]
    last = np.where(external > 0, y, -1).max(axis=1)  # (D,)
    # the cost of the plan ends with the post-horizon years: the last year with a cost
    n = plan_cost.shape[1]
    end = np.where(plan_cost > 0, np.arange(n)[None, :], -1).max(axis=1)
    after = (np.arange(H)[None, :] > last[:, None]) & (np.arange(H)[None, :] <= end[:, None]) & (last[:, None] >= 0)
    count = after.sum(axis=1)
    cost = ratio(np.where(after, plan_cost, 0.0).sum(axis=1), count)
    # the mean share over those years; undefined when a year's share is (a budget so small that it overflows)
    yearly = np.where(after, ratio(plan_cost, budget, otherwise=np.inf), 0.0)
    share = ratio(yearly.sum(axis=1), count)
    return {"recurrent_cost_after_external": cost, "recurrent_share_after_external": share}


def financing_metrics(total_cost: np.ndarray, paid: np.ndarray, kind: np.ndarray, gap: np.ndarray,
                      fiscal: dict[str, np.ndarray], discount: np.ndarray,
                      external_kinds: tuple[int, ...], to_usd: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Summary metrics of the financing, each (D,).

    ``total_external`` is what grants, loans and PPP operators pay; ``grant_element_external`` = 1 - PV(debt
    service + PPP payments) / PV(external finance received), nominal USD flows (``to_usd`` (D, H) converts
    constant local prices to them) at the IMF's 5%;
    ``leverage`` = total_external / total_domestic; ``pv_government_cost`` = PV(domestic outlay + debt service +
    PPP payments) over the whole horizon, tail included.
    """
    H = fiscal["education_budget"].shape[1]
    usd = np.ones((paid.shape[0], H)) if to_usd is None else to_usd
    by_kind = {k: paid[:, :, kind == i].sum(axis=(1, 2)) for i, k in enumerate(SOURCE_KINDS)}
    external_annual = paid[:, :, np.isin(kind, external_kinds)].sum(axis=2)
    external = external_annual.sum(axis=1)
    owed = fiscal["debt_service"] + fiscal["ppp_payments"]
    years_paying = np.where(owed > 0, np.arange(H)[None, :], -1).max(axis=1)
    gap_total = gap.sum(axis=1)
    share = fiscal["burden_share"]
    out = {
        "total_domestic": by_kind["domestic"],
        "total_grant": by_kind["grant"],
        "total_loan": by_kind["loan"],
        "total_ppp": by_kind["ppp"],
        "total_external": external,
        "total_gap": gap_total,
        "gap_share": gap_share(gap_total, total_cost),
        "total_debt_service": fiscal["debt_service"].sum(axis=1),
        "total_ppp_payments": fiscal["ppp_payments"].sum(axis=1),
        "pv_government_cost": present_value_at(fiscal["government_burden"], discount),
        "grant_element_external": grant_element(_pad(external_annual, H) * usd, owed * usd,
                                                np.full(paid.shape[0], GRANT_ELEMENT_RATE)),
        "years_service_over_envelope": fiscal["service_over_envelope"].sum(axis=1).astype(float),
        "leverage": leverage(external, by_kind["domestic"]),
        # undefined when any year's share is (a budget so small that the share overflows)
        "peak_burden_share": np.where(np.isnan(share).any(axis=1), np.nan, share.max(axis=1, initial=-np.inf)),
        "years_over_limit": fiscal["over_limit"].sum(axis=1).astype(float),
        "years_to_last_payment": np.where(years_paying >= 0, years_paying + 1.0, 0.0),
    }
    return out


# ------------------------------------------------------------------------------------- fiscal accounts (GFS)
#: The columns :func:`gfs_balances` adds to the fiscal table, in its order.
GFS_BALANCES = ("expense", "interest", "net_acquisition_nfa", "grant_revenue", "deficit_effect", "borrowing",
                "amortisation", "debt_effect", "charged_to_vote", "charged_to_treasury")
_NFA = GFS_CLASSES.index("nonfinancial_assets")
_GOODS_AND_SERVICES = "use_of_goods_and_services"
#: Who receives a payment against results ([[source.dli]]): the Treasury, as budget financing (docs/method.md,
#: *Results-based financing*); its row in gfs.csv is a credit to that charge.
RESULTS_CHARGE = "treasury"
#: The financing of the recurrent cost after the plan (which the government carries) in :func:`class_spending`.
AFTER_PLAN = -1


def class_spending(line_cost: Floats, line_cell: Ints, line_class: Ints, cells: Floats, pay: Floats,
                   horizon: int) -> Floats:
    """What each source pays of each GFS class in each year, and the recurrent cost after the plan: (D, H, S + 1, K).

    Parameters
    ----------
    line_cost : (D, N, L) the cost of every line over the plan's Y years and the years after it [currency/yr]
    line_cell : (L,) the cost cell of each line (:func:`~dfl_finance.engine.financing.line_cells`)
    line_class : (L,) each line's index into :data:`~dfl_finance.vocabulary.GFS_CLASSES`
    cells : (D, Y, C) the cost of each cell; pay : (D, Y, S, C) what each source pays of it
    horizon : H, the years of the fiscal table

    Notes
    -----
    Sources pay cells, not lines: a source that pays the share ``pay[s, c] / cells[c]`` of a cell pays that share of
    each of its lines, so of each class ``k``: ``spend[y, s, k] = sum_c pay[y, s, c] / cells[y, c] x sum_{l in c, k}
    cost[y, l]``. What no source pays (the gap) is spent by no one. In the years after the plan (``y >= Y``) the
    government carries the whole cost of every line (``recurrent_after_plan``): it is in the last source column
    (``S``, :data:`AFTER_PLAN`). Summed over sources and classes, the plan years give the funded cost (cost - gap)
    and the years after the plan the recurrent cost.

    Examples
    --------
    One cell of a salary line (100) and a device line (300), half paid by source 0, a quarter by source 1:

    >>> s = class_spending(np.array([[[100.0, 300.0]]]), np.array([0, 0]), np.array([0, 6]),
    ...                    np.array([[[400.0]]]), np.array([[[[200.0], [100.0]]]]), 1)
    >>> s[0, 0, :, [0, 6]].tolist()  # salaries, then assets; by source 0, source 1, after the plan
    [[50.0, 25.0, 0.0], [150.0, 75.0, 0.0]]
    """
    D, Y, S, C = pay.shape
    K = len(GFS_CLASSES)
    line_cell, line_class = np.asarray(line_cell), np.asarray(line_class)
    by_cell = (line_cell[:, None] == np.arange(C)[None, :]).astype(float)  # (L, C)
    by_class = (line_class[:, None] == np.arange(K)[None, :]).astype(float)  # (L, K)
    cost = np.asarray(line_cost, dtype=float)
    within = np.einsum("dyl,lc,lk->dyck", cost[:, :Y], by_cell, by_class)  # (D, Y, C, K)
    share = pay / np.where(cells > 0, cells, 1.0)[:, :, None, :]  # a cell that costs nothing is paid nothing
    out = np.zeros((D, horizon, S + 1, K))
    out[:, :Y, :S] = np.einsum("dysc,dyck->dysk", share, within)
    n = min(cost.shape[1], horizon)
    if n > Y:
        out[:, Y:n, S] = np.einsum("dyl,lk->dyk", cost[:, Y:n], by_class)
    return out


@dataclass(frozen=True)
class Instrument:
    """The flows of one loan or PPP source in constant local prices, (D, H) each. ``on_books``: the liability is the
    government's (every loan; a PPP whose asset the government owns economically, GFSM 2014 para A4.64); the
    payments of a PPP that is not are a purchase of services."""

    source: int
    disbursed: Floats
    interest: Floats
    principal: Floats
    fees: Floats
    on_books: bool = True


GfsKey = tuple[str, str, str, str]


def gfs_accounts(spending: Floats, kind: Ints, charge: Ints, instruments: list[Instrument],
                 results: Floats | None = None) -> dict[GfsKey, Floats]:
    """The plan's transactions in GFS terms, (D, H) each, by ``(account, gfs_class, financed_by, charged_to)``.

    Parameters
    ----------
    spending : (D, H, S + 1, K) from :func:`class_spending`
    kind : (S,) each source's index into :data:`~dfl_finance.vocabulary.SOURCE_KINDS`
    charge : (S,) each source's index into :data:`~dfl_finance.vocabulary.CHARGES` (a grant's is not read)
    instruments : the loan and PPP sources' flows
    results : (D, H, S) what each source's ``[[source.dli]]`` rows give the government in each year (dli.csv's
        ``received``): positive, a payment against results that reimburses it; negative, an outcome bond's outcome
        payment that it makes (None: no DLI rows)

    Notes
    -----
    - expense (GFSM 2014 ch. 6) and net acquisition of nonfinancial assets (ch. 8): what each source pays of each
      class, ``financed_by`` its kind; charged to the source's vote or the Treasury when the government pays it
      from its own resources (a domestic source; the recurrent cost after the plan to the vote), ``external`` when
      a grant, a loan's disbursement or a PPP operator pays it. An operator's spending on a PPP that is not on the
      government's books is not the government's.
    - interest (24) of each loan and on-books PPP, charged to the source; fees (commitment and front-end) are paid
      for a service, not for the use of the money: use of goods and services (22), charged to the source; the
      payments on an off-books PPP: use of goods and services (22), charged to the source.
    - revenue: grants (13) received = what grant sources pay.
    - financing (ch. 9): borrowing = disbursements of loans and the imputed lease of on-books PPPs (``external``),
      amortisation = their principal repaid, charged to the source.
    - results-based financing (docs/method.md, *Fiscal accounts in GFS terms*): the government pre-finances, so the
      spending is the domestic source's, charged to its vote, in the year it is made; a grant's payment against
      results is a grant received (13) in the year it is paid, and a loan's is its disbursement (borrowing, 3304)
      then; either is received by the Treasury, so its row is charged to ``treasury`` as a credit (it lowers
      ``charged_to_treasury``, :func:`gfs_balances`). An outcome payment the government makes on an outcome bond
      is a purchase of the results, use of goods and services (22), charged to the education vote.
    Nothing is created or lost: by year, expense + net acquisition of NFA + amortisation (interest included in
    expense) = domestic outlay + recurrent cost after the plan + debt service + PPP payments - results receipts +
    grant revenue + borrowing (:func:`gfs_balances`).

    Examples
    --------
    A DLI grant earned in year 0 and paid in year 1 (100): the budget spends 100 on goods and services in year 0;
    in year 1 the grant is revenue, credited to the Treasury:

    >>> spend = np.zeros((1, 2, 3, len(GFS_CLASSES)))
    >>> spend[0, 0, 0, GFS_CLASSES.index("use_of_goods_and_services")] = 100.0  # the budget (source 0) pre-finances
    >>> rows = gfs_accounts(spend, np.array([0, 1]), np.array([0, 0]), [], np.array([[[0.0, 0.0], [0.0, 100.0]]]))
    >>> {k: v[0].tolist() for k, v in rows.items()}  # doctest: +NORMALIZE_WHITESPACE
    {('expense', 'use_of_goods_and_services', 'domestic', 'education_vote'): [100.0, 0.0],
     ('revenue', 'grants', 'grant', 'treasury'): [0.0, 100.0]}
    """
    S = kind.shape[0]
    rows: dict[GfsKey, Floats] = {}

    def add(key: GfsKey, values: Floats) -> None:
        rows[key] = rows[key] + values if key in rows else np.asarray(values, dtype=float)

    off_books = {i.source for i in instruments if not i.on_books}
    for s in [*range(S), AFTER_PLAN]:
        if s in off_books:
            continue
        financed = "domestic" if s == AFTER_PLAN else SOURCE_KINDS[int(kind[s])]
        if s == AFTER_PLAN:
            charged = "education_vote"
        elif financed == "domestic":
            charged = CHARGES[int(charge[s])]
        else:
            charged = EXTERNAL_CHARGE
        paid = spending[:, :, s, :]
        for k, cls in enumerate(GFS_CLASSES):
            if paid[:, :, k].any():
                account = "nonfinancial_assets" if k == _NFA else "expense"
                add((account, cls, financed, charged), paid[:, :, k])
        if financed == "grant" and paid.any():
            add(("revenue", "grants", "grant", EXTERNAL_CHARGE), paid.sum(axis=2))
    got = np.zeros((*spending.shape[:2], S)) if results is None else np.asarray(results, dtype=float)
    received, owed = np.maximum(got, 0.0), np.maximum(-got, 0.0)
    for s in range(S):
        if SOURCE_KINDS[int(kind[s])] == "grant" and received[:, :, s].any():
            add(("revenue", "grants", "grant", RESULTS_CHARGE), received[:, :, s])
        if owed[:, :, s].any():
            add(("expense", _GOODS_AND_SERVICES, "domestic", "education_vote"), owed[:, :, s])
    for inst in instruments:
        financed, charged = SOURCE_KINDS[int(kind[inst.source])], CHARGES[int(charge[inst.source])]
        if inst.on_books:
            flows = (("expense", "interest", inst.interest), ("expense", _GOODS_AND_SERVICES, inst.fees),
                     ("financing", "amortisation", inst.principal))
            for account, cls, values in flows:
                if values.any():
                    add((account, cls, financed, charged), values)
            if inst.disbursed.any():  # a loan that pays against results reimburses the Treasury (above)
                reimburses = received[:, :, inst.source].any()
                add(("financing", "borrowing", financed, RESULTS_CHARGE if reimburses else EXTERNAL_CHARGE),
                    inst.disbursed)
        else:
            payments = inst.interest + inst.principal + inst.fees
            if payments.any():
                add(("expense", _GOODS_AND_SERVICES, financed, charged), payments)
    return rows


def gfs_balances(rows: dict[GfsKey, Floats], shape: tuple[int, int]) -> dict[str, Floats]:
    """The fiscal table's GFS columns (:data:`GFS_BALANCES`), (D, H) each, from the rows of :func:`gfs_accounts`.

    ``expense``: expense other than interest (the plan's funded cost by class, loan fees, off-books PPP payments);
    ``interest``; ``net_acquisition_nfa``; ``grant_revenue``; ``deficit_effect`` = expense + interest + net
    acquisition of NFA - grant revenue, the plan's net borrowing (minus its net lending/borrowing, GFSM 2014 para
    4.19: revenue - expense - net investment in nonfinancial assets; the domestic outlay is paid from revenue the
    plan does not add, so it is in the deficit effect); ``borrowing``; ``amortisation``; ``debt_effect`` = borrowing
    - amortisation (the net incurrence of liabilities); ``charged_to_vote`` and ``charged_to_treasury``: what the
    government pays from its own resources, by who bears it, less what it receives against results (a revenue or
    borrowing row charged to the vote or the Treasury is a credit to it); their sum is the government burden.

    Examples
    --------
    A year that spends a loan's 100 on equipment and pays 2 of interest and 10 of principal on earlier tranches:

    >>> z = np.zeros((1, 1))
    >>> rows = {("nonfinancial_assets", "nonfinancial_assets", "loan", "external"): z + 100,
    ...         ("financing", "borrowing", "loan", "external"): z + 100,
    ...         ("expense", "interest", "loan", "treasury"): z + 2,
    ...         ("financing", "amortisation", "loan", "treasury"): z + 10}
    >>> b = gfs_balances(rows, (1, 1))
    >>> [float(b[k][0, 0]) for k in ("deficit_effect", "debt_effect", "charged_to_treasury")]
    [102.0, 90.0, 12.0]
    """
    out = {k: np.zeros(shape) for k in GFS_BALANCES}
    for (account, cls, _, charged), values in rows.items():
        if account == "expense":
            out["interest" if cls == "interest" else "expense"] += values
        elif account == "nonfinancial_assets":
            out["net_acquisition_nfa"] += values
        elif account == "revenue":
            out["grant_revenue"] += values
        else:
            out[cls] += values
        if charged in ("education_vote", "treasury"):  # a receipt (revenue, borrowing) credits the charge
            credit = account == "revenue" or cls == "borrowing"
            out["charged_to_vote" if charged == "education_vote" else "charged_to_treasury"] += (
                -values if credit else values)
    out["deficit_effect"] = out["expense"] + out["interest"] + out["net_acquisition_nfa"] - out["grant_revenue"]
    out["debt_effect"] = out["borrowing"] - out["amortisation"]
    return out

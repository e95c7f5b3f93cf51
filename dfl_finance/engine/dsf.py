"""Debt sustainability: the plan's new external debt against the four LIC-DSF ratios (pure numpy, leading draw
axis).

The IMF/World Bank Debt Sustainability Framework for low-income countries (Guidance Note, 2018) judges public
external debt by four ratios against thresholds that depend on the country's debt-carrying capacity:

- ``pv_debt_gdp``: present value of external debt / GDP
- ``pv_debt_exports``: present value of external debt / exports of goods and services
- ``debt_service_exports``: external debt service / exports
- ``debt_service_revenue``: external debt service / government revenue excluding grants

The present value of the debt at the end of a year is that of the remaining debt service of what has been
disbursed by then (not of later disbursements), in USD, at the framework's 5% discount rate.

The baseline (the country's existing external debt, and the economy it is measured against: constant ratios, or a
DSA's paths year by year) is read at a constant real exchange rate from start_year, and every departure of the
scenario's real exchange rate from it moves the ratios through the accounts (:func:`dsf_paths`; LIC-DSF Guidance
Note 2018, the standardised depreciation shock):

- GDP and revenue are earned in local currency: in USD they fall with a real depreciation (:func:`gdp_path`);
- exports are earned in USD: a depreciation leaves them as they were;
- external debt is owed in foreign currency, but for its local-currency share (``[debt] external_lcu_share``): its
  USD value is unchanged by a depreciation, but for that share, which falls with the currency.

So a 30% depreciation takes a 50% PV-of-external-debt-to-GDP baseline to 65% and leaves the ratios to exports as
they were (a known answer in the tests). Without a departure (the default exchange rate follows relative inflation,
a constant real rate), the baseline keeps its ratio to GDP (PV) and to exports (debt service).

A shock (:class:`DsfShock`, written by the LIC-DSF stress tests) moves the economy and the baseline's debt through the
same accounts: lower GDP growth lowers GDP and revenue and leaves the debt; lower exports, other flows (transfers
and FDI) or primary balance are borrowed (abroad, but for the domestic share of a primary deficit), and the debt so
added pays interest at the framework's 5% (new borrowing whose PV is its face value); contingent liabilities become
public debt in the plan's second year. Total public debt (``pv_public_debt_gdp``, against the framework's benchmark)
adds the domestic debt: the baseline's, in local currency, and the plan's (its loans in local currency, and the gap
bond of ``[context] gap_financing``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Floats, discount
from dfl_finance.vocabulary import (
    DSF_HORIZON,
    DSF_RATIOS,
    GRANT_ELEMENT_RATE,
    PPP_CONTINGENT_SHARE,
    PUBLIC_DEBT_RATIO,
)


@dataclass(frozen=True)
class DsfInputs:
    """What the debt-sustainability view needs beyond the flows of the plan; amounts in nominal USD."""

    # each (D,), a value of every year, or (D, >= H), one per year from start_year (a DSA's path: [debt] lists)
    gdp: Floats  # GDP in start_year (D,), or each year at the real exchange rate of start_year (D, H) [USD/yr]
    gdp_growth: Floats  # real [1/yr]
    exports_share: Floats  # exports / GDP
    revenue_share: Floats  # revenue excluding grants / GDP
    baseline_pv_gdp: Floats  # PV of existing external debt / GDP (NaN = unknown)
    baseline_service_exports: Floats  # existing external debt service / exports (NaN = unknown)
    thresholds: Floats  # (4,) in the order of DSF_RATIOS (NaN = capacity unknown)
    lcu_share: Floats | None = None  # (D,) share of the existing external debt in local currency (None: 0)
    public_pv_gdp: Floats | None = None  # PV of the existing total public debt / GDP (None or NaN: unknown)
    public_benchmark: float = float("nan")  # the benchmark of PV of total public debt / GDP (NaN: capacity unknown)
    shock: DsfShock | None = None


@dataclass(frozen=True)
class DsfShock:
    """A shock to the baseline (``[debt.shock]``), each a deviation from it, a fall negative: per year from
    start_year (D, H), or per draw (D,) for what happens once, in the plan's second year."""

    gdp_growth: Floats  # (D, H) real GDP growth [1/yr]
    exports_growth: Floats  # (D, H) growth of exports in USD [1/yr]
    primary_balance: Floats  # (D, H) [share of GDP]
    other_flows: Floats  # (D, H) current transfers and FDI [share of GDP]
    contingent: Floats  # (D,) public debt added in the second year [share of GDP]
    ppp_contingent: Floats  # (D,) share of the PPP capital stock added to public debt in the second year


def present_value_ahead(payments: Floats, rate: float = GRANT_ELEMENT_RATE) -> Floats:
    """At the end of each year, the PV of the payments of the later years: ``sum_{j > y} p_j (1 + r)^-(j - y)``.

    Examples
    --------
    >>> present_value_ahead(np.array([[0.0, 105.0, 110.25]]), 0.05).round(9).tolist()
    [[200.0, 105.0, 0.0]]
    """
    return discount.present_value_ahead(payments, rate)


def pv_outstanding(disbursed: Floats, unit_payments: Floats, horizon: int,
                   rate: float = GRANT_ELEMENT_RATE) -> Floats:
    """PV at the end of each year of the remaining payments on the tranches disbursed so far (D, H).

    ``disbursed`` (D, Y) in the loan's currency; ``unit_payments`` (K + 1,) or per draw (D, K + 1): what a tranche of
    1 pays ``k`` years after its disbursement (principal and interest). A tranche disbursed in year t is worth
    ``v(y - t)`` at the end of year y, with ``v(a) = sum_{k > a} unit_payments[k] (1 + rate)^-(k - a)``.

    Examples
    --------
    >>> pv_outstanding(np.array([[100.0]]), np.array([0.0, 52.5, 55.125]) / 100, 3, 0.05).round(9).tolist()
    [[100.0, 52.5, 0.0]]
    """
    u = np.asarray(unit_payments, dtype=float)
    v = present_value_ahead(np.atleast_2d(u), rate)  # (1 or D, K + 1)
    D, Y = disbursed.shape
    lag = np.arange(horizon)[:, None] - np.arange(Y)[None, :]
    n = v.shape[1]
    m = np.where((lag >= 0) & (lag < n), v[:, np.clip(lag, 0, n - 1)], 0.0)  # (1 or D, H, Y)
    return np.asarray(np.einsum("dt,djt->dj", disbursed, np.broadcast_to(m, (D, horizon, Y))), dtype=float)


def gdp_path(inp: DsfInputs, usd_index: Floats, rer: Floats) -> Floats:
    """Nominal GDP in USD (D, H) from start_year: ``gdp x (1 + g)^i x (U_i / U_0) / (rer_i / rer_0)``.

    GDP in current local currency grows with real growth and local prices, ``x (1 + g) I_i / I_0``; in USD it is
    divided by the exchange rate, and ``I / X`` moves as ``U / rer``: a real depreciation lowers GDP in USD (and
    raises the ratios), as in the LIC-DSF depreciation shock.

    Examples
    --------
    >>> inp = DsfInputs(*(np.array([v]) for v in (100.0, 0.0, 0.5, 0.2, np.nan, np.nan)), np.full(4, np.nan))
    >>> gdp_path(inp, np.array([[1.0, 1.0]]), np.array([[1.0, 1.25]])).tolist()  # a 25% real depreciation
    [[100.0, 80.0]]
    """
    return np.asarray(_at_start_rate(inp, usd_index) / (rer / rer[:, [0]]), dtype=float)


def _by_year(x: Floats, H: int) -> Floats:
    """A value per draw (D,) as (D, 1), or a value per draw and year (D, >= H) as (D, H)."""
    x = np.asarray(x, dtype=float)
    return x[:, None] if x.ndim == 1 else x[:, :H]


def _at_start_rate(inp: DsfInputs, usd_index: Floats) -> Floats:
    """GDP in USD at the real exchange rate of start_year (D, H): ``gdp x (1 + g)^i x (U_i / U_0)``, or the path
    given (a DSA's)."""
    if np.ndim(inp.gdp) == 2:
        return np.asarray(inp.gdp[:, :usd_index.shape[1]], dtype=float)
    i = np.arange(usd_index.shape[1])[None, :]
    return np.asarray(inp.gdp[:, None] * (1.0 + inp.gdp_growth[:, None]) ** i * usd_index / usd_index[:, [0]],
                      dtype=float)


@dataclass(frozen=True)
class DsfPaths:
    """The denominators of the ratios and the baseline's debt, in nominal USD, (D, H) each."""

    gdp: Floats
    exports: Floats
    revenue: Floats
    base_pv: Floats  # PV of the existing external debt, and of what a shock adds abroad (NaN: unknown)
    base_service: Floats  # its debt service (NaN: unknown)
    base_public: Floats  # PV of the existing total public debt, and of what a shock adds (NaN: unknown)


def dsf_paths(inp: DsfInputs, usd_index: Floats, rer: Floats, ppp_capital: Floats | None = None) -> DsfPaths:
    """GDP, exports and revenue in USD, and the baseline's PV of external debt, its debt service and its PV of total
    public debt in USD, each year from start_year (D, H), under the scenario's real exchange rate ``rer`` and its
    shock. ``ppp_capital`` (D, H): the PPP capital outstanding in USD, for a shock's ``ppp_contingent``.

    With ``d = rer / rer_0`` (1: the real rate of start_year; 1.3: a 30% real depreciation) and ``G`` GDP in USD at
    the real rate of start_year (real growth and US prices): GDP = G / d and revenue = revenue_share x G / d (earned
    in local currency); exports = exports_share x G (earned in USD); the baseline's PV = baseline_pv_gdp x G x
    ((1 - s) + s / d) and its service = baseline_service_exports x exports x ((1 - s) + s / d), where ``s`` is the
    local-currency share of the debt (owed in foreign currency, its USD value does not move with the rate). Total
    public debt adds the domestic debt, ``(public_pv_gdp - baseline_pv_gdp) x G / d`` (in local currency, it keeps its
    ratio to GDP at the baseline's growth).

    A shock, each year ``y`` (every sum and product from start_year to ``y``):

    - GDP x prod (1 + g + dg) / (1 + g) (GDP growth ``g``, its shock ``dg``), revenue with it; the debt is unchanged;
    - exports x prod (1 + e + de) / (1 + e) (``e`` their baseline growth in USD);
    - new external debt A_y = sum(exports lost - other_flows x GDP - f x primary_balance x GDP), ``f`` the baseline's
      external share of public debt (1 without a total); its PV is its face value and it pays 5% from the next year;
    - new domestic debt sum(-(1 - f) x primary_balance x GDP); contingent liabilities (contingent x GDP + ppp_contingent
      x PPP capital, of the second year) as a share of GDP from the second year on.

    Examples
    --------
    A 50% PV/GDP baseline and a 30% real depreciation in the second year: 65% of GDP; PV / exports unchanged.

    >>> inp = DsfInputs(*(np.array([v]) for v in (100.0, 0.0, 0.25, 0.2, 0.5, 0.1)), np.full(4, np.nan))
    >>> p = dsf_paths(inp, np.ones((1, 2)), np.array([[1.0, 1.3]]))
    >>> (p.base_pv / p.gdp).round(12).tolist(), (p.base_pv / p.exports).tolist()
    ([[0.5, 0.65]], [[2.0, 2.0]])
    """
    at_start_rate = _at_start_rate(inp, usd_index)
    D, H = at_start_rate.shape
    d = rer / rer[:, [0]]
    share = np.zeros(D) if inp.lcu_share is None else inp.lcu_share
    foreign = (1.0 - share[:, None]) + share[:, None] / d  # the USD value of a USD 1 of the existing debt
    gdp = at_start_rate / d
    exports = at_start_rate * _by_year(inp.exports_share, H)
    external = _by_year(inp.baseline_pv_gdp, H)
    base_pv = external * at_start_rate * foreign
    base_service = _by_year(inp.baseline_service_exports, H) * exports * foreign
    public = np.full((D, 1), np.nan) if inp.public_pv_gdp is None else _by_year(inp.public_pv_gdp, H)
    domestic = np.maximum(public - np.nan_to_num(external), 0.0) * gdp  # NaN: unknown
    shock = inp.shock
    if shock is not None:
        g = _by_year(inp.gdp_growth, H)
        gdp = gdp * np.cumprod((1.0 + g + shock.gdp_growth) / (1.0 + g), axis=1)
        growth = np.concatenate([np.zeros((D, 1)), exports[:, 1:] / exports[:, :-1] - 1.0], axis=1)
        shocked = exports * np.cumprod((1.0 + growth + shock.exports_growth) / (1.0 + growth), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(np.isfinite(public) & (public > 0), np.nan_to_num(external) / public, 1.0)
        f = np.clip(f, 0.0, 1.0)
        deficit = -shock.primary_balance * gdp
        abroad = np.cumsum((exports - shocked) - shock.other_flows * gdp + f * deficit, axis=1)
        at_home = np.cumsum((1.0 - f) * deficit, axis=1)
        capital = np.zeros((D, H)) if ppp_capital is None or H < 2 else ppp_capital
        if H >= 2:
            once = (shock.contingent * gdp[:, 1] + shock.ppp_contingent * capital[:, 1]) / gdp[:, 1]
            at_home = at_home + np.where(np.arange(H)[None, :] >= 1, once[:, None] * gdp, 0.0)
        exports = shocked
        base_pv = base_pv + abroad
        interest = np.concatenate([np.zeros((D, 1)), abroad[:, :-1]], axis=1) * GRANT_ELEMENT_RATE
        base_service = base_service + interest
        domestic = domestic + at_home
    return DsfPaths(gdp=np.asarray(gdp, dtype=float), exports=np.asarray(exports, dtype=float),
                    revenue=np.asarray(gdp * _by_year(inp.revenue_share, H), dtype=float),
                    base_pv=np.asarray(base_pv, dtype=float), base_service=np.asarray(base_service, dtype=float),
                    base_public=np.asarray(base_pv + domestic, dtype=float))


def dsf_ratios(pv_usd: Floats, service_usd: Floats, ppp_capital_usd: Floats, inp: DsfInputs, usd_index: Floats,
               rer: Floats, domestic_pv_usd: Floats | None = None) -> dict[str, Floats]:
    """The plan's contribution to each ratio and, where the baseline is known, baseline plus plan; (D, H) each.

    Parameters
    ----------
    pv_usd : (D, H)
        PV of the plan's external debt at the end of each year (:func:`pv_outstanding`), nominal USD.
    service_usd : (D, H)
        Debt service of the plan's external loans in nominal USD.
    ppp_capital_usd : (D, H)
        PPP capital outstanding (what the government still owes the operators), nominal USD.
    usd_index, rer : (D, H)
        US price index and real exchange rate index from start_year.
    domestic_pv_usd : (D, H), optional
        PV of the plan's domestic debt (its loans in local currency, the gap bond), nominal USD.

    Returns
    -------
    dict
        ``gdp``, ``exports``, ``revenue``, ``pv_debt``, ``debt_service`` (USD), and for each ratio ``r`` in
        :data:`DSF_RATIOS` and for :data:`PUBLIC_DEBT_RATIO`: ``plan:r`` and ``total:r`` (NaN without a
        baseline); ``ppp_contingent_gdp`` = :data:`PPP_CONTINGENT_SHARE` x PPP capital / GDP.
    """
    paths = dsf_paths(inp, usd_index, rer, ppp_capital_usd)
    gdp, exports, revenue = paths.gdp, paths.exports, paths.revenue
    pv = pv_usd
    with np.errstate(divide="ignore", invalid="ignore"):
        plan = {
            "pv_debt_gdp": pv / gdp,
            "pv_debt_exports": pv / exports,
            "debt_service_exports": service_usd / exports,
            "debt_service_revenue": service_usd / revenue,
        }
        base_pv, base_service = paths.base_pv, paths.base_service
        total = {
            "pv_debt_gdp": (pv + base_pv) / gdp,
            "pv_debt_exports": (pv + base_pv) / exports,
            "debt_service_exports": (service_usd + base_service) / exports,
            "debt_service_revenue": (service_usd + base_service) / revenue,
        }
        contingent = PPP_CONTINGENT_SHARE * ppp_capital_usd / gdp
        public = pv + (0.0 if domestic_pv_usd is None else domestic_pv_usd)
        plan[PUBLIC_DEBT_RATIO] = public / gdp
        total[PUBLIC_DEBT_RATIO] = (public + paths.base_public) / gdp
    out = {"gdp": gdp, "exports": exports, "revenue": revenue, "pv_debt": pv, "debt_service": service_usd,
           "ppp_contingent_gdp": contingent}
    for r in (*DSF_RATIOS, PUBLIC_DEBT_RATIO):
        out[f"plan:{r}"] = np.asarray(plan[r], dtype=float)
        out[f"total:{r}"] = np.asarray(total[r], dtype=float)
    return out


def dsf_metrics(ratios: dict[str, Floats], thresholds: Floats, years: Floats | None = None,
                public_benchmark: float = float("nan")) -> dict[str, Floats]:
    """Per ratio (the four of :data:`DSF_RATIOS` against ``thresholds``, and :data:`PUBLIC_DEBT_RATIO` against
    ``public_benchmark``), (D,) each:

    - ``peak_<ratio>``: the highest value (baseline plus plan where the baseline is known, else the plan's) in the
      years of dsf.csv;
    - ``peak_plan_<ratio>``: the highest value of the plan's own contribution;
    - ``years_above_<ratio>``: the years of the framework's horizon (:data:`DSF_HORIZON` projection years from
      start_year: the LIC-DSF reads its breach signals there) in which the plan's debt adds to a ratio above its
      threshold (the ratio, baseline included, is above it and the plan's contribution is not 0): a country already
      above a threshold counts only the years the plan makes it worse, so options are compared on what they add.

    ``years`` (D,): how many years from start_year count (those of dsf.csv: the plan and its repayments); default
    all.
    """
    out: dict[str, Floats] = {}
    limits = [*(float(t) for t in thresholds), public_benchmark]
    for r, t in zip((*DSF_RATIOS, PUBLIC_DEBT_RATIO), limits):
        if f"total:{r}" not in ratios:
            continue
        total, plan = ratios[f"total:{r}"], ratios[f"plan:{r}"]
        series = np.where(np.isnan(total).all(axis=1, keepdims=True), plan, total)
        shown = np.full(series.shape[0], series.shape[1]) if years is None else np.asarray(years)
        index = np.arange(series.shape[1])[None, :]
        window = index < shown[:, None]
        out[f"peak_{r}"] = _peak(series, window)
        out[f"peak_plan_{r}"] = _peak(plan, window)
        signals = window & (index < DSF_HORIZON)
        above = (np.where(np.isfinite(series) & signals, series, 0.0) > t) & (np.nan_to_num(plan) > 0)
        out[f"years_above_{r}"] = above.sum(axis=1).astype(float) if np.isfinite(t) \
            else np.full(series.shape[0], np.nan)
    return out


def _peak(series: Floats, window: np.ndarray) -> Floats:
    finite = np.isfinite(series) & window
    return np.asarray(np.where(finite.any(axis=1), np.where(finite, series, -np.inf).max(axis=1), np.nan),
                      dtype=float)

"""Repayment profiles, debt service, PPP availability payments and grant element (pure numpy, leading draw axis).

Conventions (DESIGN.md): each year's disbursement is a tranche; a tranche disbursed in year t is outstanding from the
end of year t; the charge for year t+k (k >= 1) is ``rate x outstanding at the end of year t+k-1``; the published
schedule's year k falls in year t+k; the last repayment pays whatever is still outstanding. All tranches share one
*unit profile*, so the debt service of a loan is the convolution of its disbursements with that profile, done as one
matrix product over every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dfl_finance.engine import Floats
from dfl_finance.engine.discount import annuity_principal, present_value
from dfl_finance.vocabulary import GRANT_ELEMENT_RATE, REPAYMENTS


def repayment_profile(repayment: str, rate: float, grace_years: int, maturity_years: int,
                      schedule: list[tuple[int, int, float]] | None = None) -> np.ndarray:
    """Share of a tranche's principal repaid in each year ``k = 0 .. last`` after its disbursement.

    Parameters
    ----------
    repayment : str
        One of :data:`~dfl_finance.vocabulary.REPAYMENTS`.
    rate : float
        Interest or service charge [1/yr]; shapes the principal of an annuity.
    grace_years, maturity_years : int
        Principal is repaid in years ``grace_years + 1 .. maturity_years`` (linear, annuity).
    schedule : list of (first k, last k, share per year)
        Explicit shares (repayment = "schedule"); the last year is the largest ``last k``.

    Returns
    -------
    ndarray (last + 1,)
        Sums to exactly 1: payments stop once the principal is repaid, and the last year pays what is left
        (published IDA shares such as 3.45% x 29 years do not add to exactly 100%).

    Examples
    --------
    >>> repayment_profile("linear", 0.0, 2, 4).tolist()
    [0.0, 0.0, 0.0, 0.5, 0.5]
    """
    if repayment == "schedule":
        if not schedule:
            raise ValueError("repayment = 'schedule' needs schedule rows")
        last = max(k2 for _, k2, _ in schedule)
        raw = np.zeros(last + 1)
        for k1, k2, share in schedule:
            raw[k1:k2 + 1] = share
    else:
        n = maturity_years - grace_years
        last = maturity_years
        raw = np.zeros(last + 1)
        if repayment == "linear":
            raw[grace_years + 1:] = 1.0 / n
        elif repayment == "annuity":
            raw[grace_years + 1:] = annuity_principal(np.array([rate]), n)[0]
        else:
            raise ValueError(f"unknown repayment {repayment!r}; expected one of {REPAYMENTS}")
    paid_before = np.concatenate([[0.0], np.cumsum(raw)[:-1]])
    profile = np.minimum(raw, np.maximum(1.0 - paid_before, 0.0))
    profile[last] = max(1.0 - profile[:last].sum(), 0.0)
    return profile


def _charge(profile: Floats, rate: Floats | float, payments_per_year: int = 1) -> Floats:
    """``rate x`` the share outstanding at the end of the year before, for each year ``k`` after disbursement;
    ``profile`` (K + 1,) with a scalar rate, or (D, K + 1) with a rate per draw (D,).

    Paid ``n = payments_per_year`` times a year, the year's principal ``profile[k]`` goes in ``n`` equal instalments
    and each period's charge is ``rate / n`` on the balance of that period: ``o - (i - 1) profile[k] / n`` in the
    i-th, ``o`` the share outstanding at the end of the year before; summed over the year, ``rate x (o - profile[k]
    (n - 1) / (2 n))`` (semi-annual: ``rate x (o - profile[k] / 4)``)."""
    outstanding = 1.0 - np.cumsum(profile, axis=-1)
    outstanding[..., -1] = 0.0
    r = np.asarray(rate, dtype=float)[..., None] if np.ndim(rate) else float(rate)
    lead = np.zeros(profile.shape[:-1] + (1,))
    balance = outstanding[..., :-1]
    if payments_per_year != 1:
        n = payments_per_year
        balance = balance - profile[..., 1:] * (n - 1) / (2 * n)
    return np.asarray(np.concatenate([lead, r * balance], axis=-1), dtype=float)


def unit_payments(profile: Floats, rate: Floats | float, payments_per_year: int = 1) -> Floats:
    """What a tranche of 1 pays ``k`` years after its disbursement: principal ``profile[k]`` plus the charge on what
    was outstanding at the end of the year before (no fees); paid ``payments_per_year`` times a year, the charge on
    the balance of each period (:func:`_charge`). ``profile`` (K + 1,) and a scalar rate, or per draw (D, K + 1) and
    (D,).

    Examples
    --------
    >>> unit_payments(np.array([0.0, 0.5, 0.5]), 0.1).round(12).tolist()
    [0.0, 0.6, 0.55]
    >>> unit_payments(np.array([0.0, 0.5, 0.5]), 0.1, 2).round(12).tolist()  # 0.1 x (1 - 0.125); 0.1 x (0.5 - 0.125)
    [0.0, 0.5875, 0.5375]
    """
    return np.asarray(profile + _charge(profile, rate, payments_per_year), dtype=float)


def year_end_equivalent(interest: Floats, principal: Floats, before: Floats, payments_per_year: int,
                        discount_rate: float = GRANT_ELEMENT_RATE) -> Floats:
    """A year's interest and principal ``(..., T)`` paid ``n = payments_per_year`` times a year, as the amount at the
    year's end that has the same present value at ``discount_rate``: the i-th payment (principal / n and the
    interest of its period, in proportion to that period's balance ``before - (i - 1) principal / n``, ``before``
    the balance at the end of the year before) is carried to the year's end by ``(1 + rate) ** ((n - i) / n)``. With
    one payment a year it is ``interest + principal``. What a grant element discounts (docs/method.md, *Loans paid
    semi-annually*).

    Known answer: 100 outstanding, 10 repaid and 1.35% charge, semi-annual: interest 0.675 x 100 + 0.675 x 95 =
    1.31625; the June payment 5 + 0.675 is worth 5.675 x 1.05 ** 0.5 = 5.81514... at the year's end, the December one
    5 + 0.64125 = 5.64125: 11.45639...

    >>> round(float(year_end_equivalent(np.array(1.31625), np.array(10.0), np.array(100.0), 2)[()]), 5)
    11.45639
    """
    n = payments_per_year
    interest, principal = np.asarray(interest, dtype=float), np.asarray(principal, dtype=float)
    if n == 1:
        return np.asarray(interest + principal, dtype=float)
    before = np.asarray(before, dtype=float)
    weights = np.stack([before - i * principal / n for i in range(n)])
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weights / np.where(total > 0, total, 1.0), 1.0 / n)
    carry = (1.0 + discount_rate) ** ((n - 1 - np.arange(n)) / n)
    out = sum(carry[i] * (principal / n + share[i] * interest) for i in range(n))
    return np.asarray(out, dtype=float)


def common_profile(profile: Floats, rate: Floats | float) -> tuple[Floats, Floats | float]:
    """A profile and rate per draw that are the same in every draw, as one profile and one rate (the fast path of
    one matrix for all draws); otherwise unchanged."""
    rates = np.atleast_1d(np.asarray(rate, dtype=float))
    if profile.ndim == 2 and (profile == profile[:1]).all() and (rates == rates[0]).all():
        return profile[0], float(rates[0])
    return profile, rate


def convolution_matrix(profile: np.ndarray, years: int, horizon: int) -> np.ndarray:
    """``M[j, t] = profile[j - t]`` (0 outside the profile): flows (D, years) @ M.T -> (D, horizon). A profile per
    draw (D, K + 1) gives one matrix per draw (D, horizon, years)."""
    lag = np.arange(horizon)[:, None] - np.arange(years)[None, :]
    n = profile.shape[-1]
    valid = (lag >= 0) & (lag < n)
    return np.where(valid, profile[..., np.clip(lag, 0, n - 1)], 0.0)


@dataclass(frozen=True)
class DebtService:
    """Debt service of one loan over the extended horizon; every array is (D, H)."""

    disbursed: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    fees: np.ndarray
    outstanding: np.ndarray  # at the end of each year

    @property
    def payments(self) -> Floats:
        """What the borrower pays each year: interest + principal + fees."""
        return np.asarray(self.interest + self.principal + self.fees, dtype=float)


def debt_service(disbursed: np.ndarray, profile: np.ndarray, rate: Floats | float, horizon: int,
                 front_end_fee: float = 0.0, commitment_fee: float = 0.0,
                 commitment: np.ndarray | None = None, fee_window: np.ndarray | None = None,
                 payments_per_year: int = 1) -> DebtService:
    """Debt service of a loan disbursed as ``disbursed`` (D, Y), over ``horizon`` years from the first year.

    Parameters
    ----------
    disbursed : ndarray (D, Y)
        Disbursement in each year of the projection [currency].
    profile : ndarray (K + 1,) or (D, K + 1)
        Unit repayment profile from :func:`repayment_profile`, the same in every draw or one per draw.
    rate : float or ndarray (D,)
        Charge on the outstanding balance [1/yr].
    horizon : int
        Length ``H >= Y`` of the output axis; must reach the last repayment (``Y - 1 + K < H``).
    front_end_fee : float
        Share of each disbursement paid as a fee in the year of disbursement.
    commitment_fee, commitment, fee_window
        Fee per year on the undrawn commitment (D,) at the start of each year where ``fee_window`` (Y,) is True.
    payments_per_year : int
        Instalments a year (IDA and IBRD: 2): the charge is on the balance of each period (:func:`_charge`), the
        year's flows are the sums of its instalments.

    Notes
    -----
    With ``o[k] = 1 - sum(profile[:k + 1])`` the share outstanding at the end of year k after disbursement,
    principal = disbursed (*) profile, interest = disbursed (*) (rate * o[k - 1] for k >= 1), outstanding =
    disbursed (*) o, where (*) is the convolution over years.
    """
    D, Y = disbursed.shape
    profile, rate = common_profile(np.asarray(profile, dtype=float), rate)
    K = profile.shape[-1] - 1
    if Y - 1 + K >= horizon:
        raise ValueError(f"horizon {horizon} does not reach the last repayment (year index {Y - 1 + K})")
    outstanding_share = 1.0 - np.cumsum(profile, axis=-1)
    outstanding_share[..., -1] = 0.0  # exactly repaid
    charge = _charge(profile, rate, payments_per_year)
    mats = np.stack([convolution_matrix(p, Y, horizon) for p in (profile, charge, outstanding_share)])
    per_draw = "fdjt" if profile.ndim == 2 else "fjt"
    principal, interest, outstanding = np.einsum(f"dt,{per_draw}->fdj", disbursed, mats)
    pad = np.zeros((D, horizon - Y))
    disb_h = np.concatenate([disbursed, pad], axis=1)
    fees = front_end_fee * disb_h
    if commitment_fee and commitment is not None:
        window = np.ones(Y, dtype=bool) if fee_window is None else fee_window
        drawn_before = np.concatenate([np.zeros((D, 1)), np.cumsum(disbursed, axis=1)[:, :-1]], axis=1)
        undrawn = np.maximum(np.asarray(commitment, dtype=float)[:, None] - drawn_before, 0.0)
        fees = fees + np.concatenate([commitment_fee * undrawn * window[None, :], pad], axis=1)
    return DebtService(disbursed=disb_h, interest=interest, principal=principal, fees=fees,
                       outstanding=outstanding)


def ppp_profile(contract_years: int, return_rate: float) -> np.ndarray:
    """Unit repayment profile of a PPP investment: the government's availability payments are a level annuity
    over ``contract_years`` at ``return_rate`` starting the year after the investment, which is an annuity loan
    with no grace period; its debt service (:func:`debt_service` at ``return_rate``) splits each payment into the
    operator's return (interest) and capital (principal).

    Examples
    --------
    >>> ds = debt_service(np.array([[100.0]]), ppp_profile(2, 0.0), 0.0, 3)
    >>> ds.payments.tolist()
    [[0.0, 50.0, 50.0]]
    """
    return repayment_profile("annuity", return_rate, 0, contract_years)


def grant_element(received: np.ndarray, paid: np.ndarray, discount_rate: np.ndarray) -> np.ndarray:
    """``1 - PV(paid) / PV(received)`` per draw, both discounted to the first year at ``discount_rate`` (D,).

    ``received`` and ``paid`` are (D, H) on the same year axis. NaN where nothing was received.

    Examples
    --------
    >>> grant_element(np.array([[100.0, 0.0]]), np.array([[0.0, 105.0]]), np.array([0.05])).round(12).tolist()
    [0.0]
    """
    pv_in = present_value(received, discount_rate)
    pv_out = present_value(paid, discount_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pv_in > 0, 1.0 - pv_out / np.where(pv_in > 0, pv_in, 1.0), np.nan)


def pv_at_disbursement(profile: Floats, rate: Floats | float, front_end_fee: float = 0.0,
                       discount_rate: float = GRANT_ELEMENT_RATE, payments_per_year: int = 1) -> Floats:
    """PV at ``discount_rate``, in the year of its disbursement, of what a tranche of 1 costs the borrower: the
    front-end fee that year, then the principal and charge ``k`` years later discounted by ``(1 + r)^-k``. ``profile``
    (K + 1,) with a scalar rate, or per draw (D, K + 1) with (D,); returns () or (D,).

    It is 1 minus the grant element of the tranche (commitment fees aside: they are charged on what is not drawn):
    a loan at the discount rate without fees has 1, a cheaper one less.

    Examples
    --------
    >>> float(pv_at_disbursement(repayment_profile("linear", 0.05, 0, 2), 0.05).round(12))
    1.0
    >>> float(pv_at_disbursement(np.array([0.0, 1.0]), 0.0, front_end_fee=0.01).round(12))  # 0.01 + 1 / 1.05
    0.962380952381
    """
    units = np.atleast_2d(unit_payments(profile, rate, payments_per_year))
    if payments_per_year != 1:  # each instalment at its date (year_end_equivalent)
        prof = np.atleast_2d(np.asarray(profile, dtype=float))
        before = np.concatenate([np.ones(prof.shape[:-1] + (1,)), 1.0 - np.cumsum(prof, axis=-1)[..., :-1]], axis=-1)
        units = year_end_equivalent(units - prof, prof, before, payments_per_year, discount_rate)
    pv = present_value(units, np.full(units.shape[0], discount_rate)) + front_end_fee
    return np.asarray(pv if np.ndim(profile) == 2 else pv[0], dtype=float)


def pv_of_new_debt(disbursed: Floats, unit_pv: Floats | float) -> Floats:
    """The PV of new debt, as IMF debt ceilings count it: what is disbursed (D, Y) times the PV of a tranche of 1 at
    its disbursement (:func:`pv_at_disbursement`, (D,) or a scalar), and never more than the face value (a loan with
    a grant element of 0 or below counts at its nominal value); summed over the years, (D,).

    Examples
    --------
    >>> pv_of_new_debt(np.array([[60.0, 40.0]]), np.array([0.55])).round(9).tolist()
    [55.0]
    >>> pv_of_new_debt(np.array([[100.0]]), 1.2).tolist()  # dearer than 5%: its face value
    [100.0]
    """
    factor = np.minimum(np.asarray(unit_pv, dtype=float), 1.0)
    return np.asarray(np.asarray(disbursed, dtype=float).sum(axis=1) * factor, dtype=float)
def bought_down(interest: Floats, share: Floats, cap: Floats) -> Floats:
    """The part of each year's interest that a buy-down grant pays: ``share`` of it, until the grant's ``cap`` is
    used up (the year it runs out pays what is left of it).

    Parameters
    ----------
    interest : ndarray (D, H)
        The loan's interest (or service charge) in each year, in its nominal currency [currency/yr].
    share : ndarray (D,)
        Share of the interest the grant pays [share].
    cap : ndarray (D,)
        What the grant may pay in all, in the same currency [currency]; inf = no limit.

    Examples
    --------
    >>> bought_down(np.array([[0.0, 10.0, 10.0, 10.0]]), np.array([0.5]), np.array([12.0])).tolist()
    [[0.0, 5.0, 5.0, 2.0]]
    """
    want = np.asarray(share, dtype=float)[:, None] * interest
    total = np.cumsum(want, axis=1)
    limit = np.asarray(cap, dtype=float)[:, None]
    capped = np.diff(np.minimum(total, limit), axis=1, prepend=0.0)
    return np.asarray(np.where(total <= limit, want, np.maximum(capped, 0.0)), dtype=float)


#: OpenBLAS runs a matrix product of more than 2^18 multiply-adds on several threads (interface/gemm.c).
_ONE_THREAD = 1 << 18


def one_thread_matmul(a: Floats, b: Floats) -> Floats:
    """``a @ b`` (2-D, the draws along ``b``'s columns) as products small enough for OpenBLAS to run each on one
    thread: blocks of ``b``'s columns of nearly equal size.

    Two reasons. Speed: for the engine's small matrices (a 10 x 10 repayment matrix over 10,000 draws) waking the
    threads costs more than it saves (twice the CPU time on two cores, much more wall time on a busy machine).
    Reproducibility: a threaded product sums in an order that depends on the number of threads, so the same run gave
    other last bits on another machine; on one thread each column (draw) gets the same bits whatever the machine and
    whatever the other columns computed with it.
    """
    n, k = a.shape
    m = b.shape[1]
    if n * k * m <= _ONE_THREAD:
        return np.asarray(a @ b, dtype=float)
    out = np.empty((n, m))
    blocks = -(-m // max(64, _ONE_THREAD // max(n * k, 1)))
    bounds = [m * i // blocks for i in range(blocks + 1)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])
    return out


@dataclass(frozen=True)
class ServiceTerms:
    """What one loan or PPP source costs the government in each projection year, as a function of its annual
    disbursements: the same conventions as :func:`debt_service`, computed in the loan's own nominal currency and
    brought back to constant local prices. Used by the waterfall for the net envelope.

    ``conversion`` (Y, D), draw axis last like the waterfall: constant-price local currency -> nominal loan
    currency in each year.
    """

    source: int
    profile: Floats  # (D, K + 1) unit repayment profile of each draw
    rate: Floats  # (D,)
    front_end_fee: float
    commitment_fee: float
    commitment: Floats  # (D,) nominal loan currency (inf = none)
    fee_window: np.ndarray  # (Y,) bool
    conversion: Floats  # (Y, D)
    relief_share: Floats | None = None  # (D,) share of the interest a buy-down grant pays (None: no buy-down)
    relief_cap: Floats | None = None  # (D,) what the buy-down may pay in all, nominal loan currency (inf = none)
    payments_per_year: int = 1  # instalments a year (IDA and IBRD: 2)
    rate_path: Floats | None = None  # (D, Y) a variable rate of each year (engine/variable_rate.py); None: fixed

    def take(self, draws: np.ndarray | slice) -> "ServiceTerms":
        out = ServiceTerms(self.source, self.profile[draws], self.rate[draws], self.front_end_fee,
                           self.commitment_fee, self.commitment[draws], self.fee_window, self.conversion[:, draws],
                           None if self.relief_share is None else self.relief_share[draws],
                           None if self.relief_cap is None else self.relief_cap[draws], self.payments_per_year,
                           None if self.rate_path is None else self.rate_path[draws])
        m = self.matrix
        out.__dict__["matrix"] = m if m.ndim == 2 else m[draws]  # the same terms: keep the matrices already built
        return out

    @cached_property
    def interest_matrix(self) -> Floats:
        """The interest part of :attr:`matrix`: (Y, Y) or (D, Y, Y)."""
        Y = self.fee_window.shape[0]
        if self.rate_path is not None:  # a variable rate: the year's rate times the balance the year before
            return self._variable_matrix() - self._variable_matrix(interest=False)
        return convolution_matrix(_charge(*common_profile(self.profile, self.rate), self.payments_per_year), Y, Y)

    @cached_property
    def matrix(self) -> Floats:
        """Principal and interest paid in year j per unit disbursed in year t: (Y, Y) when every draw has the same
        terms, else (D, Y, Y)."""
        Y = self.fee_window.shape[0]
        if self.rate_path is not None:
            return self._variable_matrix()
        return convolution_matrix(unit_payments(*common_profile(self.profile, self.rate), self.payments_per_year),
                                  Y, Y)

    def _variable_matrix(self, interest: bool = True) -> Floats:
        """:attr:`matrix` of a variable-rate loan (``interest`` False: its principal part only), (D, Y, Y) or
        (Y, Y) when the profile and the path are the same in every draw."""
        Y = self.fee_window.shape[0]
        path = np.asarray(self.rate_path, dtype=float)
        profile = self.profile
        if (profile == profile[:1]).all() and (path == path[:1]).all():
            profile, path = profile[0], path[0]
        if not interest:
            path = np.zeros_like(path)
        return variable_unit_matrix(profile, path, Y, Y)

    def payments(self, disbursed: Floats) -> Floats:
        """Payments (Y, D) in constant local prices from annual disbursements (Y, D) in constant local prices."""
        nominal = disbursed * self.conversion
        m = self.matrix
        paid = (one_thread_matmul(m, nominal) if m.ndim == 2 else np.einsum("djt,td->jd", m, nominal)) \
            + self.front_end_fee * nominal
        if self.commitment_fee:
            drawn_before = np.concatenate([np.zeros((1, nominal.shape[1])), np.cumsum(nominal, axis=0)[:-1]])
            finite = np.isfinite(self.commitment)
            undrawn = np.maximum(np.where(finite, self.commitment, 0.0)[None, :] - drawn_before, 0.0)
            paid = paid + self.commitment_fee * undrawn * self.fee_window[:, None] * finite[None, :]
        if self.relief_share is not None:  # what a buy-down grant pays of the interest, the government does not
            m = self.interest_matrix
            interest = one_thread_matmul(m, nominal) if m.ndim == 2 else np.einsum("djt,td->jd", m, nominal)
            cap = self.relief_cap if self.relief_cap is not None else np.full(nominal.shape[1], np.inf)
            paid = paid - bought_down(interest.T, self.relief_share, cap).T
        return np.asarray(paid / self.conversion, dtype=float)


def variable_unit_matrix(profile: Floats, rate_path: Floats, years: int, horizon: int) -> Floats:
    """What a unit disbursed in year t pays in year j (principal and interest), ``M[j, t] = profile[j - t] + r_j x
    o[j - t - 1]`` with ``o`` the share still outstanding: (H, years) for one profile (K + 1,) and one path (H,),
    else (D, H, years) for per-draw profiles (D, K + 1) or paths (D, H).

    Examples
    --------
    A linear loan repaid in years 1 and 2, rates 10% then 20%: a unit of year 0 pays 0.5 + 0.1 in year 1, and
    0.5 + 0.2 x 0.5 in year 2.

    >>> variable_unit_matrix(np.array([0.0, 0.5, 0.5]), np.array([0.0, 0.1, 0.2]), 1, 3).round(12).tolist()
    [[0.0], [0.6], [0.6]]
    """
    profile = np.asarray(profile, dtype=float)
    rates = np.asarray(rate_path, dtype=float)[..., :horizon]
    principal = convolution_matrix(profile, years, horizon)
    charge = convolution_matrix(_charge(profile, 1.0), years, horizon)  # the share outstanding the year before
    return np.asarray(principal + rates[..., :, None] * charge, dtype=float)

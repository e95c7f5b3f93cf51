"""The rules of the instruments partners use beside grants and loans (docs/method.md, *Instruments*): an interest
buy-down written as the rate the borrower pays, a debt-for-education swap's counterpart, a universal service fund
levy. Pure numpy, a leading draw axis; amounts in the source's own currency at current prices, as the caps of the
waterfall take them.
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats


def buy_down_share(loan_rate: Floats, rate: float) -> Floats:
    """The share of each year's interest a buy-down grant pays so that the borrower pays ``rate`` instead of the
    loan's rate (D,): ``1 - rate / loan_rate``, 0 where the loan's rate is already at or below ``rate`` (and for a
    loan at 0%).

    A loan-side ``[source.buy_down] rate`` is the same buy-down as a grant-side ``share``: interest is charged on
    the outstanding balance, so paying this share of it every year is paying the interest above ``rate``.

    Examples
    --------
    >>> buy_down_share(np.array([0.05, 0.01, 0.0]), 0.01).round(12).tolist()  # 5% -> 1%: 80% of the interest
    [0.8, 0.0, 0.0]
    """
    r = np.asarray(loan_rate, dtype=float)
    above = r > rate
    share = np.where(above, 1.0 - rate / np.where(above, r, 1.0), 0.0)
    return np.asarray(share, dtype=float)


def swap_counterpart(debt_service: Floats, counterpart_share: Floats | float) -> Floats:
    """What a debt-for-education swap pays the plan each year: the counterpart, ``counterpart_share x`` the debt
    service the creditor cancels that year (D, Y) [currency/yr], in the currency of the cancelled service.

    The government pays the counterpart from its budget (a domestic source of the plan) and no longer pays the
    cancelled service (a saving of the treasury): its net gain is ``(1 - counterpart_share) x`` the service.

    Examples
    --------
    >>> swap_counterpart(np.array([[10e6, 10e6]]), 0.5).tolist()  # USD 10 M cancelled at 50%: USD 5 M a year
    [[5000000.0, 5000000.0]]
    """
    share = np.asarray(counterpart_share, dtype=float)
    return np.asarray(np.asarray(debt_service, dtype=float) * (share[:, None] if share.ndim else share),
                      dtype=float)


def levy_yield(base: Floats, rate: Floats | float) -> Floats:
    """What a levy raises each year (D, Y) [currency/yr]: ``rate x base``, the base a path of current-price
    amounts (a universal service fund levy: the telecom operators' gross revenue), ``rate`` one per draw (D,) or
    one number.

    Examples
    --------
    >>> levy_yield(np.array([[100e9, 110e9, 121e9]]), 0.015).round(6).tolist()  # 1.5% of a revenue growing 10%
    [[1500000000.0, 1650000000.0, 1815000000.0]]
    """
    r = np.asarray(rate, dtype=float)
    return np.asarray(np.asarray(base, dtype=float) * (r[:, None] if r.ndim else r), dtype=float)


def guarantee_charge(rate: Floats | float, share: float, fee: float) -> Floats:
    """The charge a guaranteed loan's borrower pays on the outstanding balance each year (D,): the loan's rate with
    the guarantee plus the guarantee fee on the guaranteed share, ``rate + share x fee``.

    Examples
    --------
    >>> guarantee_charge(np.array([0.04]), 0.8, 0.005).round(12).tolist()  # 4% + 0.8 x 0.5%
    [0.044]
    """
    return np.asarray(np.asarray(rate, dtype=float) + share * fee, dtype=float)


def split_guarantee_fee(charge: Floats, charge_rate: Floats, fee_rate: Floats) -> tuple[Floats, Floats]:
    """A guaranteed loan's yearly charge (D, H), levied at ``charge_rate = rate + share x fee`` (D,) on the
    outstanding balance, split into the interest (at the rate) and the guarantee fee (at ``fee_rate = share x fee``,
    (D,)): what debt_service.csv reports as interest and as fees.

    Examples
    --------
    >>> interest, fees = split_guarantee_fee(np.array([[0.0, 4.4, 2.2]]), np.array([0.044]), np.array([0.004]))
    >>> interest.round(12).tolist(), fees.round(12).tolist()  # 4.4% on 100, then on 50; 0.4 points are the fee
    ([[0.0, 4.0, 2.0]], [[0.0, 0.4, 0.2]])
    """
    c = np.asarray(charge_rate, dtype=float)
    part = np.where(c > 0, np.asarray(fee_rate, dtype=float) / np.where(c > 0, c, 1.0), 0.0)[:, None]
    fees = np.asarray(charge, dtype=float) * part
    return np.asarray(charge - fees, dtype=float), np.asarray(fees, dtype=float)


def guaranteed_outstanding(outstanding: Floats, share: float) -> Floats:
    """The guaranteed part of a loan's balance at the end of each year (D, H): ``share x outstanding``, a contingent
    liability of the guarantor (it pays the lender if the borrower does not, and then has a claim on the borrower).

    Examples
    --------
    >>> guaranteed_outstanding(np.array([[100.0, 50.0, 0.0]]), 0.8).tolist()
    [[80.0, 40.0, 0.0]]
    """
    return np.asarray(share * np.asarray(outstanding, dtype=float), dtype=float)


def cancel_service(interest: Floats, principal: Floats, cancel: Floats) -> tuple[Floats, Floats, Floats]:
    """A loan's service with part of it cancelled by a swap (D, H) each: the cancelled amount in each year is at
    most that year's service, ``c = min(cancel, interest + principal)``, taken off the interest first, then the
    principal; the balance outstanding follows the schedule (a cancelled repayment is forgiven, not postponed).
    Returns the interest and principal the borrower still pays, and what was cancelled.

    Examples
    --------
    >>> i, p, c = cancel_service(np.array([[0.0, 5.0, 2.5]]), np.array([[0.0, 50.0, 50.0]]),
    ...                          np.array([[10.0, 10.0, 0.0]]))
    >>> i.tolist(), p.tolist(), c.tolist()  # nothing falls due in the first year: nothing to cancel
    ([[0.0, 0.0, 2.5]], [[0.0, 45.0, 50.0]], [[0.0, 10.0, 0.0]])
    """
    c = np.minimum(np.asarray(cancel, dtype=float), interest + principal)
    from_interest = np.minimum(c, interest)
    return (np.asarray(interest - from_interest, dtype=float), np.asarray(principal - (c - from_interest), dtype=float),
            np.asarray(c, dtype=float))

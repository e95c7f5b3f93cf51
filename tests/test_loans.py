"""Loans: debt service of one tranche under each IDA21 term sheet by hand, grant elements, and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dfl_finance.engine.loans import debt_service, grant_element, ppp_profile, repayment_profile
from dfl_finance.inputs.profiles import loan_terms

H = 50  # long enough for a 40-year credit disbursed in year 0


def _single_tranche(sheet_id: str, amount: float = 1_000_000.0):
    sheet = loan_terms()[sheet_id]
    profile = repayment_profile(sheet.repayment, sheet.rate, sheet.grace_years, sheet.maturity_years, sheet.schedule)
    return debt_service(np.array([[amount]]), profile, sheet.rate, H)


def _by_hand(rate: float, principal_by_k: dict[int, float], amount: float = 1_000_000.0):
    """Interest and principal year by year, the way a loan officer would tabulate them."""
    principal = np.zeros(H)
    interest = np.zeros(H)
    outstanding = amount
    for k in range(1, H):
        interest[k] = rate * outstanding  # charge on the balance at the end of the previous year
        principal[k] = principal_by_k.get(k, 0.0)
        outstanding -= principal[k]
    return interest, principal


def _pv(flows, rate=0.05):
    return sum(f / (1 + rate) ** k for k, f in enumerate(flows))


def _grant_element_by_hand(interest, principal, amount=1_000_000.0):
    """1 - PV at 5% of what the borrower pays / what it received (received in year 0, not discounted)."""
    return 1 - _pv(interest + principal) / amount


def _grant_element(ds):
    return grant_element(ds.disbursed, ds.payments, np.array([0.05]))[0]


def test_ida21_regular():
    # 31/6, 4.00% of principal a year for years 7-31, service charge 1.35%:
    # k = 1..6: charge 13,500; k = 7..31: principal 40,000 and charge 1.35% x (1,000,000 - 40,000 (k - 7)).
    # total charges = 6 x 13,500 + 0.0135 x 40,000 x (25 + 24 + ... + 1) = 81,000 + 540 x 325 = 256,500
    ds = _single_tranche("ida21-regular")
    interest, principal = _by_hand(0.0135, {k: 40_000.0 for k in range(7, 32)})
    assert_allclose(ds.interest[0], interest, atol=1e-6)
    assert_allclose(ds.principal[0], principal, atol=1e-6)
    assert ds.interest[0].sum() == pytest.approx(256_500.0)
    assert ds.interest[0][1] == pytest.approx(13_500.0) and ds.interest[0][31] == pytest.approx(540.0)
    assert ds.outstanding[0][31] == pytest.approx(0.0, abs=1e-6) and ds.outstanding[0][6] == 1_000_000.0
    ge = grant_element(ds.disbursed, ds.payments, np.array([0.05]))[0]
    assert ge == pytest.approx(1 - _pv(interest + principal) / 1_000_000.0, rel=1e-12)
    assert ge == pytest.approx(0.4229, abs=1e-4)  # about 42%: concessional at the IMF's 5%


def test_ida21_40_year_credit_last_payment_rule():
    # 40/11, 3.45% a year for years 12-40, no charge. 29 x 3.45% = 100.05%, so the last payment (k = 40) pays what
    # is left: 1,000,000 - 28 x 34,500 = 34,000.
    ds = _single_tranche("ida21-40year")
    expected = {k: 34_500.0 for k in range(12, 40)} | {40: 34_000.0}
    interest, principal = _by_hand(0.0, expected)
    assert_allclose(ds.principal[0], principal, atol=1e-6)
    assert_allclose(ds.interest[0], 0.0)
    assert ds.principal[0].sum() == pytest.approx(1_000_000.0)
    ge = grant_element(ds.disbursed, ds.payments, np.array([0.05]))[0]
    assert ge == pytest.approx(1 - _pv(principal) / 1_000_000.0, rel=1e-12)
    assert ge == pytest.approx(0.6947, abs=1e-4)


def test_ida21_small_economy():
    # 40/10, 2% a year for years 11-20 then 4% for 21-40, service charge 1.31%:
    # k = 1..10 charge 13,100; then 20,000 a year (k = 11..20) and 40,000 a year (k = 21..40); 10 x 2% + 20 x 4% = 100%
    ds = _single_tranche("ida21-small-economy")
    interest, principal = _by_hand(0.0131, {k: 20_000.0 for k in range(11, 21)} | {k: 40_000.0 for k in range(21, 41)})
    assert_allclose(ds.interest[0], interest, atol=1e-6)
    assert_allclose(ds.principal[0], principal, atol=1e-6)
    assert ds.interest[0][10] == pytest.approx(13_100.0)
    assert ds.interest[0][21] == pytest.approx(0.0131 * 800_000.0)
    assert _grant_element(ds) == pytest.approx(_grant_element_by_hand(interest, principal), rel=1e-12)
    assert _grant_element(ds) == pytest.approx(0.5294, abs=1e-4)


def test_ida21_blend_fixed():
    # 25/5, 5% a year for years 6-25, interest 2.18%: k = 1..5 charge 21,800; principal 50,000 for k = 6..25
    ds = _single_tranche("ida21-blend-fixed")
    interest, principal = _by_hand(0.0218, {k: 50_000.0 for k in range(6, 26)})
    assert_allclose(ds.interest[0], interest, atol=1e-6)
    assert_allclose(ds.principal[0], principal, atol=1e-6)
    assert ds.interest[0][1:6] == pytest.approx([21_800.0] * 5)
    assert _grant_element(ds) == pytest.approx(_grant_element_by_hand(interest, principal), rel=1e-12)
    assert _grant_element(ds) == pytest.approx(0.2886, abs=1e-4)


def test_ida_shorter_maturity():
    # 12/6, 16.67% for years 7-12, no charge: 5 x 166,700 = 833,500; the last payment (k = 12) is 166,500
    ds = _single_tranche("ida-shorter-maturity")
    interest, principal = _by_hand(0.0, {k: 166_700.0 for k in range(7, 12)} | {12: 166_500.0})
    assert_allclose(ds.principal[0], principal, atol=1e-6)
    assert _grant_element(ds) == pytest.approx(_grant_element_by_hand(interest, principal), rel=1e-12)
    assert _grant_element(ds) == pytest.approx(0.3687, abs=1e-4)


def test_ibrd_placeholder_has_fees_and_linear_repayment():
    sheet = loan_terms()["ibrd-flexible"]
    assert sheet.placeholder and sheet.repayment == "linear"
    profile = repayment_profile("linear", sheet.rate, sheet.grace_years, sheet.maturity_years)
    # 0.25% front-end fee on 1,000 disbursed in year 0 = 2.5; commitment fee 0.25% on the undrawn 1,000 at the
    # start of year 0 = 2.5, and nothing undrawn after.
    ds = debt_service(np.array([[1000.0, 0.0]]), profile, sheet.rate, 30, front_end_fee=0.0025,
                      commitment_fee=0.0025, commitment=np.array([1000.0]))
    assert ds.fees[0][0] == pytest.approx(5.0) and ds.fees[0][1:].sum() == 0.0
    assert_allclose(ds.principal[0][6:21], 1000.0 / 15)


def test_commitment_fee_on_undrawn_balance():
    # commitment 300; draws 100, 100, 0: undrawn at the start of each year 300, 200, 100 -> fees at 1%: 3, 2, 1
    ds = debt_service(np.array([[100.0, 100.0, 0.0]]), repayment_profile("linear", 0.0, 0, 1), 0.0, 5,
                      commitment_fee=0.01, commitment=np.array([300.0]))
    assert_allclose(ds.fees[0], [3.0, 2.0, 1.0, 0.0, 0.0])


def test_annuity_is_level_after_grace():
    # 1,000 at 10% over 3 years after 1 grace year: payment = 1000 x 0.1 / (1 - 1.1^-3) = 402.1148...
    ds = debt_service(np.array([[1000.0]]), repayment_profile("annuity", 0.1, 1, 4), 0.1, 6)
    assert_allclose(ds.payments[0][2:5], 1000 * 0.1 / (1 - 1.1 ** -3))
    assert ds.payments[0][1] == pytest.approx(100.0)  # grace year: interest only


def test_ppp_availability_payments():
    # operator invests 1,000 in year 0; 10% over 2 years from year 1: 1000 x 0.1 / (1 - 1.1^-2) = 576.19 a year
    ds = debt_service(np.array([[1000.0, 0.0]]), ppp_profile(2, 0.10), 0.10, 4)
    assert_allclose(ds.payments[0], [0.0, 576.1904761904761, 576.1904761904761, 0.0])


def test_grant_element_edges():
    received = np.array([[100.0, 0.0, 0.0]])
    assert grant_element(received, np.zeros((1, 3)), np.array([0.05]))[0] == 1.0  # a grant
    assert np.isnan(grant_element(np.zeros((1, 3)), np.zeros((1, 3)), np.array([0.05]))[0])


def test_horizon_too_short_is_an_error():
    with pytest.raises(ValueError, match="horizon"):
        debt_service(np.array([[1.0]]), repayment_profile("linear", 0.0, 0, 5), 0.0, 3)


# ----------------------------------------------------------------------------------------- properties

terms = st.tuples(
    st.sampled_from(["linear", "annuity", "schedule"]),
    st.floats(0.0, 0.15, allow_nan=False),
    st.integers(0, 10),
    st.integers(1, 30),
).map(lambda t: (t[0], t[1], t[2], t[2] + t[3]))


def _profile(rep, rate, grace, maturity, share):
    schedule = [(grace + 1, maturity, share)] if rep == "schedule" else None
    return repayment_profile(rep, rate, grace, maturity, schedule)


disbursements = st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e7)), min_size=1, max_size=10)


@given(terms, disbursements, st.floats(0.01, 0.5))
def test_principal_repaid_equals_disbursed(t, disb, share):
    profile = _profile(*t, share)
    ds = debt_service(np.array([disb]), profile, t[1], len(disb) + len(profile))
    assert ds.principal.sum() == pytest.approx(sum(disb), rel=1e-9, abs=1e-6)
    assert np.all(ds.outstanding >= -1e-6) and ds.outstanding[0, -1] == pytest.approx(0.0, abs=1e-6)


@given(terms, disbursements, st.floats(0.01, 0.5))
def test_pv_of_debt_service_at_own_rate_equals_disbursed(t, disb, share):
    rate = t[1]
    profile = _profile(*t, share)
    ds = debt_service(np.array([disb]), profile, rate, len(disb) + len(profile))
    assert grant_element(ds.disbursed, ds.payments, np.array([rate]))[0] == pytest.approx(0.0, abs=1e-9) \
        or sum(disb) == 0


@given(terms, st.floats(0.01, 0.5))
def test_loan_at_the_discount_rate_has_grant_element_zero(t, share):
    rate = max(t[1], 0.001)
    profile = _profile(t[0], rate, t[2], t[3], share)
    ds = debt_service(np.array([[1e6, 0.0, 5e5]]), profile, rate, 3 + len(profile))
    assert abs(grant_element(ds.disbursed, ds.payments, np.array([rate]))[0]) < 1e-9


@pytest.mark.parametrize("rows, inner, columns", [(10, 10, 30_000), (3, 3, 100_000), (25, 25, 5_001),
                                                  (123, 10, 20_000), (7, 10, 1)])
def test_one_thread_matmul_gives_each_draw_the_numbers_it_has_alone(rows, inner, columns):
    """The products of the engine's service matrices run in blocks that OpenBLAS keeps on one thread: each draw's
    numbers are those of its own product, whatever the number of threads or of draws run with it."""
    from dfl_finance.engine.loans import one_thread_matmul

    rng = np.random.default_rng(rows + columns)
    a, b = rng.uniform(0, 1, (rows, inner)), rng.uniform(0, 1e9, (inner, columns))
    got = one_thread_matmul(a, b)
    assert_allclose(got, a @ b, rtol=1e-13)
    for j in rng.integers(0, columns, 5):
        assert np.array_equal(got[:, j], one_thread_matmul(a, b[:, j:j + 64])[:, 0]) or columns < 64

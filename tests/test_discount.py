"""Discounting lives in engine/discount.py alone (issue 20): its functions against answers worked by hand and
published ones, and a walk of the package that fails on ``(1 + r) ** -t`` derived anywhere else.

Convention (DESIGN.md): a flow in year index ``i`` (0 = start_year) is discounted by ``(1 + rate) ** i``; the first
year is not discounted.
"""

import ast
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from dfl_finance.engine.discount import (
    annuity_factor,
    annuity_principal,
    discount_factors,
    discounted,
    level_payment,
    present_value,
    present_value_ahead,
)
from tests.conftest import ROOT

# -- known answers --------------------------------------------------------------------------------------------------


def test_discount_factors_leave_the_first_year_and_keep_one_row_per_draw():
    df = discount_factors(np.array([0.05, 0.0, 0.25]), 4)
    assert df.shape == (3, 4)
    assert_allclose(df[0], [1.0, 1 / 1.05, 1 / 1.1025, 1 / 1.157625], rtol=1e-15)
    assert df[1].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert df[2].tolist() == [1.0, 0.8, 0.64, 0.512]  # 1.25 = 5/4: exact in binary


def test_present_value_of_a_flow_that_grows_at_the_rate_is_its_first_year_times_the_years():
    flows = np.array([[100.0, 110.0, 121.0], [100.0, 110.0, 121.0]])
    assert_allclose(present_value(flows, np.array([0.1, 0.0])), [300.0, 331.0], rtol=1e-15)


def test_discounted_divides_each_year_and_keeps_the_other_axes():
    flows = np.ones((2, 3, 2))
    out = discounted(flows, np.array([0.25, 0.0]))
    assert out.shape == (2, 3, 2)
    assert out[0, :, 0].tolist() == [1.0, 0.8, 0.64] and out[0, :, 1].tolist() == [1.0, 0.8, 0.64]
    assert (out[1] == 1.0).all()
    assert_allclose(discounted(flows, np.array([0.05, 0.05])), discount_factors(np.array([0.05, 0.05]), 3)[:, :, None]
                    * flows, rtol=1e-15)


def test_annuity_factor_5_percent_10_years_is_the_textbook_value():
    # a(10, 5%) = (1 - 1.05^-10) / 0.05 = 7.7217 (present-value-of-an-annuity tables), and the sum of its terms
    formula = (1 - 1.05 ** -10) / 0.05
    terms = sum(1.05 ** -k for k in range(1, 11))
    a = annuity_factor(np.array([0.05]), 10)
    assert a.shape == (1,)
    assert_allclose(a, [formula], rtol=1e-14)
    assert_allclose(a, [terms], rtol=1e-14)
    assert round(float(a[0]), 4) == 7.7217


def test_level_payment_is_numpy_financials_published_mortgage_payment():
    # numpy-financial's pmt example: a 200,000 loan over 15 years of monthly payments at 7.5% a year
    # npf.pmt(0.075/12, 12*15, 200000) == -1854.0247200054619 (payments are negative in its sign convention)
    assert_allclose(200_000 * level_payment(np.array([0.075 / 12]), 12 * 15), [1854.0247200054619], rtol=1e-12)


def test_annuity_factor_and_discount_factors_give_numpy_financials_published_present_value():
    # numpy-financial's pv example: save 100 a month for 10 years at 5% a year to reach 15,692.93;
    # npf.pv(0.05/12, 10*12, -100, 15692.93) == -100.00067131625819, i.e. 100 a(120, r) - 15692.93 (1 + r)^-120
    r = np.array([0.05 / 12])
    pv = 100 * annuity_factor(r, 120) - 15692.93 * discount_factors(r, 121)[:, 120]
    assert_allclose(pv, [-100.00067131625819], rtol=1e-12)


@pytest.mark.parametrize("rate", [0.0, 1e-12, 0.0075, 0.05, 0.3])
@pytest.mark.parametrize("years", [1, 2, 10, 40])
def test_level_payment_repays_the_principal_and_is_one_over_the_annuity_factor(rate, years):
    r = np.array([rate])
    pay = level_payment(r, years)
    assert_allclose(pay * annuity_factor(r, years), [1.0], rtol=1e-12)
    principal = annuity_principal(r, years)
    assert principal.shape == (1, years)
    assert_allclose(principal.sum(axis=1), [1.0], rtol=1e-12)
    # each year's payment is the principal repaid plus the interest on what was owed at the end of the year before
    owed = 1.0 - np.concatenate([[0.0], np.cumsum(principal[0])[:-1]])
    assert_allclose(principal[0] + rate * owed, np.full(years, pay[0]), rtol=1e-12)


def test_annuities_by_hand_and_at_a_zero_rate():
    # 10% over 2 years: payment 0.1 / (1 - 1.1^-2) = 0.121 / 0.21 = 0.5761904...; principal 0.4761904..., then the rest
    assert_allclose(level_payment(np.array([0.1]), 2), [0.121 / 0.21], rtol=1e-15)
    assert_allclose(annuity_principal(np.array([0.1]), 2), [[0.1 / 0.21, 0.11 / 0.21]], rtol=1e-15)
    assert level_payment(np.array([0.0]), 4).tolist() == [0.25]
    assert annuity_factor(np.array([0.0]), 4).tolist() == [4.0]
    assert annuity_principal(np.array([0.0]), 4).tolist() == [[0.25, 0.25, 0.25, 0.25]]
    rates = np.array([0.05, 0.0, 0.1])  # one row per draw, a zero rate among them
    assert_allclose(level_payment(rates, 10), [1 / annuity_factor(np.array([x]), 10)[0] for x in rates], rtol=1e-14)
    with pytest.raises(ValueError, match="at least one year"):
        level_payment(np.array([0.05]), 0)


def test_present_value_ahead_by_hand():
    # at the end of year 0: 105 / 1.05 + 110.25 / 1.05^2 = 200; of year 1: 105; nothing after the last year
    payments = np.array([[0.0, 105.0, 110.25], [0.0, 0.0, 10.0]])
    assert_allclose(present_value_ahead(payments, 0.05), [[200.0, 105.0, 0.0], [10 / 1.1025, 10 / 1.05, 0.0]],
                    rtol=1e-14)


# -- nobody else discounts ------------------------------------------------------------------------------------------

PACKAGE = ROOT / "dfl_finance"
HOME = PACKAGE / "engine" / "discount.py"
#: Expressions that look like discounting and are not: the education budget of budget_year carried to start_year
#: at real growth (compile).
NOT_DISCOUNTING = {"(1.0 + growth[:, 0]) ** (-j)"}


def _one_plus(node: ast.AST) -> bool:
    """``1 + x`` or ``x + 1``."""
    return (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
            and any(isinstance(x, ast.Constant) and x.value == 1 for x in (node.left, node.right)))


def _names_a_rate(node: ast.BinOp) -> bool:
    """``1 + r``, ``1 + rate``, ``1 + s.return_rate`` ..."""
    for x in (node.left, node.right):
        name = getattr(x, "id", None) or getattr(x, "attr", None)
        if name is not None and (name == "r" or name.endswith("rate")):
            return True
    return False


def _calls(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Call) and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in names


def discounting_by_hand(tree: ast.AST) -> list[str]:
    """The expressions of ``tree`` that derive a discount factor: ``(1 + r) ** -t``, ``x / (1 + r) ** t``,
    ``1 / (1 + rate)`` and ``exp(-t * log1p(r))`` (or ``expm1``)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.BinOp, ast.Call)):
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            hit = _one_plus(node.left) and (
                (isinstance(node.right, ast.UnaryOp) and isinstance(node.right.op, ast.USub))
                or (isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float))
                    and node.right.value < 0))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            r = node.right
            hit = ((isinstance(r, ast.BinOp) and isinstance(r.op, ast.Pow) and _one_plus(r.left))
                   or (isinstance(node.left, ast.Constant) and node.left.value == 1 and _one_plus(r)
                       and _names_a_rate(r)))
        else:
            hit = (_calls(node, {"exp", "expm1"}) and any(_calls(n, {"log1p"}) for n in ast.walk(node))
                   and any(isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) for n in ast.walk(node)))
        if hit:
            found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize("source, hit", [
    ("x = (1.0 + rate[:, None]) ** -i", True),
    ("x = (1 + r) ** -3", True),
    ("x = (bought / (1.0 + rate) ** k).sum()", True),
    ("v = 1.0 / (1.0 + rate)", True),
    ("a = rate / -np.expm1(-n * np.log1p(rate))", True),
    ("p = np.exp(-np.arange(n, 0, -1.0) * np.log1p(rate))", True),
    ("g = budget * (1.0 + growth) ** np.arange(h)", False),  # growth, not discounting
    ("s = 1.0 / (1.0 + np.exp(-k * x))", False),  # a logistic curve
    ("w = 1.0 / (1.0 + float(ratio.max()))", False),
    ("i = np.exp(np.cumsum(np.log1p(rates)))", False),  # a price index from rates
])
def test_the_walk_tells_discounting_from_growth(source, hit):
    assert bool(discounting_by_hand(ast.parse(source))) is hit


def test_no_module_but_engine_discount_derives_a_discount_factor():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == HOME:
            continue
        hits = [h for h in discounting_by_hand(ast.parse(path.read_text(encoding="utf-8"))) if h not in NOT_DISCOUNTING]
        if hits:
            found[str(Path(path).relative_to(ROOT))] = hits
    assert not found, ("discount with dfl_finance.engine.discount (discount_factors, discounted, present_value, "
                       f"present_value_ahead, annuity_factor, level_payment, annuity_principal), not by hand: {found}")

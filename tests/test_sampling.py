"""engine.sampling without scipy.stats: the Latin hypercube and the distributions give what scipy.stats gives (the
code they replace), to the last bit, on random parameters, in the tails and at the truncations."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.stats import qmc

from dfl_finance.engine.sampling import Marginal, correlate, latin_hypercube, sample, uniforms

#: uniform numbers as the draws give them (in [1e-12, 1 - 1e-12]), the tails included
TAILS = np.array([1e-12, 1e-9, 1e-6, 1e-3, 0.5, 1 - 1e-3, 1 - 1e-6, 1 - 1e-9, 1 - 1e-12])
seeds = st.integers(0, 2**32 - 1)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def _u(seed: int, n: int = 200) -> np.ndarray:
    return np.concatenate([TAILS, np.clip(np.random.default_rng(seed).random(n), 1e-12, 1 - 1e-12)])


def _same(a: np.ndarray, b: np.ndarray) -> None:
    """Equal to the last bit (NaN where the other is NaN)."""
    assert a.dtype == np.float64 and a.shape == np.shape(b)
    assert np.array_equal(a, np.asarray(b, dtype=float), equal_nan=True), np.nanmax(np.abs(a - b))


@given(n=st.integers(1, 300), d=st.integers(0, 8), seed=seeds)
def test_the_latin_hypercube_is_scipys_to_the_last_bit(n, d, seed):
    mine = latin_hypercube(n, d, np.random.default_rng(seed))
    theirs = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)
    _same(mine, theirs)


def test_the_lhs_design_of_10000_draws_is_scipys():
    theirs = np.clip(qmc.LatinHypercube(d=7, seed=np.random.default_rng(2026)).random(10_000), 1e-12, 1 - 1e-12)
    _same(uniforms(10_000, 7, "lhs", 2026), theirs)


@given(lo=finite, width=st.floats(1e-6, 1e6), c=st.floats(0.0, 1.0), seed=seeds)
def test_a_triangular_is_scipys(lo, width, c, seed):
    hi = lo + width
    mode = lo + c * (hi - lo)
    u = _u(seed)
    theirs = stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    _same(Marginal("triangular", low=lo, mode=mode, high=hi).ppf(u), theirs)


@given(lo=finite, width=st.floats(1e-3, 1e6), c=st.floats(0.0, 1.0), seed=seeds)
def test_a_pert_is_scipys_beta(lo, width, c, seed):
    hi = lo + width
    mode = lo + c * (hi - lo)
    a, b = 1 + 4 * (mode - lo) / (hi - lo), 1 + 4 * (hi - mode) / (hi - lo)
    u = _u(seed)
    _same(Marginal("pert", low=lo, mode=mode, high=hi).ppf(u), lo + (hi - lo) * stats.beta.ppf(u, a, b))


bounds = st.one_of(st.just(-np.inf), st.just(np.inf), st.floats(-50, 50))


@given(mean=st.floats(-100, 100), sd=st.floats(1e-3, 100), lower=bounds, upper=bounds, seed=seeds)
def test_a_normal_is_scipys_truncnorm_in_the_tails_and_at_the_bounds(mean, sd, lower, upper, seed):
    lower, upper = mean + lower * sd, mean + upper * sd  # truncations from far below the mean to far above it
    m = Marginal("normal", mean=mean, sd=sd, lower_bound=lower, upper_bound=upper)
    u = _u(seed)
    a, b = (lower - mean) / sd, (upper - mean) / sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's answer to an empty truncation (NaN)
        theirs = stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd)
    _same(m.ppf(u), theirs)


@given(median=st.floats(1e-3, 1e6), sd_log=st.floats(1e-3, 3), lower=st.floats(0, 1e6), span=st.floats(0, 1e7),
       open_above=st.booleans(), seed=seeds)
def test_a_lognormal_is_scipys_truncnorm_of_the_logarithm(median, sd_log, lower, span, open_above, seed):
    upper = np.inf if open_above else lower + span
    m = Marginal("lognormal", median=median, sd_log=sd_log, lower_bound=lower, upper_bound=upper)
    u = _u(seed)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an empty truncation: NaN from both
        a = (np.log(lower) - np.log(median)) / sd_log if lower > 0 else -np.inf
        b = (np.log(upper) - np.log(median)) / sd_log
        theirs = median * np.exp(sd_log * stats.truncnorm.ppf(u, a, b))
        mine = m.ppf(u)
    _same(mine, theirs)


def test_the_ends_and_outside_are_placed_as_scipy_places_them():
    u = np.array([0.0, 1.0, -0.1, 1.1, np.nan, 0.3])
    _same(Marginal("triangular", low=1.0, mode=2.0, high=5.0).ppf(u), stats.triang.ppf(u, 0.25, loc=1, scale=4))
    _same(Marginal("pert", low=1.0, mode=2.0, high=5.0).ppf(u), 1 + 4 * stats.beta.ppf(u, 2.0, 4.0))
    normal = Marginal("normal", mean=1.0, sd=2.0, lower_bound=0.0, upper_bound=4.0)
    _same(normal.ppf(u), stats.truncnorm.ppf(u, -0.5, 1.5, loc=1.0, scale=2.0))


@given(n=st.integers(2, 200), seed=seeds, rho=st.floats(-0.45, 1.0), size=st.integers(2, 3))
def test_a_correlated_group_is_scipys_gaussian_copula(n, seed, rho, size):
    u = uniforms(n, size + 1, "mc", seed)
    cols = list(range(size))
    theirs = u.copy()
    if rho == 0:  # a group at rho 0 is left as drawn
        _same(correlate(u, [cols], [rho]), u)
        return
    w, v = np.linalg.eigh(np.full((size, size), rho) + (1.0 - rho) * np.eye(size))
    theirs[:, cols] = stats.norm.cdf(stats.norm.ppf(u[:, cols]) @ (v * np.sqrt(np.clip(w, 0.0, None))).T)
    _same(correlate(u, [cols], [rho]), np.clip(theirs, 1e-12, 1 - 1e-12))


def test_the_default_design_and_closed_forms_import_no_scipy():
    # a Latin hypercube of uniform, triangular and discrete inputs (the bundled scenarios' risk runs) needs no scipy
    code = ("import sys; from dfl_finance.engine.sampling import Marginal, sample; "
            "sample([Marginal('uniform', low=0.0, high=1.0), Marginal('triangular', low=0.0, mode=1.0, high=2.0), "
            "Marginal('discrete', values=(1.0, 2.0))], 100, 'lhs', 1); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_sample_draws_every_marginal_from_its_column():
    ms = [Marginal("uniform", low=0.0, high=10.0), Marginal("pert", low=0.0, mode=1.0, high=4.0)]
    x, u = sample(ms, 50, "lhs", 3), uniforms(50, 2, "lhs", 3)
    _same(x[:, 0], 10.0 * u[:, 0])
    _same(x[:, 1], 4.0 * stats.beta.ppf(u[:, 1], 2.0, 4.0))


@pytest.mark.parametrize("method", ["sobol", "mc"])
def test_the_other_designs_are_unchanged(method):
    rng = np.random.default_rng(5)
    if method == "mc":
        theirs = rng.random((64, 3))
    else:
        theirs = qmc.Sobol(d=3, scramble=True, seed=rng).random(64)
    _same(uniforms(64, 3, method, 5), np.clip(theirs, 1e-12, 1 - 1e-12))



# scipy.special.logsumexp without scipy's array-API layer (issue 21: a risk run with a normal input loads only
# scipy.special's compiled functions)
terms = st.one_of(st.floats(-800, 800), st.sampled_from([-np.inf, np.inf, np.nan, 0.0, -0.0]))


@given(rows=st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(terms, min_size=3, max_size=3), min_size=k,
                                                         max_size=k)),
       phase=st.lists(st.sampled_from([0.0, np.pi, -np.pi / 2, 7.0]), min_size=4, max_size=4))
def test_logsumexp_rows_is_scipys_logsumexp_to_the_last_bit(rows, phase):
    from scipy.special import logsumexp

    from dfl_finance.engine.sampling import logsumexp_rows

    a = np.array(rows, dtype=float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(np.asarray(logsumexp_rows(list(a))), np.asarray(logsumexp(a, axis=0)))
        c = a + np.array(phase[:len(rows)])[:, None] * 1j  # complex terms, as the truncated normal's mass
        mine, theirs = np.asarray(logsumexp_rows(list(c))), np.asarray(logsumexp(c, axis=0))
    assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs, equal_nan=True)


def test_logsumexp_rows_known_answers():
    # log(e^0 + e^log 3) = log 4: the largest term (log 3) out, log1p(exp(0 - log 3)) = log(4/3), + log 3 = log 4
    from dfl_finance.engine.sampling import logsumexp_rows

    np.testing.assert_allclose(logsumexp_rows([np.array([0.0]), np.array([np.log(3.0)])]), [np.log(4.0)], rtol=1e-15)
    # two equal terms: both taken out (m = 2), log1p(0) + log 2 + 0 = log 2 exactly
    assert logsumexp_rows([np.array([0.0]), np.array([0.0])]).tolist() == [np.log(2.0)]
    # nothing to add up (every term -inf): log(0) = -inf
    assert logsumexp_rows([np.array([-np.inf]), np.array([-np.inf])]).tolist() == [-np.inf]


def test_a_normal_input_loads_only_scipy_specials_compiled_functions():
    # the draws of a normal (a truncated normal through scipy.special's compiled functions) without the package's
    # __init__ and its array-API layer; a later `import scipy.special` is whole and has the same functions
    code = ("import sys; import numpy as np; from dfl_finance.engine.sampling import Marginal; "
            "x = Marginal('normal', mean=1.0, sd=2.0, lower_bound=0.0).ppf(np.array([0.1, 0.5, 0.9])); "
            "print(sorted(m for m in sys.modules if m in ('scipy.special', 'scipy._lib._array_api', "
            "'scipy.special._ufuncs', 'numpy.f2py'))); "
            "import scipy.special, scipy.special._ufuncs as u; "
            "print(scipy.special.ndtri_exp is u.ndtri_exp, callable(scipy.special.logsumexp), x.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['scipy.special._ufuncs']"
    assert out[1].startswith("True True")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = stats.truncnorm.ppf([0.1, 0.5, 0.9], -0.5, np.inf, loc=1.0, scale=2.0).tolist()
    assert out[1] == f"True True {theirs}"


def test_with_another_thread_alive_scipy_special_is_imported_whole():
    # the app's server has threads: the package is imported as usual, never a placeholder another thread could find
    code = ("import sys, threading; from dfl_finance.engine.sampling import _special; e = threading.Event(); "
            "t = threading.Thread(target=e.wait); t.start(); f = _special(); e.set(); t.join(); "
            "whole = sys.modules.get('scipy.special'); print(whole is not None and f is whole._ufuncs)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"

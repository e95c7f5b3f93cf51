"""Draws of uncertain inputs: uniform numbers from a sampling design, correlated within groups, turned into values
by each input's distribution (its inverse cumulative distribution function). Pure numpy and scipy; no I/O.

Designs: ``lhs`` (Latin hypercube), ``sobol`` (scrambled Sobol, ``scipy.stats.qmc``), ``mc`` (plain Monte Carlo,
``numpy.random.default_rng``). The same seed gives the same numbers on any machine (the generators are
numpy's PCG64, seeded explicitly).

Why not ``scipy.stats`` throughout: importing it costs about 0.5 s of wall time and 0.6 s of CPU (scipy 1.17 parses
some 600 docstrings at import, in ``scipy/_lib/_array_api.py``), as much as a whole ``dfl-finance run``; a risk
run would pay it before its first draw. So the default design and the distributions do not import it:

- ``lhs`` is :func:`latin_hypercube`, scipy's algorithm of ``qmc.LatinHypercube(d, seed=rng).random(n)`` (the
  default: scrambled, strength 1, no optimisation) step by step on the same numpy generator: the same numbers to the
  last bit (a test compares them);
- the uniform, triangular and discrete distributions are closed forms in numpy (the triangular the same
  arithmetic as ``scipy.stats.triang.ppf``); the pert (beta), normal and lognormal (truncated normal) and the
  Gaussian copula of correlated groups use ``scipy.special`` (about 0.13 s to import, paid only by a scenario that
  has one of them): the same functions, in the same order, as ``scipy.stats.beta``, ``truncnorm`` and ``norm``
  (tests compare them with ``scipy.stats`` on random parameters, tails and truncations included). Of
  ``scipy.special`` only its compiled functions are loaded (:func:`_special`, about 0.01 s of CPU where the whole
  ``scipy.special`` takes 0.10-0.14 s, most of it its array-API layer importing ``numpy.f2py``, ``numpy.testing``
  and ``numpy.ctypeslib``, issue 21), and ``scipy.special.logsumexp`` (pure Python on that layer) is
  :func:`logsumexp_rows`, its arithmetic step by step: the same numbers to the last bit (a test compares them);
- ``sobol`` keeps ``scipy.stats.qmc.Sobol``: it needs Sobol's direction numbers, which only scipy ships.

Correlation: inputs that share a ``group`` move together through a Gaussian copula: their uniforms are turned into
standard normal scores, mixed with the Cholesky factor of the correlation matrix (``rho`` between every two of
them), and turned back into uniforms. ``rho`` is a correlation of the normal scores; the rank correlation of the
values it gives is ``(6 / pi) arcsin(rho / 2)``, close to ``rho``.

Distributions (parameters as in the scenario's ``[[uncertain]]`` rows):

- ``uniform``: ``low``, ``high``
- ``triangular``: ``low``, ``mode``, ``high``
- ``pert``: ``low``, ``mode``, ``high`` (a beta with shape parameters ``1 + 4 (mode - low) / (high - low)`` and
  ``1 + 4 (high - mode) / (high - low)``, the classic PERT weight 4)
- ``normal``: ``mean``, ``sd``, truncated to the field's allowed range
- ``lognormal``: ``median``, ``sd_log`` (the standard deviation of the logarithm), truncated to the field's allowed
  range
- ``discrete``: ``values``, ``weights`` (default equal)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from dfl_finance.engine import Floats

# scipy is imported where it is used: validating a scenario builds Marginals but draws nothing, and a risk run
# imports only scipy.special, only for the distributions that need it (see the module's docstring)


def _cdf(x: float) -> float:
    """The standard normal distribution function at one point, ``scipy.special.ndtr(x)`` without scipy (a point
    value of a plain run needs it, and a plain run does not import scipy): ``erfc(-x / sqrt(2)) / 2``."""
    return 0.5 * math.erfc(-float(x) / math.sqrt(2.0))


#: The compiled functions of ``scipy.special`` the distributions and the copula use (:func:`_special`).
SPECIAL_FUNCTIONS = ("ndtri_exp", "log_ndtr", "ndtr", "ndtri", "log1p")


def _special() -> ModuleType:
    """``scipy.special``'s compiled functions (its ``_ufuncs`` module: :data:`SPECIAL_FUNCTIONS` and ``_beta_ppf``),
    loaded when a distribution or a correlated group needs them.

    ``import scipy.special`` first runs the package's ``__init__``, whose array-API layer
    (``scipy._lib._array_api``) imports ``numpy.f2py``, ``numpy.testing`` and ``numpy.ctypeslib``: 0.10-0.14 s of
    CPU, for functions that live in one compiled module which needs none of it. So, unless ``scipy.special`` is
    already imported (then its own ``_ufuncs`` is returned), the compiled module is imported under a placeholder of
    its package, which is then taken away: the same module object, which a later ``import scipy.special`` finds and
    keeps (so the functions are scipy's own either way). Only with one thread alive (the command line): another
    thread importing ``scipy.special`` meanwhile would find the placeholder, so with more threads (the app's
    server) the package is imported as usual. Anything unexpected (an older scipy without one of the functions
    there) falls back to the whole package."""
    import sys
    import threading

    loaded = sys.modules.get("scipy.special")
    if loaded is None and threading.active_count() == 1:
        alone = _ufuncs_alone(sys.modules)
        if alone is not None:
            return alone
    import scipy.special  # the whole package: already imported, or the app, or an older scipy

    compiled: ModuleType = getattr(scipy.special, "_ufuncs", scipy.special)
    module: ModuleType = compiled if all(hasattr(compiled, f) for f in SPECIAL_FUNCTIONS) else scipy.special
    return module


def _ufuncs_alone(modules: dict[str, ModuleType]) -> ModuleType | None:
    """``scipy.special._ufuncs`` imported without running ``scipy/special/__init__.py`` (see :func:`_special`), or
    None where that fails (nothing is left in ``modules`` that a later ``import scipy.special`` would trip on)."""
    import importlib.util

    import scipy

    spec = importlib.util.find_spec("scipy.special")
    if spec is None or spec.loader is None:
        return None
    placeholder = importlib.util.module_from_spec(spec)  # the package, its __init__ not run
    modules["scipy.special"] = placeholder
    try:
        from scipy.special import _ufuncs
    except Exception:  # whatever a scipy laid out otherwise raises: the whole package instead
        return None
    finally:
        if modules.get("scipy.special") is placeholder:
            del modules["scipy.special"]
        if vars(scipy).get("special") is placeholder:  # vars: scipy's getattr would import the package
            delattr(scipy, "special")
    if not all(hasattr(_ufuncs, f) for f in SPECIAL_FUNCTIONS):
        return None
    module: ModuleType = _ufuncs
    return module


def logsumexp_rows(rows: object) -> np.ndarray:
    """``scipy.special.logsumexp(rows, axis=0)`` as scipy 1.17 computes it, step by step in numpy, for real or
    complex ``rows`` (a list of arrays of one shape, stacked on a new first axis): the largest term (by its real
    part; among equal ones the last) taken out of the sum, ``log1p`` of the rest scaled by it, plus its logarithm;
    where that is not finite, the direct ``log(sum(exp(rows)))``; a complex result's phase wrapped into (-pi, pi].
    Without scipy's array-API layer (see :func:`_special`); a test compares the two to the last bit. It also keeps
    the draws from depending on the version of scipy's pure-Python ``logsumexp`` (only on its compiled functions)."""
    a = np.asarray(rows)
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(float)
    a = np.atleast_1d(a)
    if a.size == 0:
        return np.full(a.shape[1:], -np.inf, dtype=a.dtype)
    complex_ = np.iscomplexobj(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out_inf = np.log(np.sum(np.exp(a), axis=0, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        if complex_:  # the one term with the largest real part (the last of equal ones)
            real = np.real(a)
            index = np.arange(a.size).reshape(a.shape)
            index[real != np.max(real, axis=0, keepdims=True)] = -1
            largest = index == np.max(index, axis=0, keepdims=True)
            a_max = np.sum(np.where(largest, a, 0.0), axis=0, dtype=a.dtype, keepdims=True)
        else:
            a_max = np.max(a, axis=0, keepdims=True)
            largest = a == a_max
        rest = a.copy()
        rest[largest] = -np.inf
        m = np.sum(largest.astype(a.dtype), axis=0, keepdims=True, dtype=a.dtype)
        e = np.exp(rest - a_max)
        s = np.sum(e, axis=0, keepdims=True, dtype=e.dtype)
        s = np.where(s == 0, s, s / m)
        if not complex_:
            sign = np.sign(s + 1) * np.sign(m)
            s = np.where(s < -1, -s - 2, s)
            m = np.abs(m)
        out = np.log1p(s) + np.log(m) + a_max
        if not complex_:
            out[sign < 0] = np.nan
    out = np.where(np.isfinite(out), out, out_inf)
    if complex_:
        imag = np.imag(out)
        with np.errstate(invalid="ignore"):  # an infinite phase gives NaN, as scipy's
            wrapped = np.where(np.abs(imag) < np.pi, imag, -((-imag + np.pi) % (2 * np.pi) - np.pi))
        out = np.real(out) + wrapped.astype(out.dtype) * 1j
    return np.asarray(out[0])


@dataclass(frozen=True)
class Marginal:
    """One uncertain input's distribution, and the bounds of the field it sets (``-inf``/``inf`` where open)."""

    distribution: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    sd_log: float | None = None
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    lower_bound: float = -np.inf
    upper_bound: float = np.inf

    def ppf(self, u: Floats) -> Floats:
        """The values at the uniform numbers ``u`` (the inverse cumulative distribution function)."""
        u = np.asarray(u, dtype=float)
        d = self.distribution
        if d == "uniform":
            lo, hi = _num(self.low), _num(self.high)
            return lo + (hi - lo) * u
        if d == "triangular":
            lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
            return triangular_ppf(u, (mo - lo) / (hi - lo), lo, hi - lo)
        if d == "pert":
            lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
            a, b = 1 + 4 * (mo - lo) / (hi - lo), 1 + 4 * (hi - mo) / (hi - lo)
            return np.asarray(lo + (hi - lo) * beta_ppf(u, a, b), dtype=float)
        if d == "normal":
            m, s = _num(self.mean), _num(self.sd)
            a, b = (self.lower_bound - m) / s, (self.upper_bound - m) / s
            return truncnorm_ppf(u, a, b, m, s)
        if d == "lognormal":  # truncated to the bounds, in the logarithm
            med, s = _num(self.median), _num(self.sd_log)
            with np.errstate(divide="ignore"):
                a = (np.log(self.lower_bound) - np.log(med)) / s if self.lower_bound > 0 else -np.inf
                b = (np.log(self.upper_bound) - np.log(med)) / s
            return np.asarray(med * np.exp(s * truncnorm_ppf(u, a, b)), dtype=float)
        if d == "discrete":
            values = np.asarray(self.values, dtype=float)
            w = np.asarray(self.weights or [1.0] * len(values), dtype=float)
            cum = np.cumsum(w) / w.sum()
            return np.asarray(values[np.minimum(np.searchsorted(cum, u, side="right"), len(values) - 1)],
                              dtype=float)
        raise ValueError(f"unknown distribution {d!r}")

    def expected_value(self) -> float:
        """The distribution's expected value (truncated to the bounds where it is a normal or a lognormal).

        Notes
        -----
        uniform ``(a + b) / 2``; triangular ``(a + m + b) / 3``; pert ``(a + 4 m + b) / 6``; discrete the weighted
        mean of its values; a normal truncated to ``[l, u]``, with ``alpha = (l - mu) / sd``, ``beta = (u - mu) /
        sd``: ``mu + sd (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha))``; a lognormal truncated in the
        logarithm: ``median exp(s^2 / 2) (Phi(beta - s) - Phi(alpha - s)) / (Phi(beta) - Phi(alpha))``.

        Examples
        --------
        >>> Marginal("triangular", low=40.0, mode=190.0, high=905.0).expected_value()
        378.3333333333333
        """
        d = self.distribution
        if d == "uniform":
            return (_num(self.low) + _num(self.high)) / 2
        if d == "triangular":
            return (_num(self.low) + _num(self.mode) + _num(self.high)) / 3
        if d == "pert":
            return (_num(self.low) + 4 * _num(self.mode) + _num(self.high)) / 6
        if d == "discrete":
            values = np.asarray(self.values, dtype=float)
            w = np.asarray(self.weights or [1.0] * len(values), dtype=float)
            return float(values @ w / w.sum())
        if d == "normal":
            m, s = _num(self.mean), _num(self.sd)
            a, b = (self.lower_bound - m) / s, (self.upper_bound - m) / s
            if not (np.isfinite(a) or np.isfinite(b)):
                return m
            return float(m + s * (_phi(a) - _phi(b)) / (_cdf(b) - _cdf(a)))
        if d == "lognormal":
            med, s = _num(self.median), _num(self.sd_log)
            with np.errstate(divide="ignore"):
                a = (np.log(self.lower_bound) - np.log(med)) / s if self.lower_bound > 0 else -np.inf
                b = (np.log(self.upper_bound) - np.log(med)) / s
            return float(med * np.exp(s * s / 2) * (_cdf(b - s) - _cdf(a - s)) / (_cdf(b) - _cdf(a)))
        raise ValueError(f"unknown distribution {d!r}")

    def most_likely(self) -> float:
        """The distribution's most likely value: a triangular's or a pert's mode, a normal's mean and a lognormal's
        ``median exp(-s^2)`` (each kept inside the bounds), a discrete's value of the largest weight (the first on
        ties); a uniform has none, and gives its midpoint (which is also its mean and median).

        >>> Marginal("lognormal", median=1.0, sd_log=0.5).most_likely() == float(np.exp(-0.25))
        True
        """
        d = self.distribution
        if d == "uniform":
            return (_num(self.low) + _num(self.high)) / 2
        if d in ("triangular", "pert"):
            return _num(self.mode)
        if d == "discrete":
            w = np.asarray(self.weights or [1.0] * len(self.values), dtype=float)
            return float(self.values[int(np.argmax(w))])
        if d == "normal":
            return float(np.clip(_num(self.mean), self.lower_bound, self.upper_bound))
        if d == "lognormal":
            top = _num(self.median) * float(np.exp(-_num(self.sd_log) ** 2))
            return float(np.clip(top, self.lower_bound, self.upper_bound))
        raise ValueError(f"unknown distribution {d!r}")


def _phi(x: float) -> float:
    """The standard normal density (0 at an infinite ``x``)."""
    return float(np.exp(-x * x / 2) / np.sqrt(2 * np.pi)) if np.isfinite(x) else 0.0


def _placed(q: Floats, valid: bool, standard: Callable[[Floats], Floats], support: tuple[float, float],
            loc: float, scale: float) -> Floats:
    """A distribution's quantiles at ``q`` as ``scipy.stats`` (``rv_continuous.ppf``) places them: the standard
    distribution's ``standard(q) * scale + loc`` for ``q`` in (0, 1), the ends of its ``support`` (placed alike) at 0
    and 1, NaN elsewhere and where the parameters are not ``valid`` or ``scale`` is not positive."""
    q = np.asarray(q, dtype=float)
    out = np.full(q.shape, np.nan)
    if not (valid and scale > 0):
        return out
    out[q == 0] = support[0] * scale + loc
    out[q == 1] = support[1] * scale + loc
    inside = (0 < q) & (q < 1)
    if inside.any():
        out[inside] = standard(q[inside]) * scale + loc
    return out


def triangular_ppf(q: Floats, c: float, loc: float = 0.0, scale: float = 1.0) -> Floats:
    """The triangular distribution on ``[loc, loc + scale]`` with its mode at ``loc + c scale``:
    ``scipy.stats.triang(c, loc, scale).ppf(q)``, the same arithmetic.

    Examples
    --------
    >>> triangular_ppf(np.array([0.125, 0.5, 1.0]), 0.5, 2.0, 4.0).tolist()
    [3.0, 4.0, 6.0]
    """
    def standard(p: Floats) -> Floats:
        return np.asarray(np.where(p < c, np.sqrt(c * p), 1 - np.sqrt((1 - c) * (1 - p))), dtype=float)

    return _placed(q, 0 <= c <= 1, standard, (0.0, 1.0), loc, scale)


def beta_ppf(q: Floats, a: float, b: float) -> Floats:
    """The beta distribution's quantiles: ``scipy.stats.beta(a, b).ppf(q)`` (the same Boost function of
    ``scipy.special``)."""
    def standard(p: Floats) -> Floats:
        boost = getattr(_special(), "_beta_ppf", None)
        if boost is None:  # an older scipy keeps it in scipy.stats: its beta, whatever the import costs
            from scipy import stats  # only with a scipy older than the one that moved _beta_ppf to scipy.special

            return np.asarray(stats.beta.ppf(p, a, b), dtype=float)
        with np.errstate(over="ignore"):  # as scipy.stats.beta (scipy gh-17432)
            return np.asarray(boost(p, a, b), dtype=float)

    return _placed(q, a > 0 and b > 0, standard, (0.0, 1.0), 0.0, 1.0)


def truncnorm_ppf(q: Floats, a: float, b: float, loc: float = 0.0, scale: float = 1.0) -> Floats:
    """The normal distribution of mean ``loc`` and standard deviation ``scale`` truncated to
    ``[loc + a scale, loc + b scale]``: ``scipy.stats.truncnorm(a, b, loc, scale).ppf(q)``, the same steps (through
    the logarithm of the normal cdf in the lower tail when ``a < 0``, else in the upper tail by symmetry)."""
    def standard(p: Floats) -> Floats:
        sc = _special()
        lo, hi = np.full(p.shape, float(a)), np.full(p.shape, float(b))
        mass = _log_gauss_mass(lo, hi)
        if a < 0:
            return np.asarray(sc.ndtri_exp(logsumexp_rows([sc.log_ndtr(lo), np.log(p) + mass])), dtype=float)
        return np.asarray(-sc.ndtri_exp(logsumexp_rows([sc.log_ndtr(-hi), np.log1p(-p) + mass])),
                          dtype=float)

    return _placed(q, a < b, standard, (float(a), float(b)), loc, scale)


def _log_gauss_mass(a: Floats, b: Floats) -> Floats:
    """The logarithm of the standard normal's mass on [a, b], for arrays ``a``, ``b`` that each repeat one value
    (one truncation), as ``scipy.stats.truncnorm`` computes it: in the left tail, the right tail by symmetry, or
    around 0."""
    sc = _special()

    def left(lo: Floats, hi: Floats) -> Floats:  # log(Phi(hi) - Phi(lo)), as a complex logarithm of a difference
        return logsumexp_rows([sc.log_ndtr(hi), sc.log_ndtr(lo) + np.pi * 1j])

    if not a.size:
        return np.zeros(a.shape)
    if b.flat[0] <= 0:
        out = left(a, b)
    elif a.flat[0] > 0:
        out = left(-b, -a)
    else:
        out = np.asarray(sc.log1p(-sc.ndtr(a) - sc.ndtr(-b)), dtype=np.complex128)
    return np.asarray(np.real(out), dtype=float)


def _num(value: float | None) -> float:
    """A parameter that validation guarantees for the distribution (None here is a bug, not an input error)."""
    if value is None:
        raise ValueError("a parameter of the distribution is missing")
    return float(value)


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> Floats:
    """(n, d) a scrambled Latin hypercube: ``scipy.stats.qmc.LatinHypercube(d=d, seed=rng).random(n)``, the same
    numbers to the last bit without importing scipy.stats. Each column has one number in each ``[j/n, (j+1)/n)``.

    scipy's engine draws from a child of ``rng`` (``rng``'s seed sequence spawns one) and, in this order: the
    uniform offsets (n, d), then one shuffle of 1..n per dimension; the sample is ``(permutation - offset) / n``.
    """
    child = rng.spawn(1)[0]
    offsets = child.uniform(size=(n, d))
    perms = np.tile(np.arange(1, n + 1), (d, 1))
    for i in range(d):
        child.shuffle(perms[i, :])
    return np.asarray((perms.T - offsets) / n, dtype=float)


def uniforms(n: int, k: int, method: str, seed: int) -> Floats:
    """(n, k) uniform numbers in (0, 1) from the design ``method`` (lhs, sobol, mc) and ``seed``."""
    if k == 0:
        return np.zeros((n, 0))
    rng = np.random.default_rng(seed)
    if method == "mc":
        u = rng.random((n, k))
    elif method == "lhs":
        u = latin_hypercube(n, k, rng)
    elif method == "sobol":
        # Sobol needs its direction numbers, which only scipy.stats.qmc ships: this design imports scipy.stats
        from scipy.stats import qmc  # 0.5 s, paid only by a sobol design (see the module's docstring)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a sample size that is not a power of 2 is allowed
            u = qmc.Sobol(d=k, scramble=True, seed=rng).random(n)
    else:
        raise ValueError(f"unknown sampling method {method!r}")
    # keep away from 0 and 1, where a normal score is infinite
    return np.asarray(np.clip(u, 1e-12, 1.0 - 1e-12), dtype=float)


def correlation_matrix(size: int, rho: float) -> Floats:
    """The ``size x size`` matrix with 1 on the diagonal and ``rho`` elsewhere."""
    return np.asarray(np.full((size, size), rho) + (1.0 - rho) * np.eye(size), dtype=float)


def is_positive_semidefinite(matrix: Floats, tol: float = 1e-10) -> bool:
    """Whether a correlation matrix is a valid one (no eigenvalue below 0)."""
    return bool(np.linalg.eigvalsh(matrix).min() >= -tol)


def correlate(u: Floats, groups: Sequence[Sequence[int]], rhos: Sequence[float]) -> Floats:
    """``u`` (n, k) with the columns of each group correlated by a Gaussian copula at ``rho``."""
    out = u.copy()
    for cols, rho in zip(groups, rhos):
        if len(cols) < 2 or rho == 0:
            continue
        sc = _special()
        z = sc.ndtri(u[:, list(cols)])  # scipy.stats.norm.ppf for u in (0, 1)
        c = correlation_matrix(len(cols), rho)
        # eigen decomposition rather than Cholesky: a correlation of 1 (a singular matrix) is allowed
        w, v = np.linalg.eigh(c)
        factor = v * np.sqrt(np.clip(w, 0.0, None))
        out[:, list(cols)] = sc.ndtr(z @ factor.T)  # scipy.stats.norm.cdf
    return np.asarray(np.clip(out, 1e-12, 1.0 - 1e-12), dtype=float)


def sample(marginals: Sequence[Marginal], n: int, method: str, seed: int,
           groups: Sequence[Sequence[int]] = (), rhos: Sequence[float] = (),
           fixed: Mapping[int, Floats] | None = None) -> Floats:
    """(n, k) values of the k uncertain inputs in n draws. ``fixed``: the uniform numbers (n,) of some inputs, by
    column, given from outside instead of drawn here (a portfolio's common factors: the same numbers in every
    country), after the groups' correlation.

    Examples
    --------
    >>> x = sample([Marginal("uniform", low=0.0, high=10.0)], 4, "lhs", 7)
    >>> x.shape, bool(((x >= 0) & (x <= 10)).all())
    ((4, 1), True)
    >>> sorted(np.floor(x[:, 0] / 2.5).astype(int).tolist())  # a Latin hypercube: one draw per quarter
    [0, 1, 2, 3]
    """
    u = correlate(uniforms(n, len(marginals), method, seed), groups, rhos)
    if not marginals:
        return np.zeros((n, 0))
    for j, given in (fixed or {}).items():
        u[:, j] = np.clip(np.asarray(given, dtype=float), 1e-12, 1.0 - 1e-12)
    return np.stack([m.ppf(u[:, j]) for j, m in enumerate(marginals)], axis=1)

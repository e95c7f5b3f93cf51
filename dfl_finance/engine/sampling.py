"""Draws of uncertain inputs: uniform numbers from a sampling design, correlated within groups, turned into values
by each input's distribution (its inverse cumulative distribution function). Pure numpy and scipy; no I/O.

Designs (``scipy.stats.qmc``): ``lhs`` (Latin hypercube), ``sobol`` (scrambled Sobol), ``mc`` (plain Monte Carlo,
``numpy.random.default_rng``). The same seed gives the same numbers on any machine (the generators are
numpy's PCG64, seeded explicitly).

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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dfl_finance.engine import Floats

# scipy is imported where it is used: validating a scenario builds Marginals but draws nothing


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
        from scipy import stats  # scipy (0.3 s) loads with the draws, not with every run

        u = np.asarray(u, dtype=float)
        d = self.distribution
        if d == "uniform":
            lo, hi = _num(self.low), _num(self.high)
            return lo + (hi - lo) * u
        if d == "triangular":
            lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
            return np.asarray(stats.triang.ppf(u, (mo - lo) / (hi - lo), loc=lo, scale=hi - lo), dtype=float)
        if d == "pert":
            lo, mo, hi = _num(self.low), _num(self.mode), _num(self.high)
            a, b = 1 + 4 * (mo - lo) / (hi - lo), 1 + 4 * (hi - mo) / (hi - lo)
            return np.asarray(lo + (hi - lo) * stats.beta.ppf(u, a, b), dtype=float)
        if d == "normal":
            m, s = _num(self.mean), _num(self.sd)
            a, b = (self.lower_bound - m) / s, (self.upper_bound - m) / s
            return np.asarray(stats.truncnorm.ppf(u, a, b, loc=m, scale=s), dtype=float)
        if d == "lognormal":  # truncated to the bounds, in the logarithm
            med, s = _num(self.median), _num(self.sd_log)
            with np.errstate(divide="ignore"):
                a = (np.log(self.lower_bound) - np.log(med)) / s if self.lower_bound > 0 else -np.inf
                b = (np.log(self.upper_bound) - np.log(med)) / s
            return np.asarray(med * np.exp(s * stats.truncnorm.ppf(u, a, b)), dtype=float)
        if d == "discrete":
            values = np.asarray(self.values, dtype=float)
            w = np.asarray(self.weights or [1.0] * len(values), dtype=float)
            cum = np.cumsum(w) / w.sum()
            return np.asarray(values[np.minimum(np.searchsorted(cum, u, side="right"), len(values) - 1)],
                              dtype=float)
        raise ValueError(f"unknown distribution {d!r}")


def _num(value: float | None) -> float:
    """A parameter that validation guarantees for the distribution (None here is a bug, not an input error)."""
    if value is None:
        raise ValueError("a parameter of the distribution is missing")
    return float(value)


def uniforms(n: int, k: int, method: str, seed: int) -> Floats:
    """(n, k) uniform numbers in (0, 1) from the design ``method`` (lhs, sobol, mc) and ``seed``."""
    from scipy.stats import qmc  # scipy (0.3 s) loads with the draws, not with every run

    if k == 0:
        return np.zeros((n, 0))
    rng = np.random.default_rng(seed)
    if method == "mc":
        u = rng.random((n, k))
    elif method == "lhs":
        u = qmc.LatinHypercube(d=k, seed=rng).random(n)
    elif method == "sobol":
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
    from scipy import stats  # scipy (0.3 s) loads with the draws, not with every run

    out = u.copy()
    for cols, rho in zip(groups, rhos):
        if len(cols) < 2 or rho == 0:
            continue
        z = stats.norm.ppf(u[:, list(cols)])
        c = correlation_matrix(len(cols), rho)
        # eigen decomposition rather than Cholesky: a correlation of 1 (a singular matrix) is allowed
        w, v = np.linalg.eigh(c)
        factor = v * np.sqrt(np.clip(w, 0.0, None))
        out[:, list(cols)] = stats.norm.cdf(z @ factor.T)
    return np.asarray(np.clip(out, 1e-12, 1.0 - 1e-12), dtype=float)


def sample(marginals: Sequence[Marginal], n: int, method: str, seed: int,
           groups: Sequence[Sequence[int]] = (), rhos: Sequence[float] = ()) -> Floats:
    """(n, k) values of the k uncertain inputs in n draws.

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
    return np.stack([m.ppf(u[:, j]) for j, m in enumerate(marginals)], axis=1)

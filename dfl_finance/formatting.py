"""Number formats and labels shared by the command line and the app (one place for both)."""

from __future__ import annotations

import math

from .vocabulary import MetricKind


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def currency_of(unit: str) -> str | None:
    """The currency of a unit of money: ``"USD"`` for ``USD`` and ``USD/learner-year``; None for anything else
    (``share``, ``years``, a ratio such as ``USD external per USD domestic``).

    Examples
    --------
    >>> currency_of("RWF"), currency_of("USD/learner-year"), currency_of("USD external per USD domestic")
    ('RWF', 'USD', None)
    """
    code = unit.split("/")[0]
    return code if len(code) == 3 and code.isalpha() and code.isupper() and " " not in unit else None


def format_money(value: float | None, currency: str = "", signed: bool = False) -> str:
    """``12_300_000 -> "12.3 M"`` (with ``currency`` in front when given); thousands as ``k``, billions ``bn``.

    Examples
    --------
    >>> format_money(12_300_000, "USD"), format_money(-2500), format_money(0.001), format_money(5e6, signed=True)
    ('USD 12.3 M', '-2.5 k', '0', '+5.0 M')
    """
    if value is None or _missing(value):
        return "n/a"
    if abs(value) < 0.005:
        return f"{currency} 0".strip()
    sign = "-" if value < 0 else ("+" if signed else "")
    v = abs(value)
    if v >= 1e9:
        text = f"{v / 1e9:,.2f} bn"
    elif v >= 1e6:
        text = f"{v / 1e6:,.1f} M"
    elif v >= 1e3:
        text = f"{v / 1e3:,.1f} k"
    else:
        text = f"{v:,.2f}"
    return f"{currency} {sign}{text}".strip() if currency else f"{sign}{text}"


def format_metric(value: float | None, kind: MetricKind, currency: str = "") -> str:
    """A summary value for reading: money in k/M/bn, shares in percent, years whole, ratios with two decimals.

    Examples
    --------
    >>> format_metric(0.291, "share"), format_metric(3.0, "years"), format_metric(2.5e8, "money", "RWF")
    ('29.1%', '3', 'RWF 250.0 M')
    """
    if value is None or _missing(value):
        return "n/a"
    if kind == "money":
        return format_money(value, currency)
    if kind == "share":
        return f"{0.0 if abs(value) < 5e-5 else value:.1%}"
    if kind == "years":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def format_delta(value: float | None, kind: MetricKind, currency: str = "") -> str:
    """A difference for reading, with its sign: shares in percentage points (``-9.1 pp``), money in k/M/bn.

    Examples
    --------
    >>> format_delta(-0.091, "share"), format_delta(2.0, "years"), format_delta(-1.5e6, "money")
    ('-9.1 pp', '+2', '-1.5 M')
    """
    if value is None or _missing(value):
        return ""
    if kind == "money":
        return format_money(value, currency, signed=True)
    if kind == "share":
        pp = 0.0 if abs(value) < 5e-5 else 100 * value
        return f"{pp:+.1f} pp"
    if kind == "years":
        return f"{value:+,.0f}"
    return f"{value:+,.2f}"

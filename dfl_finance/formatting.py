"""Number formats and labels shared by the command line and the app (one place for both)."""

from __future__ import annotations

import math


def is_money(unit: str, currency: str | None = None) -> bool:
    """A unit that is a plain amount of money (``USD``, ``EUR``, ...), not a rate or a ratio."""
    return len(unit) == 3 and unit.isalpha() and unit.isupper() and (currency is None or unit == currency)


def format_money(value: float, currency: str = "") -> str:
    """``12_300_000 -> "12.3 M"`` (with ``currency`` in front when given); thousands as ``k``, billions ``bn``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) < 0.005:
        return f"{currency} 0".strip()
    sign = "-" if value < 0 else ""
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


def format_value(value: float, unit: str) -> str:
    """A summary value for reading: money in k/M/bn, shares in percent, years as whole numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if is_money(unit):
        return format_money(value)
    if unit.startswith("share"):
        return f"{0.0 if abs(value) < 5e-5 else value:.1%}"
    if unit == "years":
        return f"{value:,.0f}"
    return f"{value:,.2f}"

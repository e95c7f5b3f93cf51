"""Number formats and labels shared by the command line and the app (one place for both)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dfl_finance.vocabulary import USD, MetricKind

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario


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


# ------------------------------------------------------------------------------------------------ price bases
# The bases are those of :data:`~dfl_finance.vocabulary.PRICE_BASES`: ``real-*`` are constant prices of the
# scenario's price year, ``nominal-*`` current prices of each year; ``*-lcu`` the scenario's local currency,
# ``*-usd`` US dollars.

#: The two parts of a basis name (``prices-money``) in words, for the selector's labels.
_PRICES = {"real": "Constant prices", "nominal": "Current prices"}
_MONEY = {"lcu": "local currency", "usd": USD}


def _real(basis: str) -> bool:
    return basis.startswith("real")


def _usd(basis: str) -> bool:
    return basis.endswith("usd")


def basis_currency(basis: str, scenario: Scenario) -> str:
    """The currency of the amounts of ``scenario`` in ``basis``: USD, or the scenario's local currency."""
    return USD if _usd(basis) else scenario.scenario.currency


def basis_label(basis: str) -> str:
    """The name of ``basis`` for people, as the selector shows it (built from its two parts).

    Examples
    --------
    >>> basis_label("real-lcu"), basis_label("nominal-usd")
    ('Constant prices, local currency', 'Current prices, USD')
    """
    prices, _, money = basis.partition("-")
    return f"{_PRICES.get(prices, prices)}, {_MONEY.get(money, money)}"


def basis_words(basis: str, currency: str | None = None, price_year: int | None = None) -> str:
    """What ``basis`` means: ``constant 2026 prices, RWF``; without a currency or a year, in general terms.

    Examples
    --------
    >>> basis_words("real-lcu", "RWF", 2026), basis_words("nominal-usd", "USD", 2026)
    ('constant 2026 prices, RWF', 'current prices of each year, USD')
    >>> basis_words("real-lcu")
    "constant prices of the scenario's price year, local currency"
    """
    if _real(basis):
        prices = f"constant {price_year} prices" if price_year is not None else \
            "constant prices of the scenario's price year"
    else:
        prices = "current prices of each year"
    money = currency or (USD if _usd(basis) else "local currency")
    return f"{prices}, {money}"


def scenarios_words(basis: str, scenarios: Iterable[Scenario]) -> str:
    """The basis for one or several scenarios: ``constant 2026 prices, RWF``; where the scenarios' currencies or
    price years differ, the words of most of them first, then those of the others with their names
    (``constant 2026 prices, USD; constant 2026 prices, RWF for Rwanda in francs``)."""
    groups: dict[str, list[str]] = {}
    for sc in scenarios:
        groups.setdefault(basis_words(basis, basis_currency(basis, sc), sc.scenario.base_year), []).append(sc.name)
    if len(groups) <= 1:
        return next(iter(groups), basis_words(basis))
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))  # stable: ties in order of appearance
    (first, _), rest = ranked[0], ranked[1:]
    return "; ".join([first, *(f"{w} for {', '.join(names)}" for w, names in rest)])

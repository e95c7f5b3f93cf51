"""The price basis of what the app shows, in words (no Streamlit here).

The bases are those of :data:`~dfl_finance.vocabulary.PRICE_BASES`: ``real-*`` are constant prices of the scenario's
price year, ``nominal-*`` current prices of each year; ``*-lcu`` the scenario's local currency, ``*-usd`` US dollars.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..results import DEFAULT_BASIS
from ..schema import Scenario
from ..vocabulary import PRICE_BASES, USD

__all__ = ["DEFAULT_BASIS", "PRICE_BASES", "basis_currency", "basis_label", "basis_words",
           "scenarios_words"]

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

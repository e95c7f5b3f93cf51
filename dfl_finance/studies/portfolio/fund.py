"""A portfolio as the study holds it: its countries, each with its scenario, its fund and its pooled discounts
(made from the file by :func:`dfl_finance.studies.portfolio.load.load_portfolio`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario


@dataclass(frozen=True)
class Fund:
    id: str
    envelope: float
    rule: str
    per_learner: float | None = None
    floor: float = 0.0
    ceiling: float = math.inf
    objective: str = "reach"  # the optimal rule's (OBJECTIVES)
    co_finances: tuple[str, ...] = ()  # ids of grants whose match rule counts the fund as co-financing
    source: dict[str, Any] = field(default_factory=dict)  # the fund's own source fields: a loan's terms, eligibility


@dataclass(frozen=True)
class CountryEntry:
    label: str
    file: Path  # the scenario file, or the plan template of a profile country
    scenario: Scenario
    income_group: str = ""
    weight: float = 1.0
    profile: str = ""  # the country profile (ISO3) of a country made from the plan template


@dataclass(frozen=True)
class Portfolio:
    name: str
    countries: list[CountryEntry]
    fund: Fund
    pooled: list[tuple[str, float, str]] = field(default_factory=list)  # item, discount, source
    file: Path | None = None  # the portfolio file (its problems name it)
    common: tuple[str, ...] = ()  # field paths of the inputs every country shares in a sweep's draws

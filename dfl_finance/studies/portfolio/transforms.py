"""Scenario transforms of a portfolio: a country's scenario with the pooled discounts (:func:`discounted`), and with
the fund as a source of its share (:func:`with_fund`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dfl_finance.inputs.io import validate_scenario
from dfl_finance.model.load import apply_overrides

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.studies.portfolio.fund import Fund


def discounted(scenario: Scenario, pooled: list[tuple[str, float, str]]) -> Scenario:
    """The scenario with the pooled discounts on the unit costs of the lines of their items."""
    overrides = {f"programme[{i}].cost[{j}].unit_cost": c.unit_cost * (1.0 - d)
                 for item, d, _ in pooled for i, p in enumerate(scenario.programme)
                 for j, c in enumerate(p.cost) if c.item == item}
    return apply_overrides(scenario, overrides) if overrides else scenario


def with_fund(scenario: Scenario, fund: Fund, share: float) -> Scenario:
    """The scenario with the fund as a USD source of ``share`` (``inf``: as much as the country's gap takes) that
    pays after every other source, counted as co-financing by the match rules of the grants it co-finances: a grant,
    or what the fund's ``source`` fields make it (a loan on its terms, eligible cells, a window)."""
    raw = scenario.model_dump(exclude_none=True)
    last = max([s.get("priority", 0) or 0 for s in raw["source"]] + [0])
    for s in raw["source"]:  # domestic sources without a priority pay last: give them one, before the fund
        if s["kind"] == "domestic" and "priority" not in s:
            s["priority"] = last + 1
        if s["id"] in fund.co_finances and "match" in s:
            s["match"]["sources"] = [*s["match"]["sources"], fund.id]
    raw["source"].append({"name": "Pooled fund", "kind": "grant", **fund.source, "id": fund.id, "currency": "USD",
                          "priority": last + 2, **({"commitment": float(share)} if math.isfinite(share) else {})})
    # the school plans are the scenario's already: not planned again
    return validate_scenario(raw, folder=scenario.folder)


"""A donor's portfolio: country scenarios, a pooled fund shared by a rule, pooled procurement; each country run with
its share, and the view across countries.

A portfolio file (TOML)::

    [portfolio]
    name = "Pooled fund, East Africa"

    [[country]]
    scenario = "../scenarios/rwanda-ida-credit.toml"   # relative to this file
    income_group = "low"                                # optional: a label for the equity table
    weight = 1.0                                        # optional: the weight of the weighted rule
    values = { "source[mof].budget_share_cap" = 0.02 }  # optional: field-path overrides of the scenario

    [fund]
    id = "pooled_fund"
    envelope = 50e6          # USD, current prices, over the plans
    rule = "need"            # need | per-learner | weighted
    per_learner = 2.0        # per-learner: USD per learner
    floor = 1e6              # optional, per country
    ceiling = 20e6           # optional, per country

    [[pooled]]               # pooled procurement: a discount on the unit cost of the cost lines of this item
    item = "satellite terminal"
    discount = 0.3
    source = "PLACEHOLDER: ..."   # the public source of the discount, or PLACEHOLDER: and why

**Need** is a country's funding gap before the fund, in nominal USD (``total_gap_nominal_usd``), after the pooled
discounts. **Rules** (:func:`allocate_envelope`): ``need`` shares the envelope in proportion to need; ``per-learner``
in proportion to learners (``per_learner`` USD each, the envelope permitting); ``weighted`` in proportion to need x
weight. Every rule caps a country at its need and its ceiling, gives it at least its floor (never above its need), and
hands what a capped country cannot take to the others in the same proportions (water-filling), so the shares add up
to the envelope, or to the total need when that is smaller. The fund joins each country's scenario as a grant in USD
with its share as commitment, paying after every other source (what they leave: the gap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import Problem, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

    from .engine import Floats
    from .results import Result
    from .schema.models import Scenario

RULES = ("need", "per-learner", "weighted")
ALLOCATION_COLUMNS = ["country", "need", "basis", "share", "capped", "gap_after", "unit"]
EQUITY_COLUMNS = ["country", "income_group", "learners", "gap_per_learner", "reached_share_end",
                  "peak_burden_share", "fund_share", "fund_per_learner", "marginal_gap_closed_per_usd",
                  "marginal_pv_saving_per_usd"]
GROUP_COLUMNS = ["group", "countries", "learners", "need", "fund_share", "gap_after", "gap_per_learner",
                 "reached_share_end", "peak_burden_share"]
#: Step of the finite difference that measures the marginal value of the fund in a country: this share of the
#: larger of its remaining gap and its share (USD).
MARGINAL_STEP = 0.01


@dataclass(frozen=True)
class Fund:
    id: str
    envelope: float
    rule: str
    per_learner: float | None = None
    floor: float = 0.0
    ceiling: float = math.inf


@dataclass(frozen=True)
class CountryEntry:
    label: str
    file: Path
    scenario: Scenario
    income_group: str = ""
    weight: float = 1.0


@dataclass(frozen=True)
class Portfolio:
    name: str
    countries: list[CountryEntry]
    fund: Fund
    pooled: list[tuple[str, float, str]] = field(default_factory=list)  # item, discount, source


def allocate_envelope(basis: Floats, need: Floats, envelope: float, floor: Floats | float = 0.0,
                      ceiling: Floats | float = math.inf) -> Floats:
    """Shares of ``envelope`` in proportion to ``basis``, each at most ``min(need, ceiling)`` and at least
    ``min(floor, need)``; what a capped country cannot take goes to the others in the same proportions. The shares
    add up to ``min(envelope, sum of the caps)``.

    Examples
    --------
    >>> allocate_envelope(np.array([30.0, 10.0]), np.array([30.0, 10.0]), 20.0).tolist()
    [15.0, 5.0]
    >>> allocate_envelope(np.array([1.0, 1.0]), np.array([4.0, 100.0]), 20.0).tolist()  # the first is capped
    [4.0, 16.0]
    """
    basis = np.maximum(np.asarray(basis, dtype=float), 0.0)
    cap = np.minimum(np.maximum(np.asarray(need, dtype=float), 0.0), np.asarray(ceiling, dtype=float))
    low = np.minimum(np.broadcast_to(np.asarray(floor, dtype=float), cap.shape), cap)
    if low.sum() > envelope * (1 + 1e-12):
        raise ValueError(f"the floors need {low.sum():,.0f}, more than the envelope of {envelope:,.0f}")
    share = low.copy()
    left = envelope - share.sum()
    open_ = share < cap
    for _ in range(cap.size + 1):  # each round caps at least one country, or hands out all that is left
        if left <= 1e-9 * max(envelope, 1.0) or not open_.any():
            break
        weights = np.where(open_, basis, 0.0)
        if weights.sum() <= 0:
            weights = open_.astype(float)  # no basis left: equal parts among those still open
        offer = left * (weights / weights.sum())  # the proportions first (no rounding of tiny weights)
        take = np.minimum(offer, cap - share)
        share += take
        left -= take.sum()
        open_ = open_ & (share < cap - 1e-12 * np.maximum(cap, 1.0))
    return share


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file: every country scenario is validated (a failing one is reported with its file
    and field, the others still checked), the fund and the pooled discounts are checked.

    Raises
    ------
    ScenarioError
        Every problem, each naming the portfolio file or the country's scenario file and the field.
    """
    from .schema import load_scenario
    from .schema.io import read_toml

    path = Path(path)
    raw = read_toml(path, "portfolio file")
    if "portfolio" not in raw and {"scenario", "programme"} & set(raw):
        raise ScenarioError([Problem(str(path), "this is a scenario file, not a portfolio: a portfolio has a "
                                     "[portfolio] table, [[country]] tables naming scenario files, and a [fund] "
                                     "(example: examples/portfolio-east-africa.toml)", has_value=False)])
    problems: list[Problem] = []
    unknown = set(raw) - {"portfolio", "country", "fund", "pooled"}
    for key in sorted(unknown):
        problems.append(Problem(f"{path}: {key}", "unknown table (known: portfolio, country, fund, pooled)",
                                has_value=False))
    countries = []
    rows = raw.get("country", [])
    if not isinstance(rows, list) or not rows:
        problems.append(Problem(f"{path}: country", "list the countries as [[country]] tables with a scenario",
                                has_value=False))
        rows = []
    for i, row in enumerate(rows):
        where = f"{path}: country[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("scenario"), str):
            problems.append(Problem(f"{where}.scenario", "the country's scenario file is required", has_value=False))
            continue
        extra = set(row) - {"scenario", "name", "income_group", "weight", "values"}
        if extra:
            problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))} (known: scenario, name, "
                                    "income_group, weight, values)", has_value=False))
        weight = row.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not weight >= 0:
            problems.append(Problem(f"{where}.weight", "must be a number >= 0", weight))
            weight = 1.0
        target = (path.parent / row["scenario"]).resolve()
        try:
            sc = load_scenario(target)
        except ScenarioError as exc:
            problems += exc.problems_in(str(target))
            continue
        values = row.get("values", {})
        try:  # field-path overrides of the country's scenario (the portfolio's own assumptions)
            from .paths import apply_overrides

            sc = apply_overrides(sc, values) if isinstance(values, dict) and values else sc
        except ScenarioError as exc:
            problems += [Problem(f"{where}.values: {p.path}", p.message, p.value, p.has_value) for p in exc.problems]
            continue
        countries.append(CountryEntry(str(row.get("name") or sc.scenario.country or sc.name), target, sc,
                                      str(row.get("income_group", "")), float(weight)))
    labels = [c.label for c in countries]
    if len(set(labels)) != len(labels):
        problems.append(Problem(f"{path}: country", "two countries have the same name (give each a name)", labels))
    f = raw.get("fund")
    fund = None
    if not isinstance(f, dict):
        problems.append(Problem(f"{path}: fund", "a [fund] table with id, envelope and rule is required",
                                has_value=False))
    else:
        where = f"{path}: fund"
        extra = set(f) - {"id", "envelope", "rule", "per_learner", "floor", "ceiling"}
        if extra:
            problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))}", has_value=False))
        envelope = f.get("envelope")
        if not isinstance(envelope, (int, float)) or isinstance(envelope, bool) or not 0 <= envelope < 1e18:
            problems.append(Problem(f"{where}.envelope", "an amount in USD >= 0", envelope))
        if f.get("rule") not in RULES:
            problems.append(Problem(f"{where}.rule", f"one of {', '.join(RULES)}", f.get("rule")))
        if f.get("rule") == "per-learner" and not isinstance(f.get("per_learner"), (int, float)):
            problems.append(Problem(f"{where}.per_learner", "the per-learner rule needs USD per learner",
                                    has_value=False))
        fid = f.get("id", "pooled_fund")
        if any(fid in {s.id for s in c.scenario.source} for c in countries):
            problems.append(Problem(f"{where}.id", "a country's scenario already has a source with this id", fid))
        floor, ceiling = f.get("floor", 0.0), f.get("ceiling", math.inf)
        if not (isinstance(floor, (int, float)) and isinstance(ceiling, (int, float)) and 0 <= floor <= ceiling):
            problems.append(Problem(f"{where}.floor", "floor and ceiling: amounts with 0 <= floor <= ceiling",
                                    [floor, ceiling]))
        if not problems:
            fund = Fund(str(fid), float(envelope or 0.0), str(f["rule"]), f.get("per_learner"), float(floor),
                        float(ceiling))
    pooled = []
    for i, p in enumerate(raw.get("pooled", [])):
        where = f"{path}: pooled[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("item"), str):
            problems.append(Problem(f"{where}.item", "the cost item the discount applies to", has_value=False))
            continue
        d = p.get("discount")
        if not isinstance(d, (int, float)) or not 0 <= d < 1:
            problems.append(Problem(f"{where}.discount", "a share of the unit cost, >= 0 and < 1", d))
            continue
        source = str(p.get("source", "")).strip()
        if not source:
            problems.append(Problem(f"{where}.source", "cite the public source of the discount, or write "
                                    "PLACEHOLDER: and why", has_value=False))
        if not any(line.item == p["item"] for c in countries for prog in c.scenario.programme for line in prog.cost):
            problems.append(Problem(f"{where}.item", "no cost line of any country has this item", p["item"]))
        pooled.append((p["item"], float(d), source))
    if problems or fund is None:
        raise ScenarioError(problems)
    return Portfolio(str(raw.get("portfolio", {}).get("name", path.stem)), countries, fund, pooled)


def discounted(scenario: Scenario, pooled: list[tuple[str, float, str]]) -> Scenario:
    """The scenario with the pooled discounts on the unit costs of the lines of their items."""
    from .paths import apply_overrides

    overrides = {f"programme[{i}].cost[{j}].unit_cost": c.unit_cost * (1.0 - d)
                 for item, d, _ in pooled for i, p in enumerate(scenario.programme)
                 for j, c in enumerate(p.cost) if c.item == item}
    return apply_overrides(scenario, overrides) if overrides else scenario


def with_fund(scenario: Scenario, fund: Fund, share: float) -> Scenario:
    """The scenario with the fund as a USD grant of ``share`` that pays after every other source."""
    from .schema import scenario_from_dict

    raw = scenario.model_dump(exclude_none=True)
    last = max([s.get("priority", 0) or 0 for s in raw["source"]] + [0])
    for s in raw["source"]:  # domestic sources without a priority pay last: give them one, before the fund
        if s["kind"] == "domestic" and "priority" not in s:
            s["priority"] = last + 1
    raw["source"].append({"id": fund.id, "name": "Pooled fund", "kind": "grant", "currency": "USD",
                          "commitment": float(share), "priority": last + 2})
    return scenario_from_dict(raw)


@dataclass(frozen=True)
class PortfolioRun:
    portfolio: Portfolio
    need: Floats
    basis: Floats
    share: Floats
    before: list[Result]
    after: list[Result]
    marginal: Floats  # (C, 2) per USD more of the fund: gap closed (USD) and PV government cost saved (its currency)

    def allocation_df(self) -> pd.DataFrame:
        import pandas as pd

        gap_after = [r.summary().get("total_gap_nominal_usd", math.nan) for r in self.after]
        cap = np.minimum(self.need, self.portfolio.fund.ceiling)
        return pd.DataFrame({"country": [c.label for c in self.portfolio.countries], "need": np.round(self.need, 2),
                             "basis": self.basis, "share": np.round(self.share, 2),
                             "capped": self.share >= cap - 1e-6 * np.maximum(cap, 1.0),
                             "gap_after": np.round(gap_after, 2), "unit": "USD (current prices)"},
                            columns=ALLOCATION_COLUMNS)

    def equity_df(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for c, r, share, m in zip(self.portfolio.countries, self.after, self.share, self.marginal):
            s = r.summary()
            learners = float(r.scenario.context.learners or 0)
            out = r.outcomes_df()
            schools = out[out["driver"] == "schools"]
            ids = set(schools["programme"])
            pid = "connectivity" if "connectivity" in ids else (sorted(ids)[0] if ids else None)
            mine = schools[schools["programme"] == pid]
            reached = float(mine.sort_values("year")["reached_funded_share"].iloc[-1]) if len(mine) else math.nan
            rows.append({"country": c.label, "income_group": c.income_group, "learners": learners,
                         "gap_per_learner": s.get("total_gap_nominal_usd", math.nan) / learners if learners else
                         math.nan, "reached_share_end": reached, "peak_burden_share": s.get("peak_burden_share"),
                         "fund_share": share, "fund_per_learner": share / learners if learners else math.nan,
                         "marginal_gap_closed_per_usd": m[0], "marginal_pv_saving_per_usd": m[1]})
        return pd.DataFrame(rows, columns=EQUITY_COLUMNS)

    def groups_df(self) -> pd.DataFrame:
        """portfolio_groups.csv: the countries of each income group and of the whole portfolio (``all``): learners,
        need, the fund's share and the gap after it (USD, current prices), the gap per learner, and the reach and
        peak burden share weighted by learners."""
        import pandas as pd

        eq = self.equity_df()
        alloc = self.allocation_df()
        df = eq.merge(alloc[["country", "need", "gap_after"]], on="country")
        rows = []
        for group, g in [("all", df), *((str(k), v) for k, v in df.groupby("income_group", sort=True))]:
            learners = float(g["learners"].sum())
            w = g["learners"] / learners if learners else g["learners"] * 0.0 + 1.0 / len(g)
            rows.append({"group": group, "countries": len(g), "learners": learners, "need": float(g["need"].sum()),
                         "fund_share": float(g["fund_share"].sum()), "gap_after": float(g["gap_after"].sum()),
                         "gap_per_learner": float(g["gap_after"].sum()) / learners if learners else math.nan,
                         "reached_share_end": float((g["reached_share_end"] * w).sum()),
                         "peak_burden_share": float((g["peak_burden_share"].astype(float) * w).sum())})
        return pd.DataFrame(rows, columns=GROUP_COLUMNS)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every country's run tables with a ``country`` column, and allocation, equity and the groups."""
        import pandas as pd

        per: dict[str, list[pd.DataFrame]] = {}
        for c, r in zip(self.portfolio.countries, self.after):
            for name, df in r.tables().items():
                df.insert(0, "country", c.label)
                per.setdefault(name, []).append(df)
        out = {name: pd.concat(frames, ignore_index=True) for name, frames in per.items()}
        out["allocation"] = self.allocation_df()
        out["portfolio_equity"] = self.equity_df()
        out["portfolio_groups"] = self.groups_df()
        return out


def run_portfolio(portfolio: Portfolio, basis: str = "real-lcu") -> PortfolioRun:
    """Each country with the pooled discounts, its need, the fund shared by the rule, each country run with its
    share, and the marginal value of the fund in each (the gap closed and the PV cost saved per USD of a little
    more: :data:`MARGINAL_STEP` of its remaining gap or its share)."""
    from .results import run

    scenarios = [discounted(c.scenario, portfolio.pooled) for c in portfolio.countries]
    before = [run(sc, basis) for sc in scenarios]
    need = np.array([max(r.summary().get("total_gap_nominal_usd", 0.0), 0.0) for r in before])
    fund = portfolio.fund
    learners = np.array([float(sc.context.learners or 0) for sc in scenarios])
    if fund.rule == "need":
        basis_values = need
    elif fund.rule == "weighted":
        basis_values = need * np.array([c.weight for c in portfolio.countries])
    else:
        basis_values = learners * float(fund.per_learner or 0.0)
        need = np.minimum(need, basis_values)  # the formula's amount is the most a country asks
    try:
        share = allocate_envelope(basis_values, need, fund.envelope, fund.floor, fund.ceiling)
    except ValueError as exc:
        raise ScenarioError([Problem("fund.floor", str(exc), fund.floor)]) from None
    after = [run(with_fund(sc, fund, s), basis) for sc, s in zip(scenarios, share)]
    marginal = []
    for sc, s, r in zip(scenarios, share, after):
        now = r.summary()
        step = MARGINAL_STEP * max(now["total_gap_nominal_usd"], s, 1.0)
        more = run(with_fund(sc, fund, s + step), basis).summary()
        marginal.append(((now["total_gap_nominal_usd"] - more["total_gap_nominal_usd"]) / step,
                         (now["pv_government_cost"] - more["pv_government_cost"]) / step))
    return PortfolioRun(portfolio, need, basis_values, share, before, after, np.array(marginal))

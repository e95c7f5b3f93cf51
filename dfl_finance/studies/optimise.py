"""The best financing mix of a scenario: the optimiser of :mod:`dfl_finance.engine.optimise` run on its compiled
inputs, its allocation fed through the same engine and tables as the waterfall, the shadow prices of its
constraints, and the optimal mix written back as a scenario.

    from dfl_finance import load_scenario
    from dfl_finance.studies.optimise import optimise
    best = optimise(load_scenario("scenarios/kenya-ida-gpe.toml"))
    best.comparison_df()        # the waterfall and the optimal mix side by side
    best.shadow_prices_df()     # what one more unit of each constraint is worth
    best.to_scenario()          # the mix as sources with per-year caps, which the waterfall reproduces
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.engine.optimise import FIRST_STAGES, Infeasible, Options
from dfl_finance.engine.optimise import optimise as solve
from dfl_finance.errors import DflFinanceError, OptionProblem, Problem, ScenarioError, known
from dfl_finance.inputs.io import validate_scenario
from dfl_finance.inputs.paths import did_you_mean
from dfl_finance.model.compile import Samples, eligible_cells, paying_order
from dfl_finance.model.samples import draw_samples
from dfl_finance.outputs.formatting import format_money
from dfl_finance.outputs.result import Result, compare, run
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import DSF_RATIOS, SOURCE_KINDS, financed_kind

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.engine import Floats
    from dfl_finance.engine.optimise import Constraint, OptimalAllocation, Options
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result

#: Columns of shadow_prices.csv (:mod:`dfl_finance.outputs.tables`).
SHADOW_COLUMNS = columns("shadow_prices")
#: Decimals of the shadow prices (values per step, not amounts of money: kept finer than the minor unit).
VALUE_DIGITS = 6
#: What a shadow price is worth per: the step of each constraint's right-hand side in the reading.
_PER_AMOUNT = 1e6
#: Sources whose order is searched for a written mix that the waterfall reproduces (all orders up to this many).
MAX_ORDER_SEARCH = 5
#: The written mix reproduces the optimum when every source's yearly payments agree to this share of the cost.
REPRODUCE_TOLERANCE = 1e-6


class OptimiseError(DflFinanceError):
    """An optimisation that cannot be run as asked: an infeasible limit, an unknown source, a bad option.

    A limit that cannot hold names its option (``option``, a keyword of :func:`options_for`: ``min_share``,
    ``burden_limit``, ``max_debt``, ``dsf``, ``max_pv_debt``) in brackets after ``head``, then ``tail``; a face says it
    in its own words with :meth:`in_words`."""

    def __init__(self, head: str, option: str | None = None, tail: str = "") -> None:
        self.head, self.option, self.tail = head, option, tail
        super().__init__(self.in_words({}))

    def in_words(self, words: Mapping[str, str]) -> str:
        """The message with the option called ``words[option]`` (its own name when ``words`` does not name it):
        ``the minimum share of `gpe` (min_share) cannot hold ...``."""
        if self.option is None:
            return self.head
        return f"{self.head} ({words.get(self.option, self.option)}){self.tail}"


@dataclass(frozen=True)
class Optimum:
    """A scenario's waterfall run and its optimal mix (draw 0 of each, deterministic inputs)."""

    scenario: Scenario
    options: Options
    waterfall: Result  # the scenario's own run, named "<name> (waterfall)"
    result: Result  # the optimal mix, named "<name> (optimal mix)"
    notes: list[str] = field(default_factory=list)

    @property
    def allocation(self) -> OptimalAllocation:
        return self.result.sim.allocation  # type: ignore[return-value]

    @property
    def lp_size(self) -> tuple[int, int, int]:
        """Rows, columns and non-zeros of the programme (its second stage, draw 0)."""
        return self.allocation.solutions[0].size

    def comparison_df(self) -> pd.DataFrame:
        """The waterfall and the optimal mix side by side (``compare``'s long format, the waterfall the
        baseline)."""
        return compare([self.waterfall, self.result])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The optimal mix's tables (as a run's), ``shadow_prices`` and ``comparison``."""
        return {**self.result.tables(), "shadow_prices": self.shadow_prices_df(),
                "comparison": self.comparison_df()}

    # ------------------------------------------------------------------------------------------ shadow prices

    def shadow_prices_df(self) -> pd.DataFrame:
        """shadow_prices.csv: one row per constraint whose right-hand side a reader can change (a source's
        commitment and annual cap in each year, a domestic envelope, a match ratio and the optional limits in
        each year), with ``value``, the PV government cost saved per unit more of it (the gap held at its
        optimum), ``gap_value``, the gap it would close, their ``unit``, whether it binds, and a reading in
        words. Values in the result's price basis (present values of start_year)."""
        import pandas as pd

        res = self.result
        sol = self.allocation.solutions[0]
        factor = float(res._factors[0, 0])
        cur = res.currency
        start = self.scenario.scenario.start_year
        rows = []
        for c in sol.constraints:
            per, unit, words = self._per_unit(c)
            value, gap_value = c.value * per * factor, c.gap_value * per * factor
            rows.append({
                "scenario": res.name, "constraint": c.kind,
                "source": None if c.source is None or c.kind == "dsf" else self.scenario.source[c.source].id,
                "year": None if c.year is None else start + c.year,
                "value": _round(value, VALUE_DIGITS), "gap_value": _round(gap_value, VALUE_DIGITS),
                "unit": f"{cur} {unit}", "binding": "yes" if c.binding else "no",
                "reading": self._reading(c, words, value, gap_value, cur) if c.binding else "",
            })
        df = pd.DataFrame(rows, columns=SHADOW_COLUMNS)
        df["year"] = df["year"].astype("Int64")
        return df

    def _per_unit(self, c: Constraint) -> tuple[float, str, str]:
        """What one step of the constraint is (in units of its right-hand side), the value's unit, and the step
        in words."""
        sc = self.scenario
        local = sc.scenario.currency
        src = None if c.source is None or c.kind == "dsf" else sc.source[c.source]
        year = "" if c.year is None else f" in {sc.scenario.start_year + c.year}"
        if c.kind in ("commitment", "annual_cap"):
            scur = sc.source_currency(src) if src is not None else local
            what = "commitment" if c.kind == "commitment" else "annual cap"
            return _PER_AMOUNT, f"of PV per {scur} 1 M of {what}", f"one more {scur} 1 M of `{src.id}`'s " \
                f"{what}{year}" if src is not None else ""
        if c.kind in ("envelope", "burden_limit"):
            budget = float(self.waterfall.sim.fiscal["education_budget"][0, c.year or 0])
            who = f" for `{src.id}`" if src is not None else ""
            what = "budget room" if c.kind == "envelope" else "burden limit"
            return 0.01 * budget, f"of PV per percentage point of the budget{year}", \
                f"one more point of {what}{who}{year}"
        if c.kind == "match_ratio":
            y = c.year or 0
            matched = self.result.sim.paid[0, y, sc_match_sources(sc, c.source)].sum()
            return 0.1 * float(matched), "of PV per 0.1 more of the match ratio", \
                f"a match ratio of `{src.id}` 0.1 higher{year}" if src is not None else ""
        if c.kind == "max_debt":
            return _PER_AMOUNT, f"of PV per {local} 1 M of new debt", f"{local} 1 M more of new debt allowed"
        if c.kind == "max_pv_debt":  # in USD at current prices, whatever the scenario's currency
            return _PER_AMOUNT, "of PV per USD 1 M of PV of new external debt", \
                "USD 1 M more of PV of new external debt allowed"
        if c.kind == "dsf":  # the room is in USD: what the ratio's numerator may still take
            ratio = DSF_RATIOS[c.source or 0]
            what = "PV of debt" if ratio.startswith("pv_") else "debt service"
            return _PER_AMOUNT, f"of PV per USD 1 M of room under the {ratio} limit", \
                f"USD 1 M more of {what} allowed under the {ratio} limit{year}"
        # min_share: the right-hand side is - share x plan cost
        plan = float(self.result.sim.cells[0].sum())
        return -0.01 * plan, "of PV per percentage point of the plan's cost", \
            f"asking `{src.id}` for one point less of the plan" if src is not None else ""

    @staticmethod
    def _reading(c: Constraint, words: str, value: float, gap_value: float, cur: str) -> str:
        gap = f" and closes {format_money(gap_value, cur)} of the gap" if gap_value > 0.005 else ""
        if value > 0.005 or gap:
            saves = f"saves {format_money(value, cur)} of PV government cost" if value > 0.005 else \
                "saves no PV government cost"
            return f"{words[0].upper()}{words[1:]} {saves}{gap}."
        if value < -0.005:
            return f"{words[0].upper()}{words[1:]} costs {format_money(-value, cur)} more of PV government cost."
        return f"{words[0].upper()}{words[1:]} is worth nothing: the constraint binds but another takes over."

    # ------------------------------------------------------------------------------------------ write back

    @cached_property
    def _written(self) -> tuple[Scenario, str | None]:
        return _write_back(self)

    def to_scenario(self) -> Scenario:
        """The optimal mix as a scenario: each source's ``annual_cap`` one amount per year (what it pays in the
        optimum, in its own currency at current prices) and the paying order under which the waterfall reproduces
        the optimum (see :attr:`reproduction_note`)."""
        return self._written[0]

    @property
    def reproduction_note(self) -> str | None:
        """None when the waterfall reproduces the optimum from :meth:`to_scenario`; else what differs."""
        return self._written[1]


def sc_match_sources(sc: Scenario, g: int | None) -> list[int]:
    """Indices of the sources that grant ``g`` is matched on."""
    if g is None or sc.source[g].match is None:
        return []
    ids = {s.id: i for i, s in enumerate(sc.source)}
    return [ids[m] for m in sc.source[g].match.sources]  # type: ignore[union-attr]


def _round(value: float, digits: int) -> float:
    return round(value, digits) + 0.0 if math.isfinite(value) else math.nan


def options_for(scenario: Scenario, objective: str = "gap", burden_limit: bool = False,
                max_debt: float | None = None, min_share: Sequence[tuple[str, float]] = (),
                late_weight: float = 0.0, dsf: bool = False, max_pv_debt: float | None = None) -> Options:
    """The optimiser's :class:`~dfl_finance.engine.optimise.Options` with sources named by their ids.

    ``max_debt`` caps the face value of what all loans disburse (constant prices, the scenario's currency);
    ``max_pv_debt`` the PV of new external debt in USD at current prices (each external loan's disbursements at
    their PV at 5% when disbursed, at most their face value: docs/method.md, *Concessionality and sources.csv*).

    Raises
    ------
    ScenarioError
        An unknown objective or source, a share outside (0, 1], shares that add up to more than 1, a negative
        amount or weight; each problem names its option (:class:`~dfl_finance.errors.OptionProblem`).
    """
    problems: list[Problem] = []
    if objective not in FIRST_STAGES:
        problems.append(OptionProblem("objective", f"unknown objective ({known(FIRST_STAGES)})", objective))
    ids = [s.id for s in scenario.source]
    shares = []
    for sid, share in min_share:
        if sid not in ids:
            problems.append(OptionProblem("min_share", f"no source with this id (known: {known(ids)})"
                                          + did_you_mean(sid, ids), sid))
        elif not (0.0 < share <= 1.0):
            problems.append(OptionProblem("min_share", f"the share of `{sid}` must be > 0 and <= 1", share))
        else:
            shares.append((ids.index(sid), float(share)))
    if sum(s for _, s in shares) > 1.0 + 1e-12:
        problems.append(OptionProblem("min_share", "the minimum shares add up to more than the whole plan",
                                      sum(s for _, s in shares)))
    if max_debt is not None and not (max_debt >= 0.0 and math.isfinite(max_debt)):
        problems.append(OptionProblem("max_debt", "must be a finite amount >= 0", max_debt))
    if max_pv_debt is not None and not (max_pv_debt >= 0.0 and math.isfinite(max_pv_debt)):
        problems.append(OptionProblem("max_pv_debt", "must be a finite amount in USD >= 0", max_pv_debt))
    if not (late_weight >= 0.0 and math.isfinite(late_weight)):
        problems.append(OptionProblem("late_weight", "must be a finite number >= 0", late_weight))
    if dsf and (scenario.debt.gdp is None or scenario.debt.capacity is None):
        problems.append(OptionProblem("dsf", "the DSF limits need [debt] gdp and the debt-carrying capacity (a "
                                      "country profile, or [debt] in the file)", has_value=False))
    if problems:
        raise ScenarioError(problems)
    return Options(first=objective, burden_limit=burden_limit, max_debt=max_debt, min_share=tuple(shares),
                   late_weight=late_weight, dsf=dsf, max_pv_debt=max_pv_debt)


def _both_runs(scenario: Scenario, options: Options | None, basis: str | None, draws: int = 1,
               samples: Samples | None = None, progress: Callable[[int], None] | None = None
               ) -> tuple[Options, Result, Result]:
    """The waterfall run and the optimal mix of the same inputs (every draw: ``draws`` and ``samples`` as for
    :func:`~dfl_finance.outputs.result.run`), named ``<name> (waterfall)`` and ``<name> (optimal mix)``, tables in
    ``basis``.

    Raises
    ------
    OptimiseError
        The limits cannot all hold (the message names the constraint, and the draw when there are several).
    """
    options = options or Options()
    waterfall = run(_renamed(scenario, f"{scenario.name} (waterfall)"), basis, draws=draws, samples=samples)
    try:
        optimal = run(_renamed(scenario, f"{scenario.name} (optimal mix)"), basis, draws=draws, samples=samples,
                      allocation=partial(solve, options=options, progress=progress))
    except Infeasible as exc:
        words, option, after = _constraint_words(scenario, exc.constraint)
        if option is None:
            raise OptimiseError(f"no mix meets the limits: {words} {exc.message}") from None
        raise OptimiseError(f"no mix meets the limits: {words}", option, f"{after} {exc.message}") from None
    return options, waterfall, optimal


def optimise(scenario: Scenario, options: Options | None = None, basis: str | None = None) -> Optimum:
    """The optimal mix of ``scenario`` (deterministic inputs) and its waterfall run, tables in ``basis``.

    Raises
    ------
    OptimiseError
        The limits cannot all hold (the message names the constraint).
    """
    options, waterfall, optimal = _both_runs(scenario, options, basis)
    return Optimum(scenario=scenario, options=options, waterfall=waterfall, result=optimal)


def optimise_draws(scenario: Scenario, options: Options | None = None, draws: int | None = None,
                   seed: int | None = None, method: str | None = None, basis: str | None = None,
                   progress: Callable[[int], None] | None = None) -> tuple[Result, Result]:
    """Under uncertainty: the waterfall and the optimal mix in each of ``draws`` draws of the scenario's uncertain
    inputs (defaults: its ``[risk]`` table), each draw's mix the best for that draw (a programme per draw, about
    10 ms each; ``progress(1)`` after each). Returns the two runs; their quantiles answer "how much does the best mix
    save, and how sure is that".

    Raises
    ------
    OptimiseError
        In some draw the limits cannot hold (the message names the draw and the constraint).
    """
    risk = scenario.risk
    n = risk.draws if draws is None else draws
    samples = draw_samples(scenario, n, risk.seed if seed is None else seed, method or risk.method)
    _, waterfall, optimal = _both_runs(scenario, options, basis, n, samples, progress)
    return waterfall, optimal


def _constraint_words(sc: Scenario, name: str) -> tuple[str, str | None, str]:
    """A constraint in words, the option that sets it and what follows the option: ``min_share[2]`` ->
    ``("the minimum share of `gpe`", "min_share", "")``, ``burden_limit[2]`` -> ``("the burden limit",
    "burden_limit", " in 2028")``; another constraint by its name, without an option."""
    kind, _, rest = name.partition("[")
    index = rest.rstrip("]")
    if kind == "min_share" and index.isdigit():
        return f"the minimum share of `{sc.source[int(index)].id}`", "min_share", ""
    if kind == "burden_limit":
        year = sc.scenario.start_year + int(index) if index.isdigit() else None
        return "the burden limit", "burden_limit", (f" in {year}" if year is not None else "")
    if kind == "max_debt":
        return "the cap on new debt", "max_debt", ""
    if kind == "dsf":
        return f"the LIC-DSF limit on {index}", "dsf", ""
    if kind == "max_pv_debt":
        return "the ceiling on the PV of new external debt", "max_pv_debt", ""
    return name, None, ""


def _renamed(scenario: Scenario, name: str) -> Scenario:
    return scenario.model_copy(update={"scenario": scenario.scenario.model_copy(update={"name": name})})


# ------------------------------------------------------------------------------------------------ write back

def _annual_nominal(opt: Optimum) -> Floats:
    """(S, Y) what each source pays in each year in the optimum, in its own currency at current prices."""
    inputs = opt.result.inputs
    paid = opt.result.sim.paid[0].T  # (S, Y) constant local prices
    conv = inputs.sources.conversion
    return np.asarray(paid if conv is None else paid * conv[0], dtype=float)


def _candidate_orders(sc: Scenario) -> list[list[int]]:
    """Paying orders to try: the sources with the fewest eligible cells first (a restricted source then finds its
    cells unpaid), the scenario's own order, and every order of a few sources."""
    cells = eligible_cells(sc).sum(axis=1)
    own = paying_order(sc.source)
    first = sorted(range(len(sc.source)), key=lambda i: (int(cells[i]), own.index(i)))
    out = [first, own]
    if len(sc.source) <= MAX_ORDER_SEARCH:
        out += [list(p) for p in itertools.permutations(range(len(sc.source)))]
    seen, unique = set(), []
    for o in out:
        if tuple(o) not in seen:
            seen.add(tuple(o))
            unique.append(o)
    return unique


def _write_back(opt: Optimum) -> tuple[Scenario, str | None]:
    sc = opt.scenario
    caps = _annual_nominal(opt)
    target = opt.result.sim.paid[0]  # (Y, S)
    tol = REPRODUCE_TOLERANCE * max(float(opt.result.sim.cells[0].sum()), 1.0)
    raw = sc.model_dump(exclude_none=True)
    raw["scenario"]["name"] = f"{sc.name} (optimal mix)"
    raw["scenario"]["description"] = (f"The optimal financing mix of `{sc.name}` found by dfl-finance optimise: each "
                                      "source's annual_cap is what it pays in each year of the optimum.")
    for i, src in enumerate(raw["source"]):
        src["annual_cap"] = [float(v) for v in caps[i]]
    best: tuple[float, Scenario] | None = None
    for order in _candidate_orders(sc):
        for rank, i in enumerate(order):
            raw["source"][i]["priority"] = rank
        # the school plans are the scenario's already; the files it names stay relative to its folder
        written = validate_scenario(raw, folder=sc.folder)
        diff = float(np.abs(run(written).sim.paid[0] - target).max(initial=0.0))
        if best is None or diff < best[0]:
            best = (diff, written)
        if diff <= tol:
            return written, None
    assert best is not None
    return best[1], (f"the waterfall pays each source within {best[0]:,.2f} (constant prices) of the optimum under "
                     "the best paying order found; the optimum pays some cells in a way no paying order does")


def source_kind_totals(result: Result) -> dict[str, float]:
    """What each kind of source pays in total (constant local prices), for a quick reading."""
    paid = result.sim.paid[0].sum(axis=0)
    kinds = [financed_kind(s.kind) for s in result.scenario.source]
    return {k: float(sum(p for p, kind in zip(paid, kinds) if kind == k)) for k in SOURCE_KINDS}

"""Named, deterministic stress tests: each a pure function Scenario -> Scenario, and a scenario run under each.

A stress changes a few inputs of a validated scenario through :func:`dfl_finance.inputs.paths.apply_overrides` (the new
scenario is validated like a file) and leaves the input alone. Built in (:data:`STRESSES`), in three groups:

- the LIC-DSF's standardised tests (IMF and World Bank, Guidance Note on the Bank-Fund Debt Sustainability Framework
  for Low Income Countries, 2018): ``gdp_growth``, ``primary_balance``, ``exports``, ``other_flows`` (each the
  variable a standard deviation, ``[debt.sd]``, lower in the plan's second and third years, written as
  ``[debt.shock]``), ``depreciation`` (below) and ``combined`` (half of each together);
- its tailored test ``contingent_liabilities`` (public debt added in the second year);
- the plan's own, below.

- ``depreciation``: the LIC-DSF standard shock, a one-off nominal depreciation of the local currency against the US
  dollar in the plan's second year, kept after: the scenario's exchange-rate path from start_year (its ``fx_path``,
  or the path :func:`~dfl_finance.model.compile.build_prices` makes from ``fx_rate`` and relative inflation) times
  ``1 + size`` from the second year on, written as ``[macro] fx_path``.
- ``budget_growth``: the LIC-DSF growth shock applied to the education budget: its real growth ``size`` standard
  deviations (``[context] budget_growth_sd``) lower in the plan's second and third years, as it was after, written
  as a ``[context] budget_growth`` per year; the budget stays lower by that much for the rest of the horizon.
- ``capex_overrun``: every capex and fixed_capex unit cost times ``1 + size``.
- ``pledge_shortfall``: a source (default: every grant) delivers ``1 - size`` of its pledge: its ``commitment`` and
  ``annual_cap`` times ``1 - size``; a source with neither has its ``share_cap`` scaled instead. A source that pays
  against results (``[[source.dli]]``) has its commitment (default: the sum of its rows) times ``1 - size``, which
  caps its payments against results.
- ``delay``: a source's window of payments (default: every grant and loan) moves ``size`` years later, clipped to
  the plan; a source whose window then starts after the plan pays nothing (its commitment becomes 0).

A stress that does not apply (a depreciation of a scenario in USD, a shortfall of grants in a scenario without
any) raises :class:`NotApplicable`; :func:`run_stresses` keeps its note and runs the others.

The LIC-DSF shocks GDP growth; a plan's room depends on the education budget, so the growth shock is applied to the
budget's growth. Its standard deviation is the scenario's to give (no public series of it is bundled): without
``budget_growth_sd`` the stress does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dfl_finance.errors import DflFinanceError, Problem, ScenarioError, known
from dfl_finance.inputs.instruments import buy_down_grants
from dfl_finance.inputs.stress import SHOCKS, STRESSES, StressSpec, check_stresses, stresses_of
from dfl_finance.model.compile import build_prices, horizon_of, rate_path
from dfl_finance.model.load import apply_overrides
from dfl_finance.model.samples import at_point
from dfl_finance.outputs.result import DEFAULT_BASIS, compare_summaries, run
from dfl_finance.outputs.tables import columns
from dfl_finance.vocabulary import PPP_CONTINGENT_SHARE, STRESS_NAMES, USD

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.inputs.models import Scenario, Source
    from dfl_finance.outputs.result import Result

#: The stress column's value for the unstressed run.
BASELINE = "baseline"
#: Columns of stress_summary.csv (:mod:`dfl_finance.outputs.tables`): the comparison's long format with the stress,
#: and the baseline's value.
SUMMARY_COLUMNS = columns("stress_summary")


class NotApplicable(DflFinanceError):
    """A stress that does not apply to a scenario (a depreciation of a scenario in USD): a note, not an error."""


# ------------------------------------------------------------------------------------------------ the stresses

def depreciation(scenario: Scenario, size: float = 0.3) -> Scenario:
    """The scenario with its exchange rate ``1 + size`` times higher (local currency per USD) from the plan's
    second year on: ``[macro] fx_path`` = the scenario's own path from start_year, times ``1 + size`` after its
    first year.

    The years before start_year keep their rates: an ``fx_rate`` of an earlier year stays; one of a year inside the
    plan is dropped (the path gives that year), and when the price year is before start_year its rate is kept as
    ``fx_rate``. After the plan the path continues at its last rate of change, as the unstressed one did.

    Raises
    ------
    NotApplicable
        A scenario in USD (it has no exchange rate), or a plan of fewer than three years (the path after the plan
        would continue at the rate of change of the shock itself).
    """
    meta, macro = scenario.scenario, scenario.macro
    if meta.currency == USD:
        raise NotApplicable("the scenario is in USD: it has no exchange rate to depreciate")
    if meta.years < 3:
        raise NotApplicable(f"a plan of {meta.years} year{'s' if meta.years > 1 else ''}: the shock needs a second "
                            "year and a third to set the exchange rate's path after the plan")
    prices = build_prices(scenario, horizon_of(scenario))
    path = prices.window(prices.fx, meta.years)[0]
    overrides: dict[str, object] = {"macro.fx_path": [float(path[0]), *(float(x) * (1.0 + size) for x in path[1:])]}
    fx_year = meta.base_year if macro.fx_year is None else macro.fx_year
    if macro.fx_rate is not None and fx_year >= meta.start_year:  # the path gives that year's rate
        overrides["macro.fx_rate"] = float(prices.fx_base[0]) if meta.base_year < meta.start_year else None
        overrides["macro.fx_year"] = None
    return apply_overrides(scenario, overrides)


def _needs_dsf(scenario: Scenario) -> None:
    if not scenario.debt.has_dsf_view:
        raise NotApplicable("the scenario has no debt-sustainability view (GDP, exports and revenue in [debt] or the "
                            "country profile)")


def _shock_overrides(scenario: Scenario, shocks: dict[str, float]) -> dict[str, object]:
    """``[debt.shock]`` with ``-size`` added in the plan's second and third years to each field of ``shocks`` (on
    top of a shock the scenario already has)."""
    current = scenario.debt.shock
    out: dict[str, object] = {}
    for field, fall in shocks.items():
        values = list(getattr(current, field)) if current is not None else []
        values += [0.0] * (3 - len(values))
        values[1] -= fall
        values[2] -= fall
        out[f"debt.shock.{field}"] = values  # (validated: a shock below -1 is refused, naming the stress)
    return out


def standardised_shock(scenario: Scenario, name: str, size: float = 1.0) -> Scenario:
    """The scenario under one of the LIC-DSF's standardised shocks of a standard deviation (``name`` in
    :data:`~dfl_finance.inputs.stress.SHOCKS`: gdp_growth, primary_balance, exports, other_flows): ``size`` standard
    deviations (``[debt.sd]``) taken off the baseline in the plan's second and third years, written as
    ``[debt.shock]``. The framework sets the variable to its historical average minus one standard deviation; with
    the baseline at the historical average the two are the same.

    Raises
    ------
    NotApplicable
        The scenario has no debt-sustainability view, or no standard deviation for the shock.
    """
    _needs_dsf(scenario)
    field, what = SHOCKS[name]
    sd = None if scenario.debt.sd is None else getattr(scenario.debt.sd, field)
    if sd is None:
        raise NotApplicable(f"the scenario gives no [debt.sd] {field} (the standard deviation of {what})")
    return apply_overrides(scenario, _shock_overrides(scenario, {field: size * sd}))


def combined(scenario: Scenario, size: float = 0.5) -> Scenario:
    """The LIC-DSF's combination: ``size`` of each standardised shock together, the four of a standard deviation and
    the 30% depreciation (where the scenario has an exchange rate and a plan of three years or more).

    Raises
    ------
    NotApplicable
        The scenario has no debt-sustainability view, or lacks a standard deviation (each missing one named).
    """
    _needs_dsf(scenario)
    sd = scenario.debt.sd
    missing = [field for field, _ in SHOCKS.values() if sd is None or getattr(sd, field) is None]
    if missing:
        raise NotApplicable("the combination needs every standard deviation; the scenario gives no [debt.sd] "
                            + ", ".join(missing))
    assert sd is not None
    shocked = apply_overrides(scenario, _shock_overrides(
        scenario, {field: size * float(getattr(sd, field)) for field, _ in SHOCKS.values()}))
    try:
        return depreciation(shocked, 0.3 * size)
    except NotApplicable:
        return shocked


def contingent_liabilities(scenario: Scenario, size: float = 0.07) -> Scenario:
    """The LIC-DSF's tailored contingent-liabilities test: ``size`` of GDP (the guidance's defaults: 2% for the debt
    of state-owned enterprises, 5% for the financial market) and 35% of the PPP capital stock become public debt in
    the plan's second year (``[debt.shock] contingent`` and ``ppp_contingent``).

    Raises
    ------
    NotApplicable
        The scenario has no debt-sustainability view, or no total public debt (``[debt] pv_public_debt``), which the
        liabilities are added to.
    """
    _needs_dsf(scenario)
    if scenario.debt.pv_public_debt is None:
        raise NotApplicable("the scenario gives no [debt] pv_public_debt (the PV of total public debt), which the "
                            "contingent liabilities are added to")
    current = scenario.debt.shock
    return apply_overrides(scenario, {
        "debt.shock.contingent": (current.contingent if current else 0.0) + size,
        "debt.shock.ppp_contingent": (current.ppp_contingent if current else 0.0) + PPP_CONTINGENT_SHARE})


def budget_growth(scenario: Scenario, size: float = 1.0) -> Scenario:
    """The scenario with the real growth of its education budget ``size x budget_growth_sd`` lower in the plan's
    second and third years: ``[context] budget_growth`` becomes one rate per projection year, the scenario's own
    (its one rate, its list, or 0) but for those two years. The budget of every later year is lower by the factor
    of the two years; the growth after them is the scenario's.

    Raises
    ------
    NotApplicable
        The scenario gives no ``budget_growth_sd``, or the plan has fewer than four years (after the list the growth
        continues at its last value, which would then be the shocked one).
    """
    ctx, years = scenario.context, scenario.scenario.years
    if ctx.budget_growth_sd is None:
        raise NotApplicable("the scenario gives no [context] budget_growth_sd (the standard deviation of the real "
                            "growth of its education budget)")
    if years < 4:
        raise NotApplicable(f"a plan of {years} year{'s' if years > 1 else ''}: the shock of the second and third "
                            "years needs a fourth, after which the growth is the scenario's again")
    path = [float(g) for g in rate_path(ctx.budget_growth if ctx.budget_growth is not None else 0.0, years)]
    fall = size * ctx.budget_growth_sd
    path[1] -= fall
    path[2] -= fall
    return apply_overrides(scenario, {"context.budget_growth": path})


def capex_overrun(scenario: Scenario, size: float = 0.2) -> Scenario:
    """The scenario with every capex and fixed_capex unit cost ``1 + size`` times as high.

    Raises
    ------
    NotApplicable
        The scenario has no capex or fixed_capex cost line.
    """
    overrides = {f"programme[{i}].cost[{j}].unit_cost": c.unit_cost * (1.0 + size)
                 for i, p in enumerate(scenario.programme) for j, c in enumerate(p.cost)
                 if c.kind in ("capex", "fixed_capex")}
    if not overrides:
        raise NotApplicable("the scenario has no capex or fixed_capex cost line")
    return apply_overrides(scenario, overrides)


def _targets(scenario: Scenario, source: str | None, kinds: tuple[str, ...]) -> list[tuple[int, Source]]:
    """The source named ``source``, or every source of ``kinds``."""
    if source is not None:
        found = [(i, s) for i, s in enumerate(scenario.source) if s.id == source]
        if not found:
            raise ScenarioError([Problem("stress.source", f"no source with this id (known: "
                                         f"{known([s.id for s in scenario.source])})", source)])
        return found
    found = [(i, s) for i, s in enumerate(scenario.source) if s.kind in kinds]
    if not found:
        raise NotApplicable(f"the scenario has no {' or '.join(kinds)} source")
    return found


def pledge_shortfall(scenario: Scenario, source: str | None = None, size: float = 0.5) -> Scenario:
    """The scenario with ``source`` (default: every grant) delivering ``1 - size`` of its pledge: its
    ``commitment`` and ``annual_cap`` (those it has) times ``1 - size``, so that it pays ``1 - size`` of what it
    would where those limits bind; a source with neither has its ``share_cap`` scaled instead.

    Raises
    ------
    NotApplicable
        No source is named and the scenario has no grant.
    ScenarioError
        The scenario has no source ``source``.
    """
    keep = 1.0 - size
    overrides: dict[str, float | list[float]] = {}
    for i, s in _targets(scenario, source, STRESSES["pledge_shortfall"].default_targets):
        if s.dli and s.outcome_bond is None:  # it pays against results up to its commitment, by default the sum of
            total = s.commitment if s.commitment is not None else sum(r.full_amount for r in s.dli)  # its rows
            overrides[f"source[{i}].commitment"] = float(total) * keep
            continue
        amounts = [f for f in ("commitment", "annual_cap") if getattr(s, f) is not None]
        for f in amounts or ["share_cap"]:
            value = getattr(s, f)
            overrides[f"source[{i}].{f}"] = ([float(v) * keep for v in value] if isinstance(value, list)
                                             else float(value) * keep)
    return apply_overrides(scenario, overrides)


def delay(scenario: Scenario, source: str | None = None, years: int = 2) -> Scenario:
    """The scenario with the window of ``source`` (default: every grant and loan) moved ``years`` later:
    ``first_year`` and ``last_year`` (default the plan's first and last) plus ``years``, the last clipped to the
    plan. A source whose window would start after the plan pays nothing: its window stays and its commitment
    becomes 0.

    Raises
    ------
    NotApplicable
        No source is named and the scenario has no grant or loan.
    ScenarioError
        The scenario has no source ``source``.
    """
    first, last = scenario.scenario.start_year, scenario.end_year
    years = int(years)
    overrides: dict[str, object] = {}
    bought = buy_down_grants(scenario)  # a buy-down grant pays the interest as it falls due: no window to move
    for i, s in _targets(scenario, source, STRESSES["delay"].default_targets):
        if s.id in bought:
            continue
        start = (s.first_year if s.first_year is not None else first) + years
        if start > last:
            overrides[f"source[{i}].commitment"] = 0.0
            continue
        overrides[f"source[{i}].first_year"] = start
        overrides[f"source[{i}].last_year"] = min((s.last_year if s.last_year is not None else last) + years, last)
    return apply_overrides(scenario, overrides)


def results_delay(scenario: Scenario, source: str | None = None, years: int = 1) -> Scenario:
    """The scenario with every result of the ``[[source.dli]]`` rows of ``source`` (default: every source with
    rows) coming ``years`` later: each row's ``result_delay`` plus ``years``, its deadline unchanged, so a result
    is paid later or not at all (docs/method.md, *Results-based financing*).

    Raises
    ------
    NotApplicable
        No source is named and the scenario has no [[source.dli]] row, or the named source has none.
    ScenarioError
        The scenario has no source ``source``.
    """
    targets = (_targets(scenario, source, ()) if source is not None
               else [(i, s) for i, s in enumerate(scenario.source) if s.dli])
    overrides: dict[str, object] = {f"source[{i}].dli[{r}].result_delay": row.result_delay + int(years)
                                    for i, s in targets for r, row in enumerate(s.dli or [])}
    if not overrides:
        raise NotApplicable("the scenario has no [[source.dli]] row (results-based financing)")
    return apply_overrides(scenario, overrides)


def apply_stress(scenario: Scenario, spec: StressSpec) -> Scenario:
    """The scenario under one stress (see the functions of each stress).

    Raises
    ------
    NotApplicable
        The stress does not apply to the scenario.
    ScenarioError
        The stressed scenario is not valid (a unit cost above the largest amount allowed, ...) or the named source
        does not exist.
    """
    size = spec.amount
    if spec.name in SHOCKS:
        return standardised_shock(scenario, spec.name, size)
    if spec.name == "combined":
        return combined(scenario, size)
    if spec.name == "contingent_liabilities":
        return contingent_liabilities(scenario, size)
    if spec.name == "depreciation":
        return depreciation(scenario, size)
    if spec.name == "budget_growth":
        return budget_growth(scenario, size)
    if spec.name == "capex_overrun":
        return capex_overrun(scenario, size)
    if spec.name == "pledge_shortfall":
        return pledge_shortfall(scenario, spec.source, size)
    if spec.name == "delay":
        return delay(scenario, spec.source, int(size))
    if spec.name == "results_delay":
        return results_delay(scenario, spec.source, int(size))
    raise ScenarioError([Problem("stress.name", f"unknown stress (known: {known(STRESS_NAMES)})", spec.name)])


# ------------------------------------------------------------------------------------------------ running them

@dataclass(frozen=True)
class StressOutcome:
    """One stress of a run: the stressed scenario's result, or the note saying why the stress does not apply."""

    spec: StressSpec
    result: Result | None
    note: str | None = None


@dataclass(frozen=True)
class StressRun:
    """A scenario's unstressed run and its run under each stress."""

    baseline: Result
    outcomes: list[StressOutcome]

    @property
    def name(self) -> str:
        return self.baseline.name

    def applied(self) -> list[StressOutcome]:
        return [o for o in self.outcomes if o.result is not None]

    def summary_df(self) -> pd.DataFrame:
        """stress_summary.csv: every summary metric of the baseline and of each stress that applies, one row per
        stress and metric (:data:`SUMMARY_COLUMNS`): ``baseline`` is the unstressed value, ``delta`` the stressed
        value minus it (empty on the baseline's own rows, and where the baseline does not define the metric)."""
        import pandas as pd

        runs = [(BASELINE, self.baseline), *((o.spec.key, o.result) for o in self.applied())]
        summaries = [r.summary_df().assign(scenario=key) for key, r in runs]  # type: ignore[union-attr]
        table = compare_summaries(summaries, baseline=BASELINE)
        base = summaries[0]
        base_values = dict(zip(base["metric"], base["value"]))
        table["baseline"] = pd.Series([base_values.get(m) for m in table["metric"]], dtype=object,
                                      index=table.index)
        table = table.rename(columns={"scenario": "stress"})
        table.insert(0, "scenario", self.name)
        order = {key: k for k, (key, _) in enumerate(runs)}
        table = table.sort_values("stress", key=lambda c: c.map(order), kind="stable")
        return table[SUMMARY_COLUMNS].reset_index(drop=True)

    def _stacked(self, table: str) -> pd.DataFrame:
        import pandas as pd

        frames: list[pd.DataFrame] = []
        for key, r in [(BASELINE, self.baseline), *((o.spec.key, o.result) for o in self.applied())]:
            df = getattr(r, f"{table}_df")()
            df.insert(1, "stress", key)
            frames.append(df)
        non_empty = [f for f in frames if not f.empty]
        return pd.concat(non_empty or frames[:1], ignore_index=True)

    def fiscal_df(self) -> pd.DataFrame:
        """stress_fiscal.csv: fiscal.csv of the baseline and of each stress, with a ``stress`` column."""
        return self._stacked("fiscal")

    def dsf_df(self) -> pd.DataFrame:
        """stress_dsf.csv: dsf.csv of the baseline and of each stress, with a ``stress`` column (empty without
        GDP, exports and revenue)."""
        return self._stacked("dsf")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"stress_summary": self.summary_df(), "stress_fiscal": self.fiscal_df(), "stress_dsf": self.dsf_df()}

    def notes(self) -> list[dict[str, object]]:
        """Each stress as the manifest records it: key, description, whether it applied and why not."""
        return [{"stress": o.spec.key, "description": o.spec.description, "applied": o.result is not None,
                 **({"note": o.note} if o.note else {})} for o in self.outcomes]


def run_stresses(scenario: Scenario, specs: Sequence[StressSpec] | None = None, basis: str | None = None
                 ) -> StressRun:
    """Run ``scenario`` and each stress of ``specs`` (default: :func:`stresses_of`), the tables in ``basis``.

    Raises
    ------
    ScenarioError
        A stress names a source the scenario does not have, or a stressed scenario is not valid.
    """
    basis = basis or DEFAULT_BASIS
    specs = stresses_of(scenario) if specs is None else list(specs)
    problems = check_stresses(specs, scenario)
    if problems:
        raise ScenarioError(problems)
    # stressed from the deterministic run's point ([risk] point): a capex overrun raises the mean unit cost
    scenario = at_point(scenario)
    outcomes = []
    for spec in specs:
        try:
            stressed = apply_stress(scenario, spec)
        except NotApplicable as exc:
            outcomes.append(StressOutcome(spec, None, str(exc)))
            continue
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"stress {spec.key}: {p.path}" if p.path else f"stress {spec.key}",
                                         p.message, p.value, p.has_value) for p in exc.problems]) from None
        outcomes.append(StressOutcome(spec, run(stressed, basis)))
    return StressRun(run(scenario, basis), outcomes)

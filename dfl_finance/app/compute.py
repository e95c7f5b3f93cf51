"""The engine behind the app, cached on the scenario's content (its TOML text), one scenario at a time: a scenario
that cannot be computed is reported with its error and never stops the others.

The engine runs once per scenario text (:func:`result_for`); the tables in each price basis are views of that run
(:meth:`~dfl_finance.outputs.result.Result.in_basis`), cached per text and basis."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ParamSpec, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import streamlit as st

from dfl_finance.app import workspace_dir
from dfl_finance.app.optimising import error_words
from dfl_finance.app.workspace import scenario_in
from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.inputs.io import dump_scenario
from dfl_finance.inputs.models import Scenario
from dfl_finance.outputs.budget import budget_xlsx_bytes, mtef_df, overview
from dfl_finance.outputs.dli import dli_at_risk
from dfl_finance.outputs.result import (
    DEFAULT_BASIS,
    Result,
    concat_tables,
    incremental_df,
    quantiles_df,
    run,
    yearly_quantiles_df,
)

if TYPE_CHECKING:
    from dfl_finance.app.charts import CompareCharts
    from dfl_finance.app.portfolio import PortfolioFile, PortfolioResults
    from dfl_finance.app.schools import SchoolResults
    from dfl_finance.studies.optimise import Optimum

Tables = dict[str, pd.DataFrame]
_P = ParamSpec("_P")
_R = TypeVar("_R")
log = logging.getLogger(__name__)


def scenario_of(toml_text: str) -> Scenario:
    """The scenario of a text of the app (the files it names relative to the workspace folder), parsed once for the
    run, the save and the listing of an edit (:func:`~dfl_finance.app.workspace.scenario_in`)."""
    return scenario_in(workspace_dir(), toml_text)


@st.cache_resource(max_entries=128, show_spinner=False)
def result_for(toml_text: str) -> Result:
    """The run of one scenario (immutable, shared by every session); the same text is computed once per server."""
    return run(scenario_of(toml_text))


@st.cache_data(max_entries=512, show_spinner=False)
def tables_for(toml_text: str, basis: str = DEFAULT_BASIS) -> Tables:
    """All output tables of one scenario in a price basis (a view of :func:`result_for`: no second run)."""
    return result_for(toml_text).in_basis(basis).tables()


def checked_tables(toml_text: str, basis: str = DEFAULT_BASIS) -> Tables:
    """:func:`tables_for`, with every failure as a :class:`ScenarioError`: invalid, too large for memory (the memory
    guard), or an error of the engine itself (logged with its traceback), so a page can list it and go on."""
    return _checked(tables_for, toml_text, basis)


@st.cache_data(max_entries=512, show_spinner=False)
def summary_for(toml_text: str, basis: str = DEFAULT_BASIS) -> pd.DataFrame:
    """summary.csv of one scenario in a price basis (a view of :func:`result_for`), without the other tables: what
    an edit on the Scenarios page waits for (its headline numbers)."""
    return result_for(toml_text).in_basis(basis).summary_df()


def checked_summary(toml_text: str, basis: str = DEFAULT_BASIS) -> pd.DataFrame:
    """:func:`summary_for`, with every failure as a :class:`ScenarioError` (as :func:`checked_tables`): computing it
    runs the scenario, so it is also the check that a scenario computes before it is saved."""
    return _checked(summary_for, toml_text, basis)


def _checked(func: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """``func(*args, **kwargs)``, with every failure as a :class:`ScenarioError`: a DflFinanceError as its message,
    any other error (logged with its traceback) as "could not be computed": one scenario's failure must not break a
    page shared by every scenario."""
    try:
        return func(*args, **kwargs)
    except ScenarioError:
        raise
    except DflFinanceError as exc:
        raise ScenarioError([Problem("", str(exc), has_value=False)]) from None
    except Exception as exc:
        log.exception("computing a scenario failed (%s)", getattr(func, "__name__", func))
        raise ScenarioError([Problem("", f"could not be computed ({type(exc).__name__}: {exc})",
                                     has_value=False)]) from None


@st.cache_data(max_entries=64, show_spinner=False)
def incremental_for(toml_text: str, basis: str, baseline_file: tuple[str, int, int]) -> pd.DataFrame | None:
    """incremental.csv of one scenario against its ``[scenario] baseline`` (as ``dfl-finance run`` writes it), None
    without a baseline; cached on the text, the basis and the baseline file's path, size and time (an edit of the
    baseline is computed again)."""
    sc = scenario_of(toml_text)
    base = sc.baseline_scenario
    if base is None:
        return None
    return incremental_df(result_for(toml_text).in_basis(basis), run(base, basis))


def checked_incremental(toml_text: str, scenario: Scenario, basis: str = DEFAULT_BASIS) -> pd.DataFrame | None:
    """:func:`incremental_for` of ``scenario`` (the scenario of ``toml_text``), with every failure as a
    :class:`ScenarioError` (as :func:`checked_tables`)."""
    signature = _baseline_signature(scenario)
    if signature is None:
        return None
    return _checked(incremental_for, toml_text, basis, signature)


def _baseline_signature(scenario: Scenario) -> tuple[str, int, int] | None:
    """The path, size and time of the scenario's ``[scenario] baseline`` file (None without one)."""
    if scenario.scenario.baseline is None or scenario.folder is None:
        return None
    path = scenario.folder / scenario.scenario.baseline
    try:
        st_ = path.stat()
        return (str(path), st_.st_size, st_.st_mtime_ns)
    except OSError:
        return (str(path), -1, -1)


@st.cache_resource(max_entries=32, show_spinner=False)
def baseline_result_for(toml_text: str, baseline_file: tuple[str, int, int]) -> Result | None:
    """The run of the ``[scenario] baseline`` of the scenario ``toml_text`` (None without one), cached as
    :func:`result_for` on the text and the baseline file's path, size and time."""
    base = scenario_of(toml_text).baseline_scenario
    return None if base is None else run(base)


def fiscal_year_tables(tables: Tables, texts: list[str], basis: str = DEFAULT_BASIS) -> Tables:
    """``tables`` (of the scenarios ``texts``, in ``basis``) with every yearly table by each scenario's fiscal year,
    as ``dfl-finance run --years fiscal`` writes them (:mod:`dfl_finance.outputs.fiscal_view`)."""
    # imported when a page asks for fiscal years: the app's first page starts without it
    from dfl_finance.outputs.fiscal_view import context_of, fiscal_tables

    baselines = []
    if "incremental" in tables:  # its baselines' loans are placed on their dates too, as the command line does
        for t in texts:
            signature = _baseline_signature(scenario_of(t))
            base = None if signature is None else baseline_result_for(t, signature)
            if base is not None:
                baselines.append(base.in_basis(basis))
    return fiscal_tables(tables, context_of([result_for(t).in_basis(basis) for t in texts], baselines))


def tables_by_name(texts: dict[str, str], basis: str = DEFAULT_BASIS
                   ) -> tuple[dict[str, Tables], dict[str, ScenarioError]]:
    """The tables of each scenario (by name, in order) that computes, in ``basis``, and the error of each that
    does not."""
    done: dict[str, Tables] = {}
    failed: dict[str, ScenarioError] = {}
    for name, text in texts.items():
        try:
            done[name] = checked_tables(text, basis)
        except ScenarioError as exc:
            failed[name] = exc
    return done, failed


@st.cache_resource(max_entries=16, show_spinner=False)
def compare_charts_for(texts: ScenarioFiles, basis: str, countries: tuple[tuple[str, str], ...],
                       threshold_groups: tuple[tuple[str, str], ...], years: str = "calendar") -> CompareCharts:
    """The Compare page's charts (:func:`dfl_finance.app.charts.compare_charts`) of the scenarios ``texts``
    ((name, TOML text) pairs, the baseline first, each of them computing) in ``basis``, built once per server: a
    rerun that changes none of the scenarios (another widget of the page, a return to it) does not build them
    again. The charts are shared: never change them (``st.altair_chart`` only reads them). ``years``: ``calendar``,
    or ``fiscal`` for each scenario's fiscal years (the tables converted once, by :func:`fiscal_year_tables`, as the
    Export page and ``--years fiscal`` write them)."""
    # the charts import altair: the pages that draw none do not pay for it
    from dfl_finance.app.charts import by_fiscal_year, compare_charts, labels_of

    tables = concat_tables([tables_for(text, basis) for _, text in texts])
    if years == "fiscal":
        tables = by_fiscal_year(fiscal_year_tables(tables, [text for _, text in texts], basis))
    return compare_charts(tables, None, [n for n, _ in texts], labels_of(scenario_of(t) for _, t in texts),
                          countries=dict(countries), threshold_groups=dict(threshold_groups))


# ----------------------------------------------------------------------------------------------- risk runs

class RiskTables(TypedDict):
    """What the Risk page keeps of a risk run (:func:`risk_tables_for`)."""

    quantiles: pd.DataFrame
    yearly: pd.DataFrame
    total_gap: npt.NDArray[np.float64]
    draws: int
    currency: str
    dli_at_risk: pd.DataFrame  # results-based financing (dli_at_risk.csv); empty without [[source.dli]] rows


@st.cache_data(max_entries=32, show_spinner=False)
def risk_tables_for(toml_text: str, draws: int, seed: int, method: str, basis: str = DEFAULT_BASIS
                    ) -> RiskTables:
    """A risk run of one scenario text (:func:`dfl_finance.studies.risk.risk_draws`), cached on the text, the draws,
    the seed, the method and the basis: its quantile tables and every draw's total gap (small; the run itself is not
    kept, as a run of many draws holds hundreds of megabytes).

    Keys: ``quantiles`` (:func:`~dfl_finance.outputs.result.quantiles_df`), ``yearly``
    (:func:`~dfl_finance.outputs.result.yearly_quantiles_df`), ``total_gap`` (one value per draw), ``draws``,
    ``currency``, ``dli_at_risk`` (:func:`~dfl_finance.outputs.dli.dli_at_risk`).
    """
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.risk import risk_draws

    result = risk_draws(scenario_of(toml_text), draws, seed, method, basis)
    return {"quantiles": quantiles_df(result), "yearly": yearly_quantiles_df(result),
            "total_gap": result.metric_arrays()["total_gap"], "draws": result.draws, "currency": result.currency,
            "dli_at_risk": dli_at_risk(result.scenario, result.results, result.basis, result.currency)}


def checked_risk_tables(toml_text: str, draws: int, seed: int, method: str, basis: str = DEFAULT_BASIS
                        ) -> RiskTables:
    """:func:`risk_tables_for`, with every failure as a :class:`ScenarioError` (as :func:`checked_tables`)."""
    return _checked(risk_tables_for, toml_text, draws, seed, method, basis)


# ------------------------------------------------------------------------------------- sensitivity, stress

class Tornado(TypedDict):
    """A tornado of one metric (:func:`tornado_for`)."""

    table: pd.DataFrame
    base: float | None


class Stresses(TypedDict):
    """A scenario under its stresses (:func:`stresses_for`)."""

    summary: pd.DataFrame
    notes: list[dict[str, object]]
    tables: dict[str, pd.DataFrame]


@st.cache_data(max_entries=64, show_spinner=False)
def tornado_for(toml_text: str, metric: str, basis: str = DEFAULT_BASIS) -> Tornado:
    """The tornado of one metric (:func:`dfl_finance.studies.risk.sensitivity.tornado`), cached on the text, the
    metric and the basis: ``table`` (tornado.csv) and ``base`` (the metric with every input at the scenario's own
    value)."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.risk.sensitivity import tornado

    table = tornado(scenario_of(toml_text), [metric], basis)
    return {"table": table, "base": table.attrs.get("base", {}).get(metric)}


@st.cache_data(max_entries=32, show_spinner=False)
def sobol_for(toml_text: str, metric: str, n: int, basis: str = DEFAULT_BASIS) -> pd.DataFrame:
    """The Sobol indices of one metric (:func:`dfl_finance.studies.risk.sensitivity.sobol_df`, the file's seed),
    cached."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.risk.sensitivity import sobol_df

    return sobol_df(scenario_of(toml_text), [metric], n, basis=basis)


@st.cache_data(max_entries=64, show_spinner=False)
def stresses_for(toml_text: str, basis: str = DEFAULT_BASIS) -> Stresses:
    """The scenario under its stresses (:func:`dfl_finance.studies.risk.stress.run_stresses`; the built-in set when
    it has no ``[[stress]]`` rows), cached: ``summary`` (stress_summary.csv), ``notes`` (each stress, applied or why
    not, as the manifest of ``dfl-finance stress`` records them) and ``tables`` (stress_summary, stress_fiscal and
    stress_dsf, as ``dfl-finance stress`` writes them)."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.risk.stress import run_stresses

    result = run_stresses(scenario_of(toml_text), None, basis)
    tables = result.tables()
    return {"summary": tables["stress_summary"], "notes": result.notes(), "tables": tables}


def checked_tornado(toml_text: str, metric: str, basis: str = DEFAULT_BASIS) -> Tornado:
    return _checked(tornado_for, toml_text, metric, basis)


def checked_sobol(toml_text: str, metric: str, n: int, basis: str = DEFAULT_BASIS) -> pd.DataFrame:
    return _checked(sobol_for, toml_text, metric, n, basis)


def checked_stresses(toml_text: str, basis: str = DEFAULT_BASIS) -> Stresses:
    return _checked(stresses_for, toml_text, basis)


# ------------------------------------------------------------------------------------------------ optimiser

class OptimumTables(TypedDict):
    """What the Optimise page shows of an optimum (:func:`optimum_tables_for`)."""

    comparison: pd.DataFrame
    shadow_prices: pd.DataFrame
    financing: pd.DataFrame
    waterfall: str
    optimum: str
    currency: str
    lp_size: tuple[int, int, int]
    scenario_text: str
    reproduction_note: str | None


@st.cache_resource(max_entries=32, show_spinner=False)
def optimum_for(toml_text: str, objective: str, burden_limit: bool, max_debt: float | None,
                min_share: tuple[tuple[str, float], ...], late_weight: float,
                max_pv_debt: float | None = None) -> Optimum:
    """The :class:`~dfl_finance.studies.optimise.Optimum` of one scenario text under the options
    (:func:`dfl_finance.studies.optimise.optimise`, tables in the default basis), cached on the text and the options:
    solved once per server (immutable, shared)."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.optimise import optimise, options_for

    sc = scenario_of(toml_text)
    return optimise(sc, options_for(sc, objective, burden_limit, max_debt, min_share, late_weight,
                                    max_pv_debt=max_pv_debt))


@st.cache_data(max_entries=64, show_spinner=False)
def optimum_tables_for(toml_text: str, objective: str, burden_limit: bool, max_debt: float | None,
                       min_share: tuple[tuple[str, float], ...], late_weight: float,
                       max_pv_debt: float | None = None, basis: str = DEFAULT_BASIS) -> OptimumTables:
    """What the Optimise page shows of :func:`optimum_for`, in ``basis`` (a view: no second solve).

    Keys: ``comparison`` (comparison.csv), ``shadow_prices`` (shadow_prices.csv), ``financing`` (both runs'
    financing.csv), ``waterfall`` and ``optimum`` (the two runs' names), ``currency``, ``lp_size`` (rows, columns,
    non-zeros), ``scenario_text`` (the optimal mix as a scenario's TOML) and ``reproduction_note`` (None when the
    waterfall reproduces it).
    """
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.studies.optimise import OptimiseError

    try:
        best = optimum_for(toml_text, objective, burden_limit, max_debt, min_share, late_weight, max_pv_debt)
    except OptimiseError as exc:  # a limit that cannot hold: its option named as the page labels it
        raise OptimiseError(error_words(exc)) from None
    view = replace(best, waterfall=best.waterfall.in_basis(basis), result=best.result.in_basis(basis))
    return {"comparison": view.comparison_df(), "shadow_prices": view.shadow_prices_df(),
            "financing": pd.concat([view.waterfall.financing_df(), view.result.financing_df()], ignore_index=True),
            "waterfall": view.waterfall.name, "optimum": view.result.name, "currency": view.result.currency,
            "lp_size": best.lp_size, "scenario_text": dump_scenario(best.to_scenario()),
            "reproduction_note": best.reproduction_note}


def checked_optimum(toml_text: str, objective: str, burden_limit: bool, max_debt: float | None,
                    min_share: tuple[tuple[str, float], ...], late_weight: float,
                    max_pv_debt: float | None = None, basis: str = DEFAULT_BASIS) -> OptimumTables:
    """:func:`optimum_tables_for`, with every failure as a :class:`ScenarioError` (as :func:`checked_tables`): an
    option the optimiser refuses, limits that cannot all hold (the message names the constraint, and its option as
    the page labels it), or an error of the solver itself."""
    return _checked(optimum_tables_for, toml_text, objective, burden_limit, max_debt, min_share, late_weight,
                    max_pv_debt, basis)


# ----------------------------------------------------------------------------------------------- schools

@st.cache_data(max_entries=16, show_spinner=False)
def school_results_for(data: bytes, name: str, years: int, start_year: int, order: str, budget: float | None,
                       target_year: int | None, rate: float, prefer: tuple[str, ...] | None,
                       extend_fibre: bool = False) -> SchoolResults:
    """The school-by-school plan of a school table (its bytes, CSV or Parquet) and what the Schools page draws from
    it (:func:`dfl_finance.app.schools.school_results`), cached on the bytes, the file's name and the options."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.app.schools import school_results

    return school_results(data, name, years, start_year, order, budget, target_year, rate, prefer, extend_fibre)


def checked_school_results(data: bytes, name: str, years: int, start_year: int, order: str, budget: float | None,
                           target_year: int | None, rate: float, prefer: tuple[str, ...] | None,
                           extend_fibre: bool = False) -> SchoolResults:
    """:func:`school_results_for`, with every failure as a :class:`ScenarioError` (a bad table names its rows and
    columns; as :func:`checked_tables`)."""
    return _checked(school_results_for, data, name, years, start_year, order, budget, target_year, rate, prefer,
                    extend_fibre)


# ----------------------------------------------------------------------------------------------- portfolio

#: The scenario files given with a portfolio (uploaded with it, or picked in the workspace): (file name, TOML text)
#: pairs, hashable for the cache.
ScenarioFiles = tuple[tuple[str, str], ...]


@st.cache_data(max_entries=16, show_spinner=False)
def portfolio_file_for(text: str, name: str, files: ScenarioFiles = ()) -> PortfolioFile:
    """A portfolio file's name, fund, countries and pooled discounts (:func:`dfl_finance.app.portfolio.portfolio_file`:
    its scenarios among ``files`` or resolved in ``examples/``), cached on the text, the name and the files."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.app.portfolio import portfolio_file

    return portfolio_file(text, name, dict(files))


@st.cache_data(max_entries=32, show_spinner=False)
def portfolio_results_for(text: str, name: str, envelope: float, rule: str, per_learner: float | None,
                          basis: str = DEFAULT_BASIS, files: ScenarioFiles = (), **options: object
                          ) -> PortfolioResults:
    """The run of a portfolio file (with the scenario ``files`` given with it) with the fund's options set on the
    page (envelope, rule, USD per learner, and the keyword ``options`` of
    :func:`dfl_finance.app.portfolio.portfolio_results`: objective, co_finances, floor, ceiling, weights), cached on
    the text, the name, the files and the options."""
    # imported by the page that runs it: the app's first page starts without scipy and the studies
    from dfl_finance.app.portfolio import portfolio_results

    return portfolio_results(text, name, envelope, rule, per_learner, basis, files=dict(files),
                             **options)  # type: ignore[arg-type]


def checked_portfolio_file(text: str, name: str, files: ScenarioFiles = ()) -> PortfolioFile:
    """:func:`portfolio_file_for`, with every failure as a :class:`ScenarioError` (a bad file names its field)."""
    return _checked(portfolio_file_for, text, name, files)


def checked_portfolio_results(text: str, name: str, envelope: float, rule: str, per_learner: float | None,
                              basis: str = DEFAULT_BASIS, files: ScenarioFiles = (), **options: object
                              ) -> PortfolioResults:
    """:func:`portfolio_results_for`, with every failure as a :class:`ScenarioError` (as :func:`checked_tables`)."""
    return _checked(portfolio_results_for, text, name, envelope, rule, per_learner, basis, files, **options)


@st.cache_data(max_entries=64, show_spinner=False)
def budget_for(toml_text: str, basis: str = DEFAULT_BASIS, first_year: int | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, bytes]:
    """The budget submission of one scenario in a price basis (a view of :func:`result_for`: no second run): the MTEF
    table (mtef.csv) from the fiscal year that starts in ``first_year`` (default: the plan's first), its totals against
    the ceilings (:func:`~dfl_finance.outputs.budget.overview`) and budget.xlsx, as `dfl-finance budget` writes
    them."""
    res = result_for(toml_text).in_basis(basis)
    mtef = mtef_df(res, first_year)
    return mtef, overview(res, mtef), budget_xlsx_bytes(res, mtef)


def checked_budget(toml_text: str, basis: str = DEFAULT_BASIS, first_year: int | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, bytes]:
    """:func:`budget_for`, with every failure as a :class:`ScenarioError` (as :func:`checked_tables`)."""
    return _checked(budget_for, toml_text, basis, first_year)

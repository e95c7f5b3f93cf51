"""dfl_finance: financing modeller for data-for-learning programmes.

Public API::

    from dfl_finance import load_scenario, run
    result = run(load_scenario("scenarios/rwanda-ida-credit.toml"))
    result.summary()            # {'total_cost': ..., ...}
    result.tables()["costs"]    # tidy DataFrame per the output contract

The names are imported on first use (PEP 562), so ``import dfl_finance`` and the command line start fast: pandas
and the engine load only when a run needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS = {
    "DataError": "errors",
    "DflFinanceError": "errors",
    "Problem": "errors",
    "ScenarioError": "errors",
    "apply_overrides": "paths",
    "Result": "results",
    "assumptions_df": "results",
    "combine_tables": "results",
    "comparability": "results",
    "compare": "results",
    "incremental_df": "results",
    "run": "results",
    "Scenario": "schema",
    "dump_scenario": "schema",
    "load_scenario": "schema",
    "parse_scenario": "schema",
    "save_scenario": "schema",
    "scenario_from_dict": "schema",
    "scenario_warnings": "schema",
}

__all__ = [
    "DataError", "DflFinanceError", "Problem", "Result", "Scenario", "ScenarioError", "__version__", "apply_overrides",
    "assumptions_df",
    "combine_tables", "comparability", "compare", "dump_scenario", "incremental_df", "load_scenario", "parse_scenario",
    "run",
    "save_scenario", "scenario_from_dict", "scenario_warnings",
]

if TYPE_CHECKING:
    from .errors import DataError, DflFinanceError, Problem, ScenarioError
    from .paths import apply_overrides
    from .results import Result, assumptions_df, combine_tables, comparability, compare, incremental_df, run
    from .schema import (
        Scenario,
        dump_scenario,
        load_scenario,
        parse_scenario,
        save_scenario,
        scenario_from_dict,
        scenario_warnings,
    )


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

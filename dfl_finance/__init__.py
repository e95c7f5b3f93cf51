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

#: Public name -> module that defines it.
_EXPORTS = {
    "__version__": "vocabulary",
    "DataError": "errors",
    "DflFinanceError": "errors",
    "Problem": "errors",
    "ScenarioError": "errors",
    "apply_overrides": "model.load",
    "Result": "outputs.result",
    "assumptions_df": "outputs.result",
    "combine_tables": "outputs.result",
    "compare": "outputs.result",
    "incremental_df": "outputs.result",
    "run": "outputs.result",
    "Scenario": "inputs.models",
    "dump_scenario": "inputs.io",
    "load_scenario": "model.load",
    "parse_scenario": "model.load",
    "save_scenario": "inputs.io",
    "scenario_from_dict": "model.load",
    "comparability": "inputs.rules",
    "scenario_warnings": "inputs.rules",
}

__all__ = [
    "DataError", "DflFinanceError", "Problem", "Result", "Scenario", "ScenarioError", "__version__", "apply_overrides",
    "assumptions_df",
    "combine_tables", "comparability", "compare", "dump_scenario", "incremental_df", "load_scenario", "parse_scenario",
    "run",
    "save_scenario", "scenario_from_dict", "scenario_warnings",
]

if TYPE_CHECKING:
    from dfl_finance.errors import DataError, DflFinanceError, Problem, ScenarioError
    from dfl_finance.inputs.io import dump_scenario, save_scenario
    from dfl_finance.inputs.models import Scenario
    from dfl_finance.inputs.rules import comparability, scenario_warnings
    from dfl_finance.model.load import apply_overrides, load_scenario, parse_scenario, scenario_from_dict
    from dfl_finance.outputs.result import (
        Result,
        assumptions_df,
        combine_tables,
        compare,
        incremental_df,
        run,
    )


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        attribute = "VERSION" if name == "__version__" else name  # the version is vocabulary.VERSION
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

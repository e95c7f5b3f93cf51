"""dfl_finance: financing modeller for data-for-learning programmes.

Public API::

    from dfl_finance import load_scenario, run
    result = run(load_scenario("scenarios/rwanda-ida-credit.toml"))
    result.summary()            # {'total_cost': ..., ...}
    result.tables()["costs"]    # tidy DataFrame per the output contract
"""

__version__ = "0.1.0"

from .errors import DataError, DflFinanceError, Problem, ScenarioError  # noqa: E402
from .results import Result, assumptions_df, combine_tables, compare, run  # noqa: E402
from .schema import (  # noqa: E402
    Scenario,
    dump_scenario,
    load_scenario,
    parse_scenario,
    save_scenario,
    scenario_from_dict,
)

__all__ = [
    "DataError",
    "DflFinanceError",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "assumptions_df",
    "combine_tables",
    "compare",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
    "run",
    "save_scenario",
    "scenario_from_dict",
]

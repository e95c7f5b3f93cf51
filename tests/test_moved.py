"""The old import paths (``dfl_finance.schema``, ``dfl_finance.results``, ``dfl_finance.paths``) keep working for one
release, and each name taken from them warns that it moved and says where."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from dfl_finance.inputs import io, models, paths, rules
from dfl_finance.model import load
from dfl_finance.outputs import result

MOVED = [
    ("dfl_finance.schema", "Scenario", models.Scenario, "dfl_finance.inputs.models"),
    ("dfl_finance.schema", "load_scenario", load.load_scenario, "dfl_finance.model.load"),
    ("dfl_finance.schema", "scenario_from_dict", load.scenario_from_dict, "dfl_finance.model.load"),
    ("dfl_finance.schema", "dump_scenario", io.dump_scenario, "dfl_finance.inputs.io"),
    ("dfl_finance.schema", "scenario_warnings", rules.scenario_warnings, "dfl_finance.inputs.rules"),
    ("dfl_finance.schema.models", "Source", models.Source, "dfl_finance.inputs.models"),
    ("dfl_finance.schema.io", "save_scenario", io.save_scenario, "dfl_finance.inputs.io"),
    ("dfl_finance.schema.rules", "comparability", rules.comparability, "dfl_finance.inputs.rules"),
    ("dfl_finance.results", "run", result.run, "dfl_finance.outputs.result"),
    ("dfl_finance.results", "Result", result.Result, "dfl_finance.outputs.result"),
    ("dfl_finance.paths", "resolve", paths.resolve, "dfl_finance.inputs.paths"),
    ("dfl_finance.paths", "apply_overrides", load.apply_overrides, "dfl_finance.model.load"),
]


@pytest.mark.parametrize(("old", "name", "value", "home"), MOVED)
def test_an_old_import_path_gives_the_same_object_and_warns_where_it_went(old: str, name: str, value: object,
                                                                          home: str) -> None:
    module = importlib.import_module(old)
    vars(module).pop(name, None)  # found once, cached: forget it so that it warns again
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} has moved to {home}\.{name}"):
        got = getattr(module, name)
    assert got is value


def test_an_unknown_name_of_an_old_path_is_an_attribute_error() -> None:
    import dfl_finance.results

    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        dfl_finance.results.no_such_name  # noqa: B018


def test_the_old_paths_run_a_scenario_in_a_new_process() -> None:
    """What a user's script of the last release does, run as it would be: it works and warns once per name."""
    code = ("import warnings; warnings.simplefilter('always')\n"
            "from dfl_finance.schema import load_scenario\n"
            "from dfl_finance.results import run\n"
            "from dfl_finance.inputs.profiles import bundled_scenarios_dir\n"
            "r = run(load_scenario(bundled_scenarios_dir() / 'rwanda-ida-credit.toml'))\n"
            "print(r.summary()['total_cost'] > 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
    assert done.stderr.count("DeprecationWarning") == 2, done.stderr

"""The sweep file as pydantic models (dfl_finance.inputs.sweep, .files): one broken fixture per validation error
(tests/data/invalid-sweep), each named by its file, its field and its value as a scenario's are, in the models'
words."""

from __future__ import annotations

from pathlib import Path

import pytest

from dfl_finance import ScenarioError
from dfl_finance.inputs.files import FileModel
from dfl_finance.inputs.sweep import SweepFile, read_sweep
from dfl_finance.studies.sweep import load_sweep
from tests.conftest import ROOT

SWEEPS = sorted((ROOT / "tests" / "data" / "invalid-sweep").glob("*.toml"))


def _expectation(path: Path) -> tuple[str, str]:
    """The field path a fixture's one problem names (``# expect:``) and words of its message (``# message:``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# expect: ") and lines[1].startswith("# message: "), path.name
    return lines[0].removeprefix("# expect: "), lines[1].removeprefix("# message: ")


@pytest.mark.parametrize("path", SWEEPS, ids=[f"{p.parent.name}/{p.stem}" for p in SWEEPS])
def test_each_broken_file_is_refused_by_file_field_and_value(path):
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    field, message = _expectation(path)
    (problem,) = info.value.problems  # one mistake, one problem
    assert problem.path == f"{path}: {field}", problem
    assert message in problem.format(), problem.format()


def test_the_valid_examples_read_without_a_problem():
    for path in sorted((ROOT / "examples").glob("sweep-*.toml")):
        assert not read_sweep(path).problems, path


def test_every_table_of_the_files_is_a_file_model():
    """Every table is strict and forbids unknown keys (FileModel)."""
    def tables(model: type) -> set[type]:
        found = {model}
        for info in model.model_fields.values():
            for arg in [info.annotation, *getattr(info.annotation, "__args__", ())]:
                for inner in [arg, *getattr(arg, "__args__", ())]:
                    if isinstance(inner, type) and issubclass(inner, FileModel) and inner not in found:
                        found |= tables(inner)
        return found

    every = tables(SweepFile)
    assert len(every) == 4
    for model in every:
        assert model.model_config["extra"] == "forbid" and model.model_config["strict"], model

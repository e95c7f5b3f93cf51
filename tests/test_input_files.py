"""The portfolio and sweep files as pydantic models (dfl_finance.inputs.portfolio, .sweep, .files): one broken fixture
per validation error (tests/data/invalid-portfolio, tests/data/invalid-sweep), each named by its file, its field and
its value as a scenario's are, in the models' words."""

from __future__ import annotations

from pathlib import Path

import pytest

from dfl_finance import ScenarioError
from dfl_finance.inputs.files import FileModel
from dfl_finance.inputs.portfolio import GroupWeights, PortfolioFile, read_portfolio
from dfl_finance.inputs.sweep import SweepFile, read_sweep
from dfl_finance.studies.portfolio import load_portfolio
from dfl_finance.studies.sweep import load_sweep
from dfl_finance.vocabulary import INCOME_GROUPS
from tests.conftest import ROOT

PORTFOLIOS = sorted((ROOT / "tests" / "data" / "invalid-portfolio").glob("*.toml"))
SWEEPS = sorted((ROOT / "tests" / "data" / "invalid-sweep").glob("*.toml"))


def _expectation(path: Path) -> tuple[str, str]:
    """The field path a fixture's one problem names (``# expect:``) and words of its message (``# message:``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# expect: ") and lines[1].startswith("# message: "), path.name
    return lines[0].removeprefix("# expect: "), lines[1].removeprefix("# message: ")


@pytest.mark.parametrize("path", [*PORTFOLIOS, *SWEEPS], ids=[f"{p.parent.name}/{p.stem}" for p in
                                                              [*PORTFOLIOS, *SWEEPS]])
def test_each_broken_file_is_refused_by_file_field_and_value(path):
    load = load_portfolio if path.parent.name == "invalid-portfolio" else load_sweep
    with pytest.raises(ScenarioError) as info:
        load(path)
    field, message = _expectation(path)
    (problem,) = info.value.problems  # one mistake, one problem
    assert problem.path == f"{path}: {field}", problem
    assert message in problem.format(), problem.format()


def test_the_valid_examples_read_without_a_problem():
    for path in sorted((ROOT / "examples").glob("portfolio-*.toml")):
        spec = read_portfolio(path)
        assert not spec.problems and spec.fund is not None and len(spec.countries) == spec.rows > 0, path
    for path in sorted((ROOT / "examples").glob("sweep-*.toml")):
        assert not read_sweep(path).problems, path


def test_every_table_of_the_files_is_a_file_model_and_the_group_weights_are_the_income_groups():
    """Every table is strict and forbids unknown keys (FileModel), and group_weights knows the income groups of the
    vocabulary, by their names as written (lower-middle)."""
    def tables(model: type) -> set[type]:
        found = {model}
        for info in model.model_fields.values():
            for arg in [info.annotation, *getattr(info.annotation, "__args__", ())]:
                for inner in [arg, *getattr(arg, "__args__", ())]:
                    if isinstance(inner, type) and issubclass(inner, FileModel) and inner not in found:
                        found |= tables(inner)
        return found

    every = tables(PortfolioFile) | tables(SweepFile)
    assert len(every) == 10  # 6 tables of a portfolio file, 4 of a sweep file
    for model in every:
        assert model.model_config["extra"] == "forbid" and model.model_config["strict"], model
    assert tuple(info.alias or name for name, info in GroupWeights.model_fields.items()) == INCOME_GROUPS


def test_a_file_with_problems_in_several_tables_names_them_all(tmp_path):
    """A bad fund and a bad pooled discount are both said, and the countries are still read (their problems too)."""
    (tmp_path / "A.toml").write_text((ROOT / "scenarios/rwanda-domestic.toml").read_text(encoding="utf-8").replace(
        "[context]", "[context]\nschools = -3", 1), encoding="utf-8")
    spec = tmp_path / "p.toml"
    spec.write_text('[[country]]\nscenario = "A.toml"\n[fund]\nenvelope = -1.0\nrule = "need"\n'
                    '[[pooled]]\nitem = "x"\ndiscount = 1.5\nsource = "PLACEHOLDER: a test"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert [p.path for p in info.value.problems] == [f"{spec}: fund.envelope", f"{spec}: pooled[0].discount",
                                                    f"{(tmp_path / 'A.toml').resolve()}: context.schools"]


def test_a_row_that_does_not_validate_leaves_the_other_rows_checked(tmp_path):
    """A [[country]], [[pooled]], [[sweep.override]] or [[sweep.case]] row with a bad field is named, and the other
    rows of its list are still read and checked against the files they name, as the hand-written checks did."""
    (tmp_path / "A.toml").write_text((ROOT / "scenarios/rwanda-domestic.toml").read_text(encoding="utf-8").replace(
        "[context]", "[context]\nschools = -3", 1), encoding="utf-8")
    spec = tmp_path / "p.toml"
    spec.write_text(f'[[country]]\nscenario = "{ROOT / "scenarios/kenya-domestic.toml"}"\nweight = -1\n'
                    '[[country]]\nscenario = "A.toml"\n[fund]\nenvelope = 1.0\nrule = "need"\n'
                    '[[pooled]]\nitem = "x"\ndiscount = 2\nsource = "y"\n'
                    '[[pooled]]\nitem = "nothing"\ndiscount = 0.1\nsource = "y"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_portfolio(spec)
    assert [p.path for p in info.value.problems] == [
        f"{spec}: country[0].weight", f"{spec}: pooled[0].discount",
        f"{(tmp_path / 'A.toml').resolve()}: context.schools", f"{spec}: pooled[1].item"]
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'[sweep]\nscenarios = ["{ROOT / "scenarios/rwanda-domestic.toml"}"]\n'
                     '[[sweep.override]]\nname = 3\n'
                     '[[sweep.override]]\nname = "x"\nvalues = { "context.schoolz" = 1 }\n'
                     '[[sweep.case]]\nscenario = "nope"\n[[sweep.case]]\nscenario = "z"\nseed = -1\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_sweep(sweep)
    assert [p.path for p in info.value.problems] == [
        f"{sweep}: sweep.override[0].name", f"{sweep}: sweep.case[1].seed",
        f"{sweep}: sweep.override[1].values: context.schoolz", f"{sweep}: sweep.case[0].scenario"]

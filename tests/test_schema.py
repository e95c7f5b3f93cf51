"""Scenario format: one broken fixture per validation error, load/save round trip, country profiles."""

from pathlib import Path

import pytest
from hypothesis import given

from dfl_finance import ScenarioError, dump_scenario, load_scenario, parse_scenario, save_scenario, scenario_from_dict
from dfl_finance.inputs.docs import field_help, field_reference, field_reference_markdown, metrics_markdown
from dfl_finance.inputs.docs import main as docs_main
from tests.conftest import ROOT, small_scenario_dict
from tests.strategies import scenario_dicts

INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.toml"))
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


def _expectation(path: Path) -> tuple[str, str | None]:
    """The field path a fixture's error must name (``# expect:``) and, if given, words of its message
    (``# message:``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# expect: "), f"{path.name} must start with '# expect: <field path>'"
    message = lines[1].removeprefix("# message: ") if lines[1].startswith("# message: ") else None
    return lines[0].removeprefix("# expect: "), message


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_each_invalid_fixture_names_file_and_field(path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    field, message = _expectation(path)
    assert str(path) in text
    assert field in text
    if message:
        assert message in text


def test_there_is_a_fixture_for_every_listed_error():
    names = {p.stem for p in INVALID}
    required = {"malformed_toml", "unknown_field", "missing_name", "wrong_type_years", "negative_count",
                "negative_cost", "share_above_one", "target_below_start", "target_year_outside",
                "duplicate_programme_id"}
    assert required <= names


def test_message_shows_the_bad_value():
    with pytest.raises(ScenarioError) as info:
        load_scenario(ROOT / "tests/data/invalid/negative_cost.toml")
    assert "programme[1].cost[0].unit_cost" in str(info.value) and "-5.0" in str(info.value)
    (problem,) = info.value.problems
    assert problem.value == -5.0


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ScenarioError, match="nope.toml: file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(ScenarioError, match="folder"):
        load_scenario(tmp_path)


def test_all_problems_are_reported_at_once():
    raw = small_scenario_dict()
    raw["programme"] = [dict(raw["programme"][0], start_share=0.9, target_share=0.5, target_year=2040)]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    paths = {p.path for p in info.value.problems}
    assert {"programme[0].target_share", "programme[0].target_year"} <= paths


def test_integers_are_accepted_for_floats_but_strings_are_not():
    raw = small_scenario_dict()
    raw["programme"][0]["cost"][0]["unit_cost"] = 500  # TOML integer
    assert scenario_from_dict(raw).programme[0].cost[0].unit_cost == 500.0
    raw["programme"][0]["cost"][0]["unit_cost"] = "500"
    with pytest.raises(ScenarioError, match=r"programme\[0\]\.cost\[0\]\.unit_cost"):
        scenario_from_dict(raw)


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenarios_validate_and_round_trip(path, tmp_path):
    """Saved elsewhere and read back: the same scenario, whose baseline (named for the new folder) is the same."""
    sc = load_scenario(path)
    out = save_scenario(sc, tmp_path / "copy.toml")
    back = load_scenario(out)
    assert back.baseline_scenario == sc.baseline_scenario
    if sc.scenario.baseline is not None:
        assert Path(sc.scenario.baseline).name == Path(back.scenario.baseline).name
        meta = back.scenario.model_copy(update={"baseline": sc.scenario.baseline})
        back = back.model_copy(update={"scenario": meta})
    assert back == sc


@given(scenario_dicts())
def test_dump_then_parse_gives_an_equal_scenario(raw):
    sc = scenario_from_dict(raw)
    assert parse_scenario(dump_scenario(sc)) == sc


def test_save_does_not_destroy_previous_file_on_failure(tmp_path, monkeypatch):
    sc = scenario_from_dict(small_scenario_dict())
    target = save_scenario(sc, tmp_path / "s.toml")
    before = target.read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("dfl_finance.inputs.io.os.replace", boom)
    with pytest.raises(OSError):
        save_scenario(sc.model_copy(update={"scenario": sc.scenario.model_copy(update={"name": "Other"})}), target)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def test_country_profile_fills_context_and_context_overrides():
    raw = small_scenario_dict()
    raw["scenario"]["country"] = "RWA"
    raw["context"] = {"schools": 10}
    sc = scenario_from_dict(raw)
    assert sc.context.schools == 10  # the file wins
    assert sc.context.learners == 4766125  # from data/country_profiles.csv
    assert sc.context.education_budget > 0


def test_country_profile_reaches_the_engine():
    from dfl_finance import run

    raw = small_scenario_dict()
    raw["scenario"]["country"] = "RWA"
    raw["context"] = {}
    base = run(scenario_from_dict(raw)).summary()["total_cost"]
    raw["context"] = {"schools": 6756 * 2}
    assert run(scenario_from_dict(raw)).summary()["total_cost"] == pytest.approx(2 * base)


def test_docs_are_generated_from_the_schema():
    import difflib

    doc = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    generated = field_reference_markdown()
    written = doc[doc.index("### `[scenario]`"):].splitlines()
    assert generated in doc, "regenerate with: python -m dfl_finance.inputs.docs; the lines that differ:\n" + "\n".join(
        difflib.unified_diff(written, generated.splitlines(), "written", "generated", lineterm="", n=0))
    method = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    assert metrics_markdown() in method, "regenerate with: python -m dfl_finance.inputs.docs"


def test_the_docs_generator_writes_the_repositorys_docs(capsys):
    """``python -m dfl_finance.inputs.docs`` without arguments finds docs/ at the top of the repository (it looked in
    dfl_finance/docs/ after the module moved into inputs/)."""
    assert docs_main([]) == 0
    assert capsys.readouterr().out.splitlines() == [f"unchanged: {ROOT / 'docs' / name}"
                                                    for name in ("scenario-format.md", "method.md")]


def test_every_field_is_documented_with_description():
    for row in field_reference():
        assert row["description"], f"{row['table']} {row['field']} has no description"
    assert "[share]" in field_help("[[programme]]", "start_share")

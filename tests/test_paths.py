"""Field paths (dfl_finance.inputs.paths): grammar, selection, errors, canonical form, pure overrides."""

import copy

import pytest
from hypothesis import given

from dfl_finance import run
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.paths import (
    Step,
    canonical_path,
    format_location,
    format_path,
    get,
    leaves,
    parse_path,
    resolve,
    set_in,
)
from dfl_finance.model.load import apply_overrides, load_scenario, scenario_from_dict
from tests.conftest import ROOT, small_scenario_dict
from tests.strategies import scenario_dicts

IDA = ROOT / "scenarios/rwanda-ida-credit.toml"


def _message(exc: pytest.ExceptionInfo) -> str:
    (problem,) = exc.value.problems
    return problem.format()


# ------------------------------------------------------------------------------------------------ grammar

@pytest.mark.parametrize("text", [
    "context.budget_growth", "source[ida].commitment", "programme[connectivity].cost[satellite terminal].unit_cost",
    "programme[0].cost[1].unit_cost", "source[0].schedule[2][1]", "macro.inflation[3]",
    "programme[emis].cost[cable (cat 6), 2 km. each].unit_cost", "scenario",
])
def test_parse_and_format_round_trip(text):
    assert format_path(parse_path(text)) == text


def test_parse_gives_steps_with_indices_and_names():
    assert parse_path("programme[connectivity].cost[0].unit_cost") == (
        Step("programme", ("connectivity",)), Step("cost", (0,)), Step("unit_cost"))
    assert parse_path("source[ida].schedule[0][2]")[1] == Step("schedule", (0, 2))


@pytest.mark.parametrize("text, words", [
    ("", "expected a field name at character 1"), ("context.", "expected a field name at character 9"),
    ("source[ida", "without its `]`"), ("source[ ida]", "neither an index nor a name"),
    ("source[]", "neither an index nor a name"), ("source[ida]x", "unexpected `x` at character 12"),
    ("1abc", "expected a field name"), ("a" * 2000, "at most 1000 characters"),
])
def test_malformed_paths_are_refused_with_where(text, words):
    with pytest.raises(ScenarioError) as exc:
        parse_path(text)
    assert words in _message(exc)


def test_format_location_is_the_positional_form():
    assert format_location(("programme", 1, "cost", 0, "unit_cost")) == "programme[1].cost[0].unit_cost"
    assert format_location(()) == ""
    with pytest.raises(ValueError):
        format_path([Step("cost", ("2030",))])  # an item of digits is selected by index


# ------------------------------------------------------------------------------------------------ selection

def test_selection_by_index_id_and_item_gives_one_location():
    sc = load_scenario(IDA)
    by_name = resolve(sc, "programme[connectivity].cost[satellite terminal].unit_cost")
    assert by_name == resolve(sc, "programme[0].cost[0].unit_cost") == ("programme", 0, "cost", 0, "unit_cost")
    assert resolve(sc, "source[ida].commitment") == resolve(sc, "source[0].commitment") == ("source", 0, "commitment")
    assert get(sc, "source[ida].commitment") == sc.source[0].commitment
    assert get(sc, "programme[connectivity].cost[satellite terminal].unit_cost") == sc.programme[0].cost[0].unit_cost
    assert get(sc, "source[ida].schedule[0]") == sc.source[0].schedule[0]


def test_a_field_left_empty_resolves_and_reads_none():
    sc = scenario_from_dict(small_scenario_dict())
    assert sc.context.budget_growth is None
    assert resolve(sc, "context.budget_growth") == ("context", "budget_growth")
    assert get(sc, "context.budget_growth") is None
    assert get(sc, "context.gap_financing.rate") is None


def test_resolve_reads_the_dict_of_a_file_too():
    raw = small_scenario_dict()
    assert resolve(raw, "programme[connectivity].cost[terminal].unit_cost") == ("programme", 0, "cost", 0,
                                                                                 "unit_cost")
    assert get(raw, "programme[connectivity].cost[terminal].unit_cost") == 500.0
    set_in(raw, "macro.inflation", 0.03)
    set_in(raw, "context.schools", None)
    assert raw["macro"] == {"inflation": 0.03} and "schools" not in raw["context"]


@pytest.mark.parametrize("path, words", [
    ("source[idaa].commitment", "no source with id `idaa` in `source` (known: ida, mof); did you mean `ida`?"),
    ("programme[conectivity].rollout", "did you mean `connectivity`?"),
    ("programme[connectivity].cost[satellite terminals].unit_cost",
     "no cost line with item `satellite terminals` in `programme[0].cost`"),
    ("context.budget_grwth", "unknown field `budget_grwth` of `context`; did you mean `budget_growth`?"),
    ("contxt.schools", "unknown field `contxt` of `the scenario`; did you mean `context`?"),
    ("macro.zzz", "unknown field `zzz` of `macro` (known: inflation, usd_inflation"),
    ("source[5].rate", "`source` has 2 elements (indices 0..1); no [5]"),
    ("source.rate", "`source` is a list: select one element"),
    ("source[ida].eligible[x]", "have no names: select one by its index"),
    ("context.schools.x", "`context.schools` is a value, not a table"),
    ("context.gap_financing[0]", "`context.gap_financing` is not a list"),
])
def test_an_unknown_path_names_the_path_and_what_is_known(path, words):
    sc = load_scenario(IDA)
    with pytest.raises(ScenarioError) as exc:
        resolve(sc, path)
    (problem,) = exc.value.problems
    assert problem.path == path and words in problem.message


def test_an_ambiguous_item_asks_for_the_index():
    raw = small_scenario_dict()
    raw["programme"][0]["cost"].append({"item": "terminal", "kind": "opex", "unit_cost": 5.0})
    sc = scenario_from_dict(raw)
    with pytest.raises(ScenarioError) as exc:
        resolve(sc, "programme[connectivity].cost[terminal].unit_cost")
    message = _message(exc)
    assert "2 cost lines of `programme[0].cost` have item `terminal`" in message
    assert "programme[0].cost[0], programme[0].cost[1]" in message and "by its index" in message
    assert canonical_path(sc, "programme[0].cost[1].unit_cost") == "programme[connectivity].cost[1].unit_cost"


# ------------------------------------------------------------------------------------------------ canonical form

def test_canonical_form_uses_names_where_they_select_one_element():
    sc = load_scenario(IDA)
    assert canonical_path(sc, "programme[0].cost[0].unit_cost") == (
        "programme[connectivity].cost[satellite terminal].unit_cost")
    assert canonical_path(sc, ("source", 0, "schedule", 0)) == "source[ida].schedule[0]"
    assert canonical_path(sc, "context.budget_growth") == "context.budget_growth"


def test_an_item_that_cannot_be_written_is_selected_by_index():
    raw = small_scenario_dict()
    raw["programme"][0]["cost"] += [{"item": "2030", "kind": "opex", "unit_cost": 1.0},
                                    {"item": "kit [v2]", "kind": "opex", "unit_cost": 1.0}]
    sc = scenario_from_dict(raw)
    assert canonical_path(sc, ("programme", 0, "cost", 1, "unit_cost")) == "programme[connectivity].cost[1].unit_cost"
    assert canonical_path(sc, ("programme", 0, "cost", 2, "unit_cost")) == "programme[connectivity].cost[2].unit_cost"
    assert get(sc, "programme[connectivity].cost[2].item") == "kit [v2]"


def _locations(sc):
    """Every location of a scenario: its leaves and the tables and list elements on the way to them."""
    out = set()
    for leaf in leaves(sc):
        loc = leaf.location
        out.update(loc[:k] for k in range(1, len(loc) + 1) if isinstance(loc[k - 1], str) or k == len(loc) or
                   isinstance(loc[k], str))
    return out


@given(scenario_dicts())
def test_formatting_then_parsing_any_path_of_a_random_scenario_gives_the_same_location(raw):
    sc = scenario_from_dict(raw)
    for loc in _locations(sc):
        assert resolve(sc, format_location(loc)) == loc
        canonical = canonical_path(sc, loc)
        assert resolve(sc, canonical) == loc
        assert format_path(parse_path(canonical)) == canonical
        assert resolve(raw, canonical) == loc  # the dict of the file reads the same path


def test_leaves_cover_every_field_with_its_canonical_path():
    sc = load_scenario(IDA)
    found = {leaf.path: leaf.value for leaf in leaves(sc)}
    assert found["programme[connectivity].cost[satellite terminal].unit_cost"] == sc.programme[0].cost[0].unit_cost
    assert found["source[ida].schedule"] == sc.source[0].schedule
    assert found["context.budget_growth"] == sc.context.budget_growth
    for leaf in leaves(sc):
        assert resolve(sc, leaf.path) == leaf.location


# ------------------------------------------------------------------------------------------------ overrides

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("file, path, value", [
    ("rwanda-ida-credit.toml", "source[ida].commitment", 12_345_678.0),
    ("rwanda-ida-credit.toml", "programme[connectivity].cost[satellite terminal].unit_cost", 777.0),
    ("rwanda-ida-credit.toml", "context.budget_growth", 0.011),
    ("kenya-ida-gpe.toml", "macro.inflation", 0.07),
    ("kenya-ida-gpe.toml", "source[gpe].share_cap", 0.25),
    ("rwanda-domestic.toml", "programme[emis].target_share", 0.8),   # above its start share, 0.696 (costs23)
])
def test_an_override_changes_exactly_that_value_and_the_result_runs(file, path, value):
    sc = load_scenario(ROOT / "scenarios" / file)
    before = copy.deepcopy(sc.model_dump())
    new = apply_overrides(sc, {path: value})
    assert sc.model_dump() == before  # the input is untouched
    assert get(new, path) == value
    changed = {leaf.path for leaf, old in zip(leaves(new), leaves(sc)) if leaf.value != old.value}
    assert changed == {canonical_path(sc, path)}
    assert run(new).summary_df() is not None


def test_an_override_by_index_equals_one_by_name():
    sc = load_scenario(IDA)
    assert apply_overrides(sc, {"programme[0].cost[0].unit_cost": 600.0}) == apply_overrides(
        sc, {"programme[connectivity].cost[satellite terminal].unit_cost": 600.0})


def test_two_paths_to_one_field_are_refused():
    sc = load_scenario(IDA)
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(sc, {"source[0].rate": 0.01, "source[ida].rate": 0.02})
    assert "the same field as `source[0].rate`" in _message(exc)


@pytest.mark.parametrize("path, value, words", [
    ("source[ida].commitment", -5.0, "greater than or equal to 0"),
    ("programme[connectivity].cost[satellite terminal].unit_cost", "cheap", "valid number"),
    ("context.burden_limit", 1.5, "less than or equal to 1"),
    ("programme[connectivity].target_share", 0.0, "must be >= start_share"),
])
def test_an_invalid_override_raises_the_usual_error_naming_the_path(path, value, words):
    sc = load_scenario(IDA)
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(sc, {path: value})
    assert any(p.path == path and words in p.message for p in exc.value.problems), exc.value


def test_an_unknown_override_path_is_refused_before_anything_runs():
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(load_scenario(IDA), {"source[world_bank].commitment": 1.0})
    assert "no source with id `world_bank`" in _message(exc)


def test_none_removes_a_field_and_a_new_term_sheet_fills_the_loan_fields():
    raw = small_scenario_dict()
    raw["context"]["budget_growth"] = 0.02
    assert apply_overrides(scenario_from_dict(raw), {"context.budget_growth": None}).context.budget_growth is None
    sc = load_scenario(IDA)
    new = apply_overrides(sc, {"source[ida].terms": "ida21-40year", "source[ida].rate": sc.source[0].rate})
    assert (new.source[0].maturity_years, new.source[0].rate) == (40, 0.0)


@pytest.mark.parametrize("file", BUNDLED, ids=lambda p: p.stem)
def test_no_overrides_give_the_same_scenario(file):
    sc = load_scenario(file)
    assert apply_overrides(sc, {}) == sc


def test_an_override_can_change_one_year_of_a_list():
    sc = load_scenario(IDA).model_copy(update={"uncertain": []})  # its uncertain inflation needs a single rate
    path = apply_overrides(sc, {"macro.inflation": [0.04] * sc.scenario.years})
    new = apply_overrides(path, {"macro.inflation[2]": 0.09})
    assert new.macro.inflation == [0.04, 0.04, 0.09] + [0.04] * (sc.scenario.years - 3)
    assert path.macro.inflation == [0.04] * sc.scenario.years
    assert run(new).summary_df() is not None
    with pytest.raises(ScenarioError) as exc:  # a problem of the whole list is named by the path as written too
        apply_overrides(sc, {"source[ida].schedule[0][2]": 0.03})
    (problem,) = exc.value.problems
    assert problem.path == "source[ida].schedule" and "add up to 87.00%" in problem.message


def test_a_distribution_given_as_a_field_s_value_says_how_to_make_it_uncertain():
    from dfl_finance import ScenarioError, load_scenario
    from dfl_finance.model.load import apply_overrides

    sc = load_scenario(ROOT / "scenarios" / "rwanda-domestic.toml")
    with pytest.raises(ScenarioError) as info:
        apply_overrides(sc, {"context.budget_growth": {"distribution": "triangular", "low": 0.0, "mode": 0.01,
                                                       "high": 0.02}})
    (problem,) = info.value.problems
    assert problem.path == "context.budget_growth" and 'uncertain = [{ path = "context.budget_growth"' in \
        problem.message


# ------------------------------------------------------------------------------------------------ in words

@pytest.mark.parametrize("path, label, unit", [
    ("programme[connectivity].cost[satellite terminal].unit_cost",
     "School connectivity (LEO satellite): satellite terminal, unit cost", "USD"),  # a USD-priced import
    ("programme[1].cost[0].unit_cost", "Solar power for off-grid schools: solar kit, unit cost", "USD"),
    ("programme[connectivity].target_share", "School connectivity (LEO satellite): target share", "share"),
    ("macro.inflation", "Domestic inflation", "1/yr"),
    ("macro.fx_rate", "Exchange rate", "RWF/USD"),
    ("context.education_budget", "Education budget", "RWF/yr"),
    ("scenario.discount_rate", "Discount rate", "1/yr"),
    ("source[ida].commitment", "IDA21 40-year credit: commitment", "USD"),  # a credit: USD unless it says
    ("source[mof].annual_cap", "Education budget: annual cap", "RWF/yr"),  # domestic: the scenario's currency
    ("uncertain[0].low", "Uncertain input 1: low", ""),
    ("source[nowhere].rate", "source[nowhere].rate", ""),  # not a field of this scenario: the path as written
])
def test_a_field_path_in_words_with_its_unit(path, label, unit):
    from dfl_finance.inputs.paths import describe

    words = describe(load_scenario(IDA), path)
    assert (words.label, words.unit) == (label, unit)
    assert words.text == (f"{label} ({unit})" if unit else label)


def test_a_line_priced_in_the_local_currency_says_so_and_a_count_is_not_its_own_unit():
    from dfl_finance.inputs.paths import describe

    raw = small_scenario_dict(scenario={"name": "x", "start_year": 2026, "years": 2, "currency": "KES"},
                              macro={"inflation": 0.05, "usd_inflation": 0.02, "fx_rate": 130.0})
    raw["programme"][0]["cost"][0]["currency"] = "KES"
    sc = scenario_from_dict(raw)
    assert describe(sc, "programme[0].cost[0].unit_cost").text == "connectivity: terminal, unit cost (KES)"
    assert describe(sc, "context.schools").text == "Schools"  # not "Schools (schools)"
    assert describe(raw, "programme[connectivity].cost[terminal].unit_cost").unit == "KES"  # a file not validated

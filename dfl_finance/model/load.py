"""Reading a scenario as every command reads it: the file validated (:mod:`dfl_finance.inputs`), then what it names
read and composed: its school tables planned into its cost lines (:mod:`dfl_finance.model.school_link`) and its
baseline scenario read and checked to be comparable. So a scenario that validates also runs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.budget import MAX_CODE_LIST_BYTES, check_code_list
from dfl_finance.inputs.io import parse_toml, read_text, validate_scenario
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.overrides import apply_overrides as overridden
from dfl_finance.inputs.rules import comparability


def scenario_from_dict(raw: Any, file: str | None = None, schools: bool = True,
                       folder: Path | None = None, *, baseline: bool = True) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML) into a :class:`Scenario`
    (:func:`~dfl_finance.inputs.io.validate_scenario`) and read every file it names as the commands will read it:
    a programme with a ``[programme.schools]`` table takes its cost lines from the school plan, and the baseline
    scenario is read, validated and checked to be comparable (:attr:`Scenario.baseline_scenario`), so that a scenario
    that validates also runs. ``schools=False`` (a scenario made from one already read) takes the cost lines as they
    are and reads no other file; ``baseline=False`` does not read the baseline (the baseline of a baseline: ``run``
    does not follow it).
    """
    scenario = validate_scenario(raw, file, folder)
    if not schools:
        return scenario
    base = scenario.folder or Path.cwd()
    try:
        if any(p.schools is not None for p in scenario.programme):
            # the school model (numpy) loads with a scenario that links school tables, not with every validate
            from dfl_finance.model.school_link import expand_school_links

            scenario = expand_school_links(scenario, base)  # validated again with the same folder
        if baseline and scenario.scenario.baseline is not None:
            scenario._baseline = read_baseline(scenario, base)
        if scenario.scenario.budget_codes is not None:
            read_code_list(scenario, base)
        return scenario
    except ScenarioError as exc:
        raise (exc.with_file(file) if file else exc) from None


def read_baseline(scenario: Scenario, base: Path) -> Scenario:
    """The scenario's ``[scenario] baseline``, read relative to ``base`` as ``run`` reads it (its own baseline is
    not followed: incremental.csv goes one level deep), and checked to be comparable with the scenario.

    Raises
    ------
    ScenarioError
        At ``scenario.baseline``: the file is missing, not a regular file, not valid, or not comparable.
    """
    value = scenario.scenario.baseline
    assert value is not None
    path = base / value

    def problem(message: str) -> ScenarioError:
        return ScenarioError([Problem("scenario.baseline", message, value)])

    try:
        text = read_text(path, regular_only=True)
        other = scenario_from_dict(parse_toml(text, str(path)), file=str(path), folder=path.parent,
                                   schools=True, baseline=False)
    except ScenarioError as exc:
        found = path.is_file()
        raise problem(f"the baseline scenario {path} " + ("is not valid: " if found else "cannot be read: ")
                      + "; ".join(p.format() for p in exc.problems)) from None
    reason = comparability([scenario, other])
    if reason:
        raise problem(f"the baseline scenario {path} ({other.name!r}) cannot be compared with this one: "
                      + reason.removeprefix("no deltas: "))
    return other


def read_code_list(scenario: Scenario, base: Path) -> None:
    """Read the scenario's ``[scenario] budget_codes`` relative to ``base`` and check every budget code the scenario
    uses against it (:func:`~dfl_finance.inputs.budget.check_code_list`).

    Raises
    ------
    ScenarioError
        At ``scenario.budget_codes``: the list is missing, unreadable or malformed; at a ``budget_code``: a code that
        is not in the list. The messages name the file and the value.
    """
    value = scenario.scenario.budget_codes
    assert value is not None
    path = base / value
    try:
        text = read_text(path, limit=MAX_CODE_LIST_BYTES, what="code list", regular_only=True)
    except ScenarioError as exc:
        raise ScenarioError([Problem("scenario.budget_codes", f"the code list {path} cannot be read: "
                                     + "; ".join(p.format() for p in exc.problems), value)]) from None
    check_code_list(scenario, text, str(path))


def parse_scenario(text: str, file: str | None = None, folder: Path | None = None) -> Scenario:
    """Parse and validate the TOML text of a scenario (a leading UTF-8 byte order mark is ignored) and read what it
    names (:func:`scenario_from_dict`); the files it names are relative to ``folder``, else ``file``'s folder, else
    the working folder."""
    return scenario_from_dict(parse_toml(text, file), file, folder=folder)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, parse and validate a scenario file, and read what it names (:func:`scenario_from_dict`).

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, too long, not TOML, or not a valid scenario; the message names the file,
        the field and the value.
    """
    return parse_scenario(read_text(path), file=str(path))


def link_schools(scenario: Scenario) -> Scenario:
    """The scenario with its school tables planned again (from its folder) into its cost lines."""
    from dfl_finance.model.school_link import expand_school_links  # the school model (numpy): see above

    return expand_school_links(scenario, scenario.folder or Path.cwd())


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with each value of ``overrides`` (by field path, any form) set, validated as a file is
    (:func:`dfl_finance.inputs.overrides.apply_overrides`), its school tables planned again when an override changes
    what their plans depend on.

    Examples
    --------
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> sc = load_scenario(bundled_scenarios_dir() / "rwanda-ida-credit.toml")
    >>> new = apply_overrides(sc, {"source[ida].commitment": 9e7, "programme[connectivity].cost[0].unit_cost": 600})
    >>> new.source[0].commitment, new.programme[0].cost[0].unit_cost, sc.source[0].commitment != 9e7
    (90000000.0, 600.0, True)
    """
    return overridden(scenario, overrides, replan=link_schools)

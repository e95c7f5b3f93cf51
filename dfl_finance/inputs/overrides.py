"""Overrides: a scenario with some of its fields set to other values by their field paths
(:mod:`dfl_finance.inputs.paths`), validated again as a file is. The model composes it with planning the school tables
again (:func:`dfl_finance.model.load.apply_overrides`, the public one)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.io import validate_scenario
from dfl_finance.inputs.models import LOAN_FIELDS, Scenario
from dfl_finance.inputs.paths import (
    Location,
    format_location,
    parse_path,
    path_error,
    path_prefix,
    positional_location,
    resolve,
    set_in,
)


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any],
                    replan: Callable[[Scenario], Scenario] | None = None) -> Scenario:
    """A new scenario with each value of ``overrides`` (by field path, any form) set, validated as a file is.

    ``None`` removes a field (it takes its default, or what the scenario's country profile, template or term sheet
    gives). Changing a loan's ``terms`` drops the loan fields that came from the old term sheet, so the new sheet
    fills them, unless the same overrides change them too (a value equal to the old one is no change). The input
    is never modified.

    Raises
    ------
    ScenarioError
        An unknown path (see :func:`resolve`), two paths to the same field, or a scenario that does not validate
        with the new values: the usual problems, those of an overridden field named by the path as written.

    Examples
    --------
    >>> from dfl_finance import load_scenario
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> sc = load_scenario(bundled_scenarios_dir() / "rwanda-ida-credit.toml")
    >>> new = apply_overrides(sc, {"source[ida].commitment": 9e7, "programme[connectivity].cost[0].unit_cost": 600})
    >>> new.source[0].commitment, new.programme[0].cost[0].unit_cost, sc.source[0].commitment != 9e7
    (90000000.0, 600.0, True)
    >>> apply_overrides(sc, {"context.burden_limit": 2.0})
    Traceback (most recent call last):
    dfl_finance.errors.ScenarioError: context.burden_limit: Input should be less than or equal to 1 (got 2.0)
    """
    located: dict[Location, tuple[str, Any]] = {}
    for path, value in overrides.items():
        loc = resolve(scenario, path)
        if loc in located:
            raise path_error(path, f"the same field as `{located[loc][0]}`: give it once")
        located[loc] = (path, value)
    raw = copy.deepcopy(scenario.model_dump(exclude_none=True))
    for i, src in enumerate(scenario.source):
        terms = located.get(("source", i, "terms"), (None, src.terms))[1]
        if terms != src.terms:
            for field in LOAN_FIELDS[1:]:
                loc = ("source", i, field)
                if loc not in located or located[loc][1] == getattr(src, field):
                    raw["source"][i].pop(field, None)
                    located.pop(loc, None)
    for loc, (_, value) in located.items():
        set_in(raw, loc, value)
    # the school plans' lines stay (an override of one of them included), unless an override changes what the plan
    # depends on (a table's options, the plan's years): then the tables are planned again, from the folder they were
    # read from
    planned_again = any(loc[0] == "programme" and "schools" in loc or loc[:2] in (("scenario", "start_year"),
                                                                          ("scenario", "years")) for loc in located)
    try:
        new = validate_scenario(raw, folder=scenario.folder)
        return replan(new) if replan is not None and planned_again else new
    except ScenarioError as exc:
        written = {format_location(loc): path for loc, (path, _) in located.items()}
        problems = [_renamed(p, written) for p in exc.problems]
        # a distribution given as a field's value, where the field takes a number: one problem that says how
        drawn = {path for path, value in located.values() if isinstance(value, dict) and "distribution" in value}
        hinted = [p for p in problems if p.path.split(".float")[0].split(".list[")[0] in drawn]
        for path in dict.fromkeys(p.path.split(".float")[0].split(".list[")[0] for p in hinted):
            problems = [p for p in problems if p not in hinted] + [Problem(
                path, "takes a value, not a distribution: to make it uncertain, add a row to the override set's "
                f"uncertain list: uncertain = [{{ path = \"{path}\", distribution = \"...\", ... }}]",
                has_value=False)]
        raise ScenarioError(problems) from None


def _renamed(problem: Problem, written: dict[str, str]) -> Problem:
    """A problem at, inside or above an overridden field, named by the override's path as written
    (``source[0].schedule`` for an override of ``source[ida].schedule[0][2]`` -> ``source[ida].schedule``)."""
    for positional, path in written.items():
        if problem.path == positional or problem.path.startswith((positional + ".", positional + "[")):
            return Problem(path + problem.path[len(positional):], problem.message, problem.value,
                           problem.has_value)
        if problem.path and positional.startswith((problem.path + ".", problem.path + "[")):
            try:
                above = path_prefix(parse_path(path), len(positional_location(problem.path)))
            except ScenarioError:  # not a path of fields (pydantic's union tags)
                continue
            return Problem(above, problem.message, problem.value, problem.has_value)
    return problem

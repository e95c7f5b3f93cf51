"""A portfolio file made into a :class:`~dfl_finance.studies.portfolio.fund.Portfolio`: the file read and validated
(:func:`dfl_finance.inputs.portfolio.read_portfolio`), each country's scenario made (its file, or the plan template
with its profile) and its ``values`` applied, and the fund and the pooled discounts checked against the countries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.paths import Location, resolve
from dfl_finance.inputs.portfolio import CountryRow, GroupWeights, PlanTemplate, country_plan, read_portfolio
from dfl_finance.inputs.profiles import country_profiles
from dfl_finance.model.load import apply_overrides, load_scenario, scenario_from_dict
from dfl_finance.studies.portfolio.fund import CountryEntry, Fund, Portfolio
from dfl_finance.studies.portfolio.transforms import with_fund

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file: the file itself (:func:`~dfl_finance.inputs.portfolio.read_portfolio`), every
    country's scenario (a failing one is reported with its file and field, the others still checked), and the fund
    and the pooled discounts against the countries.

    Raises
    ------
    ScenarioError
        Every problem, each naming the portfolio file or the country's scenario file and the field.
    """
    path = Path(path)
    spec = read_portfolio(path)
    problems = list(spec.problems)
    countries = []
    own_weight: list[tuple[int, bool]] = []  # each country's row, and whether the row gives its weight
    for i, row in spec.countries:
        entry = read_country(row, f"{path}: country[{i}]", path.parent, spec.template, problems)
        if entry is not None:
            countries.append(entry)
            own_weight.append((i, "weight" in row.model_fields_set))
    labels = [c.label for c in countries]
    if len(set(labels)) != len(labels):
        problems.append(Problem(f"{path}: country", "two countries have the same name (give each a name)", labels))
    f = spec.fund
    fund = None
    if f is not None:
        where = f"{path}: fund"
        if any(f.id in {s.id for s in c.scenario.source} for c in countries):
            problems.append(Problem(f"{where}.id", "a country's scenario already has a source with this id", f.id))
        for x in f.co_finances if len(countries) == spec.rows else ():  # a grant with a match rule in some country
            # (when every country could be read: else the problem is theirs)
            if not any(s.id == x and s.match is not None for c in countries for s in c.scenario.source):
                problems.append(Problem(f"{where}.co_finances", "no country has a grant with a match rule and this "
                                        "id", x))
        if f.group_weights is not None and f.group_weights.weights():  # (an empty table is the file's problem)
            countries = weights_from_groups(countries, own_weight, f.group_weights, path, problems)
        if not problems:
            fund = Fund(f.id, f.envelope, f.rule, f.per_learner, f.floor, f.ceiling, f.objective,
                        tuple(f.co_finances), dict(f.source))
            for c in countries:  # the fund's source as each country's scenario takes it
                try:
                    with_fund(c.scenario, fund, 0.0)
                except ScenarioError as exc:
                    mine = f"source[{len(c.scenario.source)}]"  # the fund's own fields by their names
                    problems += [Problem(f"{where}.source{q.path[len(mine):]}" if q.path.startswith(mine) else
                                         f"{where}.source", f"{q.message} (in {c.label}'s scenario"
                                         f"{'' if q.path.startswith(mine) else ', ' + q.path})", q.value,
                                         q.has_value) for q in exc.problems]
    pooled = []
    for i, p in spec.pooled:
        if not any(line.item == p.item for c in countries for prog in c.scenario.programme for line in prog.cost):
            problems.append(Problem(f"{path}: pooled[{i}].item", "no cost line of any country has this item", p.item))
        pooled.append((p.item, p.discount, p.source.strip()))
    common = tuple(spec.common)
    problems += common_problems(common, countries, path)
    if problems or fund is None:
        raise ScenarioError(problems)
    return Portfolio(spec.name, countries, fund, pooled, path, common)


def common_problems(common: tuple[str, ...], countries: list[CountryEntry], path: Path) -> list[Problem]:
    """The rules of ``[portfolio] common``: each path is an uncertain input (an ``[[uncertain]]`` row) of every
    country, named once; each problem names the field, the path and the country."""
    out = []
    for i, p in enumerate(common):
        where = f"{path}: portfolio.common[{i}]"
        if p in common[:i]:
            out.append(Problem(where, "this input is already a common factor", p))
            continue
        for c in countries:
            try:
                loc = resolve(c.scenario, p)
            except ScenarioError as exc:
                out.append(Problem(where, f"{exc.problems[0].message} (in {c.label}'s scenario)", p))
                continue
            if not any(_located(c.scenario, row.path) == loc for row in c.scenario.uncertain):
                out.append(Problem(where, f"not an uncertain input of {c.label}'s scenario: a common factor is "
                                   "drawn by every country, so each needs an [[uncertain]] row for it", p))
    return out


def _located(scenario: Scenario, path: str) -> Location | None:
    try:
        return resolve(scenario, path)
    except ScenarioError:
        return None


def read_country(row: CountryRow, where: str, folder: Path, template: PlanTemplate | None,
                 problems: list[Problem]) -> CountryEntry | None:
    """One ``[[country]]`` row (validated, its rules passed; ``where`` names it in messages): its scenario file
    (relative to ``folder``) or its country profile with the plan ``template``, validated, with its ``values`` on
    top, its label, income group and weight. ``None`` if it has problems (appended to ``problems``).

    A country's label is its ``name``, else its profile's country name (profile rows) or its scenario's country code
    (scenario rows). Its income group is the row's ``income_group``, else the World Bank group of its scenario's
    country profile (``income_group`` in ``data/country_profiles.csv``), else none."""
    profiles = country_profiles()
    if row.profile is not None:
        if template is None or template.raw is None:
            return None  # the template's problem is reported at portfolio.template
        profile = profiles[row.profile]
        file = template.file
        try:
            sc = scenario_from_dict(country_plan(template.raw, profile), file=str(file))
        except ScenarioError as exc:
            problems += [Problem(f"{file} for {profile.iso3} ({where}): {p.path}" if p.path else f"{file} for "
                                 f"{profile.iso3} ({where})", p.message, p.value, p.has_value) for p in exc.problems]
            return None
    elif row.scenario is not None:
        profile = None
        file = (folder / row.scenario).resolve()
        try:
            sc = load_scenario(file)
        except ScenarioError as exc:  # a file that cannot be read is named by the row that names it
            problems += exc.named_by(f"{where}.scenario", str(file), row.scenario)
            return None
    else:
        return None  # (the file's problem: neither)
    try:  # field-path overrides of the country's scenario (the portfolio's own assumptions)
        sc = apply_overrides(sc, row.values) if row.values else sc
    except ScenarioError as exc:
        problems += [Problem(f"{where}.values: {p.path}", p.message, p.value, p.has_value) for p in exc.problems]
        return None
    mine = profiles.get(sc.scenario.country or "")
    label = row.name or (profile.name if profile else None) or sc.scenario.country or sc.name
    return CountryEntry(str(label), file, sc, str(row.income_group or (mine.income_group if mine else None) or ""),
                        float(row.weight), profile.iso3 if profile else "")


def weights_from_groups(countries: list[CountryEntry], own_weight: list[tuple[int, bool]], groups: GroupWeights,
                        path: Path, problems: list[Problem]) -> list[CountryEntry]:
    """The countries with the weight of their income group in ``[fund] group_weights`` (``groups``) where their row
    gives no weight of its own (``own_weight``: each country's row index and whether it gives one). A country without
    a weight of its own whose group has none (or that has no group) is a problem naming the field and the country.

    A country's weight is its own ``weight``; without one, its income group's weight in ``[fund] group_weights`` when
    the fund gives them, else 1."""
    weights = groups.weights()
    out = []
    for c, (i, own) in zip(countries, own_weight):
        if own:
            out.append(c)
        elif not c.income_group:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label} has no income group (neither "
                                    "its [[country]] nor its scenario's country profile gives one) to take its "
                                    "weight from fund.group_weights: give it an income_group or a weight",
                                    has_value=False))
        elif c.income_group not in weights:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label}: fund.group_weights has no "
                                    f"weight for this group (it has {', '.join(weights) or 'none'}): add one, or "
                                    "give the country its own weight", c.income_group))
        else:
            out.append(replace(c, weight=weights[c.income_group]))
    return out if len(out) == len(countries) else countries

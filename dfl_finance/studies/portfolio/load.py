"""A portfolio file read and checked into a :class:`~dfl_finance.studies.portfolio.fund.Portfolio`: its countries
(each country's scenario made: its file, or the plan template with its profile, and its ``values`` applied), its
fund and its pooled discounts.

**Countries** (:func:`read_country`): a ``[[country]]`` names either its ``scenario`` file or its country ``profile``
(an ISO3 code of ``data/country_profiles.csv``), not both. A profile country's scenario is the portfolio's plan
``template`` (a scenario file, relative to the portfolio file, whose ``[scenario]`` may name any country or none) made
for that country by :func:`country_plan`: ``scenario.country`` the profile's code, ``currency`` the profile's, the
name ``"<template name>: <country name>"``, and the template's values of the fields a profile fills
(:data:`PROFILE_FILLED`: counts, budget, budget growth, prices, exchange rate, debt figures) dropped so that the
profile fills them; then it is validated as any scenario file (every check applies) and its ``values`` apply on top.
Amounts in USD carry over to any country (a USD template's cost lines and sources with amounts are pinned to USD);
amounts in the template's own currency, other than USD, are refused for a country of another currency, as are a
domestic bond (``context.gap_financing``, a rate in the template's currency) and a school table (one country's
schools) of another country. A country's label is its ``name``, else its profile's country name (profile rows) or
its scenario's country code (scenario rows). Its **income group** is the row's ``income_group``, else the World Bank
group of its scenario's country profile (``income_group`` in ``data/country_profiles.csv``), else none.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.io import read_toml
from dfl_finance.inputs.profiles import CONTEXT_FIELDS, DEBT_FIELDS, MACRO_FIELDS, country_profiles
from dfl_finance.model.load import apply_overrides, load_scenario, scenario_from_dict
from dfl_finance.studies.portfolio.fund import CountryEntry, Fund, Portfolio
from dfl_finance.studies.portfolio.transforms import with_fund
from dfl_finance.vocabulary import INCOME_GROUPS, MAX_AMOUNT, MAX_WEIGHT, USD

if TYPE_CHECKING:
    from dfl_finance.inputs.profiles import CountryProfile

RULES = ("need", "per-learner", "weighted", "optimal")
#: What a fund may be: a pooled grant, or a regional facility that lends.
FUND_KINDS = ("grant", "loan")
#: Source fields the portfolio sets for the fund, not its ``[fund.source]``.
FUND_SET = ("id", "currency", "commitment", "priority")
#: What the optimal rule maximises first: the learners reached at the plan's end, or the gap closed.
OBJECTIVES = ("reach", "gap")
#: The fields of a ``[[country]]`` row.
COUNTRY_FIELDS = ("scenario", "profile", "name", "income_group", "weight", "values")
#: What a country profile fills in a scenario (:meth:`~dfl_finance.inputs.profiles.CountryProfile.defaults`), table by
#: table: a plan template's own values of these fields are dropped for a profile country, so that its profile fills
#: them (its ``values`` can still set them).
PROFILE_FILLED: dict[str, tuple[str, ...]] = {"context": (*CONTEXT_FIELDS, "budget_year"),
                                              "macro": (*MACRO_FIELDS, "fx_year", "fx_path"),
                                              "debt": (*DEBT_FIELDS, "data_year")}


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file: every country scenario is validated (a failing one is reported with its file
    and field, the others still checked), the fund and the pooled discounts are checked.

    Raises
    ------
    ScenarioError
        Every problem, each naming the portfolio file or the country's scenario file and the field.
    """
    path = Path(path)
    raw = read_toml(path, "portfolio file")
    if "portfolio" not in raw and {"scenario", "programme"} & set(raw):
        raise ScenarioError([Problem(str(path), "this is a scenario file, not a portfolio: a portfolio has a "
                                     "[portfolio] table, [[country]] tables naming scenario files or country "
                                     "profiles, and a [fund] (example: examples/portfolio-east-africa.toml)",
                                     has_value=False)])
    problems: list[Problem] = []
    unknown = set(raw) - {"portfolio", "country", "fund", "pooled"}
    for key in sorted(unknown):
        problems.append(Problem(f"{path}: {key}", "unknown table (known: portfolio, country, fund, pooled)",
                                has_value=False))
    template = read_plan_template(path, raw.get("portfolio", {}), problems)
    countries = []
    own_weight: list[tuple[int, bool]] = []  # each country's row, and whether the row gives its weight
    rows = raw.get("country", [])
    if not isinstance(rows, list) or not rows:
        problems.append(Problem(f"{path}: country", "list the countries as [[country]] tables, each with a "
                                "scenario file or a country profile", has_value=False))
        rows = []
    for i, row in enumerate(rows):
        entry = read_country(row, f"{path}: country[{i}]", path.parent, template, problems)
        if entry is not None:
            countries.append(entry)
            own_weight.append((i, isinstance(row, dict) and "weight" in row))
    labels = [c.label for c in countries]
    if len(set(labels)) != len(labels):
        problems.append(Problem(f"{path}: country", "two countries have the same name (give each a name)", labels))
    f = raw.get("fund")
    fund = None
    if not isinstance(f, dict):
        problems.append(Problem(f"{path}: fund", "a [fund] table with id, envelope and rule is required",
                                has_value=False))
    else:
        where = f"{path}: fund"
        extra = set(f) - {"id", "envelope", "rule", "per_learner", "floor", "ceiling", "objective", "co_finances",
                          "group_weights", "source"}
        if extra:
            problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))}", has_value=False))
        envelope = f.get("envelope")
        if not isinstance(envelope, (int, float)) or isinstance(envelope, bool) or not 0 <= envelope < 1e18:
            problems.append(Problem(f"{where}.envelope", "an amount in USD >= 0", envelope))
        if f.get("rule") not in RULES:
            problems.append(Problem(f"{where}.rule", f"one of {', '.join(RULES)}", f.get("rule")))
        per_learner = f.get("per_learner")
        if f.get("rule") == "per-learner" and per_learner is None:
            problems.append(Problem(f"{where}.per_learner", "the per-learner rule needs USD per learner",
                                    has_value=False))
        elif per_learner is not None and (not isinstance(per_learner, (int, float)) or isinstance(per_learner, bool)
                                          or not 0 < per_learner <= MAX_AMOUNT):
            # nan, -1 or inf was taken and said every gap closed (issue 26)
            problems.append(Problem(f"{where}.per_learner", "USD per learner: a number > 0 and finite",
                                    per_learner))
        fid = f.get("id", "pooled_fund")
        if any(fid in {s.id for s in c.scenario.source} for c in countries):
            problems.append(Problem(f"{where}.id", "a country's scenario already has a source with this id", fid))
        objective = f.get("objective", "reach")
        if objective not in OBJECTIVES:
            problems.append(Problem(f"{where}.objective", f"one of {', '.join(OBJECTIVES)} (the optimal rule's)",
                                    objective))
        elif "objective" in f and f.get("rule") in RULES and f.get("rule") != "optimal":  # (a bad rule: named)
            problems.append(Problem(f"{where}.objective", "only the optimal rule has an objective", objective))
        co = f.get("co_finances", [])
        if not isinstance(co, list) or not all(isinstance(x, str) for x in co):
            problems.append(Problem(f"{where}.co_finances", "a list of source ids", co))
            co = []
        for x in co if len(countries) == len(rows) else ():  # a grant with a match rule in some country (when
            # every country could be read: else the problem is theirs)
            if not any(s.id == x and s.match is not None for c in countries for s in c.scenario.source):
                problems.append(Problem(f"{where}.co_finances", "no country has a grant with a match rule and this "
                                        "id", x))
        floor, ceiling = f.get("floor", 0.0), f.get("ceiling", math.inf)
        if not (isinstance(floor, (int, float)) and isinstance(ceiling, (int, float)) and 0 <= floor <= ceiling):
            problems.append(Problem(f"{where}.floor", "floor and ceiling: amounts with 0 <= floor <= ceiling",
                                    [floor, ceiling]))
        if "group_weights" in f:
            countries = weights_from_groups(countries, own_weight, f["group_weights"], path, problems)
        own = f.get("source", {})
        if not isinstance(own, dict):
            problems.append(Problem(f"{where}.source", "a table of the fund's source fields", own))
            own = {}
        elif set(own) & set(FUND_SET):
            problems.append(Problem(f"{where}.source", f"the portfolio sets {', '.join(FUND_SET)} (the fund's id, "
                                    "USD, each country's share, paying last)", sorted(set(own) & set(FUND_SET))))
        elif own.get("kind", "grant") not in FUND_KINDS:
            problems.append(Problem(f"{where}.source.kind", f"one of {', '.join(FUND_KINDS)}", own.get("kind")))
        if not problems:
            fund = Fund(str(fid), float(envelope or 0.0), str(f["rule"]), f.get("per_learner"), float(floor),
                        float(ceiling), str(objective), tuple(co), dict(own))
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
    discounts = raw.get("pooled", [])
    if not isinstance(discounts, list):  # (a number here was iterated: a traceback, issue 26)
        problems.append(Problem(f"{path}: pooled", "a list of [[pooled]] tables, each with item, discount and "
                                "source", discounts))
        discounts = []
    for i, p in enumerate(discounts):
        where = f"{path}: pooled[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("item"), str):
            problems.append(Problem(f"{where}.item", "the cost item the discount applies to", has_value=False))
            continue
        d = p.get("discount")
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0 <= d < 1:
            problems.append(Problem(f"{where}.discount", "a share of the unit cost, >= 0 and < 1", d))
            continue
        source = str(p.get("source", "")).strip()
        if not source:
            problems.append(Problem(f"{where}.source", "cite the public source of the discount, or write "
                                    "PLACEHOLDER: and why", has_value=False))
        if not any(line.item == p["item"] for c in countries for prog in c.scenario.programme for line in prog.cost):
            problems.append(Problem(f"{where}.item", "no cost line of any country has this item", p["item"]))
        pooled.append((p["item"], float(d), source))
    if problems or fund is None:
        raise ScenarioError(problems)
    return Portfolio(str(raw.get("portfolio", {}).get("name", path.stem)), countries, fund, pooled, path)


@dataclass(frozen=True)
class PlanTemplate:
    """A portfolio's plan template: its file and its parsed (not yet validated) content (``None``: it could not be
    read, a problem already reported)."""

    file: Path
    raw: dict[str, Any] | None


def read_plan_template(path: Path, table: object, problems: list[Problem]) -> PlanTemplate | None:
    """The ``[portfolio]`` table's plan ``template`` (relative to the portfolio file ``path``), parsed, if it gives
    one; if it cannot be read or is no scenario, a problem at ``portfolio.template`` (appended to ``problems``) and a
    template without content."""
    if not isinstance(table, dict):
        problems.append(Problem(f"{path}: portfolio", "a [portfolio] table with a name (and optionally a template)",
                                table))
        return None
    for key in sorted(set(table) - {"name", "template"}):
        problems.append(Problem(f"{path}: portfolio.{key}", "unknown field (known: name, template)",
                                has_value=False))
    name = table.get("template")
    if name is None:
        return None
    where = f"{path}: portfolio.template"
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(where, "a scenario file, relative to the portfolio file", name))
        return PlanTemplate(path, None)
    file = (path.parent / name).resolve()
    try:
        raw = read_toml(file, "plan template")
    except ScenarioError as exc:
        problems += [Problem(where, f"{p.path}: {p.message}" if p.path else p.message, name) for p in exc.problems]
        return PlanTemplate(file, None)
    if not isinstance(raw.get("scenario"), dict) or "portfolio" in raw or "country" in raw:
        problems.append(Problem(where, f"{file}: a plan template is a scenario file (a [scenario] table, "
                                "[[programme]] and [[source]] tables), not a portfolio", name))
        return PlanTemplate(file, None)
    return PlanTemplate(file, raw)


def read_country(row: object, where: str, folder: Path, template: PlanTemplate | None,
                 problems: list[Problem]) -> CountryEntry | None:
    """One ``[[country]]`` row (``where`` names it in messages): its scenario file (relative to ``folder``) or its
    country profile with the plan ``template``, validated, with its ``values`` on top, its label, income group and
    weight (1 if the row gives none). ``None`` if it has problems (appended to ``problems``)."""
    if not isinstance(row, dict):
        problems.append(Problem(where, "a [[country]] table with a scenario file or a country profile", row))
        return None
    extra = set(row) - set(COUNTRY_FIELDS)
    if extra:
        problems.append(Problem(where, f"unknown field {', '.join(sorted(extra))} (known: "
                                f"{', '.join(COUNTRY_FIELDS)})", has_value=False))
    weight = row.get("weight", 1.0)
    if not is_weight(weight):
        problems.append(Problem(f"{where}.weight", WEIGHT_WORDS, weight))
        weight = 1.0
    group = row.get("income_group")
    if group is not None and group not in INCOME_GROUPS:
        problems.append(Problem(f"{where}.income_group", f"one of {', '.join(INCOME_GROUPS)} (the World Bank's "
                                "income groups)", group))
        group = None
    if "scenario" in row and "profile" in row:
        problems.append(Problem(where, "give the country's scenario file or its country profile, not both",
                                {"scenario": row["scenario"], "profile": row["profile"]}))
        return None
    profiles = country_profiles()
    if "profile" in row:
        iso3 = row["profile"]
        if not isinstance(iso3, str) or iso3 not in profiles:
            problems.append(Problem(f"{where}.profile", f"no country profile with this code in data/ (known: "
                                    f"{known(sorted(profiles))})", iso3))
            return None
        if template is None:
            problems.append(Problem(f"{where}.profile", "a country given by its profile needs the portfolio's plan "
                                    "template: [portfolio] template = \"plan-template.toml\" (a scenario file, "
                                    "relative to the portfolio file)", iso3))
            return None
        if template.raw is None:
            return None  # the template's problem is reported at portfolio.template
        profile = profiles[iso3]
        file = template.file
        try:
            sc = scenario_from_dict(country_plan(template.raw, profile), file=str(file))
        except ScenarioError as exc:
            problems += [Problem(f"{file} for {iso3} ({where}): {p.path}" if p.path else f"{file} for {iso3} "
                                 f"({where})", p.message, p.value, p.has_value) for p in exc.problems]
            return None
    elif isinstance(row.get("scenario"), str):
        profile = None
        file = (folder / row["scenario"]).resolve()
        try:
            sc = load_scenario(file)
        except ScenarioError as exc:  # a file that cannot be read is named by the row that names it
            problems += exc.named_by(f"{where}.scenario", str(file), row["scenario"])
            return None
    else:
        problems.append(Problem(f"{where}.scenario", "the country's scenario file (scenario = \"...\", relative to "
                                "the portfolio file) or its country profile (profile = \"KEN\", with [portfolio] "
                                "template) is required", row.get("scenario"), "scenario" in row))
        return None
    values = row.get("values", {})
    try:  # field-path overrides of the country's scenario (the portfolio's own assumptions)
        sc = apply_overrides(sc, values) if isinstance(values, dict) and values else sc
    except ScenarioError as exc:
        problems += [Problem(f"{where}.values: {p.path}", p.message, p.value, p.has_value) for p in exc.problems]
        return None
    mine = profiles.get(sc.scenario.country or "")
    label = row.get("name") or (profile.name if profile else None) or sc.scenario.country or sc.name
    return CountryEntry(str(label), file, sc, str(group or (mine.income_group if mine else None) or ""),
                        float(weight), profile.iso3 if profile else "")


def country_plan(template: dict[str, Any], profile: CountryProfile) -> dict[str, Any]:
    """The parsed scenario of a profile country: the plan ``template`` (a parsed scenario file) with
    ``scenario.country`` set to the profile's code, ``currency`` to the profile's currency, the name
    ``"<template name>: <country name>"``, and the template's values of the fields that the profile fills
    (:data:`PROFILE_FILLED`) dropped, so that the scenario loader fills them from the profile. The template is not
    changed; the result still has to be validated (:func:`~dfl_finance.inputs.scenario_from_dict`).

    Amounts in USD carry over: in a template in USD, cost lines and domestic or PPP sources with amounts (whose
    currency would otherwise become the country's) are given ``currency = "USD"``.

    Raises
    ------
    ScenarioError
        For a country whose currency is not the template's: amounts of cost lines or sources (``unit_cost``,
        ``annual_cap``, ``commitment``) in the template's currency when that is not USD, and a domestic bond
        (``context.gap_financing``: a rate in the template's currency). For a country other than the template's: a
        school table (``[programme.schools]``, one country's schools). Each problem names the field.
    """
    raw = copy.deepcopy(template)
    given = raw.get("scenario")
    meta: dict[str, Any] = given if isinstance(given, dict) else {}
    ours = meta.get("currency", USD) if isinstance(meta.get("currency", USD), str) else USD
    local = profile.currency or USD
    programmes = [p if isinstance(p, dict) else {} for p in raw.get("programme", [])] \
        if isinstance(raw.get("programme"), list) else []
    sources = [s if isinstance(s, dict) else {} for s in raw.get("source", [])] \
        if isinstance(raw.get("source"), list) else []
    problems = []
    if ours != local:
        foreign = f"{ours}, the template's currency, which is not the currency of {profile.name} ({local})"
        per_country = "leave it out of the template and give each country its own in its values"
        if ours != USD:
            for i, p in enumerate(programmes):
                for j, line in enumerate(p.get("cost", []) if isinstance(p.get("cost"), list) else []):
                    if isinstance(line, dict) and line.get("currency", ours) == ours and "unit_cost" in line:
                        problems.append(Problem(f"programme[{i}].cost[{j}].unit_cost", f"a unit cost in {foreign}: "
                                                "price the line in USD (currency = \"USD\"), or give "
                                                f"{profile.name} its own scenario file", line["unit_cost"]))
            for i, src in enumerate(sources):
                own = src.get("currency") or (USD if src.get("kind") in ("grant", "loan") else ours)
                for name in ("annual_cap", "commitment"):
                    if own == ours and name in src:
                        problems.append(Problem(f"source[{i}].{name}", f"an amount in {foreign}: {per_country} "
                                                f"(\"source[{src.get('id', i)}].{name}\" = ...), or give it in USD "
                                                "(currency = \"USD\")", src[name]))
        context = raw.get("context")
        if isinstance(context, dict) and "gap_financing" in context:
            problems.append(Problem("context.gap_financing", f"a domestic bond's rate in {foreign}: {per_country} "
                                    "(\"context.gap_financing\" = { rate = ..., maturity_years = ... })",
                                    context["gap_financing"]))
    if meta.get("country") != profile.iso3:
        for i, p in enumerate(programmes):
            if "schools" in p:
                problems.append(Problem(f"programme[{i}].schools", f"a school table describes one country's "
                                        f"schools, not {profile.name}'s: give {profile.name} its own scenario file",
                                        p["schools"]))
    if problems:
        raise ScenarioError(problems)
    for table, fields in PROFILE_FILLED.items():
        if isinstance(raw.get(table), dict):
            raw[table] = {k: v for k, v in raw[table].items() if k not in fields}
    if ours == USD != local:  # what the template wrote in USD stays in USD
        for p in programmes:
            for line in p.get("cost", []) if isinstance(p.get("cost"), list) else []:
                if isinstance(line, dict):
                    line.setdefault("currency", USD)
        for src in sources:
            if src.get("kind") in ("domestic", "ppp") and {"annual_cap", "commitment"} & set(src):
                src.setdefault("currency", USD)
    if isinstance(given, dict):
        title = meta.get("name")
        raw["scenario"] = {**meta, **({"name": f"{title}: {profile.name}"} if isinstance(title, str) else {}),
                           "country": profile.iso3, "currency": local}
    return raw


#: What a weight is, in words (:func:`is_weight`).
WEIGHT_WORDS = f"a number from 0 to {MAX_WEIGHT:,.0f} (the weighted rule shares by need × weight)"


def is_weight(value: object) -> bool:
    """Whether ``value`` is a country's weight in the weighted rule: a number from 0 to
    :data:`~dfl_finance.vocabulary.MAX_WEIGHT`."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_WEIGHT


def weights_from_groups(countries: list[CountryEntry], own_weight: list[tuple[int, bool]], table: object,
                        path: Path, problems: list[Problem]) -> list[CountryEntry]:
    """The countries with the weight of their income group in ``[fund] group_weights`` (``table``) where their row
    gives no weight of its own (``own_weight``: each country's row index and whether it gives one). A group that is
    not an income group, a weight that is not a number >= 0, and a country without a weight of its own whose group
    has none (or that has no group) are problems naming the field and the country."""
    where = f"{path}: fund.group_weights"
    if not isinstance(table, dict) or not table:
        problems.append(Problem(where, "a table of weights by income group, e.g. { low = 1.0, lower-middle = 0.6 }",
                                table))
        return countries
    weights = {}
    for group, w in table.items():
        if group not in INCOME_GROUPS:
            problems.append(Problem(f"{where}.{group}", f"not an income group (known: {', '.join(INCOME_GROUPS)})",
                                    group))
        elif not is_weight(w):
            problems.append(Problem(f"{where}.{group}", f"a weight: {WEIGHT_WORDS}", w))
        else:
            weights[group] = float(w)
    out = []
    for c, (i, own) in zip(countries, own_weight):
        if own:
            out.append(c)
        elif not c.income_group:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label} has no income group (neither "
                                    "its [[country]] nor its scenario's country profile gives one) to take its "
                                    "weight from fund.group_weights: give it an income_group or a weight",
                                    has_value=False))
        elif c.income_group not in table:
            problems.append(Problem(f"{path}: country[{i}].income_group", f"{c.label}: fund.group_weights has no "
                                    f"weight for this group (it has {', '.join(weights) or 'none'}): add one, or "
                                    "give the country its own weight", c.income_group))
        elif c.income_group in weights:  # (a group's weight that is not one is named above, once)
            out.append(replace(c, weight=weights[c.income_group]))
    return out if len(out) == len(countries) else countries


"""The portfolio file (TOML): a donor's country scenarios and the pooled fund shared among them, as pydantic models.

::

    [portfolio]
    name = "Pooled fund, East Africa"
    template = "plan-template.toml"    # optional: a plan template for the countries given by their profile
    common = ["macro.usd_inflation"]   # optional: uncertain inputs every country shares in a sweep's draws

    [[country]]
    scenario = "../scenarios/rwanda-ida-credit.toml"   # relative to this file
    income_group = "low"                                # optional: low | lower-middle | upper-middle | high
    weight = 1.0                                        # optional: the weight of the weighted rule
    values = { "source[mof].budget_share_cap" = 0.02 }  # optional: field-path overrides of the scenario

    [[country]]
    profile = "KEN"          # instead of scenario: the plan template run with the country profile KEN
    values = { "source[ida].commitment" = 80e6 }

    [fund]
    id = "pooled_fund"
    envelope = 50e6          # USD, current prices, over the plans
    rule = "need"            # need | per-learner | weighted | optimal
    per_learner = 2.0        # per-learner: USD per learner
    objective = "reach"      # optimal: the most learners reached (reach) or the most gap closed (gap) first
    co_finances = ["gpe"]    # optional: grants whose match rule counts the fund as co-financing

    [fund.source]            # optional: the fund's own source fields (default: a grant eligible for every cell)
    kind = "loan"            # a regional facility that lends: grant | loan
    terms = "ida21-regular"  # a loan's terms (a term sheet of data/loan_terms.csv, or rate, grace_years, ...)
    eligible = ["connectivity:capex"]
    floor = 1e6              # optional, per country
    ceiling = 20e6           # optional, per country
    group_weights = { low = 1.0, lower-middle = 0.6 }   # optional: the weight of a country without its own

    [[pooled]]               # pooled procurement: a discount on the unit cost of the cost lines of this item
    item = "satellite terminal"
    discount = 0.3
    source = "PLACEHOLDER: ..."   # the public source of the discount, or PLACEHOLDER: and why

The tables are :class:`PortfolioFile` and the models it holds, validated as the scenario is (each problem with the
file, the field path and the value: :mod:`dfl_finance.inputs.files`); the rules across fields are
:func:`country_problems` and :func:`fund_problems`. :func:`read_portfolio` reads the file and its plan template and
says every problem of the file; what the file names (the countries' scenarios, made and run) is read by
:func:`dfl_finance.studies.portfolio.load_portfolio`, which checks the fund and the pooled discounts against them.

**Countries.** A ``[[country]]`` names either its ``scenario`` file or its country ``profile`` (an ISO3 code of
``data/country_profiles.csv``), not both. A profile country's scenario is the portfolio's plan ``template`` (a
scenario file, relative to the portfolio file, whose ``[scenario]`` may name any country or none) made for that
country by :func:`country_plan`: ``scenario.country`` the profile's code, ``currency`` the profile's, the name
``"<template name>: <country name>"``, and the template's values of the fields a profile fills
(:data:`PROFILE_FILLED`: counts, budget, budget growth, prices, exchange rate, debt figures) dropped so that the
profile fills them; then it is validated as any scenario file (every check applies) and its ``values`` apply on top.
Amounts in USD carry over to any country (a USD template's cost lines and sources with amounts are pinned to USD);
amounts in the template's own currency, other than USD, are refused for a country of another currency, as are a
domestic bond (``context.gap_financing``, a rate in the template's currency) and a school table (one country's
schools) of another country.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, TypeAdapter, ValidationError

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.files import (
    FileModel,
    FileName,
    failed_fields,
    field,
    file_problems,
    in_file,
    valid_part,
    valid_rows,
)
from dfl_finance.inputs.io import read_toml
from dfl_finance.inputs.models import CODE_PATTERN
from dfl_finance.inputs.profiles import CONTEXT_FIELDS, DEBT_FIELDS, MACRO_FIELDS, CountryProfile, country_profiles
from dfl_finance.vocabulary import ID_PATTERN, INCOME_GROUPS, MAX_AMOUNT, MAX_WEIGHT, USD, IncomeGroup, OutcomeMeasure

Rule = Literal["need", "per-learner", "weighted", "optimal"]
RULES: tuple[str, ...] = get_args(Rule)
#: What a fund may be: a pooled grant, or a regional facility that lends.
FundKind = Literal["grant", "loan"]
FUND_KINDS: tuple[str, ...] = get_args(FundKind)
#: Source fields the portfolio sets for the fund, not its ``[fund.source]``.
FUND_SET = ("id", "currency", "commitment", "priority")
#: What the optimal rule maximises first: the learners reached at the plan's end, or the gap closed, or (issue 25)
#: any outcome measure at the plan's end (an outcomes.csv column, counted from the reach the funded capex buys).
Objective = Literal["reach", "gap", OutcomeMeasure]
OBJECTIVES: tuple[str, ...] = get_args(Objective)
#: What a country profile fills in a scenario (:meth:`~dfl_finance.inputs.profiles.CountryProfile.defaults`), table by
#: table: a plan template's own values of these fields are dropped for a profile country, so that its profile fills
#: them (its ``values`` can still set them).
PROFILE_FILLED: dict[str, tuple[str, ...]] = {"context": (*CONTEXT_FIELDS, "budget_year"),
                                              "macro": (*MACRO_FIELDS, "fx_year", "fx_path"),
                                              "debt": (*DEBT_FIELDS, "data_year")}

#: What a weight is, in words (:func:`is_weight`).
WEIGHT_WORDS = f"a number from 0 to {MAX_WEIGHT:,.0f} (the weighted rule shares by need × weight)"
#: A country's weight in the weighted rule.
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT, strict=True, allow_inf_nan=False)]
_WEIGHT: TypeAdapter[float] = TypeAdapter(Weight)
SCENARIO_WORDS = ("the country's scenario file (scenario = \"...\", relative to the portfolio file) or its country "
                  "profile (profile = \"KEN\", with [portfolio] template) is required")
FLOOR_WORDS = "floor and ceiling: amounts with 0 <= floor <= ceiling"


def is_weight(value: object) -> bool:
    """Whether ``value`` is a country's weight in the weighted rule: a number from 0 to
    :data:`~dfl_finance.vocabulary.MAX_WEIGHT`.

    >>> is_weight(0.6), is_weight(True), is_weight(float("nan")), is_weight(2e6)
    (True, False, False, False)
    """
    try:
        _WEIGHT.validate_python(value)
    except ValidationError:
        return False
    return True


class PortfolioTable(FileModel):
    """``[portfolio]``: the portfolio's name and the plan template of its countries given by their profile."""

    table_words: ClassVar[str] = "a [portfolio] table with a name (and optionally a template)"

    name: str | None = Field(None, description="The portfolio's name in its outputs (default: the file's name)")
    template: FileName | None = field(None, message="a scenario file, relative to the portfolio file",
                                 description="The plan template (a scenario file, relative to the portfolio file) "
                                 "of the countries given by their profile")
    common: list[str] = field(default_factory=list, message="a list of field paths, each an uncertain input of "
                              "every country (e.g. [\"macro.usd_inflation\", \"macro.fx_rate\"])",
                              description="Common factors: uncertain inputs shared by every country (US inflation, "
                              "world device prices, the exchange rate against the USD), drawn once per draw of a "
                              "sweep: each country takes the same quantile of its own distribution of the input")


class CountryRow(FileModel):
    """A ``[[country]]``: its scenario file, or its country profile with the plan template."""

    table_words: ClassVar[str] = "a [[country]] table with a scenario file or a country profile"

    scenario: FileName | None = field(None, message=SCENARIO_WORDS,
                                 description="The country's scenario file, relative to the portfolio file")
    profile: str | None = Field(None, pattern=CODE_PATTERN, description="Instead of scenario: the ISO3 code of a "
                                "country profile in data/, whose scenario is the plan template")
    name: str | None = Field(None, description="The country's label (default: its profile's country name, else its "
                             "scenario's country code)")
    income_group: IncomeGroup | None = field(
        None, message=f"one of {', '.join(INCOME_GROUPS)} (the World Bank's income groups)",
        description="Its World Bank income group (default: its scenario's country profile's)")
    weight: Weight = field(1.0, message=WEIGHT_WORDS, description="Its weight in the weighted rule (default: its "
                           "income group's in fund.group_weights, else 1)")
    values: dict[str, Any] = field(default_factory=dict, message="a table of field paths and values",
                                   description="Field-path overrides of its scenario (the portfolio's assumptions)")


class GroupWeights(FileModel):
    """``[fund] group_weights``: the weight of each income group, for the countries that give none of their own."""

    table_words: ClassVar[str] = "a table of weights by income group, e.g. { low = 1.0, lower-middle = 0.6 }"

    low: Weight | None = field(None, message=f"a weight: {WEIGHT_WORDS}")
    lower_middle: Weight | None = field(None, message=f"a weight: {WEIGHT_WORDS}", alias="lower-middle")
    upper_middle: Weight | None = field(None, message=f"a weight: {WEIGHT_WORDS}", alias="upper-middle")
    high: Weight | None = field(None, message=f"a weight: {WEIGHT_WORDS}")

    @classmethod
    def unknown_words(cls, key: str) -> str:
        return f"not an income group (known: {', '.join(INCOME_GROUPS)})"

    def weights(self) -> dict[str, float]:
        """The weights given, by income group."""
        return {group: w for group, w in self.model_dump(by_alias=True).items() if w is not None}


class FundTable(FileModel):
    """``[fund]``: the pooled fund, its envelope and the rule that shares it."""

    table_words: ClassVar[str] = "a [fund] table with id, envelope and rule is required"

    id: str = Field("pooled_fund", pattern=ID_PATTERN, description="The fund's source id in each country's scenario")
    envelope: float = field(message="an amount in USD >= 0", ge=0.0, lt=MAX_AMOUNT,
                            description="USD, current prices, over the plans")
    rule: Rule = field(message=f"one of {', '.join(RULES)}", description="How the envelope is shared")
    per_learner: float | None = field(None, message="USD per learner: a number > 0 and finite", gt=0.0,
                                      le=MAX_AMOUNT, description="The per-learner rule's USD per learner")
    floor: float = field(0.0, message=FLOOR_WORDS, ge=0.0, allow_inf_nan=True,
                         description="The least a country gets (its need when that is less), USD")
    ceiling: float = field(math.inf, message=FLOOR_WORDS, ge=0.0, allow_inf_nan=True,
                           description="The most a country gets, USD (default: no ceiling)")
    objective: Objective = field("reach", message=f"one of {', '.join(OBJECTIVES)} (the optimal rule's)",
                                 description="What the optimal rule maximises first")
    co_finances: list[str] = field(default_factory=list, message="a list of source ids",
                                   description="Grants whose match rule counts the fund as co-financing")
    group_weights: GroupWeights | None = Field(None, description="The weight of each income group")
    source: dict[str, Any] = field(default_factory=dict, message="a table of the fund's source fields",
                                   description="The fund's own source fields (a loan's terms, eligible cells)")


class PooledRow(FileModel):
    """A ``[[pooled]]`` discount: pooled procurement of an item."""

    table_words: ClassVar[str] = "a [[pooled]] table with item, discount and source"

    item: str = field(message="the cost item the discount applies to")
    discount: float = field(message="a share of the unit cost, >= 0 and < 1", ge=0.0, lt=1.0)
    source: str = field(message="cite the public source of the discount, or write PLACEHOLDER: and why",
                        pattern=r"\S")


class PortfolioFile(FileModel):
    """A portfolio file."""

    portfolio: PortfolioTable = Field(default_factory=PortfolioTable)
    country: list[CountryRow] = field(message="list the countries as [[country]] tables, each with a scenario file "
                                      "or a country profile", min_length=1)
    fund: FundTable = field(message=FundTable.table_words)
    pooled: list[PooledRow] = field(default_factory=list, message="a list of [[pooled]] tables, each with item, "
                                    "discount and source")

    @classmethod
    def unknown_words(cls, key: str) -> str:
        return f"unknown table (known: {', '.join(cls.model_fields)})"


@dataclass(frozen=True)
class PlanTemplate:
    """A portfolio's plan template: its file and its parsed (not yet validated) content (``None``: it could not be
    read, a problem already said)."""

    file: Path
    raw: dict[str, Any] | None


def read_plan_template(path: Path, name: str) -> tuple[PlanTemplate, list[Problem]]:
    """The plan template ``name`` (relative to the portfolio file ``path``), parsed; if it cannot be read or is no
    scenario, a template without content and the problem at ``portfolio.template``."""
    where = "portfolio.template"
    file = (path.parent / name).resolve()
    try:
        raw = read_toml(file, "plan template")
    except ScenarioError as exc:
        return PlanTemplate(file, None), [Problem(where, f"{p.path}: {p.message}" if p.path else p.message, name)
                                          for p in exc.problems]
    if not isinstance(raw.get("scenario"), dict) or "portfolio" in raw or "country" in raw:
        return PlanTemplate(file, None), [Problem(where, f"{file}: a plan template is a scenario file (a [scenario] "
                                                  "table, [[programme]] and [[source]] tables), not a portfolio", name)]
    return PlanTemplate(file, raw), []


def country_problems(i: int, row: CountryRow, template: PlanTemplate | None) -> list[Problem]:
    """The rules of the ``[[country]]`` row ``i``: its scenario file or its profile (a known one, with the plan
    ``template``), not both."""
    where = f"country[{i}]"
    if row.scenario is not None and row.profile is not None:
        return [Problem(where, "give the country's scenario file or its country profile, not both",
                        {"scenario": row.scenario, "profile": row.profile})]
    if row.profile is not None:
        profiles = country_profiles()
        if row.profile not in profiles:
            return [Problem(f"{where}.profile", f"no country profile with this code in data/ (known: "
                            f"{known(sorted(profiles))})", row.profile)]
        if template is None:
            return [Problem(f"{where}.profile", "a country given by its profile needs the portfolio's plan template: "
                            "[portfolio] template = \"plan-template.toml\" (a scenario file, relative to the "
                            "portfolio file)", row.profile)]
    elif row.scenario is None:
        return [Problem(f"{where}.scenario", SCENARIO_WORDS, has_value=False)]
    return []


def fund_problems(fund: FundTable) -> list[Problem]:
    """The rules of the ``[fund]`` across its fields: USD per learner for the per-learner rule, an objective only for
    the optimal rule, the floor at most the ceiling, weights in a group-weights table, and source fields that are the
    fund's to give."""
    out = []
    if fund.rule == "per-learner" and fund.per_learner is None:
        out.append(Problem("fund.per_learner", "the per-learner rule needs USD per learner", has_value=False))
    if "objective" in fund.model_fields_set and fund.rule != "optimal":
        out.append(Problem("fund.objective", "only the optimal rule has an objective", fund.objective))
    if fund.floor > fund.ceiling:
        out.append(Problem("fund.floor", FLOOR_WORDS, [fund.floor, fund.ceiling]))
    if fund.group_weights is not None and not fund.group_weights.weights():
        out.append(Problem("fund.group_weights", GroupWeights.table_words, {}))
    taken = sorted(set(fund.source) & set(FUND_SET))
    if taken:
        out.append(Problem("fund.source", f"the portfolio sets {', '.join(FUND_SET)} (the fund's id, USD, each "
                           "country's share, paying last)", taken))
    elif fund.source.get("kind", "grant") not in FUND_KINDS:
        out.append(Problem("fund.source.kind", f"one of {', '.join(FUND_KINDS)}", fund.source.get("kind")))
    return out


@dataclass(frozen=True)
class PortfolioSpec:
    """A portfolio file as read: its parts that validated and passed their rules, and every problem of the file
    (named by the file and the field)."""

    file: Path
    name: str
    template: PlanTemplate | None  # None: the file gives none
    rows: int  # the [[country]] rows of the file
    countries: list[tuple[int, CountryRow]]  # the rows without a problem, with their index
    fund: FundTable | None  # None: it has problems
    pooled: list[tuple[int, PooledRow]]  # the rows that validate, with their index
    problems: list[Problem]
    common: tuple[str, ...] = ()  # [portfolio] common: the inputs every country shares in a sweep's draws


def read_portfolio(path: str | Path) -> PortfolioSpec:
    """Read and validate a portfolio file and its plan template.

    Raises
    ------
    ScenarioError
        The file cannot be read, is not TOML, or is a scenario file. Its other problems are in
        :attr:`PortfolioSpec.problems`, so that the scenarios of its countries are checked with it.
    """
    path = Path(path)
    raw = read_toml(path, "portfolio file")
    if "portfolio" not in raw and {"scenario", "programme"} & set(raw):
        raise ScenarioError([Problem(str(path), "this is a scenario file, not a portfolio: a portfolio has a "
                                     "[portfolio] table, [[country]] tables naming scenario files or country "
                                     "profiles, and a [fund] (example: examples/portfolio-east-africa.toml)",
                                     has_value=False)])
    failed: frozenset[str] = frozenset()
    try:
        whole = PortfolioFile.model_validate(raw)
        problems: list[Problem] = []
    except ValidationError as exc:
        problems = file_problems(exc, PortfolioFile, raw)
        failed = failed_fields(exc)
        whole = valid_part(PortfolioFile, raw, failed)
    table = None if "portfolio" in failed else whole.portfolio
    template = None
    if table is not None and table.template is not None:
        template, found = read_plan_template(path, table.template)
        problems += found
    elif table is None and isinstance(raw.get("portfolio"), dict) and "template" in raw["portfolio"]:
        template = PlanTemplate(path, None)  # its problem is said with its table's
    rows = raw.get("country")
    countries = []
    for i, row in valid_rows(CountryRow, rows) if "country" in failed else list(enumerate(whole.country)):
        # (a row that does not validate is named above; the others are read)
        found = country_problems(i, row, template)
        problems += found
        if not found:
            countries.append((i, row))
    fund = None if "fund" in failed else whole.fund
    if fund is not None:
        found = fund_problems(fund)
        problems += found
        fund = None if found else fund
    pooled = valid_rows(PooledRow, raw.get("pooled")) if "pooled" in failed else list(enumerate(whole.pooled))
    name = table.name if table is not None and table.name is not None else path.stem
    return PortfolioSpec(path, name, template, len(rows) if isinstance(rows, list) else 0, countries, fund, pooled,
                         in_file(problems, path), tuple(table.common) if table is not None else ())


def country_plan(template: dict[str, Any], profile: CountryProfile) -> dict[str, Any]:
    """The parsed scenario of a profile country: the plan ``template`` (a parsed scenario file) with
    ``scenario.country`` set to the profile's code, ``currency`` to the profile's currency, the name
    ``"<template name>: <country name>"``, and the template's values of the fields that the profile fills
    (:data:`PROFILE_FILLED`) dropped, so that the scenario loader fills them from the profile. The template is not
    changed; the result still has to be validated (:func:`~dfl_finance.model.load.scenario_from_dict`).

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

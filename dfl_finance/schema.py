"""The scenario file: pydantic models, TOML load and save.

A scenario file is validated once, here, at the boundary. Field-level rules (types, ranges, names) are pydantic
constraints; rules that involve several fields (a target year inside the horizon, unique ids, ...) are checked by
:func:`_consistency_problems`. Every failure becomes a :class:`~dfl_finance.errors.ScenarioError` whose problems
name the file, the field path (``programme[1].cost[0].unit_cost``) and the bad value.

Each field carries its description, unit and allowed range in the model itself; ``docs/scenario-format.md`` and the
app's help texts are generated from them (:func:`field_reference`).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import Problem, ScenarioError

Pillar = Literal["infrastructure", "capacities", "governance"]
Driver = Literal["schools", "learners", "teachers", "none"]
Rollout = Literal["linear", "s-curve", "front-loaded", "immediate"]
CostKind = Literal["capex", "opex", "fixed_capex", "fixed_opex"]
SourceKind = Literal["domestic", "grant", "loan", "ppp"]
Repayment = Literal["linear", "annuity", "schedule"]

#: ``[first k, last k, share of principal per year]``; TOML arrays arrive as lists.
ScheduleRow = Annotated[tuple[int, int, float], BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]

LOAN_FIELDS = ("terms", "rate", "grace_years", "maturity_years", "repayment", "schedule", "commitment_fee",
               "front_end_fee")
PPP_FIELDS = ("contract_years", "return_rate")

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


def _field(default: Any = ..., *, description: str, unit: str | None = None, allowed: str | None = None, **kw):
    """A pydantic ``Field`` with the unit and allowed range kept for the documentation and the app."""
    extra = {k: v for k, v in (("unit", unit), ("allowed", allowed)) if v is not None}
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


class _Model(BaseModel):
    # strict: a TOML string "10" is not a number, 1 is not a bool; extra="forbid": unknown keys are errors.
    model_config = ConfigDict(extra="forbid", strict=True)


class ScenarioMeta(_Model):
    """The ``[scenario]`` table."""

    name: str = _field(description="Identifies the scenario in every output", min_length=1, max_length=200)
    description: str = _field("", description="Free text shown with the scenario")
    country: str | None = _field(
        None,
        description="ISO3 code of a country profile in data/; fills [context] fields that the file does not give",
        pattern=r"^[A-Z]{3}$",
    )
    start_year: int = _field(description="First year of the projection", unit="year", ge=1900, le=2200)
    years: int = _field(description="Length of the projection horizon", unit="years", ge=1, le=60)
    currency: str = _field("USD", description="Currency of every amount (constant prices of start_year)",
                           pattern=r"^[A-Z]{3}$")
    discount_rate: float = _field(0.05, description="Real discount rate for present values and grant elements",
                                  unit="1/yr", ge=0.0, le=1.0)


class Context(_Model):
    """The ``[context]`` table: driver counts and the budget envelope."""

    schools: int | None = _field(None, description="Schools in scope (driver of 'schools' programmes)",
                                 unit="schools", ge=0, allowed="required unless the country profile has it")
    learners: int | None = _field(None, description="Learners in scope (driver of 'learners' programmes)",
                                  unit="learners", ge=0, allowed="required unless the country profile has it")
    teachers: int | None = _field(None, description="Teachers in scope (driver of 'teachers' programmes)",
                                  unit="teachers", ge=0, allowed="required unless the country profile has it")
    education_budget: float | None = _field(None, description="Education budget in start_year", unit="currency/yr",
                                            ge=0.0, allowed="required unless the country profile has it")
    budget_growth: float | None = _field(None, description="Real annual growth of the education budget "
                                         "(default: the country profile's, else 0)", unit="1/yr", gt=-1.0, le=1.0)
    burden_limit: float = _field(0.05, description="Share of the education budget the plan may take "
                                 "(a policy threshold, not a sourced value)", unit="share", ge=0.0, le=1.0)


class CostLine(_Model):
    """One ``[[programme.cost]]`` line."""

    item: str = _field(description="What is bought", min_length=1)
    kind: CostKind = _field(description="capex: per newly reached unit (and per replacement); opex: per reached "
                            "unit per year; fixed_capex: lump sums in the schedule years; fixed_opex: a lump sum "
                            "every year")
    unit_cost: float = _field(description="Cost per unit (capex), per unit per year (opex), or lump sum (fixed_*), "
                              "in start_year prices", unit="currency", ge=0.0)
    lifetime: int | None = _field(None, description="capex only: replacement cycle; none = never replaced",
                                  unit="years", ge=1, le=100)
    replace_existing: bool = _field(False, description="capex only: also replace the units reached before "
                                    "start_year, as if installed in the year before start_year")
    price_trend: float = _field(0.0, description="Real change of the unit cost per year after the first",
                                unit="1/yr", gt=-1.0, le=1.0)
    schedule: list[int] | None = _field(None, description="fixed_capex only: years of the lump sums "
                                        "(default: the first year)", unit="year",
                                        allowed="distinct years inside the horizon")
    source_note: str = _field("", description="Provenance of the unit cost")


class Programme(_Model):
    """One ``[[programme]]``."""

    id: str = _field(description="Unique id, used in every output (default with a template: the template's name "
                     "in snake_case)", pattern=ID_PATTERN, allowed="lower_snake_case, unique")
    template: str | None = _field(None, description="A programme template in data/templates.toml; the fields "
                                  "written here override it, and a cost list written here replaces its cost lines")
    name: str = _field("", description="Label for charts (default: the id)")
    pillar: Pillar = _field(description="Pillar of the data-for-learning agenda")
    driver: Driver = _field(description="Count that the per-unit cost lines scale with; none = fixed costs only")
    start_share: float = _field(0.0, description="Share of the driver reached before start_year", unit="share",
                                ge=0.0, le=1.0)
    target_share: float = _field(1.0, description="Share reached at the end of target_year and after",
                                 unit="share", ge=0.0, le=1.0, allowed=">= start_share")
    target_year: int | None = _field(None, description="Year in which target_share is reached "
                                     "(default: the last year)", unit="year", allowed="inside the horizon")
    rollout: Rollout = _field("linear", description="Path from start_share to target_share")
    cost: list[CostLine] = _field(description="Cost lines", min_length=1)

    @property
    def label(self) -> str:
        return self.name or self.id


class Match(_Model):
    """A grant's match rule: it pays at most ``ratio`` x what the listed sources pay in the same year."""

    sources: list[str] = _field(description="Ids of the matched sources", min_length=1)
    ratio: float = _field(description="Grant paid per unit paid by the matched sources (GPE multiplier: 1/3)",
                          gt=0.0, le=100.0)


class Source(_Model):
    """One ``[[source]]`` of finance."""

    id: str = _field(description="Unique id, used in every output", pattern=ID_PATTERN,
                     allowed="lower_snake_case, unique, not `gap`")
    name: str = _field("", description="Label for charts (default: the id)")
    kind: SourceKind = _field(description="domestic: the government's own budget; grant: no repayment; "
                              "loan: repaid with interest (see the loan terms); ppp: an operator pays capex, the "
                              "government pays it back as an annuity")
    priority: int | None = _field(None, description="Order of payment, lower first; ties in file order "
                                  "(default: 0, and after every other source for domestic)")
    eligible: list[str] | None = _field(None, description="Cost cells it may pay: programme ids or "
                                        "`programme:capex` / `programme:opex` (default: all; ppp: capex only)",
                                        allowed="known programme ids")
    share_cap: float = _field(1.0, description="At most this share of each eligible cost cell", unit="share",
                              ge=0.0, le=1.0)
    annual_cap: float | None = _field(None, description="At most this much per year", unit="currency/yr", ge=0.0)
    commitment: float | None = _field(None, description="At most this much over the horizon", unit="currency",
                                      ge=0.0)
    first_year: int | None = _field(None, description="First year in which it pays (default: start_year)",
                                    unit="year", allowed="inside the horizon")
    last_year: int | None = _field(None, description="Last year in which it pays (default: the last year)",
                                   unit="year", allowed="inside the horizon, >= first_year")
    terms: str | None = _field(None, description="loan: a term sheet in data/loan_terms.csv; the fields below "
                               "override it")
    rate: float | None = _field(None, description="loan: interest or service charge on the outstanding balance",
                                unit="1/yr", ge=0.0, le=1.0)
    grace_years: int | None = _field(None, description="loan: years after disbursement with no principal "
                                     "repayment", unit="years", ge=0, le=60)
    maturity_years: int | None = _field(None, description="loan: years from disbursement to the last repayment",
                                        unit="years", ge=1, le=60, allowed="> grace_years")
    repayment: Repayment | None = _field(None, description="loan: linear (equal principal after grace), annuity "
                                         "(level payment after grace) or schedule (explicit shares)")
    schedule: list[ScheduleRow] | None = _field(None, description="loan with repayment = schedule: rows "
                                                "[first k, last k, share of principal per year], k = years after "
                                                "disbursement", allowed="grace_years < k <= maturity_years, "
                                                "shares >= 0, ranges do not overlap")
    commitment_fee: float | None = _field(None, description="loan: fee per year on the undrawn commitment "
                                          "(at the start of each year of the window); needs a commitment",
                                          unit="1/yr", ge=0.0, le=0.1)
    front_end_fee: float | None = _field(None, description="loan: share of each disbursement paid as a fee in "
                                         "the year of disbursement", unit="share", ge=0.0, le=0.1)
    match: Match | None = _field(None, description="grant: pays at most ratio x what the listed sources pay in "
                                 "the same year, e.g. {sources = [\"ida\"], ratio = 0.3333}")
    contract_years: int | None = _field(None, description="ppp: years of availability payments", unit="years",
                                        ge=1, le=60)
    return_rate: float | None = _field(None, description="ppp: the operator's return, the rate of the annuity",
                                       unit="1/yr", ge=0.0, le=1.0)
    budget_share_cap: float | None = _field(None, description="domestic: at most this share of the education "
                                            "budget per year", unit="share", ge=0.0, le=1.0)

    @property
    def label(self) -> str:
        return self.name or self.id


class Scenario(_Model):
    """A whole scenario file."""

    scenario: ScenarioMeta
    context: Context = Field(default_factory=Context)
    programme: list[Programme] = Field(min_length=1)
    source: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> "Scenario":
        problems = _consistency_problems(self)
        if problems:
            raise ScenarioError(problems)
        return self

    # ----- conveniences used by the engine and the outputs
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def year_list(self) -> list[int]:
        s = self.scenario
        return list(range(s.start_year, s.start_year + s.years))

    @property
    def end_year(self) -> int:
        return self.scenario.start_year + self.scenario.years - 1


REQUIRED_CONTEXT = ("schools", "learners", "teachers", "education_budget")


def _consistency_problems(sc: Scenario) -> list[Problem]:
    """Rules that involve more than one field. Returns every problem found, not only the first."""
    out: list[Problem] = []
    first, last = sc.scenario.start_year, sc.end_year
    for field in REQUIRED_CONTEXT:
        if getattr(sc.context, field) is None:
            out.append(Problem(f"context.{field}", "required: give it in [context] or set scenario.country to a "
                               "profile that has it", has_value=False))
    seen: dict[str, int] = {}
    for i, p in enumerate(sc.programme):
        where = f"programme[{i}]"
        if p.id in seen:
            out.append(Problem(f"{where}.id", f"duplicate programme id (also programme[{seen[p.id]}])", p.id))
        seen.setdefault(p.id, i)
        if p.target_share < p.start_share:
            out.append(Problem(f"{where}.target_share", f"must be >= start_share ({p.start_share})",
                               p.target_share))
        if p.target_year is not None and not first <= p.target_year <= last:
            out.append(Problem(f"{where}.target_year", f"must be inside the horizon {first}..{last}",
                               p.target_year))
        for j, c in enumerate(p.cost):
            cw = f"{where}.cost[{j}]"
            if p.driver == "none" and c.kind in ("capex", "opex"):
                out.append(Problem(f"{cw}.kind", "a programme with driver = \"none\" has only fixed_capex and "
                                   "fixed_opex lines", c.kind))
            if c.kind != "capex":
                if c.lifetime is not None:
                    out.append(Problem(f"{cw}.lifetime", f"only capex lines have a lifetime (kind is {c.kind})",
                                       c.lifetime))
                if c.replace_existing:
                    out.append(Problem(f"{cw}.replace_existing", f"only capex lines replace units (kind is "
                                       f"{c.kind})", c.replace_existing))
            if c.schedule is not None:
                if c.kind != "fixed_capex":
                    out.append(Problem(f"{cw}.schedule", f"only fixed_capex lines have a schedule (kind is "
                                       f"{c.kind})", c.schedule))
                bad = [y for y in c.schedule if not first <= y <= last]
                if bad:
                    out.append(Problem(f"{cw}.schedule", f"years must be inside the horizon {first}..{last}",
                                       c.schedule))
                if len(set(c.schedule)) != len(c.schedule):
                    out.append(Problem(f"{cw}.schedule", "years must be distinct", c.schedule))
                if not c.schedule:
                    out.append(Problem(f"{cw}.schedule", "must list at least one year", c.schedule))
    out += _source_problems(sc)
    return out


def _source_problems(sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    first, last = sc.scenario.start_year, sc.end_year
    programmes = {p.id for p in sc.programme}
    ids: dict[str, int] = {}
    for i, s in enumerate(sc.source):
        where = f"source[{i}]"
        if s.id in ids:
            out.append(Problem(f"{where}.id", f"duplicate source id (also source[{ids[s.id]}])", s.id))
        elif s.id == "gap":
            out.append(Problem(f"{where}.id", "`gap` is reserved for what no source pays", s.id))
        ids.setdefault(s.id, i)
        for j, cell in enumerate(s.eligible or []):
            prog, _, kind = cell.partition(":")
            if prog not in programmes:
                out.append(Problem(f"{where}.eligible[{j}]", f"no programme with this id (known: "
                                   f"{', '.join(sorted(programmes))})", cell))
            elif kind not in ("", "capex", "opex"):
                out.append(Problem(f"{where}.eligible[{j}]", "write `programme`, `programme:capex` or "
                                   "`programme:opex`", cell))
            elif s.kind == "ppp" and kind == "opex":
                out.append(Problem(f"{where}.eligible[{j}]", "a ppp operator pays capex only", cell))
        for field in ("first_year", "last_year"):
            year = getattr(s, field)
            if year is not None and not first <= year <= last:
                out.append(Problem(f"{where}.{field}", f"must be inside the horizon {first}..{last}", year))
        if s.first_year is not None and s.last_year is not None and s.last_year < s.first_year:
            out.append(Problem(f"{where}.last_year", f"must be >= first_year ({s.first_year})", s.last_year))
        out += _kind_problems(s, where)
    out += _match_problems(sc, ids)
    return out


def _kind_problems(s: Source, where: str) -> list[Problem]:
    """Fields that belong to another kind of source, and the fields a kind needs."""
    out: list[Problem] = []
    owners = {**{f: "loan" for f in LOAN_FIELDS}, **{f: "ppp" for f in PPP_FIELDS}, "match": "grant",
              "budget_share_cap": "domestic"}
    for field, kind in owners.items():
        if kind != s.kind and getattr(s, field) is not None:
            out.append(Problem(f"{where}.{field}", f"only {kind} sources have this field (kind is {s.kind})",
                               getattr(s, field)))
    if s.kind == "loan":
        missing = [f for f in ("rate", "grace_years", "maturity_years", "repayment") if getattr(s, f) is None]
        if missing:
            out.append(Problem(f"{where}.terms", "a loan needs terms: name a term sheet (terms = \"...\") or give "
                               f"{', '.join(missing)}", has_value=False))
        else:
            out += _repayment_problems(s, where)
        if (s.commitment_fee or 0) > 0 and s.commitment is None:
            out.append(Problem(f"{where}.commitment_fee", "a commitment fee needs a commitment", s.commitment_fee))
    if s.kind == "ppp":
        for f in PPP_FIELDS:
            if getattr(s, f) is None:
                out.append(Problem(f"{where}.{f}", "required for a ppp source", has_value=False))
    return out


def _repayment_problems(s: Source, where: str) -> list[Problem]:
    out: list[Problem] = []
    if s.maturity_years <= s.grace_years:
        out.append(Problem(f"{where}.maturity_years", f"must be > grace_years ({s.grace_years})",
                           s.maturity_years))
        return out
    if s.repayment != "schedule":
        if s.schedule is not None:
            out.append(Problem(f"{where}.schedule", f"only repayment = \"schedule\" takes a schedule (repayment "
                               f"is {s.repayment})", s.schedule))
        return out
    if not s.schedule:
        out.append(Problem(f"{where}.schedule", "repayment = \"schedule\" needs schedule rows "
                           "[first k, last k, share]", s.schedule))
        return out
    taken: set[int] = set()
    for r, (k1, k2, share) in enumerate(s.schedule):
        rw = f"{where}.schedule[{r}]"
        if share < 0:
            out.append(Problem(rw, "the share of principal must be >= 0", [k1, k2, share]))
        if k1 > k2:
            out.append(Problem(rw, "first k must be <= last k", [k1, k2, share]))
        if k2 > s.maturity_years:
            out.append(Problem(rw, f"years exceed the maturity ({s.maturity_years})", [k1, k2, share]))
        if k1 <= s.grace_years:
            out.append(Problem(rw, f"repayment starts inside the grace period ({s.grace_years} years)",
                               [k1, k2, share]))
        span = set(range(k1, k2 + 1))
        if span & taken:
            out.append(Problem(rw, "overlaps an earlier row", [k1, k2, share]))
        taken |= span
    return out


def _match_problems(sc: Scenario, ids: dict[str, int]) -> list[Problem]:
    out: list[Problem] = []
    graph: dict[str, list[str]] = {}
    for i, s in enumerate(sc.source):
        if s.match is None:
            continue
        for j, m in enumerate(s.match.sources):
            if m == s.id:
                out.append(Problem(f"source[{i}].match.sources[{j}]", "a grant cannot match itself", m))
            elif m not in ids:
                out.append(Problem(f"source[{i}].match.sources[{j}]", f"no source with this id (known: "
                                   f"{', '.join(ids)})", m))
        graph[s.id] = [m for m in s.match.sources if m in ids and m != s.id]
    # a cycle: a grant matched (directly or through other grants) on itself
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path + [nxt]
            if state.get(nxt) is None:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            cycle = visit(node, [node])
            if cycle:
                out.append(Problem(f"source[{ids[node]}].match.sources", "match cycle: " + " -> ".join(cycle),
                                   sc.source[ids[node]].match.sources))
                break
    return out


# --------------------------------------------------------------------------------------------- load and save


def _loc_to_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _problems_from_validation(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        missing = err["type"] == "missing"
        message = _MESSAGES.get(err["type"], err["msg"])
        out.append(Problem(_loc_to_path(err["loc"]), message, None if missing else err.get("input"),
                           has_value=not missing))
    return out


_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (see docs/scenario-format.md for the fields of this table)",
}


def _apply_country_profile(raw: dict) -> dict:
    """Fill ``[context]`` fields the file does not give from the country profile named in ``scenario.country``.

    A pure override merge: the file's values win. Unknown countries are a problem at ``scenario.country``.
    """
    meta = raw.get("scenario")
    country = meta.get("country") if isinstance(meta, dict) else None
    if not isinstance(country, str):
        return raw
    from .profiles import country_profiles  # I/O stays out of the import path of the engine

    profiles = country_profiles()
    if country not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ScenarioError([Problem("scenario.country", f"no country profile with this code in data/ "
                                     f"(known: {known})", country)])
    context = raw.get("context", {})
    if not isinstance(context, dict):
        return raw  # pydantic reports the wrong type
    return {**raw, "context": {**profiles[country].context_defaults(), **context}}


def _expand_references(raw: dict, table: str, field: str, load_library, where: str, merge,
                       applies=lambda item: True) -> dict:
    """Expand the entries of ``raw[table]`` that name a library entry in ``field``: ``merge(entry, item, i)``.

    Entries that name no known library entry are problems at ``table[i].field``; the library is only loaded when
    some entry refers to it.
    """
    items = raw.get(table)
    if not isinstance(items, list) or not any(isinstance(x, dict) and field in x for x in items):
        return raw
    library = load_library()
    expanded, problems = [], []
    for i, item in enumerate(items):
        name = item.get(field) if isinstance(item, dict) else None
        if not isinstance(name, str) or not applies(item):
            expanded.append(item)
        elif name not in library:
            problems.append(Problem(f"{table}[{i}].{field}", f"no {field.replace('_', ' ')} with this name in "
                                    f"{where} (known: {', '.join(library)})", name))
            expanded.append(item)
        else:
            expanded.append(merge(library[name], item, i, problems))
    if problems:
        raise ScenarioError(problems)
    return {**raw, table: expanded}


def _apply_loan_terms(raw: dict) -> dict:
    """Fill the loan fields of every ``[[source]]`` with ``terms = "..."`` from that term sheet in data/.

    Fields the file gives win. A file that sets ``repayment`` itself does not inherit the sheet's schedule.
    """
    from .profiles import loan_terms

    def merge(sheet, src, i, problems):
        defaults = sheet.fields()
        if "repayment" in src:
            defaults.pop("schedule", None)
        return {**defaults, **src}

    return _expand_references(raw, "source", "terms", loan_terms, "data/loan_terms.csv", merge,
                              applies=lambda src: src.get("kind") == "loan")


def _apply_templates(raw: dict) -> dict:
    """Expand ``[[programme]]`` entries with ``template = "..."``: the template's fields, overridden by the file's."""
    from .profiles import template_programme_id, templates

    meta = raw.get("scenario")
    currency = meta.get("currency", "USD") if isinstance(meta, dict) else "USD"

    def merge(template, prog, i, problems):
        if currency != "USD":
            problems.append(Problem(f"programme[{i}].template", f"templates are in USD but the scenario's "
                                    f"currency is {currency}; write the cost lines instead", prog["template"]))
        return {"id": template_programme_id(prog["template"]), **template, **prog}

    return _expand_references(raw, "programme", "template", templates, "data/templates.toml", merge)


def scenario_from_dict(raw: dict, file: str | None = None) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML) into a :class:`Scenario`.

    Before validation, references to ``data/`` are expanded: the country profile fills ``[context]``, templates
    fill programmes and term sheets fill loans; what the file writes always wins.
    """
    try:
        if not isinstance(raw, dict):
            raise ScenarioError([Problem("", "a scenario must be a table", raw)])
        expanded = _apply_loan_terms(_apply_templates(_apply_country_profile(raw)))
        return Scenario.model_validate(expanded)
    except ValidationError as exc:
        raise ScenarioError(_problems_from_validation(exc), file=file) from None
    except ScenarioError as exc:
        raise exc.with_file(file) if file else exc from None


def parse_scenario(text: str, file: str | None = None) -> Scenario:
    """Parse and validate the TOML text of a scenario."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem("", f"malformed TOML: {exc}", has_value=False)], file=file) from None
    return scenario_from_dict(raw, file)


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read, parse and validate a scenario file.

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, not TOML, or not a valid scenario; the message names the file, the field
        and the value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("", "file not found", has_value=False)], file=str(path)) from None
    except IsADirectoryError:
        raise ScenarioError([Problem("", "is a folder, not a scenario file", has_value=False)],
                            file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem("", f"not UTF-8 text ({exc.reason} at byte {exc.start})", has_value=False)],
                            file=str(path)) from None
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read: {exc.strerror}", has_value=False)],
                            file=str(path)) from None
    return parse_scenario(text, file=str(path))


def dump_scenario(scenario: Scenario) -> str:
    """The TOML text of a scenario; :func:`parse_scenario` of it gives an equal scenario."""
    return tomli_w.dumps(scenario.model_dump(exclude_none=True))


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write a scenario as TOML, atomically (a failed write leaves any previous file intact)."""
    path = Path(path)
    text = dump_scenario(scenario)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ------------------------------------------------------------------------------------------- documentation

#: The tables of a scenario file, in the order they are documented.
TABLES: list[tuple[str, type[BaseModel]]] = [
    ("[scenario]", ScenarioMeta),
    ("[context]", Context),
    ("[[programme]]", Programme),
    ("[[programme.cost]]", CostLine),
    ("[[source]]", Source),
    ("[source.match]", Match),
]


def _type_text(annotation: Any) -> str:
    """Plain-language type of a field for the documentation."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Annotated:
        return _type_text(args[0])
    if get_origin(annotation) is tuple:
        return "[" + ", ".join(_type_text(a) for a in args) + "]"
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if get_origin(annotation) in (Union, UnionType):
        return _type_text(args[0]) if len(args) == 1 else " or ".join(_type_text(a) for a in args)
    if get_origin(annotation) is list:
        inner = args[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "array of tables"
        text = _type_text(inner)
        return f"list of {text} rows" if text.startswith("[") else f"list of {text}s"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return {int: "integer", float: "number", str: "text", bool: "true/false"}.get(annotation, str(annotation))


def _toml_value(value: Any) -> str:
    return "none" if value is None else tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def _allowed_text(info) -> str:
    parts = []
    for m in info.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                parts.append(f"{sym} {getattr(m, attr)}")
        if getattr(m, "pattern", None):
            parts.append(f"matches `{m.pattern}`")
        if getattr(m, "min_length", None):
            parts.append(f"at least {m.min_length}")
    extra = (info.json_schema_extra or {}).get("allowed")
    if extra:
        parts.append(extra)
    return ", ".join(parts)


def field_reference() -> list[dict[str, str]]:
    """One row per field of the scenario format: table, field, type, unit, default, allowed, description."""
    rows = []
    for table, model in TABLES:
        for name, info in model.model_fields.items():
            if info.is_required():
                default = "required"
            elif info.default_factory is not None:
                default = "empty"
            else:
                default = _toml_value(info.default)
            rows.append({
                "table": table,
                "field": name,
                "type": _type_text(info.annotation),
                "unit": (info.json_schema_extra or {}).get("unit", ""),
                "default": default,
                "allowed": _allowed_text(info),
                "description": info.description or "",
            })
    return rows


@lru_cache(maxsize=1)
def _help_texts() -> dict[tuple[str, str], str]:
    """Help text by (table, field), built once: the schema does not change while the program runs."""
    out = {}
    for row in field_reference():
        unit = f" [{row['unit']}]" if row["unit"] else ""
        allowed = f" Allowed: {row['allowed']}." if row["allowed"] else ""
        out[row["table"], row["field"]] = f"{row['description']}{unit}. Default: {row['default']}.{allowed}"
    return out


def field_help(table: str, field: str) -> str:
    """Help text of one field (description, unit and range) for the app's widgets."""
    try:
        return _help_texts()[table, field]
    except KeyError:
        raise KeyError(f"{table} {field}") from None


def field_reference_markdown() -> str:
    """The field tables of ``docs/scenario-format.md`` (generated; a test keeps the file in step)."""
    lines: list[str] = []
    current = None
    for row in field_reference():
        if row["table"] != current:
            current = row["table"]
            lines += ["", f"### `{current}`", "", "| field | type | unit | default | allowed | description |",
                      "|---|---|---|---|---|---|"]
        cells = [f"`{row['field']}`", row["type"], row["unit"], row["default"], row["allowed"], row["description"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines).strip() + "\n"

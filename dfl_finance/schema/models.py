"""The scenario file as pydantic models: every field with its type, range, unit and description.

A scenario is validated once, at the boundary (:mod:`dfl_finance.schema.io`). Field-level rules (types, ranges,
names, finite numbers) are pydantic constraints here; rules that involve several fields are in
:mod:`dfl_finance.schema.rules`. Each field carries its description, unit and allowed range, from which
``docs/scenario-format.md`` and the app's help texts are generated (:mod:`dfl_finance.docs`).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from ..vocabulary import (
    ID_PATTERN,
    MAX_AMOUNT,
    MAX_COUNT,
    Driver,
    LineKind,
    Pillar,
    Repayment,
    Rollout,
    SourceKind,
)

#: ``[first k, last k, share of principal per year]``; TOML arrays arrive as lists.
ScheduleRow = Annotated[tuple[int, int, float], BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]

#: Country (ISO 3166 alpha-3) and currency (ISO 4217) codes.
CODE_PATTERN = r"^[A-Z]{3}$"

LOAN_FIELDS = ("terms", "rate", "grace_years", "maturity_years", "repayment", "schedule", "balloon",
               "commitment_fee", "front_end_fee")
PPP_FIELDS = ("contract_years", "return_rate")


def _control_characters(text: str, allowed: str = "") -> list[str]:
    """The control and format characters in ``text`` (Unicode categories Cc, Cf, Zl, Zp), except ``allowed``."""
    return [c for c in dict.fromkeys(text) if c not in allowed
            and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


def _name_rule(text: str) -> str:
    """Names identify things in every output, file and chart: printable, not blank, no surrounding spaces."""
    if not text.strip():
        raise PydanticCustomError("blank_name", "must not be empty or only spaces")
    bad = _control_characters(text)
    if bad:
        raise PydanticCustomError("control_character", "must not contain control characters such as line breaks "
                                  "or tabs (found {found})", {"found": ", ".join(repr(c) for c in bad)})
    if text != text.strip():
        raise PydanticCustomError("surrounding_space", "must not start or end with spaces")
    return text


def _note_rule(text: str) -> str:
    """Free text may hold line breaks and tabs, but no other control characters."""
    bad = _control_characters(text, allowed="\n\t")
    if bad:
        raise PydanticCustomError("control_character", "must not contain control characters other than line "
                                  "breaks and tabs (found {found})", {"found": ", ".join(repr(c) for c in bad)})
    return text


#: A name: printable, not blank, no surrounding spaces (scenario names, labels, items).
Name = Annotated[str, AfterValidator(_name_rule)]
#: Free text: line breaks and tabs allowed, no other control characters.
Note = Annotated[str, AfterValidator(_note_rule)]
NAME_RULE = "printable text without control characters or surrounding spaces"
NOTE_RULE = "no control characters other than line breaks and tabs"


def _field(default: Any = ..., *, description: str, unit: str | None = None, allowed: str | None = None,
           **kw: Any) -> Any:
    """A pydantic ``Field`` with the unit and allowed range kept for the documentation and the app."""
    extra: JsonDict = {k: v for k, v in (("unit", unit), ("allowed", allowed)) if v is not None}
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


def _amount(default: Any = ..., **kw: Any) -> Any:
    """An amount of money: finite, >= 0 and at most :data:`~dfl_finance.vocabulary.MAX_AMOUNT`."""
    return _field(default, ge=0.0, le=MAX_AMOUNT, **kw)


def _count(default: Any = ..., **kw: Any) -> Any:
    """A driver count: a whole number, >= 0 and at most :data:`~dfl_finance.vocabulary.MAX_COUNT`."""
    return _field(default, ge=0, le=MAX_COUNT, **kw)


class _Model(BaseModel):
    # strict: a TOML string "10" is not a number, 1 is not a bool; extra="forbid": unknown keys are errors;
    # allow_inf_nan=False: TOML's inf and nan are refused in every number field.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class ScenarioMeta(_Model):
    """The ``[scenario]`` table."""

    name: Name = _field(description="Identifies the scenario in every output and file", min_length=1,
                        max_length=200, allowed=NAME_RULE)
    description: Note = _field("", description="Free text shown with the scenario", allowed=NOTE_RULE)
    country: str | None = _field(
        None,
        description="ISO3 code of a country profile in data/; fills [context] fields that the file does not give",
        pattern=CODE_PATTERN,
    )
    start_year: int = _field(description="First year of the projection", unit="year", ge=1900, le=2200)
    years: int = _field(description="Length of the projection horizon", unit="years", ge=1, le=60)
    currency: str = _field("USD", description="Currency of every amount (constant prices of start_year)",
                           pattern=CODE_PATTERN)
    discount_rate: float = _field(0.05, description="Real discount rate for present values and grant elements",
                                  unit="1/yr", ge=0.0, le=1.0)


class Context(_Model):
    """The ``[context]`` table: driver counts and the budget envelope."""

    schools: int | None = _count(None, description="Schools in scope (driver of 'schools' programmes)",
                                 unit="schools", allowed="required unless the country profile has it")
    learners: int | None = _count(None, description="Learners in scope (driver of 'learners' programmes)",
                                  unit="learners", allowed="required unless the country profile has it")
    teachers: int | None = _count(None, description="Teachers in scope (driver of 'teachers' programmes)",
                                  unit="teachers", allowed="required unless the country profile has it")
    education_budget: float | None = _field(None, description="Education budget in start_year; the burden is "
                                            "measured as a share of it", unit="currency/yr", gt=0.0,
                                            le=MAX_AMOUNT, allowed="required unless the country profile has it")
    budget_growth: float | None = _field(None, description="Real annual growth of the education budget "
                                         "(default: the country profile's, else 0)", unit="1/yr", gt=-1.0, le=1.0)
    burden_limit: float = _field(0.05, description="Share of the education budget the plan may take "
                                 "(a policy threshold, not a sourced value)", unit="share", ge=0.0, le=1.0)


class CostLine(_Model):
    """One ``[[programme.cost]]`` line."""

    item: Name = _field(description="What is bought", min_length=1, max_length=200, allowed=NAME_RULE)
    kind: LineKind = _field(description="capex: per newly reached unit (and per replacement); opex: per reached "
                            "unit per year; fixed_capex: lump sums in the schedule years; fixed_opex: a lump sum "
                            "every year")
    unit_cost: float = _amount(description="Cost per unit (capex), per unit per year (opex), or lump sum "
                               "(fixed_*), in start_year prices", unit="currency")
    lifetime: int | None = _field(None, description="capex only: replacement cycle; none = never replaced",
                                  unit="years", ge=1, le=100)
    replace_existing: bool = _field(False, description="capex only: also replace the units reached before "
                                    "start_year, as if installed in the year before start_year")
    price_trend: float = _field(0.0, description="Real change of the unit cost per year after the first",
                                unit="1/yr", gt=-1.0, le=1.0)
    schedule: list[int] | None = _field(None, description="fixed_capex only: years of the lump sums "
                                        "(default: the first year)", unit="year",
                                        allowed="distinct years inside the horizon")
    source_note: Note = _field("", description="Provenance of the unit cost", allowed=NOTE_RULE)


class Programme(_Model):
    """One ``[[programme]]``."""

    id: str = _field(description="Unique id, used in every output (default with a template: the template's name "
                     "in snake_case)", pattern=ID_PATTERN, allowed="lower_snake_case, unique")
    template: str | None = _field(None, description="A programme template in data/templates.toml; the fields "
                                  "written here override it, and a cost list written here replaces its cost lines")
    name: Name | None = _field(None, description="Label for charts (default: the id)", max_length=200,
                               allowed=NAME_RULE)
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
    name: Name | None = _field(None, description="Label for charts (default: the id)", max_length=200,
                               allowed=NAME_RULE)
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
    annual_cap: float | None = _amount(None, description="At most this much per year", unit="currency/yr")
    commitment: float | None = _amount(None, description="At most this much over the horizon", unit="currency")
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
                                                "shares >= 0, ranges do not overlap, shares add up to 1 (within "
                                                "0.5%) unless balloon = true")
    balloon: bool | None = _field(None, description="loan with repayment = schedule: the schedule's shares add up "
                                  "to less than 1 on purpose, and the last scheduled year pays the rest (a balloon "
                                  "payment)")
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
        from ..errors import ScenarioError
        from .rules import consistency_problems

        problems = consistency_problems(self)
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

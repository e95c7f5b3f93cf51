"""The scenario file as pydantic models: every field with its type, range, unit and description.

A scenario is validated once, at the boundary (:mod:`dfl_finance.inputs.io`). Field-level rules (types, ranges,
names, finite numbers) are pydantic constraints here; rules that involve several fields are in
:mod:`dfl_finance.inputs.rules`. Each field carries its description, unit and allowed range, from which
``docs/scenario-format.md`` and the app's help texts are generated (:mod:`dfl_finance.inputs.docs`).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from dfl_finance.vocabulary import (
    BUDGET_CODE_PATTERN,
    CURRENCIES,
    GROWTH_BOUNDS,
    ID_PATTERN,
    INFLATION_BOUNDS,
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_DRAWS,
    MAX_REGIONS,
    MAX_SEED,
    MAX_SOURCES,
    MAX_YEARS,
    BudgetScope,
    BudgetType,
    CeilingPrices,
    ChargedTo,
    Cofog,
    DebtCapacity,
    DiscountBasis,
    Distribution,
    DliMeasure,
    Driver,
    Envelope,
    GfsClass,
    LendingCategory,
    LineKind,
    MatchBasis,
    OutcomeMeasure,
    OutcomePayer,
    Partner,
    Pillar,
    Repayment,
    RiskPoint,
    Rollout,
    SamplingMethod,
    SourceKind,
    StressName,
    Unearned,
)

#: ``[first k, last k, share of principal per year]``; TOML arrays arrive as lists.
ScheduleRow = Annotated[tuple[int, int, float], BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]

#: Country (ISO 3166 alpha-3) and currency (ISO 4217) codes.
CODE_PATTERN = r"^[A-Z]{3}$"

LOAN_FIELDS = ("terms", "rate", "grace_years", "maturity_years", "repayment", "schedule", "balloon",
               "commitment_fee", "front_end_fee", "payments_per_year", "payment_months")
PPP_FIELDS = ("contract_years", "return_rate")


def _no_rows() -> list[Any]:
    """A new empty list, the default of a list field. A Python function rather than ``list``: pydantic reads the
    signature of a default factory, and a builtin's signature is parsed from text (about 1.5 ms of every start)."""
    return []


def _control_characters(text: str, allowed: str = "") -> list[str]:
    """The control and format characters in ``text`` (Unicode categories Cc, Cf, Zl, Zp), except ``allowed``."""
    if text.isprintable():  # printable text has none of them (str.isprintable refuses Cc, Cf, Zl and Zp)
        return []
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


def _currency_rule(code: str) -> str:
    """A currency must be a known ISO 4217 code (the pattern has checked its shape)."""
    if code not in CURRENCIES:
        raise PydanticCustomError("unknown_currency", "is not an ISO 4217 currency code (e.g. USD, RWF, KES)")
    return code


#: An ISO 4217 currency code.
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency_rule)]

#: A name: printable, not blank, no surrounding spaces (scenario names, labels, items).
Name = Annotated[str, AfterValidator(_name_rule)]
#: An amount of money in a list (a value per year): finite, >= 0 and at most MAX_AMOUNT.
AmountValue = Annotated[float, Field(ge=0.0, le=MAX_AMOUNT)]
#: Free text: line breaks and tabs allowed, no other control characters.
Note = Annotated[str, AfterValidator(_note_rule)]
NAME_RULE = "printable text without control characters or surrounding spaces"
NOTE_RULE = "no control characters other than line breaks and tabs"


def _field(default: Any = ..., *, description: str, unit: str | None = None, allowed: str | None = None,
           bounds: dict[str, float] | None = None, varies: bool = False, **kw: Any) -> Any:
    """A pydantic ``Field`` with the unit and allowed range kept for the documentation and the app.

    ``bounds`` (``{"gt": -1.0, "le": 10.0}``: keys ``ge``, ``gt``, ``le``, ``lt``) are the range of a number that
    pydantic cannot hold as a constraint because the field also takes a list (one value per year): the rules check
    them, and an uncertain input of the field must stay inside them
    (:func:`~dfl_finance.inputs.uncertain.field_bounds`). ``varies``: the field can vary between the draws of a
    risk run, so an ``[[uncertain]]`` row may name it (:data:`~dfl_finance.inputs.uncertain.UNCERTAIN_FIELDS`)."""
    extra: JsonDict = {k: v for k, v in (("unit", unit), ("allowed", allowed)) if v is not None}
    if bounds is not None:
        extra["bounds"] = dict(bounds)
    if varies:
        extra["varies"] = True
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
    years: int = _field(description="Length of the projection horizon", unit="years", ge=1, le=MAX_YEARS)
    currency: Currency = _field("USD", description="Local currency of the budget (ISO 4217); the engine works in "
                                "constant prices of price_year in this currency", allowed="an ISO 4217 code")
    price_year: int | None = _field(None, description="Base year of constant prices (default: start_year)",
                                    unit="year", ge=1900, le=2200, allowed="at most the last year of the plan")
    discount_rate: float = _field(0.05, description="Discount rate for present values (nominal or real: see "
                                  "discount_basis); 5% is the IMF's unified rate, a nominal rate", unit="1/yr",
                                  ge=0.0, le=1.0, varies=True)
    discount_basis: DiscountBasis = _field("nominal", description="What discount_rate is: nominal (discounts "
                                           "current-price flows) or real (constant-price flows); the other follows "
                                           "from (1 + nominal) = (1 + real)(1 + inflation)")
    post_horizon_years: int = _field(10, description="Years after the last projection year in which opex and "
                                     "replacements continue at the final reach (the recurrent bill after the plan)",
                                     unit="years", ge=0, le=60)
    baseline: str | None = _field(None, description="A scenario file (path relative to this file) to report the "
                                  "incremental cost and financing against: a \"do nothing new\" or \"current "
                                  "policy\" scenario; read and checked with this file (same currency, start year "
                                  "and price year)", min_length=1, max_length=1000)
    social_discount_rate: float | None = _field(
        None, description="A social discount rate, real, for pv_government_cost_at_social_rate (beside the "
        "scenario's own discount_rate, the IMF's 5% in USD and the borrowing rate); no default: development banks' "
        "appraisal rates range from about 6% to 12% real (docs/method.md, Present values at three rates), and the "
        "choice is the analyst's", unit="1/yr", ge=0.0, le=1.0)
    fiscal_year_start: int = _field(1, description="Month (1-12) in which the government's fiscal year starts: 7 "
                                    "for a July-June year (Rwanda, Kenya), 4 for April-March; 1 (default) is the "
                                    "calendar year. Inputs given per fiscal year are read as fiscal years, and "
                                    "outputs can be written by fiscal year (docs/method.md, Fiscal years)",
                                    unit="month", ge=1, le=12)
    budget_codes: str | None = _field(None, description="A code list of the budget (CSV with columns code, level, "
                                      "name, parent; path relative to this file): every budget_code of a programme or "
                                      "a cost line must be in it (docs/method.md, *Programme budget lines*)",
                                      min_length=1, max_length=1000)

    @property
    def base_year(self) -> int:
        """The year of constant prices: ``price_year``, else ``start_year``."""
        return self.start_year if self.price_year is None else self.price_year


def _trend_rule(value: float | str) -> float | str:
    """``[macro] real_depreciation``: a rate a year above -100% and at most 100%, or the word ``history``."""
    if isinstance(value, str):
        if value != "history":
            raise PydanticCustomError("real_trend", "must be a rate a year (0.02 is 2%) or \"history\"")
    elif not -1.0 < value <= 1.0:
        raise PydanticCustomError("real_trend", "must be > -1 and <= 1 (a share per year: 0.02 is 2%), or "
                                  "\"history\"")
    return value


#: A trend of the real exchange rate: a rate a year, or ``"history"`` (the country's own, from the price history).
RealTrend = Annotated[float | str, AfterValidator(_trend_rule)]

#: A region's share of a count (0..1).
RegionShare = Annotated[float, Field(ge=0.0, le=1.0)]


#: A number per year, or one number for every year.
PathValue = float | list[float]


#: How a ``[macro.fx.<CODE>]`` table quotes its rates.
FxQuote = Literal["local", "USD"]


class OtherFx(_Model):
    """One ``[macro.fx.<CODE>]`` table: the exchange-rate path of a third currency (neither USD nor the scenario's),
    in which a source may be written (docs/method.md, *Other currencies*)."""

    quote: FxQuote = _field("local", description="local: the rates are local currency per unit of CODE; USD: they "
                            "are US dollars per unit of CODE (a cross rate), turned into local currency with the "
                            "scenario's own USD path")
    rate: float | None = _field(None, description="The rate of `year` (give rate or path); the other years move "
                                "with the scenario's USD path and the relative inflation of CODE against the US",
                                unit="per CODE", gt=0.0, le=MAX_AMOUNT)
    year: int | None = _field(None, description="Year of rate (default: price_year)", unit="year", ge=1900,
                              le=2200, allowed="at most the last year of the plan")
    path: list[float] | None = _field(None, description="One rate per projection year from start_year (give rate "
                                      "or path); after the last year it continues at its last rate of change",
                                      unit="per CODE", allowed="> 0; one value per projection year")
    inflation: float | None = _field(None, description="Consumer price inflation of CODE's area, which moves a "
                                     "rate's cross rate to the USD (default: US inflation: a constant cross rate)",
                                     unit="1/yr", gt=INFLATION_BOUNDS[0], le=INFLATION_BOUNDS[1])
    note: Note = _field("", description="Where the rates come from", allowed=NOTE_RULE)


class Macro(_Model):
    """The ``[macro]`` table: price and exchange-rate paths (from the country profile where the file does not give
    them, when the scenario is in the profile's currency)."""

    inflation: float | list[float] | None = _field(
        None, description="Domestic CPI inflation: one rate, or one per projection year from start_year; after the "
        "last year it continues at its last rate (default 0 in a USD scenario)", unit="1/yr",
        allowed="> -1 and <= 10; a list has one value per projection year",
        bounds={"gt": INFLATION_BOUNDS[0], "le": INFLATION_BOUNDS[1]}, varies=True)
    usd_inflation: float | list[float] | None = _field(
        None, description="US CPI inflation, like inflation (not in a USD scenario: there it is inflation)",
        unit="1/yr", allowed="> -1 and <= 10; a list has one value per projection year",
        bounds={"gt": INFLATION_BOUNDS[0], "le": INFLATION_BOUNDS[1]}, varies=True)
    fx_rate: float | None = _field(None, description="Local currency per USD in price_year (not in a USD scenario)",
                                   unit="currency/USD", gt=0.0, le=MAX_AMOUNT, varies=True)
    fx_year: int | None = _field(None, description="Year of fx_rate (default: price_year); the rate of the price "
                                 "year then follows relative inflation", unit="year", ge=1900, le=2200,
                                 allowed="at most the last year of the plan")
    fx_path: list[float] | None = _field(
        None, description="Local currency per USD in each projection year from start_year (default: fx_rate moved "
        "by relative inflation); after the last year it continues at its last rate of change",
        unit="currency/USD", allowed="> 0; one value per projection year")
    real_depreciation: RealTrend = _field(
        0.0, description="Trend of the real exchange rate: the local currency loses this share of its real value "
        "against the USD each year (the nominal rate moves with relative inflation times 1 + real_depreciation); "
        "\"history\": the country's own trend, the average yearly change of its real exchange rate in "
        "data/price_history.csv up to the price year. With fx_path it applies only where the path does not (the "
        "years before start_year)", unit="1/yr", allowed="> -1 and <= 1, or \"history\"")
    fx: dict[Currency, OtherFx] | None = _field(
        None, description="[macro.fx.<CODE>]: the exchange-rate path of each other currency a source is written in "
        "(EUR, JPY, XDR for the SDR and the AfDB's unit of account, ...)",
        allowed="ISO 4217 codes other than USD and the scenario's currency")

    @property
    def other_fx(self) -> dict[str, OtherFx]:
        """The ``[macro.fx.<CODE>]`` tables by code (none: empty)."""
        return dict(self.fx or {})


class GapFinancing(_Model):
    """``[context.gap_financing]``: the domestic market borrowing that would close the gap (a bond: interest every
    year, the principal at maturity), to compare options at equal delivery."""

    rate: float = _field(description="Nominal interest rate of the bond, in local currency", unit="1/yr", ge=0.0,
                         le=1.0)
    maturity_years: int = _field(description="Years from issue to repayment of the principal", unit="years", ge=1,
                                 le=60)
    note: Note = _field("", description="Where the terms come from", allowed=NOTE_RULE)


#: Who bears a PPP's demand risk (``[[source]] liability``).
PppLiability = Literal["availability", "user_pays"]
#: A shock's value in one projection year: a deviation from the baseline, a fall negative.
ShockValue = Annotated[float, Field(ge=-1.0, le=1.0)]


class DebtSd(_Model):
    """``[debt.sd]``: the historical standard deviations the LIC-DSF standardised stress tests shock by (from the
    country's DSA or its own history). Where the file gives none, real GDP growth and exports take the country
    profile's (``gdp_growth_sd``, ``exports_growth_sd``: the last 10 years of the WDI). A test whose standard deviation
    is not given does not apply, and says why."""

    gdp_growth: float | None = _field(None, description="Real GDP growth", unit="1/yr", gt=0.0, le=1.0)
    exports_growth: float | None = _field(None, description="Growth of exports of goods and services in USD",
                                          unit="1/yr", gt=0.0, le=1.0)
    primary_balance: float | None = _field(None, description="Primary balance of the government", unit="share of GDP",
                                           gt=0.0, le=1.0)
    other_flows: float | None = _field(None, description="Current transfers and foreign direct investment",
                                       unit="share of GDP", gt=0.0, le=1.0)
    note: Note = _field("", description="Where the figures come from", allowed=NOTE_RULE)


class DebtShock(_Model):
    """``[debt.shock]``: a shock to the economy and the baseline's debt, one value per projection year from
    start_year (the years after a list have none), each a deviation from the baseline, a fall negative. The LIC-DSF
    stress tests write it (``dfl-finance stress``); a file may give its own."""

    gdp_growth: list[ShockValue] = _field(default_factory=_no_rows, description="Real GDP growth above (below, "
                                          "negative) the baseline's: GDP and revenue move, the debt does not",
                                          unit="1/yr", max_length=MAX_YEARS)
    exports_growth: list[ShockValue] = _field(default_factory=_no_rows, description="Growth of exports in USD above "
                                              "(below) the baseline's: the exports lost are borrowed abroad",
                                              unit="1/yr", max_length=MAX_YEARS)
    primary_balance: list[ShockValue] = _field(default_factory=_no_rows, description="Primary balance above (below) "
                                               "the baseline's: a lower balance is borrowed, abroad in the "
                                               "baseline's external share of public debt", unit="share of GDP",
                                               max_length=MAX_YEARS)
    other_flows: list[ShockValue] = _field(default_factory=_no_rows, description="Current transfers and FDI above "
                                           "(below) the baseline's: what does not come is borrowed abroad",
                                           unit="share of GDP", max_length=MAX_YEARS)
    contingent: float = _field(0.0, description="Contingent liabilities that become public debt in the plan's second "
                               "year (state-owned enterprises, the financial sector)", unit="share of GDP", ge=0.0,
                               le=1.0)
    ppp_contingent: float = _field(0.0, description="Share of the PPP capital stock that becomes public debt in the "
                                   "plan's second year", unit="share", ge=0.0, le=1.0)


class Debt(_Model):
    """The ``[debt]`` table: what the debt-sustainability view (dsf.csv) needs, from the country profile where the
    file does not give it. Amounts in nominal USD: one number, of ``data_year`` (it grows with nominal GDP in USD), or
    a list, one value per projection year from start_year as a DSA's tables publish them (after the list each keeps
    its last ratio to GDP, and GDP grows at gdp_growth and US prices)."""

    capacity: DebtCapacity | None = _field(None, description="LIC-DSF debt-carrying capacity (sets the "
                                           "thresholds of the four ratios)")
    data_year: int | None = _field(None, description="Year of gdp, revenue, exports and the baseline debt figures",
                                   unit="year", ge=1900, le=2200)
    gdp: AmountValue | list[AmountValue] | None = _field(None, description="Nominal GDP (a list: the DSA's path)",
                                                          unit="USD/yr", allowed="> 0; a number or a list per "
                                                          "projection year", bounds={"gt": 0.0, "le": MAX_AMOUNT})
    gdp_growth: float | list[float] | None = _field(None, description="Real GDP growth (default 0): one rate, or "
                                                    "one per projection year from start_year (the first is also the "
                                                    "growth before start_year)", unit="1/yr",
                                                    allowed="> -1 and <= 1; a number or a list per projection year",
                                                    bounds={"gt": -1.0, "le": 1.0})
    revenue: AmountValue | list[AmountValue] | None = _field(None, description="Government revenue excluding "
                                                              "grants", unit="USD/yr", allowed=">= 0; a number or a "
                                                              "list per projection year",
                                                              bounds={"ge": 0.0, "le": MAX_AMOUNT})
    exports: AmountValue | list[AmountValue] | None = _field(None, description="Exports of goods and services",
                                                              unit="USD/yr", allowed=">= 0; a number or a list per "
                                                              "projection year", bounds={"ge": 0.0, "le": MAX_AMOUNT})
    pv_external_debt: AmountValue | list[AmountValue] | None = _field(
        None, description="Baseline: present value of public external debt (its ratio to GDP at the real exchange "
        "rate of start_year is kept: a real depreciation raises it)", unit="USD",
        allowed=">= 0; a number or a list per projection year", bounds={"ge": 0.0, "le": MAX_AMOUNT})
    external_debt_service: AmountValue | list[AmountValue] | None = _field(
        None, description="Baseline: public external debt service (its share of exports, earned in USD, is kept: a "
        "depreciation raises it against revenue)", unit="USD/yr",
        allowed=">= 0; a number or a list per projection year", bounds={"ge": 0.0, "le": MAX_AMOUNT})
    external_lcu_share: float = _field(0.0, description="Share of the baseline's external debt owed in local "
                                       "currency: its USD value falls with a depreciation, while the rest is "
                                       "unchanged in USD and rises against GDP and revenue", unit="share",
                                       ge=0.0, le=1.0)
    pv_public_debt: AmountValue | list[AmountValue] | None = _field(
        None, description="Baseline: present value of total public debt, external and domestic (the domestic part, in "
        "local currency, keeps its ratio to GDP)", unit="USD", allowed=">= 0; a number or a list per projection year",
        bounds={"ge": 0.0, "le": MAX_AMOUNT})
    sd: DebtSd | None = _field(None, description="Standard deviations for the LIC-DSF stress tests ([debt.sd])")
    shock: DebtShock | None = _field(None, description="A shock to the economy and the baseline's debt "
                                     "([debt.shock]; written by the LIC-DSF stress tests)")
    lending_category: LendingCategory | None = _field(
        None, description="The World Bank's lending category of the country (IDA-only, gap, blend, or ibrd: not "
        "IDA-eligible; from the country profile): IDA gives gap and blend countries credits on blend terms whatever "
        "their risk of debt distress, and no grants (a warning names the rule)")

    @property
    def has_dsf_view(self) -> bool:
        """Whether the scenario has a debt-sustainability view: GDP, exports and revenue (given or profiled)."""
        return self.gdp is not None and self.exports is not None and self.revenue is not None


class Context(_Model):
    """The ``[context]`` table: driver counts and the budget envelope."""

    schools: int | None = _count(None, description="Schools in scope (driver of 'schools' programmes)",
                                 unit="schools", allowed="required unless the country profile has it", varies=True)
    learners: int | None = _count(None, description="Learners in scope (driver of 'learners' programmes)",
                                  unit="learners", allowed="required unless the country profile has it", varies=True)
    teachers: int | None = _count(None, description="Teachers in scope (driver of 'teachers' programmes)",
                                  unit="teachers", allowed="required unless the country profile has it", varies=True)
    education_budget: float | None = _field(None, description="Education budget of budget_year in local currency "
                                            "at that year's prices (as the budget law writes it); the burden is "
                                            "measured as a share of it", unit="currency/yr", ge=1.0,
                                            le=MAX_AMOUNT, allowed="at least 1 (a plain amount, not thousands); "
                                            "required unless the country profile has it", varies=True)
    budget_year: int | None = _field(None, description="Year of education_budget (default: start_year, or the "
                                     "profile's year when the profile gives the budget)", unit="year", ge=1900,
                                     le=2200, allowed="at most the last year of the plan")
    budget_scope: BudgetScope = _field("total", description="Which budget of the country profile fills "
                                       "education_budget: total, or non-wage (the burden of a digital plan is "
                                       "judged against the budget that is not teacher pay)")
    budget_growth: float | list[float] | None = _field(
        None, description="Real annual growth of the education budget: one rate, or one per projection year from "
        "start_year (the first is also the growth before start_year); after the last year it continues at its last "
        "rate (default: the country profile's, else 0)", unit="1/yr",
        allowed="> -1 and <= 1; a list has one value per projection year",
        bounds={"gt": GROWTH_BOUNDS[0], "le": GROWTH_BOUNDS[1]}, varies=True)
    budget_growth_sd: float | None = _field(None, description="Standard deviation of the real annual growth of "
                                            "the education budget (from its history), for the LIC-DSF growth stress "
                                            "test (stress budget_growth)", unit="1/yr", gt=0.0, le=1.0)
    burden_limit: float = _field(0.05, description="Share of the education budget the plan may take "
                                 "(a policy threshold, not a sourced value)", unit="share", ge=0.0, le=1.0, varies=True)
    envelope: Envelope = _field("net", description="net: a domestic source pays at most budget_share_cap x budget "
                                "minus the year's debt service and PPP payments; gross: at most budget_share_cap x "
                                "budget (the old rule, which favours borrowing)")
    gap_financing: GapFinancing | None = _field(None, description="Domestic market borrowing that would close the "
                                                "gap, for pv_government_cost_full_delivery, e.g. {rate = 0.12, "
                                                "maturity_years = 15}")
    borrowing_rate: float | None = _field(None, description="The government's marginal borrowing rate, nominal, in "
                                          "local currency, for pv_government_cost_at_borrowing_rate (default: the "
                                          "rate of gap_financing)", unit="1/yr", ge=0.0, le=1.0)
    education_share: float | None = _field(None, description="Education's share of total public expenditure "
                                           "(the total education budget over total public expenditure, from the "
                                           "country profile where it has both), checked against GPE's "
                                           "domestic-financing benchmark of 20%", unit="share", ge=0.0, le=1.0)
    budget_execution: float = _field(1.0, description="Share of the education budget's allocations actually spent "
                                     "(budget outturn over the approved budget, as PEFA PI-2 measures it): a "
                                     "domestic source pays at most budget_share_cap x budget x budget_execution; "
                                     "the burden is still measured against the budget as voted", unit="share",
                                     gt=0.0, le=1.0, varies=True)
    budget_external: float | None = _field(None, description="Externally financed projects (donor grants and "
                                           "external loans) inside education_budget, in the same currency and "
                                           "year: netted out, so that the plan's burden and the domestic sources' "
                                           "room are measured against the domestically financed budget, unless "
                                           "budget_gross (default: the country profile's education_budget_external "
                                           "when the profile's total budget fills education_budget)",
                                           unit="currency/yr", ge=0.0, le=MAX_AMOUNT,
                                           allowed="at least 0 and less than education_budget")
    budget_gross: bool = _field(False, description="true: education_budget is used as written, externally "
                                "financed projects included (the scenario says the budget is gross); false: "
                                "budget_external is netted out")


class CostLine(_Model):
    """One ``[[programme.cost]]`` line."""

    item: Name = _field(description="What is bought", min_length=1, max_length=200, allowed=NAME_RULE)
    kind: LineKind = _field(description="capex: per newly reached unit (and per replacement); opex: per reached "
                            "unit per year; fixed_capex: lump sums in the schedule years; fixed_opex: a lump sum "
                            "every year")
    unit_cost: float = _amount(description="Cost per unit (capex), per unit per year (opex), or lump sum "
                               "(fixed_*), in `currency` at the prices of `price_year`", unit="currency", varies=True)
    currency: Currency | None = _field(None, description="Currency of unit_cost: USD or the scenario's currency "
                                       "(default: the scenario's; template lines are in USD). A USD-priced line "
                                       "stays USD-priced: its local cost follows the real exchange rate",
                                       allowed="USD or the scenario's currency")
    price_year: int | None = _field(None, description="Year of the quoted unit_cost (default: the scenario's "
                                    "price_year; template lines: the year of their data row)", unit="year",
                                    ge=1900, le=2200, allowed="at most the last year of the plan")
    lifetime: int | None = _field(None, description="capex only: replacement cycle; none = never replaced",
                                  unit="years", ge=1, le=100)
    replace_existing: bool = _field(False, description="capex only: also replace the units reached before "
                                    "start_year, spread evenly over the lifetime (their ages are taken to be "
                                    "uniform)")
    price_trend: float = _field(0.0, description="Real change of the unit cost per year after the first",
                                unit="1/yr", gt=-1.0, le=1.0, varies=True)
    schedule: list[int] | None = _field(None, description="fixed_capex only: years of the lump sums "
                                        "(default: the first year)", unit="year",
                                        allowed="distinct years inside the horizon")
    profile: list[AmountValue] | None = _field(
        None, description="fixed_capex and fixed_opex only: the lump sum of each projection year from start_year as "
        "a multiple of unit_cost (a cost that changes from year to year, such as the yearly costs of a school plan); "
        "after the plan a fixed_opex profile continues at its last value and a fixed_capex profile pays nothing; "
        "instead of schedule", unit="x unit_cost", allowed=">= 0; one value per projection year")
    source_note: Note = _field("", description="Provenance of the unit cost", allowed=NOTE_RULE)
    price_range: list[float] | None = _field(None, description="The public low and high of the unit cost, in its "
                                             "currency and price year (template lines take it from "
                                             "data/unit_cost_ranges.csv)", min_length=2, max_length=2,
                                             allowed="[low, high], low <= unit_cost <= high")
    uncertain: Literal["from-data"] | None = _field(None, description="from-data: in risk runs the unit cost "
                                                    "follows a triangular distribution over price_range with the "
                                                    "unit cost as its mode")
    gfs_class: GfsClass | None = _field(None, description="The old name of economic_class (still read). "
                                        "Its economic class in the fiscal accounts (GFSM 2014): "
                                        "compensation_of_employees (teacher salaries), use_of_goods_and_services, "
                                        "subsidies, grants (to schools or other government units), social_benefits "
                                        "(learner stipends), other_expense, or nonfinancial_assets (buildings, "
                                        "equipment, software). Default: nonfinancial_assets for capex and "
                                        "fixed_capex, use_of_goods_and_services for opex and fixed_opex",
                                        allowed="one of the GFS classes")
    pay_existing: bool = _field(True, description="opex only: also pay for the units reached before start_year; "
                                "false: they keep the service they already pay for outside the plan (a school "
                                "already connected costs nothing new, as in the school model)")
    economic_class: GfsClass | None = _field(None, description="Its GFS economic class (GFSM 2014), the documented "
                                             "name of gfs_class (which old files may still write; both given and "
                                             "different is an error): compensation_of_employees, "
                                             "use_of_goods_and_services, subsidies, grants, social_benefits, "
                                             "other_expense or nonfinancial_assets. Default: the template's, else "
                                             "nonfinancial_assets for capex and fixed_capex, "
                                             "use_of_goods_and_services for opex and fixed_opex",
                                             allowed="one of the GFS classes")
    cofog: Cofog | None = _field(None, description="Its COFOG group of Division 09 Education (UN COFOG): 09.1 "
                                 "pre-primary and primary, 09.2 secondary, 09.3 post-secondary non-tertiary, 09.4 "
                                 "tertiary, 09.5 not definable by level, 09.6 subsidiary services, 09.7 R&D, 09.8 "
                                 "education n.e.c. Default: the template's, else 09.8", allowed="09.1 .. 09.8")
    budget_type: BudgetType | None = _field(None, description="recurrent or development budget. Default: the "
                                            "template's, else development for capex and fixed_capex, recurrent for "
                                            "opex and fixed_opex")
    budget_code: str | None = _field(None, description="The budget's code of the line (vote, programme, "
                                     "sub-programme, output or project), e.g. \"1066-0501000\" (default: the "
                                     "programme's budget_code)", pattern=BUDGET_CODE_PATTERN, max_length=60,
                                     allowed="letters and digits in segments separated by -, . or /; in "
                                     "[scenario] budget_codes when it is given")
    execution: float | None = _field(None, description="Share of what the sources plan to pay of this line that is "
                                     "expected to be spent (default 1), on top of the paying source's execution "
                                     "(docs/method.md, *Budget execution*)", unit="share", gt=0.0, le=1.0)


class SchoolLink(_Model):
    """``[programme.schools]``: the programme's cost lines come from a school table, planned school by school
    (``dfl-finance schools``; docs/method.md, *Schools*)."""

    table: str = _field(description="The school table (CSV or Parquet), relative to the scenario file",
                        min_length=1, max_length=1000)
    order: str = _field("cost-per-learner", description="Rollout order: cost-per-learner, remote-first, "
                        "region-quota or priority", allowed="one of the orders")
    budget: float | None = _field(None, description="Capex for new connections a year (USD; default: an even pace "
                                  "to target_year)", unit="USD/yr", gt=0.0, le=MAX_AMOUNT)
    target_year: int | None = _field(None, description="Year by which every school is connected at an even pace "
                                     "(default: the last year)", unit="year", allowed="inside the horizon")
    rate: float = _field(0.0, description="Discount rate of the cost over the horizon in the least-cost choice",
                         unit="1/yr", ge=0.0, le=1.0)
    prefer: list[str] | None = _field(None, description="Take the first feasible technology of this list instead of "
                                      "the cheapest", allowed="fibre, cellular, p2p, satellite")
    extend_fibre: bool = _field(False, description="Schools on fibre become nodes for the others")
    fibre_nodes: str | None = _field(None, description="A table of fibre nodes (lat, lon), relative to the scenario "
                                     "file, instead of the schools' fiber_distance_km", max_length=1000)


class Outcome(_Model):
    """One ``[[programme.outcome]]``: an outcome measure counted from the programme's reach (docs/method.md,
    *Outcomes and cost per outcome*)."""

    measure: OutcomeMeasure = _field(description="What is counted (a column of outcomes.csv)")
    per_unit: float | None = _field(None, description="Outcome units per driver unit reached (default 1; "
                                    "learners_connected of a schools programme: [context] learners / schools)",
                                    unit="per driver unit", ge=0.0, le=1e6)
    per_year: float | None = _field(None, description="driver = none: people newly trained each year of the plan",
                                    unit="per year", ge=0.0, le=1e9)
    attrition: float = _field(0.0, description="Share of the trained stock lost each year (people leaving their "
                              "post, skills fading)", unit="1/yr", ge=0.0, le=1.0)
    refresh_years: int | None = _field(None, description="Years between refresher trainings that restore a cohort "
                                       "to full strength (none: no refresher)", unit="years", ge=1, le=100)
    source_note: Note = _field("", description="Where the rule and its figures come from", allowed=NOTE_RULE)


class Milestone(_Model):
    """One ``[[programme.milestone]]``: a step that is met by the end of a year (EMIS timeliness, a data-protection
    framework, an authority, an audit)."""

    name: Name = _field(description="What is achieved", min_length=1, max_length=200, allowed=NAME_RULE)
    year: int | None = _field(None, description="Year by whose end it is met (default: start_year + offset)",
                              unit="year", ge=1900, le=2300)
    offset: int = _field(0, description="Years after start_year, when year is not given", unit="years", ge=0,
                         le=100)
    source_note: Note = _field("", description="Where the milestone and its date come from", allowed=NOTE_RULE)


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
                                ge=0.0, le=1.0, varies=True)
    target_share: float = _field(1.0, description="Share reached at the end of target_year and after",
                                 unit="share", ge=0.0, le=1.0, allowed=">= start_share", varies=True)
    target_year: int | None = _field(None, description="Year in which target_share is reached "
                                     "(default: the last year)", unit="year", allowed="inside the horizon", varies=True)
    rollout: Rollout = _field("linear", description="Path from start_share to target_share")
    priority: int | None = _field(None, description="Order in which programmes keep their funding, lower first "
                                  "(default 0; ties in file order): sources pay the programmes in this order, so "
                                  "a gap falls on the last", ge=-1000, le=1000)
    cost: list[CostLine] = _field(default_factory=_no_rows, description="Cost lines (none with a school table: they "
                                  "come from it)", allowed="at least one, unless schools is given")
    schools: SchoolLink | None = _field(None, description="A school table whose plan gives the cost lines "
                                        "([programme.schools])")
    regions: dict[Name, RegionShare] | None = _field(
        None, description="Its own split by region (province, district, county): each region's share of its reach and "
        "cost, e.g. {\"Nairobi\" = 0.1, \"Mombasa\" = 0.9}; instead of the [[region]] shares of its driver (or of "
        "its school table's regions). Names must be [[region]] names when the scenario has [[region]] rows, or "
        "\"national\": a central cost kept at the national level",
        unit="share", allowed="shares >= 0 that add up to 1 (within 0.001)")
    budget_code: str | None = _field(None, description="The budget's code of the programme (vote and programme, "
                                     "e.g. \"1066-0501000\"): the default budget_code of its cost lines",
                                     pattern=BUDGET_CODE_PATTERN, max_length=60,
                                     allowed="letters and digits in segments separated by -, . or /; in "
                                     "[scenario] budget_codes when it is given")
    outcome: list[Outcome] = _field(default_factory=_no_rows, description="What the programme produces: "
                                    "outcome measures counted from its reach ([[programme.outcome]])")
    milestone: list[Milestone] = _field(default_factory=_no_rows, description="Milestones it reaches: EMIS "
                                        "timeliness, data-governance steps ([[programme.milestone]])")

    @property
    def label(self) -> str:
        return self.name or self.id


class Match(_Model):
    """A grant's match rule: it pays at most ``ratio`` x what the listed sources pay in the same year."""

    sources: list[str] = _field(description="Ids of the matched sources", min_length=1)
    ratio: float = _field(description="Grant paid per unit paid by the matched sources (GPE multiplier: 1/3)",
                          gt=0.0, le=100.0)
    basis: MatchBasis = _field("yearly", description="yearly: the grant pays at most ratio x what the matched "
                               "sources pay in the same year (a cap on each year's payments); commitments: GPE's "
                               "rule, the grant is at most ratio x the matched sources' commitments, under its "
                               "allocation, over its window, and pays like any grant within that ceiling")


class BuyDown(_Model):
    """A grant's ``buy_down``: it pays part of the interest of a loan of the scenario, as the interest falls due."""

    loan: str | None = _field(None, description="on a grant: id of the loan whose interest it pays (an IDA or MDB "
                              "loan)", pattern=ID_PATTERN, allowed="a loan source of the scenario, in the grant's "
                              "currency; required on a grant, not on a loan")
    share: float = _field(1.0, description="on a grant: share of each year's interest (or service charge) that it "
                          "pays, until its commitment or allocation is used up", unit="share", gt=0.0, le=1.0)
    by: str | None = _field(None, description="on a loan: id of the grant source that pays part of its interest "
                            "(the same buy-down written on the loan's side)", pattern=ID_PATTERN,
                            allowed="a grant source of the scenario, in the loan's currency; required on a loan")
    rate: float | None = _field(None, description="on a loan: the rate the borrower pays; the grant pays the rest "
                                "of each year's interest, a share 1 - rate / the loan's rate of it",
                                unit="1/yr", ge=0.0, le=1.0, allowed="below the loan's rate; required on a loan")


class Guarantee(_Model):
    """A loan's ``guarantee``: a partner guarantees part of it, so that the lender lends at a lower rate
    (docs/method.md, *Instruments*)."""

    by: Name = _field(description="The guarantor (IDA, MIGA, a bilateral agency, a guarantee fund): the guaranteed "
                      "share is its contingent liability", min_length=1, max_length=200, allowed=NAME_RULE)
    share: float = _field(description="Share of the loan's outstanding balance that is guaranteed", unit="share",
                          gt=0.0, le=1.0)
    fee: float = _field(0.0, description="Guarantee fee the borrower pays each year on the guaranteed share of the "
                        "balance outstanding at the end of the year before (reported as fees)", unit="1/yr", ge=0.0,
                        le=0.1)
    rate: float = _field(description="The loan's rate with the guarantee (the loan's own rate is the rate without "
                         "it)", unit="1/yr", ge=0.0, le=1.0, allowed="below the loan's rate")


class Share(_Model):
    """A source's ``disbursement_share``: the distribution of the share of its pledge that disburses (0..1)."""

    distribution: Distribution = _field(description="as in [[uncertain]]: uniform, triangular, pert, normal "
                                        "(truncated to 0..1), lognormal, discrete")
    low: float | None = _field(None, description="Smallest share (uniform, triangular, pert)")
    high: float | None = _field(None, description="Largest share (uniform, triangular, pert)")
    mode: float | None = _field(None, description="Most likely share (triangular, pert)")
    mean: float | None = _field(None, description="Mean (normal)")
    sd: float | None = _field(None, description="Standard deviation (normal)", gt=0.0)
    median: float | None = _field(None, description="Median (lognormal)", gt=0.0)
    sd_log: float | None = _field(None, description="Standard deviation of the logarithm (lognormal)", gt=0.0)
    values: list[float] | None = _field(None, description="The possible shares (discrete)", min_length=1)
    weights: list[float] | None = _field(None, description="Their weights (discrete; default equal)")


class Lag(_Model):
    """A source's ``disbursement_lag``: the possible delays in whole years and their weights."""

    values: list[int] = _field(description="Possible delays", min_length=1, allowed=">= 0, whole years")
    weights: list[float] | None = _field(None, description="Their weights (default equal)",
                                         allowed=">= 0, one per value, not all 0")



class Dli(_Model):
    """One ``[[source.dli]]`` row: a disbursement-linked indicator (DLI). The source pays this amount when the result
    is reached and verified, not when the costs fall due: the government pre-finances (docs/method.md,
    *Results-based financing*)."""

    programme: str = _field(description="Id of the programme whose reach is the result", pattern=ID_PATTERN,
                            allowed="a programme id of the scenario")
    measure: DliMeasure = _field("reached_share", description="reached_share: the share of the driver's units "
                                 "reached by the end of a year (outcomes.csv reached_funded_share, the reach the "
                                 "funded capex buys); reached: the units reached (reached_funded)")
    target: float = _field(description="The result that earns the DLI: a share (0..1] for reached_share, a number "
                           "of units for reached", unit="share or driver units", gt=0.0, le=MAX_COUNT)
    amount: float | None = _amount(None, description="What the DLI pays when its target is reached, in current "
                                   "prices of the source's currency in the year of payment", unit="currency",
                                   allowed="give amount or price, not both")
    price: float | None = _amount(None, description="Scalable DLI: what it pays per unit of result above the floor "
                                  "(per driver unit for reached; per 1.0 of the share for reached_share, so a "
                                  "percentage point is price / 100), up to the target; in current prices of the "
                                  "source's currency", unit="currency per unit of result",
                                  allowed="with scalable = true")
    scalable: bool = _field(False, description="Pays pro rata above the floor: at the deadline, a result between "
                            "the floor and the target earns (result - floor) / (target - floor) of the amount")
    floor: float = _field(0.0, description="Scalable DLI: the result below which it pays nothing",
                          unit="share or driver units", ge=0.0, le=MAX_COUNT, allowed="< target")
    lag: int = _field(1, description="Years from the end of the year the result is reached to the payment (the "
                      "verification)", unit="years", ge=0, le=10)
    deadline: int | None = _field(None, description="The last year in which the result can be earned (default: "
                                  "the last year of the plan minus lag)", unit="year",
                                  allowed="inside the horizon; deadline + lag at most the plan's last year")
    unearned: Unearned = _field("lapse", description="What happens at the deadline to an amount not earned: lapse "
                                "(it is lost) or roll_over (it is added to the next [[source.dli]] row of the same "
                                "source on the same programme and measure; with none, it lapses)")
    probability: float | None = _field(None, description="Risk runs: the probability that the result is reached "
                                       "at all (a draw without it earns nothing); the deterministic run takes the "
                                       "plan's reach", unit="share", ge=0.0, le=1.0)
    delay: Lag | None = _field(None, description="Risk runs: years by which the result comes later than the plan's "
                               "reach, e.g. {values = [0, 1], weights = [0.7, 0.3]}")
    note: Note = _field("", description="The DLI's source: the financing agreement, its results framework",
                        allowed=NOTE_RULE)
    result_delay: int = _field(0, description="Years by which the result comes later than the programme's reach, "
                               "in every run (the results_delay stress adds to it; a risk draw's delay adds too)",
                               unit="years", ge=0, le=60)

    @property
    def full_amount(self) -> float:
        """What the row pays when its target is reached, in the source's currency: its amount, or its price times
        the result from the floor to the target."""
        if self.amount is not None:
            return self.amount
        return (self.price or 0.0) * max(self.target - self.floor, 0.0)


class OutcomeBond(_Model):
    """A grant's ``outcome_bond``: an investor pre-finances the costs (the source pays cost cells like a grant) and an
    outcome funder repays it, with a return, through the source's ``[[source.dli]]`` rows (docs/method.md,
    *Outcome bonds*)."""

    payer: OutcomePayer = _field(description="Who pays the outcome payments that the [[source.dli]] rows earn: "
                                 "government (a social impact bond: they are part of the government's burden in "
                                 "the year paid) or partner (a development impact bond: an outcome funder pays, the "
                                 "government pays nothing)")
    note: Note = _field("", description="Where the terms come from", allowed=NOTE_RULE)


class Source(_Model):
    """One ``[[source]]`` of finance."""

    id: str = _field(description="Unique id, used in every output", pattern=ID_PATTERN,
                     allowed="lower_snake_case, unique, not `gap`")
    name: Name | None = _field(None, description="Label for charts (default: the id)", max_length=200,
                               allowed=NAME_RULE)
    kind: SourceKind = _field(description="domestic: the government's own budget; grant: no repayment; "
                              "loan: repaid with interest (see the loan terms); ppp: an operator pays capex, the "
                              "government pays it back as an annuity; swap: a debt-for-education swap's counterpart, "
                              "levy: a universal service fund levy (both domestic money: docs/method.md, Instruments)")
    priority: int | None = _field(None, description="Order of payment, lower first; ties in file order "
                                  "(default: 0, and after every other source for domestic)")
    eligible: list[str] | None = _field(None, description="Cost cells it may pay: programme ids or "
                                        "`programme:capex` / `programme:opex` (default: all; ppp: capex only)",
                                        allowed="known programme ids")
    share_cap: float = _field(1.0, description="At most this share of each eligible cost cell", unit="share",
                              ge=0.0, le=1.0, varies=True)
    currency: Currency | None = _field(None, description="Currency of annual_cap and commitment, and of a loan's "
                                       "credit (its interest and repayments): USD, the scenario's currency or any "
                                       "other with its [macro.fx.<CODE>] path (default: USD for grants, loans and "
                                       "swaps, the scenario's for domestic, ppp and levy)",
                                       allowed="USD, the scenario's currency, or a code with [macro.fx.<CODE>]")
    annual_cap: AmountValue | list[AmountValue] | None = _field(
        None, description="At most this much per year, in current prices of the source's currency: one amount for "
        "every year, or one per projection year from start_year (as `dfl-finance optimise --write-scenario` writes "
        "an optimal mix)", unit="currency/yr", allowed=">= 0; a list has one value per projection year",
        bounds={"ge": 0.0, "le": MAX_AMOUNT}, varies=True)
    commitment: float | None = _amount(None, description="At most this much over the horizon, in current prices "
                                       "of the source's currency", unit="currency", varies=True)
    first_year: int | None = _field(None, description="First year in which it pays (default: start_year)",
                                    unit="year", allowed="inside the horizon")
    last_year: int | None = _field(None, description="Last year in which it pays (default: the last year)",
                                   unit="year", allowed="inside the horizon, >= first_year")
    terms: str | None = _field(None, description="loan: a term sheet in data/loan_terms.csv; the fields below "
                               "override it")
    rate: float | None = _field(None, description="loan: interest or service charge on the outstanding balance; "
                                "levy: the levy's rate on its base",
                                unit="1/yr", ge=0.0, le=1.0, varies=True)
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
                                       unit="1/yr", ge=0.0, le=1.0, varies=True)
    liability: PppLiability | None = _field(None, description="ppp: who bears the demand risk (GFSM 2014). "
                                            "availability (default): the government pays the availability "
                                            "payments, and the capital is public debt; user_pays: users pay the "
                                            "operator, the government pays nothing, and the capital is a "
                                            "contingent liability")
    budget_share_cap: float | None = _field(None, description="domestic: at most this share of the education "
                                            "budget per year", unit="share", ge=0.0, le=1.0, varies=True)
    reliability: float | None = _field(None, description="risk runs: the probability that the pledge materialises "
                                       "at all (a draw without it pays nothing); the deterministic run takes the "
                                       "pledge as written", unit="share", ge=0.0, le=1.0)
    disbursement_share: Share | None = _field(None, description="risk runs: the distribution of the share of the "
                                                "pledge that disburses, e.g. {distribution = \"uniform\", low = 0.6, "
                                                "high = 1.0}")
    disbursement_lag: Lag | None = _field(None, description="risk runs: years by which the source's window moves "
                                            "later, e.g. {values = [0, 1, 2], weights = [0.5, 0.3, 0.2]}")
    charged_to: ChargedTo | None = _field(None, description="domestic, loan, ppp: who bears its payments in the "
                                          "budget: education_vote (appropriated to the sector) or treasury (a "
                                          "charge on the consolidated fund). Default: education_vote for a domestic "
                                          "source, treasury for a loan's debt service and a PPP's payments",
                                          allowed="education_vote or treasury; not on a grant")
    partner: Partner | None = _field(None, description="The institution whose rules apply: ida, gpe or other "
                                     "(default: read from the id or the name, a word `ida` or `gpe`); IDA's "
                                     "lending terms and GPE's domestic-financing requirement are checked for it")
    allocation: float | None = _amount(None, description="grant: the country allocation ceiling (GPE Multiplier), "
                                       "at most this much in all, in current prices of the source's currency; with "
                                       "match basis = \"commitments\" the match is assessed under it",
                                       unit="currency")
    buy_down: BuyDown | None = _field(None, description="grant: it pays part of the interest of a loan instead of "
                                      "cost cells, e.g. {loan = \"ida\", share = 1.0}; the loan's debt service, the "
                                      "burden fall and the loan's grant element rises accordingly. "
                                      "loan: [source.buy_down] by = \"gpe\", rate = 0.01: the grant `by` pays the "
                                      "interest above `rate` (docs/method.md, Instruments)")
    dli: list[Dli] | None = _field(None, description="grant or loan: results-based financing, "
                            "disbursement-linked indicators ([[source.dli]] rows); the source then pays no cost "
                            "cell: it disburses what its rows earn, a lag after the result, and reimburses the "
                            "government's pre-financing (docs/method.md, Results-based financing)")
    outcome_bond: OutcomeBond | None = _field(None, description="grant with [[source.dli]] rows: an outcome bond. "
                                              "The source is the investor: it pays cost cells like a grant (its "
                                              "principal), and its [[source.dli]] rows are the outcome payments "
                                              "that repay it with a return, e.g. {payer = \"government\"} "
                                              "(docs/method.md, Outcome bonds)")
    on_budget: bool = _field(True, description="Whether its payments go through the government's budget: false "
                             "for a partner that pays suppliers directly (off-budget); a domestic source is always "
                             "on budget")
    execution: float | None = _field(None, description="Share of its planned payments expected to be spent (budget "
                                     "execution; default by kind, docs/method.md, *Budget execution*: a PLACEHOLDER "
                                     "1.0 for every kind)", unit="share", gt=0.0, le=1.0)
    payments_per_year: Literal[1, 2, 4, 12] | None = _field(
        None, description="loan: instalments a year (IDA and IBRD: 2, from the term sheet). Each year's principal is "
        "paid in that many equal parts and the charge on the balance of each period, summed to the year "
        "(docs/method.md, Loans paid semi-annually). Default: 1", allowed="1, 2, 4 or 12")
    payment_months: list[int] | None = _field(
        None, description="loan: the month (1-12) of each instalment in the year, in order, one per payment; where "
        "its payments fall by fiscal year (--years fiscal). Default: 6 and 12 for two payments a year, 12 for one",
        unit="month")
    rate_reference: list[float] | None = _field(
        None, description="loan: a variable rate. The reference rate (e.g. 6-month EURIBOR, SOFR, TONA) of each "
        "projection year from start_year, as expected; after the plan it continues at its last value. The "
        "interest of each year is (reference + spread) x the balance outstanding at the end of the year before; "
        "replaces rate (a term sheet's rate is not taken)", unit="1/yr",
        allowed="one value per projection year; reference + spread >= 0 and <= 1; repayment linear or schedule")
    spread: float | None = _field(None, description="loan with rate_reference: the fixed margin over the reference "
                                  "rate; an [[uncertain]] row on it shifts the whole rate path in each draw",
                                  unit="1/yr", ge=-0.1, le=1.0, allowed="needs rate_reference", varies=True)
    creditor: Name | None = _field(None, description="swap: the creditor that cancels part of the country's "
                                   "existing external debt service in return for counterpart funds to the plan, "
                                   "e.g. \"Germany (KfW)\"; or the id of a loan of the plan, whose service it "
                                   "then cancels", max_length=200, allowed=NAME_RULE)
    debt_service: AmountValue | list[AmountValue] | None = _field(
        None, description="swap: the debt service the creditor cancels each year, in current prices of the "
        "source's currency (default USD): one amount for every year of its window, or one per projection year from "
        "start_year", unit="currency/yr", allowed=">= 0; a list has one value per projection year",
        bounds={"ge": 0.0, "le": MAX_AMOUNT})
    counterpart_share: float | None = _field(None, description="swap: the counterpart the government pays to the "
                                             "plan in local currency, as a share of the service cancelled that "
                                             "year (Debt2Health: typically 0.5)", unit="share", ge=0.0, le=1.0)
    base: AmountValue | list[AmountValue] | None = _field(
        None, description="levy: the base it is levied on (a universal service fund: the telecom operators' gross "
        "revenue), in current prices of the source's currency (default: the scenario's), one amount for every year "
        "or one per projection year from start_year; the levy pays rate x base a year, earmarked to connectivity",
        unit="currency/yr", allowed=">= 0; a list has one value per projection year",
        bounds={"ge": 0.0, "le": MAX_AMOUNT})
    guarantee: Guarantee | None = _field(None, description="loan: a partner guarantees part of it, e.g. {by = \"IDA\", "
                                         "share = 0.5, fee = 0.005, rate = 0.06}: the loan is at `rate`, the borrower "
                                         "pays the fee on the guaranteed balance, and the guaranteed share is a "
                                         "contingent liability of the guarantor")

    @property
    def label(self) -> str:
        return self.name or self.id


class Uncertain(_Model):
    """One ``[[uncertain]]`` row: an input of the scenario that varies between the draws of a risk run."""

    path: str = _field(description="The field that varies, as a field path: programme[connectivity].cost[satellite "
                       "terminal].unit_cost, source[ida].commitment, context.budget_growth (see Field paths)",
                       min_length=1, max_length=1000)
    distribution: Distribution = _field(description="uniform (low, high); triangular and pert (low, mode, high); "
                                        "normal (mean, sd) and lognormal (median, sd_log), truncated to the "
                                        "field's allowed range; discrete (values, weights)")
    low: float | None = _field(None, description="Smallest value (uniform, triangular, pert)")
    high: float | None = _field(None, description="Largest value (uniform, triangular, pert)")
    mode: float | None = _field(None, description="Most likely value (triangular, pert)")
    mean: float | None = _field(None, description="Mean (normal)")
    sd: float | None = _field(None, description="Standard deviation (normal)", gt=0.0)
    median: float | None = _field(None, description="Median (lognormal)", gt=0.0)
    sd_log: float | None = _field(None, description="Standard deviation of the logarithm (lognormal)", gt=0.0)
    values: list[float] | None = _field(None, description="The possible values (discrete)", min_length=1)
    weights: list[float] | None = _field(None, description="Their weights (discrete; default equal)",
                                         allowed=">= 0, one per value, not all 0")
    group: str | None = _field(None, description="Inputs with the same group move together (a Gaussian copula at "
                               "the group's rho)", pattern=ID_PATTERN)
    rho: float | None = _field(None, description="Correlation of the group's inputs (the normal scores of a "
                               "Gaussian copula); give it on one row of the group, or the same on several",
                               ge=-1.0, le=1.0)


class Risk(_Model):
    """The ``[risk]`` table: how the draws of a risk run are made."""

    draws: int = _field(1000, description="Number of draws (the command line's --draws wins)", ge=1, le=MAX_DRAWS)
    seed: int = _field(0, description="Seed of the random numbers: the same seed gives the same draws on any "
                       "machine (the command line's --seed wins)", ge=0, le=MAX_SEED)
    method: SamplingMethod = _field("lhs", description="lhs (Latin hypercube), sobol (scrambled Sobol) or mc "
                                    "(plain Monte Carlo), as scipy.stats.qmc and numpy draw them")
    point: RiskPoint = _field("mean", description="What the deterministic run (and a tornado's or a stress test's "
                              "base) takes for each uncertain input ([[uncertain]] rows and cost lines uncertain "
                              "from-data): mean, its distribution's expected value (then the deterministic figure "
                              "is near the mean of the draws); mode, its most likely value (a uniform's midpoint); "
                              "as_written, the value written in the field. Pledges are taken as written")


class Stress(_Model):
    """One ``[[stress]]`` row: a named, deterministic stress test that ``dfl-finance stress`` runs against the
    scenario (without rows: the built-in set; method in docs/method.md, *Stress tests*)."""

    name: StressName = _field(description="depreciation: the local currency loses value against the USD from the "
                              "plan's second year on (LIC-DSF); budget_growth: the budget's real growth falls in "
                              "the plan's second and third years (LIC-DSF); capex_overrun: every capex and "
                              "fixed_capex unit cost rises; pledge_shortfall: a source delivers only part of its "
                              "pledge; delay: a source's window of payments moves later; results_delay: the results "
                              "of [[source.dli]] rows come later (their deadlines stay)")
    source: str | None = _field(None, description="pledge_shortfall, delay and results_delay: the id of the source "
                                "(default: pledge_shortfall every grant, delay every grant and loan, results_delay "
                                "every source with [[source.dli]] rows)", pattern=ID_PATTERN,
                                allowed="a source id of the scenario")
    size: float | None = _field(None, description="How strong: depreciation, the rise of the exchange rate "
                                "(default 0.3: 30%); budget_growth, the fall of the growth in standard deviations "
                                "of it (default 1); capex_overrun, the rise of the unit costs (default 0.2); "
                                "pledge_shortfall, the share of the pledge that does not come (default 0.5); delay, "
                                "the years (default 2); results_delay, the years (default 1)",
                                allowed="depreciation, budget_growth and capex_overrun > 0 and <= 10; pledge_shortfall "
                                "> 0 and <= 1; delay and results_delay a whole number 1..60")


class Region(_Model):
    """One ``[[region]]``: a part of the country below the nation (province, district, county) and its share of the
    country's driver units, by which every programme's cost and reach are split (regions.csv; docs/method.md,
    *Regions*)."""

    name: Name = _field(description="The region's name, as the budget writes it (a county, a province, a district)",
                        min_length=1, max_length=200, allowed=NAME_RULE)
    share: float | None = _field(None, description="Its share of the country's units of every driver that the "
                                 "fields below do not give (a population share, say), and of the programmes with "
                                 "driver = \"none\"", unit="share", ge=0.0, le=1.0,
                                 allowed="given on every row or on none; the rows add up to 1 (within 0.001)")
    schools: float | None = _field(None, description="Its share of the country's schools (instead of share)",
                                   unit="share", ge=0.0, le=1.0, allowed="given on every row or on none; the rows "
                                   "add up to 1 (within 0.001)")
    learners: float | None = _field(None, description="Its share of the country's learners (instead of share)",
                                    unit="share", ge=0.0, le=1.0, allowed="given on every row or on none; the rows "
                                    "add up to 1 (within 0.001)")
    teachers: float | None = _field(None, description="Its share of the country's teachers (instead of share)",
                                    unit="share", ge=0.0, le=1.0, allowed="given on every row or on none; the rows "
                                    "add up to 1 (within 0.001)")
    note: Note = _field("", description="Where the shares come from", allowed=NOTE_RULE)
class MtefCeiling(_Model):
    """One ``[[mtef]]`` row: a ceiling of the medium-term expenditure framework (MTEF) for one fiscal year, on one
    programme or on the whole plan; ``dfl-finance budget`` sets the plan's cost against it (docs/method.md, *The MTEF
    and the budget submission*)."""

    fiscal_year: str | int = _field(description="The fiscal year: its label as the budget writes it, \"2026/27\" "
                                    "(with [scenario] fiscal_year_start other than 1), or the calendar year in which "
                                    "it starts, 2026", allowed="a fiscal year that holds a year of the plan")
    programme: str | None = _field(None, description="The programme it caps (a programme id); none: the whole "
                                   "plan, the sector's ceiling", pattern=ID_PATTERN,
                                   allowed="a programme id of the scenario")
    ceiling: float = _amount(description="The most the budget allots to it in that fiscal year, in the scenario's "
                             "currency, whoever finances it (domestic, external and what is not yet financed)",
                             unit="currency")
    prices: CeilingPrices = _field(description="What prices the ceiling is in: constant, of the scenario's "
                                   "price_year (as the plan's inputs); current, of its fiscal year (as an MTEF is "
                                   "published), deflated with the scenario's inflation")
    note: Note = _field("", description="Where the ceiling comes from (the budget framework paper or MTEF, its year "
                        "and table)", allowed=NOTE_RULE)


class Scenario(_Model):
    """A whole scenario file."""

    scenario: ScenarioMeta
    context: Context = Field(default_factory=Context)
    macro: Macro = Field(default_factory=Macro)
    debt: Debt = Field(default_factory=Debt)
    risk: Risk = Field(default_factory=Risk)
    uncertain: list[Uncertain] = Field(default_factory=_no_rows)
    stress: list[Stress] = Field(default_factory=_no_rows)
    programme: list[Programme] = Field(min_length=1)
    source: list[Source] = Field(default_factory=_no_rows, max_length=MAX_SOURCES)
    region: list[Region] = Field(default_factory=_no_rows, max_length=MAX_REGIONS)
    mtef: list[MtefCeiling] = Field(default_factory=_no_rows)
    #: The folder the files it names are relative to (its baseline, its school tables; None: made in memory), set
    #: when it is read: a scenario made from this one (overrides, a portfolio's fund) plans its school tables again
    #: from there, whatever the working folder, and a writer rewrites those names for the folder it writes to.
    _folder: Path | None = PrivateAttr(default=None)
    #: Its ``[scenario] baseline`` scenario, read and checked with it (None: it has none, or it was not read).
    _baseline: "Scenario | None" = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal fields (where its school tables were read from is not part of the scenario)."""
        return isinstance(other, Scenario) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    @property
    def folder(self) -> Path | None:
        """The folder the files it names are relative to (see ``_folder``)."""
        return self._folder

    @property
    def baseline_scenario(self) -> "Scenario | None":
        """Its ``[scenario] baseline`` scenario as read and checked when it was read (None without one)."""
        return self._baseline

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

    @property
    def local_currency(self) -> str:
        return self.scenario.currency

    def line_currency(self, line: CostLine) -> str:
        """The currency of a cost line's unit cost (the scenario's unless the line says)."""
        return line.currency or self.scenario.currency

    def source_currency(self, source: Source) -> str:
        """The currency of a source's amounts: its own, else USD for grants, loans and swaps (the cancelled
        service), else the scenario's."""
        if source.currency:
            return source.currency
        return "USD" if source.kind in ("grant", "loan", "swap") else self.scenario.currency

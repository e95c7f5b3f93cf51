"""A complete scenario for any profiled country: the file ``dfl-finance new --country ISO3`` writes and the app's
"Start from a country" adds to the workspace (one function, :func:`country_scenario`, serves both).

The scenario is made from what ``data/`` holds, each value with a comment that says where it came from:

- ``[scenario]``: the profile's currency, the price year (the first year of the plan) and the IMF's 5% in real terms;
- ``[context]``, ``[macro]``, ``[debt]``: exactly what the scenario loader would fill from the profile
  (:func:`~dfl_finance.inputs.references.profile_defaults`: the counts, the budget and its year, inflation, the
  exchange rate of data/price_history.csv or the profile, the debt figures and the lending category), written out
  with the profile field, its year and its source, so that the file says it and the placeholder report still sees it;
- ``[[programme]]``: the three pillars (connectivity; data systems: EMIS and devices; data skills and governance)
  from ``data/templates.toml``, connectivity starting from the profile's ``connected_share``;
- ``[[source]]``: the World Bank window its lending category and risk of debt distress give it
  (:func:`world_bank_terms`, docs/method.md *Starting from a country*), a GPE Multiplier grant where the income
  group makes it eligible (:func:`gpe_eligibility`), and the education budget.

A code without a profile, or a profile without a field the scenario needs, is an :class:`OptionError` at
``country`` that names the fields to give and how.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dfl_finance.errors import DataError, OptionError, known
from dfl_finance.inputs.io import read_toml
from dfl_finance.inputs.portfolio import country_plan  # the portfolio's rule for a plan template
from dfl_finance.inputs.profiles import (
    PROFILES_ENV,
    CountryProfile,
    ProfileValue,
    country_profiles,
    data_dir,
    loan_terms,
    observed_fx,
    parse_bool,
    parsed_rows,
    real_exchange_trend,
    template_programme_id,
    templates,
)
from dfl_finance.inputs.references import FX_HISTORY, PLACEHOLDER, apply_templates, profile_defaults
from dfl_finance.vocabulary import BLEND_TERMS_CATEGORIES, COUNTED_DRIVERS, DEBT_RISKS, LENDING_CATEGORIES

#: The programmes of the default plan, in the order of the file: (template, target share or None for the
#: template's, years from start_year to the target year or None for the last year). The targets are plan choices,
#: not sourced values, and the file says so. Connectivity is priced on the one sourced basis of the bundled plans
#: (``connectivity-satellite``: a LEO terminal and a flat plan, docs/method.md, *Placeholder share*), not the
#: ``connectivity-mixed`` split of fibre, 4G and satellite, which no public source gives for any country.
DEFAULT_PLAN: tuple[tuple[str, float | None, int | None], ...] = (
    ("connectivity-satellite", 0.9, 5),
    ("emis", None, 3),
    ("devices", 0.2, 8),
    ("teacher-data-skills-online", None, 4),
    ("officials-data-literacy", None, None),
    ("data-governance", None, None),
)
#: The pillar each template of the default plan stands for, as the issue words the three pillars.
PILLAR_WORDS = {"connectivity": "connectivity", "emis": "data systems (EMIS and devices)",
                "devices": "data systems (EMIS and devices)", "teacher": "data skills and governance",
                "officials": "data skills and governance", "learner": "data skills and governance",
                "data": "data skills and governance", "solar": "connectivity"}
#: IDA's term sheet for gap and blend countries, and the IBRD loan (data/loan_terms.csv).
BLEND_TERMS = "ida21-blend-fixed"
IBRD_TERMS = "ibrd-flexible"
#: GPE's Multiplier: 1 USD of GPE grant per 3 USD of co-financing from donors and development banks.
GPE_RATIO = 0.3333
#: World Bank income groups eligible for GPE funding (low income; lower-middle income, whose completion-rate
#: condition is not checked here); small island and small landlocked states are not identified in the profiles.
GPE_INCOME_GROUPS = ("low", "lower-middle")
GPE_SOURCE = ("GPE, 'GPE grants' (globalpartnership.org/funding/gpe-grants): the countries eligible to become GPE "
              "partners are low-income countries, lower-middle income countries with a primary completion rate "
              "below 85% (not checked here) and small island and small landlocked developing states")
#: Illustrative sizes and policy choices, each written with its word PLACEHOLDER or "a policy choice".
GPE_COMMITMENT = 10e6
BURDEN_LIMIT = 0.03
#: The IMF's unified discount rate, nominal in USD (IMF, October 2013), put in real terms with US inflation.
IMF_RATE = 0.05
#: Years of the World Bank and GPE windows from start_year (the first year counts).
WB_YEARS, GPE_YEARS = 6, 5
#: What a profile is (for the error messages): the file, its columns, and the command that fills it.
PROFILE_FILE = "data/country_profiles.csv"
PROFILE_COLUMNS = "iso3, country, field, value, unit, year, source, confidence, placeholder"
IMPORT_WORDS = "`dfl-finance country import` (fills a profile from WDI/EdStats, IMF WEO, UIS, DSA and Giga files)"
#: Profile fields a scenario uses when the profile has them (named in the error for an unprofiled code).
OPTIONAL_FIELDS = ("inflation", "usd_inflation", "budget_growth", "connected_share", "income_group",
                   "public_expenditure", "gdp", "gdp_growth", "revenue", "exports", "dsf_capacity",
                   "pv_external_debt", "external_debt_service", "pv_public_debt")
WIDTH = 118
#: When a field is needed (for an unprofiled code), and why (for a profile that lacks it).
_WHEN = {"fx_rate": " (outside USD)", "debt_risk": " (an IDA-only country)"}
_WHY = {"fx_rate": " (the scenario is in the profile's currency, not USD)",
        "debt_risk": " (an IDA-only country's IDA terms follow its risk of debt distress)"}


@dataclass(frozen=True)
class IdaRiskTerms:
    """One row of ``data/ida_terms_by_risk.csv``: what IDA gives an IDA-only country at a risk of debt distress."""

    debt_risk: str
    terms: str | None  # the credit's term sheet (None: grants only)
    grant_share: float
    source: str
    placeholder: bool


@lru_cache(maxsize=8)
def _load_ida_terms(folder: str) -> dict[str, IdaRiskTerms]:
    def parse(row: dict[str, str]) -> IdaRiskTerms:
        share = float(row["grant_share"])
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"grant_share {share} is not a share from 0 to 1")
        return IdaRiskTerms(row["debt_risk"].strip(), row["terms"].strip() or None, share, row["source"].strip(),
                            parse_bool(row["placeholder"]))

    return {t.debt_risk: t for t in parsed_rows(Path(folder) / "ida_terms_by_risk.csv", parse)}


def ida_terms_by_risk() -> dict[str, IdaRiskTerms]:
    """IDA's terms for IDA-only countries by risk of debt distress (``data/ida_terms_by_risk.csv``)."""
    return _load_ida_terms(str(data_dir()))


@dataclass(frozen=True)
class WorldBankTerms:
    """The World Bank financing a country's lending category and risk of debt distress give it."""

    id: str              # the source id: ida or ibrd
    grant_share: float   # the share of each eligible cost cell that is an IDA grant (0: credits or loans only)
    terms: str | None    # the term sheet of the credit or loan (None: grants only)
    why: str             # the rule and its source, for the file's comment
    placeholder: bool    # the rule's row in data/ is a placeholder


def world_bank_terms(profile: CountryProfile) -> WorldBankTerms:
    """IDA's or IBRD's terms for ``profile``'s country (docs/method.md, *Starting from a country*):

    - IDA-only: by its risk of debt distress, the row of ``data/ida_terms_by_risk.csv`` (high risk or in distress:
      grants; moderate: the 40-year credit; low: the regular credit);
    - gap and blend: IDA credits on blend terms whatever the risk, no grants (``ida21-blend-fixed``);
    - IBRD: an IBRD flexible loan (``ibrd-flexible``).

    Raises OptionError at ``country`` when the profile has no lending category, or an IDA-only one no risk of debt
    distress (the fields to give are named).

    Examples
    --------
    >>> world_bank_terms(country_profiles()["KEN"]).terms
    'ida21-blend-fixed'
    """
    category = _text(profile, "lending_category")
    if category is None or category not in LENDING_CATEGORIES:
        raise _missing(profile, ["lending_category"] if category is None else [], bad=(
            {"lending_category": f"{category!r} is not a lending category ({', '.join(LENDING_CATEGORIES)})"}
            if category is not None else {}))
    row = profile.values["lending_category"]
    said = f"lending category {category} (profile {profile.iso3}.lending_category{_flag(row)})"
    if category == "ibrd":
        return WorldBankTerms("ibrd", 0.0, IBRD_TERMS, f"{said}: not IDA-eligible, so an IBRD flexible loan "
                              f"(data/loan_terms.csv {IBRD_TERMS})", row.placeholder)
    if category in BLEND_TERMS_CATEGORIES:
        return WorldBankTerms("ida", 0.0, BLEND_TERMS, f"{said}: IDA lends to gap and blend countries on blend "
                              "terms whatever their risk of debt distress, and gives them no grants (IDA21 terms, "
                              "World Bank Treasury, IDA Lending Rates & Fees, effective 1 October 2025; Center for "
                              f"Global Development, 2023; docs/method.md, Multilateral rules): {BLEND_TERMS}",
                              row.placeholder)
    risk = _text(profile, "debt_risk")
    rules = ida_terms_by_risk()
    if risk is None or risk not in rules:
        bad = {} if risk is None else {"debt_risk": f"{risk!r} has no row in data/ida_terms_by_risk.csv (known: "
                                                    f"{known(rules)}; a risk is one of {', '.join(DEBT_RISKS)})"}
        raise _missing(profile, ["debt_risk"] if risk is None else [], bad=bad,
                       why="an IDA-only country's IDA terms follow its risk of debt distress")
    rule = rules[risk]
    risk_row = profile.values["debt_risk"]
    if rule.terms is None and rule.grant_share < 1.0:
        raise DataError(f"data/ida_terms_by_risk.csv: the row {risk!r} gives a grant share below 1 and no credit "
                        "terms for the rest")
    if rule.terms is not None and rule.terms not in loan_terms():
        raise DataError(f"data/ida_terms_by_risk.csv: the row {risk!r} names terms {rule.terms!r}, which are not in "
                        "data/loan_terms.csv")
    what = ("IDA grants" if rule.grant_share >= 1.0 else f"IDA credits on {rule.terms}" if rule.grant_share <= 0.0
            else f"IDA grants for {rule.grant_share:.0%} and credits on {rule.terms} for the rest")
    why = (f"{said}, {risk} risk of debt distress (profile {profile.iso3}.debt_risk{_flag(risk_row)}): {what} "
           f"(data/ida_terms_by_risk.csv, row {risk}: {rule.source})")
    return WorldBankTerms("ida", rule.grant_share, rule.terms if rule.grant_share < 1.0 else None, why,
                          row.placeholder or risk_row.placeholder or rule.placeholder)


def gpe_eligibility(profile: CountryProfile) -> tuple[bool, str]:
    """Whether a GPE grant goes in the country's source mix, and why: its World Bank income group is low or
    lower-middle (GPE's partner-country eligibility; the completion-rate condition for lower-middle income countries
    and the small-state exceptions are not checked).

    Examples
    --------
    >>> gpe_eligibility(country_profiles()["PER"])[0]
    False
    """
    group = profile.income_group
    if group is None:
        return False, (f"no GPE grant: the {profile.iso3} profile has no income_group, on which GPE eligibility rests "
                       f"({GPE_SOURCE})")
    row = profile.values["income_group"]
    said = f"income group {group} (profile {profile.iso3}.income_group{_flag(row)})"
    if group in GPE_INCOME_GROUPS:
        return True, f"{said}: eligible for GPE funding ({GPE_SOURCE})"
    return False, f"no GPE grant: {said} is not eligible for GPE funding ({GPE_SOURCE})"


@dataclass(frozen=True)
class PlanProgramme:
    """A programme of the plan: the ``[[programme]]`` table the file writes, a comment for some of its keys, and the
    programme with its template's fields (pillar, driver, shares, cost lines), to size the World Bank source."""

    raw: dict[str, Any]
    notes: dict[str, str]
    expanded: dict[str, Any]


def plan_programmes(plan: Sequence[str] | None, profile: CountryProfile | None = None, start_year: int = 2026,
                    years: int = 10) -> list[PlanProgramme]:
    """The programmes of a plan: the default plan (:data:`DEFAULT_PLAN`); the named templates of
    ``data/templates.toml`` in the order given (each with the default plan's target where it has one); or, for one
    name ending in ``.toml``, the ``[[programme]]`` tables of that plan template (a scenario file without a country,
    as a portfolio's ``template``: :func:`~dfl_finance.inputs.portfolio.country_plan` checks that its amounts carry
    over to the country). A connectivity template starts from the profile's ``connected_share``.

    Raises OptionError at ``plan`` for an empty plan, a name that is not a template, a name given twice, or a plan
    file without programmes; ScenarioError for a plan file that cannot be read or does not carry over.
    """
    names = [p.strip() for p in plan if p.strip()] if plan is not None else [t for t, _, _ in DEFAULT_PLAN]
    if len(names) == 1 and names[0].endswith(".toml"):
        return _plan_file(Path(names[0]), profile)
    library = templates()
    unknown = [n for n in names if n not in library]
    if not names or unknown:
        raise OptionError("plan", ("no template named " + ", ".join(repr(n) for n in unknown) if unknown
                                   else "no template given: name at least one") + f" (known: "
                          f"{known(library, limit=30)}; or a plan template file, plan.toml)")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise OptionError("plan", f"a template named twice: {', '.join(twice)} (each programme once)")
    targets = {name: (share, offset) for name, share, offset in DEFAULT_PLAN}
    connected = profile.values.get("connected_share") if profile is not None else None
    last = start_year + years - 1
    out: list[PlanProgramme] = []
    for template in names:
        share, offset = targets.get(template, (None, None))
        tpl = library[template]
        raw: dict[str, Any] = {"template": template}
        notes = {"template": f"{PILLAR_WORDS.get(template.split('-')[0], 'the plan')}: {tpl.get('name', template)}"}
        pid = template_programme_id(template)
        start = float(tpl.get("start_share", 0.0))
        if template.startswith("connectivity") and "connectivity" not in [p.expanded["id"] for p in out]:
            pid = raw["id"] = "connectivity"
            if connected is not None and not isinstance(connected.value, str) and profile is not None:
                start = raw["start_share"] = min(max(float(connected.value), 0.0), 1.0)
                notes["start_share"] = _said(profile, "connected_share")
        if share is not None:
            raw["target_share"] = max(share, start)
            notes["target_share"] = f"a plan choice, not a sourced value: {max(share, start):.0%} of the driver reached"
        if offset is not None:
            raw["target_year"] = min(start_year + offset, last)
            notes["target_year"] = "a plan choice: the year the target is reached"
        out.append(PlanProgramme(raw, notes, {**tpl, **raw, "id": pid}))
    return out


def _plan_file(path: Path, profile: CountryProfile | None) -> list[PlanProgramme]:
    """The programmes of a plan template file, as they carry over to ``profile``'s country."""
    raw = read_toml(path, "plan template")
    if profile is not None:
        raw = country_plan(raw, profile)
    rows = raw.get("programme")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise OptionError("plan", f"{path}: a plan template has [[programme]] tables (none found)")
    expanded = apply_templates({"programme": rows})["programme"]
    return [PlanProgramme(dict(r), {next(iter(r)): f"from the plan template {path.name}, programme[{i}]"},
                          {"id": template_programme_id(str(r.get("template", ""))), **e})
            for i, (r, e) in enumerate(zip(rows, expanded))]


def required_fields(profile: CountryProfile | None, plan: Sequence[PlanProgramme]) -> list[str]:
    """The profile fields a scenario of ``plan`` needs: the currency, the education budget, the exchange rate
    (outside USD), the lending category (and the risk of debt distress of an IDA-only country), and the count of
    each driver the plan's programmes use."""
    drivers = [p.expanded.get("driver") for p in plan]
    out = ["currency", "education_budget", "lending_category"]
    currency = profile.currency if profile is not None else None
    if currency != "USD":
        out.append("fx_rate")
    if profile is None or _text(profile, "lending_category") == "ida-only":
        out.append("debt_risk")
    out += [d for d in COUNTED_DRIVERS if d in drivers]
    return out


def plan_name(profile: CountryProfile) -> str:
    """The default name of a country's scenario: ``"<country>: data for learning plan"``."""
    return f"{profile.name}: data for learning plan"


def country_scenario(iso3: str, plan: Sequence[str] | None = None, start_year: int = 2026, years: int = 10,
                     name: str | None = None) -> str:
    """The TOML text of a complete scenario for the profiled country ``iso3``, every value with a comment that
    says where it came from (see the module's docstring); it validates and runs.

    ``plan``: names of templates in ``data/templates.toml`` (default: :data:`DEFAULT_PLAN`, the three pillars).

    Raises
    ------
    OptionError
        At ``country``: no profile with this code, or the profile lacks a field the scenario needs (the message names
        the fields and how to give them); at ``plan``: a name that is not a template.

    Examples
    --------
    >>> text = country_scenario("KEN")
    >>> 'currency = "KES"' in text and 'terms = "ida21-blend-fixed"' in text
    True
    """
    code = iso3.strip().upper()
    profiles = country_profiles()
    profile = profiles.get(code)
    programmes = plan_programmes(plan, profile, start_year, years)
    if profile is None:
        need = [f + _WHEN.get(f, "") for f in required_fields(None, programmes)]
        raise OptionError("country", f"no country profile {code!r} in {PROFILE_FILE} (profiled: "
                          f"{known(sorted(profiles), limit=20)}). Give its values as rows of a profiles CSV named by "
                          f"{PROFILES_ENV} (columns {PROFILE_COLUMNS}, as in {PROFILE_FILE}; one row per field, "
                          "each with its source), at least: "
                          f"{', '.join(need)}; and, where public figures exist: {', '.join(OPTIONAL_FIELDS)}. Or "
                          f"fill them from public datasets with {IMPORT_WORDS}")
    if years < 1 or not 1900 <= start_year <= 2200:
        raise OptionError("start_year" if years >= 1 else "years", "a start year from 1900 to 2200 and at least "
                          f"one year (got {start_year}, {years})")
    currency = profile.currency
    missing = [f for f in required_fields(profile, programmes)
               if f not in profile.values or (f == "education_budget" and currency is not None
                                              and _budget(profile, currency) is None)]
    if missing:
        raise _missing(profile, [f + _WHY.get(f, "") for f in missing])
    if currency is None:  # named above (required_fields); again for the type checker
        raise _missing(profile, ["currency"])
    wb = world_bank_terms(profile)
    gpe, gpe_why = gpe_eligibility(profile)
    raw_meta = {"currency": currency, "start_year": start_year, "price_year": start_year}
    filled = profile_defaults({"scenario": raw_meta, "context": {"budget_scope": "total"}}, profile)
    dated = {f"{table}.{field}": value for table, values in filled.items() for field, (value, _) in values.items()
             if field.endswith("_year") and isinstance(value, int)}
    late = {k: v for k, v in dated.items() if v > start_year + years - 1}
    if late:
        first = max(late.values())
        raise OptionError("start_year", f"the {code} profile's values are of {first} "
                          f"({', '.join(f'{k} {v}' for k, v in late.items())}), after the plan's last year "
                          f"{start_year + years - 1}: start the plan in {first - years + 1} or later")

    doc = _Doc()
    doc.comment(f"{profile.name} ({code}): a data-for-learning plan written by `dfl-finance new --country {code}` "
                f"(or the app's \"Start from a country\") from the {code} country profile ({PROFILE_FILE}), the "
                "programme templates (data/templates.toml), the unit costs (data/unit_costs.csv) and the term sheets "
                "(data/loan_terms.csv, data/ida_terms_by_risk.csv). Each value says where it came from; a value "
                f"marked {PLACEHOLDER} has no public source yet. Edit it: what the file writes wins over the profile "
                "and the templates.")
    usd_inflation = profile.number("usd_inflation")
    us = 0.0 if usd_inflation is None else usd_inflation
    discount = round((1 + IMF_RATE) / (1 + us) - 1, 4)

    meta = doc.table("scenario")
    meta.put("name", name or plan_name(profile), "the plan's name in every output")
    meta.put("description", _description(profile, wb, gpe), "what follows, in words")
    meta.put("country", code, f"the country profile ({PROFILE_FILE}); it also fills what this file leaves out")
    meta.put("start_year", start_year, "the first year of the plan")
    meta.put("years", years, "the plan's horizon")
    meta.put("currency", currency, _said(profile, "currency"))
    meta.put("price_year", start_year, "amounts are in constant prices of the plan's first year")
    meta.put("discount_rate", discount, f"the IMF's unified 5%, a nominal USD rate, in real terms: 1.05 / (1 + "
             f"{us:g} US inflation) - 1" + (f" ({_said(profile, 'usd_inflation')})" if usd_inflation is not None
                                             else " (no usd_inflation in the profile: 0)"))
    meta.put("discount_basis", "real", "the same real rate in every currency")

    context = doc.table("context")
    for field, (value, source) in filled["context"].items():
        context.put(field, value, _said(profile, str(source), field=field))
    context.put("burden_limit", BURDEN_LIMIT, "a policy choice, not a sourced value: the plan may take 3% of the "
                "education budget")
    if profile.values.get("education_budget_non_wage") is not None:
        context.note("budget_scope = \"non-wage\" judges the plan against the budget that is not teacher pay "
                     f"(profile {code}.education_budget_non_wage)")

    if filled["macro"]:
        macro = doc.table("macro")
        for field, (value, source) in filled["macro"].items():
            if field == "fx_year":
                macro.put(field, value, "the year of fx_rate" + (" (data/price_history.csv)" if source == FX_HISTORY
                                                                  else f" (profile {code}.fx_rate)"))
            else:
                macro.put(field, value, _fx_said(profile, currency, start_year) if source == FX_HISTORY
                          else _said(profile, str(source), field=field))
        trend = real_exchange_trend(currency, start_year)
        macro.note("the exchange-rate path: fx_rate moved by relative inflation (inflation against usd_inflation), "
                   "with no real depreciation (real_depreciation = 0, the default)" + (
                       f"; real_depreciation = \"history\" takes {currency}'s own trend in data/price_history.csv "
                       f"({trend.rate:+.2%} a year, {trend.first}-{trend.last})" if trend is not None else
                       f"; data/price_history.csv has no real trend of {currency}"))
    if filled["debt"]:
        debt = doc.table("debt")
        debt.note("the debt-sustainability view (dsf.csv): amounts in USD, from the profile")
        for field, (value, source) in filled["debt"].items():
            debt.put(field, value, _said(profile, str(source), field=field))
        sd_filled = profile.debt_sd()
        if sd_filled:  # the LIC-DSF stress tests' standard deviations (what loading the file would fill anyway)
            sd = doc.table("debt.sd")
            sd.note("the LIC-DSF standardised stress tests' standard deviations (dfl-finance stress), from the "
                    "profile; the primary balance and other flows have no public series here: give them to run "
                    "those tests")
            for field, (value, source) in sd_filled.items():
                sd.put(field, value, _said(profile, source))

    doc.section("the plan: the three pillars (connectivity; data systems: EMIS and devices; data skills and "
                "governance), programme templates of data/templates.toml, their unit costs and sources in each cost "
                "line's source_note")
    last = start_year + years - 1
    for programme in programmes:
        prog = doc.item("programme")
        for key, value in programme.raw.items():
            prog.put(key, value, programme.notes.get(key))
    eligible = _eligible(programmes)
    counts = {k: float(v) for k, (v, _) in filled["context"].items() if k in COUNTED_DRIVERS
              and isinstance(v, (int, float))}
    fx = filled["macro"].get("fx_rate", (None, ""))[0]
    size, terms_said = first_investment([p.expanded for p in programmes], counts, eligible, currency,
                                        float(fx) if isinstance(fx, (int, float)) else None)
    doc.section("financing")
    wb_ids = []
    if gpe:
        wb_ids = [wb.id] if wb.grant_share in (0.0, 1.0) else [f"{wb.id}_grant", wb.id]
        src = doc.item("source")
        src.put("id", "gpe", gpe_why)
        src.put("name", "GPE multiplier grant", None)
        src.put("kind", "grant", None)
        src.put("priority", 0, "GPE pays first, within its match")
        src.put("match", {"sources": wb_ids, "ratio": GPE_RATIO, "basis": "commitments"}, "GPE Multiplier: 1 USD "
                "per 3 USD that donors and development banks commit (GPE, 'GPE Multiplier'), assessed on commitments")
        src.put("commitment", GPE_COMMITMENT, f"USD. {PLACEHOLDER}: an illustrative allocation (GPE's maximum country "
                "allocation was not read)")
        src.put("first_year", start_year, None)
        src.put("last_year", min(start_year + GPE_YEARS - 1, last), None)
    else:
        doc.note(gpe_why)
    label = {"ida": "IDA", "ibrd": "IBRD"}[wb.id]
    flag = f"{PLACEHOLDER} (the rule rests on a placeholder in data/): " if wb.placeholder else ""
    parts: list[tuple[str, str, float | None]] = []
    if wb.grant_share > 0.0:
        parts.append((f"{wb.id}_grant" if wb.grant_share < 1.0 else wb.id, "grant", wb.grant_share))
    if wb.grant_share < 1.0:
        parts.append((wb.id, "loan", None))
    for k, (sid, kind, share_cap) in enumerate(parts):
        src = doc.item("source")
        src.put("id", sid, flag + wb.why if k == 0 else None)
        sheet = loan_terms().get(wb.terms or "")
        src.put("name", f"{label} grant" if kind == "grant" else f"{label} {'loan' if wb.id == 'ibrd' else 'credit'}",
                None)
        src.put("kind", kind, None)
        if kind == "loan":
            src.put("terms", wb.terms, f"data/loan_terms.csv: {sheet.source}" if sheet is not None else None)
        src.put("priority", 1 + k, None)
        if share_cap is not None and share_cap < 1.0:
            src.put("share_cap", share_cap, "IDA's grant share at this risk (data/ida_terms_by_risk.csv)")
        if eligible:
            src.put("eligible", eligible, "the investment (capex) of the plan's infrastructure")
        part = size * (share_cap if share_cap is not None else 1.0 - wb.grant_share)
        whole = share_cap is None and wb.grant_share == 0.0
        src.put("commitment", float(max(math.ceil(part / 1e6), 1) * 1e6), f"USD. {PLACEHOLDER}: sized at the plan's "
                f"first investment in what it may pay{'' if whole else ' (its share)'}, rounded up to a million: "
                f"{terms_said} (template unit costs at their price years, without "
                "replacements or inflation); give the size agreed with the World Bank")
        src.put("first_year", start_year, None)
        src.put("last_year", min(start_year + WB_YEARS - 1, last), None)
    src = doc.item("source")
    src.put("id", "mof", "the government's own budget pays what the others do not, up to its cap")
    src.put("name", "Education budget", None)
    src.put("kind", "domestic", None)
    src.put("budget_share_cap", BURDEN_LIMIT, "a policy choice: at most 3% of the education budget a year (net of "
            "the plan's debt service)")
    return doc.text()


def first_investment(programmes: Sequence[dict[str, Any]], counts: dict[str, float], eligible: Sequence[str],
                     currency: str = "USD", fx: float | None = None) -> tuple[float, str]:
    """The first investment (USD) of the programmes whose capex is ``eligible`` (all when it is empty), and its
    arithmetic in words: ``Σ capex unit cost × driver count × (target share - start share) + fixed capex`` (each
    ``fixed_capex`` line once per year of its schedule, once without one). A line in ``currency`` (a line without
    one is in it) is converted at ``fx`` (``currency`` per USD). Replacements, price years and inflation are left
    out: it sizes a World Bank commitment, not the plan's cost. ``programmes``: expanded (``id``, ``driver``,
    ``start_share``, ``target_share``, ``cost``).

    Examples
    --------
    200 schools of 1,000 to reach (0.3 to 0.5) at 50 a school, and a platform of 1,000 once: 50 x 200 + 1,000:

    >>> p = {"id": "t", "driver": "schools", "start_share": 0.3, "target_share": 0.5,
    ...      "cost": [{"kind": "capex", "unit_cost": 50.0, "currency": "USD"},
    ...               {"kind": "fixed_capex", "unit_cost": 1000.0, "currency": "USD"}]}
    >>> first_investment([p], {"schools": 1000.0}, [])
    (11000.0, '50.00 x 200 schools + 1,000 = 11,000')
    """
    total, terms = 0.0, []
    for prog in programmes:
        pid = str(prog.get("id"))
        if eligible and f"{pid}:capex" not in eligible and pid not in eligible:
            continue
        driver = str(prog.get("driver", "none"))
        units = counts.get(driver, 0.0) * max(float(prog.get("target_share", 1.0))
                                              - float(prog.get("start_share", 0.0)), 0.0)
        for line in prog.get("cost", []):
            local = (line.get("currency") or currency) != "USD"
            cost = float(line["unit_cost"]) / (fx if local and fx else 1.0)
            if line.get("kind") == "capex" and units > 0:
                total += cost * units
                terms.append(f"{cost:,.2f} x {units:,.0f} {driver}")
            elif line.get("kind") == "fixed_capex":
                times = len(line.get("schedule") or [0])
                total += cost * times
                terms.append(f"{cost:,.0f}" + (f" x {times}" if times > 1 else ""))
    return total, (" + ".join(terms) or "nothing") + f" = {total:,.0f}"


# ---------------------------------------------------------------------------------------------------- helpers

def _text(profile: CountryProfile, field: str) -> str | None:
    v = profile.values.get(field)
    return None if v is None else str(v.value)


def _flag(row: ProfileValue) -> str:
    return f", {PLACEHOLDER}" if row.placeholder else ""


def _budget(profile: CountryProfile, currency: str) -> object:
    return profile.defaults(currency)["context"].get("education_budget")


def _missing(profile: CountryProfile, fields: list[str], bad: dict[str, str] | None = None,
             why: str | None = None) -> OptionError:
    """The error for a profile that lacks (or has unusable) fields a scenario needs: which, and how to give them."""
    parts = []
    if fields:
        parts.append(f"the {profile.iso3} profile ({profile.name}) lacks {', '.join(fields)}"
                     + (f" ({why})" if why else ""))
    parts += [f"the {profile.iso3} profile's {f}: {message}" for f, message in (bad or {}).items()]
    return OptionError("country", "; ".join(parts) + f". Give {'them' if len(fields) + len(bad or {}) > 1 else 'it'}"
                       f" as rows of {PROFILE_FILE} (columns {PROFILE_COLUMNS}), each with its source, or fill the "
                       f"profile from public datasets with {IMPORT_WORDS}")


def _said(profile: CountryProfile, source: str, field: str | None = None) -> str:
    """Where a profile value comes from: ``profile KEN.fx_rate (2024): <source>``, PLACEHOLDER in front if so."""
    if source == "public_expenditure" and field == "education_share":
        return (f"derived: profile {profile.iso3}.education_budget / {profile.iso3}.public_expenditure (GPE's 20% "
                f"benchmark); {_said(profile, 'public_expenditure', 'public_expenditure')}")
    row = profile.values.get(source)
    if row is None:
        return f"profile {profile.iso3}.{source}"
    if field is not None and field.endswith("_year"):
        return f"the year of profile {profile.iso3}.{source}"
    year = f" ({row.year})" if row.year is not None else ""
    text = f"profile {profile.iso3}.{source}{year}: {row.source}"
    return f"{PLACEHOLDER}: {text}" if row.placeholder and PLACEHOLDER not in row.source else text


def _fx_said(profile: CountryProfile, currency: str, year: int) -> str:
    obs = observed_fx(currency, year)
    if obs is None:
        return _said(profile, "fx_rate")
    text = f"data/price_history.csv, {currency} per USD in {obs.year} (the latest observed by the price year): " \
           f"{obs.source}"
    return f"{PLACEHOLDER}: {text}" if obs.placeholder and PLACEHOLDER not in obs.source else text


def _eligible(programmes: Sequence[PlanProgramme]) -> list[str]:
    """``id:capex`` of each programme of the infrastructure pillar that has an investment (capex or fixed_capex),
    else of every programme that has one (empty: the loan may pay any cost)."""
    def invests(p: PlanProgramme) -> bool:
        return any(str(c.get("kind", "")).endswith("capex") for c in p.expanded.get("cost", []))

    first = [f"{p.expanded['id']}:capex" for p in programmes if invests(p)
             and p.expanded.get("pillar") == "infrastructure"]
    return first or [f"{p.expanded['id']}:capex" for p in programmes if invests(p)]


def _description(profile: CountryProfile, wb: WorldBankTerms, gpe: bool) -> str:
    label = {"ida": "IDA", "ibrd": "IBRD"}[wb.id]
    how = (f"{label} grants" if wb.grant_share >= 1.0 else f"an {label} {'loan' if wb.id == 'ibrd' else 'credit'} "
           f"on {wb.terms} terms" + (f" with {wb.grant_share:.0%} grants" if wb.grant_share > 0 else ""))
    return (f"Connectivity, data systems (EMIS, devices), data skills and governance for {profile.name}, from its "
            f"country profile: {how} for the investment"
            + (", a GPE multiplier grant matched on it" if gpe else "") + ", and the education budget for the rest.")


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH - 2, break_long_words=False, break_on_hyphens=False) or [""]


class _Table:
    """A table of the file being written: keys in order, each with its comment lines above it."""

    def __init__(self, header: str) -> None:
        self.lines = [header]

    def put(self, key: str, value: Any, comment: str | None) -> None:
        if comment:
            self.lines += [f"# {line}" for line in _wrap(comment)]
        self.lines.append(f"{key} = {_toml(value)}")

    def note(self, comment: str) -> None:
        self.lines += [f"# {line}" for line in _wrap(comment)]


class _Doc:
    """The file: a comment at the top, then tables and arrays of tables in order."""

    def __init__(self) -> None:
        self.parts: list[_Table | str] = []

    def comment(self, text: str) -> None:
        self.parts.append("\n".join(f"# {line}" for line in _wrap(text)))

    def note(self, text: str) -> None:
        self.comment(text)

    def section(self, title: str) -> None:
        lines = _wrap("-" * 16 + " " + title)
        self.parts.append("\n".join(f"# {line}" for line in lines))

    def table(self, name: str) -> _Table:
        t = _Table(f"[{name}]")
        self.parts.append(t)
        return t

    def item(self, name: str) -> _Table:
        t = _Table(f"[[{name}]]")
        self.parts.append(t)
        return t

    def text(self) -> str:
        return "\n\n".join(p if isinstance(p, str) else "\n".join(p.lines) for p in self.parts) + "\n"


def _toml(value: Any) -> str:
    """A TOML value on one line (strings, whole numbers, floats, booleans, lists and inline tables of them)."""
    import tomli_w  # loaded when a scenario is written, not by validate

    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()

"""References from a scenario to ``data/``: country profiles, programme templates and loan term sheets.

:func:`expand_references` is a pure override merge applied to the parsed file before validation: the profile fills
``[context]``, a template fills a programme and a term sheet fills a loan; what the file writes always wins.
:func:`placeholder_fields` is the one place that says which values of a scenario have no public source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.profiles import (
    CountryProfile,
    Observation,
    TermSheet,
    country_profiles,
    loan_terms,
    macro_data,
    observed_fx,
    real_exchange_trend,
    template_programme_id,
    templates,
)

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario

#: Fields a profile fills with the year of another value (not values of their own).
YEAR_FIELDS = ("budget_year", "fx_year", "data_year")
#: The word that marks a value without a public source, in data/ and in a cost line's ``source_note``.
PLACEHOLDER = "PLACEHOLDER"


def is_placeholder_note(note: str | None) -> bool:
    """Whether a source note says its value has no public source."""
    return note is not None and PLACEHOLDER in note


def expand_references(raw: dict[str, Any]) -> dict[str, Any]:
    """The parsed scenario with its references to data/ expanded (raises ScenarioError for unknown names)."""
    return apply_loan_terms(apply_templates(apply_country_profile(raw)))


def apply_country_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill ``[context]`` fields the file does not give from the country profile named in ``scenario.country``.

    A pure override merge: the file's values win. Unknown countries are a problem at ``scenario.country``.
    """
    meta = raw.get("scenario")
    country = meta.get("country") if isinstance(meta, dict) else None
    if not isinstance(country, str):
        return raw
    profiles = country_profiles()
    if country not in profiles:
        raise ScenarioError([Problem("scenario.country", f"no country profile with this code in data/ "
                                     f"(known: {known(sorted(profiles))}; `dfl-finance country import` writes "
                                     "one from public data files)", country)])
    out = dict(raw)
    for table, values in profile_defaults(raw, profiles[country]).items():
        given = raw.get(table, {})
        if not isinstance(given, dict):
            continue  # pydantic reports the wrong type
        out[table] = {**{k: v for k, (v, _) in values.items()}, **given}
    return _profile_sd(out, profiles[country])


def _profile_sd(raw: dict[str, Any], profile: CountryProfile) -> dict[str, Any]:
    """Fill ``[debt.sd]`` fields the file does not give from the profile's historical standard deviations
    (:meth:`CountryProfile.debt_sd`), where the scenario has a ``[debt]`` table; the file's own win, field by
    field."""
    debt, filled = raw.get("debt"), profile.debt_sd()
    if not isinstance(debt, dict) or not filled:
        return raw
    given = debt.get("sd", {})
    if not isinstance(given, dict):
        return raw  # pydantic reports the wrong type
    return {**raw, "debt": {**debt, "sd": {**{k: v for k, (v, _) in filled.items()}, **given}}}


def profile_defaults(raw: dict[str, Any], profile: CountryProfile) -> dict[str, dict[str, tuple[object, str]]]:
    """What ``profile`` fills in the parsed scenario ``raw``: ``{table: {field: (value, profile field)}}``, without
    what the file decides itself (a budget written in the file keeps its own year; an exchange rate or path written
    in the file keeps the file's)."""
    def table(name: str) -> dict[str, Any]:
        value = raw.get(name)
        return value if isinstance(value, dict) else {}

    meta, context, macro = table("scenario"), table("context"), table("macro")
    currency = meta.get("currency", "USD")
    scope = context.get("budget_scope", "total")
    filled = profile.defaults(currency if isinstance(currency, str) else "USD",
                              scope if isinstance(scope, str) else "total")
    if context.get("education_budget") is not None:
        filled["context"].pop("budget_year", None)
        filled["context"].pop("budget_external", None)  # the file's budget: its own external part, if any
    if macro.get("fx_rate") is not None or macro.get("fx_path") is not None:
        filled["macro"].pop("fx_rate", None)
        filled["macro"].pop("fx_year", None)
    else:
        start, price_year = meta.get("start_year"), meta.get("price_year")
        base = price_year if isinstance(price_year, int) else start
        if isinstance(base, int) and not isinstance(base, bool) and isinstance(currency, str):
            _observed_default(filled, currency, base)
    return filled


#: The "profile field" that :func:`profile_defaults` names for an exchange rate taken from the price history.
FX_HISTORY = "price_history.csv fx"


def _observed_default(filled: dict[str, dict[str, tuple[object, str]]], currency: str,
                      base_year: int) -> Observation | None:
    """Replace the profile's exchange rate in ``filled`` by the latest rate that data/price_history.csv observed in
    the base year or before it (with its year), where the profile fills one and the history has one."""
    if "fx_rate" not in filled["macro"]:
        return None
    obs = observed_fx(currency, base_year)
    if obs is not None:
        filled["macro"]["fx_rate"] = (obs.value, FX_HISTORY)
        filled["macro"]["fx_year"] = (obs.year, FX_HISTORY)
    return obs


def fx_assumption(scenario: Scenario) -> dict[str, object] | None:
    """The exchange-rate assumption of a scenario in words and numbers (None for a scenario in USD), as the run's
    manifest and the app state it: ``currency``, ``rate`` and ``year`` (the anchor: ``[macro] fx_rate`` and its
    year, or the first value of an ``fx_path``), ``origin`` (``price_history``: the latest rate data/price_history.csv
    observed by the price year, the default of a scenario with a country profile; ``profile``; ``file``),
    ``source`` and ``placeholder`` (of a data row), ``path`` (``relative inflation`` or ``fx_path``) and
    ``real_depreciation`` (a rate a year; with ``history``, the years it was estimated over)."""
    meta, macro = scenario.scenario, scenario.macro
    if meta.currency == "USD":
        return None
    out: dict[str, object] = {"scenario": scenario.name, "currency": meta.currency}
    if macro.fx_path is not None and (macro.fx_rate is None or (macro.fx_year or meta.base_year) >= meta.start_year):
        out.update(rate=macro.fx_path[0], year=meta.start_year, origin="file", path="fx_path")
    else:
        out.update(rate=macro.fx_rate, year=macro.fx_year if macro.fx_year is not None else meta.base_year,
                   origin="file", path="relative inflation" if macro.fx_path is None else "fx_path")
    profile = country_profiles().get(meta.country or "")
    if profile is not None and out["path"] == "relative inflation":
        filled = profile.defaults(meta.currency, scenario.context.budget_scope)
        obs = _observed_default(filled, meta.currency, meta.base_year)
        default = filled["macro"].get("fx_rate"), filled["macro"].get("fx_year")
        if default[0] is not None and (macro.fx_rate, out["year"]) == (default[0][0], default[1][0] if default[1]
                                                                        else meta.base_year):
            if obs is not None:
                out.update(origin="price_history", source=obs.source, placeholder=obs.placeholder)
            else:
                row = profile.values["fx_rate"]
                out.update(origin="profile", source=row.source, placeholder=row.placeholder)
    trend = macro.real_depreciation
    if trend == "history":
        rer = real_exchange_trend(meta.currency, meta.base_year)
        out["real_depreciation"] = None if rer is None else rer.rate
        out["real_depreciation_from"] = (f"data/price_history.csv, {rer.first}-{rer.last}" if rer is not None
                                         else "no history")
    else:
        out["real_depreciation"] = float(trend)
    return out



def fiscal_year_assumption(scenario: Scenario) -> dict[str, object]:
    """Where a scenario's fiscal year comes from, as the run's manifest and the CLI state it: ``fiscal_year_start``
    (a month), ``origin`` (``profile``: the country profile's sourced value, which a scenario without the field
    takes; ``file``: the scenario's own, different from its profile's; ``default``: January) and the profile row's
    ``source`` where it is the profile's."""
    month = scenario.scenario.fiscal_year_start
    out: dict[str, object] = {"scenario": scenario.name, "fiscal_year_start": month}
    profile = country_profiles().get(scenario.scenario.country or "")
    row = profile.values.get("fiscal_year_start") if profile is not None else None
    if row is not None and not row.placeholder and not isinstance(row.value, str) and int(float(row.value)) == month:
        out.update(origin="profile", source=row.source)
    elif month == 1:
        out["origin"] = "default"
    else:
        out["origin"] = "file"
    return out


#: An entry of a library in data/ (a term sheet, a template's fields).
_Entry = TypeVar("_Entry")


def _expand_references(raw: dict[str, Any], table: str, field: str, load_library: Callable[[], dict[str, _Entry]],
                       where: str, merge: Callable[[_Entry, dict[str, Any], int, list[Problem]], dict[str, Any]],
                       applies: Callable[[dict[str, Any]], bool] = lambda item: True) -> dict[str, Any]:
    """Expand the entries of ``raw[table]`` that name a library entry in ``field``: ``merge(entry, item, i)``.

    Entries that name no known library entry are problems at ``table[i].field``; the library is only loaded when
    some entry refers to it.
    """
    items = raw.get(table)
    if not isinstance(items, list) or not any(isinstance(x, dict) and field in x for x in items):
        return raw
    library = load_library()
    expanded: list[object] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        name = item.get(field) if isinstance(item, dict) else None
        if not isinstance(name, str) or not applies(item):
            expanded.append(item)
        elif name not in library:
            problems.append(Problem(f"{table}[{i}].{field}", f"no {field.replace('_', ' ')} with this name in "
                                    f"{where} (known: {known(library)})", name))
            expanded.append(item)
        else:
            expanded.append(merge(library[name], item, i, problems))
    if problems:
        raise ScenarioError(problems)
    return {**raw, table: expanded}


def apply_loan_terms(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill the loan fields of every ``[[source]]`` with ``terms = "..."`` from that term sheet in data/.

    Fields the file gives win. A file that sets ``repayment`` itself does not inherit the sheet's schedule.
    """
    def merge(sheet: TermSheet, src: dict[str, Any], i: int, problems: list[Problem]) -> dict[str, Any]:
        defaults = sheet.fields()
        if "repayment" in src:
            defaults.pop("schedule", None)
        if "rate_reference" in src:  # a variable-rate loan: its rate is the reference path plus the spread
            defaults.pop("rate", None)
        return {**defaults, **src}

    return _expand_references(raw, "source", "terms", loan_terms, "data/loan_terms.csv", merge,
                              applies=lambda src: src.get("kind") == "loan")


def apply_templates(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand ``[[programme]]`` entries with ``template = "..."``: the template's fields, overridden by the file's."""
    def merge(template: dict[str, Any], prog: dict[str, Any], i: int, problems: list[Problem]) -> dict[str, Any]:
        # template cost lines are priced in USD (each says so, with the year of its data row)
        return {"id": template_programme_id(prog["template"]), **template, **prog}

    return _expand_references(raw, "programme", "template", templates, "data/templates.toml", merge)


def fx_words(fx: dict[str, object]) -> str:
    """:func:`fx_assumption` in one sentence, as the app shows it beside the scenario's results.

    Examples
    --------
    >>> fx_words({"currency": "RWF", "rate": 1440.0, "year": 2025, "origin": "price_history", "path":
    ...           "relative inflation", "source": "BNR", "placeholder": True, "real_depreciation": 0.0})
    'Exchange rate: RWF 1,440 per USD in 2025 (the latest rate in data/price_history.csv by the price year: BNR; a \
placeholder), then relative inflation, with no real depreciation.'
    """
    origin = {"price_history": "the latest rate in data/price_history.csv by the price year",
              "profile": "the country profile", "file": "the scenario file"}[str(fx["origin"])]
    source = f": {fx['source']}" if fx.get("source") else ""
    flag = "; a placeholder" if fx.get("placeholder") else ""
    trend = fx.get("real_depreciation")
    if fx.get("real_depreciation_from"):
        trend_words = (f"a real depreciation of {trend:.2%} a year (the trend of {fx['real_depreciation_from']})"
                       if isinstance(trend, float) else "no trend: no history")
    else:
        trend_words = ("no real depreciation" if not trend else
                       f"a real {'depreciation' if float(str(trend)) > 0 else 'appreciation'} of "
                       f"{abs(float(str(trend))):.2%} a year")
    path = "the file's exchange-rate path" if fx["path"] == "fx_path" else "relative inflation"
    return (f"Exchange rate: {fx['currency']} {float(str(fx['rate'])):,.6g} per USD in {fx['year']} ({origin}"
            f"{source}{flag}), then {path}, with {trend_words}.")


def placeholder_fields(scenario: Scenario) -> list[tuple[str, str]]:
    """``(field path, note)`` for every value of ``scenario`` that has no public source.

    A cost line counts when its ``source_note`` says PLACEHOLDER (templates carry the note of the data rows they
    use); a ``[context]`` value counts when it is still the country profile's value and that value is a placeholder.
    """
    out = []
    if scenario.scenario.country:
        profile = country_profiles().get(scenario.scenario.country)
        # everything the profile can fill in this scenario; a value counts where the scenario holds it unchanged
        filled = profile.defaults(scenario.scenario.currency, scenario.context.budget_scope) if profile else {}
        fx = (_observed_default(filled, scenario.scenario.currency, scenario.scenario.base_year)
              if filled and scenario.macro.fx_path is None else None)
        if fx is not None and fx.placeholder and (scenario.macro.fx_rate, scenario.macro.fx_year) == (fx.value,
                                                                                                     fx.year):
            out.append(("macro.fx_rate", fx.source))
        for table, values in filled.items():
            for field, (default, name) in values.items():
                if field in YEAR_FIELDS:
                    continue  # the year a value refers to, not a value of its own
                row = profile.values.get(name) if profile else None
                if row is not None and row.placeholder and getattr(getattr(scenario, table), field) == default:
                    out.append((f"{table}.{field}", row.source))
    bond = scenario.context.gap_financing
    if bond is not None and is_placeholder_note(bond.note):
        out.append(("context.gap_financing.rate", bond.note))
    for i, p in enumerate(scenario.programme):
        for j, line in enumerate(p.cost):
            if is_placeholder_note(line.source_note):
                out.append((f"programme[{i}].cost[{j}].unit_cost", line.source_note))
    return out


def price_history_warnings(scenario: Scenario) -> list[Problem]:
    """Amounts quoted in a year before start_year that the consumer price index of data/price_history.csv does not
    reach: those years are deflated at the first projection year's rate, an assumption the user should see."""
    meta, macro = scenario.scenario, scenario.macro
    local = meta.currency
    cpi = macro_data().cpi
    quoted: list[tuple[str, int, str]] = []
    for i, p in enumerate(scenario.programme):
        for j, c in enumerate(p.cost):
            if c.price_year is not None:
                quoted.append((f"programme[{i}].cost[{j}].price_year", c.price_year, scenario.line_currency(c)))
    if scenario.context.budget_year is not None:
        quoted.append(("context.budget_year", scenario.context.budget_year, local))
    out = []
    for path, year, currency in quoted:
        is_local = currency == local
        rate = macro.inflation if is_local else macro.usd_inflation
        if year >= meta.start_year or rate is None:
            continue  # inside the plan, or flat prices
        history = cpi.get(currency, {})
        missing = [y for y in range(year + 1, meta.start_year) if y not in history or y - 1 not in history]
        if missing:
            first = rate[0] if isinstance(rate, list) else rate
            span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}-{missing[-1]}"
            out.append(Problem(path, f"{currency} prices of {span} are not in data/price_history.csv: those years "
                               f"are deflated at the first projection year's {'' if is_local else 'US '}inflation "
                               f"({first:.1%}); check the price year", year))
    return out


"""Rules that involve more than one field of a scenario, warnings, and rules across scenarios.

:func:`consistency_problems` runs inside validation (every scenario that exists passed it) and reports every
problem at once. :func:`scenario_warnings` lists what is allowed but probably not meant (a source that can pay
nothing); the command line and the app show them. :func:`duplicate_name_problems` is the rule that scenarios shown
or written together have distinct names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dfl_finance.errors import Problem, known
from dfl_finance.inputs.budget import classification_problems
from dfl_finance.inputs.instruments import also_allowed, instrument_problems
from dfl_finance.inputs.models import LOAN_FIELDS, PPP_FIELDS
from dfl_finance.inputs.mtef import mtef_problems
from dfl_finance.inputs.profiles import real_exchange_trend
from dfl_finance.inputs.references import price_history_warnings
from dfl_finance.inputs.regions import region_problems
from dfl_finance.inputs.stress import stress_problems
from dfl_finance.inputs.uncertain import pledge_problems, uncertain_problems
from dfl_finance.vocabulary import (
    BLEND_TERMS_CATEGORIES,
    COST_CLASSES,
    COUNTED_DRIVERS,
    GAP,
    GPE_EDUCATION_SHARE,
    GROWTH_BOUNDS,
    INFLATION_BOUNDS,
    PER_UNIT_KINDS,
    USD,
)
from dfl_finance.vocabulary import SCHOOL_ORDERS as ORDERS
from dfl_finance.vocabulary import SCHOOL_PLAN_NOTE as GENERATED
from dfl_finance.vocabulary import SCHOOL_TECHNOLOGIES as TECHNOLOGIES

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Programme, Scenario, Source

#: A repayment schedule's shares must add up to 1 within this tolerance (published IDA schedules such as 3.45% x 29
#: years = 100.05% or 16.67% x 6 = 100.02% do not add up exactly); the last payment settles the difference.
SCHEDULE_SUM_TOLERANCE = 0.005

REQUIRED_CONTEXT = (*COUNTED_DRIVERS, "education_budget")


def consistency_problems(sc: Scenario) -> list[Problem]:
    """Rules that involve more than one field. Returns every problem found, not only the first."""
    out: list[Problem] = []
    first, last = sc.scenario.start_year, sc.end_year
    for field in REQUIRED_CONTEXT:
        if getattr(sc.context, field) is None:
            where = ("required: give it in [context] or set scenario.country to a profile that has it (a profile's "
                     "budget fills a scenario in the profile's currency or in USD)" if field == "education_budget"
                     else "required: give it in [context] or set scenario.country to a profile that has it")
            out.append(Problem(f"context.{field}", where, has_value=False))
    ctx = sc.context
    if ctx.budget_external is not None and ctx.education_budget is not None \
            and ctx.budget_external >= ctx.education_budget:
        out.append(Problem("context.budget_external", f"must be less than education_budget "
                           f"({ctx.education_budget:,.10g}): the externally financed part of the budget",
                           ctx.budget_external))
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
        out += _school_link_problems(i, p, sc)
        out += _outcome_problems(i, p, sc)
        for j, c in enumerate(p.cost):
            cw = f"{where}.cost[{j}]"
            if p.driver == "none" and c.kind in PER_UNIT_KINDS:
                out.append(Problem(f"{cw}.kind", "a programme with driver = \"none\" has only fixed_capex and "
                                   "fixed_opex lines", c.kind))
            if c.kind != "capex":
                if c.lifetime is not None:
                    out.append(Problem(f"{cw}.lifetime", f"only capex lines have a lifetime (kind is {c.kind})",
                                       c.lifetime))
                if c.replace_existing:
                    out.append(Problem(f"{cw}.replace_existing", f"only capex lines replace units (kind is "
                                       f"{c.kind})", c.replace_existing))
            if c.kind != "opex" and not c.pay_existing:
                out.append(Problem(f"{cw}.pay_existing", f"only opex lines leave out the units reached before "
                                   f"start_year (kind is {c.kind})", c.pay_existing))
            if c.price_range is not None and not c.price_range[0] <= c.price_range[1]:
                out.append(Problem(f"{cw}.price_range", "must be [low, high] with low <= high", c.price_range))
            elif c.price_range is not None and c.uncertain == "from-data" and not (
                    c.price_range[0] <= c.unit_cost <= c.price_range[1]):
                out.append(Problem(f"{cw}.price_range", f"with uncertain = \"from-data\" the unit cost "
                                   f"({c.unit_cost:g}) is the mode of a triangular over the range: it must lie in "
                                   "it", c.price_range))
            if c.uncertain == "from-data" and c.price_range is None:
                out.append(Problem(f"{cw}.uncertain", "from-data needs a price_range (template lines have one where "
                                   "data/unit_cost_ranges.csv gives it; this line has none)", c.uncertain))
            if c.profile is not None:
                if c.kind not in ("fixed_capex", "fixed_opex"):
                    out.append(Problem(f"{cw}.profile", f"only fixed_capex and fixed_opex lines have a profile (kind "
                                       f"is {c.kind})", c.profile))
                out += _per_year_problems(f"{cw}.profile", c.profile, sc)
                if c.schedule is not None:
                    out.append(Problem(f"{cw}.schedule", "give a profile or a schedule, not both", c.schedule))
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
    out += _price_problems(sc)
    out += classification_problems(sc)
    if sc.uncertain:
        out += uncertain_problems(sc)
    if any(s.disbursement_share is not None or s.disbursement_lag is not None for s in sc.source):
        out += pledge_problems(sc)
    if sc.stress:
        out += stress_problems(sc)
    if sc.region or any(p.regions is not None for p in sc.programme):
        out += region_problems(sc)
    if sc.mtef:
        out += mtef_problems(sc)
    return out


def _school_link_problems(i: int, p: object, sc: Scenario) -> list[Problem]:
    """A programme's cost lines against its school table: one or the other; the link's order and technologies."""
    out: list[Problem] = []
    link = getattr(p, "schools", None)
    cost = getattr(p, "cost", [])
    if link is None:
        if not cost:
            out.append(Problem(f"programme[{i}].cost", "a programme needs at least one cost line (or a school table: "
                               "[programme.schools])", has_value=False))
        return out
    written = [c for c in cost if not c.source_note.startswith(GENERATED)]
    if written:
        out.append(Problem(f"programme[{i}].cost", "a programme with a school table takes its cost lines from it: "
                           "remove the cost lines (and the template) written here", [c.item for c in written]))
    if link.order not in ORDERS:
        out.append(Problem(f"programme[{i}].schools.order", f"one of {', '.join(ORDERS)}", link.order))
    if link.target_year is not None and not sc.scenario.start_year <= link.target_year <= sc.end_year:
        out.append(Problem(f"programme[{i}].schools.target_year", f"inside the horizon {sc.scenario.start_year}.."
                           f"{sc.end_year}", link.target_year))
    bad = [t for t in (link.prefer or []) if t not in TECHNOLOGIES]
    if bad or link.prefer == []:
        out.append(Problem(f"programme[{i}].schools.prefer", f"technologies among {', '.join(TECHNOLOGIES)}",
                           link.prefer))
    return out


def _per_year_problems(field: str, value: object, sc: Scenario) -> list[Problem]:
    """A value given per projection year (a list) must have one per year: the problem, else none."""
    years = sc.scenario.years
    if not isinstance(value, list) or len(value) == years:
        return []
    what = "shorter than" if len(value) < years else "longer than"
    return [Problem(field, f"is {what} the horizon: give one value per projection year ({years} values for "
                    f"{sc.scenario.start_year}..{sc.end_year}), not {len(value)}", value)]




def _other_fx_problems(sc: Scenario) -> list[Problem]:
    """``[macro.fx.<CODE>]`` tables: a third currency (not USD, not the scenario's), a rate or a path (one of them),
    rates > 0, one per projection year, a year inside the plan at most (docs/method.md, *Other currencies*)."""
    out: list[Problem] = []
    for code, fx in sc.macro.other_fx.items():
        where = f"macro.fx.{code}"
        if code in (USD, sc.scenario.currency):
            out.append(Problem(where, f"{code} is {'the US dollar' if code == USD else 'the scenario currency'}: "
                               "its exchange rate is [macro] fx_rate / fx_path, not a [macro.fx] table", code))
            continue
        if (fx.rate is None) == (fx.path is None):
            out.append(Problem(f"{where}.rate", "give rate (with its year) or path, one of them", fx.rate,
                               has_value=fx.rate is not None))
        if fx.path is not None:
            out += _per_year_problems(f"{where}.path", fx.path, sc)
            if any(not v > 0 for v in fx.path):
                out.append(Problem(f"{where}.path", "exchange rates must be > 0", fx.path))
        if fx.year is not None and fx.year > sc.end_year:
            out.append(Problem(f"{where}.year", f"is in the future: after the last year of the plan ({sc.end_year})",
                               fx.year))
    return out


def _variable_rate_problems(s: Source, where: str, sc: Scenario) -> list[Problem]:
    """A variable-rate loan: a reference path per projection year, a rate of 0..1 in every year, no fixed rate, a
    repayment whose principal does not depend on the rate (docs/method.md, *Variable-rate loans*)."""
    out: list[Problem] = []
    if s.rate_reference is None:
        if s.spread is not None:
            out.append(Problem(f"{where}.spread", "a spread is the margin over rate_reference: give "
                               "rate_reference too (a fixed-rate loan gives rate)", s.spread))
        return out
    if s.rate is not None:
        out.append(Problem(f"{where}.rate", "a variable-rate loan's rate is rate_reference + spread: give one of "
                           "rate (fixed) or rate_reference (variable)", s.rate))
    out += _per_year_problems(f"{where}.rate_reference", s.rate_reference, sc)
    spread = s.spread or 0.0
    if not s.rate_reference or any(not 0.0 <= r + spread <= 1.0 for r in s.rate_reference):
        out.append(Problem(f"{where}.rate_reference", f"reference + spread ({spread:g}) must be >= 0 and <= 1 in "
                           "every year (a share per year: 0.03 is 3%)", s.rate_reference))
    if s.repayment == "annuity":
        out.append(Problem(f"{where}.repayment", "a variable-rate loan repays linear or on a schedule (an "
                           "annuity's principal would change with every rate)", s.repayment))
    return out


def _debt_path_problems(sc: Scenario) -> list[Problem]:
    """``[debt]`` paths (a list per projection year from start_year, as many years as a DSA publishes): not empty;
    GDP above 0; growth rates above -1 and at most 1."""
    out: list[Problem] = []
    debt = sc.debt
    for field in ("gdp", "gdp_growth", "exports", "revenue", "pv_external_debt", "external_debt_service",
                  "pv_public_debt"):
        value = getattr(debt, field)
        if isinstance(value, list) and not value:
            out.append(Problem(f"debt.{field}", "an empty list: give a number, or one value per projection year "
                               f"from {sc.scenario.start_year}", value))
    if isinstance(debt.gdp, list) and any(not v > 0 for v in debt.gdp):
        out.append(Problem("debt.gdp", "GDP must be > 0 in every year", debt.gdp))
    growth = debt.gdp_growth
    if any(not -1.0 < g <= 1.0 for g in (growth if isinstance(growth, list) else [] if growth is None else [growth])):
        out.append(Problem("debt.gdp_growth", "a growth rate must be > -1 and <= 1 (a share per year: 0.03 is 3%)",
                           growth))
    return out


def _price_problems(sc: Scenario) -> list[Problem]:
    """Price years, currencies of amounts, and the ``[macro]`` paths."""
    out: list[Problem] = []
    meta, macro, last = sc.scenario, sc.macro, sc.end_year
    cur = meta.currency
    allowed = sorted({USD, cur})
    words = " or ".join(allowed)
    for field, year in (("scenario.price_year", meta.price_year), ("context.budget_year", sc.context.budget_year)):
        if year is not None and year > last:
            out.append(Problem(field, f"is in the future: after the last year of the plan ({last})", year))
    for i, p in enumerate(sc.programme):
        for j, c in enumerate(p.cost):
            cw = f"programme[{i}].cost[{j}]"
            if c.currency is not None and c.currency not in allowed:
                out.append(Problem(f"{cw}.currency", f"a cost line is priced in {words}", c.currency))
            if c.price_year is not None and c.price_year > last:
                out.append(Problem(f"{cw}.price_year", f"is in the future: after the last year of the plan "
                                   f"({last})", c.price_year))
    for i, s in enumerate(sc.source):
        if s.currency is not None and s.currency not in allowed and s.currency not in macro.other_fx:
            out.append(Problem(f"source[{i}].currency", f"a source's amounts are in {words}, or in a currency "
                               f"with its exchange-rate path: add [macro.fx.{s.currency}]", s.currency))
    out += _other_fx_problems(sc)
    for i, src in enumerate(sc.source):
        out += _per_year_problems(f"source[{i}].annual_cap", src.annual_cap, sc)
    out += _debt_path_problems(sc)
    growth = sc.context.budget_growth
    out += _per_year_problems("context.budget_growth", growth, sc)
    glo, ghi = GROWTH_BOUNDS
    if any(not glo < g <= ghi for g in (growth if isinstance(growth, list) else [] if growth is None else [growth])):
        out.append(Problem("context.budget_growth", f"a growth rate must be > {glo:g} and <= {ghi:g} (a share per "
                           "year: 0.03 is 3%)", growth))
    lo, hi = INFLATION_BOUNDS
    for field in ("inflation", "usd_inflation", "fx_path"):
        value = getattr(macro, field)
        out += _per_year_problems(f"macro.{field}", value, sc)
        values = value if isinstance(value, list) else [] if value is None else [value]
        if field == "fx_path":
            if any(not v > 0 for v in values):
                out.append(Problem(f"macro.{field}", "exchange rates must be > 0", value))
        elif any(not lo < v <= hi for v in values):
            out.append(Problem(f"macro.{field}", f"inflation must be > {lo:g} and <= {hi:g} (a share per year: "
                               "0.05 is 5%)", value))
    if cur == USD:
        for field in ("usd_inflation", "fx_rate", "fx_year", "fx_path"):
            if getattr(macro, field) is not None:
                why = ("a scenario in USD has one inflation, US inflation: give it as `inflation`"
                       if field == "usd_inflation" else
                       "a scenario in USD has no exchange rate: its local currency is the US dollar")
                out.append(Problem(f"macro.{field}", why, getattr(macro, field)))
    else:
        for field in ("inflation", "usd_inflation"):
            if getattr(macro, field) is None:
                out.append(Problem(f"macro.{field}", f"required for a scenario in {cur}: give it in [macro] or set "
                                   "scenario.country to a profile in this currency that has it", has_value=False))
        fx_year = meta.base_year if macro.fx_year is None else macro.fx_year
        base_inside = sc.scenario.start_year <= meta.base_year <= last
        if macro.fx_rate is None and (macro.fx_path is None or not base_inside):
            out.append(Problem("macro.fx_rate", f"required for a scenario in {cur}: {cur} per USD in the price "
                               f"year {meta.base_year} (or an fx_path that covers it)", has_value=False))
        elif macro.fx_rate is not None and macro.fx_path is not None and sc.scenario.start_year <= fx_year <= last:
            out.append(Problem("macro.fx_rate", "give fx_rate or fx_path, not both: fx_path already gives the rate "
                               f"of {fx_year}", macro.fx_rate))
    if macro.fx_year is not None and macro.fx_year > last:
        out.append(Problem("macro.fx_year", f"is in the future: after the last year of the plan ({last})",
                           macro.fx_year))
    trend = macro.real_depreciation
    if cur == USD and trend != 0.0:
        out.append(Problem("macro.real_depreciation", "a scenario in USD has no exchange rate: its local currency "
                           "is the US dollar", trend))
    elif trend == "history" and real_exchange_trend(cur, meta.base_year) is None:
        out.append(Problem("macro.real_depreciation", f"data/price_history.csv has no history of {cur} to take a "
                           f"trend from (it needs the {cur} exchange rate and the {cur} and USD consumer price indices "
                           f"in two years up to {meta.base_year}): give a rate a year instead", trend))
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
        elif s.id == GAP:
            out.append(Problem(f"{where}.id", "`gap` is reserved for what no source pays", s.id))
        ids.setdefault(s.id, i)
        for j, cell in enumerate(s.eligible or []):
            prog, _, kind = cell.partition(":")
            if prog not in programmes:
                out.append(Problem(f"{where}.eligible[{j}]", f"no programme with this id (known: "
                                   f"{known(sorted(programmes))})", cell))
            elif kind not in ("", *COST_CLASSES):
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
        if s.kind == "loan":
            out += _variable_rate_problems(s, where, sc)
    out += _match_problems(sc, ids)
    out += _multilateral_problems(sc, ids)
    out += instrument_problems(sc)
    out += _dli_problems(sc)
    return out


def _dli_problems(sc: Scenario) -> list[Problem]:
    """``[[source.dli]]`` rows (docs/method.md, *Results-based financing*): on a grant or a loan, a known programme
    with a counted driver, an amount or a price (a price only when scalable), a floor below the target, a share
    target at most 1, and a deadline whose payment falls inside the plan."""
    out: list[Problem] = []
    first, last = sc.scenario.start_year, sc.end_year
    programmes = {p.id: p for p in sc.programme}
    for i, s in enumerate(sc.source):
        if s.dli and s.kind not in ("grant", "loan"):
            out.append(Problem(f"source[{i}].dli", f"only grant and loan sources pay against results (kind is "
                               f"{s.kind})", s.kind))
            continue
        if s.outcome_bond is not None and (s.kind != "grant" or not s.dli):
            out.append(Problem(f"source[{i}].outcome_bond", "an outcome bond is a grant (the investor's principal) "
                               "with [[source.dli]] rows (the outcome payments that repay it)",
                               s.outcome_bond.payer))
        if s.dli and (s.match is not None or s.buy_down is not None):
            field = "match" if s.match is not None else "buy_down"
            out.append(Problem(f"source[{i}].{field}", "a source with [[source.dli]] rows pays against results, "
                               "not cost cells: it has no match rule or buy-down", getattr(s, field)))
        for j, row in enumerate(s.dli or []):
            where = f"source[{i}].dli[{j}]"
            prog = programmes.get(row.programme)
            if prog is None:
                out.append(Problem(f"{where}.programme", f"no programme with this id (known: "
                                   f"{known(sorted(programmes))})", row.programme))
            elif prog.driver == "none":
                out.append(Problem(f"{where}.programme", "the programme has driver = \"none\": it reaches no "
                                   "units, so no result can be measured", row.programme))
            if (row.amount is None) == (row.price is None):
                out.append(Problem(f"{where}.amount", "give amount (what the DLI pays) or price (per unit of "
                                   "result, with scalable = true), one of them", row.amount, has_value=row.amount
                                   is not None))
            if row.price is not None and not row.scalable:
                out.append(Problem(f"{where}.price", "a price per unit of result needs scalable = true", row.price))
            if row.measure == "reached_share" and row.target > 1.0:
                out.append(Problem(f"{where}.target", "a reached_share target is a share: at most 1", row.target))
            if row.floor >= row.target:
                out.append(Problem(f"{where}.floor", f"must be < target ({row.target:g})", row.floor))
            deadline = last - row.lag if row.deadline is None else row.deadline
            if not first <= deadline <= last - row.lag:
                field = "lag" if row.deadline is None else "deadline"
                out.append(Problem(f"{where}.{field}", f"the payment (deadline + lag = {deadline} + {row.lag}) must "
                                   f"fall inside the plan {first}..{last}, and the deadline in it",
                                   row.lag if row.deadline is None else row.deadline))
            if row.delay is not None and any(v < 0 for v in row.delay.values):
                out.append(Problem(f"{where}.delay.values", "delays are whole years >= 0", row.delay.values))
    return out


def _kind_problems(s: Source, where: str) -> list[Problem]:
    """Fields that belong to another kind of source, and the fields a kind needs."""
    out: list[Problem] = []
    owners = {**{f: "loan" for f in LOAN_FIELDS}, **{f: "ppp" for f in PPP_FIELDS}, "match": "grant",
              "budget_share_cap": "domestic", "liability": "ppp", "allocation": "grant", "buy_down": "grant",
              "rate_reference": "loan", "spread": "loan"}
    for field, kind in owners.items():
        if kind != s.kind and getattr(s, field) is not None and not also_allowed(field, s.kind):
            out.append(Problem(f"{where}.{field}", f"only {kind} sources have this field (kind is {s.kind})",
                               getattr(s, field)))
    if s.kind == "grant" and s.charged_to is not None:
        out.append(Problem(f"{where}.charged_to", "a grant is no charge on the government's budget (it pays with "
                           "the partner's money): only domestic, loan and ppp sources have this field",
                           s.charged_to))
    if s.kind == "loan":
        missing = [f for f in ("rate", "grace_years", "maturity_years", "repayment") if getattr(s, f) is None
                   and not (f == "rate" and s.rate_reference is not None)]
        if missing or s.grace_years is None or s.maturity_years is None:
            out.append(Problem(f"{where}.terms", "a loan needs terms: name a term sheet (terms = \"...\") or give "
                               f"{', '.join(missing)}", has_value=False))
        else:
            out += _repayment_problems(s, where, s.grace_years, s.maturity_years)
        if (s.commitment_fee or 0) > 0 and s.commitment is None:
            out.append(Problem(f"{where}.commitment_fee", "a commitment fee needs a commitment", s.commitment_fee))
        out += _payment_month_problems(s, where)
    if s.kind == "ppp":
        for f in PPP_FIELDS:
            if getattr(s, f) is None:
                out.append(Problem(f"{where}.{f}", "required for a ppp source", has_value=False))
    return out


def _payment_month_problems(s: Source, where: str) -> list[Problem]:
    """``payment_months``: one month (1-12) per payment a year, in increasing order."""
    months = s.payment_months
    if months is None:
        return []
    n = s.payments_per_year or 1
    if len(months) != n or any(not 1 <= m <= 12 for m in months) or sorted(set(months)) != list(months):
        return [Problem(f"{where}.payment_months", f"must be {n} month(s) from 1 to 12 in increasing order, one per "
                        f"payment (payments_per_year = {n})", months)]
    return []


def _repayment_problems(s: Source, where: str, grace: int, maturity: int) -> list[Problem]:
    out: list[Problem] = []
    if maturity <= grace:
        out.append(Problem(f"{where}.maturity_years", f"must be > grace_years ({grace})", maturity))
        return out
    if s.repayment != "schedule":
        for field in ("schedule", "balloon"):
            if getattr(s, field) is not None:
                out.append(Problem(f"{where}.{field}", f"only repayment = \"schedule\" takes a {field} (repayment "
                                   f"is {s.repayment})", getattr(s, field)))
        return out
    if not s.schedule:
        out.append(Problem(f"{where}.schedule", "repayment = \"schedule\" needs schedule rows "
                           "[first k, last k, share]", _rows(s.schedule)))
        return out
    taken: set[int] = set()
    total = 0.0
    for r, (k1, k2, share) in enumerate(s.schedule):
        rw = f"{where}.schedule[{r}]"
        row = [k1, k2, share]
        if share < 0:
            out.append(Problem(rw, "the share of principal must be >= 0", row))
        if k1 > k2:
            out.append(Problem(rw, "first k must be <= last k", row))
        if k2 > maturity:
            out.append(Problem(rw, f"years exceed the maturity ({maturity})", row))
        if k1 <= grace:
            out.append(Problem(rw, f"repayment starts inside the grace period ({grace} years)", row))
        if grace < k1 <= k2 <= maturity:
            span = set(range(k1, k2 + 1))
            if span & taken:
                out.append(Problem(rw, "overlaps an earlier row", row))
            taken |= span
            total += (k2 - k1 + 1) * max(share, 0.0)
    if not out:
        if total > 1 + SCHEDULE_SUM_TOLERANCE:
            out.append(Problem(f"{where}.schedule", f"the shares add up to {total:.2%} of the principal, more than "
                               "100%", _rows(s.schedule)))
        elif total < 1 - SCHEDULE_SUM_TOLERANCE and not s.balloon:
            out.append(Problem(f"{where}.schedule", f"the shares add up to {total:.2%} of the principal, not 100%; "
                               f"the last payment would be a balloon of {1 - total:.2%}: fix the shares or set "
                               "balloon = true", _rows(s.schedule)))
    return out


def _rows(schedule: list[tuple[int, int, float]] | None) -> list[list[float]] | None:
    """A schedule as the file writes it (lists, not tuples), for messages."""
    return None if schedule is None else [list(row) for row in schedule]


def _match_problems(sc: Scenario, ids: dict[str, int]) -> list[Problem]:
    out: list[Problem] = []
    graph: dict[str, list[str]] = {}
    graph_sources: dict[str, list[str]] = {}
    for i, s in enumerate(sc.source):
        if s.match is None:
            continue
        for j, m in enumerate(s.match.sources):
            if m == s.id:
                out.append(Problem(f"source[{i}].match.sources[{j}]", "a grant cannot match itself", m))
            elif m not in ids:
                out.append(Problem(f"source[{i}].match.sources[{j}]", f"no source with this id (known: "
                                   f"{known(ids)})", m))
        graph[s.id] = [m for m in s.match.sources if m in ids and m != s.id]
        graph_sources[s.id] = s.match.sources
    cycle = _find_cycle(graph)
    if cycle:
        node = cycle[0]
        shown = cycle if len(cycle) <= 8 else [*cycle[:4], f"... ({len(cycle) - 7} more)", *cycle[-3:]]
        out.append(Problem(f"source[{ids[node]}].match.sources", "match cycle: " + " -> ".join(shown),
                           graph_sources[node]))
    return out




def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in ``graph`` as ``[a, b, ..., a]``, or None; iterative depth-first search (no recursion limit)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if root in state:
            continue
        path = [root]
        stack = [iter(graph.get(root, []))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, [])))
    return None


def scenario_warnings(sc: Scenario) -> list[Problem]:
    """What a valid scenario allows but its author probably did not mean, one :class:`Problem` each."""
    out: list[Problem] = []
    for i, s in enumerate(sc.source):
        why = None
        if s.eligible is not None and not s.eligible:
            why = "eligible = [] lists no cost cell"
        elif s.share_cap == 0:
            why = "share_cap = 0"
        elif s.annual_cap == 0 or (isinstance(s.annual_cap, list) and not any(s.annual_cap)) or s.commitment == 0:
            why = f"{'commitment' if s.commitment == 0 else 'annual_cap'} = 0"
        elif s.budget_share_cap == 0:
            why = "budget_share_cap = 0"
        if why:
            out.append(Problem(f"source[{i}]", f"this source can pay nothing ({why})", has_value=False))
    out += price_history_warnings(sc)
    out += multilateral_warnings(sc)
    inflation = sc.macro.inflation
    highest = max(inflation) if isinstance(inflation, list) else inflation
    rate = sc.scenario.discount_rate
    if sc.scenario.discount_basis == "nominal" and highest is not None and highest >= rate:
        out.append(Problem("scenario.discount_rate", f"the nominal discount rate ({rate:.2%}) is at or below "
                           f"inflation ({highest:.2%}): the real rate is 0 or less, so present values hardly "
                           "discount later years; give a local nominal rate (e.g. the government's borrowing rate) "
                           "or discount_basis = \"real\"", rate))
    return out


# ------------------------------------------------------------------ multilateral rules as the partners apply them
# docs/method.md, *Multilateral rules*: IDA's terms by lending category, GPE's Multiplier and Match on commitments
# under an allocation ceiling, a GPE grant as an interest buy-down, GPE's domestic-financing requirement.

def partner_of(source: Source) -> str:
    """The institution whose rules apply to a source: its ``partner``, else ``ida`` or ``gpe`` when its id or name
    has that word (``ida``, ``ida_credit``, "IDA grant"; ``gpe_match``), else ``other``."""
    if source.partner is not None:
        return source.partner
    words = set(source.id.split("_")) | set(re.findall(r"[a-z0-9]+", (source.name or "").lower()))
    for partner in ("ida", "gpe"):
        if partner in words:
            return partner
    return "other"


def _multilateral_problems(sc: Scenario, ids: dict[str, int]) -> list[Problem]:
    """A buy-down names a loan of the scenario in the grant's currency and pays nothing else; a match on
    commitments needs the commitment of every matched source, in the grant's currency."""
    out: list[Problem] = []
    bought: dict[str, int] = {}
    for i, s in enumerate(sc.source):
        where = f"source[{i}]"
        cur = sc.source_currency(s)
        if s.kind == "grant" and s.buy_down is not None and s.buy_down.loan is not None:
            loan = s.buy_down.loan
            j = ids.get(loan)
            if j is None:
                out.append(Problem(f"{where}.buy_down.loan", f"no source with this id (known: {known(ids)})", loan))
            elif sc.source[j].kind != "loan":
                out.append(Problem(f"{where}.buy_down.loan", f"a buy-down pays the interest of a loan; source[{j}] is "
                                   f"a {sc.source[j].kind} source", loan))
            elif sc.source_currency(sc.source[j]) != cur:
                out.append(Problem(f"{where}.buy_down.loan", f"the loan is in {sc.source_currency(sc.source[j])} and "
                                   f"the grant in {cur}: a buy-down is in the loan's currency (give the grant's "
                                   "currency)", loan))
            elif loan in bought:
                out.append(Problem(f"{where}.buy_down.loan", f"source[{bought[loan]}] already buys down this loan's "
                                   "interest (one buy-down per loan)", loan))
            else:
                bought[loan] = i
            why = "a buy-down pays the loan's interest as it falls due, not cost cells"
            for field, given in (("eligible", s.eligible is not None), ("share_cap", s.share_cap != 1.0),
                                 ("annual_cap", s.annual_cap is not None), ("first_year", s.first_year is not None),
                                 ("last_year", s.last_year is not None)):
                if given:
                    out.append(Problem(f"{where}.{field}", f"{why}: it has no {field.replace('_', ' ')}",
                                       getattr(s, field)))
            if s.match is not None and s.match.basis != "commitments":
                out.append(Problem(f"{where}.match.basis", "a buy-down's match is assessed on commitments: write "
                                   "basis = \"commitments\"", s.match.basis))
        if s.kind == "grant" and s.match is not None and s.match.basis == "commitments":
            for k, m in enumerate(s.match.sources):
                j = ids.get(m)
                if j is None or j == i:
                    continue  # _match_problems names it
                other = sc.source[j]
                if other.commitment is None:
                    out.append(Problem(f"{where}.match.sources[{k}]", f"a match on commitments needs the commitment "
                                       f"of every matched source: give source[{j}].commitment", m))
                elif sc.source_currency(other) != cur:
                    out.append(Problem(f"{where}.match.sources[{k}]", f"a match on commitments adds up commitments in "
                                       f"the grant's currency ({cur}); source[{j}] is in "
                                       f"{sc.source_currency(other)}", m))
    return out


def multilateral_warnings(sc: Scenario) -> list[Problem]:
    """IDA's terms by lending category (a blend or gap country gets no IDA grant, and IDA credits on blend terms) and
    GPE's domestic-financing requirement (education's share of public expenditure against 20%)."""
    out: list[Problem] = []
    category = sc.debt.lending_category
    country = sc.scenario.country or "the country"
    gpe = False
    for i, s in enumerate(sc.source):
        partner = partner_of(s)
        gpe |= partner == "gpe"
        if partner != "ida" or category not in BLEND_TERMS_CATEGORIES:
            continue
        rule = (f"IDA lends to {category} countries ({country} is one: debt.lending_category) on blend terms whatever "
                "their risk of debt distress, and gives them no grants (IDA21 terms, World Bank Treasury, IDA Lending "
                "Rates & Fees, effective 1 October 2025)")
        if s.kind == "grant":
            out.append(Problem(f"source[{i}].kind", f"{rule}: model IDA as a loan with terms = "
                               "\"ida21-blend-fixed\"", s.kind))
        elif s.kind == "loan" and s.terms is not None and s.terms.startswith("ida") and "blend" not in s.terms:
            out.append(Problem(f"source[{i}].terms", f"{rule}: use terms = \"ida21-blend-fixed\"", s.terms))
    if gpe:
        share = sc.context.education_share
        if share is None:
            out.append(Problem("context.education_share", "GPE's domestic-financing requirement (progress toward "
                               f"{GPE_EDUCATION_SHARE:.0%} of public expenditure on education) cannot be checked: "
                               "give education's share of public expenditure (or a country profile that has it)",
                               has_value=False))
        elif share < GPE_EDUCATION_SHARE:
            out.append(Problem("context.education_share", f"education is {share:.1%} of public expenditure, below "
                               f"GPE's benchmark of {GPE_EDUCATION_SHARE:.0%}: a GPE grant requires the government to "
                               "show progress toward it (GPE 2025 operating model, domestic financing requirement)",
                               share))
    return out


def duplicate_name_problems(named: Sequence[tuple[str, Scenario]]) -> list[tuple[str, Problem]]:
    """Scenarios shown or written together must have distinct names (names identify rows in every output).

    ``named`` is ``(where, scenario)`` pairs, ``where`` a file name or a label; returns ``(where, problem)`` for
    every scenario whose name an earlier one already has.
    """
    seen: dict[str, str] = {}
    out = []
    for where, sc in named:
        if sc.name in seen:
            out.append((where, Problem("scenario.name", f"the same scenario name as {seen[sc.name]}; names identify "
                                       "scenarios in every output and must differ", sc.name)))
        else:
            seen[sc.name] = where
    return out


def comparability(scenarios: Sequence[Scenario], currencies: Sequence[str] | None = None) -> str | None:
    """Why the scenarios' amounts cannot be subtracted from each other, or None if they can.

    Amounts are in the currency of the tables (``currencies``, one per scenario: the local currency, or USD in a
    USD basis; default each scenario's local currency), and present values are discounted to the start year:
    scenarios that differ in currency or start year have no meaningful deltas.
    """
    currencies = list(dict.fromkeys(currencies if currencies is not None
                                    else [sc.scenario.currency for sc in scenarios]))
    starts = list(dict.fromkeys(sc.scenario.start_year for sc in scenarios))
    bases = list(dict.fromkeys(sc.scenario.base_year for sc in scenarios))
    reasons = []
    if len(bases) > 1:
        reasons.append(f"their constant prices are of different years ({', '.join(map(str, bases))})")
    if len(currencies) > 1:
        reasons.append(f"they are in different currencies ({', '.join(currencies)})")
    if len(starts) > 1:
        reasons.append("their prices and present values refer to different start years "
                       f"({', '.join(map(str, starts))})")
    return "no deltas: " + " and ".join(reasons) if reasons else None


def _outcome_problems(i: int, p: Programme, sc: Scenario) -> list[Problem]:
    """``[[programme.outcome]]`` and ``[[programme.milestone]]`` rules (docs/method.md, *Outcomes and cost per
    outcome*): a programme with a driver counts its reach (per_unit), one without counts people trained a year
    (per_year); a measure once per programme; a milestone's year not before the plan."""
    out: list[Problem] = []
    seen: set[str] = set()
    for j, o in enumerate(p.outcome):
        ow = f"programme[{i}].outcome[{j}]"
        if o.measure in seen:
            out.append(Problem(f"{ow}.measure", "a programme counts each measure once", o.measure))
        seen.add(o.measure)
        if p.driver == "none":
            if o.per_year is None:
                out.append(Problem(f"{ow}.per_year", "required for a programme with driver = \"none\": the people "
                                   "newly trained each year (it has no reach to count)", has_value=False))
            if o.per_unit is not None:
                out.append(Problem(f"{ow}.per_unit", "a programme with driver = \"none\" has no driver unit: give "
                                   "per_year", o.per_unit))
        elif o.per_year is not None:
            out.append(Problem(f"{ow}.per_year", f"only a programme with driver = \"none\" counts people a year; "
                               f"this one counts its reach of {p.driver} (per_unit)", o.per_year))
    for j, m in enumerate(p.milestone):
        if m.year is not None and m.year < sc.scenario.start_year:
            out.append(Problem(f"programme[{i}].milestone[{j}].year", f"must be in or after start_year "
                               f"({sc.scenario.start_year}): a milestone met before the plan is not its outcome",
                               m.year))
    return out

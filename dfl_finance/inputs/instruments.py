"""The rules of the instruments of issue 25 (docs/method.md, *Instruments*): an interest buy-down written on the
loan's side, a debt-for-education swap (kind ``swap``), a loan's guarantee and a universal service fund levy (kind
``levy``).

:func:`instrument_problems` runs inside validation with the other rules (:mod:`dfl_finance.inputs.rules`), and
:func:`connectivity_programmes` says which programmes a levy pays by default.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dfl_finance.errors import Problem, known

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Programme, Scenario, Source

#: The fields each instrument kind needs, and the fields only it has.
SWAP_FIELDS = ("creditor", "debt_service", "counterpart_share")
LEVY_FIELDS = ("base", "rate")
#: Fields of other kinds that an instrument kind may also have (the owner check of the rules skips them).
ALSO_ALLOWED: dict[str, tuple[str, ...]] = {"rate": ("levy",), "buy_down": ("loan",)}
#: What a swap or a levy has no use for: they pay from their own path, not from a pledge or the budget.
_NOT_ON_INSTRUMENTS = ("annual_cap", "budget_share_cap")

_CONNECTIVITY = re.compile(r"connect", re.IGNORECASE)


def also_allowed(field: str, kind: str) -> bool:
    """Whether ``field``, owned by another kind, is allowed on a source of ``kind`` (a levy's ``rate``, a loan's
    ``buy_down``)."""
    return kind in ALSO_ALLOWED.get(field, ())


def is_connectivity(programme: Programme) -> bool:
    """A programme is connectivity (what a universal service fund levy pays by default) if it plans its schools
    from a school table (``[programme.schools]``: the school-connectivity plan), or its id, its template or its
    name says so (contains ``connect``: the templates ``connectivity-satellite`` and ``connectivity-mixed``, an id
    ``connectivity`` or ``school_connection``)."""
    if programme.schools is not None:
        return True
    return any(_CONNECTIVITY.search(text or "") for text in (programme.id, programme.template, programme.name))


def connectivity_programmes(sc: Scenario) -> list[str]:
    """The ids of the scenario's connectivity programmes (:func:`is_connectivity`), in file order."""
    return [p.id for p in sc.programme if is_connectivity(p)]


def buy_down_grants(sc: Scenario) -> set[str]:
    """The ids of the grants that buy down a loan's interest, written on either side: they pay as the interest
    falls due, so they have no window of their own (a stress that moves windows leaves them)."""
    out = {s.id for s in sc.source if s.kind == "grant" and s.buy_down is not None}
    return out | {s.buy_down.by for s in sc.source if s.kind == "loan" and s.buy_down is not None
                  and s.buy_down.by is not None}


def _per_year(field: str, value: object, sc: Scenario) -> list[Problem]:
    years = sc.scenario.years
    if not isinstance(value, list) or len(value) == years:
        return []
    return [Problem(field, f"has {len(value)} values: give one per projection year ({years} values for "
                    f"{sc.scenario.start_year}..{sc.end_year}), or one number for every year", value)]


def _swap_problems(s: Source, where: str, sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    for f in SWAP_FIELDS:
        if getattr(s, f) is None:
            out.append(Problem(f"{where}.{f}", "a swap needs creditor, debt_service (the service cancelled each year) "
                               "and counterpart_share (the counterpart paid to the plan, a share of it)",
                               has_value=False))
    out += _per_year(f"{where}.debt_service", s.debt_service, sc)
    named = next((o for o in sc.source if o.id == s.creditor), None)  # a swap of a loan of the plan
    if named is not None and named.kind != "loan":
        out.append(Problem(f"{where}.creditor", f"names a {named.kind} source: a swap cancels the service of a loan "
                           "of the plan (its id) or of the country's existing debt (the creditor's name, not a "
                           "source id)", s.creditor))
    elif named is not None and sc.source_currency(named) != sc.source_currency(s):
        out.append(Problem(f"{where}.creditor", f"the loan is in {sc.source_currency(named)} and the swap in "
                           f"{sc.source_currency(s)}: a swap of a plan loan is in the loan's currency (give the "
                           "swap's currency)", s.creditor))
    return out


def _levy_problems(s: Source, where: str, sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    for f in LEVY_FIELDS:
        if getattr(s, f) is None:
            out.append(Problem(f"{where}.{f}", "a levy needs base (the revenue it is levied on, a path) and rate "
                               "(the levy's share of it)", has_value=False))
    out += _per_year(f"{where}.base", s.base, sc)
    if s.eligible is None and not connectivity_programmes(sc):
        out.append(Problem(f"{where}.eligible", "a levy is earmarked to connectivity and the scenario has no "
                           "connectivity programme (one with a school table, or `connect` in its id, template or "
                           "name): name the programmes it pays", has_value=False))
    return out


def _loan_buy_down_problems(i: int, s: Source, sc: Scenario, ids: dict[str, int]) -> list[Problem]:
    """``[source.buy_down]`` on a loan: ``by`` a grant in the loan's currency, ``rate`` below the loan's rate."""
    bd = s.buy_down
    if bd is None:
        return []
    where = f"source[{i}].buy_down"
    out: list[Problem] = []
    if bd.loan is not None or bd.share != 1.0:  # (share at its default, 1, is the same buy-down written in full)
        out.append(Problem(f"{where}.loan" if bd.loan is not None else f"{where}.share", "on a loan, a buy-down says "
                           "by (the grant that pays) and rate (the rate the borrower pays); loan and share are "
                           "written on the grant's side", bd.loan if bd.loan is not None else bd.share))
    if bd.by is None:
        out.append(Problem(f"{where}.by", "a buy-down on a loan names the grant that pays (by = \"...\")",
                           has_value=False))
    else:
        j = ids.get(bd.by)
        if j is None:
            out.append(Problem(f"{where}.by", f"no source with this id (known: {known(ids)})", bd.by))
        elif sc.source[j].kind != "grant":
            out.append(Problem(f"{where}.by", f"the buy-down is paid by a grant; source[{j}] is a "
                               f"{sc.source[j].kind} source", bd.by))
        elif sc.source_currency(sc.source[j]) != sc.source_currency(s):
            out.append(Problem(f"{where}.by", f"the loan is in {sc.source_currency(s)} and the grant in "
                               f"{sc.source_currency(sc.source[j])}: a buy-down is in the loan's currency (give "
                               "the grant's currency)", bd.by))
        elif sc.source[j].buy_down is not None:
            out.append(Problem(f"{where}.by", f"source[{j}] already buys down a loan (buy_down on the grant): one "
                               "buy-down per grant, written on one side", bd.by))
        elif any(o.buy_down is not None and o.buy_down.by == bd.by for o in sc.source[:i] if o.kind == "loan"):
            out.append(Problem(f"{where}.by", "another loan is already bought down by this grant: one buy-down per "
                               "grant", bd.by))
        else:
            g = sc.source[j]
            why = "a buy-down grant pays the loan's interest as it falls due, not cost cells"
            for field, given in (("eligible", g.eligible is not None), ("share_cap", g.share_cap != 1.0),
                                 ("annual_cap", g.annual_cap is not None), ("first_year", g.first_year is not None),
                                 ("last_year", g.last_year is not None), ("match", g.match is not None)):
                if given:
                    out.append(Problem(f"source[{j}].{field}", f"{why} (source[{i}].buy_down.by names it): it has "
                                       f"no {field.replace('_', ' ')}", getattr(g, field)))
    if bd.rate is None:
        out.append(Problem(f"{where}.rate", "a buy-down on a loan gives the rate the borrower pays (rate = 0.01)",
                           has_value=False))
    elif s.rate is not None and bd.rate >= s.rate:
        out.append(Problem(f"{where}.rate", f"must be below the loan's rate ({s.rate:g}): the grant pays the "
                           "interest above it", bd.rate))
    for o in sc.source:
        if o.kind == "grant" and o.buy_down is not None and o.buy_down.loan == s.id:
            out.append(Problem(f"{where}", f"source {o.id!r} already buys down this loan (buy_down on the grant): "
                               "write it on one side", has_value=False))
    return out


def _guarantee_problems(i: int, s: Source, sc: Scenario) -> list[Problem]:
    """A guarantee lowers the loan's rate, and is not written with a buy-down of the same loan."""
    g = s.guarantee
    if g is None:
        return []
    where = f"source[{i}].guarantee"
    out: list[Problem] = []
    if s.rate is not None and g.rate >= s.rate:
        out.append(Problem(f"{where}.rate", f"must be below the loan's rate without the guarantee ({s.rate:g})",
                           g.rate))
    bought = s.buy_down is not None or any(o.kind == "grant" and o.buy_down is not None and o.buy_down.loan == s.id
                                           for o in sc.source)
    if bought:
        out.append(Problem(where, "a guaranteed loan cannot also be bought down here (write the rate the borrower "
                           "pays with both as the guarantee's rate)", has_value=False))
    return out


def instrument_problems(sc: Scenario) -> list[Problem]:
    """Every problem of the scenario's instruments: a swap's and a levy's fields, a buy-down on a loan's side, a
    buy-down on a grant's side without its loan (docs/method.md, *Instruments*)."""
    out: list[Problem] = []
    ids: dict[str, int] = {}
    for i, s in enumerate(sc.source):
        ids.setdefault(s.id, i)
    for i, s in enumerate(sc.source):
        where = f"source[{i}]"
        if s.kind != "swap":
            out += [Problem(f"{where}.{f}", f"only swap sources have this field (kind is {s.kind})", getattr(s, f))
                    for f in SWAP_FIELDS if getattr(s, f) is not None]
        if s.kind != "loan" and s.guarantee is not None:
            out.append(Problem(f"{where}.guarantee", f"only loan sources have this field (kind is {s.kind})",
                               s.guarantee))
        if s.kind != "levy" and s.base is not None:
            out.append(Problem(f"{where}.base", f"only levy sources have this field (kind is {s.kind})", s.base))
        if s.kind in ("swap", "levy"):
            pays = "debt_service x counterpart_share" if s.kind == "swap" else "rate x base"
            out += [Problem(f"{where}.{f}", f"a {s.kind} pays what its own path gives ({pays}), not a cap: drop {f}",
                            getattr(s, f)) for f in _NOT_ON_INSTRUMENTS if getattr(s, f) is not None]
        if s.kind == "swap":
            out += _swap_problems(s, where, sc)
        elif s.kind == "levy":
            out += _levy_problems(s, where, sc)
        elif s.kind == "loan":
            out += _loan_buy_down_problems(i, s, sc, ids)
            out += _guarantee_problems(i, s, sc)
        elif s.kind == "grant" and s.buy_down is not None:
            if s.buy_down.loan is None:
                out.append(Problem(f"{where}.buy_down.loan", "a buy-down on a grant names the loan whose interest "
                                   "it pays (loan = \"...\")", has_value=False))
            for f in ("by", "rate"):
                if getattr(s.buy_down, f) is not None:
                    out.append(Problem(f"{where}.buy_down.{f}", "on a grant, a buy-down says loan and share; by and "
                                       "rate are written on the loan's side", getattr(s.buy_down, f)))
    return out

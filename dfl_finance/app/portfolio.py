"""What the Portfolio page shows of a donor's portfolio (:mod:`dfl_finance.studies.portfolio`), without Streamlit: a
portfolio file's text read with the scenario files given with it (the user's own: uploaded with it, or picked in the
workspace,
:func:`picked_portfolio`) and, for any other country, a bundled scenario resolved in the repository's ``examples/``
folder (:func:`load_portfolio_text`); the fund's options set on the page (envelope, rule, the optimal rule's
objective, the grants it co-finances, floor, ceiling and the countries' weights) and checked with the page's labels;
the run's allocation, equity and reach tables, the equity and the reach in words; and the portfolio file with the
page's options (for ``dfl-finance portfolio``), zipped with its scenario files when it has its own.
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from dfl_finance.app.basis import basis_currency
from dfl_finance.app.editing import parse_number
from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.io import absolute_text
from dfl_finance.inputs.profiles import bundled_scenarios_dir, country_profiles
from dfl_finance.outputs.export import zip_files, zip_tables
from dfl_finance.outputs.formatting import format_money
from dfl_finance.studies.portfolio import (
    OBJECTIVES,
    RULES,
    WEIGHT_WORDS,
    CountryEntry,
    Portfolio,
    is_weight,
    load_portfolio,
    run_portfolio,
)

if TYPE_CHECKING:
    from dfl_finance.inputs.models import Scenario

#: The bundled example portfolios, in :func:`examples_dir`: what the page calls each, and what is made up in it.
EXAMPLES = {
    "portfolio-east-africa.toml": (
        "Example: shared by need",
        "the envelope, the tighter budget caps of the two countries and the pooled discount on satellite terminals are "
        "made up to show how the fund works (the discount's source says so); the countries are the bundled scenarios."),
    "portfolio-gpe-optimal.toml": (
        "Example: the optimal rule, co-financing GPE grants",
        "the envelope, the tighter budget caps of the two countries and their GPE grants' commitments are made up to "
        "show how the optimal rule places the fund; the countries are the bundled scenarios with a GPE multiplier "
        "grant."),
}
#: The example the page opens with.
EXAMPLE = "portfolio-east-africa.toml"
RULE_LABELS = {"need": "In proportion to need", "per-learner": "Per learner (USD each, at most the need)",
               "weighted": "In proportion to need × weight",
               "optimal": "Optimal: where the fund does the most"}
assert set(RULE_LABELS) == set(RULES)
OBJECTIVE_LABELS = {"reach": "The most learners in connected schools first", "gap": "The most gap closed first"}
assert set(OBJECTIVE_LABELS) == set(OBJECTIVES)
#: The page's label of each fund option: its field, and the problems that name it.
FIELD_LABELS = {"envelope": "Envelope [USD]", "rule": "Rule", "per_learner": "USD per learner",
                "objective": "Objective", "co_finances": "Co-financed grants",
                "floor": "Floor [USD per country]", "ceiling": "Ceiling [USD per country]"}
#: The allocation table's basis column for the optimal rule, by objective: its header and its help.
BASIS_COLUMNS = {
    "reach": ("Learners of connected schools by the end", "The learners of the schools the country's connectivity "
              "programme connects by the end of its plan, with its share of the fund (the optimal rule's reach; what "
              "the fund reaches in every programme: the table What the fund reaches)."),
    "gap": ("Gap closed by the share [USD]", "What the country's share closes of its gap: the share, and what it "
            "unlocks from the grants the fund co-finances (USD, current prices)."),
}
#: The allocation table's headers and their help (the need and the gap before the fund differ when the fund unlocks
#: money from the grants it co-finances).
ALLOCATION_HELP = {
    "Gap before the fund [USD]": "The country's funding gap without the fund (after any pooled discounts).",
    "Need [USD]": "What the fund would pay the country if it had no limit: its gap before the fund, less what the "
                  "fund unlocks from the grants it co-finances (per-learner rule: at most learners × USD per "
                  "learner).",
    "Share [USD]": "What the fund gives the country.",
    "Share of need [%]": "The share as a part of the need.",
    "Gap after [USD]": "What the country's plan still lacks with its share of the fund.",
    "Capped": "Yes: the country has all it can take (its need, or the ceiling); the rest went to the others.",
}


def examples_dir() -> Path:
    """The repository's ``examples/`` folder (beside ``streamlit_app.py``): an uploaded portfolio's scenario paths are
    read relative to it."""
    return Path(__file__).resolve().parents[2] / "examples"


#: The file name of a portfolio built on the page from the scenarios picked there, its title, and the envelope it
#: starts with (USD, to be set on the page).
PICKED_FILE = "my-portfolio.toml"
PICKED_TITLE = "My portfolio"
PICKED_ENVELOPE = 40e6


def picked_portfolio(picked: Iterable[tuple[str, str, Scenario]], folder: Path) -> tuple[str, dict[str, str]]:
    """A portfolio of the scenarios picked on the page (each its file name, its TOML text and its scenario: a
    workspace or bundled scenario): the portfolio file's text (one ``[[country]]`` per scenario, a fund shared by
    need with :data:`PICKED_ENVELOPE`, no pooled discount) and its scenario files (file name -> text, a name used
    twice made distinct), as :func:`load_portfolio_text` and ``dfl-finance portfolio`` read them. The files a text
    names (a baseline, a school table), relative to ``folder``, are named by their full path in the scenario files,
    so they are found wherever the files are written.

    A country is named after its scenario's country profile, or after the scenario when two picked scenarios share
    a country (or it names none); the fund's id is ``pooled_fund`` unless a scenario has a source of that id.

    Examples
    --------
    >>> from dfl_finance import load_scenario
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> picks = [(f, (bundled_scenarios_dir() / f).read_text(encoding="utf-8"), load_scenario(bundled_scenarios_dir()
    ...          / f)) for f in ("rwanda-domestic.toml", "kenya-domestic.toml")]
    >>> text, files = picked_portfolio(picks, bundled_scenarios_dir())
    >>> sorted(files), [c.label for c in load_portfolio_text(text, PICKED_FILE, files).countries]
    (['kenya-domestic.toml', 'rwanda-domestic.toml'], ['Rwanda', 'Kenya'])
    """
    import tomli_w  # written only when a file is downloaded

    picked = list(picked)
    profiles = country_profiles()
    country = [profiles[code].name if (code := sc.scenario.country) is not None and code in profiles else None
               for _, _, sc in picked]
    files: dict[str, str] = {}
    rows = []
    for (file, text, sc), label in zip(picked, country):
        stem, k, mine = Path(file).stem, 2, Path(file).name
        while mine in files or mine == PICKED_FILE:
            mine, k = f"{stem}-{k}.toml", k + 1
        files[mine] = absolute_text(text, folder)
        rows.append({"scenario": mine, "name": label if label and country.count(label) == 1 else sc.name})
    ids = {s.id for _, _, sc in picked for s in sc.source}
    fid, k = "pooled_fund", 2
    while fid in ids:
        fid, k = f"pooled_fund_{k}", k + 1
    raw = {"portfolio": {"name": PICKED_TITLE}, "country": rows,
           "fund": {"id": fid, "envelope": PICKED_ENVELOPE, "rule": "need"}}
    head = ("# A portfolio of scenarios picked on the dfl_finance app's Portfolio page: each country's scenario file "
            "is beside\n# this file. The envelope is a starting value, set on the page.\n")
    return head + tomli_w.dumps(raw), files


def _shown(path: str, file: Path, name: str, scenarios: Path, folder: Path) -> str:
    """A problem's path as the page names it: the portfolio file by ``name``, a scenario given with it (in the
    temporary ``folder``) by its file name, a bundled scenario by ``scenarios/<file>``."""
    path = path.replace(str(file), name)
    for where in dict.fromkeys((folder, folder.resolve())):
        path = path.replace(str(where) + os.sep, "")
    return path.replace(str(scenarios.parent) + os.sep, "")


def _given(value: object, files: Mapping[str, str]) -> str | None:
    """The file of ``files`` that a ``scenario`` or ``template`` path names (``a.toml`` or ``./a.toml``), else
    None."""
    if not isinstance(value, str):
        return None
    parts = PurePosixPath(value.replace("\\", "/")).parts
    return parts[-1] if len(parts) == 1 and parts[-1] in files else None


def file_name_problems(files: Iterable[str], where: str = "scenario files") -> list[Problem]:
    """Names that files given with a portfolio may not have: a folder in the name, a hidden or empty name, two files
    of one name (``where`` names them in the messages)."""
    problems, seen = [], set()
    for n in files:
        if not n or n != Path(n).name or n.startswith(".") or "/" in n or "\\" in n:
            problems.append(Problem(f"{where}: {n}", "a file name without a folder (e.g. rwanda-plan.toml)", n))
        elif n in seen:
            problems.append(Problem(f"{where}: {n}", "two files have this name: give each its own", n))
        seen.add(n)
    return problems


def load_portfolio_text(text: str, name: str, files: Mapping[str, str] | None = None) -> Portfolio:
    """The portfolio of a file's ``text`` (called ``name`` in messages) with the scenario files given with it
    (``files``: file name -> TOML text, the user's own scenarios: uploaded with it, or picked from the workspace).
    A country's ``scenario`` (and the plan ``template``) that names one of ``files`` (``a.toml``) reads it, as
    ``dfl-finance portfolio`` reads a file beside the portfolio file; any other is read relative to
    :func:`examples_dir`, as in the bundled examples, and must be a bundled scenario (a template: in that folder or
    ``examples/``): the server reads no other file.

    Raises
    ------
    ScenarioError
        Every problem of :func:`~dfl_finance.studies.portfolio.load_portfolio`, the file named ``name``, each scenario
        given with it by its file name and each bundled one ``scenarios/<file>``; a scenario that is neither given nor
        bundled, and a file name with a folder or given twice.
    """
    scenarios = bundled_scenarios_dir().resolve()
    name = Path(name).name or "portfolio.toml"
    files = dict(files or {})
    problems = file_name_problems(files)
    if name in files:
        problems.append(Problem(f"scenario files: {name}", "has the portfolio file's name: rename one of them", name))
    if problems:
        raise ScenarioError(problems)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raw = None  # load_portfolio names it, with the line
    rows = raw.get("country") if raw is not None else None
    table = raw.get("portfolio") if raw is not None else None
    template = table.get("template") if isinstance(table, dict) else None
    given = f" nor one of the scenario files given with the portfolio ({known(sorted(files))})" if files else ""
    if raw is not None and (isinstance(rows, list) or isinstance(template, str)):
        import tomli_w  # written only when a file is downloaded

        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict) and isinstance(row.get("scenario"), str):
                mine = _given(row["scenario"], files)
                if mine is not None:
                    row["scenario"] = mine
                    continue
                target = (examples_dir() / row["scenario"]).resolve()
                if not target.is_relative_to(scenarios):
                    problems.append(Problem(f"{name}: country[{i}].scenario", "not a bundled scenario, relative to "
                                            "the examples/ folder (e.g. ../scenarios/rwanda-domestic.toml)" + given
                                            + ": upload the portfolio's scenario files with it, or build the "
                                            "portfolio from your scenarios on the page", row["scenario"]))
                row["scenario"] = str(target)
        if isinstance(template, str) and isinstance(table, dict) and _given(template, files) is None:
            target = (examples_dir() / template).resolve()
            if not (target.is_relative_to(scenarios) or target.is_relative_to(examples_dir().resolve())):
                problems.append(Problem(f"{name}: portfolio.template", "a bundled plan template or scenario, "
                                        "relative to the examples/ folder (e.g. plan-template.toml)" + given,
                                        template))
            table["template"] = str(target)
        if problems:
            raise ScenarioError(problems)
        text = tomli_w.dumps(raw)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for given_name, content in files.items():
            (folder / given_name).write_text(content, encoding="utf-8")
        path = folder / name
        path.write_text(text, encoding="utf-8")
        try:
            return load_portfolio(path)
        except ScenarioError as exc:
            raise ScenarioError([replace(p, path=_shown(p.path, path, name, scenarios, folder))
                                 for p in exc.problems]) from None


def amount_words(text: str | None, empty: str = "", zero: str | None = None) -> str:
    """A USD amount typed in a field, as the page says it under the field: ``"60e6"`` -> ``"USD 60.0 M"``;
    ``empty`` for an empty field, ``zero`` (when given) for 0, nothing for a text that is not a number (the page
    names it).

    Examples
    --------
    >>> amount_words("60000000"), amount_words("", "no ceiling"), amount_words("abc"), amount_words("2.5")
    ('USD 60.0 M', 'no ceiling', '', 'USD 2.50')
    >>> amount_words("0", zero="no floor")
    'no floor'
    """
    try:
        value = parse_number(text, integer=False)
    except ValueError:
        return ""
    if value is None:
        return empty
    return zero if value == 0 and zero is not None else format_money(float(value), "USD")


def matched_grants(portfolio: Portfolio) -> dict[str, str]:
    """The grants with a match rule in the countries' scenarios, the grants the fund can co-finance: each id (in
    the order they first appear) and its name (the first country's that names it; else the id)."""
    out: dict[str, str] = {}
    for c in portfolio.countries:
        for s in c.scenario.source:
            if s.match is not None and (s.id not in out or out[s.id] == s.id):
                out[s.id] = s.name or s.id
    return out


def grant_table(portfolio: Portfolio, co_finances: Iterable[str]) -> pd.DataFrame:
    """One row per country and grant with a match rule: what it matches, its commitment, and whether the fund
    co-finances it (in ``co_finances``)."""
    chosen = set(co_finances)
    rows = []
    for c in portfolio.countries:
        for s in c.scenario.source:
            if s.match is None:
                continue
            currency = s.currency or "USD"
            rows.append({"Country": c.label, "Grant": s.name or s.id, "Id": s.id,
                         "Match rule": f"at most {s.match.ratio:.4g} × what {' and '.join(s.match.sources)} pay "
                                       "in the year",
                         "Commitment": format_money(s.commitment, currency) if s.commitment is not None else "none",
                         "Co-financed by the fund": "Yes" if s.id in chosen else "No"})
    return pd.DataFrame(rows, columns=["Country", "Grant", "Id", "Match rule", "Commitment",
                                       "Co-financed by the fund"])


def _amount_ok(value: object, infinite: bool = False) -> bool:
    """``value`` is a number >= 0 (finite unless ``infinite``)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
            and (infinite or math.isfinite(value)))


def with_fund_options(portfolio: Portfolio, envelope: float, rule: str, per_learner: float | None, *,
                      objective: str | None = None, co_finances: Iterable[str] | None = None,
                      floor: float | None = None, ceiling: float | None = None,
                      weights: Mapping[str, float | None] | None = None) -> Portfolio:
    """The portfolio with the fund's options set on the page: its envelope (USD), rule and USD per learner; the
    optimal rule's ``objective``; the ids of the grants it co-finances; its ``floor`` and ``ceiling`` per country
    (USD; ``inf``: no ceiling); and ``weights`` by country name (the weighted rule's). An option left None is the
    file's.

    Raises
    ------
    ScenarioError
        Every problem, each named by the page's label of its field (:data:`FIELD_LABELS`; a weight as "Weight of
        <country>"): an amount that is negative or not a number, an unknown rule or objective, a grant that no
        country has with a match rule, a floor above the ceiling. Floors that add up to more than the envelope are
        found by the run (:func:`portfolio_results`), which knows the needs.

    Examples
    --------
    >>> from dfl_finance.studies.portfolio import Fund
    >>> pf = Portfolio("p", [], Fund("fund", 1e6, "need"))
    >>> with_fund_options(pf, 2e6, "weighted", None, floor=1e5).fund.floor
    100000.0
    >>> try:
    ...     with_fund_options(pf, -1.0, "need", None, floor=5.0, ceiling=1.0)
    ... except ScenarioError as exc:
    ...     for p in exc.problems:
    ...         print(p.path, "|", p.value)
    Envelope [USD] | -1.0
    Floor [USD per country] | 5.0
    """
    f = portfolio.fund
    objective = f.objective if objective is None else objective
    co = f.co_finances if co_finances is None else tuple(dict.fromkeys(co_finances))
    floor = f.floor if floor is None else floor
    ceiling = f.ceiling if ceiling is None else ceiling
    label = FIELD_LABELS
    problems = []
    if rule not in RULES:
        problems.append(Problem(label["rule"], f"one of {', '.join(RULES)}", rule))
    if not _amount_ok(envelope):
        problems.append(Problem(label["envelope"], "an amount in USD >= 0", envelope))
    if rule == "per-learner" and not _amount_ok(per_learner):
        problems.append(Problem(label["per_learner"], "the per-learner rule needs USD per learner (>= 0)",
                                per_learner))
    if objective not in OBJECTIVES:
        problems.append(Problem(label["objective"], f"one of {', '.join(OBJECTIVES)}", objective))
    grants = matched_grants(portfolio)
    for x in co:
        if x not in grants:
            problems.append(Problem(label["co_finances"], "not a grant with a match rule in any country's scenario "
                                    f"(the grants: {known(list(grants))})", x))
    floor_ok, ceiling_ok = _amount_ok(floor), _amount_ok(ceiling, infinite=True)
    if not floor_ok:
        problems.append(Problem(label["floor"], "an amount in USD >= 0 (0: no floor)", floor))
    if not ceiling_ok:
        problems.append(Problem(label["ceiling"], "an amount in USD >= 0, or empty for no ceiling", ceiling))
    if floor_ok and ceiling_ok and floor > ceiling:
        problems.append(Problem(label["floor"], f"more than the ceiling ({format_money(ceiling, 'USD')}): a country "
                                "cannot get at least the floor and at most the ceiling", floor))
    countries = portfolio.countries
    weights = dict(weights or {})
    names = [c.label for c in countries]
    for country, w in weights.items():
        if country not in names:
            problems.append(Problem(f"Weight of {country}", f"no such country in the portfolio ({known(names)})",
                                    has_value=False))
        elif not is_weight(w):
            problems.append(Problem(f"Weight of {country}", WEIGHT_WORDS, w))
    if problems:
        raise ScenarioError(problems)
    countries = [c if (w := weights.get(c.label)) is None else replace(c, weight=float(w)) for c in countries]
    return replace(portfolio, countries=countries, fund=replace(
        f, envelope=float(envelope), rule=rule, per_learner=per_learner if per_learner is None else float(per_learner),
        objective=str(objective), co_finances=co, floor=float(floor), ceiling=float(ceiling)))


def options_toml(text: str, portfolio: Portfolio, note: str = "") -> str:
    """The portfolio file's ``text`` with the fund and the countries' weights of ``portfolio`` (the file's portfolio
    with the page's options: :func:`with_fund_options`), as ``dfl-finance portfolio`` reads it: the same run. The
    countries' scenario paths are the file's; ``note`` goes first, as a comment. The file's comments are not kept."""
    import tomli_w  # written only when a file is downloaded

    raw = tomllib.loads(text)
    f = portfolio.fund
    fund = {k: v for k, v in raw.get("fund", {}).items()
            if k not in {"envelope", "rule", "per_learner", "objective", "co_finances", "floor", "ceiling"}}
    fund |= {"envelope": f.envelope, "rule": f.rule}
    if f.per_learner is not None:
        fund["per_learner"] = f.per_learner
    if f.rule == "optimal":  # only the optimal rule has an objective
        fund["objective"] = f.objective
    if f.co_finances:
        fund["co_finances"] = list(f.co_finances)
    if f.floor > 0:
        fund["floor"] = f.floor
    if math.isfinite(f.ceiling):
        fund["ceiling"] = f.ceiling
    raw["fund"] = fund
    for row, c in zip(raw["country"], portfolio.countries):
        if "weight" in row or c.weight != 1.0:
            row["weight"] = c.weight
    head = "".join(f"# {line}\n" for line in note.splitlines())
    return head + tomli_w.dumps(raw)


def _scenario_shown(c: CountryEntry, files: Mapping[str, str]) -> str:
    """Where a country's scenario comes from, as the page says it."""
    if c.profile:
        return f"{c.file.name} with the {c.profile} profile"
    bundled = c.file.resolve().is_relative_to(bundled_scenarios_dir().resolve())
    return f"scenarios/{c.file.name}" if bundled or c.file.name not in files else c.file.name


class FundOptions(TypedDict):
    """The fund's options as the page shows them."""

    envelope: float
    rule: str
    per_learner: float | None
    objective: str
    co_finances: list[str]
    floor: float
    ceiling: float


class FileFund(FundOptions):
    """The fund of a portfolio file (:func:`portfolio_file`)."""

    id: str


class RunFund(FundOptions):
    """The fund options of a run (:func:`portfolio_results`)."""

    weights: dict[str, float]


class PortfolioFile(TypedDict):
    """What the page shows of a portfolio file before a run (:func:`portfolio_file`)."""

    name: str
    fund: FileFund
    countries: pd.DataFrame
    weights: dict[str, float]
    grants: dict[str, str]
    grant_table: pd.DataFrame
    pooled: list[tuple[str, float, str]]


class PortfolioResults(TypedDict):
    """The run of a portfolio with the page's options (:func:`portfolio_results`)."""

    allocation: pd.DataFrame
    equity: pd.DataFrame
    groups: pd.DataFrame
    reach: pd.DataFrame
    programmes: dict[str, dict[str, str]]
    share: list[float]
    need: list[float]
    currency: dict[str, str]
    fund: RunFund
    toml: str
    files: dict[str, str]


def portfolio_file(text: str, name: str, files: Mapping[str, str] | None = None) -> PortfolioFile:
    """What the page shows of the file (with the scenario ``files`` given with it: :func:`load_portfolio_text`)
    before a run: ``name``, ``fund`` (the file's), ``countries`` (label, scenario file, income group, weight),
    ``weights`` (by country), ``grants`` (the grants the fund can co-finance, by id with their names:
    :func:`matched_grants`), ``grant_table`` (:func:`grant_table` with the file's co-financing) and ``pooled``
    (item, discount, source)."""
    files = dict(files or {})
    pf = load_portfolio_text(text, name, files)
    f = pf.fund
    return {"name": pf.name,
            "fund": {"id": f.id, "envelope": f.envelope, "rule": f.rule, "per_learner": f.per_learner,
                     "objective": f.objective, "co_finances": list(f.co_finances), "floor": f.floor,
                     "ceiling": f.ceiling},
            "countries": pd.DataFrame([{"Country": c.label, "Scenario": _scenario_shown(c, files),
                                        "Income group": c.income_group, "Weight": c.weight}
                                       for c in pf.countries]),
            "weights": {c.label: c.weight for c in pf.countries},
            "grants": matched_grants(pf), "grant_table": grant_table(pf, f.co_finances),
            "pooled": list(pf.pooled)}


def portfolio_results(text: str, name: str, envelope: float, rule: str, per_learner: float | None,
                      basis: str, *, objective: str | None = None, co_finances: Iterable[str] | None = None,
                      floor: float | None = None, ceiling: float | None = None,
                      weights: Mapping[str, float | None] | None = None,
                      files: Mapping[str, str] | None = None) -> PortfolioResults:
    """The run of the portfolio (with the scenario ``files`` given with it: :func:`load_portfolio_text`) with the
    page's fund options (:func:`with_fund_options`; None: the file's):
    ``allocation``, ``equity``, ``groups`` and ``reach`` (as ``dfl-finance portfolio`` writes them),
    ``programmes`` (each country's programme names by id), ``share`` and ``need``
    (USD), ``currency`` (each country's currency in ``basis``, of the marginal PV saving), ``fund`` (the options
    run), ``toml`` (the portfolio file with these options: :func:`options_toml`) and ``files`` (the scenario files
    given with it, which ``toml`` names: :func:`options_zip` puts them beside it).

    Raises
    ------
    ScenarioError
        The file's problems, the options' (named by the page's labels), and floors that add up to more than the
        envelope (each country's floor, or its need when that is less).
    """
    files = dict(files or {})
    pf = with_fund_options(load_portfolio_text(text, name, files), envelope, rule, per_learner, objective=objective,
                           co_finances=co_finances, floor=floor, ceiling=ceiling, weights=weights)
    try:
        result = run_portfolio(pf, basis)
    except ScenarioError as exc:  # the floors need more than the envelope: named as the page's field
        raise ScenarioError([Problem(FIELD_LABELS["floor"], p.message, has_value=False)
                             if p.path.endswith("fund.floor") else p for p in exc.problems]) from None
    f = pf.fund
    own = sorted({c.file.name for c in pf.countries if _scenario_shown(c, files) == c.file.name})
    bundled = [c for c in pf.countries if _scenario_shown(c, files).startswith("scenarios/")]
    note = f"{Path(name).name} with the fund set on the dfl_finance app's Portfolio page."
    if own:
        note += (f"\nIts scenario files ({', '.join(own)}) are beside it in the zip: unzip it and run "
                 f"`dfl-finance portfolio {Path(name).name} --out DIR` in that folder.")
    if bundled or not own:
        note += ("\nThe paths of the bundled scenarios are relative to the repository's examples/ folder, as the "
                 "page reads them.")
    return {"allocation": result.allocation_df(), "equity": result.equity_df(), "groups": result.groups_df(),
            "reach": result.reach_df(),
            "programmes": {c.label: {p.id: p.name or p.id for p in c.scenario.programme} for c in pf.countries},
            "share": [float(s) for s in result.share], "need": [float(n) for n in result.need],
            "currency": {c.label: basis_currency(basis, c.scenario) for c in pf.countries},
            "fund": {"envelope": f.envelope, "rule": f.rule, "per_learner": f.per_learner, "objective": f.objective,
                     "co_finances": list(f.co_finances), "floor": f.floor, "ceiling": f.ceiling,
                     "weights": {c.label: c.weight for c in pf.countries}},
            "toml": options_toml(text, pf, note), "files": files}


def allocation_table(allocation: pd.DataFrame, rule: str = "need", objective: str = "reach") -> pd.DataFrame:
    """The allocation as the page shows it: USD amounts, the share of each need the fund pays, capped as Yes/No; the
    gap before the fund beside the need when they differ (the fund unlocks a co-financed grant's money), and for the
    optimal rule its basis (:data:`BASIS_COLUMNS`: learners reached or gap closed at the share)."""
    need = allocation["need"].astype(float)
    before = allocation["gap_before"].astype(float)
    out = {"Country": allocation["country"]}
    if ((before - need).abs() > (1e-6 * need.abs()).clip(lower=1.0)).any():
        out["Gap before the fund [USD]"] = before
    out |= {
        "Need [USD]": need,
        "Share [USD]": allocation["share"].astype(float),
        "Share of need [%]": pd.Series([100 * s / n if n > 0 else math.nan
                                        for s, n in zip(allocation["share"], need)], index=allocation.index),
        "Gap after [USD]": allocation["gap_after"].astype(float),
    }
    if rule == "optimal":
        out[BASIS_COLUMNS[objective][0]] = allocation["basis"].astype(float)
    out["Capped"] = pd.Series(["Yes" if c else "No" for c in allocation["capped"]], index=allocation.index)
    return pd.DataFrame(out)


def need_note(rule: str, co_finances: Iterable[str]) -> str:
    """Why the allocation table shows the gap before the fund beside the need: what makes them differ under ``rule``
    with the fund co-financing ``co_finances``.

    Examples
    --------
    >>> need_note("optimal", ["gpe"]).split(": ")[1]
    'the fund unlocks money from the grants it co-finances.'
    """
    reasons = (["a country asks at most its learners × the USD per learner"] if rule == "per-learner" else []) + \
        (["the fund unlocks money from the grants it co-finances"] if list(co_finances) else [])
    return f"The gap before the fund is shown where it differs from the need: {', and '.join(reasons)}." if reasons \
        else "The gap before the fund is shown where it differs from the need."


def optimal_note(objective: str, co_finances: Iterable[str]) -> str:
    """What the optimal rule does, in plain words, for ``objective`` and the grants the fund co-finances (as the
    page names them)."""
    co = list(co_finances)
    learners = "reaches the most learners (in the schools connected by the end of each plan)"
    first, then = (learners, "closes the most gap") if objective == "reach" else ("closes the most gap", learners)
    text = (f"The fund goes first where it {first}, then, among the ways of doing that, where it {then}; what is "
            "left is shared in proportion to need. Each country's response to the fund is measured by running its "
            "plan with the fund at many amounts.")
    if co:
        text += (f" The fund co-finances {' and '.join(co)}: where a USD of the fund unlocks a grant's matched money "
                 "it closes more than a USD of gap, so for the gap it goes there first.")
    elif objective == "gap":
        text += (" It co-finances no grant, so a USD of the fund closes a USD of gap wherever it goes: the learners "
                 "reached decide.")
    return text


def chart_rows(allocation: pd.DataFrame, equity: pd.DataFrame) -> pd.DataFrame:
    """One row per country and stage (before and after the fund): the gap in USD, and the reach at the end."""
    reach = equity.set_index("country")["reached_share_end"]
    rows = []
    for _, r in allocation.iterrows():
        for stage, gap in (("Gap before the fund", r["gap_before"]), ("Gap after the fund", r["gap_after"])):
            rows.append({"country": r["country"], "stage": stage, "gap": float(gap),
                         "reach": float(reach.get(r["country"], math.nan))})
    return pd.DataFrame(rows)


def totals(allocation: pd.DataFrame, envelope: float) -> dict[str, float]:
    return {"envelope": float(envelope), "need": float(allocation["need"].sum()),
            "allocated": float(allocation["share"].sum()), "gap_after": float(allocation["gap_after"].sum())}


#: The unit of each driver, as the page counts it (one, many).
UNITS = {"schools": ("school", "schools"), "learners": ("learner", "learners"), "teachers": ("teacher", "teachers")}
#: A programme's reach this close to 0 (units, or units per USD) is none (the runs' dust).
REACH_DUST = {"units": 0.005, "per_usd": 5e-7}


def _units(x: float, driver: str) -> str:
    """``1,234 more learners``, ``1 more teacher``, ``3 fewer schools``; under 10 with its hundredths (``0.42 more
    schools``).

    Examples
    --------
    >>> _units(1234.4, "learners"), _units(1.0, "teachers"), _units(0.4249, "schools"), _units(-3, "schools")
    ('1,234 more learners', '1 more teacher', '0.42 more schools', '3 fewer schools')
    """
    one, many = UNITS.get(driver, (driver, driver))
    number = f"{abs(x):,.0f}" if abs(x) >= 10 else f"{abs(x):,.2f}".rstrip("0").rstrip(".")
    return f"{number} {'more' if x > 0 else 'fewer'} {one if number == '1' else many}"


def _per_usd(x: float) -> str:
    """Units per USD with three significant digits (whole units from 100 on)."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def programme_label(names: Mapping[str, str], programme: str) -> str:
    """A programme's name on the page (its id when it has none)."""
    return names.get(programme, programme)


def next_usd_reach(rows: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    """What a USD more of the fund reaches in a country, programme by programme (its rows of portfolio_reach.csv):
    ``0.00515 more teachers (Teacher data skills)`` for each programme that reaches more."""
    out = []
    for _, r in rows.iterrows():
        x = float(r["marginal_reached_per_usd"])
        if x == x and abs(x) >= REACH_DUST["per_usd"]:
            many = UNITS.get(str(r["driver"]), ("", str(r["driver"])))[1]
            out.append(f"{_per_usd(abs(x))} {'more' if x > 0 else 'fewer'} {many} "
                       f"({programme_label(names, r['programme'])})")
    return out


def next_usd_pays(rows: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    """The programmes a USD more of the fund pays (a cent of it or more) without reaching more units there: lump
    sums, running costs, replacements."""
    return [programme_label(names, r["programme"]) for _, r in rows.iterrows()
            if float(r["marginal_fund_paid_per_usd"]) >= 0.01
            and not abs(float(r["marginal_reached_per_usd"])) >= REACH_DUST["per_usd"]]


def _next_usd(r: pd.Series, currency: str, gains: list[str] | None = None, pays: list[str] | None = None) -> str:
    """What a USD more of the fund does in a country, in words: its marginal columns of the equity table, and with
    ``gains`` (:func:`next_usd_reach`) what it reaches in each programme instead of the learners of the schools
    connected alone (with ``pays``, :func:`next_usd_pays`, what it pays when it reaches no more units)."""
    gap, learners, saving = (float(r[k]) for k in MARGINAL)
    money = f"{currency} " if currency else ""
    parts = [f"closes USD {gap:,.2f} of gap" if gap == gap else "closes no gap that can be measured"]
    if gains is not None:
        parts.append(f"reaches {', '.join(gains)}" if gains else "reaches no more schools, learners or teachers"
                     + (f" (it pays {_listed(pays)})" if pays else ""))
    elif learners == learners:
        parts.append(f"reaches {learners:,.3f} more learners in connected schools" if abs(learners) >= 5e-4 else
                     "reaches no more learners in connected schools")
    if saving == saving:
        parts.append(f"saves {money}{saving:,.2f} of the government's cost in present value" if saving >= 0.005 else
                     f"adds {money}{-saving:,.2f} to the government's cost in present value" if saving <= -0.005 else
                     "leaves the government's cost as it is")
    return f"Each USD more of the fund here {', '.join(parts[:-1])} and {parts[-1]}." if len(parts) > 1 else \
        f"Each USD more of the fund here {parts[0]}."


def reach_sentence(rows: pd.DataFrame, names: Mapping[str, str]) -> str:
    """What the fund reaches in a country, in words, from its rows of portfolio_reach.csv: the units each programme
    reaches thanks to the fund, the unit-years of running costs it pays, and what it pays of programmes that count
    no units; what it pays and reaches nothing with is said too (never "nobody" when it pays something)."""
    reached, kept, lump = [], [], []
    for _, r in rows.iterrows():
        name = programme_label(names, r["programme"])
        paid = float(r["fund_capex"]) + float(r["fund_opex"])
        units, years = float(r["reached_by_fund"]), float(r["unit_years_by_fund"])
        if r["driver"] == "none":
            if paid > 0:
                lump.append(f"{format_money(paid, 'USD')} of {name}")
            continue
        if abs(units) >= REACH_DUST["units"]:
            reached.append(f"{_units(units, str(r['driver']))} ({name})")
        if abs(years) >= REACH_DUST["units"]:
            one = UNITS.get(str(r["driver"]), (str(r["driver"]), ""))[0]
            number = f"{abs(years):,.0f}" if abs(years) >= 10 else f"{abs(years):,.2f}"
            kept.append(f"{number} {one}-years {'' if years > 0 else 'fewer '}of {name}")
    parts = []
    if reached:
        parts.append(f"reaches {_listed(reached)} by the end of the plan")
    if kept:
        parts.append(f"pays the running costs of {_listed(kept)}")
    if lump:
        parts.append(f"pays {_listed(lump)} (lump sums that count no schools, learners or teachers)")
    if not parts:
        paid = float(rows["fund_capex"].sum() + rows["fund_opex"].sum()) if len(rows) else 0.0
        return ("The fund reaches no more schools, learners or teachers here: "
                + ("it pays nothing." if paid <= 0 else f"the {format_money(paid, 'USD')} it pays go to units "
                   "reached anyway (replacements, or costs the country's other sources would have paid)."))
    return "With its share, the fund " + "; ".join(parts) + "."


def equity_sentences(equity: pd.DataFrame, currency: dict[str, str], reach: pd.DataFrame | None = None,
                     programmes: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """The equity table in words: one sentence per country (what the fund gives it and leaves it, its connectivity
    reach and burden; with ``reach`` (portfolio_reach.csv) and ``programmes`` (each country's programme names) what
    the fund reaches in each programme (:func:`reach_sentence`); and what a USD more would do there: gap closed,
    units reached, the government's cost saved), then who is left with the most gap per learner."""
    out = []
    for _, r in equity.iterrows():
        names = (programmes or {}).get(r["country"], {})
        rows = reach[reach["country"] == r["country"]] if reach is not None else None
        group = f" ({r['income_group']} income)" if r["income_group"] else ""
        reached = r["reached_share_end"]
        connected = (f"its connectivity programme reaches {reached:.1%} of schools by the end" if reached == reached
                     else "it has no school programme to reach schools with")
        burden = (f"; the plan's peak burden is {r['peak_burden_share']:.1%} of the education budget"
                  if r["peak_burden_share"] == r["peak_burden_share"] else "")
        out.append(
            f"**{r['country']}**{group}: {r['learners']:,.0f} learners; the fund gives it "
            f"{format_money(r['fund_share'], 'USD')} (USD {r['fund_per_learner']:,.2f} a learner) and leaves a gap of "
            f"USD {r['gap_per_learner']:,.2f} a learner; {connected}{burden}. "
            + (f"{reach_sentence(rows, names)} " if rows is not None else "")
            + (_next_usd(r, currency.get(r["country"], ""), next_usd_reach(rows, names), next_usd_pays(rows, names))
               if rows is not None else _next_usd(r, currency.get(r["country"], ""))))
    gaps = equity.dropna(subset=["gap_per_learner"]).sort_values("gap_per_learner", kind="stable")
    if len(gaps) > 1:
        top, low = gaps.iloc[-1], gaps.iloc[0]
        out.append(f"After the fund, {top['country']} is left with the largest gap a learner "
                   f"(USD {top['gap_per_learner']:,.2f}), {low['country']} with the smallest "
                   f"(USD {low['gap_per_learner']:,.2f}).")
    return out


#: The equity table's headers (portfolio_equity.csv's columns): the page's header, number format and help of each.
EQUITY_HEADERS = {
    "country": ("Country", None, None),
    "income_group": ("Income group", None, None),
    "learners": ("Learners", "{:,.0f}", "The country's learners (its scenario's context)."),
    "fund_share": ("Fund share [USD]", "{:,.0f}", "What the fund gives the country (USD, current prices)."),
    "fund_per_learner": ("Fund a learner [USD]", "{:,.2f}", "The fund's share per learner."),
    "gap_per_learner": ("Gap a learner [USD]", "{:,.2f}", "The gap the country's plan still has with the fund, per "
                        "learner (USD, current prices)."),
    "reached_share_end": ("Schools reached", "{:.1%}", "The share of schools the country's connectivity programme "
                          "reaches with funded capex by the end of its plan."),
    "peak_burden_share": ("Peak burden", "{:.1%}", "The plan's largest yearly cost to the government, as a share "
                          "of the education budget."),
    "marginal_gap_closed_per_usd": ("Gap closed per USD more [USD]", "{:,.2f}", "What a USD more of the fund here "
                                    "closes of the gap (more than 1 where it unlocks a co-financed grant's money)."),
    "marginal_learners_reached_per_usd": ("Learners of connected schools per USD more", "{:,.3f}", "The learners of "
                                          "the schools a USD more of the fund here connects by the end of the plan "
                                          "(the optimal rule's reach; what it reaches in every programme: the table "
                                          "What the fund reaches)."),
    "marginal_pv_saving_per_usd": ("PV saving per USD more", "{:,.2f}", "What a USD more of the fund here saves of "
                                   "the government's cost in present value, in the country's currency (next "
                                   "column)."),
}
#: The marginal columns (what a USD more of the fund does), shown in a table of their own.
MARGINAL = ("marginal_gap_closed_per_usd", "marginal_learners_reached_per_usd", "marginal_pv_saving_per_usd")
CURRENCY_HEADER = "Currency of the saving"


def equity_table(equity: pd.DataFrame, marginal: bool = False, currency: Mapping[str, str] | None = None
                 ) -> pd.DataFrame:
    """The equity table with readable headers (:data:`EQUITY_HEADERS`; amounts in USD): the country, then its
    equity columns, or with ``marginal`` its :data:`MARGINAL` ones (what a USD more of the fund does), with the
    currency of the PV saving (each country's in ``currency``)."""
    cols = ["country", *(c for c in EQUITY_HEADERS if c != "country" and (c in MARGINAL) == marginal)]
    out = equity[cols].rename(columns={c: EQUITY_HEADERS[c][0] for c in cols})
    if marginal:  # the equity table's own column (portfolio_equity.csv), else the currencies given
        out[CURRENCY_HEADER] = (equity["pv_saving_currency"].tolist() if "pv_saving_currency" in equity else
                                [(currency or {}).get(c, "") for c in equity["country"]])
    return out


def equity_formats() -> dict[str, str]:
    """The page's number format of each equity header."""
    return {label: fmt for label, fmt, _ in EQUITY_HEADERS.values() if fmt}


def equity_help() -> dict[str, str]:
    """The help of each equity header."""
    return {label: text for label, _, text in EQUITY_HEADERS.values() if text}


#: The reach table's headers (portfolio_reach.csv's columns, the page's programme name for its id and its capex and
#: opex together): the page's header, number format and help of each.
REACH_HEADERS = {
    "country": ("Country", None, None),
    "programme": ("Programme", None, None),
    "driver": ("Unit", None, "What the programme counts: schools, learners or teachers (none: lump sums, such as "
               "officials' training, with no unit count)."),
    "fund_paid": ("Fund pays [USD]", "{:,.0f}", "What the fund pays of the programme's costs over the plan, its "
                  "investment (capex) and running costs (opex) together (USD, current prices; each apart in "
                  "portfolio_reach.csv)."),
    "reached_by_fund": ("Reached by the fund", "{:,.0f}", "Reached thanks to the fund: the units the programme "
                        "reaches with funded investment by the end of the plan with the fund, less without it (the "
                        "grants it unlocks included)."),
    "unit_years_by_fund": ("Unit-years paid", "{:,.0f}", "Unit-years of running costs paid thanks to the fund: each "
                           "year's units reached times the share of the programme's running costs paid, summed over "
                           "the plan, with the fund less without."),
    "marginal_reached_per_usd": ("Per USD more", "{:.3g}", "The units a USD more of the fund here reaches in the "
                                 "programme (from a run with 1% more)."),
}


#: The reach table's unit of a ``driver = "none"`` programme.
NO_UNITS = "none (lump sums)"


def reach_table(reach: pd.DataFrame, programmes: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """portfolio_reach.csv as the page shows it: the programmes the fund pays or reaches something in (or where a USD
    more would), each by its name, what the fund pays it (capex and opex together), with readable headers
    (:data:`REACH_HEADERS`)."""
    paid = reach["fund_capex"].astype(float) + reach["fund_opex"].astype(float)
    moved = (reach[["reached_by_fund", "unit_years_by_fund"]].astype(float).abs() >= REACH_DUST["units"]).any(axis=1)
    more = (reach["marginal_reached_per_usd"].astype(float).abs() >= REACH_DUST["per_usd"]) | (
        reach["marginal_fund_paid_per_usd"].astype(float) >= 0.01)
    shown = reach[(paid > 0) | moved | more].assign(fund_paid=paid)
    shown["programme"] = [programme_label(programmes.get(c, {}), p) for c, p in zip(shown["country"],
                                                                                     shown["programme"])]
    shown["driver"] = shown["driver"].replace({"none": NO_UNITS})
    shown = shown[list(REACH_HEADERS)].rename(columns={c: h for c, (h, _, _) in REACH_HEADERS.items()})
    return shown.reset_index(drop=True)


def reach_formats() -> dict[str, str]:
    return {label: fmt for label, fmt, _ in REACH_HEADERS.values() if fmt}


def reach_help() -> dict[str, str]:
    return {label: text for label, _, text in REACH_HEADERS.values() if text}


def options_zip(results: Mapping[str, object], name: str) -> bytes:
    """The portfolio file with the page's options (``results["toml"]``, as ``name``) and the scenario files given
    with it (``results["files"]``) in one zip: unzipped, ``dfl-finance portfolio <name>`` runs what the page ran."""
    files = results.get("files") or {}
    assert isinstance(files, Mapping)
    return zip_files({Path(name).name: str(results["toml"]).encode("utf-8"),
                      **{f: str(t).encode("utf-8") for f, t in files.items()}})


def portfolio_zip(results: PortfolioResults) -> bytes:
    """allocation.csv, portfolio_equity.csv, portfolio_groups.csv and portfolio_reach.csv in one zip, written as
    ``dfl-finance portfolio`` writes them."""
    tables = {"allocation": results["allocation"], "portfolio_equity": results["equity"],
              "portfolio_groups": results["groups"], "portfolio_reach": results.get("reach")}
    return zip_tables({k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)})

"""What the Portfolio page shows of a donor's portfolio (:mod:`dfl_finance.portfolio`), without Streamlit: a portfolio
file's text read with its country scenarios resolved in the repository's ``examples/`` folder (the bundled scenarios
only), the fund's envelope and rule set on the page, the run's allocation and equity tables, and the equity in words.
"""

from __future__ import annotations

import math
import tempfile
import tomllib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import Problem, ScenarioError
from ..formatting import format_money
from ..portfolio import RULES, Portfolio, load_portfolio, run_portfolio
from ..profiles import bundled_scenarios_dir
from .basis import basis_currency

#: The bundled example portfolio, in :func:`examples_dir`.
EXAMPLE = "portfolio-east-africa.toml"
RULE_LABELS = {"need": "In proportion to need", "per-learner": "Per learner (USD each, at most the need)",
               "weighted": "In proportion to need × weight",
               "optimal": "Optimal: the most learners reached, then the most gap closed"}
assert set(RULE_LABELS) == set(RULES)


def examples_dir() -> Path:
    """The repository's ``examples/`` folder (beside ``streamlit_app.py``): an uploaded portfolio's scenario paths are
    read relative to it."""
    return Path(__file__).resolve().parents[2] / "examples"


def _shown(path: str, file: Path, name: str, scenarios: Path) -> str:
    """A problem's path as the page names it: the uploaded file by its name, a scenario by ``scenarios/<file>``."""
    return path.replace(str(file), name).replace(str(scenarios.parent) + "/", "")


def load_portfolio_text(text: str, name: str) -> Portfolio:
    """The portfolio of a file's ``text`` (called ``name`` in messages), each country's ``scenario`` and the plan
    ``template`` relative to :func:`examples_dir`, as in the bundled examples; a scenario outside the bundled
    scenarios' folder, or a template outside that folder and ``examples/``, is refused.

    Raises
    ------
    ScenarioError
        Every problem of :func:`~dfl_finance.portfolio.load_portfolio`, the file named ``name`` and each scenario
        ``scenarios/<file>``.
    """
    scenarios = bundled_scenarios_dir().resolve()
    name = Path(name).name or "portfolio.toml"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raw = None  # load_portfolio names it, with the line
    rows = raw.get("country") if raw is not None else None
    table = raw.get("portfolio") if raw is not None else None
    template = table.get("template") if isinstance(table, dict) else None
    if raw is not None and (isinstance(rows, list) or isinstance(template, str)):
        import tomli_w

        problems = []
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict) and isinstance(row.get("scenario"), str):
                target = (examples_dir() / row["scenario"]).resolve()
                if not target.is_relative_to(scenarios):
                    problems.append(Problem(f"{name}: country[{i}].scenario", "a bundled scenario, relative to the "
                                            "examples/ folder (e.g. ../scenarios/rwanda-domestic.toml)",
                                            row["scenario"]))
                row["scenario"] = str(target)
        if isinstance(template, str) and isinstance(table, dict):
            target = (examples_dir() / template).resolve()
            if not (target.is_relative_to(scenarios) or target.is_relative_to(examples_dir().resolve())):
                problems.append(Problem(f"{name}: portfolio.template", "a bundled plan template or scenario, "
                                        "relative to the examples/ folder (e.g. plan-template.toml)", template))
            table["template"] = str(target)
        if problems:
            raise ScenarioError(problems)
        text = tomli_w.dumps(raw)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / name
        file.write_text(text, encoding="utf-8")
        try:
            return load_portfolio(file)
        except ScenarioError as exc:
            raise ScenarioError([replace(p, path=_shown(p.path, file, name, scenarios))
                                 for p in exc.problems]) from None


def with_fund_options(portfolio: Portfolio, envelope: float, rule: str, per_learner: float | None) -> Portfolio:
    """The portfolio with the fund's envelope (USD), rule and USD per learner set on the page."""
    if rule not in RULES:
        raise ScenarioError([Problem("fund.rule", f"one of {', '.join(RULES)}", rule)])
    if not (math.isfinite(envelope) and envelope >= 0):
        raise ScenarioError([Problem("fund.envelope", "an amount in USD >= 0", envelope)])
    if rule == "per-learner" and (per_learner is None or not per_learner >= 0):
        raise ScenarioError([Problem("fund.per_learner", "the per-learner rule needs USD per learner (>= 0)",
                                     per_learner)])
    return replace(portfolio, fund=replace(portfolio.fund, envelope=float(envelope), rule=rule,
                                           per_learner=per_learner if per_learner is None else float(per_learner)))


def portfolio_file(text: str, name: str) -> dict[str, object]:
    """What the page shows of the file before a run: ``name``, ``fund`` (the file's), ``countries`` (label, scenario
    file, income group, weight) and ``pooled`` (item, discount, source)."""
    pf = load_portfolio_text(text, name)
    f = pf.fund
    return {"name": pf.name,
            "fund": {"id": f.id, "envelope": f.envelope, "rule": f.rule, "per_learner": f.per_learner,
                     "floor": f.floor, "ceiling": f.ceiling},
            "countries": pd.DataFrame([{"Country": c.label, "Scenario": f"{c.file.name} with the {c.profile} "
                                        "profile" if c.profile else f"scenarios/{c.file.name}",
                                        "Income group": c.income_group, "Weight": c.weight}
                                       for c in pf.countries]),
            "pooled": list(pf.pooled)}


def portfolio_results(text: str, name: str, envelope: float, rule: str, per_learner: float | None,
                      basis: str) -> dict[str, object]:
    """The run of the portfolio with the page's fund options: ``allocation`` and ``equity`` (as
    ``dfl-finance portfolio`` writes them), ``share`` and ``need`` (USD), ``currency`` (each country's currency in
    ``basis``, of the marginal PV saving) and ``fund`` (the options run)."""
    pf = with_fund_options(load_portfolio_text(text, name), envelope, rule, per_learner)
    result = run_portfolio(pf, basis)
    return {"allocation": result.allocation_df(), "equity": result.equity_df(), "groups": result.groups_df(),
            "share": [float(s) for s in result.share], "need": [float(n) for n in result.need],
            "currency": {c.label: basis_currency(basis, c.scenario) for c in pf.countries},
            "fund": {"envelope": pf.fund.envelope, "rule": pf.fund.rule, "per_learner": pf.fund.per_learner}}


def allocation_table(allocation: pd.DataFrame) -> pd.DataFrame:
    """The allocation as the page shows it: USD amounts, the share of each need the fund pays, capped as Yes/No."""
    need = allocation["need"].astype(float)
    return pd.DataFrame({
        "Country": allocation["country"],
        "Need [USD]": need,
        "Share [USD]": allocation["share"].astype(float),
        "Share of need [%]": [100 * s / n if n > 0 else math.nan for s, n in zip(allocation["share"], need)],
        "Gap after [USD]": allocation["gap_after"].astype(float),
        "Capped": ["Yes" if c else "No" for c in allocation["capped"]],
    })


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


def equity_sentences(equity: pd.DataFrame, currency: dict[str, str]) -> list[str]:
    """The equity table in words: one sentence per country, then who is left with the most gap per learner."""
    out = []
    for _, r in equity.iterrows():
        group = f" ({r['income_group']} income)" if r["income_group"] else ""
        reached = r["reached_share_end"]
        reach = (f"its connectivity programme reaches {reached:.1%} of schools by the end" if reached == reached
                 else "it has no school programme to reach schools with")
        burden = (f"; the plan's peak burden is {r['peak_burden_share']:.1%} of the education budget"
                  if r["peak_burden_share"] == r["peak_burden_share"] else "")
        out.append(
            f"**{r['country']}**{group}: {r['learners']:,.0f} learners; the fund gives it "
            f"{format_money(r['fund_share'], 'USD')} (USD {r['fund_per_learner']:,.2f} a learner) and leaves a gap of "
            f"USD {r['gap_per_learner']:,.2f} a learner; {reach}{burden}. A little more of the fund here closes "
            f"USD {r['marginal_gap_closed_per_usd']:,.2f} of gap per USD and saves "
            f"{currency.get(r['country'], '')} {r['marginal_pv_saving_per_usd']:,.2f} of the government's cost in "
            "present value per USD.")
    gaps = equity.dropna(subset=["gap_per_learner"]).sort_values("gap_per_learner", kind="stable")
    if len(gaps) > 1:
        top, low = gaps.iloc[-1], gaps.iloc[0]
        out.append(f"After the fund, {top['country']} is left with the largest gap a learner "
                   f"(USD {top['gap_per_learner']:,.2f}), {low['country']} with the smallest "
                   f"(USD {low['gap_per_learner']:,.2f}).")
    return out


def equity_table(equity: pd.DataFrame) -> pd.DataFrame:
    """The equity table with readable headers (amounts in USD; the PV saving in each country's currency)."""
    return equity.rename(columns={
        "country": "Country", "income_group": "Income group", "learners": "Learners",
        "gap_per_learner": "Gap a learner after [USD]", "reached_share_end": "Reach at the end",
        "peak_burden_share": "Peak burden", "fund_share": "Fund share [USD]",
        "fund_per_learner": "Fund a learner [USD]", "marginal_gap_closed_per_usd": "Gap closed per USD more",
        "marginal_pv_saving_per_usd": "PV saving per USD more"})


def portfolio_zip(results: dict[str, object]) -> bytes:
    """allocation.csv, portfolio_equity.csv and portfolio_groups.csv in one zip, written as ``dfl-finance
    portfolio`` writes them."""
    from ..export import zip_tables

    tables = {"allocation": results["allocation"], "portfolio_equity": results["equity"],
              "portfolio_groups": results["groups"]}
    return zip_tables({k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)})

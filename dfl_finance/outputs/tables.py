"""The output tables: every table a command writes, its columns, the unit of each and what it holds, in one place.

The code that makes a table takes its columns from here (:func:`columns`; the old constants ``TABLE_COLUMNS``,
``QUANTILE_COLUMNS``, ``TORNADO_COLUMNS``, ... are views of it), the workbook's README sheet its description
(:func:`workbook_row`), the rounding and number formats which columns are amounts and shares (:data:`MONEY_COLUMNS`,
:data:`SHARE_COLUMNS`), and the README's table of outputs is written from it (``python -m dfl_finance.outputs.tables``;
a test fails when the README drifts, another when a command writes a column the registry does not list).

A table's **unit** is said once per column (:class:`Column`): a fixed unit (``USD``, ``share of the education
budget``) or the columns that give it row by row (``price_basis`` and ``currency`` in an amount table, ``unit`` in a
long table of metrics).

A new table: add a :class:`Table` to :data:`TABLES` (in the order the README lists them), make it with
``columns(name)``, and run ``python -m dfl_finance.outputs.tables``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dfl_finance.inputs.docs import update

#: How a column's values are read and rounded: ``text`` (names, codes, words), ``year``, ``count`` (whole units:
#: schools, learners, draws), ``money`` (an amount, rounded to the minor unit of its currency), ``price`` (an amount
#: per unit, to :data:`~dfl_finance.vocabulary.PRICE_DIGITS` decimals), ``share`` (0..1, to
#: :data:`~dfl_finance.vocabulary.SHARE_DIGITS`), ``number`` (any other number: a metric's value, a ratio, an index),
#: ``flag`` (true/false, yes/no).
Kind = Literal["text", "year", "count", "money", "price", "share", "number", "flag"]
#: Columns that say in what an amount table's amounts are: the price basis and the currency.
BASIS_COLUMNS = ["price_basis", "currency"]


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, how it is read (:data:`Kind`), its unit (``unit``, the same in every row,
    or ``unit_from``, the columns that give it row by row) and a few words for the README's table (``note``)."""

    name: str
    kind: Kind = "text"
    unit: str = ""
    unit_from: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Table:
    """One table: its name (the file's stem), the commands that write it, its columns, what it holds (``note``, one
    line), its units in words (``units``), where its numbers come from (``source``), further words for the README
    (``more``: which rows, what an empty cell means).

    ``first``: columns that one command puts before the others (a portfolio's run tables start with ``country``).
    ``by_metric``: after its columns, one column per summary metric (a wide table). ``partitioned_by``: columns that
    are in the folder names (hive partitioning), not in the files. ``workbook_row``: whether the workbook's README
    sheet describes it (two sheets that a workbook may hold have no row there yet; giving them one changes those
    workbooks)."""

    name: str
    commands: tuple[str, ...]
    columns: tuple[Column, ...]
    note: str
    units: str
    source: str = ""
    file: str = ""
    more: str = ""
    first: tuple[tuple[str, Column], ...] = ()
    by_metric: bool = False
    partitioned_by: tuple[str, ...] = ()
    workbook_row: bool = True

    @property
    def file_name(self) -> str:
        return self.file or f"{self.name}.csv"

    def columns_for(self, command: str | None = None) -> list[Column]:
        """The columns as ``command`` (its first word) writes them: with the columns it puts first."""
        word = command.split()[0] if command else None
        return [*(c for cmd, c in self.first if cmd == word), *self.columns]

    def names(self, command: str | None = None) -> list[str]:
        return [c.name for c in self.columns_for(command)]

    def column(self, name: str) -> Column:
        for c in [*self.columns, *(c for _, c in self.first)]:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


# ------------------------------------------------------------------------------------------------ the columns

def _text(name: str, note: str = "") -> Column:
    return Column(name, "text", note=note)


def _amount(name: str, note: str = "") -> Column:
    """An amount in the table's price basis and currency (its ``price_basis`` and ``currency`` columns)."""
    return Column(name, "money", unit_from=("price_basis", "currency"), note=note)


def _usd(name: str, kind: Kind = "money", note: str = "", unit: str = "USD (current prices)") -> Column:
    return Column(name, kind, unit=unit, note=note)


def _by_unit(name: str, note: str = "", kind: Kind = "number") -> Column:
    """A value in the row's ``unit``."""
    return Column(name, kind, unit_from=("unit",), note=note)


_SCENARIO = _text("scenario")
_YEAR = Column("year", "year")
_BASIS = (_text("price_basis"), _text("currency"))
_METRIC = _text("metric", "a summary metric's key, docs/method.md")
_LABEL = _text("label", "the metric in words")
_UNIT = _text("unit")
_STATISTIC = _text("statistic", "p5, p10, p50, p90, p95, mean")
_FLAT_NOTE = _text("note", "empty, or why the draws are all the same")
_STRESS = _text("stress", "a stress test, or baseline: unstressed")
_COUNTRY = _text("country", "the portfolio's country")
_CASE = Column("case", "count", note="the sweep's case, as in cases.csv")
_CASES_CASE = Column("case", "count", note="its number")
_BUDGET_SHARE = "share of the education budget"

_FISCAL = (
    _SCENARIO, _YEAR, _amount("education_budget", "net of [context] budget_external (externally financed "
                                                  "projects) unless budget_gross"),
    _amount("domestic_outlay"), _amount("debt_service"),
    _amount("ppp_payments"), _amount("recurrent_after_plan", "the plan's recurrent cost that the government carries "
                                                             "after the plan"),
    _amount("government_burden", "domestic outlay, debt service, PPP payments and recurrent_after_plan"),
    Column("burden_share", "share", unit=_BUDGET_SHARE), Column("burden_limit", "share", unit=_BUDGET_SHARE),
    Column("over_limit", "flag"), _amount("gap"), _amount("domestic_envelope"), Column("service_over_envelope", "flag"),
    _amount("plan_cost", "the plan's cost, its years after the plan included"),
    _amount("expense", "GFS expense other than interest: the plan's funded cost by economic class, whoever pays it, "
                       "and loan fees"),
    _amount("interest", "of loans and on-books PPPs"),
    _amount("net_acquisition_nfa", "the funded capex: net acquisition of nonfinancial assets"),
    _amount("grant_revenue", "grants received"),
    _amount("deficit_effect", "expense + interest + net_acquisition_nfa - grant_revenue: the plan's net borrowing, "
                              "minus GFS net lending/borrowing"),
    _amount("borrowing", "loan disbursements and the imputed lease of on-books PPPs"),
    _amount("amortisation", "principal repaid"),
    _amount("debt_effect", "borrowing - amortisation"),
    _amount("charged_to_vote", "what the education vote pays from the government's own resources"),
    _amount("charged_to_treasury", "what the Treasury pays (the consolidated fund): debt service and PPP payments by "
                                   "default"), *_BASIS,
    _amount("domestic_outlay_expected", "domestic_outlay times the execution rates: expected to be spent"),
    _amount("gap_expected", "the cost not expected to be spent: gap + what sources plan and do not execute"),
    _amount("government_burden_expected", "government_burden on expected spending (docs/method.md, Budget "
                                          "execution)"),
    Column("burden_share_expected", "share", unit=_BUDGET_SHARE, note="government_burden_expected / "
                                                                       "education_budget"))
_DSF = (
    _SCENARIO, _YEAR, _text("ratio", "the four LIC-DSF ratios and ppp_contingent_gdp (and "
                                        "guaranteed_gdp with a guaranteed loan: the guarantors' contingent liability)"),
    Column("plan", "share", unit="share of GDP, exports or revenue", note="the plan's contribution"),
    Column("total", "share", unit="share of GDP, exports or revenue", note="the baseline plus the plan"),
    Column("threshold", "share", unit="share of GDP, exports or revenue"), Column("above_threshold", "flag"),
    _usd("headroom", unit="USD", note="what more the ratio allows before the threshold"), _text("currency"))
_PORTFOLIO_FIRST = (("portfolio", _COUNTRY),)
#: The budget's classification of a cost line (docs/method.md, *Programme budget lines*).
_CLASSIFICATION = (
    _text("economic_class", "GFS economic class (GFSM 2014)"), _text("cofog", "COFOG 09 group: 09.1 .. 09.8"),
    _text("budget_type", "recurrent or development"), _text("budget_code", "the budget's code; empty without one"))
#: outcomes.csv's outcome measures (issue 25): one count column per measure, then the milestones met.
_OUTCOME_COLUMNS = (
    Column("schools_connected", "count", unit="schools", note="schools the programme connects, by the end of the "
                                                             "year"),
    Column("learners_connected", "count", unit="learners", note="learners in those schools"),
    Column("teachers_trained", "count", unit="teachers", note="teachers with data skills in post: cohorts less "
                                                             "attrition, restored by refresher training"),
    Column("officials_trained", "count", unit="officials", note="education officials trained in data literacy, "
                                                               "as teachers_trained"),
    Column("learners_trained", "count", unit="learners", note="learners trained in data literacy"),
    Column("schools_in_emis", "count", unit="schools", note="schools reporting to the EMIS (its coverage)"),
    Column("milestones_met", "count", unit="milestones", note="EMIS timeliness and data-governance milestones "
                                                             "met by the end of the year"),
)
_RUN_COMMANDS = ("run", "optimise", "schools --scenario", "portfolio")


def _with_stress(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """A run table's columns with ``stress`` after ``scenario``."""
    return (columns[0], _STRESS, *columns[1:])


#: Every table a command writes, in the order of the README's table.
TABLES: dict[str, Table] = {t.name: t for t in [
    Table("costs", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("pillar"), _text("programme"), _text("item"), _text("cost_kind", "capex/opex"),
        _text("line_kind", "capex, opex, fixed_capex, fixed_opex"),
        Column("quantity", "count", unit="driver units (1 for lump sums)"),
        Column("unit_cost", "price", unit_from=("price_basis", "currency")), _amount("amount"), *_BASIS,
        *_CLASSIFICATION),
        "The cost of every cost line of every programme in every year",
        "quantity: driver units (1 for lump sums); unit_cost, amount: in the price_basis and currency columns",
        "the scenario's programmes and cost lines (unit costs from the scenario, its templates and "
        "data/unit_costs.csv), projected along each programme's rollout", first=_PORTFOLIO_FIRST),
    Table("financing", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("source", "gap: unfunded"), _text("source_kind", "domestic, grant, loan, ppp or gap"),
        _text("programme"), _text("cost_kind"), _amount("amount"), *_BASIS, *_CLASSIFICATION,
        _text("financed", "domestic or external, by the source that pays; gap: unfunded"),
        Column("on_budget", "flag", note="the source's on_budget; empty on the gap rows")),
        "Who pays each programme's capex and opex in each year; source = gap is what no source pays",
        "amount: in the price_basis and currency columns", "the waterfall of the scenario's sources, in "
        "priority order, within the domestic envelope", more="Only non-zero amounts.", first=_PORTFOLIO_FIRST),
    Table("debt_service", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("source"), _amount("disbursed"), _amount("interest"), _amount("principal"),
        _amount("fees"), _amount("outstanding"), *_BASIS),
        "Disbursements, interest, principal, fees and outstanding balance of every loan and PPP, to the last "
        "repayment", "in the price_basis and currency columns (a loan is computed in its own nominal currency)",
        "the scenario's loans (term sheets from data/loan_terms.csv) and PPP contracts, applied to the financing "
        "table", more="Each loan or PPP to its last payment.", first=_PORTFOLIO_FIRST),
    Table("sources", _RUN_COMMANDS, (
        _SCENARIO, _text("source", "gap: unfunded"), _text("source_kind", "domestic, grant, loan, ppp or gap"),
        _text("currency"), _amount("committed", "the source's commitment; empty without one"),
        _amount("disbursed", "what it paid over the plan; the gap row: what no source pays"),
        Column("grant_element", "share", unit="share of the PV received",
               note="at 5%: 1 for a grant, a loan's own; empty for domestic, PPP and the gap"),
        Column("concessional", "flag", note="True where the grant element is at least 35%, the IMF's test"),
        _amount("pv_debt_service", "PV at the scenario's discount rate of what the country pays on a loan or PPP; "
                                   "0 for a grant"),
        _text("price_basis"), _text("source_currency", "the currency the source pays in"),
        _usd("pv_new_external_debt", note="an external loan's disbursements (an availability PPP's capex owed "
                                          "abroad), each at its PV at 5% when it is disbursed: what a ceiling on "
                                          "the PV of new external debt counts")),
        "Every source of finance over the plan: its commitment, what it paid, its grant element and whether it is "
        "concessional (the IMF's 35% test), the PV of its debt service and the PV of the new external debt it adds",
        "committed, disbursed, pv_debt_service: in the price_basis and currency columns; grant_element: share; "
        "pv_new_external_debt: USD, current prices",
        "the scenario's sources, the financing table and the debt service (term sheets from data/loan_terms.csv)",
        more="One row per source, in paying order, and the gap last; docs/method.md, Concessionality.",
        first=_PORTFOLIO_FIRST),
    Table("fiscal", _RUN_COMMANDS, _FISCAL,
          "The government's burden on the education budget in every year, against the burden limit; the domestic "
          "envelope; the cost of the plan including the years after it (plan_cost); the year in GFS terms (expense, "
          "interest, net acquisition of nonfinancial assets, grants received, the deficit and debt effects, what the "
          "education vote and the Treasury bear: gfs.csv has the rows)",
          "amounts: in the price_basis and currency columns; burden_share, burden_limit: share of the education "
          "budget",
          "the scenario's [context] budget (country profile from data/country_profiles.csv), the financing and the "
          "debt service",
          more="To the later of the last payment and the last year after the plan with a cost.",
          first=_PORTFOLIO_FIRST),
    Table("gfs", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("account", "expense, nonfinancial_assets, revenue, financing"),
        _text("gfs_class", "the GFSM 2014 class: compensation_of_employees, use_of_goods_and_services, interest, "
                           "subsidies, grants, social_benefits, other_expense, nonfinancial_assets; grants (revenue); "
                           "borrowing, amortisation (financing)"),
        _text("gfs_code", "its GFSM 2014 code"), _text("financed_by", "the kind of source that pays it"),
        _text("charged_to", "education_vote, treasury, or external: paid with a partner's money"),
        _amount("amount"), *_BASIS),
        "The plan's transactions in the terms of the IMF's Government Finance Statistics Manual 2014: expense by "
        "economic class, net acquisition of nonfinancial assets, grants received, borrowing and amortisation, by "
        "who finances them and who bears them in the budget",
        "amount: in the price_basis and currency columns",
        "the cost lines' GFS classes (gfs_class, default by kind), the financing table and the debt service; "
        "docs/method.md, Fiscal accounts in GFS terms",
        more="Only non-zero amounts; every amount is positive, its account says its side. Adds up by year to the "
             "fiscal table's GFS columns.", first=_PORTFOLIO_FIRST),
    Table("outcomes", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("programme"), _text("driver"), Column("reached", "count", unit="driver units"),
        Column("reached_share", "share", unit="share of the driver's units"),
        Column("reached_funded", "count", unit="driver units", note="the reach that the funded capex buys"),
        Column("reached_funded_share", "share", unit="share of the driver's units"),
        *_OUTCOME_COLUMNS),
        "Driver units reached by each programme by the end of every year, as planned and as the funded capex buys "
        "(reached_funded), and the outcome measures each programme produces ([[programme.outcome]], "
        "[[programme.milestone]])",
        "reached: schools, learners or teachers; reached_share: share of all of them",
        "the rollout of each programme and the financing of its capex; the outcome rules of docs/method.md, "
        "Outcomes and cost per outcome", first=_PORTFOLIO_FIRST,
        more="A programme with driver = none has rows only when it produces an outcome or a milestone (reached and "
             "reached_share 0); an outcome cell is empty for a programme that does not produce that measure."),
    Table("dli", _RUN_COMMANDS, (
        _SCENARIO, _text("source"), Column("dli", "count", note="the row's number in the source's [[source.dli]]"),
        _text("role", "reimbursement (it reimburses the government), outcome_payment_government or "
                      "outcome_payment_partner (an outcome bond's payment to its investor)"),
        _text("programme"), _text("measure", "reached_share or reached"),
        Column("target", "number", unit="share or driver units"), Column("deadline", "year"),
        Column("result", "number", unit="share or driver units",
               note="the funded reach it was judged on: in the year earned, else at the deadline"),
        Column("earned_year", "year", note="empty: not earned"), Column("payment_year", "year",
                                                                      note="earned_year + lag"),
        _text("source_currency"),
        Column("amount", "money", unit_from=("source_currency",), note="its own amount and what rolled over to it"),
        Column("earned", "money", unit_from=("source_currency",)),
        Column("lapsed", "money", unit_from=("source_currency",)),
        Column("rolled_over", "money", unit_from=("source_currency",), note="to the next row on the same result"),
        _amount("received", "what the government receives in the payment year (negative: an outcome payment it "
                            "makes): the fiscal table takes it off that year's government_burden"), *_BASIS),
        "Results-based financing: every disbursement-linked indicator ([[source.dli]] row), the result it was "
        "judged on, when it was earned and paid, what it earned, lapsed or rolled over",
        "amount, earned, lapsed, rolled_over: the source's currency at current prices; received: in the "
        "price_basis and currency columns",
        "the scenario's [[source.dli]] rows settled on the funded reach (outcomes.csv); docs/method.md, "
        "Results-based financing", more="Only for scenarios with [[source.dli]] rows.", first=_PORTFOLIO_FIRST),
    Table("dli_at_risk", ("risk",), (
        _SCENARIO, _text("source"), Column("dli", "count", note="the row's number in the source's [[source.dli]]"),
        _text("programme"), _text("source_currency"),
        Column("amount", "money", unit_from=("source_currency",), note="the row's amount as written"),
        Column("probability_earned", "share", unit="share of the draws", note="the draws in which it earns anything"),
        Column("earned_mean", "money", unit_from=("source_currency",)),
        Column("earned_p5", "money", unit_from=("source_currency",)),
        Column("earned_p50", "money", unit_from=("source_currency",)),
        Column("earned_p95", "money", unit_from=("source_currency",)),
        Column("at_risk_mean", "money", unit_from=("source_currency",),
               note="amount - earned_mean: the disbursement at risk (negative where roll-overs come in)"),
        Column("at_risk_p95", "money", unit_from=("source_currency",),
               note="amount - earned_p5: the shortfall only 5% of the draws exceed"),
        Column("payment_year_mean", "number", unit="year", note="over the draws in which it earns"),
        _amount("received_mean", "what the government receives on it, the mean over the draws"), *_BASIS),
        "Results-based financing under risk: for every disbursement-linked indicator, how likely it is earned, what "
        "it earns over the draws and the disbursement at risk",
        "amount, earned_*, at_risk_*: the source's currency at current prices; received_mean: in the price_basis "
        "and currency columns",
        "the draws of each row's probability and delay ([[source.dli]]) and of the scenario's uncertain inputs; "
        "docs/method.md, Results-based financing", more="Only for scenarios with [[source.dli]] rows.",
        workbook_row=False),
    Table("dsf", _RUN_COMMANDS, _DSF,
          "The plan's new external debt against the four LIC-DSF ratios, with the country's baseline where known, "
          "the thresholds for its debt-carrying capacity and the headroom",
          "plan, total, threshold: shares (of GDP, exports or revenue); headroom: USD",
          "the external loans of the financing table, GDP, exports and revenue from [debt] or the country profile, "
          "data/dsf_thresholds.csv",
          more="Against the threshold of the country's debt-carrying capacity; empty without GDP, exports and "
               "revenue.", first=_PORTFOLIO_FIRST),
    Table("regions", _RUN_COMMANDS, (
        _SCENARIO, _YEAR, _text("region", "a [[region]] name, a programme's own region or its school table's; "
                                          "national: a programme the scenario does not split"),
        _text("programme"), _amount("cost", "the programme's cost in the region: its share of costs.csv's amounts"),
        Column("reach", "count", unit="driver units", note="driver units reached in the region by the end of the "
                                                           "year (0 for driver = \"none\")"), *_BASIS),
        "Each programme's cost and reach by region (province, district, county) in every year, so that a county or "
        "district budget can be read from it",
        "cost: in the price_basis and currency columns; reach: schools, learners or teachers",
        "costs.csv and outcomes.csv split by the [[region]] shares of each programme's driver, a programme's own "
        "regions, or its school table's regions (docs/method.md, Regions)",
        more="Adds up over the regions to costs.csv (by programme and year) and outcomes.csv's reached, to the minor "
             "unit; empty for a scenario without regions.", first=_PORTFOLIO_FIRST),
    Table("incremental", ("run",), (
        _SCENARIO, _text("baseline", "the scenario's [scenario] baseline"), _YEAR,
        _text("measure", "the fiscal amounts and paid_by_<source kind>"), _amount("value"), _amount("baseline_value"),
        _amount("delta"), *_BASIS),
        "Each year's flows of a scenario against its [scenario] baseline (a \"do nothing new\" or \"current "
        "policy\" scenario): the fiscal amounts and what each kind of source pays",
        "value, baseline_value, delta: in the price_basis and currency columns",
        "the fiscal and financing tables of the scenario and of its baseline",
        more="For a scenario with `[scenario] baseline`."),
    Table("summary", (*_RUN_COMMANDS, "risk"), (_SCENARIO, _METRIC, _LABEL, _by_unit("value"), _UNIT),
          "Summary metrics of every scenario (definitions in docs/method.md)",
          "in the unit column: currency, share (shown in percent) or years", "the tables above",
          more="The label as the app and the command line print it; the headline metrics also in every price basis.",
          first=_PORTFOLIO_FIRST),
    Table("comparison", ("compare", "optimise"), (
        _METRIC, _LABEL, _UNIT, _SCENARIO, _by_unit("value"), _text("baseline", "the baseline scenario"),
        _by_unit("delta")),
        "Summary metrics side by side; delta is a scenario's value minus the baseline's",
        "in the unit column", "the scenarios' summary tables",
        more="One row per metric and scenario; from `optimise`: the waterfall against the optimal mix."),
    Table("ranking", ("compare",), (
        _SCENARIO, _text("other", "the option it is ranked against"),
        _text("rate", "discount_rate (each scenario's own: the headline pv_government_cost), 5pct (the IMF's 5% in "
              "USD), borrowing_rate, social_rate"),
        _text("metric", "the summary metric compared at that rate"),
        _by_unit("value", "the scenario's present value of government cost at that rate"),
        _by_unit("other_value", "the other option's"), _by_unit("difference", "value - other_value"), _UNIT,
        _text("cheaper", "the option with the lower present value (equal; empty where the two cannot be ranked)"),
        Column("flips", "flag", note="true where the cheaper option is not the same at every rate"),
        _text("note", "the pair's ranking in words: at which rates each option is cheaper")),
        "Each pair of options ranked by the present value of the government cost at four discount rates: the "
        "scenario's own (the headline), the IMF's 5% in USD, the government's borrowing rate and a social rate; "
        "flips says where the ranking depends on the rate",
        "value, other_value, difference: in the unit column (present values of start_year)",
        "the scenarios' summary tables (pv_government_cost and pv_government_cost_at_*; docs/method.md, Present "
        "values at three rates)",
        more="One row per pair and rate; a rate a scenario lacks (no borrowing or social rate) has no row. Options "
             "in different currencies or start years are not ranked."),
    Table("quantiles", ("risk", "optimise --draws", "sweep"), (
        _SCENARIO, _METRIC, _STATISTIC, _by_unit("value"), _UNIT, _FLAT_NOTE),
        "Every summary metric over the draws of the scenario's uncertain inputs (P5, P10, P50, P90, P95 and the "
        "mean), and prob_over_limit: the share of draws in which the burden exceeds its limit in some year; note: "
        "why a scenario's quantiles are flat (every draw the same), if they are",
        "in the unit column", "a risk run (manifest.json: risk gives each scenario's draws, seed and sampling "
        "method; docs/method.md, Risk)",
        more="The note is in every row of a scenario whose draws are all the same (no uncertain inputs, or none that "
             "moves a summary metric); the command prints it too.", first=(("sweep", _CASE),)),
    Table("yearly_quantiles", ("risk",), (
        _SCENARIO, _YEAR, _text("measure", "cost, gap, burden_share"), _STATISTIC, _by_unit("value"), _UNIT),
        "Each year's cost, funding gap and burden share over the draws (P5 to P95 and the mean)",
        "cost, gap: in the unit column; burden_share: share of the education budget",
        "the risk run of the quantiles table"),
    Table("draws", ("risk --draws-out",), (
        _SCENARIO, Column("draw", "count"), _METRIC, _by_unit("value"), _UNIT),
        "Every summary metric of every draw", "in the unit column", "the risk run of the quantiles table",
        more="`draws.parquet` with `--draws-out parquet`.", workbook_row=False),
    Table("stress_summary", ("stress",), (
        _SCENARIO, _STRESS, _METRIC, _LABEL, _UNIT, _by_unit("value"), _by_unit("baseline", "the unstressed value"),
        _by_unit("delta")),
        "Summary metrics of every scenario under each stress test, against the unstressed run (stress = baseline); "
        "delta is the stressed value minus the baseline's",
        "in the unit column", "the scenarios' summary tables under each stress (docs/method.md, Stress tests)"),
    Table("stress_fiscal", ("stress",), _with_stress(_FISCAL),
          "The fiscal table of every scenario under each stress test (stress = baseline: unstressed)",
          "as in the fiscal table", "the stressed scenarios' runs"),
    Table("stress_dsf", ("stress",), _with_stress(_DSF),
          "The debt-sustainability view of every scenario under each stress test (stress = baseline: unstressed)",
          "as in the dsf table", "the stressed scenarios' runs"),
    Table("tornado", ("sensitivity",), (
        _SCENARIO, _METRIC, _text("path", "the uncertain input's field path"),
        Column("low_input", "number", unit_from=("input_unit",), note="the input's 5th percentile"),
        Column("high_input", "number", unit_from=("input_unit",), note="its 95th percentile"),
        _by_unit("low_value", "the metric with the input there and the others at the file's values"),
        _by_unit("high_value"), _by_unit("swing", "the size of high - low"), _text("unit", "the metric's"),
        Column("rank", "count", note="1 = largest swing"),
        _text("input_label", "the input in words: School connectivity (LEO satellite): satellite terminal, unit cost"),
        _text("input_unit", "its unit: USD")),
        "Each uncertain input at its low and its high value (its 5th and 95th percentile), every other input at the "
        "file's value: the metric at each end, the swing, ranked by swing",
        "low_input, high_input: in the input's own unit (input_unit); low_value, high_value, swing: in the unit "
        "column",
        "the scenario's [[uncertain]] rows (docs/method.md, Sensitivity)"),
    Table("sobol", ("sensitivity",), (
        _SCENARIO, _METRIC, _text("path"),
        *(Column(name, "number", unit="share of the metric's variance", note=note) for name, note in (
            ("first_order", "Sobol indices, scipy.stats.sobol_indices"), ("total_order", ""),
            ("first_order_low", "95% bootstrap intervals"), ("first_order_high", ""), ("total_order_low", ""),
            ("total_order_high", ""))),
        _text("input_label", "as in tornado.csv"), _text("input_unit"),
        _text("note", "for an index above 1: small samples do this, and N to raise; the command prints it too")),
        "First-order and total Sobol indices of each metric to each uncertain input, with 95% bootstrap confidence "
        "intervals; note: why an index is above 1 (a small sample)",
        "shares of the metric's variance (0 to 1)",
        "scipy.stats.sobol_indices over the [[uncertain]] rows (manifest.json: sensitivity gives N and the seed; "
        "docs/method.md, Sensitivity)"),
    Table("shadow_prices", ("optimise",), (
        _SCENARIO, _text("constraint", "commitment, annual_cap, envelope, match_ratio, burden_limit, dsf, max_debt, "
                                       "min_share, max_pv_debt"),
        _text("source"), _YEAR, _by_unit("value", "PV government cost saved per step of the constraint"),
        _by_unit("gap_value", "gap it closes"), _UNIT, Column("binding", "flag", note="yes/no"),
        _text("reading", "in words")),
        "What one more step of each constraint of the optimal mix is worth: the PV government cost it saves and "
        "the gap it closes",
        "value, gap_value: in the unit column (present values of start_year in the run's basis)",
        "the optimiser's dual values (docs/method.md, Optimisation)", workbook_row=False),
    Table("outcome_target", ("optimise --target",), (
        _SCENARIO, _text("measure", "the outcome of --target (an outcomes.csv column)"),
        Column("target", "number", unit="outcome units", note="what it is to reach by the end of the plan"),
        _text("programme", "a programme that produces the measure"),
        Column("target_share_before", "share", unit="share of the driver's units", note="as the file writes it"),
        Column("target_share", "share", unit="share of the driver's units", note="the least-cost one"),
        Column("outcome_before", "count", unit="outcome units", note="at the end of the plan"),
        Column("outcome", "count", unit="outcome units", note="at the end of the plan, scaled"),
        Column("pv_cost_before", "money", unit_from=("currency",), note="PV of the programme's cost, constant "
                                                                          "local prices"),
        Column("pv_cost", "money", unit_from=("currency",), note="scaled"), _text("currency")),
        "How far to take each programme that produces an outcome so that the plan reaches a target at the least "
        "cost: the least-cost target shares, what they produce and what they cost",
        "outcomes in their units; pv_cost: present value in constant prices of price_year, local currency",
        "the runs of the scenario with the programmes at their start and at full reach (docs/method.md, Outcomes "
        "and cost per outcome)", workbook_row=False,
        more="Written by `optimise --target MEASURE=VALUE`, which then optimises the financing of the scaled plan."),
    Table("schools", ("schools",), (
        _text("school_id"), _text("region"), _text("area", "urban, rural, remote"), Column("learners", "count"),
        _text("technology", "fibre, cellular, p2p, satellite, existing, none"),
        Column("power", "flag", note="a solar kit is needed"), _usd("capex", unit="USD"),
        _usd("opex_per_year", unit="USD"), _usd("cost_horizon", unit="USD"), Column("year_connected", "year")),
        "The least-cost technology of every school, its costs and the year the plan connects it",
        "capex, opex_per_year, cost_horizon: USD", "the school table and the school model's prices",
        more="year_connected is empty for a school the plan does not connect."),
    Table("segments", ("schools",), (
        _text("segment_type", "all, area, region"), _text("segment"), _YEAR, Column("schools", "count"),
        Column("connected_schools", "count"), Column("share_connected", "share", unit="share of the schools"),
        Column("learners", "count"), Column("connected_learners", "count"), _usd("cost", unit="USD"),
        _usd("cost_per_school", "price", unit="USD"), _usd("cost_per_learner", "price", unit="USD")),
        "Schools and learners connected by the end of every year, by area and region, and the capex of those "
        "connected", "cost: USD; cost_per_school, cost_per_learner: USD over the schools newly connected",
        "schools.csv"),
    Table("equity", ("schools",), (
        _text("measure", "share_unconnected_end, urban_rural_gap_end, urban_remote_gap_end, "
                         "gini_capex_per_learner_regions"), _by_unit("value"), _UNIT),
        "How evenly the plan connects schools: the share left unconnected, the gaps between areas, the Gini of capex "
        "per learner across regions", "in the unit column", "schools.csv and segments.csv"),
    Table("allocation", ("portfolio",), (
        _COUNTRY, _by_unit("gap_before", "the gap without the fund", "money"),
        _by_unit("need", "what an uncapped fund would pay: the gap before the fund, less what it unlocks from the "
                         "grants it co-finances", "money"),
        Column("basis", "number", unit_from=("basis_unit",),
               note="what the rule shares by; for the optimal rule the objective's value at the share: the "
                    "learners of the schools connected, USD of gap closed, or the outcome of [fund] objective (an "
                    "outcomes.csv measure, such as teachers_trained)"),
        _text("basis_unit"), _by_unit("share", kind="money"),
        Column("capped", "flag", note="the country has all it can take: its need, or the ceiling; a country with no "
                                      "need is capped at 0"),
        _by_unit("gap_after", kind="money"), _UNIT),
        "The fund's share of each country, by the portfolio's rule", "in the unit column: USD, current prices",
        "the countries' runs without and with the fund",
        more="With a facility that lends, the need may exceed gap_before: the loan's service during the plan takes "
             "room from the domestic budget. Under the per-learner rule the need is at most learners x USD per "
             "learner."),
    Table("portfolio_equity", ("portfolio",), (
        _COUNTRY, _text("income_group"), Column("learners", "count"),
        _usd("gap_per_learner", "number", unit="USD per learner (current prices)"),
        Column("reached_share_end", "share", unit="share of the schools"),
        Column("peak_burden_share", "share", unit=_BUDGET_SHARE), _usd("fund_share"),
        _usd("fund_per_learner", "number", unit="USD per learner (current prices)"),
        _usd("marginal_gap_closed_per_usd", "number", unit="USD per USD"),
        Column("marginal_pv_saving_per_usd", "number", unit_from=("pv_saving_currency",),
               note="in pv_saving_currency, the country's currency in the run's basis: not comparable across "
                    "currencies"),
        _text("pv_saving_currency"),
        Column("marginal_learners_reached_per_usd", "number", unit="learners per USD",
               note="the learners of the schools the connectivity programme connects, the optimal rule's reach; "
                    "what a USD more reaches in every programme: portfolio_reach.csv"),
        _usd("cost_per_learners_connected_nominal_usd", "number", unit="USD per learner connected (current prices)",
             note="the country's summary metric with the fund (docs/method.md, Outcomes and cost per outcome); "
                  "empty where no programme produces it"),
        _usd("cost_per_teachers_trained_nominal_usd", "number", unit="USD per teacher trained (current prices)"),
        _usd("cost_per_officials_trained_nominal_usd", "number", unit="USD per official trained (current prices)")),
        "Each country with its share of the fund: gap and fund per learner, reach, burden, and what a USD more of "
        "the fund does there", "USD, current prices; shares; marginal values per USD more of the fund",
        "the countries' runs with the fund and with 1% more"),
    Table("portfolio_reach", ("portfolio",), (
        _COUNTRY, _text("programme"),
        _text("driver", "its unit: schools, learners, teachers; none: a programme of lump sums, such as officials' "
                        "training, with no unit count"),
        _usd("fund_capex", note="what the fund pays the programme's capex over the plan"),
        _usd("fund_opex", note="and its opex"),
        Column("reached_funded_before", "number", unit="driver units",
               note="the units the programme reaches with funded capex by the plan's end, as outcomes.csv's "
                    "reached_funded but counted fractionally, without the fund"),
        Column("reached_funded_after", "number", unit="driver units", note="with the fund"),
        Column("reached_by_fund", "number", unit="driver units",
               note="their difference: the units reached thanks to the fund, the grants it unlocks included; "
                    "negative where a facility's debt service takes domestic room"),
        Column("unit_years_by_fund", "number", unit="driver unit-years",
               note="the unit-years whose running costs are paid thanks to the fund: each year's units reached "
                    "times the share of the programme's opex paid, with the fund less without"),
        Column("marginal_reached_per_usd", "number", unit="driver units per USD",
               note="the units a USD more of the fund reaches, measured as the equity table's marginal columns"),
        Column("marginal_fund_paid_per_usd", "number", unit="USD per USD",
               note="what of that USD the fund pays the programme: where the next USD goes")),
        "What the fund pays each country's programmes and the units they reach thanks to it",
        "fund_capex, fund_opex: USD, current prices; units in hundredths, empty for driver = none",
        "the countries' runs without and with the fund, and with 1% more",
        more="One row per country and programme."),
    Table("portfolio_groups", ("portfolio",), (
        _text("group", "an income group, or all"), Column("countries", "count"), Column("learners", "count"),
        _usd("need"), _usd("fund_share"), _usd("gap_after"),
        _usd("gap_per_learner", "number", unit="USD per learner (current prices)"),
        Column("reached_share_end", "share", unit="share of the schools", note="weighted by learners"),
        Column("peak_burden_share", "share", unit=_BUDGET_SHARE, note="weighted by learners")),
        "The portfolio by income group and as a whole", "USD, current prices; shares weighted by learners",
        "portfolio_equity.csv and allocation.csv"),
    Table("cases", ("sweep",), (
        _CASES_CASE, _SCENARIO, _text("override", "the override set"), _STRESS, Column("seed", "count"),
        _text("file", "the scenario's file"), Column("sample_seed", "count", note="the seed its inputs are sampled "
                                                                                  "with"),
        Column("draws", "count"), _text("failed", "why it failed"),
        Column("uncertain_inputs", "count", note="how many inputs its draws draw"),
        _text("note", "why its draws are all the same, as in quantiles.csv")),
        "Each case of the sweep: a scenario with an override set, a stress and a seed",
        "seed, sample_seed, draws, uncertain_inputs: counts", "the sweep file"),
    Table("sweep_draws", ("sweep",), (
        _CASE, _SCENARIO, _text("override"), _STRESS, Column("seed", "count"), Column("draw", "count")),
        "One row per draw of every case, with every summary metric (a partitioned Parquet data set)",
        "each metric in its unit in summary.csv (the case's scenario, the sweep's price basis)",
        "the sweep's engine runs",
        file="draws/case=<k>/chunk=<j>.parquet", by_metric=True, partitioned_by=("case",),
        more="The case is in the folder's name, not in the files."),
    Table("portfolio_quantiles", ("sweep",), (
        _text("portfolio"), _text("override"), _STRESS, Column("seed", "count"),
        _text("metric", "total_cost_nominal_usd, total_external_nominal_usd, total_gap_nominal_usd: sums over the "
                        "countries of their draws with the same index; countries_with_gap"),
        _STATISTIC, _by_unit("value"), _UNIT),
        "The portfolio's totals over the draws of a sweep with a portfolio", "in the unit column: USD, current "
        "prices; countries", "the countries' draws"),
    Table("mtef", ("budget",), (
        _text("fiscal_year", "the fiscal year's label, 2026/27 (2026 when the fiscal year is the calendar year)"),
        _text("budget_code", "the budget's code of the programme (default: its id); total: the whole plan"),
        _text("programme", "a programme id; total: the whole plan"),
        _text("economic_class", "the GFSM 2014 economic class; total: the programme's total"),
        _text("budget_type", "recurrent or development; total"),
        _text("financed", "domestic, external (a grant, a loan, a PPP), gap (no source yet); total"),
        _amount("amount", "the on-budget cost in the fiscal year"),
        _amount("ceiling", "on a total row: the [[mtef]] ceiling; empty without one"),
        _amount("over_ceiling", "on a total row: what does not fit under the ceiling, 0 when it fits"), *_BASIS),
        "The medium-term expenditure framework: the plan's on-budget cost in three fiscal years by budget code, "
        "programme, GFS economic class, budget type (recurrent, development) and financing (domestic, external), and "
        "each programme's and the plan's total against the scenario's [[mtef]] ceilings",
        "amounts: in the price_basis and currency columns",
        "the costs and the financing tables in fiscal years ([scenario] fiscal_year_start; the (13 - m)/12 rule) and "
        "the scenario's [[mtef]] ceilings; docs/method.md, The MTEF and the budget submission",
        more="The rows of a fiscal year: each programme's non-zero amounts, then its total row, then the plan's "
             "total row (sum the rows whose economic_class is not total to add up the amounts). budget.xlsx beside "
             "it holds the same table by programme x economic class x fiscal year, the recurrent/development and "
             "domestic/external split and the codes."),
    Table("assumptions", ("run --xlsx", "compare --xlsx", "risk --xlsx", "stress --xlsx", "optimise --xlsx"), (
        _SCENARIO, _text("field", "the canonical field path"), _text("value")),
        "Every input of every scenario, after templates and country profiles are applied",
        "as in the scenario file (docs/scenario-format.md)",
        "the scenario files and data/ (manifest.json records the sha256 of each)", file="dfl-finance.xlsx"),
]}
#: Files a run writes besides the tables, for the README's table: file, written by, what it holds.
OTHER_FILES = [
    ("dfl-finance.xlsx", "`--xlsx`", "A `README` sheet (what each sheet holds, its units, price basis and source), a "
     "sheet per table and an `assumptions` sheet with every input"),
    ("manifest.json", "every command", "Package version, time of the run, scenario names, seed, price basis, input "
     "files with their sha256, the data folder with the sha256 of each data file, the versions of Python and the "
     "libraries, and every output with its sha256"),
]
#: The tables of one run (:meth:`dfl_finance.outputs.result.Result.tables`).
RUN_TABLES = ("costs", "financing", "debt_service", "sources", "fiscal", "outcomes", "dsf", "summary", "gfs",
              "regions")


def columns(name: str, command: str | None = None) -> list[str]:
    """The column names of table ``name`` as ``command`` writes it (default: as most commands write it)."""
    return TABLES[name].names(command)


def _of_kind(kind: Kind) -> set[str]:
    return {c.name for name in RUN_TABLES for c in TABLES[name].columns if c.kind == kind}


#: The run tables' columns, by table.
TABLE_COLUMNS: dict[str, list[str]] = {name: columns(name) for name in RUN_TABLES}
#: Columns of the run tables that hold amounts of money (rounded to the minor unit) and shares (0..1).
MONEY_COLUMNS: set[str] = _of_kind("money")
SHARE_COLUMNS: set[str] = _of_kind("share")


def workbook_row(sheet: str) -> tuple[str, str, str]:
    """The workbook's README sheet row of a sheet: what it holds, its units and where it comes from (empty for a
    sheet that the registry does not describe there)."""
    t = TABLES.get(sheet)
    return (t.note, t.units, t.source) if t is not None and t.workbook_row else ("", "", "")


# ------------------------------------------------------------------------------------------------ the README

BEGIN = "<!-- BEGIN GENERATED OUTPUT TABLES (python -m dfl_finance.outputs.tables) -->"
END = "<!-- END GENERATED OUTPUT TABLES -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _column_text(c: Column) -> str:
    return f"{c.name} ({c.note})" if c.note else c.name


def _written_by(t: Table) -> str:
    firsts = dict((cmd, c) for cmd, c in t.first)
    return ", ".join(f"`{cmd}`" + (f" (`{firsts[cmd.split()[0]].name}` first)" if cmd.split()[0] in firsts else "")
                     for cmd in t.commands)


def _file_text(t: Table) -> str:
    if t.name == "assumptions":
        return "`assumptions` sheet of `dfl-finance.xlsx`"
    return f"`{t.file_name}`"


def readme_markdown() -> str:
    """The README's table of outputs (generated; a test keeps the README in step)."""
    lines = ["| file | written by | what it holds | columns |", "|---|---|---|---|"]
    for t in TABLES.values():
        cols = ", ".join(_column_text(c) for c in t.columns)
        if t.by_metric:
            cols += ", and every summary metric"
        what = t.note + "." + (f" {t.more}" if t.more else "") + f" Units: {t.units}."
        lines.append(f"| {_file_text(t)} | {_cell(_written_by(t))} | {_cell(what)} | {_cell(cols)} |")
    for file, by, what in OTHER_FILES:
        lines.append(f"| `{file}` | {by} | {_cell(what)}. | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the README's table of outputs from the registry (``python -m dfl_finance.outputs.tables [README]``)."""
    args = sys.argv[1:] if argv is None else argv
    readme = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "README.md"
    print(f"{'updated' if update(readme, BEGIN, END, readme_markdown()) else 'unchanged'}: {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ------------------------------------------------------------------------------------------------ fiscal years

#: The column a table has in place of ``year`` when it is written by fiscal year (``--years fiscal``).
FISCAL_YEAR = Column("fiscal_year", "text", note='the budget\'s fiscal year: "2026/27" (a calendar year: "2026")')
#: How each yearly table is written by fiscal year (``--years fiscal``; docs/method.md, *Fiscal years*): the rule of
#: each column that does not follow the default of its kind. Rules: ``key`` (a text column: rows are converted
#: group by group), ``flow`` (spread evenly over the months of its calendar year: fiscal year t/t+1 takes
#: (13 - m)/12 of year t and (m - 1)/12 of year t + 1), ``dated`` (a loan's instalments and interest on their
#: payment dates, a flow elsewhere), ``stock`` (the value at the end of the fiscal year, interpolated linearly
#: between year-ends), ``balance`` (the running sum of disbursed less principal, as the calendar table holds it),
#: ``mean`` (a rate or a parameter: the month-weighted mean of the calendar years in the fiscal year), ``any`` (a
#: flag: true if it is true in a calendar year that the fiscal year touches), ``ratio:a/b`` (recomputed from the
#: converted columns), ``sum:a+b-c`` (recomputed: the rule of published totals), ``above:a>b`` (a flag recomputed).
#: The defaults by kind: money -> flow, count/share -> stock, price/number -> mean, flag -> any, text -> key.
FISCAL_RULES: dict[str, dict[str, str]] = {
    "costs": {"quantity": "flow"},
    "financing": {},
    "debt_service": {"interest": "dated", "principal": "dated", "outstanding": "balance"},
    "fiscal": {"debt_service": "dated", "ppp_payments": "flow",
               "government_burden": "sum:domestic_outlay+debt_service+ppp_payments+recurrent_after_plan",
               "burden_share": "ratio:government_burden/education_budget", "burden_limit": "mean",
               "over_limit": "above:burden_share>burden_limit",
               "deficit_effect": "sum:expense+interest+net_acquisition_nfa-grant_revenue",
               "debt_effect": "sum:borrowing-amortisation",
               "burden_share_expected": "ratio:government_burden_expected/education_budget"},
    "gfs": {},
    "outcomes": {},
    "dsf": {"plan": "mean", "total": "mean", "threshold": "mean", "headroom": "mean",
            "above_threshold": "any"},
    "incremental": {"delta": "sum:value-baseline_value"},
    "regions": {"reach": "stock"},  # by its own rule (fiscal_view._regions: the regions add up to the nation)
}
#: Tables that keep only their non-zero rows (by this column) when written by fiscal year, as by calendar year.
FISCAL_NONZERO = {"financing": "amount", "gfs": "amount"}
_DEFAULT_RULE: dict[Kind, str] = {"money": "flow", "count": "stock", "share": "stock", "price": "mean",
                                  "number": "mean", "flag": "any", "text": "key", "year": "year"}


def fiscal_rule(table: str, column: str) -> str:
    """The fiscal-year rule of a column of a yearly table (:data:`FISCAL_RULES`, else the default of its kind)."""
    given = FISCAL_RULES.get(table, {}).get(column)
    return given if given is not None else _DEFAULT_RULE[TABLES[table].column(column).kind]

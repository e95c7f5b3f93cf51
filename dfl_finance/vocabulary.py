"""One name per concept: the enumerations, identifiers, bounds and metric definitions of dfl_finance.

The schema, the engine, the app, the charts, the documentation and the tests derive theirs from here. Each
enumeration is written once, as a ``Literal`` type (for pydantic and the type checker); its tuple of values, in the
documented order, is derived from it. Engine code refers to values by their position in that tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Pillar = Literal["infrastructure", "capacities", "governance"]
Driver = Literal["schools", "learners", "teachers", "none"]
Rollout = Literal["linear", "s-curve", "front-loaded", "immediate"]
#: The kind of a cost line (``[[programme.cost]] kind``).
LineKind = Literal["capex", "opex", "fixed_capex", "fixed_opex"]
#: The class of a cost: a cost cell is one programme's capex or its opex (what sources are eligible for).
CostClass = Literal["capex", "opex"]
#: How a source finances the plan in the engine and the tables (financing.csv's source_kind).
FinancingKind = Literal["domestic", "grant", "loan", "ppp"]
#: Instruments written as a kind of their own (docs/method.md, *Instruments*): a debt-for-education swap's
#: counterpart and a universal service fund levy are domestic money of the plan (:data:`FINANCED_AS`).
InstrumentKind = Literal["swap", "levy"]
SourceKind = Literal[FinancingKind, InstrumentKind]
Repayment = Literal["linear", "annuity", "schedule"]
#: The four bases in which amounts can be written: constant prices of ``price_year`` (real) or current prices
#: (nominal), in the local currency of the budget (lcu) or in US dollars.
PriceBasis = Literal["real-lcu", "nominal-lcu", "nominal-usd", "real-usd"]
#: What ``[scenario] discount_rate`` is: a nominal rate (the IMF's 5%) or a real one.
DiscountBasis = Literal["nominal", "real"]
#: The domestic envelope: ``net`` = cap x budget - debt service - PPP payments; ``gross`` = cap x budget.
Envelope = Literal["net", "gross"]
#: Which education budget of a country profile measures the burden: all of it, or the part that is not wages.
BudgetScope = Literal["total", "non-wage"]
#: LIC-DSF debt-carrying capacity, and the risk rating of external debt distress (IMF/World Bank).
DebtCapacity = Literal["weak", "medium", "strong"]
DebtRisk = Literal["low", "moderate", "high", "in-distress"]
#: The World Bank's income groups (country classification by income level, on GNI per capita, Atlas method): a
#: country profile's ``income_group``, a portfolio country's, and the keys of a fund's ``group_weights``.
IncomeGroup = Literal["low", "lower-middle", "upper-middle", "high"]

#: Multilateral rules as the partners apply them (docs/method.md, *Multilateral rules*). The World Bank's lending
#: category of a country (IDA-only, gap, blend, or IBRD: not IDA-eligible); which partner a source is (IDA's and
#: GPE's rules apply to it); what a grant's match rule is assessed on (each year's payments, or the commitments over
#: its window).
LendingCategory = Literal["ida-only", "gap", "blend", "ibrd"]
Partner = Literal["ida", "gpe", "other"]
MatchBasis = Literal["yearly", "commitments"]
LENDING_CATEGORIES: tuple[str, ...] = get_args(LendingCategory)
PARTNERS: tuple[str, ...] = get_args(Partner)
MATCH_BASES: tuple[str, ...] = get_args(MatchBasis)
#: Lending categories that receive IDA credits on blend terms whatever their risk of debt distress (no IDA grants).
BLEND_TERMS_CATEGORIES: tuple[str, ...] = ("gap", "blend")
#: GPE's benchmark for domestic financing: education's share of public expenditure that a partner country is to reach
#: or make progress toward (GPE 2025 operating model, domestic financing requirement).
GPE_EDUCATION_SHARE = 0.20

PILLARS: tuple[str, ...] = get_args(Pillar)
DRIVERS: tuple[str, ...] = get_args(Driver)
ROLLOUTS: tuple[str, ...] = get_args(Rollout)
LINE_KINDS: tuple[str, ...] = get_args(LineKind)
COST_CLASSES: tuple[str, ...] = get_args(CostClass)
SOURCE_KINDS: tuple[str, ...] = get_args(FinancingKind)
INSTRUMENT_KINDS: tuple[str, ...] = get_args(InstrumentKind)
#: The financing kind of each instrument kind: what the engine and financing.csv count it as.
FINANCED_AS: dict[str, str] = {"swap": "domestic", "levy": "domestic"}


def financed_kind(kind: str) -> str:
    """The financing kind (one of :data:`SOURCE_KINDS`) of a source's ``kind``: an instrument's counts as domestic."""
    return FINANCED_AS.get(kind, kind)


REPAYMENTS: tuple[str, ...] = get_args(Repayment)
#: The four LIC-DSF ratios of external public debt (IMF/World Bank Guidance Note, 2018), in the order of dsf.csv.
DsfRatio = Literal["pv_debt_gdp", "pv_debt_exports", "debt_service_exports", "debt_service_revenue"]
#: Distributions of an uncertain input (``[[uncertain]] distribution``) and sampling designs (``[risk] method``).
Distribution = Literal["uniform", "triangular", "pert", "normal", "lognormal", "discrete"]
SamplingMethod = Literal["lhs", "sobol", "mc"]
#: The named stress tests (``[[stress]] name``, ``dfl-finance stress --stress``), described in
#: :data:`dfl_finance.studies.risk.stress.STRESSES`.
StressName = Literal["gdp_growth", "primary_balance", "exports", "other_flows", "depreciation", "combined",
                     "contingent_liabilities", "budget_growth", "capex_overrun", "pledge_shortfall", "delay",
                     "results_delay"]
PRICE_BASES: tuple[str, ...] = get_args(PriceBasis)
DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)
SAMPLING_METHODS: tuple[str, ...] = get_args(SamplingMethod)
STRESS_NAMES: tuple[str, ...] = get_args(StressName)
DISCOUNT_BASES: tuple[str, ...] = get_args(DiscountBasis)
ENVELOPES: tuple[str, ...] = get_args(Envelope)
BUDGET_SCOPES: tuple[str, ...] = get_args(BudgetScope)
DEBT_CAPACITIES: tuple[str, ...] = get_args(DebtCapacity)
DEBT_RISKS: tuple[str, ...] = get_args(DebtRisk)
INCOME_GROUPS: tuple[str, ...] = get_args(IncomeGroup)
DSF_RATIOS: tuple[str, ...] = get_args(DsfRatio)
#: Each DSF ratio in words.
DSF_RATIO_LABELS: dict[str, str] = dict(zip(DSF_RATIOS, (
    "PV of external debt / GDP", "PV of external debt / exports", "external debt service / exports",
    "external debt service / revenue")))
#: The LIC-DSF's ratio of total public debt (external and domestic), judged against a benchmark by capacity.
PUBLIC_DEBT_RATIO = "pv_public_debt_gdp"
PUBLIC_DEBT_LABEL = "PV of total public debt / GDP"
#: Projection years (from start_year) in which the LIC-DSF reads its breach signals (Guidance Note, 2018: the
#: mechanical signals are read over the first ten years of the projection).
DSF_HORIZON = 10

#: Line kinds paid per unit of a driver (the others are lump sums).
PER_UNIT_KINDS: tuple[str, ...] = tuple(k for k in LINE_KINDS if not k.startswith("fixed_"))
#: Kinds of source that bring external finance (every kind but ``domestic``).
EXTERNAL_KINDS: tuple[str, ...] = tuple(k for k in SOURCE_KINDS if k != "domestic")
#: Drivers that count units (every driver but ``none``).
COUNTED_DRIVERS: tuple[str, ...] = tuple(d for d in DRIVERS if d != "none")
#: The cost class of each line kind: fixed lump sums belong to the class of their per-unit twin.
LINE_CLASS: dict[str, str] = {"capex": "capex", "opex": "opex", "fixed_capex": "capex", "fixed_opex": "opex"}
#: The name of what no source pays, in every table where sources are listed.
GAP = "gap"

# ------------------------------------------------------------------------------------- fiscal accounts (GFS)
#: The economic class of a cost line in the IMF's Government Finance Statistics Manual 2014 (GFSM 2014): the expense
#: classes of its Table 6.1 (chapter 6) but interest (a loan's, not a line's) and consumption of fixed capital (not
#: a cash flow, GFSM 2014 para 6.61), and the acquisition of nonfinancial assets (chapter 8, Table 8.1).
GfsClass = Literal["compensation_of_employees", "use_of_goods_and_services", "subsidies", "grants", "social_benefits",
                   "other_expense", "nonfinancial_assets"]
GFS_CLASSES: tuple[str, ...] = get_args(GfsClass)
#: A line's class unless it says otherwise: capex buys nonfinancial assets, opex buys goods and services.
DEFAULT_GFS_CLASS: dict[str, str] = {"capex": "nonfinancial_assets", "fixed_capex": "nonfinancial_assets",
                                     "opex": "use_of_goods_and_services", "fixed_opex": "use_of_goods_and_services"}
#: Who bears a source's payments in the budget: the education vote (appropriated to the sector) or the Treasury
#: (a charge on the consolidated fund, such as public debt service).
ChargedTo = Literal["education_vote", "treasury"]
CHARGES: tuple[str, ...] = get_args(ChargedTo)
#: A source's charge unless it says otherwise, by kind: the domestic outlay to the vote, loans' debt service and PPP
#: payments to the Treasury (a grant is no charge on the government: it pays with the partner's money).
DEFAULT_CHARGE: dict[str, str] = {"domestic": "education_vote", "loan": "treasury", "ppp": "treasury"}
#: ``charged_to`` of what a grant, a loan's disbursement or a PPP operator pays: no charge on the government's own
#: resources in that year.
EXTERNAL_CHARGE = "external"
#: The accounts of gfs.csv, in its order: expense (GFSM 2014 ch. 6), net acquisition of nonfinancial assets (ch. 8),
#: revenue (grants received, ch. 5) and financing (net incurrence of liabilities, ch. 9).
GFS_ACCOUNTS: tuple[str, ...] = ("expense", "nonfinancial_assets", "revenue", "financing")
#: The GFSM 2014 code of each (account, gfs_class) of gfs.csv. A loan, and a PPP's imputed financial lease (GFSM 2014
#: para A4.64), is a liability in loans (3304).
GFS_CODES: dict[tuple[str, str], str] = {
    ("expense", "compensation_of_employees"): "21", ("expense", "use_of_goods_and_services"): "22",
    ("expense", "interest"): "24", ("expense", "subsidies"): "25", ("expense", "grants"): "26",
    ("expense", "social_benefits"): "27", ("expense", "other_expense"): "28",
    ("nonfinancial_assets", "nonfinancial_assets"): "31", ("revenue", "grants"): "13",
    ("financing", "borrowing"): "3304", ("financing", "amortisation"): "3304"}

#: Ids of programmes and sources: lower_snake_case, no leading, trailing or double underscore (``__`` separates a
#: source id from a metric name in ``grant_element__<id>``).
ID_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
#: Separator between a per-source metric and the source id: ``grant_element__ida``.
METRIC_SOURCE_SEPARATOR = "__"

# ----------------------------------------------------------------------------------------------------- bounds
#: Largest amount of money an input may hold [currency]. With counts below :data:`MAX_COUNT`, horizons of at most
#: 60 years and the sizes allowed by the memory guard, every sum the engine forms stays far below the largest
#: float (about 1.8e308), so every output is finite.
MAX_AMOUNT = 1e18
#: Largest driver count (schools, learners, teachers) [units].
MAX_COUNT = 10**10
#: Most years of a plan (a scenario's years, a school plan's horizon).
MAX_YEARS = 60
#: Most draws of a risk run (in the file or on the command line); the memory guard may allow fewer.
MAX_DRAWS = 1_000_000
#: Largest weight of a country in a fund's weighted rule (a ``[[country]]`` weight, a ``[fund] group_weights`` value):
#: weights are relative, so a million to one already gives one country all it can take first; need x weight then
#: stays far below the largest float (a weight of 1e300 wrote a basis of inf).
MAX_WEIGHT = 1e6
#: Largest seed of the random numbers (``[risk] seed``, ``--seed``, a sweep's seeds): numpy's generators take seeds of
#: any size, but a seed travels as a signed 64-bit integer (TOML, Parquet, the country streams of a portfolio sweep).
MAX_SEED = 2**63 - 1
#: Largest scenario file [bytes]; a longer input (or an endless one such as ``/dev/zero``) is refused unread.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Bounds of a rate of price change a year (inflation) [1/yr]: above -100% (prices stay positive), at most 1000%.
INFLATION_BOUNDS = (-1.0, 10.0)
#: Bounds of the real growth of the education budget a year [1/yr]: above -100% (the budget stays positive), at most
#: 100%.
GROWTH_BOUNDS = (-1.0, 1.0)
#: Most sources of finance in one scenario. A country's mix has a handful to a few dozen (budget, IDA, GPE, bilateral
#: donors, a PPP, philanthropy); the waterfall solves match rules on sources that pay later by iterating passes over
#: every source (at most 200), so the sources bound the time of a run: 100 sources with matched grants run in under
#: a second per draw, a chain of 1,500 matched grants took 30 s and more.
MAX_SOURCES = 100
#: At most this many [[region]] rows (Kenya has 47 counties, Uganda about 146 districts).
MAX_REGIONS = 1000


# ---------------------------------------------------------------------------------------------------- metrics
#: How a metric's value is read: ``money`` (in the scenario's currency), ``share`` (0..1, shown in percent; its
#: differences in percentage points), ``years`` (whole years), ``ratio`` (a plain number).
MetricKind = Literal["money", "share", "years", "ratio"]


@dataclass(frozen=True)
class Metric:
    """A summary metric: its key in ``summary.csv``, a label and unit for people, and what it means."""

    key: str
    label: str
    kind: MetricKind
    unit: str  # ``{cur}`` stands for the scenario's currency
    description: str

    def unit_for(self, currency: str) -> str:
        return self.unit.format(cur=currency)


_METRICS = [
    Metric("total_cost", "Total cost", "money", "{cur}", "Sum of all costs over the projection"),
    Metric("pv_total_cost", "Total cost (present value)", "money", "{cur}",
           "Present value of the costs at the discount rate"),
    Metric("cost_per_learner_year", "Cost per learner-year", "money", "{cur}/learner-year",
           "Total cost divided by the number of learners times the years of the plan (not shown without learners)"),
    Metric("total_domestic", "Domestic outlay", "money", "{cur}", "What domestic sources pay"),
    Metric("total_grant", "Grants", "money", "{cur}", "What grants pay"),
    Metric("total_loan", "Loans", "money", "{cur}", "What loans disburse"),
    Metric("total_ppp", "PPP investment", "money", "{cur}", "What PPP operators invest"),
    Metric("total_external", "External finance", "money", "{cur}", "Grants, loans and PPP investment together"),
    Metric("total_gap", "Funding gap", "money", "{cur}", "What no source pays"),
    Metric("gap_share", "Gap share", "share", "share of total cost",
           "The funding gap as a share of the total cost (not shown when nothing costs anything)"),
    Metric("total_debt_service", "Debt service", "money", "{cur}",
           "Interest, principal and fees of all loans, to the last repayment"),
    Metric("total_ppp_payments", "PPP payments", "money", "{cur}",
           "Availability payments to PPP operators, to the last payment"),
    Metric("pv_government_cost", "Government cost (present value)", "money", "{cur}",
           "Present value of what the government pays: domestic outlay, debt service and PPP payments, to the last "
           "repayment, and the plan's recurrent cost that it carries in the years after the plan"),
    Metric("grant_element_external", "Grant element of external finance", "share", "share",
           "How much of the external finance is a gift: 1 minus the present value of what is repaid (debt service and "
           "PPP payments) over the present value of what is received (not shown without external finance)"),
    Metric("leverage", "Leverage", "ratio", "{cur} external per {cur} domestic",
           "External finance per unit of domestic outlay (not shown without domestic outlay)"),
    Metric("peak_burden_share", "Peak burden", "share", "share of education budget",
           "Highest government burden as a share of the education budget in any year"),
    Metric("years_over_limit", "Years over the burden limit", "years", "years",
           "Years in which the burden share exceeds the burden limit"),
    Metric("years_to_last_payment", "Years of repayment", "years", "years",
           "Years from the first year of the plan to the last debt or PPP payment, both included (0 if none)"),
    Metric("years_service_over_envelope", "Years debt service exceeds the envelope", "years", "years",
           "Years in which debt service and PPP payments alone exceed the domestic envelope (budget_share_cap x "
           "budget), leaving the domestic source nothing for the plan"),
    Metric("pv_government_cost_full_delivery", "Government cost at full delivery (present value)", "money", "{cur}",
           "Present value of the government cost plus that of closing the gap with domestic market borrowing "
           "([context] gap_financing), so that options are compared at equal delivery"),
    Metric("recurrent_cost_after_external", "Recurrent cost after partners leave", "money", "{cur}/yr",
           "Mean yearly cost of the plan (opex and replacements at the final reach) in the years after the last "
           "external disbursement, to the end of the post-horizon years"),
    Metric("recurrent_share_after_external", "Recurrent cost after partners leave, share of budget", "share",
           "share of education budget",
           "The recurrent cost after the last external disbursement as a share of the education budget (mean over "
           "those years)"),
    *(Metric(f"peak_{r}", f"Peak {label}", "share", "share", f"Highest {label} in any year: the country's "
             "baseline plus the plan where the profile has the baseline, else the plan's own contribution "
             "(dsf.csv)") for r, label in DSF_RATIO_LABELS.items()),
    *(Metric(f"peak_plan_{r}", f"Plan's peak {label}", "share", "share", f"Highest {label} that the plan's own "
             "new external debt adds in any year (the plan column of dsf.csv)")
      for r, label in DSF_RATIO_LABELS.items()),
    *(Metric(f"years_above_{r}", f"Years the plan adds to a breach of {label}", "years", "years",
             f"Years of the LIC-DSF's horizon (the first {DSF_HORIZON} projection years) in which {label}, the "
             "country's baseline included, is above its LIC-DSF threshold for the country's debt-carrying capacity "
             "and the plan's new external debt adds to it (0 for an option without external loans)")
      for r, label in DSF_RATIO_LABELS.items()),
    Metric(f"peak_{PUBLIC_DEBT_RATIO}", f"Peak {PUBLIC_DEBT_LABEL}", "share", "share",
           f"Highest {PUBLIC_DEBT_LABEL} in any year: the country's total public debt (external and domestic) plus "
           "the plan's where the profile has the total, else the plan's own debt (dsf.csv)"),
    Metric(f"peak_plan_{PUBLIC_DEBT_RATIO}", f"Plan's peak {PUBLIC_DEBT_LABEL}", "share", "share",
           f"Highest {PUBLIC_DEBT_LABEL} that the plan's own new debt (external loans, loans in local currency, the "
           "gap bond) adds in any year"),
    Metric(f"years_above_{PUBLIC_DEBT_RATIO}", f"Years the plan adds to a breach of {PUBLIC_DEBT_LABEL}", "years",
           "years", f"Years of the LIC-DSF's horizon (the first {DSF_HORIZON} projection years) in which "
           f"{PUBLIC_DEBT_LABEL}, the country's total included, is above the LIC-DSF benchmark for the country's "
           "debt-carrying capacity and the plan's new debt adds to it"),
]
_METRICS += [  # multilateral rules (docs/method.md, *Multilateral rules*)
    Metric("education_expenditure_share", "Education's share of public expenditure", "share",
           "share of public expenditure",
           "Education budget over total public expenditure ([context] education_share), checked against GPE's "
           "domestic-financing benchmark of 20% (a warning for a scenario with a GPE source below it)"),
    Metric("total_interest_bought_down", "Interest bought down", "money", "{cur}",
           "Interest of loans paid by buy-down grants ([[source]] buy_down) instead of the government, to the last "
           "repayment (shown for a scenario with a buy-down)"),
]
_METRICS += [  # instruments (docs/method.md, *Instruments*)
    Metric("total_debt_service_cancelled", "Debt service cancelled by swaps", "money", "{cur}",
           "External debt service that creditors cancel in debt-for-education swaps ([[source]] kind = \"swap\"): "
           "a saving of the treasury outside the plan, against the counterpart the swap pays to the plan from the "
           "budget (0 without a swap)"),
    Metric("peak_guaranteed_outstanding", "Guaranteed debt at its peak", "money", "{cur}",
           "The largest guaranteed part of the plan's loans outstanding at the end of a year ([[source]] guarantee): "
           "a contingent liability of the guarantors, not of the country, which owes the whole loan (0 without a "
           "guarantee)"),
]
#: Money metrics that the summary also reports in every price basis, as ``<metric>_<basis>`` (``-`` as ``_``).
HEADLINE_METRICS = ("total_cost", "total_external", "total_gap", "pv_government_cost")
_BASIS_WORDS = {"real-lcu": "constant local prices", "nominal-lcu": "current local prices",
                "nominal-usd": "current USD", "real-usd": "constant USD"}
_HEADLINES = {m.key: m for m in _METRICS if m.key in HEADLINE_METRICS}


def basis_metric_key(metric: str, basis: str) -> str:
    """The key of a headline metric in another price basis: ``basis_metric_key("total_cost", "nominal-usd") ==
    "total_cost_nominal_usd"``."""
    return f"{metric}_{basis.replace('-', '_')}"


_METRICS += [Metric(basis_metric_key(key, basis), f"{_HEADLINES[key].label}, {words}", "money",
                    "USD" if basis.endswith("usd") else "{cur}", f"{_HEADLINES[key].description}, in {words}"
                    + (" (a present value is an amount of start_year, converted like the amounts of that year)"
                       if key.startswith("pv_") else ""))
             for key in HEADLINE_METRICS for basis, words in _BASIS_WORDS.items()]
# ------------------------------------------------------------------------------- present values at three rates
#: The three discount rates at which the government cost is also reported, beside the scenario's own
#: ``discount_rate`` (issue 22: the ranking of options should not rest on one rate unseen), each in words: ``5pct``
#: the IMF's unified 5%, a nominal rate for flows in US dollars (the concessionality convention); ``borrowing_rate``
#: the government's marginal borrowing rate, nominal in local currency (``[context] borrowing_rate``, else the rate
#: of ``[context] gap_financing``); ``social_rate`` a social discount rate, real (``[scenario]
#: social_discount_rate``). docs/method.md, *Present values at three rates*.
PV_RATES: dict[str, str] = {
    "5pct": "the IMF's 5% in USD",
    "borrowing_rate": "the government's borrowing rate",
    "social_rate": "the social discount rate",
}
#: The rate of the headline ``pv_government_cost`` in the ranking (ranking.csv's ``rate``): the scenario's own.
SCENARIO_RATE = "discount_rate"


def pv_rate_key(rate: str) -> str:
    """The summary key of the government cost at one of :data:`PV_RATES`: ``pv_rate_key("5pct") ==
    "pv_government_cost_at_5pct"``; the scenario's own rate is ``pv_government_cost``."""
    return "pv_government_cost" if rate == SCENARIO_RATE else f"pv_government_cost_at_{rate}"


_METRICS += [
    Metric(pv_rate_key("5pct"), "Government cost (present value at 5% in USD)", "money", "{cur}",
           "pv_government_cost discounted at the IMF's unified 5%, a nominal rate in US dollars (the "
           "concessionality convention): each year's flow converted to current USD, discounted at 5% and given as "
           "an amount of start_year"),
    Metric(pv_rate_key("borrowing_rate"), "Government cost (present value at its borrowing rate)", "money", "{cur}",
           "pv_government_cost discounted at the government's marginal borrowing rate, a nominal rate in local "
           "currency ([context] borrowing_rate, else the gap_financing rate; not shown without either)"),
    Metric(pv_rate_key("social_rate"), "Government cost (present value at the social discount rate)", "money",
           "{cur}", "pv_government_cost discounted at the social discount rate, a real rate ([scenario] "
           "social_discount_rate; not shown without it)"),
]

# ------------------------------------------------------ budget execution (docs/method.md, *Budget execution*)
_METRICS += [
    Metric("total_domestic_expected", "Domestic outlay expected to be spent", "money", "{cur}",
           "What domestic sources pay, times their execution rates ([[source]] execution and the cost lines' "
           "execution): the outlay expected to be spent"),
    Metric("total_gap_expected", "Funding gap on expected spending", "money", "{cur}",
           "The cost that is not expected to be spent: the gap plus what the sources plan to pay and are not "
           "expected to spend (their planned payments times 1 - execution)"),
    Metric("domestic_burden", "Government burden over the plan", "money", "{cur}",
           "Domestic outlay, debt service and PPP payments, to the last payment, as planned"),
    Metric("domestic_burden_expected", "Government burden on expected spending", "money", "{cur}",
           "domestic_burden on what is expected to be spent: the domestic outlay, and each loan's debt service and "
           "each PPP's payments, times their execution"),
]

#: Every scenario-wide summary metric, in the order of ``summary.csv``.
METRICS: dict[str, Metric] = {m.key: m for m in _METRICS}
#: Per-source metrics, written ``<key>__<source id>``.
SOURCE_METRICS: dict[str, Metric] = {
    "grant_element": Metric("grant_element", "Grant element", "share", "share",
                            "How much of one loan is a gift: 1 minus the present value of its debt service over the "
                            "present value of its disbursements (not shown if it never disburses)"),
    "ppp_value_for_money": Metric("ppp_value_for_money", "PPP value for money", "money", "{cur}",
                                  "An availability PPP against the public sector comparator: the present value of "
                                  "building what it finances with the budget, minus that of its availability "
                                  "payments, both at the government's rate ([context] gap_financing, else the "
                                  "discount rate); positive when the PPP costs the government less"),
    "outcome_bond_irr": Metric("outcome_bond_irr", "Outcome bond: investor's return", "share", "share",
                               "An outcome bond's internal rate of return to its investor, a year: the rate at "
                               "which the outcome payments it receives repay the principal it paid, both in the "
                               "source's currency at current prices in the years they fall (-1: nothing repaid)"),
}


def source_metric_key(metric: str, source_id: str) -> str:
    """``source_metric_key("grant_element", "ida") == "grant_element__ida"``."""
    return f"{metric}{METRIC_SOURCE_SEPARATOR}{source_id}"


def metric_definition(key: str) -> Metric:
    """The definition of a summary metric key, per-source keys included (``grant_element__ida``).

    Raises
    ------
    KeyError
        Not a metric of dfl_finance.
    """
    if key in METRICS:
        return METRICS[key]
    base, sep, source = key.partition(METRIC_SOURCE_SEPARATOR)
    if sep and source and base in SOURCE_METRICS:
        m = SOURCE_METRICS[base]
        return Metric(key, f"{m.label}: {source}", m.kind, m.unit, m.description)
    raise KeyError(key)


# ------------------------------------------------------------------------------------------ money and prices
#: The US dollar: the currency of the templates and of most external finance, and the second currency of every
#: scenario (amounts can be written in it, cost lines and loans can be priced in it).
USD = "USD"
#: The IMF's special drawing right (ISO 4217 ``XDR``), the currency of some IDA credits. dfl_finance treats it as
#: moving with the US dollar at a constant cross rate (a documented simplification: only its charge differs).
SDR = "XDR"
#: Currencies an amount may be given in (ISO 4217 list one: national currencies and the SDR; funds, metals and
#: test codes excluded).
CURRENCIES: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG
HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU
UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
""".split())
#: Discount rate of the grant element: nominal flows in the loan's currency at the IMF's unified 5% (IMF, "Unification
#: of Discount Rates Used in External Debt Analysis for Low-Income Countries", 2013); the LIC-DSF discounts external
#: debt at the same rate.
GRANT_ELEMENT_RATE = 0.05


# ---------------------------------------------------------------------------------------------------- rounding
#: Decimal places of the minor unit of currencies whose minor unit is not the cent (ISO 4217, list one); every
#: other currency has 2 (the cent).
MINOR_UNIT_DIGITS: dict[str, int] = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
                     "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
#: Decimal places of unit costs (prices per unit) in the written tables: fine enough that quantity x unit cost
#: reproduces the amount to its minor unit.
PRICE_DIGITS = 6
#: Decimal places of shares and ratios in the written tables (removes rounding dust such as 1e-17).
SHARE_DIGITS = 10


def minor_unit_digits(currency: str) -> int:
    """Decimal places to which amounts in ``currency`` are written: ``2`` (the cent) unless ISO 4217 says else.

    Examples
    --------
    >>> minor_unit_digits("USD"), minor_unit_digits("RWF"), minor_unit_digits("KWD")
    (2, 0, 3)
    """
    return MINOR_UNIT_DIGITS.get(currency, 2)


#: The school model's technologies (in the order of its cost arrays), rollout orders, and the note that marks the cost
#: lines a school plan writes (dfl_finance.schools).
SCHOOL_TECHNOLOGIES: tuple[str, ...] = ("fibre", "cellular", "p2p", "satellite")
SCHOOL_ORDERS: tuple[str, ...] = ("cost-per-learner", "remote-first", "region-quota", "priority")
SCHOOL_PLAN_NOTE = "from the school plan"
#: What a school plan says of a school already connected, and of one no technology can serve.
SCHOOL_EXISTING, SCHOOL_NONE = "existing", "none"
#: Mobile coverage as an index: a technology needs at least its ``min_coverage``.
SCHOOL_COVERAGE: dict[str, int] = {"none": 0, "2G": 2, "3G": 3, "4G": 4, "5G": 5}
#: Areas of a school, from the most to the least connected.
SCHOOL_AREAS: tuple[str, ...] = ("urban", "rural", "remote")

#: The LIC-DSF contingent-liability shock counts this share of the PPP capital stock as public debt (Guidance Note,
#: 2018).
PPP_CONTINGENT_SHARE = 0.35
#: Objectives of the optimiser's first stage.
FIRST_STAGES: tuple[str, ...] = ("gap", "pv-gap")

#: The package's version (``dfl_finance.__version__``, the manifests, the sweep's check of its workers).
VERSION = "0.1.0"

#: The IMF's concessionality test: a loan is concessional when its grant element (at :data:`GRANT_ELEMENT_RATE`) is at
#: least this share (docs/method.md, *Concessionality and sources.csv*, for the sources and what could not be read).
CONCESSIONAL_GRANT_ELEMENT = 0.35
#: What the deterministic run (and a tornado's base, and a stress test's) takes for each uncertain input
#: (``[risk] point``): its distribution's mean (the expected value), its mode (the most likely value), or the value
#: written in the field (issue 22). Described in docs/method.md, *The deterministic run and the draws*.
RiskPoint = Literal["mean", "mode", "as_written"]
RISK_POINTS: tuple[str, ...] = get_args(RiskPoint)

#: Results-based financing (issue 25, ``[[source.dli]]``): the measure of a programme's reach a disbursement-linked
#: indicator is judged on (the share of the driver's units reached, or the units reached), and what happens to an
#: amount that is not earned by the row's deadline (docs/method.md, *Results-based financing*).
DliMeasure = Literal["reached_share", "reached"]
DLI_MEASURES: tuple[str, ...] = get_args(DliMeasure)
Unearned = Literal["lapse", "roll_over"]
UNEARNED: tuple[str, ...] = get_args(Unearned)
#: Who pays an outcome bond's outcome payments (``[source.outcome_bond] payer``): the government (a social impact
#: bond: the payments are part of its burden) or a partner (a development impact bond: the government pays nothing).
OutcomePayer = Literal["government", "partner"]
# ---------------------------------------------------------------------- the budget's classifications (issue 24)
#: The COFOG 09 (education) groups: United Nations, Classification of the Functions of Government (COFOG), Statistical
#: Papers Series M No. 84 (2000), Division 09 Education, groups 09.1 to 09.8.
Cofog = Literal["09.1", "09.2", "09.3", "09.4", "09.5", "09.6", "09.7", "09.8"]
COFOG_GROUPS: dict[str, str] = {
    "09.1": "pre-primary and primary education", "09.2": "secondary education",
    "09.3": "post-secondary non-tertiary education", "09.4": "tertiary education",
    "09.5": "education not definable by level", "09.6": "subsidiary services to education",
    "09.7": "R&D education", "09.8": "education n.e.c."}
#: A line's COFOG group unless it or its template says: 09.8, education not elsewhere classified (COFOG's residual
#: group, which also holds the administration and planning of the education system).
DEFAULT_COFOG = "09.8"
#: The budget's split of spending: recurrent (the running costs) and development (investment projects).
BudgetType = Literal["recurrent", "development"]
BUDGET_TYPES: tuple[str, ...] = get_args(BudgetType)
#: A line's budget type unless it says: capex and fixed_capex are development, opex and fixed_opex recurrent.
DEFAULT_BUDGET_TYPE: dict[str, str] = {"capex": "development", "fixed_capex": "development",
                                       "opex": "recurrent", "fixed_opex": "recurrent"}
#: ``financed`` of financing.csv: by the source that pays, domestic (a domestic source) or external (a grant, a loan,
#: a PPP operator: every kind of :data:`EXTERNAL_KINDS`); the gap rows have ``gap``.
FINANCED: tuple[str, ...] = ("domestic", "external", GAP)
#: The shape of a budget code (vote, programme, sub-programme, output, project): letters and digits in segments
#: separated by one ``-``, ``.`` or ``/`` (``1066-0501000``, ``07.01.02``), at most 60 characters.
BUDGET_CODE_PATTERN = r"^[A-Za-z0-9]+([-./][A-Za-z0-9]+)*$"
#: The levels of a code list (``[scenario] budget_codes``), from the top.
BUDGET_CODE_LEVELS: tuple[str, ...] = ("vote", "programme", "sub_programme", "output", "project")
#: The execution rate of a source unless it says, by kind: the share of its planned payments expected to be spent.
#: PLACEHOLDER 1.0 for every kind: no budget-execution report or PEFA assessment with outturns by source of finance was
#: read here (docs/method.md, *Budget execution*).
DEFAULT_EXECUTION: dict[str, float] = {"domestic": 1.0, "grant": 1.0, "loan": 1.0, "ppp": 1.0}
# ------------------------------------------------------------------------------------------ the MTEF (issue 24)
#: The prices an ``[[mtef]]`` ceiling is written in: constant prices of the scenario's price_year (as the plan's own
#: inputs) or current prices of its fiscal year (as a finance ministry publishes its MTEF ceilings).
CeilingPrices = Literal["constant", "current"]
CEILING_PRICES: tuple[str, ...] = get_args(CeilingPrices)
#: How many fiscal years an MTEF covers: the budget year and the two outer years.
MTEF_YEARS = 3
#: The label of a total in the MTEF table (its rows over classes, types and financing; over programmes).
MTEF_TOTAL = "total"

# ------------------------------------------------------------------------------------- outcomes (issue 25)
#: What a programme produces (``[[programme.outcome]] measure``), a count at the end of each year, a column of
#: outcomes.csv: schools and learners connected (infrastructure); teachers, officials and learners trained in data
#: skills (capacities: a stock that loses ``attrition`` a year and is restored by refresher training); schools
#: reporting to the EMIS (coverage). Milestones (``[[programme.milestone]]``: EMIS timeliness, data-governance) are
#: counted in ``milestones_met``. docs/method.md, *Outcomes and cost per outcome*.
OutcomeMeasure = Literal["schools_connected", "learners_connected", "teachers_trained", "officials_trained",
                         "learners_trained", "schools_in_emis"]
OUTCOME_MEASURES: tuple[str, ...] = get_args(OutcomeMeasure)
#: The column of outcomes.csv that counts the milestones met by the end of each year.
MILESTONES_MET = "milestones_met"
#: Words for each measure: the singular noun of its unit (a metric's label and unit).
OUTCOME_UNITS: dict[str, tuple[str, str]] = {
    "schools_connected": ("school connected", "Schools connected"),
    "learners_connected": ("learner connected", "Learners in connected schools"),
    "teachers_trained": ("teacher trained", "Teachers trained in data skills"),
    "officials_trained": ("official trained", "Officials trained in data literacy"),
    "learners_trained": ("learner trained", "Learners trained in data literacy"),
    "schools_in_emis": ("school in the EMIS", "Schools reporting to the EMIS"),
}


def cost_per_outcome_key(measure: str) -> str:
    """``cost_per_outcome_key("teachers_trained") == "cost_per_teachers_trained"``."""
    return f"cost_per_{measure}"


#: The cost-effectiveness and co-financing metrics of issue 25, after the metrics above (summary.csv's order).
_OUTCOME_METRICS = [
    Metric("cost_per_learner_reached_year", "Cost per learner reached a year", "money", "{cur}/learner-year",
           "Total cost divided by the learner-years reached: the sum over the plan's years of the learners in the "
           "schools reached (the largest reach of a schools or learners programme in each year, learners per school "
           "from [context]; not shown when no learner is reached)"),
    Metric("co_financing_per_partner_dollar", "Co-financing per partner dollar", "ratio",
           "{cur} domestic per {cur} external",
           "Domestic outlay mobilised per unit of external finance (grants, loans and PPP investment): what donors "
           "call co-financing per partner dollar, the inverse of leverage (not shown without external finance)"),
    *(Metric(cost_per_outcome_key(m), f"Cost per {noun}", "money", f"{{cur}}/{noun.replace(' ', '-')}",
             f"Total cost of the programmes that produce it over the plan divided by the "
             f"{label[0].lower() + label[1:]} at the end of the plan ([[programme.outcome]] measure = \"{m}\"; "
             "not shown when none is produced)")
      for m, (noun, label) in OUTCOME_UNITS.items()),
]
#: Money metrics of outcomes that the summary also reports in every price basis, as ``<metric>_<basis>``.
OUTCOME_BASIS_METRICS = tuple(cost_per_outcome_key(m) for m in OUTCOME_MEASURES)
_OUTCOME_METRICS += [Metric(basis_metric_key(m.key, basis), f"{m.label}, {words}", "money",
                            m.unit.replace("{cur}", "USD") if basis.endswith("usd") else m.unit,
                            f"{m.description}, in {words}")
                     for m in list(_OUTCOME_METRICS) if m.key in OUTCOME_BASIS_METRICS
                     for basis, words in _BASIS_WORDS.items()]
METRICS.update({m.key: m for m in _OUTCOME_METRICS})

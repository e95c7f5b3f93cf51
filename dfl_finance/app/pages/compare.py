"""Compare: scenarios side by side, a table of summary metrics with deltas, on request the main metrics' P50 and P90
over each scenario's draws, and charts."""

import pandas as pd
import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.basis import scenarios_words
from dfl_finance.app.charts import labels_of, regions_chart, table_currencies
from dfl_finance.app.compute import checked_risk_tables, compare_charts_for, tables_by_name
from dfl_finance.app.outcomes import outcome_table
from dfl_finance.app.risk_export import file_settings, settings_words
from dfl_finance.app.ui import price_basis, show_broken, show_failed, years_choice
from dfl_finance.app.uncertainty import MAX_APP_DRAWS, compare_quantiles, flat_words, has_draws
from dfl_finance.app.workspace import Entry
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.profiles import country_profiles
from dfl_finance.inputs.rules import comparability
from dfl_finance.outputs.formatting import currency_of, format_delta, format_metric
from dfl_finance.outputs.result import compare_summaries, concat_tables, ranking_df, timing_difference
from dfl_finance.vocabulary import DEBT_CAPACITIES, HEADLINE_METRICS, PPP_CONTINGENT_SHARE, metric_definition


def listed(items: list[str]) -> str:
    """``1, 2 and 4``."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def over_the_draws(ordered: list[str], entries: dict[str, Entry], summaries: dict[str, pd.DataFrame],
                   basis: str) -> None:
    """The main metrics' P50 and P90 over the draws of each scenario's uncertain inputs (``ordered``, the baseline
    first; ``summaries``: each one's deterministic summary), beside its deterministic value: each risk run with the
    scenario's own ``[risk]`` settings, in ``basis``, cached (the Risk page shares the runs). The scenarios with a
    risk run come first (numbered as in the summary table), then those without uncertain inputs, whose
    deterministic value is every draw's."""
    scenarios = {n: entries[n].scenario for n in ordered}
    baseline = ordered[0]
    number = {n: f"{i + 1}." for i, n in enumerate(ordered)}
    with_draws = [n for n in ordered if has_draws(scenarios[n])]
    settings = {n: file_settings(scenarios[n]) for n in with_draws}
    quantiles, failed = {}, {}
    for n in with_draws:
        s = settings[n]
        try:
            with st.spinner(f"Running {n} over {s['draws']:,} draws..."):
                quantiles[n] = checked_risk_tables(entries[n].text, s["draws"], s["seed"], s["method"],
                                                   basis)["quantiles"]
        except ScenarioError as exc:
            failed[n] = exc
    show_failed(failed, "has no P50 and P90: its risk run failed")
    without = [n for n in ordered if n not in with_draws]
    # uncertain inputs that move no metric: every draw the same, as without any
    still = [n for n in quantiles if flat_words(quantiles[n])]
    columns = {}
    for n in [*quantiles, *failed, *without]:
        said = ["baseline"] if n == baseline else []
        said += ["no uncertain inputs"] if n in without else ["risk run failed"] if n in failed else \
            ["every draw the same"] if n in still else []
        columns[n] = f"{number[n]} {n}" + (f" ({'; '.join(said)})" if said else "")
    table = compare_quantiles({n: summaries[n] for n in columns}, quantiles, columns)
    config = {"Metric": st.column_config.TextColumn(width="medium", pinned=True),
              "Unit": st.column_config.TextColumn(width="medium")}
    for n, label in columns.items():
        config[label] = st.column_config.TextColumn(
            width="medium", help=f"{n}: the deterministic run (the file's values)" + (
                "; the scenario has no uncertain inputs, so every draw is this run" if n in without else ""))
        for q, words in (("P50", "the median of the draws"), ("P90", "90% of the draws stay below it")):
            if f"{number[n]} {q}" in table.columns:
                config[f"{number[n]} {q}"] = st.column_config.TextColumn(width="small", help=f"{n}: {q}, {words}")
    st.dataframe(table, hide_index=True, key="compare_risk_table", height="content", column_config=config)
    notes = []
    if quantiles:
        notes.append("P50 and P90: the values that half and 90% of the draws stay below, over each scenario's own "
                     "uncertain inputs with its `[risk]` settings ("
                     + "; ".join(f"scenario {number[n][:-1]}: {settings_words(settings[n])}" for n in quantiles)
                     + "). The deterministic run uses the file's values, so it need not equal the median.")
    capped = [number[n][:-1] for n in with_draws if scenarios[n].risk.draws > MAX_APP_DRAWS]
    if capped:
        notes.append(f"Scenario{'s' if len(capped) > 1 else ''} {listed(capped)} "
                     f"ask{'' if len(capped) > 1 else 's'} for more draws than the app runs: {MAX_APP_DRAWS:,} are "
                     "run (`dfl-finance risk` runs more).")
    for n in still:
        notes.append(f"Scenario {number[n][:-1]}: {flat_words(quantiles[n])}, so its P50 and P90 are its "
                     "deterministic value: not a sign that its numbers are sure.")
    if without:
        notes.append(f"Scenario{'s' if len(without) > 1 else ''} {listed([number[n][:-1] for n in without])} "
                     f"ha{'ve' if len(without) > 1 else 's'} no uncertain inputs (no `[[uncertain]]` rows and no "
                     "uncertain pledge), so every draw is the deterministic run: only that value is shown. Add "
                     "uncertain inputs on the Risk page.")
    st.caption(" ".join(notes))


st.title("Compare scenarios")
st.page_link(PAGES["about"], label="What the metrics mean (method)", icon=":material/menu_book:")

catalogue = state.catalogue()
# Streamlit places each element by its position on the page, and draws a chart again when its position moved even
# if nothing in it changed: every part whose number of elements varies (messages, the P50/P90 table, a caption
# shown or not) is in a container of its own, so the charts below keep their places from one run to the next
with st.container():
    show_broken(catalogue.broken)
scenarios = {n: e.scenario for n, e in catalogue.scenarios.items()}
names = list(scenarios)
if len(names) < 1:
    st.info("No scenarios: add some on the Scenarios page.")
    st.stop()
# by default: the options for the country of the scenario picked (else of the default one)
focus = scenarios[state.picked(names) or names[0]]
default = [n for n in names if scenarios[n].scenario.country == focus.scenario.country] if focus.scenario.country \
    else names[:2]
last = [n for n in st.session_state.get(state.COMPARED, []) if n in names]  # the pick when the page was left
state.keep_known("compare_pick", names)
if "compare_pick" not in st.session_state:
    st.session_state["compare_pick"] = last or (default if len(default) >= 2 else names[:2])
picked = st.multiselect("Scenarios", names, key="compare_pick")
st.session_state[state.COMPARED] = picked
if st.session_state.get("compare_baseline") not in picked:
    st.session_state.pop("compare_baseline", None)
if len(picked) < 2:
    st.info("Pick two or more scenarios to compare.")
    st.stop()
baseline = st.selectbox("Baseline", picked, key="compare_baseline")
ordered = [baseline] + [n for n in picked if n != baseline]  # the baseline first, in the table and the charts
basis = price_basis()
computed, failed = tables_by_name({n: catalogue.scenarios[n].text for n in ordered}, basis)
messages = st.container()  # the scenarios that fail, and whether they are comparable
with messages:
    show_failed(failed)
ordered = [n for n in ordered if n in computed]
if len(ordered) < 2 or ordered[0] != baseline:
    messages.info("Pick two or more scenarios that can be computed, the baseline among them.")
    st.stop()
per = [computed[n] for n in ordered]
tables = concat_tables(per)
# the currency of each scenario's tables: USD in a USD basis, else its local currency
currencies = table_currencies(tables)
compared = [scenarios[n] for n in ordered]
reason = comparability(compared, [currencies.get(n, scenarios[n].scenario.currency) for n in ordered])
timing = timing_difference(compared)  # no amount can be subtracted; else only amounts in different currencies
if reason and timing is None:
    messages.warning(f"The scenarios are not fully comparable, {reason.removeprefix('no deltas: ')}: the table shows "
               "differences only for amounts in the same currency (the metrics in USD, and shares), and the charts "
               "are in each scenario's own currency. Pick a USD price basis in the sidebar to compare every amount.")
elif reason:
    messages.warning(f"The scenarios are not comparable, {reason.removeprefix('no deltas: ')}: the table shows no "
               "differences, and the charts are in each scenario's own terms.")
table = compare_summaries([t["summary"] for t in per], baseline, timing)
words = scenarios_words(basis, (scenarios[n] for n in ordered))
st.caption(f"Amounts in {words} (the price basis chosen in the sidebar).")


with st.container():
    if st.toggle("Show P50 and P90 over the draws of the uncertain inputs", key="compare_risk",
               help="Runs each scenario that has uncertain inputs over its draws (its `[risk]` draws, seed and "
                    "method, as `dfl-finance risk` does) and shows the median (P50) and the 90th percentile (P90) "
                    "of the main metrics beside the deterministic value. Off by default: the runs take a few "
                    "seconds the first time (they are then kept)."):
        st.subheader("Main metrics over the draws")
        over_the_draws(ordered, catalogue.scenarios, {n: computed[n]["summary"] for n in ordered}, basis)

st.subheader("Summary metrics")
value_columns = {n: f"{i + 1}. {n}" + (" (baseline)" if i == 0 else "") for i, n in enumerate(ordered)}
delta_columns = {n: f"Change {i}. vs 1." for i, n in enumerate(ordered[1:], start=2)}
rows = []
for metric, group in table.groupby("metric", sort=False):
    d = metric_definition(str(metric))
    cells = {r.scenario: r for r in group.itertuples()}
    units = dict(zip(group["scenario"], group["unit"]))
    mixed = len(set(units.values())) > 1  # amounts in different currencies: each value says its own
    row = {"Metric": d.label, "Unit": "each scenario's own" if mixed else next(iter(units.values()))}
    for n in ordered:
        code = (currency_of(units.get(n, "")) or "") if mixed and d.kind == "money" else ""
        row[value_columns[n]] = format_metric(cells[n].value, d.kind, code) if n in cells else "n/a"
    for n in ordered[1:]:
        row[delta_columns[n]] = format_delta(cells[n].delta, d.kind) if n in cells else ""
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_table", height="content",
             column_config={"Metric": st.column_config.TextColumn(width="large", pinned=True),
                            "Unit": st.column_config.TextColumn(width="medium")})
headline = ", ".join(metric_definition(m).label.lower() for m in HEADLINE_METRICS)
st.caption("The first scenario is the baseline; \"Change 2. vs 1.\" is scenario 2 minus the baseline (shares in "
           "percentage points, pp). Amounts in the price basis chosen in the sidebar; the headline amounts "
           f"({headline}) are also given in every basis, in rows of their own at the end of the table, each named "
           "with its basis (\"current USD\", ...).")

with st.container():  # one block of notes whatever their number: the charts below keep their places
    st.subheader("Which discount rate the ranking rests on")
    ranking = ranking_df([t["summary"] for t in per], timing)
    st.caption("The government cost (present value) at four rates, rows of the table above: each scenario's own "
               "discount rate (the headline), the IMF's 5% in US dollars (the concessionality convention), the "
               "government's borrowing rate (`[context] borrowing_rate`, else the gap-financing bond's rate) and a "
               "social discount rate (`[scenario] social_discount_rate`, real); a rate a scenario does not give is "
               "left out. For each pair of options, the cheaper one at each rate (ranking.csv on the Export page "
               "and from `dfl-finance compare`):")
    pairs = list(dict.fromkeys(zip(ranking["scenario"], ranking["other"], ranking["note"], ranking["flips"])))
    st.markdown("\n".join(f"- {'**The ranking flips.** ' if flips is True else ''}{ordered.index(a) + 1}. vs "
                          f"{ordered.index(b) + 1}.: {note}" for a, b, note, flips in pairs)
                or "No pair of these scenarios has a present value at the same rate.")


profiles = country_profiles()


def country(n: str) -> str:
    code = scenarios[n].scenario.country
    return profiles[code].name if code in profiles else (code or n)


def capacity(n: str) -> str:
    level = scenarios[n].debt.capacity
    return f"{country(n)}, {level} capacity" if level else country(n)


# the yearly charts by calendar year, or by fiscal year when a scenario's fiscal year is not the calendar year
months = {n: scenarios[n].scenario.fiscal_year_start for n in ordered}
with st.container():  # the choice shown or not: the charts below keep their places
    years = "calendar"
    if any(m != 1 for m in months.values()):
        years = years_choice("Years of the charts", "compare_years", months,
                             ("Calendar years", "Fiscal years (e.g. 2026/27)"),
                             " (docs/method.md, Fiscal years), as the Export page and `dfl-finance run --years "
                             "fiscal` write the tables.")
# the money charts in the currency of each scenario's tables (USD in a USD basis): their own axes where they differ
charts = compare_charts_for(tuple((n, catalogue.scenarios[n].text or "") for n in ordered), basis,
                            tuple((n, country(n)) for n in ordered), tuple((n, capacity(n)) for n in ordered),
                            years)
st.subheader("Costs")
st.altair_chart(charts["costs"], width="stretch", key="chart_costs")
st.subheader("Financing")
st.altair_chart(charts["financing"], width="stretch", key="chart_financing")
st.subheader("Debt service")
if charts["debt_service"] is None:
    st.caption("None of these scenarios borrows or uses a PPP.")
else:
    st.altair_chart(charts["debt_service"], width="stretch", key="chart_debt")
st.subheader("Burden on the education budget")
st.caption("Government burden = domestic outlay + debt service + PPP payments, as a share of the education budget, "
           "to the last repayment; after the plan's last year it also carries the plan's recurrent cost (running "
           "costs and replacements the government pays once the plan ends). The dashed lines are the burden limits, "
           "one per distinct limit, labelled with whom it applies to. The tooltip also gives the domestic "
           "envelope: what the budget may pay for the plan (its share cap of the budget, less debt service and PPP "
           "payments under the net envelope).")
st.altair_chart(charts["burden"], width="stretch", key="chart_burden")
st.subheader("Fiscal accounts (GFS)")
st.caption("The plan's outlays each year as the IMF's Government Finance Statistics Manual 2014 classifies them: "
           "expense by economic class (use of goods and services for running costs, and the class a cost line "
           "gives), the acquisition of nonfinancial assets (capital spending), interest (an expense) and the "
           "repayment of principal (amortisation, a financing item, not an expense), to the last payment. The "
           "tooltip says who bears each amount: the education vote, the Treasury (external debt service and PPP "
           "payments, charges on the consolidated fund) or a partner (what grants, loan disbursements and a PPP "
           "operator pay). Grants received and borrowing, the financing coming in, are in gfs.csv on the Export "
           "page.")
if charts["gfs"] is None:
    st.caption("None of these scenarios has an outlay.")
else:
    st.altair_chart(charts["gfs"], width="stretch", key="chart_gfs")
st.subheader("Debt sustainability")
st.caption("The four ratios of public external debt of the IMF/World Bank debt-sustainability framework for "
           "low-income countries (LIC-DSF): the present value of external debt over GDP and over exports, and "
           "external debt service over exports and over government revenue (excluding grants); and the present "
           "value of total public debt (external and domestic: the plan's loans in local currency and the gap's "
           "market borrowing included) over GDP, against the framework's benchmark. Two panels per "
           "ratio. On the left, the country's ratio with the plan: its baseline debt plus the plan's new debt where "
           "the country profile gives the baseline (else the plan alone), against the threshold (dashed, labelled "
           "by country), which depends on the country's debt-carrying capacity "
           f"({', '.join(DEBT_CAPACITIES)}); a ratio above it signals a risk of debt distress. The baseline is "
           "the same for every option of one country, so their lines there nearly coincide: on the right, the "
           "plan's own contribution (its scale is much smaller) shows how the options differ; the options that add "
           "no external debt lie on zero, one over the other.")
dsf = tables["dsf"]
without = [n for n in ordered if n not in set(dsf["scenario"])]
if charts["dsf"] is None:
    st.info("None of these scenarios has the data for the debt-sustainability ratios: they need GDP, exports and "
            "government revenue (from the country profile or a `[debt]` table).")
else:
    st.altair_chart(charts["dsf"], width="stretch", key="chart_dsf")
contingent = dsf[(dsf["ratio"] == "ppp_contingent_gdp") & (dsf["plan"] > 0)]
ppp = contingent.groupby("scenario", sort=False)["plan"].max()
with st.container():  # notes shown or not: the chart below keeps its place
    if without and charts["dsf"] is not None:
        st.caption(f"No debt-sustainability data for {', '.join(without)} (no GDP, exports and revenue in its "
                   "country profile or `[debt]` table).")
    if not ppp.empty:
        st.caption(f"PPP contingent liability (the LIC-DSF counts {PPP_CONTINGENT_SHARE:.0%} of the PPP capital "
                   "stock as a contingent liability of the government), at its peak: "
                   + "; ".join(f"{n}: {v:.2%} of GDP" for n, v in ppp.items()) + ".")
st.subheader("Outcomes")
st.altair_chart(charts["outcomes"], width="stretch", key="chart_outcomes")
what = outcome_table(tables["outcomes"], tables["summary"], ordered, currencies)
if not what.empty:
    st.markdown("**What the money buys**")
    st.dataframe(what, hide_index=True, key="compare_outcome_table", height="content")
    st.caption("Each outcome at the end of the plan ([[programme.outcome]] of the programmes, counted cohort by "
               "cohort for those trained, with attrition and refresher training) and its cost: the cost of the "
               "programmes that produce it over the plan divided by it, in the price basis of the sidebar "
               "(summary.csv's cost_per_<outcome>; docs/method.md, Outcomes and cost per outcome).")
regions = tables.get("regions")
if regions is not None and not regions.empty:  # only scenarios with [[region]] rows, own regions or a school table
    st.subheader("Cost by region")
    st.caption("Each region's share of every programme's cost over the plan (regions.csv, on the Export page, has "
               "it by year with the reach): split by the [[region]] shares of the programme's driver, its own "
               "regions or its school table's regions; a programme the scenario does not split is under "
               "\"national\". The regions add up to the national cost to the minor unit.")
    st.altair_chart(regions_chart(regions, currencies, ordered,
                                  labels_of(s for n in ordered if (s := scenarios.get(n)) is not None)),
                    width="stretch", key="chart_regions")

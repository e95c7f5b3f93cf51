"""Risk: the scenario's uncertain inputs as an editable table, a run over many draws of them, and what it gives:
the probability of exceeding the burden limit, the main metrics' quantiles beside the deterministic run, fan charts
of the yearly gap and burden share, a histogram of the total gap; then which inputs matter most (a tornado chart
and Sobol indices) and the scenario under the standard stress tests."""

import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.basis import basis_currency, basis_words
from dfl_finance.app.charts import dli_at_risk_chart, fan_chart, gap_histogram, sobol_chart, tornado_chart
from dfl_finance.app.compute import (
    checked_risk_tables,
    checked_sobol,
    checked_stresses,
    checked_tables,
    checked_tornado,
)
from dfl_finance.app.conflicts import show_conflict
from dfl_finance.app.sensitivity import (
    APP_SOBOL_N,
    DEFAULT_METRIC,
    above_one,
    input_label,
    metric_label,
    metric_options,
    not_applied,
    sobol_frame,
    stress_table,
    tornado_frame,
)
from dfl_finance.app.ui import (
    column_config,
    price_basis,
    problem_list,
    set_problems,
    show_broken,
    show_problem_summary,
)
from dfl_finance.app.uncertainty import (
    EXAMPLE_ROW,
    MAX_APP_DRAWS,
    METHODS,
    PROB_LABEL,
    UNCERTAIN_NUMBERS,
    flat_words,
    has_draws,
    histogram,
    pledge_table,
    probability_over_limit,
    risk_summary,
    scenario_with_uncertain,
    uncertain_table,
    varying_fields,
    yearly_wide,
)
from dfl_finance.app.workspace import Entry
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.io import dump_scenario
from dfl_finance.inputs.uncertain import PARAMETERS
from dfl_finance.outputs.formatting import currency_of, format_money
from dfl_finance.outputs.point import POINT_WORDS
from dfl_finance.vocabulary import metric_definition

#: A total gap below this (half a minor unit) is no gap; from this share of draws without one, the histogram
#: draws only the others.
NO_GAP, SPIKE = 0.005, 0.2
#: The largest seed a number field can hold exactly in the browser (a JavaScript number).
MAX_SEED = 2**53 - 1


def apply_uncertain(entry: Entry, edited, scope: str) -> None:
    """The uncertain-inputs table, validated by the core and saved as the Scenarios page saves its edits (a
    conflict with another session's change is kept for :func:`show_conflict`); an invalid table is refused and its
    problems kept under ``scope``, the last valid scenario staying as it was."""
    try:
        new = scenario_with_uncertain(entry.scenario, edited)
    except ScenarioError as exc:
        set_problems(scope, exc.problems)
        return
    if new == entry.scenario:
        set_problems(scope, [])
        state.notice("Nothing changed.")
        return
    if state.apply_edit(entry, dump_scenario(new), scope):
        state.notice(f"Saved {len(new.uncertain)} uncertain input{'s' if len(new.uncertain) != 1 else ''} to "
                     "your workspace.")


def sensitivity_and_stress(entry: Entry, summary, scope: str, basis: str, shown: str) -> None:
    """Which inputs matter most (a tornado chart and, on request, Sobol indices), each computed on a button press,
    and the scenario under the standard stress tests."""
    sc = entry.scenario
    st.subheader("Sensitivity and stress tests")
    words = basis_words(basis, shown, sc.scenario.base_year)
    st.markdown("**Which inputs matter most**")
    if not sc.uncertain:
        st.caption("The tornado chart and the Sobol indices measure the effect of the uncertain inputs: add rows to "
                   "the table above to see them.")
    else:
        options = metric_options(summary)
        metric = st.selectbox("Metric", options, index=options.index(DEFAULT_METRIC) if DEFAULT_METRIC in options
                              else 0, format_func=metric_label, key=f"sens_metric:{scope}",
                              help="The summary metric whose sensitivity to the uncertain inputs is shown.")
        on_tornado, on_sobol = f"tornado_on:{scope}", f"sobol_on:{scope}"
        c = st.columns(2)
        if c[0].button("Compute the tornado chart", key=f"tornado_go:{scope}", type="primary"):
            st.session_state[on_tornado] = True
        if c[1].button("Compute the Sobol indices", key=f"sobol_go:{scope}"):
            st.session_state[on_sobol] = True
        st.caption(f"The Sobol indices take {APP_SOBOL_N:,} × (inputs + 2) runs of the model: several seconds for a "
                   "large scenario.")
        # each in a container: shown or not, the charts after it keep their places (Streamlit draws a chart
        # again when its position on the page moved)
        with st.container():
            if st.session_state.get(on_tornado):
                try:
                    with st.spinner("Computing the tornado chart..."):
                        done = checked_tornado(entry.text, metric, basis)
                except ScenarioError as exc:
                    st.error("The tornado chart could not be computed:\n\n" + problem_list(exc.problems, sc))
                else:
                    state.remember("tornado", entry.name, entry.text, metric)  # for the Export page
                    rows = tornado_frame(done["table"], sc, metric)
                    unit = str(rows["unit"].iloc[0]) if len(rows) else ""
                    st.altair_chart(tornado_chart(rows, metric, done["base"], currency_of(unit) or ""),
                                    width="stretch", key="risk_tornado")
                    st.caption("Each bar: the metric with one input at its low (the 5th percentile of its "
                               "distribution) and at its high (the 95th), every other input at the file's value; the "
                               "inputs with the largest swing on top. The dashed line is the deterministic run."
                               + (f" Amounts in {words}." if metric_definition(metric).kind == "money" else ""))
        with st.container():
            if st.session_state.get(on_sobol):
                try:
                    with st.spinner(f"Computing the Sobol indices ({APP_SOBOL_N:,} base samples)..."):
                        table = checked_sobol(entry.text, metric, APP_SOBOL_N, basis)
                except ScenarioError as exc:
                    st.error("The Sobol indices could not be computed:\n\n" + problem_list(exc.problems, sc))
                else:
                    state.remember("sobol", entry.name, entry.text, metric)
                    st.altair_chart(sobol_chart(sobol_frame(table, sc, metric), metric), width="stretch",
                                    key="risk_sobol")
                    st.caption(f"The share of the metric's variance due to each input alone (first-order) and with its "
                               f"interactions (total), from {APP_SOBOL_N:,} base samples (the inputs taken as "
                               f"independent); the lines are 95% confidence intervals. For more samples, run "
                               f"`dfl-finance sensitivity`.")
                    if note := above_one(table, sc, metric):
                        st.warning(note, icon=":material/warning:")

    st.markdown("**Stress tests**")
    try:
        stressed = checked_stresses(entry.text, basis)
    except ScenarioError as exc:
        st.error("The stress tests could not be run:\n\n" + problem_list(exc.problems, sc))
        return
    state.remember("stress", entry.name, entry.text)
    notes = stressed["notes"]
    st.dataframe(stress_table(stressed["summary"], notes), hide_index=True, key="risk_stress",
                 column_config={"Stress": st.column_config.TextColumn(pinned=True)})
    st.caption("The scenario under each stress (" + ("its `[[stress]]` rows" if sc.stress else
                                                     "the built-in set: add `[[stress]]` rows to choose others")
               + "), in brackets the change from the baseline. " + f"Amounts in {words}.")
    skipped = not_applied(notes)
    if skipped:
        st.caption("Not applied: " + "; ".join(skipped) + ".")


st.title("Risk")
st.caption("How sure are the numbers? The inputs named below vary between draws; the model runs once per draw, and "
           "the charts show the spread of what it gives. Edits to the inputs are saved to your workspace, like "
           "those of the Scenarios page.")
st.page_link(PAGES["about"], label="How the draws are made (method: Risk)", icon=":material/menu_book:")

catalogue = state.catalogue()
# Streamlit places each element by its position on the page and draws a chart again when its position moved, even
# if nothing in it changed: every part whose number of elements varies is in a container of its own, so the charts
# keep their places from one run to the next
with st.container():
    show_conflict()
    show_broken(catalogue.broken)
name, entry = state.pick(catalogue, "No scenarios: add some on the Scenarios page.")
sc = entry.scenario
scope = state.scope(name)
prefix = f"{scope}:{state.form_version(entry)}"
uscope = f"{scope}:uncertain"
basis = price_basis()
shown = basis_currency(basis, sc)

try:
    deterministic = checked_tables(entry.text, basis)
except ScenarioError as exc:
    st.error("This scenario cannot be computed, so it has no risk run; correct it on the Scenarios page:\n\n"
             + problem_list(exc.problems))
    st.stop()

# ----------------------------------------------------------------------------------------- uncertain inputs
st.subheader("Uncertain inputs")
varies = has_draws(sc)
with st.container():
    if not sc.uncertain:
        st.info("This scenario has no uncertain inputs" + (
            "" if varies else ", so every draw equals the deterministic run") + ". Add rows to the table below (one "
                "per input that varies), or write them in the TOML file, e.g.\n\n```toml\n" + EXAMPLE_ROW + "\n```",
                icon=":material/info:")
cfg = st.column_config
table = uncertain_table(sc)
with st.form(f"uncertain:{prefix}"):
    st.markdown("Each row names a field by its path and gives its distribution: `uniform` (low, high), "
                "`triangular` and `pert` (low, mode, high), `normal` (mean, sd; truncated to the field's allowed "
                "range), `lognormal` (median, sd_log), `discrete` (values, weights: numbers separated by commas). "
                "Rows with the same `group` move together at the group's correlation `rho`.")

    def text(label=None, width=None):  # typed as text and read exactly: "abc" is refused, not emptied
        return lambda help: cfg.TextColumn(label, help=help, width=width)

    edited = st.data_editor(
        table, num_rows="dynamic", key=f"tu:{prefix}", hide_index=True, width="stretch",
        column_config=column_config("[[uncertain]]", table.columns, {
            "path": text(width="large"),
            "distribution": lambda help: cfg.SelectboxColumn(options=list(PARAMETERS), help=help, required=True),
            **{c: text() for c in UNCERTAIN_NUMBERS},
            "values": text("values (comma-separated)"), "weights": text("weights (comma-separated)")}))
    submitted = st.form_submit_button("Apply", type="primary", key=f"apply_uncertain:{prefix}")
if submitted:
    apply_uncertain(entry, edited, uscope)
    st.rerun()
with st.container():
    if sc.uncertain:
        st.caption("The rows in words: " + "; ".join(f"{i}. {input_label(sc, u.path)}"
                                                      for i, u in enumerate(sc.uncertain, start=1)) + ".")
    show_problem_summary(uscope)
    if notice := state.notice():
        st.info(notice)
with st.expander("Fields that can vary in this scenario"):
    st.markdown("Copy a path into the table's `path` column (a programme, cost line or source may also be named by "
                "its position: `programme[0].cost[1].unit_cost`). A source's pledge can be uncertain too: its "
                "`reliability`, `disbursement_share` and `disbursement_lag`, written in the TOML file on the "
                "Scenarios page.")
    st.code("\n".join(f"{path}  # {input_label(sc, path)}" for path in varying_fields(sc)), language=None)
pledges = pledge_table(sc)
with st.container():
    if not pledges.empty:
        st.markdown("**Uncertain pledges** (edit them in the TOML file on the Scenarios page)")
        st.dataframe(pledges, hide_index=True, key="risk_pledges")

if not varies:
    sensitivity_and_stress(entry, deterministic["summary"], scope, basis, shown)
    st.stop()

# ----------------------------------------------------------------------------------------- the run
st.subheader("Run")
file_draws = sc.risk.draws
with st.form(f"risk_run:{scope}"):
    c = st.columns(3)
    draws = c[0].number_input("Draws", min_value=1, max_value=MAX_APP_DRAWS, value=min(file_draws, MAX_APP_DRAWS),
                              step=100, key=f"risk_draws:{scope}",
                              help=f"How many times the model runs, each time with other values of the uncertain "
                                   f"inputs (default: the file's `[risk] draws`). The app runs at most "
                                   f"{MAX_APP_DRAWS:,}; for more, use `dfl-finance risk FILE --draws N`.")
    seed = c[1].number_input("Seed", min_value=0, max_value=MAX_SEED, value=min(sc.risk.seed, MAX_SEED), step=1,
                             key=f"risk_seed:{scope}",
                             help="The same seed gives the same draws on any machine (default: the file's).")
    method = c[2].selectbox("Sampling", list(METHODS), index=list(METHODS).index(sc.risk.method),
                            format_func=METHODS.get, key=f"risk_method:{scope}",
                            help="Latin hypercube (the default) spreads the draws evenly over each input's range; "
                                 "scrambled Sobol is best at a power of two (1,024, 4,096, ...); plain Monte Carlo "
                                 "draws at random.")
    st.form_submit_button("Run", type="primary", key=f"risk_go:{scope}")
with st.container():
    if file_draws > MAX_APP_DRAWS:
        st.caption(f"The file asks for {file_draws:,} draws; the app runs at most {MAX_APP_DRAWS:,} (run "
                   f"`dfl-finance risk` for more).")

try:
    with st.spinner(f"Running {int(draws):,} draws..."):
        risk = checked_risk_tables(entry.text, int(draws), int(seed), method, basis)
except ScenarioError as exc:
    st.error("The risk run failed:\n\n" + problem_list(exc.problems, sc))
    st.stop()
state.remember("risk", name, entry.text, {"draws": int(draws), "seed": int(seed), "method": method})

quantiles, yearly = risk["quantiles"], risk["yearly"]
summary = deterministic["summary"]
det = dict(zip(summary["metric"], summary["value"]))
limit = sc.context.burden_limit
words = basis_words(basis, shown, sc.scenario.base_year)

# ----------------------------------------------------------------------------------------- results
st.subheader("Results")
with st.container():
    if flat := flat_words(quantiles):
        st.warning(f"{sc.name}: {flat}. Its inputs as written give the same numbers in every draw, so the spread "
                   "below is none: this is not a sign that the numbers are sure.", icon=":material/warning:")
prob = probability_over_limit(quantiles)
st.metric(PROB_LABEL, "n/a" if prob is None else f"{prob:.1%}",
            help="The share of the draws in which the government burden (domestic outlay, debt service and PPP "
                 "payments) exceeds its limit, a share of the education budget, in at least one year.")
over_det = det.get("years_over_limit", 0) or 0
st.caption(f"{risk['draws']:,} draws, seed {int(seed)}, {METHODS[method]}. The burden limit is "
             f"{limit:.1%} of the education budget; the deterministic run ({POINT_WORDS[sc.risk.point]}) "
             + (f"exceeds it in {over_det:.0f} year{'s' if over_det != 1 else ''}." if over_det
                else "stays within it every year.")
             + f" Amounts in {words} (the price basis chosen in the sidebar).")

st.markdown("**Main metrics over the draws**")
st.dataframe(risk_summary(quantiles, summary, point=sc.risk.point), hide_index=True, key="risk_table",
             height="content", column_config={"Metric": cfg.TextColumn(width="medium", pinned=True),
                                              "Why they differ": cfg.TextColumn(width="large")})
st.caption("P10, P50 and P90: the values that 10%, 50% (the median) and 90% of the draws stay below. The "
           f"deterministic run takes {POINT_WORDS[sc.risk.point]} (the file's `[risk] point = "
           f"\"{sc.risk.point}\"`). At the inputs' means, it is near the mean of the draws where a metric is linear in "
           "them; caps and thresholds (a gap, years over the limit) move it apart, and skewed draws set the median "
           "(P50) apart from the mean: the last column says which, where they differ by more than 2%.")

gap = yearly_wide(yearly, "gap")
fiscal = deterministic["fiscal"]
det_gap = fiscal.loc[fiscal["year"].isin(gap["year"]), ["year", "gap"]].rename(columns={"gap": "value"})
st.altair_chart(fan_chart(gap, "Funding gap per year over the draws", f"Funding gap ({shown} millions)",
                          currency=shown, deterministic=det_gap), width="stretch", key="risk_fan_gap")
burden = yearly_wide(yearly, "burden_share")
det_burden = fiscal.loc[fiscal["year"].isin(burden["year"]), ["year", "burden_share"]].rename(
    columns={"burden_share": "value"})
st.altair_chart(fan_chart(burden, "Burden on the education budget over the draws",
                          "Burden (share of the education budget)", share=True, deterministic=det_burden,
                          limit=limit), width="stretch", key="risk_fan_burden")
st.caption("The darker band holds the middle 80% of the draws (P10 to P90), the lighter one 90% (P5 to P95); the "
           "line is the median (P50), the dotted line the deterministic run. Each year's band is over the draws of "
           "that year: a draw need not follow one band edge from year to year. The dashed line is the burden limit"
           + (" of the file (it is one of the uncertain inputs, so each draw has its own)." if any(
               u.path.endswith("burden_limit") for u in sc.uncertain) else "."))

total_gap = risk["total_gap"]
gap_q = quantiles[(quantiles["metric"] == "total_gap") & (quantiles["statistic"] == "p50")]["value"]
none = float((total_gap <= NO_GAP).mean()) if len(total_gap) else 0.0
# a spike of draws without a gap would flatten the others: those are counted in words instead
some = total_gap[total_gap > NO_GAP] if SPIKE <= none < 1 else total_gap
if none < 1:  # every draw without a gap: one bar at 0 over a range of nothing says less than the words below
    st.altair_chart(gap_histogram(histogram(some), shown, det.get("total_gap"),
                                  float(gap_q.iloc[0]) if not gap_q.empty else None,
                                  title="Total funding gap in the draws that have one" if len(some) < len(total_gap)
                                  else None),
                    width="stretch", key="risk_histogram")
else:
    st.markdown("**Total funding gap over the draws**")
st.caption("What no source pays over the plan, in each draw" + (" (bars: how many draws fall in each range). "
                                                                  if none < 1 else ": ")
           + (f"{none:.0%} of the draws have no gap and are not drawn; " if len(some) < len(total_gap) else
              f"{none:.0%} of the draws have no gap; " if none < 1 else "No draw has a gap.")
           + (f"the largest is {format_money(float(total_gap.max()), shown)}." if none < 1 else ""))

at_risk = risk.get("dli_at_risk")
if at_risk is not None and not at_risk.empty:  # results-based financing: what the DLIs may not pay
    st.altair_chart(dli_at_risk_chart(at_risk), width="stretch", key="risk_dli_at_risk")
    st.caption("Each disbursement-linked indicator ([[source.dli]]): what it earns on average over the draws (its "
               "result may not come, or come late, past its deadline) and the disbursement at risk, its amount less "
               "that, in the source's currency. A row that receives a roll-over can earn more than its own amount. "
               "The government pre-finances the costs; what is not earned does not reimburse it (dli_at_risk.csv).")

sensitivity_and_stress(entry, deterministic["summary"], scope, basis, shown)

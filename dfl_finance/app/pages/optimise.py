"""Optimise: the best financing mix of a scenario (the optimiser of :mod:`dfl_finance.studies.optimise`) under an
objective and optional limits, solved on a button press; the optimal mix beside the current one (the waterfall), what
one more unit of each binding constraint is worth (shadow prices), and the optimal mix added as a new scenario."""

import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.basis import basis_currency, basis_words
from dfl_finance.app.charts import financing_chart, labels_of, mix_totals_chart, shadow_price_chart, source_colours
from dfl_finance.app.compute import checked_optimum, checked_tables
from dfl_finance.app.editing import parse_number
from dfl_finance.app.optimising import (
    CHART_ROWS,
    CURRENT,
    MIXES,
    OBJECTIVES,
    OPTIMAL,
    OPTION_LABELS,
    OptionsKey,
    in_app_words,
    lp_words,
    metrics_table,
    mix_by_year,
    mix_totals,
    options_key,
    outcome_words,
    readings,
    readings_table,
    reproduction_words,
    shadow_chart_rows,
    shadow_frame,
)
from dfl_finance.app.ui import as_text, price_basis, problem_list, show_broken
from dfl_finance.errors import DflFinanceError, ScenarioError
from dfl_finance.outputs.formatting import format_money

#: Session keys: the options last solved, per scenario; the outcome of the last "Add" (per scenario).
SOLVED, ADDED = "opt_solved", "opt_added"
#: The two views of the financing chart.
TOTALS, BY_YEAR = "Totals over the plan", "By year"


def add_optimum(name: str, text: str) -> None:
    """Button callback: the optimal mix saved as a new scenario (``name (optimal mix)``, or the next free name);
    the page stays on ``name``."""
    try:
        entry = state.add(text)
    except DflFinanceError as exc:
        st.session_state[f"{ADDED}:{name}"] = ("error", str(exc))
    else:
        st.session_state[f"{ADDED}:{name}"] = ("ok", entry.name)
    state.select(name)


st.title("Optimise")
st.caption("The best financing mix of a scenario under every rule of its sources (eligibility, years, caps, "
           "commitments, match ratios and the domestic envelope) and the limits you add: first the smallest funding "
           "gap, then, at that gap, the smallest cost to the government in present value (domestic outlay, debt "
           "service and PPP payments). It is set beside the current mix, which the waterfall pays source after "
           "source in priority order.")

catalogue = state.catalogue()
# Streamlit places each element by its position on the page and draws a chart again when its position moved, even
# if nothing in it changed: every part whose number of elements varies is in a container of its own, so the charts
# keep their places from one run to the next (an option changed without a new solve redraws no chart)
with st.container():
    show_broken(catalogue.broken)
name, entry = state.pick(catalogue, "No scenarios: add some on the Scenarios page.")
sc = entry.scenario
scope = state.scope(name)
basis = price_basis()
shown = basis_currency(basis, sc)
local = sc.scenario.currency

try:
    checked_tables(entry.text, basis)
except ScenarioError as exc:
    st.error("This scenario cannot be computed, so it cannot be optimised; correct it on the Scenarios page:\n\n"
             + problem_list(exc.problems))
    st.stop()

# ----------------------------------------------------------------------------------------- options
st.subheader("Objective and limits")
objective = st.radio("Objective", list(OBJECTIVES), format_func=OBJECTIVES.get, key=f"opt_objective:{scope}",
                     help="What the optimiser makes smallest first. At that gap it then makes the government's cost "
                          "in present value smallest; remaining ties go to the sources that pay first in the "
                          "waterfall's order.")
limit = sc.context.burden_limit
burden = st.checkbox(f"Keep the burden within the scenario's limit ({limit:.1%} of the education budget) in every "
                     "year", key=f"opt_burden:{scope}",
                     help="The government burden (domestic outlay, debt service and PPP payments) stays within "
                          "`[context] burden_limit` in every year, to the last repayment.")
c = st.columns(2)
debt_text = c[0].text_input(f"Cap on new debt ({local}, constant {sc.scenario.base_year} prices)", value="",
                            key=f"opt_max_debt:{scope}", placeholder="none",
                            help="At most this much disbursed by all loans together over the plan, e.g. `40e9`; "
                                 "empty: no cap.")
try:
    max_debt = parse_number(debt_text, integer=False, optional=True)
except ValueError as exc:
    max_debt = None
    c[0].error(f"{OPTION_LABELS['max_debt']}: {exc}", icon=":material/error:")
    debt_ok = False
else:
    debt_ok = True
    if max_debt is not None:
        c[0].caption(f"= {format_money(max_debt, local)}" + ("" if any(s.kind == "loan" for s in sc.source) else
                                                             " (this scenario has no loan: the cap changes nothing)"))
late = c[1].number_input("Weight on later years", min_value=0.0, max_value=100.0, value=0.0, step=0.5,
                         key=f"opt_late:{scope}",
                         help="0: every year's cost counts at its present value. With a weight W, year j of the "
                              "horizon counts 1 + W j / (H - 1) times, so the optimum shifts cost to earlier years.")
pv_column = st.columns(2)[0]  # the ceiling's message and caption inside its column: the page keeps its layout
pv_text = pv_column.text_input(
    "Ceiling on the PV of new external debt (USD, current prices)", value="", key=f"opt_max_pv_debt:{scope}",
    placeholder="none", help="At most this present value of new external debt over the plan, e.g. `50e6`: each "
    "external loan's disbursements at their PV at 5% when disbursed, at most their face value (the measure of IMF "
    "debt limits; sources.csv shows it per loan). Empty: no ceiling.")
try:
    max_pv_debt = parse_number(pv_text, integer=False, optional=True)
except ValueError as exc:
    max_pv_debt = None
    pv_column.error(f"{OPTION_LABELS['max_pv_debt']}: {exc}", icon=":material/error:")
    debt_ok = False
else:
    if max_pv_debt is not None:
        pv_column.caption(f"= {format_money(max_pv_debt, 'USD')}" + (
            "" if any(s.kind == "loan" for s in sc.source) else " (this scenario has no loan: the ceiling changes "
                                                                "nothing)"))
ids = [s.id for s in sc.source]
source_label = {s.id: s.label for s in sc.source}
state.keep_known(f"opt_shares:{scope}", ids)
chosen = st.multiselect(OPTION_LABELS["min_share"] + ": sources that must pay at least a share of the plan's cost",
                        ids, format_func=lambda i: f"{source_label[i]} ({i})", key=f"opt_shares:{scope}")
shares = {}
with st.container():
    if chosen:
        cols = st.columns(min(len(chosen), 4))
        for k, sid in enumerate(chosen):
            shares[sid] = cols[k % len(cols)].number_input(
                f"{source_label[sid]}: at least (% of the plan's cost)", min_value=0.0, max_value=100.0, value=10.0,
                step=5.0, key=f"opt_share:{scope}:{sid}") / 100.0
options = options_key(objective, burden, max_debt, shares, late, max_pv_debt)
if st.button("Solve", type="primary", key=f"opt_go:{scope}", disabled=not debt_ok):
    st.session_state[f"{SOLVED}:{scope}"] = options
    st.session_state.pop(f"{ADDED}:{name}", None)
solved: OptionsKey | None = st.session_state.get(f"{SOLVED}:{scope}")
if solved is None:
    st.info("Choose the objective and the limits, then press **Solve**.", icon=":material/info:")
    st.stop()
with st.container():
    if solved != options:
        st.caption("The options above changed since the last solve: the results below are those of the options "
                   "solved last. Press **Solve** to see the new ones.")

try:
    with st.spinner("Solving..."):
        best = checked_optimum(entry.text, *solved, basis)
except ScenarioError as exc:
    st.error("No optimal mix for these options:\n\n" + problem_list(in_app_words(exc.problems)))
    st.stop()

currency = str(best["currency"])
waterfall, optimum = str(best["waterfall"]), str(best["optimum"])
words = basis_words(basis, shown, sc.scenario.base_year)
labels = labels_of([sc])

# ----------------------------------------------------------------------------------------- the two mixes
st.subheader("The optimal mix beside the current one")
st.markdown(outcome_words(best["comparison"], waterfall, optimum, currency))
st.dataframe(metrics_table(best["comparison"], waterfall, optimum), hide_index=True, key="opt_metrics",
             height="content", column_config={"Metric": st.column_config.TextColumn(width="medium", pinned=True),
                                              "Unit": st.column_config.TextColumn(width="medium")})
st.caption(f"\"{CURRENT}\" is the scenario as it is, paid by the waterfall; \"{OPTIMAL}\" is the optimum. Change = "
           f"optimal minus current (shares in percentage points, pp). Amounts in {words} (the price basis chosen in "
           "the sidebar); present values are amounts of the first year.")
view = st.radio("Financing by source", [TOTALS, BY_YEAR], horizontal=True, key="opt_view")
financing = best["financing"]
if view == TOTALS:
    totals = mix_totals(financing, waterfall, optimum, [(s.id, s.kind) for s in sc.source], labels)
    st.altair_chart(mix_totals_chart(totals, currency, MIXES), width="stretch", key="opt_chart_totals")
else:
    yearly = mix_by_year(financing, waterfall, optimum, labels)
    colours = {labels.get(i, i): col for i, col in source_colours([*ids, "gap"]).items()}
    st.altair_chart(financing_chart(yearly, currency, colours, list(MIXES)), width="stretch",
                    key="opt_chart_years")

# ----------------------------------------------------------------------------------------- shadow prices
st.subheader("What more of each constraint is worth")
frame = shadow_frame(best["shadow_prices"], labels)
if frame.empty:
    st.info("No constraint binds: one more unit of any would not lower the cost or the gap.",
            icon=":material/info:")
else:
    st.altair_chart(shadow_price_chart(shadow_chart_rows(frame, currency), currency), width="stretch",
                    key="opt_chart_shadow")
    st.caption("Shadow prices: what one more step of a binding constraint (a limit the optimum runs into) would "
               "save of the government's cost in present value, the gap held where it is, and the gap it would "
               "close. Each constraint has its own step (the tooltip and the table say which: USD 1 M more of a "
               "commitment, one more percentage point of the budget, a match ratio 0.1 higher...)."
               + (f" The chart shows the {CHART_ROWS} worth the most." if len(frame) > CHART_ROWS else "")
               + " A negative value: more of it would cost more.")
    st.markdown(readings(frame))
    if len(frame) > CHART_ROWS:
        st.caption(f"... and {len(frame) - CHART_ROWS} more binding constraints, in the table below.")
    with st.expander("The binding constraints as a table"):
        st.dataframe(readings_table(frame, currency), hide_index=True, key="opt_readings",
                     column_config={"Constraint": st.column_config.TextColumn(width="medium"),
                                    "Reading": st.column_config.TextColumn(width="large")})
with st.expander("Every constraint, binding or not (shadow_prices.csv)"):
    st.dataframe(best["shadow_prices"], hide_index=True, key="opt_shadow_all")
st.caption(lp_words(best["lp_size"]))

# ----------------------------------------------------------------------------------------- keep it
st.subheader("Keep the optimal mix")
note = best["reproduction_note"]
st.markdown(reproduction_words(note))
st.button("Add the optimal mix as a new scenario", key=f"opt_add:{scope}", on_click=add_optimum,
          args=(name, best["scenario_text"]))
added = st.session_state.get(f"{ADDED}:{name}")
if added is not None:
    outcome, what = added
    if outcome == "ok":
        st.success(f"Added **{as_text(what)}** to your workspace." + ("" if note is None else
                                                               " Its numbers differ slightly from the optimum's."))
        if st.button(f"Open {what} on the Scenarios page", key=f"opt_open:{scope}"):
            state.select(what)
            st.switch_page(PAGES["scenarios"])
    else:
        st.error(f"The optimal mix was not added:\n\n{what}")

"""Compare: scenarios side by side, a table of summary metrics with deltas, and charts."""

import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.charts import compare_charts
from dfl_finance.app.compute import combined_tables, comparison
from dfl_finance.formatting import format_money, format_value

st.title("Compare scenarios")
st.page_link(PAGES["about"], label="What the metrics mean (method)", icon=":material/menu_book:")

scenarios = state.all_scenarios()
names = list(scenarios)
if len(names) < 1:
    st.info("No scenarios: add some on the Scenarios page.")
    st.stop()
# by default: the options for the country of the scenario chosen on the Scenarios page (else the first one's)
focus = scenarios.get(st.session_state.get("current"), scenarios[names[0]])
default = [n for n in names if scenarios[n].scenario.country == focus.scenario.country] if focus.scenario.country \
    else names[:2]
if "compare_pick" not in st.session_state:
    st.session_state["compare_pick"] = default if len(default) >= 2 else names[:2]
picked = st.multiselect("Scenarios", names, key="compare_pick")
if len(picked) < 2:
    st.info("Pick two or more scenarios to compare.")
    st.stop()
baseline = st.selectbox("Baseline", picked, key="compare_baseline")
currencies = {scenarios[n].scenario.currency for n in picked}
if len(currencies) > 1:
    st.warning(f"The scenarios use different currencies ({', '.join(sorted(currencies))}); amounts are not "
               "comparable.")
cur = scenarios[picked[0]].scenario.currency

texts = [state.toml_text(n) for n in picked]
table = comparison(texts, baseline)
tables = combined_tables(texts)

st.subheader("Summary metrics")
shown = table[["metric", "unit"]].copy()
for col in table.columns[2:]:
    shown[col] = [format_money(v, cur) if u == cur else format_value(v, u) for v, u in zip(table[col], table["unit"])]
st.dataframe(shown, hide_index=True, key="compare_table")
st.caption(f"Amounts in {cur}, constant prices of the start year. `delta_vs_{baseline} (X)` = X minus the baseline. "
           "Shares in percent.")

charts = compare_charts(tables, cur)
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
           "to the last repayment; the dashed line is each scenario's limit.")
st.altair_chart(charts["burden"], width="stretch", key="chart_burden")
st.subheader("Outcomes")
st.altair_chart(charts["outcomes"], width="stretch", key="chart_outcomes")

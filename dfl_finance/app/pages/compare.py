"""Compare: scenarios side by side, a table of summary metrics with deltas, and charts."""

import pandas as pd
import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.charts import compare_charts
from dfl_finance.app.compute import combined_tables, comparison
from dfl_finance.formatting import format_delta, format_metric
from dfl_finance.results import comparability
from dfl_finance.vocabulary import metric_definition

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
reason = comparability([scenarios[n] for n in picked])
if reason:
    st.warning(f"The scenarios are not comparable, {reason.removeprefix('no deltas: ')}: the table shows no "
               "differences, and the charts are in each scenario's own terms.")
cur = scenarios[picked[0]].scenario.currency
ordered = [baseline] + [n for n in picked if n != baseline]  # the baseline first, in the table and the charts

texts = [state.toml_text(n) for n in ordered]
table = comparison(texts, baseline, reason)
tables = combined_tables(texts)

st.subheader("Summary metrics")
rows = []
for metric, group in table.groupby("metric", sort=False):
    d = metric_definition(str(metric))
    cells = {r.scenario: r for r in group.itertuples()}
    row = {"Metric": d.label, "Unit": " / ".join(dict.fromkeys(group["unit"]))}
    for i, n in enumerate(ordered):
        row[f"{i + 1}. {n}"] = format_metric(cells[n].value, d.kind) if n in cells else "n/a"
    for i, n in enumerate(ordered[1:], start=2):
        row[f"{i}. vs baseline"] = format_delta(cells[n].delta, d.kind) if n in cells else ""
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, key="compare_table")
st.caption("1. is the baseline; \"vs baseline\" = that scenario minus the baseline (shares in percentage points). "
           "Amounts in each scenario's currency, constant prices of its start year.")

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

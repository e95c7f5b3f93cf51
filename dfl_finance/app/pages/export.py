"""Export: every table as CSV (one zip), the XLSX workbook, the scenario files and the manifest."""

import io

import pandas as pd
import streamlit as st

from dfl_finance.app import DEFAULT_SCENARIO, state
from dfl_finance.app.basis import basis_label, scenarios_words
from dfl_finance.app.charts import table_currencies
from dfl_finance.app.compute import tables_by_name
from dfl_finance.app.ui import price_basis, show_broken, show_failed
from dfl_finance.export import MANIFEST, manifest, table_files, write_xlsx, zip_files, zip_tables
from dfl_finance.formatting import format_metric
from dfl_finance.results import assumptions_df, comparability, compare_summaries, concat_tables, timing_difference
from dfl_finance.vocabulary import metric_definition
from dfl_finance.workspace import file_name

st.title("Export")
catalogue = state.catalogue()
show_broken(catalogue.broken)
names = list(catalogue.scenarios)
state.keep_known("export_pick", names)
if "export_pick" not in st.session_state:  # the scenarios compared, else the one open on the Scenarios page
    first = [n for n in st.session_state.get(state.COMPARED, []) if n in names]
    current = st.session_state.get("current", DEFAULT_SCENARIO)
    st.session_state["export_pick"] = first or [n for n in (current, DEFAULT_SCENARIO) if n in names][:1]
picked = st.multiselect("Scenarios to export", names, key="export_pick")
basis = price_basis()
computed, failed = tables_by_name({n: catalogue.scenarios[n].text for n in picked}, basis)
show_failed(failed)
picked = [n for n in picked if n in computed]
if not picked:
    st.info("Pick at least one scenario that can be computed.")
    st.stop()

texts = {n: catalogue.scenarios[n].text for n in picked}
tables = concat_tables([computed[n] for n in picked])
if len(picked) > 1:
    chosen = [catalogue.scenarios[n].scenario for n in picked]
    currencies = table_currencies(tables)  # USD in a USD basis, else each scenario's local currency
    reason = comparability(chosen, [currencies.get(n, sc.scenario.currency) for n, sc in zip(picked, chosen)])
    timing = timing_difference(chosen)
    if reason and timing is None:
        st.warning(f"comparison.csv has differences only for amounts in the same currency "
                   f"({reason.removeprefix('no deltas: ')}); the values are all there.")
    elif reason:
        st.warning(f"comparison.csv has no differences ({reason.removeprefix('no deltas: ')}); the values are there.")
    tables = {"comparison": compare_summaries([computed[n]["summary"] for n in picked], None, timing), **tables}
meta = {**manifest(picked, input_texts=texts), "price_basis": basis}
st.markdown(f"Every table is written in the price basis chosen in the sidebar, {basis_label(basis)} (`{basis}`): "
            f"{scenarios_words(basis, (catalogue.scenarios[n].scenario for n in picked))} (the `price_basis` and "
            "`currency` columns of each amount table say so; the summary also gives the headline amounts in the "
            "other bases).")
files = table_files(tables, meta)  # the CSVs and the manifest that lists them with their sha256


def workbook() -> bytes:
    buf = io.BytesIO()
    write_xlsx({**tables, "assumptions": assumptions_df([catalogue.scenarios[n].scenario for n in picked])}, buf)
    return buf.getvalue()


def toml_zip() -> bytes:
    return zip_files({file_name(n): t.encode("utf-8") for n, t in texts.items()})


st.download_button("All tables as CSV (zip)", data=zip_tables(tables, files=files), file_name="dfl-finance-tables.zip",
                   mime="application/zip", key="download_csv_zip", type="primary", on_click="ignore")
st.download_button("Workbook (XLSX): a sheet per table and the assumptions", data=workbook(),
                   file_name="dfl-finance.xlsx", key="download_xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.download_button("Scenario files (TOML, zip)", data=toml_zip(), file_name="dfl-finance-scenarios.zip",
                   mime="application/zip", key="download_toml_zip", on_click="ignore")
st.download_button("Manifest (JSON)", data=files[MANIFEST], file_name="manifest.json",
                   mime="application/json", key="download_manifest", on_click="ignore")
st.caption("Tables follow the output contract: one row per observation, `scenario` first, metric keys such as "
           "`total_cost`, amounts in the price basis above. Text that a spreadsheet would run as a formula starts "
           "with `'`. The summary, as it reads:")
summary = tables["summary"]
st.dataframe(pd.DataFrame({
    "Scenario": summary["scenario"],
    "Metric": [metric_definition(m).label for m in summary["metric"]],
    "Value": [format_metric(v, metric_definition(m).kind) for m, v in zip(summary["metric"], summary["value"])],
    "Unit": summary["unit"],
}), hide_index=True, height="content",
    column_config={"Scenario": st.column_config.TextColumn(width="medium"),
                   "Metric": st.column_config.TextColumn(width="large"),
                   "Unit": st.column_config.TextColumn(width="medium")})

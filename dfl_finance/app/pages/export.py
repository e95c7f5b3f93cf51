"""Export: every table as CSV (one zip), the XLSX workbook, the scenario files and the manifest."""

import io
import json
import zipfile

import streamlit as st

from dfl_finance.app import state
from dfl_finance.app.compute import combined_tables, comparison
from dfl_finance.export import manifest, write_xlsx, zip_tables
from dfl_finance.results import assumptions_df

st.title("Export")
scenarios = state.all_scenarios()
names = list(scenarios)
picked = st.multiselect("Scenarios to export", names, default=st.session_state.get("compare_pick") or names,
                        key="export_pick")
if not picked:
    st.info("Pick at least one scenario.")
    st.stop()

texts = [state.toml_text(n) for n in picked]
tables = combined_tables(texts)
if len(picked) > 1:
    tables = {"comparison": comparison(texts, None), **tables}
meta = manifest(picked, input_texts=dict(zip(picked, texts)), outputs=[f"{k}.csv" for k in tables])


def workbook() -> bytes:
    buf = io.BytesIO()
    write_xlsx({**tables, "assumptions": assumptions_df([scenarios[n] for n in picked])}, buf)
    return buf.getvalue()


def toml_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, t in zip(picked, texts):
            zf.writestr(f"{state.slug(n)}.toml", t)
    return buf.getvalue()


st.download_button("All tables as CSV (zip)", data=zip_tables(tables, meta), file_name="dfl-finance-tables.zip",
                   mime="application/zip", key="download_csv_zip", type="primary", on_click="ignore")
st.download_button("Workbook (XLSX): a sheet per table and the assumptions", data=workbook(),
                   file_name="dfl-finance.xlsx", key="download_xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.download_button("Scenario files (TOML, zip)", data=toml_zip(), file_name="dfl-finance-scenarios.zip",
                   mime="application/zip", key="download_toml_zip", on_click="ignore")
st.download_button("Manifest (JSON)", data=json.dumps(meta, indent=2), file_name="manifest.json",
                   mime="application/json", key="download_manifest", on_click="ignore")
st.caption("Tables follow the output contract: one row per observation, `scenario` first, amounts in the "
           "scenario's currency (constant prices of the start year). Text that a spreadsheet would run as a "
           "formula starts with `'`.")
st.dataframe(tables["summary"], hide_index=True)

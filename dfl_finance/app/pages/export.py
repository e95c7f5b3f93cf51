"""Export: every table as CSV (one zip), the XLSX workbook, the scenario files and the manifest; with them the risk,
sensitivity and stress tables that the Risk page computed in this session, or (on request) of every scenario
picked, as the command line writes them."""

import io

import pandas as pd
import streamlit as st

from dfl_finance.app import state, workspace_dir
from dfl_finance.app.basis import basis_label, scenarios_words
from dfl_finance.app.charts import table_currencies
from dfl_finance.app.compute import (
    checked_budget,
    checked_incremental,
    checked_risk_tables,
    checked_sobol,
    checked_stresses,
    checked_tornado,
    fiscal_year_tables,
    tables_by_name,
)
from dfl_finance.app.risk_export import (
    RISK_TABLES,
    SENSITIVITY_TABLES,
    STRESS_TABLES,
    ExtraTables,
    files_words,
    plan,
    settings_words,
    written_as,
)
from dfl_finance.app.sensitivity import APP_SOBOL_N, metric_label
from dfl_finance.app.ui import price_basis, show_broken, show_failed, years_choice
from dfl_finance.app.uncertainty import has_draws
from dfl_finance.app.workspace import Catalogue, file_name
from dfl_finance.errors import ScenarioError
from dfl_finance.inputs.io import bundle
from dfl_finance.inputs.rules import comparability
from dfl_finance.outputs.budget import plan_fiscal_years
from dfl_finance.outputs.export import (
    MANIFEST,
    csv_text,
    exchange_rates,
    manifest,
    table_files,
    write_xlsx,
    zip_files,
    zip_tables,
)
from dfl_finance.outputs.formatting import format_metric
from dfl_finance.outputs.result import (
    assumptions_df,
    compare_summaries,
    concat_tables,
    ranking_df,
    timing_difference,
)
from dfl_finance.vocabulary import metric_definition

#: The kinds of result the Risk page computes, as :func:`state.remember` names them.
KINDS = ("risk", "tornado", "sobol", "stress")
#: What each column of the table of risk tables says.
RISK_HELP = (f"{files_words(RISK_TABLES)}: the draws, seed and sampling method of the risk run, and where they come "
             "from (the run last shown on the Risk page, or the file's [risk] table)")
SENSITIVITY_HELP = f"{files_words(SENSITIVITY_TABLES)}: the metrics of each, and the Sobol base sample size N"
STRESS_HELP = f"{files_words(STRESS_TABLES)}: how many of the stress tests apply"
#: What a failure leaves out, in words.
FAILED = {"risk": "has no risk tables: its risk run failed",
          "sensitivity": "has no sensitivity tables: they could not be computed",
          "stress": "has no stress tables: its stress tests could not be run"}


def sensitivity_words(tornado: list[str], sobol: list[str]) -> str:
    """``tornado and Sobol (N = 256): Funding gap`` (or each with its own metrics)."""
    def labels(metrics: list[str]) -> str:
        return ", ".join(metric_label(m) for m in metrics)

    if tornado == sobol:
        return f"tornado and Sobol (N = {APP_SOBOL_N}): {labels(tornado)}"
    return "; ".join([*([f"tornado: {labels(tornado)}"] if tornado else []),
                      *([f"Sobol (N = {APP_SOBOL_N}): {labels(sobol)}"] if sobol else [])])


def risk_tables(picked: list[str], catalogue: Catalogue, basis: str, include: bool
                ) -> tuple[ExtraTables, list[dict[str, str]]]:
    """The risk, sensitivity and stress tables of the scenarios ``picked``, in ``basis``: those this session
    computed on the Risk page, and with ``include`` the others (computed here, with the commands' defaults); each
    failure is shown and left out. Also a row per scenario saying what is written and with which settings."""
    extra = ExtraTables()
    rows = []
    failed: dict[str, dict[str, ScenarioError]] = {kind: {} for kind in FAILED}
    for n in picked:
        entry = catalogue.scenarios[n]
        sc, text = entry.scenario, entry.text
        todo = plan(sc, {k: state.remembered(k, n, text) for k in KINDS}, include)
        row = {"Scenario": n, "Risk": "not computed", "Sensitivity": "not computed", "Stress tests": "not computed"}
        if todo.risk is not None:
            s = todo.risk
            try:
                with st.spinner(f"Running {n} over {int(s['draws']):,} draws..."):
                    done = checked_risk_tables(text, int(s["draws"]), int(s["seed"]), str(s["method"]), basis)
            except ScenarioError as exc:
                failed["risk"][n] = exc
                row["Risk"] = "failed (see above)"
            else:
                extra.add_risk(sc, s, done)
                row["Risk"] = f"{settings_words(s, short=True)} ({todo.risk_from})"
        elif not has_draws(sc):
            row["Risk"] = "no uncertain inputs"
        if todo.tornado or todo.sobol:
            try:
                with st.spinner(f"Computing the sensitivity of {n}..."):
                    tornado = {m: checked_tornado(text, m, basis)["table"] for m in todo.tornado}
                    sobol = {m: checked_sobol(text, m, APP_SOBOL_N, basis) for m in todo.sobol}
            except ScenarioError as exc:
                failed["sensitivity"][n] = exc
                row["Sensitivity"] = "failed (see above)"
            else:
                extra.add_sensitivity(sc, tornado, sobol, APP_SOBOL_N)
                row["Sensitivity"] = sensitivity_words(list(tornado), list(sobol))
        elif not sc.uncertain:
            row["Sensitivity"] = "no uncertain inputs" if not has_draws(sc) else "needs [[uncertain]] rows"
        if todo.stress:
            try:
                with st.spinner(f"Running {n} under its stress tests..."):
                    stressed = checked_stresses(text, basis)
            except ScenarioError as exc:
                failed["stress"][n] = exc
                row["Stress tests"] = "failed (see above)"
            else:
                extra.add_stress(sc, stressed)
                notes = stressed["notes"]
                applied = sum(bool(note["applied"]) for note in notes)
                row["Stress tests"] = f"{applied} of {len(notes)} applied"
        rows.append(row)
    for kind, errors in failed.items():
        show_failed(errors, FAILED[kind])
    return extra, rows


st.title("Export")
catalogue = state.catalogue()
show_broken(catalogue.broken)
names = list(catalogue.scenarios)
state.keep_known("export_pick", names)
if "export_pick" not in st.session_state:  # the scenarios compared, else the one open on the Scenarios page
    first = [n for n in st.session_state.get(state.COMPARED, []) if n in names]
    st.session_state["export_pick"] = first or [n for n in (state.picked(names),) if n is not None]
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
# incremental.csv, as `dfl-finance run` writes it, for the scenarios that name a baseline
incremental, failed_incremental = [], {}
for n in picked:
    try:
        frame = checked_incremental(texts[n], catalogue.scenarios[n].scenario, basis)
    except ScenarioError as exc:
        failed_incremental[n] = exc
        continue
    if frame is not None:
        incremental.append(frame)
show_failed(failed_incremental, "has no incremental.csv: its baseline could not be run")
if incremental:
    tables["incremental"] = pd.concat(incremental, ignore_index=True)
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
    summaries = [computed[n]["summary"] for n in picked]
    tables = {"comparison": compare_summaries(summaries, None, timing), "ranking": ranking_df(summaries, timing),
              **tables}
months = {n: catalogue.scenarios[n].scenario.scenario.fiscal_year_start for n in picked}
years = years_choice("Years of the yearly tables", "export_years", months,
                     ("Calendar years (year)", "Fiscal years (fiscal_year, e.g. 2026/27)"),
                     "; the totals are the same (docs/method.md, Fiscal years). As `dfl-finance run --years fiscal`.")
if years == "fiscal":
    tables = fiscal_year_tables(tables, list(texts.values()), basis)
st.markdown(f"Every table is written in the price basis chosen in the sidebar, {basis_label(basis)} (`{basis}`): "
            f"{scenarios_words(basis, (catalogue.scenarios[n].scenario for n in picked))} (the `price_basis` and "
            "`currency` columns of each amount table say so; the summary also gives the headline amounts in the "
            "other bases).")

st.subheader("Risk, sensitivity and stress tables")
include = st.checkbox(
    "Include the risk, sensitivity and stress tables of every scenario picked", key="export_risk",
    help="Computes what the Risk page has not computed in this session, with the defaults of the command line: "
         "each scenario's `[risk]` draws, seed and method (`dfl-finance risk`), the tornado and the Sobol indices "
         f"of the funding gap (`dfl-finance sensitivity --n {APP_SOBOL_N}`), the stress tests (`dfl-finance "
         "stress`). This takes a few seconds per scenario the first time.")
extra, overview = risk_tables(picked, catalogue, basis, include)
tables = {**tables, **extra.tables()}
cfg = st.column_config
st.dataframe(pd.DataFrame(overview), hide_index=True, key="export_risk_table", height="content",
             column_config={"Scenario": cfg.TextColumn(width=270, pinned=True),
                            "Risk": cfg.TextColumn("Risk (quantiles)", width=230, help=RISK_HELP),
                            "Sensitivity": cfg.TextColumn("Sensitivity (tornado, sobol)", width=250,
                                                          help=SENSITIVITY_HELP),
                            "Stress tests": cfg.TextColumn("Stress tests", width=130, help=STRESS_HELP)})
st.caption(f"Written beside the other tables, as the command line writes them: {written_as(RISK_TABLES)}, "
           f"{written_as(SENSITIVITY_TABLES)}, {written_as(STRESS_TABLES)}, with their settings in the manifest. "
           "What you computed on the Risk page in this session is included as computed there; tick the box for the "
           "rest.")

meta = {**manifest(picked, input_texts=texts), "price_basis": basis,
        "exchange_rates": exchange_rates([catalogue.scenarios[n].scenario for n in picked]), **extra.manifest()}
files = table_files(tables, meta)  # the CSVs and the manifest that lists them with their sha256


def workbook() -> bytes:
    buf = io.BytesIO()
    write_xlsx({**tables, "assumptions": assumptions_df([catalogue.scenarios[n].scenario for n in picked])}, buf)
    return buf.getvalue()


def toml_zip() -> bytes | None:
    """The scenario files, with every file they name (a baseline, a school table) under files/, so the folder they
    are unpacked into runs as it is (`dfl-finance run *.toml`)."""
    try:
        return zip_files(bundle({file_name(n): t for n, t in texts.items()}, workspace_dir()))
    except ScenarioError as exc:
        st.error(f"The scenario files cannot be zipped: {exc}")
        return None


st.download_button("All tables as CSV (zip)", data=zip_tables(tables, files=files), file_name="dfl-finance-tables.zip",
                   mime="application/zip", key="download_csv_zip", type="primary", on_click="ignore")
st.download_button("Workbook (XLSX): a sheet per table and the assumptions", data=workbook(),
                   file_name="dfl-finance.xlsx", key="download_xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
scenario_zip = toml_zip()
if scenario_zip is not None:
    st.download_button("Scenario files (TOML, zip)", data=scenario_zip, file_name="dfl-finance-scenarios.zip",
                       mime="application/zip", key="download_toml_zip", on_click="ignore",
                       help="The scenarios picked, with the files they name (a baseline scenario, a school table) "
                            "under files/: unpacked anywhere, `dfl-finance run *.toml` runs them.")
st.download_button("Manifest (JSON)", data=files[MANIFEST], file_name="manifest.json",
                   mime="application/json", key="download_manifest", on_click="ignore")
st.caption("Tables follow the output contract: one row per observation, `scenario` first, metric keys such as "
           "`total_cost`, amounts in the price basis above. Text that a spreadsheet would run as a formula starts "
           "with `'`.")
summary = tables["summary"]
with st.expander(f"The summary, as it reads ({len(summary):,} rows)", expanded=False):
    st.dataframe(pd.DataFrame({
        "Scenario": summary["scenario"],
        "Metric": [metric_definition(m).label for m in summary["metric"]],
        "Value": [format_metric(v, metric_definition(m).kind) for m, v in zip(summary["metric"], summary["value"])],
        "Unit": summary["unit"],
    }), hide_index=True, height="content",
        column_config={"Scenario": st.column_config.TextColumn(width="medium"),
                       "Metric": st.column_config.TextColumn(width="large"),
                       "Unit": st.column_config.TextColumn(width="medium")})

st.subheader("Budget submission (MTEF)")
if st.session_state.get("export_budget_pick") not in picked:  # a scenario no longer picked: the first one
    st.session_state.pop("export_budget_pick", None)
budget_name = st.selectbox("Scenario of the budget submission", picked, key="export_budget_pick",
                           help="`dfl-finance budget FILE --out DIR` writes the same mtef.csv and budget.xlsx")
budget_years = plan_fiscal_years(catalogue.scenarios[budget_name].scenario)
if st.session_state.get("export_budget_first") not in budget_years:  # another scenario's years: its first
    st.session_state.pop("export_budget_first", None)
budget_first = st.selectbox("First fiscal year of the MTEF", list(budget_years), key="export_budget_first",
                            help="The budget year; the MTEF holds it and the two fiscal years after it "
                                 "(`dfl-finance budget --first-year`)")
try:
    mtef, mtef_totals, budget_xlsx = checked_budget(texts[budget_name], basis, budget_years[budget_first])
except ScenarioError as exc:
    show_failed({budget_name: exc}, "has no MTEF table")
else:
    budget_sc = catalogue.scenarios[budget_name].scenario
    month = budget_sc.scenario.fiscal_year_start
    st.markdown(f"The plan's on-budget cost in three fiscal years (fiscal years start in month {month}; "
                "a calendar year's cost is spread evenly over its months), by programme, against the scenario's "
                f"`[[mtef]]` ceilings ({len(budget_sc.mtef)} given): *over ceiling* is what does not fit (0 when it "
                f"fits). Amounts in {basis_label(basis)} (`{basis}`)"
                + ("." if basis == "nominal-lcu" else "; a budget submission is written in current prices of the "
                   "local currency, as `dfl-finance budget` writes it by default: choose that price basis in the "
                   "sidebar."))
    st.dataframe(mtef_totals, hide_index=True, key="export_mtef_table", height="content",
                 column_config={c: st.column_config.NumberColumn(format="localized")
                                for c in mtef_totals.columns if c not in ("budget_code", "programme",
                                                                          "economic_class")})
    with st.expander(f"mtef.csv, row by row ({len(mtef):,} rows)", expanded=False):
        st.dataframe(mtef, hide_index=True, height="content")
    st.download_button("Budget workbook (XLSX)", data=budget_xlsx, file_name="budget.xlsx",
                       key="download_budget_xlsx", on_click="ignore",
                       help="The MTEF by programme, economic class and fiscal year with its totals, ceilings and "
                            "what is over them; the recurrent/development and domestic/external split; the codes "
                            "of every cost line and source",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.download_button("MTEF table (CSV)", data=csv_text(mtef).encode("utf-8"), file_name="mtef.csv",
                       mime="text/csv", key="download_mtef_csv", on_click="ignore")

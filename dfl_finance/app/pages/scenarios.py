"""Scenarios: choose, add (upload or templates), edit and download scenarios."""

import hashlib

import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.compute import tables_for
from dfl_finance.app.editing import apply_values, new_from_templates, scenario_from_tables, tables_of
from dfl_finance.app.ui import (
    FieldForm,
    column_config,
    has_problems,
    set_problems,
    show_problem_summary,
    submitted_values,
)
from dfl_finance.docs import field_help
from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.formatting import format_metric
from dfl_finance.profiles import country_profiles, loan_terms, templates
from dfl_finance.schema import parse_scenario
from dfl_finance.vocabulary import metric_definition


def apply_key_form(name: str, prefix: str, scope: str) -> None:
    """Submit callback of the key-assumptions form: runs before the page is drawn, so one run shows the result."""
    sc = state.all_scenarios()[name]
    values = submitted_values(prefix)
    new_name = values.get("scenario.name")
    try:
        if new_name != name and new_name in state.all_scenarios():
            raise ScenarioError([Problem("scenario.name", "another scenario already has this name", new_name)])
        new = apply_values(sc, values)
    except ScenarioError as exc:
        set_problems(scope, exc.problems)
        return
    set_problems(scope, [])
    if new == sc:
        st.session_state["dfl_notice"] = "Nothing changed."
        return
    state.put(new, replaces=name)
    st.session_state["dfl_next_current"] = new.name


def apply_toml(name: str, key: str, scope: str) -> None:
    """Submit callback of the TOML editor."""
    try:
        new = parse_scenario(st.session_state.get(key, ""), file="edited TOML")
    except ScenarioError as exc:
        set_problems(scope, exc.problems)
        return
    set_problems(scope, [])
    state.put(new, replaces=name)
    st.session_state["dfl_next_current"] = new.name


st.title("Scenarios")
st.caption("Pick a scenario, change the assumptions that matter, and see the headline numbers move. Every accepted "
           "edit is saved to your workspace, so a reload keeps it.")
st.page_link(PAGES["about"], label="How the model works: conventions and sources", icon=":material/menu_book:")

for note in state.load_notes():
    st.warning(note)

# ----------------------------------------------------------------------------------------- add scenarios
with st.expander("Add a scenario: upload a TOML file or start from templates", icon=":material/add:"):
    uploaded = st.file_uploader("Upload a scenario file (TOML)", type=["toml"], key="upload")
    if uploaded is not None:
        data = uploaded.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        done = st.session_state.setdefault("dfl_uploads", {})
        if digest not in done:
            try:
                sc = parse_scenario(data.decode("utf-8"), file=uploaded.name)
                name = state.unique_name(sc.name)
                if name != sc.name:
                    sc = sc.model_copy(update={"scenario": sc.scenario.model_copy(update={"name": name})})
                state.put(sc)
                st.session_state["current"] = sc.name
                done[digest] = f"added {sc.name!r} from {uploaded.name}"
            except UnicodeDecodeError:
                done[digest] = None
                st.session_state["dfl_upload_error"] = f"{uploaded.name}: not UTF-8 text"
            except ScenarioError as exc:
                done[digest] = None
                st.session_state["dfl_upload_error"] = str(exc)
            else:
                st.session_state.pop("dfl_upload_error", None)
        if done.get(digest):
            st.success(done[digest])
    if st.session_state.get("dfl_upload_error"):
        st.error(f"The file was not added:\n\n```\n{st.session_state['dfl_upload_error']}\n```")

    with st.form("new_from_templates"):
        st.markdown("**Start from templates** (programmes from `data/templates.toml`, paid by the education budget)")
        profiles = country_profiles()
        c1, c2, c3 = st.columns(3)
        new_name = c1.text_input("Name", value="New scenario", key="new_name")
        country = c2.selectbox("Country profile", sorted(profiles), key="new_country",
                               format_func=lambda c: f"{c} ({profiles[c].name})")
        start = c3.number_input("Start year", value=2026, step=1, key="new_start")
        chosen = st.multiselect("Programmes", list(templates()), key="new_templates",
                                default=["connectivity-satellite", "emis", "teacher-data-skills", "data-governance"])
        if st.form_submit_button("Create scenario"):
            try:
                sc = new_from_templates(state.unique_name(new_name), country, int(start), 10, chosen)
                state.put(sc)
                st.session_state["current"] = sc.name
                st.rerun()
            except DflFinanceError as exc:
                st.error(str(exc))

# ----------------------------------------------------------------------------------------- choose
scenarios = state.all_scenarios()
if not scenarios:
    st.info("No scenarios yet: upload one or start from templates above.")
    st.stop()
names = list(scenarios)
if "dfl_next_current" in st.session_state:  # set by an edit below, applied before the selectbox exists
    st.session_state["current"] = st.session_state.pop("dfl_next_current")
if st.session_state.get("current") not in names:
    st.session_state["current"] = names[0]
name = st.selectbox("Scenario", names, key="current")
sc = scenarios[name]
where = ("bundled scenario, unchanged" if state.origin(name) == "bundled"
         else f"saved in your workspace: {state.workspace_dir() / (state.slug(name) + '.toml')}")
st.caption(f"{sc.scenario.description}  \n*{where}*" if sc.scenario.description else f"*{where}*")
scope = f"{state.slug(name)}"
prefix = f"{scope}:{state.version(name)}"

summary = tables_for(state.toml_text(name))["summary"].set_index("metric")
cur = sc.scenario.currency
cols = st.columns(5)
for col, metric in zip(cols, ["total_cost", "total_gap", "total_external", "peak_burden_share",
                              "years_to_last_payment"]):
    d = metric_definition(metric)
    value = summary["value"].get(metric)
    col.metric(f"{d.label} [{cur}]" if d.kind == "money" else d.label, format_metric(value, d.kind),
               help=f"{d.description} [{d.unit_for(cur)}]")

# one view at a time (tabs would draw all three on every run)
VIEWS = ["Key assumptions", "Programmes and sources (tables)", "TOML file"]
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="scenario_view", label_visibility="collapsed") \
    or VIEWS[0]

# ----------------------------------------------------------------------------------------- key assumptions
if view == VIEWS[0]:
    form = FieldForm(scope, prefix)
    with st.form(f"key:{prefix}"):
        st.subheader("Scenario and context")
        c = st.columns(4)
        with c[0]:
            form.text("Name", "scenario.name", sc.scenario.name, "[scenario]", "name")
        with c[1]:
            form.number("Start year", "scenario.start_year", sc.scenario.start_year, "[scenario]", "start_year",
                        integer=True)
        with c[2]:
            form.number("Years", "scenario.years", sc.scenario.years, "[scenario]", "years", integer=True)
        with c[3]:
            form.number("Discount rate [1/yr]", "scenario.discount_rate", sc.scenario.discount_rate, "[scenario]",
                        "discount_rate")
        ctx = sc.context
        c = st.columns(3)
        for i, (field, label) in enumerate([("schools", "Schools"), ("learners", "Learners"),
                                            ("teachers", "Teachers")]):
            with c[i]:
                form.number(label, f"context.{field}", getattr(ctx, field), "[context]", field, integer=True)
        c = st.columns(3)
        with c[0]:
            form.number(f"Education budget [{cur}/yr]", "context.education_budget", ctx.education_budget,
                        "[context]", "education_budget", fmt="%.0f")
        with c[1]:
            form.number("Budget growth [1/yr]", "context.budget_growth", ctx.budget_growth, "[context]",
                        "budget_growth", optional=True)
        with c[2]:
            form.number("Burden limit [share of budget]", "context.burden_limit", ctx.burden_limit, "[context]",
                        "burden_limit")
        if sc.scenario.country in country_profiles():
            prof = country_profiles()[sc.scenario.country]
            flagged = [f for f, v in prof.values.items() if v.placeholder and getattr(ctx, f, None) == (
                int(v.value) if f in ("schools", "learners", "teachers") else v.value)]
            if flagged:
                st.caption(f"Placeholder values from the {prof.name} profile (no public source yet): "
                           + ", ".join(flagged) + ".")

        st.subheader("Programmes")
        for i, p in enumerate(sc.programme):
            base = f"programme[{i}]"
            with st.expander(f"{p.label}  ({p.pillar}, driver: {p.driver})", expanded=has_problems(scope, base)):
                if p.driver != "none":
                    c = st.columns(4)
                    with c[0]:
                        form.number("Start share", f"{base}.start_share", p.start_share, "[[programme]]",
                                    "start_share")
                    with c[1]:
                        form.number("Target share", f"{base}.target_share", p.target_share, "[[programme]]",
                                    "target_share")
                    with c[2]:
                        form.number("Target year", f"{base}.target_year", p.target_year,
                                    "[[programme]]", "target_year", integer=True, optional=True)
                    with c[3]:
                        form.select("Rollout", f"{base}.rollout", p.rollout,
                                    ["linear", "s-curve", "front-loaded", "immediate"], "[[programme]]", "rollout")
                for j, line in enumerate(p.cost):
                    lp = f"{base}.cost[{j}]"
                    flag = " (PLACEHOLDER)" if "PLACEHOLDER" in line.source_note else ""
                    st.markdown(f"**{line.item}** — {line.kind}{flag}")
                    c = st.columns(3)
                    with c[0]:
                        form.number(f"Unit cost [{cur}]", f"{lp}.unit_cost", line.unit_cost, "[[programme.cost]]",
                                    "unit_cost", fmt="%.2f")
                    with c[1]:
                        form.number("Price trend [1/yr]", f"{lp}.price_trend", line.price_trend,
                                    "[[programme.cost]]", "price_trend")
                    if line.kind == "capex":
                        with c[2]:
                            form.number("Lifetime [years]", f"{lp}.lifetime", line.lifetime, "[[programme.cost]]",
                                        "lifetime", integer=True, optional=True)
                    if line.source_note:
                        st.caption(f"Source: {line.source_note}")

        st.subheader("Funding sources")
        if not sc.source:
            st.caption("No sources: the whole cost is a funding gap. Add sources in the tables tab.")
        sheets = [""] + list(loan_terms())
        for i, s in enumerate(sc.source):
            base = f"source[{i}]"
            with st.expander(f"{s.label}  ({s.kind})", expanded=has_problems(scope, base)):
                c = st.columns(4)
                with c[0]:
                    form.number("Share cap", f"{base}.share_cap", s.share_cap, "[[source]]", "share_cap")
                with c[1]:
                    form.number(f"Annual cap [{cur}/yr]", f"{base}.annual_cap", s.annual_cap, "[[source]]",
                                "annual_cap", fmt="%.0f", optional=True)
                with c[2]:
                    form.number(f"Commitment [{cur}]", f"{base}.commitment", s.commitment, "[[source]]",
                                "commitment", fmt="%.0f", optional=True)
                with c[3]:
                    form.number("Priority", f"{base}.priority", s.priority, "[[source]]", "priority", integer=True,
                                optional=True)
                c = st.columns(4)
                with c[0]:
                    form.number("First year", f"{base}.first_year", s.first_year, "[[source]]", "first_year",
                                integer=True, optional=True)
                with c[1]:
                    form.number("Last year", f"{base}.last_year", s.last_year, "[[source]]", "last_year",
                                integer=True, optional=True)
                if s.kind == "loan":
                    c = st.columns(4)
                    with c[0]:
                        form.select("Term sheet", f"{base}.terms", s.terms or "", sheets, "[[source]]", "terms")
                    with c[1]:
                        form.number("Rate [1/yr]", f"{base}.rate", s.rate, "[[source]]", "rate")
                    with c[2]:
                        form.number("Grace [years]", f"{base}.grace_years", s.grace_years, "[[source]]",
                                    "grace_years", integer=True)
                    with c[3]:
                        form.number("Maturity [years]", f"{base}.maturity_years", s.maturity_years, "[[source]]",
                                    "maturity_years", integer=True)
                    st.caption("Choosing another term sheet replaces rate, grace, maturity and repayment with the "
                               "sheet's.")
                elif s.kind == "ppp":
                    c = st.columns(4)
                    with c[0]:
                        form.number("Contract [years]", f"{base}.contract_years", s.contract_years, "[[source]]",
                                    "contract_years", integer=True)
                    with c[1]:
                        form.number("Return rate [1/yr]", f"{base}.return_rate", s.return_rate, "[[source]]",
                                    "return_rate")
                elif s.kind == "domestic":
                    with c[2]:
                        form.number("Budget share cap", f"{base}.budget_share_cap", s.budget_share_cap,
                                    "[[source]]", "budget_share_cap", optional=True)
                elif s.match is not None:
                    with c[2]:
                        form.number("Match ratio", f"{base}.match.ratio", s.match.ratio, "[source.match]", "ratio")
        form.remember()
        st.form_submit_button("Apply changes", type="primary", key=f"apply:{prefix}", on_click=apply_key_form,
                              args=(name, prefix, scope))
    if st.session_state.get("dfl_notice"):
        st.info(st.session_state.pop("dfl_notice"))
    show_problem_summary(scope)

# ----------------------------------------------------------------------------------------- tables
if view == VIEWS[1]:
    progs, lines, sources = tables_of(sc)
    cfg = st.column_config
    with st.form(f"tables:{prefix}"):
        st.markdown("Add, remove or change programmes, cost lines and sources. Lists are comma-separated text "
                    "(`eligible`: `emis, connectivity:capex`; a loan `schedule`: `7-31:0.04`).")
        def choice(options):
            return lambda help: cfg.SelectboxColumn(options=options, help=help)

        def num(fmt, label=None):
            return lambda help: cfg.NumberColumn(label, format=fmt, help=help)

        progs_e = st.data_editor(progs, num_rows="dynamic", key=f"tp:{prefix}", hide_index=True,
                                 column_config=column_config("[[programme]]", progs.columns, {
                                     "pillar": choice(["infrastructure", "capacities", "governance"]),
                                     "driver": choice(["schools", "learners", "teachers", "none"]),
                                     "rollout": choice(["linear", "s-curve", "front-loaded", "immediate"]),
                                     "template": choice(list(templates())),
                                     "start_share": num("%.3f"), "target_share": num("%.3f"),
                                     "target_year": num("%d")}))
        lines_e = st.data_editor(lines, num_rows="dynamic", key=f"tl:{prefix}", hide_index=True,
                                 column_config=column_config("[[programme.cost]]", lines.columns, {
                                     "kind": choice(["capex", "opex", "fixed_capex", "fixed_opex"]),
                                     "unit_cost": num("%.2f", f"unit_cost [{cur}]"), "lifetime": num("%d"),
                                     "replace_existing": lambda help: cfg.CheckboxColumn(help=help),
                                     "price_trend": num("%.3f")}))
        sources_e = st.data_editor(sources, num_rows="dynamic", key=f"ts:{prefix}", hide_index=True,
                                   column_config=column_config("[[source]]", sources.columns, {
                                       "kind": choice(["domestic", "grant", "loan", "ppp"]),
                                       "terms": choice(list(loan_terms())),
                                       "repayment": choice(["linear", "annuity", "schedule"]),
                                       "annual_cap": num("%.0f", f"annual_cap [{cur}/yr]"),
                                       "commitment": num("%.0f", f"commitment [{cur}]"),
                                       "match_sources": lambda help: cfg.TextColumn(
                                           help=field_help("[source.match]", "sources")),
                                       "match_ratio": lambda help: cfg.NumberColumn(
                                           help=field_help("[source.match]", "ratio"))}))
        if st.form_submit_button("Apply table edits", type="primary", key=f"apply_tables:{prefix}"):
            try:
                new = scenario_from_tables(sc, progs_e, lines_e, sources_e)
            except ScenarioError as exc:
                set_problems(f"{scope}:tables", exc.problems)
            else:
                set_problems(f"{scope}:tables", [])
                state.put(new, replaces=name)
                st.rerun()
    show_problem_summary(f"{scope}:tables")

# ----------------------------------------------------------------------------------------- TOML
if view == VIEWS[2]:
    text = state.toml_text(name)
    st.download_button("Download this scenario (TOML)", data=text.encode("utf-8"),
                       file_name=f"{state.slug(name)}.toml", mime="application/toml", key="download_toml",
                       on_click="ignore")
    st.text_area("TOML (edit and apply)", value=text, height=420, key=f"toml:{prefix}")
    c = st.columns(3)
    c[0].button("Apply TOML", key=f"apply_toml:{prefix}", on_click=apply_toml,
                args=(name, f"toml:{prefix}", f"{scope}:toml"))
    show_problem_summary(f"{scope}:toml")
    if state.origin(name) == "workspace" and c[1].button("Reset to the bundled version", key=f"reset:{prefix}"):
        if state.reset_to_bundled(name):
            st.rerun()
        else:
            st.info("This scenario has no bundled version.")
    if c[2].button("Delete from the workspace", key=f"delete:{prefix}"):
        state.remove(name)
        st.session_state["dfl_next_current"] = None
        st.rerun()

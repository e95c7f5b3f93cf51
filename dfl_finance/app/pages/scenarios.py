"""Scenarios: choose, add (upload or templates), edit and download scenarios."""

import math

import streamlit as st

from dfl_finance.app import PAGES, state, workspace_dir
from dfl_finance.app.basis import basis_currency, basis_words
from dfl_finance.app.compute import checked_summary
from dfl_finance.app.conflicts import show_conflict
from dfl_finance.app.editing import (
    NUMBERS,
    apply_values,
    edited_frame,
    field_label,
    new_from_templates,
    number_text,
    parse_number,
    scenario_from_tables,
    tables_of,
    where,
)
from dfl_finance.app.options import instrument_options
from dfl_finance.app.ui import (
    FieldForm,
    as_text,
    column_config,
    has_problems,
    price_basis,
    problem_list,
    set_problems,
    show_broken,
    show_problem_summary,
    submitted_values,
    without_server_paths,
)
from dfl_finance.app.workspace import Entry, file_name, unique_name
from dfl_finance.errors import DflFinanceError, ScenarioError
from dfl_finance.inputs.country_scenario import DEFAULT_PLAN, country_scenario, plan_name
from dfl_finance.inputs.docs import field_help
from dfl_finance.inputs.io import absolute_text, dump_scenario
from dfl_finance.inputs.paths import format_location
from dfl_finance.inputs.profiles import country_profiles, loan_terms, templates
from dfl_finance.inputs.references import fx_assumption, fx_words, placeholder_fields
from dfl_finance.inputs.rules import scenario_warnings
from dfl_finance.model.samples import point_values
from dfl_finance.outputs.formatting import format_metric
from dfl_finance.vocabulary import (
    CHARGES,
    DRIVERS,
    GFS_CLASSES,
    INSTRUMENT_KINDS,
    LINE_KINDS,
    MATCH_BASES,
    MAX_FILE_BYTES,
    PARTNERS,
    PILLARS,
    REPAYMENTS,
    ROLLOUTS,
    SOURCE_KINDS,
    metric_definition,
)

#: The options of "Start from a country" as the form labels them (an error names the field).
COUNTRY_WORDS = {"country": "Country", "start_year": "Start year", "years": "Years", "plan": "Programmes"}
HEADLINE = ["total_cost", "total_gap", "total_external", "peak_burden_share", "years_to_last_payment"]


def apply_key_form(entry: Entry, prefix: str, scope: str) -> None:
    """Submit callback of the key-assumptions form: runs before the page is drawn, so one run shows the result."""
    values, problems = submitted_values(prefix)
    try:
        new = apply_values(entry.scenario, values)
    except ScenarioError as exc:
        problems += exc.problems
    if problems:
        set_problems(scope, problems)
        return
    set_problems(scope, [])
    if new == entry.scenario:
        state.notice("Nothing changed.")
        return
    state.apply_edit(entry, dump_scenario(new), scope)


def apply_tables(entry: Entry, prefix: str, scope: str, progs, lines, sources) -> None:  # noqa: ANN001
    """Submit callback of the tables form: the three tables as edited (their editors' states over the tables as
    shown), saved over ``entry`` as the key form saves."""
    edited = [edited_frame(df, st.session_state.get(f"{key}:{prefix}"))
              for key, df in (("tp", progs), ("tl", lines), ("ts", sources))]
    try:
        new = scenario_from_tables(entry.scenario, *edited)
    except ScenarioError as exc:
        set_problems(f"{scope}:tables", exc.problems)
        return
    if new == entry.scenario:
        set_problems(f"{scope}:tables", [])
        state.notice("Nothing changed.")
        return
    state.apply_edit(entry, dump_scenario(new), f"{scope}:tables")


def apply_toml(entry: Entry, key: str, scope: str) -> None:
    """Submit callback of the TOML editor: the text is saved as typed (comments kept) once it runs."""
    state.apply_edit(entry, st.session_state.get(key, ""), scope)


def upload(file) -> tuple[bool, str]:
    """Add an uploaded scenario file; ``(added?, message)``. The size is checked before the bytes are decoded."""
    if file.size > MAX_FILE_BYTES:
        return False, (f"{file.name}: larger than {MAX_FILE_BYTES:,} bytes ({file.size:,}); a scenario file is a "
                       "few kilobytes (is this the right file?)")
    try:
        text = file.getvalue().decode("utf-8")
    except UnicodeDecodeError as exc:
        return False, f"{file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        entry = state.add(text)
    except ScenarioError as exc:
        return False, str(exc.with_file(file.name))
    except DflFinanceError as exc:
        return False, f"{file.name}: {exc}"
    return True, f"added {as_text(entry.name)} from {as_text(file.name)}"  # names as typed, never a link


st.title("Scenarios")
st.caption("Pick a scenario, change the assumptions that matter, and see the headline numbers move. Every accepted "
           "edit is saved to your workspace, so a reload keeps it.")
st.page_link(PAGES["about"], label="How the model works: conventions and sources", icon=":material/menu_book:")

catalogue = state.catalogue()
show_conflict()
show_broken(catalogue.broken, delete=state.delete)

# ----------------------------------------------------------------------------------------- add scenarios
with st.expander("Add a scenario: upload a TOML file, start from templates or a country, or open an instrument "
                 "option", icon=":material/add:"):
    uploaded = st.file_uploader("Upload a scenario file (TOML)", type=["toml"], key="upload",
                                max_upload_size=math.ceil(MAX_FILE_BYTES / 1e6))
    if uploaded is not None:
        done = st.session_state.setdefault("dfl_uploads", {})
        if uploaded.file_id not in done:
            done[uploaded.file_id] = upload(uploaded)
            catalogue = state.catalogue()
        added, message = done[uploaded.file_id]
        if added:
            st.success(message)
        else:
            st.error(f"The file was not added:\n\n```\n{without_server_paths(message)}\n```")

    with st.form("new_from_templates"):
        st.markdown("**Start from templates** (programmes from `data/templates.toml`, paid by the education budget; "
                    "in the currency of the country's profile, which fills the budget, inflation and exchange rate)")
        profiles = country_profiles()
        c1, c2, c3 = st.columns(3)
        new_name = c1.text_input("Name", value="New scenario", key="new_name")
        codes = sorted(profiles)
        open_now = catalogue.scenarios.get(state.picked(list(catalogue.scenarios)) or "")
        here = open_now.scenario.scenario.country if open_now and open_now.scenario else None
        country = c2.selectbox("Country profile", codes, key="new_country", index=codes.index(here) if here in codes
                               else 0, format_func=lambda c: f"{c} ({profiles[c].name})")
        start = c3.text_input("Start year", value="2026", key="new_start")
        chosen = st.multiselect("Programmes", list(templates()), key="new_templates",
                                default=["connectivity-satellite", "emis", "teacher-data-skills", "data-governance"])
        if st.form_submit_button("Create scenario"):
            try:
                year = parse_number(start, integer=True, optional=False)
                sc = new_from_templates(new_name, country, year, 10, chosen)
                state.add(dump_scenario(sc))
            except ValueError as exc:
                st.error(f"Start year: {exc}")
            except DflFinanceError as exc:
                st.error(str(exc))
            else:
                st.rerun()

    with st.form("new_from_country"):
        st.markdown("**Start from a country**: a complete plan from the country's profile (`dfl-finance new "
                    "--country`): its budget, prices, exchange rate and debt figures, the three pillars "
                    "(connectivity; EMIS and devices; data skills and governance), IDA's terms for its lending "
                    "category and risk of debt distress (or an IBRD loan), a GPE grant where it is eligible, and the "
                    "education budget. Every value's source is a comment in the file (Download shows it).")
        profiles = country_profiles()
        c1, c2, c3 = st.columns(3)
        codes = sorted(profiles, key=lambda c: profiles[c].name)
        picked = c1.selectbox("Country (type to search)", codes, key="country_pick",
                              format_func=lambda c: f"{profiles[c].name} ({c})")
        own_name = c2.text_input("Name (empty: the country's name)", value="", key="country_name")
        start = c3.text_input("Start year", value="2026", key="country_start")
        plan = st.multiselect("Programmes (default: the three pillars)", list(templates()), key="country_templates",
                              default=[t for t, _, _ in DEFAULT_PLAN])
        if st.form_submit_button("Create the country's scenario"):
            try:
                year = parse_number(start, integer=True, optional=False)
                taken = set(state.catalogue().scenarios)  # a free name, so that the file keeps its comments
                title = unique_name(own_name.strip() or plan_name(profiles[picked]), taken)
                state.add(country_scenario(picked, plan=plan, start_year=year, name=title))
            except ValueError as exc:
                st.error(f"Start year: {exc}")
            except DflFinanceError as exc:
                st.error(exc.in_words(COUNTRY_WORDS))
            else:
                st.rerun()

    options = instrument_options()  # listed by file; loaded when chosen (the start-up does not parse them)
    if options:
        with st.form("open_instrument_option"):
            st.markdown("**Instrument options** (Kenya): a debt-for-education swap, an interest buy-down, a "
                        "guaranteed loan and a universal service fund levy, bundled with their sources "
                        "(docs/method.md, *Instruments*). The option opens as a copy in your workspace.")
            chosen_option = st.selectbox("Option", range(len(options)), key="instrument_option",
                                         format_func=lambda i: options[i].label)
            if st.form_submit_button("Open the option"):
                option = options[chosen_option]
                if option.name in catalogue.scenarios:  # opened before: pick it
                    state.select(option.name)
                    st.rerun()
                try:
                    state.add(option.path.read_text(encoding="utf-8"))  # the options name no other file
                except DflFinanceError as exc:
                    st.error(without_server_paths(str(exc)))
                else:
                    st.rerun()

# ----------------------------------------------------------------------------------------- choose
name, entry = state.pick(catalogue, "No scenarios yet: upload one or start from templates above.")
sc = entry.scenario
here = ("bundled scenario, unchanged" if entry.origin == "bundled"
        else f"saved in your workspace: {entry.path}")
st.caption(f"{sc.scenario.description}  \n*{here}*" if sc.scenario.description else f"*{here}*")
scope = state.scope(name)
prefix = f"{scope}:{state.form_version(entry)}"
cur = sc.scenario.currency
basis = price_basis()
shown = basis_currency(basis, sc)  # the currency of the results (the inputs stay in their own currencies)

try:
    summary = checked_summary(entry.text, basis).set_index("metric")
except ScenarioError as exc:
    st.error("This scenario cannot be computed, so it has no results; correct it below (or delete it):\n\n"
             + problem_list(exc.problems, sc))
else:
    for col, metric in zip(st.columns(len(HEADLINE)), HEADLINE):
        d = metric_definition(metric)
        col.metric(f"{d.label} [{shown}]" if d.kind == "money" else d.label,
                   format_metric(summary["value"].get(metric), d.kind),
                   help=f"{d.description} [{d.unit_for(shown)}]")
    st.caption(f"Amounts in {basis_words(basis, shown, sc.scenario.base_year)} (the price basis chosen in the "
               "sidebar).")
    fx = fx_assumption(sc)
    if fx is not None:
        st.caption(fx_words(fx) + " Set `[macro] fx_rate`, `fx_path` or `real_depreciation` in the file to change "
                   "it (TOML file view).")
    drawn = point_values(sc)
    if drawn:  # the fields an edit would not move: the run takes their rows' point, not the written value
        names = [where(sc, format_location(loc)) for loc in drawn]
        which = "expected value (mean)" if sc.risk.point == "mean" else "most likely value"
        st.info(f"{len(names)} inputs have an `[[uncertain]]` row, and the numbers above take each one's {which} "
                f"(`[risk] point = \"{sc.risk.point}\"`), not the value written in its field: "
                f"{', '.join(names[:6])}{', ...' if len(names) > 6 else ''}. Editing such a field does not move "
                "them: change its row on the Risk page, or set `point = \"as_written\"` in `[risk]` (TOML file "
                "view).", icon=":material/info:")
for warning in scenario_warnings(sc):
    st.warning(f"{where(sc, warning.path)}: {warning.message}", icon=":material/warning:")
placeholders = placeholder_fields(sc)
if placeholders:
    # the country profile fills [context], [macro] and [debt]; the rest are cost lines
    context = [field_label(path.split(".", 1)[1].replace(".", "_"), capitalise=False) for path, _ in placeholders
               if path.startswith(("context.", "macro.", "debt."))]
    n_lines = len(placeholders) - len(context)
    parts = ([", ".join(context) + " (country profile)"] if context else []) + (
        [f"the unit costs of {n_lines} cost lines (marked PLACEHOLDER under Key assumptions)"] if n_lines else [])
    st.caption(f"{len(placeholders)} values without a public source yet (placeholders, to replace before the "
               f"numbers are used for decisions): {'; '.join(parts)}.")
placeholder_paths = {path for path, _ in placeholders}

# one view at a time (tabs would draw all three on every run)
VIEWS = ["Key assumptions", "Programmes and sources (tables)", "TOML file"]
view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="scenario_view", label_visibility="collapsed") \
    or VIEWS[0]

# ----------------------------------------------------------------------------------------- key assumptions
if view == VIEWS[0]:
    # stable keys (the scope, not the version): an edit updates the form's widgets in place (FieldForm)
    form = FieldForm(scope, scope, sc, entry.version)
    with st.form(f"key:{scope}"):
        st.subheader("Scenario and context")
        c = st.columns(4)
        with c[0]:
            form.text("Name", "scenario.name", sc.scenario.name, "[scenario]", "name")
        with c[1]:
            form.number("Start year", "scenario.start_year", sc.scenario.start_year, "[scenario]", "start_year")
        with c[2]:
            form.number("Years", "scenario.years", sc.scenario.years, "[scenario]", "years")
        with c[3]:
            form.number("Discount rate [1/yr]", "scenario.discount_rate", sc.scenario.discount_rate, "[scenario]",
                        "discount_rate")
        ctx = sc.context
        c = st.columns(3)
        for i, (field, label) in enumerate([("schools", "Schools"), ("learners", "Learners"),
                                            ("teachers", "Teachers")]):
            with c[i]:
                form.number(label, f"context.{field}", getattr(ctx, field), "[context]", field)
        c = st.columns(3)
        with c[0]:
            form.number(f"Education budget [{cur}/yr]", "context.education_budget", ctx.education_budget,
                        "[context]", "education_budget")
        with c[1]:
            if isinstance(ctx.budget_growth, list):  # a rate per year: shown, edited in the file
                st.text_input("Budget growth [1/yr]", value=", ".join(number_text(g) or "" for g in ctx.budget_growth),
                              disabled=True, help="One rate per projection year, as the scenario file gives them; "
                              "edit them in the file (download it from the Export page) and upload it again.")
            else:
                form.number("Budget growth [1/yr]", "context.budget_growth", ctx.budget_growth, "[context]",
                            "budget_growth", optional=True)
        with c[2]:
            form.number("Burden limit [share of budget]", "context.burden_limit", ctx.burden_limit, "[context]",
                        "burden_limit")

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
                                    "[[programme]]", "target_year", optional=True)
                    with c[3]:
                        form.select("Rollout", f"{base}.rollout", p.rollout, list(ROLLOUTS), "[[programme]]",
                                    "rollout")
                for j, line in enumerate(p.cost):
                    lp = f"{base}.cost[{j}]"
                    flag = " (PLACEHOLDER)" if f"{lp}.unit_cost" in placeholder_paths else ""
                    st.markdown(f"**{line.item}** — {line.kind}{flag}")
                    c = st.columns(3)
                    with c[0]:
                        form.number(f"Unit cost [{sc.line_currency(line)}]", f"{lp}.unit_cost",
                                    line.unit_cost, "[[programme.cost]]", "unit_cost")
                    with c[1]:
                        form.number("Price trend [1/yr]", f"{lp}.price_trend", line.price_trend,
                                    "[[programme.cost]]", "price_trend")
                    if line.kind == "capex":
                        with c[2]:
                            form.number("Lifetime [years]", f"{lp}.lifetime", line.lifetime, "[[programme.cost]]",
                                        "lifetime", optional=True)
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
                    form.number(f"Annual cap [{sc.source_currency(s)}/yr]", f"{base}.annual_cap",
                                s.annual_cap, "[[source]]", "annual_cap", optional=True)
                with c[2]:
                    form.number(f"Commitment [{sc.source_currency(s)}]", f"{base}.commitment",
                                s.commitment, "[[source]]", "commitment", optional=True)
                with c[3]:
                    form.number("Priority", f"{base}.priority", s.priority, "[[source]]", "priority",
                                optional=True)
                c = st.columns(4)
                with c[0]:
                    form.number("First year", f"{base}.first_year", s.first_year, "[[source]]", "first_year",
                                optional=True)
                with c[1]:
                    form.number("Last year", f"{base}.last_year", s.last_year, "[[source]]", "last_year", optional=True)
                if s.kind == "loan":
                    c = st.columns(4)
                    with c[0]:
                        form.select("Term sheet", f"{base}.terms", s.terms or "", sheets, "[[source]]", "terms")
                    with c[1]:
                        form.number("Rate [1/yr]", f"{base}.rate", s.rate, "[[source]]", "rate")
                    with c[2]:
                        form.number("Grace [years]", f"{base}.grace_years", s.grace_years, "[[source]]",
                                    "grace_years")
                    with c[3]:
                        form.number("Maturity [years]", f"{base}.maturity_years", s.maturity_years, "[[source]]",
                                    "maturity_years")
                    st.caption("Choosing another term sheet replaces rate, grace, maturity and repayment with the "
                               "sheet's.")
                elif s.kind == "ppp":
                    c = st.columns(4)
                    with c[0]:
                        form.number("Contract [years]", f"{base}.contract_years", s.contract_years, "[[source]]",
                                    "contract_years")
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
        st.form_submit_button("Apply changes", type="primary", key=f"apply:{scope}", on_click=apply_key_form,
                              args=(entry, scope, scope))
    show_problem_summary(scope, sc)

# ----------------------------------------------------------------------------------------- tables
if view == VIEWS[1]:
    progs, lines, sources = tables_of(sc)
    cfg = st.column_config
    with st.form(f"tables:{prefix}"):
        st.markdown("Add, remove or change programmes, cost lines and sources. Lists are comma-separated text "
                    "(`eligible`: `emis, connectivity:capex`; a loan `schedule`: `7-31:0.04`); numbers may have "
                    "thousands separators (`1,500,000`), and an amount per year is separated by `;` "
                    "(`1,000,000; 2,000,000`). Problems are named by table, row and column; a programme id changed "
                    "here is changed in its cost lines and in the sources' `eligible` lists too.")
        def choice(options):
            return lambda help: cfg.SelectboxColumn(options=list(options), help=help)

        def number(label=None):  # typed as text and read by parse_number: "abc" is refused, not emptied
            return lambda help: cfg.TextColumn(label, help=help)

        def numbers(table, **labels):
            return {c: number(labels.get(c)) for c in NUMBERS[table]}

        st.markdown("**Programmes**")
        st.data_editor(progs, num_rows="dynamic", key=f"tp:{prefix}", hide_index=True,
                                 column_config=column_config("[[programme]]", progs.columns, {
                                     **numbers("programmes"), "pillar": choice(PILLARS), "driver": choice(DRIVERS),
                                     "rollout": choice(ROLLOUTS), "template": choice(templates())}))
        def defaulted(label, default):  # an empty cell is the default: said in the header and the help
            return lambda help: cfg.TextColumn(f"{label} (empty: {default})",
                                               help=f"{help}\n\nEmpty: {default} in this scenario.")

        year = sc.scenario.base_year
        st.markdown("**Cost lines** (each names its programme's id)")
        st.data_editor(lines, num_rows="dynamic", key=f"tl:{prefix}", hide_index=True,
                                 column_config=column_config("[[programme.cost]]", lines.columns, {
                                     **numbers("lines", unit_cost="unit_cost [its currency]"),
                                     "currency": defaulted("currency", cur),
                                     "price_year": defaulted("price_year", year),
                                     "kind": choice(LINE_KINDS), "gfs_class": choice(GFS_CLASSES),
                                     "economic_class": choice(GFS_CLASSES),
                                     "replace_existing": lambda help: cfg.CheckboxColumn(help=help),
                                     "pay_existing": lambda help: cfg.CheckboxColumn(help=help)}))
        st.caption(f"An empty currency is the scenario's, {cur}; an empty price_year is the scenario's price year, "
                   f"{year}.")
        st.markdown("**Funding sources**")
        implied = {s.id: sc.source_currency(s) for s in sc.source if s.currency is None}
        by_kind = "; ".join(f"{i}: {c}" for i, c in implied.items())
        st.data_editor(sources, num_rows="dynamic", key=f"ts:{prefix}", hide_index=True,
                                   column_config=column_config("[[source]]", sources.columns, {
                                       "currency": lambda help: cfg.TextColumn(
                                           "currency (empty: by kind)",
                                           help=help + (f"\n\nEmpty in this scenario: {by_kind}." if by_kind
                                                        else "")),
                                       **numbers("sources", annual_cap="annual_cap [its currency/yr]",
                                                 commitment="commitment [its currency]"),
                                       "kind": choice(SOURCE_KINDS + INSTRUMENT_KINDS), "terms": choice(loan_terms()),
                                       "repayment": choice(REPAYMENTS), "charged_to": choice(CHARGES),
                                       "match_sources": lambda help: cfg.TextColumn(
                                           help=field_help("[source.match]", "sources")),
                                       "match_ratio": lambda help: cfg.TextColumn(
                                           help=field_help("[source.match]", "ratio")),
                                       "match_basis": lambda help: cfg.SelectboxColumn(
                                           options=list(MATCH_BASES), help=field_help("[source.match]", "basis")),
                                       "partner": choice(PARTNERS)}))
        if implied:
            st.caption("An empty currency of a source is the default for its kind (see the column's help): here "
                       + ", ".join(f"{c} for {i}" for i, c in implied.items()) + ".")
        # a callback, bound to the scenario and the tables as shown: a save by another session meanwhile changes
        # the form's keys in the next run, where an inline button would no longer be the one clicked and the edits
        # would vanish; here they are saved, or shown beside the other version as a conflict
        st.form_submit_button("Apply table edits", type="primary", key=f"apply_tables:{prefix}",
                              on_click=apply_tables, args=(entry, prefix, scope, progs, lines, sources))
    show_problem_summary(f"{scope}:tables", sc)

# ----------------------------------------------------------------------------------------- TOML
if view == VIEWS[2]:
    # the files it names (a baseline, a school table) by their full path: the file runs wherever it is saved
    st.download_button("Download this scenario (TOML)", data=absolute_text(entry.text, workspace_dir()).encode(),
                       file_name=file_name(name), mime="application/toml", key="download_toml", on_click="ignore")
    st.text_area("TOML (edit and apply)", value=entry.text, height=420, key=f"toml:{prefix}")
    c = st.columns(3)
    c[0].button("Apply TOML", key=f"apply_toml:{prefix}", on_click=apply_toml,
                args=(entry, f"toml:{prefix}", f"{scope}:toml"))
    show_problem_summary(f"{scope}:toml", sc)
    if entry.origin == "bundled":
        st.caption("A bundled scenario: your edits are saved in your workspace; the bundled file stays as it is.")
    elif name in catalogue.bundled:
        c[1].button("Reset to the bundled version", key=f"reset:{prefix}", on_click=state.delete, args=(entry,))
    else:
        c[2].button("Delete from the workspace", key=f"delete:{prefix}", on_click=state.delete, args=(entry,))

if notice := state.notice():
    st.info(notice)

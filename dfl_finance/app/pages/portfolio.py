"""Portfolio: a donor's pooled fund across countries (:mod:`dfl_finance.studies.portfolio`, as ``dfl-finance
portfolio``): a bundled example, a portfolio of the scenarios picked on the page (the user's own in the workspace, or
bundled ones), or an uploaded portfolio file with its scenario files; the fund's envelope, rule (the optimal rule with
its objective), co-financed grants, floor, ceiling and the countries' weights set on the page; the allocation, the gap
of each country before and after the fund with its reach, the totals, and the equity across countries in words."""

import hashlib
import math

import pandas as pd
import streamlit as st

from dfl_finance.app import PAGES, state, workspace_dir
from dfl_finance.app.charts import portfolio_chart
from dfl_finance.app.compute import checked_portfolio_file, checked_portfolio_results
from dfl_finance.app.editing import number_text, parse_number
from dfl_finance.app.portfolio import (
    ALLOCATION_HELP,
    BASIS_COLUMNS,
    EXAMPLE,
    EXAMPLES,
    FIELD_LABELS,
    OBJECTIVE_LABELS,
    PICKED_FILE,
    RULE_LABELS,
    allocation_table,
    amount_words,
    chart_rows,
    equity_formats,
    equity_help,
    equity_sentences,
    equity_table,
    examples_dir,
    need_note,
    optimal_note,
    options_zip,
    picked_portfolio,
    portfolio_zip,
    reach_formats,
    reach_help,
    reach_table,
    totals,
)
from dfl_finance.app.ui import price_basis, problem_list, show_broken
from dfl_finance.errors import DflFinanceError, ScenarioError
from dfl_finance.outputs.formatting import format_money
from dfl_finance.studies.portfolio import OBJECTIVES, RULES
from dfl_finance.vocabulary import MAX_FILE_BYTES

MINE = "My scenarios (pick them)"
UPLOAD = "Upload a portfolio file (TOML)"
#: The session key of the scenarios picked for a portfolio of the user's own.
PICKED_KEY = "portfolio_picked"
SOURCES = {f"{title} ({file})": file for file, (title, _) in EXAMPLES.items()}
LABEL = FIELD_LABELS

st.title("Portfolio")
st.caption("A donor's pooled fund across countries, as `dfl-finance portfolio` runs it: each country's funding gap "
           "before the fund (after any pooled procurement discounts), the envelope shared by a rule, and each "
           "country's plan run again with its share as a source that pays what its other sources leave (a grant, or "
           "a loan on the fund's terms when the file's [fund.source] makes it a facility that lends). Amounts of the "
           "fund are in US dollars at current prices, whatever the price basis in the sidebar, which sets the basis "
           "the countries are run in (a PV saving is in the country's currency in that basis).")
st.page_link(PAGES["about"], label="How the fund is shared (method: Portfolio: a pooled fund across countries)",
             icon=":material/menu_book:")

# ----------------------------------------------------------------------------------------- the file
options = [*SOURCES, MINE, UPLOAD]
source = st.radio("Portfolio", options, key="portfolio_source", horizontal=True,
                  index=list(SOURCES.values()).index(EXAMPLE))
files: dict[str, str] = {}  # the scenario files given with the portfolio (picked or uploaded), by file name
if source == MINE:
    cat = state.catalogue()
    show_broken(cat.broken)
    names = list(cat.scenarios)
    state.keep_known(PICKED_KEY, names)
    picked = st.multiselect("Countries' scenarios", names, key=PICKED_KEY,
                            help="Each scenario picked is a country of the portfolio: your scenarios saved in the "
                                 "workspace (made or edited on the Scenarios page) and the bundled ones.")
    st.caption("A portfolio of the scenarios you pick, one country each (named after its country profile, or after "
               "the scenario when two share a country), as `dfl-finance portfolio` runs a portfolio file naming "
               "those scenario files. The fund starts at USD 40 M shared by need: set it below. Its download is the "
               "portfolio file with the scenario files beside it.")
    if not picked:
        st.info("Pick the scenarios of the countries that share the fund: your own (saved in the workspace) or "
                "bundled ones.")
        st.stop()
    text, files = picked_portfolio([(cat.scenarios[n].file, cat.scenarios[n].text or "", cat.scenarios[n].scenario)
                                    for n in picked], workspace_dir())
    name = PICKED_FILE
elif source in SOURCES:
    name = SOURCES[source]
    path = examples_dir() / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        st.info(f"The example {name} is not in this installation ({path.parent}); upload a portfolio file.")
        st.stop()
else:
    c = st.columns(2)
    uploaded = c[0].file_uploader("Portfolio file (TOML)", type=["toml"], key="portfolio_upload",
                                  max_upload_size=math.ceil(MAX_FILE_BYTES / 1e6))
    given = c[1].file_uploader("Its scenario files (TOML)", type=["toml"], accept_multiple_files=True,
                               key="portfolio_upload_scenarios", max_upload_size=math.ceil(MAX_FILE_BYTES / 1e6),
                               help="The scenario files the portfolio names (scenario = \"rwanda-plan.toml\"), as "
                                    "they lie beside it for `dfl-finance portfolio`.")
    st.caption("A country's `scenario` that names one of the scenario files uploaded with the portfolio "
               "(`scenario = \"rwanda-plan.toml\"`) reads that file; any other is a bundled scenario, read relative "
               "to the repository's `examples/` folder as in the examples (`../scenarios/rwanda-domestic.toml`, "
               "`../scenarios/kenya-domestic.toml`, ...). A country given by its `profile` (`profile = \"KEN\"`) "
               "runs the portfolio's `template`, uploaded with it or read there too (`plan-template.toml`, as in "
               "`examples/portfolio-profiles.toml`). The fields are those of `dfl-finance portfolio` (see the "
               "method); the examples show them all. To use your scenarios in the workspace, pick them instead.")
    if uploaded is None:
        st.info("Upload a portfolio file (and its scenario files) to run it, or pick an example or your scenarios "
                "above.")
        st.stop()
    unreadable = []
    for f in given or []:
        try:
            if f.name in files:
                unreadable.append(f"{f.name}: two uploaded scenario files have this name")
            files[f.name] = f.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            unreadable.append(f"{f.name}: not UTF-8 text")
    try:
        text, name = uploaded.getvalue().decode("utf-8"), uploaded.name
    except UnicodeDecodeError:
        unreadable.insert(0, f"{uploaded.name}: not UTF-8 text")
    if unreadable:
        st.error("The portfolio file cannot be used; please correct it:\n\n" + "\n".join(f"- {u}" for u in unreadable))
        st.stop()

given_files = tuple(files.items())
try:
    info = checked_portfolio_file(text, name, given_files)
except ScenarioError as exc:
    st.error("The portfolio file cannot be used; please correct it:\n\n" + problem_list(exc.problems))
    st.stop()
except DflFinanceError as exc:  # pragma: no cover - _checked turns these into a ScenarioError
    st.error(str(exc))
    st.stop()

if source in SOURCES:
    st.info(f"**Illustrative.** {info['name']}: {EXAMPLES[name][1]}", icon=":material/science:")
with st.expander(f"{info['name']}: {len(info['countries'])} countries (the file)"):
    st.dataframe(info["countries"], hide_index=True, key="portfolio_countries")
    for item, discount, cited in info["pooled"]:
        st.markdown(f"- Pooled procurement: {discount:.0%} off the unit cost of every `{item}` line. Source: {cited}")
    st.code(text, language="toml")

# ----------------------------------------------------------------------------------------- the fund
st.subheader("The fund")
fund = info["fund"]
# a new file starts from its own fund; the picked portfolio keeps the page's fund as scenarios are picked
digest = "picked" if source == MINE else hashlib.sha256(f"{name}\n{text}".encode()).hexdigest()[:12]
countries_key = hashlib.sha256("\n".join(info["weights"]).encode()).hexdigest()[:12]
c = st.columns(3)
envelope_text = c[0].text_input(LABEL["envelope"], value=number_text(fund["envelope"], grouped=True),
                                key=f"portfolio_envelope:{digest}",
                                help="What the fund shares over the plans, in USD at current prices (60e6, "
                                     "60000000 and 60_000_000 are the same).")
c[0].caption(amount_words(envelope_text))
rule = c[1].selectbox(LABEL["rule"], list(RULES), index=list(RULES).index(fund["rule"]), format_func=RULE_LABELS.get,
                      key=f"portfolio_rule:{digest}",
                      help="In proportion to need: what the fund would pay each country with no limit. Per learner: "
                           "USD per learner (which is also the most a country asks). Weighted: need × each country's "
                           "weight. Optimal: where the fund reaches the most learners in connected schools or "
                           "closes the most gap, measured by running each country's plan (what it reaches in every "
                           "programme is shown below). Every rule keeps a country between the floor "
                           "and the ceiling (never above its need) and hands what a capped country cannot take to the "
                           "others.")
per_learner_text = None
objective = fund["objective"]
if rule == "per-learner":
    per_learner_text = c[2].text_input(LABEL["per_learner"], value=number_text(fund["per_learner"], grouped=True) or "",
                                       key=f"portfolio_per_learner:{digest}",
                                       help="The per-learner rule's amount: each country asks learners × this.")
    c[2].caption(amount_words(per_learner_text))
elif rule == "optimal":
    objective = c[2].selectbox(LABEL["objective"], list(OBJECTIVES), index=list(OBJECTIVES).index(objective),
                               format_func=OBJECTIVE_LABELS.get, key=f"portfolio_objective:{digest}",
                               help="What the optimal rule seeks first; the other comes second, among the ways of "
                                    "doing the first.")
note = st.empty()  # the optimal rule in words, once the co-financed grants are chosen

weights = None
if rule == "weighted":
    saved = f"portfolio_weights_saved:{digest}"  # kept when another rule is chosen and this one again
    prior = st.session_state.get(saved, {})
    table = pd.DataFrame({"Country": list(info["weights"]),
                          "Weight": [prior.get(k, w) for k, w in info["weights"].items()]})
    c = st.columns([1, 2])
    edited = c[0].data_editor(table, hide_index=True, key=f"portfolio_weights:{digest}:{countries_key}",
                              num_rows="fixed",
                              disabled=["Country"], column_config={"Weight": st.column_config.NumberColumn(
                                  "Weight", help="The weighted rule shares the envelope by need × weight (>= 0).")})
    weights = {str(k): (None if pd.isna(v) else float(v)) for k, v in zip(edited["Country"], edited["Weight"])}
    st.session_state[saved] = {**prior, **weights}
    c[1].caption("**Country weights** (the weighted rule's; from the file, 1 where it gives none): a country's share "
                 "is in proportion to its need × its weight. Double-click a weight to change it.")

c = st.columns(3)
floor_text = c[0].text_input(LABEL["floor"], value=number_text(fund["floor"], grouped=True) or "0",
                             key=f"portfolio_floor:{digest}",
                             help="Each country gets at least this much (never more than its need). 0: no floor.")
c[0].caption(amount_words(floor_text, "no floor", zero="no floor"))
ceiling_text = c[1].text_input(LABEL["ceiling"], value=number_text(fund["ceiling"], grouped=True)
                               if math.isfinite(fund["ceiling"]) else "", placeholder="none",
                               key=f"portfolio_ceiling:{digest}",
                               help="Each country gets at most this much. Empty: no ceiling.")
c[1].caption(amount_words(ceiling_text, "no ceiling"))

co_finances = list(fund["co_finances"])
if info["grants"]:
    co_finances = c[2].multiselect(
        LABEL["co_finances"], list(info["grants"]), default=co_finances,
        key=f"portfolio_co_finances:{digest}:{','.join(info['grants'])}",
        format_func=lambda g: f"{info['grants'][g]} ({g})",
        help="The grants whose match rule counts the fund as co-financing: in a country with such a grant, a USD of "
             "the fund also unlocks the grant's match (the GPE multiplier: 1 USD per 3). It changes each country's "
             "need (what the fund would pay it) under every rule; the optimal rule places the fund by it.")
    grants = info["grant_table"].assign(**{"Co-financed by the fund": [
        "Yes" if g in co_finances else "No" for g in info["grant_table"]["Id"]]})
    st.dataframe(grants, hide_index=True, key="portfolio_grants")
    st.caption("The countries' grants with a match rule: each pays at most its ratio × what the listed sources pay "
               "in the same year, up to its commitment. Co-financed by the fund: the fund counts as one of those "
               "sources.")
if rule == "optimal":
    note.info(optimal_note(objective, [f"{info['grants'][g]} ({g})" for g in co_finances]),
              icon=":material/lightbulb:")

field_errors: list[str] = []


def amount(text: str, label: str, empty: float | None = None) -> float | None:
    """The number typed in a field, or None with its problem in ``field_errors``; an empty field is ``empty`` (None:
    required). Ranges are :func:`~dfl_finance.app.portfolio.with_fund_options`'s, which names them."""
    try:
        value = parse_number(text, integer=False, optional=empty is not None)
        return empty if value is None else float(value)
    except ValueError as exc:
        field_errors.append(f"{label}: {exc} (got {text!r})")
        return None


envelope = amount(envelope_text, LABEL["envelope"])
per_learner = fund["per_learner"] if per_learner_text is None else amount(per_learner_text, LABEL["per_learner"])
floor = amount(floor_text, LABEL["floor"], empty=0.0)
ceiling = amount(ceiling_text, LABEL["ceiling"], empty=math.inf)
if field_errors:
    st.error("Please correct:\n\n" + "\n".join(f"- {e}" for e in field_errors))
    st.stop()

basis = price_basis()
try:
    with st.spinner("Running the countries..."):
        results = checked_portfolio_results(text, name, float(envelope), rule,
                                            None if per_learner is None else float(per_learner), basis, given_files,
                                            objective=objective, co_finances=tuple(co_finances), floor=floor,
                                            ceiling=ceiling, weights=weights)
except ScenarioError as exc:
    st.error("The portfolio cannot be run with this fund; please correct:\n\n" + problem_list(exc.problems))
    st.stop()

allocation, equity = results["allocation"], results["equity"]
top = totals(allocation, envelope)

# ----------------------------------------------------------------------------------------- totals
c = st.columns(4)
c[0].metric("Envelope [USD]", format_money(top["envelope"]))
c[1].metric("Total need [USD]", format_money(top["need"]),
            help="What the fund would pay the countries if it had no limit: their funding gaps before the fund, at "
                 "current prices, after the pooled discounts, less what the fund unlocks from the grants it "
                 "co-finances.")
c[2].metric("Shared [USD]", format_money(top["allocated"]),
            help="The envelope, or the total of what the countries can take (their needs and ceilings) when that "
                 "is smaller.")
c[3].metric("Total gap after [USD]", format_money(top["gap_after"]),
            help="What the countries' plans still lack with the fund.")
left = top["envelope"] - top["allocated"]
if left > 0.005 * max(top["envelope"], 1.0):
    st.caption(f"{format_money(left, 'USD')} of the envelope is not shared: every country has what it can take.")

# ----------------------------------------------------------------------------------------- allocation
st.subheader("Allocation")
shown = allocation_table(allocation, rule, objective)
formats = {col: "{:,.0f}" for col in shown.columns if col.endswith("[USD]")}
formats |= {"Share of need [%]": "{:.1f}", BASIS_COLUMNS["reach"][0]: "{:,.0f}"}
helps = ALLOCATION_HELP | dict(BASIS_COLUMNS.values())
st.dataframe(shown.style.format({k: v for k, v in formats.items() if k in shown.columns}, na_rep="–"),
             hide_index=True, key="portfolio_allocation",
             column_config={col: st.column_config.Column(help=helps[col]) for col in shown.columns if col in helps})
limits = []
if floor:
    limits.append(f"at least {format_money(floor, 'USD')} (never more than its need)")
if math.isfinite(ceiling):
    limits.append(f"at most {format_money(ceiling, 'USD')}")
how = RULE_LABELS[rule] + (f" ({OBJECTIVE_LABELS[objective].lower()})" if rule == "optimal" else "")
st.caption(f"{how}. " + (f"Each country gets {' and '.join(limits)}" if limits else
                         "No floor or ceiling per country")
           + ". USD at current prices; hover over a header for what it means."
           + (f" {need_note(rule, co_finances)}" if "Gap before the fund [USD]" in shown.columns else ""))
st.altair_chart(portfolio_chart(chart_rows(allocation, equity)), key="portfolio_chart", width="content")
st.caption("Left: each country's funding gap before the fund (light) and after it (red). Right: the share of schools "
           "the country's connectivity programme reaches by the end of its plan with its share of the fund.")

# ----------------------------------------------------------------------------------------- reach
st.subheader("What the fund reaches")
reach = reach_table(results["reach"], results["programmes"])
if reach.empty:
    st.info("The fund pays no programme here (its envelope is 0, or no country has a gap).")
else:
    widths = {"Country": "small"}
    st.dataframe(reach.style.format(reach_formats(), na_rep="–"), hide_index=True, key="portfolio_reach",
                 column_config={col: st.column_config.Column(help=reach_help().get(col), width=widths.get(col))
                                for col in reach.columns})
st.caption("Each programme the fund pays, in the units its costs scale with: the schools, learners or teachers it "
           "reaches by the end of the plan thanks to the fund (its run with the fund against its run without), the "
           "unit-years of running costs paid thanks to the fund, and what a USD more reaches. Programmes of lump sums "
           "(officials' training, data governance) count no units: what the fund pays them is shown. "
           "portfolio_reach.csv of `dfl-finance portfolio`; hover over a header for what it means.")

# ----------------------------------------------------------------------------------------- equity
st.subheader("Equity across countries")
st.markdown("\n".join(f"- {s}" for s in equity_sentences(equity, results["currency"], results["reach"],
                                                          results["programmes"])))
equity_config = {col: st.column_config.Column(help=text) for col, text in equity_help().items()}
st.dataframe(equity_table(equity).style.format(equity_formats(), na_rep="–"), hide_index=True,
             key="portfolio_equity", column_config=equity_config)
st.caption("portfolio_equity.csv of `dfl-finance portfolio`; hover over a header for what it means.")
st.markdown("**What a USD more of the fund would do**")
st.dataframe(equity_table(equity, marginal=True, currency=results["currency"]).style.format(equity_formats(),
                                                                                           na_rep="–"),
             hide_index=True, key="portfolio_marginal", column_config=equity_config)
st.caption("What 1% more of the fund in a country (of its remaining gap or of its share) does, per USD: the gap it "
           "closes (USD), the learners of the schools it connects by the end (what it reaches in every programme: "
           "What the fund reaches, above), and what it saves of the government's cost in present value (the "
           "country's currency in the price basis).")

c = st.columns(2)
c[0].download_button("allocation.csv, portfolio_equity.csv, portfolio_groups.csv and portfolio_reach.csv (zip)",
                     data=portfolio_zip(results), file_name="dfl-finance-portfolio.zip", mime="application/zip",
                     key="portfolio_zip")
if results["files"]:
    c[1].download_button("The portfolio file with these options and its scenario files (zip)",
                         data=options_zip(results, name), file_name=f"{name.removesuffix('.toml')}-options.zip",
                         mime="application/zip", key="portfolio_toml_zip",
                         help="The portfolio file with the fund as set here and the scenario files it names, side by "
                              "side: unzipped, `dfl-finance portfolio` on it writes the same tables.")
else:
    c[1].download_button("The portfolio file with these options (TOML)", data=results["toml"],
                         file_name=f"{name.removesuffix('.toml')}-options.toml", mime="application/toml",
                         key="portfolio_toml",
                         help="The file with the fund as set here, for `dfl-finance portfolio` (the same tables). "
                              "Its countries' scenario paths are relative to the repository's examples/ folder: save "
                              "it there, or change them.")

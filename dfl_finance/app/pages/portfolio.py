"""Portfolio: a donor's pooled fund across countries (:mod:`dfl_finance.portfolio`, as ``dfl-finance portfolio``):
the bundled example or an uploaded portfolio file, the fund's envelope and rule set on the page, the allocation, the
gap of each country before and after the fund with its reach, the totals, and the equity across countries in
words."""

import hashlib
import math

import streamlit as st

from dfl_finance.app import PAGES
from dfl_finance.app.charts import portfolio_chart
from dfl_finance.app.compute import checked_portfolio_file, checked_portfolio_results
from dfl_finance.app.editing import number_text, parse_number
from dfl_finance.app.portfolio import (
    EXAMPLE,
    RULE_LABELS,
    allocation_table,
    chart_rows,
    equity_sentences,
    equity_table,
    examples_dir,
    portfolio_zip,
    totals,
)
from dfl_finance.app.ui import price_basis, problem_list
from dfl_finance.errors import DflFinanceError, ScenarioError
from dfl_finance.formatting import format_money
from dfl_finance.portfolio import RULES
from dfl_finance.vocabulary import MAX_FILE_BYTES

BUNDLED, UPLOAD = f"The example ({EXAMPLE}, bundled)", "Upload a portfolio file (TOML)"

st.title("Portfolio")
st.caption("A donor's pooled fund across countries, as `dfl-finance portfolio` runs it: each country's funding gap "
           "before the fund (its need, after any pooled procurement discounts), the envelope shared by a rule, and "
           "each country's plan run again with its share as a grant that pays what its other sources leave. Amounts "
           "are in US dollars at current prices (the gap in `nominal-usd`), whatever the price basis in the "
           "sidebar, which sets the basis the countries are run in.")
st.page_link(PAGES["about"], label="How the fund is shared (method: Portfolio: a pooled fund across countries)",
             icon=":material/menu_book:")

# ----------------------------------------------------------------------------------------- the file
source = st.radio("Portfolio", [BUNDLED, UPLOAD], key="portfolio_source", horizontal=True)
if source == BUNDLED:
    path = examples_dir() / EXAMPLE
    try:
        text, name = path.read_text(encoding="utf-8"), EXAMPLE
    except OSError:
        st.info(f"The example {EXAMPLE} is not in this installation ({path.parent}); upload a portfolio file.")
        st.stop()
else:
    uploaded = st.file_uploader("Portfolio file (TOML)", type=["toml"], key="portfolio_upload",
                                max_upload_size=math.ceil(MAX_FILE_BYTES / 1e6))
    st.caption("The countries of an uploaded portfolio are the bundled scenarios: each country's `scenario` is read "
               "relative to the repository's `examples/` folder, as in the example (`../scenarios/rwanda-domestic.toml`"
               ", `../scenarios/kenya-domestic.toml`, ...); a country given by its `profile` (`profile = \"KEN\"`) "
               "runs the portfolio's `template`, read there too (`plan-template.toml`, as in "
               "`examples/portfolio-profiles.toml`). The fields are those of `dfl-finance portfolio` (see the "
               "method); the example shows them all.")
    if uploaded is None:
        st.info("Upload a portfolio file to run it, or pick the example above.")
        st.stop()
    try:
        text, name = uploaded.getvalue().decode("utf-8"), uploaded.name
    except UnicodeDecodeError:
        st.error(f"The portfolio file cannot be used; please correct it:\n\n- {uploaded.name}: not UTF-8 text")
        st.stop()

try:
    info = checked_portfolio_file(text, name)
except ScenarioError as exc:
    st.error("The portfolio file cannot be used; please correct it:\n\n" + problem_list(exc.problems))
    st.stop()
except DflFinanceError as exc:  # pragma: no cover - _checked turns these into a ScenarioError
    st.error(str(exc))
    st.stop()

if source == BUNDLED:
    st.info(f"**Illustrative.** {info['name']}: the envelope, the tighter budget caps of the two countries and the "
            "pooled discount on satellite terminals are made up to show how the fund works (the discount's source "
            "says so); the countries are the bundled scenarios.", icon=":material/science:")
with st.expander(f"{info['name']}: {len(info['countries'])} countries"):
    st.dataframe(info["countries"], hide_index=True, key="portfolio_countries")
    for item, discount, cited in info["pooled"]:
        st.markdown(f"- Pooled procurement: {discount:.0%} off the unit cost of every `{item}` line. Source: {cited}")
    st.code(text, language="toml")

# ----------------------------------------------------------------------------------------- the fund
st.subheader("The fund")
fund = info["fund"]
digest = hashlib.sha256(f"{name}\n{text}".encode()).hexdigest()[:12]  # a new file starts from its own fund
c = st.columns(3)
envelope_text = c[0].text_input("Envelope [USD]", value=number_text(fund["envelope"]),
                                key=f"portfolio_envelope:{digest}",
                                help="What the fund shares over the plans, in USD at current prices.")
rule = c[1].selectbox("Rule", list(RULES), index=list(RULES).index(fund["rule"]), format_func=RULE_LABELS.get,
                      key=f"portfolio_rule:{digest}",
                      help="In proportion to need: each country's gap before the fund. Per learner: USD per learner "
                           "(which is also the most a country asks). Weighted: need × each country's weight in the "
                           "file. Every rule caps a country at its need (and the file's ceiling), gives it at least "
                           "the file's floor, and hands what a capped country cannot take to the others.")
per_learner_text = None
if rule == "per-learner":
    per_learner_text = c[2].text_input("USD per learner", value=number_text(fund["per_learner"]) or "",
                                       key=f"portfolio_per_learner:{digest}",
                                       help="The per-learner rule's amount: each country asks learners × this.")
field_errors: list[str] = []


def amount(text: str, label: str) -> float | None:
    """The USD amount typed in a field (>= 0), or None with its problem in ``field_errors``."""
    try:
        value = parse_number(text, integer=False, optional=False)
        if value is None or value < 0:
            raise ValueError("must be >= 0")
        return float(value)
    except ValueError as exc:
        field_errors.append(f"{label}: {exc} (got {text!r})")
        return None


envelope = amount(envelope_text, "Envelope [USD]")
per_learner = fund["per_learner"] if per_learner_text is None else amount(per_learner_text, "USD per learner")
if field_errors:
    st.error("Please correct:\n\n" + "\n".join(f"- {e}" for e in field_errors))
    st.stop()
if fund["floor"] or math.isfinite(fund["ceiling"]):
    st.caption(f"From the file: each country gets at least {format_money(fund['floor'], 'USD')} (never more than "
               "its need)" + (f" and at most {format_money(fund['ceiling'], 'USD')}"
                              if math.isfinite(fund["ceiling"]) else "") + ".")

basis = price_basis()
try:
    with st.spinner("Running the countries..."):
        results = checked_portfolio_results(text, name, float(envelope), rule,
                                            None if per_learner is None else float(per_learner), basis)
except ScenarioError as exc:
    st.error("The portfolio cannot be run with this fund; please correct:\n\n" + problem_list(exc.problems))
    st.stop()

allocation, equity = results["allocation"], results["equity"]
top = totals(allocation, envelope)

# ----------------------------------------------------------------------------------------- totals
c = st.columns(4)
c[0].metric("Envelope [USD]", format_money(top["envelope"]))
c[1].metric("Total need [USD]", format_money(top["need"]),
            help="The countries' funding gaps before the fund, at current prices, after the pooled discounts.")
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
st.dataframe(allocation_table(allocation).style.format(
    {"Need [USD]": "{:,.0f}", "Share [USD]": "{:,.0f}", "Gap after [USD]": "{:,.0f}", "Share of need [%]": "{:.1f}"},
    na_rep="–"), hide_index=True, key="portfolio_allocation")
st.caption(f"{RULE_LABELS[rule]}. Need: the country's gap before the fund; share: what the fund gives it; gap after: "
           "what its plan still lacks (the need less the share, as the fund pays last); capped: the country has all "
           "it can take (its need, or the ceiling), so the rest went to the others. USD at current prices.")
st.altair_chart(portfolio_chart(chart_rows(allocation, equity)), key="portfolio_chart", width="content")
st.caption("Left: each country's funding gap before the fund (light) and after it (red). Right: the share of schools "
           "the country's connectivity programme reaches by the end of its plan with its share of the fund.")

# ----------------------------------------------------------------------------------------- equity
st.subheader("Equity across countries")
st.markdown("\n".join(f"- {s}" for s in equity_sentences(equity, results["currency"])))
st.dataframe(equity_table(equity).style.format({
    "Learners": "{:,.0f}", "Gap a learner after [USD]": "{:,.2f}", "Reach at the end": "{:.1%}",
    "Peak burden": "{:.1%}", "Fund share [USD]": "{:,.0f}", "Fund a learner [USD]": "{:,.2f}",
    "Gap closed per USD more": "{:,.2f}", "PV saving per USD more": "{:,.2f}"}, na_rep="–"),
    hide_index=True, key="portfolio_equity")
st.caption("portfolio_equity.csv of `dfl-finance portfolio`. Reach: the connectivity programme's funded share of "
           "schools at the end; peak burden: of the education budget; per USD more: what 1% more of the fund (of the "
           "remaining gap or of the share) closes of the gap (USD) and saves of the government's cost in present "
           "value (the country's currency in the price basis).")
st.download_button("allocation.csv, portfolio_equity.csv and portfolio_groups.csv (zip)",
                   data=portfolio_zip(results), file_name="dfl-finance-portfolio.zip", mime="application/zip",
                   key="portfolio_zip")

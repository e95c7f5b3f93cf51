"""About: the method and the sources, in plain language."""

from pathlib import Path

import pandas as pd
import streamlit as st

from dfl_finance.inputs.profiles import country_profiles, data_dir, loan_terms, unit_costs

ROOT = Path(__file__).resolve().parents[3]


def show_file(path: Path) -> None:
    """A Markdown file of the repository or the data folder, or a note where it is not there."""
    try:
        st.markdown(path.read_text(encoding="utf-8"))
    except OSError:
        st.info(f"{path.name} is not in this installation ({path}).")

st.title("About the model")
st.markdown("""
**dfl_finance** projects the cost of a data-for-learning plan year by year (connecting schools, data systems,
data skills and data governance), allocates it to funding sources (the education budget, grants, loans, PPP),
computes the debt service to the last repayment, the burden on the education budget and the debt-sustainability
ratios, and shows the funding gap. Amounts are shown in the price basis chosen in the sidebar: by default constant
prices of the scenario's price year in its local currency (`real-lcu`); also current prices, and US dollars.
""")
tab_method, tab_sources, tab_placeholders = st.tabs(["Method", "Sources", "Placeholders"])
with tab_method:
    show_file(ROOT / "docs" / "method.md")
with tab_sources:
    show_file(data_dir() / "SOURCES.md")
with tab_placeholders:
    st.markdown("Values **without a public source**, which keep the model running and should be replaced "
                "before the numbers are used for decisions:")
    rows = [{"table": "unit_costs.csv", "id": u.id, "value": u.value, "unit": u.unit, "note": u.source}
            for u in unit_costs().values() if u.placeholder]
    rows += [{"table": "country_profiles.csv", "id": f"{p.iso3}.{f}", "value": v.value, "unit": v.unit,
              "note": v.source} for p in country_profiles().values() for f, v in p.values.items() if v.placeholder]
    rows += [{"table": "loan_terms.csv", "id": t.id, "value": t.rate, "unit": "1/yr", "note": t.source}
             for t in loan_terms().values() if t.placeholder]
    st.dataframe(pd.DataFrame(rows), hide_index=True)

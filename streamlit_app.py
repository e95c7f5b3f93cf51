"""dfl_finance app: navigation, the price basis (sidebar) and the scenario picked (kept in the page's address).
Run with `streamlit run streamlit_app.py`."""

import streamlit as st

from dfl_finance.app import PAGES, state
from dfl_finance.app.ui import basis_selector

st.set_page_config(page_title="dfl_finance", page_icon=":material/school:", layout="wide")
page = st.navigation([
    st.Page(PAGES["scenarios"], title="Scenarios", icon=":material/edit_note:", url_path="scenarios", default=True),
    st.Page(PAGES["compare"], title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(PAGES["risk"], title="Risk", icon=":material/ssid_chart:", url_path="risk"),
    st.Page(PAGES["optimise"], title="Optimise", icon=":material/tune:", url_path="optimise"),
    st.Page(PAGES["schools"], title="Schools", icon=":material/location_on:", url_path="schools"),
    st.Page(PAGES["portfolio"], title="Portfolio", icon=":material/public:", url_path="portfolio"),
    st.Page(PAGES["export"], title="Export", icon=":material/download:", url_path="export"),
    st.Page(PAGES["about"], title="About / method", icon=":material/menu_book:", url_path="about"),
])
basis_selector()  # in the sidebar, under the pages: the price basis of every page
state.keep_pick()  # ?scenario=... on every page: a reload or a shared link opens the scenario picked
page.run()

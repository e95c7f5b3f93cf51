"""dfl_finance app: navigation only. Run with `streamlit run streamlit_app.py`."""

import streamlit as st

from dfl_finance.app import PAGES

st.set_page_config(page_title="dfl_finance", page_icon=":material/school:", layout="wide")
page = st.navigation([
    st.Page(PAGES["scenarios"], title="Scenarios", icon=":material/edit_note:", url_path="scenarios", default=True),
    st.Page(PAGES["compare"], title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(PAGES["export"], title="Export", icon=":material/download:", url_path="export"),
    st.Page(PAGES["about"], title="About / method", icon=":material/menu_book:", url_path="about"),
])
page.run()

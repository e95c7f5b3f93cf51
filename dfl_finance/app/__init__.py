"""The Streamlit app (UI only): pages in ``pages/``, chart builders in ``charts.py``, session and workspace in
``state.py``. It calls the public API and holds no model logic."""

#: Page files, relative to the repository root (the folder of ``streamlit_app.py``).
PAGES = {
    "scenarios": "dfl_finance/app/pages/scenarios.py",
    "compare": "dfl_finance/app/pages/compare.py",
    "export": "dfl_finance/app/pages/export.py",
    "about": "dfl_finance/app/pages/about.py",
}

"""The Streamlit app (UI only): pages in ``pages/``, chart builders in ``charts.py``, the session in ``state.py`` over
the shared workspace (:mod:`dfl_finance.workspace`). It calls the public API and holds no model logic."""

#: The scenario the Scenarios page opens on when it exists: the README's example.
DEFAULT_SCENARIO = "Rwanda: IDA credit-led"

#: Page files, relative to the repository root (the folder of ``streamlit_app.py``).
PAGES = {
    "scenarios": "dfl_finance/app/pages/scenarios.py",
    "compare": "dfl_finance/app/pages/compare.py",
    "risk": "dfl_finance/app/pages/risk.py",
    "optimise": "dfl_finance/app/pages/optimise.py",
    "schools": "dfl_finance/app/pages/schools.py",
    "portfolio": "dfl_finance/app/pages/portfolio.py",
    "export": "dfl_finance/app/pages/export.py",
    "about": "dfl_finance/app/pages/about.py",
}

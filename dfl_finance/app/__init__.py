"""The Streamlit app (UI only): pages in ``pages/``, chart builders in ``charts.py``, the session in ``state.py`` over
the shared workspace (:mod:`dfl_finance.app.workspace`). It calls the public API and holds no model logic.

Every scenario text in the app is seen from the workspace folder (:func:`workspace_dir`): the files it names (a
baseline, a school table) are relative to that folder, bundled scenarios included (the workspace names their files
for itself), so a text is read, computed and saved the same way wherever it came from."""

import os
from pathlib import Path

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

#: The environment variable that sets the workspace folder.
WORKSPACE_ENV = "DFL_FINANCE_WORKSPACE"


def workspace_dir() -> Path:
    """The folder where edited scenarios are saved (``~/.dfl-finance/workspace``, or :data:`WORKSPACE_ENV`), the
    folder every scenario text of the app is seen from."""
    return Path(os.environ.get(WORKSPACE_ENV) or Path.home() / ".dfl-finance" / "workspace")

"""Scenarios kept across pages and browser reloads.

The session holds the last *valid* version of every scenario (by name). Every accepted edit is also written, as
TOML, to the workspace folder, so a browser reload (a new session) loses no work: on start the app reads the bundled
scenarios and then the workspace, whose files replace bundled scenarios of the same name.

The workspace defaults to ``~/.dfl-finance/workspace`` (outside the package); ``DFL_FINANCE_WORKSPACE`` overrides it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from ..errors import DflFinanceError, ScenarioError
from ..profiles import data_dir
from ..schema import Scenario, dump_scenario, load_scenario, save_scenario

WORKSPACE_ENV = "DFL_FINANCE_WORKSPACE"
_KEY = "dfl_scenarios"
_ORIGIN = "dfl_origins"
_NOTES = "dfl_load_notes"


def workspace_dir() -> Path:
    """The folder where edited scenarios are saved (created when missing)."""
    folder = Path(os.environ.get(WORKSPACE_ENV) or Path.home() / ".dfl-finance" / "workspace")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def bundled_dir() -> Path:
    return data_dir().parent / "scenarios"


def slug(name: str) -> str:
    """A file name for a scenario name: ``"Rwanda: IDA credit-led"`` -> ``"rwanda-ida-credit-led"``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "scenario"


def _read_folder(folder: Path, origin: str, scenarios: dict, origins: dict, notes: list[str]) -> None:
    for path in sorted(folder.glob("*.toml")):
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            notes.append(f"skipped {path.name}: {exc.problems[0].format()}")
            continue
        scenarios[sc.name] = sc
        origins[sc.name] = origin


def _init() -> None:
    if _KEY in st.session_state:
        return
    scenarios: dict[str, Scenario] = {}
    origins: dict[str, str] = {}
    notes: list[str] = []
    try:
        _read_folder(bundled_dir(), "bundled", scenarios, origins, notes)
    except DflFinanceError as exc:
        notes.append(str(exc))
    _read_folder(workspace_dir(), "workspace", scenarios, origins, notes)
    st.session_state[_KEY] = scenarios
    st.session_state[_ORIGIN] = origins
    st.session_state[_NOTES] = notes


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario of the session, by name (bundled first, then the workspace's)."""
    _init()
    return st.session_state[_KEY]


def origin(name: str) -> str:
    """``bundled`` (unchanged bundled file), ``workspace`` (edited or added, saved in the workspace)."""
    _init()
    return st.session_state[_ORIGIN].get(name, "workspace")


def load_notes() -> list[str]:
    _init()
    return st.session_state[_NOTES]


def unique_name(name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``... if the session already has it."""
    existing = all_scenarios()
    if name not in existing:
        return name
    k = 2
    while f"{name} ({k})" in existing:
        k += 1
    return f"{name} ({k})"


def put(scenario: Scenario, replaces: str | None = None) -> Path:
    """Keep ``scenario`` in the session and save it to the workspace; ``replaces`` is its previous name."""
    scenarios = all_scenarios()
    if replaces and replaces != scenario.name:
        scenarios.pop(replaces, None)
        st.session_state[_ORIGIN].pop(replaces, None)
        (workspace_dir() / f"{slug(replaces)}.toml").unlink(missing_ok=True)
    path = save_scenario(scenario, workspace_dir() / f"{slug(scenario.name)}.toml")
    scenarios[scenario.name] = scenario
    st.session_state[_ORIGIN][scenario.name] = "workspace"
    bump(scenario.name)
    return path


def remove(name: str) -> None:
    """Drop a scenario from the session and the workspace (a bundled file itself is never deleted)."""
    all_scenarios().pop(name, None)
    st.session_state[_ORIGIN].pop(name, None)
    (workspace_dir() / f"{slug(name)}.toml").unlink(missing_ok=True)


def reset_to_bundled(name: str) -> bool:
    """Forget the workspace edits of a bundled scenario; returns False if no bundled file has that name."""
    bundled: dict[str, Scenario] = {}
    _read_folder(bundled_dir(), "bundled", bundled, {}, [])
    if name not in bundled:
        return False
    (workspace_dir() / f"{slug(name)}.toml").unlink(missing_ok=True)
    all_scenarios()[name] = bundled[name]
    st.session_state[_ORIGIN][name] = "bundled"
    bump(name)
    return True


def toml_text(name: str) -> str:
    return dump_scenario(all_scenarios()[name])


def version(name: str) -> int:
    """A counter that changes whenever the scenario changes; widget keys include it so they reset."""
    return st.session_state.setdefault("dfl_versions", {}).get(name, 0)


def bump(name: str) -> None:
    versions = st.session_state.setdefault("dfl_versions", {})
    versions[name] = versions.get(name, 0) + 1

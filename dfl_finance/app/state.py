"""The scenarios a session sees, and what it is doing with them (Streamlit session state over
:mod:`dfl_finance.app.workspace`).

Nothing is kept from one run to the next but the session's own business (the scenario picked, the version of each
form, a conflict to resolve): the scenarios themselves are listed afresh from the bundled folder and the workspace
on every run (a stat per file; parsed scenarios are cached by content), so every session sees what the others
saved. Every change goes through the workspace, which refuses to overwrite a version the session has not seen.

The workspace defaults to ``~/.dfl-finance/workspace`` (outside the package); ``DFL_FINANCE_WORKSPACE`` overrides it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from dfl_finance.app import DEFAULT_SCENARIO, workspace_dir
from dfl_finance.app.compute import checked_summary
from dfl_finance.app.ui import as_text, price_basis, set_problems
from dfl_finance.app.workspace import Base, Catalogue, Conflict, Entry, Workspace, WorkspaceError, file_name
from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.inputs.profiles import bundled_scenarios_dir

_CONFLICT = "dfl_conflict"
_NOTICE = "dfl_notice"
_SEEN = "dfl_seen"
#: The scenarios last picked on the Compare page (kept when the page's widget is not drawn).
COMPARED = "dfl_compared"
#: What this session computed on the Risk page (:func:`remember`), for the Export page.
_COMPUTED = "dfl_computed"


def workspace() -> Workspace:
    """The workspace over the bundled scenarios (shipped with the package; ``DFL_FINANCE_DATA`` does not move them)."""
    return Workspace(workspace_dir(), bundled_scenarios_dir())


def catalogue() -> Catalogue:
    """Every scenario as it is on disk now (call once per run and pass it on)."""
    return workspace().catalogue()


def scope(name: str) -> str:
    """A key for the widgets and problems of one scenario (its file name's stem: distinct for distinct names)."""
    return file_name(name).removesuffix(".toml")


def form_version(entry: Entry) -> int:
    """A counter that changes whenever the scenario on disk changes (this session's edit or another's); the
    widget keys of its forms include it, so they show the new values."""
    seen: dict[str, tuple[str, int]] = st.session_state.setdefault(_SEEN, {})
    version, counter = seen.get(entry.name, (entry.version, 0))
    if version != entry.version:
        counter += 1
    seen[entry.name] = (entry.version, counter)
    return counter


# ----------------------------------------------------------------------------------------------- the pick

#: The session key of the scenario picked: the session's own state, not a widget's (Streamlit forgets the state of a
#: widget that a run does not draw, so the picker's key alone would be lost on the pages without it).
PICKED = "dfl_picked"
#: The key of the picker widget (Scenarios, Risk and Optimise pages), set from :data:`PICKED` before it is drawn.
PICKER = "current"
#: The query parameter that carries the pick in the page's address (``?scenario=...``): a reload (a new session)
#: or a shared link opens the same scenario.
QUERY = "scenario"


def select(name: str | None) -> None:
    """Pick ``name`` (None: the default) on every page, from the next picker drawn and in the page's address."""
    if name is None:
        st.session_state.pop(PICKED, None)
        if QUERY in st.query_params:
            del st.query_params[QUERY]
    else:
        _keep(name)


def _keep(name: str) -> None:
    st.session_state[PICKED] = name
    if st.query_params.get(QUERY) != name:
        st.query_params[QUERY] = name


def keep_pick() -> None:
    """Keep the pick in the page's address on every page (the app's entry calls it before each page runs: a page
    change clears the address's parameters); a new session takes the pick from its address."""
    name = st.session_state.get(PICKED)
    if name is None:
        name = st.query_params.get(QUERY)
    if name is not None:
        _keep(name)


def picked(names: list[str]) -> str | None:
    """The scenario picked, among ``names`` (those on disk now): the session's pick, else
    :data:`~dfl_finance.app.DEFAULT_SCENARIO`, else the first; a pick renamed or deleted since falls back to the
    default. None when there are no scenarios."""
    name: str | None = st.session_state.get(PICKED)
    if name in names:
        return name
    return DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else None)


def _picked_in_widget() -> None:
    """The picker's change callback: the new pick becomes the session's."""
    _keep(st.session_state[PICKER])


def pick(cat: Catalogue, empty: str) -> tuple[str, Entry]:
    """The scenario selector of a page, showing the session's pick (:func:`picked`); ``empty`` is said, and the page
    stops, when there is no scenario."""
    names = list(cat.scenarios)
    name = picked(names)
    if name is None:
        st.info(empty)
        st.stop()
    if st.session_state.get(PICKED) is not None or QUERY in st.query_params:
        _keep(name)  # a pick that is gone falls back to the default, in the session and the address
    st.session_state[PICKER] = name  # before the widget is drawn: it shows the pick
    name = st.selectbox("Scenario", names, key=PICKER, on_change=_picked_in_widget)
    return name, cat.scenarios[name]


def keep_known(key: str, names: list[str]) -> None:
    """Drop names that no longer exist (deleted or renamed in another session) from a multiselect's value."""
    if key in st.session_state:
        st.session_state[key] = [n for n in st.session_state[key] if n in names]


def notice(text: str | None = None) -> str | None:
    """Leave a notice for the next run (with ``text``), or take the one left."""
    if text is not None:
        st.session_state[_NOTICE] = text
        return None
    left: str | None = st.session_state.pop(_NOTICE, None)
    return left


# ----------------------------------------------------------------------------------------------- changes

def add(text: str) -> Entry:
    """Run, then save a new scenario under its name or the next free one (``name (2)``); picks it.

    Raises ScenarioError (invalid, or it cannot run) or WorkspaceError.
    """
    checked_summary(text, price_basis())  # the run the page shows next (cached): its headline numbers
    entry = workspace().create(text)
    select(entry.name)
    return entry


def apply_edit(entry: Entry, text: str, scope: str) -> bool:
    """Run the edited scenario, then save it over ``entry`` if nobody changed that since this session read it.

    Problems are kept under ``scope`` for the form; a conflict is kept for the page to show (:func:`conflict`).
    """
    try:
        checked_summary(text, price_basis())  # the run the page shows next (cached): its headline numbers
        saved = workspace().save(entry.base, text)
    except ScenarioError as exc:
        set_problems(scope, exc.problems)
        return False
    except Conflict as exc:
        set_problems(scope, [])
        st.session_state[_CONFLICT] = exc
        return False
    except WorkspaceError as exc:
        set_problems(scope, [Problem("", str(exc), has_value=False)])
        return False
    set_problems(scope, [])
    select(saved.name)
    return True


def delete(entry: Entry) -> None:
    """Remove the workspace file of ``entry``, unless another session changed it since (then say so)."""
    try:
        workspace().delete(entry.base)
    except Conflict:
        notice(f"{as_text(entry.name)} was changed by another session since you opened it, so it was not deleted: it "
               "now shows that version. Delete it again if you still want to.")
    except WorkspaceError as exc:
        notice(str(exc))
    else:
        select(entry.name)  # still there after a reset to the bundled version; else the default is picked


# ----------------------------------------------------------------------------------------------- conflicts

def conflict() -> Conflict | None:
    """The edit of this session that was not saved because the file changed or went, if any."""
    return st.session_state.get(_CONFLICT)


def keep_theirs() -> None:
    """Resolve the conflict by dropping this session's edit (the version on disk stays)."""
    st.session_state.pop(_CONFLICT, None)


def save_mine_as_copy() -> None:
    """Resolve the conflict by saving this session's edit as a new scenario (``name (2)`` if the name is taken)."""
    found = st.session_state.pop(_CONFLICT, None)
    if found is not None:
        try:
            add(found.mine)
        except DflFinanceError as exc:
            st.session_state[_CONFLICT] = found
            notice(str(exc))


def overwrite() -> None:
    """Resolve the conflict by saving this session's edit over the version now on disk (or in place of the deleted
    file); if that changed again meanwhile, the new conflict is shown."""
    found = st.session_state.pop(_CONFLICT, None)
    if found is None:
        return
    base = found.theirs.base if found.theirs is not None else Base(found.base.name)
    try:
        saved = workspace().save(base, found.mine)
    except Conflict as again:
        st.session_state[_CONFLICT] = again
    except DflFinanceError as exc:
        st.session_state[_CONFLICT] = found
        notice(str(exc))
    else:
        select(saved.name)


# ----------------------------------------------------------------------------------------------- computed

def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def remember(kind: str, name: str, text: str, detail: object = None) -> None:
    """Note that this session computed ``kind`` (``risk``, ``tornado``, ``sobol``, ``stress``) of scenario ``name``
    as ``text`` writes it, with ``detail`` (a risk run's settings, a metric): the Export page includes what was
    computed (the results themselves stay in the cache of :mod:`~dfl_finance.app.compute`). An edit of the
    scenario forgets what was computed for the text before it; a detail computed again moves to the end."""
    done = st.session_state.setdefault(_COMPUTED, {})
    digest, details = done.get((kind, name), ("", []))
    if digest != _digest(text):
        details = []
    details = [d for d in details if d != detail] + [detail]
    done[(kind, name)] = (_digest(text), details)


def remembered(kind: str, name: str, text: str) -> list[Any]:
    """The details of ``kind`` that this session computed for scenario ``name`` as ``text`` writes it, in the order
    computed (the last is the latest); empty when none, or when the scenario has changed since."""
    digest, details = st.session_state.get(_COMPUTED, {}).get((kind, name), ("", []))
    return list(details) if digest == _digest(text) else []

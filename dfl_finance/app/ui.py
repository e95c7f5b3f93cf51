"""Small Streamlit helpers shared by the pages: widgets bound to a field path, with the schema's help text and
the validation problem of that field shown right under it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from dfl_finance.app import workspace_dir
from dfl_finance.app.basis import DEFAULT_BASIS, PRICE_BASES, basis_label, basis_words
from dfl_finance.app.editing import grouped_field, integer_field, number_text, parse_number, problem_words
from dfl_finance.app.portfolio import examples_dir
from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs.docs import field_help
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.profiles import bundled_scenarios_dir, data_dir

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

    from dfl_finance.app.workspace import Entry

_ERRORS = "dfl_errors"
#: The session key of the version each :class:`FieldForm` was last drawn from, by its prefix.
_DRAWN = "dfl_drawn"
#: The session key of the price basis picked in the sidebar (one for every page).
BASIS_KEY = "price_basis"


def price_basis() -> str:
    """The price basis picked in the sidebar (the default before it is drawn)."""
    basis = st.session_state.get(BASIS_KEY)
    return basis if basis in PRICE_BASES else DEFAULT_BASIS


def basis_selector() -> str:
    """The price basis selector (in the sidebar, on every page): every amount, chart and export of the app is
    written in the basis picked; the engine runs once, the basis is a view of its results."""
    if st.session_state.get(BASIS_KEY) not in PRICE_BASES:
        st.session_state[BASIS_KEY] = DEFAULT_BASIS
    with st.sidebar:
        st.selectbox("Price basis", PRICE_BASES, key=BASIS_KEY, format_func=basis_label,
                     help="What the amounts of every page, chart and export are written in: constant prices of the "
                          "scenario's price year or current prices of each year, in its local currency or in US "
                          "dollars. The model runs once; the basis only converts its results (by the scenario's "
                          "inflation and exchange-rate paths). The exported tables name the basis in their "
                          "`price_basis` column:\n\n"
                          + "\n".join(f"- {basis_label(b)} (`{b}`): {basis_words(b)}" for b in PRICE_BASES))
        st.caption(f"Amounts in {basis_words(price_basis())}.")
    return price_basis()


#: What the calendar/fiscal choice of the Compare and Export pages says of fiscal years (:func:`years_choice`).
FISCAL_YEARS_HELP = ("Fiscal years: each scenario's own ([scenario] fiscal_year_start, or its country profile's); "
                     "flows are spread over the months of the year, stocks taken at the fiscal year's end, loan "
                     "payments on their dates")


def years_choice(label: str, key: str, months: dict[str, int], names: tuple[str, str], help_more: str) -> str:
    """A choice of ``calendar`` or ``fiscal`` years (``names``: how the two read), with the month each scenario's
    fiscal year starts in (``months``, by scenario name) under it when fiscal years are chosen; returns the choice."""
    years: str = st.radio(label, ["calendar", "fiscal"], horizontal=True, key=key,
                          format_func=dict(zip(("calendar", "fiscal"), names)).get,
                          help=FISCAL_YEARS_HELP + help_more)
    if years == "fiscal":
        st.caption("Fiscal years start in month " + ", ".join(f"{m} ({n})" for n, m in months.items()) + ".")
    return years


def set_problems(scope: str, problems: list[Problem]) -> None:
    st.session_state.setdefault(_ERRORS, {})[scope] = problems


def problems(scope: str) -> list[Problem]:
    found: list[Problem] = st.session_state.setdefault(_ERRORS, {}).get(scope, [])
    return found


def show_field_problems(scope: str, path: str, scenario: Scenario | None = None) -> None:
    """The problems of the field at ``path``, under it: the field's label and unit first, its path kept
    (:func:`~dfl_finance.app.editing.problem_words`)."""
    for p in problems(scope):
        if p.path == path:
            st.error(without_server_paths(problem_words(scenario, p)), icon=":material/error:")


def has_problems(scope: str, path_prefix: str) -> bool:
    """Whether a problem of ``scope`` lies at or under ``path_prefix`` (to open the expander that holds it)."""
    return any(p.path == path_prefix or p.path.startswith((path_prefix + ".", path_prefix + "["))
               for p in problems(scope))


def as_text(name: str) -> str:
    """A name a user gave (a scenario's, a file's) for Markdown, as a code span: shown exactly as typed, never as a
    link, a heading or emphasis (a name such as ``[x](http://...)`` or ``http://...``).

    >>> as_text("[x](http://a.b)"), as_text("a `b` c")
    ('`[x](http://a.b)`', '`` a `b` c ``')
    """
    fence = "`" * (max((len(run) for run in re.findall(r"`+", name)), default=0) + 1)
    pad = " " if "`" in name else ""
    return f"{fence}{pad}{name}{pad}{fence}"


def _server_folders() -> list[tuple[str, str]]:
    """The server's folders that messages may name, and the names a user knows them by (longest first)."""
    named = [(workspace_dir(), "workspace"), (bundled_scenarios_dir(), "scenarios"), (examples_dir(), "examples")]
    try:
        named.append((data_dir(), "data"))
    except Exception:  # noqa: BLE001 - a data folder that is missing is said elsewhere
        pass
    out = {}
    for folder, name in named:
        for form in (str(folder), str(Path(folder).resolve())):
            out[form.rstrip(os.sep)] = name
    return sorted(out.items(), key=lambda item: -len(item[0]))


def without_server_paths(text: str) -> str:
    """A message as a user of the app reads it: a file in the workspace, the bundled scenarios, the examples or the
    data named by that folder (``workspace/plan-1a2b.toml``), not by the server's full path."""
    for folder, name in _server_folders():
        text = text.replace(folder + os.sep, name + "/").replace(folder, name)
    return text


def problem_list(found: list[Problem], scenario: Scenario | None = None) -> str:
    """Problems as a Markdown list; with ``scenario``, a problem at one of its fields says the field's label and unit
    before the message and keeps its path (:func:`~dfl_finance.app.editing.problem_words`). Server paths are named
    by their folder (:func:`without_server_paths`)."""
    return "\n".join(f"- {without_server_paths(problem_words(scenario, p))}" for p in found)


def show_broken(broken: list[Entry], delete: Callable[[Entry], None] | None = None) -> None:
    """Files that do not load, each with its error (the other scenarios are unaffected); with ``delete``, a button
    to delete each workspace file."""
    if not broken:
        return
    def words(e: Any) -> str:
        where = "workspace" if e.origin == "workspace" else "scenarios"
        said = "; ".join(p.format() for p in e.error.problems)
        return f"- {as_text(f'{where}/{e.file}')}: " + without_server_paths(said)

    st.warning(f"{len(broken)} scenario file{'s' if len(broken) > 1 else ''} could not be loaded and "
               f"{'are' if len(broken) > 1 else 'is'} left out; the other scenarios work:\n\n"
               + "\n".join(words(e) for e in broken), icon=":material/warning:")
    if delete is not None:
        for e in broken:
            if e.origin == "workspace":
                st.button(f"Delete {e.file} from the workspace", key=f"delete_broken:{e.file}", on_click=delete,
                          args=(e,))


def show_failed(failed: dict[str, ScenarioError], what: str = "cannot be computed and is left out") -> None:
    """Scenarios that cannot be computed (by name, with their ScenarioError): listed, each with ``what``
    happens to it, and left out."""
    for name, error in failed.items():
        st.error(f"**{as_text(name)}** {what}:\n\n{problem_list(error.problems)}")


def show_problem_summary(scope: str, scenario: Scenario | None = None) -> None:
    """Every problem of the last rejected edit, in words (each field by its label in ``scenario``, the last valid
    one); the fields in the form also show their own."""
    found = problems(scope)
    if found:
        st.error("This edit was not applied; the last valid scenario is kept. Please correct:\n\n"
                 + problem_list(found, scenario))


class FieldForm:
    """Collects widget values by field path inside one ``st.form``.

    Numbers are text inputs read by :func:`~dfl_finance.app.editing.parse_number` when the form is submitted (a
    number input would round ``12.7`` to 12 in an integer field, and cannot tell ``abc`` from an empty field).

    The widgets' keys are stable (``prefix:path``, the same for every version of the scenario), so an edit
    updates the widgets in the browser instead of replacing every one of them. Each widget shows what the session
    holds under its key; that is set to the scenario's value when the widget has none (drawn for the first time, or
    after a run that did not draw it) and when ``version`` (the version of the scenario on disk) is not the one the
    form was last drawn from: after an edit of this session or a save by another, the form shows the scenario as
    saved. Until then it keeps what was typed (a rejected edit stays in the fields, beside its problems).
    """

    def __init__(self, scope: str, prefix: str, scenario: Scenario | None = None, version: str | None = None):
        self.scope = scope
        self.prefix = prefix
        self.scenario = scenario  # the last valid scenario: its fields' labels for the problems under them
        self.paths: dict[str, tuple[str, bool | None, bool]] = {}  # path -> (widget key, integer?, optional)
        drawn: dict[str, str | None] = st.session_state.setdefault(_DRAWN, {})
        self.fresh = drawn.get(prefix) != version
        drawn[prefix] = version

    def key(self, path: str) -> str:
        return f"{self.prefix}:{path}"

    def _shown(self, path: str, value: object) -> str:
        """The key of the widget of ``path``, its session value set to ``value`` when it must show the scenario's
        (only when it differs: a value set again would be sent to the browser again)."""
        key = self.key(path)
        if (self.fresh or key not in st.session_state) and st.session_state.get(key) != value:
            st.session_state[key] = value
        return key

    def _after(self, path: str, integer: bool | None = None, optional: bool = True) -> None:
        self.paths[path] = (self.key(path), integer, optional)
        show_field_problems(self.scope, path, self.scenario)

    def number(self, label: str, path: str, value: Any, table: str, field: str, *, optional: bool = False) -> None:
        """A number field; whether it takes integers comes from the schema. ``optional``: may be left empty. Amounts
        show with thousands separators (not years: :func:`~dfl_finance.app.editing.grouped_field`)."""
        key = self._shown(path, number_text(value, grouped_field(table, field)) or "")
        st.text_input(label, key=key, help=field_help(table, field), placeholder="none" if optional else None)
        self._after(path, integer_field(table, field), optional)

    def select(self, label: str, path: str, value: Any, options: Sequence[object], table: str, field: str) -> None:
        key = self._shown(path, value if value in options else options[0])
        st.selectbox(label, options, key=key, help=field_help(table, field))
        self._after(path)

    def text(self, label: str, path: str, value: str, table: str, field: str) -> None:
        st.text_input(label, key=self._shown(path, value or ""), help=field_help(table, field))
        self._after(path)

    def remember(self) -> None:
        """Keep the field paths of this form for :func:`submitted_values` (which runs in the submit callback,
        before the form is drawn again)."""
        st.session_state[f"dfl_paths:{self.prefix}"] = dict(self.paths)


def submitted_values(prefix: str) -> tuple[dict[str, Any], list[Problem]]:
    """The values of a :class:`FieldForm` by field path, read from the session in its submit callback, and a
    problem for every number field whose text is not a number of its kind."""
    out: dict[str, Any] = {}
    found = []
    for path, (key, integer, optional) in st.session_state.get(f"dfl_paths:{prefix}", {}).items():
        value = st.session_state.get(key)
        if integer is not None:
            try:
                value = parse_number(value, integer, optional)
            except ValueError as exc:
                found.append(Problem(path, str(exc), value))
                continue
        out[path] = None if value == "" else value
    return out, found


def column_config(table: str, columns: Iterable[str], special: dict[str, Callable[..., ColumnConfig]] | None = None
                  ) -> dict[str, ColumnConfig]:
    """``st.data_editor`` column configs with the schema's help text (and unit) for every column of ``table``.

    ``special`` maps a column to a factory ``f(help=...)`` (e.g. a SelectboxColumn with its options).
    """
    out: dict[str, ColumnConfig] = {}
    for col in columns:
        try:
            help_text = field_help(table, col)
        except KeyError:  # a column that is not a field of the table (e.g. a cost line's programme)
            help_text = None
        factory = (special or {}).get(col)
        if factory is not None:
            out[col] = factory(help=help_text)
        elif help_text:
            out[col] = st.column_config.Column(help=help_text)
    return out

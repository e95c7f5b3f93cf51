"""Small Streamlit helpers shared by the pages: widgets bound to a field path, with the schema's help text and
the validation problem of that field shown right under it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ..docs import field_help
from ..errors import Problem

_ERRORS = "dfl_errors"


def set_problems(scope: str, problems: list[Problem]) -> None:
    st.session_state.setdefault(_ERRORS, {})[scope] = problems


def problems(scope: str) -> list[Problem]:
    return st.session_state.setdefault(_ERRORS, {}).get(scope, [])


def show_field_problems(scope: str, path: str) -> None:
    for p in problems(scope):
        if p.path == path:
            st.error(p.format(), icon=":material/error:")


def has_problems(scope: str, path_prefix: str) -> bool:
    """Whether a problem of ``scope`` lies at or under ``path_prefix`` (to open the expander that holds it)."""
    return any(p.path == path_prefix or p.path.startswith((path_prefix + ".", path_prefix + "["))
               for p in problems(scope))


def show_problem_summary(scope: str) -> None:
    """Every problem of the last rejected edit, in words; the fields in the form also show their own."""
    found = problems(scope)
    if found:
        st.error("This edit was not applied; the last valid scenario is kept. Please correct:\n\n"
                 + "\n".join(f"- {p.format()}" for p in found))


class FieldForm:
    """Collects widget values by field path inside one ``st.form``."""

    def __init__(self, scope: str, prefix: str):
        self.scope = scope
        self.prefix = prefix
        self.paths: dict[str, str] = {}  # path -> widget key

    def key(self, path: str) -> str:
        return f"{self.prefix}:{path}"

    def _after(self, path: str) -> None:
        self.paths[path] = self.key(path)
        show_field_problems(self.scope, path)

    def number(self, label: str, path: str, value: Any, table: str, field: str, *, integer: bool = False,
               fmt: str | None = None, optional: bool = False) -> None:
        help_text = field_help(table, field)
        if integer:
            st.number_input(label, value=None if value is None else int(value), step=1, key=self.key(path),
                            help=help_text, placeholder="none" if optional else None)
        else:
            st.number_input(label, value=None if value is None else float(value), format=fmt or "%.4f",
                            key=self.key(path), help=help_text, placeholder="none" if optional else None)
        self._after(path)

    def select(self, label: str, path: str, value: Any, options: list, table: str, field: str) -> None:
        st.selectbox(label, options, index=options.index(value) if value in options else 0, key=self.key(path),
                     help=field_help(table, field))
        self._after(path)

    def text(self, label: str, path: str, value: str, table: str, field: str) -> None:
        st.text_input(label, value=value or "", key=self.key(path), help=field_help(table, field))
        self._after(path)

    def remember(self) -> None:
        """Keep the field paths of this form for :func:`submitted_values` (which runs in the submit callback,
        before the form is drawn again)."""
        st.session_state[f"dfl_paths:{self.prefix}"] = dict(self.paths)


def submitted_values(prefix: str) -> dict[str, Any]:
    """The values of a :class:`FieldForm` by field path, read from the session in its submit callback."""
    out = {}
    for path, key in st.session_state.get(f"dfl_paths:{prefix}", {}).items():
        value = st.session_state.get(key)
        out[path] = None if value == "" else value
    return out


def column_config(table: str, columns, special: dict | None = None) -> dict:
    """``st.data_editor`` column configs with the schema's help text (and unit) for every column of ``table``.

    ``special`` maps a column to a factory ``f(help=...)`` (e.g. a SelectboxColumn with its options).
    """
    out = {}
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

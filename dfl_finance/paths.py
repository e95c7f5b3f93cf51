"""Deprecated import path ``dfl_finance.paths``, kept for one release: it moved (field paths:
:mod:`dfl_finance.inputs.paths`; ``apply_overrides``: :mod:`dfl_finance.model.load`). Importing a name from here still
works and warns (DeprecationWarning)."""

from dfl_finance._moved import moved

__getattr__, __dir__ = moved(__name__, [
    "dfl_finance.model.load",
    "dfl_finance.inputs.paths",
    "dfl_finance.inputs.overrides",
])

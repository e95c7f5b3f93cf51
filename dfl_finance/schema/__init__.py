"""Deprecated import path ``dfl_finance.schema``, kept for one release: it moved (the scenario's models, rules and
files: :mod:`dfl_finance.inputs`; reading a scenario with what it names: :mod:`dfl_finance.model.load`). Importing a
name from here still works and warns (DeprecationWarning)."""

from dfl_finance._moved import moved

__getattr__, __dir__ = moved(__name__, [
    "dfl_finance.model.load",
    "dfl_finance.inputs.io",
    "dfl_finance.inputs.models",
    "dfl_finance.inputs.rules",
])

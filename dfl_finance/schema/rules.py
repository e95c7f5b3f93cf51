"""Deprecated import path ``dfl_finance.schema.rules``, kept for one release: it moved
(:mod:`dfl_finance.inputs.rules`). Importing a name from here still works and warns (DeprecationWarning)."""

from dfl_finance._moved import moved

__getattr__, __dir__ = moved(__name__, ["dfl_finance.inputs.rules"])

"""Deprecated import path ``dfl_finance.schema.models``, kept for one release: it moved
(:mod:`dfl_finance.inputs.models`). Importing a name from here still works and warns (DeprecationWarning)."""

from dfl_finance._moved import moved

__getattr__, __dir__ = moved(__name__, ["dfl_finance.inputs.models"])

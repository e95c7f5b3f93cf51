"""The old import paths of moved modules, kept for one release: a module ``__getattr__`` that finds a name in its new
home and warns (:class:`DeprecationWarning`) that the old path will go. Used only by the shims ``dfl_finance.schema``,
``dfl_finance.results`` and ``dfl_finance.paths``."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any


def moved(old: str, homes: Sequence[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the old module ``old``, whose names now live in ``homes`` (the first that
    has a name gives it)."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for home in homes:
            module = importlib.import_module(home)
            if hasattr(module, name):
                value = getattr(module, name)
                new = getattr(value, "__module__", None)
                new = new if isinstance(new, str) and new.startswith("dfl_finance.") else home
                warnings.warn(f"{old}.{name} has moved to {new}.{name}; the old path goes in the next release",
                              DeprecationWarning, stacklevel=2)
                vars(sys.modules[old])[name] = value  # found once, warned once
                return value
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({n for home in homes for n in dir(importlib.import_module(home)) if not n.startswith("_")})

    return __getattr__, __dir__

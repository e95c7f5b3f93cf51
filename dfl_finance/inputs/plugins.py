"""Pydantic's plugins, looked for without :mod:`importlib.metadata` when none is installed (issue 21: ``validate``
starts in under twice a bare ``import numpy``).

Pydantic looks for its plugins (the ``pydantic`` entry-point group) when it builds the first validator, through
``pydantic.plugin._loader``, which imports :mod:`importlib.metadata` at its top: with what that imports in turn
(``email``, ``socket``, ``zipfile``, ``csv``) about 11 ms of a ``validate`` that takes 140 ms, for a lookup that
finds nothing on a usual installation. :func:`skip_plugin_lookup` reads the ``entry_points.txt`` of every
distribution on :data:`sys.path` (as :mod:`importlib.metadata` does) and, only when none declares a ``[pydantic]``
group, gives pydantic a loader that answers "no plugins", which is what the real one would answer. When a plugin is
installed, when pydantic's loader is already loaded, or when the path holds a zip archive (which this look does not
open), pydantic's own loader runs as before. Nothing else changes: the validators are the same.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterable

#: pydantic's loader of plugins (``pydantic/plugin/_loader.py``, pydantic 2.x): ``get_plugins()`` -> the plugins.
LOADER = "pydantic.plugin._loader"
#: The section of an ``entry_points.txt`` that declares a pydantic plugin (pydantic's ``PYDANTIC_ENTRY_POINT_GROUP``).
_GROUP = re.compile(r"^\s*\[\s*pydantic\s*\]\s*$", re.MULTILINE)


def plugins_declared(paths: Iterable[str]) -> bool:
    """Whether a distribution in one of the folders ``paths`` declares a pydantic plugin (a ``[pydantic]`` section
    in its ``*.dist-info/entry_points.txt`` or ``*.egg-info/entry_points.txt``). A path that is a file (a zip
    archive, which :mod:`importlib.metadata` also searches) counts as declaring one, so that pydantic looks itself."""
    for entry in paths:
        folder = entry or "."
        try:
            with os.scandir(folder) as found:
                names = [e.name for e in found if e.name.endswith((".dist-info", ".egg-info"))]
        except NotADirectoryError:
            return True
        except OSError:  # a folder that does not exist: importlib.metadata skips it too
            continue
        for name in names:
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            if _GROUP.search(text):
                return True
    return False


def _no_plugins() -> tuple[()]:
    return ()


def _loader_as_known() -> bool:
    """Whether the installed pydantic has the loader this module stands in for (``plugin/_loader.py`` defining
    ``get_plugins``), read from its file without importing pydantic: another version keeps its own."""
    spec = importlib.util.find_spec("pydantic")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        try:
            with open(os.path.join(folder, "plugin", "_loader.py"), encoding="utf-8") as f:
                return "\ndef get_plugins(" in f.read()
        except (OSError, UnicodeDecodeError):
            continue
    return False


def skip_plugin_lookup() -> bool:
    """Give pydantic a plugin loader that answers "no plugins" when no distribution on :data:`sys.path` declares
    one (:func:`plugins_declared`); returns whether it did. Done once, before the first model is built; a process
    that has already loaded pydantic's loader keeps it, and a pydantic whose loader is not the known one
    (:func:`_loader_as_known`) keeps its own."""
    if LOADER in sys.modules or not _loader_as_known() or plugins_declared(sys.path):
        return False
    loader = types.ModuleType(LOADER, "pydantic's plugin loader when no plugin is installed (dfl_finance.inputs."
                              "plugins): no plugins, found without importlib.metadata")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = loader
    return True

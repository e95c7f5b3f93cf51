"""The bundled instrument options (``scenarios/instruments/``: a debt-for-education swap, an interest buy-down, a
guaranteed loan, a USF levy; docs/method.md, *Instruments*), offered on the Scenarios page.

They are listed by file, their names read from the text without loading them, so that the app's start-up and its
default pick stay as they are; one is loaded when it is chosen: copied into the workspace (the options name no
other file) and picked. No Streamlit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dfl_finance.inputs.profiles import bundled_scenarios_dir

#: The subfolder of the bundled scenarios that holds the instrument options.
INSTRUMENTS = "instruments"
_NAME = re.compile(r'^\s*name\s*=\s*"([^"\n]*)"', re.MULTILINE)


@dataclass(frozen=True)
class Option:
    """One instrument option: its file and the scenario name its ``[scenario]`` table gives."""

    path: Path
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({INSTRUMENTS}/{self.path.name})"


def instruments_dir() -> Path:
    """The folder of the bundled instrument options (shipped with the package)."""
    return bundled_scenarios_dir() / INSTRUMENTS


def instrument_options(folder: Path | None = None) -> list[Option]:
    """The ``*.toml`` files of ``folder`` (default :func:`instruments_dir`), in file name order, each with the first
    ``name = "..."`` after its ``[scenario]`` header (the file name when there is none); nothing is validated here.

    >>> [o.path.name for o in instrument_options()]
    ['kenya-debt-swap.toml', 'kenya-guaranteed-loan.toml', 'kenya-ida-buy-down.toml', 'kenya-usf-levy.toml']
    """
    folder = instruments_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        at = text.find("[scenario]")
        found = _NAME.search(text, at) if at >= 0 else None
        out.append(Option(path, found.group(1) if found else path.stem))
    return out

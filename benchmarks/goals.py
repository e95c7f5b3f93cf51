"""What every benchmark reports against the goals of issue 21: one :class:`Goal` per measured figure.

A benchmark script defines ``goals(quick: bool = False) -> list[Goal]`` (the measurements, printed by its own
``main``) so that ``benchmarks/performance.py`` can run them all and write the README's performance table from what
it measured on the machine at hand. A goal reads as met only when the measured figure is on the right side of the
issue's bound; figures without a goal are reported with ``bound=None``.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


def user_env() -> dict[str, str]:
    """The environment of a command a benchmark starts, as a user's runs have it: Python's bytecode cache on
    (``PYTHONDONTWRITEBYTECODE`` removed; an installed package has its ``.pyc`` files, an editable checkout writes
    them on its first run, which every benchmark does as a warm-up). With the cache off, every run compiles the
    package's modules again: about 50 ms more for each command, which a user does not wait for."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_command(command: list[str], cwd: str | Path | None = None, **env: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` in a new process, as a user runs it (:func:`user_env`, with
    ``env`` added), its output thrown away. CPU is the child's user and system time
    (``resource.getrusage(RUSAGE_CHILDREN)`` before and after), which a free core gives. A failure stops the
    benchmark with the command's error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env={**user_env(), **env}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@dataclass(frozen=True)
class Goal:
    what: str  # what is measured, as a user would say it
    measured: float
    unit: str  # "s", "ms", "x", "MiB", "draws/s"...
    bound: float | None = None  # the goal; None = reported, no goal
    below: bool = True  # the goal is measured < bound (False: measured >= bound)
    how: str = ""  # how it was measured (median of n, interleaved with ..., wall or CPU)
    benchmark: str = ""

    @property
    def met(self) -> bool | None:
        if self.bound is None or math.isnan(self.measured):
            return None
        return self.measured < self.bound if self.below else self.measured >= self.bound

    def figure(self) -> str:
        return _number(self.measured, self.unit)

    def goal_text(self) -> str:
        if self.bound is None:
            return "-"
        return f"{'<' if self.below else '>='} {_number(self.bound, self.unit)}"

    def verdict(self) -> str:
        return {None: "", True: "met", False: "MISSED"}[self.met]

    def line(self) -> str:
        goal = f"  goal {self.goal_text()}: {self.verdict()}" if self.bound is not None else ""
        how = f"  ({self.how})" if self.how else ""
        return f"{self.what:52s} {self.figure():>12s}{goal}{how}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(x: float, unit: str) -> str:
    if math.isnan(x):
        return "n/a"
    if unit == "x":
        return f"{x:.2f}x"
    if unit not in ("s", "ms") and float(x).is_integer():
        return f"{x:,.0f} {unit}"
    if abs(x) >= 100:
        text = f"{x:,.0f}"
    elif abs(x) >= 10:
        text = f"{x:.1f}"
    else:
        text = f"{x:.2f}"
    return f"{text} {unit}"


def print_goals(goals: list[Goal]) -> None:
    for g in goals:
        print(g.line())

"""The benchmarks' reporting (not their speed: speed is measured only by running benchmarks/, never in a test).

Every benchmark that carries a goal of issue 21 defines ``goals(quick)`` for ``benchmarks/performance.py``, and the
README has the markers the table is written between; a goal reads as met only on the right side of its bound."""

from __future__ import annotations

import ast
import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def _module(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # dataclasses look their module up
    sys.path.insert(0, str(BENCH))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


pytestmark = pytest.mark.unit


def test_every_benchmark_with_a_goal_defines_goals() -> None:
    performance = _module("performance")
    for name in performance.BENCHMARKS:
        tree = ast.parse((BENCH / f"{name}.py").read_text(encoding="utf-8"))
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "goals" in functions, f"{name}.py has no goals()"
        assert "quick" in [a.arg for a in functions["goals"].args.args], f"{name}.goals takes no quick argument"


def test_a_goal_is_met_only_on_the_right_side_of_its_bound() -> None:
    goals = _module("goals")
    assert goals.Goal("x", 0.19, "s", 0.2).met is True
    assert goals.Goal("x", 0.2, "s", 0.2).met is False  # "under 0.2 s" is not met at 0.2 s
    assert goals.Goal("x", 1.7, "x", 1.7, below=False).met is True
    assert goals.Goal("x", 1.69, "x", 1.7, below=False).verdict() == "MISSED"
    assert goals.Goal("x", math.nan, "s", 0.2).met is None
    assert goals.Goal("x", 3.0, "s").goal_text() == "-"


def test_the_table_names_each_figure_its_goal_and_verdict() -> None:
    performance = _module("performance")
    rows = [{"what": "risk adds", "measured": 0.61, "unit": "s", "bound": 0.5, "below": True, "how": "CPU",
             "benchmark": "bench_risk"}]
    text = performance.table(rows, "Measured on a machine")
    assert text.splitlines()[0] == "Measured on a machine"
    assert "| `bench_risk` | risk adds (CPU) | 0.61 s | < 0.50 s | MISSED |" in text


def test_the_readme_has_the_performance_table_markers() -> None:
    performance = _module("performance")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(performance.START) == 1 and readme.count(performance.END) == 1
    assert readme.index(performance.START) < readme.index(performance.END)

"""What start-up loads: every command's import path loads only what it uses (issue 21). ``dfl-finance --help``,
``validate``, ``countries`` and ``templates`` import neither numpy nor pandas, scipy or the app's libraries; ``run``
and ``stress`` no scipy, Dask or app library (the faces import the commands' modules when a command runs; README,
*How the code is laid out*). The time itself is measured in benchmarks/bench_startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "pyarrow", "openpyxl", "streamlit", "altair", "dask")

BUNDLED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.toml"))
_CODE = """
import json, sys
from dfl_finance.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules(*args: str) -> set[str]:
    """Every module (dotted names) loaded by ``dfl-finance ARGS`` in a new process."""
    done = subprocess.run([sys.executable, "-c", _CODE, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _loaded(*args: str) -> set[str]:
    """The top-level packages loaded by ``dfl-finance ARGS``."""
    return {m.split(".")[0] for m in _modules(*args)}


@pytest.mark.parametrize("args", [("--help",), ("validate", "scenarios/rwanda-ida-credit.toml")])
def test_start_up_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_loads_neither_numpy_nor_the_engine() -> None:
    loaded = _loaded("--help")
    assert "numpy" not in loaded


@pytest.mark.parametrize("args", [("validate", *BUNDLED), ("countries",), ("templates",)],
                         ids=["validate", "countries", "templates"])
def test_light_commands_load_no_numpy(args: tuple[str, ...]) -> None:
    """A command that reads and prints text starts without numpy (``validate`` under 2x ``import numpy``): the
    school model loads only with a scenario that links school tables, and the lists are printed without pandas."""
    loaded = _loaded(*args)
    assert not loaded & {"numpy", *HEAVY}, sorted(loaded & {"numpy", *HEAVY})


@pytest.mark.parametrize("command", ["run", "stress"])
def test_run_and_stress_load_no_solver_cluster_or_app(command: str, tmp_path: Path) -> None:
    loaded = _loaded(command, BUNDLED[0], "--out", str(tmp_path / "out"))
    assert "numpy" in loaded and "pandas" in loaded  # the command ran
    unused = {"scipy", "dask", "distributed", "streamlit", "altair"}
    assert not loaded & unused, sorted(loaded & unused)


def test_validate_loads_neither_importlib_metadata_nor_importlib_resources() -> None:
    """Pydantic's plugin lookup (importlib.metadata, with email, socket and zipfile: about 10 ms) when no plugin is
    installed, and the data folder's lookup (importlib.resources, with zipfile: about 3 ms) are done without them
    (tests/test_light_start.py holds that the answers are the same)."""
    modules = _modules("validate", *BUNDLED)
    assert "dfl_finance.inputs.models" in modules  # the files were read
    unused = {"importlib.metadata", "importlib.resources", "zipfile", "email"}
    assert not modules & unused, sorted(modules & unused)

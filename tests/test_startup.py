"""What start-up loads: ``dfl-finance --help`` and ``dfl-finance validate`` do not import pandas, scipy or the app's
libraries (the faces import the commands' modules when a command runs; README, *How the code is laid out*). The time
itself is measured in benchmarks/bench_startup.py, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "pyarrow", "openpyxl", "streamlit", "altair", "dask")

_CODE = """
import json, sys
from dfl_finance.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _CODE, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [("--help",), ("validate", "scenarios/rwanda-ida-credit.toml")])
def test_start_up_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_loads_neither_numpy_nor_the_engine() -> None:
    loaded = _loaded("--help")
    assert "numpy" not in loaded

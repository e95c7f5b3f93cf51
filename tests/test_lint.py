"""The code base passes ruff (pyflakes, pycodestyle, import order) with the settings in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    command = [str(ruff)] if ruff.exists() else [shutil.which("ruff") or pytest.fail("ruff is not installed; "
                                                                                     "pip install -e .[test]")]
    proc = subprocess.run(command + ["check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

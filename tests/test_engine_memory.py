"""The engine's freed memory kept for its next arrays (:mod:`dfl_finance.engine.memory`, issue 21): set once when
the engine is imported, on glibc; off with ``DFL_FINANCE_KEEP_MEMORY=0`` or a malloc setting in the environment
(Dask's workers); and no number changes (where memory comes from is not arithmetic). The time it saves is measured in
benchmarks/bench_engine.py, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dfl_finance import memory

ROOT = Path(__file__).resolve().parents[1]
GLIBC = memory._glibc()

_CODE = """
import hashlib, resource, sys
import numpy as np
from dfl_finance import load_scenario, run
from dfl_finance import memory
kept = memory.keep_freed_memory()  # as dfl_finance.cli.main does for a command
# a freed array of 64 MiB, then another: from the kept heap, not mapped and zeroed again
a = np.ones(1 << 23); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
b = np.ones(1 << 23)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
res = run(load_scenario("scenarios/rwanda-ida-credit.toml"), draws=64)
digest = hashlib.sha256(b"".join(np.ascontiguousarray(v).tobytes() for _, v in sorted(res.summary_arrays().items())))
print(kept, faults, digest.hexdigest())
"""


def _run(keep: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**env, memory.ENV: keep})
    return done.stdout.split()


def test_off_with_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(memory.ENV, "0")
    assert memory.keep_freed_memory() is False


@pytest.mark.parametrize("name, value", [("MALLOC_TRIM_THRESHOLD_", "65536"), ("MALLOC_MMAP_THRESHOLD_", "131072"),
                                         ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=65536")])
def test_a_malloc_setting_in_the_environment_stands(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Dask's nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536 (they give memory back): kept."""
    monkeypatch.delenv(memory.ENV, raising=False)
    monkeypatch.setenv(name, value)
    assert memory.keep_freed_memory() is False


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_kept_memory_changes_no_number_and_is_not_mapped_again() -> None:
    kept, off = _run("1"), _run("0")
    assert kept[0] == "True" and off[0] == "False"
    assert kept[2] == off[2]  # every summary metric of 64 draws, to the last bit
    # 64 MiB is 16,384 pages: taken again from the heap, only a handful are touched for the first time
    assert int(kept[1]) < 100, kept

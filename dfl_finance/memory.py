"""The engine's freed memory kept for its next arrays (issue 21: the cost per draw flat from 1,000 to 100,000 draws).

A run of the engine makes and frees many arrays of a few MB to a few hundred MB (draws x years x cells, ...). With
the C library's defaults (glibc ``malloc``) an array above a threshold (128 KiB at first, rising to 32 MiB) is
mapped from the operating system and given back when freed, and freed memory at the top of the heap above a second
threshold is given back too: the next array of the same size is mapped again, and the kernel zeroes every page of it
on first touch. Measured on the six-source benchmark, that was a third of the engine's CPU time at 10,000 draws
(82 ms of system time of 250, 37,000 page faults a run) and more than half at 100,000 draws (2.7 s of system time of
4.7 s): what made the cost per draw rise with the draws.

:func:`keep_freed_memory` raises both thresholds (``mallopt``'s ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``), so
that arrays up to :data:`MMAP_THRESHOLD` come from the heap and freed heap is kept for the next ones (never trimmed:
a threshold of 2 GiB, the most ``mallopt`` takes, still gave back 0.8 s of faults a run at 100,000 draws, whose arrays
take 3.4 GB). It changes where memory comes from, never a number: the arithmetic is the same to the last bit. The
price is that a process keeps what it freed until it ends: its resident size stays at its peak instead of falling
back. So it is a choice of the face, not of the engine, which importing changes nothing: the command line sets
it for its commands (:func:`dfl_finance.cli.main`, a process that ends when its command does), and so do the
benchmarks that time the engine as the commands run it; the app, a server that lives on between users, keeps the C
library's defaults and gives memory back. On Linux with glibc only (elsewhere nothing is done);
``DFL_FINANCE_KEEP_MEMORY=0`` leaves the C library's defaults, and so does a malloc setting already in the
environment (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_`` or a ``glibc.malloc``
tunable): Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` so that they give memory back, and a
sweep's workers keep that.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: Arrays up to this size come from the heap rather than a mapping of their own (bytes; glibc's M_MMAP_THRESHOLD).
MMAP_THRESHOLD = 1 << 30
#: Freed heap memory above this size is given back to the system (glibc's M_TRIM_THRESHOLD): -1, never.
TRIM_THRESHOLD = -1
#: ``mallopt`` parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Set to 0 to leave the C library's defaults.
ENV = "DFL_FINANCE_KEEP_MEMORY"
#: glibc's own environment variables for its malloc: when one is set, that choice stands.
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):  # no such name on this system: not glibc
        return False


def _chosen() -> bool:
    """Whether the environment already sets glibc's malloc (its own variables, or a ``glibc.malloc`` tunable)."""
    return any(os.environ.get(name) for name in _MALLOC_ENV) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")


def keep_freed_memory() -> bool:
    """Raise glibc's thresholds so that freed arrays are kept for the next ones (see the module's docstring);
    returns whether both were set. Nothing is done off glibc, with ``DFL_FINANCE_KEEP_MEMORY=0``, or when the
    environment already sets malloc (:func:`_chosen`)."""
    if os.environ.get(ENV, "1").strip() == "0" or _chosen() or not _glibc():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))

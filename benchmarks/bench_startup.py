"""Start-up time: what a user waits for before a light command answers, against a bare ``import numpy``.

Run: ``python benchmarks/bench_startup.py [--repeat N]``. Each command runs in a new process (what a user waits for),
interleaved with ``python -c "import numpy"`` (the yardstick) so that a drift of the machine's speed moves both; the
ratio is taken pair by pair and its median printed, in wall time and in CPU time (user + system of the child, from
``resource.getrusage``). Goal (issue 21): every command's import path loads only what it uses; ``validate`` under
2x ``import numpy``. ``--help``, ``countries`` and ``templates`` are held to the same bound (they load no numpy).
The commands run with Python's bytecode cache on, as a user's do (:func:`goals.user_env`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from goals import Goal, print_goals, timed_command

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0


def _cli() -> str:
    script = Path(sys.executable).with_name("dfl-finance")
    return str(script) if script.exists() else (shutil.which("dfl-finance") or "dfl-finance")


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``command`` in a new process, from the checkout's folder."""
    return timed_command(command, cwd=ROOT)


def paired(command: list[str], yardstick: list[str], repeat: int) -> dict[str, float]:
    """Medians of ``command`` and of the yardstick, and of their ratios pair by pair, in wall and CPU time."""
    timed(command), timed(yardstick)  # warm the file cache
    runs = [(timed(command), timed(yardstick)) for _ in range(repeat)]
    return {"wall": statistics.median(a[0] for a, _ in runs), "cpu": statistics.median(a[1] for a, _ in runs),
            "wall_ratio": statistics.median(a[0] / b[0] for a, b in runs),
            "cpu_ratio": statistics.median(a[1] / b[1] for a, b in runs),
            "numpy_wall": statistics.median(b[0] for _, b in runs)}


def goals(quick: bool = False, repeat: int | None = None) -> list[Goal]:
    """Each light command against ``import numpy`` (wall and CPU ratios of interleaved pairs)."""
    repeat = repeat or (5 if quick else 15)
    scenarios = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    numpy = [sys.executable, "-c", "import numpy"]
    cases = {
        "dfl-finance --help": [_cli(), "--help"],
        "dfl-finance validate (1 bundled scenario)": [_cli(), "validate", scenarios[0]],
        f"dfl-finance validate ({len(scenarios)} bundled scenarios)": [_cli(), "validate", *scenarios],
        "dfl-finance countries": [_cli(), "countries"],
        "dfl-finance templates": [_cli(), "templates"],
    }
    out = []
    for name, command in cases.items():
        m = paired(command, numpy, repeat)
        how = (f"{m['wall'] * 1e3:.0f} ms wall, {m['cpu'] * 1e3:.0f} ms CPU; import numpy {m['numpy_wall'] * 1e3:.0f} "
               f"ms wall; the larger of the wall and CPU ratios, median of {repeat} interleaved pairs")
        out.append(Goal(f"{name}, x import numpy", max(m["wall_ratio"], m["cpu_ratio"]), "x", GOAL_RATIO, how=how))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"yardstick: python -c 'import numpy'; goal: a light command under {GOAL_RATIO:g}x it")
    print_goals(goals(repeat=args.repeat))


if __name__ == "__main__":
    main()

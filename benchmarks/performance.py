"""Run every benchmark's goals and write the README's performance table from what this machine measured.

Run: ``python benchmarks/performance.py [--quick] [--only NAME ...] [--write]``. Each benchmark module's
``goals(quick)`` runs in a new process (one does not warm the next); the table gives each figure, its goal (issue 21)
and whether it is met, with the machine (processor, cores, memory, Python and numpy) and the date. ``--write``
replaces the table between the ``<!-- performance-table -->`` markers of README.md; without it the table is printed.
The figures are those of the machine at hand: a busy machine gives slower ones, and the table says how busy it was
(the load average before and after).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
START, END = "<!-- performance-table -->", "<!-- /performance-table -->"
#: The benchmarks with goals, in the README's order.
BENCHMARKS = ("bench_startup", "bench_engine", "bench_risk", "bench_app_browser", "bench_schools", "bench_sweep")

_CODE = """
import json, sys
sys.path.insert(0, {here!r})
import {name} as bench
goals = bench.goals(quick={quick})
for g in goals:
    g = g.__class__(**{{**g.as_dict(), "benchmark": {name!r}}})
    print("GOAL " + json.dumps(g.as_dict()))
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    import numpy

    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, numpy {numpy.__version__}")


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run(name: str, quick: bool) -> list[dict]:
    code = _CODE.format(here=str(HERE), name=name, quick=quick)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    rows = [json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("GOAL ")]
    if done.returncode != 0 or not rows:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return [{"what": f"{name}: did not run ({tail[0]})", "measured": float("nan"), "unit": "",
                 "bound": None, "below": True, "how": "", "benchmark": name}]
    return rows


def table(rows: list[dict], header: str) -> str:
    sys.path.insert(0, str(HERE))
    from goals import Goal

    lines = [header, "", "| Benchmark | What a user waits for | Measured | Goal | |", "|---|---|---:|---:|---|"]
    for r in rows:
        g = Goal(**r)
        how = f" ({g.how})" if g.how else ""
        lines.append(f"| `{g.benchmark}` | {g.what}{how} | {g.figure()} | {g.goal_text()} | {g.verdict()} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    parser.add_argument("--only", nargs="*", default=None, help="these benchmarks only (names without .py)")
    parser.add_argument("--write", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    names = [n for n in BENCHMARKS if args.only is None or n in args.only]
    before = load()
    rows: list[dict] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(run(name, args.quick))
    command = "python benchmarks/performance.py" + (" --quick" if args.quick else "")
    header = (f"Measured on {dt.date.today():%Y-%m-%d} by `{command}` on {machine()}; load average {before} before, "
              f"{load()} after.")
    text = table(rows, header)
    print(text)
    if args.write:
        readme = README.read_text(encoding="utf-8")
        if START not in readme or END not in readme:
            raise SystemExit(f"README.md has no {START} ... {END} markers")
        head, rest = readme.split(START, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"wrote the table into {README}", file=sys.stderr)


if __name__ == "__main__":
    main()

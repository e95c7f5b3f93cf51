"""Every table every command writes on the bundled scenarios and examples, and the sha256 of each file.

A restructuring must not change what a user gets: run this before and after and compare the two lists
(``--compare OLD.json``). CSV and XLSX files are hashed byte for byte (workbooks are written byte-identical for
identical tables); ``manifest.json`` without the fields that change from run to run or machine to machine (the time, the
package and library versions, the data folder's absolute path). A scenario written by a command
(``--write-scenario``) is hashed too.

    python -m tests.output_hashes --out /tmp/hashes --save before.json
    python -m tests.output_hashes --out /tmp/hashes2 --compare before.json

It runs each command in a fresh process as a user would (``python -m dfl_finance``), with small draw counts so that
the whole takes about 15 s. ``tests/test_written_tables.py`` checks the tables it writes (rounding, finite numbers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The fields of manifest.json that differ between two identical runs.
VOLATILE = {"created", "version", "versions"}


def commands(out: Path) -> dict[str, list[str]]:
    """name -> the arguments of ``dfl-finance`` (each writes into ``out/<name>``)."""
    sc = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.toml"))
    ex = ROOT / "examples"
    return {
        "run": ["run", *sc, "--out", str(out / "run"), "--xlsx"],
        "run-usd": ["run", *sc, "--out", str(out / "run-usd"), "--basis", "nominal-usd"],
        "compare": ["compare", *[s for s in sc if "rwanda" in s], "--baseline", "Rwanda: domestic budget only",
                    "--out", str(out / "compare")],
        "risk": ["risk", *sc, "--draws", "200", "--seed", "7", "--out", str(out / "risk")],
        "stress": ["stress", *sc, "--out", str(out / "stress")],
        "budget": ["budget", "scenarios/rwanda-ida-credit.toml", "--out", str(out / "budget")],
        "sensitivity": ["sensitivity", "scenarios/rwanda-ida-credit.toml", "--n", "64", "--seed", "3",
                        "--out", str(out / "sensitivity")],
        "optimise": ["optimise", "scenarios/kenya-ida-gpe.toml", "--out", str(out / "optimise"),
                     "--write-scenario", str(out / "optimise-best.toml")],
        "optimise-draws": ["optimise", "scenarios/rwanda-ida-credit.toml", "--draws", "20", "--seed", "5",
                           "--out", str(out / "optimise-draws")],
        "schools": ["schools", "data/schools-rwanda-synthetic.csv", "--budget", "300000", "--order",
                    "remote-first", "--out", str(out / "schools")],
        # a discount rate and the fibre extension: the discounting of the school model (rate 0 discounts nothing)
        "schools-rate": ["schools", "data/schools-rwanda-synthetic.csv", "--rate", "0.0264", "--extend-fibre",
                         "--order", "cost-per-learner", "--out", str(out / "schools-rate")],
        "schools-linked": ["schools", "data/schools-rwanda-synthetic.csv", "--scenario",
                           "scenarios/rwanda-ida-credit.toml", "--out", str(out / "schools-linked"),
                           "--write-scenario", str(out / "schools-linked.toml")],
        **{f"portfolio-{p.stem}": ["portfolio", str(p.relative_to(ROOT)), "--out", str(out / f"portfolio-{p.stem}")]
           for p in sorted(ex.glob("portfolio-*.toml"))},
        **{f"sweep-{p.stem}": ["sweep", str(p.relative_to(ROOT)), "--out", str(out / f"sweep-{p.stem}"),
                               "--workers", "0"]
           for p in sorted(ex.glob("sweep-*.toml"))},
    }


def _stable_manifest(data: dict) -> dict:
    """The manifest without the time, the versions and the data folder's absolute path."""
    out = {k: v for k, v in data.items() if k not in VOLATILE}
    if isinstance(out.get("data"), dict):
        out["data"] = {k: v for k, v in out["data"].items() if k != "folder"}
    return out


def file_hash(path: Path) -> str:
    """The sha256 of a file, the checkout's own folder written as ``<repo>`` (so that two checkouts of the same code,
    such as a worktree of the commit before a change, hash the same; a file naming a bundled file names it by its
    full path)."""
    if path.name == "manifest.json":
        data = json.loads(path.read_text(encoding="utf-8").replace(str(ROOT), "<repo>"))
        text = json.dumps(_stable_manifest(data), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
    return hashlib.sha256(path.read_bytes().replace(str(ROOT).encode(), b"<repo>")).hexdigest()


def write_all(out: Path) -> dict[str, str]:
    """Run every command into ``out`` (emptied first); ``{relative path: sha256}`` of every file written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, args in commands(out).items():
        proc = subprocess.run([sys.executable, "-m", "dfl_finance", *args], cwd=ROOT, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{name} failed ({proc.returncode}):\n{proc.stderr}")
    return {str(p.relative_to(out)): file_hash(p) for p in sorted(out.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (emptied first)")
    parser.add_argument("--save", type=Path, help="write the hashes as JSON here")
    parser.add_argument("--compare", type=Path, help="compare with hashes saved earlier")
    args = parser.parse_args(argv)
    hashes = write_all(args.out)
    print(f"{len(hashes)} files written under {args.out}")
    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        changed = sorted(k for k in old.keys() & hashes.keys() if old[k] != hashes[k])
        gone, new = sorted(old.keys() - hashes.keys()), sorted(hashes.keys() - old.keys())
        for label, names in (("changed", changed), ("no longer written", gone), ("new", new)):
            for n in names:
                print(f"{label}: {n}")
        if changed or gone or new:
            return 1
        print("identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

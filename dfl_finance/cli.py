"""The ``dfl-finance`` command line. It holds no model logic: it calls the public API and prints.

Exit status: 0 success, 2 bad input (invalid scenario, missing file, bad option), never a traceback for input a
user can get wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import DflFinanceError, Problem, ScenarioError
from .export import manifest, write_tables
from .results import assumptions_df, combine_tables, compare, run
from .schema import Scenario, load_scenario

EXIT_OK, EXIT_INPUT = 0, 2


def _load_all(files: list[str]) -> list[Scenario]:
    """Load every file, reporting the problems of all of them at once; two files may not share a name."""
    scenarios, errors = [], []
    for f in files:
        try:
            scenarios.append(load_scenario(f))
        except ScenarioError as exc:
            errors.append(exc)
    if errors:
        raise ScenarioError([p for e in errors for p in _with_file(e)])
    seen: dict[str, str] = {}
    for f, sc in zip(files, scenarios):
        if sc.name in seen:
            raise ScenarioError([Problem("scenario.name", f"the same scenario name as {seen[sc.name]}; names "
                                         "identify scenarios in every output and must differ", sc.name)], file=f)
        seen[sc.name] = f
    return scenarios


def _with_file(exc: ScenarioError) -> list[Problem]:
    """Problems of ``exc`` with the file folded into the path, so several files can be reported together."""
    if not exc.file:
        return exc.problems
    return [Problem(f"{exc.file}: {p.path}" if p.path else exc.file, p.message, p.value, p.has_value)
            for p in exc.problems]


def _format_number(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    return f"{x:,.2f}" if abs(x) < 1000 else f"{x:,.0f}"


def summary_text(summary: pd.DataFrame) -> str:
    """A compact table: one row per metric, one column per scenario."""
    wide = summary.set_index(["metric", "unit", "scenario"])["value"].unstack("scenario")
    rows = list(dict.fromkeys(zip(summary["metric"], summary["unit"])))
    wide = wide.reindex(index=pd.MultiIndex.from_tuples(rows, names=["metric", "unit"]),
                        columns=list(dict.fromkeys(summary["scenario"])))
    return wide.map(_format_number).to_string()


def cmd_validate(args: argparse.Namespace) -> int:
    failed = False
    for f in args.files:
        try:
            load_scenario(f)
            print(f"ok  {f}")
        except ScenarioError as exc:
            failed = True
            print(str(exc), file=sys.stderr)
    if not failed and len(args.files) > 1:
        _load_all(args.files)  # duplicate names across files
    return EXIT_INPUT if failed else EXIT_OK


def _write(tables: dict[str, pd.DataFrame], args: argparse.Namespace, scenarios: list[Scenario],
           workbook_only: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write the tables as CSV (and, with --xlsx, one workbook that adds ``workbook_only`` and the assumptions)."""
    meta = manifest([sc.name for sc in scenarios], input_files=args.files)
    extra = {**(workbook_only or {}), "assumptions": assumptions_df(scenarios)} if args.xlsx else None
    try:
        return write_tables(tables, args.out, meta=meta, xlsx="dfl-finance.xlsx" if args.xlsx else None,
                            extra_sheets=extra)
    except OSError as exc:
        raise DflFinanceError(f"cannot write the results to {args.out}: {exc.strerror or exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    scenarios = _load_all(args.files)
    tables = combine_tables([run(sc) for sc in scenarios])
    written = _write(tables, args, scenarios)
    print(summary_text(tables["summary"]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    scenarios = _load_all(args.files)
    results = [run(sc) for sc in scenarios]
    table = compare(results, baseline=args.baseline)
    written = _write({"comparison": table}, args, scenarios,
                     workbook_only=combine_tables(results) if args.xlsx else None)
    print(comparison_text(table))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def comparison_text(table: pd.DataFrame) -> str:
    shown = table.set_index(["metric", "unit"])
    return shown.map(_format_number).to_string()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfl-finance",
        description="Cost and financing model for data-for-learning programmes (scenario files in TOML).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files; prints ok per valid file",
                       description="Check scenario files. Prints `ok FILE` per valid file; problems go to stderr "
                       "with the file, the field and the value. Exit status 0 if all are valid, else 2.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="run scenarios and write the result tables",
                       description="Run scenarios and write costs.csv, financing.csv, debt_service.csv, "
                       "fiscal.csv, outcomes.csv, summary.csv and manifest.json into DIR (created if missing; nothing is written if any scenario fails). "
                       "Rows are tagged by scenario name.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files (names must differ)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--xlsx", action="store_true", help="also write dfl-finance.xlsx: a sheet per table and an "
                   "assumptions sheet with every input")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios side by side",
                       description="Run scenarios and write comparison.csv: metric, unit, one column per scenario "
                       "and a `delta_vs_<baseline> (<scenario>)` column (scenario minus baseline) per other "
                       "scenario. Prints the table.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files (names must differ)")
    p.add_argument("--baseline", metavar="NAME", help="scenario name to compare against (default: the first)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--xlsx", action="store_true", help="also write dfl-finance.xlsx: the comparison, every "
                   "table of every scenario and an assumptions sheet")
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DflFinanceError as exc:
        print(f"error: {exc}" if not isinstance(exc, ScenarioError) else str(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

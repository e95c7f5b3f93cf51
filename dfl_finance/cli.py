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
from .formatting import format_value
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


def _legend(names: list[str], baseline: str | None = None) -> tuple[list[str], str]:
    keys = [f"[{i + 1}]" for i in range(len(names))]
    lines = [f"  {k} {n}{' (baseline)' if n == baseline else ''}" for k, n in zip(keys, names)]
    return keys, "\n".join(["Scenarios:", *lines])


def _readable(rows: pd.DataFrame, value_columns: list[str], keys: list[str]) -> str:
    """metric, unit and the value columns (renamed to ``keys``), each value formatted for its unit."""
    out = pd.DataFrame({"metric": rows["metric"], "unit": rows["unit"]})
    for col, key in zip(value_columns, keys):
        out[key] = [format_value(v, u) for v, u in zip(rows[col], rows["unit"])]
    return out.to_string(index=False)


def summary_text(summary: pd.DataFrame) -> str:
    """A compact table: one row per metric, one column per scenario (named in a legend above)."""
    names = list(dict.fromkeys(summary["scenario"]))
    wide = summary.pivot(index="metric", columns="scenario", values="value")
    rows = summary.drop_duplicates("metric")[["metric", "unit"]].reset_index(drop=True)
    for n in names:
        rows[n] = wide.reindex(rows["metric"])[n].to_numpy()
    keys, legend = _legend(names)
    return f"{legend}\n\n{_readable(rows, names, keys)}"


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison with scenarios as [1], [2], ... and the deltas as [k]-[baseline]."""
    deltas = [c for c in table.columns[2:] if c.startswith("delta_vs_")]
    names = [c for c in table.columns[2:] if c not in deltas]
    baseline = next((n for n in names if all(d.startswith(f"delta_vs_{n} (") for d in deltas)), names[0])
    keys, legend = _legend(names, baseline)
    base_key = keys[names.index(baseline)]
    delta_keys = [f"{keys[names.index(d[len(f'delta_vs_{baseline} ('):-1])]}-{base_key}" for d in deltas]
    return f"{legend}\n\n{_readable(table, names + deltas, keys + delta_keys)}"


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
    currencies = sorted({sc.scenario.currency for sc in scenarios})
    if len(currencies) > 1:
        print(f"warning: the scenarios use different currencies ({', '.join(currencies)}); their amounts and "
              "deltas are not comparable", file=sys.stderr)
    table = compare(results, baseline=args.baseline)
    written = _write({"comparison": table}, args, scenarios,
                     workbook_only=combine_tables(results) if args.xlsx else None)
    print(comparison_text(table))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_countries(args: argparse.Namespace) -> int:
    from .profiles import country_profiles

    fields = ["schools", "learners", "teachers", "connected_share", "education_budget", "budget_growth"]
    rows = []
    for iso3, prof in sorted(country_profiles().items()):
        row = {"iso3": iso3, "country": prof.name}
        for f in fields:
            v = prof.values.get(f)
            if v is None:
                row[f] = "-"
                continue
            text = format_value(v.value, {"education_budget": "USD", "connected_share": "share",
                                          "budget_growth": "share"}.get(f, "count"))
            if f in ("schools", "learners", "teachers"):
                text = f"{v.value:,.0f}"
            row[f] = text + ("*" if v.placeholder else "")
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    print("\n* placeholder: no public source yet (see data/country_profiles.csv for every value's source and year)")
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    from .profiles import templates

    rows = []
    for name, tpl in templates().items():
        lines = tpl["cost"]
        rows.append({"template": name, "pillar": tpl["pillar"], "driver": tpl["driver"],
                     "cost lines": len(lines),
                     "placeholders": sum("PLACEHOLDER" in c.get("source_note", "") for c in lines),
                     "name": tpl.get("name", "")})
    print(pd.DataFrame(rows).to_string(index=False))
    print('\nUse one in a scenario: [[programme]] template = "emis" (fields written there override it).')
    return EXIT_OK


def cmd_data_check(args: argparse.Namespace) -> int:
    from .datacheck import check_data

    problems, notes = check_data(args.scenarios)
    for note in notes:
        print(f"ok  {note}" if not problems else f"    {note}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"data-check: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _scenario_and_output_args(p: argparse.ArgumentParser, workbook: str) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files (names must differ)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--xlsx", action="store_true", help=f"also write dfl-finance.xlsx: {workbook}")


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
                       "fiscal.csv, outcomes.csv, summary.csv and manifest.json into DIR (created if missing; "
                       "nothing is written if any scenario fails). Rows are tagged by scenario name.")
    _scenario_and_output_args(p, "a sheet per table and an assumptions sheet with every input")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios side by side",
                       description="Run scenarios and write comparison.csv: metric, unit, one column per scenario "
                       "and a `delta_vs_<baseline> (<scenario>)` column (scenario minus baseline) per other "
                       "scenario. Prints the table.")
    _scenario_and_output_args(p, "the comparison, every table of every scenario and an assumptions sheet")
    p.add_argument("--baseline", metavar="NAME", help="scenario name to compare against (default: the first)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("countries", help="list the country profiles in data/",
                       description="List the country profiles that `scenario.country` can name, with their values "
                       "(* marks a placeholder without a public source).")
    p.set_defaults(func=cmd_countries)

    p = sub.add_parser("templates", help="list the programme templates in data/",
                       description="List the programme templates that `[[programme]] template = ...` can name.")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("data-check", help="check the data folder and the bundled scenarios",
                       description="Check that every value in data/ has a source or a placeholder flag, uses a "
                       "known unit and is not negative; that every template expands to a valid programme; and "
                       "that every bundled scenario validates and runs. Exit status 0 if all pass, else 2.")
    p.add_argument("--scenarios", metavar="DIR", help="folder of scenarios to check (default: scenarios/)")
    p.set_defaults(func=cmd_data_check)
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

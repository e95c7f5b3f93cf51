"""``dfl-finance new --country ISO3 --out FILE``: write a complete scenario for a profiled country
(:func:`dfl_finance.inputs.country_scenario.country_scenario`, which the app's "Start from a country" also uses)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dfl_finance.cli.commands import EXIT_INPUT, EXIT_OK, FLAGS
from dfl_finance.errors import DflFinanceError, OptionError, ScenarioError

#: The options of ``new`` by their keyword argument, as the command line says them.
NEW_FLAGS = {"country": "--country", "plan": "--plan", "out": "--out", "start_year": "--start-year",
             "years": "--years"}


def cmd_new(args: argparse.Namespace) -> int:
    """Write the scenario of ``--country`` to ``--out`` (refused if the file exists, unless ``--force``); it is
    validated before it is written. Exit status 2 (the problem on stderr) for a country without a profile, a profile
    without a field the scenario needs, an unknown template, or an existing file."""
    try:
        path = write_new(args)
    except DflFinanceError as exc:
        text = exc.in_words({**FLAGS, **NEW_FLAGS})
        print(text if isinstance(exc, ScenarioError) else f"error: {text}", file=sys.stderr)
        return EXIT_INPUT
    print(f"wrote {path}\nrun it: dfl-finance run {path} --out <folder>")
    return EXIT_OK


def write_new(args: argparse.Namespace) -> Path:
    """The file ``new`` writes, validated, and what it says about the scenario on standard output."""
    # loaded when the command runs: `--help` starts without pandas and the engine
    from dfl_finance.atomic import write_file_atomically
    from dfl_finance.inputs.country_scenario import country_scenario
    from dfl_finance.inputs.references import placeholder_fields
    from dfl_finance.model.load import parse_scenario

    out = Path(args.out)
    if out.is_dir():
        raise OptionError("out", f"{out} is a folder: give the name of the scenario file to write (e.g. "
                          f"{out / (args.country.lower() + '.toml')})")
    if out.exists() and not args.force:
        raise OptionError("out", f"{out} exists: give --force to overwrite it, or another file name")
    plan = args.plan.split(",") if args.plan is not None else None
    text = country_scenario(args.country, plan=plan, start_year=args.start_year, years=args.years)
    scenario = parse_scenario(text, file=str(out), folder=out.parent)  # it validates (and names what it reads)
    try:
        write_file_atomically(out, text, exclusive=not args.force)  # exclusive: never over a file made meanwhile
    except FileExistsError:
        raise OptionError("out", f"{out} exists: give --force to overwrite it, or another file name") from None
    except OSError as exc:
        raise OptionError("out", f"cannot write {out}: {exc.strerror or exc}") from None
    sources = ", ".join(f"{s.id} ({s.kind}{', ' + s.terms if s.terms else ''})" for s in scenario.source)
    print(f"{scenario.name}: {scenario.scenario.currency}, {scenario.scenario.start_year}-"
          f"{scenario.scenario.start_year + scenario.scenario.years - 1}, {len(scenario.programme)} programmes; "
          f"sources {sources}")
    holes = placeholder_fields(scenario)
    if holes:
        print(f"{len(holes)} values have no public source yet (PLACEHOLDER in the file's comments and cost lines' "
              "source_note)")
    return Path(os.path.normpath(out))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``new`` command's parser."""
    p = sub.add_parser("new", help="write a complete scenario for a profiled country",
                       description="Write a complete, commented scenario for a country of data/country_profiles.csv: "
                       "its currency, budget, prices, exchange rate and debt figures from the profile, the three "
                       "pillars (connectivity; EMIS and devices; data skills and governance) from data/templates.toml, "
                       "IDA's terms for its lending category and risk of debt distress (or an IBRD loan), a GPE grant "
                       "where its income group is eligible, and the education budget. Every value says where it came "
                       "from. A country without a profile is refused (exit status 2) with the fields to give.")
    p.add_argument("--country", required=True, metavar="ISO3", help="the country's ISO3 code (`dfl-finance countries` "
                   "lists the profiles)")
    p.add_argument("--plan", metavar="TEMPLATES", help="comma-separated programme templates of data/templates.toml "
                   "(`dfl-finance templates`; default: connectivity-satellite, emis, devices, "
                   "teacher-data-skills-online, officials-data-literacy, data-governance), or a plan template file "
                   "(e.g. examples/plan-template.toml: its programmes, as a portfolio's template)")
    p.add_argument("--out", required=True, metavar="FILE", help="the scenario file to write (.toml)")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.add_argument("--start-year", type=int, default=2026, metavar="YEAR", help="first year of the plan "
                   "(default: %(default)s)")
    p.add_argument("--years", type=int, default=10, metavar="N", help="years of the plan (default: %(default)s)")
    p.set_defaults(func=cmd_new)

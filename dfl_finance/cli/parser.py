"""The parser of ``dfl-finance``: its commands and options (argparse), and the converters that check an option's
value as it is read."""

from __future__ import annotations

import argparse

from dfl_finance.cli.commands import (
    DRAWS_OUT_ROWS,
    cmd_budget,
    cmd_compare,
    cmd_countries,
    cmd_country_build,
    cmd_country_import,
    cmd_data_check,
    cmd_optimise,
    cmd_portfolio,
    cmd_risk,
    cmd_run,
    cmd_schools,
    cmd_sensitivity,
    cmd_stress,
    cmd_sweep,
    cmd_templates,
    cmd_validate,
    cmd_verify,
)
from dfl_finance.cli.new import add_parser as add_new_parser
from dfl_finance.vocabulary import FIRST_STAGES, MAX_DRAWS, MAX_SEED, PRICE_BASES, SAMPLING_METHODS
from dfl_finance.vocabulary import SCHOOL_ORDERS as ORDERS
from dfl_finance.vocabulary import VERSION as __version__

#: The default price basis of ``dfl-finance budget``: a ministry's budget submission is in current prices in the
#: local currency (docs/method.md, The MTEF and the budget submission).
BUDGET_BASIS = "nominal-lcu"


def _min_share(text: str) -> tuple[str, float]:
    """``--min-share gpe=0.2`` -> ("gpe", 0.2)."""
    sid, eq, share = text.partition("=")
    try:
        if not eq or not sid.strip():
            raise ValueError
        return sid.strip(), float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write SOURCE=SHARE, e.g. gpe=0.2 (got {text!r})") from None


def _outcome_target(text: str) -> tuple[str, float]:
    """``--target teachers_trained=20000`` -> ("teachers_trained", 20000.0)."""
    measure, eq, value = text.partition("=")
    try:
        if not eq or not measure.strip():
            raise ValueError
        number = float(value)
        if not number >= 0 or number == float("inf"):
            raise ValueError
        return measure.strip(), number
    except ValueError:
        raise argparse.ArgumentTypeError(f"write OUTCOME=VALUE with a value >= 0, e.g. teachers_trained=20000 (got "
                                         f"{text!r})") from None


def _draws(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 1 <= n <= MAX_DRAWS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DRAWS:,} (got {n})")
    return n


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 0 <= n <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1 (got {n})")
    return n


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder (got an empty name)")
    return text


def _scenario_and_output_args(p: argparse.ArgumentParser, workbook: str) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario TOML files (names must differ)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder,
                   help="output folder (created if missing). Files of an earlier run there are replaced and its "
                   "outputs that this run does not write are removed; a file that its manifest.json does not list "
                   "is never overwritten (the run stops instead)")
    p.add_argument("--xlsx", action="store_true", help=f"also write dfl-finance.xlsx: a README sheet, {workbook}")
    p.add_argument("--excel-csv", action="store_true",
                   help="start every CSV with a UTF-8 byte order mark, so that Excel shows accents right")
    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of every amount: constant prices of the scenario's price_year (real) or "
                   "current prices (nominal), in its local currency (lcu) or in USD (default: %(default)s)")


def _years_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--years", choices=("calendar", "fiscal"), default="calendar",
                   help="write every yearly table by calendar year (a year column, the default) or by the "
                   "scenario's fiscal year ([scenario] fiscal_year_start: a fiscal_year column, \"2026/27\"); "
                   "totals are the same in both (docs/method.md, Fiscal years)")


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
                       "fiscal.csv, outcomes.csv, dsf.csv (debt sustainability), summary.csv, incremental.csv "
                       "(for a scenario with a [scenario] baseline) and manifest.json (inputs, data files, library "
                       "versions and every output with its sha256) into DIR, all or nothing: if any scenario or "
                       "file fails, DIR is left as it was. Rows are tagged by scenario name. Exit status 0, 2 on "
                       "bad input, 141 when standard output is closed early (as in `| head`).")
    _scenario_and_output_args(p, "a sheet per table and an assumptions sheet with every input")
    _years_arg(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios side by side",
                       description="Run scenarios and write comparison.csv, one row per metric and scenario: "
                       "metric, label, unit, scenario, value, baseline, delta (the scenario's value minus the "
                       "baseline's), and manifest.json into DIR, all or nothing as with `run`. Scenarios in different "
                       "currencies or with different start years get no deltas. Prints the table.")
    _scenario_and_output_args(p, "the comparison, every table of every scenario and an assumptions sheet")
    p.add_argument("--baseline", metavar="NAME", help="scenario name to compare against (default: the first)")
    _years_arg(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("risk", help="run scenarios over draws of their uncertain inputs",
                       description="Run each scenario over draws of its [[uncertain]] inputs (the [risk] table: "
                       "draws, seed, method; the options below win) and write quantiles.csv (every summary metric "
                       "and prob_over_limit at p5, p10, p50, p90, p95 and the mean), yearly_quantiles.csv (each "
                       "year's cost, gap and burden share), summary.csv (the deterministic run), draws.csv with "
                       "--draws-out, and manifest.json (with the seed) into DIR, all or nothing. The same seed gives "
                       "the same numbers on any machine.")
    _scenario_and_output_args(p, "a sheet per table and an assumptions sheet with every input")
    p.add_argument("--draws", type=_draws, metavar="N", help="number of draws (default: the file's [risk] draws)")
    p.add_argument("--seed", type=_seed, metavar="S", help="seed of the random numbers (default: the file's)")
    p.add_argument("--method", choices=SAMPLING_METHODS, help="sampling design (default: the file's, lhs)")
    p.add_argument("--draws-out", nargs="?", const="csv", choices=("csv", "parquet"), metavar="FORMAT",
                   help="also write every metric of every draw: draws.csv, or draws.parquet with --draws-out "
                        f"parquet (at most {DRAWS_OUT_ROWS:,} rows)")
    p.set_defaults(func=cmd_risk)

    p = sub.add_parser("stress", help="run scenarios under named stress tests",
                       description="Run each scenario unstressed (baseline) and under each stress test: its "
                       "[[stress]] rows, else the built-in set (depreciation, budget_growth, capex_overrun, "
                       "pledge_shortfall, delay; docs/method.md, Stress tests), or those named with --stress. Writes "
                       "stress_summary.csv (every summary metric per stress, with the baseline's value and the "
                       "delta), stress_fiscal.csv and stress_dsf.csv (fiscal.csv and dsf.csv under each stress, "
                       "with a stress column) and manifest.json (what each stress does, and why one does not apply) "
                       "into DIR, all or nothing.")
    _scenario_and_output_args(p, "a sheet per table and an assumptions sheet with every input")
    p.add_argument("--stress", action="append", metavar="NAME",
                   help="a stress to run instead of the file's: name[:source][=size], e.g. depreciation, "
                   "capex_overrun=0.3, pledge_shortfall:ida, delay:gpe=3 (repeat for several)")
    p.set_defaults(func=cmd_stress)

    p = sub.add_parser("optimise", help="the best financing mix: an optimiser over the sources",
                       description="Solve the scenario's financing as a linear programme (HiGHS): the mix that leaves "
                       "the smallest gap and, at that gap, costs the government the least in present value, within "
                       "every rule of the waterfall (eligibility, windows, caps, commitments, match ratios, the "
                       "envelope) and the optional limits below. Writes the optimal mix's tables (as `run`), "
                       "shadow_prices.csv (what one more unit of each constraint is worth), comparison.csv (the "
                       "waterfall against the optimum) and manifest.json into DIR, all or nothing. Method: "
                       "docs/method.md, The optimiser.")
    p.add_argument("file", metavar="FILE", help="a scenario TOML file")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--objective", choices=FIRST_STAGES, default=FIRST_STAGES[0],
                   help="what comes first: the total gap, or its present value (pv-gap); then the PV cost to the "
                   "government (default: %(default)s)")
    p.add_argument("--burden-limit", action="store_true",
                   help="keep the burden share within the scenario's burden_limit in every year")
    p.add_argument("--dsf", action="store_true",
                   help="keep the four LIC-DSF debt ratios (baseline plus plan) at or below the thresholds of the "
                   "country's debt-carrying capacity in every year (needs [debt] gdp and capacity)")
    p.add_argument("--max-debt", type=float, metavar="AMOUNT",
                   help="at most this much disbursed by all loans (constant prices, the scenario's currency)")
    p.add_argument("--max-pv-debt", type=float, metavar="USD",
                   help="at most this present value of new external debt, in USD at current prices: each external "
                   "loan's disbursements at their PV at 5%% when disbursed, at most their face value (the IMF's "
                   "measure for debt ceilings; docs/method.md, Concessionality)")
    p.add_argument("--min-share", type=_min_share, action="append", metavar="SOURCE=SHARE",
                   help="a source pays at least this share of the plan's cost, e.g. gpe=0.2 (repeat for several)")
    p.add_argument("--late-weight", type=float, default=0.0, metavar="W",
                   help="weigh later years' burden up: year j counts 1 + W j / (H - 1) times (default: 0)")
    p.add_argument("--draws", type=_draws, metavar="N",
                   help="also optimise each of N draws of the file's [[uncertain]] inputs (its own best mix per "
                   "draw) and write quantiles.csv of the waterfall and of the optimum over the draws")
    p.add_argument("--seed", type=_seed, metavar="S", help="seed of the draws (default: the file's [risk] seed)")
    p.add_argument("--method", choices=SAMPLING_METHODS, help="sampling design of the draws (default: the file's)")
    p.add_argument("--write-scenario", metavar="PATH",
                   help="also write the optimal mix as a scenario file (each source's annual_cap per year), which "
                   "the waterfall reproduces; refused if PATH exists")
    p.add_argument("--xlsx", action="store_true", help="also write dfl-finance.xlsx (a sheet per table)")
    p.add_argument("--excel-csv", action="store_true",
                   help="start every CSV with a UTF-8 byte order mark, so that Excel shows accents right")
    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of every amount (default: %(default)s)")
    p.add_argument("--target", type=_outcome_target, metavar="OUTCOME=VALUE",
                   help="first scale the programmes that produce an outcome (an outcomes.csv column, e.g. "
                   "teachers_trained=20000) so that the plan reaches it by its end at the least PV cost, then "
                   "optimise the financing of that plan; writes outcome_target.csv (docs/method.md, Outcomes and "
                   "cost per outcome)")
    p.set_defaults(func=cmd_optimise)

    p = sub.add_parser("schools", help="least-cost connectivity school by school, and the equity view",
                       description="For a school table (CSV or Parquet; columns in docs/method.md, Schools; the Giga "
                       "school data's names are read too): each school's feasible technologies and their cost over "
                       "the horizon, the least-cost choice and a solar kit where there is no power, the order and "
                       "year in which it is connected, and the equity view. Writes schools.csv, segments.csv, "
                       "equity.csv and manifest.json into DIR, all or nothing. Amounts in USD.")
    p.add_argument("table", metavar="TABLE", help="the school table (.csv or .parquet)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--horizon", type=int, default=10, metavar="N", help="years of the plan (default: %(default)s)")
    p.add_argument("--start-year", type=int, default=2026, metavar="YEAR", help="first year (default: %(default)s)")
    p.add_argument("--order", choices=ORDERS, default=ORDERS[0],
                   help="the order of connection (default: %(default)s)")
    p.add_argument("--budget", type=float, metavar="USD", help="capex a year (default: an even pace to the target)")
    p.add_argument("--target-year", type=int, metavar="YEAR", help="the year by which every school is connected "
                   "at an even pace (default: the last year)")
    p.add_argument("--rate", type=float, default=0.0, metavar="R",
                   help="discount rate of the cost over the horizon (default: 0, undiscounted)")
    p.add_argument("--prefer", metavar="LIST", help="take the first feasible technology of this list instead of the "
                   "cheapest, e.g. fibre,cellular,p2p,satellite")
    p.add_argument("--fibre-nodes", metavar="FILE", help="a table of fibre nodes (lat, lon) to measure each school's "
                   "distance to fibre from, instead of its fiber_distance_km column")
    p.add_argument("--extend-fibre", action="store_true", help="schools on fibre become nodes for the others "
                   "(greedy nearest extension, docs/method.md)")
    p.add_argument("--scenario", metavar="FILE", help="a scenario whose connectivity programme takes its costs from "
                   "the school plan (its years set the horizon); the whole run's tables are written too")
    p.add_argument("--programme", metavar="ID", help="the programme that takes the plan (default: connectivity, "
                   "else the first whose driver is schools)")
    p.add_argument("--write-scenario", metavar="PATH", help="also write the scenario with the school plan's cost "
                   "lines (then run, compare, risk and optimise it like any other); refused if PATH exists")
    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of the run's tables with --scenario (default: %(default)s)")
    p.set_defaults(func=cmd_schools)

    p = sub.add_parser("portfolio", help="a donor's portfolio: a pooled fund shared across country scenarios",
                       description="Run a portfolio file: its country scenarios (with pooled procurement discounts), "
                       "the fund's envelope shared by its rule (need, per-learner, weighted, or optimal: the most "
                       "learners in connected schools or gap closed; with floors and ceilings, never above a country's "
                       "need), and each country run with its share. Writes the "
                       "run tables with a country column, allocation.csv, portfolio_equity.csv, portfolio_groups.csv, "
                       "portfolio_reach.csv (what the fund reaches in each programme) and manifest.json "
                       "into DIR, all or nothing. Format: docs/method.md, Portfolio.")
    p.add_argument("file", metavar="FILE", help="a portfolio file (TOML)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of the run tables (default: %(default)s)")
    p.set_defaults(func=cmd_portfolio)

    p = sub.add_parser("sweep", help="many scenarios, overrides, stresses and seeds over many draws, on Dask",
                       description="Run the cartesian product of a sweep file's scenarios (or a portfolio's "
                       "countries), override sets, stresses and seeds, each over its draws, as chunks of draws on "
                       "dask.distributed (a LocalCluster on this machine by default, or --scheduler for a running "
                       "cluster; a small sweep runs in this process, and says so). Writes draws/ (Parquet "
                       "partitioned by case), cases.csv, quantiles.csv, portfolio_quantiles.csv (with a portfolio) "
                       "and manifest.json into DIR. The numbers do not depend on the chunks or the workers. Format: "
                       "docs/method.md, Sweeps.")
    p.add_argument("spec", metavar="SPEC", help="a sweep file (TOML)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the local cluster (default: the cores, or in this process for a sweep "
                   "of fewer than 50,000 draws over all its cases or on one core; 0: in this process, no Dask)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--resume", action="store_true", help="keep the chunks already written in DIR and run the rest")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("sensitivity", help="tornado and Sobol indices of metrics to the uncertain inputs",
                       description="For one scenario with [[uncertain]] rows: a tornado (each input at the 5th and "
                       "the 95th percentile of its distribution, the others at the scenario's values; the swing of "
                       "each metric, ranked) in tornado.csv, and first-order and total Sobol indices (scipy's "
                       "sobol_indices, N (k + 2) runs for k inputs, 95% bootstrap intervals) in sobol.csv, with "
                       "manifest.json (with the seed) into DIR, all or nothing. Prints the ranked tornado.")
    p.add_argument("file", metavar="FILE", help="a scenario TOML file with [[uncertain]] rows")
    p.add_argument("--metric", action="append", metavar="KEY",
                   help="a summary metric key (summary.csv), e.g. total_gap, pv_government_cost, "
                   "peak_burden_share; repeat for several (default: total_gap)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--n", type=int, metavar="N", help="Sobol base sample size, a power of 2 (default: 1024)")
    p.add_argument("--seed", type=_seed, metavar="S", help="seed of the Sobol design (default: the file's [risk] seed)")
    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of the money metrics (default: %(default)s)")
    p.add_argument("--no-sobol", action="store_true", help="only the tornado (no sobol.csv)")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("budget", help="the plan in the budget's format: the MTEF table and the budget workbook",
                       description="Run one scenario and write mtef.csv (the plan's on-budget cost in three fiscal "
                       "years by budget code, programme, GFS economic class, budget type and financing, each "
                       "programme's and the plan's total against the scenario's [[mtef]] ceilings), budget.xlsx (the "
                       "MTEF by programme x economic class x fiscal year with totals, the recurrent/development and "
                       "domestic/external split, the codes) and manifest.json into DIR, all or nothing. Fiscal years "
                       "follow [scenario] fiscal_year_start. Method: docs/method.md, The MTEF and the budget "
                       "submission.")
    p.add_argument("file", metavar="FILE", help="a scenario TOML file")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--first-year", type=int, metavar="Y",
                   help="the calendar year in which the MTEF's first fiscal year starts (default: the plan's first "
                   "fiscal year)")
    p.add_argument("--basis", choices=PRICE_BASES, default=BUDGET_BASIS,
                   help="price basis of every amount and ceiling (default: %(default)s, current prices in the local "
                   "currency, as a ministry's budget submission is written; real-lcu for constant prices of "
                   "price_year, as the other commands' default)")
    p.set_defaults(func=cmd_budget)

    p = sub.add_parser("verify", help="check an output folder against its manifest.json",
                       description="Check that every file that DIR/manifest.json lists is present and has the "
                       "sha256 recorded when it was written. Exit status 0 if so, else 2 (the problems on stderr).")
    p.add_argument("folder", metavar="DIR", help="a folder written by `run` or `compare`")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("countries", help="list the country profiles in data/",
                       description="List the country profiles that `scenario.country` can name, with their values "
                       "(* marks a placeholder without a public source).")
    p.set_defaults(func=cmd_countries)

    p = sub.add_parser("country", help="country profiles from public data files: `country import`, `country build`",
                       description="Write a country's profile from the public files a ministry analyst downloads.")
    country = p.add_subparsers(dest="country_command", required=True, metavar="ACTION")
    p = country.add_parser(
        "import", help="write or update a country's profile from WDI, WEO, UIS, DSA and Giga files",
        description="Read any of the files given for one country and write its rows into a country-profiles CSV "
        "(--to; default: the last file DFL_FINANCE_PROFILES names, else ./country_profiles.csv), replacing the "
        "rows of the fields filled and keeping the others; a sourced value is never replaced by a placeholder. "
        "Prints every field filled (value, year, source) and every profile field still missing. Point "
        "DFL_FINANCE_PROFILES at the file so that validate, run and new --country use it. Formats: "
        "docs/country-import.md.")
    p.add_argument("--country", required=True, metavar="ISO3", help="the country (ISO 3166-1 alpha-3)")
    p.add_argument("--wdi", action="append", metavar="FILE",
                   help="World Bank WDI/EdStats CSV: the bulk WDICSV.csv or the API's CSV download")
    p.add_argument("--weo", action="append", metavar="FILE",
                   help="IMF World Economic Outlook database file (WEO<Mon><YYYY>all.xls, tab-separated)")
    p.add_argument("--uis", action="append", metavar="FILE",
                   help="UIS bulk data file <DATASET>_DATA_NATIONAL.csv")
    p.add_argument("--uis-labels", action="append", metavar="FILE",
                   help="its labels file <DATASET>_LABEL.csv (the counts of learners and teachers need it)")
    p.add_argument("--dsa", action="append", metavar="FILE",
                   help="a DSA's baseline table typed as CSV (layout: docs/country-import.md)")
    p.add_argument("--giga", action="append", metavar="FILE", help="a Giga / Project Connect school list (CSV)")
    p.add_argument("--currency", metavar="CODE",
                   help="ISO 4217 code of the local currency (default: the profile's); the unit of fx_rate and "
                   "education_budget")
    p.add_argument("--name", help="the country's name (default: as the files spell it)")
    p.add_argument("--vintage", help="the edition of the files, for the sources (default: as the files say)")
    p.add_argument("--to", metavar="FILE", help="the profiles CSV to write or update")
    p.set_defaults(func=cmd_country_import)
    p = country.add_parser(
        "build", help="build data/country_profiles.csv and data/price_history.csv from the public files in data/raw",
        description="Build the shipped country profiles and price history from the public raw files in data/raw/ "
        "(World Bank CLASS and WDI slices, ISO 4217, the FDL DSA database, the hand-sourced rows): every IDA and "
        "blend country and the low- and lower-middle-income IBRD borrowers. Deterministic: the same raw files give "
        "the same bytes. data/SOURCES.md, *Built profiles*.")
    p.add_argument("--data", metavar="DIR", help="the data folder with raw/ inside (default: the package's data "
                   "folder, or DFL_FINANCE_DATA)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the files differ from what the build writes")
    p.add_argument("--keep-placeholders", action="store_true",
                   help="keep a hand-sourced row flagged placeholder where the raw files source a value of the same "
                   "country and field (by default the sourced value replaces it)")
    p.set_defaults(func=cmd_country_build)

    p = sub.add_parser("templates", help="list the programme templates in data/",
                       description="List the programme templates that `[[programme]] template = ...` can name.")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("data-check", help="check the data folder and the bundled scenarios",
                       description="Check that every value in data/ has a source or a placeholder flag, uses a "
                       "known unit and is not negative; that every template expands to a valid programme; and "
                       "that every bundled scenario validates and runs. Exit status 0 if all pass, else 2.")
    p.add_argument("--scenarios", metavar="DIR", help="folder of scenarios to check (default: scenarios/)")
    p.set_defaults(func=cmd_data_check)

    add_new_parser(sub)
    return parser

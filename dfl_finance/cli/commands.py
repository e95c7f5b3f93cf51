"""The commands of ``dfl-finance``: each loads its inputs, calls the public API or a study, writes the tables and
prints them (:mod:`dfl_finance.cli.render`). No model logic here.

A command returns its exit status: :data:`EXIT_OK`, or :data:`EXIT_INPUT` for input a user can get wrong (the
problems on stderr); the other statuses are :func:`dfl_finance.cli.main`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dfl_finance.cli.render import (
    OPTIMISE_SHOWN,
    above_one,
    basis_note,
    comparison_text,
    mtef_text,
    number,
    quantiles_text,
    ranking_text,
    schools_text,
    shadow_text,
    stress_text,
    summary_text,
    table_text,
    tornado_text,
)
from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.outputs.formatting import format_metric, format_money
from dfl_finance.vocabulary import COUNTED_DRIVERS, MetricKind

if TYPE_CHECKING:  # pandas and the engine are imported by the commands that need them (fast --help, validate)
    import pandas as pd

    from dfl_finance.inputs.models import Scenario
    from dfl_finance.outputs.result import Result

EXIT_OK, EXIT_INPUT = 0, 2

#: The flag of each option that the floors below name in their problems and messages: they name an option by its
#: keyword argument (:class:`~dfl_finance.errors.OptionProblem`, :meth:`~dfl_finance.errors.DflFinanceError.in_words`),
#: the command line by the flag that sets it.
FLAGS: dict[str, str] = {
    # schools (model.schools.plan_schools, model.school_link.with_school_plan)
    "years": "--horizon", "start_year": "--start-year", "order": "--order", "budget": "--budget",
    "target_year": "--target-year", "rate": "--rate", "prefer": "--prefer", "scenario": "--scenario",
    "programme": "--programme",
    # optimise (studies.optimise.options_for)
    "objective": "--objective", "burden_limit": "--burden-limit", "dsf": "--dsf", "max_debt": "--max-debt",
    "min_share": "--min-share", "late_weight": "--late-weight", "max_pv_debt": "--max-pv-debt",
    # optimise --target (studies.outcome_target.cheapest_outcome)
    "target": "--target",
    # stress (inputs.stress)
    "stress": "--stress",
    # sweep (studies.sweep: local_client, check_cluster)
    "scheduler": "--scheduler", "workers": "--workers",
    # budget (outputs.budget.mtef_window)
    "first_year": "--first-year",
}


def in_flags(exc: DflFinanceError) -> str:
    """The message of ``exc`` as the command line prints it: each option it names said as its flag (:data:`FLAGS`),
    a single error after ``error:``, the problems of a file one a line."""
    text = exc.in_words(FLAGS)
    return text if isinstance(exc, ScenarioError) else f"error: {text}"


def _with_file(exc: ScenarioError, file: str | None = None) -> list[Problem]:
    """Problems of ``exc`` with the file folded into the path, so several files can be reported together; an
    option's problem names its flag (:data:`FLAGS`)."""
    file = file or exc.file
    problems = [p.named(FLAGS) for p in exc.problems]
    if not file:
        return problems
    return [Problem(f"{file}: {p.path}" if p.path else file, p.message, p.value, p.has_value)
            for p in problems]


def _load_each(files: list[str]) -> tuple[list[tuple[str, Scenario]], list[Problem]]:
    """Load every file: the scenarios that load, and the problems of all the others and of duplicate names."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.rules import duplicate_name_problems
    from dfl_finance.model.load import load_scenario
    from dfl_finance.model.sizing import check_memory

    loaded, problems = [], []
    for f in files:
        try:
            sc = load_scenario(f)
            check_memory(sc)
            if sc.baseline_scenario is not None:  # run runs it too (incremental.csv)
                try:
                    check_memory(sc.baseline_scenario)
                except ScenarioError as exc:
                    raise ScenarioError([Problem("scenario.baseline", "the baseline scenario cannot be run: "
                                                 + "; ".join(p.format() for p in exc.problems),
                                                 sc.scenario.baseline)]) from None
        except ScenarioError as exc:
            problems += _with_file(exc, f)
            continue
        loaded.append((f, sc))
    duplicates = duplicate_name_problems(loaded)
    given: dict[str, int] = {}
    for f, _ in loaded:
        given[os.path.realpath(f)] = given.get(os.path.realpath(f), 0) + 1
    for where, p in duplicates:
        if given[os.path.realpath(where)] > 1:
            problems.append(Problem(where, "this file is given more than once", has_value=False))
        else:
            problems.append(Problem(f"{where}: {p.path}", p.message, p.value))
    clashing = {where for where, _ in duplicates}
    return [(f, sc) for f, sc in loaded if f not in clashing], problems


def _load_all(files: list[str]) -> list[tuple[str, Scenario]]:
    """Load every file, reporting the problems of all of them at once; two files may not share a name."""
    loaded, problems = _load_each(files)
    if problems:
        raise ScenarioError(problems)
    _warn(loaded)
    return loaded


def _warn(loaded: list[tuple[str, Scenario]]) -> None:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.rules import scenario_warnings

    for f, sc in loaded:
        for w in scenario_warnings(sc):
            print(f"warning: {f}: {w.format()}", file=sys.stderr)


@contextlib.contextmanager
def _in_file(file: str) -> Iterator[None]:
    """A ScenarioError raised inside names ``file`` in each of its problems."""
    try:
        yield
    except ScenarioError as exc:
        raise ScenarioError(_with_file(exc, file)) from None


def _run_all(loaded: list[tuple[str, Scenario]], basis: str | None = None) -> list[Result]:
    """Run every scenario, its tables in ``basis`` (default: constant local prices); a failure names its file."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import DEFAULT_BASIS, run

    results = []
    for f, sc in loaded:
        with _in_file(f):
            results.append(run(sc, basis or DEFAULT_BASIS))
    return results


def cmd_validate(args: argparse.Namespace) -> int:
    loaded, problems = _load_each(args.files)
    for f, _ in loaded:
        print(f"ok  {f}")
    _warn(loaded)
    if problems:
        print(str(ScenarioError(problems)), file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _write(tables: dict[str, pd.DataFrame], args: argparse.Namespace, scenarios: list[Scenario],
           workbook_only: dict[str, pd.DataFrame] | None = None, parquet: Sequence[str] = ()) -> list[Path]:
    """Write the tables as CSV (those named in ``parquet`` as Parquet; and, with --xlsx, one workbook that adds
    ``workbook_only`` and the assumptions), all or nothing."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import exchange_rates, manifest
    from dfl_finance.outputs.result import assumptions_df

    meta = manifest([sc.name for sc in scenarios], input_files=args.files, basis=getattr(args, "basis", None),
                    seed=getattr(args, "seed", None))
    meta["exchange_rates"] = exchange_rates(scenarios)  # each scenario's exchange-rate assumption and its source
    if getattr(args, "risk", None):
        meta["risk"] = args.risk  # draws and method of each scenario
    if getattr(args, "optimise", None):
        meta["optimise"] = args.optimise  # the objective, the limits and the programme's size
    if getattr(args, "stress_notes", None):
        meta["stress"] = args.stress_notes  # each scenario's stresses: applied, or why not
    if getattr(args, "years", None) == "fiscal":
        # loaded when the command runs: `--help` and `validate` start without it
        from dfl_finance.inputs.references import fiscal_year_assumption

        meta["fiscal_years"] = [fiscal_year_assumption(sc) for sc in scenarios]  # each one's month and its origin
    extra = {**(workbook_only or {}), "assumptions": assumptions_df(scenarios)} if args.xlsx else None
    return _write_tables(tables, args.out, meta, xlsx="dfl-finance.xlsx" if args.xlsx else None,
                         extra_sheets=extra, excel_csv=args.excel_csv, parquet=parquet)


def _write_tables(tables: dict[str, pd.DataFrame], out: str, meta: dict[str, Any], **options: Any) -> list[Path]:
    """:func:`~dfl_finance.outputs.export.write_tables`, a failure to write said in one line (the folder is left as it
    was: the writing is all or nothing)."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import write_tables

    try:
        return write_tables(tables, out, meta=meta, **options)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise DflFinanceError(f"cannot write the results to {out}: {exc.strerror or exc}{where}; the folder "
                              "was left as it was") from None


def _writable(folder: Path, what: str) -> None:
    """Refuse (DflFinanceError, exit 2) before any work a folder that cannot be written: the folder, or the nearest
    folder above it that exists when it does not (it would be made there). ``what`` names the option."""
    here = folder.resolve()
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        raise DflFinanceError(f"{what}: {here} is not a folder; choose another path (nothing was written)")
    if not os.access(here, os.W_OK | os.X_OK):
        raise DflFinanceError(f"{what}: cannot write to {here} (permission denied); choose another path (nothing "
                              "was written)")


def _free_target(path: str | None) -> Path | None:
    """The path of ``--write-scenario``, refused before any work when a file is already there or its folder cannot
    be written."""
    target = Path(path) if path else None
    if target is not None and target.exists():
        raise DflFinanceError(f"--write-scenario: {target} exists; remove it or choose another path (nothing was "
                              "written)")
    if target is not None:
        _writable(target.parent, "--write-scenario")
    return target


def _incremental(loaded: list[tuple[str, Scenario]], results: list[Result],
                 baselines: list[Result] | None = None) -> pd.DataFrame | None:
    """incremental.csv of the scenarios that name a ``[scenario] baseline`` file (read and checked with them), else
    None; the baselines' runs are appended to ``baselines`` when given (``--years fiscal`` places their loans'
    payments on their dates)."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import incremental_df, run

    frames = []
    for (f, sc), res in zip(loaded, results):
        base = sc.baseline_scenario
        if base is None:
            continue
        try:
            base_result = run(base, res.basis)
            frames.append(incremental_df(res, base_result))
            if baselines is not None:
                baselines.append(base_result)
        except DflFinanceError as exc:
            raise ScenarioError([Problem(f"{f}: scenario.baseline", str(exc), sc.scenario.baseline)]) from None
    return pd.concat(frames, ignore_index=True) if frames else None


def cmd_run(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import combine_tables

    loaded = _load_all(args.files)
    results = _run_all(loaded, args.basis)
    tables = combine_tables(results)
    baseline_runs: list[Result] = []
    incremental = _incremental(loaded, results, baseline_runs)
    if incremental is not None:
        tables["incremental"] = incremental
        # the baselines are inputs of incremental.csv: the manifest hashes them too (once)
        given = {Path(f).resolve() for f in args.files}
        baselines = dict.fromkeys(str(Path(f).parent / sc.scenario.baseline) for f, sc in loaded
                                  if sc.scenario.baseline is not None)
        args.files = [*args.files, *(b for b in baselines if Path(b).resolve() not in given)]
    if args.years == "fiscal":
        tables = _by_fiscal_year(tables, results, baseline_runs)
    written = _write(tables, args, [sc for _, sc in loaded])
    print(summary_text(tables["summary"]))
    print(basis_note(args.basis, [sc for _, sc in loaded]))
    if args.years == "fiscal":
        print(_fiscal_note([sc for _, sc in loaded]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_risk(args: argparse.Namespace) -> int:
    """Run each scenario over draws of its uncertain inputs; write the quantile tables (and the draws)."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.uncertain import run_entry
    from dfl_finance.outputs.result import quantiles_df, quantiles_note, yearly_quantiles_df
    from dfl_finance.studies.risk import risk_draws

    loaded = _load_all(args.files)
    tables: dict[str, list[pd.DataFrame]] = {"quantiles": [], "yearly_quantiles": [], "summary": []}
    if args.draws_out:
        tables["draws"] = []
        _check_draws_out(loaded, args.draws)
    args.risk = {}
    for f, sc in loaded:
        n = sc.risk.draws if args.draws is None else args.draws
        seed = sc.risk.seed if args.seed is None else args.seed
        method = args.method or sc.risk.method
        with _in_file(f), _progress(n, sc.name) as bar:
            res = risk_draws(sc, n, seed, method, args.basis, progress=bar.update)
        quantiles = quantiles_df(res)
        note = quantiles_note(quantiles)
        args.risk[sc.name] = run_entry(sc, n, seed, method, note)
        tables["quantiles"].append(quantiles)
        tables["yearly_quantiles"].append(yearly_quantiles_df(res))
        tables["summary"].append(res.summary_df() if n == 1 else _deterministic_summary(sc, args.basis))
        if args.draws_out:
            tables["draws"].append(_draws_table(res))
        if res.results:  # results-based financing: the disbursement at risk of each DLI
            # loaded when the command runs, as the imports above
            from dfl_finance.outputs.dli import dli_at_risk

            tables.setdefault("dli_at_risk", []).append(dli_at_risk(sc, res.results, res.basis, res.currency))
    if args.seed is None:  # the manifest's seed: the command line's, or each scenario's in its risk entry
        args.seed = loaded[0][1].risk.seed if len(loaded) == 1 else None
    out = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    written = _write(out, args, [sc for _, sc in loaded], parquet=("draws",) if args.draws_out == "parquet" else ())
    print(quantiles_text(out["quantiles"], out["summary"], {sc.name: sc.risk.point for _, sc in loaded}))
    print(basis_note(args.basis, [sc for _, sc in loaded]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _progress(total: int, label: str) -> Any:
    """A progress bar of ``total`` draws on stderr (tqdm): shown after a second, never when stderr is not a
    terminal, gone when done. Off a terminal no bar is shown, so tqdm (and the multiprocessing it imports) is not
    loaded: what tqdm's ``disable=None`` would decide, without its 5 ms of imports (issue 21)."""
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        terminal = False
    if not terminal:
        return _NoBar()
    # loaded when the command runs on a terminal: a progress bar is shown only there
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="draw", unit_scale=True, delay=1.0, disable=None, leave=False,
                file=sys.stderr, dynamic_ncols=True)


class _NoBar:
    """The progress bar off a terminal: nothing shown."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        pass


def _deterministic_summary(sc: Scenario, basis: str) -> pd.DataFrame:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import run

    return run(sc, basis).summary_df()


#: The most rows --draws-out writes (draws x metrics): 20 million rows are about 2 GB in memory and 1.5 GB of CSV.
DRAWS_OUT_ROWS = 20_000_000


def _check_draws_out(loaded: list[tuple[str, Scenario]], draws: int | None) -> None:
    """Refuse --draws-out before the runs when its table would have more than :data:`DRAWS_OUT_ROWS` rows."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import run

    rows = sum((sc.risk.draws if draws is None else draws) * len(run(sc).summary_arrays()) for _, sc in loaded)
    if rows > DRAWS_OUT_ROWS:
        raise DflFinanceError(f"--draws-out would write {rows:,} rows (draws x metrics), more than the "
                              f"{DRAWS_OUT_ROWS:,} it allows: use fewer --draws, or leave --draws-out out "
                              "(quantiles.csv has every metric's statistics)")


def _draws_table(res: Any) -> pd.DataFrame:
    """Every summary metric of every draw, tidy: scenario, draw, metric, value, unit."""
    import numpy as np
    import pandas as pd

    arrays = res.summary_arrays()
    units = dict(zip(res.summary_df()["metric"], res.summary_df()["unit"]))
    frames = [pd.DataFrame({"scenario": res.name, "draw": np.arange(res.draws), "metric": key, "value": values,
                            "unit": units.get(key, "")}) for key, values in arrays.items()]
    df = pd.concat(frames, ignore_index=True)
    finite: pd.DataFrame = df[np.isfinite(df["value"].to_numpy(dtype=float))]
    return finite.reset_index(drop=True)


def cmd_optimise(args: argparse.Namespace) -> int:
    """The best financing mix of a scenario: its tables, shadow prices and comparison with the waterfall."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.studies.optimise import optimise, options_for

    (f, sc), = _load_all([args.file])
    args.files = [args.file]
    target = _free_target(args.write_scenario)
    scaled = None
    if getattr(args, "target", None) is not None:
        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.studies.outcome_target import cheapest_outcome

        with _in_file(f):
            scaled = cheapest_outcome(sc, *args.target)
        sc = scaled.scenario
    with _in_file(f):
        options = options_for(sc, args.objective, args.burden_limit, args.max_debt, args.min_share or (),
                              args.late_weight, args.dsf, max_pv_debt=args.max_pv_debt)
        best = optimise(sc, options, args.basis)
        tables = best.tables()
    if scaled is not None:
        tables["outcome_target"] = scaled.table()
    args.optimise = {"objective": args.objective, "burden_limit": args.burden_limit, "dsf": args.dsf,
                     "max_debt": args.max_debt,
                     "min_share": dict(args.min_share or ()), "late_weight": args.late_weight,
                     "max_pv_debt": args.max_pv_debt,
                     "lp": dict(zip(("rows", "columns", "nonzeros"), best.lp_size))}
    if scaled is not None:
        args.optimise["target"] = {"measure": scaled.measure, "value": scaled.target}
    if args.draws is not None:
        import pandas as pd

        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.inputs.uncertain import run_entry
        from dfl_finance.outputs.result import quantiles_df, quantiles_note
        from dfl_finance.studies.optimise import optimise_draws

        seed = sc.risk.seed if args.seed is None else args.seed
        with _in_file(f), _progress(args.draws, f"{sc.name}: optimise per draw") as bar:
            runs = optimise_draws(sc, options, args.draws, seed, args.method, args.basis, progress=bar.update)
        tables["quantiles"] = pd.concat([quantiles_df(r) for r in runs], ignore_index=True)
        args.optimise["draws"] = run_entry(sc, args.draws, seed, args.method or sc.risk.method,
                                           quantiles_note(tables["quantiles"]))
        args.seed = seed
    written = _write(tables, args, [sc])
    print(comparison_text(tables["comparison"][tables["comparison"]["metric"].isin(OPTIMISE_SHOWN)]))
    if "quantiles" in tables:
        print("\nover the draws (each draw's own best mix):")
        print(quantiles_text(tables["quantiles"]))
    print(shadow_text(tables["shadow_prices"]))
    if scaled is not None:
        print(f"\n{scaled.measure} = {scaled.target:,.10g} at the least cost: "
              + "; ".join(f"{sc.programme[i].id} target_share {a:.4g} (was {b:.4g})"
                          for i, a, b in zip(scaled.programmes, scaled.share_after, scaled.share_before))
              + f"; reached {scaled.outcome:,.0f} (outcome_target.csv)")
    rows, cols, nnz = best.lp_size
    print(f"\nlinear programme: {rows:,} rows, {cols:,} columns, {nnz:,} non-zeros (HiGHS)")
    print(basis_note(args.basis, [sc]))
    if target is not None:
        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.inputs.io import save_scenario

        save_scenario(best.to_scenario(), target)
        note = best.reproduction_note
        print(f"wrote the optimal mix as a scenario: {target}" + (f" ({note})" if note else
                                                                   " (the waterfall reproduces the optimum)"))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_schools(args: argparse.Namespace) -> int:
    """The school-by-school plan of a school table: schools.csv, segments.csv, equity.csv."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.schools import read_schools
    from dfl_finance.model.schools import plan_schools
    from dfl_finance.outputs.export import manifest

    scenario = None
    horizon, start_year = args.horizon, args.start_year
    if args.scenario:
        (_, scenario), = _load_all([args.scenario])
        horizon, start_year = scenario.scenario.years, scenario.scenario.start_year
    elif args.programme or args.write_scenario:
        raise DflFinanceError("--programme and --write-scenario need --scenario")
    table = read_schools(args.table, args.fibre_nodes)
    prefer = tuple(p.strip() for p in args.prefer.split(",")) if args.prefer else None
    plan = plan_schools(table, years=horizon, start_year=start_year, order=args.order,
                        budget=args.budget, target_year=args.target_year, rate=args.rate, prefer=prefer,
                        extend_fibre=args.extend_fibre)
    from dfl_finance.outputs.schools import school_tables  # pandas: loaded when the command runs

    tables = school_tables(plan)
    notes: list[str] = []
    if scenario is not None:
        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.model.school_link import with_school_plan
        from dfl_finance.outputs.result import run

        target = _free_target(args.write_scenario)
        with _in_file(args.scenario):
            linked, notes = with_school_plan(scenario, plan, args.programme)
            tables.update(run(linked, args.basis).tables())
    inputs = [args.table, *([args.fibre_nodes] if args.fibre_nodes else []),
              *([args.scenario] if args.scenario else [])]
    meta = manifest([Path(args.table).stem] + ([scenario.name] if scenario is not None else []), input_files=inputs,
                    basis=args.basis if scenario is not None else None)
    meta["schools"] = {"horizon": horizon, "start_year": start_year, "order": args.order,
                       "extend_fibre": args.extend_fibre,
                       "budget": args.budget, "target_year": args.target_year, "rate": args.rate,
                       "prefer": list(prefer) if prefer else None}
    written = _write_tables(tables, args.out, meta)
    print(schools_text(tables, args.budget))
    if scenario is not None:
        summary = dict(zip(tables["summary"]["metric"], tables["summary"]["value"]))
        cur = str(tables["summary"]["unit"].iloc[0]) if len(tables["summary"]) else ""
        print(f"\n{scenario.name} with the school plan: total cost {format_money(number(summary.get('total_cost')))}"
              f" {cur}, funding gap {format_money(number(summary.get('total_gap')))} {cur} (the run's tables are "
              "written beside the school tables)")
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        if target is not None:
            # loaded when the command runs: `--help` and `validate` start without pandas and the engine
            from dfl_finance.inputs.io import save_scenario

            save_scenario(linked, target)
            print(f"wrote the scenario with the school plan: {target}")
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file's cases on dask.distributed: the draws as partitioned Parquet, cases.csv, quantiles.csv
    (and portfolio_quantiles.csv when it names a portfolio)."""
    import json

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine (nor tempfile)
    from dfl_finance.atomic import write_file_atomically
    from dfl_finance.outputs.export import file_sha256
    from dfl_finance.studies.sweep import (
        IN_PROCESS_BELOW,
        check_cluster,
        check_workers,
        load_sweep,
        local_client,
        run_sweep,
        runs_in_process,
    )

    sweep = load_sweep(args.spec)
    out = Path(args.out)
    _writable(out, "--out")
    if (out / "draws").exists() and not args.resume:
        raise DflFinanceError(f"{out} holds the draws of an earlier sweep: add --resume to continue it (the chunks "
                              "written are kept), or choose another folder")
    client, in_process = None, ""
    if args.scheduler:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="10s")  # type: ignore[no-untyped-call]  # distributed: untyped
        except OSError as exc:
            raise DflFinanceError(f"--scheduler: cannot reach {args.scheduler}: {exc}") from None
        try:
            check_cluster(client)
        except DflFinanceError:
            client.close()  # type: ignore[no-untyped-call]
            raise
    elif args.workers is None and runs_in_process(sweep, os.cpu_count() or 1):
        size = len(sweep.cases) * sweep.draws
        why = (f"{len(sweep.cases):,} case{'s' if len(sweep.cases) > 1 else ''} x {sweep.draws:,} draws = {size:,} "
               f"draws is below the {IN_PROCESS_BELOW:,} at which starting local Dask workers pays"
               if size < IN_PROCESS_BELOW else "this machine has one core")
        in_process = f"ran in process: {why} (--workers N runs it on N local Dask workers)"
    elif args.workers != 0:
        client = local_client(check_workers(args.workers or max(1, (os.cpu_count() or 1))))
    try:
        with _progress(len(sweep.tasks()), f"{sweep.name}: chunks") as bar:
            state = run_sweep(sweep, out, client=client, resume=args.resume, progress=bar.update)
    finally:
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]
    manifest = {"sweep": sweep.name, "file": str(args.spec), "sha256": file_sha256(args.spec),
                "cases": len(sweep.cases), "draws": sweep.draws, "chunk": sweep.chunk, "method": sweep.method,
                "basis": sweep.basis, "workers": "in process" if client is None else
                (args.scheduler or args.workers or os.cpu_count()), "failed": {str(k): v for k, v in
                                                                              state.failed.items()},
                "recomputed": {str(k): v for k, v in state.recomputed.items()}}
    drawn: dict[str, dict[str, list[str]]] = {}  # scenario -> override set -> what its draws draw
    for c in sweep.cases:
        drawn.setdefault(c.scenario, {})[c.override] = state.drawn.get((c.file, c.override), [])
    manifest["uncertain"] = drawn
    manifest["flat"] = {str(k): v for k, v in state.notes.items() if v}
    part = sweep.portfolio
    if part is not None:
        manifest["portfolio"] = {"name": part.name, "file": str(part.file), "sha256": file_sha256(part.file),
                                 "fund": part.fund, "shares_usd": dict(zip(part.labels, part.shares)),
                                 "left_out": state.incomplete}
    write_file_atomically(out / "manifest.json", json.dumps(manifest, indent=2))
    print(f"{sweep.name}: {len(sweep.cases)} cases x {sweep.draws:,} draws in {len(sweep.tasks())} chunks "
          f"({state.ran} run, {state.skipped} already written)")
    if in_process:
        print(in_process)
    for case, why in state.recomputed.items():
        label = f"case {case} ({sweep.cases[case].scenario})" if case < len(sweep.cases) else f"case {case}"
        print(f"--resume: {label} computed again: {why}", file=sys.stderr)
    flat: dict[tuple[str, str], list[str]] = {}
    for k, note in state.notes.items():
        if note:
            flat.setdefault((sweep.cases[k].scenario, note), []).append(str(k))
    for (name, note), cases in flat.items():
        print(f"{name}: {note} (case{'s' if len(cases) > 1 else ''} {', '.join(cases)})")
    for case, why in state.failed.items():
        c = sweep.cases[case]
        print(f"failed: case {case} ({c.scenario}, {c.override}, {c.stress}, seed {c.seed}): {why}",
              file=sys.stderr)
    for why in state.incomplete:
        print(f"portfolio_quantiles.csv leaves out {why}", file=sys.stderr)
    tables = "cases.csv, quantiles.csv and portfolio_quantiles.csv" if part else "cases.csv and quantiles.csv"
    print(f"wrote {out / 'draws'} (Parquet, partitioned by case), {tables}")
    return EXIT_INPUT if state.failed else EXIT_OK


def cmd_portfolio(args: argparse.Namespace) -> int:
    """A donor's portfolio: the fund shared by its rule, each country run with its share, across-country tables."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import manifest
    from dfl_finance.studies.portfolio import load_portfolio, run_portfolio

    pf = load_portfolio(args.file)
    result = run_portfolio(pf, args.basis)
    tables = result.tables()
    files = dict.fromkeys(str(c.file) for c in pf.countries)  # a plan template once, for all its countries
    meta = manifest([c.label for c in pf.countries], input_files=[args.file, *files], basis=args.basis)
    f = pf.fund
    meta["portfolio"] = {"name": pf.name, "fund": {"id": f.id, "envelope": f.envelope, "rule": f.rule,
                                                   **({"objective": f.objective} if f.rule == "optimal" else {}),
                                                   **({"per_learner": f.per_learner} if f.per_learner else {}),
                                                   "floor": f.floor,
                                                   **({"ceiling": f.ceiling} if math.isfinite(f.ceiling) else {}),
                                                   "co_finances": list(f.co_finances), "source": dict(f.source),
                                                   "weights": {c.label: c.weight for c in pf.countries}},
                         "pooled": [{"item": i, "discount": d, "source": src} for i, d, src in pf.pooled]}
    written = _write_tables(tables, args.out, meta)
    alloc = tables["allocation"]
    rows = [{"country": str(c), "need": format_money(number(n), "USD"), "share": format_money(number(s), "USD"),
             "gap after": format_money(number(g), "USD")}
            for c, n, s, g in zip(alloc["country"], alloc["need"], alloc["share"], alloc["gap_after"])]
    rule = {"need": "need", "per-learner": "learners", "weighted": "weighted need",
            "optimal": "the most learners reached, then gap closed" if f.objective == "reach" else
            "the most gap closed, then learners reached"}[f.rule]
    print(f"{pf.name}: {format_money(f.envelope, 'USD')} shared by {rule}\n{table_text(rows)}")
    unshared = f.envelope - float(alloc["share"].sum())
    if unshared > 0.005 * max(f.envelope, 1.0) / 100:  # more than a hundredth of a percent
        print(f"{format_money(unshared, 'USD')} of the envelope is not shared: every country has all it can take "
              "(its need, or the ceiling)")
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_stress(args: argparse.Namespace) -> int:
    """Run each scenario and each stress test; write the stress tables (summary, fiscal, DSF) under each."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.stress import check_stresses, parse_stress
    from dfl_finance.outputs.result import concat_tables
    from dfl_finance.studies.risk.stress import run_stresses

    specs = None
    if args.stress:
        specs = [parse_stress(text) for text in args.stress]
        keys = [s.key for s in specs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ScenarioError([Problem("--stress", "the same stress is named twice", ", ".join(twice))])
    loaded = _load_all(args.files)
    if specs is not None:
        problems = [p for f, sc in loaded for p in _with_file(ScenarioError(check_stresses(specs, sc)), f)]
        if problems:
            raise ScenarioError(problems)
    runs = []
    for f, sc in loaded:
        with _in_file(f):
            runs.append(run_stresses(sc, specs, args.basis))
    tables = concat_tables([r.tables() for r in runs])
    args.stress_notes = {r.name: r.notes() for r in runs}
    written = _write(tables, args, [sc for _, sc in loaded])
    print(stress_text(runs))
    print(basis_note(args.basis, [sc for _, sc in loaded]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Tornado and Sobol indices of chosen metrics to a scenario's uncertain inputs; write and print them."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import exchange_rates, manifest
    from dfl_finance.studies.risk.sensitivity import (
        DEFAULT_N,
        check_metrics,
        check_n,
        sobol_df,
        tornado,
        uncertain_inputs,
    )

    metrics = check_metrics(args.metric or ["total_gap"])
    n = check_n(DEFAULT_N if args.n is None else args.n)
    (f, sc), = _load_all([args.file])
    with _in_file(f):
        inputs = uncertain_inputs(sc)
        seed = sc.risk.seed if args.seed is None else args.seed
        tables = {"tornado": tornado(sc, metrics, args.basis)}
        if not args.no_sobol:
            with _progress(n * (len(inputs) + 2), f"{sc.name}: Sobol") as bar:
                tables["sobol"] = sobol_df(sc, metrics, n, seed, args.basis, progress=bar.update)
    meta = manifest([sc.name], input_files=[f], basis=args.basis, seed=seed)
    meta["exchange_rates"] = exchange_rates([sc])
    meta["sensitivity"] = {"metrics": metrics, "uncertain": [i.path for i in inputs],
                           **({} if args.no_sobol else {"n": n, "engine_draws": n * (len(inputs) + 2)})}
    written = _write_tables(tables, args.out, meta)
    print(tornado_text(tables["tornado"], tables.get("sobol")))
    if "sobol" in tables:
        for line in above_one(tables["sobol"], n):
            print(line)
    if any(row.group is not None for row in sc.uncertain) and not args.no_sobol:
        print("note: the Sobol indices take the inputs as independent (the groups' correlations are left out)",
              file=sys.stderr)
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.rules import comparability
    from dfl_finance.outputs.result import combine_tables, compare, ranking_df, timing_difference

    loaded = _load_all(args.files)
    scenarios = [sc for _, sc in loaded]
    results = _run_all(loaded, args.basis)
    table = compare(results, baseline=args.baseline)
    ranking = ranking_df([r.summary_df() for r in results], timing_difference(scenarios))
    reason = comparability(scenarios, [r.currency for r in results])
    sheets = combine_tables(results) if args.xlsx else None
    if sheets is not None and args.years == "fiscal":
        sheets = _by_fiscal_year(sheets, results)
    written = _write({"comparison": table, "ranking": ranking}, args, scenarios, workbook_only=sheets)
    print(comparison_text(table))
    print(basis_note(args.basis, scenarios))
    if args.years == "fiscal":
        print(_fiscal_note(scenarios))
    print(ranking_text(ranking, scenarios))
    if reason and timing_difference(scenarios) is None:
        print(f"\nnote: {reason.removeprefix('no deltas: ')}: differences are shown only for amounts in the same "
              "currency (the metrics in USD; compare all of them with --basis nominal-usd or real-usd)",
              file=sys.stderr)
    elif reason:
        print(f"\nnote: {reason}; compare the values, not their differences", file=sys.stderr)
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _by_fiscal_year(tables: dict[str, pd.DataFrame], results: list[Result],
                    baselines: Sequence[Result] = ()) -> dict[str, pd.DataFrame]:
    """``--years fiscal``: the yearly tables by each scenario's fiscal year (the registry's rules; the baselines of
    incremental.csv give their loans' payment dates)."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.fiscal_view import context_of, fiscal_tables

    return fiscal_tables(tables, context_of(results, baselines))


def _fiscal_note(scenarios: list[Scenario]) -> str:
    """Which fiscal year each scenario's tables are written in, and where it comes from."""
    # loaded when the command runs: `--help` and `validate` start without them
    from dfl_finance.inputs.references import fiscal_year_assumption
    from dfl_finance.outputs.fiscal_view import fiscal_year_label

    lines = []
    for sc in scenarios:
        fy = fiscal_year_assumption(sc)
        month = int(str(fy["fiscal_year_start"]))
        origin = {"profile": f"the country profile of {sc.scenario.country}", "file": "the scenario file",
                  "default": "the default: the calendar year"}[str(fy["origin"])]
        lines.append(f"{sc.name}: fiscal years start in month {month} ({origin}), e.g. "
                     f"{fiscal_year_label(sc.scenario.start_year, month)}")
    return "Fiscal years (docs/method.md, Fiscal years):\n  " + "\n  ".join(lines)


def cmd_countries(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.profiles import country_profiles

    fields = [*COUNTED_DRIVERS, "connected_share", "education_budget", "budget_growth", "inflation", "fx_rate",
              "dsf_capacity", "debt_risk"]
    kinds: dict[str, MetricKind] = {"education_budget": "money", "connected_share": "share", "budget_growth": "share",
                                    "inflation": "share"}
    rows = []
    for iso3, prof in sorted(country_profiles().items()):
        row = {"iso3": iso3, "country": prof.name, "currency": prof.currency or "-",
               "income_group": prof.income_group or "-"}
        for f in fields:
            v = prof.values.get(f)
            if v is None:
                row[f] = "-"
                continue
            if isinstance(v.value, str):
                text = v.value
            elif f in COUNTED_DRIVERS:
                text = f"{v.value:,.0f}"
            elif f == "fx_rate":
                text = f"{v.value:,.4g} ({v.year})" if v.year else f"{v.value:,.4g}"
            else:
                text = format_metric(v.value, kinds.get(f, "ratio"),
                                     v.unit.split("/")[0] if kinds.get(f) == "money" else "")
            row[f] = text + ("*" if v.placeholder else "")
        rows.append(row)
    print(table_text(rows, left=("iso3", "country", "currency", "income_group", "dsf_capacity", "debt_risk")))
    print("\n* placeholder: no public source yet (see data/country_profiles.csv for every value's source and year)")
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.profiles import templates
    from dfl_finance.inputs.references import is_placeholder_note

    rows = []
    for name, tpl in templates().items():
        lines = tpl["cost"]
        years = sorted({c["price_year"] for c in lines if c.get("price_year") is not None})
        rows.append({"template": name, "pillar": tpl["pillar"], "driver": tpl["driver"],
                     "cost lines": str(len(lines)),
                     "placeholders": str(sum(is_placeholder_note(c.get("source_note")) for c in lines)),
                     "price years": ", ".join(map(str, years)) or "-",
                     "name": tpl.get("name", "")})
    print(table_text(rows, left=("template", "pillar", "driver", "price years", "name")))
    print('\nUse one in a scenario: [[programme]] template = "emis" (fields written there override it).')
    print("Template cost lines are priced in USD, at the prices of the year of their data row (- : the scenario's "
          "price_year); a scenario in another currency converts them (docs/method.md).")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import verify_outputs

    problems = verify_outputs(args.folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"verify: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_INPUT
    print(f"ok  {args.folder}: every file that manifest.json lists is present and unchanged")
    return EXIT_OK


def cmd_data_check(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.studies.datacheck import check_data
    from dfl_finance.studies.placeholder_share import placeholder_report

    problems, notes = check_data(args.scenarios)
    for note in notes:
        print(f"ok  {note}" if not problems else f"    {note}")
    print("placeholder shares (docs/method.md, Placeholder share):")
    for line in placeholder_report(args.scenarios):
        print(f"    {line}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"data-check: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_country_build(args: argparse.Namespace) -> int:
    """``country build``: write (or, with --check, compare) the profiles and price history built from data/raw."""
    # loaded when the command runs: `--help` and `validate` start without it
    from dfl_finance.inputs import build_profiles
    from dfl_finance.inputs.profiles import data_dir

    data = Path(args.data) if args.data else data_dir()
    if args.check:
        stale = build_profiles.stale(data, replace=not args.keep_placeholders)
        for path in stale:
            print(f"{path}: differs from the build (run dfl-finance country build)", file=sys.stderr)
        return 1 if stale else EXIT_OK
    for path, rows in build_profiles.write(data, replace=not args.keep_placeholders).items():
        print(f"wrote {path} ({rows} rows)")
    return EXIT_OK


def cmd_country_import(args: argparse.Namespace) -> int:
    """``country import``: read the files given into the country's rows of a profiles CSV, and say what it filled
    and what is still missing."""
    # loaded when the command runs: `--help` and `validate` start without it
    from dfl_finance.atomic import write_file_atomically
    from dfl_finance.inputs import importers as imp
    from dfl_finance.inputs.profiles import PROFILES_ENV, country_profiles

    iso3 = args.country.upper()
    if not (len(iso3) == 3 and iso3.isalpha()):
        print(f"--country: an ISO 3166-1 alpha-3 code such as RWA (got {args.country!r})", file=sys.stderr)
        return EXIT_INPUT
    if args.uis_labels and not args.uis:
        print("--uis-labels: give the UIS data file too (--uis)", file=sys.stderr)
        return EXIT_INPUT
    if not any((args.wdi, args.weo, args.uis, args.dsa, args.giga)):
        print("country import: give at least one file (--wdi, --weo, --uis, --dsa, --giga)", file=sys.stderr)
        return EXIT_INPUT
    env = os.environ.get(PROFILES_ENV, "")
    target = Path(args.to) if args.to else Path(env.split(os.pathsep)[-1] if env.strip() else
                                                "country_profiles.csv")
    existing = imp.read_profile_rows(target)
    in_target = next((r["value"] for r in existing if r["iso3"].upper() == iso3 and r["field"] == "currency"), None)
    known = None  # the country's profile as the other commands read it now (the data folder's, the user's)
    with contextlib.suppress(DflFinanceError):  # a profiles file named but not yet written
        known = country_profiles().get(iso3)
    has = in_target or (known.currency if known else None)
    if args.currency and has and args.currency.upper() != has.upper():
        where = target if in_target else "the country's profile"
        print(f"--currency: {args.currency}, but {where} gives {iso3} the currency {has}", file=sys.stderr)
        return EXIT_INPUT
    currency = args.currency or in_target or (known.currency if known else None)
    currency = currency.upper() if currency else None
    results = []
    for path in args.wdi or ():
        results.append(imp.read_wdi(path, iso3, currency=currency, vintage=args.vintage))
    for path in args.weo or ():
        results.append(imp.read_weo(path, iso3, currency=currency, vintage=args.vintage))
    for j, path in enumerate(args.uis or ()):
        labels = args.uis_labels[min(j, len(args.uis_labels) - 1)] if args.uis_labels else None
        results.append(imp.read_uis(path, iso3, labels=labels, vintage=args.vintage))
    for path in args.dsa or ():
        results.append(imp.read_dsa(path, iso3))
    for path in args.giga or ():
        results.append(imp.read_giga(path, iso3, vintage=args.vintage))
    combined = imp.combine(results, country=args.name or "")
    rows = list(combined.rows)
    if args.currency and not has:
        rows.insert(0, imp.ProfileRow(iso3, combined.country, "currency", currency or "", "code", None,
                                      f"ISO 4217 currency code, as given to `dfl-finance country import "
                                      f"--currency {currency}`", "M"))
    merged, report = imp.merge_rows(existing, imp.Imported(combined.dataset, iso3, combined.country,
                                                           tuple(rows), combined.missing))
    write_file_atomically(target, imp.profile_csv_text(merged))
    print(f"{iso3} {report.written[0].country if report.written else combined.country}: wrote "
          f"{len(report.written)} field(s) to {target}")
    table = [{"field": r.field, "value": r.value if isinstance(r.value, str) else
              f"{r.value:,.0f}" if abs(r.value) >= 1e4 else f"{r.value:.6g}",
              "unit": r.unit, "year": str(r.year or "-"), "source": r.source} for r in report.written]
    if table:
        print(table_text(table, left=("field", "value", "unit", "year", "source")))
    for f in report.kept:
        print(f"kept  {f}: the file's sourced value (the import had only a placeholder)")
    elsewhere = [f for f in report.missing if known is not None and f in known.values]
    missing = [f for f in report.missing if f not in elsewhere]
    if elsewhere:
        print(f"\nnot in {target}, taken from the other profiles ({', '.join(elsewhere)})")
    if missing:
        print("\nstill missing (the scenario must give these, or import another file):")
        for f in missing:
            print(f"  {f}: {combined.missing.get(f, 'none of the files given has it')}")
    if report.placeholders:
        print("\nstill placeholders: " + ", ".join(report.placeholders))
    here = str(target.resolve())
    if here not in (str(Path(p).resolve()) for p in env.split(os.pathsep) if p.strip()):
        print(f"\nto use it in validate, run and new --country: export {PROFILES_ENV}={here}")
    return EXIT_OK


def cmd_budget(args: argparse.Namespace) -> int:
    """``dfl-finance budget FILE --out DIR [--first-year Y]``: mtef.csv, budget.xlsx and manifest.json."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.budget import budget_xlsx_bytes, mtef_df, mtef_window, overview
    from dfl_finance.outputs.export import csv_text, manifest, write_atomically

    ((f, sc),) = _load_all([args.file])
    (res,) = _run_all([(f, sc)], args.basis)
    window = mtef_window(res, args.first_year)  # a --first-year outside the plan stops here (exit 2)
    mtef = mtef_df(res, args.first_year)
    files = {"mtef.csv": csv_text(mtef).encode("utf-8"), "budget.xlsx": budget_xlsx_bytes(res, mtef)}
    meta = manifest([sc.name], input_files=[f], basis=args.basis)
    meta["mtef"] = {"fiscal_year_start": sc.scenario.fiscal_year_start, "first_year": window[0],
                    "fiscal_years": list(dict.fromkeys(mtef["fiscal_year"])), "ceilings": len(sc.mtef)}
    writers = {name: _bytes_writer(data) for name, data in files.items()}
    try:
        written = write_atomically(args.out, writers, meta)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise DflFinanceError(f"cannot write the results to {args.out}: {exc.strerror or exc}{where}; the folder "
                              "was left as it was") from None
    print(mtef_text(overview(res, mtef), res.digits))
    print(basis_note(args.basis, [sc]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _bytes_writer(data: bytes) -> Callable[[Path], None]:
    """A writer of :func:`~dfl_finance.outputs.export.write_atomically` that writes ``data``."""
    def write(path: Path) -> None:
        path.write_bytes(data)
    return write

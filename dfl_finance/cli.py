"""The ``dfl-finance`` command line. It holds no model logic: it calls the public API and prints.

Exit status: 0 success, 2 bad input (invalid scenario, missing file, bad option, an output folder that cannot be
written), never a traceback for input a user can get wrong; 1 when standard output cannot be written (a full disk);
141 (128 + SIGPIPE, as coreutils) when the reader of standard output went away before the output was written, as in
``dfl-finance run ... | true``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.vocabulary import VERSION as __version__

if TYPE_CHECKING:  # pandas and the engine are imported by the commands that need them (fast --help, validate)
    import pandas as pd

    from dfl_finance.inputs.models import Scenario

EXIT_OK, EXIT_INPUT = 0, 2
EXIT_OUTPUT = 1  # standard output could not be written
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


def _with_file(exc: ScenarioError, file: str | None = None) -> list[Problem]:
    """Problems of ``exc`` with the file folded into the path, so several files can be reported together."""
    file = file or exc.file
    if not file:
        return exc.problems
    return [Problem(f"{file}: {p.path}" if p.path else file, p.message, p.value, p.has_value)
            for p in exc.problems]


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


def _run_all(loaded: list[tuple[str, Scenario]], basis: str | None = None) -> list:
    """Run every scenario, its tables in ``basis`` (default: constant local prices); a failure names its file."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import DEFAULT_BASIS, run

    results = []
    for f, sc in loaded:
        with _in_file(f):
            results.append(run(sc, basis or DEFAULT_BASIS))
    return results


def _legend(names: list[str], baseline: str | None = None) -> tuple[list[str], str]:
    keys = [f"[{i + 1}]" for i in range(len(names))]
    lines = [f"  {k} {n}{' (baseline)' if n == baseline else ''}" for k, n in zip(keys, names)]
    return keys, "\n".join(["Scenarios:", *lines])


def _unit_cells(units: dict[str, str], kind: str) -> tuple[str, dict[str, str]]:
    """The unit column of a metric's row, and the currency to print with each scenario's value: one unit for
    all, or (when the scenarios' currencies differ) "each scenario's own" and the code beside every amount."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import currency_of

    distinct = list(dict.fromkeys(u for u in units.values() if u))
    if len(distinct) <= 1:
        return (distinct[0] if distinct else ""), {}
    codes = {n: currency_of(u) or "" for n, u in units.items()} if kind == "money" else {}
    return "each scenario's own", codes


def summary_text(summary: pd.DataFrame) -> str:
    """A compact table: one row per metric (label and unit), one column per scenario (named in a legend above)."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import format_metric
    from dfl_finance.vocabulary import metric_definition

    names = list(dict.fromkeys(summary["scenario"]))
    keys, legend = _legend(names)
    rows = []
    for m, g in summary.groupby("metric", sort=False):
        d = metric_definition(str(m))
        values = dict(zip(g["scenario"], g["value"]))
        unit, codes = _unit_cells(dict(zip(g["scenario"], g["unit"])), d.kind)
        row = {"metric": d.label, "unit": unit}
        for n, k in zip(names, keys):
            row[k] = format_metric(_number(values.get(n)), d.kind, codes.get(n, ""))
        rows.append(row)
    return f"{legend}\n\n{_table_text(rows)}"


def comparison_text(table: pd.DataFrame) -> str:
    """The comparison with scenarios as [1], [2], ... and the deltas as [k]-[baseline]."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import format_delta, format_metric
    from dfl_finance.vocabulary import metric_definition

    names = list(dict.fromkeys(table["scenario"]))
    baseline = str(table["baseline"].iloc[0]) if len(table) else (names[0] if names else "")
    keys, legend = _legend(names, baseline)
    base_key = keys[names.index(baseline)] if baseline in names else ""
    rows = []
    for m, g in table.groupby("metric", sort=False):
        d = metric_definition(str(m))
        cells = {str(r.scenario): r for r in g.itertuples()}
        unit, codes = _unit_cells(dict(zip(g["scenario"], g["unit"])), d.kind)
        row = {"metric": d.label, "unit": unit}
        for n, k in zip(names, keys):
            row[k] = format_metric(_number(cells[n].value), d.kind, codes.get(n, "")) if n in cells else "n/a"
        for n, k in zip(names, keys):
            if n != baseline:
                row[f"{k}-{base_key}"] = format_delta(_number(cells[n].delta), d.kind) if n in cells else ""
        rows.append(row)
    return f"{legend}\n\n{_table_text(rows)}"


def _number(value: Any) -> float | None:
    """A table cell as a number, None where it is empty."""
    number = None if value is None else float(value)
    return None if number is None or math.isnan(number) else number


def _table_text(rows: list[dict[str, str]]) -> str:
    """Rows of text as an aligned table (text left, numbers right)."""
    if not rows:
        return ""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in rows)) for c in columns}
    left = {"metric", "unit"}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(cells.get(c, "").ljust(widths[c]) if c in left else cells.get(c, "").rjust(widths[c])
                         for c in columns).rstrip()

    return "\n".join([line({c: c for c in columns}), *(line(r) for r in rows)])


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
    from dfl_finance.outputs.export import manifest
    from dfl_finance.outputs.result import assumptions_df

    meta = manifest([sc.name for sc in scenarios], input_files=args.files, basis=getattr(args, "basis", None),
                    seed=getattr(args, "seed", None))
    if getattr(args, "risk", None):
        meta["risk"] = args.risk  # draws and method of each scenario
    if getattr(args, "optimise", None):
        meta["optimise"] = args.optimise  # the objective, the limits and the programme's size
    if getattr(args, "stress_notes", None):
        meta["stress"] = args.stress_notes  # each scenario's stresses: applied, or why not
    extra = {**(workbook_only or {}), "assumptions": assumptions_df(scenarios)} if args.xlsx else None
    return _write_tables(tables, args.out, meta, xlsx="dfl-finance.xlsx" if args.xlsx else None,
                         extra_sheets=extra, excel_csv=args.excel_csv, parquet=parquet)


def _write_tables(tables: dict[str, pd.DataFrame], out: str, meta: dict, **options: Any) -> list[Path]:
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


def _incremental(loaded: list[tuple[str, Scenario]], results: list) -> pd.DataFrame | None:
    """incremental.csv of the scenarios that name a ``[scenario] baseline`` file (read and checked with them), else
    None."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import incremental_df, run

    frames = []
    for (f, sc), res in zip(loaded, results):
        base = sc.baseline_scenario
        if base is None:
            continue
        try:
            frames.append(incremental_df(res, run(base, res.basis)))
        except DflFinanceError as exc:
            raise ScenarioError([Problem(f"{f}: scenario.baseline", str(exc), sc.scenario.baseline)]) from None
    return pd.concat(frames, ignore_index=True) if frames else None


def _basis_note(basis: str, scenarios: list[Scenario]) -> str:
    """``Amounts: constant 2026 prices, RWF (--basis real-lcu).``"""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import scenarios_words

    return f"\nAmounts: {scenarios_words(basis, scenarios)} (--basis {basis}; the metrics named in another basis " \
        "are in it)."


def cmd_run(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import combine_tables

    loaded = _load_all(args.files)
    results = _run_all(loaded, args.basis)
    tables = combine_tables(results)
    incremental = _incremental(loaded, results)
    if incremental is not None:
        tables["incremental"] = incremental
        # the baselines are inputs of incremental.csv: the manifest hashes them too (once)
        given = {Path(f).resolve() for f in args.files}
        baselines = dict.fromkeys(str(Path(f).parent / sc.scenario.baseline) for f, sc in loaded
                                  if sc.scenario.baseline is not None)
        args.files = [*args.files, *(b for b in baselines if Path(b).resolve() not in given)]
    written = _write(tables, args, [sc for _, sc in loaded])
    print(summary_text(tables["summary"]))
    print(_basis_note(args.basis, [sc for _, sc in loaded]))
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
    if args.seed is None:  # the manifest's seed: the command line's, or each scenario's in its risk entry
        args.seed = loaded[0][1].risk.seed if len(loaded) == 1 else None
    out = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    written = _write(out, args, [sc for _, sc in loaded], parquet=("draws",) if args.draws_out == "parquet" else ())
    print(_quantiles_text(out["quantiles"]))
    print(_basis_note(args.basis, [sc for _, sc in loaded]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _progress(total: int, label: str) -> Any:
    """A progress bar of ``total`` draws on stderr (tqdm): shown after a second, never when stderr is not a
    terminal, gone when done."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="draw", unit_scale=True, delay=1.0, disable=None, leave=False,
                file=sys.stderr, dynamic_ncols=True)


#: The metrics `dfl-finance risk` prints (quantiles.csv has them all).
RISK_SHOWN = ("total_cost", "total_gap", "pv_government_cost", "peak_burden_share", "years_over_limit")


def _quantiles_text(q: pd.DataFrame) -> str:
    """A compact table of the main metrics' statistics, one block per scenario, values with their units."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import currency_of, format_metric
    from dfl_finance.outputs.result import STATISTICS, quantiles_note
    from dfl_finance.vocabulary import metric_definition

    blocks = []
    for name, g in q.groupby("scenario", sort=False):
        rows = []
        for metric in [*RISK_SHOWN, "prob_over_limit"]:
            m = g[g["metric"] == metric]
            if m.empty:
                continue
            kind = "share" if metric == "prob_over_limit" else metric_definition(metric).kind
            label = "Probability over the burden limit" if metric == "prob_over_limit" else \
                metric_definition(metric).label
            values = dict(zip(m["statistic"], m["value"]))
            cur = currency_of(str(m["unit"].iloc[0])) or ""
            kind = "share" if kind == "years" else kind  # fractional over draws: shown with decimals
            if metric == "prob_over_limit":  # a share of draws: only its mean means something
                values = {k: v for k, v in values.items() if k == "mean"}
            rows.append({"metric": label, **{k: "" for k in STATISTICS}, **{
                k: (format_metric(values[k], kind, cur) if kind != "share" or metric in ("prob_over_limit",
                                                                                           "peak_burden_share")
                    else f"{values[k]:.2f}") for k in STATISTICS if k in values}})
        note = quantiles_note(g)
        head = f"{name}: {note}" if note else str(name)  # a flat block says so in its first line
        blocks.append(f"{head}\n" + pd.DataFrame(rows).to_string(index=False))
    return "\n\n".join(blocks)


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
    return df[np.isfinite(df["value"].to_numpy(dtype=float))].reset_index(drop=True)


#: The metrics `dfl-finance optimise` prints (comparison.csv has them all).
OPTIMISE_SHOWN = ("total_gap", "pv_government_cost", "total_domestic", "total_grant", "total_loan", "total_ppp",
                  "peak_burden_share", "grant_element_external")
#: The shadow prices `dfl-finance optimise` prints (shadow_prices.csv has them all).
SHADOW_SHOWN = 8


def _min_share(text: str) -> tuple[str, float]:
    """``--min-share gpe=0.2`` -> ("gpe", 0.2)."""
    sid, eq, share = text.partition("=")
    try:
        if not eq or not sid.strip():
            raise ValueError
        return sid.strip(), float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"write SOURCE=SHARE, e.g. gpe=0.2 (got {text!r})") from None


def cmd_optimise(args: argparse.Namespace) -> int:
    """The best financing mix of a scenario: its tables, shadow prices and comparison with the waterfall."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.studies.optimise import optimise, options_for

    (f, sc), = _load_all([args.file])
    args.files = [args.file]
    target = _free_target(args.write_scenario)
    with _in_file(f):
        options = options_for(sc, args.objective, args.burden_limit, args.max_debt, args.min_share or (),
                              args.late_weight, args.dsf)
        best = optimise(sc, options, args.basis)
        tables = best.tables()
    args.optimise = {"objective": args.objective, "burden_limit": args.burden_limit, "dsf": args.dsf,
                     "max_debt": args.max_debt,
                     "min_share": dict(args.min_share or ()), "late_weight": args.late_weight,
                     "lp": dict(zip(("rows", "columns", "nonzeros"), best.lp_size))}
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
        print(_quantiles_text(tables["quantiles"]))
    print(_shadow_text(tables["shadow_prices"]))
    rows, cols, nnz = best.lp_size
    print(f"\nlinear programme: {rows:,} rows, {cols:,} columns, {nnz:,} non-zeros (HiGHS)")
    print(_basis_note(args.basis, [sc]))
    if target is not None:
        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.inputs.io import save_scenario

        save_scenario(best.to_scenario(), target)
        note = best.reproduction_note
        print(f"wrote the optimal mix as a scenario: {target}" + (f" ({note})" if note else
                                                                   " (the waterfall reproduces the optimum)"))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _shadow_text(table: pd.DataFrame) -> str:
    """The binding constraints worth the most, in words, ranked by what they save."""
    binding = table[(table["binding"] == "yes") & (table["reading"] != "")]
    worth = binding["value"].abs() + binding["gap_value"].abs()
    ranked = binding.assign(worth=worth)[worth > 0].sort_values("worth", ascending=False, kind="stable")
    if ranked.empty:
        return ("\nno constraint is worth anything at the margin: more of any would not lower the cost"
                + (f" ({len(binding)} bind, with other constraints taking over)" if len(binding) else ""))
    lines = [f"  {r}" for r in ranked["reading"].head(SHADOW_SHOWN)]
    more = len(ranked) - SHADOW_SHOWN
    return "\nshadow prices (what one more unit of a binding constraint is worth):\n" + "\n".join(lines) + (
        f"\n  ... and {more} more in shadow_prices.csv" if more > 0 else "")


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
    print(_schools_text(tables, args.budget))
    if scenario is not None:
        summary = dict(zip(tables["summary"]["metric"], tables["summary"]["value"]))
        # loaded when the command runs: `--help` and `validate` start without pandas and the engine
        from dfl_finance.outputs.formatting import format_money

        cur = str(tables["summary"]["unit"].iloc[0]) if len(tables["summary"]) else ""
        print(f"\n{scenario.name} with the school plan: total cost {format_money(_number(summary.get('total_cost')))}"
              f" {cur}, funding gap {format_money(_number(summary.get('total_gap')))} {cur} (the run's tables are "
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


def _schools_text(tables: dict[str, pd.DataFrame], budget: float | None = None) -> str:
    """Schools by technology (assigned, and connected within the plan's years and budget), connection by area at the
    end, and the equity measures in words."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import format_money
    from dfl_finance.outputs.schools import equity_sentences, technology_counts, technology_label
    from dfl_finance.vocabulary import SCHOOL_EXISTING as EXISTING

    seg = tables["segments"]
    first, last = int(seg["year"].min()), int(seg["year"].max())
    counts = technology_counts(tables["schools"])
    rows = []
    for r in counts.to_dict("records"):
        before = r["technology"] == EXISTING  # connected before the plan: all of them, none in it
        assigned = int(r["schools"])
        connected = assigned if before else int(r["connected_in_plan"])
        learners = int(r["learners"] if before else r["learners_in_plan"])
        rows.append({"technology": technology_label(str(r["technology"])), "schools assigned": f"{assigned:,}",
                     f"connected by {last}": f"{connected:,}" + (" (before)" if before else ""),
                     f"not connected by {last}": f"{assigned - connected:,}",
                     f"learners connected by {last}": f"{learners:,}",
                     "capex of those connected": format_money(float(r["capex_in_plan"]), "USD"),
                     "capex of the rest": format_money(float(r["capex"]) - float(r["capex_in_plan"]), "USD")})
    limit = f" and a yearly capex budget of {format_money(budget, 'USD')}" if budget is not None else ""
    head = (f"schools by technology: each school is assigned its least-cost technology; connected by {last}: within "
            f"the plan's years ({first}-{last}){limit}")
    last_rows = seg[(seg["segment_type"].isin(["all", "area"])) & (seg["year"] == last)]
    area = [{"segment": str(a["segment"]), "connected": f"{a['share_connected']:.1%}",
             "capex per learner": format_money(float(a["cost_per_learner"]), "USD")
             if pd.notna(a["cost_per_learner"]) else "n/a"} for a in last_rows.to_dict("records")]
    equity = "\n".join(f"  {sentence}" for sentence in equity_sentences(tables["equity"], seg))
    return (f"{head}\n{_table_text(rows)}\n\nat the end of {last}:\n{_table_text(area)}\n\n"
            f"equity:\n{equity}")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file's cases on dask.distributed: the draws as partitioned Parquet, cases.csv, quantiles.csv
    (and portfolio_quantiles.csv when it names a portfolio)."""
    import json

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import file_sha256
    from dfl_finance.studies.sweep import check_cluster, check_workers, load_sweep, local_client, run_sweep

    sweep = load_sweep(args.spec)
    out = Path(args.out)
    _writable(out, "--out")
    if (out / "draws").exists() and not args.resume:
        raise DflFinanceError(f"{out} holds the draws of an earlier sweep: add --resume to continue it (the chunks "
                              "written are kept), or choose another folder")
    client = None
    if args.scheduler:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="10s")
        except OSError as exc:
            raise DflFinanceError(f"--scheduler: cannot reach {args.scheduler}: {exc}") from None
        try:
            check_cluster(client)
        except DflFinanceError:
            client.close()
            raise
    elif args.workers != 0:
        client = local_client(check_workers(args.workers or max(1, (os.cpu_count() or 1))))
    try:
        with _progress(len(sweep.tasks()), f"{sweep.name}: chunks") as bar:
            state = run_sweep(sweep, out, client=client, resume=args.resume, progress=bar.update)
    finally:
        if client is not None:
            client.close()
    manifest = {"sweep": sweep.name, "file": str(args.spec), "sha256": file_sha256(args.spec),
                "cases": len(sweep.cases), "draws": sweep.draws, "chunk": sweep.chunk, "method": sweep.method,
                "basis": sweep.basis, "workers": "in process" if client is None and args.workers == 0 else
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
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(f"{sweep.name}: {len(sweep.cases)} cases x {sweep.draws:,} draws in {len(sweep.tasks())} chunks "
          f"({state.ran} run, {state.skipped} already written)")
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
    from dfl_finance.outputs.formatting import format_money
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
    rows = [{"country": str(c), "need": format_money(_number(n), "USD"), "share": format_money(_number(s), "USD"),
             "gap after": format_money(_number(g), "USD")}
            for c, n, s, g in zip(alloc["country"], alloc["need"], alloc["share"], alloc["gap_after"])]
    rule = {"need": "need", "per-learner": "learners", "weighted": "weighted need",
            "optimal": "the most learners reached, then gap closed" if f.objective == "reach" else
            "the most gap closed, then learners reached"}[f.rule]
    print(f"{pf.name}: {format_money(f.envelope, 'USD')} shared by {rule}\n{_table_text(rows)}")
    unshared = f.envelope - float(alloc["share"].sum())
    if unshared > 0.005 * max(f.envelope, 1.0) / 100:  # more than a hundredth of a percent
        print(f"{format_money(unshared, 'USD')} of the envelope is not shared: every country has all it can take "
              "(its need, or the ceiling)")
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_stress(args: argparse.Namespace) -> int:
    """Run each scenario and each stress test; write the stress tables (summary, fiscal, DSF) under each."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.stress import parse_stress
    from dfl_finance.outputs.result import concat_tables
    from dfl_finance.studies.risk.stress import check_stresses, run_stresses

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
    print(_stress_text(runs))
    print(_basis_note(args.basis, [sc for _, sc in loaded]))
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Tornado and Sobol indices of chosen metrics to a scenario's uncertain inputs; write and print them."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.export import manifest
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
    meta["sensitivity"] = {"metrics": metrics, "uncertain": [i.path for i in inputs],
                           **({} if args.no_sobol else {"n": n, "engine_draws": n * (len(inputs) + 2)})}
    written = _write_tables(tables, args.out, meta)
    print(_tornado_text(tables["tornado"], tables.get("sobol")))
    if "sobol" in tables:
        for line in _above_one(tables["sobol"], n):
            print(line)
    if any(row.group is not None for row in sc.uncertain) and not args.no_sobol:
        print("note: the Sobol indices take the inputs as independent (the groups' correlations are left out)",
              file=sys.stderr)
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def _above_one(sobol: pd.DataFrame, n: int) -> list[str]:
    """A note for each Sobol index above 1 (100%), sobol.csv's ``note``: small samples do this; raise ``--n``."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import metric_definition

    out = []
    noted = sobol[sobol["note"].astype(str) != ""]
    for metric, name, s1, st in zip(noted["metric"], noted["input_label"], noted["first_order"].astype(float),
                                    noted["total_order"].astype(float)):
        which = [f"{kind} {v:.2f}" for kind, v in (("first-order", s1), ("total", st)) if v > 1.0]
        label = metric_definition(str(metric)).label
        label = label if label[:2].isupper() else label[:1].lower() + label[1:]  # "PPP payments" stays
        out.append(f"note: the Sobol index of the {label} to {name} is above 1 "
                   f"(100%: {', '.join(which)}), which a share of the variance cannot be: small samples do this; "
                   f"raise the sample size with --n (now {n}; e.g. --n {4 * n})")
    return out


#: The metrics `dfl-finance stress` prints per stress (stress_summary.csv has them all).
STRESS_SHOWN = ("total_gap", "pv_government_cost", "peak_burden_share", "peak_pv_debt_gdp")


def _stress_text(runs: list) -> str:
    """One block per scenario: a row per stress (the baseline first) with the main metrics and, for a stress, the
    change from the baseline in brackets; then what each stress does, and why a stress does not apply."""
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import currency_of, format_delta, format_metric
    from dfl_finance.vocabulary import metric_definition

    blocks = []
    for r in runs:
        table = r.summary_df()
        shown = [m for m in STRESS_SHOWN if m in set(table["metric"])]
        rows = []
        for stress, g in table.groupby("stress", sort=False):
            cells = {str(row.metric): row for row in g.itertuples()}
            row = {"stress": str(stress)}
            for m in shown:
                d = metric_definition(m)
                if m not in cells:
                    row[d.label] = "n/a"
                    continue
                c = cells[m]
                cur = currency_of(str(c.unit)) or ""
                text = format_metric(_number(c.value), d.kind, cur)
                if _number(c.delta) is not None:
                    text += f" ({format_delta(_number(c.delta), d.kind, cur)})"
                row[d.label] = text
            rows.append(row)
        lines = [r.name, pd.DataFrame(rows).to_string(index=False)]
        lines += [f"  {o.spec.key}: {o.spec.description}" for o in r.applied()]
        lines += [f"  {o.spec.key}: not applied: {o.note}" for o in r.outcomes if o.result is None]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _tornado_text(t: pd.DataFrame, s: pd.DataFrame | None) -> str:
    """The ranked tornado of each metric (with the Sobol indices beside it), values in the metric's unit."""
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.formatting import currency_of, format_metric
    from dfl_finance.vocabulary import metric_definition

    blocks = []
    for metric, g in t.groupby("metric", sort=False):
        d = metric_definition(str(metric))
        cur = currency_of(str(g["unit"].iloc[0])) or ""
        kind = "share" if d.kind == "years" else d.kind

        def value(x: Any) -> str:
            number = _number(x)
            return "n/a" if number is None else format_metric(number, kind, cur)

        idx = s[s["metric"] == metric].set_index("path") if s is not None else None
        labels = list(g["input_label"])
        rows = []
        for r in g.itertuples():
            # the input in words (tornado.csv keeps its path), its path too where two inputs read the same
            label = str(r.input_label) + (f" [{r.path}]" if labels.count(r.input_label) > 1 else "")
            unit = f" {r.input_unit}" if str(r.input_unit) else ""
            row = {"rank": str(r.rank), "input": label, "low .. high input": f"{r.low_input:,.4g} .. "
                   f"{r.high_input:,.4g}{unit}", "metric at low": value(r.low_value),
                   "metric at high": value(r.high_value), "swing": value(r.swing)}
            if idx is not None:
                for col, name in (("first_order", "S1"), ("total_order", "ST")):
                    v = _number(idx.at[r.path, col])
                    row[name] = "n/a" if v is None else f"{v:.2f}"
            rows.append(row)
        base = t.attrs.get("base", {}).get(metric)
        head = f"{d.label} ({metric}, {g['unit'].iloc[0]})" + (f": {value(base)} with every input at its own value"
                                                                if base is not None else "")
        blocks.append(f"{head}\n{_table_text(rows)}")
    return "\n\n".join(blocks)


def cmd_compare(args: argparse.Namespace) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.outputs.result import combine_tables, comparability, compare, timing_difference

    loaded = _load_all(args.files)
    scenarios = [sc for _, sc in loaded]
    results = _run_all(loaded, args.basis)
    table = compare(results, baseline=args.baseline)
    reason = comparability(scenarios, [r.currency for r in results])
    written = _write({"comparison": table}, args, scenarios,
                     workbook_only=combine_tables(results) if args.xlsx else None)
    print(comparison_text(table))
    print(_basis_note(args.basis, scenarios))
    if reason and timing_difference(scenarios) is None:
        print(f"\nnote: {reason.removeprefix('no deltas: ')}: differences are shown only for amounts in the same "
              "currency (the metrics in USD; compare all of them with --basis nominal-usd or real-usd)",
              file=sys.stderr)
    elif reason:
        print(f"\nnote: {reason}; compare the values, not their differences", file=sys.stderr)
    print(f"\nwrote {len(written)} files to {Path(args.out)}")
    return EXIT_OK


def cmd_countries(args: argparse.Namespace) -> int:
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.profiles import country_profiles
    from dfl_finance.outputs.formatting import format_metric
    from dfl_finance.vocabulary import COUNTED_DRIVERS, MetricKind

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
    print(pd.DataFrame(rows).to_string(index=False))
    print("\n* placeholder: no public source yet (see data/country_profiles.csv for every value's source and year)")
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    import pandas as pd

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.inputs.profiles import templates
    from dfl_finance.inputs.references import is_placeholder_note

    rows = []
    for name, tpl in templates().items():
        lines = tpl["cost"]
        years = sorted({c["price_year"] for c in lines if c.get("price_year") is not None})
        rows.append({"template": name, "pillar": tpl["pillar"], "driver": tpl["driver"],
                     "cost lines": len(lines),
                     "placeholders": sum(is_placeholder_note(c.get("source_note")) for c in lines),
                     "price years": ", ".join(map(str, years)) or "-",
                     "name": tpl.get("name", "")})
    print(pd.DataFrame(rows).to_string(index=False))
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

    problems, notes = check_data(args.scenarios)
    for note in notes:
        print(f"ok  {note}" if not problems else f"    {note}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"data-check: {len(problems)} problem(s)", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def _draws(text: str) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import MAX_DRAWS

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 1 <= n <= MAX_DRAWS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DRAWS:,} (got {n})")
    return n


def _seed(text: str) -> int:
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import MAX_SEED

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
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import PRICE_BASES

    p.add_argument("--basis", choices=PRICE_BASES, default=PRICE_BASES[0],
                   help="price basis of every amount: constant prices of the scenario's price_year (real) or "
                   "current prices (nominal), in its local currency (lcu) or in USD (default: %(default)s)")


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
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="compare scenarios side by side",
                       description="Run scenarios and write comparison.csv, one row per metric and scenario: "
                       "metric, label, unit, scenario, value, baseline, delta (the scenario's value minus the "
                       "baseline's), and manifest.json into DIR, all or nothing as with `run`. Scenarios in different "
                       "currencies or with different start years get no deltas. Prints the table.")
    _scenario_and_output_args(p, "the comparison, every table of every scenario and an assumptions sheet")
    p.add_argument("--baseline", metavar="NAME", help="scenario name to compare against (default: the first)")
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
    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import SAMPLING_METHODS

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

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import FIRST_STAGES, PRICE_BASES

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
    p.set_defaults(func=cmd_optimise)

    # loaded when the command runs: `--help` and `validate` start without pandas and the engine
    from dfl_finance.vocabulary import SCHOOL_ORDERS as ORDERS

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
                       "cluster). Writes draws/ (Parquet partitioned by case), cases.csv, quantiles.csv, "
                       "portfolio_quantiles.csv (with a portfolio) and manifest.json into DIR. The numbers do not "
                       "depend on the chunks or the workers. Format: docs/method.md, Sweeps.")
    p.add_argument("spec", metavar="SPEC", help="a sweep file (TOML)")
    p.add_argument("--out", required=True, metavar="DIR", type=_folder, help="output folder (created if missing)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the local cluster (default: the cores; 0: in this process, no Dask)")
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

    p = sub.add_parser("verify", help="check an output folder against its manifest.json",
                       description="Check that every file that DIR/manifest.json lists is present and has the "
                       "sha256 recorded when it was written. Exit status 0 if so, else 2 (the problems on stderr).")
    p.add_argument("folder", metavar="DIR", help="a folder written by `run` or `compare`")
    p.set_defaults(func=cmd_verify)

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


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DflFinanceError as exc:
        print(f"error: {exc}" if not isinstance(exc, ScenarioError) else str(exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader that went away (`| head`) shows here at the latest
    except BrokenPipeError:
        # as the Python docs advise (signal module, "Note on SIGPIPE"): point stdout at devnull so that the final
        # flush at exit cannot fail again, and end quietly
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # standard output cannot be written (a full disk, /dev/full): say so, no traceback
        _silence_stdout()
        try:
            print(f"error: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        except OSError:
            pass
        return EXIT_OUTPUT


def _silence_stdout() -> None:
    """Point standard output at devnull, so that the flush at exit cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # stdout is not a real file (tests)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

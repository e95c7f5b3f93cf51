"""Sweeps: many scenarios, overrides, stresses and seeds, each over many draws, as tasks on ``dask.distributed``.

A sweep file (TOML) names its scenarios (paths relative to the file), the override sets (field paths and values,
:func:`dfl_finance.inputs.paths.apply_overrides`), the stresses (``name[:source][=size]``, or ``baseline``) and the
seeds; their cartesian product is the set of **cases**, each run over ``draws`` draws of its uncertain inputs. A
**task** is a chunk of a case's draws: it samples the case's inputs for all its draws (the same whatever the chunk;
a process keeps them for the case's next chunks, :func:`case_inputs`), runs the engine on its slice and returns every
summary metric of every draw as the chunk's Parquet file (:func:`chunk_file`); a worker then summarises each case
from its chunks (:func:`summarise_case`). The engine treats each draw alone, so the numbers do not depend on the
chunks, on the number of workers or on where the sweep runs (in this process, :data:`IN_PROCESS_BELOW`).

Results: ``draws/case=<k>/chunk=<j>.parquet`` (one row per draw: the case's labels and every summary metric; a
partitioned Parquet data set that pandas, pyarrow or Dask read as one table), ``cases.csv`` (what each case is) and
``quantiles.csv`` (every metric's statistics per case, as ``dfl-finance risk`` writes them). A chunk already written
is not run again (``resume``); a task that fails is retried, and a case that still fails is reported by name while
the others' results are kept.

**A portfolio under uncertainty.** ``portfolio = "portfolio.toml"`` (beside or instead of ``scenarios``) makes the
portfolio's countries scenarios of the sweep: each country's scenario as
:func:`dfl_finance.studies.portfolio.run_portfolio` runs it (the pooled discounts applied, the fund a USD grant of the
country's share under the portfolio's rule, shared once, before any override, stress or draw), labelled by the
country's name. Override sets, stresses and seeds combine with them as with any scenario. ``portfolio_quantiles.csv``
then gives, for each combination of override set, stress and seed, the statistics over the draws of the portfolio's
totals: the sum over the countries of each country's draw with the same index (:data:`PORTFOLIO_SUMS`, USD at current
prices) and the number of countries left with a gap. Summing draw by draw treats the countries' uncertainties as
**independent**: each country samples its own inputs, from its own stream (:func:`country_seed`: the seed and the
country's place in the portfolio), except the portfolio's **common factors** (``[portfolio] common``: inputs common in
reality, such as US inflation, a world price or the exchange rate against the USD), whose uniform numbers are drawn
once per draw from the portfolio's own stream (:func:`common_seed`) and taken by every country: each country's draw
is the same quantile of its own distribution of the input.

The workers receive each scenario as validated here, as the text of :func:`dfl_finance.inputs.io.dump_resolved`
(every field written, school plans included), which validates again to an equal scenario without any other file;
each text once per worker (scattered), not once per task.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from dfl_finance import vocabulary
from dfl_finance.atomic import write_file_atomically
from dfl_finance.errors import OptionError, Problem, ScenarioError, known
from dfl_finance.inputs.io import dump_resolved, parse_resolved
from dfl_finance.inputs.paths import resolve
from dfl_finance.inputs.stress import check_stresses, parse_stress
from dfl_finance.inputs.sweep import AS_WRITTEN, read_sweep
from dfl_finance.inputs.uncertain import drawn_inputs, flat_note
from dfl_finance.model.load import apply_overrides, load_scenario
from dfl_finance.model.samples import draw_samples
from dfl_finance.outputs.export import csv_text
from dfl_finance.outputs.result import _statistics, round_statistic, run
from dfl_finance.outputs.tables import columns
from dfl_finance.studies.portfolio import load_portfolio, run_portfolio
from dfl_finance.studies.risk.stress import NotApplicable, apply_stress

if TYPE_CHECKING:
    import pandas as pd

    from dfl_finance.inputs.models import Scenario

#: Times a failed task is tried again.
RETRIES = 2
#: Most tasks (chunks) of one sweep: the scheduler holds one future per task (10^11 tasks ended in a MemoryError).
MAX_TASKS = 100_000
#: Most draws of one sweep over all its cases (each draw is a row of the draws/ data set, about 100 bytes).
MAX_SWEEP_DRAWS = 100_000_000
#: The file in draws/ that records what each case's chunks were computed from (:func:`case_fingerprint`); its
#: leading ``_`` makes pyarrow, pandas and dask leave it out of the data set.
FINGERPRINTS = "_fingerprints.json"
#: The label columns of a draw row, before the metrics.
LABELS = columns("sweep_draws")
#: The summary metrics that portfolio_quantiles.csv sums over a portfolio's countries, draw by draw (USD, current
#: prices: the same unit in every country and every price basis).
PORTFOLIO_SUMS = ("total_cost_nominal_usd", "total_external_nominal_usd", "total_gap_nominal_usd")
#: The count of countries with a gap (``total_gap_nominal_usd > 0``) in a draw.
PORTFOLIO_COUNT = "countries_with_gap"
PORTFOLIO_QUANTILE_COLUMNS = columns("portfolio_quantiles")


@dataclass(frozen=True)
class Case:
    """One combination: a scenario (a file, or a country of the sweep's portfolio), an override set, a stress and a
    seed."""

    index: int
    scenario: str  # the scenario's name, or the country's
    file: str  # the scenario file as the sweep writes it, or "<portfolio file>#<country>"
    override: str
    values: dict[str, Any]
    stress: str  # "baseline" or name[:source][=size]
    seed: int
    sample_seed: int | None = None  # the seed its inputs are sampled with, when not ``seed`` (a portfolio's country)
    common: tuple[str, ...] = ()  # a portfolio country's common factors ([portfolio] common), drawn with common_seed
    common_seed: int | None = None  # the seed of the common factors' stream, the same in every country

    @property
    def sampling_seed(self) -> int:
        return self.seed if self.sample_seed is None else self.sample_seed

    def labels(self) -> dict[str, object]:
        return {"case": self.index, "scenario": self.scenario, "override": self.override, "stress": self.stress,
                "seed": self.seed}


@dataclass(frozen=True)
class SweepPortfolio:
    """The portfolio of a sweep: its file and name, and each country's case key (``Case.file``), name and share of
    the fund [USD, current prices], in the portfolio's order."""

    file: Path
    name: str
    fund: str
    keys: list[str]
    labels: list[str]
    shares: list[float]
    common: tuple[str, ...] = ()  # [portfolio] common: the inputs every country shares, drawn once per draw


@dataclass(frozen=True)
class Sweep:
    name: str
    cases: list[Case]
    draws: int
    chunk: int
    method: str
    basis: str
    texts: dict[str, str] = field(default_factory=dict, repr=False)  # Case.file -> the scenario's resolved TOML
    portfolio: SweepPortfolio | None = None

    def tasks(self) -> list[tuple[int, int, int]]:
        """(case, first draw, last draw + 1) of every chunk."""
        return [(c.index, start, min(start + self.chunk, self.draws)) for c in self.cases
                for start in range(0, self.draws, self.chunk)]


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file: the file itself (:func:`~dfl_finance.inputs.sweep.read_sweep`), every scenario
    validates (each failure named with its file and field, all of them reported), the portfolio loads and runs (its
    problems named with its file or its country's), every override path resolves in every scenario, every stress
    stresses the scenarios it is combined with.

    Raises
    ------
    ScenarioError
        Whatever is wrong, each problem naming the sweep file, the scenario file or the portfolio file and the field.
    """
    path = Path(path)
    spec = read_sweep(path)
    sweep = spec.table
    problems = list(spec.problems)
    draws, chunk, seeds, files = sweep.draws, sweep.chunk, sweep.seeds, sweep.scenarios
    scenarios: dict[str, Scenario] = {}
    for f in files:
        target = (path.parent / f).resolve()
        try:
            scenarios[f] = load_scenario(target)
        except ScenarioError as exc:  # every scenario is checked; its problems name its file (and one that cannot be
            problems += exc.named_by(f"{path}: sweep.scenarios", str(target), f)  # read, the field naming it)
    names = [sc.name for sc in scenarios.values()]
    part = None
    if sweep.portfolio:
        part, countries, found = _portfolio_part(path, sweep.portfolio)
        problems += found
        scenarios.update(countries)
        names += part.labels if part else []
    if len(set(names)) != len(names):
        problems.append(Problem(f"{path}: sweep.scenarios", "two scenarios (or a scenario and a country of the "
                                "portfolio) have the same name", names))
    sets: list[tuple[str, dict[str, Any]]] = []
    for i, o in spec.overrides:
        where = f"{path}: sweep.override[{i}]"
        for f, sc in scenarios.items() if o.values else ():
            try:
                apply_overrides(sc, o.values)
            except ScenarioError as exc:
                problems += [Problem(f"{where}.values: {p.path}", f"{p.message} (in {f})", p.value, p.has_value)
                             for p in exc.problems]
        sets.append((o.name, o.values))
    stresses = sweep.stresses
    listed = spec.cases
    combos: list[tuple[str, tuple[str, dict[str, Any]], str, int]] = []
    stress_fields: list[str] = []  # the field that names each combination's stress
    count = len(scenarios) * len(sets) * len(stresses) * len(seeds) if listed is None else len(listed)
    chunks = math.ceil(draws / chunk)
    if count * chunks > MAX_TASKS or count * draws > MAX_SWEEP_DRAWS:
        raise ScenarioError(problems + [Problem(
            f"{path}: sweep", f"too large: {count:,} cases x {draws:,} draws = {count * draws:,} draws in "
            f"{count * chunks:,} chunks; a sweep has at most {MAX_SWEEP_DRAWS:,} draws and {MAX_TASKS:,} chunks "
            "(fewer seeds, stresses or override sets, fewer draws, or a larger chunk)", has_value=False)])
    if listed is None:
        combos = list(itertools.product(scenarios, sets, stresses, seeds))
        stress_fields = [f"{path}: sweep.stresses"] * len(combos)
    else:  # a listed set instead of the product
        by_name = dict(sets)
        by_label = dict(zip(part.labels, part.keys)) if part else {}
        for i, row in listed:
            where = f"{path}: sweep.case[{i}]"
            f = by_label.get(row.scenario, row.scenario)  # a country by its name
            oname = row.override if row.override is not None else sets[0][0] if sets else AS_WRITTEN
            seed = row.seed if row.seed is not None else seeds[0]
            if f not in scenarios:
                choices = [*files, *(part.labels if part else [])]
                problems.append(Problem(f"{where}.scenario", "one of the sweep's scenario files, or a country of its "
                                        f"portfolio ({known(choices)})", row.scenario))
            elif oname not in by_name and not (oname == AS_WRITTEN and not sets):
                problems.append(Problem(f"{where}.override", f"one of the override sets ({', '.join(by_name)})",
                                        oname))
            else:
                combos.append((f, (oname, by_name.get(oname, {})), row.stress, seed))
                stress_fields.append(f"{where}.stress")
    problems += _stress_problems(scenarios, combos, stress_fields)
    texts: dict[str, str] = {}
    for f, sc in scenarios.items():  # what the workers get, and what they will read from it
        texts[f] = dump_resolved(sc)
        if parse_resolved(texts[f]) != sc:
            problems.append(Problem(f, "this scenario does not read back the same from the text sent to the workers "
                                    "(a bug: please report it)", has_value=False))
    if problems:
        raise ScenarioError(problems)
    place = {key: i for i, key in enumerate(part.keys)} if part else {}
    label = {key: name for key, name in zip(part.keys, part.labels)} if part else {}
    common = part.common if part else ()
    cases = [Case(k, label.get(f, scenarios[f].name), f, oname, values, str(stress), int(seed),
                  country_seed(int(seed), place[f]) if f in place else None,
                  common if f in place else (), common_seed(int(seed)) if f in place and common else None)
             for k, (f, (oname, values), stress, seed) in enumerate(combos)]
    return Sweep(name=spec.name, cases=cases, draws=draws, chunk=chunk, method=sweep.method, basis=sweep.basis,
                 texts=texts, portfolio=part)


def _stress_problems(scenarios: dict[str, Scenario], combos: list[tuple[str, tuple[str, dict[str, Any]], str, int]],
                     fields: list[str]) -> list[Problem]:
    """What is wrong with the stress of each combination (scenario file, override set, stress, seed) for its
    scenario after its override set, at the field that names the stress (``fields``): a source that the scenario
    does not have or that the stress does not take, a size outside the stress's range, or a stressed scenario that
    does not validate (a unit cost past the largest amount). A stress that does not apply gives its cases no draws,
    as it does when they run. Each problem once, with the scenarios it concerns. These failed only when the cases
    ran, each case by name, the sweep file and field unsaid (issue 26)."""
    overridden: dict[tuple[str, str], Scenario | None] = {}
    found: dict[tuple[str, str], tuple[object, bool, list[str]]] = {}  # (field, message) -> value, has it, where
    seen: set[tuple[str, str, str]] = set()
    for (f, (oname, values), stress, _), at in zip(combos, fields):
        stress = str(stress)  # (a stress that is not text is named where it is written)
        if stress == "baseline" or (f, oname, stress) in seen:
            continue
        seen.add((f, oname, stress))
        if (f, oname) not in overridden:
            try:
                overridden[f, oname] = apply_overrides(scenarios[f], values) if values else scenarios[f]
            except ScenarioError:  # named at its override set
                overridden[f, oname] = None
        sc = overridden[f, oname]
        try:
            spec = parse_stress(stress)
        except ScenarioError:  # named where it is written
            continue
        if sc is None:
            continue
        wrong = check_stresses([spec], sc)
        if not wrong:
            try:
                apply_stress(sc, spec)
            except NotApplicable:
                pass
            except ScenarioError as exc:
                more = len(exc.problems) - 1
                wrong = [Problem("", f"{spec.key}: the stressed scenario is not valid: {exc.problems[0].format()}"
                                 + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""),
                                 has_value=False)]
        where = f if not values else f"{f} with the override set `{oname}`"
        for p in wrong:
            found.setdefault((at, p.message), (p.value, p.has_value, []))[2].append(where)
    return [Problem(at, f"{message} (in {known(where, 4)})", value, has_value)
            for (at, message), (value, has_value, where) in found.items()]


def _portfolio_part(path: Path, named: str) -> tuple[SweepPortfolio | None, dict[str, Scenario], list[Problem]]:
    """The portfolio a sweep names: its countries' scenarios as the portfolio runs them, by case key, or the problems
    (each naming the portfolio file or the country's scenario file, and the field)."""
    target = (path.parent / named).resolve()
    try:
        portfolio = load_portfolio(target)
    except ScenarioError as exc:  # a problem with the whole file (missing, not TOML) says which field named it
        return None, {}, [Problem(f"{path}: sweep.portfolio", f"{target}: {p.message}", named) if p.path == str(target)
                          else p for p in exc.problems]
    try:
        run = run_portfolio(portfolio)
    except ScenarioError as exc:
        return None, {}, exc.problems_in(str(target))
    labels = [c.label for c in run.portfolio.countries]
    keys = [f"{named}#{label}" for label in labels]
    part = SweepPortfolio(target, run.portfolio.name, run.portfolio.fund.id, keys, labels,
                          [float(s) for s in run.share], tuple(run.portfolio.common))
    return part, {key: r.scenario for key, r in zip(keys, run.after)}, []


def country_seed(seed: int, place: int) -> int:
    """The seed with which the country at ``place`` (0, 1, ...) in a portfolio samples its inputs in the cases of
    ``seed``: a stream of its own (``numpy.random.SeedSequence(seed, spawn_key=(place,))``), so that countries whose
    uncertain inputs are laid out alike do not draw the same numbers; the same on any machine.

    >>> country_seed(1, 0) != country_seed(1, 1) != country_seed(2, 0)
    True
    """
    return int(np.random.SeedSequence(seed, spawn_key=(place,)).generate_state(1)[0])


#: The spawn key of a portfolio's common factors' stream (:func:`common_seed`): a place no country takes.
COMMON_PLACE = 2**32 - 1


def common_seed(seed: int) -> int:
    """The seed of a portfolio's common factors (``[portfolio] common``) in the cases of ``seed``: one stream for the
    whole portfolio, apart from every country's own (:func:`country_seed`), so that every country draws the same
    numbers for them.

    >>> common_seed(1) == common_seed(1) != country_seed(1, 0)
    True
    """
    return country_seed(seed, COMMON_PLACE)


def overridden(sc: Scenario, values: dict[str, Any]) -> Scenario:
    """``sc`` with an override set's ``values`` (:func:`~dfl_finance.model.load.apply_overrides`), each field the set
    gives a value fixed at it: an ``[[uncertain]]`` row of that field is dropped (else its draws, and the deterministic
    run's point, would replace the value set), unless the set writes the ``uncertain`` rows itself."""
    if "uncertain" in values:
        return apply_overrides(sc, values)
    fixed = {tuple(resolve(sc, path)) for path in values}
    rows = [row.model_dump(exclude_none=True) for row in sc.uncertain if tuple(resolve(sc, row.path)) not in fixed]
    return apply_overrides(sc, values if len(rows) == len(sc.uncertain) else {**values, "uncertain": rows})


def case_scenario(text: str, case: Case) -> Scenario | None:
    """The scenario of a case: its resolved text (:attr:`Sweep.texts`) validated, the override set applied, the
    stress applied; None when the stress does not apply to it."""
    sc = parse_resolved(text)
    if case.values:  # (validating again would plan a school table again, from this process's folder)
        sc = overridden(sc, case.values)
    if case.stress == "baseline":
        return sc
    try:
        return apply_stress(sc, parse_stress(case.stress))
    except NotApplicable:
        return None


#: The cases whose inputs (:func:`case_inputs`) a process keeps: a worker runs a case's chunks one after another
#: (Dask runs the tasks in the order they are submitted, case by case), so two are enough to parse and sample each
#: case once per worker instead of once per chunk; more would hold the samples of cases long done.
KEPT_CASES = 2
_kept: dict[str, tuple[Scenario | None, dict[tuple[str | int, ...], Any]]] = {}


def _forget() -> None:
    """Let go of the cases kept (:func:`case_inputs`): a sweep's end, in each process that ran its chunks."""
    _kept.clear()


def case_key(text: str, case: Case, draws: int, method: str) -> str:
    """What a case's inputs (:func:`case_inputs`) are computed from, hashed: its scenario's text, override set,
    stress, sampling seed, draws and sampling method."""
    import hashlib
    import json

    what = [text, case.values, case.stress, case.sampling_seed, draws, method,
            *([list(case.common), case.common_seed] if case.common else [])]
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def case_inputs(text: str, case: Case, draws: int, method: str,
                ) -> tuple[Scenario | None, dict[tuple[str | int, ...], Any]]:
    """The scenario of a case (:func:`case_scenario`; None when its stress does not apply) and the samples of its
    uncertain inputs in all its draws, the same for every chunk: computed once per process for the last
    :data:`KEPT_CASES` cases (a pure function of its arguments, so keeping it changes no number)."""
    key = case_key(text, case, draws, method)
    if key not in _kept:
        sc = case_scenario(text, case)
        samples = draw_samples(sc, draws, case.sampling_seed, method, case.common, case.common_seed) \
            if sc is not None else {}
        while len(_kept) >= KEPT_CASES:
            del _kept[next(iter(_kept))]  # the oldest
        _kept[key] = (sc, samples)
    return _kept[key]


def run_chunk(text: str, case: Case, start: int, stop: int, draws: int, method: str, basis: str) -> pd.DataFrame:
    """One task: the summary metrics of draws ``start .. stop - 1`` of a case (a row per draw). Pure given its
    arguments (what a worker receives), so it runs the same on any worker."""
    import pandas as pd

    sc, samples = case_inputs(text, case, draws, method)  # all the case's draws: the same for every chunk
    if sc is None:
        return pd.DataFrame(columns=LABELS)
    part = {loc: values[start:stop] for loc, values in samples.items()}
    res = run(sc, basis, draws=stop - start, samples=part)
    arrays = res.summary_arrays()
    df = pd.DataFrame({**{k: [v] * (stop - start) for k, v in case.labels().items()},
                       "draw": np.arange(start, stop), **{k: np.asarray(v, dtype=float) for k, v in arrays.items()}})
    return df


def chunk_file(text: str, case: Case, start: int, stop: int, draws: int, method: str, basis: str) -> bytes:
    """One task on Dask: :func:`run_chunk` as the bytes of its Parquet file (:func:`_parquet`), encoded on the
    worker: what travels back is the file, a few bytes a draw, and the process that writes it only writes."""
    return _parquet(run_chunk(text, case, start, stop, draws, method, basis))


def _chunk_path(out: Path, case: int, start: int) -> Path:
    return out / "draws" / f"case={case}" / f"chunk={start}.parquet"


def case_fingerprint(sweep: Sweep, case: Case) -> str:
    """What a case's draws are computed from, hashed: its scenario as validated (data filled in, school plans
    included), its override set, stress and seeds, the sweep's draws, chunk, sampling method and price basis, and
    the version of dfl_finance. A resumed run (``resume``) keeps a case's chunks only when this is unchanged."""
    import hashlib
    import json

    what = {"scenario": sweep.texts[case.file], "values": case.values, "stress": case.stress, "seed": case.seed,
            "sample_seed": case.sampling_seed, "draws": sweep.draws, "chunk": sweep.chunk, "method": sweep.method,
            "basis": sweep.basis, "version": vocabulary.VERSION}
    if case.common:  # (without common factors, the fingerprint of the cases written before they existed)
        what.update({"common": list(case.common), "common_seed": case.common_seed})
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _stale(out: Path, sweep: Sweep, resume: bool) -> dict[int, str]:
    """Prepare ``out/draws`` for a run: remove the temporary files of chunks whose writing was killed, and with
    ``resume`` the chunks of every case whose recorded fingerprint is not its fingerprint now (its inputs changed,
    or they were written without one); record every case's fingerprint. Returns the cases whose chunks were
    removed, and why."""
    import json
    import shutil

    draws = out / "draws"
    draws.mkdir(parents=True, exist_ok=True)
    for pattern in ("case=*/*.tmp*", "case=*/.*.tmp*", ".*.tmp*"):
        for tmp in draws.glob(pattern):
            tmp.unlink(missing_ok=True)
    path = draws / FINGERPRINTS
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        recorded = {}
    now = {str(c.index): case_fingerprint(sweep, c) for c in sweep.cases}
    removed: dict[int, str] = {}
    for folder in sorted(draws.glob("case=*")) if resume else ():
        key = folder.name.split("=", 1)[1]
        if recorded.get(key) != now.get(key):
            why = ("not a case of this sweep" if key not in now else
                   "written by another sweep, or before dfl_finance recorded what chunks are computed from"
                   if key not in recorded else "its inputs changed since its chunks were written (the scenario, "
                   "its data, the override set, stress, seed, draws, chunk, method, basis or dfl_finance version)")
            shutil.rmtree(folder)
            if key.isdigit():
                removed[int(key)] = why
    write_file_atomically(path, json.dumps(now, indent=1, sort_keys=True))  # through a hidden temporary file
    return removed


def _parquet(df: pd.DataFrame) -> bytes:
    """A chunk's rows as a Parquet file. The case is in the folder's name (hive partitioning): in the file too,
    readers that join the partitions (pandas.read_parquet, dask) would find it twice, with two types."""
    return df.drop(columns="case", errors="ignore").to_parquet(index=False, engine="pyarrow")


def _write_chunk(data: bytes, path: Path) -> None:
    """Atomically: a chunk file exists only when complete (what a resumed run relies on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # through a hidden temporary file (a leading dot): a chunk whose writing is killed is no part of the data set
    # readers see, and the next run removes it
    write_file_atomically(path, data)


@dataclass
class SweepRun:
    sweep: Sweep
    out: Path
    failed: dict[int, str] = field(default_factory=dict)  # case -> why
    skipped: int = 0  # chunks already written (resume)
    recomputed: dict[int, str] = field(default_factory=dict)  # case -> why its chunks were not resumed
    ran: int = 0
    incomplete: list[str] = field(default_factory=list)  # portfolio combinations left out, and why
    notes: dict[int, str] = field(default_factory=dict)  # case -> why its draws are all the same (flat_note)
    # (Case.file, Case.override) -> what its draws draw (drawn_inputs)
    drawn: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def run_sweep(sweep: Sweep, out: str | Path, client: Any = None, resume: bool = False,
              progress: Callable[[int], None] | None = None) -> SweepRun:
    """Run every task of the sweep, on the dask ``client`` (None: in this process, one after another), writing
    each chunk as it finishes; then ``cases.csv`` and ``quantiles.csv`` (and ``portfolio_quantiles.csv``).

    On Dask, a task returns its chunk's Parquet file (:func:`chunk_file`) and each case whose chunks all run is
    summarised on a worker from them (:func:`summarise_case`), so that this process writes files and tables and
    computes nothing a worker could. The tasks go case by case, each case's summary after its chunks."""
    out = Path(out)
    state = SweepRun(sweep, out)
    state.recomputed = _stale(out, sweep, resume)
    by_index = {c.index: c for c in sweep.cases}
    todo: dict[int, list[tuple[int, int]]] = {}  # case -> (first draw, last draw + 1) of the chunks to run
    for case, start, stop in sweep.tasks():
        if resume and _chunk_path(out, case, start).exists():
            state.skipped += 1
            if progress:
                progress(1)
            continue
        todo.setdefault(case, []).append((start, stop))
    whole = {case for case, chunks in todo.items() if len(chunks) == -(-sweep.draws // sweep.chunk)}
    drawn = _Drawn(sweep)
    portfolio = sweep.portfolio is not None
    summaries: dict[int, CaseSummary] = {}
    units = None
    if client is None:
        for case, chunks in todo.items():
            c = by_index[case]
            frames = []
            for start, stop in chunks:
                try:
                    df = run_chunk(sweep.texts[c.file], c, start, stop, sweep.draws, sweep.method, sweep.basis)
                    _write_chunk(_parquet(df), _chunk_path(out, case, start))
                    frames.append(df)
                    state.ran += 1
                except Exception as exc:  # noqa: BLE001 - reported by case, the others go on
                    state.failed.setdefault(case, f"{type(exc).__name__}: {exc}")
                if progress:
                    progress(1)
            if case in whole and case not in state.failed:  # (else from its files, with those written before)
                summaries[case] = summarise_case(drawn(c), portfolio, *frames)
        _forget()
    else:
        from distributed import as_completed

        # each scenario's text once to every worker, not once in every task (a school plan's text is megabytes).
        # The texts and the tasks have keys of this run alone (hash=False, `run`): keys named by their content or by
        # the process, a second run on the same client took the first run's, and the first run's release of them
        # cancelled the second's tasks ("lost dependencies")
        texts = {f: client.scatter(sweep.texts[f], broadcast=True, hash=False)
                 for f in dict.fromkeys(by_index[case].file for case in todo)}
        futures, summarised = {}, {}
        run = uuid.uuid4().hex[:12]
        # each case's chunks to one worker first (cases dealt round the workers), so that a worker parses and samples
        # only its own cases; an idle worker may still take chunks of the others (allow_other_workers), so unequal
        # cases still share the workers
        addresses = sorted(cast(Any, client).scheduler_info()["workers"])
        for k, (case, chunks) in enumerate(todo.items()):  # in order, case by case (case_inputs: sampled once)
            c = by_index[case]
            prefer: dict[str, Any] = ({"workers": [addresses[k % len(addresses)]], "allow_other_workers": True}
                                      if len(addresses) > 1 else {})
            mine = []
            for start, stop in chunks:
                f = client.submit(chunk_file, texts[c.file], c, start, stop, sweep.draws, sweep.method,
                                  sweep.basis, retries=RETRIES, pure=False, key=f"dfl-{case}-{start}-{run}",
                                  **prefer)
                futures[f] = (case, start)
                mine.append(f)
            if case in whole:
                summarised[case] = client.submit(summarise_case, drawn(c), portfolio, *mine, pure=False,
                                                 key=f"dfl-{case}-summary-{run}")
        units = _units(sweep, drawn)  # while the workers compute, not after them
        for f in cast(Any, as_completed)(futures):  # (distributed is not typed)
            case, start = futures.pop(f)  # (the file leaves the worker's memory once written and summarised)
            try:
                _write_chunk(f.result(), _chunk_path(out, case, start))
                state.ran += 1
            except Exception as exc:  # noqa: BLE001 - reported by case, the others go on
                state.failed.setdefault(case, f"{type(exc).__name__}: {exc}")
            if progress:
                progress(1)
        for case, f in summarised.items():
            if case not in state.failed:  # (else from its files: a summary of the chunks written)
                try:
                    summaries[case] = f.result()
                except Exception:  # noqa: BLE001 - summarised here from its files
                    continue
        try:
            client.run(_forget)  # (the samples of the last cases, on every worker)
        except Exception:  # noqa: BLE001 - a worker gone: what it kept went with it
            pass
    summarise(state, summaries, drawn, units)
    return state


class _Drawn:
    """What the draws of each case draw (:func:`dfl_finance.inputs.uncertain.drawn_inputs`; an override set may add
    or remove uncertain inputs), each scenario's text validated once (:attr:`parsed`)."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.parsed: dict[str, Scenario] = {}
        self.drawn: dict[tuple[str, str], list[str]] = {}  # (Case.file, Case.override) -> what its draws draw

    def scenario(self, file: str) -> Scenario:
        if file not in self.parsed:
            self.parsed[file] = parse_resolved(self.sweep.texts[file])
        return self.parsed[file]

    def __call__(self, c: Case) -> list[str]:
        if (c.file, c.override) not in self.drawn:
            sc = self.scenario(c.file)
            self.drawn[c.file, c.override] = drawn_inputs(overridden(sc, c.values) if c.values else sc)
        return self.drawn[c.file, c.override]


def read_draws(out: str | Path) -> pd.DataFrame:
    """Every draw row of a sweep's output folder, ordered by case and draw."""
    import pandas as pd

    files = sorted((Path(out) / "draws").glob("case=*/chunk=*.parquet"))
    if not files:
        return pd.DataFrame(columns=LABELS)
    df = pd.concat([pd.read_parquet(f).assign(case=int(f.parent.name.split("=", 1)[1])) for f in files],
                   ignore_index=True)
    df = df[["case", *(c for c in df.columns if c != "case")]]
    return df.sort_values(["case", "draw"], kind="stable").reset_index(drop=True)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """A table of the sweep as every command writes its tables (:func:`dfl_finance.outputs.export.csv_text`): text
    that a spreadsheet would run as a formula neutralised, a carriage return quoted (an override set's name ``\\r=2+5``
    broke its rows in two and was written as a formula; issue 26)."""
    write_file_atomically(path, csv_text(df))


@dataclass(frozen=True)
class CaseSummary:
    """What the tables of a sweep need of one case's draws (:func:`summarise_case`): computed where its chunks are
    (on a worker, from the files its tasks return), so that the process that writes the tables only writes them."""

    draws: int  # its draw rows
    metrics: list[str]  # its metric columns, in the order of its files
    stats: dict[str, dict[str, float]]  # metric -> statistic -> value, unrounded (metrics that a draw defines)
    note: str  # why its draws are all the same (flat_note), else ""
    portfolio: dict[str, Any] = field(default_factory=dict)  # "draw" and PORTFOLIO_SUMS over its draws, in order


def summarise_case(drawn: list[str], portfolio: bool, *chunks: bytes | pd.DataFrame) -> CaseSummary:
    """The summary of one case from its chunks in the order of their draws (each a Parquet file's bytes, as
    :func:`chunk_file` returns them and the draws/ files hold them, or the rows themselves): the statistics of every
    metric over its draws (:func:`~dfl_finance.outputs.result._statistics`, as ``quantiles.csv`` reports them before
    rounding), its flat note (``drawn``: what its draws draw) and, for a ``portfolio``'s sweep, the draws and
    :data:`PORTFOLIO_SUMS`. A pure function, the same in any process: a worker runs it on the chunks it has."""
    import io

    import pandas as pd

    frames = [c if isinstance(c, pd.DataFrame) else pd.read_parquet(io.BytesIO(c)) for c in chunks]
    frames = [f.drop(columns="case", errors="ignore") for f in frames]
    draws = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LABELS)
    metrics = [str(c) for c in draws.columns if c not in LABELS]
    arrays = {m: draws[m].to_numpy(dtype=float) for m in metrics}
    stats = {m: {k: float(v) for k, v in _statistics(values).items()}
             for m, values in arrays.items() if np.isfinite(values).any()}
    part = {}
    if portfolio and len(draws):
        part = {"draw": draws["draw"].to_numpy(), **{m: arrays[m] for m in PORTFOLIO_SUMS if m in arrays}}
    return CaseSummary(len(draws), metrics, stats, flat_note(drawn, arrays) if len(draws) else "", part)


def _case_files(out: Path, sweep: Sweep, case: int) -> list[bytes]:
    """The bytes of a case's chunk files in draws/, in the order of their draws (those written)."""
    paths = [_chunk_path(out, case, start) for c, start, _ in sweep.tasks() if c == case]
    return [p.read_bytes() for p in paths if p.is_file()]


def summarise(state: SweepRun, summaries: dict[int, CaseSummary] | None = None, drawn: _Drawn | None = None,
              units: dict[str, dict[str, str]] | None = None) -> None:
    """cases.csv and quantiles.csv from the chunks written; portfolio_quantiles.csv for a sweep with a portfolio.
    ``summaries``: cases summarised already (:func:`summarise_case`, on the workers, from the chunks they ran); the
    others are summarised here from their files. ``drawn`` and ``units``: as computed already (:func:`_units`)."""
    import pandas as pd

    out = state.out
    out.mkdir(parents=True, exist_ok=True)
    drawn = drawn or _Drawn(state.sweep)
    units = units if units is not None else _units(state.sweep, drawn)
    portfolio = state.sweep.portfolio is not None
    done = dict(summaries or {})
    for c in state.sweep.cases:
        if c.index not in done:
            done[c.index] = summarise_case(drawn(c), portfolio, *_case_files(out, state.sweep, c.index))
    state.drawn = {(c.file, c.override): drawn(c) for c in state.sweep.cases}
    # the metrics in the order of the columns of all the draws read as one table (read_draws): each case's as its
    # folder comes in the listing of draws/ (case=1 < case=10 < case=2), each new one after those before it
    metrics = list(dict.fromkeys(m for k in sorted(done, key=lambda k: f"case={k}/") for m in done[k].metrics))
    # why a case's quantiles are flat (every draw the same), else ""
    state.notes = {k: s.note for k, s in done.items() if s.draws}
    cases = pd.DataFrame([{**c.labels(), "file": c.file, "sample_seed": c.sampling_seed,
                           "draws": done[c.index].draws,
                           "failed": state.failed.get(c.index, ""), "uncertain_inputs": len(drawn(c)),
                           "note": state.notes.get(c.index, "")} for c in state.sweep.cases])
    _write_csv(cases, out / "cases.csv")
    rows = []
    for c in sorted(state.sweep.cases, key=lambda c: c.index):
        summary, unit = done[c.index], units.get(c.file, {})
        for m in metrics if summary.draws else ():
            for stat, v in summary.stats.get(m, {}).items():
                if math.isfinite(v):
                    rows.append({"case": c.index, "scenario": c.scenario, "metric": m, "statistic": stat,
                                 "value": round_statistic(v, m, unit.get(m, "")), "unit": unit.get(m, ""),
                                 "note": state.notes[c.index]})
    q = pd.DataFrame(rows, columns=columns("quantiles", "sweep"))
    _write_csv(q, out / "quantiles.csv")
    if portfolio:
        frames = [pd.DataFrame({"case": k, **s.portfolio}) for k, s in sorted(done.items()) if s.portfolio]
        draws = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["case", "draw"])
        totals, state.incomplete = portfolio_draws(state.sweep, draws)
        pq = portfolio_quantiles(state.sweep, totals, units)
        _write_csv(pq, out / "portfolio_quantiles.csv")


def portfolio_draws(sweep: Sweep, draws: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The portfolio's totals in each draw of each combination of override set, stress and seed: the sum over its
    countries of :data:`PORTFOLIO_SUMS` in their draws with the same index, and :data:`PORTFOLIO_COUNT` (columns
    override, stress, seed, draw and the totals); and the combinations left out, in words: those in which a country
    has not all its draws (its case failed, its stress does not apply, or ``[[sweep.case]]`` does not list it).

    Summing draw by draw treats the countries' uncertainties as independent (each country samples its own inputs
    from its own stream, :func:`country_seed`), but for the portfolio's common factors (:func:`common_seed`).
    """
    import pandas as pd

    part = sweep.portfolio
    columns = ["override", "stress", "seed", "draw", *PORTFOLIO_SUMS, PORTFOLIO_COUNT]
    if part is None:
        return pd.DataFrame(columns=columns), []
    by_case = {int(str(k)): g for k, g in draws.groupby("case", sort=True)} if len(draws) else {}
    combos: dict[tuple[str, str, int], dict[str, Case]] = {}
    for c in sweep.cases:
        if c.file in part.keys:
            combos.setdefault((c.override, c.stress, c.seed), {})[c.file] = c
    frames, left_out = [], []
    for (override, stress, seed), mine in combos.items():
        missing = [label for key, label in zip(part.keys, part.labels)
                   if key not in mine or len(by_case.get(mine[key].index, ())) != sweep.draws]
        if missing:
            left_out.append(f"{override}, {stress}, seed {seed}: no draws of {', '.join(missing)} (failed, the "
                            "stress does not apply, or not a listed case)")
            continue
        rows = [by_case[mine[key].index].sort_values("draw") for key in part.keys]
        df = pd.DataFrame({"override": override, "stress": stress, "seed": seed, "draw": np.arange(sweep.draws)})
        for m in PORTFOLIO_SUMS:
            df[m] = np.sum([r[m].to_numpy(dtype=float) for r in rows], axis=0)
        gaps = np.array([r["total_gap_nominal_usd"].to_numpy(dtype=float) for r in rows])
        df[PORTFOLIO_COUNT] = (gaps > 0).sum(axis=0)
        frames.append(df)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)), left_out


def portfolio_quantiles(sweep: Sweep, totals: pd.DataFrame, units: dict[str, dict[str, str]]) -> pd.DataFrame:
    """portfolio_quantiles.csv: the statistics over the draws of each of the portfolio's totals
    (:func:`portfolio_draws`), for each combination of override set, stress and seed."""
    import pandas as pd

    part = sweep.portfolio
    rows = []
    if part is not None and len(totals):
        unit = {**units.get(part.keys[0], {}), PORTFOLIO_COUNT: "countries"}
        for (override, stress, seed), g in totals.groupby(["override", "stress", "seed"], sort=False):
            for m in [*PORTFOLIO_SUMS, PORTFOLIO_COUNT]:
                for stat, v in _statistics(g[m].to_numpy(dtype=float)).items():
                    if math.isfinite(float(v)):
                        rows.append({"portfolio": part.name, "override": override, "stress": stress, "seed": seed,
                                     "metric": m, "statistic": stat, "unit": unit.get(m, "USD"),
                                     "value": round_statistic(float(v), m, unit.get(m, "USD"))})
    return pd.DataFrame(rows, columns=PORTFOLIO_QUANTILE_COLUMNS)


def _units(sweep: Sweep, drawn: _Drawn) -> dict[str, dict[str, str]]:
    """The unit of every summary metric of each scenario, in the sweep's basis (a one-draw run's summary), by
    ``Case.file``."""
    units = {}
    for f in sweep.texts:
        summary = run(drawn.scenario(f), sweep.basis).summary_df()
        units[f] = dict(zip(summary["metric"], summary["unit"]))
    return units


#: What Dask sets in a worker's environment before it starts it (``distributed.nanny.pre-spawn-environ``), less
#: ``MALLOC_TRIM_THRESHOLD_``, which Dask sets to 64 KiB: glibc then keeps a fixed threshold above which every array
#: is a new mapping of fresh pages, and the engine's arrays of a chunk (hundreds of KiB each) made a worker take 1.8x
#: the CPU time of this process for the same draws, much of it in the kernel (measured by benchmarks/bench_sweep.py).
#: numpy's threads stay one a worker (OpenMP, OpenBLAS, MKL): two workers do not fight over the cores.
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
#: The variables a local worker does not get from Dask (:data:`WORKER_ENVIRON`).
NOT_IN_WORKERS = ("MALLOC_TRIM_THRESHOLD_",)


def local_client(workers: int) -> Any:
    """A ``distributed`` client on a LocalCluster of ``workers`` processes with one thread each (the engine is
    numpy: processes, not threads, use the cores), numpy on one thread in each, glibc's own memory thresholds
    (:data:`WORKER_ENVIRON`), and no statistical profiler in the workers. Its scheduler's web server takes a free
    port (without one it takes 8787, and warns when another cluster on the machine has it)."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    environ = {**{k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
                  if k not in NOT_IN_WORKERS}, **WORKER_ENVIRON}
    after = {k: v for k, v in dask.config.get("distributed.nanny.environ", {}).items() if k not in NOT_IN_WORKERS}
    # the workers' statistical profiler (a stack sample every 10 ms, for the dashboard's profile page) off: 5-8% of a
    # worker's CPU time on the sweep benchmark, for a page nobody reads in a command's own cluster
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ, "distributed.nanny.environ": after,
                          "distributed.worker.profile.enabled": False}):
        # its HTTP routes (metrics) on a free port: 8787 may be taken by another scheduler on the machine
        cluster = cast(Any, LocalCluster)(n_workers=workers, threads_per_worker=1, processes=True,  # (not typed)
                                          dashboard_address=":0", silence_logs=logging.ERROR)
    return cast(Any, Client)(cluster)


def _version() -> str:
    return vocabulary.VERSION  # read when called: a worker answers with its own


def check_cluster(client: Any, wait: float = 60.0) -> int:
    """The number of workers of a running cluster, once at least one has joined (within ``wait`` seconds) and every
    one runs this version of dfl_finance.

    Raises
    ------
    DflFinanceError
        No worker joined, or a worker cannot import dfl_finance or has another version (each named; the message
        names the option ``scheduler``, the cluster's address).
    """
    __version__ = vocabulary.VERSION
    if not client.scheduler_info().get("workers"):
        try:
            client.wait_for_workers(1, timeout=wait)
        except TimeoutError:
            raise OptionError("scheduler", f"no worker joined the scheduler in {wait:.0f} s (start `dask worker "
                                  "<scheduler address>` on the machines that will run the sweep)") from None
    try:
        found = client.run(_version)
    except Exception as exc:  # noqa: BLE001 - a worker without dfl_finance fails to unpickle the function
        raise OptionError("scheduler", f"a worker cannot run this dfl_finance ({type(exc).__name__}: {exc}); "
                              f"every worker needs the dfl-finance of this machine ({__version__})") from None
    other = {w: v for w, v in found.items() if v != __version__}
    if other:
        raise OptionError("scheduler", f"workers with another dfl-finance than this one ({__version__}): "
                              + ", ".join(f"{w} ({v})" for w, v in sorted(other.items())))
    return len(found)


#: A sweep of fewer draws than this over all its cases (cases x draws) runs in this process unless its workers are
#: given (the option ``workers``; ``scheduler``, a running cluster, always runs there): below it, starting a local
#: cluster costs more than its second worker saves. The break-even is ``start-up / (seconds a draw in process -
#: seconds a draw on two started workers)``, which ``benchmarks/bench_sweep.py`` prints. Measured in December 2026 on
#: two cores, the machine quiet (load 1.2 to 1.6), after the engine and risk path of issue 21: 0.8 s / 16 us = 50,300
#: draws (before them 1.3 s / 87 us = 15,500 draws: a faster engine saves less a draw on a second worker); when other
#: work holds a core, the second worker saves less than its start-up even at 100,000 draws.
IN_PROCESS_BELOW = 50_000


def runs_in_process(sweep: Sweep, workers: int) -> bool:
    """Whether a sweep runs in this process rather than on a new local cluster of ``workers`` processes, when its
    workers are not given: a cluster of one worker does the same work after its start-up, and a sweep smaller than
    :data:`IN_PROCESS_BELOW` draws is done before the workers have started."""
    return workers <= 1 or len(sweep.cases) * sweep.draws < IN_PROCESS_BELOW


def check_workers(n: int) -> int:
    """``n``, the number of local worker processes (the option ``workers``), if it is one from 1 to 1024."""
    if not 1 <= n <= 1024:
        raise OptionError("workers", f"must be between 1 and 1024 worker processes, or 0 to run in this "
                              f"process (got {n})")
    return n


__all__ = ["Case", "CaseSummary", "Sweep", "SweepPortfolio", "SweepRun", "load_sweep", "run_sweep", "read_draws",
           "run_chunk", "chunk_file", "summarise_case", "runs_in_process", "IN_PROCESS_BELOW", "local_client",
           "country_seed", "portfolio_draws", "portfolio_quantiles", "LABELS", "PORTFOLIO_SUMS", "PORTFOLIO_COUNT"]

"""The Export page's risk, sensitivity and stress tables (no Streamlit here): which of them to write for each
scenario, and the tables and manifest entries gathered from what was computed.

The tables are those of the command line, under the same names, made by the same functions (through the app's
cache, :mod:`~dfl_finance.app.compute`), so the CSVs are identical to the command's for the same settings:

- ``quantiles``, ``yearly_quantiles`` as ``dfl-finance risk FILE --draws N --seed S --method M`` writes them;
- ``tornado``, ``sobol`` as ``dfl-finance sensitivity FILE --metric K ... --n N`` writes them (one metric at a
  time gives the same rows as the metrics together, in the same order);
- ``stress_summary``, ``stress_fiscal``, ``stress_dsf`` as ``dfl-finance stress FILE`` writes them.

The manifest records the settings as those commands' manifests do: ``risk`` (each scenario's draws, seed, method
and uncertain paths), ``sensitivity`` (each scenario's metrics, uncertain paths, seed, Sobol N and engine draws)
and ``stress`` (each scenario's stresses: applied, or why not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import pandas as pd

from dfl_finance.app.sensitivity import APP_SOBOL_N, DEFAULT_METRIC
from dfl_finance.app.uncertainty import MAX_APP_DRAWS, METHODS, flat_words, has_draws
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.uncertain import run_entry
from dfl_finance.outputs.tables import TABLES

if TYPE_CHECKING:
    from dfl_finance.app.compute import RiskTables, Stresses

#: The tables of each command that the Export page writes, named as the command writes them (the registry,
#: :mod:`dfl_finance.outputs.tables`: a risk run's summary and draws are not among them).
RISK_TABLES = ("quantiles", "yearly_quantiles")
SENSITIVITY_TABLES = ("tornado", "sobol")
STRESS_TABLES = ("stress_summary", "stress_fiscal", "stress_dsf")
EXTRA_TABLES = (*RISK_TABLES, *SENSITIVITY_TABLES, *STRESS_TABLES)
assert all(name in TABLES for name in EXTRA_TABLES)


def files_words(names: tuple[str, ...]) -> str:
    """The tables' files in words: ```stress_summary.csv`, `stress_fiscal.csv` and `stress_dsf.csv```."""
    files = [f"`{TABLES[n].file_name}`" for n in names]
    return files[0] if len(files) == 1 else f"{', '.join(files[:-1])} and {files[-1]}"


def written_as(names: tuple[str, ...]) -> str:
    """The tables' files and the command that writes them, from the registry: ```tornado.csv` and `sobol.csv` (as
    `dfl-finance sensitivity`)```."""
    return f"{files_words(names)} (as `dfl-finance {TABLES[names[0]].commands[0]}`)"
#: Where a risk run's settings come from, in words.
FROM_RISK_PAGE, FROM_FILE = "Risk page", "file's [risk]"


class RiskSettings(TypedDict):
    """A risk run's settings (the Risk page's, or the file's ``[risk]``)."""

    draws: int
    seed: int
    method: str


def file_settings(scenario: Scenario) -> RiskSettings:
    """A risk run's settings from the scenario's ``[risk]`` table (the draws at most the app's
    :data:`~dfl_finance.app.uncertainty.MAX_APP_DRAWS`): ``draws``, ``seed``, ``method``."""
    risk = scenario.risk
    return {"draws": min(risk.draws, MAX_APP_DRAWS), "seed": risk.seed, "method": risk.method}


def settings_words(settings: RiskSettings, short: bool = False) -> str:
    """``1,000 draws, seed 2026, Latin hypercube (lhs)`` (``short``: ``1,000 draws, seed 2026, lhs``)."""
    draws = int(settings["draws"])
    method = str(settings["method"])
    return f"{draws:,} draw{'s' if draws != 1 else ''}, seed {settings['seed']}, " + (
        method if short else METHODS.get(method, method))


@dataclass
class Plan:
    """What to write for one scenario: a risk run (its settings and where they come from), the metrics of the
    tornado and of the Sobol indices, whether the stress tests; and why something is left out."""

    risk: RiskSettings | None = None
    risk_from: str = ""
    tornado: list[str] = field(default_factory=list)
    sobol: list[str] = field(default_factory=list)
    stress: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.risk is None and not self.tornado and not self.sobol and not self.stress


def plan(scenario: Scenario, computed: dict[str, list[Any]], include: bool) -> Plan:
    """What to write for ``scenario``: what this session computed on the Risk page (``computed``: kind -> the
    details :func:`~dfl_finance.app.state.remembered` gives: risk settings, metrics), and with ``include`` what
    it did not, with the defaults of the commands: the file's ``[risk]`` settings, the tornado and the Sobol
    indices of :data:`~dfl_finance.app.sensitivity.DEFAULT_METRIC` (the command's default metric), the stress
    tests. A risk run needs uncertain inputs or an uncertain pledge, the sensitivity ``[[uncertain]]`` rows."""
    out = Plan()
    runs: list[RiskSettings] = computed.get("risk", [])
    if runs:  # the run last shown on the Risk page
        out.risk, out.risk_from = runs[-1].copy(), FROM_RISK_PAGE
    elif include and has_draws(scenario):
        out.risk, out.risk_from = file_settings(scenario), FROM_FILE
    elif include:
        out.notes.append("no uncertain inputs, so no risk tables (every draw would be the deterministic run)")
    if scenario.uncertain:
        out.tornado = list(computed.get("tornado", [])) or ([DEFAULT_METRIC] if include else [])
        out.sobol = list(computed.get("sobol", [])) or ([DEFAULT_METRIC] if include else [])
    elif include:
        out.notes.append("no [[uncertain]] rows, so no sensitivity tables")
    out.stress = bool(computed.get("stress")) or include
    return out


@dataclass
class ExtraTables:
    """The risk, sensitivity and stress tables of several scenarios, and the manifest's record of them."""

    frames: dict[str, list[pd.DataFrame]] = field(default_factory=lambda: {t: [] for t in EXTRA_TABLES})
    risk: dict[str, dict[str, object]] = field(default_factory=dict)
    sensitivity: dict[str, dict[str, object]] = field(default_factory=dict)
    stress: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def add_risk(self, scenario: Scenario, settings: RiskSettings, done: RiskTables) -> None:
        """A risk run (:func:`~dfl_finance.app.compute.risk_tables_for` with ``settings``)."""
        self.frames["quantiles"].append(done["quantiles"])
        self.frames["yearly_quantiles"].append(done["yearly"])
        self.risk[scenario.name] = run_entry(scenario, int(settings["draws"]),
                                             int(settings["seed"]),
                                             str(settings["method"]),
                                             flat_words(done["quantiles"]))

    def add_sensitivity(self, scenario: Scenario, tornado: dict[str, pd.DataFrame],
                        sobol: dict[str, pd.DataFrame], n: int = APP_SOBOL_N) -> None:
        """The tornado tables (metric -> tornado.csv rows) and Sobol tables (metric -> sobol.csv rows) of one
        scenario, each metric as computed (:func:`~dfl_finance.app.compute.tornado_for`, ``sobol_for``)."""
        if not tornado and not sobol:
            return
        self.frames["tornado"] += list(tornado.values())
        self.frames["sobol"] += list(sobol.values())
        k = len(scenario.uncertain)
        self.sensitivity[scenario.name] = {
            "metrics": list(dict.fromkeys([*tornado, *sobol])), "tornado": list(tornado), "sobol": list(sobol),
            "uncertain": [row.path for row in scenario.uncertain], "seed": scenario.risk.seed,
            **({"n": n, "engine_draws": n * (k + 2) * len(sobol)} if sobol else {})}

    def add_stress(self, scenario: Scenario, done: Stresses) -> None:
        """The stress tests (:func:`~dfl_finance.app.compute.stresses_for`)."""
        tables: dict[str, pd.DataFrame] = done["tables"]
        for name in STRESS_TABLES:
            self.frames[name].append(tables[name])
        self.stress[scenario.name] = done["notes"]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables computed, by their command's file name (without ``.csv``), in :data:`EXTRA_TABLES` order;
        the rows of several scenarios one after the other, joined as each command joins them (``risk``: all of
        them; ``stress``: the non-empty ones, as :func:`~dfl_finance.outputs.result.concat_tables`)."""
        out = {}
        for name in EXTRA_TABLES:
            frames = self.frames[name]
            if frames and name not in RISK_TABLES:
                frames = [f for f in frames if not f.empty] or frames[:1]
            if frames:
                out[name] = pd.concat(frames, ignore_index=True)
        return out

    def manifest(self) -> dict[str, object]:
        """The manifest's ``risk``, ``sensitivity`` and ``stress`` entries (those with something in them)."""
        return {key: value for key, value in (("risk", self.risk), ("sensitivity", self.sensitivity),
                                              ("stress", self.stress)) if value}

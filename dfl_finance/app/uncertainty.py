"""The Risk page's pure parts (no Streamlit here): the ``[[uncertain]]`` rows as an editable table and back, the
fields that can vary, and the tables of a risk run in words.

Edits are validated by the core (:func:`dfl_finance.inputs.scenario_from_dict`, which checks the rows' paths,
distributions and ranges with the rest of the scenario); the page keeps no rules of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, get_args

import numpy as np
import pandas as pd

from dfl_finance.app.editing import _clean, _row, list_parts, number_columns, number_text, parse_number, raw_of
from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs import paths
from dfl_finance.inputs.models import Scenario, Uncertain
from dfl_finance.inputs.uncertain import can_vary, drawn_inputs
from dfl_finance.model.load import scenario_from_dict
from dfl_finance.outputs.formatting import currency_of, format_metric
from dfl_finance.outputs.point import why_apart
from dfl_finance.outputs.result import STATISTICS, quantiles_note
from dfl_finance.vocabulary import SamplingMethod, metric_definition

#: The most draws the app runs (about 4 s and 0.5 GB for a bundled scenario at this size); the command line's
#: ``dfl-finance risk --draws`` goes to :data:`~dfl_finance.vocabulary.MAX_DRAWS`.
MAX_APP_DRAWS = 10_000
#: The columns of the uncertain-inputs table: the fields of an ``[[uncertain]]`` row, in the schema's order.
UNCERTAIN_COLUMNS: list[str] = list(Uncertain.model_fields)
#: The number columns of that table (typed as text, read by :func:`~dfl_finance.app.editing.parse_number`).
UNCERTAIN_NUMBERS = number_columns("[[uncertain]]", UNCERTAIN_COLUMNS)
#: The columns that hold lists of numbers (comma-separated in the table).
LIST_COLUMNS = ("values", "weights")
#: The sampling methods, in words.
METHODS: dict[str, str] = {"lhs": "Latin hypercube (lhs)", "sobol": "Scrambled Sobol (sobol)",
                           "mc": "Plain Monte Carlo (mc)"}
assert set(METHODS) == set(get_args(SamplingMethod))
#: The row written as an example when a scenario has no uncertain inputs.
EXAMPLE_ROW = ('[[uncertain]]\npath = "context.budget_growth"\ndistribution = "triangular"\n'
               'low = 0.0\nmode = 0.03\nhigh = 0.05')
#: The metrics of the Risk page's table, in its order (quantiles.csv has every metric).
RISK_METRICS = ("total_cost", "pv_total_cost", "total_external", "total_gap", "gap_share", "pv_government_cost",
                "peak_burden_share", "years_over_limit", "years_to_last_payment")
#: The probability that the burden exceeds its limit in some year, in words.
PROB_LABEL = "Probability that the burden exceeds its limit in some year"
TABLE_NAME = "uncertain inputs"


def _list_text(values: list[float] | None) -> str:
    """A list of numbers as a cell shows it: each with thousands separators, separated by a comma and a space."""
    return ", ".join(number_text(v, grouped=True) or "" for v in values) if values else ""


def uncertain_table(scenario: Scenario) -> pd.DataFrame:
    """The scenario's ``[[uncertain]]`` rows as an editable table: numbers as text (exact, as typed), lists of
    numbers comma-separated, empty cells empty."""
    rows = []
    for u in scenario.uncertain:
        row: dict[str, Any] = {}
        for c in UNCERTAIN_COLUMNS:
            v = getattr(u, c)
            if c in LIST_COLUMNS:
                row[c] = _list_text(v)
            elif c in UNCERTAIN_NUMBERS:
                row[c] = number_text(v, grouped=True) or ""
            else:
                row[c] = "" if v is None else str(v)
        rows.append(row)
    return pd.DataFrame(rows, columns=UNCERTAIN_COLUMNS, dtype=object)


def _number_list(text: Any, path: str, problems: list[Problem]) -> Any:
    """``"1, 2.5, 3"`` -> ``[1.0, 2.5, 3.0]`` (``"1,000, 2,000"`` -> ``[1000.0, 2000.0]``: the values are separated
    by a semicolon or a comma and a space, as in the other tables; a comma between digits groups thousands); a part
    that is not a number is a problem at ``path``."""
    parts = list_parts(text)
    if not isinstance(parts, list):
        return parts
    out = []
    for part in parts:
        try:
            out.append(parse_number(part, integer=False, optional=False))
        except ValueError as exc:
            problems.append(Problem(path, f"{exc}: write the numbers separated by a comma and a space or by "
                                    "semicolons (e.g. 0.5, 1, 2)", text))
            return None
    return out


_ROW_PATH = re.compile(r"^uncertain\[(\d+)\](?:\.(.+))?$")


def table_path(path: str) -> str:
    """A field path of an uncertain row as the table shows it: ``uncertain[2].low`` -> ``uncertain inputs, row 3,
    low``; other paths stay as they are."""
    m = _ROW_PATH.match(path)
    if not m:
        return path
    where = f"{TABLE_NAME}, row {int(m.group(1)) + 1}"
    return f"{where}, {m.group(2)}" if m.group(2) else where


def scenario_with_uncertain(scenario: Scenario, table: pd.DataFrame) -> Scenario:
    """A new scenario with ``table``'s rows as its ``[[uncertain]]`` inputs (empty rows left out), validated as a
    file is; raises :class:`ScenarioError` naming each problem's row (counted from 1, as the table shows it) and
    column, every problem at once (cells that are not numbers, and what the core finds in the rest)."""
    raw = raw_of(scenario)
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for _, cells in table.reset_index(drop=True).iterrows():
        if all(_clean(cells.get(c)) is None for c in UNCERTAIN_COLUMNS):
            continue  # an empty row added in the table and left empty
        i = len(rows)
        row = _row(cells, [c for c in UNCERTAIN_COLUMNS if c in cells.index], UNCERTAIN_NUMBERS, f"uncertain[{i}]",
                   problems)
        for c in LIST_COLUMNS:
            if c in row:
                value = _number_list(row[c], f"uncertain[{i}].{c}", problems)
                if value is None:
                    del row[c]
                else:
                    row[c] = value
        rows.append(row)
    if rows:
        raw["uncertain"] = rows
    else:
        raw.pop("uncertain", None)
    try:
        new = scenario_from_dict(raw, folder=scenario.folder)  # the files it names stay relative to its folder
    except ScenarioError as exc:
        seen = {p.path for p in problems}
        problems += [p for p in exc.problems if p.path not in seen]
    if problems:
        raise ScenarioError([replace(p, path=table_path(p.path)) for p in problems])
    return new


def varying_fields(scenario: Scenario) -> list[str]:
    """The field paths of ``scenario`` that an uncertain row can name (by id or item where the list has one), in
    the order of the file."""
    out = []
    for leaf in paths.leaves(scenario):
        if can_vary(leaf.location) and not isinstance(leaf.value, list):
            out.append(leaf.path)
    return out


def pledge_table(scenario: Scenario) -> pd.DataFrame:
    """The sources whose pledge is uncertain (``reliability``, ``disbursement_share``, ``disbursement_lag``), in
    words; empty when none is."""
    rows = []
    for s in scenario.source:
        if s.reliability is None and s.disbursement_share is None and s.disbursement_lag is None:
            continue
        share = s.disbursement_share
        lag = s.disbursement_lag
        rows.append({
            "Source": s.label,
            "Reliability (probability the pledge materialises)": "" if s.reliability is None
            else f"{s.reliability:.0%}",
            "Share that disburses": "" if share is None else ", ".join(
                [f"{k} {number_text(getattr(share, k))}" for k in ("low", "mode", "high", "mean", "sd", "median",
                                                                  "sd_log") if getattr(share, k) is not None]
                + ([f"values {_list_text(share.values)}"] if share.values else []))
            + f" ({share.distribution})",
            "Delay (years)": "" if lag is None else ", ".join(map(str, lag.values))
            + (f" (weights {', '.join(number_text(w) or '' for w in lag.weights)})" if lag.weights else ""),
        })
    return pd.DataFrame(rows)


def has_draws(scenario: Scenario) -> bool:
    """Whether a risk run of ``scenario`` draws anything: uncertain rows, cost lines uncertain "from-data" or an
    uncertain pledge (:func:`dfl_finance.inputs.uncertain.drawn_inputs`)."""
    return bool(drawn_inputs(scenario))


def flat_words(quantiles: pd.DataFrame) -> str:
    """Why a risk run's quantiles are flat (quantiles.csv's ``note``: every draw the same), or ``""``."""
    return quantiles_note(quantiles)


# ------------------------------------------------------------------------------------------------ results in words

def probability_over_limit(quantiles: pd.DataFrame) -> float | None:
    """The share of draws in which the burden exceeds its limit in some year (``prob_over_limit``, its mean)."""
    rows = quantiles[(quantiles["metric"] == "prob_over_limit") & (quantiles["statistic"] == "mean")]
    return float(rows["value"].iloc[0]) if not rows.empty else None


def _format(value: float | None, kind: str, currency: str) -> str:
    if kind == "years":  # fractional over draws (an interpolated percentile, a mean)
        return "n/a" if value is None or not np.isfinite(value) else f"{value:,.1f}"
    return format_metric(value, kind, currency)  # type: ignore[arg-type]


def risk_summary(quantiles: pd.DataFrame, deterministic: pd.DataFrame,
                 metrics: tuple[str, ...] = RISK_METRICS, point: str | None = None) -> pd.DataFrame:
    """The main metrics in words: the deterministic run's value (``deterministic``: a summary table) beside P10,
    P50, P90 and the mean over the draws; metrics that neither defines are left out. With ``point`` (the scenario's
    ``[risk] point``), a last column says why the deterministic figure, the P50 and the mean differ where they do
    (:func:`~dfl_finance.outputs.point.why_apart`)."""

    det = dict(zip(deterministic["metric"], deterministic["value"]))
    rows = []
    for key in metrics:
        q = quantiles[quantiles["metric"] == key]
        if q.empty and key not in det:
            continue
        d = metric_definition(key)
        unit = str(q["unit"].iloc[0]) if not q.empty else \
            str(deterministic.loc[deterministic["metric"] == key, "unit"].iloc[0])
        cur = currency_of(unit) or ""
        stats = dict(zip(q["statistic"], q["value"]))
        row = {"Metric": d.label, "Unit": unit, "Deterministic run": _format(det.get(key), d.kind, cur),
               **{k.upper() if k != "mean" else "Mean": _format(stats.get(k), d.kind, cur)
                  for k in ("p10", "p50", "p90", "mean")}}
        if point is not None:
            apart = why_apart(point, float(det[key]), float(stats["p50"]), float(stats["mean"])) \
                if key in det and "p50" in stats and "mean" in stats else ""
            row["Why they differ"] = apart[:1].upper() + apart[1:]
        rows.append(row)
    return pd.DataFrame(rows)


def yearly_wide(yearly: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure of ``yearly_quantiles_df`` with a column per statistic (``year``, ``p5`` .. ``p95``, ``mean``)."""
    df = yearly[yearly["measure"] == measure]
    wide = df.pivot(index="year", columns="statistic", values="value").reset_index()
    return wide[["year", *[s for s in STATISTICS if s in wide.columns]]]


def histogram(values: np.ndarray, bins: int | None = None) -> pd.DataFrame:
    """Draws counted in ``bins`` equal bins (``start``, ``end``, ``draws``, ``share``); NaN draws left out. All
    equal values make one bin. By default twice the square root of the draws, between 8 and 40 bins."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return pd.DataFrame(columns=["start", "end", "draws", "share"])
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        width = max(abs(lo) * 1e-3, 1.0)
        return pd.DataFrame({"start": [lo - width / 2], "end": [lo + width / 2], "draws": [v.size], "share": [1.0]})
    if bins is None:
        bins = int(min(40, max(8, round(2 * v.size ** 0.5))))
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "draws": counts, "share": counts / v.size})


def compare_quantiles(summaries: dict[str, pd.DataFrame], quantiles: dict[str, pd.DataFrame],
                      columns: dict[str, str], metrics: tuple[str, ...] = RISK_METRICS) -> pd.DataFrame:
    """The Compare page's main metrics over the draws: for each scenario (``summaries``: name -> its deterministic
    summary table, in the order of the columns) the deterministic value under ``columns[name]`` and, for the
    scenarios with a risk run (``quantiles``: name -> :func:`~dfl_finance.outputs.result.quantiles_df`), P50 and P90
    beside it, under ``"<number> P50"`` and ``"<number> P90"`` (the number that starts ``columns[name]``, as in
    ``1.``).

    Values are written as the Compare page writes them (years with a decimal, as percentiles over draws have
    them); where the scenarios' amounts are in different currencies, the unit is "each scenario's own" and every
    amount says its currency. Metrics that no scenario defines are left out; a metric that a scenario does not
    define is "n/a" there.
    """
    rows = []
    for key in metrics:
        d = metric_definition(key)
        units: dict[str, str] = {}
        for n, summary in summaries.items():
            unit = summary.loc[summary["metric"] == key, "unit"]
            drawn = quantiles[n][quantiles[n]["metric"] == key]["unit"] if n in quantiles else unit.iloc[:0]
            if len(unit) or len(drawn):
                units[n] = str(unit.iloc[0] if len(unit) else drawn.iloc[0])
        if not units:
            continue
        mixed = len(set(units.values())) > 1
        row = {"Metric": d.label, "Unit": "each scenario's own" if mixed else next(iter(units.values()))}
        for n, summary in summaries.items():
            code = (currency_of(units.get(n, "")) or "") if mixed and d.kind == "money" else ""
            det = summary.loc[summary["metric"] == key, "value"]
            row[columns[n]] = _format(float(det.iloc[0]), d.kind, code) if len(det) else "n/a"
            if n in quantiles:
                runs = quantiles[n][quantiles[n]["metric"] == key]
                stats = dict(zip(runs["statistic"], runs["value"]))
                number = columns[n].split(" ", 1)[0]
                for s in ("p50", "p90"):
                    row[f"{number} {s.upper()}"] = _format(stats[s], d.kind, code) if s in stats else "n/a"
        rows.append(row)
    return pd.DataFrame(rows)

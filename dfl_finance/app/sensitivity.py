"""The Risk page's sensitivity and stress-test parts (no Streamlit here): the uncertain inputs in words, the tornado
and Sobol tables made ready for their charts, and the stress tests as a table of the main metrics beside the
baseline."""

from __future__ import annotations

import math

import pandas as pd

from dfl_finance.app.editing import field_label
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.paths import describe
from dfl_finance.outputs.formatting import currency_of, format_delta, format_metric
from dfl_finance.studies.risk.stress import BASELINE
from dfl_finance.vocabulary import METRICS, metric_definition

#: The metric the tornado chart opens on.
DEFAULT_METRIC = "total_gap"
#: Base sample size of the app's Sobol indices (a power of 2; the command line defaults to 1,024).
APP_SOBOL_N = 256
#: The metrics of the stress-test table, in its order.
STRESS_METRICS = ("total_cost", "total_gap", "pv_government_cost", "peak_burden_share", "years_over_limit")
#: The ends of a tornado bar, in words (the legend).
LOW_END, HIGH_END = "Input at its low (P5)", "Input at its high (P95)"


def metric_options(summary: pd.DataFrame) -> list[str]:
    """The summary metrics a scenario defines (keys of :data:`~dfl_finance.vocabulary.METRICS`), in its order."""
    present = set(summary["metric"]) if "metric" in summary else set()
    return [m for m in METRICS if m in present] or list(METRICS)


def metric_label(key: str) -> str:
    return METRICS[key].label if key in METRICS else key


def input_label(scenario: Scenario, path: str) -> str:
    """An uncertain input's path in words, with its unit (:func:`dfl_finance.inputs.paths.describe`, as tornado.csv's
    ``input_label`` and ``input_unit``): ``programme[teacher_data_skills].cost[0].unit_cost`` -> ``Teacher data
    skills: data-skills workshop, 5 days per teacher, unit cost (USD)``; ``macro.inflation`` -> ``Domestic inflation
    (1/yr)``; a path that does not resolve stays."""
    return describe(scenario, path).text


def _labels(scenario: Scenario, paths: list[str]) -> list[str]:
    """Each path in words; two paths with the same words keep their paths too."""
    words = [input_label(scenario, p) for p in paths]
    return [f"{w} ({p})" if words.count(w) > 1 else w for w, p in zip(words, paths)]


def _number(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:,.4g}"


def tornado_frame(table: pd.DataFrame, scenario: Scenario, metric: str) -> pd.DataFrame:
    """One metric's rows of tornado.csv (:func:`dfl_finance.studies.risk.sensitivity.tornado`) in rank order, with the
    input in words (``input``), its low and high value as text, and the metric's kind and currency."""
    df = table[table["metric"] == metric].sort_values("rank").reset_index(drop=True)
    df["input"] = _labels(scenario, list(df["path"]))
    df["low_input_text"] = [_number(v) for v in df["low_input"]]
    df["high_input_text"] = [_number(v) for v in df["high_input"]]
    return df


def sobol_frame(table: pd.DataFrame, scenario: Scenario, metric: str) -> pd.DataFrame:
    """One metric's Sobol indices (sobol.csv) long: ``input``, ``index`` (first-order or total), ``value``, ``low``,
    ``high``; inputs by their total index, largest first."""
    df = table[table["metric"] == metric].copy()
    df["input"] = _labels(scenario, list(df["path"]))
    df = df.sort_values("total_order", ascending=False, na_position="last")
    rows = []
    for _, r in df.iterrows():
        for col, name in (("first_order", "First-order"), ("total_order", "Total")):
            rows.append({"input": r["input"], "path": r["path"], "index": name, "value": r[col],
                         "low": r[f"{col}_low"], "high": r[f"{col}_high"]})
    return pd.DataFrame(rows, columns=["input", "path", "index", "value", "low", "high"])


def above_one(table: pd.DataFrame, scenario: Scenario, metric: str, n: int = APP_SOBOL_N) -> str:
    """The note the Risk page gives with Sobol indices above 1 (100%) of ``metric`` (sobol.csv's ``note``): which
    inputs, that small samples do this, and where to raise the sample size; ``""`` when none is above 1."""
    rows = table[(table["metric"] == metric) & (table["note"].astype(str) != "")] if "note" in table else table[:0]
    if rows.empty:
        return ""
    inputs = "; ".join(f"{input_label(scenario, str(path))}: first-order {_share(float(s1))}, total "
                       f"{_share(float(st))}" for path, s1, st in zip(rows["path"], rows["first_order"],
                                                                       rows["total_order"]))
    return (f"An index above 100% ({inputs}) is not a share of the variance: small samples do this, and the app "
            f"computes the indices from a sample of {n:,} (fixed here). For a closer estimate, run `dfl-finance "
            f"sensitivity FILE --metric {metric} --n {4 * n}` (the sample size N, a power of 2).")


def _share(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.0%}"


def stress_name(key: str) -> str:
    """A stress key in words: ``pledge_shortfall:ida=0.3`` -> ``Pledge shortfall (ida, size 0.3)``."""
    if key == BASELINE:
        return "Baseline (no stress)"
    head, _, size = key.partition("=")
    name, _, source = head.partition(":")
    extra = ", ".join([*([source] if source else []), *([f"size {size}"] if size else [])])
    return field_label(name) + (f" ({extra})" if extra else "")


def stress_table(summary: pd.DataFrame, notes: list[dict[str, object]],
                 metrics: tuple[str, ...] = STRESS_METRICS) -> pd.DataFrame:
    """The stress tests in words: one row per stress that applies (the baseline first), its description, and for
    each metric of ``metrics`` the value with its change from the baseline (``stress_summary.csv`` in
    :meth:`~dfl_finance.studies.risk.stress.StressRun.summary_df`)."""
    described = {str(n["stress"]): str(n["description"]) for n in notes}
    rows = []
    for key in dict.fromkeys(summary["stress"]):
        part = summary[summary["stress"] == key].set_index("metric")
        row: dict[str, str] = {"Stress": stress_name(str(key)),
                               "What it does": _capitalised(described.get(str(key), "the scenario as it is"))}
        for m in metrics:
            if m not in part.index:
                continue
            d = metric_definition(m)
            cur = currency_of(str(part.at[m, "unit"])) or ""
            value = part.at[m, "value"]
            text = format_metric(None if pd.isna(value) else float(value), d.kind, cur)
            delta = part.at[m, "delta"]
            if key != BASELINE and delta is not None and not pd.isna(delta):
                text += f" ({format_delta(float(delta), d.kind, cur)})"
            row[d.label] = text
        rows.append(row)
    return pd.DataFrame(rows)


def not_applied(notes: list[dict[str, object]]) -> list[str]:
    """The stresses that do not apply, each with why: ``Pledge shortfall: the scenario has no grant source``."""
    return [f"{stress_name(str(n['stress']))}: {n.get('note', '')}" for n in notes if not n["applied"]]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]

"""What the money buys, side by side: the outcome measures of each scenario at the end of its plan and the cost of
each (issue 25), as the Compare page shows them (outcomes.csv and summary.csv's ``cost_per_<measure>``)."""

from __future__ import annotations

import pandas as pd

from dfl_finance.outputs.formatting import format_money
from dfl_finance.vocabulary import MILESTONES_MET, OUTCOME_MEASURES, OUTCOME_UNITS, cost_per_outcome_key

#: The columns of :func:`outcome_table`.
OUTCOME_TABLE_COLUMNS = ["Outcome", "Scenario", "At the plan's end", "Cost per outcome"]


def outcome_table(outcomes: pd.DataFrame, summary: pd.DataFrame, ordered: list[str], currencies: dict[str, str],
                  labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per outcome measure and scenario (``ordered``, the scenarios' names) that produces it: the count at
    the end of the plan (its last year in outcomes.csv, summed over the programmes that produce it), and the cost
    per outcome from the summary (the programmes' cost over the plan divided by that count), in each scenario's
    currency of the tables; then the milestones met by the plan's end. A measure no scenario produces has no row.

    >>> o = pd.DataFrame({"scenario": ["A", "A", "A"], "year": [2026, 2027, 2027], "programme": ["t", "t", "g"],
    ...                   "teachers_trained": [50, 90, None], "milestones_met": [None, None, 2]})
    >>> s = pd.DataFrame({"scenario": ["A"], "metric": ["cost_per_teachers_trained"], "value": [111.11]})
    >>> for row in outcome_table(o, s, ["A"], {"A": "USD"}).values.tolist():
    ...     print(row)
    ['Teachers trained in data skills', 'A', '90', 'USD 111.11']
    ['Milestones met (EMIS, data governance)', 'A', '2', '']
    """
    labels = labels or {}
    rows = []
    for measure in (*OUTCOME_MEASURES, MILESTONES_MET):
        if measure not in outcomes.columns:
            continue
        for name in ordered:
            mine = outcomes[outcomes["scenario"] == name]
            if mine.empty:
                continue
            last = mine[mine["year"] == mine["year"].max()][measure]
            if last.isna().all():
                continue
            count = float(pd.to_numeric(last, errors="coerce").sum())
            cost = ""
            if measure != MILESTONES_MET:
                hit = summary[(summary["scenario"] == name) & (summary["metric"] == cost_per_outcome_key(measure))]
                value = float(hit["value"].iloc[0]) if not hit.empty else float("nan")
                cost = format_money(value, currencies.get(name, "")) if value == value else ""
            rows.append({"Outcome": OUTCOME_UNITS[measure][1] if measure != MILESTONES_MET else
                         "Milestones met (EMIS, data governance)", "Scenario": labels.get(name, name),
                         "At the plan's end": f"{count:,.0f}", "Cost per outcome": cost})
    return pd.DataFrame(rows, columns=OUTCOME_TABLE_COLUMNS)

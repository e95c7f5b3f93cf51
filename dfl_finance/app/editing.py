"""Conversions between a scenario and what the app's widgets and tables show (no Streamlit here).

Edits are applied to a plain dict (the scenario's TOML structure) and validated with the same loader as files, so
the app has no validation rules of its own; an edit that does not validate leaves the last valid scenario as it was.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pandas as pd

from ..errors import Problem, ScenarioError
from ..profiles import parse_schedule
from ..schema import LOAN_FIELDS, Scenario, scenario_from_dict

_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def get_path(raw: dict, path: str) -> Any:
    """``get_path(d, "programme[1].cost[0].unit_cost")``; None where the path does not exist."""
    node: Any = raw
    for name, index in _PART.findall(path):
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
    return node


def set_path(raw: dict, path: str, value: Any) -> None:
    """Set a value by field path (creating tables as needed); ``None`` removes the key."""
    parts = _PART.findall(path)
    node: Any = raw
    for name, index in parts[:-1]:
        node = node.setdefault(name, {})
        if index:
            node = node[int(index)]
    name, index = parts[-1]
    if index:
        node[name][int(index)] = value
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        node.pop(name, None)
    else:
        node[name] = value


def raw_of(scenario: Scenario) -> dict:
    """A deep copy of the scenario as the dict a TOML file would hold."""
    return copy.deepcopy(scenario.model_dump(exclude_none=True))


def apply_values(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """A new scenario with ``values`` (by field path) applied; raises :class:`ScenarioError` if invalid.

    Changing a loan's ``terms`` drops the loan fields that came from the old term sheet (the new sheet fills them),
    unless they are changed in the same edit.
    """
    raw = raw_of(scenario)
    values = dict(values)
    for i, src in enumerate(scenario.source):
        path = f"source[{i}].terms"
        if path in values and values[path] != src.terms:
            for f in LOAN_FIELDS[1:]:
                key = f"source[{i}].{f}"
                if key not in values or values[key] == getattr(src, f):
                    raw["source"][i].pop(f, None)
                    values.pop(key, None)
    for path, value in values.items():
        set_path(raw, path, value)
    return scenario_from_dict(raw)


# ------------------------------------------------------------------------------------------------ tables

PROGRAMME_COLUMNS = ["id", "name", "pillar", "driver", "start_share", "target_share", "target_year", "rollout",
                     "template"]
LINE_COLUMNS = ["programme", "item", "kind", "unit_cost", "lifetime", "replace_existing", "price_trend", "schedule",
                "source_note"]
SOURCE_COLUMNS = ["id", "name", "kind", "priority", "eligible", "share_cap", "annual_cap", "commitment",
                  "first_year", "last_year", "terms", "rate", "grace_years", "maturity_years", "repayment",
                  "schedule", "commitment_fee", "front_end_fee", "match_sources", "match_ratio", "contract_years",
                  "return_rate", "budget_share_cap"]


def _text_list(values) -> str:
    return ", ".join(str(v) for v in values) if values else ""


def _schedule_text(rows) -> str:
    return "; ".join(f"{k1}-{k2}:{share:g}" for k1, k2, share in rows) if rows else ""


def tables_of(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The scenario's programmes, cost lines and sources as editable tables (lists as text)."""
    progs = pd.DataFrame([{c: getattr(p, c) for c in PROGRAMME_COLUMNS} for p in scenario.programme],
                         columns=PROGRAMME_COLUMNS)
    lines = pd.DataFrame([{"programme": p.id, **{c: getattr(line, c) for c in LINE_COLUMNS[1:]},
                           "schedule": _text_list(line.schedule)}
                          for p in scenario.programme for line in p.cost], columns=LINE_COLUMNS)
    sources = pd.DataFrame([{
        **{c: getattr(s, c) for c in SOURCE_COLUMNS if hasattr(s, c) and c not in ("eligible", "schedule")},
        "eligible": _text_list(s.eligible), "schedule": _schedule_text(s.schedule),
        "match_sources": _text_list(s.match.sources) if s.match else "",
        "match_ratio": s.match.ratio if s.match else None,
    } for s in scenario.source], columns=SOURCE_COLUMNS)
    return progs, lines, sources


def _clean(value: Any) -> Any:
    """A table cell as a TOML value: NaN/empty -> None, whole floats in int columns stay as pandas gives them."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _as_int(value: Any) -> Any:
    """Integers come back from edited tables as floats; give the schema an int when the value is whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _split(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def _int_list(text: Any) -> Any:
    items = _split(text)
    if not isinstance(items, list):
        return items
    try:
        return [int(x) for x in items]
    except ValueError:
        return text  # the schema reports the field with the text as typed


INT_FIELDS = {"target_year", "lifetime", "priority", "first_year", "last_year", "grace_years", "maturity_years",
              "contract_years"}


def scenario_from_tables(scenario: Scenario, progs: pd.DataFrame, lines: pd.DataFrame,
                         sources: pd.DataFrame) -> Scenario:
    """A new scenario with the three tables in place of its programmes and sources; raises ScenarioError."""
    raw = raw_of(scenario)
    programmes = []
    for _, row in progs.iterrows():
        prog = {c: _clean(row[c]) for c in PROGRAMME_COLUMNS}
        prog = {k: (_as_int(v) if k in INT_FIELDS else v) for k, v in prog.items() if v is not None}
        prog["cost"] = []
        programmes.append(prog)
    by_id = {p.get("id"): p for p in programmes}
    problems = []
    for j, row in lines.reset_index(drop=True).iterrows():
        line = {c: _clean(row[c]) for c in LINE_COLUMNS}
        owner = line.pop("programme")
        if owner not in by_id:
            problems.append(Problem(f"cost line {j + 1}.programme", "no programme with this id in the programme "
                                    "table", owner))
            continue
        line = {k: (_as_int(v) if k in INT_FIELDS else v) for k, v in line.items() if v is not None}
        if "schedule" in line:
            line["schedule"] = _int_list(line["schedule"])
        if line.get("replace_existing") is False:
            line.pop("replace_existing")
        by_id[owner]["cost"].append(line)
    out_sources = []
    for i, row in sources.reset_index(drop=True).iterrows():
        src = {c: _clean(row[c]) for c in SOURCE_COLUMNS}
        src = {k: (_as_int(v) if k in INT_FIELDS else v) for k, v in src.items() if v is not None}
        if "eligible" in src:
            src["eligible"] = _split(src["eligible"])
        if "schedule" in src:
            try:
                src["schedule"] = [list(r) for r in parse_schedule(src["schedule"])]
            except ValueError:
                problems.append(Problem(f"source[{i}].schedule", "write rows as first-last:share, separated by ; "
                                        "(e.g. 7-31:0.04)", src["schedule"]))
        sources_text, ratio = src.pop("match_sources", None), src.pop("match_ratio", None)
        if sources_text or ratio is not None:
            src["match"] = {"sources": _split(sources_text) or [], **({"ratio": ratio} if ratio is not None else {})}
        out_sources.append(src)
    if problems:
        raise ScenarioError(problems)
    raw["programme"] = programmes
    raw["source"] = out_sources
    return scenario_from_dict(raw)


def new_from_templates(name: str, country: str, start_year: int, years: int, names: list[str]) -> Scenario:
    """A scenario for ``country`` made of the named templates, paid by the education budget."""
    raw = {
        "scenario": {"name": name, "country": country, "start_year": start_year, "years": years},
        "programme": [{"template": t} for t in names],
        "source": [{"id": "mof", "name": "Education budget", "kind": "domestic", "budget_share_cap": 0.05}],
    }
    return scenario_from_dict(raw)

"""How much of a plan rests on placeholders: the share of its values and of its cost (``dfl-finance data-check``).

The rule (``docs/method.md``, *Placeholder share*), one a reviewer can check by reading the files:

A **cost line rests on a placeholder** when

1. its ``source_note`` says PLACEHOLDER. A template's line cites in its note every ``data/unit_costs.csv`` row it
   uses (the unit cost ``ref``, the multiplier ``factor_ref``, the lifetime ``lifetime_ref``) and its
   ``factor_note``, and the note says PLACEHOLDER where any of them is one; or
2. a field of its ``[[programme]]`` table in the scenario file (a coverage share, a target year, ...), or of the line
   itself, carries a comment on the same line that says PLACEHOLDER; or
3. the count that drives it (``[context]`` schools, learners or teachers) is a placeholder of the country profile the
   scenario still uses unchanged (:func:`~dfl_finance.inputs.references.placeholder_fields`).

A line not on a placeholder is **low-confidence** when a ``unit_costs.csv`` row its note names (by id) has confidence
L. The **cost share** of a group of lines is the sum of their amounts in ``costs.csv`` (all years of the deterministic
run) over the plan's total cost. The **value share** of a scenario is the share of its cost lines (counted, not
weighted) on placeholders; of a country profile, the share of its rows flagged ``placeholder`` (low-confidence: its
rows of confidence L that are not placeholders).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from dfl_finance.errors import DflFinanceError
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.profiles import (
    CountryProfile,
    bundled_scenarios_dir,
    country_profiles,
    template_programme_id,
    unit_costs,
)
from dfl_finance.inputs.references import PLACEHOLDER, is_placeholder_note, placeholder_fields
from dfl_finance.model.load import load_scenario
from dfl_finance.outputs.result import run

#: The counts a programme's ``driver`` names, as ``[context]`` field paths.
DRIVER_FIELDS = {"schools": "context.schools", "learners": "context.learners", "teachers": "context.teachers"}


@dataclass(frozen=True)
class LineShare:
    """One cost line of a scenario: its total amount and why it rests on a placeholder (empty: it does not)."""

    programme: str
    item: str
    amount: float
    reasons: tuple[str, ...]
    low_confidence: tuple[str, ...]

    @property
    def placeholder(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class OutcomeParameter:
    """One ``[[programme.outcome]]`` or ``[[programme.milestone]]`` row of a scenario (its parameters: attrition,
    people a year, refresher cycle, the milestone's year) and why it rests on a placeholder (empty: it does not)."""

    programme: str
    row: str  # "outcome <measure>" or "milestone <name>"
    reasons: tuple[str, ...]

    @property
    def placeholder(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class PlanShare:
    """The placeholder share of one scenario's plan."""

    scenario: str
    total_cost: float
    lines: tuple[LineShare, ...]
    context_placeholders: tuple[str, ...] = field(default=())
    #: the outcome and milestone rows; they price nothing, so they are counted apart, never in the cost share
    outcomes: tuple[OutcomeParameter, ...] = field(default=())

    @property
    def cost_share(self) -> float:
        """Share of the plan's cost on placeholders."""
        return _share(sum(x.amount for x in self.lines if x.placeholder), self.total_cost)

    @property
    def low_confidence_share(self) -> float:
        """Share of the plan's cost on low-confidence values (lines not on a placeholder)."""
        return _share(sum(x.amount for x in self.lines if not x.placeholder and x.low_confidence),
                      self.total_cost)

    @property
    def value_share(self) -> float:
        """Share of the cost lines (counted) on placeholders."""
        return _share(sum(x.placeholder for x in self.lines), len(self.lines))

    @property
    def outcome_placeholders(self) -> int:
        """How many outcome and milestone rows rest on placeholders (a count, not a share of cost)."""
        return sum(x.placeholder for x in self.outcomes)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def commented_placeholders(text: str) -> dict[str, dict[str, list[str]]]:
    """Fields marked PLACEHOLDER by a comment on their line, by programme id: ``{"programme": [field, ...],
    item: [field, ...]}`` (the key ``"programme"`` for fields of the ``[[programme]]`` table itself).

    >>> commented_placeholders('[[programme]]\\ntemplate = "emis"\\ntarget_share = 0.2  # PLACEHOLDER: assumed\\n')
    {'emis': {'programme': ['target_share']}}
    """
    doc = tomlkit.parse(text)
    out: dict[str, dict[str, list[str]]] = {}
    programmes: Any = doc.get("programme", [])
    for p in programmes:
        pid = p.get("id") or (template_programme_id(str(p["template"])) if "template" in p else None)
        if pid is None:
            continue
        marks: dict[str, list[str]] = {}
        fields = _marked(p)
        if fields:
            marks["programme"] = fields
        for line in p.get("cost", []):
            fields = _marked(line)
            if fields and "item" in line:
                marks[str(line["item"])] = fields
        for kind, key in (("outcome", "measure"), ("milestone", "name")):
            for row in p.get(kind, []):
                fields = _marked(row)
                if fields and key in row:
                    marks[f"{kind} {row[key]}"] = fields
        if marks:
            out[str(pid)] = marks
    return out


def _marked(table: Any) -> list[str]:
    """Keys of a tomlkit table whose comment on the same line says PLACEHOLDER."""
    body = getattr(table, "value", table).body
    return [key.key for key, item in body
            if key is not None and PLACEHOLDER in getattr(getattr(item, "trivia", None), "comment", "")]


#: Fields that classify a line in the budget and price nothing: a PLACEHOLDER budget code does not make a cost one.
CLASSIFICATION_FIELDS = ("budget_code", "economic_class", "gfs_class", "cofog", "budget_type")


def plan_share(path: str | Path) -> PlanShare:
    """Measure the placeholder share of the scenario file at ``path`` (its deterministic run)."""
    path = Path(path)
    scenario = load_scenario(path)
    marks = commented_placeholders(path.read_text(encoding="utf-8"))
    costs = run(scenario).tables()["costs"]
    amounts = costs.groupby(["programme", "item"], sort=False)["amount"].sum().to_dict()
    total = float(costs["amount"].sum())
    unsourced = dict(placeholder_fields(scenario))
    library = unit_costs()
    confidence = {k: row.confidence for k, row in library.items()}
    lines = []
    for p in scenario.programme:
        marked = marks.get(p.id, {})
        driver_path = DRIVER_FIELDS.get(str(p.driver))
        for line in p.cost:
            reasons = []
            if is_placeholder_note(line.source_note):
                reasons.append("source_note says PLACEHOLDER")
            for f in marked.get("programme", []):
                if f not in CLASSIFICATION_FIELDS:
                    reasons.append(f"programme field {f} marked PLACEHOLDER")
            for f in marked.get(line.item, []):
                if f not in CLASSIFICATION_FIELDS:
                    reasons.append(f"cost line field {f} marked PLACEHOLDER")
            if driver_path is not None and driver_path in unsourced:
                reasons.append(f"{driver_path} is a profile placeholder")
            low = tuple(row_id for row_id in _row_ids(line.source_note, confidence) if confidence[row_id] == "L")
            lines.append(LineShare(p.id, line.item, float(amounts.get((p.id, line.item), 0.0)), tuple(reasons),
                                   low))
    context = tuple(k for k in unsourced if not k.startswith("programme["))
    return PlanShare(scenario.scenario.name, total, tuple(lines), context, outcome_parameters(scenario, marks))


def outcome_parameters(scenario: Scenario, marks: dict[str, dict[str, list[str]]]) -> tuple[OutcomeParameter, ...]:
    """Every ``[[programme.outcome]]`` and ``[[programme.milestone]]`` row of ``scenario`` (a template's included),
    on a placeholder when its ``source_note`` says PLACEHOLDER or a field of it in the file (``marks``, from
    :func:`commented_placeholders`) carries a PLACEHOLDER comment."""
    out = []
    for p in scenario.programme:
        marked = marks.get(p.id, {})
        rows = [(f"outcome {o.measure}", o.source_note) for o in p.outcome]
        rows += [(f"milestone {m.name}", m.source_note) for m in p.milestone]
        for name, note in rows:
            reasons = ["source_note says PLACEHOLDER"] if is_placeholder_note(note) else []
            reasons += [f"field {f} marked PLACEHOLDER" for f in marked.get(name, [])]
            out.append(OutcomeParameter(p.id, name, tuple(reasons)))
    return tuple(out)


def _row_ids(note: str, known: dict[str, str]) -> list[str]:
    """The ``unit_costs.csv`` ids a source note names (as whole words), in the library's order."""
    words = set(re.findall(r"[a-z][a-z0-9_]*", note))
    return [k for k in known if k in words]


@dataclass(frozen=True)
class ProfileShare:
    """The placeholder share of one country profile's values."""

    iso3: str
    rows: int
    placeholders: int
    low_confidence: int

    @property
    def value_share(self) -> float:
        return _share(self.placeholders, self.rows)

    @property
    def low_confidence_share(self) -> float:
        return _share(self.low_confidence, self.rows)


def profile_share(profile: CountryProfile) -> ProfileShare:
    """Count a profile's rows on placeholders and, apart, its low-confidence (L) rows that are not placeholders."""
    values = profile.values.values()
    return ProfileShare(profile.iso3, len(values), sum(v.placeholder for v in values),
                        sum(v.confidence == "L" and not v.placeholder for v in values))


def share_lines(plans: list[PlanShare], profiles: list[ProfileShare]) -> list[str]:
    """The lines ``dfl-finance data-check`` prints: one per profile, one per scenario with its largest lines."""
    out = []
    for pr in profiles:
        out.append(f"profile {pr.iso3}: {pr.value_share:.0%} of {pr.rows} values on placeholders, "
                   f"{pr.low_confidence_share:.0%} more low-confidence")
    for pl in plans:
        out.append(f"scenario {pl.scenario!r}: {pl.cost_share:.1%} of the plan's cost on placeholders "
                   f"({pl.value_share:.0%} of {len(pl.lines)} cost lines), {pl.low_confidence_share:.1%} more "
                   "low-confidence")
        for line in sorted(pl.lines, key=lambda x: -x.amount):
            if line.placeholder and _share(line.amount, pl.total_cost) >= 0.005:
                out.append(f"    {_share(line.amount, pl.total_cost):6.1%}  {line.programme} / {line.item}: "
                           f"{'; '.join(line.reasons)}")
        if pl.outcomes:
            out.append(f"    outcome parameters: {pl.outcome_placeholders} of {len(pl.outcomes)} outcome and milestone "
                       "rows on placeholders (they price nothing: not in the cost share)")
            for o in pl.outcomes:
                if o.placeholder:
                    out.append(f"            {o.programme} / {o.row}: {'; '.join(o.reasons)}")
    return out


def placeholder_report(scenario_dir: str | Path | None = None) -> list[str]:
    """The lines ``dfl-finance data-check`` prints for every country profile and every scenario of ``scenario_dir``
    (default: the bundled ones); a scenario that does not run is left out (the data check names it)."""
    folder = Path(scenario_dir) if scenario_dir else bundled_scenarios_dir()
    plans = []
    for f in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            plans.append(plan_share(f))
        except DflFinanceError:
            continue
    profiles = [profile_share(p) for _, p in sorted(country_profiles().items())]
    return share_lines(plans, profiles)

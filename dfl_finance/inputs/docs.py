"""The documentation of the scenario format, generated from the schema: field tables for
``docs/scenario-format.md`` and the app's help texts. Regenerate the file with ``python -m dfl_finance.inputs.docs``.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel

from dfl_finance.atomic import write_file_atomically
from dfl_finance.inputs.models import (
    Context,
    CostLine,
    Debt,
    Dli,
    GapFinancing,
    Macro,
    Match,
    Milestone,
    MtefCeiling,
    OtherFx,
    Outcome,
    OutcomeBond,
    Programme,
    Region,
    Risk,
    ScenarioMeta,
    Source,
    Stress,
    Uncertain,
)
from dfl_finance.vocabulary import METRICS, SOURCE_METRICS

BEGIN = "<!-- BEGIN GENERATED FIELDS (python -m dfl_finance.inputs.docs) -->"
END = "<!-- END GENERATED FIELDS -->"
METRICS_BEGIN = "<!-- BEGIN GENERATED METRICS (python -m dfl_finance.inputs.docs) -->"
METRICS_END = "<!-- END GENERATED METRICS -->"

#: The tables of a scenario file, in the order they are documented.
TABLES: list[tuple[str, type[BaseModel]]] = [
    ("[scenario]", ScenarioMeta),
    ("[context]", Context),
    ("[context.gap_financing]", GapFinancing),
    ("[macro]", Macro),
    ("[macro.fx.<CODE>]", OtherFx),
    ("[debt]", Debt),
    ("[[programme]]", Programme),
    ("[[programme.cost]]", CostLine),
    ("[[programme.outcome]]", Outcome),
    ("[[programme.milestone]]", Milestone),
    ("[[source]]", Source),
    ("[source.match]", Match),
    ("[[source.dli]]", Dli),
    ("[source.outcome_bond]", OutcomeBond),
    ("[risk]", Risk),
    ("[[uncertain]]", Uncertain),
    ("[[stress]]", Stress),
    ("[[region]]", Region),
    ("[[mtef]]", MtefCeiling),
]


def _type_text(annotation: Any) -> str:
    """Plain-language type of a field for the documentation."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Annotated:
        return _type_text(args[0])
    if get_origin(annotation) is tuple:
        return "[" + ", ".join(_type_text(a) for a in args) + "]"
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if get_origin(annotation) in (Union, UnionType):
        return _type_text(args[0]) if len(args) == 1 else " or ".join(_type_text(a) for a in args)
    if get_origin(annotation) is list:
        inner = args[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "array of tables"
        text = _type_text(inner)
        return f"list of {text} rows" if text.startswith("[") else f"list of {text}s"
    if get_origin(annotation) is dict:
        return "tables by currency code"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if get_origin(annotation) is dict:
        return f"table of {_type_text(args[1])}s by {_type_text(args[0])}"
    return {int: "integer", float: "number", str: "text", bool: "true/false"}.get(annotation, str(annotation))


def _toml_value(value: Any) -> str:
    return "none" if value is None else tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def _extra(info: Any) -> dict[str, Any]:
    """The unit and allowed range that :func:`dfl_finance.inputs.models._field` keeps with a field."""
    return info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}


def _allowed_text(info: Any) -> str:
    parts = []
    for m in info.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                parts.append(f"{sym} {getattr(m, attr)}")
        if getattr(m, "pattern", None):
            parts.append(f"matches `{m.pattern}`")
        if getattr(m, "min_length", None):
            parts.append(f"at least {m.min_length}")
    extra = _extra(info).get("allowed")
    if extra:
        parts.append(extra)
    return ", ".join(parts)


def field_reference() -> list[dict[str, str]]:
    """One row per field of the scenario format: table, field, type, unit, default, allowed, description."""
    rows = []
    for table, model in TABLES:
        for name, info in model.model_fields.items():
            if info.is_required():
                default = "required"
            elif info.default_factory is not None:
                default = "empty"
            else:
                default = _toml_value(info.default)
            rows.append({
                "table": table,
                "field": name,
                "type": _type_text(info.annotation),
                "unit": str(_extra(info).get("unit", "")),
                "default": default,
                "allowed": _allowed_text(info),
                "description": info.description or "",
            })
    return rows


@lru_cache(maxsize=1)
def _help_texts() -> dict[tuple[str, str], str]:
    """Help text by (table, field), built once: the schema does not change while the program runs."""
    out = {}
    for row in field_reference():
        unit = f" [{row['unit']}]" if row["unit"] else ""
        allowed = f" Allowed: {row['allowed']}." if row["allowed"] else ""
        out[row["table"], row["field"]] = f"{row['description']}{unit}. Default: {row['default']}.{allowed}"
    return out


def field_help(table: str, field: str) -> str:
    """Help text of one field (description, unit and range) for the app's widgets."""
    try:
        return _help_texts()[table, field]
    except KeyError:
        raise KeyError(f"{table} {field}") from None


def field_reference_markdown() -> str:
    """The field tables of ``docs/scenario-format.md`` (generated; a test keeps the file in step)."""
    lines: list[str] = []
    current = None
    for row in field_reference():
        if row["table"] != current:
            current = row["table"]
            lines += ["", f"### `{current}`", "", "| field | type | unit | default | allowed | description |",
                      "|---|---|---|---|---|---|"]
        cells = [f"`{row['field']}`", row["type"], row["unit"], row["default"], row["allowed"], row["description"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines).strip() + "\n"


def metrics_markdown() -> str:
    """The table of summary metrics for ``docs/method.md`` (generated from :data:`~dfl_finance.vocabulary.METRICS`)."""
    lines = ["| metric | label | unit | meaning |", "|---|---|---|---|"]
    for m in [*METRICS.values(), *SOURCE_METRICS.values()]:
        key = f"`{m.key}`" if m.key in METRICS else f"`{m.key}__<loan id>`"
        lines.append(f"| {key} | {m.label} | {m.unit.format(cur='currency')} | {m.description} |")
    return "\n".join(lines) + "\n"


def _replace_between(text: str, begin: str, end: str, body: str) -> str:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{body}\n{end}{tail}"


def update(path: Path, begin: str = BEGIN, end: str = END, body: str | None = None) -> bool:
    """Replace the text between the markers; returns True if the file changed."""
    text = path.read_text(encoding="utf-8")
    new = _replace_between(text, begin, end, field_reference_markdown() if body is None else body)
    if new != text:
        write_file_atomically(path, new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    docs = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "docs"  # the repository's docs/
    for path, begin, end, body in [(docs / "scenario-format.md", BEGIN, END, field_reference_markdown()),
                                   (docs / "method.md", METRICS_BEGIN, METRICS_END, metrics_markdown())]:
        print(f"{'updated' if update(path, begin, end, body) else 'unchanged'}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

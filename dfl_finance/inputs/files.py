"""The project's other TOML files (a portfolio, a sweep) as pydantic models, validated as a scenario is.

A file's tables are :class:`FileModel` s: strict types, ``extra="forbid"``, no inf or nan unless a field says so.
Their problems are the scenario's (:func:`dfl_finance.inputs.io.problems_from_validation`): the field path in its
positional form (``country[1].weight``) and the value, the file in front (:func:`in_file`). The words are
pydantic's unless the model gives its own:

- a field's ``message`` (:func:`field`) for anything wrong with its value, at the field: a list of numbers with a
  bad one is named as a whole, with its value (``sweep.seeds: a list of whole numbers ... (got [1, -1])``), and a
  missing field is said without a value;
- a table's :attr:`FileModel.table_words` when something other than a table stands where it belongs;
- a table's :meth:`FileModel.unknown_words` for a key it does not have (by default the keys it knows, and the
  closest).

A validator of a field that checks what a type cannot (a stress written ``name[:source][=size]``) raises
:func:`rule_error`: its words are kept, at the field.

A file whose tables fail in part is still read in part (:func:`valid_part`, :func:`valid_rows`), so that what it
names (scenario files) is checked too and every problem is said at once; rules across fields and files run on the
parts that validated.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Annotated, Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from dfl_finance.errors import Problem
from dfl_finance.inputs.io import problems_from_validation
from dfl_finance.inputs.paths import did_you_mean, format_location, model_at

#: The type of the errors of :func:`rule_error`.
RULE = "file_rule"
#: Error types of a value that is not the table its field holds.
_NOT_A_TABLE = ("model_type", "model_attributes_type", "dict_type")


class FileModel(BaseModel):
    """A table of a portfolio or sweep file."""

    # strict: a TOML string "10" is not a number, 1 is not a bool; extra="forbid": unknown keys are errors;
    # allow_inf_nan=False: TOML's inf and nan are refused in every number field that does not allow them.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    #: What the table is, said when something else stands in its place ("" for pydantic's words).
    table_words: ClassVar[str] = ""

    @classmethod
    def unknown_words(cls, key: str) -> str:
        """What is said of a key ``key`` that the table does not have."""
        names = sorted(info.alias or name for name, info in cls.model_fields.items())
        return f"unknown field (known: {', '.join(names)})" + did_you_mean(key, names)


M = TypeVar("M", bound=FileModel)


#: A file named in a file (a scenario of a portfolio or a sweep, a plan template): some text, without a NUL
#: character (no file system takes one: the operating system refuses the name before any file is looked for).
FileName = Annotated[str, StringConstraints(pattern=r"^[^\x00]*[^\x00\s][^\x00]*$")]


def field(*default: Any, message: str, **kw: Any) -> Any:
    """A pydantic ``Field`` (its ``default``, if any, and keywords) whose problems, whatever they are, say
    ``message``."""
    return Field(*default, json_schema_extra={"message": message}, **kw)


def rule_error(message: str) -> PydanticCustomError:
    """The error a field's validator raises with its own words (kept at the field, with the value checked)."""
    return PydanticCustomError(RULE, "{message}", {"message": message})


def _field_at(root: type[BaseModel], loc: Sequence[int | str]) -> tuple[FieldInfo | None, int]:
    """The innermost field named along ``loc`` in the file whose model is ``root``, and the length of ``loc`` up to
    it (list indices and pydantic's union tags after it are inside its value)."""
    found: tuple[FieldInfo | None, int] = (None, 0)
    model: type[BaseModel] | None = root
    for k, part in enumerate(loc):
        if isinstance(part, int):
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()} if model else {}
        if part not in fields:
            break
        found = (fields[part], k + 1)
        model = model_at(loc[: k + 1], root)
    return found


def _value_at(raw: object, loc: Sequence[int | str], default: object) -> object:
    """The value at ``loc`` in the parsed file ``raw``, else ``default``."""
    node = raw
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node


def file_problems(exc: ValidationError, root: type[FileModel], raw: object) -> list[Problem]:
    """The problems of a validation of the parsed file ``raw`` against ``root``, in the models' words (see the
    module); each once, in pydantic's order (the fields in the order the models declare them)."""
    out: dict[tuple[str, str, str], Problem] = {}
    for err, problem in zip(exc.errors(include_url=False), problems_from_validation(exc), strict=True):
        loc = err["loc"]
        parent = model_at(loc[:-1], root)
        table = model_at(loc, root)
        info, upto = _field_at(root, loc)
        extra = info.json_schema_extra if info is not None else None
        words = extra.get("message") if isinstance(extra, dict) else None
        if err["type"] == "extra_forbidden" and parent is not None and issubclass(parent, FileModel):
            problem = replace(problem, message=parent.unknown_words(str(loc[-1])))
        elif err["type"] in _NOT_A_TABLE and table is not None and issubclass(table, FileModel) and table.table_words:
            problem = replace(problem, message=table.table_words)
        elif isinstance(words, str):
            at = loc[:upto]
            missing = err["type"] == "missing"
            value = err.get("input") if err["type"] == RULE else _value_at(raw, at, err.get("input"))
            problem = Problem(format_location(at), problem.message if err["type"] == RULE else words,
                              None if missing else value, has_value=not missing)
        out.setdefault((problem.path, problem.message, repr(problem.value)), problem)
    return list(out.values())


def failed_fields(exc: ValidationError, at: Sequence[int | str] = ()) -> frozenset[str]:
    """The fields of the table at ``at`` (the file itself by default) whose values failed the validation ``exc``."""
    n = len(at)
    return frozenset(str(err["loc"][n]) for err in exc.errors(include_url=False)
                     if len(err["loc"]) > n and tuple(err["loc"][:n]) == tuple(at))


def valid_part(model: type[M], raw: Mapping[str, Any], failed: Collection[str]) -> M:
    """The table ``model`` of ``raw`` (a table that failed validation) with each field that validates on its own:
    those named in ``failed`` are at their default, or unset when they have none (read them only when they have not
    failed)."""
    part = cast(M, model.model_construct())  # (the plugin types it as the base class)
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in raw and key not in failed:
            model.__pydantic_validator__.validate_assignment(part, name, raw[key])
    return part


def valid_rows(model: type[M], raw: object) -> list[tuple[int, M]]:
    """The rows of a list of tables ``raw`` that validate as ``model``, each with its place in the list (none when
    ``raw`` is not a list)."""
    out = []
    for i, row in enumerate(raw if isinstance(raw, list) else []):
        try:
            out.append((i, model.model_validate(row)))
        except ValidationError:
            pass
    return out


def in_file(problems: Sequence[Problem], file: object) -> list[Problem]:
    """The problems with the file in front of each path (``portfolio.toml: fund.rule``), as the problems of the
    files it names are said beside them."""
    return [replace(p, path=f"{file}: {p.path}" if p.path else str(file)) for p in problems]

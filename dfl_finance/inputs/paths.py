"""One vocabulary of field paths, and overrides applied by a pure function.

A field path names one value of a scenario: ``context.budget_growth``, ``source[ida].commitment``,
``programme[connectivity].cost[satellite terminal].unit_cost``. The app's edits, the validation messages, the
assumptions table and (to come) the uncertain inputs, sweeps and the optimiser all read and write this one form.

Grammar
-------
::

    path     = step ("." step)*
    step     = field selector*
    field    = a letter or "_", then letters, digits and "_"       (a table or field of the scenario format)
    selector = "[" index "]" | "[" name "]"
    index    = digits                                               (0-based position in the list)
    name     = text without "[" or "]", not only digits, no surrounding spaces

A list element is selected by its index, or by its name where the element has one: a ``[[programme]]`` or a
``[[source]]`` by its ``id`` (in a file not yet validated, a programme without an id by its ``template``), a
``[[programme.cost]]`` line by its ``item`` (within its programme). Other lists (``schedule`` rows, ``eligible``,
``macro.inflation`` by year, ``match.sources``) are selected by index only. A name that is only digits or holds a
bracket cannot be written as a selector; such an element is selected by its index.

Two forms of the same path
--------------------------
* **positional** (:func:`format_location`): indices only, ``programme[1].cost[0].unit_cost``. The validation errors
  and warnings use it: they point into the file as written, where ids may be missing or duplicated, and the app's
  forms key their fields by it.
* **canonical** (:func:`canonical_path`): names where they exist and select one element, indices elsewhere
  (``programme[connectivity].cost[satellite terminal].unit_cost``, ``source[ida].schedule[0]``). The assumptions
  table uses it, and overrides, uncertain inputs and sweeps should write it: it survives reordering the file. Two
  cost lines of one programme with the same item are written by index.

Both forms (and any mix) are read by :func:`resolve`, which turns a path into a *location*: the tuple of field
names and list indices that pydantic also uses in its errors (``("programme", 1, "cost", 0, "unit_cost")``).

Examples
--------
>>> parse_path("programme[connectivity].cost[0].unit_cost")
(Step(field='programme', selectors=('connectivity',)), Step(field='cost', selectors=(0,)), \
Step(field='unit_cost', selectors=()))
>>> format_path(parse_path("source[ida].schedule[0]"))
'source[ida].schedule[0]'
>>> format_location(("programme", 1, "cost", 0, "unit_cost"))
'programme[1].cost[0].unit_cost'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from types import UnionType
from typing import Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.inputs.models import CostLine, Programme, Scenario, Source

#: A place in a scenario: field names and list indices, as pydantic's ``loc``.
Location = tuple[str | int, ...]

#: Longest path read (a real one has a few dozen characters).
MAX_PATH_LENGTH = 1000

#: The field that names an element of each list of tables, and what the element is called in messages.
_NAMES: dict[type[BaseModel], tuple[str, str]] = {Programme: ("id", "programme"), Source: ("id", "source"),
                                                  CostLine: ("item", "cost line")}

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SELECTOR = re.compile(r"\[([^\[\]]*)\]")
_INDEX = re.compile(r"[0-9]+")


class Step(NamedTuple):
    """One step of a path: a field and the selectors that follow it (``cost[0]`` -> ``Step("cost", (0,))``)."""

    field: str
    selectors: tuple[int | str, ...] = ()


def path_error(path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(path, message, has_value=False)])


# ------------------------------------------------------------------------------------------------ text

def writable_name(name: object) -> bool:
    """Whether ``name`` can be written as a selector (``[name]``): text, not only digits, no brackets or
    surrounding spaces.

    Examples
    --------
    >>> writable_name("satellite terminal"), writable_name("2030"), writable_name("kit [v2]")
    (True, False, False)
    """
    return (isinstance(name, str) and bool(name) and name == name.strip() and not _INDEX.fullmatch(name)
            and "[" not in name and "]" not in name)


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a field path (see the module's grammar).

    Raises
    ------
    ScenarioError
        The text is not a field path; the problem names it and says where it goes wrong.

    Examples
    --------
    >>> parse_path("context.budget_growth")
    (Step(field='context', selectors=()), Step(field='budget_growth', selectors=()))
    >>> parse_path("source[ida]..rate")
    Traceback (most recent call last):
    dfl_finance.errors.ScenarioError: source[ida]..rate: not a field path: expected a field name at character 13
    """
    if not isinstance(text, str):
        raise path_error(str(text), "a field path must be text")
    if len(text) > MAX_PATH_LENGTH:
        raise path_error(text[:40] + "...", f"a field path has at most {MAX_PATH_LENGTH} characters")
    steps = []
    pos = 0
    while True:
        m = _FIELD.match(text, pos)
        if not m:
            raise path_error(text, f"not a field path: expected a field name at character {pos + 1}")
        pos = m.end()
        selectors: list[int | str] = []
        while pos < len(text) and text[pos] == "[":
            s = _SELECTOR.match(text, pos)
            if not s:
                raise path_error(text, f"not a field path: a `[` without its `]` at character {pos + 1} (a name in "
                             "brackets holds no brackets; select such an element by its index)")
            inner = s.group(1)
            if _INDEX.fullmatch(inner):
                selectors.append(int(inner))
            elif writable_name(inner):
                selectors.append(inner)
            else:
                raise path_error(text, f"not a field path: `[{inner}]` at character {pos + 1} is neither an index "
                             "nor a name (a name has no surrounding spaces)")
            pos = s.end()
        steps.append(Step(m.group(), tuple(selectors)))
        if pos == len(text):
            return tuple(steps)
        if text[pos] != ".":
            raise path_error(text, f"not a field path: unexpected `{text[pos]}` at character {pos + 1}")
        pos += 1


def format_path(steps: Sequence[Step]) -> str:
    """The text of a path given by its steps (the inverse of :func:`parse_path`).

    Raises
    ------
    ValueError
        A name selector that cannot be written (see :func:`writable_name`).
    """
    out = []
    for step in steps:
        text = step.field
        for sel in step.selectors:
            if not isinstance(sel, int) and not writable_name(sel):
                raise ValueError(f"{sel!r} cannot be written as a selector; use the element's index")
            text += f"[{sel}]"
        out.append(text)
    return ".".join(out)


def rename_ids(text: str, programmes: dict[str, str] | None = None, sources: dict[str, str] | None = None) -> str:
    """A path with renamed programme and source ids carried through (``programmes``, ``sources``: old -> new); a
    path that names them by index, or names other ids, is returned as given.

    Examples
    --------
    >>> rename_ids("programme[connect].cost[kit].unit_cost", {"connect": "schools"})
    'programme[schools].cost[kit].unit_cost'
    >>> rename_ids("source[0].commitment", sources={"ida": "ida21"})
    'source[0].commitment'
    """
    steps = list(parse_path(text))
    table = {"programme": programmes or {}, "source": sources or {}}.get(steps[0].field, {})
    head = steps[0]
    if head.selectors and isinstance(head.selectors[0], str) and head.selectors[0] in table:
        steps[0] = Step(head.field, (table[head.selectors[0]], *head.selectors[1:]))
        return format_path(steps)
    return text


def format_location(loc: Sequence[str | int]) -> str:
    """The positional path of a location (``("source", 0, "rate")`` -> ``source[0].rate``), as validation errors
    write it. Any location formats, also one with parts that are not fields (pydantic's union tags)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


# ------------------------------------------------------------------------------------------------ the schema

def _inner_model(annotation: Any) -> Any:
    """The type inside ``X | None`` or ``list[X]`` (None for a union of several types)."""
    while get_origin(annotation) in (Union, UnionType, list):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
    return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    inner = _inner_model(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def model_at(loc: Sequence[str | int], root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The model class of the table at ``loc`` (``("programme", 0, "cost", 1)`` -> CostLine) of a scenario, or of the
    file whose model is ``root`` (a portfolio, a sweep: :mod:`dfl_finance.inputs.files`); None if none."""
    model: type[BaseModel] | None = Scenario if root is None else root
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _model(model.model_fields[part].annotation)
    return model


def marked_fields(mark: str) -> tuple[tuple[object, ...], ...]:
    """The locations, by shape, of every field of a scenario whose definition carries ``mark`` (a key of its
    ``json_schema_extra``, such as ``varies``): field names, and ``int`` for the elements of a list of tables
    (``("programme", int, "cost", int, "unit_cost")``), in the order the models define them.

    >>> ("scenario", "discount_rate") in marked_fields("varies")
    True
    """
    out: list[tuple[object, ...]] = []

    def walk(model: type[BaseModel], prefix: tuple[object, ...]) -> None:
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get(mark):
                out.append((*prefix, name))
            inner = _model(info.annotation)
            if inner is not None:
                many = any(get_origin(a) is list for a in (info.annotation, *get_args(info.annotation)))
                walk(inner, (*prefix, name, int) if many else (*prefix, name))

    walk(Scenario, ())
    return tuple(out)


def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """``"; did you mean `discount_rate`?"`` for a name close to one of ``candidates``, else ``""``."""
    import difflib  # only when a name is wrong: not part of every start

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""


def _child(node: Any, field: str) -> Any:
    if isinstance(node, BaseModel):
        return getattr(node, field, None)
    if isinstance(node, dict):
        return node.get(field)
    return None


def _name_of(element: Any, model: type[BaseModel] | None) -> Any:
    if model not in _NAMES:
        return None
    key = _NAMES[model][0]
    name = _child(element, key)
    if name is None and model is Programme and isinstance(element, dict):
        name = element.get("template")  # the id a template gives
    return name


def _select(path: str, here: str, items: Sequence[Any], sel: int | str, model: type[BaseModel] | None) -> int:
    if isinstance(sel, int):
        if sel >= len(items):
            has = f"indices 0..{len(items) - 1}" if items else "none"
            raise path_error(path, f"`{here}` has {len(items)} elements ({has}); no [{sel}]")
        return sel
    if model not in _NAMES:
        raise path_error(path, f"the elements of `{here}` have no names: select one by its index ({here}[0])")
    key, what = _NAMES[model]
    names = [_name_of(e, model) for e in items]
    found = [i for i, n in enumerate(names) if n == sel]
    if len(found) > 1:
        where = ", ".join(f"{here}[{i}]" for i in found)
        raise path_error(path, f"{len(found)} {what}s of `{here}` have {key} `{sel}` ({where}): select one by its "
                     "index")
    if not found:
        text = [str(n) for n in names if n is not None]
        raise path_error(path, f"no {what} with {key} `{sel}` in `{here}` (known: {known(text)})"
                     + did_you_mean(sel, text))
    return found[0]


def resolve(data: Scenario | Mapping[str, Any], path: str | Sequence[Step]) -> Location:
    """The location of ``path`` in a scenario (or in the dict of a scenario file, not yet validated).

    Every field of the scenario format resolves, also one the scenario leaves empty (``context.budget_growth``
    when no growth is given); list elements must exist.

    Raises
    ------
    ScenarioError
        A malformed path, an unknown field (with the known ones, and the closest as a suggestion), an index out of
        range, an unknown or ambiguous name; the problem names the path.

    Examples
    --------
    >>> from dfl_finance import load_scenario
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> sc = load_scenario(bundled_scenarios_dir() / "rwanda-ida-credit.toml")
    >>> resolve(sc, "programme[connectivity].cost[satellite terminal].unit_cost")
    ('programme', 0, 'cost', 0, 'unit_cost')
    >>> resolve(sc, "context.budget_grwth")
    Traceback (most recent call last):
    dfl_finance.errors.ScenarioError: context.budget_grwth: unknown field `budget_grwth` of `context`; did you \
mean `budget_growth`?
    """
    text = path if isinstance(path, str) else format_path(path)
    steps = parse_path(path) if isinstance(path, str) else tuple(path)
    model: type[BaseModel] | None = Scenario
    node: Any = data
    loc: list[str | int] = []
    for n, step in enumerate(steps):
        here = format_location(loc)
        if model is None:
            raise path_error(text, f"`{here}` is a value, not a table: it has no field `{step.field}`")
        if step.field not in model.model_fields:
            fields = list(model.model_fields)
            suggestion = did_you_mean(step.field, fields)
            raise path_error(text, f"unknown field `{step.field}` of `{here or 'the scenario'}`" + (
                suggestion or f" (known: {known(fields, limit=30)})"))
        annotation = model.model_fields[step.field].annotation
        model = _model(annotation)
        node = _child(node, step.field)
        loc.append(step.field)
        for sel in step.selectors:
            here = format_location(loc)
            if isinstance(node, (list, tuple)):
                i = _select(text, here, node, sel, model)
            elif node is None:
                raise path_error(text, f"`{here}` is not set, so it has no element [{sel}]")
            else:
                raise path_error(text, f"`{here}` is not a list, so it has no element [{sel}]")
            loc.append(i)
            node = node[i]
        if n + 1 < len(steps) and isinstance(node, (list, tuple)):
            here = format_location(loc)
            raise path_error(text, f"`{here}` is a list: select one element, by index ({here}[0]) or by name")
    return tuple(loc)


def _at(data: Any, loc: Location) -> Any:
    node = data
    for part in loc:
        node = node[part] if isinstance(part, int) else _child(node, part)
        if node is None:
            return None
    return node


def get(data: Scenario | Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (None for a field left empty).

    Raises
    ------
    ScenarioError
        As :func:`resolve`.
    """
    return _at(data, resolve(data, path))


def set_in(raw: dict[str, Any], path: str | Location, value: Any) -> None:
    """Set a value in the dict of a scenario file, in place, creating tables as needed; ``None`` removes the key
    (the field goes back to its default). A path (resolved in ``raw``) or a location from :func:`resolve`."""
    loc = resolve(raw, path) if isinstance(path, str) else path
    node: Any = raw
    for k, part in enumerate(loc[:-1]):
        if isinstance(part, int):
            node = node[part]
        else:
            if node.get(part) is None:
                node[part] = {}
            if isinstance(node[part], tuple):  # a schedule row
                node[part] = list(node[part])
            if isinstance(loc[k + 1], int) and isinstance(node[part], list):
                node[part] = [list(v) if isinstance(v, tuple) else v for v in node[part]]
            node = node[part]
    last = loc[-1]
    if isinstance(last, int):
        node[last] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


# ------------------------------------------------------------------------------------------------ canonical form

def _selectors(items: Sequence[Any], model: type[BaseModel] | None) -> list[int | str]:
    """How each element of a list is selected in the canonical form: by a writable name that is unique in the
    list, else by index."""
    names = [_name_of(e, model) for e in items]
    return [n if writable_name(n) and names.count(n) == 1 else i for i, n in enumerate(names)]


def canonical_path(data: Scenario | Mapping[str, Any], path: str | Location) -> str:
    """The canonical form of a path or location: names where they select one element, indices elsewhere.

    Examples
    --------
    >>> from dfl_finance import load_scenario
    >>> from dfl_finance.inputs.profiles import bundled_scenarios_dir
    >>> sc = load_scenario(bundled_scenarios_dir() / "rwanda-ida-credit.toml")
    >>> canonical_path(sc, "programme[0].cost[0].unit_cost")
    'programme[connectivity].cost[satellite terminal].unit_cost'
    """
    loc = resolve(data, path if isinstance(path, str) else format_location(path))
    steps: list[Step] = []
    model: type[BaseModel] | None = Scenario
    node: Any = data
    for part in loc:
        if isinstance(part, str):
            steps.append(Step(part))
            model = _model(model.model_fields[part].annotation) if model and part in model.model_fields else None
            node = _child(node, part)
        else:
            sel = _selectors(node, model)[part]
            steps[-1] = Step(steps[-1].field, steps[-1].selectors + (sel,))
            node = node[part]
    return format_path(steps)


class Leaf(NamedTuple):
    """A value of a scenario: its location, its canonical path and the value."""

    location: Location
    path: str
    value: Any


def leaves(scenario: Scenario) -> Iterator[Leaf]:
    """Every field of a scenario, tables and lists of tables walked through, in the order of the file: empty
    fields too (value None); a list of numbers or names is one value."""

    def walk(loc: Location, steps: tuple[Step, ...], value: Any, model: type[BaseModel] | None) -> Iterator[Leaf]:
        if isinstance(value, dict):
            for k, v in value.items():
                inner = _model(model.model_fields[k].annotation) if model and k in model.model_fields else None
                yield from walk(loc + (k,), steps + (Step(k),), v, inner)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            last = steps[-1]
            for i, (sel, v) in enumerate(zip(_selectors(value, model), value)):
                yield from walk(loc + (i,), steps[:-1] + (Step(last.field, last.selectors + (sel,)),), v, model)
        else:
            yield Leaf(loc, format_path(steps), value)

    yield from walk((), (), scenario.model_dump(), Scenario)


# ------------------------------------------------------------------------------------------------ overrides

def positional_location(path: str) -> Location:
    """The location a positional path writes (no scenario needed: it holds no names)."""
    loc: list[str | int] = []
    for step in parse_path(path):
        loc.append(step.field)
        loc.extend(step.selectors)
    return tuple(loc)


def path_prefix(steps: Sequence[Step], depth: int) -> str:
    """The first ``depth`` parts of a location, written with the steps' own selectors."""
    out: list[Step] = []
    for step in steps:
        if depth <= 0:
            break
        keep = step.selectors[:depth - 1]
        out.append(Step(step.field, keep))
        depth -= 1 + len(keep)
    return format_path(out)


# ------------------------------------------------------------------------------------------------ in words

#: Field names (or words of them) that are not written as they are named: acronyms, abbreviations, and fields whose
#: name alone would be ambiguous (``inflation`` is the domestic rate, beside ``usd_inflation``).
FIELD_WORDS: dict[str, str] = {
    "fx_rate": "exchange rate", "fx_path": "exchange-rate path", "fx_year": "year of the exchange rate",
    "inflation": "domestic inflation", "usd_inflation": "US inflation", "pv": "PV of", "usd": "USD", "gdp": "GDP",
    "ppp": "PPP", "dsf": "DSF", "lcu": "local currency", "emis": "EMIS", "ida": "IDA", "gpe": "GPE",
    "fx": "exchange-rate"}


def field_label(field: str, capitalise: bool = True) -> str:
    """A field name in words: ``"education_budget"`` -> ``"Education budget"``, with acronyms as they are written;
    ``capitalise=False`` for a word inside a sentence.

    Examples
    --------
    >>> field_label("education_budget"), field_label("usd_inflation"), field_label("pv_external_debt")
    ('Education budget', 'US inflation', 'PV of external debt')
    >>> [field_label(f, capitalise=False) for f in ("fx_rate", "gdp", "gap_financing_rate", "inflation")]
    ['exchange rate', 'GDP', 'gap financing rate', 'domestic inflation']
    """
    text = FIELD_WORDS.get(field) or " ".join(FIELD_WORDS.get(w, w) for w in field.split("_"))
    return text[:1].upper() + text[1:] if capitalise else text


#: A row of a list of tables (other than programmes, cost lines and sources, which have names), in words.
_ROWS = {"uncertain": "Uncertain input", "stress": "Stress test"}


class FieldWords(NamedTuple):
    """A field of a scenario for people: its ``label`` (the programme, cost line or source it belongs to, and the
    field in words) and its ``unit`` (the schema's, the currency named)."""

    label: str
    unit: str

    @property
    def text(self) -> str:
        """``label (unit)``, or the label alone for a field without a unit."""
        # a count's unit is its label ("Schools (schools)" says nothing more)
        return f"{self.label} ({self.unit})" if self.unit and self.unit.lower() != self.label.lower() else self.label


def _currency(data: Any, loc: Location) -> str:
    """The currency of an amount at ``loc``: a cost line's or a source's own (a source's default: USD for grants
    and loans, as :meth:`Scenario.source_currency`), else the scenario's."""
    scenario_currency = _at(data, ("scenario", "currency")) or "USD"
    if len(loc) >= 4 and loc[0] == "programme" and loc[2] == "cost":
        return _at(data, loc[:4] + ("currency",)) or scenario_currency
    if len(loc) >= 2 and loc[0] == "source":
        own = _at(data, loc[:2] + ("currency",))
        kind = _at(data, loc[:2] + ("kind",))
        return own or ("USD" if kind in ("grant", "loan") else scenario_currency)
    return str(scenario_currency)


def field_unit(data: Scenario | Mapping[str, Any], loc: Location) -> str:
    """The unit of the field at ``loc`` as the schema gives it (``_field(..., unit=...)``), with ``currency`` named:
    ``USD`` for a USD-priced cost line's ``unit_cost``, ``RWF/yr`` for a RWF budget; ``""`` where it has none."""
    fields = [i for i, part in enumerate(loc) if isinstance(part, str)]
    if not fields:
        return ""
    last = fields[-1]
    model = model_at(loc[:last])
    name = loc[last]
    if model is None or not isinstance(name, str) or name not in model.model_fields:
        return ""
    extra = model.model_fields[name].json_schema_extra
    unit = str(extra.get("unit", "")) if isinstance(extra, dict) else ""
    if "currency" in unit.split("/"):
        unit = "/".join(_currency(data, loc) if part == "currency" else part for part in unit.split("/"))
    return unit


def describe(data: Scenario | Mapping[str, Any], path: str | Location) -> FieldWords:
    """A field path in words, with its unit: ``programme[connectivity].cost[satellite terminal].unit_cost`` ->
    ``School connectivity (LEO satellite): satellite terminal, unit cost`` in ``USD``; ``macro.inflation`` ->
    ``Domestic inflation`` in ``1/yr``; ``source[ida].commitment`` -> ``IDA21 40-year credit: commitment`` in
    ``USD``. A path that does not resolve keeps its text as the label (no unit).

    Examples
    --------
    >>> from dfl_finance.inputs.io import validate_scenario
    >>> sc = validate_scenario({"scenario": {"name": "x", "start_year": 2026, "years": 1},
    ...     "context": {"schools": 1, "learners": 0, "teachers": 0, "education_budget": 1e6},
    ...     "programme": [{"id": "connect", "name": "Connectivity", "pillar": "infrastructure", "driver": "schools",
    ...                    "cost": [{"item": "terminal", "kind": "capex", "unit_cost": 500.0}]}]})
    >>> describe(sc, "programme[connect].cost[terminal].unit_cost").text
    'Connectivity: terminal, unit cost (USD)'
    >>> describe(sc, "context.education_budget").text, describe(sc, "context.burden_limit").text
    ('Education budget (USD/yr)', 'Burden limit (share)')
    """
    try:
        loc = tuple(path) if not isinstance(path, str) else resolve(data, path)
    except ScenarioError:
        return FieldWords(str(path), "")
    owner: list[str] = []
    if len(loc) >= 2 and loc[0] in ("programme", "source") and isinstance(loc[1], int):
        element = _at(data, loc[:2])
        name = _child(element, "name") or _child(element, "id") or _child(element, "template")
        owner.append(str(name) if name else format_location(loc[:2]))
        if loc[0] == "programme" and len(loc) >= 4 and loc[2] == "cost" and isinstance(loc[3], int):
            item = _child(_at(data, loc[:4]), "item")
            owner.append(str(item) if item else f"cost line {loc[3] + 1}")
            rest = loc[4:]
        else:
            rest = loc[2:]
    elif len(loc) >= 2 and isinstance(loc[1], int):  # a row of another list of tables: [[uncertain]], [[stress]]
        owner.append(f"{_ROWS.get(str(loc[0]), field_label(str(loc[0])))} {loc[1] + 1}")
        rest = loc[2:]
    else:
        rest = loc[1:] if len(loc) > 1 else loc
    words = [field_label(str(p), capitalise=False) for p in rest if isinstance(p, str)]
    index = [p for p in rest if isinstance(p, int)]
    field = " ".join(words) + (f" [{']['.join(map(str, index))}]" if index else "")  # "" for the element itself
    if not owner:
        return FieldWords(field[:1].upper() + field[1:] or str(path), field_unit(data, loc))
    detail = ", ".join(part for part in (*owner[1:], field) if part)
    return FieldWords(f"{owner[0]}: {detail}" if detail else owner[0], field_unit(data, loc))

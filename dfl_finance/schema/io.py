"""Scenario files in and out: read (bounded), parse TOML, expand references, validate; write TOML atomically.

Every failure is a :class:`~dfl_finance.errors.ScenarioError` whose problems name the file, the field path in its
positional form (``programme[1].cost[0].unit_cost``, see :mod:`dfl_finance.paths`) and the bad value; nothing a user
can write raises anything else.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from ..vocabulary import ID_PATTERN, MAX_FILE_BYTES
from .models import CODE_PATTERN, Scenario

_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (see docs/scenario-format.md for the fields of this table)",
}
BOM = "\ufeff"
#: Messages for the patterns of the schema, in words (pydantic would print the regular expression).
_PATTERN_MESSAGES = {
    ID_PATTERN: "must be lower_snake_case: a lowercase letter, then lowercase letters and digits, words joined by "
                "single underscores (e.g. teacher_training)",
    CODE_PATTERN: "must be a three-letter code in capitals (ISO 3166 for a country, ISO 4217 for a currency: RWA, USD)",
}
#: Most parts a dotted key may have: TOML parsers take time quadratic in the parts, and a scenario's deepest real
#: key has four (``source.match.sources``).
MAX_KEY_PARTS = 64
_DOTTED_KEY = re.compile(r"(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*){%d}" % MAX_KEY_PARTS)


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """``"; did you mean `discount_rate`?"`` for an unknown key close to a known field of its table."""
    from .. import paths

    model = paths.model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    return paths.did_you_mean(loc[-1], list(model.model_fields))


_LONG_NUMBER = re.compile(r"\d{7,}(?:\.\d+)?")


def _problems_from_validation(exc: ValidationError) -> list[Problem]:
    from ..paths import format_location

    out = []
    for err in exc.errors(include_url=False):
        missing = err["type"] == "missing"
        # "less than or equal to 1000000000000000000" -> "... to 1e+18"
        message = _LONG_NUMBER.sub(lambda m: f"{float(m.group()):g}", _MESSAGES.get(err["type"], err["msg"]))
        if err["type"] == "extra_forbidden":
            message += _did_you_mean(err["loc"])
        elif err["type"] == "string_pattern_mismatch":
            message = _PATTERN_MESSAGES.get(str((err.get("ctx") or {}).get("pattern")), message)
        out.append(Problem(format_location(err["loc"]), message, None if missing else err.get("input"),
                           has_value=not missing))
    return out


def scenario_from_dict(raw: Any, file: str | None = None, schools: bool = True,
                       folder: Path | None = None) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML) into a :class:`Scenario`.

    Before validation, references to ``data/`` are expanded (:func:`~dfl_finance.references.expand_references`):
    the country profile fills ``[context]``, templates fill programmes and term sheets fill loans; what the file
    writes always wins. After it, a programme with a ``[programme.schools]`` table takes its cost lines from the
    school plan (the table read relative to ``folder``, else ``file``'s folder, else the working folder; the
    scenario remembers that folder as :attr:`Scenario.folder`; ``schools=False`` leaves the lines as they are).
    """
    from ..references import expand_references

    try:
        if not isinstance(raw, dict):
            raise ScenarioError([Problem("", "a scenario must be a table", raw)])
        scenario = Scenario.model_validate(expand_references(raw))
        if schools and any(p.schools is not None for p in scenario.programme):
            from ..schools.link import expand_school_links

            base = folder if folder is not None else Path(file).parent if file else Path.cwd()
            scenario = expand_school_links(scenario, base)
            scenario._folder = base.resolve()
        return scenario
    except ValidationError as exc:
        raise ScenarioError(_problems_from_validation(exc), file=file) from None
    except ScenarioError as exc:
        raise (exc.with_file(file) if file else exc) from None
    except RecursionError:
        raise ScenarioError([Problem("", "nested too deeply to be a scenario", has_value=False)],
                            file=file) from None


def parse_scenario(text: str, file: str | None = None) -> Scenario:
    """Parse and validate the TOML text of a scenario (a leading UTF-8 byte order mark is ignored)."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([Problem("", f"is {len(text):,} characters long; a scenario may have at most "
                                     f"{MAX_FILE_BYTES:,}", has_value=False)], file=file)
    if _DOTTED_KEY.search(text):
        raise ScenarioError([Problem("", f"malformed TOML: a dotted key with more than {MAX_KEY_PARTS} parts",
                                     has_value=False)], file=file)
    try:
        raw = tomllib.loads(text.removeprefix(BOM))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem("", f"malformed TOML: {exc}", has_value=False)], file=file) from None
    except RecursionError:
        raise ScenarioError([Problem("", "malformed TOML: nested too deeply", has_value=False)],
                            file=file) from None
    if "scenario" not in raw:  # another of the project's files, given where a scenario belongs
        for table, what, command in (("sweep", "a sweep file", "dfl-finance sweep FILE --out DIR"),
                                     ("portfolio", "a portfolio file", "dfl-finance portfolio FILE --out DIR"),
                                     ("fund", "a portfolio file", "dfl-finance portfolio FILE --out DIR")):
            if table in raw:
                raise ScenarioError([Problem("", f"this is {what}, not a scenario: run it with {command}",
                                             has_value=False)], file=file)
    return scenario_from_dict(raw, file)


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, what: str = "scenario file") -> str:
    """The UTF-8 text of a file of at most ``limit`` bytes; anything longer (or endless) is refused unread.
    ``what`` names the kind of file in the messages.

    Raises
    ------
    ScenarioError
        Missing, a folder, unreadable, too long or not UTF-8; the message names the file.
    """
    p = Path(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem("", message, has_value=False)], file=str(p))

    try:
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail(f"is a folder, not a {what}") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise fail(f"larger than {limit:,} bytes; a {what} is a few kilobytes (is this the right file?)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """A TOML file of the project other than a scenario (a sweep, a portfolio), read as :func:`read_text` reads a
    scenario (``what`` names it in the messages) and parsed.

    Raises
    ------
    ScenarioError
        Missing, a folder, unreadable, too long, not UTF-8 or not TOML; each problem located in the file (its path
        begins with the file's name, as the problems of the files it names will).
    """
    try:
        text = read_text(path, what=what)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems_in(str(path))) from None
    try:
        return tomllib.loads(text.removeprefix(BOM))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(str(path), f"malformed TOML: {exc}", has_value=False)]) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, parse and validate a scenario file.

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, too long, not TOML, or not a valid scenario; the message names the file,
        the field and the value.
    """
    return parse_scenario(read_text(path), file=str(path))


def dump_scenario(scenario: Scenario) -> str:
    """The TOML text of a scenario; :func:`parse_scenario` of it gives an equal scenario."""
    import tomli_w

    data = scenario.model_dump(exclude_none=True)
    from ..vocabulary import SCHOOL_PLAN_NOTE

    for p in data.get("programme", []):  # the cost lines of a school table are made again from it on reading
        if "schools" in p:
            p["cost"] = [c for c in p.get("cost", []) if not str(c.get("source_note", "")).startswith(
                SCHOOL_PLAN_NOTE)]
            if not p["cost"]:
                del p["cost"]
    # an empty list of tables ([[uncertain]], [[stress]], [[source]]) is the default: left out rather than written
    # as `name = []` at the top of the file
    return tomli_w.dumps({k: v for k, v in data.items() if v != []})


def dump_resolved(scenario: Scenario) -> str:
    """The TOML text of a scenario as validated, every field written: what its country profile, templates and term
    sheets filled in and the cost lines its school tables planned included, so that :func:`parse_resolved` gives an
    equal scenario without reading any other file (what a sweep sends to its workers, which may be other machines).

    :func:`dump_scenario` writes the file a person edits instead: a school table's lines are left out there and made
    again from the table when the file is read.
    """
    import tomli_w

    return tomli_w.dumps({k: v for k, v in scenario.model_dump(exclude_none=True).items() if v != []})


def parse_resolved(text: str) -> Scenario:
    """The scenario of a :func:`dump_resolved` text, validated again (its school tables are not planned again: their
    cost lines are in the text)."""
    return scenario_from_dict(tomllib.loads(text), schools=False)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` so that ``path`` holds either its old content or all of the new one.

    The text goes to a temporary file in the same folder, is flushed to disk (fsync), and replaces ``path`` in one
    rename; the folder is synced too where the system allows, so the rename survives a crash.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)
    return path


def sync_folder(folder: Path) -> None:
    """fsync a folder so that renames inside it are on disk (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write a scenario as TOML, atomically (a failed write leaves any previous file intact)."""
    return write_text_atomically(path, dump_scenario(scenario))

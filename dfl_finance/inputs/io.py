"""Scenario files in and out: read (bounded), parse TOML, expand references, validate; write TOML atomically.

Every failure is a :class:`~dfl_finance.errors.ScenarioError` whose problems name the file, the field path in its
positional form (``programme[1].cost[0].unit_cost``, see :mod:`dfl_finance.inputs.paths`) and the bad value; nothing a
user can write raises anything else.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dfl_finance.atomic import write_file_atomically
from dfl_finance.errors import Problem, ScenarioError
from dfl_finance.inputs import paths
from dfl_finance.inputs.models import CODE_PATTERN, Scenario
from dfl_finance.inputs.paths import format_location
from dfl_finance.inputs.references import expand_references
from dfl_finance.inputs.rules import consistency_problems
from dfl_finance.vocabulary import ID_PATTERN, MAX_FILE_BYTES, SCHOOL_PLAN_NOTE

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
#: A bare dotted key of more than MAX_KEY_PARTS parts. Tried only where a key's word starts (the look-behind), its
#: words and spaces taken whole (possessive): a long word is then read once instead of once from each of its letters
#: (the unanchored pattern took minutes on a 200,000-letter word of a 4 MB file).
_DOTTED_KEY = re.compile(r"(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]++[ \t]*+\.[ \t]*+){%d}" % MAX_KEY_PARTS)


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """``"; did you mean `discount_rate`?"`` for an unknown key close to a known field of its table."""
    model = paths.model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    return paths.did_you_mean(loc[-1], list(model.model_fields))


_LONG_NUMBER = re.compile(r"\d{7,}(?:\.\d+)?")


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    """One problem per error of a validation: its field path (positional), its message in words and its value."""
    out = []
    for err in exc.errors(include_url=False):
        missing = err["type"] == "missing"
        # "less than or equal to 1000000000000000000" -> "... to 1e+18"
        message = _LONG_NUMBER.sub(lambda m: f"{float(m.group()):g}", _MESSAGES.get(err["type"], err["msg"]))
        if err["type"] == "extra_forbidden":
            message += _did_you_mean(err["loc"])
        elif err["type"] == "too_long" and isinstance(err.get("input"), (list, tuple)):  # a list: its length
            ctx = err.get("ctx") or {}
            out.append(Problem(format_location(err["loc"]), f"has {ctx.get('actual_length', len(err['input'])):,} "
                               f"entries; at most {ctx.get('max_length')} are allowed", has_value=False))
            continue
        elif err["type"] == "string_pattern_mismatch":
            message = _PATTERN_MESSAGES.get(str((err.get("ctx") or {}).get("pattern")), message)
        # an unknown key's value is not said: it is not the tool's to judge, and a file may hold anything there
        unknown = err["type"] == "extra_forbidden"
        out.append(Problem(format_location(err["loc"]), message, None if missing or unknown else err.get("input"),
                           has_value=not (missing or unknown)))
    return out


def validate_scenario(raw: Any, file: str | None = None, folder: Path | None = None) -> Scenario:
    """Validate a parsed scenario (a dict as read from TOML) into a :class:`Scenario`, reading no other file.

    Before validation, references to ``data/`` are expanded (:func:`~dfl_finance.inputs.references.expand_references`):
    the country profile fills ``[context]``, templates fill programmes and term sheets fill loans; what the file
    writes always wins. The files the scenario names (:func:`file_references`: its baseline, its school tables) are
    relative to ``folder``, else ``file``'s folder, else the working folder; the scenario remembers that folder as
    :attr:`Scenario.folder`. Its cost lines are taken as they are: planning its school tables and reading its
    baseline are the model's (:func:`dfl_finance.model.load.scenario_from_dict`, which every command uses to read a
    file, so that a scenario that validates also runs).
    """
    base = folder if folder is not None else Path(file).parent if file else Path.cwd()
    try:
        if not isinstance(raw, dict):
            raise ScenarioError([Problem("", "a scenario must be a table", raw)])
        scenario = Scenario.model_validate(expand_references(raw))
        problems = consistency_problems(scenario)  # the rules across fields (inputs.rules)
        if problems:
            raise ScenarioError(problems)
        scenario._folder = base.resolve()
        return scenario
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc), file=file) from None
    except ScenarioError as exc:
        raise (exc.with_file(file) if file else exc) from None
    except RecursionError:
        raise ScenarioError([Problem("", "nested too deeply to be a scenario", has_value=False)],
                            file=file) from None


def parse_toml(text: str, file: str | None) -> dict[str, Any]:
    """The TOML text of a scenario parsed (bounded in size and in the parts of a dotted key), or ScenarioError."""
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
    return raw


class NotRegularFile(OSError):
    """A path that is not a regular file (a named pipe, a device, a socket, a folder): refused unread."""


def _kind(mode: int) -> str:
    for test, word in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return word
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int | None) -> tuple[os.stat_result, bytes]:
    """The status of a regular file and its first ``limit + 1`` bytes (none when its size is already over
    ``limit``: a caller checks ``len(data) > limit`` or the size; ``limit=None``: all of it).

    The file is opened without blocking and checked before any byte is read, so a named pipe, a device or a socket
    in its place cannot hang the reader: they raise :class:`NotRegularFile` (its message says what the path is).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"is {_kind(st.st_mode)}, not a regular file")
        if limit is not None and st.st_size > limit:
            return st, b""
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return st, fh.read(-1 if limit is None else limit + 1)
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, what: str = "scenario file",
              regular_only: bool = False) -> str:
    """The UTF-8 text of a file of at most ``limit`` bytes; anything longer (or endless) is refused unread.
    ``what`` names the kind of file in the messages. With ``regular_only`` (a file another file names, a file in
    a folder the app lists) a named pipe, a device or a socket is refused without waiting on it; otherwise, as
    any Unix tool, it is read (``dfl-finance validate <(cat file.toml)``).

    Raises
    ------
    ScenarioError
        Missing, a folder, unreadable, too long or not UTF-8; the message names the file.
    """
    p = Path(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem("", message, has_value=False)], file=str(p))

    too_long = fail(f"larger than {limit:,} bytes; a {what} is a few kilobytes (is this the right file?)")
    try:
        if regular_only:
            st, data = read_regular(p, limit)
            if st.st_size > limit:
                raise too_long
        else:
            with p.open("rb") as fh:
                data = fh.read(limit + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail(f"is a folder, not a {what}") from None
    except NotRegularFile as exc:
        raise fail(f"{exc}; only a regular file can be a {what}") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise too_long
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


def file_references(raw: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """``(location, name)`` of every file a parsed scenario names, relative to its folder: ``scenario.baseline``
    and each programme's ``schools.table`` and ``schools.fibre_nodes``. The one list of a scenario's references:
    the writers rewrite these (:func:`rebase`), the reader follows them."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    meta = raw.get("scenario")
    if isinstance(meta, dict) and isinstance(meta.get("baseline"), str):
        out.append((("scenario", "baseline"), meta["baseline"]))
    if isinstance(meta, dict) and isinstance(meta.get("budget_codes"), str):
        out.append((("scenario", "budget_codes"), meta["budget_codes"]))
    programmes = raw.get("programme")
    for i, p in enumerate(programmes if isinstance(programmes, list) else []):
        link = p.get("schools") if isinstance(p, dict) else None
        if isinstance(link, dict):
            out += [(("programme", i, "schools", key), link[key]) for key in ("table", "fibre_nodes")
                    if isinstance(link.get(key), str)]
    return out


def rebase_path(name: str, source: Path, target: Path) -> str:
    """A file name relative to the folder ``source``, written for a file in the folder ``target``.

    Relative (with ``/``) when the two folders share a folder below the file system's root (``scenarios/x.toml``
    seen from the project) and ``target`` exists, else absolute: a workspace in the home folder names a bundled
    scenario by its full path, and a name with ``..`` would not resolve from a folder not yet made.
    """
    if Path(name).is_absolute():
        return name
    # resolved (symbolic links followed) as the system resolves ".." in the name written
    file, here = (Path(source) / name).resolve(), Path(target).resolve()
    if not here.is_dir():
        return file.as_posix()
    try:
        relative = os.path.relpath(file, here)
    except ValueError:  # another drive
        return file.as_posix()
    common = os.path.commonpath([file, here])
    if Path(common).anchor == common:  # only the root in common
        return file.as_posix()
    return Path(relative).as_posix()


def _put(table: Any, loc: tuple[str | int, ...], value: str) -> None:
    """Set the value at ``loc`` (from :func:`file_references`) in a parsed scenario or a tomlkit document."""
    for part in loc[:-1]:
        table = table[part]
    table[loc[-1]] = value


def rebase(raw: dict[str, Any], source: Path, target: Path) -> dict[str, Any]:
    """``raw`` (a parsed scenario, changed in place and returned) with the files it names, relative to ``source``,
    named for a file in ``target``."""
    if Path(source).resolve() == Path(target).resolve():
        return raw
    for loc, name in file_references(raw):
        _put(raw, loc, rebase_path(name, source, target))
    return raw


def rename_references(text: str, rename: Callable[[tuple[str | int, ...], str], str]) -> str:
    """The TOML text of a scenario with each file name it holds (:func:`file_references`) replaced by
    ``rename(location, name)``; comments and layout are kept (tomlkit). A text that does not parse, or names no file, is
    returned as it is (validation then says what is wrong)."""
    try:
        raw = tomllib.loads(text.removeprefix(BOM))
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    found = [(loc, name, rename(loc, name)) for loc, name in file_references(raw)]
    if all(new == name for _, name, new in found):
        return text
    import tomlkit  # loaded when a file is rewritten, not by validate

    doc = tomlkit.parse(text.removeprefix(BOM))
    for loc, _, new in found:
        _put(doc, loc, new)
    return tomlkit.dumps(doc)


def rebase_text(text: str, source: Path, target: Path) -> str:
    """The TOML text of a scenario whose file names are relative to ``source``, with those names written for a file
    in ``target`` (:func:`rebase_path`); comments and layout are kept."""
    if Path(source).resolve() == Path(target).resolve():
        return text
    return rename_references(text, lambda _, name: rebase_path(name, source, target))


def absolute_text(text: str, folder: Path) -> str:
    """The TOML text of a scenario whose file names are relative to ``folder``, with each name made absolute: a
    single file that runs from anywhere on this machine (comments kept)."""
    return rename_references(text, lambda _, name: (Path(folder) / name).resolve().as_posix())


#: The folder of a :func:`bundle` that holds the files its scenarios name.
BUNDLE_FILES = "files"


def bundle(texts: dict[str, str], folder: Path) -> dict[str, bytes]:
    """Scenario texts (``{file name: text}``, the files they name relative to ``folder``) as the files of a folder
    that runs on its own, wherever it is unpacked: every file they name (a baseline scenario, a school table), and
    every file that a named scenario names in turn, is added under :data:`BUNDLE_FILES` (``files/``) and the names
    are rewritten to point there (a file named twice is added once; comments are kept).

    Raises
    ------
    ScenarioError
        A named file cannot be read (the problem names the scenario file and the field).
    """
    out: dict[str, bytes] = {}
    placed: dict[Path, str] = {}
    taken = {name.casefold() for name in texts}  # names in the bundle, as a case-blind file system sees them
    pending: list[tuple[Path, str, bool]] = []  # (file, name in the bundle, is a scenario)

    def place(path: Path, scenario: bool) -> str:
        if path not in placed:
            stem, suffix, k = path.stem, path.suffix, 1
            name = f"{BUNDLE_FILES}/{path.name}"
            while name.casefold() in taken:
                k += 1
                name = f"{BUNDLE_FILES}/{stem}-{k}{suffix}"
            taken.add(name.casefold())
            placed[path] = name
            pending.append((path, name, scenario))
        return placed[path]

    def rewrite(text: str, source: Path, own: str) -> bytes:
        def rename(loc: tuple[str | int, ...], name: str) -> str:
            target = place((source / name).resolve(), loc == ("scenario", "baseline"))
            return posixpath.relpath(target, posixpath.dirname(own) or ".")

        return rename_references(text, rename).encode("utf-8")

    for name, text in texts.items():
        out[name] = rewrite(text, folder, name)
    while pending:
        path, name, scenario = pending.pop(0)
        try:
            if scenario:
                out[name] = rewrite(read_text(path, regular_only=True), path.parent, name)
            else:
                out[name] = read_regular(path, None)[1]
        except (ScenarioError, OSError) as exc:
            why = "; ".join(p.format() for p in exc.problems) if isinstance(exc, ScenarioError) else str(exc)
            raise ScenarioError([Problem("", f"cannot add {path} to the scenario files: {why}",
                                         has_value=False)]) from None
    return out


def dump_scenario(scenario: Scenario, folder: str | os.PathLike[str] | None = None) -> str:
    """The TOML text of a scenario; :func:`parse_scenario` of it gives an equal scenario.

    With ``folder`` (where the text will be written), the files the scenario names (its baseline, its school
    tables) are named for that folder, so that the written file runs from where it is (see :func:`rebase_path`);
    without it, they are kept as the scenario has them (relative to :attr:`Scenario.folder`).
    """
    import tomli_w  # loaded when a scenario is written, not by validate

    data = scenario.model_dump(exclude_none=True)
    if folder is not None:
        rebase(data, scenario.folder or Path.cwd(), Path(folder))
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
    import tomli_w  # loaded when a scenario is written, not by validate

    return tomli_w.dumps({k: v for k, v in scenario.model_dump(exclude_none=True).items() if v != []})


def parse_resolved(text: str) -> Scenario:
    """The scenario of a :func:`dump_resolved` text, validated again (its school tables are not planned again: their
    cost lines are in the text)."""
    return validate_scenario(tomllib.loads(text))


def write_text_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` so that ``path`` holds either its old content or all of the new one: the one atomic
    writer, :func:`dfl_finance.atomic.write_file_atomically` (kept under this name for the callers that import it
    from here)."""
    return write_file_atomically(path, text)


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write a scenario as TOML, atomically (a failed write leaves any previous file intact); the files it names
    are named for where it is written, so it runs from there."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # so that the names can be relative to it
    return write_text_atomically(path, dump_scenario(scenario, Path(path).parent))

"""The workspace: a folder of scenario files that several app sessions (and processes) read and write at once.

Rules (no Streamlit here; the app's ``state`` module is a thin layer over this one):

- **One file per scenario, never shared.** A new scenario's file name is :func:`file_name` of its name: the name's
  letters and digits (any script), lower-cased, plus a short id hashed from the exact name, so ``Plan: A``,
  ``plan a``, ``..`` and ``情景`` get distinct files and no name can point outside the folder. Names are compared
  case-insensitively with the files on disk (as macOS and Windows do), and a file in the way is never overwritten:
  another file name is used. A scenario keeps its file until it is renamed.
- **Optimistic concurrency.** Every file has a version, the hash of its bytes. An edit names the version it started
  from (its :class:`Base`); :meth:`Workspace.save` and :meth:`Workspace.delete` check that version under an
  exclusive lock of the folder (so check and write are one step across processes) and raise :class:`Conflict`,
  holding both texts, instead of overwriting a newer version or bringing back a deleted scenario.
- **Nothing half-written, nothing lost.** Files are written to a temporary file, synced and renamed
  (:func:`~dfl_finance.atomic.write_file_atomically`); a new file appears with a hard link, which fails if the
  name exists (exclusive creation); a rename writes the new file before it removes the old one. Only valid
  scenarios are written; :meth:`Workspace.create` picks a name no scenario on disk has.
- **Cheap to list on every run.** :meth:`Workspace.catalogue` stats the files and reads only those whose size,
  time or inode changed; parsed scenarios are cached by content hash. A file that does not load (malformed,
  invalid, too large, or with the same name as another) is listed with its error and hides nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from dfl_finance.atomic import sync_folder, write_file_atomically
from dfl_finance.errors import DflFinanceError, Problem, ScenarioError
from dfl_finance.inputs.io import NotRegularFile, dump_scenario, read_regular, rebase_text
from dfl_finance.inputs.models import Scenario
from dfl_finance.inputs.rules import duplicate_name_problems
from dfl_finance.model.load import parse_scenario
from dfl_finance.vocabulary import MAX_FILE_BYTES

#: The lock file inside the workspace folder (held with ``flock``/``msvcrt``, so a crashed holder releases it).
LOCK_FILE = ".lock"
#: Seconds a writer waits for the lock before giving up with :class:`WorkspaceBusy`.
LOCK_TIMEOUT = 10.0
#: Characters of the name kept in a file name (a file name stays well under 255 bytes in any script).
STEM_CHARS = 40
#: Parsed scenarios kept in memory, by content hash.
PARSED_CACHE = 512
#: Seconds a file of a folder may take to be read before it is listed as skipped (a hung network file system).
READ_TIMEOUT = 5.0

Origin = Literal["bundled", "workspace"]


class WorkspaceError(DflFinanceError):
    """The workspace cannot do what was asked."""


class WorkspaceBusy(WorkspaceError):
    """Another writer held the workspace lock for longer than :data:`LOCK_TIMEOUT`."""


@dataclass(frozen=True)
class Base:
    """What an edit started from: the scenario's name, and its workspace file and version when it had one.

    ``file = None`` means the scenario was not in the workspace (a bundled scenario, or one deleted since).
    """

    name: str
    file: str | None = None
    version: str | None = None


@dataclass(frozen=True, eq=False)
class Entry:
    """One scenario file as last read: its text, its version, and the scenario or the reason it cannot be used."""

    folder: Path
    file: str
    origin: Origin
    version: str
    text: str | None
    scenario: Scenario | None
    error: ScenarioError | None = None

    @property
    def ok(self) -> bool:
        return self.scenario is not None and self.error is None

    @property
    def name(self) -> str:
        """The scenario's name (the file name for a file that does not load)."""
        return self.scenario.name if self.scenario is not None else self.file

    @property
    def path(self) -> Path:
        return self.folder / self.file

    @property
    def base(self) -> Base:
        """The base of an edit of this entry (a bundled entry has no workspace file)."""
        if self.origin == "bundled":
            return Base(self.name)
        return Base(self.name, self.file, self.version)


class Conflict(WorkspaceError):
    """An edit or a delete started from a version that is no longer on disk.

    ``mine`` is the text that was not saved (None for a delete), ``theirs`` the entry now on disk (None: deleted).
    """

    def __init__(self, base: Base, mine: str | None, theirs: Entry | None):
        self.base, self.mine, self.theirs = base, mine, theirs
        what = "deleted or renamed" if theirs is None else "changed"
        super().__init__(f"{base.name!r} was {what} by another session since it was opened; nothing was saved")


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Every scenario the app can show: bundled ones, replaced by workspace files of the same name."""

    scenarios: dict[str, Entry]
    broken: list[Entry] = field(default_factory=list)
    bundled: dict[str, Entry] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- names

def name_id(name: str) -> str:
    """A short id of the exact name (8 hex digits of its SHA-256)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def file_name(name: str) -> str:
    """The file name of a new scenario called ``name``: its letters and digits, lower-cased, and :func:`name_id`.

    Examples
    --------
    >>> file_name("Rwanda: IDA credit-led")
    'rwanda-ida-credit-led-5f65c127.toml'
    >>> file_name("情景 A"), file_name("..")
    ('情景-a-997eec9d.toml', 'scenario-5ec1f7e7.toml')
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    stem = "".join(c if unicodedata.category(c)[0] in "LMN" else "-" for c in folded)
    stem = re.sub(r"-+", "-", stem).strip("-")[:STEM_CHARS].strip("-")
    return f"{stem or 'scenario'}-{name_id(name)}.toml"


def _fold(file: str) -> str:
    """A file name as a case-insensitive, normalisation-insensitive file system sees it."""
    return unicodedata.normalize("NFC", file).casefold()


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... whichever ``taken`` does not hold."""
    k, candidate = 2, name
    while candidate in taken:
        candidate, k = f"{name} ({k})", k + 1
    return candidate


def _free_file(name: str, files: set[str]) -> str:
    """:func:`file_name` of ``name``, or ``<stem>-2.toml``... if a file of that name exists (``files`` folded)."""
    first = file_name(name)
    stem, k, candidate = first.removesuffix(".toml"), 2, first
    while _fold(candidate) in files:
        candidate, k = f"{stem}-{k}.toml", k + 1
    return candidate


# --------------------------------------------------------------------------------------------------- reading

def version_of(data: bytes) -> str:
    """The version of a file: 16 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


_cache_lock = threading.Lock()
_READS: dict[str, tuple[tuple[int, int, int], str, str | None, str | None]] = {}  # path -> (stat, version, text, err)
_PARSED: OrderedDict[tuple[str, str], Scenario | ScenarioError] = OrderedDict()


def _parsed(folder: Path, text: str) -> Scenario | ScenarioError:
    """The scenario of a text whose file names are relative to ``folder``, or why it is not one; cached by the
    folder and the text's version."""
    key = (str(folder), version_of(text.encode("utf-8")))
    with _cache_lock:
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key]
    try:
        result: Scenario | ScenarioError = parse_scenario(text, folder=folder)
    except ScenarioError as exc:
        result = exc
    with _cache_lock:
        _PARSED[key] = result
        while len(_PARSED) > PARSED_CACHE:
            _PARSED.popitem(last=False)
    return result


def scenario_in(folder: Path, text: str) -> Scenario:
    """The scenario of a text whose file names are relative to ``folder`` (raises ScenarioError), through the cache
    of the files read: a text is parsed once, whether it is computed, saved or listed first (the parsed scenario is
    shared: never change it)."""
    parsed = _parsed(folder, text)
    if isinstance(parsed, ScenarioError):
        raise parsed
    return parsed


class ReadTimeout(OSError):
    """A file of the folder did not answer within :data:`READ_TIMEOUT` (a hung network file system)."""


def _read_bytes(path: Path) -> tuple[tuple[int, int, int], bytes | None]:
    """The stat key of a regular file and its bytes (None when it is larger than a scenario may be: not read).

    Read in a thread of its own that the caller waits on for at most :data:`READ_TIMEOUT` seconds, so no file can
    hang a page; a named pipe, a device or a socket is refused before anything is read (NotRegularFile)."""
    done: list[tuple[os.stat_result, bytes]] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(read_regular(path, MAX_FILE_BYTES))
        except BaseException as exc:  # handed to the caller
            failed.append(exc)

    reader = threading.Thread(target=work, name=f"read {path.name}", daemon=True)
    reader.start()
    reader.join(READ_TIMEOUT)
    if reader.is_alive():
        raise ReadTimeout(f"did not answer within {READ_TIMEOUT:g} s")
    if failed:
        raise failed[0]
    st, data = done[0]
    return (st.st_ino, st.st_size, st.st_mtime_ns), (data if st.st_size <= MAX_FILE_BYTES else None)


def _decode(data: bytes | None) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, why not)``: the size is checked before decoding."""
    if data is None or len(data) > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES:,} bytes; a scenario file is a few kilobytes"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"


def read_entry(folder: Path, file: str, origin: Origin, fresh: bool = False, here: Path | None = None
               ) -> Entry | None:
    """The entry of one file, None if it does not exist. Unless ``fresh``, unchanged files are not read again.

    ``here`` is the folder the entry is seen from (default ``folder``): its text names the files it refers to
    (a baseline, a school table) for a file in ``here`` (:func:`~dfl_finance.inputs.io.rebase_text`), so a bundled
    scenario's text saved in the workspace runs from there. Only regular files are read, each within
    :data:`READ_TIMEOUT` seconds; anything else (a named pipe, a device, a file that does not answer) is an entry
    with the reason it was skipped.
    """
    path = folder / file
    key = str(path)
    here = folder if here is None else here
    try:
        st = path.stat()
        cached = None if fresh else _READS.get(key)
        if cached is not None and cached[0] == (st.st_ino, st.st_size, st.st_mtime_ns):
            _, version, text, error = cached
        else:
            stat_key, data = _read_bytes(path)
            version = version_of(data) if data is not None else ""
            text, error = _decode(data)
            _READS[key] = (stat_key, version, text, error)
    except FileNotFoundError:
        _READS.pop(key, None)
        return None
    except (NotRegularFile, ReadTimeout) as exc:
        _READS.pop(key, None)
        return Entry(folder, file, origin, "", None, None, _error(path, f"{exc}: skipped (only regular files of "
                                                                       "at most a few megabytes are read)"))
    except OSError as exc:
        return Entry(folder, file, origin, "", None, None, _error(path, f"cannot read: {exc.strerror or exc}"))
    if text is None:
        return Entry(folder, file, origin, version, None, None, _error(path, error or ""))
    text = _rebased(text, folder, here)
    parsed = _parsed(here, text)
    if isinstance(parsed, ScenarioError):
        return Entry(folder, file, origin, version, text, None, parsed.with_file(str(path)))
    return Entry(folder, file, origin, version, text, parsed)


@functools.lru_cache(maxsize=PARSED_CACHE)
def _rebased(text: str, folder: Path, here: Path) -> str:
    """:func:`~dfl_finance.inputs.io.rebase_text`, cached: the bundled files are seen from the workspace on every
    run of every page."""
    return rebase_text(text, folder, here)


def _error(path: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem("", message, has_value=False)], file=str(path))


def read_folder(folder: Path, origin: Origin, here: Path | None = None) -> list[Entry]:
    """Every ``*.toml`` file of ``folder`` (hidden files and folders skipped), in file name order, seen from
    ``here`` (:func:`read_entry`)."""
    try:
        names = sorted(de.name for de in os.scandir(folder)
                       if de.name.endswith(".toml") and not de.name.startswith(".") and not de.is_dir())
    except FileNotFoundError:
        return []
    present = {str(folder / n) for n in names}
    for key in [k for k in list(_READS) if os.path.dirname(k) == str(folder) and k not in present]:
        _READS.pop(key, None)  # forget files that are gone
    entries = [read_entry(folder, n, origin, here=here) for n in names]
    return _mark_duplicates([e for e in entries if e is not None])


def _named_with(entries: list[Entry]) -> tuple[list[Entry], list[tuple[str, Scenario]]]:
    """The entries that load, and ``(file, scenario)`` of each."""
    good = [e for e in entries if e.ok]
    return good, [(e.file, e.scenario) for e in good if e.scenario is not None]


def _named(entries: list[Entry]) -> list[tuple[str, Scenario]]:
    return _named_with(entries)[1]


def _mark_duplicates(entries: list[Entry]) -> list[Entry]:
    """Entries whose scenario name an earlier file already has become errors (the core rule on names)."""
    problems = dict(duplicate_name_problems(_named(entries)))
    return [replace(e, error=ScenarioError([problems[e.file]], file=str(e.path))) if e.file in problems else e
            for e in entries]


# --------------------------------------------------------------------------------------------------- locking

@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock (exclusive across processes and threads), or raise :class:`WorkspaceBusy`.

    The lock is an OS lock on :data:`LOCK_FILE` (``flock`` on POSIX, ``msvcrt.locking`` on Windows), released by the
    system when its holder dies, so a crash leaves no stale lock behind: the file itself means nothing.
    """
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise WorkspaceBusy(f"the workspace {folder} is busy (another session holds {LOCK_FILE} for more "
                                    f"than {LOCK_TIMEOUT:g} s); nothing was saved, try again")
            time.sleep(0.01)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined,unused-ignore]
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Hold the lock for a change; a failure of the file system (full, read-only, ...) is a WorkspaceError."""
    try:
        with locked(folder):
            yield
    except OSError as exc:
        raise WorkspaceError(f"could not write to the workspace {folder}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------------------------------- writing

def _create_file(path: Path, text: str) -> None:
    """Write a new file, complete or not at all; FileExistsError if ``path`` exists (never overwritten; without hard
    links the caller's lock makes the check and the rename one step)."""
    write_file_atomically(path, text, exclusive=True)


class Workspace:
    """The workspace ``folder`` (created if missing), seen over the read-only ``bundled`` scenarios folder."""

    def __init__(self, folder: str | os.PathLike[str], bundled: str | os.PathLike[str] | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.bundled = Path(bundled) if bundled is not None else None

    def entries(self) -> list[Entry]:
        return read_folder(self.folder, "workspace")

    def catalogue(self) -> Catalogue:
        """Bundled scenarios (in file order), then the workspace's: a workspace file replaces the bundled scenario
        of the same name in place; the others follow in name order."""
        bundled = self._bundled()
        mine = self.entries()
        scenarios = {e.name: e for e in bundled if e.ok}
        bundled_ok = dict(scenarios)
        for e in sorted((e for e in mine if e.ok), key=lambda e: (e.name.casefold(), e.name)):
            scenarios[e.name] = e
        return Catalogue(scenarios, [e for e in bundled + mine if not e.ok], bundled_ok)

    # ----- the three changes: create, save (edit or rename), delete

    def create(self, text: str, folder: str | os.PathLike[str] | None = None) -> Entry:
        """Add a scenario under its name, or ``name (2)``... if a scenario on disk (bundled or not) has it.

        The files the text names (a baseline, a school table) are relative to ``folder`` (default: the workspace)
        and are named for the workspace when it is written. The text is kept as given (comments too) unless the
        name changes. Raises ScenarioError if invalid (a file it names cannot be read included).
        """
        if folder is not None:
            text = rebase_text(text, Path(folder), self.folder)
        scenario = scenario_in(self.folder, text)
        with _writing(self.folder):
            taken = {e.name for e in self._all() if e.ok}
            name = unique_name(scenario.name, taken)
            if name != scenario.name:
                text = dump_scenario(scenario.model_copy(
                    update={"scenario": scenario.scenario.model_copy(update={"name": name})}))
                scenario = scenario_in(self.folder, text)
            return self._write_new(scenario, text)

    def save(self, base: Base, text: str, folder: str | os.PathLike[str] | None = None) -> Entry:
        """Save ``text``, an edit of ``base`` (which may rename it), if ``base`` is still what is on disk. The files
        the text names are relative to ``folder`` (default: the workspace), as for :meth:`create`.

        Raises
        ------
        Conflict
            The file changed or was deleted since ``base`` was read (or, for a bundled base, a workspace file
            of that name appeared): nothing is written.
        ScenarioError
            The text is not a valid scenario, or its new name is another scenario's.
        """
        if folder is not None:
            text = rebase_text(text, Path(folder), self.folder)
        scenario = scenario_in(self.folder, text)
        with _writing(self.folder):
            self._check(base, text)
            entries = self._all()
            # named as a user knows them (no server paths); a workspace copy before the bundled file it replaces
            others = sorted(((f"the {e.origin} scenario {e.name!r} ({e.file})", sc)
                             for e, (_, sc) in zip(*_named_with(entries)) if not (
                                 (e.origin == "workspace" and e.file == base.file)
                                 or (e.origin == "bundled" and e.name == base.name))),
                            key=lambda item: not item[0].startswith("the workspace"))
            mine = "your edit"
            problems = [p for where, p in duplicate_name_problems([*others, (mine, scenario)]) if where == mine]
            if problems:
                raise ScenarioError(problems)
            if base.file is not None and scenario.name == base.name:
                write_file_atomically(self.folder / base.file, text)
                return self._entry(base.file, text, scenario)
            new = self._write_new(scenario, text)
            if base.file is not None:  # a rename: the old file goes once the new one is complete
                os.unlink(self.folder / base.file)
                sync_folder(self.folder)
            return new

    def delete(self, base: Base) -> None:
        """Remove the workspace file of ``base`` if it is still that version (Conflict if it changed since).

        A file already gone is not an error; a bundled scenario has no workspace file and is never deleted.
        """
        if base.file is None:
            raise WorkspaceError(f"{base.name!r} is a bundled scenario; bundled files are never deleted")
        with _writing(self.folder):
            now = read_entry(self.folder, base.file, "workspace", fresh=True)
            if now is None:
                return
            if now.version != base.version:
                raise Conflict(base, None, now)
            os.unlink(now.path)
            sync_folder(self.folder)

    # ----- helpers (called with the lock held)

    def _bundled(self) -> list[Entry]:
        """The bundled scenarios, seen from the workspace (the files they name are named for it)."""
        return read_folder(self.bundled, "bundled", here=self.folder) if self.bundled else []

    def _all(self) -> list[Entry]:
        return self._bundled() + self.entries()

    def _check(self, base: Base, mine: str) -> None:
        if base.file is not None:
            now = read_entry(self.folder, base.file, "workspace", fresh=True)
            if now is None or now.version != base.version:
                raise Conflict(base, mine, now)
        else:
            holder = next((e for e in self.entries() if e.ok and e.name == base.name), None)
            if holder is not None:
                raise Conflict(base, mine, holder)

    def _write_new(self, scenario: Scenario, text: str) -> Entry:
        files = {_fold(f) for f in os.listdir(self.folder)}
        while True:
            file = _free_file(scenario.name, files)
            try:
                _create_file(self.folder / file, text)
            except FileExistsError:  # a writer that does not take the lock: use another name
                files.add(_fold(file))
                continue
            return self._entry(file, text, scenario)

    def _entry(self, file: str, text: str, scenario: Scenario) -> Entry:
        return Entry(self.folder, file, "workspace", version_of(text.encode("utf-8")), text, scenario)

"""What a user gets: CSV tables, the XLSX workbook, the manifest, and the check of a written folder.

**Text.** A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage
return at its start or right after a line break) gets a leading ``'``; a CSV field holding a line break, a comma or
a quote is quoted. :func:`csv_text` is the one CSV writer (the command line and the app's zip use it).

**Folders.** :func:`write_atomically` commits an output folder as a whole. Every file is first written into a hidden
staging folder inside it (``.dfl-finance-<host>-<pid>-*``) and flushed to disk. Then the previous manifest is moved
into the staging folder, the files to be replaced are moved beside it, the new files are moved in, outputs of the
previous run that this run does not write are moved out too, and the new ``manifest.json`` is moved in last. A
failure at any step moves everything back; a run killed half way is rolled back by the next write into the folder,
which also removes staging folders of runs that are gone. ``manifest.json`` lists every output with its sha256
(:func:`verify_outputs` checks them); a file in the way that the previous manifest does not list was not written
by dfl-finance and is never overwritten. This is not the one-file writer
(:func:`dfl_finance.atomic.write_file_atomically`, which writes a workbook given a path) repeated per file: a run's
files change together, the manifest that lists them last, and go back together when one fails or the run is killed,
which one rename per file cannot give; it flushes files and folders with that module's
:func:`~dfl_finance.atomic.fsync_file` and :func:`~dfl_finance.atomic.sync_folder`.

**Workbooks** are byte-identical for identical tables: fixed document properties and zip entry times.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import numbers
import os
import platform
import re
import shutil
import socket
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeGuard

from dfl_finance.atomic import fsync_file, sync_folder, write_file_atomically
from dfl_finance.errors import DataError, DflFinanceError
from dfl_finance.inputs.profiles import data_dir, user_profiles_files
from dfl_finance.inputs.references import fx_assumption
from dfl_finance.outputs.csv_columns import columns_csv_text
from dfl_finance.outputs.formatting import currency_of
from dfl_finance.outputs.tables import MONEY_COLUMNS, SHARE_COLUMNS, TABLES, workbook_row
from dfl_finance.vocabulary import VERSION as __version__
from dfl_finance.vocabulary import minor_unit_digits

if TYPE_CHECKING:  # pandas and openpyxl load only when something is written
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from dfl_finance.inputs.models import Scenario

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = re.compile(r"(^|[\r\n])(?=[=+\-@\t\r])")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
#: Prefix of a CSV file that makes Excel read it as UTF-8 (``--excel-csv``).
EXCEL_BOM = "\ufeff"

MANIFEST = "manifest.json"
STAGING_PREFIX = ".dfl-finance-"
#: A staging folder whose process cannot be checked (another host, Windows) is stale after this long [s].
STALE_AFTER = 24 * 3600
#: The files of the data folder whose hashes the manifest records.
DATA_FILES = ("country_profiles.csv", "unit_costs.csv", "loan_terms.csv", "templates.toml", "price_history.csv",
              "dsf_thresholds.csv", "ida_terms_by_risk.csv", "unit_cost_ranges.csv")
#: The libraries whose versions the manifest records (besides Python and dfl-finance).
LIBRARIES = ("numpy", "pandas", "scipy", "pydantic", "openpyxl")
#: The time stamped on every zip entry and in the workbook's properties: the earliest a zip can hold.
FIXED_TIME = datetime(1980, 1, 1)


class OutputError(DflFinanceError):
    """An output folder that cannot be written as asked: no folder named, a file in the way that dfl-finance did
    not write, or a commit that could not be undone."""


# --------------------------------------------------------------------------------------------------- cells
def neutralise_text(value: object) -> object:
    """Prefix ``'`` to text that a spreadsheet would run as a formula, at its start and after every line break;
    other values pass unchanged.

    >>> neutralise_text("Plan B\\r=2+5")
    "Plan B\\r'=2+5"
    """
    return _neutral(value) if isinstance(value, str) else value


def _neutral(text: str) -> str:
    return _FORMULA_START.sub(r"\1'", text)


def _plain(value: object) -> str | bool | int | float | None:
    """A cell as a plain Python value: text neutralised, numpy scalars unwrapped, missing values None."""
    if isinstance(value, str):
        return _neutral(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else float(value)
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return _neutral(str(value))


def _csv_field(value: object) -> str:
    """A cell as a CSV field: numbers as Python prints them, missing values empty, text quoted where it must be."""
    value = _plain(value)
    text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _columns(df: pd.DataFrame) -> list[list[object]]:
    """The columns of ``df`` as lists of Python values (duplicate column names allowed)."""
    return [df.iloc[:, i].tolist() for i in range(df.shape[1])]


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of a table: a header, one line per row, ``\n`` after every line, no index.

    Text is neutralised (:func:`neutralise_text`) and a field holding a line break (``\r`` or ``\n``), a comma or
    a quote is quoted, so no text can start a row or a line of its own. Numbers are written as pandas writes them.

    Tables of numbers and text are written column by column (:mod:`dfl_finance.outputs.csv_columns`: the bytes
    pandas writes, faster); other tables without a carriage return in any text are written by pandas (pandas quotes
    ``\n``, commas and quotes itself, but leaves a bare ``\r`` unquoted when lines end in ``\n``); a table with one
    goes through the writer here, field by field.
    """
    fast = columns_csv_text(df, _neutral)  # the same bytes, column by column (None: a table it leaves to pandas)
    if fast is not None:
        return fast
    neutral, carriage_return = _neutralised(df)
    if not carriage_return:
        return neutral.to_csv(index=False, lineterminator="\n")
    return _csv_text_by_field(df)


def _csv_text_by_field(df: pd.DataFrame) -> str:
    """:func:`csv_text`, one field at a time (any text; about ten times slower than pandas)."""
    lines = [[_csv_field(str(c)) for c in df.columns], *zip(*([_csv_field(v) for v in col] for col in _columns(df)))]
    if df.shape[1] == 1:  # a lone empty field would read as a blank line
        lines = [[f or '""' for f in line] for line in lines]
    return "".join(",".join(line) + "\n" for line in lines)


def _neutralised(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """``df`` with its text cells and column names neutralised, and whether any text holds a carriage return.

    Text columns repeat a few values (scenario, source, programme names), so each distinct value is handled once.
    """
    import numpy as np
    import pandas as pd

    names = [str(c) for c in df.columns]
    found = any("\r" in n for n in names)
    out = {}
    for i, name in enumerate(names):
        col = df.iloc[:, i]
        if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):  # text only: each value once
            codes, uniques = pd.factorize(col, use_na_sentinel=False)
            values = [neutralise_text(u) for u in uniques]
            col = pd.Series(np.asarray(values, dtype=object)[codes], index=col.index, dtype=object)
        elif col.dtype == object:  # numbers and text mixed (the summary's value): cell by cell, types kept
            col = pd.Series([neutralise_text(v) for v in col], index=col.index, dtype=object)
        found = found or (col.dtype == object and any(isinstance(v, str) and "\r" in v for v in col.unique()))
        out[i] = col
    neutral = pd.DataFrame(out)
    neutral.columns = [neutralise_text(n) for n in names]
    return neutral, found


def _csv_writer(df: pd.DataFrame, bom: bool) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(((EXCEL_BOM if bom else "") + csv_text(df)).encode("utf-8"))
    return write


# --------------------------------------------------------------------------------------------------- manifest
def _parquet_writer(df: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        df.to_parquet(path, index=False, engine="pyarrow")
    return write


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _data_files() -> dict[str, object]:
    """The data folder in use and the sha256 of each of its files (None for a missing file)."""
    try:
        folder = data_dir().resolve()
    except DataError:
        return {"folder": None, "files": []}
    out: dict[str, object] = {"folder": str(folder), "files": [
        {"path": name, "sha256": file_sha256(folder / name) if (folder / name).is_file() else None}
        for name in DATA_FILES]}
    try:  # the user's profiles laid over the data folder's (DFL_FINANCE_PROFILES), when there are any
        user = user_profiles_files()
    except DataError:
        user = []
    if user:
        out["user_profiles"] = [{"path": str(f.resolve()), "sha256": file_sha256(f)} for f in user]
    return out


def _versions() -> dict[str, str | None]:
    """Python's version and the installed version of each library in :data:`LIBRARIES` (None if missing)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["dfl-finance"] = __version__
    return out


def manifest(scenario_names: Sequence[str], input_files: Sequence[str | os.PathLike[str]] = (),
             seed: int | None = None, outputs: Sequence[str] = (), input_texts: dict[str, str] | None = None,
             basis: str | None = None) -> dict[str, Any]:
    """The run manifest: package version, input file hashes, scenario names, seed, the price basis of the amounts,
    the time of the run (UTC), the data folder with the sha256 of each of its files, and the versions of Python and
    the libraries.

    ``input_texts`` (scenario name -> TOML text) hashes scenarios that have no file, as in the app. The writers
    replace ``outputs`` by the list of files written, each with its sha256.
    """
    inputs = [{"path": str(p), "sha256": file_sha256(p)} for p in input_files]
    inputs += [{"scenario": n, "sha256": hashlib.sha256(t.encode("utf-8")).hexdigest()}
               for n, t in (input_texts or {}).items()]
    return {
        "package": "dfl-finance",
        "version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenarios": list(scenario_names),
        "inputs": inputs,
        "seed": seed,
        "price_basis": basis or "real-lcu",
        "data": _data_files(),
        "versions": _versions(),
        "outputs": list(outputs),
    }


def exchange_rates(scenarios: Sequence[Scenario]) -> list[dict[str, object]]:
    """The exchange-rate assumption of each scenario not in USD, for the manifest (``exchange_rates``): the rate and
    its year, where it comes from (``price_history``: the latest rate data/price_history.csv observed by the price
    year, with the row's source and placeholder flag; ``profile``; ``file``), the path (relative inflation or the
    file's fx_path) and the real depreciation a year (:func:`~dfl_finance.inputs.references.fx_assumption`); then one
    entry per ``[macro.fx.<CODE>]`` table of the scenario (:func:`other_exchange_rates`)."""
    return [a for sc in scenarios for a in (fx_assumption(sc), *other_exchange_rates(sc)) if a is not None]


def other_exchange_rates(scenario: Scenario) -> list[dict[str, object]]:
    """The assumption of each other currency a source is written in (``[macro.fx.<CODE>]``, docs/method.md, *Other
    currencies*): its code, quote, the rate and year (or the path's first value and start_year), the path, and the
    table's note as its source."""
    out: list[dict[str, object]] = []
    meta = scenario.scenario
    for code, t in scenario.macro.other_fx.items():
        per = meta.currency if t.quote == "local" else "USD"
        entry: dict[str, object] = {"scenario": scenario.name, "currency": code, "quote": f"{per} per {code}",
                                    "origin": "file"}
        if t.path is not None:
            entry.update(rate=t.path[0], year=meta.start_year, path="[macro.fx] path")
        else:
            entry.update(rate=t.rate, year=t.year if t.year is not None else meta.base_year,
                         path="cross rate to the USD moved by relative inflation" if t.inflation is not None
                         else "constant cross rate to the USD")
        entry["source"] = t.note
        out.append(entry)
    return out


def _manifest_bytes(meta: dict[str, Any] | None, outputs: list[dict[str, object]]) -> bytes:
    meta = {"package": "dfl-finance", "version": __version__, **(meta or {}), "outputs": outputs}
    return (json.dumps(meta, indent=2) + "\n").encode("utf-8")


def _output_entry(name: str, data: bytes) -> dict[str, object]:
    return {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _read_manifest(path: Path) -> dict[str, Any]:
    """A manifest written by dfl-finance; anything else is an :class:`OutputError` naming the file."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: cannot be read as a dfl-finance manifest ({exc})") from None
    if not isinstance(meta, dict) or meta.get("package") != "dfl-finance":
        raise OutputError(f"{path} was not written by dfl-finance; move it away or choose another output folder")
    return meta


def _listed(meta: dict[str, Any]) -> list[tuple[object, str | None]]:
    """(name, sha256) of every output a manifest lists; earlier manifests listed bare names (no hash)."""
    entries = meta.get("outputs")
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            out.append((entry.get("path"), entry.get("sha256")))
        else:
            out.append((entry, None))
    return out


def _is_file_name(name: object) -> TypeGuard[str]:
    """A bare file name inside the folder (not the manifest, a path, or a staging folder)."""
    return (isinstance(name, str) and re.fullmatch(r"[^/\\:]+", name) is not None and name not in (".", "..")
            and name != MANIFEST and not name.startswith(STAGING_PREFIX))


def verify_outputs(folder: str | os.PathLike[str]) -> list[str]:
    """Problems with an output folder: a missing or foreign manifest, a listed file missing or with another sha256.

    An empty list means every file that ``manifest.json`` lists is present and unchanged since it was written.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return [f"{path}: missing (not an output folder of dfl-finance, or its run did not finish)"]
    try:
        meta = _read_manifest(path)
    except OutputError as exc:
        return [str(exc)]
    listed = _listed(meta)
    if not listed:
        return [f"{path}: lists no outputs"]
    problems = []
    for name, sha in listed:
        target = folder / str(name)
        if not _is_file_name(name):
            problems.append(f"{path}: lists {name!r}, which is not a file of this folder")
        elif not target.is_file():
            problems.append(f"{target}: listed in {MANIFEST} but missing")
        elif not sha:
            problems.append(f"{target}: {MANIFEST} records no sha256 (written by an older dfl-finance); run again")
        elif (actual := file_sha256(target)) != sha:
            problems.append(f"{target}: changed since the run (sha256 {actual}, {MANIFEST} has {sha})")
    return problems


# --------------------------------------------------------------------------------------------------- folders
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname())[:63] or "host"


def _staging_prefix(pid: int | None = None, host: str | None = None) -> str:
    """``.dfl-finance-<host>-<pid>-``: the start of the name of a staging folder of process ``pid`` on ``host``."""
    return f"{STAGING_PREFIX}{host or _host()}-{pid or os.getpid()}-"


def _is_stale(folder: Path) -> bool:
    """A staging folder whose run is gone: its process on this host has ended, or (where that cannot be checked:
    another host, Windows, an older name) it is older than :data:`STALE_AFTER`. A live run's folder is never
    stale."""
    parts = folder.name[len(STAGING_PREFIX):].rsplit("-", 2)
    host, pid = parts[:2] if len(parts) == 3 else ("", "")
    if host == _host() and pid.isdigit() and os.name != "nt":  # on Windows, os.kill would end the process
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, OverflowError):  # no such process (or no such pid)
            return True
        except OSError:  # it exists but belongs to someone else
            pass
        return False
    try:
        return time.time() - folder.stat().st_mtime > STALE_AFTER
    except OSError:
        return False


def _clean_stale_staging(out: Path) -> None:
    """Roll back and remove the staging folders in ``out`` whose runs are gone (see :func:`_is_stale`)."""
    for folder in sorted(out.glob(STAGING_PREFIX + "*")):
        if folder.is_dir() and not folder.is_symlink() and _is_stale(folder) and _roll_back(out, folder):
            shutil.rmtree(folder, ignore_errors=True)


def _roll_back(out: Path, staging: Path) -> bool:
    """Undo a commit into ``out`` that did not finish; True if ``out`` is as it was before the commit.

    Works from what is on disk, so it also undoes the commit of a run that was killed, and can itself be
    interrupted and repeated: the new files that were moved in go back into ``staging/new`` first, then
    everything in ``staging/backup`` (the previous manifest last) goes back into ``out``. Nothing to do if the
    commit had not started (no backup folder) or had finished (the new manifest is no longer staged).
    """
    new, backup = staging / "new", staging / "backup"
    if not backup.is_dir() or not (new / MANIFEST).is_file():
        return True
    try:
        for name, _ in _listed(json.loads((new / MANIFEST).read_text(encoding="utf-8"))):
            if _is_file_name(name) and not os.path.lexists(new / name) and os.path.lexists(out / name):
                os.replace(out / name, new / name)
        for path in sorted(backup.iterdir(), key=lambda p: p.name == MANIFEST):
            os.replace(path, out / path.name)
    except (OSError, ValueError):
        return False
    sync_folder(out)
    return True


def _move(src: Path, dst: Path, shown: Path) -> None:
    """``os.replace``; a failure names ``shown`` (the file in the output folder), not the staging path."""
    try:
        os.replace(src, dst)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(shown)) from exc


def _commit(out: Path, staging: Path, names: list[str], stale: list[str]) -> None:
    """Move the staged files into ``out`` (see the module's docstring); the new manifest last."""
    new, backup = staging / "new", staging / "backup"
    backup.mkdir()
    replaced = [n for n in [MANIFEST, *names] if os.path.lexists(out / n)]
    for name in replaced:
        _move(out / name, backup / name, out / name)
    for name in names:
        _move(new / name, out / name, out / name)
    for name in stale:
        _move(out / name, backup / name, out / name)
    _move(new / MANIFEST, out / MANIFEST, out / MANIFEST)


def _create_folder(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; the folders this created, deepest first."""
    missing = []
    folder = out.absolute()
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    out.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_folders(created: list[Path]) -> None:
    for folder in created:
        try:
            folder.rmdir()
        except OSError:  # not empty: something else is in it now
            return


def _check_targets(out: Path, names: list[str], previous: dict[str, str | None]) -> None:
    """Refuse to replace what the previous run did not write: a file it does not list, or a folder."""
    for name in names:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            raise OutputError(f"{target} is a folder; move it away or choose another output folder")
        if os.path.lexists(target) and name not in previous:
            raise OutputError(f"{target} exists and was not written by dfl-finance (the folder's {MANIFEST} does "
                              "not list it); move it away or choose another output folder")


def write_atomically(out_dir: str | os.PathLike[str], writers: dict[str, Callable[[Path], None]],
                     meta: dict[str, Any] | None = None) -> list[Path]:
    """Run ``writers[name](path)`` for every file, then commit them and ``manifest.json`` into ``out_dir`` as a
    whole (see the module's docstring); the written paths, the manifest last.

    ``meta`` goes into the manifest (see :func:`manifest`), whose ``outputs`` list every file with its sha256.
    ``out_dir`` and its missing parents are created. Outputs of the previous run that are not written again are
    removed if unchanged. If anything fails, ``out_dir`` is left exactly as it was (folders created for the run
    are removed again) and the error propagates.

    Raises
    ------
    OutputError
        ``out_dir`` is empty; a file to be written exists but the previous manifest does not list it; the
        folder's ``manifest.json`` was not written by dfl-finance; a failed commit could not be undone.
    OSError
        A file cannot be written or moved (the message names it); nothing was changed.
    """
    if not os.fspath(out_dir).strip():  # Path("") is the current folder: never write there by accident
        raise OutputError("no output folder given (an empty name); name a folder")
    out = Path(out_dir)
    created = _create_folder(out)
    staging = None
    try:
        _clean_stale_staging(out)
        listed = _listed(_read_manifest(out / MANIFEST)) if os.path.lexists(out / MANIFEST) else []
        previous = {name: sha for name, sha in listed if _is_file_name(name)}
        _check_targets(out, list(writers), previous)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(), dir=out))
        new = staging / "new"
        new.mkdir()
        entries = []
        for name, write in writers.items():
            write(new / name)
            fsync_file(new / name)
            entries.append(_output_entry(name, (new / name).read_bytes()))
        (new / MANIFEST).write_bytes(_manifest_bytes(meta, entries))
        fsync_file(new / MANIFEST)
        sync_folder(new)
        stale = [name for name, sha in previous.items() if name not in writers and (out / name).is_file()
                 and not (out / name).is_symlink() and (sha is None or file_sha256(out / name) == sha)]
        _commit(out, staging, list(writers), stale)
    except BaseException as exc:
        if staging is not None:
            if not _roll_back(out, staging):
                raise OutputError(f"{out}: a failed write could not be undone ({exc}); the previous files are in "
                                  f"{staging} and the next write into {out} puts them back") from exc
            shutil.rmtree(staging, ignore_errors=True)
        _remove_folders(created)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    sync_folder(out)
    return [out / name for name in [*writers, MANIFEST]]


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str], meta: dict[str, Any] | None = None,
                 xlsx: str | None = None, extra_sheets: dict[str, pd.DataFrame] | None = None,
                 excel_csv: bool = False, parquet: Sequence[str] = ()) -> list[Path]:
    """Write ``<name>.csv`` per table (``<name>.parquet`` for the tables named in ``parquet``, with pyarrow),
    optionally one XLSX workbook (the tables and ``extra_sheets``) and ``manifest.json``, all or nothing
    (:func:`write_atomically`). ``excel_csv`` starts every CSV with a UTF-8 byte order mark, so that Excel reads
    accents right."""
    writers: dict[str, Callable[[Path], None]] = {
        f"{name}.parquet" if name in parquet else f"{name}.csv":
            _parquet_writer(df) if name in parquet else _csv_writer(df, excel_csv) for name, df in tables.items()}
    if xlsx:
        sheets = {**tables, **(extra_sheets or {})}
        writers[xlsx] = lambda path: write_xlsx(sheets, path)
    return write_atomically(out_dir, writers, meta)


def zip_files(files: dict[str, bytes]) -> bytes:
    """A zip archive of ``files`` in their order, every entry stamped :data:`FIXED_TIME` (same input, same bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 0, 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def table_files(tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None) -> dict[str, bytes]:
    """Every table as ``<name>.csv`` (:func:`csv_text`) and ``manifest.json`` listing them with their sha256."""
    files = {f"{name}.csv": csv_text(df).encode("utf-8") for name, df in tables.items()}
    files[MANIFEST] = _manifest_bytes(meta, [_output_entry(name, data) for name, data in files.items()])
    return files


def zip_tables(tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None, *,
               files: dict[str, bytes] | None = None) -> bytes:
    """:func:`table_files` in one zip archive (or ``files`` already built from the tables)."""
    return zip_files(files if files is not None else table_files(tables, meta))


# --------------------------------------------------------------------------------------------------- workbook
MAX_COLUMN_WIDTH = 60
PERCENT = "0.0%"
#: What each table holds, its units and where it comes from (the README sheet of the workbook): a view of the registry
#: (:func:`dfl_finance.outputs.tables.workbook_row`).
TABLE_NOTES = {name: workbook_row(name) for name, table in TABLES.items() if table.workbook_row}


def _readme(sheets: list[str]) -> pd.DataFrame:
    import pandas as pd

    rows = [{"sheet": name, **dict(zip(("contents", "units", "source"), workbook_row(name)))} for name in sheets]
    notes = [
        "Price basis: every amount table says its price_basis (real = constant prices of the scenario's "
        "price_year; nominal = current prices) and currency; amounts are rounded to the currency's minor unit "
        "(cents for most currencies, whole units for RWF, JPY, ...).",
        "Shares are fractions (0.05 = 5%), shown in percent; years and counts are whole numbers.",
        "Text that a spreadsheet would run as a formula is stored as text (Excel's text prefix), shown as written; "
        "control characters other than tab and line "
        "breaks, which a workbook cannot hold, are replaced by \ufffd.",
        f"Written by dfl-finance {__version__}; manifest.json beside the files lists every input and output with "
        "its sha256 (check a folder with `dfl-finance verify DIR`).",
    ]
    return pd.DataFrame([*rows, {"sheet": ""}, *({"sheet": n} for n in notes)],
                        columns=["sheet", "contents", "units", "source"])


def _whole(values: list[int | float]) -> bool:
    return all(float(v).is_integer() for v in values if isinstance(v, float) and math.isfinite(v))


def _unit_format(unit: object) -> str:
    """The number format of a summary or comparison value, by its unit: ``USD`` (and ``USD/learner-year``) to the
    currency's minor unit, shares in percent, years whole, ratios with two decimals."""
    text = str(unit)
    currency = currency_of(text)
    if text == "years":
        return "0"
    if text.startswith("share"):
        return PERCENT
    if currency is not None:
        digits = minor_unit_digits(currency)
        return "#,##0" + ("." + "0" * digits if digits else "")
    return "#,##0.00"


def _formats(name: str, values: list[object], units: list[object] | None) -> list[str | None]:
    """The number format of each cell of a column, one per column (per unit for ``value`` and ``delta`` in the
    summary and the comparison): years as integers, shares in percent, amounts with thousands separators and
    two decimals (none where every amount of the column is whole, as in currencies without cents), counts whole,
    unit costs with up to six decimals."""
    if name in ("value", "delta") and units is not None:
        return [_unit_format(u) for u in units]
    numbers_ = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if name == "year":
        fmt: str | None = "0"
    elif name in SHARE_COLUMNS:
        fmt = PERCENT
    elif name == "unit_cost":
        fmt = "#,##0.00####"
    elif name in MONEY_COLUMNS:
        fmt = "#,##0" if _whole(numbers_) else "#,##0.00"
    elif numbers_ and all(isinstance(v, int) for v in numbers_):
        fmt = "#,##0"
    elif numbers_:
        fmt = "#,##0.00"
    else:
        fmt = None
    return [fmt] * len(values)


def _shown_width(value: object, fmt: str | None) -> int:
    """How many characters a cell shows (the longest line of text; a number in its format)."""
    if isinstance(value, str):
        return max((len(line) for line in value.splitlines()), default=0)
    if value is None:
        return 0
    if fmt is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return len(str(value))
    percent = fmt.endswith("%")
    digits = len(fmt.partition(".")[2].rstrip("%"))
    return len(f"{value * 100 if percent else value:{',' if ',' in fmt else ''}.{digits}f}") + percent


def _xlsx_value(value: object) -> object:
    """A cell for openpyxl: text as written but without the control characters a workbook cannot hold (replaced
    by U+FFFD), non-finite numbers as text, missing values empty. Text is stored as text, never as a formula (see
    :func:`_add_sheet`), so it needs no leading ``'``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # neither a formula character nor a line break
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def write_rows(ws: Worksheet, rows: Iterable[Sequence[object]]) -> None:
    """Write ``rows`` into the empty sheet ``ws`` as every workbook dfl-finance writes holds its cells (the tables'
    workbook and budget.xlsx): each value through :func:`_xlsx_value`, text stored as text (never a formula, even
    when it starts with ``=``) and, where a spreadsheet would run it as a formula (:func:`neutralise_text`), with
    Excel's text prefix (``quotePrefix``: shown as typed, kept as text when edited)."""
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "=" (openpyxl would write a formula)
                if neutralise_text(cell.value) != cell.value:
                    cell.quotePrefix = True  # Excel's text prefix: shown as typed, kept as text when edited


def _add_sheet(wb: Workbook, title: str, df: pd.DataFrame, wrap: bool = False) -> None:
    """One table as a sheet: a bold, frozen header row, number formats and widths fitted to the content."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    names = [str(c) for c in df.columns]
    columns = _columns(df)
    units = columns[names.index("unit")] if "unit" in names else None
    write_rows(ws, [names, *zip(*columns)])
    bold, top = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = bold
    for j, (name, values) in enumerate(zip(names, columns), start=1):
        width = len(name)
        for i, fmt in enumerate(_formats(name, values, units), start=2):
            cell = ws.cell(i, j)
            if fmt is not None and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            if wrap:
                cell.alignment = top
            width = max(width, _shown_width(cell.value, fmt))
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, MAX_COLUMN_WIDTH)
    ws.freeze_panes = "A2"


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The workbook: a ``README`` sheet (what each sheet holds, its units, price basis and source), then a sheet
    per table (names cut to Excel's 31 characters). The same tables always give the same bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _add_sheet(wb, "README", _readme([name[:31] for name in sheets]), wrap=True)
    for name, df in sheets.items():
        _add_sheet(wb, name[:31], df)
    return workbook_bytes(wb)


def workbook_bytes(wb: Workbook) -> bytes:
    """The bytes of the workbook ``wb``, the same for the same content: a fixed author and time, the zip entries in
    a fixed order with fixed dates (:func:`zip_files`)."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = wb.properties.lastModifiedBy = "dfl-finance"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()  # unlike wb.save, keeps `modified`
    with zipfile.ZipFile(buf) as written:
        return zip_files({info.filename: written.read(info) for info in written.infolist()})


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write :func:`xlsx_bytes` of ``sheets`` to a binary buffer, or to a file all or nothing
    (:func:`dfl_finance.atomic.write_file_atomically`)."""
    data = xlsx_bytes(sheets)
    if hasattr(path, "write"):
        path.write(data)
    else:
        write_file_atomically(path, data)

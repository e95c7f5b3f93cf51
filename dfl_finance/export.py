"""CSV / XLSX / manifest writers.

Writes are all-or-nothing: every file is first written into a hidden staging folder inside the output folder and
only moved into place once all of them are complete, so a failed run leaves no half-written table behind.
Text cells that a spreadsheet would run as a formula are written with a leading ``'`` (CSV injection).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from . import __version__

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """Prefix ``'`` to a text cell that a spreadsheet would read as a formula; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are safe to open in a spreadsheet."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_text)
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(scenario_names: list[str], input_files: list[str | os.PathLike] = (), seed: int | None = None,
             outputs: list[str] = (), input_texts: dict[str, str] | None = None) -> dict:
    """The run manifest: package version, input file hashes, scenario names, seed and time of the run (UTC).

    ``input_texts`` (scenario name -> TOML text) hashes scenarios that have no file, as in the app.
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
        "outputs": list(outputs),
    }


def write_atomically(out_dir: str | os.PathLike, writers: dict[str, Callable[[Path], None]]) -> list[Path]:
    """Run ``writers[name](staging_path)`` for every file, then move all files into ``out_dir`` together.

    ``out_dir`` is created when missing. If any writer fails, nothing in ``out_dir`` changes (a folder created
    for the run is removed again) and the error propagates.
    """
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dfl-finance-", dir=out))
    try:
        for name, write in writers.items():
            write(staging / name)
        final = []
        for name in writers:
            os.replace(staging / name, out / name)
            final.append(out / name)
        return final
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _csv_writer(df: pd.DataFrame) -> Callable[[Path], None]:
    return lambda path: safe_frame(df).to_csv(path, index=False, lineterminator="\n")


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike, meta: dict | None = None,
                 xlsx: str | None = None, extra_sheets: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write ``<name>.csv`` per table, ``manifest.json`` and optionally one XLSX workbook, all or nothing."""
    writers: dict[str, Callable[[Path], None]] = {f"{name}.csv": _csv_writer(df) for name, df in tables.items()}
    if xlsx:
        sheets = {**tables, **(extra_sheets or {})}
        writers[xlsx] = lambda path: write_xlsx(sheets, path)
    if meta is not None:
        meta = {**meta, "outputs": list(writers)}
        writers["manifest.json"] = lambda path: path.write_text(json.dumps(meta, indent=2) + "\n",
                                                                encoding="utf-8")
    return write_atomically(out_dir, writers)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """One workbook, a sheet per table (text cells neutralised like the CSVs)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe_frame(df).to_excel(writer, sheet_name=name[:31], index=False)

"""CSV / XLSX / manifest writers.

Writes are all-or-nothing: every file is first written into a hidden staging folder inside the output folder and
only moved into place once all of them are complete, so a failed run leaves no half-written table behind.
Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage return at the
start or right after a line break) are written with a leading ``'`` (CSV injection); a CSV field holding a line
break, a comma or a quote is quoted. :func:`csv_text` is the one CSV writer (the command line and the app's zip use
it).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import numbers
import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from . import __version__

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = re.compile(r"(^|[\r\n])(?=[=+\-@\t\r])")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
#: Prefix of a CSV file that makes Excel read it as UTF-8 (``--excel-csv``).
EXCEL_BOM = "\ufeff"


def neutralise_text(value: object) -> object:
    """Prefix ``'`` to text that a spreadsheet would run as a formula, at its start and after every line break;
    other values pass unchanged.

    >>> neutralise_text("Plan B\\r=2+5")
    "Plan B\\r'=2+5"
    """
    if isinstance(value, str):
        return _FORMULA_START.sub(r"\1'", value)
    return value


def _plain(value: object) -> str | bool | int | float | None:
    """A cell as a plain Python value: text neutralised, numpy scalars unwrapped, missing values None."""
    if isinstance(value, str):
        return neutralise_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else float(value)
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return neutralise_text(str(value))


def _csv_field(value: object) -> str:
    """A cell as a CSV field: numbers as Python prints them, missing values empty, text quoted where it must be."""
    value = _plain(value)
    text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _columns(df: pd.DataFrame) -> list[list]:
    """The columns of ``df`` as lists of Python values (duplicate column names allowed)."""
    return [df.iloc[:, i].tolist() for i in range(df.shape[1])]


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of a table: a header, one line per row, ``\\n`` after every line, no index.

    Text is neutralised (:func:`neutralise_text`) and a field holding a line break (``\\r`` or ``\\n``), a comma or
    a quote is quoted, so no text can start a row or a line of its own. Numbers are written as pandas writes them.
    """
    lines = [[_csv_field(str(c)) for c in df.columns], *zip(*([_csv_field(v) for v in col] for col in _columns(df)))]
    if df.shape[1] == 1:  # a lone empty field would read as a blank line
        lines = [[f or '""' for f in line] for line in lines]
    return "".join(",".join(line) + "\n" for line in lines)


def _csv_writer(df: pd.DataFrame, bom: bool) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(((EXCEL_BOM if bom else "") + csv_text(df)).encode("utf-8"))


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


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike, meta: dict | None = None,
                 xlsx: str | None = None, extra_sheets: dict[str, pd.DataFrame] | None = None,
                 excel_csv: bool = False) -> list[Path]:
    """Write ``<name>.csv`` per table, ``manifest.json`` and optionally one XLSX workbook, all or nothing.
    ``excel_csv`` starts every CSV with a UTF-8 byte order mark, so that Excel reads accents right."""
    writers: dict[str, Callable[[Path], None]] = {f"{name}.csv": _csv_writer(df, excel_csv)
                                                  for name, df in tables.items()}
    if xlsx:
        sheets = {**tables, **(extra_sheets or {})}
        writers[xlsx] = lambda path: write_xlsx(sheets, path)
    if meta is not None:
        meta = {**meta, "outputs": list(writers)}
        writers["manifest.json"] = lambda path: path.write_text(json.dumps(meta, indent=2) + "\n",
                                                                encoding="utf-8")
    return write_atomically(out_dir, writers)


def zip_tables(tables: dict[str, pd.DataFrame], meta: dict) -> bytes:
    """Every table as ``<name>.csv`` (:func:`csv_text`) and ``manifest.json`` in one zip archive."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, df in tables.items():
            zf.writestr(f"{name}.csv", csv_text(df))
        zf.writestr("manifest.json", json.dumps(meta, indent=2) + "\n")
    return buf.getvalue()


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | os.PathLike) -> None:
    """One workbook, a sheet per table (text cells neutralised like the CSVs)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe_frame(df).to_excel(writer, sheet_name=name[:31], index=False)

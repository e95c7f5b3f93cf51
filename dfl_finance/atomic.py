"""Writing one file all or nothing: the one atomic writer of dfl_finance.

A scenario saved by the command line or the app, a file of the app's workspace, a table or workbook written to a
path: each is written by :func:`write_file_atomically`, so a reader finds the old file or the whole new one, never a
half-written file, and a crash or a full disk leaves the old file as it was. The pieces it is made of (flushing a
file and a folder to disk) are here too, for the one writer that commits several files together: a run's output
folder (:func:`dfl_finance.outputs.export.write_atomically`), which moves a staged set of files in as a whole.

Floor 1: it knows nothing of scenarios or tables; any floor above may use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["fsync_file", "sync_folder", "write_file_atomically"]


def write_file_atomically(path: str | os.PathLike[str], data: str | bytes, *, exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` so that ``path`` holds either its old content or all of the new one.

    Text is written as UTF-8, its line ends as given (no translation). The data goes to a hidden temporary file in
    the same folder (``.<name>.<random>.tmp``), is flushed to disk (fsync), and replaces ``path`` in one rename; the
    folder is synced too where the system allows, so the rename survives a crash. Missing parent folders are
    created. If anything fails, the temporary file is removed and ``path`` is unchanged.

    ``exclusive``: ``path`` is created, never replaced. The complete file appears under its name with a hard link,
    which fails if the name is taken (:class:`FileExistsError`), so two writers cannot both create it. On a file
    system without hard links the name is checked, then the file renamed into place: exclusive only for writers
    that hold a common lock (the app's workspace holds one).

    Raises
    ------
    FileExistsError
        ``exclusive`` and ``path`` exists.
    OSError
        The file cannot be written (the folder is read-only, the disk is full, ...).
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            _create(Path(tmp), path)
        else:
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone after a rename; after a hard link, the second name goes
    sync_folder(path.parent)
    return path


def _create(tmp: Path, path: Path) -> None:
    """Give the complete file ``tmp`` the name ``path`` if no file has it (:class:`FileExistsError` otherwise)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: check, then rename (see write_file_atomically)
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a file that was written to disk (fsync)."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def sync_folder(folder: str | os.PathLike[str]) -> None:
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

"""The one atomic file writer (:mod:`dfl_finance.atomic`): text and bytes, replace or create, all or nothing."""

import os

import pytest

from dfl_finance.atomic import write_file_atomically


def test_text_is_written_as_utf8_with_its_line_ends_and_bytes_as_they_are(tmp_path):
    write_file_atomically(tmp_path / "a" / "b.txt", "Côte d'Ivoire\r\nx\n")  # the folder is created
    assert (tmp_path / "a" / "b.txt").read_bytes() == "Côte d'Ivoire\r\nx\n".encode()
    write_file_atomically(tmp_path / "a" / "b.txt", b"\x00\xff")  # replaced
    assert (tmp_path / "a" / "b.txt").read_bytes() == b"\x00\xff"
    assert os.listdir(tmp_path / "a") == ["b.txt"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_text("old", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_file_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["s.toml"]


@pytest.mark.parametrize("links", [True, False])
def test_exclusive_creates_and_never_replaces(tmp_path, monkeypatch, links):
    if not links:  # a file system without hard links: check, then rename

        def no_link(*args, **kwargs):
            raise OSError("hard links not supported")

        monkeypatch.setattr(os, "link", no_link)
    path = tmp_path / "new.toml"
    write_file_atomically(path, "first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_file_atomically(path, "second", exclusive=True)
    assert path.read_text(encoding="utf-8") == "first" and os.listdir(tmp_path) == ["new.toml"]

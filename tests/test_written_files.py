"""Every file the tool writes runs back from where it is written, and ``validate`` checks every file that ``run``
follows (issue 19).

A scenario names other files relative to itself: its ``[scenario] baseline`` and its school tables. The writers
(``optimise --write-scenario``, ``schools --write-scenario``, the workspace, the Export page's zip, the Scenarios
page's download) name those files for where they write, or carry them along; a scenario whose baseline cannot be
read, is not valid or cannot be compared is refused by ``validate`` as by ``run``. Only regular files are read where
a file or folder names them: a named pipe cannot hang a reader.
"""

import contextlib
import io
import os
import shutil
import threading
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from dfl_finance import ScenarioError, load_scenario, parse_scenario, save_scenario
from dfl_finance.app.workspace import Workspace
from dfl_finance.cli import main
from dfl_finance.inputs.io import bundle, dump_scenario, file_references, read_text, rebase_path, rebase_text
from tests.conftest import ROOT

SCENARIOS = ROOT / "scenarios"
IDA = SCENARIOS / "rwanda-ida-credit.toml"
SCHOOLS = ROOT / "data" / "schools-rwanda-synthetic.csv"


def _cli(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def _runs_from_its_folder(path: Path, tmp_path: Path) -> None:
    """``validate`` and ``run`` of ``path`` succeed, from its own folder and from another one."""
    for cwd in (path.parent, tmp_path):
        code, _, err = _cli("validate", str(path.resolve()), cwd=cwd)
        assert code == 0, err
        out = tmp_path / f"run-{len(list(tmp_path.glob('run-*')))}"
        code, _, err = _cli("run", str(path.resolve()), "--out", str(out), cwd=cwd)
        assert code == 0, err
        if load_scenario(path).scenario.baseline is not None:
            assert (out / "incremental.csv").exists()


# ------------------------------------------------------------------------------------------ validate = run

def test_a_copy_whose_baseline_is_not_beside_it_is_refused_by_validate_as_by_run(tmp_path):
    copy = tmp_path / IDA.name
    shutil.copy(IDA, copy)
    code, out, err = _cli("validate", str(copy))
    assert code == 2 and "ok" not in out
    assert f"{copy}: scenario.baseline" in err and "rwanda-domestic.toml" in err and "cannot be read" in err
    assert _cli("run", str(copy), "--out", str(tmp_path / "out"))[0] == 2


def test_a_baseline_that_is_invalid_or_cannot_be_compared_is_refused_by_validate(tmp_path):
    shutil.copy(IDA, tmp_path / IDA.name)
    base = (SCENARIOS / "rwanda-domestic.toml").read_text(encoding="utf-8")
    (tmp_path / "rwanda-domestic.toml").write_text(base.replace("start_year = 2026", "start_year = 2027"),
                                                   encoding="utf-8")
    code, _, err = _cli("validate", str(tmp_path / IDA.name))
    assert code == 2 and "scenario.baseline" in err and "cannot be compared" in err and "2026, 2027" in err
    (tmp_path / "rwanda-domestic.toml").write_text(base.replace("years = 10", "years = -1"), encoding="utf-8")
    code, _, err = _cli("validate", str(tmp_path / IDA.name))
    assert code == 2 and "scenario.baseline" in err and "is not valid" in err and "scenario.years" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_baseline_that_is_a_named_pipe_is_refused_without_waiting(tmp_path):
    shutil.copy(IDA, tmp_path / IDA.name)
    os.mkfifo(tmp_path / "rwanda-domestic.toml")
    start = time.monotonic()
    code, _, err = _cli("validate", str(tmp_path / IDA.name))
    assert code == 2 and "named pipe" in err and "scenario.baseline" in err
    assert time.monotonic() - start < 30  # refused, not waited on (a blocked open never returns)


# ------------------------------------------------------------------------------------------ the writers

def test_optimise_write_scenario_runs_from_where_it_is_written(tmp_path):
    for target in (tmp_path / "deep" / "er" / "best.toml", Path("best-relative.toml")):
        cwd = tmp_path if not target.is_absolute() else ROOT
        code, _, err = _cli("optimise", str(IDA), "--out", str(tmp_path / f"o-{target.stem}"),
                            "--write-scenario", str(target), cwd=cwd)
        assert code == 0, err
        _runs_from_its_folder(cwd / target, tmp_path)


def test_schools_write_scenario_runs_from_where_it_is_written(tmp_path):
    target = tmp_path / "linked" / "with-schools.toml"
    code, _, err = _cli("schools", str(SCHOOLS), "--scenario", str(IDA), "--out", str(tmp_path / "s"),
                        "--write-scenario", str(target))
    assert code == 0, err
    _runs_from_its_folder(target, tmp_path)


def test_a_scenario_with_a_school_table_saved_elsewhere_names_its_table_for_there(tmp_path):
    """The school table a scenario names (relative to it) is named for the folder a copy is saved to."""
    from tests.test_sweep import _linked_scenario

    (tmp_path / "src").mkdir()
    sc = load_scenario(_linked_scenario(tmp_path / "src"))
    out = save_scenario(sc, tmp_path / "elsewhere" / "copy.toml")
    names = dict(file_references(tomllib.loads(out.read_text(encoding="utf-8"))))
    assert names[("programme", 7, "schools", "table")] == "../src/schools.csv"
    _runs_from_its_folder(out, tmp_path)


def test_the_workspace_copy_of_an_edited_bundled_scenario_runs_from_the_workspace(tmp_path):
    """The app edits a bundled scenario as the workspace sees it (its baseline named for the workspace) and saves
    the copy there: the command line runs that file."""
    ws = Workspace(tmp_path / "workspace", bundled=SCENARIOS)
    entry = ws.catalogue().scenarios["Rwanda: IDA credit-led"]
    assert entry.origin == "bundled" and entry.scenario.baseline_scenario is not None
    edited = entry.text.replace("burden_limit = 0.05", "burden_limit = 0.06")
    assert "# the profile's budget" in edited  # the comments of the bundled file are kept
    saved = ws.save(entry.base, edited)
    _runs_from_its_folder(saved.path, tmp_path)
    # and a text relative to another folder, with that folder given, is named for the workspace when saved
    again = ws.create(IDA.read_text(encoding="utf-8"), SCENARIOS)
    _runs_from_its_folder(again.path, tmp_path)


def test_the_export_zip_runs_wherever_it_is_unpacked(tmp_path):
    """The scenario files of the Export page, unpacked into an empty folder, validate and run as they are: each file
    they name is in the zip, under files/."""
    from dfl_finance.outputs.export import zip_files

    texts = {"ida.toml": rebase_text(IDA.read_text(encoding="utf-8"), SCENARIOS, tmp_path / "ws"),
             "ppp.toml": rebase_text((SCENARIOS / "rwanda-ppp.toml").read_text(encoding="utf-8"), SCENARIOS,
                                     tmp_path / "ws")}
    data = zip_files(bundle(texts, tmp_path / "ws"))
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.toml")) == [
        "files/rwanda-domestic.toml", "ida.toml", "ppp.toml"]  # the baseline both name, once
    for path in folder.rglob("*.toml"):
        _runs_from_its_folder(path, tmp_path)


def test_rebase_path_names_a_file_relatively_when_the_folders_share_more_than_the_root(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert rebase_path("x.toml", tmp_path / "a", tmp_path / "a" / "b") == "../x.toml"
    assert rebase_path("x.toml", tmp_path / "a", tmp_path / "a") == "x.toml"
    assert rebase_path("/abs/x.toml", tmp_path, tmp_path / "a") == "/abs/x.toml"
    far = rebase_path("x.toml", Path("/"), tmp_path)
    assert far == "/x.toml"  # only the root in common: the full path
    # a folder not made yet: "../x.toml" would not resolve from it (the system resolves ".." in a real folder)
    assert rebase_path("x.toml", tmp_path / "a", tmp_path / "a" / "new") == (tmp_path / "a" / "x.toml").as_posix()


def test_dump_without_a_folder_keeps_the_names_and_with_one_names_them_for_it(tmp_path):
    sc = load_scenario(IDA)
    assert 'baseline = "rwanda-domestic.toml"' in dump_scenario(sc)
    assert f'baseline = "{(SCENARIOS / "rwanda-domestic.toml").as_posix()}"' in dump_scenario(sc, Path("/"))
    assert parse_scenario(dump_scenario(sc, tmp_path), folder=tmp_path).baseline_scenario == sc.baseline_scenario


# ------------------------------------------------------------------------------------------ named pipes

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_the_workspace_is_listed_as_skipped_and_hangs_nothing(tmp_path):
    ws = Workspace(tmp_path / "workspace", bundled=SCENARIOS)
    os.mkfifo(ws.folder / "pipe.toml")
    done: list = []
    reader = threading.Thread(target=lambda: done.append(ws.catalogue()), daemon=True)
    reader.start()
    reader.join(60)  # a blocked open would never return; the catalogue takes milliseconds
    assert done, "listing the workspace hung on a named pipe"
    cat = done[0]
    assert "Rwanda: IDA credit-led" in cat.scenarios
    broken = {e.file: str(e.error) for e in cat.broken}
    assert "named pipe" in broken["pipe.toml"] and "skipped" in broken["pipe.toml"]


def test_a_file_too_large_for_a_scenario_is_listed_unread(tmp_path):
    from dfl_finance.inputs.io import read_regular
    from dfl_finance.vocabulary import MAX_FILE_BYTES

    ws = Workspace(tmp_path / "workspace")
    big = ws.folder / "big.toml"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 10)  # sparse: its size says it
    assert read_regular(big, MAX_FILE_BYTES)[1] == b""  # not read
    broken = {e.file: str(e.error) for e in ws.catalogue().broken}
    assert "larger than" in broken["big.toml"]


def test_a_file_that_does_not_answer_in_time_is_listed_as_skipped(tmp_path, monkeypatch):
    """A read that hangs (a network file system gone) is given up after the time limit; the others are listed."""
    from dfl_finance.app import workspace as ws_module

    ws = Workspace(tmp_path / "workspace")
    (ws.folder / "slow.toml").write_text("x", encoding="utf-8")
    release = threading.Event()
    real = ws_module.read_regular

    def hang(path, limit):
        if Path(path).name == "slow.toml":
            release.wait(30)
        return real(path, limit)

    monkeypatch.setattr(ws_module, "read_regular", hang)
    monkeypatch.setattr(ws_module, "READ_TIMEOUT", 0.2)
    try:
        broken = {e.file: str(e.error) for e in ws.catalogue().broken}
    finally:
        release.set()
    assert "did not answer within 0.2 s" in broken["slow.toml"] and "skipped" in broken["slow.toml"]


def test_read_text_refuses_what_is_not_a_regular_file_when_asked(tmp_path):
    with pytest.raises(ScenarioError, match="folder"):
        read_text(tmp_path, regular_only=True)


def test_write_scenario_into_a_folder_that_cannot_be_made_is_refused_before_any_work(tmp_path):
    """optimise --write-scenario into an unwritable folder wrote the tables, then exited 1 with a misleading message
    (issue 26): refused first, exit 2, the folder named, nothing written."""
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    code, _, err = _cli("optimise", str(IDA), "--out", str(tmp_path / "o"), "--write-scenario",
                        str(tmp_path / "a-file" / "best.toml"))
    assert code == 2 and "--write-scenario" in err and "a-file is not a folder" in err
    assert not (tmp_path / "o").exists()
    code, _, err = _cli("schools", str(SCHOOLS), "--scenario", str(IDA), "--out", str(tmp_path / "s"),
                        "--write-scenario", str(tmp_path / "a-file" / "linked.toml"))
    assert code == 2 and "a-file is not a folder" in err and not (tmp_path / "s").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write any folder")
def test_write_scenario_into_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, err = _cli("optimise", str(IDA), "--out", str(tmp_path / "o"), "--write-scenario",
                            str(folder / "best.toml"))
    finally:
        folder.chmod(0o700)
    assert code == 2 and "permission denied" in err and not (tmp_path / "o").exists()

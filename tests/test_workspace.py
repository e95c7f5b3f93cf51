"""The workspace folder shared by app sessions: distinct files per name, versions and conflicts, exclusive creation,
deletes against stale edits, the order of a rename, and broken files that do not hide the others."""

import multiprocessing
import os

import pytest

from dfl_finance import ScenarioError, dump_scenario, load_scenario, parse_scenario, scenario_from_dict
from dfl_finance.app import workspace as ws_module
from dfl_finance.app.workspace import Base, Conflict, Workspace, file_name
from tests.conftest import ROOT, small_scenario_dict

#: Names that a file name made of ASCII letters only maps to one file (``..``, Cyrillic, Chinese, punctuation, case),
#: names that look like paths, names reserved on Windows, and the two Unicode spellings of "é" (NFC and NFD).
NAMES = ["..", "../../etc/passwd", "Сценарий: базовый", "情景 A", "情景 B", "x", "Plan: A", "plan a", "PLAN A",
         "plan-a", "a/b\\c", "CON", "nul", ".hidden", "x" * 200, "\u00e9", "e\u0301"]


def _text(name: str, unit_cost: float = 500.0) -> str:
    raw = small_scenario_dict()
    raw["scenario"]["name"] = name
    raw["programme"][0]["cost"][0]["unit_cost"] = unit_cost
    return dump_scenario(scenario_from_dict(raw))


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "workspace")


def _names(ws: Workspace) -> set[str]:
    return set(ws.catalogue().scenarios)


# ------------------------------------------------------------------------------------------- file names

def test_names_map_to_distinct_files_case_insensitively():
    files = [file_name(n) for n in NAMES]
    assert len({f.casefold() for f in files}) == len(NAMES)
    for f in files:
        assert f.endswith(".toml") and "/" not in f and "\\" not in f and not f.startswith(".")
        assert len(f.encode("utf-8")) < 200
    assert file_name("Сценарий: базовый").startswith("сценарий-базовый-")  # Unicode letters stay readable
    assert file_name("情景 A").startswith("情景-a-")
    assert file_name("Plan: A") == file_name("Plan: A")  # stable


@pytest.mark.parametrize("name", NAMES)
def test_every_name_stays_inside_the_folder(ws, name):
    entry = ws.create(_text(name))
    assert entry.path.parent == ws.folder and entry.path.resolve().parent == ws.folder.resolve()
    assert entry.name == name


def test_colliding_names_all_survive_a_reload(ws, tmp_path):
    for name in NAMES:
        ws.create(_text(name))
    again = Workspace(tmp_path / "workspace")  # a new session
    assert _names(again) == set(NAMES)
    assert len(list(again.folder.glob("*.toml"))) == len(NAMES)


def test_create_never_overwrites_a_file_that_happens_to_have_the_target_name(ws):
    """A hand-written (here: broken) file in the way of the new scenario's file name is kept; another name is
    used. Checked case-insensitively, as on macOS and Windows file systems."""
    target = file_name("Plan A")
    (ws.folder / target.upper()).write_text("not toml [", encoding="utf-8")
    entry = ws.create(_text("Plan A"))
    assert entry.file.casefold() != target.casefold()
    assert (ws.folder / target.upper()).read_text(encoding="utf-8") == "not toml ["
    assert "Plan A" in _names(ws)


# ------------------------------------------------------------------------------------------- create

def test_two_creates_of_the_same_name_keep_both(ws, tmp_path):
    first = ws.create(_text("New scenario"))
    other_session = Workspace(tmp_path / "workspace")
    second = other_session.create(_text("New scenario", unit_cost=700.0))
    assert (first.name, second.name) == ("New scenario", "New scenario (2)")
    assert first.file != second.file
    got = Workspace(tmp_path / "workspace").catalogue().scenarios
    assert got["New scenario"].scenario.programme[0].cost[0].unit_cost == 500.0
    assert got["New scenario (2)"].scenario.programme[0].cost[0].unit_cost == 700.0


def test_create_picks_a_name_unused_by_bundled_scenarios(tmp_path):
    ws = Workspace(tmp_path / "workspace", bundled=ROOT / "scenarios")
    entry = ws.create((ROOT / "scenarios/rwanda-ida-credit.toml").read_text(encoding="utf-8"), ROOT / "scenarios")
    assert entry.name == "Rwanda: IDA credit-led (2)"
    assert load_scenario(entry.path).name == entry.name  # its baseline named for the workspace


def _create_in_a_process(args):
    folder, k = args
    return Workspace(folder).create(_text("Same name", unit_cost=100.0 + k)).name


def test_creates_from_several_processes_at_once_lose_nothing(tmp_path):
    folder = tmp_path / "workspace"
    Workspace(folder)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        names = pool.map(_create_in_a_process, [(folder, k) for k in range(8)])
    assert len(set(names)) == 8
    got = Workspace(folder).catalogue().scenarios
    assert sorted(e.scenario.programme[0].cost[0].unit_cost for e in got.values()) == [100.0 + k for k in range(8)]


# ------------------------------------------------------------------------------------------- versions

def test_a_stale_save_is_a_conflict_and_keeps_the_newer_version(ws, tmp_path):
    entry = ws.create(_text("Plan"))
    newer = Workspace(tmp_path / "workspace").save(entry.base, _text("Plan", unit_cost=600.0))
    assert newer.version != entry.version
    with pytest.raises(Conflict) as info:
        ws.save(entry.base, _text("Plan", unit_cost=700.0))  # started from the older version
    assert info.value.theirs.version == newer.version
    assert parse_scenario(info.value.mine).programme[0].cost[0].unit_cost == 700.0
    assert ws.catalogue().scenarios["Plan"].scenario.programme[0].cost[0].unit_cost == 600.0
    # overwrite on purpose: against the version now on disk
    ws.save(info.value.theirs.base, info.value.mine)
    assert ws.catalogue().scenarios["Plan"].scenario.programme[0].cost[0].unit_cost == 700.0


def test_versions_are_content_hashes(ws):
    entry = ws.create(_text("Plan"))
    assert ws.catalogue().scenarios["Plan"].version == entry.version
    same = ws.save(entry.base, entry.text)
    assert same.version == entry.version


def test_a_stale_edit_does_not_bring_back_a_deleted_scenario(ws, tmp_path):
    entry = ws.create(_text("Plan"))
    Workspace(tmp_path / "workspace").delete(entry.base)
    with pytest.raises(Conflict) as info:
        ws.save(entry.base, _text("Plan", unit_cost=700.0))
    assert info.value.theirs is None  # deleted
    assert "Plan" not in _names(ws) and not any(ws.folder.glob("*.toml"))
    # saved again on purpose: as a copy or over the deletion
    copy = ws.create(info.value.mine)
    assert copy.name == "Plan"


def test_a_stale_delete_is_a_conflict(ws, tmp_path):
    entry = ws.create(_text("Plan"))
    Workspace(tmp_path / "workspace").save(entry.base, _text("Plan", unit_cost=600.0))
    with pytest.raises(Conflict):
        ws.delete(entry.base)
    assert "Plan" in _names(ws)


def test_editing_a_bundled_scenario_twice_from_the_bundled_version_is_a_conflict(tmp_path):
    a = Workspace(tmp_path / "workspace", bundled=ROOT / "scenarios")
    b = Workspace(tmp_path / "workspace", bundled=ROOT / "scenarios")
    bundled = a.catalogue().scenarios["Rwanda: IDA credit-led"]
    assert bundled.origin == "bundled" and bundled.base.file is None
    text = bundled.text.replace("burden_limit = 0.05", "burden_limit = 0.06")
    saved = a.save(bundled.base, text)
    assert saved.origin == "workspace" and a.catalogue().scenarios["Rwanda: IDA credit-led"].version == saved.version
    with pytest.raises(Conflict) as info:
        b.save(bundled.base, text.replace("0.06", "0.07"))
    assert info.value.theirs.version == saved.version


# ------------------------------------------------------------------------------------------- renames

def test_rename_writes_the_new_file_before_removing_the_old(ws, monkeypatch):
    entry = ws.create(_text("Old"))
    calls = []
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.path.basename(path) != entry.file:
            return real_unlink(path, *args, **kwargs)
        calls.append(sorted(p.name for p in ws.folder.glob("*.toml")))
        raise OSError("disk gone")

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(ws_module.WorkspaceError, match="disk gone"):
        ws.save(entry.base, _text("New"))
    monkeypatch.setattr(os, "unlink", real_unlink)
    # the removal of the old file was attempted only once the new one was complete: nothing was lost
    assert calls and file_name("New") in calls[0]
    assert {"Old", "New"} <= _names(ws)


def test_rename_moves_the_scenario(ws):
    entry = ws.create(_text("Old"))
    new = ws.save(entry.base, _text("New"))
    assert _names(ws) == {"New"} and new.file == file_name("New") and not entry.path.exists()


def test_a_stale_edit_of_a_renamed_scenario_is_a_conflict(ws, tmp_path):
    entry = ws.create(_text("Old"))
    Workspace(tmp_path / "workspace").save(entry.base, _text("New"))
    with pytest.raises(Conflict) as info:
        ws.save(entry.base, _text("Old", unit_cost=700.0))
    assert info.value.theirs is None and _names(ws) == {"New"}


def test_files_named_the_old_way_keep_their_file(ws):
    """Workspaces saved before file names had an id (``rwanda-ida-credit-led.toml``) are read as they are, and an
    edit that keeps the name stays in that file."""
    old = ws.folder / "plan.toml"
    old.write_text(_text("Plan"), encoding="utf-8")
    entry = ws.catalogue().scenarios["Plan"]
    saved = ws.save(entry.base, _text("Plan", unit_cost=600.0))
    assert saved.path == old and [p.name for p in ws.folder.glob("*.toml")] == ["plan.toml"]


def test_rename_to_a_taken_name_is_refused_with_the_core_rule(ws):
    ws.create(_text("Taken"))
    other = ws.create(_text("Mine"))
    with pytest.raises(ScenarioError) as info:
        ws.save(other.base, _text("Taken"))
    (problem,) = info.value.problems
    assert problem.path == "scenario.name" and "the same scenario name" in problem.message
    assert _names(ws) == {"Taken", "Mine"}


def test_a_refused_rename_names_the_scenario_in_use_without_server_paths(tmp_path):
    ws = Workspace(tmp_path / "workspace", bundled=ROOT / "scenarios")
    bundled = ws.catalogue().scenarios["Rwanda: IDA credit-led"]
    edited = ws.save(bundled.base, bundled.text.replace("burden_limit = 0.05", "burden_limit = 0.06"))
    other = ws.create(_text("Mine"))
    with pytest.raises(ScenarioError) as info:
        ws.save(other.base, _text("Rwanda: IDA credit-led"))
    message = info.value.problems[0].message
    assert f"the workspace scenario 'Rwanda: IDA credit-led' ({edited.file})" in message  # the copy in use
    assert str(tmp_path) not in message and str(ROOT) not in message


# ------------------------------------------------------------------------------------------- broken files

def test_broken_files_are_listed_with_their_error_and_do_not_hide_the_others(ws):
    ws.create(_text("Good"))
    (ws.folder / "garbage.toml").write_text("this is [not toml", encoding="utf-8")
    (ws.folder / "inf.toml").write_text(_text("Inf").replace("500.0", "inf"), encoding="utf-8")
    (ws.folder / "binary.toml").write_bytes(b"\xff\xfe\x00")
    (ws.folder / "huge.toml").write_bytes(b"#" * (ws_module.MAX_FILE_BYTES + 10))
    (ws.folder / "zz-copy.toml").write_text(_text("Good"), encoding="utf-8")
    (ws.folder / "folder.toml").mkdir()
    cat = ws.catalogue()
    assert list(cat.scenarios) == ["Good"]
    broken = {e.file: str(e.error) for e in cat.broken}
    assert set(broken) == {"garbage.toml", "inf.toml", "binary.toml", "huge.toml", "zz-copy.toml"}
    assert "malformed TOML" in broken["garbage.toml"] and "unit_cost" in broken["inf.toml"]
    assert "not UTF-8" in broken["binary.toml"] and "larger than" in broken["huge.toml"]
    assert "the same scenario name" in broken["zz-copy.toml"]
    # a broken file can be deleted like any other
    ws.delete(next(e for e in cat.broken if e.file == "garbage.toml").base)
    assert not (ws.folder / "garbage.toml").exists()


def test_listing_sees_changes_made_by_others(ws, tmp_path):
    assert _names(ws) == set()
    other = Workspace(tmp_path / "workspace")
    entry = other.create(_text("Plan"))
    assert _names(ws) == {"Plan"}
    other.save(entry.base, _text("Plan", unit_cost=900.0))
    assert ws.catalogue().scenarios["Plan"].scenario.programme[0].cost[0].unit_cost == 900.0


def test_parsed_scenarios_are_cached_by_content(ws, monkeypatch):
    ws.create(_text("Plan"))
    ws.catalogue()
    calls = []
    real = ws_module.parse_scenario
    monkeypatch.setattr(ws_module, "parse_scenario", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert "Plan" in ws.catalogue().scenarios
    assert calls == []


def test_base_of_a_missing_file(ws):
    with pytest.raises(Conflict):
        ws.save(Base("Ghost", "ghost.toml", "0123"), _text("Ghost"))
    assert not any(ws.folder.glob("*.toml"))


def test_a_lock_left_by_a_dead_process_does_not_block(ws):
    (ws.folder / ws_module.LOCK_FILE).write_text("12345\n", encoding="utf-8")  # a lock file nobody holds
    assert ws.create(_text("Plan")).name == "Plan"


def test_a_held_lock_makes_writers_wait_then_give_up(ws, monkeypatch):
    monkeypatch.setattr(ws_module, "LOCK_TIMEOUT", 0.3)
    with ws_module.locked(ws.folder):
        other = Workspace(ws.folder)
        with pytest.raises(ws_module.WorkspaceBusy):
            other.create(_text("Plan"))
    assert other.create(_text("Plan")).name == "Plan"


def test_an_edit_is_parsed_once_for_its_run_its_save_and_the_listing(ws, monkeypatch):
    """The app computes an edit (compute.scenario_of), saves it and lists it again: one parse of its text, shared
    through the workspace's cache."""
    from dfl_finance.app import WORKSPACE_ENV
    from dfl_finance.app.compute import scenario_of

    monkeypatch.setenv(WORKSPACE_ENV, str(ws.folder))
    entry = ws.create(_text("Plan"))
    edited = _text("Plan", unit_cost=777.0)
    calls = []
    real = ws_module.parse_scenario
    monkeypatch.setattr(ws_module, "parse_scenario", lambda *a, **k: calls.append(1) or real(*a, **k))
    sc = scenario_of(edited)
    saved = ws.save(entry.base, edited)
    listed = ws.catalogue().scenarios["Plan"]
    assert len(calls) == 1
    assert saved.scenario is sc and listed.scenario is sc and sc.programme[0].cost[0].unit_cost == 777.0

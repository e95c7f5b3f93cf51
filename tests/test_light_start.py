"""What ``validate`` no longer imports at start-up (issue 21), and that it gives the same answers without it:
pydantic's plugins found without importlib.metadata (:mod:`dfl_finance.inputs.plugins`; pydantic is told "no
plugins" only when no distribution declares one, and a declared plugin still sees every validation), and the shipped
data folders found without importlib.resources. The time itself is measured in benchmarks/bench_startup.py."""

from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys
from pathlib import Path

from dfl_finance.inputs import profiles
from dfl_finance.inputs.plugins import plugins_declared

ROOT = Path(__file__).resolve().parents[1]


def _dist(folder: Path, name: str, entry_points: str | None) -> None:
    info = folder / name
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.split('-')[0]}\nVersion: 1.0\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)


def test_a_pydantic_section_in_any_distribution_is_found(tmp_path: Path) -> None:
    _dist(tmp_path / "a", "other-1.0.dist-info", "[console_scripts]\nother = other:main\n")
    _dist(tmp_path / "a", "bare-1.0.dist-info", None)
    assert not plugins_declared([str(tmp_path / "a"), str(tmp_path / "missing")])
    _dist(tmp_path / "b", "logger-1.0.egg-info", "[console_scripts]\nx = y:z\n\n[ pydantic ]\nlogger = logger:p\n")
    assert plugins_declared([str(tmp_path / "a"), str(tmp_path / "b")])


def test_a_group_named_like_pydantic_is_not_a_plugin(tmp_path: Path) -> None:
    _dist(tmp_path, "x-1.0.dist-info", "[pydantic.other]\na = b:c\n[console_scripts]\npydantic = p:m\n")
    assert not plugins_declared([str(tmp_path)])


def test_a_zip_on_the_path_leaves_the_look_to_pydantic(tmp_path: Path) -> None:
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert plugins_declared([str(archive)])


_CODE = """
import sys
import dfl_finance.inputs.models as models
from pydantic import ValidationError
try:
    models.Macro.model_validate({"inflation": "x"})
except ValidationError:
    pass
import fakeplugin
print(sorted(fakeplugin.SEEN) if "Macro" in fakeplugin.SEEN else "not seen", "importlib.metadata" in sys.modules)
"""
_PLUGIN = """
SEEN = set()
class _Plugin:
    def new_schema_validator(self, schema, schema_type, schema_type_path, schema_kind, config, plugin_settings):
        SEEN.add(schema_type_path.name)
        return None, None, None
plugin = _Plugin()
"""


def _run(path: Path | None) -> str:
    env = {"PYTHONPATH": str(path)} if path is not None else {}
    code = _CODE if path is not None else _CODE.split("import fakeplugin")[0] + \
        'print(sys.modules["pydantic.plugin._loader"].get_plugins(), "importlib.metadata" in sys.modules)\n'
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, **env})
    return done.stdout.strip()


def test_another_pydantic_loader_is_left_alone(tmp_path: Path) -> None:
    """A pydantic whose plugin loader is not the known one (no ``get_plugins``) keeps its own: nothing stands in."""
    loader = tmp_path / "pydantic" / "plugin" / "_loader.py"
    loader.parent.mkdir(parents=True)
    (tmp_path / "pydantic" / "__init__.py").write_text("")
    (loader.parent / "__init__.py").write_text("")
    loader.write_text("def load_plugins():\n    return ()\n")
    code = "import sys, dfl_finance.inputs; print('pydantic.plugin._loader' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.stdout.strip() == "False"


def test_without_a_plugin_pydantic_gets_none_and_importlib_metadata_is_not_loaded() -> None:
    assert _run(None) == "() False"


def test_an_installed_plugin_still_sees_the_models(tmp_path: Path) -> None:
    (tmp_path / "fakeplugin.py").write_text(_PLUGIN)
    _dist(tmp_path, "fakeplugin-1.0.dist-info", "[pydantic]\nfake = fakeplugin:plugin\n")
    out = _run(tmp_path)
    assert out.startswith("[") and "'Macro'" in out and "'Scenario'" in out and out.endswith("True"), out


def test_the_shipped_folders_are_those_importlib_resources_gives() -> None:
    package = Path(str(importlib.resources.files("dfl_finance")))
    for name in ("data", "scenarios"):
        inside = package / name
        assert profiles._shipped.__wrapped__(name) == (inside if inside.is_dir() else ROOT / name)
    assert profiles.data_dir() == (package / "data" if (package / "data").is_dir() else ROOT / "data")


def test_off_a_terminal_the_progress_bar_is_nothing_and_tqdm_is_not_loaded() -> None:
    """``risk``, ``optimise --draws``, ``sweep`` and ``sensitivity`` in a pipe show no bar (tqdm's ``disable=None``
    would decide the same), without importing tqdm; on a terminal tqdm's bar is shown (tests/test_risk.py)."""
    code = ("import io, sys\nsys.stderr = io.StringIO()\nfrom dfl_finance.cli.commands import _progress\n"
            "with _progress(10, 'x') as bar:\n    bar.update(4)\n    bar.update(6)\n"
            "print(type(bar).__name__, 'tqdm' in sys.modules, repr(sys.stderr.getvalue()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "_NoBar False ''"


def test_validate_as_a_program_ends_at_once_with_its_output_and_status(tmp_path: Path) -> None:
    """``validate`` run as a program skips the interpreter's teardown (os._exit, after flushing): its lines, its
    problems and its exit status are those of a normal end; called from Python, main returns the status."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nyears = 0\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "dfl_finance.cli", "validate", "scenarios/rwanda-domestic.toml",
                           str(bad)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert done.stdout == "ok  scenarios/rwanda-domestic.toml\n"
    assert str(bad) in done.stderr and "years" in done.stderr
    ok = subprocess.run([sys.executable, "-m", "dfl_finance", "validate", "scenarios/rwanda-domestic.toml"],
                        capture_output=True, text=True, cwd=ROOT, check=False)
    assert (ok.returncode, ok.stdout) == (0, "ok  scenarios/rwanda-domestic.toml\n")
    code = ("import sys\nfrom dfl_finance.cli import main\nprint('status', main(['validate', "
            "'scenarios/rwanda-domestic.toml']))")
    inside = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert inside.stdout.splitlines()[-1] == "status 0"

"""The package as users install it: a non-editable install carries its data and bundled scenarios."""

import subprocess
import sys
import sysconfig
import tomllib

from tests.conftest import ROOT


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dfl_finance").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_a_non_editable_install_has_its_data(tmp_path):
    target = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                            "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    assert (target / "dfl_finance" / "data" / "unit_costs.csv").is_file()
    assert (target / "dfl_finance" / "scenarios" / "rwanda-ida-credit.toml").is_file()
    # the instrument options (issue 25), a subfolder of the bundled scenarios
    shipped = {p.name for p in (target / "dfl_finance" / "scenarios" / "instruments").glob("*.toml")}
    assert shipped == {p.name for p in (ROOT / "scenarios" / "instruments").glob("*.toml")} and len(shipped) == 4
    # python -S: no site processing, so the editable install of the repository is not on the path
    env = {"PYTHONPATH": f"{target}:{sysconfig.get_paths()['purelib']}", "PATH": "/usr/bin:/bin"}
    code = ("import sys, dfl_finance; from dfl_finance.cli import main; "
            "assert dfl_finance.__file__.startswith(sys.argv[1]), dfl_finance.__file__; "
            "sys.exit(main(['data-check']))")
    proc = subprocess.run([sys.executable, "-S", "-c", code, str(target)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "7 scenarios validate and run" in proc.stdout or "scenarios validate and run" in proc.stdout

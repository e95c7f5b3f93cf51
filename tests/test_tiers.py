"""The test tiers set in tests/conftest.py name files and tests that exist, their markers are registered, and
nothing keeps `python -m pytest` from running every tier."""

import ast
import tomllib

from tests.conftest import BROWSER_FILES, ROOT, SLOW_FILES, SLOW_TESTS, TESTS, tier


def _functions(file: str) -> set[str]:
    tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_the_tiers_name_files_and_tests_that_exist():
    for file in BROWSER_FILES | SLOW_FILES | set(SLOW_TESTS):
        assert (TESTS / file).is_file(), file
    for file, names in SLOW_TESTS.items():
        assert file not in SLOW_FILES | BROWSER_FILES, file
        missing = names - _functions(file)
        assert not missing, f"{file} has no test {sorted(missing)}: rename it in SLOW_TESTS (tests/conftest.py)"


def test_every_test_has_a_tier_and_every_tier_is_registered():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    registered = {line.partition(":")[0] for line in options["markers"]}
    assert {"unit", "slow", "browser"} <= registered and "--strict-markers" in options["addopts"]
    assert " -m " not in f" {options['addopts']} "  # the plain command runs every tier
    assert tier(TESTS / "test_browser.py", "test_about_page") == "browser"
    assert tier(TESTS / "test_fuzz.py", "anything") == "slow"
    assert tier(TESTS / "test_risk.py", next(iter(SLOW_TESTS["test_risk.py"]))) == "slow"
    assert tier(TESTS / "test_risk.py", "test_other") == "unit"
    assert tier(ROOT / "dfl_finance" / "workspace.py", "file_name") == "unit"


def test_the_readme_says_how_to_run_the_fast_tier():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m pytest -m unit" in text

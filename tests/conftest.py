import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("default", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture
def root() -> Path:
    return ROOT


def one_year_plan(name: str, cost: float, learners: int = 1000) -> dict:
    """A USD plan of one year as a dict: a lump sum of ``cost`` (satellite terminals, capex) and a budget of 1,000 of
    which the domestic source pays a tenth (100)."""
    return {
        "scenario": {"name": name, "start_year": 2026, "years": 1, "post_horizon_years": 0},
        "context": {"schools": 0, "learners": learners, "teachers": 0, "education_budget": 1000.0},
        "programme": [{"id": "connectivity", "pillar": "infrastructure", "driver": "none",
                       "cost": [{"item": "satellite terminal", "kind": "fixed_capex", "unit_cost": cost}]}],
        "source": [{"id": "mof", "kind": "domestic", "budget_share_cap": 0.1}],
    }


def write_portfolio(folder: Path, countries: dict, fund: str, name: str = "two countries",
                    file: str = "portfolio.toml") -> Path:
    """A portfolio file in ``folder``: each of ``countries`` (name -> Scenario) saved as ``<name>.toml`` and named
    by a [[country]] row, and a [fund] with id "fund" and the TOML lines ``fund``."""
    from dfl_finance import save_scenario

    rows = ""
    for label, scenario in countries.items():
        save_scenario(scenario, folder / f"{label}.toml")
        rows += f'[[country]]\nscenario = "{label}.toml"\n'
    path = folder / file
    path.write_text(f'\n[portfolio]\nname = "{name}"\n{rows}[fund]\nid = "fund"\n{fund}\n', encoding="utf-8")
    return path


def small_scenario_dict(**overrides) -> dict:
    """A minimal valid scenario as a dict (context given in full, no country profile)."""
    raw = {
        "scenario": {"name": "Test", "start_year": 2026, "years": 5},
        "context": {"schools": 100, "learners": 1000, "teachers": 50, "education_budget": 1e6},
        "programme": [{
            "id": "connectivity", "pillar": "infrastructure", "driver": "schools",
            "cost": [{"item": "terminal", "kind": "capex", "unit_cost": 500.0}],
        }],
    }
    for key, value in overrides.items():
        raw[key] = value
    return raw


# ------------------------------------------------------------------------------------------- test tiers
# Every test gets one tier, here rather than in the test files (so a test file's imports or decorators can change
# freely): `browser` (and `slow`), `slow`, or else `unit`. `python -m pytest` runs every tier (the README's command
# and CI's); `python -m pytest -m unit` (the same as -m "not slow") the fast tier alone, about 35 s of CPU (31 s on
# the two-core development machine at a load average of 2.5). A test marked slow or browser in its file keeps that
# mark. Measure with `python -m pytest --durations=60` before a test joins the fast tier; tests/test_tiers.py checks
# the names below.

TESTS = Path(__file__).resolve().parent

#: The app in a real browser (chromium driven by Playwright, a Streamlit server started per file).
BROWSER_FILES = {"test_browser.py"}

#: Files whose tests are slow as a whole: the app's pages in Streamlit's AppTest, every command run end to end,
#: the files the commands write run back, fuzzing, dask sweeps on local clusters, the written tables of every
#: bundled scenario, ruff and mypy, a wheel built and installed, the commands' start-up in new processes.
SLOW_FILES = {"test_app.py", "test_cli.py", "test_written_files.py", "test_fuzz.py", "test_fuzz_inputs.py",
              "test_sweep.py", "test_written_tables.py", "test_lint.py", "test_packaging.py", "test_startup.py"}

#: Single tests of otherwise fast files: a command run as a process, several processes, or over a second.
SLOW_TESTS = {
    "test_app_schools.py": {"test_a_hundred_thousand_schools_give_a_sampled_map_and_a_thinned_curve"},
    "test_data.py": {"test_data_check_passes_from_the_command_line"},
    "test_moved.py": {"test_the_old_paths_run_a_scenario_in_a_new_process"},
    "test_outputs.py": {"test_workbook_formats_follow_the_unit_not_the_value", "test_verify_is_documented",
                        "test_a_killed_run_is_rolled_back_by_the_next_write", "test_an_empty_out_is_refused",
                        "test_a_closed_pipe_ends_quietly_with_status_141",
                        "test_standard_output_that_cannot_be_written_is_a_message_not_a_traceback"},
    "test_portfolio.py": {"test_the_optimal_shares_beat_every_allocation_on_a_grid"},
    "test_prices.py": {"test_price_fixtures_exit_2_through_python_m",
                       "test_property_sources_plus_gap_equal_cost_in_every_basis",
                       "test_property_flat_prices_every_basis_gives_todays_numbers"},
    "test_risk.py": {"test_a_long_risk_run_shows_a_progress_bar_on_a_terminal_and_none_in_a_pipe",
                     "test_chunks_do_not_change_a_single_number"},
    "test_workspace.py": {"test_creates_from_several_processes_at_once_lose_nothing"},
    "test_engine_memory.py": {"test_kept_memory_changes_no_number_and_is_not_mapped_again"},
    "test_fiscal_years.py": {"test_totals_are_kept_over_random_scenarios", "test_a_rounded_flow_keeps_its_total",
                             "test_run_and_compare_write_fiscal_years",
                             "test_totals_are_the_same_in_both_calendars_for_every_bundled_scenario"},
}


def tier(path: Path, function: str) -> str:
    """The tier of the test ``function`` (its name without parameters) in the file ``path``."""
    if path.parent == TESTS:
        if path.name in BROWSER_FILES:
            return "browser"
        if path.name in SLOW_FILES or function in SLOW_TESTS.get(path.name, ()):
            return "slow"
    return "unit"  # the package's doctests too


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("browser"):
            name = "browser"
        elif item.get_closest_marker("slow"):
            name = "slow"
        else:
            name = tier(Path(item.path), getattr(item, "originalname", None) or item.name.partition("[")[0])
        for mark in {"browser": ("browser", "slow"), "slow": ("slow",), "unit": ("unit",)}[name]:
            if not item.get_closest_marker(mark):
                item.add_marker(mark)


# ------------------------------------------------------------------------------------- the app in AppTest
@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """The app's workspace folder (DFL_FINANCE_WORKSPACE), empty, in the test's own temporary folder."""
    monkeypatch.setenv("DFL_FINANCE_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path / "workspace"


@pytest.fixture
def downloads(monkeypatch):
    """The data of every download button drawn, by its key (AppTest does not keep the files)."""
    import streamlit

    got: dict[str, bytes] = {}
    draw = streamlit.download_button

    def capture(label, data, *args, **kwargs):
        got[kwargs["key"]] = data
        return draw(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", capture)
    return got

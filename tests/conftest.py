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

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

"""The scenario file: models (``models``), rules across fields (``rules``), TOML in and out (``io``)."""

from .io import dump_scenario, load_scenario, parse_scenario, save_scenario, scenario_from_dict
from .models import LOAN_FIELDS, PPP_FIELDS, CostLine, Match, Programme, Scenario, Source
from .rules import duplicate_name_problems, scenario_warnings

__all__ = [
    "LOAN_FIELDS",
    "PPP_FIELDS",
    "CostLine",
    "Match",
    "Programme",
    "Scenario",
    "Source",
    "dump_scenario",
    "duplicate_name_problems",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_warnings",
]

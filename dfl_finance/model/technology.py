"""The technology table (``data/school_technologies.csv``): costs and rules of each connectivity technology, solar
power and the bandwidth target, each value with its source."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dfl_finance.engine.schools import TECHNOLOGIES, Technologies
from dfl_finance.errors import DataError
from dfl_finance.inputs.profiles import data_dir, read_csv_rows

FILE = "school_technologies.csv"
#: The fields of each technology and their defaults where a technology has no such rule.
FIELDS = {"capex_per_school": 0.0, "capex_per_km": 0.0, "opex_per_km": 0.0, "per_mbps": 0.0, "max_km": np.inf,
          "min_coverage": 0.0, "max_mbps": np.inf, "lifetime": np.inf,
          "opex_per_school": 0.0, "power_w": 0.0}


@dataclass(frozen=True)
class TechnologyValue:
    technology: str
    field: str
    value: float
    unit: str
    source: str
    placeholder: bool


def technology_rows(folder: Path | None = None) -> list[TechnologyValue]:
    """Every row of the technology table."""
    path = (folder or data_dir()) / FILE
    out = []
    for lineno, row in enumerate(read_csv_rows(path), start=2):
        try:
            out.append(TechnologyValue(row["technology"], row["field"], float(row["value"]), row["unit"],
                                       row["source"], row["placeholder"].strip().lower() == "true"))
        except (KeyError, ValueError) as exc:
            raise DataError(f"{path.name}:{lineno}: cannot read the row ({exc})") from None
    return out


@lru_cache(maxsize=4)
def _cached(folder: str) -> Technologies:
    rows = technology_rows(Path(folder))
    values = {(r.technology, r.field): r.value for r in rows}

    def field(name: str) -> np.ndarray:
        return np.array([values.get((tech, name), FIELDS[name]) for tech in TECHNOLOGIES], dtype=float)

    def need(tech: str, name: str) -> float:
        if (tech, name) not in values:
            raise DataError(f"{FILE}: no {tech} {name}")
        return values[(tech, name)]

    return Technologies(
        capex_per_school=field("capex_per_school"), capex_per_km=field("capex_per_km"),
        opex_per_km=field("opex_per_km"), per_mbps=field("per_mbps"), max_km=field("max_km"),
        min_coverage=field("min_coverage"), max_mbps=field("max_mbps"), lifetime=field("lifetime"),
        solar_capex=values.get(("solar", "capex_per_school"), 0.0),
        solar_opex=values.get(("solar", "opex_per_school"), 0.0),
        solar_lifetime=need("solar", "lifetime"), mbps_per_school=need("demand", "mbps_per_school"),
        mbps_per_learner=need("demand", "mbps_per_learner"), opex_per_school=field("opex_per_school"),
        power_watts=field("power_w"), solar_per_watt=values.get(("solar", "per_watt"), 0.0),
        opex_years=int(values[("choice", "opex_years")]) if ("choice", "opex_years") in values else None)


def default_technologies() -> Technologies:
    """The technology table of the data folder."""
    return _cached(str(data_dir()))

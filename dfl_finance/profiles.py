"""Country profiles and other libraries read from ``data/``.

Every data file is a CSV with a source for each value (see ``data/SOURCES.md``). This module only reads and
indexes them; the scenario loader applies a profile to a scenario as a set of defaults that ``[context]``
overrides.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import DataError

#: Fields of a country profile that fill the scenario's ``[context]`` table.
CONTEXT_FIELDS = ("schools", "learners", "teachers", "education_budget", "budget_growth")


def data_dir() -> Path:
    """The folder holding the default data [path].

    ``DFL_FINANCE_DATA`` overrides the default, which is ``data/`` beside the package (the repository layout;
    install with ``pip install -e .``).
    """
    env = os.environ.get("DFL_FINANCE_DATA")
    path = Path(env) if env else Path(__file__).resolve().parent.parent / "data"
    if not path.is_dir():
        raise DataError(f"data folder not found: {path} (set DFL_FINANCE_DATA or install with `pip install -e .`)")
    return path


@dataclass(frozen=True)
class ProfileValue:
    value: float
    unit: str
    year: int | None
    source: str
    confidence: str
    placeholder: bool


@dataclass(frozen=True)
class CountryProfile:
    iso3: str
    name: str
    values: dict[str, ProfileValue]

    def context_defaults(self) -> dict[str, float]:
        """The profile's values for the fields of ``[context]``."""
        out: dict[str, float] = {}
        for field in CONTEXT_FIELDS:
            if field in self.values:
                v = self.values[field].value
                out[field] = int(v) if field in ("schools", "learners", "teachers") else v
        return out


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV data file as dicts; a missing file is a :class:`DataError`."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise DataError(f"data file not found: {path}") from exc


def _parse_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes")


@lru_cache(maxsize=8)
def _load_profiles(folder: str) -> dict[str, CountryProfile]:
    path = Path(folder) / "country_profiles.csv"
    names: dict[str, str] = {}
    values: dict[str, dict[str, ProfileValue]] = {}
    for lineno, row in enumerate(read_csv_rows(path), start=2):
        try:
            iso3 = row["iso3"].strip().upper()
            names[iso3] = row["country"].strip()
            values.setdefault(iso3, {})[row["field"].strip()] = ProfileValue(
                value=float(row["value"]),
                unit=row["unit"].strip(),
                year=int(row["year"]) if row["year"].strip() else None,
                source=row["source"].strip(),
                confidence=row["confidence"].strip(),
                placeholder=_parse_bool(row["placeholder"]),
            )
        except (KeyError, ValueError, AttributeError) as exc:
            raise DataError(f"{path}:{lineno}: malformed row ({exc})") from exc
    return {iso3: CountryProfile(iso3, names[iso3], values[iso3]) for iso3 in names}


def country_profiles() -> dict[str, CountryProfile]:
    """All country profiles of the data folder, by ISO3 code."""
    return _load_profiles(str(data_dir()))


@dataclass(frozen=True)
class TermSheet:
    """Published terms of a loan product (one row of ``data/loan_terms.csv``)."""

    id: str
    name: str
    rate: float
    grace_years: int
    maturity_years: int
    repayment: str
    schedule: list[tuple[int, int, float]]
    commitment_fee: float
    front_end_fee: float
    effective: str
    source: str
    confidence: str
    placeholder: bool

    def fields(self) -> dict:
        """The loan fields of a ``[[source]]`` this sheet stands for."""
        out = {"rate": self.rate, "grace_years": self.grace_years, "maturity_years": self.maturity_years,
               "repayment": self.repayment, "commitment_fee": self.commitment_fee,
               "front_end_fee": self.front_end_fee}
        if self.repayment == "schedule":
            out["schedule"] = [list(row) for row in self.schedule]
        return out


def parse_schedule(text: str) -> list[tuple[int, int, float]]:
    """``"11-20:0.02;21-40:0.04"`` -> ``[(11, 20, 0.02), (21, 40, 0.04)]``."""
    rows = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        years, share = part.split(":")
        k1, k2 = years.split("-")
        rows.append((int(k1), int(k2), float(share)))
    return rows


@lru_cache(maxsize=8)
def _load_terms(folder: str) -> dict[str, TermSheet]:
    path = Path(folder) / "loan_terms.csv"
    out = {}
    for lineno, row in enumerate(read_csv_rows(path), start=2):
        try:
            out[row["id"].strip()] = TermSheet(
                id=row["id"].strip(), name=row["name"].strip(), rate=float(row["rate"]),
                grace_years=int(row["grace_years"]), maturity_years=int(row["maturity_years"]),
                repayment=row["repayment"].strip(), schedule=parse_schedule(row["schedule"]),
                commitment_fee=float(row["commitment_fee"]), front_end_fee=float(row["front_end_fee"]),
                effective=row["effective"].strip(), source=row["source"].strip(),
                confidence=row["confidence"].strip(), placeholder=_parse_bool(row["placeholder"]),
            )
        except (KeyError, ValueError, AttributeError) as exc:
            raise DataError(f"{path}:{lineno}: malformed row ({exc})") from exc
    return out


def loan_terms() -> dict[str, TermSheet]:
    """All loan term sheets of the data folder, by id."""
    return _load_terms(str(data_dir()))

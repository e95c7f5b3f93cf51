"""Country profiles and other libraries read from ``data/``.

Every data file is a CSV with a source for each value (see ``data/SOURCES.md``). This module only reads and
indexes them; the scenario loader applies a profile to a scenario as a set of defaults that ``[context]``
overrides.
"""

from __future__ import annotations

import csv
import importlib.resources
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import DataError
from .vocabulary import COUNTED_DRIVERS

#: Fields of a country profile that fill the scenario's ``[context]`` table.
CONTEXT_FIELDS = (*COUNTED_DRIVERS, "education_budget", "budget_growth")


#: Environment variable naming another data folder (country profiles, unit costs, term sheets, templates).
DATA_ENV = "DFL_FINANCE_DATA"


def _shipped(name: str) -> Path:
    """A folder shipped with the package: ``dfl_finance/<name>`` in an installed wheel (importlib.resources), or
    ``<name>/`` beside the package in a source checkout (an editable install)."""
    inside = Path(str(importlib.resources.files(__package__ or "dfl_finance"))) / name
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / name


def data_dir() -> Path:
    """The folder holding the default data [path]: the data shipped with the package, or ``DFL_FINANCE_DATA``."""
    env = os.environ.get(DATA_ENV)
    path = Path(env) if env else _shipped("data")
    if not path.is_dir():
        raise DataError(f"data folder not found: {path}" + (f" (check {DATA_ENV})" if env else
                                                             " (reinstall dfl-finance)"))
    return path


def bundled_scenarios_dir() -> Path:
    """The folder of the bundled example scenarios (shipped with the package; ``DFL_FINANCE_DATA`` does not move
    it)."""
    return _shipped("scenarios")


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
                out[field] = int(v) if field in COUNTED_DRIVERS else v
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


def _parsed_rows(path: Path, parse):
    """``parse(row)`` for every row of a CSV data file; a row it cannot parse is a DataError naming the line."""
    out = []
    for lineno, row in enumerate(read_csv_rows(path), start=2):
        try:
            out.append(parse(row))
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            raise DataError(f"{path}:{lineno}: malformed row ({exc})") from exc
    return out


def _provenance(row: dict[str, str]) -> dict:
    """The fields every sourced data row has: its year, source, confidence and placeholder flag."""
    year = (row.get("year") or "").strip()
    return {"year": int(year) if year else None, "source": row["source"].strip(),
            "confidence": row["confidence"].strip(), "placeholder": _parse_bool(row["placeholder"])}


@lru_cache(maxsize=8)
def _load_profiles(folder: str) -> dict[str, CountryProfile]:
    def parse(row):
        value = ProfileValue(value=float(row["value"]), unit=row["unit"].strip(), **_provenance(row))
        return row["iso3"].strip().upper(), row["country"].strip(), row["field"].strip(), value

    names: dict[str, str] = {}
    values: dict[str, dict[str, ProfileValue]] = {}
    for iso3, name, field, value in _parsed_rows(Path(folder) / "country_profiles.csv", parse):
        names[iso3] = name
        values.setdefault(iso3, {})[field] = value
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
    def parse(row):
        prov = _provenance(row)
        return TermSheet(
            id=row["id"].strip(), name=row["name"].strip(), rate=float(row["rate"]),
            grace_years=int(row["grace_years"]), maturity_years=int(row["maturity_years"]),
            repayment=row["repayment"].strip(), schedule=parse_schedule(row["schedule"]),
            commitment_fee=float(row["commitment_fee"]), front_end_fee=float(row["front_end_fee"]),
            effective=row["effective"].strip(), source=prov["source"], confidence=prov["confidence"],
            placeholder=prov["placeholder"],
        )

    return {t.id: t for t in _parsed_rows(Path(folder) / "loan_terms.csv", parse)}


def loan_terms() -> dict[str, TermSheet]:
    """All loan term sheets of the data folder, by id."""
    return _load_terms(str(data_dir()))


# ------------------------------------------------------------------------------------------ unit costs


@dataclass(frozen=True)
class UnitCost:
    """One row of ``data/unit_costs.csv``."""

    id: str
    category: str
    item: str
    value: float
    unit: str
    year: int | None
    source: str
    confidence: str
    placeholder: bool


@lru_cache(maxsize=8)
def _load_unit_costs(folder: str) -> dict[str, UnitCost]:
    def parse(row):
        return UnitCost(id=row["id"].strip(), category=row["category"].strip(), item=row["item"].strip(),
                        value=float(row["value"]), unit=row["unit"].strip(), **_provenance(row))

    return {u.id: u for u in _parsed_rows(Path(folder) / "unit_costs.csv", parse)}


def unit_costs() -> dict[str, UnitCost]:
    """The unit-cost library of the data folder, by id."""
    return _load_unit_costs(str(data_dir()))


# ------------------------------------------------------------------------------------------- templates

TEMPLATE_LINE_KEYS = {"item", "kind", "ref", "factor", "factor_ref", "factor_note", "unit_cost", "lifetime",
                      "lifetime_ref", "replace_existing", "price_trend"}
TEMPLATE_KEYS = {"name", "pillar", "driver", "start_share", "target_share", "rollout", "cost"}


@lru_cache(maxsize=8)
def _load_templates(folder: str) -> dict[str, dict]:
    import tomllib

    path = Path(folder) / "templates.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"data file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: malformed TOML: {exc}") from exc
    library = _load_unit_costs(folder)
    out = {}
    for name, tpl in raw.items():
        unknown = set(tpl) - TEMPLATE_KEYS
        if unknown:
            raise DataError(f"{path}: template {name!r} has unknown keys {sorted(unknown)}")
        lines = []
        for j, line in enumerate(tpl.get("cost", [])):
            where = f"{path}: template {name!r} cost[{j}]"
            if set(line) - TEMPLATE_LINE_KEYS:
                raise DataError(f"{where}: unknown keys {sorted(set(line) - TEMPLATE_LINE_KEYS)}")
            lines.append(_expand_line(line, library, where))
        out[name] = {**{k: v for k, v in tpl.items() if k != "cost"}, "cost": lines}
    return out


def _library_row(library: dict[str, UnitCost], key: str, line: dict, where: str) -> UnitCost:
    row = library.get(line[key])
    if row is None:
        raise DataError(f"{where}: {key} {line[key]!r} is not in unit_costs.csv")
    return row


def _expand_line(line: dict, library: dict[str, UnitCost], where: str) -> dict:
    """A template cost line -> a scenario cost line: the unit cost from the library, its source in source_note.

    ``unit_cost = value(ref) x factor x value(factor_ref)``; the note shows each term and cites every row used.
    """
    out = {k: line[k] for k in ("item", "kind", "lifetime", "replace_existing", "price_trend") if k in line}
    factor = float(line.get("factor", 1.0))
    terms = [f"x {factor:g}"] if factor != 1.0 else []
    notes = [line["factor_note"]] if line.get("factor_note") else []
    placeholder = False
    if "factor_ref" in line:
        by = _library_row(library, "factor_ref", line, where)
        factor *= by.value
        terms.append(f"x {by.value:,.10g} {by.unit} ({by.id})")
        notes.append(f"{by.id}: {by.source}")
        placeholder |= by.placeholder
    if "ref" in line:
        row = _library_row(library, "ref", line, where)
        if not row.unit.startswith("USD"):
            raise DataError(f"{where}: ref {row.id!r} is in {row.unit}; templates are in USD")
        out["unit_cost"] = row.value * factor
        text = f"{row.source} [unit_costs.csv: {' '.join([f'{row.id} = {row.value:,.10g} {row.unit}', *terms])}]"
        placeholder |= row.placeholder
    elif "unit_cost" in line:
        out["unit_cost"] = float(line["unit_cost"]) * factor
        text, placeholder = "no source", True
    else:
        raise DataError(f"{where}: needs `ref` or `unit_cost`")
    if "lifetime_ref" in line:
        row = _library_row(library, "lifetime_ref", line, where)
        out["lifetime"] = int(round(row.value))
        notes.append(f"lifetime {out['lifetime']} years from {row.id}: {row.source}")
    text = "; ".join([text, *notes])
    out["source_note"] = f"PLACEHOLDER: {text}" if placeholder and "PLACEHOLDER" not in text else text
    return out


def templates() -> dict[str, dict]:
    """Programme templates of the data folder, expanded to scenario fields (``cost`` lines with numbers)."""
    return _load_templates(str(data_dir()))


def template_programme_id(name: str) -> str:
    """The default programme id of a template: its name in lower_snake_case."""
    return name.replace("-", "_")


def clear_caches() -> None:
    """Forget the data read so far (the next call reads data/ again, e.g. after editing a file)."""
    for loader in (_load_profiles, _load_terms, _load_unit_costs, _load_templates):
        loader.cache_clear()

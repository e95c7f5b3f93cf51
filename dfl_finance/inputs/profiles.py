"""Country profiles and other libraries read from ``data/``.

Every data file is a CSV with a source for each value (see ``data/SOURCES.md``). This module only reads and
indexes them; the scenario loader applies a profile to a scenario as a set of defaults that ``[context]``
overrides.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from dfl_finance.errors import DataError
from dfl_finance.vocabulary import COUNTED_DRIVERS, DSF_RATIOS, PUBLIC_DEBT_RATIO

#: Fields of a country profile that fill the scenario's ``[context]`` table.
CONTEXT_FIELDS = (*COUNTED_DRIVERS, "education_budget", "budget_growth")
#: Fields of a country profile that fill ``[macro]`` (when the scenario is in the profile's currency).
MACRO_FIELDS = ("inflation", "usd_inflation", "fx_rate")
#: Fields of a country profile that fill ``[debt]`` (amounts in USD).
DEBT_FIELDS = ("capacity", "gdp", "gdp_growth", "revenue", "exports", "pv_external_debt", "external_debt_service",
               "lending_category", "pv_public_debt")
#: Profile fields whose value is text, not a number.
TEXT_FIELDS = ("currency", "dsf_capacity", "debt_risk", "income_group", "lending_category")
#: Profile field of total public expenditure (local currency a year), over which the total education budget is
#: ``[context] education_share`` (GPE's domestic-financing benchmark, docs/method.md *Multilateral rules*).
PUBLIC_EXPENDITURE = "public_expenditure"
#: The profile field of each budget scope (``[context] budget_scope``).
BUDGET_FIELDS = {"total": "education_budget", "non-wage": "education_budget_non_wage"}
#: Profile field of the externally financed projects inside the total education budget (``[context]
#: budget_external``, netted out unless ``budget_gross``; docs/method.md, *The budget net of external projects*).
BUDGET_EXTERNAL = "education_budget_external"
#: ``[debt.sd]`` field -> the profile field that fills it where the file gives none (the LIC-DSF stress tests'
#: historical standard deviations, built from the WDI history: docs/method.md, *Stress tests*).
SD_FIELDS = {"gdp_growth": "gdp_growth_sd", "exports_growth": "exports_growth_sd",
             "primary_balance": "primary_balance_sd", "other_flows": "other_flows_sd"}
#: Profile field -> the field of [debt] it fills, where the names differ.
_DEBT_PROFILE_FIELD = {"capacity": "dsf_capacity"}


#: Environment variable naming another data folder (country profiles, unit costs, term sheets, templates).
DATA_ENV = "DFL_FINANCE_DATA"


@lru_cache(maxsize=None)
def _shipped(name: str) -> Path:
    """A folder shipped with the package: ``dfl_finance/<name>`` in an installed wheel, or ``<name>/`` beside the
    package in a source checkout (an editable install). The package's folder is the one this file is in, which is
    what ``importlib.resources.files("dfl_finance")`` gives for a package on the file system (a zip archive gives
    no folder either way); read without importing importlib.resources and zipfile, 3 ms of ``validate``'s start-up
    (issue 21)."""
    inside = Path(__file__).parent.parent / name
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / name


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
    value: float | str  # text for TEXT_FIELDS
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

    @property
    def currency(self) -> str | None:
        """The local currency of the profile's budget (ISO 4217), if it says."""
        v = self.values.get("currency")
        return str(v.value) if v is not None else None

    @property
    def income_group(self) -> str | None:
        """The World Bank income group (:data:`~dfl_finance.vocabulary.INCOME_GROUPS`), if the profile says."""
        v = self.values.get("income_group")
        return str(v.value) if v is not None else None

    def number(self, field: str) -> float | None:
        v = self.values.get(field)
        return None if v is None or isinstance(v.value, str) else float(v.value)

    def defaults(self, currency: str, budget_scope: str = "total") -> dict[str, dict[str, tuple[object, str]]]:
        """What the profile fills in a scenario in ``currency``: ``{table: {field: (value, profile field)}}``.

        ``[context]``: the counts, the budget growth and the education budget of ``budget_scope`` with its year
        (``budget_year``), converted at the profile's exchange rate when the scenario is in USD and the budget is
        not. ``[macro]``: inflation, US inflation and the exchange rate with its year, only when the scenario is in
        the profile's currency. ``[debt]``: the debt-sustainability figures (in USD) and their year.
        """
        out: dict[str, dict[str, tuple[object, str]]] = {"context": {}, "macro": {}, "debt": {}}
        for field in COUNTED_DRIVERS:
            if field in self.values:
                out["context"][field] = (int(float(self.values[field].value)), field)
        if "budget_growth" in self.values:
            out["context"]["budget_growth"] = (self.number("budget_growth"), "budget_growth")
        budget_field = BUDGET_FIELDS.get(budget_scope, "education_budget")
        row = self.values.get(budget_field)
        if row is not None and not isinstance(row.value, str):
            unit_currency = row.unit.split("/")[0]
            value: float | None = float(row.value)
            fx = self.number("fx_rate")
            if unit_currency != currency:
                if currency == "USD" and fx:
                    value = float(row.value) / fx  # the budget in USD at the profile's exchange rate
                elif unit_currency == "USD" and currency == self.currency and fx:
                    value = float(row.value) * fx
                else:
                    value = None
            if value is not None:
                out["context"]["education_budget"] = (value, budget_field)
                if row.year is not None:
                    out["context"]["budget_year"] = (row.year, budget_field)
                external = self.values.get(BUDGET_EXTERNAL)
                if budget_scope == "total" and external is not None and not isinstance(external.value, str) \
                        and external.unit == row.unit and external.year == row.year:
                    # the same currency and year as the budget: converted at the budget's own ratio
                    out["context"]["budget_external"] = (float(external.value) * value / float(row.value),
                                                         BUDGET_EXTERNAL)
        if currency == self.currency and currency != "USD":
            for field in MACRO_FIELDS:
                if field in self.values:
                    out["macro"][field] = (self.number(field), field)
            fx_row = self.values.get("fx_rate")
            if fx_row is not None and fx_row.year is not None:
                out["macro"]["fx_year"] = (fx_row.year, "fx_rate")
        for field in DEBT_FIELDS:
            name = _DEBT_PROFILE_FIELD.get(field, field)
            if name in self.values:
                v = self.values[name]
                out["debt"][field] = (v.value if field in ("capacity", "lending_category") else float(v.value), name)
        gdp = self.values.get("gdp")
        if gdp is not None and gdp.year is not None:
            out["debt"]["data_year"] = (gdp.year, "gdp")
        share = self.education_share()
        if share is not None:
            out["context"]["education_share"] = (share, PUBLIC_EXPENDITURE)
        fy = self.values.get("fiscal_year_start")
        if fy is not None and not fy.placeholder and not isinstance(fy.value, str):
            # the government's fiscal year, where a public source gives it (a placeholder January is the default)
            out["scenario"] = {"fiscal_year_start": (int(float(fy.value)), "fiscal_year_start")}
        return out

    def debt_sd(self) -> dict[str, tuple[float, str]]:
        """The ``[debt.sd]`` standard deviations the profile gives: ``{field: (value, profile field)}``, only those
        within the field's bounds (above 0, at most 1: Timor-Leste's 275% for its exports is left to the file)."""
        out: dict[str, tuple[float, str]] = {}
        for field, name in SD_FIELDS.items():
            value = self.number(name)
            if value is not None and 0.0 < value <= 1.0:
                out[field] = (value, name)
        return out

    def education_share(self) -> float | None:
        """The total education budget over total public expenditure, where the profile has both in the same
        currency and year (else None)."""
        budget, total = self.values.get("education_budget"), self.values.get(PUBLIC_EXPENDITURE)
        if budget is None or total is None or isinstance(budget.value, str) or isinstance(total.value, str):
            return None
        if budget.unit != total.unit or budget.year != total.year or not float(total.value) > 0:
            return None
        return min(float(budget.value) / float(total.value), 1.0)

    def context_defaults(self) -> dict[str, float]:
        """The profile's values for the fields of ``[context]`` in a scenario in its own currency."""
        filled = self.defaults(self.currency or "USD")["context"]
        return {k: v for k, (v, _) in filled.items() if k in CONTEXT_FIELDS}  # type: ignore[misc]


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV data file as dicts; a missing file is a :class:`DataError`."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise DataError(f"data file not found: {path}") from exc


def parse_bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes")


_Row = TypeVar("_Row")


def parsed_rows(path: Path, parse: Callable[[dict[str, str]], _Row]) -> list[_Row]:
    """``parse(row)`` for every row of a CSV data file; a row it cannot parse is a DataError naming the line."""
    return _parsed_group(path, list(enumerate(read_csv_rows(path), start=2)), parse)


class Provenance(TypedDict):
    """The fields every sourced data row has (keyword arguments of :class:`ProfileValue` and :class:`UnitCost`)."""

    year: int | None
    source: str
    confidence: str
    placeholder: bool


def _provenance(row: dict[str, str]) -> Provenance:
    """The fields every sourced data row has: its year, source, confidence and placeholder flag."""
    year = (row.get("year") or "").strip()
    return {"year": int(year) if year else None, "source": row["source"].strip(),
            "confidence": row["confidence"].strip(), "placeholder": parse_bool(row["placeholder"])}


_Value = TypeVar("_Value")


class GroupedRows(Mapping[str, _Value]):
    """The rows of a CSV data file grouped by the value of their first column (a country, a currency), each group
    parsed the first time it is asked for.

    Opening the file only splits it into lines and reads each line's first field, so a command that needs one
    country of a table of 2,000 rows does not pay for parsing the other 89 (issue 21: ``validate`` starts in under
    twice a bare ``import numpy``). ``parse(key, rows)`` turns a group's ``(line number, row)`` pairs into its value
    and raises a :class:`DataError` naming the line of a malformed row, so a malformed row is reported when its
    group is used (iterating over all of them, as ``data-check`` does, reports every one). A file with a quoted field
    across lines is read whole by :mod:`csv` instead (the same result, without the saving).
    """

    def __init__(self, path: Path, parse: Callable[[str, list[tuple[int, dict[str, str]]]], _Value],
                 key: Callable[[str], str] = str.strip) -> None:
        self._parse = parse
        self._values: dict[str, _Value] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise DataError(f"data file not found: {path}") from exc
        lines = text.splitlines()
        self._header = next(csv.reader(lines[:1]), [])
        self._lines: dict[str, list[tuple[int, str]]] = {}
        self._whole: list[dict[str, str]] | None = None
        if any(line.count('"') % 2 for line in lines):  # a quoted field holds a line break: read it as csv does
            self._whole = read_csv_rows(path)
            for lineno, row in enumerate(self._whole, start=2):
                self._lines.setdefault(key(row.get(self._header[0], "") or ""), []).append((lineno, ""))
            return
        for lineno, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            first = line.split(",", 1)[0]
            if first.startswith('"'):
                first = next(csv.reader([line]))[0]
            self._lines.setdefault(key(first), []).append((lineno, line))

    def _rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        found = self._lines[name]
        if self._whole is not None:
            return [(lineno, self._whole[lineno - 2]) for lineno, _ in found]
        rows = csv.reader([line for _, line in found])
        return [(lineno, dict(zip(self._header, row))) for (lineno, _), row in zip(found, rows)]

    def __getitem__(self, name: str) -> _Value:
        if name not in self._values:
            if name not in self._lines:
                raise KeyError(name)
            self._values[name] = self._parse(name, self._rows(name))
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._lines

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def _parsed_group(path: Path, rows: list[tuple[int, dict[str, str]]], parse: Callable[[dict[str, str]], _Row]
                  ) -> list[_Row]:
    """``parse(row)`` for every row of a group of :class:`GroupedRows`, with :func:`parsed_rows`' errors."""
    out: list[_Row] = []
    for lineno, row in rows:
        try:
            out.append(parse(row))
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            raise DataError(f"{path}:{lineno}: malformed row ({exc})") from exc
    return out


@lru_cache(maxsize=8)
def _load_profiles(folder: str) -> Mapping[str, CountryProfile]:
    return _read_profiles(Path(folder) / "country_profiles.csv")


def _profile_value(row: dict[str, str]) -> tuple[str, str, ProfileValue]:
    field = row["field"].strip()
    raw = row["value"].strip()
    value = ProfileValue(value=raw if field in TEXT_FIELDS else float(raw), unit=row["unit"].strip(),
                         **_provenance(row))
    return row["country"].strip(), field, value


def _read_profiles(path: Path) -> Mapping[str, CountryProfile]:
    """The profiles of a file in the layout of ``country_profiles.csv``, each read when it is first asked for."""
    def profile(iso3: str, rows: list[tuple[int, dict[str, str]]]) -> CountryProfile:
        name, values = "", {}
        for name, field, value in _parsed_group(path, rows, _profile_value):
            values[field] = value
        return CountryProfile(iso3, name, values)

    return GroupedRows(path, profile, key=lambda text: text.strip().upper())


class _Overlaid(Mapping[str, CountryProfile]):
    """``base`` with ``top`` over it (:func:`_overlay_profiles`), each country merged when it is first asked for."""

    def __init__(self, base: Mapping[str, CountryProfile], top: Mapping[str, CountryProfile]) -> None:
        self._base, self._top = base, top
        self._keys = dict.fromkeys([*base, *top])

    def __getitem__(self, iso3: str) -> CountryProfile:
        return _overlay_one(self._base.get(iso3), self._top[iso3]) if iso3 in self._top else self._base[iso3]

    def __contains__(self, iso3: object) -> bool:
        return iso3 in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def country_profiles() -> Mapping[str, CountryProfile]:
    """All country profiles of the data folder, by ISO3 code, with the user's profiles files
    (``DFL_FINANCE_PROFILES``, :func:`user_profiles_files`) laid over them: a user's row replaces the data folder's
    row of the same country and field. Each country is read when it is first asked for (:class:`GroupedRows`)."""
    shipped = _load_profiles(str(data_dir()))
    files = user_profiles_files()
    if not files:
        return shipped
    stamped = tuple((str(f), f.stat().st_mtime_ns) for f in files)  # an edited file is read again
    return _Overlaid(shipped, _load_user_profiles(stamped))


#: Environment variable naming the user's country-profiles files (``dfl-finance country import`` writes one), in
#: the layout of ``data/country_profiles.csv``; several are separated by the path separator (``:``; ``;`` on
#: Windows), later files over earlier ones. They are laid over the data folder's profiles.
PROFILES_ENV = "DFL_FINANCE_PROFILES"


def user_profiles_files() -> list[Path]:
    """The files that ``DFL_FINANCE_PROFILES`` names (none if it is not set); a file named that does not exist is
    a :class:`DataError`."""
    env = os.environ.get(PROFILES_ENV, "")
    files = [Path(p) for p in env.split(os.pathsep) if p.strip()]
    for f in files:
        if not f.is_file():
            raise DataError(f"country profiles file not found: {f} (check {PROFILES_ENV})")
    return files


@lru_cache(maxsize=8)
def _load_user_profiles(stamped: tuple[tuple[str, int], ...]) -> dict[str, CountryProfile]:
    out: dict[str, CountryProfile] = {}
    for path, _ in stamped:
        out = _overlay_profiles(out, _read_profiles(Path(path)))
    return out


def _overlay_one(below: CountryProfile | None, prof: CountryProfile) -> CountryProfile:
    """``prof`` over ``below``: its values replace ``below``'s field by field (and its name the name)."""
    return prof if below is None else CountryProfile(prof.iso3, prof.name or below.name,
                                                     {**below.values, **prof.values})


def _overlay_profiles(base: Mapping[str, CountryProfile], top: Mapping[str, CountryProfile]
                      ) -> dict[str, CountryProfile]:
    """``base`` with ``top`` over it: per country, ``top``'s values replace ``base``'s field by field (and its
    name the name)."""
    out = dict(base)
    for iso3, prof in top.items():
        out[iso3] = _overlay_one(out.get(iso3), prof)
    return out


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
    currency: str  # USD or XDR (an SDR credit is modelled as moving with the USD: see docs/method.md)
    effective: str
    source: str
    confidence: str
    placeholder: bool
    payments_per_year: int = 1  # instalments a year (IDA and IBRD: 2)

    def fields(self) -> dict[str, object]:
        """The loan fields of a ``[[source]]`` this sheet stands for."""
        out: dict[str, object] = {"rate": self.rate, "grace_years": self.grace_years,
                                  "maturity_years": self.maturity_years, "repayment": self.repayment,
                                  "commitment_fee": self.commitment_fee, "front_end_fee": self.front_end_fee}
        if self.payments_per_year != 1:
            out["payments_per_year"] = self.payments_per_year
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
    def parse(row: dict[str, str]) -> TermSheet:
        prov = _provenance(row)
        return TermSheet(
            id=row["id"].strip(), name=row["name"].strip(), rate=float(row["rate"]),
            grace_years=int(row["grace_years"]), maturity_years=int(row["maturity_years"]),
            repayment=row["repayment"].strip(), schedule=parse_schedule(row["schedule"]),
            commitment_fee=float(row["commitment_fee"]), front_end_fee=float(row["front_end_fee"]),
            currency=(row.get("currency") or "USD").strip(),
            effective=row["effective"].strip(), source=prov["source"], confidence=prov["confidence"],
            placeholder=prov["placeholder"], payments_per_year=int(row.get("payments_per_year") or 1),
        )

    return {t.id: t for t in parsed_rows(Path(folder) / "loan_terms.csv", parse)}


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
    def parse(row: dict[str, str]) -> UnitCost:
        return UnitCost(id=row["id"].strip(), category=row["category"].strip(), item=row["item"].strip(),
                        value=float(row["value"]), unit=row["unit"].strip(), **_provenance(row))

    return {u.id: u for u in parsed_rows(Path(folder) / "unit_costs.csv", parse)}


def unit_costs() -> dict[str, UnitCost]:
    """The unit-cost library of the data folder, by id."""
    return _load_unit_costs(str(data_dir()))


@lru_cache(maxsize=8)
def _load_unit_cost_ranges(folder: str) -> dict[str, tuple[float, float]]:
    path = Path(folder) / "unit_cost_ranges.csv"
    if not path.exists():
        return {}

    def parse(row: dict[str, str]) -> tuple[str, tuple[float, float]]:
        return row["id"].strip(), (float(row["low"]), float(row["high"]))

    return dict(parsed_rows(path, parse))


def unit_cost_ranges() -> dict[str, tuple[float, float]]:
    """The public low and high of some unit costs (``unit_cost_ranges.csv``), by the id of their row in
    ``unit_costs.csv``: they give a template's cost line its ``price_range``."""
    return _load_unit_cost_ranges(str(data_dir()))


# ------------------------------------------------------------------------------------------- templates

TEMPLATE_LINE_KEYS = {"item", "kind", "ref", "factor", "factor_ref", "factor_note", "unit_cost", "lifetime",
                      "lifetime_ref", "replace_existing", "price_trend", "gfs_class", "pay_existing",
                      "economic_class", "cofog", "budget_type", "budget_code", "execution"}
TEMPLATE_KEYS = {"name", "pillar", "driver", "start_share", "target_share", "rollout", "cost", "outcome", "milestone"}


@lru_cache(maxsize=8)
def _load_templates(folder: str) -> dict[str, dict[str, Any]]:
    path = Path(folder) / "templates.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"data file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: malformed TOML: {exc}") from exc
    library = _load_unit_costs(folder)
    ranges = _load_unit_cost_ranges(folder)
    out: dict[str, dict[str, Any]] = {}
    for name, tpl in raw.items():
        unknown = set(tpl) - TEMPLATE_KEYS
        if unknown:
            raise DataError(f"{path}: template {name!r} has unknown keys {sorted(unknown)}")
        lines = []
        for j, line in enumerate(tpl.get("cost", [])):
            where = f"{path}: template {name!r} cost[{j}]"
            if set(line) - TEMPLATE_LINE_KEYS:
                raise DataError(f"{where}: unknown keys {sorted(set(line) - TEMPLATE_LINE_KEYS)}")
            lines.append(_expand_line(line, library, where, ranges))
        out[name] = {**{k: v for k, v in tpl.items() if k != "cost"}, "cost": lines}
    return out


def _library_row(library: dict[str, UnitCost], key: str, line: dict[str, Any], where: str) -> UnitCost:
    row = library.get(line[key])
    if row is None:
        raise DataError(f"{where}: {key} {line[key]!r} is not in unit_costs.csv")
    return row


def _expand_line(line: dict[str, Any], library: dict[str, UnitCost], where: str,
                 ranges: dict[str, tuple[float, float]] | None = None) -> dict[str, Any]:
    """A template cost line -> a scenario cost line: the unit cost from the library, its source in source_note.

    ``unit_cost = value(ref) x factor x value(factor_ref)``; the note shows each term and cites every row used.
    """
    out: dict[str, Any] = {k: line[k] for k in ("item", "kind", "lifetime", "replace_existing", "price_trend",
                                                "gfs_class", "pay_existing", "economic_class", "cofog",
                                                "budget_type", "budget_code", "execution") if k in line}
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
        out["currency"] = "USD"
        if ranges and row.id in ranges:  # the public range of the row, times the same factors
            low, high = ranges[row.id]
            out["price_range"] = [low * factor, high * factor]
        if row.year is not None:
            out["price_year"] = row.year
        text = f"{row.source} [unit_costs.csv: {' '.join([f'{row.id} = {row.value:,.10g} {row.unit}', *terms])}]"
        placeholder |= row.placeholder
    elif "unit_cost" in line:
        out["unit_cost"] = float(line["unit_cost"]) * factor
        out["currency"] = "USD"
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


def templates() -> dict[str, dict[str, Any]]:
    """Programme templates of the data folder, expanded to scenario fields (``cost`` lines with numbers)."""
    return _load_templates(str(data_dir()))


def template_programme_id(name: str) -> str:
    """The default programme id of a template: its name in lower_snake_case."""
    return name.replace("-", "_")


# ------------------------------------------------------------------------------------- prices and the DSF


@dataclass(frozen=True)
class MacroData:
    """Data the price layer reads besides the scenario: consumer price indices by currency and year (to deflate a
    price quoted before start_year) and the LIC-DSF thresholds by debt-carrying capacity (in the order of
    :data:`~dfl_finance.vocabulary.DSF_RATIOS`)."""

    cpi: Mapping[str, Mapping[int, float]] = dataclasses.field(default_factory=dict)
    thresholds: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    #: The benchmark of PV of total public debt / GDP by capacity (the row ``pv_public_debt_gdp`` of the file).
    public_benchmarks: Mapping[str, float] = dataclasses.field(default_factory=dict)
    #: The observed exchange rates (local currency per USD, annual averages) of ``price_history.csv``, by currency
    #: and year, each with its source: the default exchange rate of a profile's scenario (:func:`observed_fx`).
    fx: Mapping[str, Mapping[int, "Observation"]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """One sourced value of ``price_history.csv`` (an exchange rate): the value, its year and its provenance."""

    currency: str
    value: float
    year: int
    source: str
    confidence: str
    placeholder: bool


def observed_fx(currency: str, year: int, data: MacroData | None = None) -> Observation | None:
    """The latest exchange rate of ``currency`` (per USD) that ``price_history.csv`` has for ``year`` or a year
    before it (None if it has none): the default rate of a scenario whose price year is ``year``."""
    rows = (macro_data() if data is None else data).fx.get(currency, {})
    years = [y for y in rows if y <= year]
    return rows[max(years)] if years else None


@dataclass(frozen=True)
class RerTrend:
    """The average yearly change of a currency's real exchange rate against the USD, ``X x U / I``, between two
    years of ``price_history.csv`` (:func:`real_exchange_trend`)."""

    currency: str
    rate: float  # [1/yr] > 0: the local currency loses real value
    first: int
    last: int


def real_exchange_trend(currency: str, year: int, data: MacroData | None = None) -> RerTrend | None:
    """The trend of the real exchange rate of ``currency`` up to ``year``: ``(R_l / R_f) ** (1 / (l - f)) - 1``
    with ``R = X x U / I`` (exchange rate per USD, US and local consumer price indices) in the first year ``f`` and
    the last year ``l <= year`` in which ``price_history.csv`` has all three; None with fewer than two such years.

    Examples
    --------
    >>> d = MacroData(cpi={"USD": {2020: 100.0, 2022: 110.0}, "XYZ": {2020: 100.0, 2022: 121.0}},
    ...               fx={"XYZ": {y: Observation("XYZ", x, y, "", "", False) for y, x in ((2020, 10.0), (2022, 13.2))}})
    >>> t = real_exchange_trend("XYZ", 2026, d); (t.first, t.last, round(t.rate, 6))
    (2020, 2022, 0.095445)
    """
    data = macro_data() if data is None else data
    fx, local, usd = data.fx.get(currency, {}), data.cpi.get(currency, {}), data.cpi.get("USD", {})
    years = sorted(y for y in fx if y <= year and y in local and y in usd)
    if len(years) < 2:
        return None
    f, last = years[0], years[-1]
    real = {y: fx[y].value * usd[y] / local[y] for y in (f, last)}
    return RerTrend(currency, float((real[last] / real[f]) ** (1.0 / (last - f)) - 1.0), f, last)


class _Series(Mapping[str, Mapping[int, _Value]]):
    """One series (``cpi`` or ``fx``) of a :class:`GroupedRows` of ``price_history.csv``, by currency: a currency
    is read when it is first asked for; a currency without rows of the series is not in it."""

    def __init__(self, groups: GroupedRows[dict[str, dict[int, Any]]], series: str) -> None:
        self._groups, self._series = groups, series

    def __getitem__(self, currency: str) -> Mapping[int, _Value]:
        found: Mapping[int, _Value] = self._groups[currency].get(self._series, {})
        if not found:
            raise KeyError(currency)
        return found

    def __contains__(self, currency: object) -> bool:
        return isinstance(currency, str) and currency in self._groups and bool(
            self._groups[currency].get(self._series))

    def __iter__(self) -> Iterator[str]:
        return (c for c in self._groups if c in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@lru_cache(maxsize=8)
def _load_macro_data(folder: str) -> MacroData:
    cpi: Mapping[str, Mapping[int, float]] = {}
    fx: Mapping[str, Mapping[int, Observation]] = {}
    path = Path(folder) / "price_history.csv"
    if path.exists():
        def parse_price(row: dict[str, str]) -> tuple[str, int, float, Provenance]:
            return row["series"].strip(), int(row["year"]), float(row["value"]), _provenance(row)

        def currency_rows(currency: str, rows: list[tuple[int, dict[str, str]]]) -> dict[str, dict[int, Any]]:
            out: dict[str, dict[int, Any]] = {}
            for series, year, value, prov in _parsed_group(path, rows, parse_price):
                if series == "cpi":
                    out.setdefault(series, {})[year] = value
                elif series == "fx":
                    out.setdefault(series, {})[year] = Observation(currency, value, year, prov["source"],
                                                                   prov["confidence"], prov["placeholder"])
            return out

        groups = GroupedRows(path, currency_rows)
        cpi, fx = _Series(groups, "cpi"), _Series(groups, "fx")
    thresholds: dict[str, dict[str, float]] = {}
    path = Path(folder) / "dsf_thresholds.csv"
    if path.exists():
        def parse_threshold(row: dict[str, str]) -> tuple[str, str, float]:
            return row["capacity"].strip(), row["ratio"].strip(), float(row["threshold"])

        for capacity, ratio, value in parsed_rows(path, parse_threshold):
            thresholds.setdefault(capacity, {})[ratio] = value
    return MacroData(cpi=cpi, thresholds={c: tuple(t[r] for r in DSF_RATIOS) for c, t in thresholds.items()
                                          if all(r in t for r in DSF_RATIOS)},
                     public_benchmarks={c: t[PUBLIC_DEBT_RATIO] for c, t in thresholds.items()
                                        if PUBLIC_DEBT_RATIO in t}, fx=fx)


def macro_data() -> MacroData:
    """Consumer price indices (``price_history.csv``) and LIC-DSF thresholds (``dsf_thresholds.csv``) of the data
    folder, as :class:`~dfl_finance.model.compile.MacroData`; a data folder without these files gives none."""
    return _load_macro_data(str(data_dir()))


def clear_caches() -> None:
    """Forget the data read so far (the next call reads data/ again, e.g. after editing a file)."""
    for loader in (_load_profiles, _load_terms, _load_unit_costs, _load_templates, _load_macro_data,
                   _load_unit_cost_ranges, _load_user_profiles):
        loader.cache_clear()

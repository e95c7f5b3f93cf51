"""Importers: read the public files a ministry analyst downloads into country-profile rows.

Each reader is pure (a file in, rows out; no network, no writing) and returns an :class:`Imported`: rows in the shape
of ``data/country_profiles.csv`` (``iso3, country, field, value, unit, year, source, confidence, placeholder``) for
the profile fields of :mod:`dfl_finance.inputs.profiles`, and the fields it could not fill with the reason.

Formats (each in the layout the publisher uses; docs/country-import.md describes them and their indicator codes):

* :func:`read_wdi`: World Bank World Development Indicators or EdStats, the bulk CSV (``WDICSV.csv`` /
  ``WDIData.csv``: ``Country Name, Country Code, Indicator Name, Indicator Code, 1960, ...``) or the API's CSV
  download (the same columns after 4 lines of metadata: ``Data Source``, ``Last Updated Date``).
* :func:`read_weo`: IMF World Economic Outlook database, the "entire database" file (``WEOApr2025all.xls``, really
  tab-separated text in UTF-16 or latin-1; ``n/a`` and ``--`` for missing values, thousands separators, a
  ``Scale`` column, ``Estimates Start After``, and a last line naming the edition).
* :func:`read_uis`: UNESCO Institute for Statistics Bulk Data Download Service (BDDS), a ``*_DATA_NATIONAL.csv``
  file (``indicator_id, country_id, year, value, magnitude, qualifier``) with, optionally, its ``*_LABEL.csv``
  (``indicator_id, indicator_label_en``).
* :func:`read_dsa`: a debt-sustainability analysis's baseline table typed as CSV (the layout defined here: ``#``
  lines naming the document, then ``row, unit, <year>, <year>, ...``).
* :func:`read_giga`: a Giga / Project Connect school list (``school_id_giga, school_name, latitude, longitude,
  connectivity, ...``).

:func:`combine` puts several readers' rows together (one row per field, by :data:`IMPORT_ORDER`) and
:func:`merge_rows` writes them into the rows of a profiles CSV without overwriting a sourced value with a
placeholder.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from dfl_finance.errors import DataError
from dfl_finance.inputs.profiles import (
    _DEBT_PROFILE_FIELD,
    CONTEXT_FIELDS,
    DEBT_FIELDS,
    MACRO_FIELDS,
    TEXT_FIELDS,
)

#: The columns of ``data/country_profiles.csv``, in order.
PROFILE_COLUMNS = ("iso3", "country", "field", "value", "unit", "year", "source", "confidence", "placeholder")
#: Every field a complete profile has (``country import`` says which of them are still missing).
PROFILE_FIELDS: tuple[str, ...] = tuple(dict.fromkeys((
    "currency", "income_group", *CONTEXT_FIELDS, "connected_share", *MACRO_FIELDS,
    *(_DEBT_PROFILE_FIELD.get(f, f) for f in DEBT_FIELDS), *TEXT_FIELDS)))
#: The order in which :func:`combine` prefers the readers' rows for the same field: the DSA (the document the
#: debt-sustainability framework itself uses), the school list (the schools themselves), UIS, WEO, WDI.
IMPORT_ORDER = ("dsa", "giga", "uis", "weo", "wdi")
#: Fields whose order differs: the counts of learners and teachers from the statistics (a school list rarely has
#: them for every school, and a partial list undercounts).
FIELD_ORDER = {"learners": ("uis", "wdi", "giga"), "teachers": ("uis", "wdi", "giga")}


class ImportFormatError(DataError):
    """A file that is not in the format its importer reads: the message names the file and what was expected."""

    def __init__(self, path: str | Path, expected: str) -> None:
        self.path, self.expected = str(path), expected
        super().__init__(f"{path}: {expected}")


@dataclass(frozen=True)
class ProfileRow:
    """One row of a profiles CSV (``data/country_profiles.csv``)."""

    iso3: str
    country: str
    field: str
    value: float | str  # text for TEXT_FIELDS
    unit: str
    year: int | None
    source: str
    confidence: str  # H, M or L
    placeholder: bool = False

    def as_csv(self) -> dict[str, str]:
        """The row as the CSV writes it (numbers without a trailing ``.0``; ``true``/``false``)."""
        value = self.value if isinstance(self.value, str) else _plain(self.value)
        return {"iso3": self.iso3, "country": self.country, "field": self.field, "value": value,
                "unit": self.unit, "year": "" if self.year is None else str(self.year), "source": self.source,
                "confidence": self.confidence, "placeholder": "true" if self.placeholder else "false"}


@dataclass(frozen=True)
class Imported:
    """What a reader found for one country: ``rows`` (one per profile field filled) and ``missing`` (field -> why
    this file could not fill it), and the country's name as the file spells it (empty if it has none)."""

    dataset: str
    iso3: str
    country: str
    rows: tuple[ProfileRow, ...]
    missing: dict[str, str] = field(default_factory=dict)

    def by_field(self) -> dict[str, ProfileRow]:
        return {r.field: r for r in self.rows}


# ------------------------------------------------------------------------------------------------ helpers


def _plain(value: float) -> str:
    """A number as ``data/country_profiles.csv`` writes it: whole numbers in full (``80500000000``), others to 10
    significant digits (``2468.354430``)."""
    if float(value).is_integer() and abs(value) < 1e18:
        return str(int(value))
    return f"{value:.10g}"


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Around the reading of ``path``: a file missing, a folder or unreadable is an :class:`ImportFormatError`
    naming ``what`` was expected."""
    try:
        yield
    except FileNotFoundError:
        raise ImportFormatError(path, f"file not found (expected {what})") from None
    except IsADirectoryError:
        raise ImportFormatError(path, f"is a folder (expected {what})") from None
    except OSError as exc:
        raise ImportFormatError(path, f"cannot be read ({exc.strerror or exc}; expected {what})") from None


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a file that starts with ``head`` (its first two bytes or more): ``utf-16`` with a
    byte-order mark, ``utf-16-le`` for a zero second byte (little-endian without one, as the WEO files from October
    2020), else None."""
    return "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le" if head[1:2] == b"\x00" else None


def _text(path: Path, what: str, encodings: Sequence[str] = ("utf-8-sig",)) -> str:
    """The text of ``path``: UTF-16 when it starts with a byte-order mark (or, without one, looks like
    little-endian UTF-16: a zero second byte), else the first of ``encodings`` that decodes it."""
    with _reading(path, what):
        raw = path.read_bytes()
    utf16 = _utf16(raw)
    if utf16:
        try:
            return raw.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise ImportFormatError(path, f"not readable as UTF-16 text (expected {what})") from None
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ImportFormatError(path, f"not a text file in {' or '.join(encodings)} (expected {what})")


def _encoding(path: Path, what: str) -> str:
    """The encoding to read ``path`` in without holding it in memory: UTF-16 when it starts with a byte-order
    mark, else UTF-8 (a BOM allowed) if every byte decodes, else latin-1."""
    with _reading(path, what), path.open("rb") as fh:
        utf16 = _utf16(fh.read(2))
        if utf16:
            return utf16
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "latin-1"
    return "utf-8-sig"


def _number(text: str | None) -> float | None:
    """A number from a data cell: thousands separators dropped; empty, ``n/a``, ``--``, ``..`` are missing."""
    if text is None:
        return None
    t = text.strip().replace(",", "")
    if t.lower() in ("", "n/a", "na", "--", "..", "-", "nan"):
        return None
    try:
        v = float(t)
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def _year_columns(header: Sequence[str]) -> dict[int, int]:
    """``{year: column index}`` of the header cells that are a four-digit year (``"2024"`` or ``"2024 [YR2024]"``)."""
    out: dict[int, int] = {}
    for j, name in enumerate(header):
        m = re.fullmatch(r"\s*(\d{4})(?:\s*\[YR\d{4}\])?\s*", name)
        if m:
            out[int(m.group(1))] = j
    return out


def _latest(series: Mapping[int, float], up_to: int | None = None) -> tuple[int, float] | None:
    """The latest ``(year, value)`` of a series (at or before ``up_to`` if given); None if it has no value."""
    years = [y for y in series if up_to is None or y <= up_to]
    return (max(years), series[max(years)]) if years else None


def _latest_common(*series: Mapping[int, float]) -> int | None:
    """The latest year in which every series has a value (None if there is none)."""
    years = set(series[0]).intersection(*series[1:]) if series else set()
    return max(years) if years else None


def _need_currency(currency: str | None, field_name: str, missing: dict[str, str]) -> bool:
    if currency:
        return True
    missing[field_name] = "the local currency is not known: give the ISO 4217 code (--currency)"
    return False


# ------------------------------------------------------------------------------------------- World Bank WDI

#: WDI indicator code -> (profile field, factor to the profile's unit, unit). ``{cur}`` is the local currency.
WDI_CODES: dict[str, tuple[str, float, str]] = {
    "NY.GDP.MKTP.CD": ("gdp", 1.0, "USD/yr"),
    "NY.GDP.MKTP.KD.ZG": ("gdp_growth", 0.01, "1/yr"),
    "FP.CPI.TOTL.ZG": ("inflation", 0.01, "1/yr"),
    "PA.NUS.FCRF": ("fx_rate", 1.0, "{cur}/USD"),
    "NE.EXP.GNFS.CD": ("exports", 1.0, "USD/yr"),
    "DT.TDS.DPPG.CD": ("external_debt_service", 1.0, "USD/yr"),
}
#: WDI codes used in derived values: revenue (% of GDP x GDP), education spending (% of GDP x GDP in local
#: currency), learners and teachers (primary + secondary), external debt (face value, a proxy of its PV).
WDI_REVENUE, WDI_GDP_LCU, WDI_EDU_GDP, WDI_EDU_GOV = ("GC.REV.XGRT.GD.ZS", "NY.GDP.MKTP.CN", "SE.XPD.TOTL.GD.ZS",
                                                      "SE.XPD.TOTL.GB.ZS")
WDI_LEARNERS, WDI_TEACHERS = ("SE.PRM.ENRL", "SE.SEC.ENRL"), ("SE.PRM.TCHR", "SE.SEC.TCHR")
#: The private shares of primary and secondary enrolment (% of the level's total): with both, of the counts' year,
#: the counts are scoped to PUBLIC schools, ``count x (1 - share / 100)`` level by level (issue 23's scope).
WDI_PRIVATE = ("SE.PRM.PRIV.ZS", "SE.SEC.PRIV.ZS")
WDI_DEBT_STOCK = "DT.DOD.DPPG.CD"
_WDI_HEADER = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")
_WDI_EXPECTED = ("a World Bank WDI/EdStats CSV: the bulk file (WDICSV.csv) with the header \"Country Name\", "
                 "\"Country Code\", \"Indicator Name\", \"Indicator Code\", \"1960\", ..., or the API's CSV download "
                 "(the same header after 4 lines of metadata)")


@dataclass(frozen=True)
class WdiTable:
    """One country's rows of a WDI/EdStats CSV: the metadata lines before the header, ``data`` (indicator code ->
    {year: value}), the indicators' names, and the country's name as the file spells it."""

    meta: dict[str, str]
    data: dict[str, dict[int, float]]
    names: dict[str, str]
    country: str


def read_wdi_table(path: str | Path, iso3: str) -> WdiTable:
    """The series of ``iso3`` in a World Bank WDI (or EdStats) CSV, as :func:`read_wdi` reads them (the bulk file or
    the API's download); a file in another layout is an :class:`ImportFormatError`."""
    path = Path(path)
    iso3 = iso3.upper()
    meta: dict[str, str] = {}
    data: dict[str, dict[int, float]] = {}
    names: dict[str, str] = {}
    country = ""
    with path.open(encoding=_encoding(path, _WDI_EXPECTED), newline="") as fh:  # read as it goes: a bulk file
        reader = csv.reader(fh)                                                   # is hundreds of MB
        try:
            for _ in range(10):
                cells = next(reader, None)
                if cells is None:
                    break
                if tuple(c.strip() for c in cells[:4]) == _WDI_HEADER:
                    header = cells
                    break
                if len(cells) >= 2 and cells[0].strip():
                    meta[cells[0].strip()] = cells[1].strip()
            else:
                cells = None
            if cells is None:
                raise ImportFormatError(path, _WDI_EXPECTED)
            years = _year_columns(header)
            if not years:
                raise ImportFormatError(path, _WDI_EXPECTED + " (no year columns found)")
            for cells in reader:
                if len(cells) < 4 or cells[1].strip().upper() != iso3:
                    continue
                country = cells[0].strip()
                code = cells[3].strip()
                names[code] = cells[2].strip()
                data[code] = {y: v for y, j in years.items()
                              if j < len(cells) and (v := _number(cells[j])) is not None}
        except csv.Error as exc:
            raise ImportFormatError(path, f"{_WDI_EXPECTED} (line {reader.line_num}: {exc})") from None
    return WdiTable(meta, data, names, country)


def read_wdi(path: str | Path, iso3: str, *, currency: str | None = None, vintage: str | None = None,
             dataset: str = "World Development Indicators") -> Imported:
    """Profile rows for ``iso3`` from a World Bank WDI (or EdStats) CSV: each indicator's latest year with a value.

    Parameters
    ----------
    path : the bulk CSV (``WDICSV.csv``/``WDIData.csv``) or the API's CSV download (metadata lines first).
    iso3 : the country (``Country Code``).
    currency : ISO 4217 code of the local currency: the unit of ``fx_rate`` and ``education_budget`` (a WDI file
        does not name it); without it these two are reported missing.
    vintage : the edition, for the source text (default: the file's ``Last Updated Date`` if it has one).
    dataset : the database's name in the source text (``Education Statistics`` for EdStats).

    Notes
    -----
    ``revenue = GC.REV.XGRT.GD.ZS / 100 x NY.GDP.MKTP.CD`` (revenue excluding grants, USD) and
    ``education_budget = SE.XPD.TOTL.GD.ZS / 100 x NY.GDP.MKTP.CN`` (government expenditure on education, local
    currency: an outturn of general government, not a budget) in the latest year both have;
    ``public_expenditure = education_budget / (SE.XPD.TOTL.GB.ZS / 100)`` in the same year (so that the profile's
    education share of public expenditure is the published one); ``learners = SE.PRM.ENRL + SE.SEC.ENRL`` and
    ``teachers = SE.PRM.TCHR + SE.SEC.TCHR`` (primary + secondary, public and private) in the latest year both
    have, scoped to public schools where the file has both private shares of enrolment (``SE.PRM.PRIV.ZS``,
    ``SE.SEC.PRIV.ZS``) of that year: each level's count x (1 - its share / 100), the teachers split as the pupils;
    ``pv_external_debt`` = ``DT.DOD.DPPG.CD``, the face value of PPG external debt, a proxy that overstates
    the present value of concessional debt (confidence L).
    """
    table = read_wdi_table(path, iso3)
    iso3, meta, data, names, country = iso3.upper(), table.meta, table.data, table.names, table.country
    vintage = vintage or (f"last updated {meta['Last Updated Date']}" if meta.get("Last Updated Date") else
                          "vintage not stated in the file")

    def source(codes: Iterable[str], year: int, how: str = "") -> str:
        cited = "; ".join(f'{c} "{names.get(c, c)}"' for c in codes)
        return f"World Bank, {dataset} ({vintage}): {cited}, {year}{how}"

    rows: list[ProfileRow] = []
    missing: dict[str, str] = {}
    year: int | None
    if not data:
        return Imported("wdi", iso3, country, (), {f: f"no rows for {iso3} in the file" for f in
                                                   _wdi_fields()})
    for code, (name, factor, unit) in WDI_CODES.items():
        found = _latest(data.get(code, {}))
        if found is None:
            missing[name] = f"{code} has no value for {iso3}"
            continue
        if "{cur}" in unit and not _need_currency(currency, name, missing):
            continue
        year, value = found
        rows.append(ProfileRow(iso3, country, name, value * factor, unit.format(cur=currency), year,
                               source([code], year), "H"))
    gdp = data.get("NY.GDP.MKTP.CD", {})
    year = _latest_common(data.get(WDI_REVENUE, {}), gdp)
    if year is None:
        missing["revenue"] = f"{WDI_REVENUE} and NY.GDP.MKTP.CD have no common year"
    else:
        share = data[WDI_REVENUE][year]
        rows.append(ProfileRow(iso3, country, "revenue", share / 100 * gdp[year], "USD/yr", year,
                               source([WDI_REVENUE, "NY.GDP.MKTP.CD"], year,
                                      f"; derived: {share:g}% of GDP x GDP (revenue excluding grants)"), "H"))
    edu, gdp_lcu = data.get(WDI_EDU_GDP, {}), data.get(WDI_GDP_LCU, {})
    year = _latest_common(edu, gdp_lcu)
    if year is None:
        missing["education_budget"] = f"{WDI_EDU_GDP} and {WDI_GDP_LCU} have no common year"
    elif _need_currency(currency, "education_budget", missing):
        rows.append(ProfileRow(iso3, country, "education_budget", edu[year] / 100 * gdp_lcu[year],
                               f"{currency}/yr", year,
                               source([WDI_EDU_GDP, WDI_GDP_LCU], year,
                                      f"; derived: {edu[year]:g}% of GDP x GDP in local currency. Government "
                                      "expenditure on education (all levels, general government, outturn; "
                                      "including externally financed spending that passes through the budget), "
                                      "not a budget"), "M"))
    gov_share = data.get(WDI_EDU_GOV, {})
    if year is not None and currency and gov_share.get(year):
        spent = edu[year] / 100 * gdp_lcu[year]
        rows.append(ProfileRow(iso3, country, "public_expenditure", spent / (gov_share[year] / 100), f"{currency}/yr",
                               year, source([WDI_EDU_GDP, WDI_GDP_LCU, WDI_EDU_GOV], year,
                                            f"; derived: the education spending above over its share of government "
                                            f"expenditure, {gov_share[year]:g}% (general government, outturn)"), "M"))
    for name, codes, scope in (("learners", WDI_LEARNERS, "pupils"), ("teachers", WDI_TEACHERS, "teachers")):
        year = _latest_common(*(data.get(c, {}) for c in codes))
        if year is None:
            missing[name] = f"{' and '.join(codes)} have no common year"
            continue
        private = [data.get(c, {}).get(year) for c in WDI_PRIVATE]
        if all(p is not None and 0 <= p <= 100 for p in private):
            shares = [float(p) for p in private if p is not None]
            value = sum(data[c][year] * (1 - sh / 100) for c, sh in zip(codes, shares))
            rows.append(ProfileRow(
                iso3, country, name, value, name, year, source(
                    (*codes, *WDI_PRIVATE), year, f"; primary + secondary {scope} in PUBLIC schools: each level's "
                    f"count x (1 - its private share of enrolment: {shares[0]:g}%, {shares[1]:g}%)" + (
                        "; the teachers are assumed split between public and private schools as the pupils are "
                        "(the WDI gives no private share of teachers)" if name == "teachers" else "")),
                "M" if name == "teachers" else "H"))
            continue
        rows.append(ProfileRow(iso3, country, name, sum(data[c][year] for c in codes), name, year,
                               source(codes, year, f"; primary + secondary {scope}, public and private"), "H"))
    found = _latest(data.get(WDI_DEBT_STOCK, {}))
    if found is None:
        missing["pv_external_debt"] = f"{WDI_DEBT_STOCK} has no value for {iso3}"
    else:
        year, value = found
        rows.append(ProfileRow(iso3, country, "pv_external_debt", value, "USD", year,
                               source([WDI_DEBT_STOCK], year, "; PROXY: the face value of PPG external debt, "
                                      "which overstates its present value where the debt is concessional (a DSA "
                                      "gives the PV)"), "L"))
    return Imported("wdi", iso3, country, tuple(rows), missing)


def _wdi_fields() -> tuple[str, ...]:
    return (*(f for f, _, _ in WDI_CODES.values()), "revenue", "education_budget", "learners", "teachers",
            "pv_external_debt")


# ------------------------------------------------------------------------------------------------- IMF WEO

#: WEO subject code -> (profile field, kind): ``level`` fields take the latest actual year (at or before
#: ``Estimates Start After``), ``rate`` fields the last projection year (the medium term).
WEO_CODES: dict[str, tuple[str, str]] = {
    "NGDPD": ("gdp", "level"),
    "NGDP_RPCH": ("gdp_growth", "rate"),
    "PCPIPCH": ("inflation", "rate"),
}
#: WEO codes used in derived values: revenue (general government revenue, % of GDP, x NGDPD) and the exchange rate
#: implied by GDP in national currency over GDP in USD.
WEO_REVENUE, WEO_GDP_LCU = "GGR_NGDP", "NGDP"
_WEO_HEADER = ("WEO Country Code", "ISO", "WEO Subject Code")
_WEO_EXPECTED = ("an IMF WEO database file (WEO<Mon><YYYY>all.xls: tab-separated text with the columns \"WEO "
                 "Country Code\", \"ISO\", \"WEO Subject Code\", \"Country\", ..., \"Units\", \"Scale\", years, "
                 "\"Estimates Start After\")")
_SCALES = {"": 1.0, "units": 1.0, "thousands": 1e3, "millions": 1e6, "billions": 1e9, "trillions": 1e12}


@dataclass(frozen=True)
class _WeoSeries:
    values: dict[int, float]
    units: str
    descriptor: str
    estimates_after: int | None


def read_weo(path: str | Path, iso3: str, *, currency: str | None = None, vintage: str | None = None) -> Imported:
    """Profile rows for ``iso3`` from an IMF World Economic Outlook database file.

    ``gdp`` (``NGDPD`` x its ``Scale``) in the latest actual year (at or before the row's ``Estimates Start
    After``); ``gdp_growth`` (``NGDP_RPCH``) and ``inflation`` (``PCPIPCH``, annual average) in the last projection
    year, the medium term; ``revenue = GGR_NGDP / 100 x NGDPD`` in the latest actual year (general government,
    INCLUDING grants); ``fx_rate = NGDP / NGDPD`` (national currency per USD, implied by GDP: the WEO has no
    exchange-rate series in its public file); ``usd_inflation`` from the United States' ``PCPIPCH`` when the
    file has it. ``vintage`` defaults to the edition named in the file's last line
    (``International Monetary Fund, World Economic Outlook Database, April 2025``).
    """
    path = Path(path)
    iso3 = iso3.upper()
    text = _text(path, _WEO_EXPECTED, ("utf-8-sig", "latin-1"))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or tuple(c.strip() for c in lines[0].split("\t")[:3]) != _WEO_HEADER:
        raise ImportFormatError(path, _WEO_EXPECTED)
    header = [c.strip() for c in lines[0].split("\t")]
    col = {name: j for j, name in enumerate(header)}
    years = _year_columns(header)
    if not years or "Units" not in col or "Scale" not in col:
        raise ImportFormatError(path, _WEO_EXPECTED + " (no year, Units or Scale columns)")
    if vintage is None:
        last = lines[-1].strip()
        vintage = last if "World Economic Outlook" in last else "edition not stated in the file"
        vintage = vintage.removeprefix("International Monetary Fund, ").removeprefix(
            "World Economic Outlook Database, ").strip()
    series: dict[tuple[str, str], _WeoSeries] = {}
    country = ""
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) < len(header) - 1 or cells[col["ISO"]].strip().upper() not in (iso3, "USA"):
            continue
        who, code = cells[col["ISO"]].strip().upper(), cells[col["WEO Subject Code"]].strip()
        if who == iso3 and "Country" in col:
            country = cells[col["Country"]].strip()
        scale = _SCALES.get(cells[col["Scale"]].strip().lower(), 1.0)
        esa = _number(cells[col["Estimates Start After"]]) if "Estimates Start After" in col and \
            col["Estimates Start After"] < len(cells) else None
        values = {y: v * scale for y, j in years.items() if j < len(cells) and (v := _number(cells[j])) is not None}
        series[(who, code)] = _WeoSeries(values, cells[col["Units"]].strip(),
                                         cells[col.get("Subject Descriptor", col["Units"])].strip(),
                                         None if esa is None else int(esa))

    def source(codes: Iterable[str], year: int, how: str = "", who: str = iso3) -> str:
        cited = "; ".join(f'{c} "{series[(who, c)].descriptor}, {series[(who, c)].units}"' for c in codes)
        return f"IMF, World Economic Outlook Database ({vintage}): {cited}, {year}{how}"

    def pick(who: str, code: str, kind: str) -> tuple[int, float] | None:
        s = series.get((who, code))
        if s is None:
            return None
        if kind == "rate":
            return _latest(s.values)
        return _latest(s.values, s.estimates_after)

    def tag(who: str, code: str, year: int) -> str:
        esa = series[(who, code)].estimates_after
        return " (projection)" if esa is not None and year > esa else ""

    rows: list[ProfileRow] = []
    missing: dict[str, str] = {}
    year: int | None
    if not any(who == iso3 for who, _ in series):
        return Imported("weo", iso3, country, (), {f: f"no rows for {iso3} in the file" for f in
                                                   ("gdp", "gdp_growth", "inflation", "revenue", "fx_rate")})
    for code, (name, kind) in WEO_CODES.items():
        found = pick(iso3, code, kind)
        if found is None:
            missing[name] = f"{code} has no value for {iso3}"
            continue
        year, value = found
        factor, unit = (0.01, "1/yr") if kind == "rate" else (1.0, "USD/yr")
        rows.append(ProfileRow(iso3, country, name, value * factor, unit, year,
                               source([code], year, tag(iso3, code, year)), "H"))
    found = pick("USA", "PCPIPCH", "rate")
    if found is not None:
        year, value = found
        rows.append(ProfileRow(iso3, country, "usd_inflation", value / 100, "1/yr", year,
                               source(["PCPIPCH"], year, f" (United States){tag('USA', 'PCPIPCH', year)}",
                                      who="USA"), "H"))
    else:
        missing["usd_inflation"] = "the file has no PCPIPCH row for the United States (USA)"
    gdp = series.get((iso3, "NGDPD"))
    share = series.get((iso3, WEO_REVENUE))
    year = None if gdp is None or share is None else _latest_common(
        {y: v for y, v in share.values.items() if share.estimates_after is None or y <= share.estimates_after},
        gdp.values)
    if year is None or gdp is None or share is None:
        missing["revenue"] = f"{WEO_REVENUE} and NGDPD have no common actual year for {iso3}"
    else:
        rows.append(ProfileRow(iso3, country, "revenue", share.values[year] / 100 * gdp.values[year], "USD/yr",
                               year, source([WEO_REVENUE, "NGDPD"], year,
                                            f"; derived: {share.values[year]:g}% of GDP x GDP in USD. General "
                                            "government revenue INCLUDING grants (the profile's revenue excludes "
                                            "them where the source allows)"), "M"))
    lcu = series.get((iso3, WEO_GDP_LCU))
    year = None if gdp is None or lcu is None else _latest_common(
        {y: v for y, v in lcu.values.items() if lcu.estimates_after is None or y <= lcu.estimates_after},
        gdp.values)
    if year is None or gdp is None or lcu is None:
        missing["fx_rate"] = f"{WEO_GDP_LCU} and NGDPD have no common actual year for {iso3}"
    elif _need_currency(currency, "fx_rate", missing) and gdp.values[year] > 0:
        rows.append(ProfileRow(iso3, country, "fx_rate", lcu.values[year] / gdp.values[year], f"{currency}/USD",
                               year, source([WEO_GDP_LCU, "NGDPD"], year,
                                            "; derived: the exchange rate implied by GDP in national currency over "
                                            "GDP in USD (an annual average)"), "M"))
    return Imported("weo", iso3, country, tuple(rows), missing)


# --------------------------------------------------------------------------------------------------- UIS

#: UIS indicator id -> (profile field, factor, unit).
UIS_CODES: dict[str, tuple[str, float, str]] = {
    "SCHBSP.1.WINTERN": ("connected_share", 0.01, "share"),
}
#: UIS indicator label (``indicator_label_en`` of the labels file) -> the part it gives of a profile field: the
#: counts are the sum of the primary and secondary rows in the latest year both have.
UIS_LABELS: dict[str, tuple[str, str]] = {
    "Enrolment in primary education, both sexes (number)": ("learners", "primary"),
    "Enrolment in secondary education, both sexes (number)": ("learners", "secondary"),
    "Teachers in primary education, both sexes (number)": ("teachers", "primary"),
    "Teachers in secondary education, both sexes (number)": ("teachers", "secondary"),
}
_UIS_EXPECTED = ("a UIS bulk data (BDDS) file <DATASET>_DATA_NATIONAL.csv with the columns indicator_id, "
                 "country_id, year, value (magnitude, qualifier)")
_UIS_LABELS_EXPECTED = "a UIS bulk data labels file <DATASET>_LABEL.csv with the columns indicator_id, " \
                       "indicator_label_en"


def _csv_dicts(path: Path, expected: str, required: Sequence[str], key: str | None = None,
               keep: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV whose header has ``required`` (compared in lower case; the keys are lower case), read as it
    goes; with ``key`` and ``keep``, only the rows whose ``key`` column is ``keep`` (compared in upper case)."""
    with path.open(encoding=_encoding(path, expected), newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader, [])]
            if not set(required) <= set(header):
                raise ImportFormatError(path, expected)
            j = header.index(key) if key is not None else -1
            return [dict(zip(header, (c.strip() for c in cells))) for cells in reader
                    if cells and (j < 0 or (j < len(cells) and cells[j].strip().upper() == keep))]
        except csv.Error as exc:
            raise ImportFormatError(path, f"{expected} (line {reader.line_num}: {exc})") from None


def read_uis(path: str | Path, iso3: str, *, labels: str | Path | None = None, vintage: str | None = None,
             dataset: str = "") -> Imported:
    """Profile rows for ``iso3`` from a UIS bulk data file (and its labels file, which the counts need).

    ``connected_share`` = ``SCHBSP.1.WINTERN`` / 100 (the proportion of primary schools with access to the
    Internet for pedagogical purposes); ``learners`` and ``teachers`` = the primary + secondary counts (both sexes),
    found by their labels, in the latest year both have. ``dataset`` (e.g. ``SDG``, ``OPRI``) defaults to the file
    name's prefix.
    """
    path = Path(path)
    iso3 = iso3.upper()
    rows_in = _csv_dicts(path, _UIS_EXPECTED, ("indicator_id", "country_id", "year", "value"), "country_id", iso3)
    label_of: dict[str, str] = {}
    if labels is not None:
        for r in _csv_dicts(Path(labels), _UIS_LABELS_EXPECTED, ("indicator_id", "indicator_label_en")):
            label_of[r["indicator_id"]] = r["indicator_label_en"]
    dataset = dataset or path.name.split("_DATA")[0]
    vintage = vintage or "release not stated in the file"
    data: dict[str, dict[int, float]] = {}
    year: int | None
    for r in rows_in:
        if r["country_id"].upper() != iso3:
            continue
        v = _number(r["value"])
        try:
            year = int(r["year"])
        except ValueError:
            continue
        if v is not None:
            data.setdefault(r["indicator_id"], {})[year] = v

    def source(codes: Iterable[str], year: int, how: str = "") -> str:
        cited = "; ".join(f'{c}' + (f' "{label_of[c]}"' if c in label_of else "") for c in codes)
        return f"UNESCO Institute for Statistics, bulk data {dataset} ({vintage}): {cited}, {year}{how}"

    out: list[ProfileRow] = []
    missing: dict[str, str] = {}
    for code, (name, factor, unit) in UIS_CODES.items():
        found = _latest(data.get(code, {}))
        if found is None:
            missing[name] = f"{code} has no value for {iso3}"
            continue
        year, value = found
        out.append(ProfileRow(iso3, "", name, value * factor, unit, year,
                              source([code], year, "; primary schools"), "H"))
    for name in ("learners", "teachers"):
        parts = {part: code for code, label in label_of.items()
                 if (hit := UIS_LABELS.get(label)) is not None and hit[0] == name for part in (hit[1],)}
        if not labels:
            missing[name] = "the counts are found by their labels: give the labels file (--uis-labels)"
            continue
        if set(parts) != {"primary", "secondary"}:
            missing[name] = "the labels file has no primary and secondary rows of " + name
            continue
        codes = [parts["primary"], parts["secondary"]]
        year = _latest_common(*(data.get(c, {}) for c in codes))
        if year is None:
            missing[name] = f"{' and '.join(codes)} have no common year for {iso3}"
            continue
        out.append(ProfileRow(iso3, "", name, sum(data[c][year] for c in codes), name, year,
                              source(codes, year, "; primary + secondary, public and private"), "H"))
    return Imported("uis", iso3, "", tuple(out), missing)


# --------------------------------------------------------------------------------------------------- DSA

#: Rows of the DSA table layout: row name -> (kind, what it is).
DSA_ROWS = {
    "gdp": ("amount", "nominal GDP"),
    "exports": ("amount", "exports of goods and services"),
    "revenue": ("amount", "government revenue excluding grants"),
    "pv_external_debt_gdp": ("percent", "PV of PPG external debt, % of GDP"),
    "external_debt_service_exports": ("percent", "PPG external debt service, % of exports"),
    "external_debt_service_revenue": ("percent", "PPG external debt service, % of revenue"),
    "pv_public_debt_gdp": ("percent", "PV of total public debt, % of GDP"),
}
#: Units an amount row may have, and their factor to USD.
DSA_UNITS = {"USD": 1.0, "USD millions": 1e6, "USD billions": 1e9}
#: Metadata lines (``# key: value``) of the layout: the document cited and two text fields.
DSA_META = ("title", "date", "table", "country", "year", "debt_risk", "dsf_capacity")
_DSA_TEXT = {"debt_risk": ("low", "moderate", "high", "in-distress"), "dsf_capacity": ("weak", "medium", "strong")}
_DSA_EXPECTED = ("a DSA baseline table typed as CSV: lines '# title: ...', '# date: ...', '# table: ...' (and "
                 "optionally '# country:', '# year:', '# debt_risk:', '# dsf_capacity:'), then the header "
                 "'row,unit,<year>,<year>,...' and rows named " + ", ".join(DSA_ROWS) +
                 " (units: percent for the ratios; " + ", ".join(DSA_UNITS) + " for the amounts)")


def read_dsa(path: str | Path, iso3: str) -> Imported:
    """Profile rows for ``iso3`` from a DSA baseline table typed as CSV (the layout of :data:`DSA_ROWS`).

    The year read is ``# year:`` or else the table's first year column (the DSA's current year). ``gdp``,
    ``exports``, ``revenue`` in USD; ``pv_external_debt = pv_external_debt_gdp / 100 x gdp``;
    ``external_debt_service = external_debt_service_exports / 100 x exports`` (or ``..._revenue x revenue``);
    ``pv_public_debt = pv_public_debt_gdp / 100 x gdp``; ``debt_risk`` and ``dsf_capacity`` from the metadata.
    The source names the DSA's title, date and table.
    """
    path = Path(path)
    iso3 = iso3.upper()
    text = _text(path, _DSA_EXPECTED, ("utf-8-sig", "latin-1"))
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            key, sep, value = s.lstrip("#").partition(":")
            if sep and key.strip().lower() in DSA_META:
                meta[key.strip().lower()] = value.strip().strip('"')
        elif s:
            body.append(line)
    for key in ("title", "date", "table"):
        if not meta.get(key):
            raise ImportFormatError(path, f"no '# {key}:' line: " + _DSA_EXPECTED)
    if meta.get("country") and meta["country"].upper() != iso3:
        raise ImportFormatError(path, f"the table is for {meta['country']!r}, not {iso3!r} ('# country:' line)")
    reader = csv.reader(body)
    header = [h.strip() for h in next(reader, [])]
    years = _year_columns(header)
    if header[:2] != ["row", "unit"] or not years:
        raise ImportFormatError(path, _DSA_EXPECTED)
    try:
        year = int(meta["year"]) if meta.get("year") else min(years)
    except ValueError:
        raise ImportFormatError(path, f"'# year: {meta['year']}' is not a year") from None
    if year not in years:
        raise ImportFormatError(path, f"the year {year} ('# year:') has no column in the table")
    values: dict[str, float] = {}
    for cells in reader:
        if not cells or not cells[0].strip():
            continue
        name, unit = cells[0].strip(), (cells[1].strip() if len(cells) > 1 else "")
        if name not in DSA_ROWS:
            raise ImportFormatError(path, f"unknown row {name!r}: " + _DSA_EXPECTED)
        kind = DSA_ROWS[name][0]
        if (kind == "percent" and unit != "percent") or (kind == "amount" and unit not in DSA_UNITS):
            raise ImportFormatError(path, f"row {name!r} has unit {unit!r}: " + _DSA_EXPECTED)
        j = years[year]
        v = _number(cells[j]) if j < len(cells) else None
        if v is not None:
            values[name] = v * (DSA_UNITS[unit] if kind == "amount" else 1.0)
    cite = f"{meta['title']} ({meta['date']}), {meta['table']}"

    def source(names: Iterable[str], how: str = "") -> str:
        return f"{cite}: {', '.join(names)}, {year}{how}"

    rows: list[ProfileRow] = []
    missing: dict[str, str] = {}
    for name in ("gdp", "exports", "revenue"):
        if name in values:
            rows.append(ProfileRow(iso3, "", name, values[name], "USD/yr", year, source([name]), "H"))
        else:
            missing[name] = f"the table has no {name} row with a value for {year}"
    for name, ratio, base in (("pv_external_debt", "pv_external_debt_gdp", "gdp"),
                              ("external_debt_service", "external_debt_service_exports", "exports"),
                              ("external_debt_service", "external_debt_service_revenue", "revenue"),
                              ("pv_public_debt", "pv_public_debt_gdp", "gdp")):
        if any(r.field == name for r in rows):
            continue
        if ratio in values and base in values:
            missing.pop(name, None)
            unit = "USD" if name.startswith("pv_") else "USD/yr"
            rows.append(ProfileRow(iso3, "", name, values[ratio] / 100 * values[base], unit, year,
                                   source([ratio, base], f"; derived: {values[ratio]:g}% x {base}"), "H"))
        else:
            missing.setdefault(name, f"the table has no {ratio} and {base} rows with values for {year}")
    for name, allowed in _DSA_TEXT.items():
        value = meta.get(name, "").lower()
        if not value:
            missing[name] = f"no '# {name}:' line"
        elif value not in allowed:
            raise ImportFormatError(path, f"'# {name}: {meta[name]}' is not one of {', '.join(allowed)}")
        else:
            rows.append(ProfileRow(iso3, "", name, value, "code", int(meta['date'][:4]) if
                                   meta["date"][:4].isdigit() else year, f"{cite}: {name.replace('_', ' ')}", "H"))
    return Imported("dsa", iso3, "", tuple(rows), missing)


# -------------------------------------------------------------------------------------------------- Giga

_GIGA_EXPECTED = ("a Giga / Project Connect school list (CSV) with the columns school_id_giga, school_name, latitude, "
                  "longitude, connectivity (and optionally num_students, num_teachers, country_iso3_code)")
_YES, _NO = {"yes", "true", "1", "y", "t"}, {"no", "false", "0", "n", "f"}


def read_giga(path: str | Path, iso3: str, *, year: int | None = None, vintage: str | None = None) -> Imported:
    """Profile rows for ``iso3`` from a Giga school list: ``schools`` (the schools listed), ``connected_share``
    (the schools with ``connectivity`` yes over those with yes or no; unknown left out) and, when every school has
    them, ``learners`` and ``teachers`` (sums of ``num_students`` and ``num_teachers``). A ``country_iso3_code``
    (or ``iso3``) column, when there is one, selects the country's rows. ``year``: the year of the list (default:
    the latest ``school_data_collection_year`` if the list has one)."""
    path = Path(path)
    iso3 = iso3.upper()
    rows_in = _csv_dicts(path, _GIGA_EXPECTED, ("school_id_giga", "latitude", "longitude", "connectivity"))
    country_col = next((c for c in ("country_iso3_code", "iso3", "country_code") if rows_in and c in rows_in[0]),
                       None)
    if country_col is not None:
        rows_in = [r for r in rows_in if r[country_col].upper() == iso3]
    schools = {r["school_id_giga"] for r in rows_in if r["school_id_giga"]}
    if year is None and rows_in and "school_data_collection_year" in rows_in[0]:
        years = [int(y) for r in rows_in if (y := _number(r["school_data_collection_year"])) is not None]
        year = max(years) if years else None
    vintage = vintage or "download date not stated in the file"
    cite = f"Giga (UNICEF/ITU), school list of Project Connect / Giga Maps ({vintage})"
    out: list[ProfileRow] = []
    missing: dict[str, str] = {}
    if not schools:
        return Imported("giga", iso3, "", (), {f: f"no schools of {iso3} in the list" for f in
                                               ("schools", "connected_share")})
    n = len(schools)
    out.append(ProfileRow(iso3, "", "schools", float(n), "schools", year,
                          f"{cite}: {n:,} schools listed (school_id_giga); scope: the schools in the list", "M"))
    flags = [r["connectivity"].lower() for r in rows_in]
    yes, no = sum(f in _YES for f in flags), sum(f in _NO for f in flags)
    if yes + no:
        unknown = len(flags) - yes - no
        out.append(ProfileRow(iso3, "", "connected_share", yes / (yes + no), "share", year,
                              f"{cite}: {yes:,} of {yes + no:,} schools with a known connectivity are connected"
                              + (f" ({unknown:,} unknown, left out)" if unknown else ""), "M"))
    else:
        missing["connected_share"] = "no school has connectivity yes or no"
    for name, column in (("learners", "num_students"), ("teachers", "num_teachers")):
        counts = [_number(r.get(column)) for r in rows_in] if rows_in and column in rows_in[0] else []
        if not counts or any(c is None for c in counts):
            missing[name] = f"not every school has {column}" if counts else f"the list has no {column} column"
            continue
        total = sum(c for c in counts if c is not None)
        out.append(ProfileRow(iso3, "", name, total, name, year,
                              f"{cite}: the sum of {column} over the {n:,} schools listed", "M"))
    return Imported("giga", iso3, "", tuple(out), missing)


# ---------------------------------------------------------------------------------------- combine and merge


#: Why no importer fills some profile fields (said beside them when they are missing).
NOT_IMPORTED = {
    "income_group": "not in these files: the World Bank's country and lending groups (CLASS.xlsx) give it",
    "lending_category": "not in these files: the World Bank's country and lending groups (CLASS.xlsx) give it",
    "budget_growth": "an assumption about the future budget, not in any of these files",
    "currency": "give the ISO 4217 code (--currency)",
}


def combine(imported: Iterable[Imported], country: str = "") -> Imported:
    """One row per field from several readers' results: for each field the row of the first dataset in
    :data:`IMPORT_ORDER` (:data:`FIELD_ORDER` for some fields) that filled it. ``missing``: the fields of
    :data:`PROFILE_FIELDS` none filled, with every reader's reason. ``country``: the name for rows whose file
    does not spell it (default: the first name found)."""
    results = sorted(imported, key=lambda r: IMPORT_ORDER.index(r.dataset) if r.dataset in IMPORT_ORDER else 99)
    iso3 = results[0].iso3 if results else ""
    name = country or next((r.country for r in results if r.country), "") or iso3
    chosen: dict[str, ProfileRow] = {}
    for res in results:
        for row in res.rows:
            chosen.setdefault(row.field, replace(row, country=name))
    for f, order in FIELD_ORDER.items():
        ranked = [row for d in order for res in results if res.dataset == d for row in res.rows if row.field == f]
        if ranked:
            chosen[f] = replace(ranked[0], country=name)
    missing: dict[str, str] = {}
    for f in PROFILE_FIELDS:
        if f not in chosen:
            reasons = [f"{r.dataset}: {r.missing[f]}" for r in results if f in r.missing]
            missing[f] = "; ".join(reasons) if reasons else NOT_IMPORTED.get(f, "none of the files given has it")
    ordered = [chosen[f] for f in PROFILE_FIELDS if f in chosen] + [r for f, r in chosen.items()
                                                                    if f not in PROFILE_FIELDS]
    return Imported("+".join(r.dataset for r in results), iso3, name, tuple(ordered), missing)


@dataclass(frozen=True)
class MergeReport:
    """What :func:`merge_rows` did for the country: fields written (new or replaced), fields kept because the file
    had a sourced value and the import only a placeholder, and the profile fields still missing or placeholders."""

    written: tuple[ProfileRow, ...]
    kept: tuple[str, ...]
    missing: tuple[str, ...]
    placeholders: tuple[str, ...]


def merge_rows(existing: Sequence[Mapping[str, str]], imported: Imported) -> tuple[list[dict[str, str]],
                                                                                   MergeReport]:
    """The rows of a profiles CSV with ``imported``'s rows written in: a row for the same country and field is
    replaced in its place, unless it is sourced and the imported row is a placeholder (then it is kept); new fields
    follow the country's last row (or the end of the file). Other countries' rows are unchanged."""
    iso3 = imported.iso3
    out = [dict(r) for r in existing]
    index = {(r.get("iso3", "").strip().upper(), r.get("field", "").strip()): i for i, r in enumerate(out)}
    name = next((r["country"] for r in out if r.get("iso3", "").upper() == iso3 and r.get("country")), "")
    written: list[ProfileRow] = []
    kept: list[str] = []
    new_rows: list[dict[str, str]] = []
    for row in imported.rows:
        row = replace(row, country=name or row.country or iso3)
        i = index.get((iso3, row.field))
        if i is not None:
            if row.placeholder and out[i].get("placeholder", "").strip().lower() not in ("true", "1", "yes"):
                kept.append(row.field)
                continue
            out[i] = row.as_csv()
        else:
            new_rows.append(row.as_csv())
        written.append(row)
    last = max((i for (c, _), i in index.items() if c == iso3), default=len(out) - 1)
    out[last + 1:last + 1] = new_rows
    have = {r["field"].strip(): r.get("placeholder", "").strip().lower() in ("true", "1", "yes")
            for r in out if r.get("iso3", "").strip().upper() == iso3}
    return out, MergeReport(tuple(written), tuple(kept), tuple(f for f in PROFILE_FIELDS if f not in have),
                            tuple(f for f in PROFILE_FIELDS if have.get(f)))


def read_profile_rows(path: str | Path) -> list[dict[str, str]]:
    """The rows of a profiles CSV (none if the file does not exist); a file with other columns is an error."""
    path = Path(path)
    if not path.exists():
        return []
    text = _text(path, "a country profiles CSV (" + ",".join(PROFILE_COLUMNS) + ")")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != PROFILE_COLUMNS:
        raise ImportFormatError(path, "a country profiles CSV with the columns " + ",".join(PROFILE_COLUMNS))
    return [dict(r) for r in reader]


def profile_csv_text(rows: Iterable[Mapping[str, str]]) -> str:
    """The CSV text of profile rows (the columns of ``data/country_profiles.csv``, quoted as it quotes)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=PROFILE_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()

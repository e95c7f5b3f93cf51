"""Build ``data/country_profiles.csv`` and ``data/price_history.csv`` from the public raw files in ``data/raw/``.

Run ``dfl-finance country build`` (``--data DIR`` for another data folder, ``--check`` to fail if the shipped files
differ from what the build writes). The build is deterministic: the same raw files give the same
bytes. A new vintage is: replace the slices in ``data/raw/`` (``data/SOURCES.md`` says how each was cut), rerun.

Inputs (each with its licence beside it):

- ``raw/hand/country_profiles.csv`` and ``raw/hand/price_history.csv``: the rows sourced by hand from documents
  (the five original countries, the US CPI, ...). They are copied line for line; the built rows add the fields a
  hand-profiled country lacks. A hand row flagged placeholder is replaced by a built row of the same country and
  field that is not a placeholder (``--keep-placeholders`` keeps the hand row).
- ``raw/wb_class/class_fy2026.csv`` (and ``class_fy2025.csv`` for an economy unclassified in FY2026): the World
  Bank's "World Bank Country and Lending Groups" (CLASS.xlsx), sheet "List of economies". It selects the profiled
  countries: every IDA or blend country, and every low- or lower-middle-income country that borrows from IBRD.
- ``raw/wdi/WDICSV_slice.csv``: World Development Indicators in the layout of the bulk download (``Country Name,
  Country Code, Indicator Name, Indicator Code, 2010, ...``), sliced to the profiled countries and the years from
  2010, read by the importers' WDI reader (:func:`dfl_finance.inputs.importers.read_wdi`, whose rows are taken
  where it fills a field; the rules here fill the rest).
- ``raw/fdl_lic_dsa/DSA_id.csv``: each country's DSAs (FDL LIC-DSAs database): risk of debt distress, capacity.
- ``raw/wdi_meta/WDICountry_2019.csv``: WDI country notes, for the fiscal year's end.
- ``raw/iso4217/codes-all.csv``: the ISO 4217 list of currency codes (table A.1).

Every built value names its dataset, publisher, vintage, indicator code and year; a value no public file here gives
is a PLACEHOLDER, said so in its source, flagged, with confidence L.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dfl_finance.errors import DataError
from dfl_finance.inputs import importers as imp
from dfl_finance.inputs.profiles import PUBLIC_EXPENDITURE
from dfl_finance.vocabulary import COUNTED_DRIVERS

PROFILE_HEADER = ["iso3", "country", "field", "value", "unit", "year", "source", "confidence", "placeholder"]
PRICE_HEADER = ["currency", "series", "year", "value", "unit", "source", "confidence", "placeholder"]

#: The datasets' citations (publisher, title, vintage).
WDI_VINTAGE = "vintage of 1 July 2026 as mirrored by datasets/world-development-indicators (commit 4ebec5a), CC BY 4.0"
WDI = f"World Bank, World Development Indicators ({WDI_VINTAGE})"
#: The WDI slice, in the layout of the WDI bulk download (WDICSV.csv).
WDI_FILE = Path("wdi") / "WDICSV_slice.csv"
#: The note on a rate that is the latest outturn (the importers' reader takes each indicator's latest year).
OUTTURN = "; the latest outturn, used as the medium-term rate (not a projection)"
CLASS = ("World Bank, \"World Bank Country and Lending Groups\" (CLASS.xlsx, sheet 'List of economies'), "
         "classification of 1 July {fy0} for fiscal year {fy}, CC BY 4.0")
DSA = ("Finance for Development Lab (FDL), LIC-DSAs Database (2013-2024 DSAs, published January 2025), compiled from "
       "the joint IMF-World Bank Debt Sustainability Analyses")
WDI_META = ("World Bank, World Development Indicators, country metadata (WDICountry.csv, 'Special Notes'), CC BY 4.0; "
            "the WDI 2018 release downloaded on 5 June 2019 (as mirrored by korenmiklos/dc-economics-data)")
ISO = "ISO 4217 currency codes, table A.1 (SIX, as published by datasets/currency-codes, PDDL; vintage February 2026)"

#: Fields every profiled country has (a value or a placeholder row), in the order they are written.
REQUIRED_FIELDS = ("currency", "income_group", "lending_category", "fiscal_year_start", *COUNTED_DRIVERS,
                   "connected_share", "education_budget", "education_wage_share", "budget_growth",
                   "inflation", "usd_inflation", "fx_rate", "gdp", "gdp_growth", "revenue", "exports",
                   "dsf_capacity", "debt_risk", "pv_external_debt", "external_debt_service", "pv_public_debt")

INCOME = {"Low income": "low", "Lower middle income": "lower-middle", "Upper middle income": "upper-middle",
          "High income": "high"}
LENDING = {"IDA": "ida-only", "Blend": "blend", "IBRD": "ibrd"}
#: Economies kept beside the selection (hand-profiled before this build).
ALWAYS = ("BGD", "KEN", "NPL", "PER", "RWA")

#: CLASS economy -> its entity in the ISO 4217 list, where the names differ beyond "(THE)" and punctuation.
ISO_ENTITY = {
    "BOL": "BOLIVIA (PLURINATIONAL STATE OF)", "COD": "CONGO (THE DEMOCRATIC REPUBLIC OF THE)", "COG": "CONGO (THE)",
    "EGY": "EGYPT", "KGZ": "KYRGYZSTAN", "LAO": "LAO PEOPLE’S DEMOCRATIC REPUBLIC (THE)",
    "FSM": "MICRONESIA (FEDERATED STATES OF)", "STP": "SAO TOME AND PRINCIPE", "LCA": "SAINT LUCIA",
    "VCT": "SAINT VINCENT AND THE GRENADINES", "TZA": "TANZANIA, UNITED REPUBLIC OF", "YEM": "YEMEN",
}

#: Assumed learners a school, for the PLACEHOLDER school count (no school census was read here).
LEARNERS_PER_SCHOOL = 400
#: Kenya's derived share of the Teachers Service Commission vote in the FY2024/25 education budget (Sh 358.2 bn of
#: Sh 656.6 bn, the KEN hand row ``education_budget_non_wage``): the PLACEHOLDER wage share where none was read.
WAGE_SHARE_PROXY = round(358.2 / 656.6, 3)


@dataclass(frozen=True)
class Series:
    """One WDI indicator: {iso3: {year: value}}."""

    code: str
    values: dict[str, dict[int, float]]

    def latest(self, iso3: str, year: int | None = None) -> tuple[int, float] | None:
        """The latest (year, value) of a country (at ``year`` only, when given)."""
        by_year = self.values.get(iso3, {})
        if year is not None:
            return (year, by_year[year]) if year in by_year else None
        return max(by_year.items()) if by_year else None


def wdi_series(path: Path, countries: Iterable[str]) -> dict[str, Series]:
    """{indicator code: Series} of ``countries`` in a WDI bulk CSV, read by
    :func:`dfl_finance.inputs.importers.read_wdi_table` (the reader of ``dfl-finance country import --wdi``)."""
    out: dict[str, dict[str, dict[int, float]]] = {}
    for iso3 in countries:
        for code, years in imp.read_wdi_table(path, iso3).data.items():
            if years:
                out.setdefault(code, {})[iso3] = years
    return {code: Series(code, values) for code, values in out.items()}


def read_class(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["Code"]: r for r in csv.DictReader(fh)}


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
RISK = {"Low": "low", "Moderate": "moderate", "High": "high", "In debt distress": "in-distress"}
CAPACITY = {"Weak": "weak", "Medium": "medium", "Strong": "strong"}


def read_dsa(path: Path) -> dict[str, dict[str, str]]:
    """The latest DSA of each country in the FDL database (by year, then month): {iso3: row}."""
    latest: dict[str, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            iso3 = r["dsa.id"][:3]
            key = (int(r["dsa.year"]), MONTHS.index(r["dsa.month"]))
            old = latest.get(iso3)
            if old is None or key > (int(old["dsa.year"]), MONTHS.index(old["dsa.month"])):
                latest[iso3] = r
    return latest


def read_fiscal_year_ends(path: Path) -> dict[str, str]:
    """{iso3: "June 30"} from the WDI country notes' "Fiscal year end: June 30"."""
    out: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            m = re.search(r"Fiscal year end: ([A-Z][a-z]+) (\d{1,2})", r["Special Notes"])
            if m and m.group(1) in MONTHS:
                out[r["Country Code"]] = f"{m.group(1)} {m.group(2)}"
    return out


def fiscal_year_start(end: str) -> int:
    """The month (1-12) in which the fiscal year starts, the day after ``end``: June 30 -> 7; July 14 -> 7 (July
    15); March 20 -> 3 (March 21); December 31 -> 1."""
    month, day = end.split()
    m = MONTHS.index(month) + 1
    return m % 12 + 1 if int(day) >= 28 else m


def selected(class_rows: dict[str, dict[str, str]]) -> list[str]:
    """The profiled economies: IDA and blend, and the low- and lower-middle-income IBRD borrowers, plus ALWAYS."""
    out = {c for c, r in class_rows.items()
           if r["Lending category"] in ("IDA", "Blend")
           or (r["Lending category"] == "IBRD" and r["Income group"] in ("Low income", "Lower middle income"))}
    return sorted(out | (set(ALWAYS) & set(class_rows)))


def _norm(name: str) -> str:
    return re.sub(r"[^A-Z]", "", name.upper().replace("(THE)", ""))


def read_iso4217(path: Path) -> dict[str, str]:
    """Entity (normalised) -> current alphabetic code of its national currency: of an entity's current codes
    (Bhutan: INR and BTN), the one the fewest entities use (BTN), funds codes (Mvdol, UVC, ...) left out."""
    codes: dict[str, list[str]] = {}
    users: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["WithdrawalDate"].strip() or not r["AlphabeticCode"].strip() or not r["NumericCode"].strip():
                continue
            if r["Currency"].startswith(("Mvdol", "Unidad", "WIR", "US Dollar (Next")):
                continue
            codes.setdefault(_norm(r["Entity"]), []).append(r["AlphabeticCode"])
            users[r["AlphabeticCode"]] = users.get(r["AlphabeticCode"], 0) + 1
    return {k: min(v, key=lambda c: (users[c], v.index(c))) for k, v in codes.items()}


def read_redenominations(path: Path) -> dict[str, int]:
    """Entity (normalised) -> the first whole year of its current currency, where the list records an older code
    withdrawn since 2000 (Zimbabwe: ZWL withdrawn 2024-09 -> 2025); a renamed currency that kept its code is not a
    change (Peru's PEN)."""
    current = read_iso4217(path)
    out: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key, date = _norm(r["Entity"]), r["WithdrawalDate"].strip()
            if date[:4].isdigit() and int(date[:4]) >= 2000 and key in current and r["AlphabeticCode"] != current[key]:
                out[key] = max(out.get(key, 0), int(date[:4]) + 1)
    return out


#: The years of history over which the LIC-DSF stress tests' standard deviations are taken (the Guidance Note's
#: 10-year history); a country with fewer has none.
SD_YEARS = 10


def historical_sd(series: dict[int, float], n: int = SD_YEARS) -> tuple[float, list[int]] | None:
    """The sample standard deviation (divisor n - 1) of the last ``n`` years a series has, with those years; None
    when it has fewer than ``n``. The sample one, because ten years are a sample of the variable's history used to
    estimate how far it moves, not the whole population of its years (statistics.stdev).

    >>> historical_sd({2015 + i: v for i, v in enumerate([0.1, 0.3, 0.5])}, n=3)
    (0.2, [2015, 2016, 2017])
    """
    years = sorted(series)[-n:]
    if len(years) < n:
        return None
    return statistics.stdev([series[y] for y in years]), years


def _years_words(years: list[int]) -> str:
    """'2016-2025' for a run of years, else the years listed."""
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def _fmt(x: float) -> str:
    """A number as text: integers without decimals, others to 6 significant digits."""
    if abs(x) >= 1000 or x == int(x):
        return str(int(round(x)))
    return f"{x:.6g}"


class Builder:
    """The raw files of a data folder, read once, and the rows built from them."""

    def __init__(self, data: Path) -> None:
        raw = data / "raw"
        self.class26 = read_class(raw / "wb_class" / "class_fy2026.csv")
        self.class25 = read_class(raw / "wb_class" / "class_fy2025.csv")
        self.iso = read_iso4217(raw / "iso4217" / "codes-all.csv")
        self.redenominated = read_redenominations(raw / "iso4217" / "codes-all.csv")
        self.dsa = read_dsa(raw / "fdl_lic_dsa" / "DSA_id.csv")
        self.fy_end = read_fiscal_year_ends(raw / "wdi_meta" / "WDICountry_2019.csv")
        self.countries = selected(self.class26)
        self.currency: dict[str, tuple[str, bool]] = {c: self._currency(c) for c in self.countries}
        self.wdi = wdi_series(raw / WDI_FILE, [*self.countries, "USA"])
        self.imported = {c: imp.read_wdi(raw / WDI_FILE, c, currency=self.currency[c][0], vintage=WDI_VINTAGE)
                         .by_field() for c in self.countries}

    # -- helpers ----------------------------------------------------------------------------------------------
    def s(self, code: str) -> Series:
        return self.wdi.get(code, Series(code, {}))

    def adopted(self, iso3: str, field: str, note: str = "", confidence: str | None = None,
                placeholder: bool = False) -> tuple[str, str, str, int | None, str, str, bool] | None:
        """The importer's row of ``field`` (None if it has none), with a note, another confidence, or flagged as a
        placeholder (its source then starts with PLACEHOLDER)."""
        row = self.imported[iso3].get(field)
        if row is None:
            return None
        source = ("PLACEHOLDER: " if placeholder else "") + row.source + note
        return (field, row.as_csv()["value"], row.unit, row.year, source, confidence or row.confidence,
                placeholder)

    def cite(self, code: str, iso3: str, year: int, what: str) -> str:
        return f"{WDI}: {code} ({what}), {iso3}, {year}"

    def median_ratio(self, code: str) -> float:
        """The median of the latest values of an indicator over the profiled countries that have one."""
        vals = [v[1] for c in self.countries if (v := self.s(code).latest(c)) is not None]
        return statistics.median(vals)

    def since(self, iso3: str) -> int:
        """The first year whose local-currency figures are in the current currency: 0, unless the ISO list records
        a change of currency since 2000 and the WDI rate falls more than tenfold from one year to the next from the
        year before it (Zimbabwe: ZWL withdrawn 2024-09, 3,266 ZWL per USD in 2024, 26.6 ZWG in 2025 -> 2025).
        A series the WDI restated in the new currency (Sierra Leone's) has no such fall: all its years count."""
        first = self.redenominated.get(_norm(ISO_ENTITY.get(iso3, self.class26[iso3]["Economy"])))
        if first is None:
            return 0
        rates = self.s("PA.NUS.FCRF").values.get(iso3, {})
        falls = [y for y in rates if y >= first - 1 and y - 1 in rates and rates[y] * 10 < rates[y - 1]]
        return max(falls, default=0)

    def _currency(self, iso3: str) -> tuple[str, bool]:
        """(code, placeholder)."""
        name = self.class26[iso3]["Economy"]
        key = _norm(ISO_ENTITY.get(iso3, name))
        if key in self.iso:
            return self.iso[key], False
        return "EUR", True  # Kosovo is no entity of the ISO 4217 list

    # -- the rows ---------------------------------------------------------------------------------------------
    def rows(self, iso3: str) -> list[list[str]]:  # noqa: C901 - one field after the other
        name = self.class26[iso3]["Economy"]
        out: list[list[str]] = []

        def add(field: str, value: str, unit: str, year: int | None, source: str, conf: str, ph: bool) -> None:
            out.append([iso3, name, field, value, unit, "" if year is None else str(year), source, conf,
                        "true" if ph else "false"])

        cur, cur_ph = self.currency[iso3]
        if cur_ph:
            add("currency", cur, "code", None, f"PLACEHOLDER: {name} is not an entity of the {ISO}; the euro is "
                "assumed, not read from a file here", "L", True)
        else:
            add("currency", cur, "code", None, f"{ISO}: entity {ISO_ENTITY.get(iso3, name.upper())}", "H", False)

        row = self.class26[iso3]
        if row["Income group"] in INCOME:
            add("income_group", INCOME[row["Income group"]], "code", 2025,
                CLASS.format(fy0=2025, fy=2026) + f": {row['Income group']}", "H", False)
        else:
            old = self.class25[iso3]["Income group"]
            add("income_group", INCOME[old], "code", 2024,
                CLASS.format(fy0=2024, fy=2025) + f": {old}. {name} is unclassified (blank) in the FY2026 list",
                "M", False)
        add("lending_category", LENDING[row["Lending category"]], "code", 2025,
            CLASS.format(fy0=2025, fy=2026) + f": lending category {row['Lending category']}", "H", False)
        if iso3 in self.fy_end:
            add("fiscal_year_start", str(fiscal_year_start(self.fy_end[iso3])), "month", 2019,
                f"{WDI_META}, {iso3}: 'Fiscal year end: {self.fy_end[iso3]}'; the fiscal year starts the day after. "
                "A change since 2019 is not reflected", "M", False)
        else:
            add("fiscal_year_start", "1", "month", None, "PLACEHOLDER: January assumed; the WDI country notes "
                f"({WDI_META}) give no fiscal year end for {iso3}, which does not prove a calendar fiscal year",
                "L", True)

        # counts: primary + secondary, public (placeholders unless the slice has the enrolment and teacher counts)
        pop = self.s("SP.POP.TOTL").latest(iso3)
        young = self.s("SP.POP.0014.TO.ZS").latest(iso3, pop[0]) if pop else None
        if pop and young:
            learners = pop[1] * young[1] / 100 * 2 / 3
            basis = (f"two thirds of the population aged 0-14 ({WDI}: SP.POP.TOTL x SP.POP.0014.TO.ZS, {iso3}, "
                     f"{pop[0]}), i.e. ages 5-14 at an even age spread")
        else:
            learners, basis = 1e6, "one million, order of magnitude (no population in the files read here)"
        learners_year = pop[0] if pop else None
        counted = self.adopted(iso3, "learners")
        if counted is not None:
            add(*counted)
            learners, learners_year = float(counted[1]), counted[3]
        else:
            add("learners", _fmt(learners), "learners", learners_year, "PLACEHOLDER: school-age population as an "
                f"upper bound of primary + secondary public enrolment (no enrolment count read): {basis}", "L", True)
        ptr = self.s("SE.PRM.ENRL.TC.ZS").latest(iso3)
        ptr_v, ptr_src = (ptr[1], f"the primary pupil-teacher ratio {ptr[1]:.1f} ({WDI}: SE.PRM.ENRL.TC.ZS, "
                          f"{iso3}, {ptr[0]})") if ptr else (
            self.median_ratio("SE.PRM.ENRL.TC.ZS"), "the median primary pupil-teacher ratio of the profiled "
            f"countries ({WDI}: SE.PRM.ENRL.TC.ZS, latest year of each)")
        teachers = self.adopted(iso3, "teachers")
        add(*(teachers or ("teachers", _fmt(learners / ptr_v), "teachers", learners_year,
                           f"PLACEHOLDER: the learners ({'counted' if counted else 'placeholder'}) divided by "
                           f"{ptr_src}", "L", True)))
        add("schools", _fmt(learners / LEARNERS_PER_SCHOOL), "schools", learners_year,
            f"PLACEHOLDER: the learners ({'counted' if counted else 'placeholder'}) divided by an assumed "
            f"{LEARNERS_PER_SCHOOL} learners a school (no school census or Giga list read)", "L", True)
        proxy = ("the share of LDC schools online, 16% (a low-income country)" if self._income(iso3) == "low"
                 else "the world share of schools online, 40%")
        add("connected_share", "0.16" if proxy.startswith("the share of LDC") else "0.4", "share", 2021,
            "PLACEHOLDER: no public figure of the country's connected schools was in the files here; the proxy of "
            f"the hand-sourced profiles (UN, Sustainable Development Goals Report 2021): {proxy}", "L", True)

        # macro
        gdp = self.s("NY.GDP.MKTP.CD").latest(iso3)
        fx = self._fx(iso3)
        edu = self.adopted(iso3, "education_budget") or self._education_budget(iso3, cur, fx)
        if edu is not None:
            add(*edu)
        add("education_wage_share", _fmt(WAGE_SHARE_PROXY), "share", 2024, "PLACEHOLDER: no wage share of the "
            "education budget was read for this country; Kenya's Teachers Service Commission share of its FY2024/25 "
            "education budget (Sh 358.2 bn / Sh 656.6 bn, Budget Statement FY2024/25) is used as a proxy", "L", True)
        growth = self.s("NY.GDP.MKTP.KD.ZG").latest(iso3)
        g = growth[1] / 100 if growth else 0.04
        add("budget_growth", _fmt(round(g, 4)), "1/yr", None, "PLACEHOLDER: assumed real growth of the education "
            "budget equal to real GDP growth " + (f"({WDI}: NY.GDP.MKTP.KD.ZG, {iso3}, {growth[0]})" if growth
                                                  else "(4%, no growth figure read)"), "L", True)
        infl = self.adopted(iso3, "inflation", OUTTURN, "M")
        if infl is not None:
            add(*infl)
        else:
            med = self.median_ratio("FP.CPI.TOTL.ZG")
            add("inflation", _fmt(round(med / 100, 4)), "1/yr", None, "PLACEHOLDER: no CPI inflation in the WDI "
                "slice; the median latest inflation of the profiled countries (FP.CPI.TOTL.ZG)", "L", True)
        us = self.s("FP.CPI.TOTL.ZG").latest("USA")
        assert us is not None
        add("usd_inflation", _fmt(round(us[1] / 100, 4)), "1/yr", us[0],
            self.cite("FP.CPI.TOTL.ZG", "USA", us[0], "inflation, consumer prices, annual %") +
            "; the latest outturn, used as the medium-term rate", "M", False)
        add(*fx)
        gdp_row = self.adopted(iso3, "gdp")
        if gdp_row is not None:
            add(*gdp_row)
        else:
            add("gdp", "1000000000", "USD/yr", None, "PLACEHOLDER: no GDP in the WDI slice; USD 1 bn, order of "
                "magnitude", "L", True)
        growth_row = self.adopted(iso3, "gdp_growth", OUTTURN, "M")
        if growth_row is not None:
            add(*growth_row)
        else:
            add("gdp_growth", "0.04", "1/yr", None, "PLACEHOLDER: no GDP growth in the WDI slice; 4% assumed", "L",
                True)
        gdp_v = gdp[1] if gdp else 1e9
        for field, code, what in (("revenue", "GC.REV.XGRT.GD.ZS", "revenue, excluding grants, % of GDP"),
                                  ("exports", "NE.EXP.GNFS.ZS", "exports of goods and services, % of GDP")):
            add(*(self.adopted(iso3, field) or self._share_of_gdp(iso3, field, code, what, gdp)))
        dsa = self.dsa.get(iso3)
        if dsa is not None:
            post = dsa["dsa.method"] == "post.2017"
            cap = dsa["dcc.ci.rtng"] if post else dsa["cpia.rtng"]
            where = (f"{DSA}: DSA {dsa['dsa.id']} ({dsa['dsa.month']} {dsa['dsa.year']}, {dsa['dsa.method']} "
                     "framework), the latest of the country in the database")
            add("dsf_capacity", CAPACITY[cap], "code", int(dsa["dsa.year"]), f"{where}; Table C, debt-carrying "
                f"capacity (composite indicator rating): {cap}" if post else f"{where}; CPIA policy rating (the "
                f"capacity measure of the pre-2017 framework): {cap}", "M", False)
            add("debt_risk", RISK[dsa["ccl.ext.dist.risk"]], "code", int(dsa["dsa.year"]),
                f"{where}; Table A, risk of external debt distress: {dsa['ccl.ext.dist.risk']}"
                + (f" (overall: {dsa['ccl.tot.dist.risk']})" if dsa["ccl.tot.dist.risk"] else ""), "M", False)
        elif row["Lending category"] != "IBRD":  # an IBRD borrower without a LIC DSA: not assessed, no rows
            add("dsf_capacity", "medium", "code", None, "PLACEHOLDER: no LIC DSA of the country in the FDL "
                "database (2013-2024); the middle debt-carrying capacity is assumed", "L", True)
            add("debt_risk", "moderate", "code", None, "PLACEHOLDER: no LIC DSA of the country in the FDL database "
                "(2013-2024); moderate risk of external debt distress is assumed", "L", True)
        ppg = self.s("DT.DOD.DPPG.CD").latest(iso3)
        face = self.adopted(iso3, "pv_external_debt", placeholder=True)  # a face value: an upper bound of the PV
        if face is not None:
            add(*face)
        else:
            add("pv_external_debt", _fmt(gdp_v * 0.3), "USD", gdp[0] if gdp else None, "PLACEHOLDER: no external "
                "debt stock in the WDI slice; 30% of GDP assumed", "L", True)
        tds = self.s("DT.TDS.DECT.EX.ZS").latest(iso3)
        exp = self.s("NE.EXP.GNFS.ZS").latest(iso3, tds[0]) if tds else None
        gdp_t = self.s("NY.GDP.MKTP.CD").latest(iso3, tds[0]) if tds else None
        service = self.adopted(iso3, "external_debt_service")  # PPG service (DT.TDS.DPPG.CD) where the slice has it
        if service is not None:
            add(*service)
        elif tds and exp and gdp_t:
            add("external_debt_service", _fmt(tds[1] / 100 * exp[1] / 100 * gdp_t[1]), "USD/yr", tds[0],
                "PLACEHOLDER: TOTAL external debt service (public and private) as a proxy of the public one: "
                f"{self.cite('DT.TDS.DECT.EX.ZS', iso3, tds[0], 'total debt service, % of exports of goods, services and primary income')}"  # noqa: E501
                f" x exports of goods and services (NE.EXP.GNFS.ZS x NY.GDP.MKTP.CD, {tds[0]})", "L", True)
        else:
            add("external_debt_service", _fmt(gdp_v * 0.02), "USD/yr", gdp[0] if gdp else None,
                "PLACEHOLDER: no debt service in the WDI slice; 2% of GDP assumed", "L", True)
        cgd = self.s("GC.DOD.TOTL.GD.ZS").latest(iso3)
        if cgd and gdp:
            add("pv_public_debt", _fmt(cgd[1] / 100 * gdp[1]), "USD", gdp[0], "PLACEHOLDER: the NOMINAL central "
                "government debt, an upper bound of the PV of public debt: "
                f"{self.cite('GC.DOD.TOTL.GD.ZS', iso3, cgd[0], 'central government debt, total, % of GDP')} x GDP "
                f"(NY.GDP.MKTP.CD, {gdp[0]})", "L", True)
        else:
            pv_ext = ppg[1] if ppg else gdp_v * 0.3
            add("pv_public_debt", _fmt(pv_ext * 1.5), "USD", ppg[0] if ppg else None, "PLACEHOLDER: no central "
                "government debt in the WDI slice; 1.5 x the placeholder external debt (domestic debt about half of "
                "external, assumed)", "L", True)
        pub = ((self.adopted(iso3, PUBLIC_EXPENDITURE) if "education_budget" in self.imported[iso3] else None)
               or self._public_expenditure(iso3, cur, edu))
        if pub is not None:
            add(*pub)
        for sd_row in self._sd_rows(iso3):  # the LIC-DSF stress tests' standard deviations ([debt.sd])
            add(*sd_row)
        return out

    def exports_usd(self, iso3: str) -> dict[int, float]:
        """Exports of goods and services in current USD by year: NE.EXP.GNFS.ZS / 100 x NY.GDP.MKTP.CD, the years
        both have (the WDI's NE.EXP.GNFS.CD itself is not in the mirror read here)."""
        share, gdp = self.s("NE.EXP.GNFS.ZS").values.get(iso3, {}), self.s("NY.GDP.MKTP.CD").values.get(iso3, {})
        return {y: share[y] / 100 * gdp[y] for y in share if y in gdp}

    def _sd_rows(self, iso3: str) -> list[tuple[str, str, str, int | None, str, str, bool]]:
        """The LIC-DSF stress tests' standard deviations ([debt.sd]): the sample standard deviation over the last
        SD_YEARS years the slice has (:func:`historical_sd`; a country with fewer years has no row) of

        - ``gdp_growth_sd``: real GDP growth (NY.GDP.MKTP.KD.ZG), and ``exports_growth_sd``: the growth of exports
          in USD, as the framework defines them (confidence M);
        - ``primary_balance_sd``: the overall balance (net lending/borrowing, GC.NLD.TOTL.GD.ZS / 100: the primary
          balance plus interest, which the slice does not give), and ``other_flows_sd``: FDI net inflows plus
          personal remittances received over GDP ((BX.KLT.DINV.CD.WD + BX.TRF.PWKR.CD.DT) / NY.GDP.MKTP.CD: the
          framework's other flows are current transfers and FDI; official transfers are not in the slice), proxies
          flagged as placeholders (confidence L)."""
        growth = {y: v / 100 for y, v in self.s("NY.GDP.MKTP.KD.ZG").values.get(iso3, {}).items()}
        exports = self.exports_usd(iso3)
        x_growth = {y: exports[y] / exports[y - 1] - 1 for y in exports if y - 1 in exports and exports[y - 1] > 0}
        balance = {y: v / 100 for y, v in self.s("GC.NLD.TOTL.GD.ZS").values.get(iso3, {}).items()}
        gdp = self.s("NY.GDP.MKTP.CD").values.get(iso3, {})
        fdi = self.s("BX.KLT.DINV.CD.WD").values.get(iso3, {})
        remit = self.s("BX.TRF.PWKR.CD.DT").values.get(iso3, {})
        flows = {y: (fdi[y] + remit[y]) / gdp[y] for y in fdi if y in remit and gdp.get(y, 0) > 0}
        out: list[tuple[str, str, str, int | None, str, str, bool]] = []
        for field, series, unit, what, proxy in (
                ("gdp_growth_sd", growth, "1/yr", f"real GDP growth ({WDI}: NY.GDP.MKTP.KD.ZG, {iso3}", ""),
                ("exports_growth_sd", x_growth, "1/yr", f"the growth of exports of goods and services in USD ({WDI}: "
                 f"NE.EXP.GNFS.ZS x NY.GDP.MKTP.CD, {iso3}, each year over the year before", ""),
                ("primary_balance_sd", balance, "share", f"the overall balance, % of GDP ({WDI}: GC.NLD.TOTL.GD.ZS, "
                 f"{iso3}", "the overall balance stands in for the primary balance (the balance less interest; "
                 "interest payments are not in the WDI slice)"),
                ("other_flows_sd", flows, "share", f"FDI net inflows plus personal remittances received, over GDP "
                 f"({WDI}: (BX.KLT.DINV.CD.WD + BX.TRF.PWKR.CD.DT) / NY.GDP.MKTP.CD, {iso3}",
                 "FDI and personal remittances stand in for FDI and current transfers (official transfers are not "
                 "in the WDI slice)")):
            sd = historical_sd(series)
            if sd is None:
                continue
            value, years = sd
            text = (f"sample standard deviation (n - 1) of {what}, the {len(years)} years {_years_words(years)}): "
                    "the historical standard deviation of the LIC-DSF standardised stress tests (IMF-World Bank, "
                    "Guidance Note on the Bank-Fund Debt Sustainability Framework for Low Income Countries, 2018: a "
                    "10-year history)")
            out.append((field, _fmt(round(value, 4)), unit, years[-1],
                        f"PLACEHOLDER (proxy): {proxy}. The {text}" if proxy else f"Derived: the {text}",
                        "L" if proxy else "M", bool(proxy)))
        return out

    def _income(self, iso3: str) -> str:
        """The income group (FY2026, else FY2025)."""
        group = self.class26[iso3]["Income group"] or self.class25[iso3]["Income group"]
        return INCOME[group]

    def _fx(self, iso3: str) -> tuple[str, str, str, int | None, str, str, bool]:
        cur = self.currency[iso3][0]
        if cur == "USD":
            return ("fx_rate", "1", "USD/USD", None, f"The currency is the US dollar ({ISO})", "H", False)
        own = self.adopted(iso3, "fx_rate")
        if own is not None and (own[3] or 0) >= self.since(iso3):
            return own
        for c in [iso3] + [c for c in self.countries if self.currency[c][0] == cur and c != iso3]:
            v = self.s("PA.NUS.FCRF").latest(c)
            if v and v[0] >= self.since(c):
                extra = "" if c == iso3 else f" (the rate of {c}, which shares the {cur})"
                return ("fx_rate", _fmt(v[1]), f"{cur}/USD", v[0],
                        self.cite("PA.NUS.FCRF", c, v[0], "official exchange rate, LCU per US$, period average") +
                        extra, "H" if c == iso3 else "M", False)
        return ("fx_rate", "1", f"{cur}/USD", None, f"PLACEHOLDER: no exchange rate for the {cur} in the WDI slice; "
                "1 assumed: give [macro] fx_rate", "L", True)

    def _lcu(self, iso3: str, year: int, usd: float) -> float | None:
        """A USD amount of ``year`` in local currency at that year's official rate."""
        cur = self.currency[iso3][0]
        if cur == "USD":
            return usd
        rate = self.s("PA.NUS.FCRF").latest(iso3, year)
        return usd * rate[1] if rate else None

    def _education_budget(self, iso3: str, cur: str, fx: tuple[str, str, str, int | None, str, str, bool]
                          ) -> tuple[str, str, str, int | None, str, str, bool] | None:
        share = self.s("SE.XPD.TOTL.GD.ZS")
        gdp = self.s("NY.GDP.MKTP.CD")
        for year in sorted((y for y in share.values.get(iso3, {}) if y >= self.since(iso3)), reverse=True):
            g = gdp.latest(iso3, year)  # a year before a change of currency is in the old one: left out
            lcu = self._lcu(iso3, year, share.values[iso3][year] / 100 * g[1]) if g else None
            if g and lcu is not None:
                return ("education_budget", _fmt(lcu), f"{cur}/yr", year,
                        f"Derived: {self.cite('SE.XPD.TOTL.GD.ZS', iso3, year, 'government expenditure on education, % of GDP')}"  # noqa: E501
                        f" x GDP (NY.GDP.MKTP.CD) x the official rate (PA.NUS.FCRF), same year. GROSS: general "
                        "government spending on all levels of education, including the externally financed part "
                        "that passes through the budget (UIS definition); the domestically financed part was not "
                        "read", "M", False)
        gdp_l = gdp.latest(iso3)
        if gdp_l is None:
            return None
        med = self.median_ratio("SE.XPD.TOTL.GD.ZS")
        lcu = self._lcu(iso3, gdp_l[0], med / 100 * gdp_l[1]) if gdp_l[0] >= self.since(iso3) else None
        rate = float(fx[1])
        return ("education_budget", _fmt(lcu if lcu is not None else med / 100 * gdp_l[1] * rate), f"{cur}/yr",
                gdp_l[0], f"PLACEHOLDER: no education spending in the WDI slice; the median share of GDP of the "
                f"profiled countries ({med:.2f}%, SE.XPD.TOTL.GD.ZS) x GDP (NY.GDP.MKTP.CD, {gdp_l[0]})", "L", True)

    def _share_of_gdp(self, iso3: str, field: str, code: str, what: str, gdp: tuple[int, float] | None
                      ) -> tuple[str, str, str, int | None, str, str, bool]:
        s = self.s(code)
        for year in sorted(s.values.get(iso3, {}), reverse=True):
            g = self.s("NY.GDP.MKTP.CD").latest(iso3, year)
            if g:
                return (field, _fmt(s.values[iso3][year] / 100 * g[1]), "USD/yr", year,
                        f"Derived: {self.cite(code, iso3, year, what)} x GDP (NY.GDP.MKTP.CD, {year})", "M", False)
        med = self.median_ratio(code)
        base = gdp[1] if gdp else 1e9
        return (field, _fmt(med / 100 * base), "USD/yr", gdp[0] if gdp else None,
                f"PLACEHOLDER: no {code} in the WDI slice; the median share of GDP of the profiled countries "
                f"({med:.1f}%) x GDP", "L", True)

    def _public_expenditure(self, iso3: str, cur: str, edu: tuple[str, str, str, int | None, str, str, bool] | None
                            ) -> tuple[str, str, str, int | None, str, str, bool] | None:
        """Total public expenditure = the education budget / its share of government expenditure, same year."""
        if edu is None or edu[6] or edu[3] is None:
            return None
        share = self.s("SE.XPD.TOTL.GB.ZS").latest(iso3, edu[3])
        if not share or share[1] <= 0:
            return None
        return ("public_expenditure", _fmt(float(edu[1]) / (share[1] / 100)), f"{cur}/yr", edu[3],
                f"Derived: the education budget above / "
                f"{self.cite('SE.XPD.TOTL.GB.ZS', iso3, edu[3], 'government expenditure on education, % of government expenditure')}",  # noqa: E501
                "M", False)

    # -- price history ----------------------------------------------------------------------------------------
    def hand_fx(self, cur: str, year: int) -> list[str] | None:
        """The WDI row for a year's rate of a currency of a profiled country, if the slice has it."""
        for c in self.countries:
            if self.currency[c][0] != cur or year < self.since(c):
                continue
            if (v := self.s("PA.NUS.FCRF").latest(c, year)) is not None:
                return [cur, "fx", str(year), _fmt(v[1]), f"{cur}/USD", self.cite(
                    "PA.NUS.FCRF", c, year, "official exchange rate, LCU per US$, period average"), "H", "false"]
        return None

    def price_rows(self, have: set[tuple[str, str]], skip: Iterable[str] = ()) -> list[list[str]]:
        """fx and cpi rows for the profiled currencies that the hand file lacks (not those in ``skip``); cpi only
        for a currency one profiled country uses (a shared currency's prices differ by country)."""
        users: dict[str, list[str]] = {}
        for c in self.countries:
            users.setdefault(self.currency[c][0], []).append(c)
        out: list[list[str]] = []
        for cur in sorted(users):
            if cur == "USD" or cur in skip or self.currency[users[cur][0]][1]:
                continue
            if (cur, "fx") not in have:
                for c in users[cur]:
                    rates = self.s("PA.NUS.FCRF").values.get(c, {})
                    if rates:
                        for y in sorted(rates):
                            if y >= max(2015, self.since(c)):  # not the old currency's rates
                                out.append([cur, "fx", str(y), _fmt(rates[y]), f"{cur}/USD",
                                            self.cite("PA.NUS.FCRF", c, y, "official exchange rate, LCU per US$, "
                                                      "period average"), "H", "false"])
                        break
            if (cur, "cpi") not in have and len(users[cur]) == 1:
                c = users[cur][0]
                infl = self.s("FP.CPI.TOTL.ZG").values.get(c, {})
                years = [y for y in sorted(infl) if y >= max(2015, self.since(c))]
                # a chained index, 2020 = 100, only over an unbroken run of years through 2020
                if 2020 not in years or years != list(range(years[0], years[-1] + 1)):  # (empty: 2020 not in it)
                    continue
                idx = {2020: 100.0}
                for y in (y for y in years if y > 2020):
                    idx[y] = idx[y - 1] * (1 + infl[y] / 100)
                for y in sorted((y for y in years if y < 2020), reverse=True):
                    idx[y] = idx[y + 1] / (1 + infl[y + 1] / 100)
                for y in sorted(idx):
                    out.append([cur, "cpi", str(y), f"{idx[y]:.2f}", "index",
                                f"Derived index (2020 = 100) chained from {self.cite('FP.CPI.TOTL.ZG', c, y, 'inflation, consumer prices, annual %')}"  # noqa: E501
                                " and the years between", "M", "false"])
        return out


def _csv_line(row: Iterable[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(list(row))
    return buf.getvalue()


def _hand_lines(path: Path) -> list[tuple[list[str], str]]:
    """The hand file's rows, each with its line as written (copied verbatim)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return [(next(csv.reader([line])), line) for line in lines[1:] if line.strip()]


def build(data: Path, replace: bool = True) -> tuple[str, str]:
    """The text of country_profiles.csv and price_history.csv built from ``data/raw``. ``replace``: a built value
    that is not a placeholder replaces a hand row flagged placeholder (profiles, and fx rows of the price history);
    off by default, so that the bundled scenarios' outputs stay as they are until the change is reviewed."""
    b = Builder(data)
    built = {c: b.rows(c) for c in b.countries}
    by_field = {c: {r[2]: r for r in rows} for c, rows in built.items()}
    out = [_csv_line(PROFILE_HEADER)]
    hand = _hand_lines(data / "raw" / "hand" / "country_profiles.csv")
    hand_fields: dict[str, set[str]] = {}
    kept: set[tuple[str, str]] = set()  # hand rows kept as they are
    for row, line in hand:
        iso3, field, placeholder = row[0], row[2], row[8].strip().lower() == "true"
        hand_fields.setdefault(iso3, set()).add(field)
        new = by_field.get(iso3, {}).get(field)
        # a sourced value replaces a hand placeholder: always where it confirms the same value (only the
        # provenance changes), with ``replace`` also where the value differs
        if placeholder and new is not None and new[8] == "false" and (replace or new[3] == row[3].strip()):
            out.append(_csv_line([iso3, row[1], *new[2:]]))  # a sourced value replaces the hand placeholder
        else:
            out.append(line)
            kept.add((iso3, field))
    names = {row[0]: row[1] for row, _ in hand}
    for iso3 in b.countries:
        for r in built[iso3]:
            if r[2] in hand_fields.get(iso3, set()):
                continue
            if r[2] == PUBLIC_EXPENDITURE and (iso3, "education_budget") in kept:
                continue  # the built total is the denominator of the built education budget, not of a hand one
            out.append(_csv_line([iso3, names.get(iso3, r[1]), *r[2:]]))
    prices = _hand_lines(data / "raw" / "hand" / "price_history.csv")
    have = {(row[0], row[1]) for row, _ in prices}
    price_out = [_csv_line(PRICE_HEADER)]
    for row, line in prices:
        placeholder = row[7].strip().lower() == "true"
        fx = b.hand_fx(row[0], int(row[2])) if replace and row[1] == "fx" and placeholder else None
        price_out.append(_csv_line(fx) if fx else line)  # a WDI rate replaces a hand placeholder rate
    # the hand-profiled countries' currencies get built rows only with ``replace`` (they move the bundled outputs)
    skip = () if replace else {b.currency[c][0] for c in hand_fields if c in b.currency}
    price_out += [_csv_line(r) for r in b.price_rows(have, skip)]
    return "".join(out), "".join(price_out)


def targets(data: Path, replace: bool = True) -> dict[Path, str]:
    """The built text of each file the build writes (``country_profiles.csv``, ``price_history.csv``) in ``data``;
    a data folder without ``raw/`` (an installed package ships none) is a DataError."""
    if not (data / "raw").is_dir():
        raise DataError(f"{data / 'raw'}: no raw folder; the profiles are built in a source checkout (data/raw/)")
    profiles, prices = build(data, replace=replace)
    return {data / "country_profiles.csv": profiles, data / "price_history.csv": prices}


def stale(data: Path, replace: bool = True) -> list[Path]:
    """The files of ``data`` that differ from what the build writes."""
    return [p for p, text in targets(data, replace).items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


def write(data: Path, replace: bool = True) -> dict[Path, int]:
    """Build and write the files; returns each file's number of rows."""
    out = {}
    for path, text in targets(data, replace).items():
        path.write_text(text, encoding="utf-8")
        out[path] = text.count("\n") - 1
    return out

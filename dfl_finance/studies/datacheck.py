"""``dfl-finance data-check``: every value in data/ has a source or a placeholder flag, known units, no negative
values; every template expands to a valid programme; every bundled scenario validates and runs."""

from __future__ import annotations

from pathlib import Path

from dfl_finance.errors import DflFinanceError
from dfl_finance.inputs.profiles import (
    BUDGET_EXTERNAL,
    BUDGET_FIELDS,
    CONTEXT_FIELDS,
    DEBT_FIELDS,
    MACRO_FIELDS,
    PUBLIC_EXPENDITURE,
    SD_FIELDS,
    TEXT_FIELDS,
    bundled_scenarios_dir,
    data_dir,
    loan_terms,
    read_csv_rows,
    templates,
)
from dfl_finance.model.load import load_scenario, scenario_from_dict
from dfl_finance.outputs.result import run
from dfl_finance.vocabulary import (
    COUNTED_DRIVERS,
    CURRENCIES,
    DEBT_CAPACITIES,
    DEBT_RISKS,
    DSF_RATIOS,
    INCOME_GROUPS,
    LENDING_CATEGORIES,
)

#: Units a data row may use (besides ``<currency>/yr``, ``<currency>/USD`` and ``<currency>/device`` for any ISO
#: 4217 currency).
KNOWN_UNITS = {
    *COUNTED_DRIVERS, "share", "1/yr", "years", "days", "km", "Mbps", "code", "index", "learners/device",
    "devices/learner",
    "USD", "USD/yr", "USD/km", "USD/km/yr", "USD/Mbps/yr", "USD/school", "USD/school/yr", "USD/W", "USD/month",
    "USD/device", "USD/trainee-day", "USD/teacher", "USD/learner/yr",
    "W",  # the watts a connectivity technology draws (school_technologies.csv, power_w)
    "month",  # a profile's fiscal_year_start
}
PROFILE_FIELDS = (set(CONTEXT_FIELDS) | {"connected_share", *TEXT_FIELDS}
                  | set(BUDGET_FIELDS.values()) | set(MACRO_FIELDS) | set(DEBT_FIELDS) - {"capacity"}
                  | {PUBLIC_EXPENDITURE, BUDGET_EXTERNAL}
                  | {"fiscal_year_start", "education_wage_share"}  # built by dfl_finance.inputs.build_profiles
                  | set(SD_FIELDS.values()))  # the LIC-DSF stress tests' standard deviations ([debt.sd])
#: The values a text field of a profile may take.
TEXT_VALUES = {"currency": CURRENCIES, "dsf_capacity": set(DEBT_CAPACITIES), "debt_risk": set(DEBT_RISKS),
               "income_group": set(INCOME_GROUPS), "lending_category": set(LENDING_CATEGORIES)}
CONFIDENCE = {"H", "M", "L"}


def _known_unit(unit: str) -> bool:
    head, _, tail = unit.partition("/")
    return unit in KNOWN_UNITS or (head in CURRENCIES and tail in ("yr", "USD", "device"))


def _check_rows(path: Path, id_column: str, fields: set[str] | None = None) -> tuple[list[str], int]:
    """Checks every data file shares; ``fields``: the values its ``field`` column may take."""
    problems = []
    rows = read_csv_rows(path)
    seen = set()
    for lineno, row in enumerate(rows, start=2):
        where = f"{path.name}:{lineno}"
        key = tuple(row.get(c, "") for c in id_column.split("+"))
        if key in seen:
            problems.append(f"{where}: duplicate {id_column} {key}")
        seen.add(key)
        placeholder = row.get("placeholder", "").strip().lower()
        if placeholder not in ("true", "false"):
            problems.append(f"{where}: placeholder must be true or false (got {placeholder!r})")
        source = row.get("source", "").strip()
        if not source:
            problems.append(f"{where}: no source and not flagged as a placeholder" if placeholder != "true"
                            else f"{where}: a placeholder must say why in its source column")
        elif placeholder == "true" and "PLACEHOLDER" not in source:
            problems.append(f"{where}: a placeholder row's source must start with PLACEHOLDER")
        if fields is not None and row.get("field") not in fields:
            problems.append(f"{where}: unknown field {row.get('field')!r}")
        if row.get("confidence", "").strip() not in CONFIDENCE:
            problems.append(f"{where}: confidence must be one of H, M, L (got {row.get('confidence')!r})")
        if "unit" in row and not _known_unit(row["unit"].strip()):
            problems.append(f"{where}: unknown unit {row['unit']!r} (known: {', '.join(sorted(KNOWN_UNITS))}, and "
                            "<currency>/yr, <currency>/USD, <currency>/device)")
        if row.get("field") in TEXT_FIELDS:
            if row.get("value", "").strip() not in TEXT_VALUES[row["field"]]:
                problems.append(f"{where}: {row['field']} must be one of {sorted(TEXT_VALUES[row['field']])[:8]}"
                                f"{'...' if len(TEXT_VALUES[row['field']]) > 8 else ''} (got {row.get('value')!r})")
        elif "value" in row:
            try:
                if row.get("unit", "").strip() == "1/yr":  # a rate (growth, inflation) may fall, never by 100%
                    if not float(row["value"]) > -1:
                        problems.append(f"{where}: {row.get('field') or row.get('id') or 'value'} is a rate of "
                                        f"-100% or less ({row['value']})")
                elif float(row["value"]) < 0:
                    problems.append(f"{where}: negative value {row['value']}")
            except ValueError:
                problems.append(f"{where}: value is not a number ({row['value']!r})")
    return problems, len(rows)


def check_data(scenario_dir: str | Path | None = None) -> tuple[list[str], list[str]]:
    """Run every check. Returns (problems, notes); no problems means the data passes."""
    folder = data_dir()
    problems: list[str] = []
    notes: list[str] = []

    p, n = _check_rows(folder / "country_profiles.csv", "iso3+field", PROFILE_FIELDS)
    problems += p
    notes.append(f"country_profiles.csv: {n} rows")

    p, n = _check_rows(folder / "unit_costs.csv", "id")
    problems += p
    notes.append(f"unit_costs.csv: {n} rows")

    for name, key in (("price_history.csv", "currency+series+year"), ("dsf_thresholds.csv", "capacity+ratio"),
                      ("ida_terms_by_risk.csv", "debt_risk"), ("unit_cost_ranges.csv", "id"),
                      ("school_technologies.csv", "technology+field")):
        if (folder / name).exists():
            p, n = _check_rows(folder / name, key)
            problems += p
            notes.append(f"{name}: {n} rows")
    thresholds = {(r["capacity"], r["ratio"]) for r in read_csv_rows(folder / "dsf_thresholds.csv")} \
        if (folder / "dsf_thresholds.csv").exists() else set()
    missing = [f"{c}/{r}" for c in DEBT_CAPACITIES for r in DSF_RATIOS if (c, r) not in thresholds]
    if missing:
        problems.append(f"dsf_thresholds.csv: no threshold for {', '.join(missing)}")

    p, n = _check_rows(folder / "loan_terms.csv", "id")
    problems += p
    try:
        for sheet in loan_terms().values():
            if sheet.rate < 0 or sheet.commitment_fee < 0 or sheet.front_end_fee < 0:
                problems.append(f"loan_terms.csv: {sheet.id}: negative rate or fee")
            if sheet.maturity_years <= sheet.grace_years:
                problems.append(f"loan_terms.csv: {sheet.id}: maturity must exceed grace")
    except DflFinanceError as exc:
        problems.append(str(exc))
    notes.append(f"loan_terms.csv: {n} term sheets")

    problems += _check_templates(notes)
    problems += _check_scenarios(Path(scenario_dir) if scenario_dir else bundled_scenarios_dir(), notes)
    return problems, notes


def _check_templates(notes: list[str]) -> list[str]:
    problems = []
    try:
        library = templates()
    except DflFinanceError as exc:
        return [str(exc)]
    for name in library:
        raw = {"scenario": {"name": "template check", "start_year": 2026, "years": 5},
               "context": {"schools": 10, "learners": 10, "teachers": 10, "education_budget": 1.0},
               "programme": [{"template": name}]}
        try:
            scenario_from_dict(raw, file=f"templates.toml [{name}]")
        except DflFinanceError as exc:
            problems.append(str(exc))
    notes.append(f"templates.toml: {len(library)} templates")
    return problems


def _check_scenarios(folder: Path, notes: list[str]) -> list[str]:
    if not folder.is_dir():
        return [f"{folder}: no such folder of scenarios"]
    problems = []
    files = sorted(folder.glob("*.toml"))
    if not files:
        return [f"{folder}: no scenario files (*.toml) to check"]
    for f in files:
        try:
            run(load_scenario(f)).tables()
        except DflFinanceError as exc:
            problems.append(str(exc))
    notes.append(f"{folder.name}/: {len(files)} scenarios validate and run" if not problems
                 else f"{folder.name}/: {len(files)} scenarios")
    return problems

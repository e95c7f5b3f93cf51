"""Fuzz of the newer input surfaces through the command line, in-process (issue 26).

``tests/test_fuzz.py`` mutates whole scenario files through ``dfl-finance run``; this file takes its generator's
mutations and checks to the inputs that came later, each through its own command:

- ``[[uncertain]]`` rows of the bundled scenarios (their distribution, parameters, path, group and rho; rows added,
  copied, removed) through ``dfl-finance risk --draws 16`` and, every fourth case, ``optimise --draws 4``;
- school tables (a subsample of ``data/schools-rwanda-synthetic.csv`` with cells, columns and rows mutated) and the
  options of ``dfl-finance schools`` (rate, budget, horizon, years, order, preferred technologies, fibre extension, a
  table of fibre nodes, itself mutated);
- portfolio files (``examples/portfolio-*.toml`` copied with their scenarios): the ``[fund]``, the ``[[country]]``
  rows and ``[portfolio]`` through ``dfl-finance portfolio``;
- sweep files (``examples/sweep-*.toml`` with a few draws in small chunks): draws, chunk, seeds, stresses, override
  sets (values, uncertain rows, distributions given as values) and listed cases through ``dfl-finance sweep
  --workers 0``.

Every case ends in one of two ways: exit 0 with finite tables (and, by surface, what the output promises: every
school's technology one it can use, shares of the fund that add up to at most its envelope, no failed sweep case),
or exit 2 with a message that names the file and the field, the row and column, or the option, and no output
folder. Never a traceback (an exception out of ``main``), never exit 1. Each case has its own seed: reproduce one
with ``pytest tests/test_fuzz_inputs.py -k "uncertain-case-17"``.
"""

from __future__ import annotations

import copy
import math
import random
import re
import shutil
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from tests.conftest import ROOT
from tests.test_fuzz import (
    MAY_BE_EMPTY,
    NUMBERS,
    TEXT_COLUMNS,
    TEXTS,
    _assert_finite_table,
    _assert_finite_tables,
    _mutate,
    _plausible,
    _run_cli,
)

SEED = 20261226
SCENARIOS = ROOT / "scenarios"
EXAMPLES = ROOT / "examples"


def _first_problem(stderr: str) -> str:
    """The first line of an error (warnings are printed before it; argparse prints its usage before it)."""
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    if lines and lines[0].startswith("usage: "):
        lines = [line for line in lines if ": error: " in line]
    assert lines, "exit 2 without a message"
    return lines[0]


def _refused(stderr: str, folder: Path, pattern: str) -> str:
    """The first problem of a refused command, which must match ``pattern`` (the file and the field, or the
    option); no traceback, and no output folder."""
    assert not folder.exists(), "a refused command must not leave an output folder"
    assert "Traceback" not in stderr
    first = _first_problem(stderr)
    assert re.match(pattern, first), (pattern, first)
    return first


def _dump(doc: dict, rng: random.Random, fallback: str) -> str:
    """The TOML text of ``doc``; a value TOML cannot hold (a list of tables and numbers, say) gives ``fallback``
    with an unknown key, which must be refused as such."""
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return fallback + f"\nmutation = {rng.choice(['nan', 'inf', '1e400', '[[]]'])}\n"


def _copy_bundled(folder: Path) -> None:
    """The bundled scenarios and examples under ``folder`` as in the repository (``examples/`` names
    ``../scenarios/...``; a scenario names its baseline beside it)."""
    shutil.copytree(SCENARIOS, folder / "scenarios", ignore=shutil.ignore_patterns("*.csv", "*.parquet"))
    (folder / "examples").mkdir()
    for f in EXAMPLES.glob("*.toml"):
        shutil.copy(f, folder / "examples" / f.name)


def _example_written(folder: Path, name: str, text: str) -> Path:
    """The bundled files under ``folder`` (:func:`_copy_bundled`) with the example ``name`` replaced by ``text``."""
    _copy_bundled(folder)
    path = folder / "examples" / name
    path.write_text(text, encoding="utf-8")
    return path


#: Text columns of the tables these commands write, besides those of tests/test_fuzz.py.
MORE_TEXT = {"statistic", "note", "country", "income_group", "basis_unit", "capped", "pv_saving_currency", "group",
             "constraint", "binding", "reading", "input_label", "input_unit", "path", "school_id", "region", "area",
             "technology", "power", "segment_type", "segment", "file", "failed", "override", "stress", "portfolio"}


def _assert_finite(csv: Path, may_be_empty: set[str] = frozenset()) -> pd.DataFrame:
    """Every number column of ``csv`` finite, those of ``may_be_empty`` finite or empty (the scenario fuzz's check,
    with the text columns of these tables)."""
    return _assert_finite_table(csv, TEXT_COLUMNS | MORE_TEXT, may_be_empty)


#: Cells that may be empty besides those of tests/test_fuzz.py: the year of a constraint over the whole plan (a
#: commitment), the delta of the baseline's own rows.
EMPTY_TOO = {("shadow_prices.csv", "year"), ("comparison.csv", "delta")}


# =========================================================================== 1. [[uncertain]] rows: risk, optimise

UNCERTAIN_CASES = 400
DISTRIBUTIONS = ["uniform", "triangular", "pert", "normal", "lognormal", "discrete"]
RHOS = [-1.0, -0.6, -0.2, 0.0, 0.5, 0.99, 1.0, 1.5, math.nan, math.inf]
BAD_PATHS = ["scenario.years", "programme[nope].cost[0].unit_cost", "source[99].commitment", "", "macro.inflation[0]",
             "context", "uncertain[0].low", "programme[0].cost[0]", "source[mof].rate", "x" * 1001, "a..b",
             "programme[connectivity].cost[99].unit_cost", "context.schools.x"]


@cache
def _varying_paths(name: str) -> tuple[tuple[str, float | None, tuple[float, float]], ...]:
    """Every field of a bundled scenario that may vary between draws, as (canonical path, value or None, the field's
    allowed range with its open ends moved inside and its infinite ends at a large finite value)."""
    from dfl_finance import load_scenario
    from dfl_finance.inputs.paths import leaves
    from dfl_finance.inputs.uncertain import can_vary, field_bounds

    sc = load_scenario(SCENARIOS / name)
    out = []
    for leaf in leaves(sc):
        if not can_vary(leaf.location) or isinstance(leaf.value, (bool, list)):
            continue
        lo, hi, lo_open, hi_open = field_bounds(leaf.location)
        if leaf.location[-1] == "target_year":
            lo, hi = float(sc.scenario.start_year), float(sc.end_year)
        lo = max(lo, -1e6) + (1e-9 if lo_open else 0.0)
        hi = min(hi, 1e18) - (1e-9 * max(1.0, abs(hi)) if hi_open else 0.0)
        out.append((leaf.path, leaf.value, (lo, hi)))
    return tuple(out)


def _around(value: float | None, bounds: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    """A range around ``value``, mostly inside its field's range, sometimes past an edge; or the field's whole
    range, or a range at one of its ends."""
    lo, hi = bounds
    if value is None or rng.random() < 0.3:
        edge = rng.choice(["whole", "low", "high"])
        if edge == "whole":
            return lo, hi
        span = min(hi - lo, 1.0) * rng.choice([1e-6, 0.01, 0.5])
        return (lo, lo + span) if edge == "low" else (hi - span, hi)
    if isinstance(value, int) and value > 1000:  # a year or a count
        return value - rng.choice([0, 1, 2, 5]), value + rng.choice([1, 2, 3, 50])
    width = abs(value) * rng.choice([0.01, 0.1, 0.5, 1.0, 3.0]) or rng.choice([0.01, 0.1, 1.0])
    return value - width * rng.random(), value + width * rng.random() + 1e-9


def _distribution(kind: str, low: float, high: float, rng: random.Random) -> dict:
    """The parameters of a ``kind`` distribution over ``low .. high``."""
    mid = (low + high) / 2
    if kind == "uniform":
        return {"low": low, "high": high}
    if kind in ("triangular", "pert"):
        return {"low": low, "mode": rng.choice([low, mid, high]), "high": high}
    if kind == "normal":
        return {"mean": mid, "sd": max((high - low) / rng.choice([1, 4, 100]), 1e-9)}
    if kind == "lognormal":
        return {"median": mid if mid > 0 else rng.choice([mid, 1.0]), "sd_log": rng.choice([0.01, 0.3, 2.0])}
    values = sorted({low, mid, high})
    out: dict = {"values": values}
    if rng.random() < 0.5:
        out["weights"] = [rng.choice([0.0, 0.5, 1.0, 3.0, -1.0]) for _ in values]
    return out


def _mutate_uncertain(doc: dict, name: str, rng: random.Random) -> None:
    rows = doc.setdefault("uncertain", [])
    action = rng.random()
    row = rng.choice(rows) if rows else None
    if row is None or action < 0.35:  # a new row on any field that may vary, around its value
        path, value, bounds = rng.choice(_varying_paths(name))
        kind = rng.choice(DISTRIBUTIONS)
        rows.append({"path": path, "distribution": kind, **_distribution(kind, *_around(value, bounds, rng), rng)})
    elif action < 0.55:  # another distribution, over the row's range (or with the old parameters, refused)
        kind = rng.choice(DISTRIBUTIONS + ["beta", ""])
        numbers = [v for k, v in row.items() if k in ("low", "high", "mode", "mean", "median")]
        low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
        keep = {k: v for k, v in row.items() if k in ("path", "group", "rho")}
        if rng.random() < 0.8 and kind in DISTRIBUTIONS:
            row.clear()
            row.update(keep, distribution=kind, **_distribution(kind, low, high, rng))
        else:
            row["distribution"] = kind
    elif action < 0.7:  # a parameter: within its type, at an edge, of another type, or gone
        wrapper = {"row": row}
        _mutate(wrapper, rng)
        if isinstance(wrapper.get("row"), dict):
            rows[rows.index(row)] = wrapper["row"]
    elif action < 0.8:  # another path: a field that may vary (with the row's distribution), or one that cannot
        row["path"] = rng.choice([p for p, _, _ in _varying_paths(name)] if rng.random() < 0.6 else BAD_PATHS)
    elif action < 0.92:  # a group of rows that move together
        group = rng.sample(rows, k=min(len(rows), rng.randint(1, 4)))
        label = rng.choice(["g", "costs", "bad name", ""])
        for r in group:
            r["group"] = label
            if rng.random() < 0.6:
                r["rho"] = rng.choice(RHOS)
        if rng.random() < 0.1:
            rng.choice(rows)["rho"] = rng.choice(RHOS)  # a rho without a group
    elif action < 0.96:
        rows.append(copy.deepcopy(row))  # the same field twice
    else:
        if rng.random() < 0.7:
            del rows[rng.randrange(len(rows))]
        else:
            rows.clear()


def _uncertain_case(index: int) -> tuple[str, str]:
    """(bundled file name, TOML text with its [[uncertain]] rows mutated) of case ``index``."""
    rng = random.Random(SEED + index)
    source = rng.choice(sorted(SCENARIOS.glob("*.toml")))
    text = source.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    for _ in range(rng.randint(1, 3)):
        _mutate_uncertain(doc, source.name, rng)
    return source.name, _dump(doc, rng, text)


@pytest.mark.parametrize("index", range(UNCERTAIN_CASES), ids=[f"uncertain-case-{i}" for i in range(UNCERTAIN_CASES)])
def test_mutated_uncertain_rows_run_over_draws_or_are_refused_by_row_and_field(index, tmp_path):
    name, text = _uncertain_case(index)
    for sibling in SCENARIOS.glob("*.toml"):  # a [scenario] baseline names a file beside it
        shutil.copy(sibling, tmp_path / sibling.name)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    checked, _, check_err = _run_cli(["validate", str(path)])
    out = tmp_path / "risk"
    code, _, stderr = _run_cli(["risk", str(path), "--draws", "16", "--seed", str(index), "--out", str(out)])
    assert code in (0, 2), (code, stderr)
    assert (checked == 0) == (code == 0), ("validate and risk disagree", check_err, stderr)
    runs = [(code, stderr, out)]
    if index % 4 == 0:
        best = tmp_path / "best"
        code, _, stderr = _run_cli(["optimise", str(path), "--draws", "4", "--seed", str(index), "--out", str(best)])
        assert code == runs[0][0], ("risk and optimise --draws disagree", runs[0][1], stderr)
        runs.append((code, stderr, best))
    for code, stderr, folder in runs:
        if code == 0:
            _assert_finite_tables(folder, TEXT_COLUMNS | MORE_TEXT, MAY_BE_EMPTY | EMPTY_TOO)
            quantiles = _assert_finite(folder / "quantiles.csv")
            assert len(quantiles), "no quantiles"
            cost = quantiles.loc[quantiles["metric"] == "total_cost", "value"].astype(float)
            assert (cost >= 0).all(), ("a negative total cost in a draw", cost.min())  # (units reached back)
        else:
            _refused(stderr, folder, rf"{re.escape(str(path))}: uncertain(\[\d+\](\.\w+)?)?: ")


# =========================================================================== 2. school tables and options: schools

SCHOOL_CASES = 500
SCHOOL_ROWS = 250
NUMBER_COLUMNS = ["lat", "lon", "learners", "teachers", "fiber_distance_km", "tower_distance_km"]
BAD_NUMBERS = ["nan", "inf", "-inf", "-1", "1e300", "1e6", "1e7", "abc", "", "0", "1,5", "0x10", "1e-320", "NaN"]
BOOLEANS = ["maybe", "", "TRUE", "1", "no", "Y", "nan", "2"]
TEXT_CELLS = {"area": ["URBAN ", "suburb", "", "remote", "Rural"], "coverage": ["6G", "", "4g", "none", "5G", "1G"],
              "connectivity": ["fibre", "satellite", "", "abc", "none", "NaN", "false"],
              "region": ["", "  ", "=cmd()", "Région", "x" * 500], "school_id": ["", " ", "S000000", "=1+1"]}
GIGA = {"school_id": "school_id_giga", "lat": "latitude", "lon": "longitude", "learners": "num_students",
        "fiber_distance_km": "fiber_node_distance", "coverage": "coverage_type", "area": "school_area_type"}


@cache
def _school_sample() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "schools-rwanda-synthetic.csv", dtype=str, keep_default_na=False)


def _mutate_schools(df: pd.DataFrame, rng: random.Random) -> pd.DataFrame:
    if not len(df):
        return df
    r = rng.randrange(len(df))

    def cell(col: str, value: str) -> None:
        if col in df.columns:  # (a column deleted or renamed by an earlier mutation stays so)
            df.loc[r, col] = value

    action = rng.random()
    if action < 0.35:
        cell(rng.choice(NUMBER_COLUMNS), rng.choice(BAD_NUMBERS))
    elif action < 0.45:
        cell("electricity", rng.choice(BOOLEANS))
    elif action < 0.6:
        col = rng.choice(list(TEXT_CELLS))
        cell(col, rng.choice(TEXT_CELLS[col]))
    elif action < 0.65:
        if "school_id" in df.columns:
            cell("school_id", df.loc[rng.randrange(len(df)), "school_id"])  # an id twice (or the same row)
    elif action < 0.72:
        df = df.drop(columns=rng.choice(list(df.columns)))
    elif action < 0.77:
        df = df.rename(columns={k: v for k, v in GIGA.items() if rng.random() < 0.5})
    elif action < 0.82:
        df = df.iloc[: rng.choice([0, 1, 2])]
    elif action < 0.9:  # a priority column (for --order priority), numbers and not
        df["priority"] = [rng.choice(["1", "2.5", "-3", "", "nan", "high", "1e13"]) if rng.random() < 0.05
                          else str(rng.randint(1, 5)) for _ in range(len(df))]
    elif action < 0.95:  # a whole column of one value
        col = rng.choice(["learners", "fiber_distance_km", "coverage", "connectivity", "electricity"])
        if col in df.columns:
            df[col] = rng.choice({"learners": ["0", "1e6", "3001"], "fiber_distance_km": ["0", "40000", "25"],
                                  "coverage": ["none", "5G"], "connectivity": ["none", "fibre"],
                                  "electricity": ["False", "True"]}[col])
    else:
        df[rng.choice(["extra", "name", "tower_distance_km"])] = ""
    return df


def _school_options(rng: random.Random, folder: Path, table: pd.DataFrame) -> list[str]:
    """Options of ``dfl-finance schools``, each given with probability, within and past its range; a table of fibre
    nodes written into ``folder``."""
    from dfl_finance.engine.rollout import ORDERS
    from dfl_finance.engine.schools import TECHNOLOGIES

    args: list[str] = []
    horizon = rng.choice([1, 3, 10, 10, 10, 50, 1, 10, 0, 51, -1, 10**6])
    start = rng.choice([2026, 2026, 1900, 2200, 2026, 2026, 1899, 2201])
    if rng.random() < 0.5:
        args += ["--horizon", str(horizon)]
    else:
        horizon = 10
    if rng.random() < 0.3:
        args += ["--start-year", str(start)]
    else:
        start = 2026
    for option, good, bad in (("--rate", ["0", "0.05", "1", "1e-300"], ["1.5", "-0.1", "nan", "inf", "abc"]),
                              ("--budget", ["1", "1000", "3e5", "1e18", "1e300"], ["0", "-1", "nan", "inf", "x"]),
                              ("--order", list(ORDERS), ["bad"])):
        if rng.random() < 0.35:
            args += [option, rng.choice(good if rng.random() < 0.75 else bad)]
    if rng.random() < 0.3:
        args += ["--target-year", str(start + rng.choice([0, 1, horizon - 1, horizon, -1, 100]))]
    if rng.random() < 0.4:
        names = [*TECHNOLOGIES] + (["bad", "", "Fibre"] if rng.random() < 0.2 else [])
        prefer = rng.sample(names, k=rng.randint(1, len(names)))
        if rng.random() < 0.1:
            prefer.append(prefer[0])
        args += ["--prefer", ",".join(prefer)]
    if rng.random() < 0.3:
        args.append("--extend-fibre")
    if rng.random() < 0.2:
        nodes = table[[c for c in ("lat", "lon") if c in table.columns]].iloc[: rng.choice([0, 1, 5, 30])].copy()
        nodes = nodes.rename(columns={"lat": "lat" if rng.random() < 0.9 else "latitude"})
        if len(nodes) and nodes.shape[1] and rng.random() < 0.4:
            nodes.iloc[rng.randrange(len(nodes)), rng.randrange(nodes.shape[1])] = rng.choice(
                ["nan", "91", "-181", "abc", "", "inf"])
        file = folder / "nodes.csv"
        if rng.random() < 0.05:
            file.write_text("", encoding="utf-8")
        else:
            nodes.to_csv(file, index=False)
        args += ["--fibre-nodes", str(file)]
    return args


def _school_case(index: int, folder: Path) -> tuple[Path, list[str]]:
    rng = random.Random(SEED + 10_000 + index)
    df = _school_sample().sample(n=SCHOOL_ROWS, random_state=rng.randrange(2**31)).reset_index(drop=True)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        df = _mutate_schools(df, rng)
    path = folder / "schools.csv"
    df.to_csv(path, index=False)
    return path, _school_options(rng, folder, df)


def _haversine_km(lat, lon, node_lat, node_lon) -> np.ndarray:
    """Great-circle distance [km] from each point to the nearest node (brute force, for the check)."""
    if not len(node_lat):
        return np.full(len(lat), np.inf)
    la, lo = np.radians(lat)[:, None], np.radians(lon)[:, None]
    nla, nlo = np.radians(node_lat)[None, :], np.radians(node_lon)[None, :]
    a = np.sin((nla - la) / 2) ** 2 + np.cos(la) * np.cos(nla) * np.sin((nlo - lo) / 2) ** 2
    return (2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))).min(axis=1)


def _assert_usable_technologies(schools: pd.DataFrame, table: Path, args: list[str]) -> None:
    """Every school's technology is one it can use (data/school_technologies.csv: fibre within its reach of a node,
    cellular within its reach of a tower and with the coverage, point-to-point within its reach of either,
    satellite up to its bandwidth), ``existing`` exactly where a connection is already there, ``none`` only where
    nothing can serve. With ``--extend-fibre``, a school on fibre may also be within fibre's reach of another."""
    from dfl_finance.inputs.schools import GIGA_ALIASES
    from dfl_finance.model.technology import default_technologies

    tech = default_technologies()
    given = pd.read_csv(table, dtype=str, keep_default_na=False)
    given = given.rename(columns={k: v for k, v in GIGA_ALIASES.items() if k in given.columns
                                  and v not in given.columns})
    given["school_id"] = given["school_id"].str.strip()
    ids = schools["school_id"].astype(str)
    ids = ids.where(ids.isin(given["school_id"]), ids.str[1:])  # '=1+1 as written, against formulas
    given = given.set_index("school_id").loc[ids]
    num = {c: pd.to_numeric(given[c], errors="coerce").to_numpy(dtype=float) if c in given.columns
           else np.full(len(given), np.nan)
           for c in ("learners", "fiber_distance_km", "tower_distance_km", "lat", "lon")}
    if "--fibre-nodes" in args:
        nodes = pd.read_csv(args[args.index("--fibre-nodes") + 1])
        num["fiber_distance_km"] = _haversine_km(num["lat"], num["lon"], nodes["lat"].to_numpy(float),
                                                 nodes["lon"].to_numpy(float))
    coverage = given["coverage"].str.strip().str.lower().map({"none": 0, "": 0, "2g": 2, "3g": 3, "4g": 4,
                                                              "5g": 5}).to_numpy(dtype=float)
    tower = np.where(np.isnan(num["tower_distance_km"]), 0.0, num["tower_distance_km"])
    demand = np.maximum(tech.mbps_per_school, tech.mbps_per_learner * num["learners"])
    fibre_km = num["fiber_distance_km"]
    technology = schools["technology"].to_numpy(dtype=str)
    if "--extend-fibre" in args:  # the nearest school that ends on fibre (a lower bound of the distance it used)
        on = (technology == "fibre") | ((technology == "existing") & given["connectivity"].str.strip().str.lower()
                                        .isin(["fibre", "fiber"]).to_numpy())
        fibre_km = np.minimum(fibre_km, _haversine_km(num["lat"], num["lon"], num["lat"][on], num["lon"][on]))
    p2p_km = np.minimum(np.where(np.isnan(num["tower_distance_km"]), np.inf, num["tower_distance_km"]), fibre_km)
    i = {name: k for k, name in enumerate(("fibre", "cellular", "p2p", "satellite"))}

    def can(name: str, km: np.ndarray) -> np.ndarray:
        k = i[name]
        return (km <= tech.max_km[k] + 1e-6) & (coverage >= tech.min_coverage[k]) & (demand <= tech.max_mbps[k])

    usable = {"fibre": can("fibre", fibre_km), "cellular": can("cellular", tower), "p2p": can("p2p", p2p_km),
              "satellite": can("satellite", np.zeros(len(given)))}
    connected = ~given["connectivity"].str.strip().str.lower().isin(["none", "", "no", "false", "nan"]).to_numpy()
    assert ((technology == "existing") == connected).all(), "existing is where a connection is already there"
    for name, ok in usable.items():
        bad = (technology == name) & ~ok
        assert not bad.any(), (name, schools.loc[bad, "school_id"].head(3).tolist())
    plain = {"fibre": can("fibre", num["fiber_distance_km"]), "cellular": usable["cellular"],
             "p2p": can("p2p", np.minimum(np.where(np.isnan(num["tower_distance_km"]), np.inf,
                                                   num["tower_distance_km"]), num["fiber_distance_km"])),
             "satellite": usable["satellite"]}
    stranded = (technology == "none") & np.any(np.stack(list(plain.values())), axis=0)
    assert not stranded.any(), ("none where a technology can serve", schools.loc[stranded, "school_id"].head(3))


OPTION_NAMES = ("--horizon", "--start-year", "--rate", "--budget", "--order", "--target-year", "--prefer",
                "--fibre-nodes")


@pytest.mark.parametrize("index", range(SCHOOL_CASES), ids=[f"schools-case-{i}" for i in range(SCHOOL_CASES)])
def test_mutated_school_tables_and_options_plan_or_are_refused_by_row_column_or_option(index, tmp_path):
    table, options = _school_case(index, tmp_path)
    out = tmp_path / "out"
    code, _, stderr = _run_cli(["schools", str(table), "--out", str(out), *options])
    assert code in (0, 2), (code, stderr)
    if code == 0:
        schools = _assert_finite(out / "schools.csv", {"year_connected"})
        assert len(schools) and (schools["cost_horizon"] != "").all()
        _assert_usable_technologies(schools, table, options)
        _assert_finite(out / "segments.csv", {"cost_per_school", "cost_per_learner"})
        _assert_finite(out / "equity.csv", {"value"})
    else:  # the table (its row and column), the table of fibre nodes, or an option given
        files = [table, *([options[options.index("--fibre-nodes") + 1]] if "--fibre-nodes" in options else [])]
        given = [o for o in OPTION_NAMES if o in options]
        _refused(stderr, out, "|".join([*(rf"{re.escape(str(f))}: " for f in files),
                                        *(rf"(dfl-finance schools: error: argument )?{o}\b" for o in given)]))


# =========================================================================== 3. portfolio files: portfolio

PORTFOLIO_CASES = 300
PORTFOLIOS = sorted(EXAMPLES.glob("portfolio-*.toml"))
FUND_VALUES = {
    "envelope": [0, 1, 1e3, 4e7, 6e7, 1e9, 1e17, 1e18, -1, math.nan, math.inf, "40e6", True],
    "rule": ["need", "per-learner", "weighted", "optimal", "Need", "", 3],
    "per_learner": [0.01, 2.0, 1e3, 1e18, 0, -1, math.nan, math.inf, "2"],
    "floor": [0, 1e5, 1e6, 3e7, 1e18, -1, math.nan, math.inf, "1e6"],
    "ceiling": [0, 1e5, 1e6, 3e7, 1e18, -1, math.nan, math.inf, "1e6"],
    "objective": ["reach", "gap", "cost", ""],
    "co_finances": [["gpe"], ["ida"], ["mof"], ["unknown"], "gpe", [], ["gpe", "gpe"], [1]],
    "group_weights": [{"low": 1.0, "lower-middle": 0.6}, {"low": 0.0}, {"low": 1.0, "lower-middle": -1},
                      {"low": math.nan, "lower-middle": 1}, {"middle": 1.0}, {}, {"low": "1"},
                      {"low": 1.0, "lower-middle": 1e300}],
    "source": [{"kind": "loan", "terms": "ida21-regular"}, {"kind": "loan"}, {"kind": "ppp"},
               {"kind": "grant", "eligible": ["connectivity:capex"]}, {"eligible": ["nothing:capex"]},
               {"kind": "loan", "rate": math.nan, "maturity_years": 10}, {"first_year": 2030, "last_year": 2027},
               {"id": "other"}, {"commitment": 5}, {"kind": "loan", "terms": "ida21-40year", "grace_years": 99}],
    "id": ["pooled_fund", "mof", "", "fund 2", "gpe"],
}
COUNTRY_VALUES = {
    "scenario": ["../scenarios/rwanda-ida-credit.toml", "../scenarios/kenya-ida-gpe.toml", "missing.toml", "",
                 "..", "portfolio-east-africa.toml", "sweep-rwanda-options.toml", 3],
    "profile": ["RWA", "KEN", "NPL", "XXX", "", "rwa"],
    "name": ["Rwanda", "Kenya", "", "=1+1", "Côte d'Ivoire", 5],
    "income_group": ["low", "lower-middle", "upper-middle", "high", "middle", ""],
    "weight": [0, 0.5, 1, 1e9, -1, math.nan, math.inf, "1"],
}


@cache
def _country_paths(file: str) -> tuple[tuple[str, object], ...]:
    """Every field of a bundled scenario with a number or text value, as (canonical path, value)."""
    from dfl_finance import load_scenario
    from dfl_finance.inputs.paths import leaves

    sc = load_scenario(file)
    return tuple((leaf.path, leaf.value) for leaf in leaves(sc)
                 if isinstance(leaf.value, (int, float, str)) and not isinstance(leaf.value, bool))


def _values(rng: random.Random, scenario: str | None) -> dict:
    """Field-path overrides of a country's scenario: fields within their type, at an edge, or not fields at all."""
    file = (EXAMPLES / scenario).resolve() if scenario else SCENARIOS / "rwanda-domestic.toml"
    if not file.is_file() or file.suffix != ".toml" or "portfolio" in file.name or "sweep" in file.name:
        file = SCENARIOS / "rwanda-domestic.toml"
    out: dict = {}
    for _ in range(rng.randint(1, 3)):
        path, value = rng.choice(_country_paths(str(file)))
        roll = rng.random()
        if roll < 0.6 and isinstance(value, (int, float)):
            out[path] = _plausible(value, rng)
        elif roll < 0.75:
            out[path] = rng.choice(NUMBERS + TEXTS[:3])
        elif roll < 0.85:
            out[path] = {"distribution": "uniform", "low": 0.0, "high": 1.0}
        else:
            out[rng.choice(["context.nothing", "source[none].commitment", "programme[9].target_share", ""])] = 1.0
    return out


def _mutate_portfolio(doc: dict, rng: random.Random) -> None:
    action = rng.random()
    countries = doc.get("country") if isinstance(doc.get("country"), list) else []
    if action < 0.4 and isinstance(doc.get("fund"), dict):
        key = rng.choice(list(FUND_VALUES))
        if rng.random() < 0.1:
            doc["fund"].pop(key, None)
        else:
            doc["fund"][key] = copy.deepcopy(rng.choice(FUND_VALUES[key]))
    elif action < 0.7 and countries:
        row = rng.choice(countries)
        if not isinstance(row, dict):
            return
        roll = rng.random()
        if roll < 0.4:
            row["values"] = _values(rng, row.get("scenario") if isinstance(row.get("scenario"), str) else None)
        elif roll < 0.85:
            key = rng.choice(list(COUNTRY_VALUES))
            row[key] = rng.choice(COUNTRY_VALUES[key])
        else:
            row.pop(rng.choice(list(row)), None)
    elif action < 0.8:
        roll = rng.random()
        if roll < 0.4 and countries:
            countries.append(copy.deepcopy(rng.choice(countries)))
        elif roll < 0.7 and countries:
            del countries[rng.randrange(len(countries))]
        else:
            doc["country"] = rng.choice([[], {}, [1], [{"profile": "NPL"}]])
    elif action < 0.9:
        table = doc.setdefault("portfolio", {})
        key = rng.choice(["name", "template", "unknown"])
        table[key] = rng.choice(["plan-template.toml", "missing.toml", "portfolio-east-africa.toml", "", 3,
                                 "../scenarios/rwanda-domestic.toml", *TEXTS[:4]])
    else:
        _mutate(doc, rng)  # anything, as the scenario fuzz does


def _portfolio_case(index: int) -> tuple[str, str]:
    rng = random.Random(SEED + 20_000 + index)
    source = rng.choice(PORTFOLIOS)
    text = source.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    for _ in range(rng.randint(1, 3)):
        _mutate_portfolio(doc, rng)
    return source.name, _dump(doc, rng, text)


@pytest.mark.parametrize("index", range(PORTFOLIO_CASES), ids=[f"portfolio-case-{i}" for i in range(PORTFOLIO_CASES)])
def test_mutated_portfolios_share_at_most_the_envelope_or_are_refused_by_file_and_field(index, tmp_path):
    name, text = _portfolio_case(index)
    path = _example_written(tmp_path, name, text)
    out = tmp_path / "out"
    code, _, stderr = _run_cli(["portfolio", str(path), "--out", str(out)])
    assert code in (0, 2), (code, stderr)
    if code == 0:
        alloc = _assert_finite(out / "allocation.csv")
        envelope = tomllib.loads(text)["fund"]["envelope"]
        shares = alloc["share"].astype(float)
        assert (shares >= 0).all(), alloc
        assert shares.sum() <= envelope + 0.01 * len(shares), (shares.sum(), envelope)
        _assert_finite(out / "portfolio_equity.csv")
        _assert_finite(out / "portfolio_groups.csv")
        _assert_finite(out / "portfolio_reach.csv", {"reached_funded_before", "reached_funded_after",
                                                     "reached_by_fund", "unit_years_by_fund",
                                                     "marginal_reached_per_usd"})
    else:
        _refused(stderr, out, rf"{re.escape(str(path))}: (portfolio|country|fund|pooled|malformed TOML|\w+: unknown)")
    if set(tomllib.loads(text)) - {"portfolio", "country", "fund", "pooled"}:
        assert code == 2, "a table a portfolio file does not have must be refused"


# =========================================================================== 4. sweep files: sweep --workers 0

SWEEP_CASES = 250
SWEEPS = sorted(EXAMPLES.glob("sweep-*.toml"))
STRESSES = ["baseline", "depreciation", "capex_overrun=0.3", "pledge_shortfall:ida=0.3", "delay", "delay:gpe=2",
            "budget_growth", "capex_overrun=nan", "capex_overrun=-5", "capex_overrun=1e300", "delay=0.5",
            "pledge_shortfall:nobody", "depreciation:ida", "unknown", "", "capex_overrun=", "delay:=1"]
SEEDS = [[0], [1, 2], [7], [0, 0], [2**63 - 1], [], [-1], [2**63], [2**64], [1.5], "1", [True]]


def _sweep_values(rng: random.Random, files: list[str]) -> dict:
    """An override set's values: fields of the sweep's scenarios (within their type, at an edge), a distribution
    given as a value, or uncertain rows (mutated as the [[uncertain]] fuzz does)."""
    roll = rng.random()
    if roll < 0.5:
        return _values(rng, rng.choice(files) if files else None)
    if roll < 0.6:
        return {"source[mof].budget_share_cap": {"distribution": "uniform", "low": 0.01, "high": 0.05}}
    doc = {"uncertain": []}
    name = rng.choice(["rwanda-domestic.toml", "rwanda-ida-credit.toml", "kenya-domestic.toml"])
    for _ in range(rng.randint(1, 3)):
        _mutate_uncertain(doc, name, rng)
    return {"uncertain": doc["uncertain"]}


def _mutate_sweep(doc: dict, rng: random.Random) -> None:
    sweep = doc.get("sweep")
    if not isinstance(sweep, dict):
        return
    files = [f for f in sweep.get("scenarios", []) if isinstance(f, str)] \
        if isinstance(sweep.get("scenarios"), list) else []
    action = rng.random()
    if action < 0.15:
        sweep[rng.choice(["draws", "chunk"])] = rng.choice([1, 2, 3, 5, 7] if rng.random() < 0.5 else
                                                           [0, -1, 2.5, "4", True, 10**9, 2**63, math.nan])
    elif action < 0.25:
        sweep["seeds"] = copy.deepcopy(rng.choice(SEEDS))
    elif action < 0.4:
        sweep["stresses"] = rng.sample(STRESSES, k=rng.randint(1, 3)) if rng.random() < 0.9 else rng.choice(
            [[], "baseline", [3]])
    elif action < 0.7:
        sets = sweep.setdefault("override", [])
        if not isinstance(sets, list):
            return
        sets.append({"name": rng.choice(["set", "as written", "", "set"]) + str(len(sets)),
                     "values": _sweep_values(rng, files)})
    elif action < 0.82:  # a listed set of cases instead of the product
        scenarios = files or ["Rwanda", "Kenya"]
        names = [o.get("name") for o in sweep.get("override", []) if isinstance(o, dict)] or ["as written"]
        sweep["case"] = [{"scenario": rng.choice([*scenarios, "missing.toml", "Uganda"]),
                          "override": rng.choice([*names, "nope"]), "stress": rng.choice(STRESSES[:8]),
                          "seed": rng.choice([0, 3, -1, 1.5])} for _ in range(rng.randint(1, 3))]
        for row in sweep["case"]:
            for key in list(row):
                if rng.random() < 0.15:
                    del row[key]
    elif action < 0.9:
        key = rng.choice(["method", "basis", "name", "portfolio", "scenarios"])
        sweep[key] = rng.choice({"method": ["lhs", "mc", "sobol", "random", ""],
                                 "basis": ["real-lcu", "nominal-usd", "usd", 3],
                                 "name": TEXTS[:6], "portfolio": ["portfolio-east-africa.toml", "missing.toml", "",
                                                                  "portfolio-profiles.toml", 3],
                                 "scenarios": [[], ["../scenarios/kenya-domestic.toml"], ["missing.toml"], "x",
                                               ["../scenarios/rwanda-domestic.toml"] * 2]}[key])
    elif action < 0.95:
        _mutate({"sweep": sweep}, rng)
    else:  # a table outside [sweep]: override sets or cases one level too high, or anything
        key = rng.choice(["override", "case", "scenarios", "mutation"])
        doc[key] = copy.deepcopy(sweep.get(key, [{"name": "x"}]))


def _sweep_case(index: int) -> tuple[str, str]:
    rng = random.Random(SEED + 30_000 + index)
    source = rng.choice(SWEEPS)
    text = source.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    sweep = doc["sweep"]
    sweep["draws"], sweep["chunk"] = rng.randint(1, 4), rng.randint(1, 3)  # each case well under a second
    if "scenarios" in sweep:
        sweep["scenarios"] = rng.sample(sweep["scenarios"], k=rng.randint(1, 2))
    sweep["stresses"] = sweep.get("stresses", ["baseline"])[: rng.randint(1, 2)]
    base = tomli_w.dumps(doc)
    for _ in range(rng.randint(1, 2)):
        _mutate_sweep(doc, rng)
    return source.name, _dump(doc, rng, base)


@pytest.mark.parametrize("index", range(SWEEP_CASES), ids=[f"sweep-case-{i}" for i in range(SWEEP_CASES)])
def test_mutated_sweeps_run_every_case_or_are_refused_by_file_and_field(index, tmp_path):
    name, text = _sweep_case(index)
    path = _example_written(tmp_path, name, text)
    out = tmp_path / "out"
    code, _, stderr = _run_cli(["sweep", str(path), "--out", str(out), "--workers", "0"])
    assert code in (0, 2), (code, stderr)
    assert "failed: case" not in stderr, ("a case that validated failed to run", stderr)
    if code == 0:
        cases = pd.read_csv(out / "cases.csv", dtype=str, keep_default_na=False)
        assert len(cases) and (cases["failed"] == "").all(), cases
        _assert_finite(out / "quantiles.csv")
        if (out / "portfolio_quantiles.csv").exists():
            _assert_finite(out / "portfolio_quantiles.csv")
    else:
        _refused(stderr, out, rf"{re.escape(str(path))}: (sweep|malformed TOML|\w+: unknown table)")
    if set(tomllib.loads(text)) - {"sweep"}:
        assert code == 2, "a table a sweep file does not have must be refused"

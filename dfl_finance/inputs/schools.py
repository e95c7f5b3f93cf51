"""The school table: read a CSV or Parquet file, map the Giga school data's column names to ours, check every row,
and turn it into the engine's arrays.

Columns (units): ``school_id`` (text, unique), ``name`` (optional), ``region`` (text), ``lat``, ``lon`` (degrees,
[-90, 90] and [-180, 180]), ``area`` (``urban``, ``rural`` or ``remote``), ``learners``, ``teachers`` (counts >= 0),
``electricity`` (true/false), ``connectivity`` (``none`` or the technology already there), ``fiber_distance_km``
(km >= 0; or give the fibre nodes as their own table), ``coverage`` (``none``, ``2G``, ``3G``, ``4G``, ``5G``),
optionally ``tower_distance_km`` (km >= 0) and ``priority`` (a number: lower first, for the ``priority`` rollout).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dfl_finance.errors import Problem, ScenarioError, known
from dfl_finance.vocabulary import SCHOOL_AREAS as AREAS
from dfl_finance.vocabulary import SCHOOL_COVERAGE as COVERAGE

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    import pandas as pd  # pandas loads with a school table, not with `dfl-finance validate`

#: Column names of the Giga school data (giga.global, school connectivity maps) that mean the same as ours.
GIGA_ALIASES = {
    "school_id_giga": "school_id", "school_name": "name", "admin1": "region", "latitude": "lat",
    "longitude": "lon", "school_area_type": "area", "num_students": "learners", "num_teachers": "teachers",
    "electricity_availability": "electricity", "connectivity_type": "connectivity",
    "fiber_node_distance": "fiber_distance_km", "nearest_nr_distance": "tower_distance_km",
    "coverage_type": "coverage",
}
REQUIRED = ("school_id", "region", "lat", "lon", "area", "learners", "teachers", "electricity", "connectivity",
            "coverage")
OPTIONAL = ("name", "fiber_distance_km", "tower_distance_km", "priority")
#: The most problems reported (a bad file can have one per row).
MAX_PROBLEMS = 20
_TRUE = {"true", "yes", "1", "t", "y"}
_FALSE = {"false", "no", "0", "f", "n"}


@dataclass(frozen=True)
class SchoolArrays:
    """The checked columns the school model computes with, as arrays (N,) (the fields of
    :class:`dfl_finance.engine.schools.Schools`)."""

    learners: np.ndarray
    electricity: np.ndarray  # bool
    connected: np.ndarray  # bool
    fibre_km: np.ndarray  # to the nearest fibre node
    tower_km: np.ndarray  # to the nearest mobile tower (NaN: unknown)
    coverage: np.ndarray  # index (SCHOOL_COVERAGE)


@dataclass(frozen=True)
class SchoolTable:
    """A checked school table: the frame (our column names, one row per school) and its arrays."""

    frame: pd.DataFrame
    schools: SchoolArrays
    area: np.ndarray  # (N,) index into AREAS
    region: np.ndarray  # (N,) text

    def __len__(self) -> int:
        return len(self.frame)


def read_schools(path: str | Path, fibre_nodes: str | Path | None = None) -> SchoolTable:
    """Read and check a school table (CSV or Parquet); ``fibre_nodes``: a table of fibre nodes (``lat``, ``lon``)
    from which each school's ``fiber_distance_km`` is computed (great-circle, :func:`nearest_km`).

    Raises
    ------
    ScenarioError
        Missing columns, values out of range, duplicate ids: each problem names the file, the row and the column.
    """

    path = Path(path)
    frame = _read_table(path, "school table")
    nodes = None if fibre_nodes is None else _read_nodes(Path(fibre_nodes))
    return check_schools(frame, str(path), nodes)


def _read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV or Parquet table, every failure to read it a problem that names the file (``what`` says what it is)."""
    import pandas as pd  # pandas loads with a school table, not with `dfl-finance validate`

    try:
        if not path.is_file():
            raise ScenarioError([Problem(str(path), "file not found" if not path.exists() else
                                         f"not a regular file: a {what} is a CSV or Parquet file", has_value=False)])
        return pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ScenarioError([Problem(str(path), f"empty: a {what} has a header row and one row per entry",
                                     has_value=False)]) from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot read the {what}: {exc}", has_value=False)]) from None


def _read_nodes(path: Path) -> pd.DataFrame:
    """A table of fibre nodes: ``lat`` and ``lon`` in degrees, at least one row (each problem names the file, the row
    and the column)."""
    import pandas as pd  # pandas loads with a school table, not with `dfl-finance validate`

    nodes = _read_table(path, "table of fibre nodes")
    missing = [c for c in ("lat", "lon") if c not in nodes.columns]
    if missing:
        raise ScenarioError([Problem(str(path), f"missing column{'s' if len(missing) > 1 else ''}: "
                                     f"{', '.join(missing)} (a table of fibre nodes has lat and lon in degrees)",
                                     has_value=False)])
    if nodes.empty:
        raise ScenarioError([Problem(str(path), "no fibre nodes: the table has no rows", has_value=False)])
    problems = []
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        values = pd.to_numeric(nodes[column], errors="coerce").to_numpy(dtype=float)
        for r in np.flatnonzero(~(np.abs(values) <= limit))[:MAX_PROBLEMS]:
            problems.append(Problem(f"{path}: row {r + 2}, {column}", f"must be a number from {-limit:g} to "
                                    f"{limit:g} (degrees)", _cell(nodes[column].iloc[r])))
    if problems:
        raise ScenarioError(problems)
    return nodes


def check_schools(frame: pd.DataFrame, where: str = "schools", nodes: pd.DataFrame | None = None) -> SchoolTable:
    """A school table from a frame (see :func:`read_schools`)."""
    import pandas as pd  # pandas loads with a school table, not with `dfl-finance validate`

    frame = frame.rename(columns={k: v for k, v in GIGA_ALIASES.items() if k in frame.columns
                                  and v not in frame.columns})
    problems: list[Problem] = []
    missing = [c for c in REQUIRED if c not in frame.columns]
    if "fiber_distance_km" not in frame.columns and nodes is None:
        missing.append("fiber_distance_km")
    if missing:
        raise ScenarioError([Problem(where, f"missing column{'s' if len(missing) > 1 else ''}: "
                                     + ", ".join(missing) + " (or their Giga names: see docs/method.md, Schools)",
                                     has_value=False)])
    if frame.empty:
        raise ScenarioError([Problem(where, "no schools: the table has a header but no rows", has_value=False)])
    # other columns are left out (a Giga export has dozens)
    frame = frame[[c for c in (*REQUIRED, *OPTIONAL) if c in frame.columns]].copy()
    frame = frame.reset_index(drop=True)

    def bad(rows: np.ndarray, column: str, message: str) -> None:
        for r in np.flatnonzero(rows)[:MAX_PROBLEMS]:
            problems.append(Problem(f"{where}: row {r + 2}, {column}", message, _cell(frame[column].iloc[r])))

    def number(column: str, lo: float, hi: float, optional: bool = False) -> np.ndarray:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        empty = frame[column].isna().to_numpy()
        bad(np.isnan(values) & ~(empty & optional), column, "not a number")
        bad(~np.isnan(values) & ((values < lo) | (values > hi)), column, f"must be between {lo:g} and {hi:g}")
        return values

    ids = frame["school_id"].astype(str).str.strip()
    bad(frame["school_id"].isna().to_numpy() | (ids == "").to_numpy(), "school_id", "empty")
    bad(ids.duplicated(keep="first").to_numpy(), "school_id", "the same id as an earlier row")
    lat, lon = number("lat", -90, 90), number("lon", -180, 180)
    learners = number("learners", 0, 1e6)
    number("teachers", 0, 1e5)  # checked; the cost model counts learners
    area_text = frame["area"].astype(str).str.strip().str.lower()
    bad(~area_text.isin(AREAS).to_numpy(), "area", f"must be one of {', '.join(AREAS)}")
    coverage_text = frame["coverage"].fillna("none").astype(str).str.strip()
    coverage_map = {k.lower(): v for k, v in COVERAGE.items()}
    bad(~coverage_text.str.lower().isin(coverage_map).to_numpy(), "coverage",
        f"must be one of {', '.join(COVERAGE)}")
    electricity = _booleans(frame["electricity"], "electricity", bad)
    conn_text = frame["connectivity"].fillna("none").astype(str).str.strip().str.lower()
    connected = ~conn_text.isin(["none", "", "no", "false", "nan"]).to_numpy()
    region = frame["region"].fillna("").astype(str).str.strip()
    bad((region == "").to_numpy(), "region", "empty")
    if nodes is not None:
        node_lat = pd.to_numeric(nodes["lat"], errors="coerce").to_numpy(dtype=float)
        node_lon = pd.to_numeric(nodes["lon"], errors="coerce").to_numpy(dtype=float)
        fibre = nearest_km(np.nan_to_num(lat), np.nan_to_num(lon), node_lat, node_lon)
        frame["fiber_distance_km"] = fibre
    else:
        fibre = number("fiber_distance_km", 0, 40_000)
    tower = number("tower_distance_km", 0, 40_000, optional=True) if "tower_distance_km" in frame.columns \
        else np.full(len(frame), np.nan)
    if "priority" in frame.columns:
        number("priority", -1e12, 1e12, optional=True)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        raise ScenarioError(problems[:MAX_PROBLEMS] + ([Problem(where, f"... and {more} more problems",
                                                               has_value=False)] if more > 0 else []))
    frame["school_id"] = ids
    frame["area"] = area_text
    frame["region"] = region
    coverage = _lookup(coverage_text.str.lower(), coverage_map).astype(float)
    schools = SchoolArrays(learners=learners, electricity=electricity, connected=connected, fibre_km=fibre,
                      tower_km=tower, coverage=coverage)
    return SchoolTable(frame=frame, schools=schools, area=_lookup(area_text, {a: i for i, a in enumerate(AREAS)})
                       .astype(np.int64), region=region.to_numpy(dtype=object))


def region_problems(table: SchoolTable, names: Collection[str], where: str) -> list[Problem]:
    """A problem for each school whose ``region`` is not one of ``names`` (the scenario's ``[[region]]`` names, when
    it has any), named by the file (``where``), the row (the line of the file: the header is line 1), the column and
    the value; at most :data:`MAX_PROBLEMS` and a count of the others."""
    known_names = set(names)
    rows = [r for r, name in enumerate(table.region.tolist()) if name not in known_names]
    listed = known(sorted(known_names))
    problems = [Problem(f"{where}: row {r + 2}, region", f"not a [[region]] name (known: {listed})",
                        str(table.region[r])) for r in rows[:MAX_PROBLEMS]]
    if len(rows) > MAX_PROBLEMS:
        problems.append(Problem(where, f"... and {len(rows) - MAX_PROBLEMS} more schools in regions that are not "
                                "[[region]] names", has_value=False))
    return problems


def _lookup(text: pd.Series, values: dict[str, int]) -> np.ndarray:
    """``values`` of each text (all of them keys of ``values``), looked up once per distinct text."""
    import pandas as pd  # pandas loads with a school table, not with `dfl-finance validate`

    codes, uniques = pd.factorize(text)
    return np.asarray([values[u] for u in uniques])[codes]


def _cell(value: object) -> object:
    """A table's cell as a plain Python value (``95``, not ``np.int64(95)``, in a message)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _booleans(column: pd.Series, name: str, bad: Callable[[np.ndarray, str, str], None]) -> np.ndarray:
    text = column.astype(str).str.strip().str.lower()
    ok = text.isin(_TRUE | _FALSE)
    bad(~ok.to_numpy(), name, "must be true or false")
    return text.isin(_TRUE).to_numpy()


#: Mean radius of the Earth [km] (IUGG).
EARTH_RADIUS_KM = 6371.0088


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def nearest_km(lat: np.ndarray, lon: np.ndarray, node_lat: np.ndarray, node_lon: np.ndarray) -> np.ndarray:
    """Great-circle distance [km] from each point to the nearest node: ``scipy.spatial.cKDTree`` on unit vectors
    finds the nearest node by chord length (the same order as great-circle distance), and the chord ``c`` becomes
    the arc ``2 R asin(c / 2)``.

    Examples
    --------
    >>> round(float(nearest_km(np.array([0.0]), np.array([1.0]), np.array([0.0]), np.array([0.0]))[0]), 1)
    111.2
    """
    from scipy.spatial import cKDTree  # scipy loads with the fibre nodes only

    if len(node_lat) == 0:
        return np.full(len(lat), np.inf)
    chord, _ = cKDTree(_unit_vectors(node_lat, node_lon)).query(_unit_vectors(lat, lon))
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)), dtype=float)


def read_table_bytes(data: bytes, name: str) -> SchoolTable:
    """A checked school table from the bytes of a CSV or Parquet file (Parquet by its name or its magic bytes).

    Raises
    ------
    ScenarioError
        The file cannot be read as a table, or a value is wrong (each problem names ``name``, the row as a
        spreadsheet counts it and the column: :func:`~dfl_finance.inputs.schools.check_schools`).
    """
    import pandas as pd  # loaded by the reader, not by `dfl-finance validate`

    parquet = Path(name).suffix.lower() in (".parquet", ".pq") or data[:4] == b"PAR1"
    try:
        frame = pd.read_parquet(io.BytesIO(data)) if parquet else pd.read_csv(io.BytesIO(data))
    except (ValueError, OSError, pd.errors.ParserError) as exc:  # UnicodeDecodeError and EmptyDataError included
        raise ScenarioError([Problem(name, f"cannot read the table as {'Parquet' if parquet else 'CSV'}: {exc}",
                                     has_value=False)]) from None
    if frame.empty:
        raise ScenarioError([Problem(name, "the table has no schools", has_value=False)])
    return check_schools(frame, name)

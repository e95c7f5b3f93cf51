"""The Schools page's parts without Streamlit: the school table from uploaded bytes, the plan and its tables
(:func:`school_results`), and the frames and Altair charts drawn from them: the map of the schools, the cost curve
in connection order, the schools by technology, the segments at the end of the plan and the equity measures in
words. Amounts in USD, as in ``schools.csv``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TypedDict

import altair as alt
import numpy as np
import numpy.typing as npt
import pandas as pd

from dfl_finance.errors import OptionProblem, Problem, ScenarioError
from dfl_finance.inputs.schools import read_table_bytes
from dfl_finance.model.schools import plan_schools
from dfl_finance.outputs.export import manifest, zip_tables
from dfl_finance.outputs.formatting import format_money
from dfl_finance.outputs.schools import ORDER_OF_TECHNOLOGIES, school_tables
from dfl_finance.outputs.schools import TECHNOLOGY_LABELS as TECHNOLOGY_LABELS
from dfl_finance.outputs.schools import equity_sentences as equity_sentences
from dfl_finance.outputs.schools import technology_counts as technology_counts
from dfl_finance.outputs.schools import technology_label as technology_label
from dfl_finance.vocabulary import SCHOOL_EXISTING as EXISTING
from dfl_finance.vocabulary import SCHOOL_NONE as NONE
from dfl_finance.vocabulary import SCHOOL_ORDERS as ORDERS

#: The bundled example table (in the data folder): synthetic, calibrated to Rwanda's public totals.
SYNTHETIC_TABLE: Final = "schools-rwanda-synthetic.csv"
#: One colour per technology in every chart of the page; red for the schools no technology serves (left out).
TECHNOLOGY_COLOURS: Final = {
    "fibre": "#4c78a8", "cellular": "#54a24b", "p2p": "#b279a2", "satellite": "#f58518", EXISTING: "#bab0ac",
    NONE: "#d62728",
}
#: The rollout orders (:data:`~dfl_finance.engine.rollout.ORDERS`) in words.
ORDER_LABELS: Final = {
    "cost-per-learner": "Cheapest per learner first",
    "remote-first": "Remote schools first, then rural, then urban",
    "region-quota": "Regions take turns",
    "priority": "The table's priority column (lower first)",
}
#: The options of :func:`~dfl_finance.model.schools.plan_schools` as the page labels them (its problems name the
#: options by their keyword arguments).
OPTION_LABELS: Final = {
    "years": "Horizon (years)", "order": "Rollout order", "budget": "Yearly capex budget [USD]",
    "target_year": "Target year", "prefer": "Preferred technologies", "rate": "Discount rate",
}
#: The most schools drawn on the map; a larger table is shown as a random sample of this many (the same each time).
MAP_MAX_POINTS: Final = 10_000
#: The most segments the cost curve draws; beyond, consecutive schools are joined into one segment.
CURVE_MAX_SEGMENTS: Final = 5_000
#: The years of the map's "Year connected" view for schools not connected in a year of the plan.
BEFORE_PLAN, NOT_IN_PLAN = "Connected before the plan", "Not connected in the plan"
YEAR_COLOURS: Final = {BEFORE_PLAN: "#bab0ac", NOT_IN_PLAN: "#d62728"}


# ----------------------------------------------------------------------------------------------- the plan

class SchoolResults(TypedDict):
    """The plan of a school table and what the page draws from it (:func:`school_results`)."""

    tables: dict[str, pd.DataFrame]
    sequence: npt.NDArray[np.int64]
    points: pd.DataFrame
    options: dict[str, object]
    name: str
    sha256: str


def school_results(data: bytes, name: str, years: int = 10, start_year: int = 2026,
                   order: str = "cost-per-learner", budget: float | None = None, target_year: int | None = None,
                   rate: float = 0.0, prefer: tuple[str, ...] | None = None, extend_fibre: bool = False
                   ) -> SchoolResults:
    """The plan of a school table given as bytes and what the page draws from it.

    Keys: ``tables`` (``schools``, ``segments``, ``equity``: the CSVs of ``dfl-finance schools``), ``sequence``
    (:attr:`~dfl_finance.model.schools.SchoolPlan.connected_sequence`), ``points`` (:func:`map_points`), ``options``
    (the plan's options, for the manifest), ``name``, ``sha256`` (of the bytes).

    Raises
    ------
    ScenarioError
        A bad table (:func:`~dfl_finance.inputs.schools.read_table_bytes`) or option
        (:func:`~dfl_finance.model.schools.plan_schools`).
    """
    if order not in ORDERS:
        raise ScenarioError([OptionProblem("order", "unknown order", order)])
    table = read_table_bytes(data, name)
    plan = plan_schools(table, years=years, start_year=start_year, order=order, budget=budget,
                        target_year=target_year, rate=rate, prefer=prefer, extend_fibre=extend_fibre)
    tables = school_tables(plan)
    options = {"horizon": years, "start_year": start_year, "order": order, "budget": budget,
               "target_year": target_year, "rate": rate, "prefer": list(prefer) if prefer else None,
               "extend_fibre": extend_fibre}
    return {"tables": tables, "sequence": plan.connected_sequence, "points": map_points(tables["schools"],
                                                                                           table.frame),
            "options": options, "name": name, "sha256": hashlib.sha256(data).hexdigest()}


def option_problems(problems: Sequence[Problem]) -> list[Problem]:
    """The plan's problems with the page's labels for its options (``budget`` -> ``Yearly capex budget [USD]``); a
    problem of the table as it is."""
    return [p.named(OPTION_LABELS) for p in problems]


def zip_of(results: SchoolResults) -> bytes:
    """schools.csv, segments.csv, equity.csv and manifest.json (the table's name and sha256, the options) in one
    zip, as ``dfl-finance schools`` writes them."""
    meta = manifest([Path(results["name"]).stem])
    meta["inputs"] = [{"path": results["name"], "sha256": results["sha256"]}]
    meta["schools"] = results["options"]
    return zip_tables(results["tables"], meta)


def headline(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The page's headline numbers: ``schools`` in the table, ``connected_in_plan`` (schools connected within the
    plan), ``share_connected_end`` (connected by the end of the last year, those connected before included),
    ``capex`` (of the schools connected in the plan, solar kits included) and ``opex_end`` (a year, of those
    schools) [USD], ``unserved`` (schools no technology serves) and ``last_year``."""
    schools, segments = tables["schools"], tables["segments"]
    done = schools["year_connected"].notna().to_numpy()
    last_year = int(segments["year"].max())
    whole = segments[(segments["segment_type"] == "all") & (segments["year"] == last_year)]
    return {"schools": float(len(schools)), "connected_in_plan": float(done.sum()),
            "share_connected_end": float(whole["share_connected"].iloc[0]),
            "capex": float(schools["capex"].to_numpy()[done].sum()),
            "opex_end": float(schools["opex_per_year"].to_numpy()[done].sum()),
            "unserved": float((schools["technology"] == NONE).sum()), "last_year": float(last_year)}


# ----------------------------------------------------------------------------------------------- the map

def map_points(schools: pd.DataFrame, frame: pd.DataFrame, max_points: int = MAP_MAX_POINTS,
               seed: int = 0) -> pd.DataFrame:
    """One row per school to draw (all of them, or a random sample of ``max_points``, the same for the same table
    and seed, in the table's order): ``school_id``, ``region``, ``area``, ``learners``, ``lat``, ``lon``,
    ``technology`` (its label), ``year_connected`` (NaN where not connected in the plan), ``year_text`` (the year,
    :data:`BEFORE_PLAN` or :data:`NOT_IN_PLAN`), ``capex_text``. ``attrs["total"]`` is the number of schools."""
    n = len(schools)
    keep = np.arange(n)
    if n > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
    s = schools.iloc[keep]
    year = s["year_connected"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    existing = (s["technology"] == EXISTING).to_numpy()
    out = pd.DataFrame({
        "school_id": s["school_id"].to_numpy(), "region": s["region"].to_numpy(), "area": s["area"].to_numpy(),
        "learners": s["learners"].to_numpy(dtype=float),
        "lat": frame["lat"].to_numpy(dtype=float)[keep], "lon": frame["lon"].to_numpy(dtype=float)[keep],
        "technology": [technology_label(t) for t in s["technology"]],
        "year_connected": year,
        "year_text": np.where(existing, BEFORE_PLAN, np.where(np.isnan(year), NOT_IN_PLAN,
                                                             np.nan_to_num(year).astype(np.int64).astype(str))),
        "capex_text": [format_money(v, "USD") if v > 0 else "none" for v in s["capex"].to_numpy(dtype=float)],
    })
    out.attrs["total"] = n
    return out


def _extent(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


def map_frame_size(points: pd.DataFrame, width: int = 640, min_ratio: float = 0.45, max_ratio: float = 1.2
                   ) -> tuple[list[float], list[float], int, int]:
    """Longitude and latitude domains and the chart's width and height [px] such that a degree of latitude and a
    degree of longitude times cos(mean latitude) are equally long on screen (a plain equirectangular view, true to
    shape at the table's latitude); the shorter side is widened when the schools' extent is very wide or tall."""
    lo0, lo1 = _extent(points["lon"].to_numpy(dtype=float))
    la0, la1 = _extent(points["lat"].to_numpy(dtype=float))
    k = max(math.cos(math.radians((la0 + la1) / 2)), 0.05)
    lon_span, lat_span = max(lo1 - lo0, 0.01) * 1.06, max(la1 - la0, 0.01) * 1.06  # 3% margin each side
    ratio = lat_span / (lon_span * k)
    shown = min(max(ratio, min_ratio), max_ratio)
    if ratio < shown:  # too flat: more latitude
        lat_span = shown * lon_span * k
    elif ratio > shown:  # too tall: more longitude
        lon_span = lat_span / (shown * k)
    height = int(round(width * shown))
    lat_span = height / width * lon_span * k  # exactly, after the rounding to whole pixels (within the margin)
    lon_mid, lat_mid = (lo0 + lo1) / 2, (la0 + la1) / 2
    return ([lon_mid - lon_span / 2, lon_mid + lon_span / 2], [lat_mid - lat_span / 2, lat_mid + lat_span / 2],
            width, height)


def school_map(points: pd.DataFrame, colour_by: str = "technology") -> alt.LayerChart:
    """The schools on longitude and latitude (equal scale: :func:`map_frame_size`), coloured by ``technology`` or by
    ``year`` connected (a gradient over the plan's years; grey before the plan, red not in the plan). The schools
    already connected are drawn first, under the others."""
    lon, lat, width, height = map_frame_size(points)
    df = points.assign(draw=(points["technology"] != technology_label(EXISTING)).astype(int))
    df = df.sort_values("draw", kind="stable")
    size = 14 if len(df) <= 3_000 else 9
    degrees = ".1f" if max(lon[1] - lon[0], lat[1] - lat[0]) < 8 else ".0f"
    x = alt.X("lon:Q", title="Longitude (°)", scale=alt.Scale(domain=lon, nice=False, zero=False),
              axis=alt.Axis(format=degrees, grid=False))
    y = alt.Y("lat:Q", title="Latitude (°)", scale=alt.Scale(domain=lat, nice=False, zero=False),
              axis=alt.Axis(format=degrees, grid=False))
    tips = [alt.Tooltip("school_id:N", title="School"), alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("area:N", title="Area"), alt.Tooltip("learners:Q", title="Learners", format=","),
            alt.Tooltip("technology:N", title="Technology"), alt.Tooltip("year_text:N", title="Connected"),
            alt.Tooltip("capex_text:N", title="Capex")]
    base = alt.Chart(df).mark_circle(size=size, opacity=0.8, stroke=None).encode(x=x, y=y, tooltip=tips)
    if colour_by == "technology":
        present = set(df["technology"])
        domain = [technology_label(t) for t in ORDER_OF_TECHNOLOGIES if technology_label(t) in present]
        colours = {technology_label(t): c for t, c in TECHNOLOGY_COLOURS.items()}
        layers = [base.encode(color=alt.Color("technology:N", title="Technology", scale=alt.Scale(
            domain=domain, range=[colours[t] for t in domain]), legend=alt.Legend(orient="right", labelLimit=260)))]
        chart = alt.LayerChart(layer=layers)
    else:
        years = df[df["year_connected"].notna()]
        others = df[df["year_connected"].isna()]
        kinds = [t for t in YEAR_COLOURS if t in set(others["year_text"])]
        layers = []
        if len(others):
            layers.append(base.properties(data=others).encode(color=alt.Color(
                "year_text:N", title="Not in a year of the plan", scale=alt.Scale(
                    domain=kinds, range=[YEAR_COLOURS[t] for t in kinds]),
                legend=alt.Legend(orient="right", labelLimit=260))))
        if len(years):
            first, last = int(years["year_connected"].min()), int(years["year_connected"].max())
            step = max(1, math.ceil((last - first) / 5))  # at most six labels on the gradient
            ticks = sorted({*range(first, last + 1, step), last})
            layers.append(base.properties(data=years).encode(color=alt.Color(
                "year_connected:Q", title="Year connected", scale=alt.Scale(scheme="viridis",
                                                                            domain=[first, max(last, first + 1)]),
                legend=alt.Legend(orient="right", format="d", values=ticks, gradientLength=180,
                                  labelOverlap=True))))
        chart = alt.LayerChart(layer=layers).resolve_scale(color="independent")
    # "pad": the width and height are the plot's (Streamlit's default "fit" squeezes the plot to leave room for the
    # axes and the legend, and the two degrees would no longer be equally long)
    return chart.properties(width=width, height=height, autosize=alt.AutoSizeParams(type="pad"))


# ----------------------------------------------------------------------------------------------- the cost curve

def cost_curve(schools: pd.DataFrame, sequence: np.ndarray, max_segments: int = CURVE_MAX_SEGMENTS
               ) -> pd.DataFrame:
    """The cumulative capex of the schools connected in the plan against their number, in connection order: one
    row per segment from ``(x0, y0)`` to ``(x1, y1)`` (schools connected so far, their cumulative capex [USD]).

    A segment is one school, or, beyond ``max_segments`` schools, a run of consecutive schools (a new one wherever
    the technology changes, as long as that keeps within about twice ``max_segments``); ``technology`` is the label
    of the technology of most of its schools, ``year`` the year its last school is connected. The last ``y1`` is
    the capex of every school connected in the plan."""
    capex = schools["capex"].to_numpy(dtype=float)[sequence]
    tech = schools["technology"].to_numpy(dtype=object)[sequence]
    year = schools["year_connected"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[sequence]
    n = len(sequence)
    columns = ["x0", "x1", "y0", "y1", "schools", "capex", "technology", "year"]
    if n == 0:
        return pd.DataFrame(columns=columns)
    cumulative = np.cumsum(capex)
    if n <= max_segments:
        ends = np.arange(n)
    else:  # every k-th school, the last, and where the technology changes (unless it changes too often)
        step = math.ceil(n / max_segments)
        ends = np.union1d(np.arange(step - 1, n, step), [n - 1])
        changes = np.flatnonzero(tech[1:] != tech[:-1])  # the last school before each change
        if changes.size <= max_segments:
            ends = np.union1d(ends, changes)
    starts = np.r_[0, ends[:-1] + 1]
    labels = []
    for a, b in zip(starts, ends):
        names, counts = np.unique(tech[a:b + 1], return_counts=True)
        labels.append(technology_label(str(names[np.argmax(counts)])))
    return pd.DataFrame({
        "x0": starts.astype(float), "x1": (ends + 1).astype(float),
        "y0": np.r_[0.0, cumulative[ends[:-1]]], "y1": cumulative[ends],
        "schools": ends - starts + 1, "capex": np.add.reduceat(capex, starts),
        "technology": labels, "year": year[ends],
    }, columns=columns)


def year_ends(curve: pd.DataFrame) -> pd.DataFrame:
    """The point of the cost curve at the end of each year of the plan: ``year``, ``x`` (schools connected by then),
    ``y`` (their capex [USD])."""
    if curve.empty:
        return pd.DataFrame(columns=["year", "x", "y"])
    last = curve.groupby("year", as_index=False).agg(x=("x1", "max"), y=("y1", "max"))
    return last.astype({"year": int})


def cost_curve_chart(curve: pd.DataFrame) -> alt.LayerChart:
    """The "last mile": cumulative capex (USD millions) against the number of schools connected, in connection
    order, each segment in the colour of its technology; a dot at the end of each year of the plan."""
    df = curve.copy()
    df["y0_m"], df["y1_m"] = df["y0"] / 1e6, df["y1"] / 1e6
    df["range_text"] = [f"{int(a) + 1:,}" if s == 1 else f"{int(a) + 1:,} to {int(b):,}"
                        for a, b, s in zip(df["x0"], df["x1"], df["schools"])]
    df["capex_text"] = [format_money(v, "USD") for v in df["capex"]]
    df["cumulative_text"] = [format_money(v, "USD") for v in df["y1"]]
    present = set(df["technology"])
    domain = [technology_label(t) for t in ORDER_OF_TECHNOLOGIES if technology_label(t) in present]
    colours = {technology_label(t): c for t, c in TECHNOLOGY_COLOURS.items()}
    x_title, y_title = "Schools connected (in connection order)", "Cumulative capex (USD millions)"
    x = alt.X("x0:Q", title=x_title, axis=alt.Axis(format=",d"), scale=alt.Scale(nice=False))
    y = alt.Y("y0_m:Q", title=y_title, axis=alt.Axis(format=",~f"))  # no spurious zeros: 2.5, not 2.50
    segments = alt.Chart(df).mark_rule(strokeWidth=2.5).encode(
        x=x, x2="x1:Q", y=y, y2="y1_m:Q",
        color=alt.Color("technology:N", title="Technology", scale=alt.Scale(domain=domain, range=[
            colours[t] for t in domain]), legend=alt.Legend(orient="right", labelLimit=260)),
        tooltip=[alt.Tooltip("range_text:N", title="Schools"), alt.Tooltip("technology:N", title="Technology"),
                 alt.Tooltip("capex_text:N", title="Their capex"),
                 alt.Tooltip("cumulative_text:N", title="Cumulative capex"),
                 alt.Tooltip("year:Q", title="Connected in", format="d")])
    ends = year_ends(curve)
    ends = ends.assign(y_m=ends["y"] / 1e6, text=[f"end of {y}: {int(x):,} schools, {format_money(v, 'USD')}"
                                                  for y, x, v in zip(ends["year"], ends["x"], ends["y"])])
    dots = alt.Chart(ends).mark_point(shape="circle", size=40, filled=True, color="#444444").encode(
        x=alt.X("x:Q", title=x_title), y=alt.Y("y_m:Q", title=y_title),
        tooltip=[alt.Tooltip("text:N", title="Year")])
    return alt.LayerChart(layer=[segments, dots]).properties(
        width=640, height=320, title="Cumulative capex against schools connected, in connection order")


# ----------------------------------------------------------------------------------------------- technologies

def technology_chart(counts: pd.DataFrame) -> alt.LayerChart:
    """Schools by technology (bars, the count at their end)."""
    df = counts.assign(label=[technology_label(t) for t in counts["technology"]],
                       capex_text=[format_money(v, "USD") for v in counts["capex"]])
    domain = list(df["label"])
    colours = [TECHNOLOGY_COLOURS.get(t, "#888888") for t in df["technology"]]
    y = alt.Y("label:N", title=None, sort=domain, axis=alt.Axis(labelLimit=260))
    x = alt.X("schools:Q", title="Schools", axis=alt.Axis(format=",d"),
              scale=alt.Scale(domain=[0, max(int(df["schools"].max()) if len(df) else 1, 1) * 1.15]))
    tips = [alt.Tooltip("label:N", title="Technology"), alt.Tooltip("schools:Q", title="Schools", format=","),
            alt.Tooltip("connected_in_plan:Q", title="Connected in the plan", format=","),
            alt.Tooltip("capex_text:N", title="Capex")]
    bars = alt.Chart(df).mark_bar().encode(
        x=x, y=y, tooltip=tips, color=alt.Color("label:N", scale=alt.Scale(domain=domain, range=colours),
                                                legend=None))
    text = alt.Chart(df).mark_text(align="left", dx=4).encode(x=x, y=y, text=alt.Text("schools:Q", format=","))
    return alt.LayerChart(layer=[bars, text]).properties(width=480, height=alt.Step(28))


#: The columns of the page's table by technology: the schools assigned a technology apart from those the plan
#: connects within its years and budget (as ``dfl-finance schools`` prints them).
TECHNOLOGY_TABLE_COLUMNS = ("Schools assigned", "Connected in the plan", "Learners", "Learners connected in the plan",
                            "Capex of those connected [USD]", "Capex of all assigned [USD]", "Opex a year [USD]",
                            "Cost over the horizon [USD]")


def technology_table(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`technology_counts` with the page's column names: the schools assigned each technology, those the plan
    connects (and their capex) apart from all of them."""
    values = (counts["schools"], counts["connected_in_plan"], counts["learners"].astype(int),
              counts["learners_in_plan"].astype(int), counts["capex_in_plan"].round(0), counts["capex"].round(0),
              counts["opex_per_year"].round(0), counts["cost_horizon"].round(0))
    return pd.DataFrame({"Technology": [technology_label(t) for t in counts["technology"]],
                         **dict(zip(TECHNOLOGY_TABLE_COLUMNS, values))})


# ----------------------------------------------------------------------------------------------- segments, equity

def _natural(text: str) -> list[int | str]:
    """A sort key that puts ``Region 2`` before ``Region 10``."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(text))]


def segment_table(segments: pd.DataFrame) -> pd.DataFrame:
    """segments.csv at the end of the plan's last year, the whole country, each area and each region (regions in
    natural order; ``segment_type`` says which): schools, schools connected (those connected before included), the
    share connected [%, one decimal], the capex of the schools connected in the plan (whole USD) and that capex per
    school (whole USD) and per learner (cents) of those schools."""
    last = segments[segments["year"] == segments["year"].max()]
    area_rank = {a: i for i, a in enumerate(("urban", "rural", "remote"))}
    parts = [last[last["segment_type"] == "all"],
             last[last["segment_type"] == "area"].sort_values("segment", key=lambda s: s.map(area_rank)),
             last[last["segment_type"] == "region"].sort_values("segment", key=lambda s: s.map(_natural))]
    df = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({
        "Segment": ["All schools" if t == "all" else (str(s).capitalize() if t == "area" else str(s))
                    for t, s in zip(df["segment_type"], df["segment"])],
        "segment_type": df["segment_type"],
        "Schools": df["schools"].astype(int), "Connected": df["connected_schools"].astype(int),
        "Connected [%]": (df["share_connected"] * 100.0).round(1),
        "Capex [USD]": df["cost"].round(0), "Capex per school [USD]": df["cost_per_school"].round(0),
        "Capex per learner [USD]": df["cost_per_learner"].round(2)})



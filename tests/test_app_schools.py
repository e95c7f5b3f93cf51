"""The Schools page's parts without Streamlit: the table from uploaded bytes, the plan's frames and charts, checked
against the plan's own tables (schools.csv, segments.csv, equity.csv)."""

import io
import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("altair")

from dfl_finance import ScenarioError  # noqa: E402
from dfl_finance.app.schools import (
    CURVE_MAX_SEGMENTS,
    MAP_MAX_POINTS,
    NOT_IN_PLAN,
    SYNTHETIC_TABLE,
    TECHNOLOGY_COLOURS,
    cost_curve,
    cost_curve_chart,
    equity_sentences,
    headline,
    map_frame_size,
    map_points,
    option_problems,
    read_table_bytes,
    school_map,
    school_results,
    segment_table,
    technology_chart,
    technology_counts,
    technology_label,
    technology_table,
    year_ends,
    zip_of,
)
from dfl_finance.errors import OptionProblem, Problem  # noqa: E402
from dfl_finance.inputs.profiles import data_dir  # noqa: E402
from dfl_finance.model.schools import plan_schools  # noqa: E402
from dfl_finance.outputs.schools import school_tables
from dfl_finance.studies.schools import generate_schools  # noqa: E402

SYNTHETIC = (data_dir() / SYNTHETIC_TABLE).read_bytes()
BUDGET = dict(order="remote-first", budget=150_000.0)


@pytest.fixture(scope="module")
def default():
    return school_results(SYNTHETIC, SYNTHETIC_TABLE)


@pytest.fixture(scope="module")
def budgeted():
    return school_results(SYNTHETIC, SYNTHETIC_TABLE, **BUDGET)


def _connected_capex(schools: pd.DataFrame) -> float:
    return float(schools.loc[schools["year_connected"].notna(), "capex"].sum())


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def _spec(chart) -> dict:
    """The chart's Vega-Lite spec with its data inline (Altair stops at 5,000 rows; Streamlit passes the data on
    by itself)."""
    import altair as alt

    with alt.data_transformers.enable("default", max_rows=None):
        return chart.to_dict()


# ------------------------------------------------------------------------------------------- the plan

def test_the_results_are_the_plans_tables(budgeted):
    table = read_table_bytes(SYNTHETIC, SYNTHETIC_TABLE)
    expected = school_tables(plan_schools(table, **BUDGET))
    for name in ("schools", "segments", "equity"):
        pd.testing.assert_frame_equal(budgeted["tables"][name], expected[name])
    assert budgeted["options"]["budget"] == 150_000.0 and budgeted["options"]["order"] == "remote-first"


def test_fibre_extended_from_school_to_school_is_the_plans():
    results = school_results(SYNTHETIC, SYNTHETIC_TABLE, extend_fibre=True, **BUDGET)
    plan = plan_schools(read_table_bytes(SYNTHETIC, SYNTHETIC_TABLE), extend_fibre=True, **BUDGET)
    pd.testing.assert_frame_equal(results["tables"]["schools"], school_tables(plan)["schools"])
    np.testing.assert_array_equal(results["sequence"], plan.connected_sequence)
    assert results["options"]["extend_fibre"] is True
    curve = cost_curve(results["tables"]["schools"], results["sequence"])
    assert curve["y1"].iloc[-1] == pytest.approx(_connected_capex(results["tables"]["schools"]))


@pytest.mark.parametrize("fixture", ["default", "budgeted"])
def test_the_connection_sequence_is_the_plans_order(fixture, request):
    results = request.getfixturevalue(fixture)
    schools = results["tables"]["schools"]
    seq = results["sequence"]
    year = schools["year_connected"].to_numpy(dtype=float, na_value=np.nan)[seq]
    # every school connected in the plan, once, in the order of its year
    assert sorted(seq.tolist()) == np.flatnonzero(schools["year_connected"].notna()).tolist()
    assert (np.diff(year) >= 0).all()
    table = read_table_bytes(SYNTHETIC, SYNTHETIC_TABLE)
    plan = plan_schools(table, **(BUDGET if fixture == "budgeted" else {}))
    np.testing.assert_array_equal(plan.connected_sequence, seq)
    if fixture == "budgeted":  # remote schools first: the first year's are all remote
        assert set(schools["area"].to_numpy()[seq[year == year.min()]]) == {"remote"}
        # the cumulative capex in this order fits in the budgets of the years so far, year by year
        cumulative = np.cumsum(schools["capex"].to_numpy()[seq])
        assert (cumulative <= BUDGET["budget"] * (year - 2025) + 1e-6).all()


def test_a_broken_csv_names_its_row_and_column():
    bad = pd.read_csv(io.BytesIO(SYNTHETIC)).head(3)
    bad.loc[0, "lat"] = 95.0
    bad.loc[2, "area"] = "suburban"
    with pytest.raises(ScenarioError) as info:
        read_table_bytes(_csv_bytes(bad), "bad.csv")
    text = [p.format() for p in info.value.problems]
    assert text[0].startswith("bad.csv: row 2, lat: must be between -90 and 90")
    assert any(t.startswith("bad.csv: row 4, area: must be one of urban, rural, remote") for t in text)


@pytest.mark.parametrize("data, words", [
    (b"", "bad.csv: cannot read the table as CSV"),
    (b"\xff\xfe\x00garbage", "bad.csv: cannot read the table as CSV"),
    (b"school_id,region\n", "bad.csv: the table has no schools"),
    (b"school_id\nx\n", "bad.csv: missing columns: region, lat, lon"),
])
def test_a_file_that_is_not_a_school_table_is_refused_in_words(data, words):
    with pytest.raises(ScenarioError) as info:
        read_table_bytes(data, "bad.csv")
    assert info.value.problems[0].format().startswith(words)


def test_parquet_bytes_are_read_as_csv_bytes_are():
    df = generate_schools(50, seed=3)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    from_parquet = read_table_bytes(buf.getvalue(), "t.parquet")
    from_csv = read_table_bytes(_csv_bytes(df), "t.csv")
    np.testing.assert_array_equal(from_parquet.schools.learners, from_csv.schools.learners)
    assert from_parquet.frame["school_id"].tolist() == from_csv.frame["school_id"].tolist()


def test_the_plans_problems_name_the_pages_fields():
    with pytest.raises(ScenarioError) as info:
        school_results(SYNTHETIC, SYNTHETIC_TABLE, years=5, target_year=2040)
    (p,) = option_problems(info.value.problems)
    assert p.format() == "Target year: must be within the plan (2026..2030) (got 2040)"
    assert option_problems([OptionProblem("budget", "must be > 0", 0.0)])[0].path == "Yearly capex budget [USD]"
    assert option_problems([Problem("budget", "a table's column", 0.0)])[0].path == "budget"  # not an option


def test_headline_numbers(budgeted):
    tables = budgeted["tables"]
    schools, segments = tables["schools"], tables["segments"]
    top = headline(tables)
    assert top["schools"] == 6756
    assert top["connected_in_plan"] == schools["year_connected"].notna().sum()
    assert top["capex"] == pytest.approx(_connected_capex(schools))
    whole = segments[(segments["segment_type"] == "all") & (segments["year"] == 2035)]
    assert top["share_connected_end"] == whole["share_connected"].iloc[0]
    assert top["last_year"] == 2035


def test_the_zip_holds_the_three_tables_and_a_manifest(budgeted):
    with zipfile.ZipFile(io.BytesIO(zip_of(budgeted))) as zf:
        assert zf.namelist() == ["schools.csv", "segments.csv", "equity.csv", "manifest.json"]
        schools = pd.read_csv(zf.open("schools.csv"))
        equity = pd.read_csv(zf.open("equity.csv"))
        meta = json.loads(zf.read("manifest.json"))
    assert len(schools) == 6756 and list(schools.columns) == list(budgeted["tables"]["schools"].columns)
    assert schools["capex"].sum() == pytest.approx(budgeted["tables"]["schools"]["capex"].sum())
    assert equity["value"].tolist() == pytest.approx(budgeted["tables"]["equity"]["value"].tolist())
    assert meta["inputs"] == [{"path": SYNTHETIC_TABLE, "sha256": budgeted["sha256"]}]
    assert meta["schools"]["order"] == "remote-first" and meta["schools"]["budget"] == 150_000.0
    assert [o["path"] for o in meta["outputs"]] == ["schools.csv", "segments.csv", "equity.csv"]


# ------------------------------------------------------------------------------------------- the cost curve

@pytest.mark.parametrize("fixture", ["default", "budgeted"])
def test_the_cost_curve_ends_at_the_capex_of_the_schools_connected(fixture, request):
    results = request.getfixturevalue(fixture)
    schools = results["tables"]["schools"]
    curve = cost_curve(schools, results["sequence"])
    connected = int(schools["year_connected"].notna().sum())
    assert len(curve) == connected  # one segment per school (fewer than CURVE_MAX_SEGMENTS)
    assert curve["y1"].iloc[-1] == pytest.approx(_connected_capex(schools))
    assert curve["x1"].iloc[-1] == connected
    # one unbroken curve from (0, 0): each segment starts where the last ended
    assert curve["x0"].iloc[0] == 0 and curve["y0"].iloc[0] == 0
    np.testing.assert_array_equal(curve["x0"].to_numpy()[1:], curve["x1"].to_numpy()[:-1])
    np.testing.assert_allclose(curve["y0"].to_numpy()[1:], curve["y1"].to_numpy()[:-1])
    # each school's segment rises by its capex, in the colour of its technology
    seq = results["sequence"]
    np.testing.assert_allclose(curve["capex"], schools["capex"].to_numpy()[seq])
    assert curve["technology"].tolist() == [technology_label(t) for t in schools["technology"].to_numpy()[seq]]
    # the year ends: the last school of each year
    ends = year_ends(curve).set_index("year")
    by_year = schools.dropna(subset=["year_connected"]).groupby("year_connected")
    assert ends["x"].to_dict() == by_year.size().cumsum().astype(float).to_dict()
    np.testing.assert_allclose(ends["y"], by_year["capex"].sum().cumsum())


def test_a_long_cost_curve_is_drawn_in_runs_that_keep_its_ends_and_technology_changes():
    schools = pd.DataFrame({"capex": np.arange(1.0, 101.0), "technology": ["satellite"] * 60 + ["fibre"] * 40,
                            "year_connected": pd.array([2026] * 50 + [2027] * 50, dtype="Int64")})
    curve = cost_curve(schools, np.arange(100), max_segments=7)
    assert len(curve) < 100
    assert curve["y1"].iloc[-1] == pytest.approx(5050.0) and curve["x1"].iloc[-1] == 100
    assert curve["schools"].sum() == 100
    np.testing.assert_allclose(curve["capex"], curve["y1"] - curve["y0"])
    assert 60.0 in curve["x1"].tolist()  # a run ends where satellite gives way to fibre
    assert set(curve.loc[curve["x1"] <= 60, "technology"]) == {"Satellite"}
    assert set(curve.loc[curve["x0"] >= 60, "technology"]) == {"Fibre"}


def test_the_cost_curve_of_a_plan_that_connects_nothing_is_empty():
    schools = pd.DataFrame({"capex": [0.0], "technology": ["existing"], "year_connected": pd.array([None],
                                                                                                   dtype="Int64")})
    assert cost_curve(schools, np.array([], dtype=np.int64)).empty


def test_the_cost_curve_chart(budgeted):
    curve = cost_curve(budgeted["tables"]["schools"], budgeted["sequence"])
    spec = _spec(cost_curve_chart(curve))
    rules, dots = spec["layer"]
    assert rules["mark"]["type"] == "rule" and rules["encoding"]["x2"]["field"] == "x1"
    assert rules["encoding"]["y"]["title"] == "Cumulative capex (USD millions)"
    colour = rules["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"])) == {"Satellite": TECHNOLOGY_COLOURS["satellite"]}
    data = spec["datasets"][rules["data"]["name"]]
    assert len(data) == len(curve)
    assert data[-1]["y1_m"] == pytest.approx(_connected_capex(budgeted["tables"]["schools"]) / 1e6)


# ------------------------------------------------------------------------------------------- the map

def test_the_map_has_one_point_per_school(budgeted):
    schools = budgeted["tables"]["schools"]
    points = budgeted["points"]
    table = pd.read_csv(io.BytesIO(SYNTHETIC))
    assert len(points) == len(schools) == 6756 and points.attrs["total"] == 6756
    assert points["school_id"].tolist() == schools["school_id"].tolist()
    np.testing.assert_array_equal(points["lat"], table["lat"])
    np.testing.assert_array_equal(points["lon"], table["lon"])
    assert points["technology"].tolist() == [technology_label(t) for t in schools["technology"]]
    year = schools["year_connected"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(points["year_connected"], year)
    left = schools["year_connected"].isna() & (schools["technology"] != "existing")
    assert (points.loc[left.to_numpy(), "year_text"] == NOT_IN_PLAN).all()
    spec = _spec(school_map(points))
    (layer,) = spec["layer"]
    assert len(spec["datasets"][spec["data"]["name"]]) == 6756 and "data" not in layer


def test_the_map_by_year_colours_the_years_and_the_rest_apart(budgeted):
    points = budgeted["points"]
    spec = _spec(school_map(points, "year"))
    rest, years = spec["layer"]
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert years["encoding"]["color"]["field"] == "year_connected"
    assert years["encoding"]["color"]["scale"]["domain"] == [2026, 2035]
    assert rest["encoding"]["color"]["scale"]["domain"] == ["Connected before the plan", "Not connected in the plan"]
    n_years = len(spec["datasets"][years["data"]["name"]])
    n_rest = len(spec["datasets"][rest["data"]["name"]])
    assert n_years == points["year_connected"].notna().sum() and n_years + n_rest == 6756


def test_a_large_table_is_drawn_as_a_sample_the_same_each_time():
    schools = pd.DataFrame({"school_id": [f"s{i}" for i in range(100_000)], "region": "R", "area": "rural",
                            "learners": 100, "technology": "satellite", "capex": 515.0,
                            "year_connected": pd.array([2026] * 100_000, dtype="Int64")})
    frame = pd.DataFrame({"lat": np.linspace(-2, -1, 100_000), "lon": np.linspace(29, 30, 100_000)})
    points = map_points(schools, frame)
    assert len(points) == MAP_MAX_POINTS and points.attrs["total"] == 100_000
    assert points["school_id"].is_unique and (points["school_id"] == map_points(schools, frame)["school_id"]).all()
    index = points["school_id"].str[1:].astype(int).to_numpy()
    assert (np.diff(index) > 0).all()  # in the table's order
    np.testing.assert_allclose(points["lat"], frame["lat"].to_numpy()[index])


def test_the_maps_degrees_are_equally_long():
    points = pd.DataFrame({"lon": [29.0, 31.0, 30.0], "lat": [-3.0, -1.0, -2.0]})
    lon, lat, width, height = map_frame_size(points)
    k = math.cos(math.radians(-2.0))
    assert (lat[1] - lat[0]) / height == pytest.approx((lon[1] - lon[0]) * k / width)
    assert lon[0] < 29.0 and lon[1] > 31.0 and lat[0] < -3.0 and lat[1] > -1.0
    # a flat strip of schools is widened in latitude to stay true to shape, not stretched
    flat = pd.DataFrame({"lon": [0.0, 10.0], "lat": [0.0, 0.1]})
    lon, lat, width, height = map_frame_size(flat)
    assert height / width == pytest.approx(0.45, abs=0.01)
    assert (lat[1] - lat[0]) / height == pytest.approx((lon[1] - lon[0]) / width)
    # one school
    lon, lat, width, height = map_frame_size(pd.DataFrame({"lon": [30.0], "lat": [-2.0]}))
    assert lon[0] < 30.0 < lon[1] and lat[0] < -2.0 < lat[1]


# ------------------------------------------------------------------------------------------- technologies, segments

def test_the_counts_by_technology(budgeted):
    schools = budgeted["tables"]["schools"]
    counts = technology_counts(schools).set_index("technology")
    assert counts["schools"].to_dict() == schools["technology"].value_counts().to_dict()
    assert counts["schools"].sum() == 6756
    assert counts.loc["existing", "capex"] == 0 and counts.loc["existing", "connected_in_plan"] == 0
    assert counts["connected_in_plan"].sum() == schools["year_connected"].notna().sum()
    assert counts["capex"].sum() == pytest.approx(schools["capex"].sum())
    assert list(counts.index) == ["fibre", "satellite", "existing", "none"]  # the model's order, then the rest
    spec = _spec(technology_chart(technology_counts(schools)))
    bars = spec["layer"][0]
    assert bars["encoding"]["color"]["scale"]["range"] == [TECHNOLOGY_COLOURS[t] for t in counts.index]


def test_the_segment_table_at_the_end_of_the_plan(budgeted):
    segments = budgeted["tables"]["segments"]
    table = segment_table(segments)
    last = segments[segments["year"] == 2035]
    assert table["Segment"].tolist()[:4] == ["All schools", "Urban", "Rural", "Remote"]
    regions = table[table["segment_type"] == "region"]["Segment"].tolist()
    assert regions[:3] == ["Region 1", "Region 2", "Region 3"] and regions[-1] == "Region 30"  # natural order
    assert len(table) == len(last) == 1 + 3 + 30
    rural = last[last["segment"] == "rural"].iloc[0]
    row = table[table["Segment"] == "Rural"].iloc[0]
    assert row["Schools"] == rural["schools"] and row["Connected"] == rural["connected_schools"]
    assert row["Connected [%]"] == round(rural["share_connected"] * 100, 1)
    assert row["Capex [USD]"] == round(rural["cost"])
    assert row["Capex per learner [USD]"] == round(rural["cost_per_learner"], 2)
    # urban schools are not reached by a remote-first budget: no capex per school
    urban = table[table["Segment"] == "Urban"].iloc[0]
    assert urban["Capex [USD]"] == 0 and math.isnan(urban["Capex per school [USD]"])


def test_the_equity_measures_in_words(budgeted):
    tables = budgeted["tables"]
    value = tables["equity"].set_index("measure")["value"]
    words = equity_sentences(tables["equity"], tables["segments"])
    left = int(6756 - headline(tables)["share_connected_end"] * 6756 + 0.5)
    assert words[0] == (f"At the end of 2035, {value['share_unconnected_end']:.1%} of the schools are still "
                        f"unconnected ({left:,} of 6,756).")
    # remote-first with a budget: every remote school, not every urban one
    assert value["urban_remote_gap_end"] < 0
    assert words[2].startswith(f"Remote schools are {abs(value['urban_remote_gap_end']) * 100:.1f} percentage "
                               "points more often connected than urban ones")
    assert f"{value['gini_capex_per_learner_regions']:.3f}" in words[3]


def test_the_equity_words_without_urban_schools():
    df = generate_schools(40, seed=1)
    df = df[df["area"] != "urban"]
    results = school_results(_csv_bytes(df), "rural.csv")
    words = equity_sentences(results["tables"]["equity"], results["tables"]["segments"])
    assert "The urban-rural gap is not defined: the table has no urban schools." in words


def test_a_hundred_thousand_schools_give_a_sampled_map_and_a_thinned_curve():
    df = generate_schools(100_000, seed=5, regions=40)
    results = school_results(_csv_bytes(df), "big.csv", budget=20_000_000.0)
    schools = results["tables"]["schools"]
    assert len(results["points"]) == MAP_MAX_POINTS and results["points"].attrs["total"] == 100_000
    curve = cost_curve(schools, results["sequence"])
    assert len(curve) <= 2 * CURVE_MAX_SEGMENTS + 1
    assert curve["y1"].iloc[-1] == pytest.approx(_connected_capex(schools))
    assert curve["x1"].iloc[-1] == schools["year_connected"].notna().sum()
    assert len(_spec(school_map(results["points"]))["datasets"]) == 1


def test_the_technology_table_separates_the_schools_assigned_from_those_connected(budgeted):
    schools = budgeted["tables"]["schools"]
    table = technology_table(technology_counts(schools)).set_index("Technology")
    sat = schools[schools["technology"] == "satellite"]
    done = sat[sat["year_connected"].notna()]
    row = table.loc["Satellite"]
    assert (row["Schools assigned"], row["Connected in the plan"]) == (len(sat), len(done)) and len(done) < len(sat)
    assert row["Learners connected in the plan"] == int(done["learners"].sum())
    assert row["Capex of those connected [USD]"] == round(done["capex"].sum())
    assert row["Capex of all assigned [USD]"] == round(sat["capex"].sum())

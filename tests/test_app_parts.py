"""The app's pure parts: table editing round trips, field paths, and chart specs."""

import pytest

pytest.importorskip("altair")

from dfl_finance import ScenarioError, combine_tables, load_scenario, run  # noqa: E402
from dfl_finance.app.charts import GAP_COLOUR, compare_charts, source_colours  # noqa: E402
from dfl_finance.app.editing import apply_values, get_path, scenario_from_tables, set_path, tables_of  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_tables_round_trip(path):
    sc = load_scenario(path)
    assert scenario_from_tables(sc, *tables_of(sc)) == sc


def test_table_edit_changes_the_scenario_and_bad_cells_name_the_field():
    sc = load_scenario(ROOT / "scenarios/rwanda-ida-credit.toml")
    progs, lines, sources = tables_of(sc)
    sources.loc[sources["id"] == "ida", "commitment"] = 50e6
    new = scenario_from_tables(sc, progs, lines, sources)
    assert new.source[0].commitment == 50e6
    lines.loc[0, "unit_cost"] = -1.0
    with pytest.raises(ScenarioError, match=r"programme\[0\]\.cost\[0\]\.unit_cost"):
        scenario_from_tables(sc, progs, lines, sources)
    lines.loc[0, "unit_cost"] = 1.0
    lines.loc[0, "programme"] = "nowhere"
    with pytest.raises(ScenarioError, match="nowhere"):
        scenario_from_tables(sc, progs, lines, sources)


def test_paths():
    raw = {"programme": [{"cost": [{"unit_cost": 1.0}]}]}
    assert get_path(raw, "programme[0].cost[0].unit_cost") == 1.0
    assert get_path(raw, "programme[3].id") is None
    set_path(raw, "programme[0].cost[0].unit_cost", 2.0)
    set_path(raw, "context.schools", 5)
    assert raw["programme"][0]["cost"][0]["unit_cost"] == 2.0 and raw["context"]["schools"] == 5
    set_path(raw, "context.schools", None)
    assert "schools" not in raw["context"]


def test_changing_the_term_sheet_takes_the_new_sheets_terms():
    sc = load_scenario(ROOT / "scenarios/rwanda-ida-credit.toml")
    values = {"source[0].terms": "ida21-40year", "source[0].rate": sc.source[0].rate}
    new = apply_values(sc, values)
    assert (new.source[0].maturity_years, new.source[0].rate) == (40, 0.0)


def test_charts_build_valid_specs_with_consistent_source_colours():
    tables = combine_tables([run(load_scenario(p)) for p in BUNDLED if "rwanda" in p.name])
    colours = source_colours(list(tables["financing"]["source"]))
    assert colours["gap"] == GAP_COLOUR and len(set(colours.values())) == len(colours)
    charts = compare_charts(tables, "USD")
    fin = charts["financing"].to_dict()
    debt = charts["debt_service"].to_dict()
    fin_scale = fin["spec"]["encoding"]["color"]["scale"]
    debt_scale = debt["spec"]["encoding"]["color"]["scale"]
    for source, colour in zip(debt_scale["domain"], debt_scale["range"]):
        assert fin_scale["range"][fin_scale["domain"].index(source)] == colour  # same source, same colour
    for name in ("costs", "burden", "outcomes"):
        spec = charts[name].to_dict()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")
    assert "USD millions" in str(charts["costs"].to_dict())


def test_no_debt_chart_without_loans_or_ppp():
    tables = combine_tables([run(load_scenario(ROOT / "scenarios/rwanda-domestic.toml"))])
    assert compare_charts(tables, "USD")["debt_service"] is None

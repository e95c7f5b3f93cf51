"""One connectivity price basis: the programme templates and the school model take the same tariffs, so the same
schools cost the same whichever way they are entered; schools already connected cost nothing new."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfl_finance import ScenarioError, run, scenario_from_dict
from dfl_finance.engine.network import EARTH_RADIUS_KM, spanning_links
from dfl_finance.engine.schools import TECHNOLOGIES, Schools, school_costs
from dfl_finance.inputs.profiles import unit_costs
from dfl_finance.inputs.schools import check_schools
from dfl_finance.model.school_link import with_school_plan
from dfl_finance.model.schools import plan_schools
from dfl_finance.model.technology import default_technologies

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]


def _template_scenario(schools: int, start_share: float, years: int = 10) -> dict:
    return {
        "scenario": {"name": "basis", "start_year": 2026, "years": years, "price_year": 2023},
        "context": {"schools": schools, "learners": 1000, "teachers": 10, "education_budget": 1e9},
        "programme": [{"template": "connectivity-satellite", "id": "connectivity", "start_share": start_share,
                       "target_share": 1.0, "rollout": "immediate"}],
        "source": [{"id": "mof", "kind": "domestic"}],
    }


def _satellite_only_schools(n: int, connected: int) -> pd.DataFrame:
    """n schools with power and 100 learners (20 Mbps), no mobile coverage, fibre and towers out of reach: satellite
    is the only technology; the first ``connected`` are connected already."""
    return pd.DataFrame([{
        "school_id": f"s{i}", "region": "North", "lat": -1.9, "lon": 30.0 + 0.01 * i, "area": "rural",
        "learners": 100, "teachers": 3, "electricity": True, "connectivity": "cellular" if i < connected else "none",
        "fiber_distance_km": 200.0, "coverage": "none", "tower_distance_km": 200.0} for i in range(n)])


def _connectivity_cost(sc) -> float:
    c = run(sc).costs_df()
    return float(c.loc[c["programme"] == "connectivity", "amount"].sum())


def test_the_same_schools_cost_the_same_whichever_way_they_are_entered():
    """Ten schools, four connected, six to connect by satellite in 2026, over 10 years (USD, prices of 2023).

    By hand, both ways: six terminals of 515 USD bought in 2026, 2030 and 2034 (4-year life) = 6 x 515 x 3 = 9,270;
    six flat plans of 44.5 x 12 = 534 USD a year for 10 years = 32,040; the four connected schools nothing new.
    Total 41,310. On main the template paid 534 a year for all ten schools (53,400 + 9,270 = 62,670) and the school
    model 6 USD/Mbps/yr x 20 Mbps = 120 a year with a 5-year terminal life (7,200 + 6,180 = 13,380): 4.7 times less.
    """
    template = scenario_from_dict(_template_scenario(10, 0.4))
    table = check_schools(_satellite_only_schools(10, 4))
    plan = plan_schools(table, years=10, start_year=2026, target_year=2026)
    linked, _ = with_school_plan(template, plan)
    assert plan.schools_df()["technology"].tolist() == ["existing"] * 4 + ["satellite"] * 6
    assert _connectivity_cost(template) == pytest.approx(41310.0)
    assert _connectivity_cost(linked) == pytest.approx(41310.0)


def test_a_connected_school_costs_nothing_new_in_a_template():
    """All ten schools connected before the plan: the template's service line leaves them out (pay_existing =
    false) and no terminal is bought: 0, as in the school model (every school ``existing``)."""
    assert _connectivity_cost(scenario_from_dict(_template_scenario(10, 1.0))) == 0.0
    plan = plan_schools(check_schools(_satellite_only_schools(3, 3)), years=10)
    assert plan.schools_df()["technology"].tolist() == ["existing"] * 3
    assert plan.costs.cost_horizon.sum() == 0.0


def test_pay_existing_is_for_opex_lines_only():
    raw = _template_scenario(10, 0.4)
    raw["programme"][0].pop("template")
    raw["programme"][0].update(pillar="infrastructure", driver="schools", cost=[
        {"item": "terminal", "kind": "capex", "unit_cost": 515.0, "pay_existing": False}])
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    assert any(p.path == "programme[0].cost[0].pay_existing" and "only opex lines" in p.message and p.value is False
               for p in info.value.problems), info.value


# the rows of unit_costs.csv that the connectivity templates use, and the technology table's value they must equal
SAME = {
    "fibre_capex_per_km": ("fibre", "capex_per_km", 1.0), "fibre_opex_per_km": ("fibre", "opex_per_km", 1.0),
    "fibre_per_mbps": ("fibre", "per_mbps", 1.0), "satellite_capex": ("satellite", "capex_per_school", 1.0),
    "cellular_capex": ("cellular", "capex_per_school", 1.0), "cellular_per_mbps": ("cellular", "per_mbps", 1.0),
    "p2p_capex": ("p2p", "capex_per_school", 1.0), "p2p_per_mbps": ("p2p", "per_mbps", 1.0),
    "starlink_monthly": ("satellite", "opex_per_school", 12.0),
}


@pytest.mark.parametrize("row", sorted(SAME))
def test_one_tariff_table_for_templates_and_the_school_model(row):
    tech = default_technologies()
    name, field, months = SAME[row]
    value = getattr(tech, field)[TECHNOLOGIES.index(name)]
    assert unit_costs()[row].value * months == pytest.approx(value), (row, field)
    assert unit_costs()["demand_mbps"].value == tech.mbps_per_school


def test_the_rwanda_tender_is_the_fibre_and_p2p_tariff():
    """USD 9 per Mbps a month (Rwanda's Giga pilot, 2025) = 108 USD/Mbps/yr for fibre and fixed wireless (p2p)."""
    tech = default_technologies()
    for name in ("fibre", "p2p"):
        assert tech.per_mbps[TECHNOLOGIES.index(name)] == 9 * 12
    assert dict(zip(TECHNOLOGIES, tech.max_mbps.tolist())) == {"fibre": 2000.0, "cellular": 100.0, "p2p": 100.0,
                                                              "satellite": 150.0}
    assert tech.max_km[TECHNOLOGIES.index("p2p")] == 50.0


@st.composite
def _schools(draw):
    n = draw(st.integers(1, 25))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    return Schools(learners=rng.integers(0, 4000, n).astype(float), electricity=rng.random(n) < 0.5,
                   connected=rng.random(n) < 0.2, fibre_km=rng.exponential(20, n),
                   tower_km=np.where(rng.random(n) < 0.2, np.nan, rng.exponential(10, n)),
                   coverage=rng.integers(0, 6, n).astype(float))


@settings(max_examples=40, deadline=None)
@given(_schools(), st.sampled_from(TECHNOLOGIES), st.floats(0.0, 1.0), st.integers(1, 15))
def test_a_cheaper_tariff_never_raises_the_total(s, name, cut, years):
    """Lowering one technology's tariff (per Mbps and flat plan) never raises a school's least cost over the horizon
    (the choice counts the whole horizon here)."""
    tech = dataclasses.replace(default_technologies(), opex_years=None)
    k = TECHNOLOGIES.index(name)
    scale = np.where(np.arange(len(TECHNOLOGIES)) == k, cut, 1.0)
    cheaper = dataclasses.replace(tech, per_mbps=tech.per_mbps * scale, opex_per_school=tech.opex_per_school * scale)
    before = school_costs(s, tech, years).cost_horizon
    after = school_costs(s, cheaper, years).cost_horizon
    assert (after <= before + 1e-6).all()


# ------------------------------------------------------------------------------- the fibre network (spanning tree)

DEG = 180.0 / (np.pi * EARTH_RADIUS_KM)  # degrees of longitude per km on the equator


def test_three_schools_by_hand():
    """Three schools on the equator at 0, 10 and 30 km; the network is 25, 12 and 50 km from them. Edges: network-A
    25, network-B 12, network-C 50, A-B 10, B-C 20, A-C 30. The tree: network-B 12, A-B 10, B-C 20 = 42 km (each
    school's link to its parent: A 10, B 12, C 20), against 25 + 12 + 50 = 87 km school by school."""
    links = spanning_links(np.zeros(3), np.array([0.0, 10.0, 30.0]) * DEG, np.array([25.0, 12.0, 50.0]))
    np.testing.assert_allclose(links, [10.0, 12.0, 20.0], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(0, 10_000))
def test_the_tree_is_no_longer_than_a_path_through_every_school(n, seed):
    """The spanning tree is no longer than any other way to link every school: the chain from the school nearest the
    network through the others in a random order, nor each school on its own; every link is at most the school's
    own way to the network."""
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    node = rng.uniform(0.0, 100.0, n)
    links = spanning_links(lat, lon, node, k=n - 1)
    order = rng.permutation(n)
    la, lo = np.radians(lat[order]), np.radians(lon[order])
    hav = np.sin(np.diff(la) / 2) ** 2 + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2) ** 2
    path = node[order[0]] + (2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(hav))).sum()
    assert links.sum() <= path + 1e-6
    assert links.sum() <= node.sum() + 1e-6
    assert (links >= 0).all()


def test_the_tree_on_many_schools_is_built_from_near_neighbours():
    # 20,000 schools: a k-nearest-neighbour graph, not all pairs (200 million); the tree is no longer than the sum of
    # the schools' own ways to the network
    rng = np.random.default_rng(3)
    n = 20_000
    lat, lon = rng.uniform(-3, 0, n), rng.uniform(28, 31, n)
    node = rng.exponential(20.0, n)
    links = spanning_links(lat, lon, node)
    assert links.shape == (n,) and np.isfinite(links).all() and links.sum() < node.sum()

"""Runs Giga's open-source cost model (github.com/unicef/giga-open-cost-model) on a workspace written by
``bench_giga.py`` and prints its timings as one JSON line. It runs **inside Giga's own virtual environment**
(Python < 3.12, pandas 1.5, pydantic 1), never in dfl_finance's, and calls Giga's own classes: none of Giga's code is
copied here. Giga's source is read in place from the folder given by ``--giga-source`` (put on ``sys.path``).

Steps, each timed:

1. ``prep``: Giga's data preparation, done with its own library calls as its ``bin/create_*_distance_cache`` scripts
   do: the school table read into ``GigaSchool`` objects, the cell towers, the distance of each unconnected school to
   its nearest towers (``VectorizedDistanceModel``, 20 nearest, one-to-one cache ``cellular_cache.json``), the same
   for point-to-point (``p2p_cache.json``; Giga checks line of sight with an elevation web service, which this machine
   cannot reach, so every tower counts as visible), and, for its economies of scale, each school's 20 nearest
   schools (``school_cache.json``, and the same as ``school_visibility_cache.json``). ``fiber.csv`` is empty: Giga
   then takes each school's ``fiber_node_distance`` (its "metanode" path), our ``fiber_distance_km``. With
   ``"prep": "fast"`` (for large sizes) the same caches are built from neighbours found with scikit-learn's
   ``BallTree`` (haversine, Giga's Earth radius) instead of Giga's full distance matrix, whose cost grows with the
   square of the schools; only the cost step is then Giga's own timing.
2. ``load``: a ``ModelDataSpace`` on those files, every lazy table and cache loaded.
3. ``cost``: ``MinimumCostScenario.run()`` for each (mode, demand): Giga's per-school cost step (fibre and p2p
   connectors, cellular, satellite, electricity) and its minimiser. Mode ``per-school``: no economies of scale and no
   connected schools as fibre nodes, the cheapest feasible technology of each school (``BaselineMinimizer``);
   mode ``economies-of-scale``: Giga's default (Prim-like fibre network through schools, cost-tree pruning).
   Each run gets a freshly loaded data space (the scenario changes it).

Each load and cost step starts after a garbage collection; the first (mode, demand) is run ``repeat`` times in all.
The chosen technology of every unconnected school is written to ``choices_<mode>_<demand>.csv`` in the workspace.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sys
import time


def _silence() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--giga-source", required=True, help="a checkout of Giga's repository (the folder with giga/)")
    parser.add_argument("--workspace", required=True, help="folder with schools.csv, cellular.csv, fiber.csv")
    parser.add_argument("--params", required=True, help="JSON file of the runs and the technology parameters")
    args = parser.parse_args()
    ws = os.path.abspath(args.workspace)
    with open(args.params) as f:
        params = json.load(f)
    country = params["country"]
    # Giga lists its countries at import time from gold/school_data/<country>_*.csv under the working folder.
    os.chdir(ws)
    os.makedirs(os.path.join("gold", "school_data"), exist_ok=True)
    open(os.path.join("gold", "school_data", f"{country}_school_geolocation_coverage_master.csv"), "a").close()
    sys.path.insert(0, os.path.abspath(args.giga_source))

    t0 = time.perf_counter()
    from giga.data.space.model_data_space import ModelDataSpace
    from giga.models.components.optimizers.baseline_minimizer import BaselineMinimizer
    from giga.models.nodes.graph.vectorized_distance_model import RADIUS_EARTH_M, VectorizedDistanceModel
    from giga.models.scenarios.scenario_dispatcher import create_scenario
    from giga.schemas.cellular import CellTowerTable
    from giga.schemas.conf.data import DataSpaceConf
    from giga.schemas.conf.models import (
        CellularTechnologyCostConf,
        ElectricityCostConf,
        FiberTechnologyCostConf,
        MinimumCostScenarioConf,
        P2PTechnologyCostConf,
        SatelliteTechnologyCostConf,
    )
    from giga.schemas.distance_cache import MultiLookupDistanceCache, SingleLookupDistanceCache
    from giga.schemas.school import GigaSchoolTable
    t_import = time.perf_counter() - t0
    _silence()

    timings: dict = {"import": t_import, "prep": {}, "load": [], "cost": {}}

    # 1. data preparation (Giga's distance caches)
    t0 = time.perf_counter()
    schools = GigaSchoolTable.from_csv("schools.csv")
    unconnected = [s for s in schools.schools if not s.connected]
    school_coords = GigaSchoolTable(schools=unconnected).to_coordinates()
    towers = CellTowerTable.from_csv("cellular.csv")
    tower_coords = towers.to_coordinates()
    timings["prep"]["schools_and_towers"] = time.perf_counter() - t0
    fast = params.get("prep", "giga") == "fast"
    if fast:  # the same caches, the neighbours found with a ball tree instead of Giga's full distance matrix
        from giga.schemas.geo import PairwiseDistance
        from sklearn.neighbors import BallTree

        def nearest(set1: list, set2: list, k: int) -> list:
            radians = [[[math.radians(c.coordinate[0]), math.radians(c.coordinate[1])] for c in s]
                       for s in (set1, set2)]
            dist, idx = BallTree(radians[1], metric="haversine").query(radians[0], k=min(k, len(set2)))
            return [PairwiseDistance(pair_ids=(c1.coordinate_id, set2[j].coordinate_id), coordinate1=c1,
                                     coordinate2=set2[j], distance=float(d) * RADIUS_EARTH_M)
                    for c1, ds, js in zip(set1, dist, idx) for d, j in zip(ds, js)]
    else:
        model = VectorizedDistanceModel(n_nearest_neighbors=20, maximum_distance=math.inf)
    t0 = time.perf_counter()
    to_towers = nearest(school_coords, tower_coords, 1) if fast else \
        model.run_chunks((school_coords, tower_coords), n_chunks=1000)
    cell_cache = SingleLookupDistanceCache.from_distances(to_towers)
    cell_cache.to_json("cellular_cache.json")
    cell_cache.to_json("p2p_cache.json")  # no line-of-sight check here: every tower is visible
    with open("fiber_cache.json", "w") as f:
        json.dump({"lookup": {}, "cache_type": "one-to-one"}, f)
    timings["prep"]["tower_caches"] = time.perf_counter() - t0
    if params.get("school_cache", True):
        t0 = time.perf_counter()
        to_schools = nearest(school_coords, school_coords, 20) if fast else \
            model.run_chunks((school_coords, school_coords), n_chunks=500)
        school_cache = MultiLookupDistanceCache.from_distances(to_schools, n_neighbors=20)
        school_cache.to_json("school_cache.json")
        school_cache.to_json("school_visibility_cache.json")
        timings["prep"]["school_cache"] = time.perf_counter() - t0
    else:
        for name in ("school_cache.json", "school_visibility_cache.json"):
            with open(name, "w") as f:
                json.dump({"lookup": {}, "n_neighbors": 0, "cache_type": "one-to-many"}, f)
    del schools, unconnected, school_coords, towers, tower_coords, to_towers, cell_cache

    def load_space() -> ModelDataSpace:
        conf = DataSpaceConf(
            school_data_conf={"country_id": country, "data": {"file_path": "schools.csv", "table_type": "school"}},
            fiber_map_conf={"map_type": "fiber-nodes",
                            "data": {"file_path": "fiber.csv", "table_type": "coordinate-map"}},
            cell_tower_map_conf={"map_type": "cell-towers",
                                 "data": {"file_path": "cellular.csv", "table_type": "cell-towers"}},
            fiber_distance_cache_conf={"cache_type": "fiber-distance", "data": {"workspace": ws}},
            cellular_distance_cache_conf={"cache_type": "cellular-distance", "cell_cache_file": "cellular_cache.json",
                                          "data": {"workspace": ws}},
            p2p_distance_cache_conf={"cache_type": "p2p-distance", "p2p_cache_file": "p2p_cache.json",
                                     "school_visibility_cache_file": "school_visibility_cache.json",
                                     "data": {"workspace": ws}},
        )
        space = ModelDataSpace(conf)
        for name in ("schools", "fiber_map", "cell_tower_map", "cell_tower_coordinates", "fiber_cache",
                     "cellular_cache", "p2p_cache"):
            getattr(space, name)
        return space

    tech = params["tech"]
    electricity = ElectricityCostConf(**tech["electricity"])

    def technologies(economies_of_scale: bool) -> list:
        fibre = dict(tech["fiber"])
        fibre["capex"] = dict(fibre["capex"], economies_of_scale=economies_of_scale,
                              schools_as_fiber_nodes=economies_of_scale)
        return [FiberTechnologyCostConf(**fibre, electricity_config=electricity),
                CellularTechnologyCostConf(**tech["cellular"], electricity_config=electricity),
                P2PTechnologyCostConf(**tech["p2p"], electricity_config=electricity),
                SatelliteTechnologyCostConf(**tech["satellite"], electricity_config=electricity)]

    class PerSchoolMinimizer(BaselineMinimizer):
        """Giga's BaselineMinimizer; MinimumCostScenario.run calls run(output, scenario_id), the baseline's run
        takes the output only."""

        def run(self, output, scenario_id=None):  # noqa: ANN001, ANN201
            return super().run(output)

        def single_school_minimum_cost(self, school_id, costs):  # noqa: ANN001, ANN201
            # Giga's baseline builds its "no technology is feasible" result without capex_provider and
            # capex_consumer, which its own schema requires (a pydantic error once a cap rules out every
            # technology): that case through the schema's own infeasible_cost instead
            if not any(c.feasible for c in costs):
                from giga.schemas.output import SchoolConnectionCosts

                reasons = ",".join("" if c.reason is None else c.reason for c in costs).strip(",")
                return SchoolConnectionCosts.infeasible_cost(school_id, "None", reasons)
            return super().single_school_minimum_cost(school_id, costs)

    years = int(params["years"])
    runs = [(mode, demand) for mode in params["modes"] for demand in params["demands"]]
    # the first run again, for a median (the times of single runs vary by up to 2x here)
    runs += [runs[0]] * (max(1, int(params.get("repeat", 1))) - 1)
    for mode, demand in runs:
        gc.collect()
        t0 = time.perf_counter()
        space = load_space()
        timings["load"].append(time.perf_counter() - t0)
        conf = MinimumCostScenarioConf(scenario_id="minimum_cost_g", technologies=[], years_opex=years,
                                       opex_responsible="Consumer", bandwidth_demand=float(demand),
                                       required_power_per_school=tech["electricity"]["constraints"][
                                           "required_power_per_school"])
        # assigned after validation, as Giga's run_total_cost_scenario.py does: validated, pydantic's Union
        # would turn the P2P configuration into a satellite one
        conf.technologies = technologies(mode == "economies-of-scale")
        scenario = create_scenario(conf, space)
        if mode == "per-school":
            conf.cost_minimizer_config.economies_of_scale = False
            scenario._create_minimizer = lambda _eos, c=conf: PerSchoolMinimizer(c.cost_minimizer_config)
        gc.collect()
        t0 = time.perf_counter()
        out = scenario.run()
        timings["cost"].setdefault(f"{mode}@{demand:g}", []).append(time.perf_counter() - t0)
        rows = ["school_id,technology,feasible,total_cost"]
        for c in out.minimum_cost_result:
            total = c.technology_connectivity_cost(years) if c.feasible else float("nan")
            rows.append(f"{c.school_id},{c.technology},{c.feasible},{total!r}")
        with open(f"choices_{mode}_{demand:g}.csv", "w") as f:
            f.write("\n".join(rows) + "\n")
        del space, scenario, out
    timings["schools_unconnected"] = sum(1 for _ in open(f"choices_{params['modes'][0]}_"
                                                          f"{params['demands'][0]:g}.csv")) - 1
    import numpy
    import pandas
    import pydantic
    timings["versions"] = {"python": sys.version.split()[0], "pandas": pandas.__version__,
                           "numpy": numpy.__version__, "pydantic": pydantic.VERSION}
    print("GIGA_RESULT " + json.dumps(timings))


if __name__ == "__main__":
    main()

"""dfl_finance's school model against Giga's open-source cost model (UNICEF, github.com/unicef/giga-open-cost-model)
on the same synthetic schools, each in its own virtual environment.

Run: ``python benchmarks/bench_giga.py --giga-source DIR`` with ``DIR`` a checkout of Giga's repository (or set
``GIGA_SOURCE``). Giga's model is not published on PyPI (the name ``giga`` there is an unrelated 2019 "system
orchestration framework"), so it cannot come from the registry. This script does not download, build or install
Giga's code: it creates a virtual environment outside the repository (``--venv``, by default
``~/.cache/dfl_finance/giga-venv``) with the registry packages Giga's cost step imports, pinned as Giga's
``pyproject.toml`` pins them (pandas 1.5.3, numpy 1.24.3, pydantic 1, ...), and runs ``giga_driver.py`` there with
Giga's source folder on ``sys.path``. Without a usable checkout, or if that environment cannot be made, it says what
failed and prints our timings against the reference measurement of the issue (there are no timings in Giga's
repository or documentation).

For each size it generates the schools with ``dfl_finance.studies.schools.generate_schools``, writes them in Giga's
input format (``schools.csv``, ``cellular.csv``, empty ``fiber.csv``; see :data:`COLUMN_MAP` and
:func:`giga_world`), times Giga's data preparation, loading and cost step (``MinimumCostScenario.run``, per school and
with its economies of scale) in a subprocess, times our ``check_schools`` and ``plan_schools`` on the same schools
with the same prices (:func:`giga_params`), and prints the times, the ratio, and how often the two pick the same
technology, with the rules that differ (:data:`RULE_NOTES`).

It takes about 2 minutes to make Giga's environment (once), 1 minute for 100 and 1,000 schools and 8 to 10 minutes
for 10,000 (Giga's economies of scale 1.5 to 2.5 minutes a demand; ``--no-economies`` skips them).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_engine import median_time

from dfl_finance.engine.schools import TECHNOLOGIES, Technologies
from dfl_finance.inputs.schools import EARTH_RADIUS_KM, _unit_vectors, check_schools, nearest_km
from dfl_finance.model.schools import plan_schools
from dfl_finance.model.technology import default_technologies
from dfl_finance.studies.schools import generate_schools

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "giga_driver.py"
GIGA_REPO = "github.com/unicef/giga-open-cost-model"
#: Registry packages that Giga's cost step imports (giga.models.scenarios, giga.schemas, giga.data.store pull in
#: IPython widgets, plotly, Google Cloud and Azure clients at import time), pinned or bounded as Giga's
#: pyproject.toml (version 0.3.12) asks. Giga needs Python >= 3.8 and < 3.12.
GIGA_REQUIREMENTS = (
    "pandas==1.5.3", "numpy==1.24.3", "pydantic>=1.10.2,<2", "scikit-learn>=1.2.1,<2", "scipy>=1.10,<2",
    "networkx>=3,<4", "haversine>=2.7,<3", "tqdm==4.65.0", "ipywidgets==8.0.6", "ipython==8.12.2",
    "plotly==5.14.1", "country_converter==1.0.0", "python-dotenv>=1,<2", "ujson>=5.7,<6",
    "google-cloud-storage>=2.9,<3", "gcsfs>=2023.5.0", "azure-storage-blob>=12.16,<13", "Shapely>=1.8.4,<2",
)
#: Our school table's columns and the Giga columns written for them (giga.schemas.school.GigaSchool).
COLUMN_MAP = {
    "school_id": "giga_id_school (and school_id)",
    "name": "name",
    "region": "admin1",
    "lat, lon": "lat, lon",
    "area": "school_region (urban, rural, remote: free text in Giga, not used by its costs)",
    "learners": "num_students (not used by Giga's costs: one bandwidth demand for every school)",
    "teachers": "(none)",
    "electricity": "electricity: Yes / No (-> has_electricity)",
    "connectivity": "connectivity: Yes / No (-> connected; connected schools are left out of Giga's run) and "
                    "type_connectivity: fibre / cellular (fibre -> has_fiber, a fibre node with economies of scale)",
    "fiber_distance_km": "fiber_node_distance (km; Giga's per-school fibre distance when fiber.csv is empty)",
    "tower_distance_km": "cellular.csv: one tower drawn per school at that distance (random bearing; Site ID, "
                         "Latitude, Longitude, Technology ...); both models then get the distance to the nearest "
                         "tower (ours: tower_distance_km recomputed; Giga: its cellular and p2p caches), also "
                         "written as nearest_LTE_distance",
    "coverage": "coverage_type and the towers' Technology: a school's tower carries its coverage (4G: 2G/3G/4G, "
                "3G: 2G/3G, 2G or none: 2G); the school's coverage is then that of its nearest tower in both "
                "models (so 'none' becomes 2G: neither allows cellular below 4G)",
}
#: Where the two models' rules differ (read from Giga's giga/models and giga/schemas).
RULE_NOTES = (
    "demand: Giga gives every school the same bandwidth demand; ours max(20 Mbps, 0.05 Mbps x learners) -- here "
    "both use the same flat demand (our mbps_per_learner set to 0)",
    "fibre vs p2p: Giga connects a school to fibre or to p2p, not both (DoubleGreedyDistanceConnector): fibre first "
    "up to a break-even distance it computes at a hard-coded 20 Mbps and 5 years, p2p beyond it when a tower is in "
    "range; only then does its minimiser compare costs. Ours prices every feasible technology and takes the "
    "cheapest, so the two may differ between fibre, p2p and cellular",
    "p2p: ours may link to a tower or a fibre node (min of the two distances <= 50 km, Giga's Rwanda range); Giga "
    "to a tower only (with line of sight from an elevation web service, unreachable here: every tower counts as "
    "visible)",
    "cellular: Giga needs the nearest tower to carry 4G/LTE and be closer than the range; ours needs 4G coverage "
    "and the nearest tower within range (the same here, coverage being the nearest tower's)",
    "limits: Giga's are strict (distance < max), ours inclusive (<=)",
    "power: Giga sizes solar by one wattage per school (11 kW by default, the same whatever the technology, so it "
    "never changes the choice) at USD/W, and charges grid power as USD/kWh x the technology's watts a year; ours "
    "sizes solar by the technology's watts (fibre 500, satellite 200, cellular and p2p 10 W) x 3.0 USD/W and "
    "charges no grid power -- Giga's solar and grid prices are set to 0 here, so off the grid ours adds 30 to "
    "1,500 USD by technology",
    "horizon: both count capex + 5 years of opex in the choice (Giga's years_opex; ours opex_years); ours also buys "
    "equipment again after its lifetime within those years (a satellite terminal at 4 years) and can discount",
    "no technology: Giga's baseline minimiser fails (a pydantic error) when no technology is feasible for a school; "
    "giga_driver.py returns Giga's own infeasible result for it instead",
    "economies of scale (Giga's default): connected fibre schools become fibre nodes and a Prim-like network "
    "links schools to schools before a cost-tree pruning; ours (extend_fibre, not used here) lets schools on fibre "
    "become nodes for the others and lays the minimum spanning tree of those that take fibre",
)
#: The issue's measurement of the peer model, used when Giga cannot run here.
REFERENCE = ("the issue's measurement of the peer model (no timings are published in Giga's repository or docs): "
             "its cost step about 6-7 s per 1,000 schools; data preparation about 19 s at 1,000 schools and over "
             "1,000 s at 10,000")
GIGA_NAMES = {"Fiber": "fibre", "Cellular": "cellular", "P2P": "p2p", "Satellite": "satellite", "None": "none"}
TOWER_TECH = {"4G": "2G/3G/4G", "5G": "2G/3G/4G", "3G": "2G/3G", "2G": "2G", "none": "2G"}
BEST = {"2G/3G/4G": "4G", "2G/3G": "3G", "2G": "2G"}
KM_PER_DEG = 111.32


class GigaUnavailable(Exception):
    """Giga's model cannot run here; the message says why."""


def default_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("DFL_GIGA_VENV") or cache / "dfl_finance" / "giga-venv")


def find_python(given: str | None) -> str:
    """An interpreter Giga accepts (3.8 to 3.11)."""
    candidates = [given] if given else [sys.executable, "python3.11", "python3.10", "python3.9", "python3.8"]
    for c in candidates:
        try:
            out = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2] < (3, 12) and "
                                  "sys.version_info[:2] >= (3, 8))"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.stdout.strip() == "True":
            return c
    raise GigaUnavailable("no Python 3.8-3.11 found for Giga's environment (its pyproject asks for >=3.8,<3.12); "
                          "give one with --python")


def check_source(source: str | None) -> Path:
    if not source:
        raise GigaUnavailable("no checkout of Giga's repository given (--giga-source DIR or GIGA_SOURCE): Giga's "
                              "model is not published on PyPI (the name 'giga' there is an unrelated 2019 package), "
                              f"so only a checkout of {GIGA_REPO} can run it")
    path = Path(source).expanduser().resolve()
    if not (path / "giga" / "models" / "scenarios" / "minimum_cost_scenario.py").is_file():
        raise GigaUnavailable(f"{path} is not a checkout of {GIGA_REPO} (no giga/models/scenarios/"
                              "minimum_cost_scenario.py)")
    if (HERE.parent in path.parents) or path == HERE.parent:
        raise GigaUnavailable(f"{path} is inside this repository: keep Giga's checkout outside it")
    return path


def ensure_venv(venv: Path, python: str) -> Path:
    """Giga's environment (made once, outside the repository; remade when the requirements change)."""
    if HERE.parent in venv.resolve().parents:
        raise GigaUnavailable(f"{venv} is inside this repository: give --venv outside it")
    py = venv / "bin" / "python"
    marker = venv / ".dfl-giga-requirements"
    wanted = "\n".join(GIGA_REQUIREMENTS)
    if py.exists() and marker.exists() and marker.read_text() == wanted:
        return py
    print(f"making Giga's environment in {venv} (registry packages only; about 1-2 minutes) ...", flush=True)
    log = venv.parent / (venv.name + "-install.log")
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [[python, "-m", "venv", "--clear", str(venv)],
             [str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
             [str(py), "-m", "pip", "install", "--quiet", *GIGA_REQUIREMENTS]]
    with open(log, "w") as f:
        for step in steps:
            proc = subprocess.run(step, stdout=f, stderr=subprocess.STDOUT)
            if proc.returncode != 0:
                tail = log.read_text().strip().splitlines()[-5:]
                raise GigaUnavailable(f"could not make Giga's environment ({' '.join(step[:4])} ... exited "
                                      f"{proc.returncode}; log {log}):\n    " + "\n    ".join(tail))
    marker.write_text(wanted)
    return py


def giga_world(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generated schools with one tower per school, and the towers.

    The tower of a school is drawn ``tower_distance_km`` from it on a random bearing and carries the school's
    coverage; each school's ``tower_distance_km`` and ``coverage`` are then those of its nearest tower, so both models
    see the same world (Giga needs tower coordinates, ours a distance and a coverage)."""
    from scipy.spatial import cKDTree

    df = generate_schools(n, seed=seed)
    rng = np.random.default_rng(seed + 7919)
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    d = df["tower_distance_km"].to_numpy()
    t_lat = lat + d / KM_PER_DEG * np.cos(theta)
    t_lon = lon + d / (KM_PER_DEG * np.cos(np.radians(lat))) * np.sin(theta)
    tech = df["coverage"].map(TOWER_TECH).to_numpy()
    chord, idx = cKDTree(_unit_vectors(t_lat, t_lon)).query(_unit_vectors(lat, lon))
    df["tower_distance_km"] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    df["coverage"] = [BEST[t] for t in tech[idx]]
    towers = pd.DataFrame({"Site ID": [f"T{i:06d}" for i in range(n)], "Ownership of site": "synthetic",
                           "Indoor /outdoor": "Outdoor", "Latitude": t_lat, "Longitude": t_lon,
                           "Tower Height": 30.0, "Technology": tech})
    return df, towers


def giga_schools(df: pd.DataFrame) -> pd.DataFrame:
    """Our school table in Giga's columns (:data:`COLUMN_MAP`)."""
    conn = df["connectivity"].str.lower()
    return pd.DataFrame({
        "giga_id_school": df["school_id"], "school_id": df["school_id"], "name": df["name"],
        "lat": df["lat"], "lon": df["lon"], "admin1": df["region"], "school_region": df["area"],
        "connectivity": np.where(conn != "none", "Yes", "No"),
        "type_connectivity": np.where(conn != "none", conn, ""),
        "electricity": np.where(df["electricity"], "Yes", "No"), "num_students": df["learners"],
        "coverage_type": df["coverage"], "fiber_node_distance": df["fiber_distance_km"],
        "nearest_LTE_distance": df["tower_distance_km"]})


def giga_country_technologies(source: Path, country: str = "rwanda") -> Technologies:
    """Giga's own configuration of a country (``conf/countries/<country>.json`` in its checkout, read, not copied)
    as our technology table: its prices, caps, ranges (m -> km) and watts, its years of opex, no replacement within
    them (Giga has none), p2p's radio and tower as one capex; solar at its USD/W."""
    conf = json.loads((source / "conf" / "countries" / f"{country}.json").read_text())["model_defaults"]
    f, c, p, s = conf["fiber"], conf["cellular"], conf["p2p"], conf["satellite"]
    order = {"fibre": f, "cellular": c, "p2p": p, "satellite": s}
    if tuple(order) != TECHNOLOGIES:
        raise GigaUnavailable(f"our technologies {TECHNOLOGIES} are not in Giga's order {tuple(order)}")

    def arr(get) -> np.ndarray:  # noqa: ANN001
        return np.array([float(get(t, v)) for t, v in order.items()])

    return dataclasses.replace(
        default_technologies(),
        capex_per_school=arr(lambda t, v: v["capex"]["fixed_costs"] + v["capex"].get("tower_fixed_costs", 0.0)),
        capex_per_km=arr(lambda t, v: v["capex"].get("cost_per_km", 0.0)),
        opex_per_km=arr(lambda t, v: v["opex"].get("cost_per_km", 0.0)),
        per_mbps=arr(lambda t, v: v["opex"]["annual_bandwidth_cost_per_mbps"]),
        opex_per_school=arr(lambda t, v: v["opex"]["fixed_costs"]),
        max_km=arr(lambda t, v: v["constraints"].get("maximum_connection_length",
                                                      v["constraints"].get("maximum_range", np.inf)) / 1000.0),
        max_mbps=arr(lambda t, v: v["constraints"]["maximum_bandwithd"]),
        power_watts=arr(lambda t, v: v["constraints"]["required_power"]),
        lifetime=np.full(len(TECHNOLOGIES), np.inf),
        solar_per_watt=float(conf["electricity"]["capex"]["solar_cost_per_watt"]),
        opex_years=int(conf["scenario"]["years_opex"]))


def our_technologies(demand: float, base: Technologies | None = None) -> Technologies:
    """Our table (or ``base``) with one flat demand for every school (as Giga has)."""
    return dataclasses.replace(base or default_technologies(), mbps_per_school=float(demand), mbps_per_learner=0.0)


def giga_params(tech: Technologies) -> dict:
    """Our technology table as Giga's configuration (giga.schemas.conf.models): the same prices, caps and ranges, the
    connection lengths in km, a flat plan (our opex_per_school) as Giga's yearly opex fixed_costs, each technology's
    watts as its required_power. Power: Giga sizes solar by one wattage per school (the same for every technology)
    and prices grid power per kWh; ours sizes solar by the technology's watts and charges no grid power, so Giga's
    solar and grid prices are set to 0 here (the difference is listed in :data:`RULE_NOTES`)."""
    i = {t: TECHNOLOGIES.index(t) for t in TECHNOLOGIES}

    def big(x: float) -> float:
        return float(x) if np.isfinite(x) else 1e12

    flat = tech.opex_per_school if tech.opex_per_school is not None else np.zeros(len(TECHNOLOGIES))
    watts = tech.power_watts if tech.power_watts is not None else np.zeros(len(TECHNOLOGIES))
    return {
        "fiber": {"capex": {"fixed_costs": tech.capex_per_school[i["fibre"]],
                            "cost_per_km": tech.capex_per_km[i["fibre"]]},
                  "opex": {"fixed_costs": flat[i["fibre"]], "cost_per_km": tech.opex_per_km[i["fibre"]],
                           "annual_bandwidth_cost_per_mbps": tech.per_mbps[i["fibre"]]},
                  "constraints": {"maximum_connection_length": big(tech.max_km[i["fibre"]]),
                                  "maximum_bandwithd": big(tech.max_mbps[i["fibre"]]),
                                  "required_power": watts[i["fibre"]], "correction_coeficient": 1.0}},
        "cellular": {"capex": {"fixed_costs": tech.capex_per_school[i["cellular"]]},
                     "opex": {"fixed_costs": flat[i["cellular"]],
                              "annual_bandwidth_cost_per_mbps": tech.per_mbps[i["cellular"]]},
                     "constraints": {"maximum_range": big(tech.max_km[i["cellular"]]),
                                     "maximum_bandwithd": big(tech.max_mbps[i["cellular"]]),
                                     "required_power": watts[i["cellular"]],
                                     "valid_cellular_technologies": ["4G", "LTE"]}},
        "p2p": {"capex": {"fixed_costs": tech.capex_per_school[i["p2p"]], "tower_fixed_costs": 0.0},
                "opex": {"fixed_costs": flat[i["p2p"]], "annual_bandwidth_cost_per_mbps": tech.per_mbps[i["p2p"]]},
                "constraints": {"maximum_range": big(tech.max_km[i["p2p"]]),
                                "maximum_bandwithd": big(tech.max_mbps[i["p2p"]]), "required_power": watts[i["p2p"]]}},
        "satellite": {"capex": {"fixed_costs": tech.capex_per_school[i["satellite"]]},
                      "opex": {"fixed_costs": flat[i["satellite"]],
                               "annual_bandwidth_cost_per_mbps": tech.per_mbps[i["satellite"]]},
                      "constraints": {"maximum_bandwithd": big(tech.max_mbps[i["satellite"]]),
                                      "required_power": watts[i["satellite"]]}},
        "electricity": {"capex": {"solar_cost_per_watt": 0.0}, "opex": {"cost_per_kwh": 0.0},
                        "constraints": {"required_power_per_school": 0.0, "allow_new_electricity": True}},
    }


def run_giga(py: Path, source: Path, ws: Path, params: dict, timeout: float) -> dict:
    (ws / "params.json").write_text(json.dumps(params, default=float))
    cmd = [str(py), str(DRIVER), "--giga-source", str(source), "--workspace", str(ws), "--params",
           str(ws / "params.json")]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise GigaUnavailable(f"Giga's run took over {timeout:.0f} s (--timeout)") from None
    for line in proc.stdout.splitlines():
        if line.startswith("GIGA_RESULT "):
            return dict(json.loads(line[len("GIGA_RESULT "):]))
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
    raise GigaUnavailable(f"Giga's run failed (exit {proc.returncode}):\n    " + "\n    ".join(tail))


def agreement(ours: pd.Series, ws: Path, mode: str, demand: float) -> tuple[float, int, pd.DataFrame]:
    """Share of Giga's schools given the same technology by both, and the cross-table (rows ours, columns Giga)."""
    giga = pd.read_csv(ws / f"choices_{mode}_{demand:g}.csv", dtype={"school_id": str})
    theirs = giga.set_index("school_id")["technology"].map(GIGA_NAMES).fillna("none")
    mine = ours.reindex(theirs.index)
    same = float((mine == theirs).mean()) if len(theirs) else float("nan")
    return same, len(theirs), pd.crosstab(mine.rename("ours"), theirs.rename("Giga"))


def fmt(t: float) -> str:
    return f"{t * 1e3:8.1f} ms" if t < 1 else f"{t:8.2f} s "


def print_reference(ours: list[tuple[int, float, float]]) -> None:
    print(f"reference instead: {REFERENCE}")
    for n, t_check, t_plan in ours:
        ref = 6.5 * n / 1000
        print(f"  {n:>7,} schools: ours {fmt(t_plan)} (plan_schools), {fmt(t_check)} (table checks); "
              f"reference cost step ~{ref:.2f} s -> about {ref / t_plan:,.0f}x ours")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--giga-source", default=os.environ.get("GIGA_SOURCE"),
                        help=f"a checkout of {GIGA_REPO} (kept outside this repository)")
    parser.add_argument("--venv", type=Path, default=default_venv(), help="Giga's virtual environment (made if "
                        "missing; default %(default)s)")
    parser.add_argument("--python", help="the interpreter for Giga's environment (3.8-3.11)")
    parser.add_argument("--sizes", default="100,1000,10000", help="school counts (default %(default)s)")
    parser.add_argument("--demand", type=float, default=20.0, help="Mbps per school for the timed runs")
    parser.add_argument("--compare-demand", type=float, default=200.0,
                        help="a second demand whose choices are compared (above satellite's 150 Mbps, so fibre, "
                             "cellular and p2p compete); 0: none")
    parser.add_argument("--no-economies", action="store_true", help="skip Giga's economies-of-scale run")
    parser.add_argument("--max-eos-schools", type=int, default=10_000,
                        help="largest size for Giga's economies-of-scale run and its school-to-school cache")
    parser.add_argument("--giga-prep-max", type=int, default=2_000,
                        help="largest size for Giga's own data preparation (its distance matrix grows with the "
                             "square of the schools: about 18 s at 1,000 and 7 min at 10,000 here); above it the "
                             "same caches are built with a ball tree and only Giga's load and cost step are timed")
    parser.add_argument("--giga-repeat", type=int, default=3,
                        help="runs of Giga's per-school cost step up to --giga-prep-max schools (median; 1 above)")
    parser.add_argument("--prices", choices=("ours", "giga"), default="ours",
                        help="ours: our technology table (data/school_technologies.csv) in both models; giga: "
                        "Giga's own country configuration (conf/countries/<--country>.json of the checkout) in both")
    parser.add_argument("--country", default="rwanda", help="Giga's country configuration for --prices giga")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed for Giga at one size")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces (printed)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    demands = [args.demand] + ([args.compare_demand] if args.compare_demand > 0 else [])

    print("dfl_finance vs Giga's open cost model on the same synthetic schools (generate_schools, one tower per "
          "school); times on this machine")
    giga_error = None
    try:
        source = check_source(args.giga_source)
        py = ensure_venv(args.venv, find_python(args.python))
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        print(f"Giga: {source}{f' (commit {commit})' if commit else ''}, environment {args.venv}")
    except GigaUnavailable as exc:
        giga_error = str(exc)
        print(f"\nGiga's model cannot run here: {giga_error}\n")

    base = None
    if args.prices == "giga":
        if giga_error:
            raise SystemExit(f"--prices giga needs Giga's checkout: {giga_error}")
        base = giga_country_technologies(source, args.country)
        print(f"prices: Giga's own configuration conf/countries/{args.country}.json in both models")
    else:
        print("prices: our technology table (data/school_technologies.csv) in both models")
    ours_only = []
    for n in sizes:
        df, towers = giga_world(n, args.seed)
        t_check = median_time(lambda: check_schools(df), max(1, args.repeat // 2))
        table = check_schools(df)
        tech = our_technologies(args.demand, base)
        t_plan = median_time(lambda: plan_schools(table, years=5, technologies=tech), args.repeat)
        t_near = median_time(lambda: nearest_km(df["lat"].to_numpy(), df["lon"].to_numpy(),
                                                towers["Latitude"].to_numpy(), towers["Longitude"].to_numpy()),
                             args.repeat)
        ours_only.append((n, t_check, t_plan))
        if giga_error:
            continue
        ws = Path(tempfile.mkdtemp(prefix=f"dfl-giga-{n}-"))
        giga_schools(df).to_csv(ws / "schools.csv", index=False)
        towers.to_csv(ws / "cellular.csv", index=False)
        (ws / "fiber.csv").write_text("")
        eos = not args.no_economies and n <= args.max_eos_schools
        modes = ["per-school"] + (["economies-of-scale"] if eos else [])
        prep = "giga" if n <= args.giga_prep_max else "fast"
        params = {"country": "SYN", "years": 5, "modes": modes, "demands": demands, "school_cache": eos,
                  "prep": prep, "repeat": args.giga_repeat if prep == "giga" else 1, "tech": giga_params(tech)}
        t0 = time.perf_counter()
        try:
            res = run_giga(py, source, ws, params, args.timeout)
        except GigaUnavailable as exc:
            print(f"{n:>7,} schools: Giga's run failed here: {exc}")
            continue
        wall = time.perf_counter() - t0
        t_prep = sum(res["prep"].values())
        load = float(np.median(res["load"]))
        costs = res["cost"][f"per-school@{args.demand:g}"]
        cost = float(np.median(costs))
        print(f"\n{n:>7,} schools ({res['schools_unconnected']:,} unconnected; Giga's subprocess {wall:.1f} s in all, "
              f"imports {res['import']:.1f} s)")
        print(f"  ours   plan_schools (choice + rollout)  {fmt(t_plan)}   check_schools (table) {fmt(t_check)}   "
              f"nearest tower of each school (nearest_km) {fmt(t_near)}")
        print(f"  Giga   cost step, per school          {fmt(cost)}"
              + (f" (median of {len(costs)}: {', '.join(f'{c:.2f}' for c in costs)} s)" if len(costs) > 1 else "")
              + f"   load {fmt(load)}   data preparation "
              + (f"{fmt(t_prep)} (" if prep == "giga" else "not Giga's own: caches from a ball tree (")
              + ", ".join(f"{k} {v:.2f} s" for k, v in res["prep"].items()) + ")")
        if eos:
            t_eos = res["cost"][f"economies-of-scale@{args.demand:g}"][0]
            print(f"  Giga   cost step, economies of scale  {fmt(t_eos)}")
        print(f"  ratio  Giga per-school cost step / our plan_schools: {cost / t_plan:,.0f}x "
              f"({cost / n * 1e3:.2f} ms vs {t_plan / n * 1e6:.2f} us a school)"
              + (f"; with economies of scale {t_eos / t_plan:,.0f}x" if eos else ""))
        print(f"  ratio  from the table to the choices, Giga load + cost step / our check_schools + plan_schools: "
              f"{(load + cost) / (t_check + t_plan):,.0f}x"
              + (f"; with Giga's data preparation / our nearest_km too: "
                 f"{(t_prep + load + cost) / (t_near + t_check + t_plan):,.0f}x" if prep == "giga" else ""))
        for demand in demands:
            plan = plan_schools(table, years=5, technologies=our_technologies(demand, base))
            ours = pd.Series(plan.costs.technology, index=table.frame["school_id"].to_numpy())
            for mode in modes:
                same, count, cross = agreement(ours, ws, mode, demand)
                print(f"  same technology at {demand:g} Mbps, Giga {mode}: {same:.1%} of {count:,} schools")
                if n == sizes[-1] or same < 1.0:
                    print("    " + cross.to_string().replace("\n", "\n    "))
        print(f"  Giga's environment: {res['versions']}")
        if args.keep:
            print(f"  workspace kept: {ws}")
        else:
            import shutil

            shutil.rmtree(ws, ignore_errors=True)

    if giga_error:
        print_reference(ours_only)
    print("\ncolumns (ours -> Giga):")
    for k, v in COLUMN_MAP.items():
        print(f"  {k:<18} -> {v}")
    print("where the rules differ:")
    for note in RULE_NOTES:
        print(f"  - {note}")


if __name__ == "__main__":
    main()

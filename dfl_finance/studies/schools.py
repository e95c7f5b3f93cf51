"""Synthetic school tables for tests, examples and benchmarks (seeded: the same seed gives the same table).

The schools of a country in ``regions`` regions, each a cluster around a centre; a share of them urban, rural and
remote; learners, electricity, existing connections, distance to fibre and to a tower, and mobile coverage drawn by
area. The parameters are illustrative, not measurements: a table made here is **synthetic** and says so in its
``name`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Per area (urban, rural, remote): share of schools, median learners, share with electricity, share already
#: connected, mean km to fibre, mean km to a tower, probability of 4G (else 3G, 2G or none by the same pattern).
AREA_PROFILE = {
    "urban": dict(share=0.2, learners=700, electricity=0.95, connected=0.7, fibre_km=3.0, tower_km=1.5, g4=0.9),
    "rural": dict(share=0.6, learners=400, electricity=0.55, connected=0.25, fibre_km=18.0, tower_km=6.0, g4=0.5),
    "remote": dict(share=0.2, learners=250, electricity=0.2, connected=0.05, fibre_km=60.0, tower_km=20.0, g4=0.1),
}


def generate_schools(n: int, seed: int = 0, regions: int = 10, centre: tuple[float, float] = (-1.95, 30.06),
                     spread_deg: float = 1.0, connected_share: float | None = None,
                     learners_total: float | None = None, country: str = "Synthetic") -> pd.DataFrame:
    """A synthetic school table of ``n`` schools (our column names; see :mod:`dfl_finance.inputs.schools`).

    ``connected_share`` and ``learners_total``, when given, calibrate the table to public totals: the share of
    schools already connected and the number of learners are scaled to them.
    """
    rng = np.random.default_rng(seed)
    areas = np.array(list(AREA_PROFILE))
    shares = np.array([AREA_PROFILE[a]["share"] for a in areas])
    area = areas[rng.choice(len(areas), size=n, p=shares / shares.sum())]
    p = {k: np.array([AREA_PROFILE[a][k] for a in area]) for k in AREA_PROFILE["urban"]}
    region = rng.integers(0, regions, size=n)
    centres = np.asarray(centre) + rng.normal(0.0, spread_deg, size=(regions, 2))
    lat = np.clip(centres[region, 0] + rng.normal(0.0, spread_deg / 4, n), -89.0, 89.0)
    lon = np.clip(centres[region, 1] + rng.normal(0.0, spread_deg / 4, n), -179.0, 179.0)
    learners = np.maximum(np.round(p["learners"] * rng.lognormal(0.0, 0.5, n)), 10)
    if learners_total is not None:  # scaled to the total, the rounding left on the largest school
        learners = np.maximum(np.round(learners * learners_total / learners.sum()), 1)
        learners[np.argmax(learners)] += round(learners_total) - learners.sum()
    if connected_share is None:
        connected = rng.random(n) < p["connected"]
    else:  # exactly that share, drawn with the areas' odds of being connected
        k = int(round(connected_share * n))
        weights = p["connected"] / p["connected"].sum()
        connected = np.zeros(n, dtype=bool)
        connected[rng.choice(n, size=k, replace=False, p=weights)] = True
    u = rng.random(n)
    coverage = np.where(u < p["g4"], "4G", np.where(u < p["g4"] + (1 - p["g4"]) * 0.4, "3G",
                                                    np.where(u < p["g4"] + (1 - p["g4"]) * 0.7, "2G", "none")))
    return pd.DataFrame({
        "school_id": [f"S{i:06d}" for i in range(n)],
        "name": [f"{country} synthetic school {i}" for i in range(n)],
        "region": [f"Region {r + 1}" for r in region],
        "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "area": area,
        "learners": learners.astype(int),
        "teachers": np.maximum(np.round(learners / 40), 1).astype(int),
        "electricity": rng.random(n) < p["electricity"],
        "connectivity": np.where(connected, np.where(area == "urban", "fibre", "cellular"), "none"),
        "fiber_distance_km": np.round(rng.exponential(p["fibre_km"]), 2),
        "coverage": coverage,
        "tower_distance_km": np.round(rng.exponential(p["tower_km"]), 2),
    })

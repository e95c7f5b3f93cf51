"""Fibre extension as a minimum spanning tree (the Giga open cost model's rule for a fibre network through schools).

The schools that take fibre and the existing fibre network (one root vertex) form a graph: each school is joined to
the root by its own distance to the nearest fibre node, and to its ``k`` nearest schools by their great-circle
distance. The minimum spanning tree of that graph (``scipy.sparse.csgraph.minimum_spanning_tree``), read from the
root, gives each school the one link it lays: the edge to its parent. A k-nearest-neighbour graph
(``scipy.spatial.cKDTree``) keeps it n log n on 100,000 schools instead of all n^2 pairs; the root edges keep it
connected whatever ``k``. Pure: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np

from dfl_finance.engine import Floats

#: Mean Earth radius [km] (the same as inputs.schools.EARTH_RADIUS_KM).
EARTH_RADIUS_KM = 6371.0088


def _unit(lat: Floats, lon: Floats) -> Floats:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)


def spanning_links(lat: Floats, lon: Floats, node_km: Floats, k: int = 8) -> Floats:
    """Each school's link [km] in the minimum spanning tree of the schools and the fibre network (see the module).

    Parameters
    ----------
    lat, lon : (N,) degrees
    node_km : (N,) km from each school to the nearest fibre node (finite)
    k : neighbours of each school in the graph

    Returns
    -------
    (N,) km: the length of the edge from each school to its parent (a school or the network); they add up to the
    tree's length, which is at most that of any other way to link every school to the network.

    Examples
    --------
    Three schools on the equator 10 km apart, the first 2 km from a node, the others 30 and 40 km:

    >>> deg = 10 / (EARTH_RADIUS_KM * np.pi / 180)
    >>> spanning_links(np.zeros(3), np.array([0.0, deg, 2 * deg]), np.array([2.0, 30.0, 40.0])).round(6).tolist()
    [2.0, 10.0, 10.0]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree
    from scipy.spatial import cKDTree

    n = len(lat)
    if n == 0:
        return np.zeros(0)
    rows = [np.zeros(n, dtype=np.int64)]  # vertex 0 is the network, school i is vertex i + 1
    cols = [np.arange(1, n + 1)]
    weights = [np.asarray(node_km, dtype=float)]
    if n > 1:
        kk = min(k, n - 1)
        chord, idx = cKDTree(_unit(lat, lon)).query(_unit(lat, lon), k=kk + 1)
        km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord[:, 1:] / 2.0, 0.0, 1.0))
        rows.append(np.repeat(np.arange(1, n + 1), kk))
        cols.append(idx[:, 1:].ravel() + 1)
        weights.append(km.ravel())
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    # a zero distance would be read as no edge: the smallest positive float instead
    w = np.maximum(w, np.finfo(float).tiny)
    lo, hi = np.minimum(r, c), np.maximum(r, c)
    key = lo * (n + 1) + hi
    _, first = np.unique(key, return_index=True)  # each pair once (a sparse matrix would sum duplicates)
    graph = coo_matrix((w[first], (lo[first], hi[first])), shape=(n + 1, n + 1)).tocsr()
    tree = minimum_spanning_tree(graph)
    sym = (tree + tree.T).tocsr()
    _, parent = breadth_first_order(sym, 0, directed=False, return_predecessors=True)
    child = np.arange(1, n + 1)
    link = np.asarray(sym[child, parent[child]]).ravel()
    return np.where(link <= np.finfo(float).tiny, 0.0, link)

"""Street chains: OSM road segments merged between junctions, and their connectivity.

Works on plain arrays; coordinates are whatever CRS the segments come in.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Chains:
    """Street chains: ``start``/``end`` are indices into ``node_ids`` (OSM ids) and ``node_xy``."""

    frame: gpd.GeoDataFrame  # columns start, end, way_id, highway, name, oneway, geometry
    node_ids: np.ndarray
    node_xy: np.ndarray
    node_degree: np.ndarray


def merge_segments(roads: gpd.GeoDataFrame) -> Chains:
    """Merge two-point road segments into chains that end only where the street network
    branches, ends, or changes highway class, so each chain is one stretch of one street."""
    codes, inverse = np.unique(
        np.concatenate([roads["u"].values, roads["v"].values]), return_inverse=True
    )
    n_seg = len(roads)
    seg_u, seg_v = inverse[:n_seg], inverse[n_seg:]
    n_nodes = len(codes)
    degree = np.bincount(seg_u, minlength=n_nodes) + np.bincount(seg_v, minlength=n_nodes)

    coords = shapely.get_coordinates(roads.geometry.values)
    counts = shapely.get_num_coordinates(roads.geometry.values)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    node_xy = np.empty((n_nodes, 2))
    node_xy[seg_u] = coords[offsets[:-1]]
    node_xy[seg_v] = coords[offsets[1:] - 1]

    highway = roads["highway"].to_numpy()
    # Incidence lists in CSR form: for node n, segments incident[ptr[n]:ptr[n+1]].
    ends = np.concatenate([seg_u, seg_v])
    order = np.argsort(ends, kind="stable")
    incident = np.concatenate([np.arange(n_seg), np.arange(n_seg)])[order]
    ptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n_nodes))])

    breaks = degree != 2
    for node in np.flatnonzero(~breaks):
        a, b = incident[ptr[node] : ptr[node + 1]]
        if highway[a] != highway[b]:
            breaks[node] = True

    visited = np.zeros(n_seg, dtype=bool)
    rows: list[tuple[int, int, list[int]]] = []

    def walk(start: int, first_seg: int) -> None:
        segs, node, seg = [], start, first_seg
        while True:
            visited[seg] = True
            segs.append(seg)
            node = seg_v[seg] if seg_u[seg] == node else seg_u[seg]
            if breaks[node]:
                break
            a, b = incident[ptr[node] : ptr[node + 1]]
            seg = b if a == seg else a
            if visited[seg]:  # closed ring of degree-2 nodes
                break
        rows.append((start, node, segs))

    for node in np.flatnonzero(breaks):
        for seg in incident[ptr[node] : ptr[node + 1]]:
            if not visited[seg]:
                walk(node, seg)
    for seg in np.flatnonzero(~visited):  # isolated rings with no break at all
        if not visited[seg]:
            walk(seg_u[seg], seg)

    geoms, starts, ends_, first = [], [], [], []
    for start, end, segs in rows:
        parts, node = [], start
        for seg in segs:
            piece = coords[offsets[seg] : offsets[seg + 1]]
            if seg_u[seg] != node:
                piece = piece[::-1]
            parts.append(piece if not parts else piece[1:])
            node = seg_v[seg] if seg_u[seg] == node else seg_u[seg]
        geoms.append(np.concatenate(parts))
        starts.append(start)
        ends_.append(end)
        first.append(segs[0])
    first_arr = np.asarray(first, dtype=np.int64)
    frame = gpd.GeoDataFrame(
        {
            "start": np.asarray(starts, dtype=np.int64),
            "end": np.asarray(ends_, dtype=np.int64),
            "way_id": roads["way_id"].to_numpy()[first_arr],
            "highway": highway[first_arr],
            "name": roads["name"].to_numpy()[first_arr],
            "oneway": roads["oneway"].to_numpy()[first_arr],
        },
        geometry=shapely.linestrings(
            np.concatenate(geoms), indices=np.repeat(np.arange(len(geoms)), [len(g) for g in geoms])
        ),
        crs=roads.crs,
    )
    return Chains(frame, codes, node_xy, degree)


def largest_component(start: np.ndarray, end: np.ndarray, n_nodes: int) -> np.ndarray:
    """Boolean mask over chains: those in the largest connected (undirected) component."""
    graph = coo_matrix((np.ones(len(start)), (start, end)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    chain_labels = labels[start]
    if len(chain_labels) == 0:
        return np.zeros(0, dtype=bool)
    biggest = np.bincount(chain_labels).argmax()
    return chain_labels == biggest

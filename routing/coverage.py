"""Response-time coverage: the area reachable within T from a set of positions, and the
streets no available crew reaches within the target.

Times are seconds; polygons EPSG:4326: the land within about ``buffer_m`` metres of the parts of
streets reached in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from scipy.ndimage import binary_dilation

from routing import _kernels
from routing._raster import raster_to_polygons
from routing.crews import entries
from routing.errors import InvalidArgument
from routing.graph import RoadGraph
from routing.snap import EdgeIndex, Snaps

#: The emergency attendance target the "uncovered" warning uses by default (seconds).
DEFAULT_TARGET_S = 30 * 60
DEFAULT_BUFFER_M = 75.0


def arrival_times(graph: RoadGraph, positions: Snaps, *, limit_s: float = np.inf) -> np.ndarray:
    """Seconds from the nearest of ``positions`` to every node (inf beyond ``limit_s``), by a
    single multi-source forward Dijkstra."""
    _, nodes, costs = entries(graph, positions)
    dist = np.full(graph.n_nodes, np.inf)
    if len(nodes) == 0:
        return dist
    fwd_ptr, fwd_edge = graph.fwd
    heap = graph.n_edges + len(nodes) + 1
    _kernels.one_to_all(
        fwd_ptr,
        fwd_edge,
        graph.edge_v,
        graph.edge_time_s,
        nodes,
        costs,
        limit_s,
        dist,
        np.empty(heap),
        np.empty(heap, dtype=np.int64),
    )
    dist[dist > limit_s] = np.inf
    return dist


def edge_reach(graph: RoadGraph, dist: np.ndarray, within_s: float) -> np.ndarray:
    """Share of each edge, from its tail, that is reached within ``within_s`` seconds."""
    spare = within_s - dist[graph.edge_u]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(graph.edge_time_s > 0, spare / graph.edge_time_s, 1.0)
    return np.clip(np.nan_to_num(share, nan=0.0, neginf=0.0), 0.0, 1.0)


@dataclass(frozen=True)
class Uncovered:
    """Edges (ids) no position reaches within the target, and their length in metres."""

    edges: np.ndarray
    length_m: float


def isochrone(
    graph: RoadGraph,
    index: EdgeIndex,
    positions: Snaps,
    within_s: float,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
) -> shapely.MultiPolygon:
    """The area reachable within ``within_s`` seconds from any of ``positions`` (EPSG:4326)."""
    if not within_s > 0:
        raise InvalidArgument("`within_s` must be a positive number of seconds")
    dist = arrival_times(graph, positions, limit_s=within_s)
    share = edge_reach(graph, dist, within_s)
    reached = np.flatnonzero(share > 0)
    if len(reached) == 0:
        return shapely.MultiPolygon()
    # A two-way street appears as two edges with one geometry: draw each street once.
    twin = graph.edge_twin[reached]
    full_twin = (twin >= 0) & (share[np.maximum(twin, 0)] >= 1.0)
    full = reached[(share[reached] >= 1.0) & ~(full_twin & (twin < reached))]
    part = reached[(share[reached] < 1.0) & ~full_twin]
    lines = list(index.lines[full])
    lines += [shapely.ops.substring(index.lines[e], 0, share[e], normalized=True) for e in part]
    return _to_lonlat(index, _raster_area(lines, buffer_m))


def _raster_area(lines: list, buffer_m: float):
    """The land within about ``buffer_m`` of ``lines`` (local metres), via a raster: sample
    the lines, mark grid cells, dilate by a disc, trace the outline. An order of magnitude
    faster than buffering thousands of lines, at half a buffer's precision."""
    cell = buffer_m / 2
    points = shapely.get_coordinates(shapely.segmentize(np.asarray(lines, dtype=object), cell))
    # Anchor the grid to multiples of the cell size, so areas for growing times nest.
    x0, y0 = (np.floor(points.min(axis=0) / cell) - 2 * np.ceil(buffer_m / cell) - 1) * cell
    ix = ((points[:, 0] - x0) // cell).astype(np.int64)
    iy = ((points[:, 1] - y0) // cell).astype(np.int64)
    grid = np.zeros((iy.max() + 5, ix.max() + 5), dtype=bool)
    grid[iy, ix] = True
    radius = int(np.ceil(buffer_m / cell))
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    grid = binary_dilation(grid, structure=(xx**2 + yy**2) <= radius**2)
    return shapely.simplify(raster_to_polygons(grid, x0, y0, cell), cell / 2)


def uncovered_streets(
    graph: RoadGraph, positions: Snaps, *, target_s: float = DEFAULT_TARGET_S
) -> Uncovered:
    """Edges whose midpoint no position reaches within ``target_s`` seconds (either way
    along a two-way street)."""
    dist = arrival_times(graph, positions, limit_s=target_s)
    late = _late_edges(graph, dist, target_s)
    return Uncovered(late, float(graph.edge_length_m[late].sum()))


def uncovered_length_m(graph: RoadGraph, dist: np.ndarray, target_s: float) -> float:
    """Metres of street whose midpoint lies beyond ``target_s`` given the arrival times
    ``dist`` at the nodes (as :func:`uncovered_streets` counts them)."""
    return float(graph.edge_length_m[_late_edges(graph, dist, target_s)].sum())


def _late_edges(graph: RoadGraph, dist: np.ndarray, target_s: float) -> np.ndarray:
    mid = dist[graph.edge_u] + 0.5 * graph.edge_time_s
    twin = graph.edge_twin
    via_twin = np.where(twin >= 0, dist[graph.edge_v] + 0.5 * graph.edge_time_s[twin], np.inf)
    late = np.flatnonzero(np.minimum(mid, via_twin) > target_s)
    # Each two-way street once: keep the lower id of an edge and its twin.
    return late[(twin[late] < 0) | (twin[late] > late) | ~np.isin(twin[late], late)]


def _to_lonlat(index: EdgeIndex, geom) -> shapely.MultiPolygon:
    def unproject(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [coords[:, 0] / index._kx + index.lon0, coords[:, 1] / index._ky + index.lat0]
        )

    out = shapely.transform(geom, unproject)
    if out.geom_type == "Polygon":
        out = shapely.MultiPolygon([out])
    return out

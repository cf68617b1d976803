"""Snapping points to the nearest road edge, with the offset along it (vectorised).

Distances are metres in a local equirectangular projection centred on the graph (accurate to
about 0.1 % across a city or a small country), which keeps snapping free of pyproj calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from scipy.spatial import cKDTree

from routing.distance import EARTH_RADIUS_M
from routing.errors import InvalidArgument
from routing.graph import RoadGraph

#: A point farther than this from every road is off-network, not silently snapped (metres).
DEFAULT_MAX_SNAP_M = 500.0
#: Spacing of the sample points the k-d tree holds along every edge (metres).
SAMPLE_SPACING_M = 10.0
#: Segments examined per query point: those of its nearest samples.
CANDIDATES = 12


@dataclass(frozen=True)
class Snaps:
    """Where points lie on the graph. ``edge`` is -1 for off-network points; ``fraction`` is
    the share of the edge's length from its tail to the point; ``distance_m`` how far the point
    is from that edge (from the nearest edge at all when off-network, or inf)."""

    edge: np.ndarray  # int64[P]
    fraction: np.ndarray  # float64[P] in [0, 1]
    distance_m: np.ndarray  # float64[P]

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0


class EdgeIndex:
    """A spatial index over a graph's edges: their straight segments in local metres, sampled
    every ``SAMPLE_SPACING_M`` into a k-d tree. A query takes the segments of the nearest
    samples and measures exact point-segment distances to them, so the chosen edge is the
    nearest one (or ties with it within half a sample spacing). Build once per graph."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.lon0 = float(np.mean(graph.node_lon))
        self.lat0 = float(np.mean(graph.node_lat))
        self._kx = np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0))
        self._ky = np.radians(1.0) * EARTH_RADIUS_M
        if len(graph.geom_offsets):
            x, y = self.project(graph.geom_lon, graph.geom_lat)
            counts = np.diff(graph.geom_offsets)
            owner = np.repeat(np.arange(graph.n_edges), counts)
            last = graph.geom_offsets[1:] - 1  # a vertex that starts no segment
            starts = np.setdiff1d(np.arange(len(x)), last, assume_unique=True)
            x0, y0, x1, y1 = x[starts], y[starts], x[starts + 1], y[starts + 1]
            seg_edge = owner[starts]
        else:
            nx_, ny_ = self.project(graph.node_lon, graph.node_lat)
            x0, y0 = nx_[graph.edge_u], ny_[graph.edge_u]
            x1, y1 = nx_[graph.edge_v], ny_[graph.edge_v]
            seg_edge = np.arange(graph.n_edges)
        seg_len = np.hypot(x1 - x0, y1 - y0)
        # Distance along the edge where each segment starts, and each edge's drawn length.
        cum = np.cumsum(seg_len)
        edge_first = np.searchsorted(seg_edge, np.arange(graph.n_edges))
        before = np.concatenate([[0.0], cum[:-1]])
        self._seg = (
            x0,
            y0,
            x1 - x0,
            y1 - y0,
            seg_len,
            seg_edge,
            before - before[edge_first][seg_edge],
        )
        self._edge_len = np.bincount(seg_edge, weights=seg_len, minlength=graph.n_edges)
        # Samples: both ends of every segment and points in between every SAMPLE_SPACING_M.
        pieces = np.maximum(1, np.ceil(seg_len / SAMPLE_SPACING_M)).astype(np.int64)
        sample_seg = np.repeat(np.arange(len(seg_len)), pieces + 1)
        step = np.concatenate([np.arange(p + 1) / p for p in pieces.tolist()])
        sx = x0[sample_seg] + step * (x1 - x0)[sample_seg]
        sy = y0[sample_seg] + step * (y1 - y0)[sample_seg]
        self._sample_seg = sample_seg
        self._tree = cKDTree(np.column_stack([sx, sy]))

    @cached_property
    def lines(self) -> np.ndarray:
        """Edge geometries in local metres (shapely LineStrings), for geometric work."""
        graph = self.graph
        if len(graph.geom_offsets):
            x, y = self.project(graph.geom_lon, graph.geom_lat)
            counts = np.diff(graph.geom_offsets)
            return shapely.linestrings(
                np.column_stack([x, y]), indices=np.repeat(np.arange(graph.n_edges), counts)
            )
        x, y = self.project(graph.node_lon, graph.node_lat)
        u, v = graph.edge_u, graph.edge_v
        return shapely.linestrings(
            np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
        )

    def project(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:4326 degrees to local metres."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky

    def snap(self, lon, lat, *, max_distance_m: float = DEFAULT_MAX_SNAP_M) -> Snaps:
        """Snap points (arrays of EPSG:4326 degrees) to their nearest edges, vectorised."""
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        if lon.shape != lat.shape:
            raise InvalidArgument("`lon` and `lat` must be of equal length")
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise InvalidArgument("`lon` and `lat` must be finite numbers (got NaN or inf)")
        if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
            raise InvalidArgument("`lon` must lie in [-180, 180] and `lat` in [-90, 90]")
        if not max_distance_m > 0:
            raise InvalidArgument("`max_distance_m` must be positive")
        n = len(lon)
        if n == 0:
            return Snaps(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        px, py = self.project(lon, lat)
        k = min(CANDIDATES, len(self._sample_seg))
        _, nearest = self._tree.query(np.column_stack([px, py]), k=k)
        seg = self._sample_seg[nearest.reshape(n, k)]
        x0, y0, dx, dy, length, seg_edge, seg_start = (a[seg] for a in self._seg)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ((px[:, None] - x0) * dx + (py[:, None] - y0) * dy) / (length * length)
        t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
        dist = np.hypot(x0 + t * dx - px[:, None], y0 + t * dy - py[:, None])
        best = np.argmin(dist, axis=1)
        rows = np.arange(n)
        distance = dist[rows, best]
        edge = seg_edge[rows, best].astype(np.int64)
        along = seg_start[rows, best] + t[rows, best] * length[rows, best]
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.nan_to_num(along / self._edge_len[edge], nan=0.0)
        off = distance > max_distance_m
        edge[off] = -1
        fraction[off] = 0.0
        return Snaps(edge, np.clip(fraction, 0.0, 1.0), distance)

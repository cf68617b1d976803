"""The road graph as flat numpy arrays: what every routing algorithm here works on.

Nodes are numbered ``0..N-1`` and edges ``0..E-1``. Travel times are seconds, lengths metres,
coordinates EPSG:4326 (lon, lat). Both adjacency directions are kept in CSR form: ``fwd_*``
lists the edges leaving a node, ``rev_*`` the edges entering it (for searches that run from the
destination backwards, as "which crew reaches this incident first" does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

#: Arrays saved in and loaded from a cache file, in this order.
ARRAY_FIELDS = (
    "node_osmid",
    "node_lon",
    "node_lat",
    "edge_u",
    "edge_v",
    "edge_time_s",
    "edge_length_m",
    "edge_highway",
    "edge_twin",
    "geom_offsets",
    "geom_lon",
    "geom_lat",
)


@dataclass(eq=False)
class RoadGraph:
    """A directed road graph. Build it with :func:`routing.build.load_road_graph` or
    :func:`from_arrays`; do not mutate its arrays."""

    node_osmid: np.ndarray  # int64[N]
    node_lon: np.ndarray  # float64[N], EPSG:4326
    node_lat: np.ndarray  # float64[N]
    edge_u: np.ndarray  # int32[E], tail node
    edge_v: np.ndarray  # int32[E], head node
    edge_time_s: np.ndarray  # float64[E], seconds
    edge_length_m: np.ndarray  # float64[E], metres
    edge_highway: np.ndarray  # int16[E], index into ``highway_names``
    edge_twin: np.ndarray  # int32[E], the same street in the other direction, or -1
    geom_offsets: np.ndarray  # int64[E+1], into geom_lon/geom_lat; empty -> straight edges
    geom_lon: np.ndarray  # float64[...]
    geom_lat: np.ndarray  # float64[...]
    highway_names: list[str] = field(default_factory=list)
    name: str = ""
    report: dict = field(default_factory=dict)  # what building dropped and why

    @property
    def n_nodes(self) -> int:
        return len(self.node_lon)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @cached_property
    def fwd(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR of outgoing edges: edges leaving node n are ``fwd[1][fwd[0][n]:fwd[0][n+1]]``."""
        return _csr(self.edge_u, self.n_nodes)

    @cached_property
    def rev(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR of incoming edges: edges entering node n are ``rev[1][rev[0][n]:rev[0][n+1]]``."""
        return _csr(self.edge_v, self.n_nodes)

    def edge_coords(self, edge: int) -> np.ndarray:
        """The (lon, lat) vertices of ``edge`` from its tail to its head."""
        if len(self.geom_offsets) == 0:
            u, v = self.edge_u[edge], self.edge_v[edge]
            return np.array(
                [[self.node_lon[u], self.node_lat[u]], [self.node_lon[v], self.node_lat[v]]]
            )
        a, b = self.geom_offsets[edge], self.geom_offsets[edge + 1]
        return np.column_stack([self.geom_lon[a:b], self.geom_lat[a:b]])

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAY_FIELDS}


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable").astype(np.int32)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, order


def find_twins(edge_u: np.ndarray, edge_v: np.ndarray, edge_length_m: np.ndarray) -> np.ndarray:
    """For each edge u->v, an edge v->u of the same length (the other direction of the same
    street), or -1. Lets a point on a two-way street leave, or be reached, either way."""
    rows = list(
        zip(edge_u.tolist(), edge_v.tolist(), np.round(edge_length_m, 1).tolist(), strict=True)
    )
    first: dict[tuple, int] = {}
    for e, row in enumerate(rows):
        first.setdefault(row, e)
    return np.array([first.get((v, u, length), -1) for u, v, length in rows], dtype=np.int32)


def from_edges(
    coords: dict[int, tuple[float, float]],
    edges: list[tuple[int, int, float, float]],
    *,
    name: str = "hand-built",
) -> RoadGraph:
    """A small graph from node coordinates (id -> (lon, lat), EPSG:4326) and directed edges
    ``(u, v, seconds, metres)`` drawn straight. For tests and worked examples."""
    ids = sorted(coords)
    index = {n: i for i, n in enumerate(ids)}
    for u, v, seconds, metres in edges:
        if u not in index or v not in index:
            msg = f"`edges`: edge ({u}, {v}) names a node missing from `coords`"
            raise ValueError(msg)
        if not (seconds > 0 and metres > 0):
            raise ValueError(f"`edges`: edge ({u}, {v}) needs positive seconds and metres")
    edge_u = np.array([index[e[0]] for e in edges], dtype=np.int32)
    edge_v = np.array([index[e[1]] for e in edges], dtype=np.int32)
    length = np.array([e[3] for e in edges], dtype=np.float64)
    return RoadGraph(
        node_osmid=np.array(ids, dtype=np.int64),
        node_lon=np.array([coords[n][0] for n in ids], dtype=np.float64),
        node_lat=np.array([coords[n][1] for n in ids], dtype=np.float64),
        edge_u=edge_u,
        edge_v=edge_v,
        edge_time_s=np.array([e[2] for e in edges], dtype=np.float64),
        edge_length_m=length,
        edge_highway=np.zeros(len(edges), dtype=np.int16),
        edge_twin=find_twins(edge_u, edge_v, length),
        geom_offsets=np.zeros(0, dtype=np.int64),
        geom_lon=np.zeros(0),
        geom_lat=np.zeros(0),
        highway_names=["road"],
        name=name,
    )

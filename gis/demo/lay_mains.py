"""Laying a plausible gas distribution network along street chains.

All geometry here is in a metric CRS (metres); the caller projects in and out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree
from shapely.ops import substring

from gis.demo.streets import Chains

# Street class -> (pressure class, diameters to choose from in mm). Trunk routes carry the
# medium-pressure feeders; residential streets the low-pressure distribution mains.
PRESSURE_BY_HIGHWAY = {
    "trunk": ("medium_a", (315, 250)),
    "primary": ("medium_a", (315, 250, 200)),
    "secondary": ("medium_a", (250, 200)),
    "tertiary": ("medium_b", (200, 160)),
    "unclassified": ("low", (160, 110)),
    "residential": ("low", (110, 90, 63)),
    "living_street": ("low", (90, 63)),
}
DEFAULT_PRESSURE = ("low", (110, 90))
FEEDER_CLASSES = ("medium_a", "medium_b")
#: Mains are split so that no section runs longer than this without a line valve (metres).
VALVE_SPACING_M = 250.0
#: Share of branch ends at junctions fitted with a valve (real networks are not fully valved).
JUNCTION_VALVE_SHARE = 0.6


@dataclass(frozen=True)
class GasNetwork:
    nodes: gpd.GeoDataFrame  # id, kind
    mains: gpd.GeoDataFrame  # id, from_node, to_node, material, diameter_mm, pressure_class, ...
    stations: gpd.GeoDataFrame  # id, name, node_id, inlet/outlet pressure, capacity_m3h
    valves: gpd.GeoDataFrame  # id, main_id, node_id, valve_type, operable, access_note


def lay_network(chains: Chains, keep: np.ndarray, rng: np.random.Generator) -> GasNetwork:
    """Mains along the kept chains, split at junctions and every ``VALVE_SPACING_M``; regulator
    stations at well-spread feeder nodes; valves at junctions, spacing splits and stations."""
    frame = chains.frame[keep].reset_index(drop=True)
    nodes_xy = list(map(tuple, chains.node_xy))
    node_kind = np.where(
        chains.node_degree >= 3, "junction", np.where(chains.node_degree == 1, "end", "bend")
    ).tolist()
    rows = []
    for chain in frame.itertuples(index=False):
        line = chain.geometry
        pieces = max(1, math.ceil(line.length / VALVE_SPACING_M))
        cuts = [line.length * i / pieces for i in range(pieces + 1)]
        node_a = int(chain.start)
        for i in range(pieces):
            if i == pieces - 1:
                node_b = int(chain.end)
            else:
                point = line.interpolate(cuts[i + 1])
                nodes_xy.append((point.x, point.y))
                node_kind.append("split")
                node_b = len(nodes_xy) - 1
            geom = line if pieces == 1 else substring(line, cuts[i], cuts[i + 1])
            rows.append((node_a, node_b, chain.highway, chain.name, geom, i > 0))
            node_a = node_b

    mains = pd.DataFrame(
        rows, columns=["from_idx", "to_idx", "highway", "street_name", "geometry", "after_split"]
    )
    mains = mains[shapely.length(mains["geometry"].values) > 0.5].reset_index(drop=True)
    used = np.unique(np.concatenate([mains["from_idx"].values, mains["to_idx"].values]))
    new_id = np.full(len(nodes_xy), -1, dtype=np.int64)
    new_id[used] = np.arange(1, len(used) + 1)
    xy = np.asarray(nodes_xy)[used]
    nodes = gpd.GeoDataFrame(
        {"id": np.arange(1, len(used) + 1), "kind": np.asarray(node_kind, dtype=object)[used]},
        geometry=shapely.points(xy),
        crs=frame.crs,
    )
    mains["from_node"] = new_id[mains["from_idx"].values]
    mains["to_node"] = new_id[mains["to_idx"].values]
    mains["id"] = np.arange(1, len(mains) + 1)
    _assign_pipe_attributes(mains, rng)
    mains = gpd.GeoDataFrame(
        mains.drop(columns=["from_idx", "to_idx"]), geometry="geometry", crs=frame.crs
    )

    stations = _place_stations(nodes, mains, rng)
    valves = _place_valves(nodes, mains, stations, rng)
    return GasNetwork(nodes, mains.drop(columns=["after_split", "highway"]), stations, valves)


def _assign_pipe_attributes(mains: pd.DataFrame, rng: np.random.Generator) -> None:
    spec = [
        PRESSURE_BY_HIGHWAY.get(h.removesuffix("_link"), DEFAULT_PRESSURE) for h in mains["highway"]
    ]
    mains["pressure_class"] = [s[0] for s in spec]
    mains["diameter_mm"] = [int(rng.choice(s[1])) for s in spec]
    year = rng.integers(1968, 2025, size=len(mains))
    mains["install_year"] = year
    feeder = mains["pressure_class"].isin(FEEDER_CLASSES).values
    old = year < 1995
    mains["material"] = np.where(
        old & feeder,
        "steel",
        np.where(
            old & (rng.random(len(mains)) < 0.35),
            "cast_iron",
            np.where(feeder & (rng.random(len(mains)) < 0.4), "steel", "pe"),
        ),
    )
    mains["status"] = "in_service"


def _place_stations(
    nodes: gpd.GeoDataFrame, mains: pd.DataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """One station per ~25 km of main (at least two), at feeder nodes spread by k-means."""
    total_km = shapely.length(mains["geometry"].values).sum() / 1000
    feeder = mains[mains["pressure_class"].isin(FEEDER_CLASSES)]
    candidates = np.unique(np.concatenate([feeder["from_node"], feeder["to_node"]]))
    if len(candidates) < 2:
        candidates = nodes["id"].to_numpy()
    xy = shapely.get_coordinates(nodes.geometry.values)
    cand_xy = xy[candidates - 1]
    k = int(min(len(candidates), max(2, round(total_km / 25))))
    centroids, _ = kmeans2(cand_xy, k, seed=rng, minit="++")
    _, nearest = cKDTree(cand_xy).query(centroids)
    chosen = list(dict.fromkeys(candidates[nearest].tolist()))
    street = _street_at_nodes(mains)
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, len(chosen) + 1),
            "name": [f"RS-{i:02d} {street.get(n) or 'station'}" for i, n in enumerate(chosen, 1)],
            "node_id": chosen,
            "inlet_pressure_class": "sub_high_b",
            "outlet_pressure_class": "medium_a",
            "capacity_m3h": [int(rng.choice([3000, 5000, 10000])) for _ in chosen],
        },
        geometry=shapely.points(xy[np.asarray(chosen) - 1]),
        crs=nodes.crs,
    )


def _street_at_nodes(mains: pd.DataFrame) -> dict[int, str]:
    names: dict[int, str] = {}
    for a, b, name in zip(mains["from_node"], mains["to_node"], mains["street_name"], strict=True):
        if isinstance(name, str):
            names.setdefault(int(a), name)
            names.setdefault(int(b), name)
    return names


ACCESS_NOTES = (
    "in carriageway: traffic control needed",
    "footway chamber",
    "chamber under parking bay",
    "verge, marked by post",
    "cover heavy: bring lifting keys",
)


def _place_valves(
    nodes: gpd.GeoDataFrame,
    mains: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Valves sit on a main two metres from the node they guard."""
    kind = dict(zip(nodes["id"], nodes["kind"], strict=True))
    station_nodes = set(stations["node_id"].tolist())
    picks: list[tuple[int, int, bool]] = []  # (main index, node id, at the main's start)
    for i, (a, b, after_split) in enumerate(
        zip(mains["from_node"], mains["to_node"], mains["after_split"], strict=True)
    ):
        for node, at_start in ((int(a), True), (int(b), False)):
            guarded = kind[node] == "junction" and rng.random() < JUNCTION_VALVE_SHARE
            if node in station_nodes or guarded:
                picks.append((i, node, at_start))
        if after_split:  # the line valve at each spacing split
            picks.append((i, int(a), True))
    picks = sorted(set(picks))
    lines = mains.geometry.values
    idx = np.asarray([p[0] for p in picks], dtype=np.int64)
    lengths = shapely.length(lines[idx])
    along = np.minimum(2.0, lengths / 2)
    at_start = np.asarray([p[2] for p in picks])
    points = shapely.line_interpolate_point(lines[idx], np.where(at_start, along, lengths - along))
    feeder = mains["pressure_class"].to_numpy()[idx] != "low"
    n = len(picks)
    types = np.where(
        feeder, rng.choice(["ball", "gate"], size=n), rng.choice(["plug", "ball", "gate"], size=n)
    )
    notes = np.where(rng.random(n) < 0.3, rng.choice(ACCESS_NOTES, size=n), None)
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, n + 1),
            "main_id": mains["id"].to_numpy()[idx],
            "node_id": [p[1] for p in picks],
            "valve_type": types,
            "operable": rng.random(n) >= 0.03,
            "access_note": notes,
        },
        geometry=points,
        crs=mains.crs,
    )

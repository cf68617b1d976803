"""Customers of the demo territory: meters in buildings (or along streets where OSM has no
buildings), each building connected to its nearest main by a service pipe.

All geometry is in a metric CRS (metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.demo.people import synthetic_mobiles, synthetic_names

#: A building farther than this from any main is left off gas (metres).
MAX_SERVICE_LENGTH_M = 120.0
#: Streets with no building within this distance get synthetic houses along them (metres).
NO_BUILDING_RADIUS_M = 60.0
SYNTHETIC_HOUSE_SPACING_M = 60.0
SYNTHETIC_HOUSE_SETBACK_M = 14.0
#: Footprint of one household, gross floor area (m²) — turns a block into a number of meters.
HOUSEHOLD_FLOOR_AREA_M2 = 90.0
MAX_METERS_PER_BUILDING = 40

NOT_SUPPLIED = {
    "garage",
    "garages",
    "shed",
    "roof",
    "carport",
    "hut",
    "ruins",
    "construction",
    "bunker",
    "transformer_tower",
    "greenhouse",
    "stable",
    "barn",
    "cowshed",
    "kiosk",
    "toilets",
    "service",
    "bridge",
    "container",
    "tent",
    "no",
}
CATEGORY_BY_BUILDING = {
    "hospital": "hospital",
    "clinic": "hospital",
    "school": "school",
    "kindergarten": "school",
    "university": "school",
    "college": "school",
    "nursing_home": "care_home",
    "commercial": "commercial",
    "retail": "commercial",
    "office": "commercial",
    "hotel": "commercial",
    "supermarket": "commercial",
    "industrial": "industrial",
    "warehouse": "industrial",
    "factory": "industrial",
    "manufacture": "industrial",
    "church": "public",
    "chapel": "public",
    "public": "public",
    "civic": "public",
    "government": "public",
    "train_station": "public",
    "fire_station": "public",
}
CATEGORY_BY_AMENITY = {
    "hospital": "hospital",
    "clinic": "hospital",
    "school": "school",
    "kindergarten": "school",
    "university": "school",
    "nursing_home": "care_home",
    "social_facility": "care_home",
}
HOUSES = {"house", "detached", "semidetached_house", "terrace", "bungalow", "farm", "cabin"}
#: Share of residential customers registered as depending on life-support equipment.
LIFE_SUPPORT_SHARE = 0.003


@dataclass(frozen=True)
class Customers:
    buildings: gpd.GeoDataFrame  # id, osm_id, building, name, address, levels (footprints)
    service_pipes: gpd.GeoDataFrame  # id, main_id, building_id, material, diameter_mm, ...
    meters: gpd.GeoDataFrame  # id, meter_no, account_no, customer_name, phone, address, ...


def connect_customers(
    buildings: gpd.GeoDataFrame, mains: gpd.GeoDataFrame, rng: np.random.Generator
) -> Customers:
    """Buildings near a main get a service pipe and one meter per household; streets without
    buildings get synthetic houses. ``buildings`` and ``mains`` share one metric CRS."""
    buildings = _clean_buildings(buildings)
    tree = shapely.STRtree(mains.geometry.values)
    anchors = buildings.geometry.representative_point().values
    served = _nearest_main(tree, anchors)
    supplied = (served >= 0) & ~buildings["building"].isin(NOT_SUPPLIED).to_numpy()

    extra = _synthetic_houses(mains, buildings, rng)
    extra_served = _nearest_main(tree, extra.geometry.values)
    extra = extra[extra_served >= 0].reset_index(drop=True)
    extra_served = extra_served[extra_served >= 0]

    sites = pd.DataFrame(
        {
            "building_idx": np.concatenate([np.flatnonzero(supplied), np.full(len(extra), -1)]),
            "main_idx": np.concatenate([served[supplied], extra_served]),
            "households": np.concatenate(
                [_households(buildings[supplied]), np.ones(len(extra), dtype=np.int64)]
            ),
            "category": np.concatenate(
                [_category(buildings[supplied]), np.full(len(extra), "residential", dtype=object)]
            ),
            "address": np.concatenate(
                [
                    _addresses(buildings[supplied], mains, served[supplied], rng),
                    extra["address"].to_numpy(),
                ]
            ),
        }
    )
    site_points = np.concatenate([anchors[supplied], extra.geometry.values])
    main_lines = mains.geometry.values[sites["main_idx"].to_numpy()]
    taps = shapely.line_interpolate_point(
        main_lines, shapely.line_locate_point(main_lines, site_points)
    )
    keep = shapely.distance(taps, site_points) > 0.5  # a service pipe needs a length
    sites, site_points, taps = sites[keep].reset_index(drop=True), site_points[keep], taps[keep]

    n_sites = len(sites)
    main_rows = mains.iloc[sites["main_idx"].to_numpy()]
    building_ids = np.where(sites["building_idx"] >= 0, sites["building_idx"] + 1, 0)
    service = gpd.GeoDataFrame(
        {
            "id": np.arange(1, n_sites + 1),
            "main_id": main_rows["id"].to_numpy(),
            "building_id": pd.array(np.where(building_ids > 0, building_ids, None), dtype="Int64"),
            "material": np.where(rng.random(n_sites) < 0.8, "pe", "steel"),
            "diameter_mm": np.where(sites["households"] > 6, 63, 32),
            "pressure_class": main_rows["pressure_class"].to_numpy(),
            "install_year": np.maximum(
                main_rows["install_year"].to_numpy(), rng.integers(1970, 2025, n_sites)
            ),
            "status": "in_service",
        },
        geometry=shapely.linestrings(
            np.stack([shapely.get_coordinates(taps), shapely.get_coordinates(site_points)], 1)
        ),
        crs=mains.crs,
    )
    meters = _meters(sites, site_points, service, rng, mains.crs)
    return Customers(buildings, service, meters)


def _clean_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = shapely.make_valid(buildings.geometry.values)
    polygons = shapely.get_type_id(geoms) == 3
    multi = shapely.get_type_id(geoms) == 6
    keep = (polygons | multi) & ~shapely.is_empty(geoms) & (shapely.area(geoms) > 4)
    out = buildings[keep].copy()
    out["geometry"] = geoms[keep]
    out = out.sort_values("osm_id", kind="stable").reset_index(drop=True)
    out.insert(0, "id", np.arange(1, len(out) + 1))
    return gpd.GeoDataFrame(out, geometry="geometry", crs=buildings.crs)


def _nearest_main(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """Index of the nearest main within ``MAX_SERVICE_LENGTH_M`` of each point, else -1."""
    found = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return found
    pairs = tree.query_nearest(points, max_distance=MAX_SERVICE_LENGTH_M, all_matches=False)
    found[pairs[0]] = pairs[1]
    return found


def _households(buildings: gpd.GeoDataFrame) -> np.ndarray:
    kind = buildings["building"].to_numpy()
    levels = buildings["levels"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    default_levels = np.where(np.isin(kind, ["apartments", "residential"]), 4, 2)
    levels = np.where(np.isnan(levels) | (levels < 1), default_levels, levels)
    floor = shapely.area(buildings.geometry.values) * levels * 0.8
    count = np.clip(np.round(floor / HOUSEHOLD_FLOOR_AREA_M2), 1, MAX_METERS_PER_BUILDING)
    single = np.isin(kind, list(HOUSES)) | (_category(buildings) != "residential")
    return np.where(single, 1, count).astype(np.int64)


def _category(buildings: gpd.GeoDataFrame) -> np.ndarray:
    by_building = buildings["building"].map(CATEGORY_BY_BUILDING)
    by_amenity = buildings["amenity"].map(CATEGORY_BY_AMENITY)
    return by_amenity.fillna(by_building).fillna("residential").to_numpy(dtype=object)


def _addresses(
    buildings: gpd.GeoDataFrame,
    mains: gpd.GeoDataFrame,
    served: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The OSM address where tagged, else the serving main's street and a made-up number."""
    streets = mains["street_name"].to_numpy()[served]
    numbers = rng.integers(1, 120, size=len(buildings))
    made_up = [
        f"{s if isinstance(s, str) else 'Unnamed road'} {n}"
        for s, n in zip(streets, numbers, strict=True)
    ]
    tagged = buildings["address"].to_numpy()
    return np.asarray(
        [t if isinstance(t, str) else m for t, m in zip(tagged, made_up, strict=True)], dtype=object
    )


def _synthetic_houses(
    mains: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Houses every ``SYNTHETIC_HOUSE_SPACING_M`` along low-pressure streets with no building."""
    low = mains[mains["pressure_class"] == "low"]
    lines = low.geometry.values
    lengths = shapely.length(lines)
    counts = np.floor(lengths / SYNTHETIC_HOUSE_SPACING_M).astype(np.int64)
    which = np.repeat(np.arange(len(low)), counts)
    if len(which) == 0:
        return gpd.GeoDataFrame({"address": []}, geometry=[], crs=mains.crs)
    k = np.concatenate([np.arange(c) for c in counts if c > 0])
    along = (k + 0.5) * SYNTHETIC_HOUSE_SPACING_M
    on_line = shapely.line_interpolate_point(lines[which], along)
    ahead = shapely.line_interpolate_point(lines[which], along + 1.0)
    d = shapely.get_coordinates(ahead) - shapely.get_coordinates(on_line)
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    side = np.where(k % 2 == 0, 1.0, -1.0)[:, None]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) * side * SYNTHETIC_HOUSE_SETBACK_M
    points = shapely.points(shapely.get_coordinates(on_line) + normal)
    if len(buildings):
        near = shapely.STRtree(buildings.geometry.values).query(
            points, predicate="dwithin", distance=NO_BUILDING_RADIUS_M
        )
        empty = np.ones(len(points), dtype=bool)
        empty[near[0]] = False
    else:
        empty = np.ones(len(points), dtype=bool)
    street = low["street_name"].to_numpy()[which]
    address = [
        f"{s if isinstance(s, str) else 'Unnamed road'} {2 * i + 1 + (i % 2)}"
        for s, i in zip(street, k, strict=True)
    ]
    del rng  # placement is geometric; kept in the signature for symmetry with the others
    return gpd.GeoDataFrame(
        {"address": np.asarray(address, dtype=object)[empty]},
        geometry=points[empty],
        crs=mains.crs,
    )


def _meters(
    sites: pd.DataFrame,
    site_points: np.ndarray,
    service: gpd.GeoDataFrame,
    rng: np.random.Generator,
    crs,
) -> gpd.GeoDataFrame:
    per_site = sites["households"].to_numpy()
    site_of = np.repeat(np.arange(len(sites)), per_site)
    n = len(site_of)
    unit = np.concatenate([np.arange(1, c + 1) for c in per_site]) if n else np.zeros(0, int)
    # Meters of one building stand around its riser, a few metres apart, not on one point.
    angle = rng.random(n) * 2 * np.pi
    radius = np.where(per_site[site_of] > 1, 1.5 + 2.5 * rng.random(n), 0.0)
    xy = shapely.get_coordinates(site_points)[site_of]
    xy = xy + np.stack([np.cos(angle), np.sin(angle)], 1) * radius[:, None]
    category = sites["category"].to_numpy()[site_of].copy()
    category[(category == "residential") & (rng.random(n) < LIFE_SUPPORT_SHARE)] = "life_support"
    address = sites["address"].to_numpy()[site_of]
    address = np.asarray(
        [
            a if per_site[s] == 1 else f"{a}, apt {u}"
            for a, s, u in zip(address, site_of, unit, strict=True)
        ],
        dtype=object,
    )
    building_idx = sites["building_idx"].to_numpy()[site_of]
    ids = np.arange(1, n + 1)
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "meter_no": [f"GM{i:08d}" for i in ids],
            "account_no": [f"{60_000_000 + i:09d}" for i in ids],
            "customer_name": synthetic_names(rng, n),
            "phone": synthetic_mobiles(rng, n),
            "address": address,
            "category": category,
            "building_id": pd.array(
                np.where(building_idx >= 0, building_idx + 1, None), dtype="Int64"
            ),
            "service_pipe_id": service["id"].to_numpy()[site_of],
        },
        geometry=shapely.points(xy),
        crs=crs,
    )

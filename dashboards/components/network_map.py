"""The network map: a dash-leaflet map of the gas network drawn from the served layers.

Every layer is a ``dl.GeoJSON`` with ``url=`` pointing at ``/layers/<name>.geojson``: the browser
fetches each once, nothing goes through a callback. Coordinates are EPSG:4326 (Leaflet lat/lng).
Styling and point markers are JavaScript functions in ``dashboards/assets/map.js``
(``window.gasMap``), referenced as ``{"variable": "gasMap.<function>"}``; colours are defined
here and handed to them through each layer's ``hideout``, so the legend and the map agree.

The offline base layer is the OSM street network itself (plus faint buildings) drawn from the
database; online OSM raster tiles are offered only when asked for, so the map works air-gapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import dash_leaflet as dl
from dash import html

from dashboards import ids
from dashboards.layers import layer_url
from dispatch.settings import current

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OFFLINE_BASE_NAME = "OSM streets (offline)"
ONLINE_BASE_NAME = "OpenStreetMap tiles (online)"

#: Colour of a main by pressure class, lowest pressure first.
PRESSURE_COLORS = MappingProxyType(
    {
        "low": "#39d98a",
        "medium_b": "#ffd60a",
        "medium_a": "#ff9f1c",
        "sub_high_b": "#ff6b35",
        "sub_high_a": "#ff3d71",
        "high_b": "#ff1f1f",
        "high_a": "#d600ff",
    }
)
PRESSURE_LABELS = MappingProxyType(
    {
        "low": "Low",
        "medium_b": "Medium B",
        "medium_a": "Medium A",
        "sub_high_b": "Sub-high B",
        "sub_high_a": "Sub-high A",
        "high_b": "High B",
        "high_a": "High A",
    }
)
#: Fill colour of a crew marker by crew status.
CREW_STATUS_COLORS = MappingProxyType(
    {
        "available": "#00e5ff",
        "busy": "#ff9100",
        "off_duty": "#8c96a3",
        "out_of_service": "#ff2d55",
    }
)
CREW_STATUS_LABELS = MappingProxyType(
    {
        "available": "Available",
        "busy": "Busy",
        "off_duty": "Off duty",
        "out_of_service": "Out of service",
    }
)
#: Valve marker fill: open or closed right now.
VALVE_COLORS = MappingProxyType({"open": "#e6edf3", "closed": "#ff2d55", "inoperable": "#ffbf00"})

#: Shown when the database has no territory yet: the whole world.
WORLD_CENTER = (20.0, 0.0)
WORLD_ZOOM = 2


def _js(name: str) -> dict[str, str]:
    """A reference to function ``gasMap.<name>`` in ``assets/map.js``."""
    return {"variable": f"gasMap.{name}"}


@dataclass(frozen=True)
class OverlaySpec:
    """One overlay of the layers control: its label and how its GeoJSON layer is drawn."""

    label: str
    layer: str  # name served at /layers/<layer>.geojson
    component_id: str
    title: str  # heading of a feature's tooltip and popup
    label_prop: str  # property appended to the title
    style: str | None = None  # gasMap function for lines and polygons
    point: str | None = None  # gasMap function for points
    palette: str | None = None  # key of PALETTES handed to the functions through the hideout
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))


OVERLAYS: tuple[OverlaySpec, ...] = (
    OverlaySpec(
        "Districts", "districts", ids.LAYER_DISTRICTS, "District", "name", style="styleDistrict"
    ),
    OverlaySpec(
        "Gas mains",
        "mains",
        ids.LAYER_MAINS,
        "Main",
        "id",
        style="styleMain",
        palette="pressureColors",
    ),
    OverlaySpec(
        "Valves",
        "valves",
        ids.LAYER_VALVES,
        "Valve",
        "id",
        point="pointValve",
        palette="valveColors",
    ),
    OverlaySpec(
        "Regulator stations",
        "regulator_stations",
        ids.LAYER_REGULATOR_STATIONS,
        "Regulator station",
        "name",
        point="pointStation",
    ),
    OverlaySpec(
        "Customer meters",
        "meters",
        ids.LAYER_METERS,
        "Meter",
        "id",
        point="pointMeter",
        extra=MappingProxyType(
            {
                "cluster": True,
                "clusterToLayer": _js("clusterMeters"),
                "superClusterOptions": {"radius": 60, "maxZoom": 17},
                "zoomToBoundsOnClick": True,
            }
        ),
    ),
    OverlaySpec("Depots", "depots", ids.LAYER_DEPOTS, "Depot", "name", point="pointDepot"),
    OverlaySpec(
        "Crews", "crews", ids.LAYER_CREWS, "Crew", "code", point="pointCrew", palette="crewColors"
    ),
    OverlaySpec("Cameras", "cameras", ids.LAYER_CAMERAS, "Camera", "name", point="pointCamera"),
)


#: Colour tables the JavaScript functions read from ``context.hideout[<key>]``.
PALETTES = MappingProxyType(
    {
        "pressureColors": PRESSURE_COLORS,
        "crewColors": CREW_STATUS_COLORS,
        "valveColors": VALVE_COLORS,
    }
)


def _hideout(title: str, label_prop: str, palette: str | None = None) -> dict[str, Any]:
    hideout: dict[str, Any] = {"title": title, "labelProp": label_prop}
    if palette is not None:
        hideout[palette] = dict(PALETTES[palette])
    return hideout


EMPTY = {"type": "FeatureCollection", "features": []}
#: Overlays only a live screen has: the selected incident's plan, and the incidents.
LIVE_OVERLAY_NAMES = ("Crew routes", "Selected incident", "Incidents")
#: Layers a live screen updates through callbacks instead of fetching once.
LIVE_LAYERS = frozenset({"crews"})
#: Incident colours by priority (P1 red ... P4 grey-blue).
PRIORITY_COLORS = MappingProxyType({1: "#ff2d55", 2: "#ff9f1c", 3: "#ffd60a", 4: "#7aa2ff"})


def build_overlay_layer(spec: OverlaySpec, *, live: bool = False) -> dl.GeoJSON:
    """The GeoJSON layer of one overlay, fetched by the browser from its URL (or, for a live
    layer on a live screen, filled by callbacks)."""
    source = (
        {"data": EMPTY} if live and spec.layer in LIVE_LAYERS else {"url": layer_url(spec.layer)}
    )
    props: dict[str, Any] = {
        "id": spec.component_id,
        **source,
        "hideout": _hideout(spec.title, spec.label_prop, spec.palette),
        "onEachFeature": _js("bindInfo"),
    }
    if spec.style is not None:
        props["style"] = _js(spec.style)
    if spec.point is not None:
        props["pointToLayer"] = _js(spec.point)
    props.update(spec.extra)
    return dl.GeoJSON(**props)


def build_offline_base() -> dl.LayerGroup:
    """The street map drawn from the database: faint buildings under light street lines."""
    return dl.LayerGroup(
        attribution=OSM_ATTRIBUTION,
        children=[
            dl.GeoJSON(
                id=ids.LAYER_BUILDINGS,
                url=layer_url("buildings"),
                style=_js("styleBuilding"),
                interactive=False,
            ),
            dl.GeoJSON(
                id=ids.LAYER_STREETS,
                url=layer_url("streets"),
                style=_js("styleStreet"),
                onEachFeature=_js("bindStreetName"),
            ),
        ],
    )


def build_live_overlays() -> list[dl.Overlay]:
    """Incidents by priority (pulsing when a deadline is at risk) and the selected incident's
    warning zone, mains out of supply and valves to close; both filled by callbacks."""
    incidents = dl.GeoJSON(
        id=ids.LAYER_INCIDENTS,
        data=EMPTY,
        pointToLayer=_js("pointIncident"),
        onEachFeature=_js("bindInfo"),
        hideout={
            "title": "Ticket",
            "labelProp": "number",
            "priorityColors": {str(k): v for k, v in PRIORITY_COLORS.items()},
        },
    )
    selection = dl.GeoJSON(
        id=ids.LAYER_SELECTION,
        data=EMPTY,
        style=_js("styleSelection"),
        pointToLayer=_js("pointSelection"),
        onEachFeature=_js("bindInfo"),
        hideout={"title": "Isolation", "labelProp": "kind"},
    )
    routes = dl.GeoJSON(
        id=ids.LAYER_ROUTES,
        data=EMPTY,
        style=_js("styleRoute"),
        onEachFeature=_js("bindInfo"),
        hideout={"title": "Route", "labelProp": "crew"},
    )
    layers = (routes, selection, incidents)
    return [
        dl.Overlay(layer, name=name, checked=True)
        for layer, name in zip(layers, LIVE_OVERLAY_NAMES, strict=True)
    ]


def build_layers_control(*, online_tiles: bool = False, live: bool = False) -> dl.LayersControl:
    """Base layers (offline streets; online OSM tiles only if ``online_tiles``) and overlays."""
    base_layers = [dl.BaseLayer(build_offline_base(), name=OFFLINE_BASE_NAME, checked=True)]
    if online_tiles:
        tiles = dl.TileLayer(
            id=ids.LAYER_OSM_TILES,
            url=current().tiles.online_url,  # the tiles.online_url setting
            attribution=OSM_ATTRIBUTION,
            maxZoom=19,
        )
        base_layers.append(dl.BaseLayer(tiles, name=ONLINE_BASE_NAME, checked=False))
    overlays = [
        dl.Overlay(build_overlay_layer(spec, live=live), name=spec.label, checked=True)
        for spec in OVERLAYS
    ]
    if live:
        overlays += build_live_overlays()
    return dl.LayersControl(
        [*base_layers, *overlays],
        id=ids.LAYERS_CONTROL,
        position="topright",
        collapsed=False,
        # Given up front: dash-leaflet 1.1 fails on the first overlay unticked otherwise.
        baseLayer=OFFLINE_BASE_NAME,
        overlays=[spec.label for spec in OVERLAYS] + (list(LIVE_OVERLAY_NAMES) if live else []),
    )


def _swatch_row(color: str, label: str, *, line: bool) -> html.Div:
    shape = "gm-legend-line" if line else "gm-legend-dot"
    return html.Div(
        [html.Span(className=shape, style={"backgroundColor": color}), html.Span(label)],
        className="gm-legend-row",
    )


def build_legend() -> html.Div:
    """A small legend: main colours by pressure class, crew colours by status, valve states."""
    return html.Div(
        id=ids.LEGEND,
        className="gm-legend",
        children=[
            html.Div("Gas mains", className="gm-legend-title"),
            *(
                _swatch_row(PRESSURE_COLORS[key], PRESSURE_LABELS[key], line=True)
                for key in PRESSURE_COLORS
            ),
            html.Div("Crews", className="gm-legend-title"),
            *(
                _swatch_row(CREW_STATUS_COLORS[key], CREW_STATUS_LABELS[key], line=False)
                for key in CREW_STATUS_COLORS
            ),
            html.Div("Valves", className="gm-legend-title"),
            _swatch_row(VALVE_COLORS["open"], "Open", line=False),
            _swatch_row(VALVE_COLORS["closed"], "Closed", line=False),
            _swatch_row(VALVE_COLORS["inoperable"], "Inoperable (ring)", line=False),
        ],
    )


def build_network_map(
    bounds: list[list[float]] | None, *, online_tiles: bool = False, live: bool = False
) -> html.Div:
    """The map fitted to ``bounds`` (``[[south, west], [north, east]]``, degrees, EPSG:4326),
    or the whole world when ``None``, with its layers control and legend."""
    view: dict[str, Any] = (
        {"bounds": bounds, "boundsOptions": {"padding": [16, 16]}}
        if bounds is not None
        else {"center": list(WORLD_CENTER), "zoom": WORLD_ZOOM}
    )
    leaflet_map = dl.Map(
        id=ids.MAP,
        className="gm-map",
        children=[
            build_layers_control(online_tiles=online_tiles, live=live),
            dl.ScaleControl(imperial=False, position="bottomright"),
        ],
        maxZoom=19,
        # dash-leaflet 1.1's viewport tracking fails on a map given bounds but no center; no
        # callback reads the viewport yet.
        trackViewport=False,
        style={"width": "100%", "height": "100%"},
        **view,
    )
    return html.Div([leaflet_map, build_legend()], className="gm-map-wrap")

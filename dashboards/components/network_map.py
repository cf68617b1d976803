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
from dashboards.i18n import EN, TEXTS, crew_status_label, priority_label, t
from dashboards.layers import layer_url
from dispatch.settings import current

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OFFLINE_BASE_KEY = "map.base_offline"
ONLINE_BASE_KEY = "map.base_online"
#: The base layers' names on an English page.
OFFLINE_BASE_NAME = t(OFFLINE_BASE_KEY, EN)
ONLINE_BASE_NAME = t(ONLINE_BASE_KEY, EN)

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
#: Fill colour of a crew marker by crew status.
CREW_STATUS_COLORS = MappingProxyType(
    {
        "available": "#00e5ff",
        "busy": "#ff9100",
        "off_duty": "#8c96a3",
        "out_of_service": "#ff2d55",
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

    key: str  # i18n key of its name in the layers control (dashboards.i18n)
    layer: str  # name served at /layers/<layer>.geojson
    component_id: str
    title_key: str  # i18n key of the heading of a feature's tooltip and popup
    label_prop: str  # property appended to the title
    style: str | None = None  # gasMap function for lines and polygons
    point: str | None = None  # gasMap function for points
    palette: str | None = None  # key of PALETTES handed to the functions through the hideout
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def label(self) -> str:
        """Its English name (the name in the layers control of an English page)."""
        return t(self.key, EN)

    def label_in(self, lang: str) -> str:
        return t(self.key, lang)


OVERLAYS: tuple[OverlaySpec, ...] = (
    OverlaySpec(
        "map.layer.districts",
        "districts",
        ids.LAYER_DISTRICTS,
        "map.title.district",
        "name",
        style="styleDistrict",
    ),
    OverlaySpec(
        "map.layer.mains",
        "mains",
        ids.LAYER_MAINS,
        "map.title.main",
        "id",
        style="styleMain",
        palette="pressureColors",
    ),
    OverlaySpec(
        "map.layer.valves",
        "valves",
        ids.LAYER_VALVES,
        "map.title.valve",
        "id",
        point="pointValve",
        palette="valveColors",
    ),
    OverlaySpec(
        "map.layer.stations",
        "regulator_stations",
        ids.LAYER_REGULATOR_STATIONS,
        "map.title.station",
        "name",
        point="pointStation",
    ),
    OverlaySpec(
        "map.layer.meters",
        "meters",
        ids.LAYER_METERS,
        "map.title.meter",
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
    OverlaySpec(
        "map.layer.depots",
        "depots",
        ids.LAYER_DEPOTS,
        "map.title.depot",
        "name",
        point="pointDepot",
    ),
    OverlaySpec(
        "map.layer.crews",
        "crews",
        ids.LAYER_CREWS,
        "map.title.crew",
        "code",
        point="pointCrew",
        palette="crewColors",
    ),
    OverlaySpec(
        "map.layer.cameras",
        "cameras",
        ids.LAYER_CAMERAS,
        "map.title.camera",
        "name",
        point="pointCamera",
    ),
)


#: Colour tables the JavaScript functions read from ``context.hideout[<key>]``.
PALETTES = MappingProxyType(
    {
        "pressureColors": PRESSURE_COLORS,
        "crewColors": CREW_STATUS_COLORS,
        "valveColors": VALVE_COLORS,
    }
)


#: Prefixes of the translation tables whose codes a popup may show as values.
_VALUE_TABLES = ("value", "status", "crew_status", "pressure", "customer", "skill", "ticket_type")
#: Properties that steer the drawing and mean nothing to a reader.
HIDDEN_PROPS = ("selected", "label", "n", "ticket_id", "cluster")


def popup_words(lang: str) -> dict[str, Any]:
    """What a popup needs to speak ``lang``: property names, coded values (a status, a
    pressure class, a material...) and which properties not to show."""
    keys = {k.removeprefix("prop."): t(k, lang) for k in TEXTS if k.startswith("prop.")}
    values = {}
    for prefix in _VALUE_TABLES:
        for key in TEXTS:
            if key.startswith(prefix + "."):
                values.setdefault(key.split(".", 1)[1], t(key, lang))
    return {"keys": keys, "values": values, "hidden": list(HIDDEN_PROPS)}


def _hideout(
    title: str, label_prop: str, palette: str | None = None, lang: str = EN
) -> dict[str, Any]:
    hideout: dict[str, Any] = {"title": title, "labelProp": label_prop, "words": popup_words(lang)}
    if palette is not None:
        hideout[palette] = dict(PALETTES[palette])
    return hideout


EMPTY = {"type": "FeatureCollection", "features": []}
#: Overlays only a live screen has (i18n keys): routes, the selected incident's plan, incidents.
LIVE_OVERLAY_KEYS = ("map.layer.routes", "map.layer.selection", "map.layer.incidents")
#: Their names on an English page.
LIVE_OVERLAY_NAMES = tuple(t(key, EN) for key in LIVE_OVERLAY_KEYS)
#: Layers a live screen updates through callbacks instead of fetching once.
LIVE_LAYERS = frozenset({"crews"})
#: Incident colours by priority (P1 red ... P4 grey-blue).
PRIORITY_COLORS = MappingProxyType({1: "#ff2d55", 2: "#ff9f1c", 3: "#ffd60a", 4: "#7aa2ff"})
#: The selected incident's warning zone and valves to close, as drawn by gasMap.styleSelection.
ZONE_COLOR = "#ff2d55"


def build_overlay_layer(spec: OverlaySpec, *, live: bool = False, lang: str = EN) -> dl.GeoJSON:
    """The GeoJSON layer of one overlay, fetched by the browser from its URL (or, for a live
    layer on a live screen, filled by callbacks)."""
    source = (
        {"data": EMPTY} if live and spec.layer in LIVE_LAYERS else {"url": layer_url(spec.layer)}
    )
    props: dict[str, Any] = {
        "id": spec.component_id,
        **source,
        "hideout": _hideout(t(spec.title_key, lang), spec.label_prop, spec.palette, lang),
        "onEachFeature": _js("bindInfo"),
    }
    if spec.style is not None:
        props["style"] = _js(spec.style)
    if spec.point is not None:
        props["pointToLayer"] = _js(spec.point)
    props.update(spec.extra)
    return dl.GeoJSON(**props)


def build_offline_base() -> dl.LayerGroup:
    """The street map drawn from the database: faint buildings under light street lines, and
    the streets' names drawn by the browser where they fit (``gasMap.bindStreetName``)."""
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


def build_live_overlays(lang: str = EN) -> list[dl.Overlay]:
    """Incidents by priority (pulsing when a deadline is at risk) and the selected incident's
    warning zone, mains out of supply and valves to close; both filled by callbacks. Selecting
    an incident brings it into view (``gasMap.bindSelection``)."""
    incidents = dl.GeoJSON(
        id=ids.LAYER_INCIDENTS,
        data=EMPTY,
        pointToLayer=_js("pointIncident"),
        onEachFeature=_js("bindInfo"),
        hideout={
            **_hideout(t("map.title.ticket", lang), "number", lang=lang),
            "priorityColors": {str(k): v for k, v in PRIORITY_COLORS.items()},
        },
    )
    selection = dl.GeoJSON(
        id=ids.LAYER_SELECTION,
        data=EMPTY,
        style=_js("styleSelection"),
        pointToLayer=_js("pointSelection"),
        onEachFeature=_js("bindSelection"),
        hideout=_hideout(t("map.title.isolation", lang), "label", lang=lang),
    )
    routes = dl.GeoJSON(
        id=ids.LAYER_ROUTES,
        data=EMPTY,
        style=_js("styleRoute"),
        onEachFeature=_js("bindInfo"),
        hideout=_hideout(t("map.title.route", lang), "crew", lang=lang),
    )
    layers = (routes, selection, incidents)
    return [
        dl.Overlay(layer, name=t(key, lang), checked=True)
        for layer, key in zip(layers, LIVE_OVERLAY_KEYS, strict=True)
    ]


def build_layers_control(
    *, online_tiles: bool = False, live: bool = False, lang: str = EN
) -> dl.LayersControl:
    """Base layers (offline streets; online OSM tiles only if ``online_tiles``) and overlays,
    named in ``lang``."""
    offline = t(OFFLINE_BASE_KEY, lang)
    base_layers = [dl.BaseLayer(build_offline_base(), name=offline, checked=True)]
    if online_tiles:
        tiles = dl.TileLayer(
            id=ids.LAYER_OSM_TILES,
            url=current().tiles.online_url,  # the tiles.online_url setting
            attribution=OSM_ATTRIBUTION,
            maxZoom=19,
        )
        base_layers.append(dl.BaseLayer(tiles, name=t(ONLINE_BASE_KEY, lang), checked=False))
    overlays = [
        dl.Overlay(
            build_overlay_layer(spec, live=live, lang=lang), name=spec.label_in(lang), checked=True
        )
        for spec in OVERLAYS
    ]
    if live:
        overlays += build_live_overlays(lang)
    live_names = [t(key, lang) for key in LIVE_OVERLAY_KEYS] if live else []
    return dl.LayersControl(
        [*base_layers, *overlays],
        id=ids.LAYERS_CONTROL,
        position="topright",
        collapsed=False,
        # Given up front: dash-leaflet 1.1 fails on the first overlay unticked otherwise.
        baseLayer=offline,
        overlays=[spec.label_in(lang) for spec in OVERLAYS] + live_names,
    )


def _swatch_row(color: str, label: str, *, line: bool, extra: str = "") -> html.Div:
    shape = "gm-legend-line" if line else "gm-legend-dot"
    return html.Div(
        [
            html.Span(className=f"{shape} {extra}".strip(), style={"backgroundColor": color}),
            html.Span(label),
        ],
        className="gm-legend-row",
    )


def build_legend(lang: str = EN, *, live: bool = False) -> html.Div:
    """The legend, every word from the translation tables: main colours by pressure class,
    crew colours by status, valve states and, on a live screen, incidents by priority, a
    deadline at risk, the selected incident's warning zone and valves to close."""
    incidents = []
    if live:
        incidents = [
            html.Div(t("legend.incidents", lang), className="gm-legend-title"),
            *(
                _swatch_row(color, priority_label(p, lang), line=False)
                for p, color in PRIORITY_COLORS.items()
            ),
            _swatch_row(
                PRIORITY_COLORS[1], t("legend.at_risk", lang), line=False, extra="gm-legend-pulse"
            ),
            _swatch_row(
                ZONE_COLOR, t("legend.warning_zone", lang), line=False, extra="gm-legend-zone"
            ),
            _swatch_row(ZONE_COLOR, t("legend.valve_to_close", lang), line=False),
        ]
    return html.Div(
        id=ids.LEGEND,
        className="gm-legend",
        children=[
            *incidents,
            html.Div(t("legend.crews", lang), className="gm-legend-title"),
            *(
                _swatch_row(CREW_STATUS_COLORS[key], crew_status_label(key, lang), line=False)
                for key in CREW_STATUS_COLORS
            ),
            html.Div(t("legend.mains", lang), className="gm-legend-title"),
            *(
                _swatch_row(PRESSURE_COLORS[key], t(f"pressure.{key}", lang), line=True)
                for key in PRESSURE_COLORS
            ),
            html.Div(t("legend.valves", lang), className="gm-legend-title"),
            _swatch_row(VALVE_COLORS["open"], t("legend.valve_open", lang), line=False),
            _swatch_row(VALVE_COLORS["closed"], t("legend.valve_closed", lang), line=False),
            _swatch_row(VALVE_COLORS["inoperable"], t("legend.valve_inoperable", lang), line=False),
        ],
    )


def build_network_map(
    bounds: list[list[float]] | None,
    *,
    online_tiles: bool = False,
    live: bool = False,
    lang: str = EN,
) -> html.Div:
    """The map fitted to ``bounds`` (``[[south, west], [north, east]]``, degrees, EPSG:4326),
    or the whole world when ``None``, with its layers control and legend in ``lang``."""
    view: dict[str, Any] = (
        {"bounds": bounds, "boundsOptions": {"padding": [16, 16]}}
        if bounds is not None
        else {"center": list(WORLD_CENTER), "zoom": WORLD_ZOOM}
    )
    leaflet_map = dl.Map(
        id=ids.MAP,
        className="gm-map",
        children=[
            build_layers_control(online_tiles=online_tiles, live=live, lang=lang),
            # 200 px at most: room for "1000 m" in the large type of a 4K wall.
            dl.ScaleControl(imperial=False, position="bottomright", maxWidth=200),
        ],
        maxZoom=19,
        # dash-leaflet 1.1's viewport tracking fails on a map given bounds but no center; no
        # callback reads the viewport yet.
        trackViewport=False,
        style={"width": "100%", "height": "100%"},
        **view,
    )
    return html.Div([leaflet_map, build_legend(lang, live=live)], className="gm-map-wrap")

"""The hotline agent's page (/hotline): taking a call in under a minute, by keyboard alone.

Three columns on a desk screen (one on a narrow one): the search box and its results with
the customer's file; the work order (type by the manual's groups with emergencies marked
and the safety advice to read, the place: the customer's, a typed address or a click on the
offline map, the open tickets near it before saving, appointment, receiving department,
promised reply); the answer to tell the caller after saving and the promised replies due.
The parts are filled by :mod:`dashboards.hotline_callbacks`.

The keyboard path: the search box has the focus; Enter picks the best customer and moves to
the type box; a few letters and Enter take the first matching type and move to "save";
Enter saves.
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from dashboards import ids
from dashboards.components.hotline_parts import DEPARTMENTS, customer_file, type_picker
from dashboards.components.network_map import OSM_ATTRIBUTION, build_offline_base
from dashboards.i18n import normalize_language, t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import HOTLINE

#: Where the small map looks when no territory is loaded: central Helsinki.
DEFAULT_CENTER = (60.1699, 24.9384)
#: Marker fill by priority on the small map; 0 is the place of the call being taken.
MAP_COLORS = {0: "#00e5ff", 1: "#ff2d55", 2: "#ff9f1c", 3: "#ffd60a", 4: "#39d98a"}
#: The promised replies are re-read this often (ms).
REPLIES_REFRESH_MS = 30_000


def hotline_page(lang: str, user: dict | None, bounds=None) -> html.Div:
    """The hotline desk; its small map shows the territory (``bounds``) until a place is
    chosen, else central Helsinki."""
    lang = normalize_language(lang)
    # A centre and a zoom, never bounds alone: the place callback moves the map through its
    # viewport, which Leaflet compares with a centre the map must already have.
    (south, west), (north, east) = bounds or (DEFAULT_CENTER, DEFAULT_CENTER)
    view = {"center": [(south + north) / 2, (west + east) / 2], "zoom": 14}
    search = html.Section(
        [
            html.Label(t("hl.search", lang), htmlFor=ids.HL_SEARCH, className="hl-label"),
            dcc.Input(
                id=ids.HL_SEARCH,
                type="search",
                autoFocus=True,
                autoComplete="off",
                placeholder=t("hl.search_placeholder", lang),
                className="hl-input hl-search",
                debounce=False,
                n_submit=0,
            ),
            html.Div(id=ids.HL_RESULTS, className="hl-results", role="listbox"),
            html.H2(t("hl.file", lang)),
            html.Div(customer_file(None, lang, None), id=ids.HL_FILE, className="hl-file"),
        ],
        className="site-card hl-col hl-col-customer",
    )
    small_map = dl.Map(
        id=ids.HL_MAP,
        className="hl-map",
        children=[
            build_offline_base(),
            dl.GeoJSON(
                id=ids.HL_MAP_POINT,
                data={"type": "FeatureCollection", "features": []},
                pointToLayer={"variable": "gasMap.pointIncident"},
                onEachFeature={"variable": "gasMap.bindInfo"},
                hideout={"title": "", "labelProp": "label", "priorityColors": MAP_COLORS},
            ),
            dl.ScaleControl(imperial=False, position="bottomleft"),
        ],
        **view,
        maxZoom=19,
        style={"width": "100%", "height": "100%"},
    )
    order = html.Section(
        [
            html.H2(t("hl.order", lang)),
            html.Label(t("hl.type", lang), htmlFor=ids.HL_TYPE_INPUT, className="hl-label"),
            dcc.Input(
                id=ids.HL_TYPE_INPUT,
                type="text",
                autoComplete="off",
                placeholder=t("hl.type_placeholder", lang),
                className="hl-input",
                n_submit=0,
            ),
            html.Div(type_picker(None, None, lang), id=ids.HL_TYPES, className="hl-types"),
            html.Div(id=ids.HL_ADVICE, className="hl-advice-box"),
            html.H3(t("hl.place", lang)),
            html.Div(id=ids.HL_LOCATION_TEXT, className="hl-location"),
            dcc.Input(
                id=ids.HL_ADDRESS,
                type="text",
                autoComplete="off",
                placeholder=t("hl.address_placeholder", lang),
                className="hl-input",
                n_submit=0,
            ),
            html.Div(id=ids.HL_ADDRESS_CANDIDATES, className="hl-candidates"),
            html.Div(small_map, className="hl-map-wrap"),
            html.Div([t("hl.map_hint", lang), " · ", OSM_ATTRIBUTION], className="hl-attribution"),
            html.H3(t("hl.nearby", lang)),
            html.Div(id=ids.HL_NEARBY, className="hl-nearby"),
            html.Div(
                [
                    _field("hl.caller_name", dcc.Input(id=ids.HL_CALLER_NAME, type="text"), lang),
                    _field("hl.caller_phone", dcc.Input(id=ids.HL_CALLER_PHONE, type="tel"), lang),
                    _field(
                        "hl.appointment",
                        dcc.Input(
                            id=ids.HL_APPOINTMENT,
                            type="text",
                            placeholder=t("hl.time_placeholder", lang),
                        ),
                        lang,
                    ),
                    _field(
                        "hl.department",
                        dcc.Dropdown(
                            id=ids.HL_DEPARTMENT,
                            options=[
                                {"label": t(f"hl.dept.{d}", lang), "value": d} for d in DEPARTMENTS
                            ],
                            value=None,
                            clearable=True,
                            className="hl-dropdown",
                        ),
                        lang,
                    ),
                    _field(
                        "hl.promised_reply",
                        dcc.Input(
                            id=ids.HL_PROMISED_REPLY,
                            type="text",
                            placeholder=t("hl.time_placeholder", lang),
                        ),
                        lang,
                    ),
                    _field(
                        "hl.description",
                        dcc.Textarea(id=ids.HL_DESCRIPTION, className="hl-textarea"),
                        lang,
                    ),
                ],
                className="hl-fields",
            ),
            html.Button(t("hl.save", lang), id=ids.HL_SAVE, className="hl-button hl-save"),
            html.Div(id=ids.HL_NOTICE, className="hl-notice", role="alert"),
        ],
        className="site-card hl-col hl-col-order",
    )
    answer = html.Section(
        [
            html.H2(t("hl.tell", lang)),
            html.Div(id=ids.HL_SAVED, className="hl-saved"),
            html.H2(t("hl.replies", lang)),
            html.Div(id=ids.HL_REPLIES, className="hl-replies"),
        ],
        className="site-card hl-col hl-col-answer",
    )
    body = [
        dcc.Store(id=ids.HL_LANG, data=lang),
        dcc.Store(id=ids.HL_CUSTOMER, data=None),
        dcc.Store(id=ids.HL_TYPE, data=None),
        dcc.Store(id=ids.HL_LOCATION, data=None),
        dcc.Store(id=ids.HL_CANDIDATES, data=[]),
        dcc.Store(id=ids.HL_REPEAT_OF, data=None),
        dcc.Store(id=ids.HL_SAVED_STORE, data=0),
        dcc.Store(id=ids.HL_FOCUS, data=None),
        dcc.Interval(id=ids.HL_TICK, interval=REPLIES_REFRESH_MS, n_intervals=0),
        html.Div([search, order, answer], className="hl-columns"),
    ]
    page = framed_page(lang, user, HOTLINE.path, body, name="page-hotline")
    page.id = ids.HL_PAGE
    return page


def _field(key: str, control, lang: str) -> html.Div:
    control.className = (getattr(control, "className", None) or "hl-input") + " hl-field-control"
    return html.Div(
        [html.Label(t(key, lang), htmlFor=control.id, className="hl-label"), control],
        className="hl-field",
    )

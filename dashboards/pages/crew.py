"""The crew lead's page (/crew), on a phone: the crew's current job (pushed the moment it is
assigned, with a sound and a vibration), the way there on a small offline map with the ETA and
a "navigate" link, the valves to close in order, the status buttons, and the crew's queued
and earlier jobs. The parts are filled by :mod:`dashboards.crew_callbacks`; the countdown,
the alert, the live push and the phone's position are kept by ``assets/crew.js``."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from dashboards import ids
from dashboards.components.crew_parts import EMPTY
from dashboards.components.network_map import OSM_ATTRIBUTION, build_offline_base
from dashboards.i18n import normalize_language, t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import CREW

#: The slow redraw in case a push was missed (the push does the real work), ms.
FALLBACK_REFRESH_MS = 30_000
#: Where the map looks with neither a job nor a territory to fit: central Helsinki.
DEFAULT_CENTER = (60.1699, 24.9384)


def crew_page(lang: str, user: dict | None, bounds=None) -> html.Div:
    lang = normalize_language(lang)
    view = (
        {"bounds": bounds} if bounds is not None else {"center": list(DEFAULT_CENTER), "zoom": 14}
    )
    small_map = dl.Map(
        id=ids.CREW_MAP,
        className="crew-map",
        children=[
            build_offline_base(),
            dl.GeoJSON(
                id=ids.CREW_LAYER_ROUTE,
                data=EMPTY,
                style={"variable": "gasMap.styleRoute"},
            ),
            dl.GeoJSON(
                id=ids.CREW_LAYER_SITE,
                data=EMPTY,
                pointToLayer={"variable": "crewMap.pointSite"},
                onEachFeature={"variable": "gasMap.bindInfo"},
                hideout={"title": "", "labelProp": "id"},
            ),
            dl.ScaleControl(imperial=False, position="bottomleft"),
        ],
        maxZoom=19,
        trackViewport=False,
        style={"width": "100%", "height": "100%"},
        **view,
    )
    body = [
        dcc.Store(id=ids.CREW_LANG, data=lang),
        dcc.Store(id=ids.CREW_EVENTS, data=0),
        dcc.Store(id=ids.CREW_SIGNATURE, data=None),
        dcc.Store(id=ids.CREW_JOB, data=None),
        dcc.Store(id=ids.CREW_VERSION, data=0),
        dcc.Interval(id=ids.CREW_TICK, interval=FALLBACK_REFRESH_MS, n_intervals=0),
        html.Div(id=ids.CREW_NOTICE, className="crew-notice", role="status"),
        # Filled by assets/crew.js: taps waiting for the connection.
        html.Div(
            id=ids.CREW_PENDING,
            className="crew-pending",
            role="status",
            **{
                "data-waiting": t("crew.offline.waiting", lang),
                "data-offline": t("crew.offline.offline", lang),
                "data-queued": t("crew.offline.queued", lang),
                "data-failed": t("crew.failed", lang),
                "data-sign-first": t("crew.site.sign_first", lang),
            },
        ),
        html.Section(
            [html.H2(t("crew.my_job", lang)), html.Div(id=ids.CREW_CURRENT)],
            className="site-card crew-card crew-job",
        ),
        html.Section(
            [
                html.H2(t("crew.way", lang)),
                html.Div(small_map, className="crew-map-wrap"),
                html.Div(OSM_ATTRIBUTION, className="crew-attribution"),
                html.Div(id=ids.CREW_WAY, className="crew-way"),
            ],
            id=ids.CREW_MAP_SECTION,
            className="site-card crew-card",
        ),
        html.Section(
            [html.H2(t("crew.valves", lang)), html.Div(id=ids.CREW_VALVES)],
            className="site-card crew-card",
        ),
        html.Section(
            [html.H2(t("crew.steps", lang)), html.Div(id=ids.CREW_STEPS, className="crew-steps")],
            className="site-card crew-card",
        ),
        html.Div(id=ids.CREW_SITE),  # the site work card, while there is a job
        html.Section(id=ids.CREW_OTHERS, className="site-card crew-card crew-others"),
    ]
    page = framed_page(lang, user, CREW.path, body, name="page-crew")
    page.id = ids.CREW_PAGE
    return page

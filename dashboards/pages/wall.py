"""The dispatcher's wall screen: live map, KPI tiles, alarms, incident queue, incident panel
and video wall. Per-user state (language, selection, acknowledged alarms) lives in the URL and
in ``dcc.Store``s, never on the server."""

from __future__ import annotations

from dash import dcc, html

from dashboards import ids
from dashboards.components.network_map import build_network_map
from dashboards.components.wall_parts import header
from dashboards.i18n import LANGUAGES, t

REFRESH_MS = 1000


def wall_page(
    lang: str, user: dict | None, bounds, *, online_tiles: bool = False, alert: str | None = None
) -> html.Div:
    """The whole screen; ``alert`` (when the map cannot show the territory) heads it."""
    lang = lang if lang in LANGUAGES else "zh-CN"
    return html.Div(
        [
            dcc.Store(id=ids.LANG, data=lang),
            dcc.Store(id=ids.SELECTED, data=None),
            dcc.Store(id=ids.ACKED, data=[]),
            dcc.Store(id=ids.SEEN, data={}),
            dcc.Store(id=ids.PENDING, data=None),
            dcc.Store(id=ids.PANEL_VERSION, data=0),
            dcc.Interval(id=ids.TICK, interval=REFRESH_MS, n_intervals=0),
            # Set by assets/wall.js whenever the server pushes an event: redraw at once.
            dcc.Store(id=ids.EVENTS, data=0),
            dcc.ConfirmDialog(id=ids.CONFIRM),
            header(lang, user),
            html.Div(alert, id=ids.ALERT, className="wall-alert", hidden=alert is None),
            html.Div(id=ids.ALARMS, className="wall-alarms"),
            html.Div(id=ids.KPIS, className="wall-kpis"),
            html.Main(
                [
                    html.Section(
                        build_network_map(bounds, online_tiles=online_tiles, live=True),
                        className="wall-map",
                    ),
                    html.Aside(
                        [
                            html.H2(t("queue.title", lang), className="wall-section-title"),
                            html.Div(id=ids.QUEUE, className="wall-queue"),
                            html.Div(id=ids.NOTICE, className="wall-notice", role="status"),
                            html.Div(id=ids.PANEL, className="wall-panel"),
                            html.H2(t("video.title", lang), className="wall-section-title"),
                            html.Div(id=ids.VIDEO, className="wall-video"),
                        ],
                        className="wall-side",
                    ),
                ],
                className="wall-main",
            ),
        ],
        id=ids.WALL,
        className="wall",
        lang=lang,
    )

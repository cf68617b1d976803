"""The dispatcher's wall screen: live map, KPI tiles, alarms, incident queue, incident panel
and video wall. Per-user state (language, selection, acknowledged alarms) lives in the URL and
in ``dcc.Store``s, never on the server."""

from __future__ import annotations

from dash import dcc, html

from dashboards import ids
from dashboards.components.network_map import build_network_map
from dashboards.components.site_header import site_header
from dashboards.i18n import LANGUAGES, t
from dashboards.pages.site_map import WALL
from dispatch import auth

REFRESH_MS = 1000


def wall_page(
    lang: str, user: dict | None, bounds, *, online_tiles: bool = False, alert: str | None = None
) -> html.Div:
    """The whole screen; ``alert`` (when the map cannot show the territory) heads it. The
    assignment's confirmation is there only for a role that may assign (the panel's buttons
    likewise, see :func:`dashboards.wall_callbacks.show_incident`)."""
    lang = lang if lang in LANGUAGES else "zh-CN"
    may_assign = auth.allows((user or {}).get("role"), "tickets.assign")
    tools = [
        html.Div(id=ids.CLOCK, className="wall-clock"),
        html.Button(t("alarm.sound", lang), className="wall-sound"),
        *([] if may_assign else [html.Span(t("page.read_only", lang), className="wall-read-only")]),
    ]
    return html.Div(
        [
            dcc.Store(id=ids.LANG, data=lang),
            dcc.Store(id=ids.SELECTED, data=None),
            dcc.Store(id=ids.ACKED, data=[]),
            dcc.Store(id=ids.SEEN, data={}),
            dcc.Store(id=ids.PENDING, data=None),
            dcc.Store(id=ids.PANEL_VERSION, data=0),
            dcc.Store(id=ids.CREW_CODES, data={}),
            dcc.Interval(id=ids.TICK, interval=REFRESH_MS, n_intervals=0),
            # Set by assets/wall.js whenever the server pushes an event: redraw at once.
            dcc.Store(id=ids.EVENTS, data=0),
            *([dcc.ConfirmDialog(id=ids.CONFIRM)] if may_assign else []),
            site_header(lang, user, WALL.path, tools=tools),
            html.Div(alert, id=ids.ALERT, className="wall-alert", hidden=alert is None),
            html.Div(id=ids.ALARMS, className="wall-alarms"),
            html.Div(id=ids.KPIS, className="wall-kpis"),
            html.Main(
                [
                    html.Section(
                        build_network_map(bounds, online_tiles=online_tiles, live=True, lang=lang),
                        className="wall-map",
                    ),
                    # The right column is split, not scrolled: the queue, the panel and the video
                    # wall each keep their place; the queue and the panel scroll inside.
                    html.Aside(
                        [
                            html.Div(
                                [
                                    html.H2(t("queue.title", lang), className="wall-section-title"),
                                    html.Div(id=ids.QUEUE, className="wall-queue"),
                                ],
                                className="wall-side-queue",
                            ),
                            html.Div(id=ids.NOTICE, className="wall-notice"),
                            html.Div(id=ids.PANEL, className="wall-panel"),
                            html.Div(
                                [
                                    html.H2(t("video.title", lang), className="wall-section-title"),
                                    html.Div(id=ids.VIDEO, className="wall-video"),
                                ],
                                className="wall-side-video",
                            ),
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

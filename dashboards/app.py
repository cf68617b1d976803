"""The control room's Dash app, made by :func:`create_app`.

Nothing connects to the database at import or at creation: layers are read on first request
(see :mod:`dashboards.layers`), the territory's bounds each time the wall is built. Every
script and stylesheet is served by the app itself (``serve_locally``), so the map works without
internet access.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import dash
from dash import html

from dashboards.callback_desk_callbacks import (
    build_callback_desk,
    register_callback_desk_callbacks,
)
from dashboards.complaint_desk_callbacks import (
    build_complaint_desk,
    register_complaint_desk_callbacks,
)
from dashboards.crew_callbacks import register_crew_callbacks
from dashboards.crew_offline import register_offline_routes
from dashboards.crew_position import register_position_route
from dashboards.event_stream import register_event_stream
from dashboards.hotline_callbacks import register_hotline_callbacks
from dashboards.i18n import DEFAULT_LANGUAGE, t
from dashboards.layers import LayerSource, register_routes
from dashboards.login import install_login
from dashboards.manager_callbacks import build_manager, register_manager_callbacks
from dashboards.meter_desk_callbacks import build_meter_desk, register_meter_desk_callbacks
from dashboards.page_guard import install_page_guard
from dashboards.pages import site_map
from dashboards.pages.crew import crew_page
from dashboards.pages.hotline import hotline_page
from dashboards.pages.router import app_frame, register_page_router
from dashboards.pages.wall import wall_page
from dashboards.site_photos import register_photo_route
from dashboards.video import register_video_routes
from dashboards.wall_callbacks import register_wall_callbacks
from dashboards.web_security import content_security_policy, install_web_security, origin_of
from dispatch import sessions
from dispatch.api import Api, create_blueprint
from dispatch.event_feed import EventFeed
from dispatch.settings import current
from dispatch.wall_live_state import WallLiveState
from dispatch.web_sessions import DatabaseSessions, SessionStore
from gis import map_layers
from gis.config import load_storage_settings
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().with_name("assets")
TITLE = "Gas dispatch · Network map"


def no_territory_message(lang: str) -> str:
    return f"{t('common.no_territory', lang)}: dispatch demo load"


Bounds = list[list[float]]


def create_app(
    dsn: str,
    *,
    online_tiles: bool = False,
    api: Api | None = None,
    secret_key: str | None = None,
    feed: EventFeed | None = None,
    secure_cookies: bool = False,
    web_sessions: SessionStore | None = None,
) -> dash.Dash:
    """The control room app reading the database at ``dsn``.

    ``online_tiles`` adds OpenStreetMap raster tiles (fetched from the internet) as a second base
    layer; without it the app needs nothing beyond itself and the database. Run it with
    ``create_app(dsn).run(host=..., port=...)``. The JSON API under ``/api/v1`` is served by
    the same server (``api`` configures it; by default without crew recommendations). Pages
    need a log-in (``/login``); ``secret_key`` signs the session cookie. Each role has its own
    page (:mod:`dashboards.pages.site_map`); ``/`` leads to it. ``feed`` follows the outbox for
    the live screens (made here when not given; started when a wall first opens).
    ``secure_cookies`` marks the session cookie ``Secure`` (served over HTTPS); page
    sessions live in the database (``web_sessions``, another store for unit tests).
    """
    app = dash.Dash(
        __name__,
        serve_locally=True,
        assets_folder=str(ASSETS_DIR),
        title=TITLE,
        update_title=None,
        # The queue, the panel and the alarm banner are built by callbacks.
        suppress_callback_exceptions=True,
    )
    tile_origins = [origin_of(current().tiles.online_url)] if online_tiles else []
    install_web_security(
        app.server,
        # Asked at the first response, when every (client-side) callback is registered.
        policy=lambda: content_security_policy(app.csp_hashes(), image_origins=tile_origins),
    )
    api = api or Api(dsn)
    install_login(
        app.server,
        dsn,
        secret_key=secret_key or sessions.secret_key(load_storage_settings().var_dir),
        sessions=web_sessions
        or DatabaseSessions(api.uow, max_age_h=current().web.session_max_age_h),
        secure_cookies=secure_cookies,
    )
    register_routes(app.server, LayerSource(dsn))
    register_video_routes(app.server, dsn)
    app.server.register_blueprint(create_blueprint(api))
    feed = feed or EventFeed(dsn)
    app.server.extensions["event_feed"] = feed  # so whoever serves the app can stop it
    live = WallLiveState(api.uow, follow=feed.start)  # followed from the first wall on
    feed.subscribe(live.apply)
    register_event_stream(app.server, feed, api)
    install_page_guard(app)
    app.layout = app_frame
    register_page_router(
        app,
        {
            site_map.WALL.path: lambda lang, user: build_wall(
                dsn, lang=lang, user=user, online_tiles=online_tiles
            ),
            site_map.HOTLINE.path: lambda lang, user: hotline_page(
                lang, user, bounds=_bounds_or_none(dsn)
            ),
            site_map.CREW.path: lambda lang, user: crew_page(
                lang, user, bounds=_bounds_or_none(dsn)
            ),
            site_map.MANAGER.path: lambda lang, user: build_manager(api, dsn, lang, user),
            site_map.CALLBACKS.path: lambda lang, user: build_callback_desk(api, lang, user),
            site_map.COMPLAINTS.path: lambda lang, user: build_complaint_desk(api, lang, user),
            site_map.METERS.path: lambda lang, user: build_meter_desk(api, lang, user),
        },
    )
    register_wall_callbacks(app, api, live)
    register_crew_callbacks(app, api)
    register_position_route(app.server, api)
    register_offline_routes(app.server)
    register_photo_route(app.server, api)
    register_manager_callbacks(app, api)
    register_callback_desk_callbacks(app, api)
    register_complaint_desk_callbacks(app, api)
    register_hotline_callbacks(app, api)
    register_meter_desk_callbacks(app, api)
    return app


def _bounds_or_none(dsn: str) -> Bounds | None:
    try:
        return map_layers.territory_bounds(dsn)
    except DatabaseUnavailable as exc:
        log.warning("crew page laid out without bounds: %s", exc)
        return None


def build_wall(
    dsn: str,
    *,
    lang: str = DEFAULT_LANGUAGE,
    user: dict | None = None,
    online_tiles: bool = False,
    read_bounds: Callable[[str], Bounds | None] = map_layers.territory_bounds,
) -> html.Div:
    """The dispatcher's wall screen in ``lang`` for ``user``, with the map fitted to the
    territory."""
    alert = None
    try:
        bounds = read_bounds(dsn)
    except DatabaseUnavailable as exc:
        log.warning("wall laid out without bounds: %s", exc)
        bounds, alert = None, f"{t('common.database_unavailable', lang)}: {exc}"
    else:
        if bounds is None:
            alert = no_territory_message(lang)
    return wall_page(lang, user, bounds, online_tiles=online_tiles, alert=alert)

"""The control room's Dash app, made by :func:`create_app`.

Nothing connects to the database at import or at creation: layers are read on first request
(see :mod:`dashboards.layers`), the territory's bounds each time the page is laid out. Every
script and stylesheet is served by the app itself (``serve_locally``), so the map works without
internet access.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import dash
from dash import html
from flask import has_request_context, session

from dashboards.event_stream import register_event_stream
from dashboards.i18n import t
from dashboards.layers import LayerSource, register_routes
from dashboards.login import install_login
from dashboards.pages.wall import wall_page
from dashboards.video import register_video_routes
from dashboards.wall_callbacks import register_wall_callbacks
from dispatch import sessions
from dispatch.api import Api, create_blueprint
from dispatch.event_feed import EventFeed
from dispatch.wall_live_state import WallLiveState
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
) -> dash.Dash:
    """The control room app reading the database at ``dsn``.

    ``online_tiles`` adds OpenStreetMap raster tiles (fetched from the internet) as a second base
    layer; without it the app needs nothing beyond itself and the database. Run it with
    ``create_app(dsn).run(host=..., port=...)``. The JSON API under ``/api/v1`` is served by
    the same server (``api`` configures it; by default without crew recommendations). Pages
    need a log-in (``/login``); ``secret_key`` signs the session cookie. ``feed`` follows the
    outbox for the live screens (made here when not given; started at the first request).
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
    install_login(
        app.server,
        dsn,
        secret_key=secret_key or sessions.secret_key(load_storage_settings().var_dir),
    )
    register_routes(app.server, LayerSource(dsn))
    register_video_routes(app.server, dsn)
    api = api or Api(dsn)
    app.server.register_blueprint(create_blueprint(api))
    feed = feed or EventFeed(dsn)
    app.server.extensions["event_feed"] = feed  # so whoever serves the app can stop it
    live = WallLiveState(api.uow)
    feed.subscribe(live.apply)
    app.server.before_request(feed.start)  # at the first request, not at creation
    register_event_stream(app.server, feed)
    app.layout = lambda: build_wall(dsn, online_tiles=online_tiles)
    register_wall_callbacks(app, api, live)
    return app


def build_wall(
    dsn: str,
    *,
    online_tiles: bool = False,
    read_bounds: Callable[[str], Bounds | None] = map_layers.territory_bounds,
) -> html.Div:
    """The dispatcher's wall screen in the user's language (chosen at ``/lang/<code>``), for
    the logged-in user, with the map fitted to the territory."""
    lang = session.get("lang", "zh-CN") if has_request_context() else "zh-CN"
    user = session.get("user") if has_request_context() else None
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

"""The composition root: the one place that builds the running control room from its parts.

``dispatch serve`` calls :func:`build_web` in its web server (the territory's ports — road
router, isolation planner —, the JSON API, the web app with its event feed) and ``dispatch
worker`` builds the background process (:func:`dispatch.worker.build_worker`: the GPS
consumer, and the ticker and simulator under the leader lock). :func:`build_control_room`
puts both in one process, for ``dispatch serve --dev`` and the benchmarks. Everything else
receives what it needs from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dash

from dashboards.app import create_app
from dispatch.api import Api
from dispatch.event_feed import EventFeed
from dispatch.ports import Ports
from dispatch.settings import AppSettings, build
from dispatch.territory_ports import ports_for_territory
from dispatch.ticket_service import Settings
from dispatch.worker import BackgroundWorker, build_worker

log = logging.getLogger(__name__)


@dataclass
class WebProcess:
    """What one web process serves: :attr:`app` (its event feed starts with the first wall)."""

    app: dash.Dash
    api: Api
    ports: Ports
    feed: EventFeed
    notes: list[str] = field(default_factory=list)


@dataclass
class ControlRoom(WebProcess):
    """A web process with the background worker inside it; :meth:`start` the background
    parts, then serve :attr:`app`, then :meth:`stop`."""

    worker: BackgroundWorker | None = None

    def start(self) -> None:
        self.feed.start()
        if self.worker is not None:
            self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.feed.stop()


def build_web(dsn: str, settings: AppSettings, *, ports: Ports | None = None) -> WebProcess:
    """The web app built from the loaded ``settings``; opens no connection and starts no
    thread (so it can be built before a web server forks its workers)."""
    services = build(Settings, settings)
    if ports is None:
        ports = ports_for_territory(dsn, max_fix_age_s=settings.dispatch.stale_gps_after_s)
    api = Api(dsn, settings=services, ports=ports)
    feed = EventFeed(dsn)
    notes = [
        "crew recommendations: " + ("by road" if ports.router else "off (no road graph)"),
        "GPS fixes: HTTP POST /api/v1/crews/<id>/positions",
    ]
    app = create_app(
        dsn,
        online_tiles=settings.tiles.online,
        api=api,
        feed=feed,
        secure_cookies=settings.web.secure_cookies,
    )
    return WebProcess(app=app, api=api, ports=ports, feed=feed, notes=notes)


def build_control_room(
    dsn: str,
    settings: AppSettings,
    *,
    simulate: bool = False,
    simulate_seed: int | None = None,
) -> ControlRoom:
    """The web app and the background worker in one process, built but not started. A bad
    simulator setting raises ``ValueError`` naming it."""
    web = build_web(dsn, settings)
    worker = build_worker(dsn, settings, web.ports, simulate=simulate, simulate_seed=simulate_seed)
    return ControlRoom(
        app=web.app,
        api=web.api,
        ports=web.ports,
        feed=web.feed,
        notes=web.notes + worker.notes,
        worker=worker,
    )

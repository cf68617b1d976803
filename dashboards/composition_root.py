"""The composition root: the one place that builds the running control room from its parts.

``dispatch serve`` calls :func:`build_control_room`; it wires the territory's ports (road
router, isolation planner), the JSON API, the web app with its event feed, the ticker, the GPS
consumer and, for a demo, the simulator. Everything else receives what it needs from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dash

from dashboards.app import create_app
from dispatch.api import Api
from dispatch.event_feed import EventFeed
from dispatch.mqtt_consumer import PositionConsumer
from dispatch.ports import Ports
from dispatch.settings import AppSettings, build
from dispatch.territory_ports import ports_for_territory
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings

log = logging.getLogger(__name__)


@dataclass
class ControlRoom:
    """The parts of one running web process; :meth:`start` the background ones, then serve
    :attr:`app`, then :meth:`stop`."""

    app: dash.Dash
    api: Api
    ports: Ports
    feed: EventFeed
    ticker: Ticker
    positions: PositionConsumer
    simulator: object | None = None
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.feed.start()
        self.ticker.start()
        self.positions.start()  # keeps retrying in the background when no broker answers
        if self.simulator is not None:
            self.simulator.start()

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
        self.positions.stop()
        self.ticker.stop()
        self.feed.stop()


def build_control_room(
    dsn: str,
    settings: AppSettings,
    *,
    simulate: bool = False,
    simulate_seed: int | None = None,
) -> ControlRoom:
    """Everything ``dispatch serve`` runs, built from the loaded ``settings`` but not started.
    A bad simulator setting raises ``ValueError`` naming it."""
    services = build(Settings, settings)
    ports = ports_for_territory(dsn, max_fix_age_s=settings.dispatch.stale_gps_after_s)
    api = Api(dsn, settings=services, ports=ports)
    feed = EventFeed(dsn)
    broker = settings.mqtt
    notes = [
        "crew recommendations: " + ("by road" if ports.router else "off (no road graph)"),
        f"GPS fixes: HTTP POST and MQTT crews/<id>/position at {broker.host}:{broker.port}",
    ]
    if services.auto_dispatch_after_s is not None:
        after = services.auto_dispatch_after_s
        notes.append(f"auto-dispatch after {after:g} s without a dispatcher")
    simulator = None
    if simulate:
        from dispatch.simulation.simulator import DefaultPublisher, Simulator

        rates = settings.simulator
        simulator = Simulator(
            dsn,
            ports=ports,
            rate_per_hour=rates.rate_per_hour,
            auto_assign_share=rates.auto_assign_share,
            speedup=rates.speedup,
            seed=simulate_seed,
            settings=services,
            publish=DefaultPublisher(dsn, services, host=broker.host, port=broker.port),
        )
        notes.append(
            f"simulator: {rates.rate_per_hour:g} calls/h x {rates.speedup:g}, "
            f"{rates.auto_assign_share:.0%} assigned automatically"
        )
    return ControlRoom(
        app=create_app(dsn, online_tiles=settings.tiles.online, api=api, feed=feed),
        api=api,
        ports=ports,
        feed=feed,
        ticker=Ticker(dsn, services, ports),
        positions=PositionConsumer(
            dsn,
            host=broker.host,
            port=broker.port,
            username=broker.username or None,
            password=broker.password or None,
        ),
        simulator=simulator,
        notes=notes,
    )

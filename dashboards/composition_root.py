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
from dispatch.mqtt_consumer import PositionConsumer, load_mqtt_settings
from dispatch.ports import Ports
from dispatch.territory_ports import ports_for_territory
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings

log = logging.getLogger(__name__)


@dataclass
class SimulatorOptions:
    rate_per_hour: float = 12.0
    speedup: float = 1.0
    auto_assign_share: float = 0.5
    seed: int | None = None


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
    settings: Settings,
    *,
    online_tiles: bool = False,
    simulate: SimulatorOptions | None = None,
) -> ControlRoom:
    """Everything ``dispatch serve`` runs, built but not started. A bad simulator option
    raises ``ValueError`` naming it."""
    ports = ports_for_territory(dsn)
    api = Api(dsn, settings=settings, ports=ports)
    feed = EventFeed(dsn)
    broker = load_mqtt_settings()
    notes = [
        "crew recommendations: " + ("by road" if ports.router else "off (no road graph)"),
        f"GPS fixes: HTTP POST and MQTT crews/<id>/position at {broker.host}:{broker.port}",
    ]
    if settings.auto_dispatch_after_s is not None:
        notes.append(
            f"auto-dispatch after {settings.auto_dispatch_after_s:g} s without a dispatcher"
        )
    simulator = None
    if simulate is not None:
        from dispatch.simulation.simulator import Simulator

        simulator = Simulator(
            dsn,
            ports=ports,
            rate_per_hour=simulate.rate_per_hour,
            auto_assign_share=simulate.auto_assign_share,
            speedup=simulate.speedup,
            seed=simulate.seed,
            settings=settings,
        )
        notes.append(
            f"simulator: {simulate.rate_per_hour:g} calls/h x {simulate.speedup:g}, "
            f"{simulate.auto_assign_share:.0%} assigned automatically"
        )
    return ControlRoom(
        app=create_app(dsn, online_tiles=online_tiles, api=api, feed=feed),
        api=api,
        ports=ports,
        feed=feed,
        ticker=Ticker(dsn, settings, ports),
        positions=PositionConsumer(dsn, host=broker.host, port=broker.port),
        simulator=simulator,
        notes=notes,
    )

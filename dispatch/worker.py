"""The background process, ``dispatch worker``: everything that is not answering a request.

- the GPS consumer (:class:`~dispatch.mqtt_consumer.PositionConsumer`): a *named* one (its
  MQTT client id in ``DISPATCH_MQTT_CLIENT_ID``, set by ``dispatch serve``) runs only in the
  worker that holds the leader lock, so one process at a time uses that client id and its
  persistent session (the broker queues the fixes while the leader changes, and across its
  own restart); without a client id, an anonymous consumer runs in every worker and their
  shared MQTT subscription splits the fixes between them;
- the ticker and, for a demo, the simulator run only in the worker that holds the leader lock
  (:mod:`dispatch.leader`); the others stand by, warm (the road graph loaded, the gas network
  read and kept fresh), try the lock every second and take over when it is released.

Web processes (``dispatch serve``) run none of this, so any number of them can start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from dispatch.leader import Leadership
from dispatch.mqtt_consumer import PositionConsumer
from dispatch.ports import Ports
from dispatch.settings import AppSettings, build
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings

log = logging.getLogger(__name__)
#: The GPS consumer's MQTT client id (a persistent session); unset: a random id, no session.
MQTT_CLIENT_ID_VAR = "DISPATCH_MQTT_CLIENT_ID"


@dataclass
class BackgroundWorker:
    """:meth:`start` it, then :meth:`stop` it; :attr:`notes` say what it runs."""

    #: The consumer of every worker (anonymous); None when the leader runs a named one.
    positions: PositionConsumer | None
    leadership: Leadership
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        if self.positions is not None:
            self.positions.start()  # keeps retrying in the background when no broker answers
        self.leadership.start()

    def stop(self) -> None:
        self.leadership.stop()
        if self.positions is not None:
            self.positions.stop()


def build_worker(
    dsn: str,
    settings: AppSettings,
    ports: Ports,
    *,
    simulate: bool = False,
    simulate_seed: int | None = None,
    retry_s: float = 1.0,
) -> BackgroundWorker:
    """The worker built from the loaded ``settings``, not started. A bad simulator setting
    raises ``ValueError`` naming it."""
    services = build(Settings, settings)
    broker = settings.mqtt
    notes = [f"GPS fixes: MQTT crews/<id>/position at {broker.host}:{broker.port}"]
    if services.auto_dispatch_after_s is not None:
        notes.append(f"auto-dispatch after {services.auto_dispatch_after_s:g} s")
    make_simulator = None
    if simulate:
        make_simulator = _simulator_factory(dsn, settings, services, ports, simulate_seed)
        make_simulator()  # fails now, not at election, on a bad setting
        rates = settings.simulator
        notes.append(
            f"simulator: {rates.rate_per_hour:g} calls/h x {rates.speedup:g}, "
            f"{rates.auto_assign_share:.0%} assigned automatically"
        )

    # Set by `dispatch serve` for its workers (an operator sets one for the workers they run):
    # the leader resumes the broker session, so no fix is lost while the leader changes.
    client_id = os.environ.get(MQTT_CLIENT_ID_VAR) or None

    def consumer() -> PositionConsumer:
        return PositionConsumer(
            dsn,
            host=broker.host,
            port=broker.port,
            username=broker.username or None,
            password=broker.password or None,
            client_id=client_id,
        )

    def warm() -> None:
        # The gas network is what a first beat would read (the road graph is in `ports`).
        refresh = getattr(ports.isolation, "refresh", None)
        if refresh is not None:
            refresh()

    leadership: Leadership

    def lead() -> Callable[[], None]:
        named = consumer() if client_id else None
        if named is not None:
            named.start()  # connects in the background
        ticker = Ticker(dsn, services, ports, network_read_at=leadership.warmed_at)
        ticker.start()
        simulator = make_simulator() if make_simulator else None
        if simulator is not None:
            simulator.start()

        def stop() -> None:
            if simulator is not None:
                simulator.stop()
            ticker.stop()
            if named is not None:
                named.stop()

        return stop

    leadership = Leadership(dsn, lead, retry_s=retry_s, warm=warm)
    led = ["ticker"] + (["simulator"] if simulate else []) + (["GPS consumer"] if client_id else [])
    notes.append(" and ".join(led) + ": when this is the leader")
    if client_id:
        notes.append(f"GPS consumer: MQTT client {client_id}, persistent session")
    return BackgroundWorker(
        positions=None if client_id else consumer(),
        leadership=leadership,
        notes=notes,
    )


def _simulator_factory(dsn, settings: AppSettings, services: Settings, ports, seed):
    from dispatch.simulation.simulator import DefaultPublisher, Simulator

    rates, broker = settings.simulator, settings.mqtt

    def make():
        return Simulator(
            dsn,
            ports=ports,
            rate_per_hour=rates.rate_per_hour,
            auto_assign_share=rates.auto_assign_share,
            speedup=rates.speedup,
            seed=seed,
            settings=services,
            publish=DefaultPublisher(dsn, services, host=broker.host, port=broker.port),
        )

    return make

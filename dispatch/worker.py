"""The background process, ``dispatch worker``: everything that is not answering a request.

- the GPS consumer (:class:`~dispatch.mqtt_consumer.PositionConsumer`) runs in every worker:
  its shared MQTT subscription splits the fixes between them;
- the ticker and, for a demo, the simulator run only in the worker that holds the leader lock
  (:mod:`dispatch.leader`); the others stand by and take over when it dies.

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

    positions: PositionConsumer
    leadership: Leadership
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.positions.start()  # keeps retrying in the background when no broker answers
        self.leadership.start()

    def stop(self) -> None:
        self.leadership.stop()
        self.positions.stop()


def build_worker(
    dsn: str,
    settings: AppSettings,
    ports: Ports,
    *,
    simulate: bool = False,
    simulate_seed: int | None = None,
    retry_s: float = 2.0,
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

    def lead() -> Callable[[], None]:
        ticker = Ticker(dsn, services, ports)
        ticker.start()
        simulator = make_simulator() if make_simulator else None
        if simulator is not None:
            simulator.start()

        def stop() -> None:
            if simulator is not None:
                simulator.stop()
            ticker.stop()

        return stop

    notes.append("ticker" + (" and simulator" if simulate else "") + ": when this is the leader")
    return BackgroundWorker(
        positions=PositionConsumer(
            dsn,
            host=broker.host,
            port=broker.port,
            username=broker.username or None,
            password=broker.password or None,
            # Set by `dispatch serve` for its worker (and by an operator for each worker they
            # run): a restarted worker resumes the broker session and loses no fix.
            client_id=os.environ.get(MQTT_CLIENT_ID_VAR) or None,
        ),
        leadership=Leadership(dsn, lead, retry_s=retry_s),
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

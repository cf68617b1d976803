"""The control room's heartbeat: every few seconds, raise due deadline events, route again the
stale recommendations of waiting tickets, auto-dispatch waiting P1 tickets (when configured)
and raise the alarm of a leak log left unreviewed past its due time, of a complaint left
unanswered past its reply deadline and of a reply promised to a caller and not given in time;
every minute, re-read
the gas network for isolation plans. Runs in a daemon thread started by ``dispatch serve``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from dispatch import complaint_service, reply_service, report_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError
from dispatch.ports import Ports
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
SYSTEM = Actor("system", "dispatcher")


class Ticker:
    def __init__(
        self,
        dsn: str,
        settings: Settings,
        ports: Ports | None,
        *,
        every_s: float = 5.0,
        network_every_s: float = 60.0,
        network_read_at: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``network_read_at``: when (``time.monotonic()``) the gas network in ``ports`` was
        last read, when a warm standby read it before it took over; None: read at the first
        beat."""
        self.dsn, self.settings, self.every_s = dsn, settings, every_s
        self.ports = ports or Ports()
        self.network_every_s = network_every_s
        self._network_read_at: float | None = network_read_at
        #: Beats done since :meth:`start`.
        self.beats = 0
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> dict:
        """One beat, in its own transactions: clocks first, then fresh recommendations, then
        auto-dispatch."""
        now = self.clock()
        with UnitOfWork(self.dsn) as uow:
            raised = ticket_service.check_clocks(uow, now, SYSTEM, self.settings)
        with UnitOfWork(self.dsn) as uow:
            refreshed = ticket_service.refresh_recommendations(uow, now, self.settings, self.ports)
        with UnitOfWork(self.dsn) as uow:
            dispatched = ticket_service.auto_dispatch(uow, now, self.settings, self.ports)
        with UnitOfWork(self.dsn) as uow:
            unreviewed = report_service.check_reviews(uow, now)
        with UnitOfWork(self.dsn) as uow:
            overdue_complaints = complaint_service.check_overdue_complaints(uow, now)
            late_replies = reply_service.check_promised_replies(uow, now, SYSTEM)
        self._refresh_network()
        # Cameras (issue 15): station cameras' signal and emergency stills, in a worker of
        # the running heartbeat (a direct call, as in a test, starts none).
        if self._thread is not None:
            self._camera_watch().beat()
        return {
            "raised": raised,
            "refreshed": refreshed,
            "auto_dispatched": dispatched,
            "unreviewed_leak_logs": unreviewed,
            "overdue_complaints": overdue_complaints,
            "promised_replies_missed": late_replies,
        }

    def _refresh_network(self) -> None:
        """Valve states change rarely: re-read the network here, so no intake waits for it."""
        refresh = getattr(self.ports.isolation, "refresh", None)
        started = time.monotonic()
        if refresh is None:
            return
        if self._network_read_at is None or started - self._network_read_at > self.network_every_s:
            self._network_read_at = started
            refresh()

    def _camera_watch(self):
        """The camera jobs (:mod:`dispatch.camera_watch`), made at the first beat."""
        watch = getattr(self, "camera_watch", None)
        if watch is None:
            from dispatch.camera_watch import CameraWatch

            watch = self.camera_watch = CameraWatch(self.dsn)
        return watch

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dispatch-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():  # the first beat at once (a leader taking over)
            try:
                self.tick()
                self.beats += 1
                if self.beats == 1:
                    log.info("ticker: first beat done in %.2f s", time.monotonic() - started)
            except (DispatchError, DatabaseUnavailable) as exc:
                # A beat that fails is retried at the next one; the server keeps serving.
                log.warning("ticker: %s", exc)
            self._stop.wait(self.every_s)

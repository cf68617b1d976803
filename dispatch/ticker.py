"""The control room's heartbeat: every few seconds, raise due deadline events and auto-dispatch
waiting P1 tickets (when configured). Runs in a daemon thread started by ``dispatch serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from dispatch import ticket_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError
from dispatch.ticket_service import Recommender, Settings
from dispatch.unit_of_work import UnitOfWork
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
SYSTEM = Actor("system", "dispatcher")


class Ticker:
    def __init__(
        self,
        dsn: str,
        settings: Settings,
        recommend: Recommender | None,
        *,
        every_s: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.dsn, self.settings, self.recommend, self.every_s = dsn, settings, recommend, every_s
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> dict:
        """One beat, in its own transactions: clocks first, then auto-dispatch."""
        now = self.clock()
        with UnitOfWork(self.dsn) as uow:
            raised = ticket_service.check_clocks(uow, now, SYSTEM, self.settings)
        with UnitOfWork(self.dsn) as uow:
            dispatched = ticket_service.auto_dispatch(uow, now, self.settings, self.recommend)
        return {"raised": raised, "auto_dispatched": dispatched}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dispatch-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.tick()
            except (DispatchError, DatabaseUnavailable) as exc:
                # A beat that fails is retried at the next one; the server keeps serving.
                log.warning("ticker: %s", exc)

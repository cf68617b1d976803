"""One leader among the worker processes, by a PostgreSQL advisory lock.

The ticker (and the demo simulator, and a named GPS consumer) must run once per database
however many ``dispatch worker`` processes start. Each worker runs a :class:`Leadership`: a
thread that keeps one connection and tries ``pg_try_advisory_lock`` on it every ``retry_s``
seconds (1 s). The one that gets the lock starts the jobs (``lead()``, which returns how to
stop them); the others stand by, warm: everything slow (the road graph, the gas network) is
loaded before they first try, and ``warm()`` keeps it fresh while they wait, so taking over is
starting threads, not loading data.

The lock belongs to the connection, so when the leader dies (even ``kill -9``) PostgreSQL
releases it as the socket closes and a standby takes over at its next try. When the leader's
machine vanishes or its process hangs, nothing closes the socket: the server then ends the
leader's session itself, since the leader's connection asks for an idle timeout of
:data:`IDLE_TIMEOUT_MS` (the leader pings every ``retry_s``, a live one is never idle that long)
and for TCP keepalives, which free the lock within seconds, not the system's two hours. A
leader that loses its connection stops its jobs before it tries again (its own keepalives and
``tcp_user_timeout`` notice a dead link within seconds), so two leaders never run for long.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg2

from dispatch import repository as repo
from gis.database import connect
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: The advisory lock key of the ticker's leader (any fixed 64-bit number, unique to this use).
TICKER_LOCK = 0x6761_7364_7469_636B  # "gasdtick"
#: What a leader's connection calls itself in ``pg_stat_activity`` (the pid is appended).
APPLICATION_NAME = "dispatch-leader"
#: The server ends a leader's session idle this long (its process hung or its machine gone).
IDLE_TIMEOUT_MS = 6000
#: Server-side TCP keepalives of the leader's connection: a vanished peer is dropped after
#: about idle + interval x count seconds, and unacknowledged data after the user timeout.
SERVER_OPTIONS = (
    f"-c idle_session_timeout={IDLE_TIMEOUT_MS} -c tcp_keepalives_idle=3"
    " -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=5000"
)

Stop = Callable[[], None]


class Leadership:
    """``Leadership(dsn, lead).start()``: ``lead()`` runs while this process holds the lock
    and returns a function that stops what it started. ``warm()`` (optional) is called before
    the first try and then every ``warm_every_s`` while standing by: it loads what ``lead()``
    needs, so a takeover does not wait for it; a failure is logged and tried again later."""

    def __init__(
        self,
        dsn: str,
        lead: Callable[[], Stop],
        *,
        key: int = TICKER_LOCK,
        retry_s: float = 1.0,
        name: str = APPLICATION_NAME,
        warm: Callable[[], None] | None = None,
        warm_every_s: float = 60.0,
    ) -> None:
        self.dsn, self.lead, self.key, self.retry_s, self.name = dsn, lead, key, retry_s, name
        self.warm, self.warm_every_s = warm, warm_every_s
        #: When ``warm()`` last ended (``time.monotonic()``), None before.
        self.warmed_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop_jobs: Stop | None = None
        self._said_standing_by = False

    @property
    def leading(self) -> bool:
        return self._stop_jobs is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _warm(self) -> None:
        try:
            self.warm()
        except Exception:  # the leader loads it itself when this fails
            log.exception("leader: could not prepare the background jobs")
        self.warmed_at = time.monotonic()

    def _keep_warm(self) -> None:
        """The warmer thread: ``warm()`` every ``warm_every_s`` while not leading (in a thread
        of its own: the contending connection must not sit idle meanwhile)."""
        while not self._stop.wait(self.warm_every_s):
            if not self.leading:
                self._warm()

    def _run(self) -> None:
        if self.warm is not None:
            self._warm()  # before the first try: a standby is ready when it says so
            threading.Thread(target=self._keep_warm, name="leader-warm", daemon=True).start()
        while not self._stop.is_set():
            try:
                self._contend()
            except (psycopg2.Error, OSError, DatabaseUnavailable) as exc:
                log.warning("leader: %s", (str(exc).strip().splitlines() or ["no answer"])[0])
            except Exception:  # a job that fails to start must not end the contending
                log.exception("leader: the background jobs failed")
            finally:
                self._step_down()
            self._stop.wait(self.retry_s)

    def _contend(self) -> None:
        """Hold one connection; try for the lock until it is ours, then check every
        ``retry_s`` that the connection (and so the lock) is still there."""
        conn = connect(
            self.dsn,
            application_name=f"{self.name} {os.getpid()}",
            # A leader cut off from the database notices within seconds (not the system's
            # TCP timeout of minutes) and stops its jobs.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            tcp_user_timeout=10_000,
            options=SERVER_OPTIONS,
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                while not self._stop.is_set():
                    if self.leading:
                        repo.ping(cur)  # raises when the connection is gone
                    elif repo.try_advisory_lock(cur, self.key):
                        log.info("leader: this process runs the background jobs")
                        self._stop_jobs = self.lead()
                        log.info("leader: background jobs started")
                    else:
                        if not self._said_standing_by:
                            log.info("leader: standing by (ready; trying every %g s)", self.retry_s)
                            self._said_standing_by = True
                    self._stop.wait(self.retry_s)
        finally:
            conn.close()

    def _step_down(self) -> None:
        if self._stop_jobs is not None:
            stop, self._stop_jobs = self._stop_jobs, None
            log.info("leader: stepping down; background jobs stopped")
            stop()

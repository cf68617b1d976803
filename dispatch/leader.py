"""One leader among the worker processes, by a PostgreSQL advisory lock.

The ticker (and the demo simulator) must run once per database however many ``dispatch
worker`` processes start. Each worker runs a :class:`Leadership`: a thread that keeps one
connection and tries ``pg_try_advisory_lock`` on it every ``retry_s`` seconds. The one that
gets the lock starts the jobs (``lead()``, which returns how to stop them); the others stand
by. The lock belongs to the connection, so when the leader dies (even ``kill -9``) PostgreSQL
releases it as the socket closes and a standby takes over at its next try. A leader that loses
its connection stops its jobs before it tries again, so two leaders never run for long.
"""

from __future__ import annotations

import logging
import os
import threading
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

Stop = Callable[[], None]


class Leadership:
    """``Leadership(dsn, lead).start()``: ``lead()`` runs while this process holds the lock
    and returns a function that stops what it started."""

    def __init__(
        self,
        dsn: str,
        lead: Callable[[], Stop],
        *,
        key: int = TICKER_LOCK,
        retry_s: float = 2.0,
        name: str = APPLICATION_NAME,
    ) -> None:
        self.dsn, self.lead, self.key, self.retry_s, self.name = dsn, lead, key, retry_s, name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop_jobs: Stop | None = None

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

    def _run(self) -> None:
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
                    self._stop.wait(self.retry_s)
        finally:
            conn.close()

    def _step_down(self) -> None:
        if self._stop_jobs is not None:
            stop, self._stop_jobs = self._stop_jobs, None
            log.info("leader: stepping down; background jobs stopped")
            stop()

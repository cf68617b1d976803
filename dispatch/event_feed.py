"""Following the outbox: every change committed anywhere reaches every web process.

Each process runs one :class:`EventFeed`: a thread that LISTENs on the outbox's channel and,
whenever a notification arrives (or every ``poll_s`` seconds, in case one was missed while the
connection was down), reads the outbox rows after the last one it handed on and passes them,
in order, to its subscribers (the wall's live state, the push to open browsers). The outbox,
not the notification, is the source of truth, so nothing is lost and nothing is applied twice.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Callable

import psycopg2

from dispatch import repository
from gis.database import connect

log = logging.getLogger(__name__)
CHANNEL = "control_room_events"

Subscriber = Callable[[list[dict]], None]


class EventFeed:
    """``feed.subscribe(handler); feed.start()`` — ``handler(rows)`` is called from the feed's
    thread with each batch of new outbox rows (dicts: id, at, topic, kind, ticket_id, crew_id,
    data). Starts from the outbox's end: what happened before is read by whoever needs it."""

    def __init__(self, dsn: str, *, poll_s: float = 2.0, batch: int = 1000) -> None:
        self.dsn, self.poll_s, self.batch = dsn, poll_s, batch
        self._subscribers: list[Subscriber] = []
        self._last_id: int | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def last_id(self) -> int:
        """The id of the last outbox row handed on (0 before the feed has started)."""
        return self._last_id or 0

    def subscribe(self, handler: Subscriber) -> None:
        self._subscribers.append(handler)

    def start(self) -> None:
        """Start following (once; later calls do nothing). Connects in the background."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="event-feed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wait_for_change(self, after_id: int, timeout: float) -> int:
        """Block until an outbox row after ``after_id`` was handed on (or ``timeout`` seconds
        passed, or the feed stopped); returns the last id then."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.last_id > after_id or self._stop.is_set(), timeout=timeout
            )
            return self.last_id

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except (psycopg2.Error, OSError) as exc:
                log.warning("event feed: %s; reconnecting", str(exc).strip().splitlines()[0])
                self._stop.wait(1.0)

    def _follow(self) -> None:
        # Named, so an operator (and a test) sees which processes follow the outbox.
        conn = connect(self.dsn, application_name=f"dispatch-event-feed {os.getpid()}")
        try:
            conn.autocommit = True
            cur = repository.dict_cursor(conn)
            cur.execute(f"LISTEN {CHANNEL}")
            if self._last_id is None:
                self._last_id = repository.outbox_last_id(cur)
                with self._changed:
                    self._changed.notify_all()
            while not self._stop.is_set():
                self._drain(cur)
                if select.select([conn], [], [], self.poll_s) == ([], [], []):
                    continue  # a quiet spell: read anyway, in case a notification was lost
                conn.poll()
                conn.notifies.clear()
        finally:
            conn.close()

    def _drain(self, cur) -> None:
        while True:
            rows = repository.outbox_since(cur, self.last_id, limit=self.batch)
            if not rows:
                return
            for handler in self._subscribers:
                try:
                    handler(rows)
                except Exception:  # one failing screen must not stop the others' events
                    log.exception("event feed: a subscriber failed")
            with self._changed:
                self._last_id = int(rows[-1]["id"])
                self._changed.notify_all()
            if len(rows) < self.batch:
                return

"""The wall's live state in one web process: the open tickets, the crews and the rows of
today's figures, read once, then kept current from the outbox
(:class:`dispatch.event_feed.EventFeed`) by re-reading only the tickets and crews an event
names. A wall refresh with nothing new reads no database at all: it is worked out from memory
at the current time.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import date, datetime

from dispatch import kpi_repository, report_repository
from dispatch import repository as repo
from dispatch.kpis import day_window
from dispatch.unit_of_work import UnitOfWork
from dispatch.wall_read_model import camera_alarm_rows, read_wall_rows, snapshot_from


class WallLiveState:
    """Subscribe :meth:`apply` to an event feed; call :meth:`snapshot` from any thread."""

    def __init__(
        self,
        open_uow: Callable[[], UnitOfWork],
        *,
        stale_after_s: float | None = None,
        follow: Callable[[], None] | None = None,
    ) -> None:
        """``follow`` starts the event feed that calls :meth:`apply`; it is called at the
        first snapshot, so nothing follows the outbox before a wall is open."""
        self._open_uow = open_uow
        self._follow = follow
        self.stale_after_s = stale_after_s
        self._lock = threading.Lock()
        self._rows: dict | None = None
        self._tickets: dict[int, dict] = {}
        self._crews: dict[int, dict] = {}
        self._day: date | None = None  # the territory's day the figures are of
        self._now: datetime | None = None  # the time of the last snapshot
        #: The last outbox id reflected in the state (events up to it are applied).
        self.version = 0

    def snapshot(self, now: datetime) -> dict:
        """The wall snapshot at ``now`` (see :func:`dispatch.wall_read_model.snapshot_from`)."""
        with self._lock:
            self._now = now
            if self._rows is None or day_window(now, self._rows["timezone"])[0] != self._day:
                self._load(now)
            crews = sorted(self._crews.values(), key=lambda c: c["id"])
            rows = {
                **self._rows,
                "tickets": _in_queue_order(self._tickets.values()),
                "crews": crews,
                # The crews' fixes the figures count are the ones held here, always current.
                "kpi": dataclasses.replace(self._rows["kpi"], crews=crews),
            }
        return snapshot_from(rows, now, stale_after_s=self.stale_after_s)

    def apply(self, events: list[dict]) -> None:
        """Re-read the tickets and crews these outbox rows name (called by the event feed)."""
        with self._lock:
            if self._rows is None:
                return  # nothing loaded yet: the first snapshot reads everything
            events = [e for e in events if e["id"] > self.version]
            if not events:
                return
            ticket_ids = sorted({e["ticket_id"] for e in events if e["ticket_id"] is not None})
            crew_ids = {e["crew_id"] for e in events if e["crew_id"] is not None}
            # A ticket's change may free or bind a crew that the event does not name.
            crew_ids |= {
                c["id"] for c in self._crews.values() if c["active_ticket_id"] in ticket_ids
            }
            reports = any(e.get("topic") == "report" for e in events)
            with self._open_uow() as uow:
                if reports:  # a leak-log day left unreviewed, or reviewed at last
                    self._rows["review_alarms"] = report_repository.open_alarms(uow.cur)
                if ticket_ids:
                    fresh = {r["id"]: r for r in repo.wall_tickets(uow.cur, ids=ticket_ids)}
                    for ticket_id in ticket_ids:
                        if ticket_id in fresh:
                            self._tickets[ticket_id] = fresh[ticket_id]
                        else:  # closed, cancelled or linked as a duplicate: off the wall
                            self._tickets.pop(ticket_id, None)
                    self._rows["kpi"] = kpi_repository.kpi_rows(uow.cur, self._now)
                if crew_ids:
                    for crew in repo.list_crews(uow.cur, ids=sorted(crew_ids)):
                        self._crews[crew["id"]] = crew
                if any(e.get("topic") == "camera" for e in events):  # a camera alarm changed
                    self._rows["camera_alarms"] = camera_alarm_rows(uow.cur)
            self.version = max(self.version, events[-1]["id"])

    def _load(self, now: datetime) -> None:
        if self._follow is not None:
            self._follow()
        with self._open_uow() as uow:
            # The outbox's end first: an event committed meanwhile is applied again, harmlessly.
            version = repo.outbox_last_id(uow.cur)
            rows = read_wall_rows(uow.cur, now)
        self._rows = rows
        self._tickets = {r["id"]: r for r in rows["tickets"]}
        self._crews = {c["id"]: c for c in rows["crews"]}
        self._day = day_window(now, rows["timezone"])[0]
        self.version = max(self.version, version)


def _in_queue_order(rows) -> list[dict]:
    """As :func:`dispatch.repository.wall_tickets` orders them: priority, then the nearest
    arrival deadline (none last), then the time of the call."""
    return sorted(
        rows,
        key=lambda r: (
            r["priority"],
            r["arrival_due_at"] is None,
            r["arrival_due_at"] or r["received_at"],
            r["received_at"],
        ),
    )

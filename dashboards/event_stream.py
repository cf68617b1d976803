"""Pushing events to open pages: ``GET /events/stream`` answers a Server-Sent Events stream
that sends the last outbox id each time the process's event feed moves on, and a comment every
``KEEPALIVE_S`` seconds so proxies keep the connection. The page (``assets/wall.js``) puts the
id into a ``dcc.Store``, which triggers the wall's redraw at once instead of at its next tick.
Behind the log-in like every page.

A crew lead's stream is scoped to its crew (issue 10): it is sent only the changes of its own
crew's jobs (or naming its crew), as ``{"id": <outbox id>, "tickets": [<its ticket ids>]}``;
another crew's change is neither sent nor hinted at by the timing of a push. The feed's recent
rows are kept here (:class:`RecentRows`) so each crew stream can see what a change was about.
"""

from __future__ import annotations

import json
import threading
from collections import deque

from flask import Flask, Response, session, stream_with_context

from dispatch import crew_job_service
from dispatch.actor import Actor
from dispatch.event_feed import EventFeed

KEEPALIVE_S = 15.0
STREAM_PATH = "/events/stream"
#: Outbox rows kept for the crew streams (a stream further behind skips to the newest).
RECENT_ROWS = 5000


class RecentRows:
    """The feed's last rows, in order (a feed subscriber)."""

    def __init__(self, size: int = RECENT_ROWS) -> None:
        self._rows: deque[dict] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, rows: list[dict]) -> None:
        with self._lock:
            self._rows.extend(rows)

    def after(self, last_id: int) -> list[dict]:
        with self._lock:
            return [r for r in self._rows if int(r["id"]) > last_id]


def crew_push(rows: list[dict], own: set[int]) -> list[int]:
    """The ticket ids of ``rows`` a crew's phone is told about, in order: only its own jobs
    (``own``: those of the rows' tickets that are its crew's now), never another crew's."""
    tickets: list[int] = []
    for row in rows:
        ticket_id = row.get("ticket_id")
        if ticket_id is not None and int(ticket_id) in own and int(ticket_id) not in tickets:
            tickets.append(int(ticket_id))
    return tickets


def concerns_crew(rows: list[dict], crew_id: int, own: set[int]) -> bool:
    """Whether ``rows`` hold a change of the crew's own jobs or of the crew itself (a row
    naming it: its job taken away, its status), so its phone is nudged to redraw."""
    return any(
        (r.get("ticket_id") is not None and int(r["ticket_id"]) in own)
        or r.get("crew_id") == crew_id
        for r in rows
    )


def register_event_stream(server: Flask, feed: EventFeed, api=None) -> None:
    recent = RecentRows()
    feed.subscribe(recent.add)

    def own_tickets(user: dict, rows: list[dict]) -> set[int]:
        actor = Actor(user["username"], user["role"], user.get("crew_id"))
        ids = [int(r["ticket_id"]) for r in rows if r.get("ticket_id") is not None]
        if not ids or api is None:
            return set()
        with api.uow() as uow:
            return crew_job_service.own_tickets(uow, actor, ids)

    @server.get(STREAM_PATH)
    def event_stream() -> Response:
        feed.start()
        user = session.get("user") or {}
        scoped = user.get("role") == "crew_lead"

        def everything():
            seen = feed.last_id
            yield f"retry: 2000\ndata: {seen}\n\n"
            while True:
                last = feed.wait_for_change(seen, timeout=KEEPALIVE_S)
                if last > seen:
                    seen = last
                    yield f"data: {last}\n\n"
                else:
                    yield ": keep-alive\n\n"

        def crews_own():
            crew_id = user.get("crew_id")
            seen = feed.last_id
            yield "retry: 2000\ndata: " + json.dumps({"id": seen, "tickets": []}) + "\n\n"
            while True:
                last = feed.wait_for_change(seen, timeout=KEEPALIVE_S)
                rows = recent.after(seen) if last > seen else []
                seen = max(seen, last)
                own = own_tickets(user, rows) if rows and crew_id is not None else set()
                if crew_id is not None and concerns_crew(rows, crew_id, own):
                    payload = {"id": seen, "tickets": crew_push(rows, own)}
                    yield "data: " + json.dumps(payload) + "\n\n"
                else:
                    yield ": keep-alive\n\n"

        return Response(
            stream_with_context(crews_own() if scoped else everything()),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

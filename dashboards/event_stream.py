"""Pushing events to open pages: ``GET /events/stream`` answers a Server-Sent Events stream
that sends the last outbox id each time the process's event feed moves on, and a comment every
``KEEPALIVE_S`` seconds so proxies keep the connection. The page (``assets/wall.js``) puts the
id into a ``dcc.Store``, which triggers the wall's redraw at once instead of at its next tick.
Behind the log-in like every page."""

from __future__ import annotations

from flask import Flask, Response, stream_with_context

from dispatch.event_feed import EventFeed

KEEPALIVE_S = 15.0
STREAM_PATH = "/events/stream"


def register_event_stream(server: Flask, feed: EventFeed) -> None:
    @server.get(STREAM_PATH)
    def event_stream() -> Response:
        feed.start()

        def events():
            seen = feed.last_id
            yield f"retry: 2000\ndata: {seen}\n\n"
            while True:
                last = feed.wait_for_change(seen, timeout=KEEPALIVE_S)
                if last > seen:
                    seen = last
                    yield f"data: {last}\n\n"
                else:
                    yield ": keep-alive\n\n"

        return Response(
            stream_with_context(events()),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

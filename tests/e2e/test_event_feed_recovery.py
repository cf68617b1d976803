"""A web process's event feed survives the end of its LISTEN connection: after
``pg_terminate_backend`` on the feed's backend, a ticket opened afterwards still reaches an
open page's Server-Sent Events stream (the feed reconnects and reads the outbox from where it
was)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from dispatch.cli import DEMO_PASSWORD
from tests.dbutil import fetch_value
from tests.e2e.test_serve_command import _next_event_id, _processes_named, serve

FEED = "dispatch-event-feed"


def _terminate_feeds(dsn: str) -> int:
    return fetch_value(
        dsn,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE %s",
        (FEED + " %",),
    )


def test_an_event_reaches_the_page_after_the_feeds_connection_was_terminated(
    fresh_demo_dsn, tmp_path
):
    with serve(fresh_demo_dsn, tmp_path, "--workers", "1", "--no-worker") as base:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        form = urllib.parse.urlencode({"username": "dispatcher", "password": DEMO_PASSWORD})
        opener.open(f"{base}/login", data=form.encode(), timeout=30).close()
        stream = opener.open(f"{base}/events/stream", timeout=20)
        assert stream.readline() == b"retry: 2000\n"
        before = int(stream.readline().decode().removeprefix("data: "))
        feeds_before = _processes_named(fresh_demo_dsn, FEED)

        ended = _terminate_feeds(fresh_demo_dsn)
        time.sleep(0.5)
        token = json.loads(
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/api/v1/auth/token",
                    data=json.dumps({"username": "hotline", "password": DEMO_PASSWORD}).encode(),
                    headers={"Content-Type": "application/json"},
                ),
                timeout=30,
            ).read()
        )["token"]
        request = urllib.request.Request(
            f"{base}/api/v1/tickets",
            data=json.dumps({"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        started = time.monotonic()
        after = _next_event_id(stream, before)
        took = time.monotonic() - started
        stream.close()
        feeds_after = _processes_named(fresh_demo_dsn, FEED)

    assert ended == 1 and len(feeds_before) == 1
    assert after > before, "the new ticket's event reached the open page"
    assert feeds_after == feeds_before, "the same web process follows the outbox again"
    assert took < 10

"""The live push scoped to a crew (issue 10): a crew lead's event stream carries only its own
crew's jobs, never another crew's ticket id, nor a push caused by another crew's change; the
dispatcher's stream still carries every change. Over real HTTP with the session cookie."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from dispatch.cli import DEMO_PASSWORD
from tests.e2e.test_crew_phone import (
    KAMPPI,
    KLUUVI,
    _assign,
    _call,
    _cancel,
    _crew_id,
    _leak,
    served,  # noqa: F401 (a fixture)
)


class Stream:
    """The ``data:`` messages of ``/events/stream`` as ``user``, read in a thread."""

    def __init__(self, base: str, user: str) -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        form = urllib.parse.urlencode({"username": user, "password": DEMO_PASSWORD}).encode()
        opener.open(f"{base}/login", data=form, timeout=30).close()
        self.response = opener.open(f"{base}/events/stream", timeout=60)
        self.messages: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    self.messages.append(line[6:])
        except Exception:  # closed at the end of the test
            return

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(m) for m in self.messages):
                return True
            time.sleep(0.1)
        return False

    def close(self) -> None:
        self.response.close()


def test_a_crew_leads_stream_carries_only_its_own_crews_jobs(served):  # noqa: F811
    base, dsn = served
    lead = Stream(base, "crewlead")
    wall = Stream(base, "dispatcher")
    assert lead.wait_for(lambda m: json.loads(m)["tickets"] == [])  # the first message
    assert wall.wait_for(lambda m: m.isdigit())
    try:
        theirs = _leak(base, KAMPPI, "Fredrikinkatu 50")
        _assign(base, theirs["id"], _crew_id(dsn, "E-02"))
        status, _ = _call(
            base,
            "dispatcher",
            "POST",
            f"/tickets/{theirs['id']}/transition",
            {"status": "accepted"},
        )
        assert status == 200
        # The wall is pushed the other crew's changes; the crew lead's phone is not.
        first_wall = int(wall.messages[0])
        assert wall.wait_for(lambda m: int(m) > first_wall)
        time.sleep(3.0)
        assert len(lead.messages) == 1

        ours = _leak(base, KLUUVI, "Kaisaniemenkatu 13")
        _assign(base, ours["id"], _crew_id(dsn, "E-01"))

        assert lead.wait_for(lambda m: ours["id"] in json.loads(m)["tickets"])
        pushed = [t for m in lead.messages for t in json.loads(m)["tickets"]]
        assert theirs["id"] not in pushed
        assert set(pushed) == {ours["id"]}
    finally:
        lead.close()
        wall.close()
    _cancel(base, theirs["id"])
    _cancel(base, ours["id"])

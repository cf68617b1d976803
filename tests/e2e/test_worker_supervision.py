"""`dispatch serve` keeps a warm standby worker and starts a dead worker again.

A real `dispatch serve` (one web process, its leading worker child and a standby child); the
leader is killed outright (`kill -9`); the standby takes the leader lock and its ticker runs (a
P1 ticket opened afterwards is assigned by auto-dispatch, which only the leader's ticker does),
and serve starts a new child in place of the dead one, which stands by."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from dispatch.cli import DEMO_PASSWORD
from dispatch.storm_faults import background_workers
from tests.dbutil import fetch_value
from tests.e2e.test_serve_command import serve
from tests.integration.test_worker_leader import _leader_pid

#: Generous on a loaded machine: the test asserts who leads, not how fast (leader_bench does).
WAIT_S = 60.0


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}")


def _children(pid: int) -> set[int]:
    """Every child of ``pid``, whichever of its threads started it."""
    tasks = f"/proc/{pid}/task"
    return {
        int(child)
        for task in os.listdir(tasks)
        for child in Path(f"{tasks}/{task}/children").read_text().split()
    }


def _post(base: str, path: str, body: dict, token: str | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_killed_worker_is_started_again_becomes_leader_and_its_ticker_runs(
    fresh_demo_dsn, tmp_path
):
    flags = ("--workers", "1", "--auto-dispatch-after", "1")
    with serve(fresh_demo_dsn, tmp_path, *flags) as base:
        serve_pid = base.process.pid
        first = _wait_for(
            lambda: _leader_pid(fresh_demo_dsn), timeout=60, what="the first worker leads"
        )
        standby = _wait_for(
            lambda: background_workers(serve_pid) - {first}, timeout=WAIT_S, what="a standby"
        )
        assert first in _children(serve_pid), "the leader is serve's own worker child"
        assert len(standby) == 1, standby
        (standby,) = standby

        os.kill(first, signal.SIGKILL)
        second = _wait_for(
            lambda: (pid := _leader_pid(fresh_demo_dsn)) not in (None, first) and pid,
            timeout=WAIT_S,
            what="a new worker takes the lead",
        )

        token = _post(
            base, "/api/v1/auth/token", {"username": "hotline", "password": DEMO_PASSWORD}
        )["token"]
        ticket = _post(
            base, "/api/v1/tickets", {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}, token
        )["ticket"]["id"]
        by = _wait_for(
            lambda: fetch_value(
                fresh_demo_dsn,
                "SELECT assigned_by FROM assignments WHERE ticket_id = %s",
                (ticket,),
            ),
            timeout=20,
            what="the new leader's ticker auto-dispatches a waiting P1 ticket",
        )
        replacement = _wait_for(
            lambda: background_workers(serve_pid) - {first, second},
            timeout=WAIT_S,
            what="serve starts a worker in place of the dead one",
        )
        children = _children(serve_pid)
    log = (tmp_path / "serve.log").read_text()

    assert second == standby, "the standby, already running, took over"
    assert first not in children and second in children
    assert by == "auto-dispatch"
    assert f"background worker (pid {first}) exited" in log
    (new,) = replacement
    assert f"restarted as pid {new}" in log

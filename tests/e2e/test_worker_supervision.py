"""`dispatch serve` starts its background worker again when it dies.

A real `dispatch serve` (one web process, its worker child); the worker is killed outright
(`kill -9`); a new child appears, takes the leader lock, and its ticker runs: a P1 ticket
opened afterwards is assigned by auto-dispatch, which only the leader's ticker does."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from dispatch.cli import DEMO_PASSWORD
from tests.dbutil import fetch_value
from tests.e2e.test_serve_command import serve
from tests.integration.test_worker_leader import _leader_pid

RESTART_LIMIT_S = 20.0


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
        assert first in _children(serve_pid), "the leader is serve's own worker child"

        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        second = _wait_for(
            lambda: (pid := _leader_pid(fresh_demo_dsn)) not in (None, first) and pid,
            timeout=RESTART_LIMIT_S,
            what="a new worker takes the lead",
        )
        took = time.monotonic() - killed_at

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
        children = _children(serve_pid)
    log = (tmp_path / "serve.log").read_text()

    assert second in children and first not in children
    assert took < RESTART_LIMIT_S
    assert by == "auto-dispatch"
    assert f"background worker (pid {first}) exited" in log
    assert f"restarted as pid {second}" in log

"""`dispatch serve` as a user starts it: a real process answering HTTP on a port."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dispatch.cli import DEMO_PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The base URL of a served app, with its ``dispatch serve`` process."""

    def __new__(cls, base: str, process: subprocess.Popen):
        served = super().__new__(cls, base)
        served.process = process
        return served


@contextlib.contextmanager
def serve(dsn, tmp_path, *flags):
    """``dispatch serve`` on a free port with ``flags``; yields its base URL once it answers."""
    exe = shutil.which("dispatch") or str(Path(sys.executable).with_name("dispatch"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "MQTT_URL": "mqtt://127.0.0.1:1",
        "DISPATCH_SECRET_KEY": "serve-test-secret",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [exe, "serve", "--port", str(port), *flags],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"dispatch serve exited: {(tmp_path / 'serve.log').read_text()}")
                time.sleep(0.25)
        yield Served(base, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def served(fresh_demo_dsn, tmp_path):
    with serve(fresh_demo_dsn, tmp_path, "--auto-dispatch-after", "600") as base:
        yield base


def test_serve_answers_health_the_api_with_recommendations_and_the_log_in_page(served):
    def post(path, body, token=None):
        request = urllib.request.Request(
            served + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())

    _, login = post("/api/v1/auth/token", {"username": "hotline", "password": DEMO_PASSWORD})
    status, created = post(
        "/api/v1/tickets", {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}, login["token"]
    )
    with urllib.request.urlopen(f"{served}/login", timeout=10) as page:
        form = page.read().decode()

    assert status == 201 and created["ticket"]["priority"] == 1
    assert created["recommendations"], "serve loads the road graph for recommendations"
    assert 'name="password"' in form


def _processes_named(dsn: str, prefix: str) -> set[int]:
    """The pids (as the connections name them, "<prefix> <pid>") connected to ``dsn``."""
    from gis.database import connect

    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT application_name FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name LIKE %s",
                (prefix + " %",),
            )
            return {int(name.split()[-1]) for (name,) in cur.fetchall()}
    finally:
        conn.close()


def _next_event_id(stream, after: int) -> int:
    """Read the stream until it names an outbox id after ``after``."""
    while True:
        line = stream.readline().decode()
        if not line:
            pytest.fail("the event stream ended")
        if line.startswith("data: ") and int(line[6:]) > after:
            return int(line[6:])


def test_serve_runs_several_web_processes_and_an_event_reaches_the_pages_of_each(
    fresh_demo_dsn, tmp_path
):
    flags = ("--workers", "2", "--threads", "24", "--no-worker")
    with serve(fresh_demo_dsn, tmp_path, *flags) as base:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        form = urllib.parse.urlencode({"username": "dispatcher", "password": DEMO_PASSWORD})
        with opener.open(f"{base}/login", data=form.encode(), timeout=30) as response:
            assert response.url == f"{base}/wall"
        # Open live streams until both web processes serve some (the kernel picks which).
        streams, seen = [], []
        for _ in range(20):
            stream = opener.open(f"{base}/events/stream", timeout=20)
            assert stream.readline() == b"retry: 2000\n"
            seen.append(int(stream.readline().decode().removeprefix("data: ")))
            streams.append(stream)
            if len(_processes_named(fresh_demo_dsn, "dispatch-event-feed")) == 2:
                break
        feeds = _processes_named(fresh_demo_dsn, "dispatch-event-feed")
        token = json.loads(
            opener.open(
                urllib.request.Request(
                    f"{base}/api/v1/auth/token",
                    data=json.dumps({"username": "hotline", "password": DEMO_PASSWORD}).encode(),
                    headers={"Content-Type": "application/json"},
                ),
                timeout=30,
            ).read()
        )["token"]

        for round_ in range(3):  # each ticket is made by whichever process takes the request
            request = urllib.request.Request(
                f"{base}/api/v1/tickets",
                data=json.dumps(
                    {"type": "gas_leak", "lon": 24.9466 + round_ / 1000, "lat": 60.1712}
                ).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 201
            seen = [_next_event_id(s, after) for s, after in zip(streams, seen, strict=True)]
        for stream in streams:
            stream.close()

    assert len(feeds) == 2, "two web processes, each following the outbox itself"
    assert len(set(seen)) == 1, f"every open page got the last event: {seen}"


def _children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _wait_for_children(pid: int, count: int, timeout: float = 30) -> set[int]:
    deadline = time.monotonic() + timeout
    children = _children(pid)
    while len(children) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        children = _children(pid)
    return children


def test_a_reload_replaces_the_web_processes_while_the_server_keeps_answering(
    fresh_demo_dsn, tmp_path
):
    with serve(fresh_demo_dsn, tmp_path, "--workers", "2", "--no-worker") as base:
        # gunicorn's master forks its workers one after another, with a short random pause
        # between them: the first may answer /healthz before the second exists.
        before = _wait_for_children(base.process.pid, 2)
        base.process.send_signal(signal.SIGHUP)  # graceful reload
        answers = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
                answers.append(response.status)
            after = _children(base.process.pid)
            if len(after) == 2 and not after & before:
                break
            time.sleep(0.2)

    assert len(before) == 2
    assert len(after) == 2 and not after & before, "two new web processes"
    assert set(answers) == {200}

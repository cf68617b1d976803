"""`dispatch serve` as a user starts it: a real process answering HTTP on a port."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dispatch.cli import DEMO_PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(fresh_demo_dsn, tmp_path):
    exe = shutil.which("dispatch") or str(Path(sys.executable).with_name("dispatch"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": fresh_demo_dsn, "MQTT_URL": "mqtt://127.0.0.1:1"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [exe, "serve", "--port", str(port), "--auto-dispatch-after", "600"],
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


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

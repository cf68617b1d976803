"""A private Mosquitto for tests: its own process on a free port, never the machine's broker
on 1883 (which other runs, a demo or a left-over session may share)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
WAIT_S = 10.0


class PrivateBroker:
    """A Mosquitto process on 127.0.0.1:<port>; anonymous clients allowed unless ``access``
    (configuration lines) says otherwise. No persistence unless ``persistent``: then sessions,
    their subscriptions and queued messages are saved in ``directory`` when the broker stops
    (``stop`` ends it gracefully) and restored by the next :meth:`start` (same port)."""

    def __init__(
        self,
        directory: Path,
        *,
        access: str = "allow_anonymous true\n",
        persistent: bool = False,
    ) -> None:
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        if persistent:
            # Run as root, mosquitto would switch to its own user, who may not reach the
            # test's directory: keep the user it is started as.
            storage = f"persistence true\npersistence_location {directory}/\nuser root\n"
        else:
            storage = "persistence false\n"
        self.config.write_text(f"listener {self.port} 127.0.0.1\n{storage}{access}")
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + WAIT_S
        while not accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"mosquitto did not start on {self.port}: {self.log.read_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(condition, timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True

"""``dispatch serve`` keeps its ``dispatch worker`` child alive.

The worker runs the ticker, the GPS consumer and the simulator; if it dies (a crash, the
out-of-memory killer, ``kill -9``) nothing would run them again while the web processes keep
answering. :class:`WorkerSupervisor` watches the child from a thread of ``serve`` and starts a
new one when it exits on its own, waiting longer after each quick death (``min_delay_s``
doubled up to ``max_delay_s``; back to the minimum once a child has lived ``stable_s``), so a
worker that cannot start does not spin. Every exit and restart is logged on stderr.

The child's exit is noticed through a pidfd: gunicorn's master (the same process) reaps every
child on SIGCHLD, so the exit status may be gone, but the pidfd still names that process and
not one that happens to get its pid later.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable


class WorkerSupervisor:
    """``WorkerSupervisor(start).start()``: ``start()`` launches one child (a ``Popen``);
    :meth:`stop` ends the supervision and the child."""

    def __init__(
        self,
        launch: Callable[[], subprocess.Popen],
        *,
        min_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        stable_s: float = 60.0,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.launch = launch
        self.min_delay_s, self.max_delay_s, self.stable_s = min_delay_s, max_delay_s, stable_s
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.restarts = 0
        self.process: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _spawn(self) -> None:
        with self._lock:
            if not self._stop.is_set():
                self.process = self.launch()

    def _watch(self) -> None:
        delay = self.min_delay_s
        while not self._stop.is_set():
            process = self.process
            if process is None:
                return
            born = time.monotonic()
            code = _wait_for_exit(process, self._stop)
            if self._stop.is_set():
                return
            if time.monotonic() - born >= self.stable_s:
                delay = self.min_delay_s
            self.say(
                f"worker: the background worker (pid {process.pid}) exited"
                f"{'' if not code else f' with {_describe(code)}'}; "
                f"starting a new one in {delay:g} s"
            )
            if self._stop.wait(delay):
                return
            delay = min(self.max_delay_s, delay * 2)
            self._spawn()
            self.restarts += 1
            if self.process is not None:
                self.say(f"worker: restarted as pid {self.process.pid}")


def _wait_for_exit(process: subprocess.Popen, stop: threading.Event) -> int | None:
    """Block until ``process`` has ended (or ``stop`` is set); its exit code when known."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except ProcessLookupError:  # already gone and reaped
        return process.poll()
    try:
        while not stop.is_set():
            if select.select([pidfd], [], [], 0.5)[0]:
                break
    finally:
        os.close(pidfd)
    try:
        return process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return None


def _describe(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"code {code}"

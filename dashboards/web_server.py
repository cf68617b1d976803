"""The production web server of ``dispatch serve``: gunicorn with threaded workers.

The app is built once in gunicorn's master (``preload_app``: the road graph and the gas network
are read once and shared by the forked workers, copy-on-write) and nothing opens a database
connection or starts a thread before the fork: the API's pool, the event feed and the wall's
live state start in each worker at its first request. So every web process has its own
connections and its own :class:`~dispatch.event_feed.EventFeed` following the outbox, and an
event made through one worker reaches the pages served by every other.

``gthread`` workers: each request gets a thread, so a wall's open Server-Sent Events stream
holds one thread, not a whole process. SIGHUP restarts the workers gracefully; SIGTERM stops
them, letting requests in flight finish within ``server.graceful_timeout_s``.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    return os.cpu_count() or 1


class ControlRoomServer(BaseApplication):
    """``ControlRoomServer(build, bind=..., workers=..., ...).run()``: ``build()`` returns the
    Flask server (called once, in the master, before the workers fork)."""

    def __init__(
        self,
        build: Callable[[], Flask],
        *,
        bind: str,
        workers: int,
        threads: int,
        timeout_s: float,
        graceful_timeout_s: float,
    ) -> None:
        self._build = build
        self._options = {
            "bind": bind,
            "workers": workers or default_workers(),
            "worker_class": "gthread",
            "threads": threads,
            "timeout": int(timeout_s),
            "graceful_timeout": int(graceful_timeout_s),
            "keepalive": 5,
            "preload_app": True,
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "dispatch-web",
            # No gunicornc control socket: it would live in $HOME, shared by every server.
            "control_socket_disable": True,
        }
        super().__init__(prog="dispatch serve")

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        server = self._build()
        # Everything loaded so far lives as long as the server: keep the garbage collector from
        # walking it in every worker (and from touching the shared pages after the fork).
        gc.freeze()
        return server

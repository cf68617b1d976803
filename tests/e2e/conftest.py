"""Fixtures of the end-to-end tests: the control room app served over real HTTP."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboards.app import create_app

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"


@contextlib.contextmanager
def serving(dsn: str) -> Iterator[str]:
    """``create_app(dsn)`` served on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, create_app(dsn).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def dash_server_url(demo_dsn: str) -> Iterator[str]:
    """Base URL (no trailing slash) of the app serving the Helsinki demo territory."""
    with serving(demo_dsn) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots for people to look at (git-ignored)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR

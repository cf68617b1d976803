"""Fixtures of the end-to-end tests: the control room app served over real HTTP."""

from __future__ import annotations

import contextlib
import shutil
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboards.app import create_app
from dispatch.cli import DEMO_PASSWORD

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Assertions wait for an outcome, not for a speed: on a loaded CI machine a redraw can take
# longer than Playwright's 5 s default, so they get room (a failing one only fails later).
with contextlib.suppress(ImportError):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@contextlib.contextmanager
def serving(dsn: str, api=None) -> Iterator[str]:
    """``create_app(dsn)`` served on a free local port in a thread; yields its base URL."""
    app = create_app(dsn, secret_key="test-secret-key", api=api)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.server.extensions["event_feed"].stop()


@pytest.fixture(scope="session")
def dash_server_url(demo_template, make_database) -> Iterator[str]:
    """Base URL (no trailing slash) of the app serving the Helsinki demo territory, with the
    demo users (password ``control-room``)."""
    with serving(make_database(template=demo_template)) as url:
        yield url


@pytest.fixture(scope="session")
def logged_in(dash_server_url) -> urllib.request.OpenerDirector:
    """An HTTP opener holding the session cookie of the demo dispatcher."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = urllib.parse.urlencode({"username": "dispatcher", "password": DEMO_PASSWORD})
    with opener.open(f"{dash_server_url}/login", data=form.encode(), timeout=30) as response:
        assert response.status == 200 and response.url == f"{dash_server_url}/wall"
    return opener


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots for people to look at (git-ignored)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session (launching one takes a second or more, and
    each browser module used to launch its own)."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def browser(chromium):
    """The session's Chromium for one test: the contexts (cookies, storage, pages) the test
    opens are closed after it, so no test sees another's, as with a browser of its own."""
    before = list(chromium.contexts)
    yield chromium
    for context in chromium.contexts:
        if not any(context is kept for kept in before):
            context.close()


@pytest.fixture
def clock():
    """A clock the test moves by hand (the API's time)."""
    from tests.e2e.api_client import MovableClock

    return MovableClock()


@pytest.fixture
def client(fresh_demo_dsn, clock):
    """The JSON API on a private copy of the demo database, on ``clock``'s time. A module may
    define its own ``client`` (another clock, other settings)."""
    from tests.e2e.api_client import ApiClient

    c = ApiClient(fresh_demo_dsn, clock=clock)
    yield c
    c.close()

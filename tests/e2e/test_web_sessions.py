"""Page sessions live in the database: a cookie copied before log-out is refused after it, an
expired one too, and the cookie is ``Secure`` when the site says it is served over HTTPS."""

from __future__ import annotations

import http.client
import urllib.parse
from urllib.parse import urlparse

import pytest

from dashboards.app import create_app
from dispatch.cli import DEMO_PASSWORD
from gis.database import connect
from tests.e2e.conftest import serving


def _request(base: str, method: str, path: str, *, cookie=None, form=None):
    """One request, no redirect followed: (status, headers, body)."""
    address = urlparse(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = {"Accept": "text/html"}
    body = None
    if cookie:
        headers["Cookie"] = cookie
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _log_in(base: str, username: str = "dispatcher") -> str:
    status, headers, _ = _request(
        base, "POST", "/login", form={"username": username, "password": DEMO_PASSWORD}
    )
    assert status == 302 and headers["Location"] in ("/wall", "/manager")
    return headers["Set-Cookie"].split(";")[0]  # "session=..."


@pytest.fixture
def served(fresh_demo_dsn):
    with serving(fresh_demo_dsn) as base:
        yield base, fresh_demo_dsn


def test_a_cookie_saved_before_log_out_is_refused_after_it(served):
    base, _ = served
    cookie = _log_in(base)
    before, _, _ = _request(base, "GET", "/wall", cookie=cookie)

    out, out_headers, _ = _request(base, "GET", "/logout", cookie=cookie)
    replay, replay_headers, _ = _request(base, "GET", "/wall", cookie=cookie)
    api_replay, _, body = _request(base, "POST", "/_dash-update-component", cookie=cookie)

    assert before == 200
    assert (out, out_headers["Location"]) == (302, "/login")
    assert replay == 302 and replay_headers["Location"].startswith("/login?next=/wall")
    assert api_replay == 401 and b"unauthenticated" in body


def test_log_out_ends_only_its_own_session(served):
    base, _ = served
    first, second = _log_in(base), _log_in(base)

    _request(base, "GET", "/logout", cookie=first)

    assert _request(base, "GET", "/wall", cookie=second)[0] == 200
    assert _request(base, "GET", "/wall", cookie=first)[0] == 302


def test_an_expired_session_is_refused_and_every_session_row_names_its_territory(served):
    base, dsn = served
    cookie = _log_in(base, "manager")
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT s.territory_id, s.expires_at - s.created_at FROM web_sessions s"
                " JOIN users u ON u.id = s.user_id WHERE u.username = 'manager'"
            )
            (territory, lifetime), *more = cur.fetchall()
            # As if logged in 13 hours ago.
            cur.execute(
                "UPDATE web_sessions SET created_at = created_at - interval '13 hours',"
                " expires_at = expires_at - interval '13 hours'"
            )
    finally:
        conn.close()

    assert more == [] and territory == 1
    assert lifetime.total_seconds() == 12 * 3600  # web.session_max_age_h = 12
    assert _request(base, "GET", "/manager", cookie=cookie)[0] == 302


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(fresh_demo_dsn):
    plain = create_app(fresh_demo_dsn, secret_key="k").server.test_client()
    secure = create_app(fresh_demo_dsn, secret_key="k", secure_cookies=True).server.test_client()
    form = {"username": "hotline", "password": DEMO_PASSWORD}

    plain_cookie = plain.post("/login", data=form).headers["Set-Cookie"]
    secure_cookie = secure.post("/login", data=form).headers["Set-Cookie"]

    assert "; Secure" in secure_cookie and "; HttpOnly" in secure_cookie
    assert "; Secure" not in plain_cookie and "; HttpOnly" in plain_cookie

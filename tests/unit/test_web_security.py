"""The web app refuses state changes coming from other sites and keeps its pages out of frames."""

from __future__ import annotations

from dashboards.app import create_app

DEAD_DSN = "host=127.0.0.1 port=1 dbname=x connect_timeout=1"


def _client():
    return create_app(DEAD_DSN, secret_key="k").server.test_client()


def test_a_change_sent_from_another_site_is_refused_before_anything_else():
    client = _client()
    client.set_cookie("session", "anything")

    answer = client.post(
        "/_dash-update-component", json={}, headers={"Origin": "http://evil.example"}
    )

    assert answer.status_code == 403 and answer.json["error"] == "cross_origin"
    assert "http://evil.example" in answer.json["detail"]


def test_a_change_from_our_own_origin_goes_on_to_the_log_in_check():
    answer = _client().post(
        "/_dash-update-component", json={}, headers={"Origin": "http://localhost"}
    )

    assert answer.status_code == 401 and answer.json["error"] == "unauthenticated"


def test_pages_may_not_be_framed_nor_their_types_guessed():
    headers = _client().get("/login").headers

    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'; script-src 'self' 'sha256-")
    assert "; frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"

"""Probing the app's asset routes without a log-in answers 404, never 500; unknown API paths
answer a JSON 404."""

from __future__ import annotations

import pytest

from dashboards.app import create_app

DEAD_DSN = "host=127.0.0.1 port=1 dbname=x connect_timeout=1"


@pytest.fixture(scope="module")
def client():
    return create_app(DEAD_DSN, secret_key="k").server.test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/dash/dash.py",
        "/_dash-component-suites/dash/__init__.py",
        "/_dash-component-suites/dash_leaflet/dash_leaflet.py",
        "/_dash-component-suites/dash/deps/nothing.js",
        "/_dash-component-suites/dash/dcc/x.v1_2_3m12.js",
        "/_dash-component-suites/nothing/x.js",
        "/_dash-component-suites/dash/../../../etc/passwd",
        "/_dash-component-suites/dash",
        "/assets/../app.py",
        "/assets/nothing.js",
        "/_favicon.ico/x",
    ],
)
def test_an_asset_that_is_not_there_answers_404(client, path):
    assert client.get(path).status_code == 404


def test_a_real_asset_is_still_served_without_a_log_in(client):
    answer = client.get("/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js")

    assert answer.status_code == 200 and b"dash_renderer" in answer.data[:200]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/nothing"), ("GET", "/api/nothing"), ("POST", "/api/v1/nothing/else")],
)
def test_an_unknown_api_path_answers_a_json_404(client, method, path):
    answer = client.open(path, method=method, json={} if method == "POST" else None)

    assert answer.status_code == 404
    assert answer.json["error"] == "not_found" and path in answer.json["detail"]

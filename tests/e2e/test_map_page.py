"""The network map over HTTP and in headless Chromium, against the Helsinki demo territory."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from dashboards.app import create_app
from dashboards.components.network_map import (
    LIVE_OVERLAY_KEYS,
    OFFLINE_BASE_KEY,
    OSM_ATTRIBUTION,
    OVERLAYS,
)
from dashboards.i18n import t
from dispatch.cli import DEMO_PASSWORD

DEAD_DSN = "postgresql://postgres@127.0.0.1:1/x"


def log_in(page, base_url: str, user: str = "dispatcher", lands: str = "/wall") -> None:
    """Fill in the log-in form as a person would, and wait for the page the user lands on."""
    page.goto(f"{base_url}/login")
    page.fill("#username", user)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{lands}")


def get(url: str, opener=None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, whatever the status (``opener``: with its cookies)."""
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def get_json(url: str, opener=None) -> tuple[int, dict]:
    status, _, body = get(url, opener)
    return status, json.loads(body)


def test_healthz_is_ok_against_the_demo_database(dash_server_url):
    assert get_json(f"{dash_server_url}/healthz") == (200, {"status": "ok", "database": "ok"})


def test_healthz_is_a_503_with_a_one_line_reason_when_the_database_server_is_dead():
    response = create_app(DEAD_DSN).server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert "127.0.0.1:1" in response.json["database"]
    assert "\n" not in response.json["database"]


def test_an_unknown_layer_is_a_404_json_error_naming_the_field(dash_server_url, logged_in):
    status, payload = get_json(f"{dash_server_url}/layers/nope.geojson", logged_in)
    assert status == 404
    assert payload["field"] == "name"
    assert {"error", "detail"} <= set(payload)


def test_static_layers_are_cacheable_and_crews_are_not(dash_server_url, logged_in):
    status, headers, _ = get(f"{dash_server_url}/layers/mains.geojson", logged_in)
    assert status == 200
    assert headers["Content-Type"] == "application/geo+json"
    assert "max-age=" in headers["Cache-Control"]
    status, headers, _ = get(f"{dash_server_url}/layers/crews.geojson", logged_in)
    assert status == 200
    assert headers["Cache-Control"] == "no-store"


def test_the_meters_layer_served_to_browsers_holds_no_personal_data(dash_server_url, logged_in):
    status, collection = get_json(f"{dash_server_url}/layers/meters.geojson", logged_in)
    assert status == 200
    assert collection["features"]
    assert {key for f in collection["features"] for key in f["properties"]} == {"id", "category"}


@pytest.mark.browser
def test_the_map_draws_the_network_offline_without_console_errors(
    dash_server_url, logged_in, artifacts_dir, browser
):
    from playwright.sync_api import expect

    _, mains = get_json(f"{dash_server_url}/layers/mains.geojson", logged_in)
    _, crews = get_json(f"{dash_server_url}/layers/crews.geojson", logged_in)
    errors: list[str] = []
    outside: list[str] = []

    def local_only(route):
        if route.request.url.startswith(dash_server_url):
            route.continue_()
        else:  # the product must work air-gapped: anything else is recorded and refused
            outside.append(route.request.url)
            route.abort()

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", local_only)
    log_in(page, dash_server_url)
    page.goto(dash_server_url, wait_until="networkidle")

    expect(page.locator(".leaflet-container")).to_have_count(1)
    expect(page.locator("path.gm-main")).to_have_count(len(mains["features"]))
    expect(page.locator("path.gm-crew")).to_have_count(len(crews["features"]))
    expect(page.locator(".gm-cluster, path.gm-meter").first).to_be_attached()
    expect(page.locator(".leaflet-gm-streets-pane canvas")).to_have_count(1)
    expect(page.get_by_text(OSM_ATTRIBUTION)).to_be_visible()
    control = page.locator(".leaflet-control-layers")
    # The wall opens in Chinese: the layer switcher too (issue 14).
    expect(control.locator(".leaflet-control-layers-base label")).to_have_text(
        [t(OFFLINE_BASE_KEY, "zh-CN")]
    )
    expect(control.locator(".leaflet-control-layers-overlays label")).to_have_text(
        [spec.label_in("zh-CN") for spec in OVERLAYS]
        + [t(key, "zh-CN") for key in LIVE_OVERLAY_KEYS]
    )
    page.screenshot(path=str(artifacts_dir / "map_1920x1080.png"))

    page.locator("path.gm-crew").first.click()
    popup = page.locator(".gm-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("状态")  # the popup speaks the page's language

    mains_box = control.locator("label", has_text="燃气管线")
    mains_box.click()
    expect(page.locator("path.gm-main")).to_have_count(0)
    mains_box.click()
    expect(page.locator("path.gm-main")).to_have_count(len(mains["features"]))

    assert errors == []
    assert outside == []


def test_pages_and_layers_need_a_log_in_but_health_does_not(dash_server_url):
    status, payload = get_json(f"{dash_server_url}/layers/mains.geojson")
    request = urllib.request.Request(dash_server_url + "/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=30) as page:
        landed = page.url

    assert status == 401 and payload["error"] == "unauthenticated"
    assert landed.startswith(f"{dash_server_url}/login")
    assert get_json(f"{dash_server_url}/healthz")[0] == 200


def test_a_wrong_password_is_refused_on_the_form(dash_server_url):
    form = urllib.parse.urlencode({"username": "dispatcher", "password": "wrong"}).encode()
    try:
        urllib.request.urlopen(f"{dash_server_url}/login", data=form, timeout=30)
        status, body = 200, b""
    except urllib.error.HTTPError as exc:
        with exc:
            status, body = exc.code, exc.read()

    assert status == 401 and "Wrong username or password" in body.decode()

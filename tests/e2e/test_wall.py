"""The dispatcher's wall screen in a real headless Chromium, against a live demo database."""

from __future__ import annotations

import json
import urllib.request

import pytest

from dispatch.api import Api
from dispatch.territory_ports import ports_for_territory
from tests.dbutil import fetch_value
from tests.e2e.conftest import serving
from tests.e2e.test_map_page import log_in

LEAK = {
    "type": "gas_leak",
    "lon": 24.9466,
    "lat": 60.1712,
    "caller_name": "王伟",
    "caller_phone": "13812345678",
    "address": "Kaisaniemenkatu 5",
}


@pytest.fixture(scope="module")
def wall(demo_template, make_database):
    """A live wall server on its own copy of the demo, with road recommendations."""
    from tests.dbutil import execute

    dsn = make_database(template=demo_template)
    execute(dsn, "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'")
    api = Api(dsn, ports=ports_for_territory(dsn))
    with serving(dsn, api=api) as url:
        yield url, dsn


@pytest.fixture(autouse=True)
def crews_reported_just_now(wall):
    """The module's wall lives for minutes on a loaded machine, and fixes older than the stale
    limit (five minutes) are not routed from: crews report afresh before each test, as a live
    GPS feed would."""
    from tests.dbutil import execute

    execute(wall[1], "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'")


def _select(page, row, number: str) -> None:
    """Click a queue row until the panel shows its ticket: the queue is redrawn every second,
    so a click may land on a row that is being replaced."""
    from playwright.sync_api import expect

    for _ in range(5):
        row.click()
        try:
            expect(page.locator(".panel-title")).to_contain_text(number, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(page.locator(".panel-title")).to_contain_text(number)


def _open_ticket(base: str, body: dict) -> dict:
    def post(path, data, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            base + path, data=json.dumps(data).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    token = post("/api/v1/auth/token", {"username": "hotline", "password": "control-room"})
    return post("/api/v1/tickets", body, token["token"])


def _page(browser, base, errors, *, width=1920, height=1080, lang=None):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # the assignment's confirmation
    log_in(page, base)
    if lang:
        page.goto(f"{base}/lang/{lang}?next=/wall")
    return page


def test_the_wall_lives_a_ticket_from_the_api_appears_and_is_assigned_from_the_panel(
    wall, browser, artifacts_dir
):
    from playwright.sync_api import expect

    base, dsn = wall
    errors: list[str] = []
    page = _page(browser, base, errors)
    crews = fetch_value(dsn, "SELECT count(*) FROM crews")
    expect(page.locator("path.gm-main").first).to_be_attached(timeout=15_000)
    expect(page.locator("path.gm-crew")).to_have_count(crews, timeout=30_000)

    created = _open_ticket(base, LEAK)
    # Pushed to the open page (no reload); how fast is dashboards.latency_bench's to measure.
    row = page.locator(".queue-row:not(.queue-head)").filter(has_text="Kaisaniemenkatu 5")
    expect(row).to_have_count(1, timeout=15_000)
    expect(page.locator("path.gm-incident")).to_have_count(1, timeout=15_000)
    expect(page.locator(".alarm-banner")).to_contain_text(created["ticket"]["number"])

    row.click()
    expect(page.locator(".rec-row")).not_to_have_count(0, timeout=30_000)
    expect(page.locator("img.video-feed")).to_have_count(4, timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.video-feed')]"
        ".every(img => img.complete && img.naturalWidth === 640)",
        timeout=15_000,
    )
    expect(page.locator(".gm-valve-pin")).not_to_have_count(0)  # numbered as in the panel
    page.screenshot(path=str(artifacts_dir / "wall_1920x1080.png"))

    first = page.locator(".rec-row").first
    code = first.locator(".rec-code").inner_text()
    first.locator(".rec-assign").click()
    expect(page.locator(".wall-notice")).not_to_be_empty(timeout=30_000)
    expect(page.locator("path.gm-crew-busy")).to_have_count(1, timeout=15_000)
    expect(page.locator("path.gm-route")).to_have_count(1, timeout=15_000)  # its road route
    assert (
        fetch_value(
            dsn,
            "SELECT c.code FROM tickets t JOIN crews c ON c.id = t.crew_id WHERE t.id = %s",
            (created["ticket"]["id"],),
        )
        == code
    )
    assert errors == []


def test_acknowledging_the_alarm_clears_it_and_is_recorded(wall, browser):
    from playwright.sync_api import expect

    base, dsn = wall
    created = _open_ticket(
        base, {**LEAK, "lon": 24.9405, "lat": 60.1689, "address": "Mannerheimintie 3"}
    )
    page = _page(browser, base, [])
    expect(page.locator(".alarm-banner")).to_contain_text(
        created["ticket"]["number"], timeout=15_000
    )

    page.locator(".alarm-ack").click()

    expect(page.locator(".alarm-banner")).to_have_count(0, timeout=15_000)
    acks = fetch_value(
        dsn,
        "SELECT count(*) FROM ticket_events WHERE ticket_id = %s"
        " AND event_type = 'alarm_acknowledged'",
        (created["ticket"]["id"],),
    )
    assert acks == 1


def test_the_language_switch_changes_the_labels(wall, browser):
    from playwright.sync_api import expect

    base, _ = wall
    page = _page(browser, base, [])
    expect(page.locator(".site-title")).to_have_text("燃气抢修调度中心")

    page.locator(".site-lang").click()

    expect(page.locator(".site-title")).to_have_text("Gas dispatch control room")
    expect(page.locator(".wall-section-title").first).to_have_text("Incident queue")


def test_the_wall_fills_a_4k_screen(wall, browser, artifacts_dir):
    from playwright.sync_api import expect

    base, _ = wall
    page = _page(browser, base, [], width=3840, height=2160)
    expect(page.locator("path.gm-crew").first).to_be_attached(timeout=30_000)
    page.wait_for_timeout(1500)

    size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    map_box = page.locator(".wall-map").bounding_box()
    page.screenshot(path=str(artifacts_dir / "wall_3840x2160.png"))

    assert size == 32  # large type for the queue and KPIs from across the room
    assert map_box["width"] > 2000 and map_box["height"] > 1200


def test_a_ticket_is_cancelled_from_the_panel_only_with_a_reason(wall, browser):
    from playwright.sync_api import expect

    base, dsn = wall
    created = _open_ticket(
        base,
        {**LEAK, "type": "meter_fault", "lon": 24.9435, "lat": 60.1668, "address": "Bulevardi 16b"},
    )
    page = _page(browser, base, [], lang=None)
    row = page.locator(".queue-row:not(.queue-head)").filter(has_text="Bulevardi 16b")
    _select(page, row, created["ticket"]["number"])
    page.locator(".panel-cancel").click()
    expect(page.locator(".wall-notice")).to_have_text("请填写原因", timeout=15_000)

    page.fill("#wall-cancel-reason", "customer called back: false alarm")
    page.locator(".panel-cancel").click()

    expect(row).to_have_count(0, timeout=15_000)
    status = fetch_value(
        dsn, "SELECT status FROM tickets WHERE id = %s", (created["ticket"]["id"],)
    )
    assert status == "cancelled"


def test_the_uncovered_area_tile_and_the_sound_switch_are_there(wall, browser):
    from playwright.sync_api import expect

    base, _ = wall
    page = _page(browser, base, [])

    expect(page.locator(".kpi-tile")).to_have_count(8, timeout=15_000)
    expect(page.locator(".kpi-tile").last).to_contain_text("公里")  # the Chinese wall
    page.locator(".wall-sound").click()
    expect(page.locator(".wall-sound")).to_have_class("wall-sound wall-sound-on")


def test_a_new_ticket_is_pushed_to_an_open_wall_whose_own_refresh_is_stopped(wall, browser):
    """The wall does not wait for its clock: with its interval switched off in the page, the
    only way a new ticket can reach the queue is the server's event push."""
    from playwright.sync_api import expect

    base, _ = wall
    errors: list[str] = []
    page = _page(browser, base, errors)
    expect(page.locator("#wall-queue")).to_be_attached(timeout=15_000)
    page.wait_for_timeout(2_000)  # the first redraws and the event stream settle
    page.evaluate("() => window.dash_clientside.set_props('wall-tick', {disabled: true})")
    page.wait_for_timeout(1_500)  # a tick already in flight lands

    created = _open_ticket(base, {**LEAK, "lat": 60.1690, "address": "Pushed street 1"})

    row_id = json.dumps({"index": created["ticket"]["id"], "type": "queue-row"}).replace(" ", "")
    page.wait_for_function("id => document.getElementById(id) !== null", arg=row_id, timeout=30_000)
    assert not errors, errors

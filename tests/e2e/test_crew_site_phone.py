"""The crew's site work on the crew lead's phone in a real headless Chromium at phone sizes
(issue 10): the CJJ51 checklist and a reading before made_safe, the households that hold
gas_restored back until each is marked, the customer's signature drawn on the screen, a photo
from the camera, and the taps made offline sent once each, in order, when the connection
returns. Every tap goes to the JSON API through the page's queue (assets/crew.js)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.dbutil import fetch_all, fetch_value
from tests.e2e.site_work import POST_REPAIR
from tests.e2e.test_crew_phone import (
    KLUUVI,
    _assign,
    _call,
    _cancel,
    _crew_id,
    _crew_page,
    _fits_the_phone,
    _leak,
    served,  # noqa: F401 (a fixture)
)

PHONES = [(390, 844), (360, 740)]


def _unexpected(errors: list[str]) -> list[str]:
    """The console's errors but the refusals the test asked for (the browser logs every 4xx
    answer of a fetch) and the lost connection of an offline test."""
    expected = ("the server responded with a status of 409", "ERR_INTERNET_DISCONNECTED")
    return [e for e in errors if not any(x in e for x in expected)]


def _assigned(base, dsn, address: str) -> dict:
    ticket = _leak(base, KLUUVI, address)
    _assign(base, ticket["id"], _crew_id(dsn, "E-01"))
    return ticket


def _status(dsn, ticket_id: int) -> str:
    return fetch_value(dsn, "SELECT status FROM tickets WHERE id = %s", (ticket_id,))


def _tap_step(page, status: str) -> None:
    page.locator(f".crew-step[data-status={status}]").click()


def _walk(base: str, ticket_id: int, steps) -> None:
    for step in steps:
        status, answer = _call(
            base, "crewlead", "POST", f"/tickets/{ticket_id}/transition", {"status": step}
        )
        assert status == 200, answer


def _site_post(base: str, ticket_id: int, path: str, body: dict) -> dict:
    status, answer = _call(base, "crewlead", "POST", f"/tickets/{ticket_id}{path}", body)
    assert status in (200, 201), answer
    return answer


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), PHONES)
def test_the_checklist_and_a_reading_on_the_phone_let_the_job_be_made_safe(
    served,  # noqa: F811
    browser,
    artifacts_dir,
    width,
    height,
):
    from playwright.sync_api import expect

    base, dsn = served
    errors: list[str] = []
    ticket = _assigned(base, dsn, f"Kaisaniemenkatu {width}")
    page = _crew_page(browser, base, width, height, errors=errors)
    expect(page.locator("#crew-current .crew-number")).to_have_text(
        ticket["number"], timeout=15_000
    )
    for step in ("accepted", "en_route", "on_site"):
        _tap_step(page, step)
        expect(page.locator(f".crew-step[data-status={step}]")).to_be_disabled(timeout=10_000)
    expect(page.locator(".crew-step[data-status=made_safe]")).to_be_enabled(timeout=10_000)
    made_safe_row = page.locator(".crew-step-row", has=page.locator("[data-status=made_safe]"))
    expect(made_safe_row).to_contain_text("还需：已设置警戒区；一次燃气浓度检测")

    _tap_step(page, "made_safe")  # too early: refused, saying what is missing

    expect(page.locator(".crew-notice")).to_contain_text("操作未成功", timeout=10_000)
    expect(page.locator(".crew-notice")).to_contain_text("warning_zone_set")
    assert _status(dsn, ticket["id"]) == "on_site"

    zone = page.locator(".crew-check[data-item=warning_zone_set]")
    expect(zone).to_contain_text("警戒半径")  # the radius from the stored plan
    zone.locator(".crew-check-button").click()
    expect(page.locator(".crew-check-done[data-item=warning_zone_set]")).to_be_visible(
        timeout=10_000
    )
    guardian = page.locator(".crew-check[data-item=guardian_named]")
    guardian.locator("[data-field=guardian] input").fill("李强")
    guardian.locator(".crew-check-button").click()
    expect(page.locator(".crew-check-done[data-item=guardian_named]")).to_contain_text(
        "李强", timeout=10_000
    )
    page.locator("#crew-reading-form [data-field=lel_percent] input").fill("35")
    page.locator(".crew-reading-button").click()
    expect(page.locator(".crew-reading")).to_have_count(1, timeout=10_000)
    expect(page.locator(".crew-reading").first).to_contain_text("35")

    _tap_step(page, "made_safe")

    expect(page.locator(".crew-step[data-status=made_safe]")).to_be_disabled(timeout=10_000)
    expect(page.locator(".crew-notice")).to_contain_text("状态已更新：险情已控制")
    assert _status(dsn, ticket["id"]) == "made_safe"
    checks = fetch_all(
        dsn,
        "SELECT item, data->>'guardian' FROM site_checks WHERE ticket_id = %s ORDER BY item",
        (ticket["id"],),
    )
    assert checks == [("guardian_named", "李强"), ("warning_zone_set", None)]
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(artifacts_dir / f"crew_site_{width}x{height}.png"), full_page=True)
    _fits_the_phone(page, width)
    _cancel(base, ticket["id"])
    page.context.close()
    assert _unexpected(errors) == []


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _sign(page, pad: str) -> None:
    box = page.locator(pad).bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for dx, dy in ((60, 40), (120, 10), (180, 60), (240, 20)):
        page.mouse.move(box["x"] + dx, box["y"] + dy, steps=4)
    page.mouse.up()


@pytest.mark.browser
def test_households_hold_gas_restored_back_until_each_is_marked_then_the_customer_signs(
    served,  # noqa: F811
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    base, dsn = served
    errors: list[str] = []
    ticket = _assigned(base, dsn, "Kaisaniemenkatu 3")
    tid = ticket["id"]
    _walk(base, tid, ("accepted", "en_route", "on_site"))
    _site_post(base, tid, "/site/checks", {"item": "warning_zone_set"})
    _site_post(base, tid, "/site/readings", {"lel_percent": 30.0})
    _walk(base, tid, ("made_safe", "repaired"))
    _, site = _call(base, "crewlead", "GET", f"/tickets/{tid}/site")
    meters = [h["meter_id"] for h in site["households"]]
    assert len(meters) >= 2
    for meter in meters[2:]:  # the phone marks the last two
        _site_post(base, tid, f"/households/{meter}", {"mark": "valves_closed"})
    page = _crew_page(browser, base, 390, 844, errors=errors)
    households = page.locator(".crew-household-unmarked")
    expect(households).to_have_count(2, timeout=15_000)
    page.locator(".crew-summary").click()  # the long list unfolds
    n = 2
    expect(page.locator(".crew-step[data-status=gas_restored]")).to_be_enabled()

    _tap_step(page, "gas_restored")

    notice = page.locator(".crew-notice")
    expect(notice).to_contain_text("操作未成功", timeout=10_000)
    expect(notice).to_contain_text(f"{n} 户未确认两阀")
    first_name = households.first.locator(".crew-household-name").inner_text()
    expect(notice).to_contain_text(first_name)
    assert _status(dsn, tid) == "repaired"

    for i, meter in enumerate(meters[:2]):
        row = page.locator(f".crew-household[data-meter='{meter}']")
        mark = "crew-mark-not_at_home" if i == 0 else "crew-mark-valves_closed"
        row.locator(f".{mark}").click()
    expect(page.locator(".crew-household-unmarked")).to_have_count(0, timeout=15_000)
    _tap_step(page, "gas_restored")
    expect(notice).to_contain_text("状态已更新：恢复供气", timeout=10_000)
    assert _status(dsn, tid) == "gas_restored"
    marks = fetch_all(
        dsn, "SELECT mark FROM household_marks WHERE ticket_id = %s ORDER BY mark", (tid,)
    )
    assert sorted(m[0] for m in marks) == ["not_at_home"] + ["valves_closed"] * (len(meters) - 1)

    # A photo from the camera, sent at once.
    with page.expect_file_chooser() as chooser:
        page.locator("#crew-photo").click()
    chooser.value.set_files(
        files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    expect(page.locator(".crew-thumb")).to_have_count(1, timeout=15_000)

    # The charges, the total shown, the customer's signature drawn on the screen.
    form = page.locator("#crew-signoff-form")
    form.locator("[data-item=call_out] input").fill("1")
    form.locator("[data-item=hose_replace] input").fill("2")
    expect(form.locator(".crew-total")).to_have_text("合计 120.00 元")
    form.locator(".crew-act").first.click()  # not signed yet
    expect(notice).to_contain_text("请用户先在框内签字", timeout=15_000)
    _sign(page, "#crew-signoff-signature")
    form.locator(".crew-act").first.click()
    expect(page.locator(".crew-signoff-done")).to_contain_text("合计 120.00 元", timeout=15_000)
    signed = fetch_all(
        dsn,
        "SELECT total_cny::text, octet_length(signature_png) > 100, refused_at IS NULL"
        " FROM ticket_signoffs WHERE ticket_id = %s",
        (tid,),
    )
    assert signed == [("120.00", True, True)]
    assert fetch_value(dsn, "SELECT paid FROM tickets WHERE id = %s", (tid,)) is True
    photos = fetch_all(dsn, "SELECT content_type FROM ticket_photos WHERE ticket_id = %s", (tid,))
    assert photos == [("image/jpeg",)]
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "crew_site_signed_390x844.png"), full_page=True)
    _fits_the_phone(page, 390)
    page.context.close()

    # The wall shows what the crew did, in the dispatcher's ticket detail.
    from tests.e2e.test_map_page import log_in

    wall = browser.new_page(viewport={"width": 1920, "height": 1080})
    log_in(wall, base)
    wall.locator(".queue-row:not(.queue-head)").filter(has_text="Kaisaniemenkatu 3").click()
    block = wall.locator(".site-progress")
    expect(block).to_contain_text("现场作业", timeout=15_000)
    expect(block).to_contain_text("恢复供气")
    expect(block).to_contain_text("1/11")  # the warning zone of the checklist's 11 items
    expect(block).to_contain_text(f"{len(meters)}/{len(meters)}")
    expect(block).to_contain_text("燃气浓度 30 %LEL")
    expect(block).to_contain_text("用户已签字 · 合计 120.00 元")
    expect(block.locator("img.site-progress-thumb")).to_have_count(1)
    wall.screenshot(path=str(artifacts_dir / "crew_site_on_the_wall_1920x1080.png"))
    wall.close()
    for item in POST_REPAIR:  # the job finished, so the next leak here is not its duplicate
        _site_post(base, tid, "/site/checks", {"item": item})
    _site_post(base, tid, "/site/readings", {"lel_percent": 0.0})
    _walk(base, tid, ("closed",))
    assert _unexpected(errors) == []


def _waiting(page) -> int:
    return int(page.locator("#crew-pending").get_attribute("data-count") or "0")


@pytest.mark.browser
def test_taps_made_offline_are_kept_and_sent_once_each_in_order_when_the_connection_returns(
    served,  # noqa: F811
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    base, dsn = served
    errors: list[str] = []
    ticket = _assigned(base, dsn, "Kaisaniemenkatu 7")
    tid = ticket["id"]
    page = _crew_page(browser, base, 390, 844, errors=errors)
    number = page.locator("#crew-current .crew-number")
    expect(number).to_have_text(ticket["number"], timeout=15_000)
    # The service worker took the page: from the next visit on, it opens without a connection.
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)
    expect(number).to_have_text(ticket["number"], timeout=15_000)
    page.wait_for_timeout(1_000)  # the first drawing's requests kept by the worker

    page.context.set_offline(True)
    # The emulated cut can reach the browser's network a moment after the call returns (seen
    # on a loaded machine: the first tap still went out): tap only once a POST like the taps'
    # fails (a POST: the service worker answers GETs from its cache).
    page.wait_for_function(
        "() => fetch('/healthz', {method: 'POST'}).then(() => false, () => true)",
        timeout=15_000,
        polling=200,
    )
    for step in ("accepted", "en_route", "on_site"):
        _tap_step(page, step)
    page.locator("#crew-reading-form [data-field=lel_percent] input").fill("12.5")
    page.locator(".crew-reading-button").click()

    expect(page.locator("#crew-pending")).to_contain_text("4 项操作等待发送")
    expect(page.locator("#crew-pending")).to_contain_text("无网络")
    page.screenshot(path=str(artifacts_dir / "crew_offline_390x844.png"), full_page=True)
    assert _status(dsn, tid) == "assigned"
    # Opened again without a connection: the page, its job and its waiting taps are there.
    page.reload()
    expect(number).to_have_text(ticket["number"], timeout=15_000)
    expect(page.locator("#crew-pending")).to_contain_text("4 项操作等待发送")
    assert _status(dsn, tid) == "assigned"

    page.context.set_offline(False)

    page.wait_for_function(
        "() => document.getElementById('crew-pending').dataset.count === '0'", timeout=20_000
    )
    events = fetch_all(
        dsn,
        "SELECT event_type, to_status, data->>'lel_percent' FROM ticket_events"
        " WHERE ticket_id = %s AND event_type IN ('status_changed', 'gas_reading') ORDER BY id",
        (tid,),
    )
    assert events == [
        ("status_changed", "accepted", None),
        ("status_changed", "en_route", None),
        ("status_changed", "on_site", None),
        ("gas_reading", None, "12.5"),
    ]
    assert _status(dsn, tid) == "on_site"
    expect(page.locator(".crew-reading")).to_have_count(1, timeout=10_000)
    # JSON sent as text/plain (what another site's form could send) is no API call with the
    # page's cookie: only a JSON body rides on the session.
    refused = page.request.post(
        f"{base}/api/v1/tickets/{tid}/transition",
        data='{"status": "made_safe"}',
        headers={"Content-Type": "text/plain"},
    )
    assert refused.status == 401
    assert _status(dsn, tid) == "on_site"
    _cancel(base, tid)
    page.context.close()
    assert _unexpected(errors) == []


@pytest.mark.browser
def test_a_hazard_notice_from_the_phone_with_a_photo_and_the_customers_refusal(
    served,  # noqa: F811
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    base, dsn = served
    errors: list[str] = []
    ticket = _assigned(base, dsn, "Kaisaniemenkatu 15")
    tid = ticket["id"]
    _walk(base, tid, ("accepted", "en_route", "on_site"))
    page = _crew_page(browser, base, 360, 740, errors=errors)
    form = page.locator("#crew-hazard-form")
    expect(form).to_be_visible(timeout=15_000)
    meter = int(form.locator("[data-field=meter_id] select").input_value())
    form.locator("[data-field=hazard_type] select").select_option("aged_hose")
    form.locator("[data-field=fix_by] input").fill("2099-12-31")
    with page.expect_file_chooser() as chooser:
        page.locator("#crew-hazard-photo").click()
    chooser.value.set_files(
        files=[{"name": "hose.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    expect(page.locator("#crew-hazard-photo")).to_contain_text("已附照片")

    form.locator(".crew-refused").click()  # the customer will not sign

    expect(page.locator(".crew-hazard-open")).to_have_count(1, timeout=15_000)
    expect(page.locator(".crew-hazard-open")).to_contain_text("胶管老化")
    expect(page.locator(".crew-hazard-open")).to_contain_text("用户拒绝签字")
    notices = fetch_all(
        dsn,
        "SELECT meter_id, hazard_type, signature_png IS NULL, refused_at IS NOT NULL"
        " FROM hazard_notices WHERE ticket_id = %s",
        (tid,),
    )
    assert notices == [(meter, "aged_hose", True, True)]
    photos = fetch_all(dsn, "SELECT note FROM ticket_photos WHERE ticket_id = %s", (tid,))
    assert photos == [("aged_hose",)]
    # The household with the open hazard may only be kept off.
    household = page.locator(f".crew-household[data-meter='{meter}']")
    expect(household.locator(".crew-mark-kept_off")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "crew_hazard_360x740.png"), full_page=False)
    _fits_the_phone(page, 360)
    _cancel(base, tid)
    page.context.close()
    assert _unexpected(errors) == []

"""The hotline page in a real headless Chromium at 1920 × 1080 on the Helsinki demo with
road routing: a hotline agent takes a call by keyboard alone in under a minute (the ticket is
in the database with the right customer and type); a dispatcher sees an emergency's safety
advice and the open ticket nearby before saving, and adds the call to it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from dispatch import ticket_service
from dispatch.actor import Actor
from dispatch.api import Api
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_all
from tests.e2e.conftest import serving
from tests.e2e.test_role_pages import _logged_in

# Hand-made customers at Kluuvi, in the demo territory.
KLUUVI = (24.9466, 60.1712)
FIRST = (9_300_001, "HX93000001", "993000001", "赵刚", "13987650001", "Kluuvikatu 7, apt 5")
SECOND = (9_300_002, "HX93000002", "993000002", "钱琳", "13987650002", "Kluuvikatu 9")


@pytest.fixture(scope="module")
def served(demo_template, make_database):
    dsn = make_database(template=demo_template)
    with UnitOfWork(dsn) as uow:
        uow.cur.execute(
            "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'"
        )
        for offset, row in enumerate((FIRST, SECOND)):
            uow.cur.execute(
                "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone,"
                " address, category, geom) VALUES (%s, %s, %s, %s, %s, %s, 'residential',"
                " ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
                (*row, KLUUVI[0] + offset * 0.0003, KLUUVI[1]),
            )
    with serving(dsn, api=Api(dsn, ports=ports_for_territory(dsn))) as url:
        yield url, dsn


@pytest.mark.browser
def test_a_hotline_agent_takes_a_call_with_the_keyboard_alone_in_under_a_minute(
    served,
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    url, dsn = served
    errors: list[str] = []
    page = _logged_in(browser, url, "hotline", errors=errors)
    search = page.locator("#hl-search")
    expect(search).to_be_focused(timeout=15_000)

    started = time.monotonic()
    page.keyboard.type("8765 0001")  # a fragment of the phone, as the caller says it
    expect(page.locator(".hl-result").first).to_have_attribute(
        "data-customer", "9300001", timeout=15_000
    )
    page.keyboard.press("Enter")
    expect(page.locator("#hl-file-facts")).to_contain_text("993000001", timeout=15_000)
    expect(page.locator("#hl-type-input")).to_be_focused(timeout=15_000)
    page.keyboard.type("表具")
    page.keyboard.press("Enter")
    expect(page.locator(".hl-type-chosen")).to_have_attribute(
        "data-type", "meter_fault", timeout=15_000
    )
    expect(page.locator("#hl-save")).to_be_focused(timeout=15_000)
    page.keyboard.press("Enter")
    number = page.locator(".hl-saved-number")
    expect(number).to_be_visible(timeout=20_000)
    took = time.monotonic() - started
    assert took < 60, f"taking the call took {took:.1f} s"

    rows = fetch_all(
        dsn,
        "SELECT ticket_type, account_no, meter_id, customer_name, customer_phone, taken_by,"
        " receiving_department FROM tickets WHERE number = %s",
        (number.inner_text(),),
    )
    assert rows == [
        ("meter_fault", "993000001", 9_300_001, "赵刚", "13987650001", "hotline", "repair_service")
    ]
    expect(page.locator(".hl-tell")).to_contain_text("班组")  # the crew to tell the caller
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "hotline_keyboard_1920x1080.png"), full_page=True)
    page.context.close()
    assert errors == []


@pytest.mark.browser
def test_a_dispatcher_reads_the_leak_advice_sees_the_open_ticket_nearby_and_adds_the_call(
    served,
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    url, dsn = served
    with UnitOfWork(dsn) as uow:
        first = ticket_service.open_ticket(
            uow,
            {"type": "gas_leak", "account_no": "993000001", "caller_name": "A neighbour"},
            Actor("hotline", "hotline_agent"),
            datetime.now(UTC),
        )["ticket"]
    errors: list[str] = []
    page = _logged_in(browser, url, "dispatcher", errors=errors)
    page.goto(f"{url}/hotline")
    page.locator("#hl-search").fill("993000002")
    page.locator(".hl-result").first.click()
    expect(page.locator("#hl-file-facts")).to_contain_text("钱琳", timeout=15_000)
    page.locator("#hl-type-input").fill("leak")
    expect(page.locator(".hl-type-first")).to_have_attribute(
        "data-type", "gas_leak", timeout=15_000
    )
    page.locator("[data-type=gas_leak]").click()
    banner = page.locator(".hl-emergency-banner")
    expect(banner).to_contain_text("抢险", timeout=15_000)
    expect(page.locator(".hl-advice").first).to_contain_text("严禁明火")
    expect(page.locator(".hl-advice").first).to_contain_text("打开门窗")
    nearby = page.locator(f".hl-nearby-row[data-ticket='{first['id']}']")
    expect(nearby).to_contain_text(first["number"], timeout=15_000)
    page.locator("#hl-caller-phone").fill("13900007777")
    page.locator("#hl-promised-reply").fill("+30")
    page.wait_for_timeout(800)  # the street layer settles
    page.screenshot(path=str(artifacts_dir / "hotline_dispatcher_1920x1080.png"), full_page=True)
    nearby.locator("button").click()
    expect(nearby.locator("button")).to_have_class("hl-button hl-link hl-link-chosen")
    page.locator("#hl-save").click()
    expect(page.locator(".hl-saved")).to_contain_text(first["number"], timeout=20_000)

    rows = fetch_all(
        dsn,
        "SELECT ticket_type, parent_ticket_id, account_no, promised_reply_at IS NOT NULL"
        " FROM tickets WHERE taken_by = 'dispatcher'",
    )
    assert rows == [("gas_leak", first["id"], "993000002", True)]
    expect(page.locator(".hl-replies")).to_contain_text("漏气", timeout=15_000)
    page.context.close()
    assert errors == []


@pytest.mark.browser
def test_an_admin_in_english_finds_a_customer_by_a_misspelt_address(
    served,
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    url, _dsn = served
    errors: list[str] = []
    page = _logged_in(browser, url, "admin", errors=errors)
    page.goto(f"{url}/hotline")
    page.locator(".site-lang").click()
    expect(page.locator("label[for=hl-search]")).to_have_text("Find the customer", timeout=15_000)
    page.locator("#hl-search").fill("Kluuvikatuu 9")  # one letter too many
    first = page.locator(".hl-result").first
    expect(first).to_have_attribute("data-customer", "9300002", timeout=15_000)
    expect(first).to_contain_text("address")
    page.keyboard.press("Enter")
    expect(page.locator("#hl-file-facts")).to_contain_text("Kluuvikatu 9", timeout=15_000)
    page.locator("#hl-type-input").fill("third")
    page.keyboard.press("Enter")
    expect(page.locator(".hl-emergency-banner")).to_contain_text("EMERGENCY", timeout=15_000)
    expect(page.locator(".hl-advice").first).to_contain_text("Keep away from the leak")
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts_dir / "hotline_admin_en_1920x1080.png"), full_page=True)
    page.context.close()
    assert errors == []

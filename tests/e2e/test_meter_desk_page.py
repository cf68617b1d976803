"""The meter desk (/meters) in a real headless Chromium at 1920 × 1080 (and a 390 px phone), on
the demo with three meters read in the reading month and three tasks: the team lead lands on
it, reads the month's figures, filters the tasks and requests a top-up of 1,200 m³ (over
1,000 m³: team lead, manager, finance manager, vice-president, admin); nobody signs their own
request, so a second team lead signs step 1 and it waits for the manager; the finance manager
sees it without buttons until the manager has approved it; a dispatcher has no way to the
page. Every step's signature is checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch import auth, meter_repository
from dispatch.cli import DEMO_PASSWORD
from dispatch.meter_figures import reading_month
from dispatch.meter_rules import add_months
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_all, fetch_value
from tests.e2e.conftest import serving
from tests.e2e.test_map_page import log_in

REASON = "表具走字异常，核实后补收气费"


@pytest.fixture(scope="module")
def served_meters(demo_template, make_database):
    """The demo with readings on the 20th of the reading month for its first three meters, a
    re-read and a home check of the first meter in that month, a valve-closing candidate of the
    second from three months before, and a second team lead (meterlead2)."""
    import pandas as pd

    dsn = make_database(template=demo_template)
    now = datetime.now(UTC)
    month = reading_month(now.date())
    meters = fetch_all(dsn, "SELECT id, meter_no FROM customer_meters ORDER BY id LIMIT 3")
    day = month.replace(day=20)
    frame = pd.DataFrame(
        {
            "meter_id": [m[0] for m in meters],
            "read_on": [day] * 3,
            "reading_m3": [1200.0, 300.0, 50.0],
            "consumption": [None] * 3,
            "reader": ["李师傅"] * 3,
            "source": ["import"] * 3,
        }
    )
    earlier = add_months(month, -3)
    tasks = pd.DataFrame(
        {
            "kind": ["re_read", "home_check", "valve_closing"],
            "meter_id": [meters[0][0], meters[0][0], meters[1][0]],
            "month": [month, month, earlier],
            "value": [120.0, 120.0, 3.0],
        }
    )
    with UnitOfWork(dsn) as uow:
        meter_repository.ensure_month_partitions(uow.cur, [day])
        assert meter_repository.copy_readings(uow.cur, frame, at=now) == 3
        assert meter_repository.insert_tasks(uow.cur, tasks) == 3
        auth.add_user(uow, "meterlead2", "meter_team_lead", DEMO_PASSWORD)
    with serving(dsn) as url:
        yield {"url": url, "dsn": dsn, "month": month, "meter_no": meters[0][1]}


def _page(browser, base: str, user: str, *, lands="/meters", width=1920, height=1080, errors=None):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, user, lands=lands)
    return page


def _chain(dsn: str) -> list[tuple]:
    return fetch_all(
        dsn,
        "SELECT a.step, a.role, a.decision, a.decided_by FROM meter_adjustment_approvals a"
        " JOIN meter_adjustments m ON m.id = a.adjustment_id WHERE m.reason = %s ORDER BY step",
        (REASON,),
    )


@pytest.mark.browser
def test_the_team_lead_lands_on_the_desk_reads_the_month_and_requests_a_large_top_up(
    served_meters, browser, artifacts_dir
):
    from playwright.sync_api import expect

    s = served_meters
    url, dsn = s["url"], s["dsn"]
    due = fetch_value(dsn, "SELECT count(*) FROM customer_meters")
    errors: list[str] = []
    page = _page(browser, url, "meterlead", errors=errors)

    assert page.url == f"{url}/meters"
    expect(page.locator(".site-nav a")).to_have_count(1, timeout=10_000)
    assert page.locator(".site-nav a").get_attribute("href") == "/meters"
    # The month: 3 of the demo's meters read, the rest missed.
    figures = page.locator("#md-figures")
    expect(figures.locator('[data-figure="read_of_due"]')).to_contain_text(
        f"3 / {due:,}", timeout=10_000
    )
    expect(figures.locator('[data-figure="missed"]')).to_contain_text(f"{due - 3:,}")
    expect(figures.locator('[data-figure="read_rate"]')).to_contain_text(f"{300 / due:.2f}%")
    assert figures.locator('[data-count="of_month"] td').all_inner_texts() == ["1", "1", "0"]
    assert figures.locator('[data-count="open"] td').all_inner_texts() == ["1", "1", "1"]

    # The open tasks, then the home checks only.
    rows = page.locator(".md-task-table tbody tr")
    expect(rows).to_have_count(3, timeout=10_000)
    page.locator("#md-kind label", has_text="入户核查").click()
    expect(rows).to_have_count(1, timeout=10_000)
    assert rows.first.get_attribute("data-kind") == "home_check"
    page.locator("#md-status label", has_text="已完成").click()
    expect(page.locator(".md-tasks")).to_contain_text("没有符合条件的任务", timeout=10_000)

    # An unknown meter: the service's refusal in a warning box, nothing stored.
    page.fill("#md-meter", "NO-SUCH-METER")
    page.fill("#md-volume", "1200")
    page.fill("#md-reason", REASON)
    page.locator("#md-request").click()
    expect(page.locator("#md-request-notice .desk-warning")).to_contain_text(
        "no meter or account NO-SUCH-METER", timeout=10_000
    )
    assert fetch_value(dsn, "SELECT count(*) FROM meter_adjustments") == 0

    page.fill("#md-meter", s["meter_no"])
    page.locator("#md-direction label", has_text="补气费").click()
    page.locator("#md-request").click()
    expect(page.locator("#md-request-notice")).to_contain_text("待抄表班组长审批", timeout=10_000)
    card = page.locator(".md-adj")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card).to_contain_text("1,200 方")
    steps = card.locator(".md-step")
    assert [x.get_attribute("data-role") for x in steps.all()] == [
        "meter_team_lead",
        "manager",
        "finance_manager",
        "vice_president",
        "admin",
    ]
    assert steps.first.get_attribute("data-state") == "next"
    # Its own request: no buttons for the one who asked.
    assert card.locator("button").count() == 0
    row = fetch_all(dsn, "SELECT direction, volume_m3, status, requested_by FROM meter_adjustments")
    assert [(d, float(v), st, by) for d, v, st, by in row] == [
        ("top_up", 1200.0, "pending", "meterlead")
    ]

    # A second team lead signs step 1; then it waits for the manager.
    other = _page(browser, url, "meterlead2", errors=errors)
    approve = other.locator(".md-adj .md-approve")
    expect(approve).to_have_count(1, timeout=10_000)
    approve.click()
    expect(other.locator("#md-decide-notice")).to_contain_text("已同意退补", timeout=10_000)
    assert _chain(dsn) == [(1, "meter_team_lead", "approved", "meterlead2")]
    other.context.close()

    page.reload()
    card = page.locator(".md-adj")
    expect(card.locator(".md-waits")).to_have_text("待经理审批", timeout=10_000)
    expect(card.locator('.md-step[data-step="1"]')).to_contain_text("meterlead2")
    assert card.locator('.md-step[data-step="2"]').get_attribute("data-state") == "next"
    page.screenshot(path=str(artifacts_dir / "meter_desk_team_lead_1920x1080.png"), full_page=True)
    page.context.close()
    assert errors == [], errors


@pytest.mark.browser
def test_the_finance_manager_sees_the_waiting_top_up_but_no_buttons_before_their_step(
    served_meters, browser, artifacts_dir
):
    from playwright.sync_api import expect

    s = served_meters
    if not _chain(s["dsn"]):
        pytest.skip("needs the top-up the team lead's test requests")
    errors: list[str] = []
    page = _page(browser, s["url"], "finance", errors=errors)

    card = page.locator(".md-adj")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card.locator(".md-waits")).to_have_text("待经理审批")
    assert card.locator("button").count() == 0
    # What a finance manager may not use is not drawn: no request form, no task list.
    assert page.locator("#md-request").count() == 0
    assert page.locator("#md-kind").count() == 0
    expect(page.locator('[data-figure="read_rate"]')).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "meter_desk_finance_waiting_1920x1080.png"))
    page.context.close()
    assert errors == [], errors


@pytest.mark.browser
def test_the_manager_approves_and_the_chain_moves_on_to_the_finance_manager(
    served_meters, browser, artifacts_dir
):
    from playwright.sync_api import expect

    s = served_meters
    url, dsn = s["url"], s["dsn"]
    if not _chain(dsn):
        pytest.skip("needs the top-up the team lead's test requests")
    errors: list[str] = []
    page = _page(browser, url, "manager", lands="/manager", errors=errors)
    page.locator('.site-nav a[href="/meters"]').click()
    page.wait_for_url(f"{url}/meters")

    card = page.locator(".md-adj")
    expect(card.locator(".md-approve")).to_have_count(1, timeout=10_000)
    expect(card.locator(".md-reject")).to_have_count(1)
    card.locator(".md-approve").click()
    expect(page.locator("#md-decide-notice")).to_contain_text("已同意退补", timeout=10_000)
    expect(card.locator(".md-waits")).to_have_text("待财务经理审批", timeout=10_000)
    assert card.locator("button").count() == 0
    assert _chain(dsn) == [
        (1, "meter_team_lead", "approved", "meterlead2"),
        (2, "manager", "approved", "manager"),
    ]
    assert fetch_value(dsn, "SELECT status FROM meter_adjustments") == "pending"
    page.screenshot(path=str(artifacts_dir / "meter_desk_manager_1920x1080.png"), full_page=True)
    page.context.close()

    # Now it is the finance manager's step: the buttons are there for them.
    page = _page(browser, url, "finance", errors=errors)
    expect(page.locator(".md-adj .md-approve")).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "meter_desk_finance_step_1920x1080.png"))
    page.context.close()
    assert errors == [], errors


@pytest.mark.browser
def test_a_dispatcher_has_no_link_to_the_meter_desk_and_is_refused_it(served_meters, browser):
    from playwright.sync_api import expect

    url = served_meters["url"]
    page = _page(browser, url, "dispatcher", lands="/wall")
    expect(page.locator(".site-nav a").first).to_be_visible(timeout=10_000)
    assert page.locator('a[href="/meters"]').count() == 0

    response = page.goto(f"{url}/meters")

    assert response.status == 403
    expect(page.locator(".refusal h2")).to_have_text("无权访问此页面", timeout=10_000)
    assert page.locator("#md-figures, .md-adj, #md-request").count() == 0
    page.context.close()


@pytest.mark.browser
def test_the_desk_fits_a_390px_phone_without_scrolling_sideways(
    served_meters, browser, artifacts_dir
):
    from playwright.sync_api import expect

    page = _page(browser, served_meters["url"], "meterlead", width=390, height=844)
    expect(page.locator(".md-task-table tbody tr").first).to_be_visible(timeout=10_000)
    expect(page.locator('[data-figure="read_rate"]')).to_be_visible()
    page.wait_for_timeout(500)

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert widths[0] <= 390 and widths[1] <= 390 and widths[2] == 390, widths
    page.screenshot(path=str(artifacts_dir / "meter_desk_team_lead_390.png"), full_page=True)
    page.context.close()


@pytest.mark.browser
def test_the_vice_president_reads_the_desk_on_a_3840x2160_screen_without_buttons_yet(
    served_meters, browser, artifacts_dir
):
    from playwright.sync_api import expect

    s = served_meters
    if not _chain(s["dsn"]):
        pytest.skip("needs the top-up the team lead's test requests")
    page = _page(browser, s["url"], "vp", width=3840, height=2160)
    card = page.locator(".md-adj")
    expect(card).to_have_count(1, timeout=10_000)
    expect(card.locator('.md-step[data-role="vice_president"]')).to_have_attribute(
        "data-state", "later"
    )
    assert card.locator("button").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 3840
    page.screenshot(path=str(artifacts_dir / "meter_desk_vice_president_3840x2160.png"))
    page.context.close()

"""The manager's page in a real headless Chromium at 1920 × 1080, on a generated history: the
response-time map shows coloured hexagons, the compliance table its figures, and the daily
leak log the day's rows, which the manager marks reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import report_service
from dispatch.actor import Actor
from dispatch.api import Api
from dispatch.simulation.history import generate
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from tests.e2e.conftest import serving
from tests.e2e.test_role_pages import _logged_in


@pytest.fixture(scope="module")
def served_with_history(demo_template, make_database):
    dsn = make_database(template=demo_template)
    ports = ports_for_territory(dsn)
    generate(dsn, ports.router, days=21, calls_per_day=120)
    with serving(dsn, api=Api(dsn, ports=ports)) as url:
        yield url, dsn


@pytest.mark.browser
def test_the_manager_sees_coloured_hexagons_the_compliance_and_the_days_leak_log(
    served_with_history,
    browser,
    artifacts_dir,
):
    from playwright.sync_api import expect

    url, dsn = served_with_history
    now = datetime.now(UTC)
    with UnitOfWork(dsn) as uow:
        today, _zone = report_service.territory_today(uow, now)
        log = report_service.leak_log(
            uow, Actor("manager", "manager"), today - timedelta(days=1), now
        )
    assert log["rows"]
    errors: list[str] = []
    page = _logged_in(browser, url, "manager", errors=errors)

    coloured = page.locator("path.mgr-hex-coloured")
    expect(coloured.first).to_be_visible(timeout=20_000)
    assert coloured.count() >= 3
    fills = {p.get_attribute("fill") for p in coloured.all()}
    assert fills <= {"#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"} and fills
    expect(page.locator(".mgr-summary")).to_contain_text("单已到场")
    rows = page.locator(".mgr-compliance-table tbody tr")
    expect(rows).to_have_count(4)
    assert rows.first.get_attribute("data-policy") == "urban"

    table = page.locator(".mgr-log-table tbody tr")
    expect(table).to_have_count(len(log["rows"]), timeout=10_000)
    first = table.first.locator("td")
    assert first.nth(0).inner_text() == log["rows"][0]["number"]
    assert first.nth(2).inner_text() == log["rows"][0]["received_at"][11:16]
    page.wait_for_timeout(800)  # the street layer settles
    page.screenshot(path=str(artifacts_dir / "manager_page_1920x1080.png"), full_page=True)

    page.locator("#mgr-log-review").click()
    expect(page.locator(".mgr-reviewed")).to_contain_text("manager", timeout=10_000)
    page.context.close()
    assert errors == []

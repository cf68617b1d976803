"""The replay on the manager's map in a real headless Chromium at 1920 × 1080: a hand-made day
(yesterday, local times) whose open incidents are counted by hand at several moments; moving
the time slider changes the count shown and the incidents and crews drawn."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import report_service
from dispatch.api import Api
from dispatch.simulation import history_repository as hr
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute, fetch_all
from tests.e2e.conftest import serving
from tests.e2e.test_role_pages import _logged_in
from tests.integration.test_manager_reports import P1, P2, P3, ticket


@pytest.fixture(scope="module")
def served_day(demo_template, make_database):
    """Yesterday (local): A 08:00-10:00, B 09:00 never closed, C 11:00 cancelled 11:30, and D
    received the day before at 22:00, closed 09:30; crew 1 reports at 08:30."""
    dsn = make_database(template=demo_template)
    assert fetch_all(dsn, "SELECT count(*) FROM tickets") == [(0,)]
    with UnitOfWork(dsn) as uow:
        today, zone_name = report_service.territory_today(uow, datetime.now(UTC))
    zone = ZoneInfo(zone_name)
    day = today - timedelta(days=1)

    def local(hh, mm=0, days=0):
        return datetime.combine(day + timedelta(days=days), time(hh, mm), zone).astimezone(UTC)

    tickets = [
        ticket(2001, "gas_leak", local(8), P1, arrived_min=20, crew=1, closed_at=local(10)),
        ticket(2002, "gas_leak", local(9), P2, status="new"),
        ticket(2003, "meter_fault", local(11), P3, status="cancelled", cancelled_at=local(11, 30)),
        ticket(2004, "gas_leak", local(22, days=-1), P2, arrived_min=30, crew=2),
    ]
    tickets[3]["closed_at"] = local(9, 30)
    with UnitOfWork(dsn) as uow:
        hr.write_history(uow.cur, tickets=tickets, assignments=[], events=[], callers=[])
    execute(
        dsn,
        "INSERT INTO crew_positions (crew_id, recorded_at, geom)"
        " VALUES (1, %s, ST_SetSRID(ST_MakePoint(24.95, 60.18), 4326))",
        (local(8, 30),),
    )
    # crews whose last fix before the day shows where they started it (the demo's, if older)
    before = {
        r[0]
        for r in fetch_all(
            dsn, "SELECT DISTINCT crew_id FROM crew_positions WHERE recorded_at < %s", (local(0),)
        )
    }
    ports = ports_for_territory(dsn)
    with serving(dsn, api=Api(dsn, ports=ports)) as url:
        yield url, day, before


#: (local time, open incidents) counted by hand from the day above.
MOMENTS = [("07:00", 1), ("09:15", 3), ("10:30", 1), ("11:15", 2), ("12:00", 1)]


@pytest.mark.browser
def test_moving_the_slider_changes_the_open_incidents_shown(served_day, browser, artifacts_dir):
    from playwright.sync_api import expect

    url, _day, before = served_day
    errors: list[str] = []
    page = _logged_in(browser, url, "manager", errors=errors)
    expect(page.locator("#replay-status")).not_to_be_empty(timeout=20_000)  # the day is read
    slider = page.locator("#replay-time")
    status = page.locator("#replay-status")
    for clock, n in MOMENTS:
        hh, mm = map(int, clock.split(":"))
        slider.fill(str(hh * 60 + mm))
        expect(status).to_have_text(f"{clock} 未完成事件 {n} 起", timeout=10_000)
        expect(page.locator("path.replay-ticket")).to_have_count(n)
        crews = len(before | ({1} if clock >= "08:30" else set()))
        expect(page.locator("path.replay-crew")).to_have_count(crews)
    page.locator(".replay-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "manager_replay_1920x1080.png"))
    page.context.close()
    assert errors == []

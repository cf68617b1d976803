"""The coverage panel of the manager's page in a real headless Chromium at 1920 × 1080 on the
Helsinki demo: the manager sees the reach drawn on the map, the uncovered street km and the
suggested moves but no "apply" button (a manager may not move crews); the admin applies a
move, which is recorded in crew_moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch import coverage_service
from dispatch.api import Api
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from gis.database import connect
from tests.dbutil import fetch_all
from tests.e2e.conftest import serving
from tests.e2e.test_role_pages import _logged_in

#: A target so tight that streets stay uncovered and some idle crew is better placed elsewhere
#: (as the coverage API's test shows for the demo).
TIGHT_MIN = 1


@pytest.fixture(scope="module")
def served(demo_template, make_database):
    dsn = make_database(template=demo_template)
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:  # fixes a minute old: every crew counts as located
            cur.execute("UPDATE crew_positions SET recorded_at = now() - interval '1 minute'")
            cur.execute(
                "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'"
            )
    finally:
        conn.close()
    ports = ports_for_territory(dsn)
    with serving(dsn, api=Api(dsn, ports=ports)) as url:
        yield url, dsn, ports


def _tight(page):
    target = page.locator("#cov-target")
    target.fill(str(TIGHT_MIN))
    target.press("Enter")


@pytest.mark.browser
def test_the_manager_sees_the_coverage_but_no_apply_button(served, browser, artifacts_dir):
    from playwright.sync_api import expect

    url, dsn, ports = served
    errors: list[str] = []
    page = _logged_in(browser, url, "manager", errors=errors)
    expect(page.locator(".cov-panel")).to_have_attribute("data-can-move", "0")
    _tight(page)
    expect(page.locator(".cov-moves-table tbody tr").first).to_be_visible(timeout=60_000)
    with UnitOfWork(dsn) as uow:
        cov = coverage_service.coverage(uow, ports.router, datetime.now(UTC), target_min=TIGHT_MIN)
    km = cov["uncovered_km_available"]
    assert km > 0
    expect(page.locator(".cov-uncovered")).to_contain_text(f"{km:.2f} km")
    moves = cov["suggestion"]["moves"]
    rows = page.locator(".cov-moves-table tbody tr")
    expect(rows).to_have_count(len(moves))
    first = rows.first.locator("td")
    assert first.nth(0).inner_text() == moves[0]["crew_code"]
    assert float(first.nth(3).inner_text()) < float(first.nth(2).inner_text())
    # drawn on the map: the reach of the depots and of the crews, the moves as lines
    expect(page.locator("path.cov-depots").first).to_be_attached()
    expect(page.locator("path.cov-crews").first).to_be_attached()
    expect(page.locator("path.cov-move")).to_have_count(len(moves))
    # what the manager may not do is not drawn
    assert page.locator(".cov-apply").count() == 0
    assert page.locator(".cov-moves-table th").count() == 4
    page.locator(".cov-panel").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "manager_coverage_1920x1080.png"), full_page=True)
    page.context.close()
    assert errors == []


@pytest.mark.browser
def test_the_admin_applies_a_suggested_move_which_is_recorded(served, browser, artifacts_dir):
    from playwright.sync_api import expect

    url, dsn, _ports = served
    errors: list[str] = []
    page = _logged_in(browser, url, "admin", errors=errors)
    page.goto(f"{url}/manager")
    expect(page.locator(".cov-panel")).to_have_attribute("data-can-move", "1", timeout=20_000)
    _tight(page)
    button = page.locator(".cov-apply").first
    expect(button).to_be_visible(timeout=60_000)
    row = page.locator(".cov-moves-table tbody tr").first
    crew = row.get_attribute("data-crew")
    after = float(row.locator("td").nth(3).inner_text())
    assert fetch_all(dsn, "SELECT count(*) FROM crew_moves") == [(0,)]
    button.click()
    expect(page.locator("#cov-notice")).to_contain_text(crew, timeout=20_000)
    moved = fetch_all(
        dsn,
        "SELECT c.code, m.moved_by, m.uncovered_after_km FROM crew_moves m"
        " JOIN crews c ON c.id = m.crew_id",
    )
    assert moved == [(crew, "admin", after)]
    page.screenshot(path=str(artifacts_dir / "manager_coverage_admin_1920x1080.png"))
    page.context.close()
    assert errors == []

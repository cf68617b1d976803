"""The manager's page's reports in a real headless Chromium on a generated history, logged in
as the manager at 1920 × 1080 and as the admin at 3840 × 2160: clicking a hexagon lists its
jobs, the weekly trend is drawn beside the map, hexagons with too few jobs are hatched, the
breakdown and measure tables show figures, and every download opens (CSV, offline HTML
map, PDFs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dispatch import manager_service, report_service
from dispatch.api import Api
from dispatch.simulation import history_repository as hr
from dispatch.simulation.history import generate
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from tests.e2e.conftest import serving
from tests.e2e.test_role_pages import _logged_in
from tests.integration.test_manager_reports import ticket


@pytest.fixture(scope="module")
def served_history(demo_template, make_database):
    dsn = make_database(template=demo_template)
    ports = ports_for_territory(dsn)
    generate(dsn, ports.router, days=21, calls_per_day=120)
    _a_lone_job(dsn)
    with serving(dsn, api=Api(dsn, ports=ports)) as url:
        yield url, dsn


def _a_lone_job(dsn: str) -> None:
    """One job, reached yesterday, at the street end farthest from every other job: its
    hexagon holds fewer jobs than the minimum, so it is drawn hatched."""
    with UnitOfWork(dsn) as uow:
        uow.cur.execute(
            "SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ST_StartPoint(geom) AS p"
            " FROM streets) s ORDER BY (SELECT s.p <-> t.geom FROM tickets t"
            " ORDER BY t.geom <-> s.p LIMIT 1) DESC LIMIT 1"
        )
        where = uow.cur.fetchone()
        received = datetime.now(UTC) - timedelta(days=1)
        job = ticket(990001, "gas_leak", received, (where["lon"], where["lat"]), arrived_min=25)
        hr.write_history(uow.cur, tickets=[job], assignments=[], events=[], callers=[])


def _download(page, button: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=30_000) as info:
        page.locator(button).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def _click_a_hexagon_inside_the_map(page, hexagons) -> None:
    """A real mouse click in the middle of a hexagon lying wholly inside the map's frame."""
    frame = page.locator("#mgr-map").bounding_box()
    for path in hexagons.all():
        box = path.bounding_box()
        if (
            box
            and box["x"] > frame["x"] + 60
            and box["y"] > frame["y"] + 60
            and box["x"] + box["width"] < frame["x"] + frame["width"] - 60
            and box["y"] + box["height"] < frame["y"] + frame["height"] - 60
        ):
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            return
    raise AssertionError("no hexagon lies inside the map's frame")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("user", "width", "height"), [("manager", 1920, 1080), ("admin", 3840, 2160)]
)
def test_a_hexagon_click_lists_its_jobs_and_every_download_opens(
    served_history, browser, artifacts_dir, user, width, height
):
    from playwright.sync_api import expect

    url, dsn = served_history
    errors: list[str] = []
    page = _logged_in(browser, url, user, width=width, height=height, errors=errors)
    if not page.url.endswith("/manager"):
        page.goto(f"{url}/manager")

    coloured = page.locator("path.mgr-hex-coloured")
    expect(coloured.first).to_be_visible(timeout=30_000)
    # The weekly trend beside the map: two lines (median and p90) over the weeks.
    expect(page.locator("#mgr-trend .scatterlayer .trace")).to_have_count(2, timeout=15_000)

    # Clicking a hexagon lists its jobs; the count agrees with the database's for that cell.
    listed = page.locator(".mgr-cell-table tbody tr")
    page.wait_for_load_state("networkidle")
    for _attempt in range(3):  # a click while the map still fits its bounds is not a click
        _click_a_hexagon_inside_the_map(page, coloured)
        try:
            listed.first.wait_for(timeout=10_000)
            break
        except Exception:
            page.wait_for_timeout(1000)
    expect(listed.first).to_be_visible(timeout=10_000)
    cell = page.locator("[data-cell]").get_attribute("data-cell")
    with UnitOfWork(dsn) as uow:
        today, _ = report_service.territory_today(uow, datetime.now(UTC))
        # the page's default period: the last 30 days up to yesterday
        period = manager_service.Period(uow, today - timedelta(days=30), today - timedelta(days=1))
        found = manager_service.cell_jobs(uow, period, datetime.now(UTC), 8, cell)
    expect(listed).to_have_count(len(found["jobs"]))
    assert listed.first.get_attribute("data-number") == found["jobs"][0]["number"]
    expect(page.locator(".mgr-cell-name")).to_contain_text(str(found["total"]))

    # The breakdown (per week by default) and the measures show figures.
    expect(page.locator(".mgr-breakdown-table tbody tr").first).to_be_visible(timeout=15_000)
    expect(page.locator(".mgr-m-workload tbody tr").first).to_be_visible()
    assert re.search(r"\d", page.locator(".mgr-m-resolution tbody").inner_text())
    page.wait_for_timeout(800)
    page.screenshot(
        path=str(artifacts_dir / f"manager_reports_{user}_{width}x{height}.png"), full_page=True
    )

    # Downloads: the breakdown's CSV, the offline map, the monthly PDF, the leak log PDF.
    name, data = _download(page, "#mgr-breakdown-csv")
    assert name.startswith("compliance-by-week-") and name.endswith(".csv")
    assert data.decode("utf-8-sig").splitlines()[0].startswith("week,policy,decided,met,missed")
    name, data = _download(page, "#mgr-export-map")
    html = data.decode("utf-8")
    assert name.endswith(".html") and cell in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?://", html)
    name, data = _download(page, "#mgr-export-pdf")
    assert name.startswith("monthly-report-") and data.startswith(b"%PDF")
    name, data = _download(page, "#mgr-export-log-pdf")
    assert name.startswith("leak-log-") and data.startswith(b"%PDF")
    name, data = _download(page, '[data-measure="workload"] button')
    assert data.decode("utf-8-sig").startswith("crew,shift,jobs,busy_h,duty_h,utilisation")

    # At level 9 the lone job's hexagon has too few jobs: drawn hatched, not coloured.
    page.locator("#mgr-resolution").click()
    page.get_by_text("H3 第 9 级", exact=False).click()
    sparse = page.locator("path.mgr-hex-sparse")
    expect(sparse.first).to_be_attached(timeout=20_000)
    assert sparse.first.get_attribute("fill") == "url(#mgr-hatch)"
    assert page.locator("pattern#mgr-hatch").count() == 1
    page.context.close()
    assert errors == []


def test_the_served_history_has_leak_reports(served_history):
    """The fixture's history is what the browser test looks at (a guard against an empty map)."""
    _, dsn = served_history
    now = datetime.now(UTC)
    with UnitOfWork(dsn) as uow:
        today, _ = report_service.territory_today(uow, now)
        log = report_service.leak_log(uow, None, today - timedelta(days=1), now)
    assert log["rows"]

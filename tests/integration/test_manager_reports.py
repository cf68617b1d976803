"""The manager's reports on PostGIS, on a small fixed history whose figures are worked out by
hand: the hexagon map grouped by the database, a hexagon's jobs, the weekly trend, compliance
per crew, the other measures, the exports (offline HTML map, PDFs) and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import h3
import pytest

from dispatch import kpis, manager_service, report_exports, report_service
from dispatch.actor import Actor
from dispatch.cli import main
from dispatch.manager_service import Period
from dispatch.simulation import history_repository as hr
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_all

MANAGER = Actor("manager", "manager")
LOCAL = timedelta(hours=2)  # Helsinki in early March
MIN = timedelta(minutes=1)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
P1 = (24.94, 60.17)  # three points in three different level-8 hexagons
P2 = (24.96, 60.19)
P3 = (24.90, 60.20)
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC) - LOCAL


def ticket(tid, kind, received, point, *, arrived_min=None, crew=None, **extra):
    arrived = None if arrived_min is None else received + arrived_min * MIN
    assigned = None if crew is None else received + 2 * MIN
    status = "closed" if arrived else ("cancelled" if extra.get("cancelled_at") else "assigned")
    row = {
        "id": tid,
        "number": f"M-{tid}",
        "ticket_type": kind,
        "priority": 1 if kind == "gas_leak" else 3,
        "status": status,
        "address": f"Street {tid}",
        "description": "",
        "taken_by": "hotline",
        "received_at": received,
        "jurisdiction": "urban",
        "arrival_due_at": received + 30 * MIN,
        "assigned_at": assigned,
        "on_site_at": arrived,
        "arrived_at": arrived,
        "closed_at": None if arrived is None else arrived + 40 * MIN,
        "crew_id": crew,
        "version": 1,
        "lon": point[0],
        "lat": point[1],
    }
    return row | extra


@pytest.fixture
def history(fresh_demo_dsn):
    """Seven calls in the fortnight 2-15 March 2026 (local times):

    1001 gas leak   Mon 9th 08:00 at P1, crew 1, arrived after 10 min
    1002 gas leak   Mon 9th 09:00 at P1, crew 1, 20 min (re-opened on the 10th after a callback)
    1003 gas leak   Mon 9th 10:00 at P1, crew 2, 40 min (late for the urban 30 min)
    1004 gas leak   Tue 10th 10:00 at P1, crew 2, never reached (past its deadline: missed)
    1005 meter fault Tue 3rd 10:00 at P2, crew 2, 50 min (P3: 24 h, met)
    1006 gas leak   Thu 12th 10:00 at P3, cancelled after 5 min, no crew
    1007 gas leak   Mon 9th 08:05 at P1, a second call linked to 1001
    """
    tickets = [
        ticket(1001, "gas_leak", at(9, 8), P1, arrived_min=10, crew=1),
        ticket(1002, "gas_leak", at(9, 9), P1, arrived_min=20, crew=1),
        ticket(1003, "gas_leak", at(9, 10), P1, arrived_min=40, crew=2),
        ticket(1004, "gas_leak", at(10, 10), P1, crew=2),
        ticket(1005, "meter_fault", at(3, 10), P2, arrived_min=50, crew=2),
        ticket(1006, "gas_leak", at(12, 10), P3, cancelled_at=at(12, 10, 5)),
        ticket(1007, "gas_leak", at(9, 8, 5), P1, parent_ticket_id=1001, status="new"),
    ]
    assignments = [
        {
            "ticket_id": t["id"],
            "crew_id": t["crew_id"],
            "assigned_at": t["assigned_at"],
            "assigned_by": "dispatcher",
            "automatic": False,
            "eta_s": 600.0,
            "released_at": t["assigned_at"] + timedelta(hours=1),
            "release_reason": "closed",
            "emergency": False,
        }
        for t in tickets
        if t["assigned_at"] is not None
    ]
    with UnitOfWork(fresh_demo_dsn) as uow:
        hr.write_history(uow.cur, tickets=tickets, assignments=assignments, events=[], callers=[])
        uow.cur.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor, event_type, from_status, to_status)"
            " VALUES (1002, %s, 'callback', 'reopened', 'closed', 'new')",
            (at(10, 12),),
        )
        uow.cur.execute(
            "INSERT INTO callback_draws (sampled_on, seed, window_lo, window_hi, drawn_by,"
            " drawn_at) VALUES ('2026-03-12', 1, 3, 5, 'manager', %s)",
            (at(12, 9),),
        )
        for tid, attitude, skill in ((1001, 10, 8), (1002, 7, 9), (1003, 5, 6)):
            uow.cur.execute(
                "INSERT INTO callbacks (ticket_id, worker, sampled_on, finished_at, status,"
                " attitude, skill, called_by, called_at) SELECT %s, c.code, '2026-03-12', %s,"
                " 'done', %s, %s, 'agent', %s FROM crews c WHERE c.id = %s",
                (tid, at(9, 12), attitude, skill, at(12, 11), 1 if tid != 1003 else 2),
            )
    return fresh_demo_dsn


def _cell(point, resolution=8):
    return h3.latlng_to_cell(point[1], point[0], resolution)


def test_the_map_is_grouped_by_the_database_with_hand_figures_and_sparse_cells(history):
    with UnitOfWork(history) as uow:
        period = Period(uow, FIRST, LAST)
        fc = manager_service.hexagon_map(uow, period, NOW, 8, min_jobs=3)
        exact = manager_service.hexagon_map(uow, period, NOW, 8, min_jobs=3, exact=True)
        pure = report_service.response_map(
            report_service.period_rows(uow, FIRST, LAST), 8, NOW, min_jobs=3
        )
    cells = {f["properties"]["cell"]: f["properties"] for f in fc["features"]}
    # P1: 10, 20, 40 reached (1004 not, 1007 linked): median 20; p90 h = 1.8 -> 20 + 0.8 * 20
    # = 36. Read from the 1-minute histogram each job sits in the middle of its bucket: 10.5,
    # 20.5, 40.5 -> median 20.5, p90 20.5 + 0.8 * 20 = 36.5 (within the bucket width).
    assert cells[_cell(P1)] == {
        "cell": _cell(P1),
        "jobs": 3,
        "median_min": 20.5,
        "p90_min": 36.5,
        "sparse": False,
    }
    # P2: one job of 50 min, fewer than 3: sparse. P3: nothing reached, no hexagon.
    assert cells[_cell(P2)]["jobs"] == 1 and cells[_cell(P2)]["sparse"] is True
    assert set(cells) == {_cell(P1), _cell(P2)}
    # Grouping the tickets themselves gives the exact figures, as the KPI module does.
    assert exact == pure
    exact_p1 = next(
        f["properties"] for f in exact["features"] if f["properties"]["cell"] == _cell(P1)
    )
    assert (exact_p1["median_min"], exact_p1["p90_min"]) == (20.0, 36.0)
    assert [f["geometry"] for f in fc["features"]] == [f["geometry"] for f in pure["features"]]


def test_a_hexagon_lists_its_jobs_in_the_order_received(history):
    with UnitOfWork(history) as uow:
        period = Period(uow, FIRST, LAST)
        found = manager_service.cell_jobs(uow, period, NOW, 8, _cell(P1), limit=3)
        jobs = manager_service.cell_jobs(uow, period, NOW, 8, _cell(P1))["jobs"]
        with pytest.raises(Exception) as bad:
            manager_service.cell_jobs(uow, period, NOW, 8, _cell(P1, 7))
    assert [j["number"] for j in jobs] == ["M-1001", "M-1002", "M-1003", "M-1004"]
    assert jobs[0]["received_at"] == "2026-03-09T08:00:00+02:00"
    assert [j["response_min"] for j in jobs] == [10.0, 20.0, 40.0, None]
    assert bad.value.field == "cell"
    assert found["total"] == 4 and len(found["jobs"]) == 3


def test_the_weekly_trend_has_the_median_and_p90_of_each_week(history):
    with UnitOfWork(history) as uow:
        trend = manager_service.weekly_trend(uow, Period(uow, FIRST, LAST), NOW)
        exact = manager_service.weekly_trend(uow, Period(uow, FIRST, LAST), NOW, exact=True)
        # 08:15 on the 9th: 1001 reached (08:10), 1002 and 1003 not yet.
        earlier = manager_service.weekly_trend(uow, Period(uow, FIRST, LAST), at(9, 8, 15))
    # Week of the 2nd: 1005 at 50 min. Week of the 9th: 10, 20, 40 min (1004 never reached,
    # 1007 linked): median 20, p90 h = 1.8 -> 20 + 0.8 * 20 = 36. From the 1-minute histograms
    # each job sits mid-bucket (10.5, 20.5, 40.5): 20.5 and 20.5 + 0.8 * 20 = 36.5.
    assert trend == [
        {"week": "2026-03-02", "jobs": 1, "median_min": 50.5, "p90_min": 50.5},
        {"week": "2026-03-09", "jobs": 3, "median_min": 20.5, "p90_min": 36.5},
    ]
    assert exact == [
        {"week": "2026-03-02", "jobs": 1, "median_min": 50.0, "p90_min": 50.0},
        {"week": "2026-03-09", "jobs": 3, "median_min": 20.0, "p90_min": 36.0},
    ]
    assert earlier == [
        {"week": "2026-03-02", "jobs": 1, "median_min": 50.5, "p90_min": 50.5},
        {"week": "2026-03-09", "jobs": 1, "median_min": 10.5, "p90_min": 10.5},
    ]


def test_the_period_summary_reads_the_histograms_and_agrees_with_the_exact_figures(history):
    with UnitOfWork(history) as uow:
        period = Period(uow, FIRST, LAST)
        summary = manager_service.response_summary(uow, period, NOW)
        earlier = manager_service.response_summary(uow, period, at(9, 8, 15))
        leaks = manager_service.response_summary(
            uow, Period(uow, FIRST, LAST, types=["meter_fault"]), NOW
        )
        empty = manager_service.response_summary(uow, Period(uow, LAST, LAST), NOW)
        exact = kpis.response_summary(report_service.period_rows(uow, FIRST, LAST), NOW)
    # Reached: 10, 20, 40, 50 min. Exact: median h = 1.5 -> 30, p90 h = 2.7 -> 47. Mid-bucket
    # (10.5, 20.5, 40.5, 50.5): 20.5 + 0.5 * 20 = 30.5 and 40.5 + 0.7 * 10 = 47.5.
    assert summary == {"jobs": 4, "median_min": 30.5, "p90_min": 47.5}
    assert exact == {"jobs": 4, "median_min": 30.0, "p90_min": 47.0}
    # At 08:15 on the 9th: 10 and 50 min reached: median 30.5, p90 10.5 + 0.9 * 40 = 46.5.
    assert earlier == {"jobs": 2, "median_min": 30.5, "p90_min": 46.5}
    assert leaks == {"jobs": 1, "median_min": 50.5, "p90_min": 50.5}
    assert empty == {"jobs": 0, "median_min": None, "p90_min": None}


def test_compliance_per_crew_counts_a_ticket_not_reached_by_its_deadline_as_missed(history):
    with UnitOfWork(history) as uow:
        codes = dict(fetch_all(history, "SELECT id, code FROM crews WHERE id IN (1, 2)"))
        rows = manager_service.compliance_breakdown(uow, Period(uow, FIRST, LAST), NOW, "crew")
        weeks = manager_service.compliance_breakdown(uow, Period(uow, FIRST, LAST), NOW, "week")
    urban = {r["group"]: r for r in rows if r["policy"] == "urban"}
    # crew 1: 10 and 20 min, both met. crew 2: 40 min missed, 1004 never reached -> missed,
    # the meter fault (P3, 24 h) met: 1 of 3.
    assert (urban[codes[1]]["decided"], urban[codes[1]]["met"]) == (2, 2)
    assert (urban[codes[2]]["decided"], urban[codes[2]]["missed"], urban[codes[2]]["share"]) == (
        3,
        2,
        0.333,
    )
    week = {r["group"]: r for r in weeks if r["policy"] == "urban"}
    assert (week["2026-03-02"]["met"], week["2026-03-09"]["decided"]) == (1, 4)
    csv = manager_service.compliance_csv(rows, "crew").splitlines()
    assert csv[0] == "crew,policy,decided,met,missed,share,target_share"
    assert f"{codes[2]},urban,3,1,2,0.333,1.0" in csv


def test_the_other_measures_on_the_fixed_history(history):
    with UnitOfWork(history) as uow:
        codes = dict(fetch_all(history, "SELECT id, code FROM crews WHERE id IN (1, 2)"))
        shift = dict(fetch_all(history, "SELECT id, shift FROM crews WHERE id = 1"))[1]
        figures = manager_service.measures(uow, Period(uow, FIRST, LAST), NOW)
    # 1001-1005 count (1006 cancelled, 1007 linked); closed 1001, 1002, 1003, 1005.
    assert figures["resolution"] == {"jobs": 5, "resolved": 4, "rate": 0.8}
    # of the 4 closed, 1002 was re-opened once.
    assert figures["first_time_pass"] == {"closed": 4, "passed": 3, "rate": 0.75}
    assert figures["complaints"]["received"] == 0
    by_worker = {r["group"]: r for r in figures["satisfaction"]["by_worker"]}
    # crew 1: attitude (10 + 7) / 2 = 8.5, skill (8 + 9) / 2 = 8.5; crew 2: 5, 6 -> 5.5
    assert (by_worker[codes[1]]["overall"], by_worker[codes[2]]["overall"]) == (8.5, 5.5)
    # overall: attitude 22/3 = 7.33, skill 23/3 = 7.67, mean 7.5
    assert figures["satisfaction"]["overall"][0]["overall"] == 7.5
    workload = {r["crew"]: r for r in figures["workload"]}
    # crew 1: 08:02-09:02 and 09:02-10:02 -> 2 h busy, 2 jobs, over 14 days of its shift
    hours = {"day": 12, "night": 12, "round_the_clock": 24}[shift]
    assert (workload[codes[1]]["jobs"], workload[codes[1]]["busy_h"]) == (2, 2.0)
    assert workload[codes[1]]["utilisation"] == round(2 / (hours * 14), 3)
    csv = manager_service.measures_csv(figures, "resolution").splitlines()
    assert csv == ["since,until,jobs,resolved,rate", "2026-03-02,2026-03-15,5,4,0.8"]


def test_the_html_map_opens_offline_and_holds_the_hexagons(history):
    with UnitOfWork(history) as uow:
        page = report_exports.map_html(uow, Period(uow, FIRST, LAST), NOW, 8)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=[\"']?https?://", page)
    assert not re.search(r"<link[^>]+href=[\"']?https?://", page)
    assert "{z}" not in page and "tile.openstreetmap" not in page
    assert "L.map(" in page and "window.L" in page  # Leaflet itself is written in
    assert _cell(P1) in page and _cell(P2) in page
    assert "© OpenStreetMap contributors" in page


def _pdf_text(data: bytes) -> tuple[int, str]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_the_pdfs_parse_and_hold_the_figures(history):
    with UnitOfWork(history) as uow:
        monthly = report_exports.monthly_pdf(uow, date(2026, 3, 1), NOW)
        log = report_service.leak_log(uow, MANAGER, date(2026, 3, 9), NOW)
        log_pdf = report_exports.leak_log_pdf(log)
        buckets = report_exports.buckets_pdf(
            report_service.leak_buckets(uow, MANAGER, date(2026, 3, 1), NOW)
        )
    assert monthly.startswith(b"%PDF")
    pages, text = _pdf_text(monthly)
    assert pages >= 2
    assert "Monthly response report - 2026-03" in text
    assert "urban" in text and "uk" in text and "2026-03-09" in text
    _, text = _pdf_text(log_pdf)
    # the 9th's leak reports: 1001, 1002, 1003 and the second call 1007 (1004 is the 10th's)
    for number in ("M-1001", "M-1002", "M-1003", "M-1007"):
        assert number in text
    assert "M-1004" not in text and "dup. of M-1001" in text
    assert "Not reviewed" in text
    _, text = _pdf_text(buckets)
    assert "Leak response in time buckets - 2026-03" in text


def test_the_cli_writes_the_monthly_pdf_and_the_map_and_refuses_a_bad_month(
    history, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("DATABASE_URL", history)
    out = tmp_path / "march.pdf"
    assert main(["report", "pdf", "--month", "2026-03", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    page = tmp_path / "map.html"
    argv = ["report", "map-html", "--since", "2026-03-02", "--until", "2026-03-15"]
    assert main([*argv, "--out", str(page)]) == 0
    assert _cell(P1) in page.read_text("utf-8")
    assert main(["report", "pdf", "--month", "March", "--out", str(out)]) == 2
    assert "month" in capsys.readouterr().err


def test_the_wall_shows_a_day_left_unreviewed_until_a_supervisor_reviews_it(history):
    from dispatch import repository as repo
    from dispatch import wall_read_model
    from dispatch.wall_live_state import WallLiveState

    live = WallLiveState(lambda: UnitOfWork(history))
    # Monday 9 March's log is due by 10:00 on Tuesday the 10th; at 10:00 the ticker raises it.
    # (The 3rd, the 10th and the 12th have leak reports too: their alarms are raised as well.)
    tuesday = at(10, 10)
    live.snapshot(tuesday)
    with UnitOfWork(history) as uow:
        raised = report_service.check_reviews(uow, tuesday)
    assert {"date": "2026-03-09", "due_at": at(10, 10).isoformat()} in raised
    with UnitOfWork(history) as uow:
        live.apply(repo.outbox_since(uow.cur, live.version))
    shown = [
        a for a in wall_read_model.alarms(live.snapshot(tuesday), set()) if a["ticket_id"] is None
    ]
    assert {
        "key": "leak_log_unreviewed:2026-03-09",
        "kind": "leak_log_unreviewed",
        "ticket_id": None,
        "text": "2026-03-09",
    } in shown
    with UnitOfWork(history) as uow:
        report_service.review_leak_log(uow, MANAGER, date(2026, 3, 9), at(10, 11))
    with UnitOfWork(history) as uow:
        live.apply(repo.outbox_since(uow.cur, live.version))
    keys = {a["key"] for a in wall_read_model.alarms(live.snapshot(at(10, 11)), set())}
    assert "leak_log_unreviewed:2026-03-09" not in keys
    # a fresh read of the wall agrees
    with UnitOfWork(history) as uow:
        fresh = wall_read_model.wall_snapshot(uow.cur, at(10, 11))
    assert "2026-03-09" not in [d["date"] for d in fresh["review_alarms"]]

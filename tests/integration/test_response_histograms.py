"""The response-time map read from the daily histograms the database keeps (migration 0022):
hand-written tickets with known response times give the hand-computed estimates of the median
and the 90th percentile (1-minute buckets: within a minute of the exact figures), sparse cells
are flagged, and the histograms follow a new arrival, a re-opening and a change of type at
once, without a rebuild; the rebuild gives the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import h3
import pytest

from dispatch import manager_repository, manager_service
from dispatch.cli import main
from dispatch.manager_service import Period
from dispatch.simulation import history_repository as hr
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_all

LOCAL = timedelta(hours=2)  # Helsinki in early March
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
P1 = (24.94, 60.17)  # three points in three different level-8 hexagons
P2 = (24.96, 60.19)
P3 = (24.90, 60.20)
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)
# The response times at P1, in minutes (to the second): two buckets hold one job, bucket 12
# holds three.
P1_MINUTES = (8.2, 12.1, 12.4, 12.9, 30.4, 45.9)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC) - LOCAL


def ticket(tid, received, point, *, minutes=None, kind="gas_leak", **extra):
    arrived = None if minutes is None else received + timedelta(seconds=round(minutes * 60))
    row = {
        "id": tid,
        "number": f"H-{tid}",
        "ticket_type": kind,
        "priority": 1 if kind == "gas_leak" else 3,
        "status": "closed" if arrived else "assigned",
        "address": f"Street {tid}",
        "description": "",
        "taken_by": "hotline",
        "received_at": received,
        "jurisdiction": "urban",
        "arrival_due_at": received + timedelta(minutes=30),
        "on_site_at": arrived,
        "arrived_at": arrived,
        "closed_at": None if arrived is None else arrived + timedelta(minutes=40),
        "version": 1,
        "lon": point[0],
        "lat": point[1],
    }
    return row | extra


@pytest.fixture
def history(fresh_demo_dsn):
    """P1: six gas leaks reached after P1_MINUTES (days 3 to 8), a seventh never reached, a
    second call linked to the first. P2: one meter fault reached after 200 minutes (beyond
    the last bucket). P3: one gas leak on the 12th, not reached yet."""
    tickets = [ticket(2001 + i, at(3 + i, 9), P1, minutes=m) for i, m in enumerate(P1_MINUTES)] + [
        ticket(2010, at(9, 9), P1),
        ticket(2011, at(3, 9, 1), P1, minutes=3.0, parent_ticket_id=2001),
        ticket(2020, at(4, 10), P2, minutes=200.0, kind="meter_fault"),
        ticket(2030, at(12, 10), P3),
    ]
    with UnitOfWork(fresh_demo_dsn) as uow:
        hr.write_history(uow.cur, tickets=tickets, assignments=[], events=[], callers=[])
    return fresh_demo_dsn


def _cell(point, resolution=8):
    return h3.latlng_to_cell(point[1], point[0], resolution)


def _map(dsn, now=NOW, types=None, resolution=8, priorities=None) -> dict:
    with UnitOfWork(dsn) as uow:
        fc = manager_service.hexagon_map(
            uow, Period(uow, FIRST, LAST, types, priorities), now, resolution, min_jobs=3
        )
    return {f["properties"]["cell"]: f["properties"] for f in fc["features"]}


def test_the_median_and_p90_read_from_the_histograms_are_the_hand_estimates(history):
    cells = _map(history)
    # Bucket 12's three jobs are taken as spread through it: 12 1/6, 12.5, 12 5/6; the others
    # sit in the middle of theirs: 8.5, 30.5, 45.5. Sorted, six values:
    # median h = 5 * 0.5 = 2.5 -> 12.5 + 0.5 * (12 5/6 - 12.5) = 12 2/3 -> 12.7
    # p90    h = 5 * 0.9 = 4.5 -> 30.5 + 0.5 * (45.5 - 30.5) = 38.0
    assert cells[_cell(P1)] == {
        "cell": _cell(P1),
        "jobs": 6,
        "median_min": 12.7,
        "p90_min": 38.0,
        "sparse": False,
    }
    # The exact figures (12.4 and 12.9 -> 12.65; 30.4 + 0.5 * 15.5 = 38.15) are within the
    # bucket width, one minute.
    assert abs(12.65 - cells[_cell(P1)]["median_min"]) < manager_repository.BUCKET_MIN
    assert abs(38.15 - cells[_cell(P1)]["p90_min"]) < manager_repository.BUCKET_MIN
    # P2: one job, fewer than 3: sparse (drawn hatched); 200 minutes lies in the last
    # bucket, read as its lower edge, 180. P3: nothing reached, no hexagon.
    assert cells[_cell(P2)] == {
        "cell": _cell(P2),
        "jobs": 1,
        "median_min": 180.0,
        "p90_min": 180.0,
        "sparse": True,
    }
    assert set(cells) == {_cell(P1), _cell(P2)}
    # Other resolutions and the type filter read their own rows.
    assert _map(history, types=["meter_fault"]) == {_cell(P2): cells[_cell(P2)]}
    assert _map(history, priorities=[3]) == {_cell(P2): cells[_cell(P2)]}
    assert _map(history, types=["gas_leak"], priorities=[3]) == {}
    assert {c: p["jobs"] for c, p in _map(history, resolution=9).items()} == {
        _cell(P1, 9): 6,
        _cell(P2, 9): 1,
    }


def test_a_report_as_of_a_past_moment_leaves_out_later_arrivals(history):
    # As of 8 March 09:20 local: the job of the 8th (45.9 min, arriving 09:45.9) is not
    # reached yet; five remain: 8.5, 12 1/6, 12.5, 12 5/6, 30.5 -> median 12.5,
    # p90 h = 3.6 -> 12 5/6 + 0.6 * (30.5 - 12 5/6) = 23.4.
    cells = _map(history, now=at(8, 9, 20))
    assert (cells[_cell(P1)]["jobs"], cells[_cell(P1)]["median_min"]) == (5, 12.5)
    assert cells[_cell(P1)]["p90_min"] == 23.4


def test_an_arrival_a_reopening_and_a_new_type_change_the_map_without_a_rebuild(history):
    assert _map(history)[_cell(P1)]["jobs"] == 6  # the cells and histograms are computed
    with UnitOfWork(history) as uow:
        # The crew reaches 2030 at P3 after 22 min 30 s, and 2010 at P1 after 50 minutes.
        uow.cur.execute(
            "UPDATE tickets SET arrived_at = received_at + interval '22 minutes 30 seconds',"
            " status = 'on_site' WHERE id = 2030"
        )
        uow.cur.execute(
            "UPDATE tickets SET arrived_at = received_at + interval '50 minutes' WHERE id = 2010"
        )
    cells = _map(history)
    assert cells[_cell(P3)] == {
        "cell": _cell(P3),
        "jobs": 1,
        "median_min": 22.5,
        "p90_min": 22.5,
        "sparse": True,
    }
    # P1 now 8.5, 12 1/6, 12.5, 12 5/6, 30.5, 45.5, 50.5: median 12 5/6 -> 12.8,
    # p90 h = 5.4 -> 45.5 + 0.4 * 5 = 47.5.
    assert (cells[_cell(P1)]["jobs"], cells[_cell(P1)]["median_min"]) == (7, 12.8)
    assert cells[_cell(P1)]["p90_min"] == 47.5
    with UnitOfWork(history) as uow:
        # 2030 is re-opened on the 13th (its clock starts again, the arrival cleared, as
        # Ticket.transition does): off the map until it is reached again.
        uow.cur.execute(
            "UPDATE tickets SET status = 'new', arrived_at = NULL, received_at = %s"
            " WHERE id = 2030",
            (at(13, 8),),
        )
    assert _map(history).get(_cell(P3)) is None
    with UnitOfWork(history) as uow:
        # Reached again after 40 minutes: counted once, on the 13th.
        uow.cur.execute(
            "UPDATE tickets SET arrived_at = received_at + interval '40 minutes' WHERE id = 2030"
        )
        # The meter fault at P2 was in fact a gas leak.
        uow.cur.execute("UPDATE tickets SET ticket_type = 'gas_leak' WHERE id = 2020")
    cells = _map(history)
    assert (cells[_cell(P3)]["jobs"], cells[_cell(P3)]["median_min"]) == (1, 40.5)
    assert _map(history, types=["meter_fault"]) == {}
    assert _map(history, types=["gas_leak"])[_cell(P2)]["jobs"] == 1
    # Every level holds each reached job once: P1 7, P2 1, P3 1.
    assert fetch_all(
        history,
        "SELECT resolution, sum(jobs)::int FROM response_histograms GROUP BY 1 ORDER BY 1",
    ) == [(7, 9), (8, 9), (9, 9)]
    # The rows emptied (P3 on the 12th, P2's meter fault) are gone, not left at zero.
    assert fetch_all(
        history,
        "SELECT count(*) FILTER (WHERE jobs = 0), count(*) FILTER (WHERE ticket_type ="
        " 'meter_fault' OR day = '2026-03-12') FROM response_histograms",
    ) == [(0, 0)]
    with UnitOfWork(history) as uow:
        # 2020 was in fact at P3: its cells are computed again, its job moves with them.
        uow.cur.execute(
            "UPDATE tickets SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = 2020",
            P3,
        )
    cells = _map(history)
    assert _cell(P2) not in cells and cells[_cell(P3)]["jobs"] == 2


def test_the_rebuild_gives_the_rows_kept_incrementally(history, monkeypatch):
    query = (
        "SELECT territory_id, resolution, cell, day, ticket_type, priority, jobs, counts"
        " FROM response_histograms ORDER BY resolution, cell, day, ticket_type"
    )
    _map(history)  # computes the cells, and with them the histograms
    with UnitOfWork(history) as uow:
        uow.cur.execute(
            "UPDATE tickets SET arrived_at = received_at + interval '1 hour' WHERE id = 2010"
        )
        uow.cur.execute("UPDATE tickets SET ticket_type = 'gas_leak' WHERE id = 2020")
    kept = fetch_all(history, query)
    # P1's gas leaks: 7 on 7 days, P2's (now a gas leak): 1 -> 8 rows per level.
    assert len(kept) == 24
    day_3 = [r for r in kept if r[1] == 8 and r[3] == date(2026, 3, 3)]
    assert [(r[4], r[6], [i for i, n in enumerate(r[7]) if n]) for r in day_3] == [
        ("gas_leak", 1, [8])
    ]
    with UnitOfWork(history) as uow:
        uow.cur.execute("DELETE FROM response_histograms")  # lost, say
    monkeypatch.setenv("DATABASE_URL", history)
    assert main(["report", "rebuild-histograms"]) == 0
    assert fetch_all(history, query) == kept

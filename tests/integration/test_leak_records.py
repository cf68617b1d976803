"""The regulators' records on PostGIS: the daily leak log of a fixed, hand-made history row by
row, the monthly response buckets, and the next-day review with its 10:00 alarm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch import kpis, report_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput
from dispatch.simulation import history_repository as hr
from dispatch.simulation.history import generate
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_all, fetch_value

MANAGER = Actor("manager", "manager")
# Helsinki is UTC+2 in early March (summer time starts on the 29th).
LOCAL = timedelta(hours=2)
MIN = timedelta(minutes=1)


def at(day: int, hh: int, mm: int) -> datetime:
    """A local Helsinki time on a day of March 2026, as UTC."""
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC) - LOCAL


def ticket(ticket_id, kind, received, *, arrived_min=None, assigned_min=None, **extra):
    arrived = None if arrived_min is None else received + arrived_min * MIN
    assigned = None if assigned_min is None else received + assigned_min * MIN
    status = "closed" if arrived else ("cancelled" if extra.get("cancelled_at") else "assigned")
    row = {
        "id": ticket_id,
        "number": f"T-{ticket_id}",
        "ticket_type": kind,
        "priority": 1 if kind == "gas_leak" else 2 if kind == "indoor_leak_repair" else 3,
        "status": status,
        "address": f"Street {ticket_id}",
        "description": "",
        "taken_by": "hotline",
        "received_at": received,
        "jurisdiction": "urban",
        "arrival_due_at": received + 30 * MIN,
        "assigned_at": assigned,
        "on_site_at": arrived,
        "arrived_at": arrived,
        "closed_at": None if arrived is None else arrived + 40 * MIN,
        "crew_id": 1 if assigned else None,
        "version": 1,
        "lon": 24.94,
        "lat": 60.17,
    }
    return row | extra


def assignment(ticket_id, assigned_at, crew_id=1):
    return {
        "ticket_id": ticket_id,
        "crew_id": crew_id,
        "assigned_at": assigned_at,
        "assigned_by": "dispatcher",
        "automatic": False,
        "eta_s": 600.0,
        "released_at": assigned_at + timedelta(hours=1),
        "release_reason": "closed",
        "emergency": False,
    }


@pytest.fixture
def fixed_history(fresh_demo_dsn):
    """Six calls around Monday 9 March 2026 (Helsinki):

    9001 gas leak     Mon 08:10, sent 08:12, arrived 08:30 (20 min)
    9002 indoor leak  Sun 23:50, sent 23:55, arrived Mon 01:00 (70 min) -- Sunday's log
    9003 gas leak     Mon 23:55, sent 23:58, arrived Tue 00:40 (45 min)
    9004 meter fault  Mon 10:00, arrived 10:30                -- not a leak
    9005 gas leak     Mon 12:00, cancelled 12:05, never sent
    9006 gas leak     Mon 08:15, a second call linked to 9001
    """
    tickets = [
        ticket(9001, "gas_leak", at(9, 8, 10), assigned_min=2, arrived_min=20),
        ticket(9002, "indoor_leak_repair", at(8, 23, 50), assigned_min=5, arrived_min=70),
        ticket(9003, "gas_leak", at(9, 23, 55), assigned_min=3, arrived_min=45),
        ticket(9004, "meter_fault", at(9, 10, 0), assigned_min=5, arrived_min=30),
        ticket(9005, "gas_leak", at(9, 12, 0), cancelled_at=at(9, 12, 5)),
        ticket(9006, "gas_leak", at(9, 8, 15), parent_ticket_id=9001, status="new"),
    ]
    assignments = [
        assignment(t["id"], t["assigned_at"]) for t in tickets if t["assigned_at"] is not None
    ]
    with UnitOfWork(fresh_demo_dsn) as uow:
        hr.write_history(uow.cur, tickets=tickets, assignments=assignments, events=[], callers=[])
    return fresh_demo_dsn


NOW = at(12, 12, 0)  # Thursday noon


def test_the_daily_leak_log_lists_every_leak_report_of_the_local_day_in_the_order_received(
    fixed_history,
):
    crew = fetch_value(fixed_history, "SELECT code FROM crews WHERE id = 1")
    with UnitOfWork(fixed_history) as uow:
        log = report_service.leak_log(uow, MANAGER, date(2026, 3, 9), NOW)
    keep = ("number", "received_at", "type", "dispatched_at", "arrived_at", "crew")
    keep += ("response_min", "duplicate_of")
    rows = [tuple(r[k] for k in keep) for r in log["rows"]]
    assert rows == [
        ("T-9001", "2026-03-09T08:10:00+02:00", "gas_leak", "2026-03-09T08:12:00+02:00",
         "2026-03-09T08:30:00+02:00", crew, 20.0, None),
        ("T-9006", "2026-03-09T08:15:00+02:00", "gas_leak", None, None, None, None, "T-9001"),
        ("T-9005", "2026-03-09T12:00:00+02:00", "gas_leak", None, None, None, None, None),
        ("T-9003", "2026-03-09T23:55:00+02:00", "gas_leak", "2026-03-09T23:58:00+02:00",
         "2026-03-10T00:40:00+02:00", crew, 45.0, None),
    ]  # fmt: skip
    assert log["rows"][0]["location"] == "Street 9001"
    assert (log["timezone"], log["review"], log["review_due_at"]) == (
        "Europe/Helsinki",
        None,
        "2026-03-10T10:00:00+02:00",
    )
    assert log["review_overdue"] is True  # Tuesday 10:00 is past on Thursday
    csv = report_service.leak_log_csv(log).splitlines()
    assert csv[0] == ",".join(report_service.LEAK_LOG_COLUMNS)
    assert csv[1].startswith("T-9001,Street 9001,24.94,60.17,2026-03-09T08:10:00+02:00,gas_leak,")
    assert len(csv) == 5


def test_the_monthly_summary_counts_leak_reports_in_response_buckets(fixed_history):
    with UnitOfWork(fixed_history) as uow:
        summary = report_service.leak_buckets(uow, MANAGER, date(2026, 3, 1), NOW)
    # Unlinked leak reports of March: 9001 (20), 9002 (70), 9003 (45), 9005 (never reached).
    # Median of 20 45 70 is 45; p90: h = 2 * 0.9 = 1.8 -> 45 + 0.8 * 25 = 65.
    assert summary == {
        "month": "2026-03",
        "timezone": "Europe/Helsinki",
        "reports": 4,
        "buckets": {"le_30": 1, "31_45": 1, "46_60": 0, "gt_60": 1, "not_reached": 1},
        "median_min": 45.0,
        "p90_min": 65.0,
    }


def test_the_database_counts_the_buckets_as_the_kpi_module_does_on_a_generated_history(
    fresh_demo_dsn,
):
    router = ports_for_territory(fresh_demo_dsn).router
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    generate(fresh_demo_dsn, router, days=4, until=date(2026, 3, 10), calls_per_day=80, now=now)
    with UnitOfWork(fresh_demo_dsn) as uow:
        summary = report_service.leak_buckets(uow, MANAGER, date(2026, 3, 1), now)
        uow.cur.execute(
            "SELECT ticket_type, priority, parent_ticket_id, received_at, arrived_at FROM tickets"
            " WHERE ticket_type IN ('gas_leak', 'indoor_leak_repair')"
            " AND received_at >= '2026-02-28 22:00Z'"
        )
        rows = list(uow.cur.fetchall())
    assert summary["reports"] == len(rows) > 10
    assert summary["buckets"] == kpis.leak_buckets(rows, now)
    pure = kpis.response_summary(rows, now)
    assert (summary["median_min"], summary["p90_min"]) == (pure["median_min"], pure["p90_min"])


def test_a_day_left_unreviewed_raises_one_alarm_at_10_the_next_working_day_and_not_before(
    fixed_history,
):
    # Friday 6 March's log (a leak at 14:00) is due Monday 9 March 10:00 local.
    friday = ticket(9010, "gas_leak", at(6, 14, 0), assigned_min=2, arrived_min=12)
    with UnitOfWork(fixed_history) as uow:
        hr.write_history(
            uow.cur,
            tickets=[friday],
            assignments=[assignment(9010, friday["assigned_at"])],
            events=[],
            callers=[],
        )
    with UnitOfWork(fixed_history) as uow:  # Saturday and Monday 09:59: not due yet
        assert report_service.check_reviews(uow, at(7, 12, 0)) == []
        assert report_service.check_reviews(uow, at(9, 9, 59)) == []
    with UnitOfWork(fixed_history) as uow:
        raised = report_service.check_reviews(uow, at(9, 10, 0))
    # Friday's and Sunday's (9002) logs are both due Monday 10:00 (08:00 UTC).
    assert raised == [
        {"date": "2026-03-06", "due_at": "2026-03-09T08:00:00+00:00"},
        {"date": "2026-03-08", "due_at": "2026-03-09T08:00:00+00:00"},
    ]
    outbox = fetch_all(fixed_history, "SELECT topic, kind, data->>'day' FROM outbox ORDER BY id")
    assert outbox == [
        ("report", "leak_log_unreviewed", "2026-03-06"),
        ("report", "leak_log_unreviewed", "2026-03-08"),
    ]
    with UnitOfWork(fixed_history) as uow:
        assert report_service.check_reviews(uow, at(9, 11, 0)) == []  # once
        # Monday 9 March's log is due only on Tuesday 10:00.
        assert report_service.check_reviews(uow, at(10, 9, 59)) == []
        report_service.review_leak_log(uow, MANAGER, date(2026, 3, 8), at(9, 11, 0))
        assert report_service.open_review_alarms(uow) == [
            {"date": "2026-03-06", "due_at": "2026-03-09T10:00:00+02:00"}
        ]
    assert fetch_value(fixed_history, "SELECT count(*) FROM leak_log_alarms") == 2


def test_a_reviewed_day_raises_no_alarm_and_clears_one_raised(fixed_history):
    with UnitOfWork(fixed_history) as uow:
        report_service.review_leak_log(uow, MANAGER, date(2026, 3, 8), at(9, 9, 0))
    with UnitOfWork(fixed_history) as uow:
        # Sunday was reviewed in time; Monday's is due Tuesday 10:00.
        assert report_service.check_reviews(uow, at(10, 10, 0)) == [
            {"date": "2026-03-09", "due_at": "2026-03-10T08:00:00+00:00"}
        ]
    with UnitOfWork(fixed_history) as uow:
        review = report_service.review_leak_log(uow, MANAGER, date(2026, 3, 9), at(10, 11, 0))
        assert review == {
            "date": "2026-03-09",
            "reviewed_by": "manager",
            "role": "manager",
            "reviewed_at": "2026-03-10T11:00:00+02:00",
        }
        assert report_service.open_review_alarms(uow) == []
        log = report_service.leak_log(uow, MANAGER, date(2026, 3, 9), at(10, 11, 0))
        assert log["review"]["reviewed_by"] == "manager" and log["review_overdue"] is False


def test_a_day_is_reviewed_once_and_only_when_it_is_over(fixed_history):
    with UnitOfWork(fixed_history) as uow:
        report_service.review_leak_log(uow, MANAGER, date(2026, 3, 9), at(10, 9, 0))
    admin = Actor("admin", "admin")
    with pytest.raises(Conflict, match="reviewed by manager"), UnitOfWork(fixed_history) as uow:
        report_service.review_leak_log(uow, admin, date(2026, 3, 9), at(10, 9, 30))
    with pytest.raises(InvalidInput, match="not over") as refused, UnitOfWork(fixed_history) as uow:
        report_service.review_leak_log(uow, admin, date(2026, 3, 10), at(10, 9, 30))
    assert refused.value.field == "date"
    assert fetch_value(fixed_history, "SELECT count(*) FROM leak_log_reviews") == 1


def test_the_ticker_raises_the_alarm_of_an_unreviewed_day_on_its_beat(fixed_history):
    from dispatch.ports import Ports
    from dispatch.ticker import Ticker
    from dispatch.ticket_service import Settings

    clock = type("Clock", (), {"now": at(10, 9, 59), "__call__": lambda self: self.now})()
    ticker = Ticker(fixed_history, Settings(), Ports(), clock=clock)
    # Sunday 8 March's log was due Monday 10:00; Monday 9 March's is due Tuesday 10:00.
    assert [a["date"] for a in ticker.tick()["unreviewed_leak_logs"]] == ["2026-03-08"]
    clock.now = at(10, 10, 0)
    assert [a["date"] for a in ticker.tick()["unreviewed_leak_logs"]] == ["2026-03-09"]
    assert ticker.tick()["unreviewed_leak_logs"] == []


class PageApi:
    """What the manager's page's callbacks use of the API: a unit of work and the clock."""

    def __init__(self, dsn, now):
        self.dsn, self.now = dsn, now

    def uow(self):
        return UnitOfWork(self.dsn)

    def clock(self):
        return self.now


def test_the_pages_review_button_records_the_review_or_says_why_not(fixed_history):
    from dashboards.manager_callbacks import log_view, review_day

    api = PageApi(fixed_history, at(10, 11, 0))
    manager = {"username": "manager", "role": "manager", "crew_id": None}
    dispatcher = {"username": "dispatcher", "role": "dispatcher", "crew_id": None}
    assert review_day(api, dispatcher, "2026-03-09", 0, "en")[1] == (
        "Your role may not review the leak log"
    )
    assert review_day(api, manager, "2026-03-10", 0, "en")[1] == (
        "The day is not over yet; it cannot be reviewed"
    )
    assert review_day(api, manager, "2026-03-09", 0, "en") == (1, "")
    assert (
        review_day(api, manager, "2026-03-09", 1, "en")[1] == "That day's log was reviewed already"
    )
    shown, _banner = log_view(api, manager, "en", "2026-03-09")
    state = shown.children[0]
    assert state.children == "Reviewed by manager at 2026-03-10 11:00"

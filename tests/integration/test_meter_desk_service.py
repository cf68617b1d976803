"""What the meter desk reads from :mod:`dispatch.meter_service` on a real PostGIS: a month's
figures (meters read / due, missed, tasks per kind), the adjustments waiting with their meter,
and a meter named by its meter or account number. Figures worked out by hand from the rows
written here."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dispatch import meter_service
from dispatch.actor import Actor
from dispatch.errors import InvalidInput, NotFound, PermissionDenied
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute

# meter id, meter_no, account_no (an account has one meter; meter 3's number is also
# written as another account's number, and the meter number wins)
METERS = [
    (1, "M-0001", "A-0001"),
    (2, "M-0002", "A-0002"),
    (3, "M-0003", "A-0003"),
    (4, "A-0003X", "M-0003"),
]
LEAD = Actor("meterlead", "meter_team_lead", None)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk_dsn(migrated_dsn) -> str:
    for meter_id, meter_no, account_no in METERS:
        execute(
            migrated_dsn,
            "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone, address,"
            " category, geom) VALUES (%s, %s, %s, 'Test', '010-5550100', 'Street 1',"
            " 'residential', ST_SetSRID(ST_MakePoint(24.94, 60.17), 4326))",
            (meter_id, meter_no, account_no),
        )
    execute(migrated_dsn, "SELECT meter_readings_ensure_month('2026-09-01')")
    execute(migrated_dsn, "SELECT meter_readings_ensure_month('2026-10-01')")
    # October: meters 1 and 2 on the 20th, meter 3 early (still October's); meter 4 only in
    # September, so October misses it.
    for meter_id, day, value in [
        (1, "2026-10-20", 100),
        (2, "2026-10-20", 200),
        (3, "2026-10-05", 300),
        (4, "2026-09-20", 400),
        (1, "2026-09-20", 90),
    ]:
        execute(
            migrated_dsn,
            "INSERT INTO meter_readings (meter_id, read_on, reading_m3, reader, source)"
            " VALUES (%s, %s, %s, 'Li', 'import')",
            (meter_id, day, value),
        )
    for meter_id, kind, month, status in [
        (1, "re_read", "2026-10-01", "open"),
        (1, "home_check", "2026-10-01", "done"),
        (2, "home_check", "2026-09-01", "open"),
        (3, "valve_closing", "2026-07-01", "open"),
    ]:
        execute(
            migrated_dsn,
            "INSERT INTO meter_tasks (meter_id, kind, month, status) VALUES (%s, %s, %s, %s)",
            (meter_id, kind, month, status),
        )
    return migrated_dsn


def test_octobers_figures_count_every_meter_due_and_those_read_in_october(desk_dsn):
    with UnitOfWork(desk_dsn) as uow:
        figures = meter_service.month_figures(uow, LEAD, date(2026, 10, 14))

    assert figures == {
        "month": "2026-10",
        "reading_day": "2026-10-20",
        "due": 4,
        "read": 3,
        "missed": 1,
        "read_rate": 0.75,
        "tasks": {
            "re_read": {"of_month": 1, "open": 1},
            "home_check": {"of_month": 1, "open": 1},  # October's is done; September's open
            "valve_closing": {"of_month": 0, "open": 1},
        },
    }


def test_septembers_figures_and_the_finance_manager_reads_them_but_a_dispatcher_may_not(
    desk_dsn,
):
    with UnitOfWork(desk_dsn) as uow:
        figures = meter_service.month_figures(
            uow, Actor("finance", "finance_manager", None), date(2026, 9, 1)
        )
        assert (figures["read"], figures["missed"], figures["read_rate"]) == (2, 2, 0.5)
        with pytest.raises(PermissionDenied):
            meter_service.month_figures(uow, Actor("d", "dispatcher", None), date(2026, 9, 1))


def test_only_the_waiting_adjustments_are_listed_oldest_first_with_their_meter(desk_dsn):
    with UnitOfWork(desk_dsn) as uow:
        body = {"direction": "refund", "reason": "misread"}
        first = meter_service.request_adjustment(
            uow, {**body, "meter_id": 2, "volume_m3": 600}, LEAD, NOW
        )
        second = meter_service.request_adjustment(
            uow, {**body, "meter_id": 1, "volume_m3": 20}, LEAD, NOW.replace(hour=10)
        )
        decided = meter_service.request_adjustment(
            uow, {**body, "meter_id": 4, "volume_m3": 30}, LEAD, NOW.replace(hour=11)
        )
        meter_service.decide_adjustment(
            uow, decided["id"], {"decision": "rejected"}, Actor("admin", "admin", None), NOW
        )
    with UnitOfWork(desk_dsn) as uow:
        waiting = meter_service.list_adjustments(uow, Actor("vp", "vice_president", None))
        with pytest.raises(InvalidInput) as bad:
            meter_service.list_adjustments(uow, LEAD, status="maybe")

    assert [(a["id"], a["meter_no"], a["account_no"], a["next_role"]) for a in waiting] == [
        (first["id"], "M-0002", "A-0002", "meter_team_lead"),  # 600 m³: the team lead first
        (second["id"], "M-0001", "A-0001", "admin"),  # 20 m³: the administrator only
    ]
    assert bad.value.field == "status"


@pytest.mark.parametrize(
    ("number", "meter_id"), [("M-0002", 2), (" M-0003 ", 3), ("A-0001", 1), ("A-0003X", 4)]
)
def test_a_meter_is_named_by_its_meter_number_first_else_by_its_account_number(
    desk_dsn, number, meter_id
):
    with UnitOfWork(desk_dsn) as uow:
        assert meter_service.meter_numbered(uow, number, LEAD)["id"] == meter_id


@pytest.mark.parametrize(
    ("number", "error"),
    [("   ", InvalidInput), ("", InvalidInput), ("M-9999", NotFound)],
)
def test_an_empty_box_or_an_unknown_number_is_refused_naming_the_field(desk_dsn, number, error):
    with UnitOfWork(desk_dsn) as uow, pytest.raises(error) as refused:
        meter_service.meter_numbered(uow, number, LEAD)

    assert refused.value.field == "meter_no"


def test_the_finance_manager_may_not_look_up_a_meter_for_a_request(desk_dsn):
    with UnitOfWork(desk_dsn) as uow, pytest.raises(PermissionDenied):
        meter_service.meter_numbered(uow, "M-0001", Actor("finance", "finance_manager", None))

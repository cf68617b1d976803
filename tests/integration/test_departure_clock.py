"""The departure clock of a Henan-style policy, stored and alarmed: the crew must be on its way
within 5 minutes of a P1 leak call; leaving (en route) stops the clock."""

from datetime import UTC, datetime, timedelta

from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.settings import build, load_settings
from dispatch.ticket_service import (
    Settings,
    assign_crew,
    check_clocks,
    open_ticket,
    transition_ticket,
)
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_value

T0 = datetime.now(UTC).replace(microsecond=0)
LEAK = {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}
SYSTEM = Actor("system", "dispatcher")
DISPATCHER = Actor("dispatcher", "dispatcher")
HENAN = build(Settings, load_settings({"DISPATCH__CLOCKS__JURISDICTIONS__URBAN": "henan"}))


def _open(dsn):
    with UnitOfWork(dsn) as uow:
        return open_ticket(uow, LEAK, Actor("hotline", "hotline_agent"), T0, HENAN)["ticket"]["id"]


def _check(dsn, minutes):
    with UnitOfWork(dsn) as uow:
        raised = check_clocks(uow, T0 + timedelta(minutes=minutes), SYSTEM, HENAN)
    return [(r["ticket_id"], r["clock"], r["kind"]) for r in raised if r["clock"] == "depart"]


def test_the_departure_deadline_is_stored_five_minutes_after_the_call(fresh_demo_dsn):
    ticket = _open(fresh_demo_dsn)

    stored = fetch_value(
        fresh_demo_dsn, "SELECT depart_due_at FROM tickets WHERE id = %s", (ticket,)
    )
    assert stored == T0 + timedelta(minutes=5)


def test_a_crew_not_on_its_way_is_at_risk_at_4_minutes_and_late_after_5(fresh_demo_dsn):
    ticket = _open(fresh_demo_dsn)

    assert _check(fresh_demo_dsn, 3.9) == []
    assert _check(fresh_demo_dsn, 4) == [(ticket, "depart", "deadline_at_risk")]
    assert _check(fresh_demo_dsn, 5.5) == [(ticket, "depart", "deadline_missed")]


def test_a_crew_that_left_in_time_stops_the_departure_clock(fresh_demo_dsn):
    ticket = _open(fresh_demo_dsn)
    with UnitOfWork(fresh_demo_dsn) as uow:
        crew = next(
            c
            for c in repo.list_crews(uow.cur)
            if c["status"] == "available" and "emergency" in c["skills"]
        )
        at = T0 + timedelta(minutes=1)
        assign_crew(uow, ticket, crew["id"], DISPATCHER, at)
        transition_ticket(uow, ticket, "accepted", DISPATCHER, at + timedelta(minutes=1))
        transition_ticket(uow, ticket, "en_route", DISPATCHER, at + timedelta(minutes=2))

    assert _check(fresh_demo_dsn, 10) == []

"""Auto-dispatch (off by default): a P1 ticket nobody assigned in time gets the best crew."""

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.actor import Actor
from dispatch.territory_ports import ports_for_territory
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings, open_ticket
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute, fetch_all, fetch_value

T0 = datetime.now(UTC).replace(microsecond=0)
LEAK = {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def ports(fresh_demo_dsn):
    return ports_for_territory(fresh_demo_dsn)


def _open(dsn, now, ports=None):
    """The ticket's id and the crews recommended for it at intake, best first."""
    with UnitOfWork(dsn) as uow:
        answer = open_ticket(uow, LEAK, Actor("hotline", "hotline_agent"), now, ports=ports)
    return answer["ticket"]["id"], answer["recommendations"]


def test_off_by_default_nothing_is_assigned(fresh_demo_dsn, ports):
    clock = Clock()
    ticket, _ = _open(fresh_demo_dsn, clock.now, ports)
    clock.now += timedelta(hours=1)

    Ticker(fresh_demo_dsn, Settings(), ports, clock=clock).tick()

    assert (
        fetch_value(fresh_demo_dsn, "SELECT status FROM tickets WHERE id = %s", (ticket,)) == "new"
    )


def test_after_the_wait_the_recommended_crew_is_assigned_and_the_event_says_automatic(
    fresh_demo_dsn, ports
):
    clock = Clock()
    ticker = Ticker(fresh_demo_dsn, Settings(auto_dispatch_after_s=60), ports, clock=clock)
    ticket, recommended = _open(fresh_demo_dsn, clock.now, ports)
    best = recommended[0]

    clock.now += timedelta(seconds=30)
    assert ticker.tick()["auto_dispatched"] == []
    clock.now += timedelta(seconds=31)
    assert ticker.tick()["auto_dispatched"] == [{"ticket_id": ticket, "crew_id": best["crew_id"]}]

    (data,) = fetch_all(
        fresh_demo_dsn,
        "SELECT data FROM ticket_events WHERE ticket_id = %s AND event_type = 'assigned'",
        (ticket,),
    )[0]
    assert data["automatic"] is True and data["crew_id"] == best["crew_id"]
    by = fetch_value(
        fresh_demo_dsn, "SELECT assigned_by FROM assignments WHERE ticket_id = %s", (ticket,)
    )
    assert by == "auto-dispatch"


def test_with_no_crew_to_send_the_failure_is_logged_once(fresh_demo_dsn, ports):
    clock = Clock()
    ticker = Ticker(fresh_demo_dsn, Settings(auto_dispatch_after_s=10), ports, clock=clock)
    execute(fresh_demo_dsn, "UPDATE crews SET status = 'off_duty'")
    ticket, _ = _open(fresh_demo_dsn, clock.now, ports)
    clock.now += timedelta(seconds=20)

    ticker.tick()
    ticker.tick()

    failures = fetch_value(
        fresh_demo_dsn,
        "SELECT count(*) FROM ticket_events WHERE ticket_id = %s"
        " AND event_type = 'auto_dispatch_failed'",
        (ticket,),
    )
    assert failures == 1

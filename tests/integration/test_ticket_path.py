"""One path for a ticket on real PostGIS: what intake computes is stored with the ticket and read
by every screen; every committed change is announced through the outbox to every process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from dispatch import repository, ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict
from dispatch.event_feed import EventFeed
from dispatch.ports import Ports
from dispatch.territory_ports import ports_for_territory
from dispatch.unit_of_work import UnitOfWork
from dispatch.wall_live_state import WallLiveState
from dispatch.wall_read_model import incident_detail
from tests.dbutil import fetch_value

LEAK = {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}
HOTLINE = Actor("hotline", "hotline_agent")
DISPATCHER = Actor("dispatcher", "dispatcher")


class CountingRouter:
    """The real road router, counting how often it is asked."""

    def __init__(self, router) -> None:
        self.router, self.calls = router, 0

    def recommend(self, *args):
        self.calls += 1
        return self.router.recommend(*args)

    def route_crew(self, *args):
        self.calls += 1
        return self.router.route_crew(*args)

    def valve_crews(self, *args):
        return self.router.valve_crews(*args)


@pytest.fixture(scope="module")
def territory_ports(demo_dsn) -> Ports:
    return ports_for_territory(demo_dsn)


@pytest.fixture
def ports(territory_ports) -> Ports:
    return Ports(router=CountingRouter(territory_ports.router), isolation=territory_ports.isolation)


def _open(dsn, ports, data=LEAK) -> dict:
    with UnitOfWork(dsn) as uow:
        return ticket_service.open_ticket(uow, data, HOTLINE, datetime.now(UTC), ports=ports)


def test_intake_stores_crews_and_plan_and_every_screen_reads_them_without_routing(
    fresh_demo_dsn, ports
):
    answer = _open(fresh_demo_dsn, ports)
    ticket_id = answer["ticket"]["id"]
    offered = [(o["crew_id"], o["eta_s"]) for o in answer["recommendations"]]

    assert offered and ports.router.calls == 1
    stored = fetch_value(
        fresh_demo_dsn,
        "SELECT count(*) FROM ticket_recommendations WHERE ticket_id = %s",
        (ticket_id,),
    )
    assert stored == len(offered)
    assert answer["isolation"]["valves"], "a leak on a main has valves to close"
    with UnitOfWork(fresh_demo_dsn) as uow:
        shown = ticket_service.get_ticket(uow, ticket_id, DISPATCHER)
        panel = incident_detail(uow, ticket_id)
    assert [(o["crew_id"], o["eta_s"]) for o in shown["recommendations"]] == offered
    assert [(o["crew_id"], o["eta_s"]) for o in panel["recommendations"]] == offered
    assert shown["isolation"]["valves"] == answer["isolation"]["valves"]
    assert panel["isolation"]["valves"] == answer["isolation"]["valves"]
    assert ports.router.calls == 1  # nobody routed again to show them


def test_assigning_within_the_minute_sends_the_crew_with_the_eta_and_route_it_was_offered(
    fresh_demo_dsn, ports
):
    answer = _open(fresh_demo_dsn, ports)
    best = answer["recommendations"][0]

    with UnitOfWork(fresh_demo_dsn) as uow:
        ticket_service.assign_crew(
            uow, answer["ticket"]["id"], best["crew_id"], DISPATCHER, datetime.now(UTC), ports=ports
        )

    eta, points = (
        fetch_value(
            fresh_demo_dsn,
            f"SELECT {column} FROM assignments WHERE ticket_id = %s",
            (answer["ticket"]["id"],),
        )
        for column in ("eta_s", "ST_NPoints(route)")
    )
    assert eta == best["eta_s"] and points == len(best["route"])
    assert ports.router.calls == 1


def test_a_crew_without_the_skill_is_refused_and_nothing_is_written(fresh_demo_dsn, ports):
    answer = _open(fresh_demo_dsn, ports)
    meter_crew = fetch_value(
        fresh_demo_dsn, "SELECT id FROM crews WHERE skills = '{meter}' LIMIT 1"
    )

    with (
        pytest.raises(Conflict, match="lacks the skill `emergency`"),
        UnitOfWork(fresh_demo_dsn) as uow,
    ):
        ticket_service.assign_crew(
            uow, answer["ticket"]["id"], meter_crew, DISPATCHER, datetime.now(UTC), ports=ports
        )

    assert fetch_value(fresh_demo_dsn, "SELECT count(*) FROM assignments") == 0


def _feed(dsn) -> tuple[EventFeed, list[dict]]:
    seen: list[dict] = []
    feed = EventFeed(dsn, poll_s=0.5)
    feed.subscribe(seen.extend)
    feed.start()
    feed.wait_for_change(-1, timeout=10)  # connected and at the outbox's end
    return feed, seen


def test_a_committed_change_reaches_every_process_and_a_rolled_back_one_none(fresh_demo_dsn, ports):
    first, seen_by_first = _feed(fresh_demo_dsn)
    second, seen_by_second = _feed(fresh_demo_dsn)  # another web process
    try:
        start = first.last_id
        with pytest.raises(RuntimeError), UnitOfWork(fresh_demo_dsn) as uow:
            ticket_service.open_ticket(uow, LEAK, HOTLINE, datetime.now(UTC), ports=ports)
            raise RuntimeError("the caller hung up before the commit")
        answer = _open(fresh_demo_dsn, ports)

        for feed in (first, second):
            feed.wait_for_change(start, timeout=10)
        for seen in (seen_by_first, seen_by_second):
            assert [(e["kind"], e["ticket_id"]) for e in seen if e["topic"] == "ticket"] == [
                ("created", answer["ticket"]["id"])
            ]
    finally:
        first.stop()
        second.stop()


def test_the_live_wall_reads_only_what_an_event_names(fresh_demo_dsn, ports):
    reads: list[list[int] | None] = []
    original = repository.wall_tickets

    def counted(cur, *, limit=500, ids=None):
        reads.append(ids)
        return original(cur, limit=limit, ids=ids)

    live = WallLiveState(lambda: UnitOfWork(fresh_demo_dsn))
    now = datetime.now(UTC)
    before = live.snapshot(now)
    answer = _open(fresh_demo_dsn, ports)
    ticket_id = answer["ticket"]["id"]
    with UnitOfWork(fresh_demo_dsn) as uow:
        events = repository.outbox_since(uow.cur, live.version)

    repository.wall_tickets = counted
    try:
        live.apply(events)
        after = live.snapshot(now + timedelta(seconds=1))
    finally:
        repository.wall_tickets = original

    assert reads == [[ticket_id]]
    assert ticket_id in {t["id"] for t in after["tickets"]}
    assert len(after["tickets"]) == len(before["tickets"]) + 1
    assert after["kpis"]["open_p1"] == before["kpis"]["open_p1"] + 1


def test_a_feed_hands_on_rows_in_order_to_a_slow_subscriber(fresh_demo_dsn, ports):
    gate, got = threading.Event(), []

    def slow(rows):
        gate.wait(30)
        got.extend(r["id"] for r in rows)

    feed = EventFeed(fresh_demo_dsn, poll_s=0.2)
    feed.subscribe(slow)
    feed.start()
    feed.wait_for_change(-1, timeout=10)
    start = feed.last_id
    try:
        for _ in range(3):
            _open(fresh_demo_dsn, Ports(), {"type": "consultation", "description": "tariffs"})
        gate.set()
        feed.wait_for_change(start + 2, timeout=60)  # generous: a loaded machine is slow
    finally:
        feed.stop()
    assert got == sorted(got) and len(got) == len(set(got)) >= 3


def test_a_batch_of_fixes_keeps_each_crews_newest_as_its_latest_whatever_the_order(
    fresh_demo_dsn,
):
    from dispatch import crew_service

    crew = fetch_value(fresh_demo_dsn, "SELECT min(id) FROM crews")
    now = datetime.now(UTC)
    late, early = now - timedelta(seconds=5), now - timedelta(seconds=20)
    fixes = [
        (crew, {"lon": 24.9400, "lat": 60.1700, "time": late.isoformat()}),
        (crew, {"lon": 24.9399, "lat": 60.1700, "time": early.isoformat()}),  # came in last
    ]

    with UnitOfWork(fresh_demo_dsn) as uow:
        crew_service.record_positions(uow, fixes, DISPATCHER, now)

    latest = fetch_value(
        fresh_demo_dsn, "SELECT recorded_at FROM crew_latest_positions WHERE crew_id = %s", (crew,)
    )
    assert latest == late

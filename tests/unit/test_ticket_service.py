"""The ticket use cases on in-memory fakes (tests/unit/fakes.py): intake, assignment,
auto-dispatch, transitions and GPS fixes, in milliseconds. The same paths run against PostGIS
in tests/integration and tests/e2e.

Distances are along a meridian, where one degree of latitude is 2 * pi * 6371008.8 m / 360 =
111195.08 m; the fake router drives straight at 10 m/s and rounds the seconds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import crew_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, IllegalTransition, InvalidInput
from dispatch.ports import Ports
from dispatch.ticket_service import Settings
from tests.unit.fakes import FakeUnitOfWork, FixedIsolationPlanner, StraightLineRouter

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LON, LAT = 24.9466, 60.1712
LEAK = {"type": "gas_leak", "lon": LON, "lat": LAT, "caller_phone": "13812345678"}
HOTLINE = Actor("hotline", "hotline_agent")
DISPATCHER = Actor("dispatcher", "dispatcher")


def crew(crew_id, code, north_deg, skills, status="available"):
    return {
        "id": crew_id,
        "code": code,
        "skills": skills,
        "status": status,
        "lon": LON,
        "lat": LAT + north_deg,
        "recorded_at": NOW - timedelta(seconds=30),
    }


CREWS = [
    crew(1, "E-01", 0.009, ["emergency"]),  # 1000.76 m: 101 s
    crew(2, "E-02", -0.0045, ["emergency", "indoor_repair"]),  # 500.38 m: 51 s
    crew(3, "M-01", 0.0018, ["meter"]),  # 200.15 m: 21 s
    crew(4, "E-03", 0.0009, ["emergency"], status="busy"),
]


@pytest.fixture
def uow():
    return FakeUnitOfWork(CREWS)


@pytest.fixture
def ports():
    return Ports(router=StraightLineRouter(), isolation=FixedIsolationPlanner())


def test_a_leak_is_stored_with_the_emergency_crews_by_road_and_its_isolation_plan(uow, ports):
    answer = ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports)

    ticket_id = answer["ticket"]["id"]
    offered = [(o["code"], o["eta_s"]) for o in answer["recommendations"]]
    assert offered == [("E-02", 51.0), ("E-01", 101.0)]  # M-01 lacks the skill, E-03 is busy
    assert [o["crew_id"] for o in uow.tickets.recommendations(ticket_id)] == [2, 1]
    assert answer["isolation"]["valves"][0]["id"] == 7
    assert uow.tickets.isolation_plan(ticket_id) == answer["isolation"]
    assert answer["ticket"]["arrival_due_at"] == "2026-11-29T09:30:00+00:00"  # urban: 30 min
    assert uow.events.kinds(ticket_id) == ["created"]


def test_every_field_ticket_gets_recommendations_filtered_by_the_skill_its_type_needs(uow, ports):
    answer = ticket_service.open_ticket(
        uow, {"type": "meter_fault", "lon": LON, "lat": LAT}, HOTLINE, NOW, ports=ports
    )

    assert [(o["code"], o["eta_s"]) for o in answer["recommendations"]] == [("M-01", 21.0)]
    assert answer["isolation"] is None  # no isolation plan for a repair job


def test_a_non_field_ticket_is_neither_routed_nor_traced(uow, ports):
    answer = ticket_service.open_ticket(
        uow, {"type": "consultation", "description": "tariffs?"}, HOTLINE, NOW, ports=ports
    )

    assert answer["recommendations"] == [] and answer["isolation"] is None
    assert ports.router.calls == 0


def test_the_same_idempotency_key_returns_the_first_ticket_and_stores_nothing_new(uow, ports):
    first = ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports, idempotency_key="k1")
    again = ticket_service.open_ticket(
        uow, LEAK, HOTLINE, NOW + timedelta(seconds=5), ports=ports, idempotency_key="k1"
    )

    assert again["replayed"] is True and "replayed" not in first
    assert again["ticket"]["id"] == first["ticket"]["id"]
    assert len(uow.tickets.by_id) == 1 and ports.router.calls == 1
    assert again["recommendations"] == first["recommendations"]


def test_an_overlong_idempotency_key_is_refused_by_name(uow, ports):
    with pytest.raises(InvalidInput, match="`Idempotency-Key` must have 1 to 200 characters"):
        ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports, idempotency_key="x" * 201)
    assert uow.tickets.by_id == {}


def test_a_second_call_about_the_same_leak_is_linked_and_not_routed_again(uow, ports):
    first = ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports)
    near = {**LEAK, "lat": LAT + 0.0009}  # 100.08 m away, inside the 150 m radius
    second = ticket_service.open_ticket(uow, near, HOTLINE, NOW + timedelta(minutes=5), ports=ports)

    assert second["duplicate_of"] == first["ticket"]["id"]
    assert second["recommendations"] == [] and ports.router.calls == 1
    assert uow.tickets.by_id[first["ticket"]["id"]]["callers"] == 2


def test_an_unknown_type_and_a_bad_priority_are_refused_by_name(uow, ports):
    with pytest.raises(InvalidInput, match="`type`: unknown ticket type 'leak'"):
        ticket_service.open_ticket(uow, {**LEAK, "type": "leak"}, HOTLINE, NOW, ports=ports)
    with pytest.raises(InvalidInput, match="`priority` must be between 1 and 4"):
        ticket_service.open_ticket(uow, {**LEAK, "priority": 7}, HOTLINE, NOW, ports=ports)


def _open_leak(uow, ports) -> int:
    return ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports)["ticket"]["id"]


def test_assigning_takes_the_stored_eta_and_route_without_routing_again(uow, ports):
    ticket_id = _open_leak(uow, ports)

    done = ticket_service.assign_crew(
        uow, ticket_id, 2, DISPATCHER, NOW + timedelta(seconds=20), ports=ports
    )

    assert done["eta_s"] == 51.0 and ports.router.calls == 1
    (assignment,) = uow.crews.assignments
    assert assignment["eta_s"] == 51.0 and assignment["route"][-1] == [LON, LAT]
    assert uow.crews.by_id[2]["status"] == "busy"
    assert uow.events.kinds(ticket_id) == ["created", "assigned"]


def test_a_recommendation_older_than_a_minute_is_routed_again_before_it_is_used(uow, ports):
    ticket_id = _open_leak(uow, ports)

    ticket_service.assign_crew(
        uow, ticket_id, 2, DISPATCHER, NOW + timedelta(seconds=61), ports=ports
    )

    assert ports.router.calls == 2


def test_a_crew_that_moved_since_is_routed_again_from_where_it_is(uow, ports):
    ticket_id = _open_leak(uow, ports)
    uow.crews.by_id[2]["lat"] = LAT - 0.0027  # 300.23 m away now: 31 s

    done = ticket_service.assign_crew(
        uow, ticket_id, 2, DISPATCHER, NOW + timedelta(seconds=20), ports=ports
    )

    assert ports.router.calls == 2 and done["eta_s"] == 31.0


def test_a_crew_without_the_skill_the_job_needs_is_refused_naming_crew_id(uow, ports):
    ticket_id = _open_leak(uow, ports)

    with pytest.raises(Conflict, match="crew M-01 lacks the skill `emergency`") as refused:
        ticket_service.assign_crew(uow, ticket_id, 3, DISPATCHER, NOW, ports=ports)

    assert refused.value.field == "crew_id"
    assert uow.crews.assignments == [] and uow.tickets.by_id[ticket_id]["status"] == "new"


def test_a_crew_holds_one_emergency_job_at_a_time(uow, ports):
    first = _open_leak(uow, ports)
    elsewhere = {**LEAK, "lat": LAT + 0.018}  # 2 km away: its own leak
    second = ticket_service.open_ticket(uow, elsewhere, HOTLINE, NOW, ports=ports)["ticket"]["id"]
    ticket_service.assign_crew(uow, first, 2, DISPATCHER, NOW, ports=ports)

    with pytest.raises(Conflict, match="already holds emergency job"):
        ticket_service.assign_crew(uow, second, 2, DISPATCHER, NOW, ports=ports)


def test_the_lifecycle_refuses_a_skipped_step_and_a_repair_frees_the_crew(uow, ports):
    ticket_id = _open_leak(uow, ports)
    ticket_service.assign_crew(uow, ticket_id, 2, DISPATCHER, NOW, ports=ports)

    with pytest.raises(IllegalTransition, match="cannot go from `assigned` to `repaired`"):
        ticket_service.transition_ticket(uow, ticket_id, "repaired", DISPATCHER, NOW)
    for step in ("accepted", "en_route", "on_site", "repaired"):
        ticket_service.transition_ticket(uow, ticket_id, step, DISPATCHER, NOW)

    assert uow.crews.by_id[2]["status"] == "available"
    assert uow.tickets.by_id[ticket_id]["on_site_at"] == NOW


def test_a_fix_within_the_arrival_radius_stops_the_clock_and_an_earlier_arrival_stands(uow, ports):
    ticket_id = _open_leak(uow, ports)
    ticket_service.assign_crew(uow, ticket_id, 2, DISPATCHER, NOW, ports=ports)
    at_site = {"lon": LON, "lat": LAT - 0.0003, "time": (NOW + timedelta(minutes=9)).isoformat()}

    result = crew_service.record_position(uow, 2, at_site, DISPATCHER, NOW + timedelta(minutes=9))
    later = {**at_site, "time": (NOW + timedelta(minutes=10)).isoformat()}
    crew_service.record_position(uow, 2, later, DISPATCHER, NOW + timedelta(minutes=10))

    assert result["arrived_at_tickets"] == [ticket_id]  # 33.36 m from the leak: within 50 m
    assert uow.tickets.by_id[ticket_id]["arrived_at"] == NOW + timedelta(minutes=9)
    assert uow.events.kinds(ticket_id).count("arrived_by_gps") == 1


def test_a_fix_outside_the_radius_does_not_stop_the_clock(uow, ports):
    ticket_id = _open_leak(uow, ports)
    ticket_service.assign_crew(uow, ticket_id, 2, DISPATCHER, NOW, ports=ports)
    away = {"lon": LON, "lat": LAT - 0.0006, "time": NOW.isoformat()}  # 66.72 m

    result = crew_service.record_position(uow, 2, away, DISPATCHER, NOW)

    assert result["arrived_at_tickets"] == []
    assert uow.tickets.by_id[ticket_id]["arrived_at"] is None


def test_auto_dispatch_sends_the_best_recommended_crew_once_nobody_acted_in_time(uow, ports):
    settings = Settings(auto_dispatch_after_s=60)
    ticket_id = _open_leak(uow, ports)

    early = ticket_service.auto_dispatch(uow, NOW + timedelta(seconds=30), settings, ports)
    done = ticket_service.auto_dispatch(uow, NOW + timedelta(seconds=61), settings, ports)

    assert early == [] and done == [{"ticket_id": ticket_id, "crew_id": 2}]
    assigned = [e for e in uow.events.log if e["event_type"] == "assigned"]
    assert assigned[0]["data"]["automatic"] is True and assigned[0]["actor"] == "auto-dispatch"


def test_stale_recommendations_of_waiting_tickets_are_refreshed_and_announced(uow, ports):
    ticket_id = _open_leak(uow, ports)
    uow.crews.by_id[1]["lat"] = LAT + 0.0018  # E-01 drove closer: 200.15 m, 21 s

    fresh = ticket_service.refresh_recommendations(
        uow, NOW + timedelta(seconds=61), Settings(), ports
    )

    assert fresh == [ticket_id]
    assert [(o["code"], o["eta_s"]) for o in uow.tickets.recommendations(ticket_id)] == [
        ("E-01", 21.0),
        ("E-02", 51.0),
    ]
    assert uow.events.kinds(ticket_id)[-1] == "recommendations_refreshed"


def test_a_batch_of_fixes_stores_the_good_ones_and_names_what_refused_the_others(uow, ports):
    fixes = [
        (2, {"lon": LON, "lat": LAT, "time": NOW.isoformat()}),
        (2, {"lon": LON, "lat": 95, "time": NOW.isoformat()}),  # no such latitude
        (99, {"lon": LON, "lat": LAT, "time": NOW.isoformat()}),  # no such crew
        (
            1,
            {"lon": LON, "lat": LAT + 0.5, "time": NOW.isoformat()},
        ),  # 0.491 deg north of its last fix: 54.6 km in 30 s
    ]

    outcomes = crew_service.record_positions(uow, fixes, DISPATCHER, NOW)

    assert outcomes[0]["crew_id"] == 2
    assert [(type(o).__name__, o.field) for o in outcomes[1:]] == [
        ("InvalidInput", "lat"),
        ("NotFound", "crew_id"),
        ("InvalidInput", "lon"),
    ]
    assert [f["crew_id"] for f in uow.crews.fixes] == [2]


def test_a_second_dispatcher_choosing_another_crew_is_told_who_assigned_whom(uow, ports):
    ticket_id = _open_leak(uow, ports)
    ticket_service.assign_crew(uow, ticket_id, 2, DISPATCHER, NOW, ports=ports)
    other_desk = Actor("li", "dispatcher")

    with pytest.raises(Conflict, match="dispatcher assigned crew E-02 at 09:00:00") as refused:
        ticket_service.assign_crew(uow, ticket_id, 1, other_desk, NOW, ports=ports)
    moved = ticket_service.assign_crew(
        uow, ticket_id, 1, other_desk, NOW, ports=ports, reason="E-01 is free and closer now"
    )

    assert refused.value.field == "crew_id"
    assert moved["event"] == "reassigned" and moved["crew_id"] == 1
    assert uow.crews.by_id[2]["status"] == "available"  # freed by the reassignment


def test_a_request_that_read_the_clock_before_the_lock_does_not_move_time_backwards(uow, ports):
    ticket_id = _open_leak(uow, ports)
    ticket_service.assign_crew(
        uow, ticket_id, 2, DISPATCHER, NOW + timedelta(seconds=5), ports=ports
    )

    ticket_service.transition_ticket(uow, ticket_id, "accepted", DISPATCHER, NOW)

    assert uow.tickets.by_id[ticket_id]["accepted_at"] == NOW + timedelta(seconds=5)

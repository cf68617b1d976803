"""The crew lead's jobs and valve reports (dispatch.crew_job_service) on the in-memory fakes.

Distances are along a meridian: one degree of latitude is 111195.08 m, so a valve 0.001 deg
north of the leak is 111 m from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from dispatch import crew_job_service, site_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dispatch.ports import Ports
from dispatch.site_rules import AFTER_REPAIR
from tests.unit.fakes import FakeUnitOfWork, StraightLineRouter

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LON, LAT = 24.9466, 60.1712
LEAK = {"type": "gas_leak", "lon": LON, "lat": LAT, "caller_phone": "13812345678"}
HOTLINE = Actor("hotline", "hotline_agent")
DISPATCHER = Actor("dispatcher", "dispatcher")
LEAD_1 = Actor("crewlead", "crew_lead", 1)
LEAD_2 = Actor("lead2", "crew_lead", 2)


def crew(crew_id, code, north_deg):
    return {
        "id": crew_id,
        "code": code,
        "skills": ["emergency", "meter"],
        "status": "available",
        "lon": LON,
        "lat": LAT + north_deg,
        "recorded_at": NOW - timedelta(seconds=30),
    }


class WideningPlanner:
    """Valves 7 (111 m north) then 8 (222 m south); with 7 stuck, the plan goes round it to
    valves 9 and 8."""

    VALVES: ClassVar[dict] = {
        7: {"id": 7, "lon": LON, "lat": LAT + 0.001, "access_note": "kerb box"},
        8: {"id": 8, "lon": LON, "lat": LAT - 0.002, "access_note": None},
        9: {"id": 9, "lon": LON, "lat": LAT + 0.003, "access_note": "under the bus stop"},
    }
    calls: list

    def __init__(self) -> None:
        self.calls = []

    def plan(self, uow, ticket, crews, router, *, stuck=()):
        self.calls.append(tuple(stuck))
        if ticket["category"] != "emergency":
            return None
        order = [9, 8] if 7 in stuck else [7, 8]
        return {
            "valves": [dict(self.VALVES[v]) for v in order if v not in stuck],
            "skipped_valves": list(stuck),
            "pipes_out": [3, 4] if stuck else [3],
            "affected_meters": 40 if stuck else 12,
            "critical_customers": [],
        }


@pytest.fixture
def uow():
    return FakeUnitOfWork([crew(1, "E-01", 0.009), crew(2, "E-02", -0.0045)])


@pytest.fixture
def ports():
    return Ports(router=StraightLineRouter(), isolation=WideningPlanner())


def _leak_for(uow, ports, crew_id, **extra):
    ticket_id = ticket_service.open_ticket(uow, {**LEAK, **extra}, HOTLINE, NOW, ports=ports)[
        "ticket"
    ]["id"]
    ticket_service.assign_crew(uow, ticket_id, crew_id, DISPATCHER, NOW, ports=ports)
    return ticket_id


def test_the_board_shows_the_crews_job_with_its_caller_route_eta_and_valves_in_order(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)

    board = crew_job_service.crew_board(uow, LEAD_1, NOW)

    job = board["current"]
    assert board["crew_id"] == 1 and job["ticket"]["id"] == ticket_id
    assert job["ticket"]["caller_phone"] == "13812345678"  # the lead of this job sees it ...
    assert uow.events.reads[-1]["subject"] == f"ticket:{ticket_id}"  # ... and the read is logged
    # E-01 is 1000.76 m north: the fake router drives it straight at 10 m/s, 101 s.
    assert job["route"] == [[LON, LAT + 0.009], [LON, LAT]]
    assert job["eta_s"] == 101.0
    assert job["eta_at"] == "2026-11-29T09:01:41+00:00"
    assert [(v["order"], v["id"], v["distance_m"], v["state"]) for v in job["valves"]] == [
        (1, 7, 111, "open"),
        (2, 8, 222, "open"),
    ]
    assert job["valves"][0]["access_note"] == "kerb box"
    assert board["queued"] == [] and board["earlier"] == []


def test_a_crew_lead_never_sees_another_crews_job(uow, ports):
    _leak_for(uow, ports, 2)

    board = crew_job_service.crew_board(uow, LEAD_1, NOW)

    assert board["current"] is None and board["queued"] == []
    assert crew_job_service.board_signature(uow, LEAD_1) == []


def test_the_job_furthest_along_is_current_and_the_others_are_queued(uow, ports):
    first = _leak_for(uow, ports, 1)
    meter = ticket_service.open_ticket(
        uow, {"type": "meter_fault", "lon": LON, "lat": LAT + 0.01}, HOTLINE, NOW, ports=ports
    )["ticket"]["id"]
    ticket_service.assign_crew(uow, meter, 1, DISPATCHER, NOW, ports=ports)
    ticket_service.transition_ticket(uow, meter, "accepted", LEAD_1, NOW)

    board = crew_job_service.crew_board(uow, LEAD_1, NOW)

    assert board["current"]["ticket"]["id"] == meter  # accepted beats assigned
    assert [v["id"] for v in board["queued"]] == [first]


def test_a_closed_job_is_listed_as_earlier(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)
    for step in ("accepted", "en_route", "on_site"):
        ticket_service.transition_ticket(uow, ticket_id, step, LEAD_1, NOW)
    # The site work a leak needs before each step (dispatch.site_rules).
    site_service.record_check(uow, ticket_id, {"item": "warning_zone_set"}, LEAD_1, NOW)
    reading = {"lel_percent": 2.0, "measured_at": NOW.isoformat()}
    site_service.record_reading(uow, ticket_id, reading, LEAD_1, NOW)
    for step in ("made_safe", "repaired", "gas_restored"):
        ticket_service.transition_ticket(uow, ticket_id, step, LEAD_1, NOW)
    for item in sorted(AFTER_REPAIR):
        site_service.record_check(uow, ticket_id, {"item": item}, LEAD_1, NOW)
    ticket_service.transition_ticket(uow, ticket_id, "closed", DISPATCHER, NOW)

    board = crew_job_service.crew_board(uow, LEAD_1, NOW)

    assert board["current"] is None
    assert [v["id"] for v in board["earlier"]] == [ticket_id]


def test_the_signature_changes_with_a_status_and_with_a_valve_report(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)
    before = crew_job_service.board_signature(uow, LEAD_1)
    ticket_service.transition_ticket(uow, ticket_id, "accepted", LEAD_1, NOW)
    accepted = crew_job_service.board_signature(uow, LEAD_1)
    crew_job_service.report_valve(uow, ticket_id, 7, "closed", LEAD_1, NOW, ports)
    closed = crew_job_service.board_signature(uow, LEAD_1)

    assert before != accepted != closed
    assert crew_job_service.board_signature(uow, LEAD_1) == closed  # nothing new, same


def test_status_steps_in_the_order_of_the_work_enabled_only_when_next_and_allowed():
    steps = crew_job_service.work_steps("repaired", LEAD_1)

    assert [(s["status"], s["enabled"], s["reason"]) for s in steps] == [
        ("accepted", False, "done"),
        ("en_route", False, "done"),
        ("on_site", False, "done"),
        ("made_safe", False, "done"),
        ("repaired", False, "done"),
        ("gas_restored", True, None),
        # also next: a job that cut no gas closes from repaired (the site rules decide on tap)
        ("closed", True, None),
    ]


def test_an_assigned_job_offers_only_accepting_and_a_dispatcher_may_close_a_repaired_one():
    assigned = crew_job_service.work_steps("assigned", LEAD_1)
    repaired = crew_job_service.work_steps("repaired", DISPATCHER)

    assert [s["status"] for s in assigned if s["enabled"]] == ["accepted"]
    assert {s["reason"] for s in assigned if not s["enabled"]} == {"not_next"}
    assert [s["status"] for s in repaired if s["enabled"]] == ["gas_restored", "closed"]


def test_a_closed_valve_is_recorded_as_an_event_and_shown_closed(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)

    answer = crew_job_service.report_valve(uow, ticket_id, 7, "closed", LEAD_1, NOW, ports)

    assert answer["state"] == "closed" and [v["id"] for v in answer["isolation"]["valves"]] == [
        7,
        8,
    ]
    assert uow.events.log[-1]["event_type"] == "valve_closed"
    assert uow.events.log[-1]["data"] == {"valve_id": 7}
    job = crew_job_service.crew_board(uow, LEAD_1, NOW)["current"]
    assert [(v["id"], v["state"]) for v in job["valves"]] == [(7, "closed"), (8, "open")]


def test_a_stuck_valve_widens_the_stored_plan_around_every_valve_found_stuck(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)

    answer = crew_job_service.report_valve(uow, ticket_id, 7, "stuck", LEAD_1, NOW, ports)
    again = crew_job_service.report_valve(uow, ticket_id, 9, "stuck", LEAD_1, NOW, ports)

    assert [v["id"] for v in answer["isolation"]["valves"]] == [9, 8]
    assert answer["isolation"]["affected_meters"] == 40
    assert ports.isolation.calls[-2:] == [(7,), (7, 9)]  # the second trace keeps 7 stuck
    assert uow.tickets.isolation_plan(ticket_id) == again["isolation"]
    stuck_events = [e for e in uow.events.log if e["event_type"] == "valve_stuck"]
    assert [e["data"] for e in stuck_events] == [
        {"valve_id": 7, "valves_to_close": [9, 8]},
        {"valve_id": 9, "valves_to_close": [8]},
    ]
    job = crew_job_service.crew_board(uow, LEAD_1, NOW)["current"]
    states = [(v["id"], v["state"]) for v in job["valves"]]
    assert states == [(8, "open"), (7, "stuck"), (9, "stuck")]


def test_another_crews_lead_may_not_report_a_valve_and_nothing_is_written(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)
    plan = uow.tickets.isolation_plan(ticket_id)
    events = len(uow.events.log)

    with pytest.raises(PermissionDenied):
        crew_job_service.report_valve(uow, ticket_id, 7, "stuck", LEAD_2, NOW, ports)

    assert uow.tickets.isolation_plan(ticket_id) == plan and len(uow.events.log) == events


@pytest.mark.parametrize(
    ("valve", "state", "error", "field"),
    [
        (99, "closed", NotFound, "valve_id"),  # not in the plan
        (7, "open", InvalidInput, "state"),
        (0, "closed", InvalidInput, "valve_id"),
    ],
)
def test_a_bad_valve_report_names_its_field(uow, ports, valve, state, error, field):
    ticket_id = _leak_for(uow, ports, 1)

    with pytest.raises(error) as caught:
        crew_job_service.report_valve(uow, ticket_id, valve, state, LEAD_1, NOW, ports)

    assert caught.value.field == field


def test_a_valve_already_stuck_is_not_reported_twice(uow, ports):
    ticket_id = _leak_for(uow, ports, 1)
    crew_job_service.report_valve(uow, ticket_id, 7, "stuck", LEAD_1, NOW, ports)

    with pytest.raises(Conflict):
        crew_job_service.report_valve(uow, ticket_id, 7, "stuck", LEAD_1, NOW, ports)


def test_a_ticket_without_a_plan_has_no_valves_to_report(uow, ports):
    ticket_id = ticket_service.open_ticket(
        uow, {"type": "meter_fault", "lon": LON, "lat": LAT}, HOTLINE, NOW, ports=ports
    )["ticket"]["id"]
    ticket_service.assign_crew(uow, ticket_id, 1, DISPATCHER, NOW, ports=ports)

    with pytest.raises(InvalidInput) as caught:
        crew_job_service.report_valve(uow, ticket_id, 7, "closed", LEAD_1, NOW, ports)

    assert caught.value.field == "id"


def test_a_stuck_valve_raises_a_wall_alarm_per_valve_until_acknowledged():
    from dispatch import wall_read_model

    snapshot = {
        "tickets": [
            {
                "id": 5,
                "number": "T20261129-000005",
                "priority": 1,
                "status": "on_site",
                "at_risk": False,
                "missed": False,
                "stuck_valves": [7, 9],
            }
        ],
        "crews": [],
    }

    raised = wall_read_model.alarms(snapshot, set())
    after_ack = wall_read_model.alarms(snapshot, {"valve_stuck:5:7"})

    assert [(a["kind"], a["key"], a["text"]) for a in raised] == [
        ("valve_stuck", "valve_stuck:5:7", "T20261129-000005 #7"),
        ("valve_stuck", "valve_stuck:5:9", "T20261129-000005 #9"),
    ]
    assert [a["key"] for a in after_ack] == ["valve_stuck:5:9"]

"""Valve reports through the JSON API on a real PostGIS (every answer checked against the
OpenAPI document): the crew lead of the job reports, another crew's lead is refused, a stuck
valve widens the stored plan and reaches the wall's alarms, bad input names its field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatch import wall_read_model
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_value
from tests.e2e.api_client import ApiClient, MovableClock

KLUUVI = {"lon": 24.9466, "lat": 60.1712}


@pytest.fixture
def client(fresh_demo_dsn):
    c = ApiClient(fresh_demo_dsn, clock=MovableClock())
    yield c
    c.close()


def _job_of(client, dsn: str, crew_code: str) -> tuple[int, list[int]]:
    """A leak assigned to the crew: (ticket id, the valves of its plan in order)."""
    created = client.call("hotline", "POST", "/tickets", json={"type": "gas_leak", **KLUUVI}).json
    crew = fetch_value(dsn, "SELECT id FROM crews WHERE code = %s", (crew_code,))
    ticket_id = created["ticket"]["id"]
    assigned = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew}
    )
    assert assigned.status_code == 200, assigned.json
    return ticket_id, [v["id"] for v in created["isolation"]["valves"]]


def test_the_crew_lead_reports_a_valve_closed_and_the_event_is_in_the_log(client, fresh_demo_dsn):
    ticket_id, valves = _job_of(client, fresh_demo_dsn, "E-01")

    answer = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/valves/{valves[0]}", json={"state": "closed"}
    )

    assert answer.status_code == 200
    assert (answer.json["state"], answer.json["valve_id"]) == ("closed", valves[0])
    assert [v["id"] for v in answer.json["isolation"]["valves"]] == valves  # unchanged
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    assert [(e["event_type"], e["actor"], e["data"]) for e in events][-1] == (
        "valve_closed",
        "crewlead",
        {"valve_id": valves[0]},
    )


def test_a_stuck_valve_widens_the_stored_plan_and_the_wall_alarms(client, fresh_demo_dsn):
    ticket_id, valves = _job_of(client, fresh_demo_dsn, "E-01")

    answer = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/valves/{valves[0]}", json={"state": "stuck"}
    )

    assert answer.status_code == 200
    widened = answer.json["isolation"]
    assert valves[0] not in [v["id"] for v in widened["valves"]]
    assert widened["skipped_valves"] == [valves[0]]
    stored = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["isolation"]
    assert stored["valves"] == widened["valves"]
    with UnitOfWork(fresh_demo_dsn) as uow:
        snapshot = wall_read_model.wall_snapshot(uow.cur, datetime.now(UTC))
    alarms = wall_read_model.alarms(snapshot, set())
    assert f"valve_stuck:{ticket_id}:{valves[0]}" in [a["key"] for a in alarms]
    again = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/valves/{valves[0]}", json={"state": "stuck"}
    )
    assert (again.status_code, again.json["field"]) == (409, "valve_id")


def test_another_crews_lead_is_refused_and_nothing_changes(client, fresh_demo_dsn):
    ticket_id, valves = _job_of(client, fresh_demo_dsn, "E-02")
    before = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["isolation"]

    refused = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/valves/{valves[0]}", json={"state": "stuck"}
    )

    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    after = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["isolation"]
    assert after == before
    assert (
        fetch_value(
            fresh_demo_dsn,
            "SELECT count(*) FROM ticket_events"
            " WHERE ticket_id = %s AND event_type LIKE 'valve_%%'",
            (ticket_id,),
        )
        == 0
    )


@pytest.mark.parametrize(
    ("user", "body", "status", "field"),
    [
        ("crewlead", {"state": "open"}, 400, "state"),
        ("crewlead", {}, 400, "state"),
        ("hotline", {"state": "closed"}, 403, None),
        ("dispatcher", {"state": "closed"}, 200, None),
    ],
)
def test_who_may_report_and_what(client, fresh_demo_dsn, user, body, status, field):
    ticket_id, valves = _job_of(client, fresh_demo_dsn, "E-01")

    answer = client.call(user, "POST", f"/tickets/{ticket_id}/valves/{valves[0]}", json=body)

    assert answer.status_code == status
    if status != 200:
        assert answer.json["field"] == field


def test_a_valve_not_in_the_plan_is_a_404_naming_it(client, fresh_demo_dsn):
    ticket_id, valves = _job_of(client, fresh_demo_dsn, "E-01")
    other = fetch_value(
        fresh_demo_dsn, "SELECT min(id) FROM valves WHERE NOT (id = ANY(%s))", (valves,)
    )

    answer = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/valves/{other}", json={"state": "closed"}
    )

    assert (answer.status_code, answer.json["field"]) == (404, "valve_id")

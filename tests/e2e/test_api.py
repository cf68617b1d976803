"""The JSON API end to end on a real PostGIS: roles, tickets, duplicates, lifecycle, clocks."""

import re
from datetime import timedelta

import pytest

from dispatch.api import ROUTES, openapi_document
from dispatch.auth import PERMISSIONS, ROLES
from tests.dbutil import fetch_value
from tests.e2e.api_client import DEMO_USER_OF_ROLE, ApiClient, MovableClock
from tests.e2e.site_work import finish_records, make_safe_records, mark_every_household

# A point on a Helsinki street inside the demo territory, and one far outside it.
KLUUVI = {"lon": 24.9466, "lat": 60.1712}
OUTSIDE = {"lon": 25.3, "lat": 60.4}


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def client(fresh_demo_dsn, clock):
    c = ApiClient(fresh_demo_dsn, clock=clock)
    yield c
    c.close()


def _leak(client, user="hotline", **extra):
    body = {
        "type": "gas_leak",
        **KLUUVI,
        "caller_name": "王伟",
        "caller_phone": "13812345678",
        "description": "smell of gas in the stairwell",
        **extra,
    }
    return client.call(user, "POST", "/tickets", json=body)


def _tickets(dsn):
    return fetch_value(dsn, "SELECT count(*) FROM tickets")


def test_log_in_gives_a_token_and_a_wrong_password_a_401_json(client):
    ok = client.call(
        None, "POST", "/auth/token", json={"username": "dispatcher", "password": "control-room"}
    )
    bad = client.call(
        None, "POST", "/auth/token", json={"username": "dispatcher", "password": "guess"}
    )

    assert ok.status_code == 200 and ok.json["role"] == "dispatcher" and ok.json["token"]
    assert bad.status_code == 401
    assert bad.json == {
        "error": "unauthenticated",
        "field": "password",
        "detail": "wrong username or password",
    }


def test_no_token_is_401_and_a_forged_one_too(client):
    assert client.call(None, "GET", "/tickets").status_code == 401
    forged = client.http.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401 and forged.json["error"] == "unauthenticated"


# role x endpoint -> allowed, from the permission table; each request is made for real.
ROLE_CASES = [(route, role) for route in ROUTES if route.action for role in ROLES]


@pytest.mark.parametrize(
    ("route", "role"), ROLE_CASES, ids=[f"{r.method} {r.path} as {role}" for r, role in ROLE_CASES]
)
def test_every_endpoint_checks_the_role(client, route, role):
    # crew 1 is the crew lead's own; any other id stands for a record that does not exist
    path = re.sub(r"<int:\w+>", "999999", route.path.replace("<int:crew_id>", "1"))
    response = client.call(DEMO_USER_OF_ROLE[role], route.method, path, json={})

    if role in PERMISSIONS[route.action]:
        assert response.status_code != 403, response.json
    else:
        assert response.status_code == 403
        assert response.json["error"] == "forbidden"


def test_a_leak_call_opens_a_p1_ticket_with_its_deadlines_and_logged_creation(client, clock):
    response = _leak(client)

    assert response.status_code == 201
    ticket = response.json["ticket"]
    assert ticket["priority"] == 1 and ticket["category"] == "emergency"
    assert ticket["status"] == "new" and ticket["number"].startswith("T")
    assert ticket["arrival_due_at"] == (clock.now + timedelta(minutes=30)).isoformat()
    events = client.call("dispatcher", "GET", f"/tickets/{ticket['id']}/events").json["events"]
    assert [e["event_type"] for e in events] == ["created"]


def test_a_p1_ticket_comes_back_with_crews_recommended_by_road(fresh_demo_dsn, clock):
    from dispatch.territory_ports import ports_for_territory

    client = ApiClient(fresh_demo_dsn, clock=clock, ports=ports_for_territory(fresh_demo_dsn))
    try:
        recs = _leak(client).json["recommendations"]
    finally:
        client.close()

    assert 1 <= len(recs) <= 3
    assert [r["eta_s"] for r in recs] == sorted(r["eta_s"] for r in recs)
    assert all(r["code"].startswith("E-") for r in recs)  # emergency crews only
    assert all(len(r["route"]) >= 2 for r in recs)


def test_personal_data_is_masked_for_a_manager_and_each_unmasked_read_is_logged(client):
    ticket_id = _leak(client).json["ticket"]["id"]
    reads_before = fetch_value(client.api.dsn, "SELECT count(*) FROM personal_data_reads")

    as_manager = client.call("manager", "GET", f"/tickets/{ticket_id}").json
    as_dispatcher = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json

    assert as_manager["caller_name"] == "王*" and as_manager["caller_phone"] == "138****5678"
    assert as_manager["caller_list"][0]["phone"] == "138****5678"
    assert as_dispatcher["caller_phone"] == "13812345678"
    reads = fetch_value(client.api.dsn, "SELECT count(*) FROM personal_data_reads")
    assert reads == reads_before + 1


def test_a_retried_create_with_the_same_idempotency_key_makes_one_ticket(client):
    headers = {"Idempotency-Key": "call-2026-11-23-0001"}
    first = client.call(
        "hotline", "POST", "/tickets", headers=headers, json={"type": "meter_fault", **KLUUVI}
    )
    again = client.call(
        "hotline", "POST", "/tickets", headers=headers, json={"type": "meter_fault", **KLUUVI}
    )

    assert first.status_code == 201 and again.status_code == 200
    assert again.json["replayed"] is True
    assert again.json["ticket"]["id"] == first.json["ticket"]["id"]
    assert _tickets(client.api.dsn) == 1


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"type": "alien_landing", **KLUUVI}, "type", 400),
        ({"type": "gas_leak", "lon": 200, "lat": 60.17}, "lon", 400),
        ({"type": "gas_leak", "lon": "east", "lat": 60.17}, "lon", 400),
        ({"type": "gas_leak", **OUTSIDE}, "lon", 400),
        ({"type": "gas_leak"}, "lon", 400),
        ({"type": "gas_leak", "account_no": "000000000"}, "account_no", 404),
        ({"type": "gas_leak", **KLUUVI, "caller_phone": "call me"}, "caller_phone", 400),
        ({"type": "gas_leak", **KLUUVI, "appointment_at": "tomorrow"}, "appointment_at", 400),
    ],
    ids=[
        "unknown-type",
        "lon-range",
        "lon-text",
        "outside-territory",
        "no-location",
        "unknown-account",
        "bad-phone",
        "bad-time",
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_nothing_is_stored(client, body, field, status):
    response = client.call("hotline", "POST", "/tickets", json=body)

    assert response.status_code == status
    assert response.json["field"] == field and f"`{field}`" in response.json["detail"]
    assert _tickets(client.api.dsn) == 0


def test_malformed_json_is_a_400(client):
    response = client.call("hotline", "POST", "/tickets", data="{not json")

    assert response.status_code == 400
    assert response.json == {
        "error": "invalid_input",
        "field": "body",
        "detail": "the request body is not valid JSON",
    }


def test_a_ticket_located_by_account_number_takes_the_meters_place(client):
    account = fetch_value(client.api.dsn, "SELECT account_no FROM customer_meters LIMIT 1")

    ticket = client.call(
        "hotline", "POST", "/tickets", json={"type": "meter_fault", "account_no": account}
    ).json["ticket"]

    assert ticket["account_no"] == account and ticket["lon"] is not None and ticket["address"]


def test_the_whole_emergency_loop_through_the_api(client, clock):
    ticket_id = _leak(client).json["ticket"]["id"]
    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")

    assigned = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id}
    )
    assert assigned.status_code == 200
    # A real job: the crew keeps the site rules (the zone and a reading before made_safe, every
    # household marked before gas-on, the post-repair checks and a safe reading to finish).
    for step in ["accepted", "en_route", "on_site", "made_safe", "repaired", "gas_restored"]:
        clock.now += timedelta(minutes=3)
        if step == "made_safe":
            make_safe_records(client, "crewlead", ticket_id)
        if step == "gas_restored":
            households = mark_every_household(client, "crewlead", ticket_id)
            finish_records(client, "crewlead", ticket_id)
        r = client.call(
            "crewlead", "POST", f"/tickets/{ticket_id}/transition", json={"status": step}
        )
        assert r.status_code == 200, r.json
    closed = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/transition", json={"status": "closed"}
    )

    assert closed.status_code == 200
    ticket = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json
    assert ticket["status"] == "closed"
    assert ticket["steps"]["arrived"] == ticket["steps"]["on_site"]
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    assert [e["to_status"] for e in events if e["to_status"]] == [
        "new",
        "assigned",
        "accepted",
        "en_route",
        "on_site",
        "made_safe",
        "repaired",
        "gas_restored",
        "closed",
    ]
    kinds = [e["event_type"] for e in events]
    assert kinds.count("household_marked") == len(households) > 0
    assert kinds.count("site_check") == 7 and kinds.count("gas_reading") == 2
    crews = {c["id"]: c for c in client.call("dispatcher", "GET", "/crews").json["crews"]}
    assert crews[crew_id]["status"] == "available"


def test_an_illegal_transition_is_409_with_the_allowed_next_states(client):
    ticket_id = _leak(client).json["ticket"]["id"]

    response = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/transition", json={"status": "repaired"}
    )

    assert response.status_code == 409
    assert response.json["field"] == "status"
    assert "allowed next: assigned, cancelled" in response.json["detail"]


def test_a_crew_lead_cannot_touch_another_crews_ticket(client):
    ticket_id = _leak(client).json["ticket"]["id"]
    other = fetch_value(
        client.api.dsn,
        "SELECT id FROM crews WHERE id <> (SELECT crew_id FROM users"
        " WHERE username = 'crewlead') AND 'emergency' = ANY(skills) LIMIT 1",
    )
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": other})

    seen = client.call("crewlead", "GET", f"/tickets/{ticket_id}")
    moved = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/transition", json={"status": "accepted"}
    )
    listed = client.call("crewlead", "GET", "/tickets").json["tickets"]

    assert seen.status_code == 403 and moved.status_code == 403
    assert ticket_id not in [t["id"] for t in listed]


def test_assigning_an_unknown_crew_is_404_naming_the_field(client):
    ticket_id = _leak(client).json["ticket"]["id"]

    response = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": 99999}
    )

    assert response.status_code == 404 and response.json["field"] == "crew_id"
    assert client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["status"] == "new"


def test_a_second_leak_call_nearby_within_the_hour_is_linked_and_can_be_unlinked(client, clock):
    first = _leak(client).json["ticket"]["id"]
    clock.now += timedelta(minutes=20)
    second = _leak(
        client, lon=KLUUVI["lon"] + 0.0005, caller_name="李娜", caller_phone="13900000000"
    ).json

    assert second["duplicate_of"] == first and second["recommendations"] == []
    parent = client.call("dispatcher", "GET", f"/tickets/{first}").json
    assert parent["callers"] == 2
    assert [c["phone"] for c in parent["caller_list"]] == ["13812345678", "13900000000"]

    unlinked = client.call("dispatcher", "POST", f"/tickets/{second['ticket']['id']}/unlink")
    assert unlinked.status_code == 200
    assert client.call("dispatcher", "GET", f"/tickets/{first}").json["callers"] == 1


def test_a_leak_far_away_or_much_later_is_its_own_ticket(client, clock):
    first = _leak(client).json["ticket"]["id"]
    far = _leak(client, lon=KLUUVI["lon"] + 0.01).json
    clock.now += timedelta(minutes=61)
    late = _leak(client).json

    assert far["duplicate_of"] is None and late["duplicate_of"] is None
    assert first not in (far["ticket"]["id"], late["ticket"]["id"])


def test_a_gps_fix_within_50_m_records_the_arrival_before_on_site(client, clock):
    ticket_id = _leak(client).json["ticket"]["id"]
    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id})
    clock.now += timedelta(minutes=12)

    fix = client.call(
        "crewlead",
        "POST",
        f"/crews/{crew_id}/positions",
        json={**KLUUVI, "time": clock.now.isoformat(), "speed": 2.0, "heading": 90},
    )

    assert fix.status_code == 201 and fix.json["arrived_at_tickets"] == [ticket_id]
    ticket = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json
    assert ticket["steps"]["arrived"] == clock.now.isoformat()


@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"lon": 24.9, "lat": 95}, "lat"),
        ({"lon": 24.9, "lat": 60.1}, "time"),
        ({"lon": 24.9, "lat": 60.1, "time": "2999-01-01T00:00:00Z"}, "time"),
        ({"lon": 24.9, "lat": 60.1, "time": "now", "speed": -3}, "time"),
        ({"lon": 24.9, "lat": 60.17, "time": "T", "speed": 500}, "speed"),
    ],
)
def test_an_invalid_gps_fix_is_refused_naming_the_field(client, clock, fix, field):
    body = {k: (clock.now.isoformat() if v in ("T",) else v) for k, v in fix.items()}

    response = client.call("dispatcher", "POST", "/crews/1/positions", json=body)

    assert response.status_code == 400 and response.json["field"] == field


def test_an_implausible_jump_is_refused(client, clock):
    at = clock.now.isoformat()
    client.call("dispatcher", "POST", "/crews/1/positions", json={**KLUUVI, "time": at})

    response = client.call(
        "dispatcher", "POST", "/crews/1/positions", json={"lon": 24.99, "lat": 60.20, "time": at}
    )

    assert response.status_code == 400 and "not plausible" in response.json["detail"]


def test_clocks_raise_at_risk_at_80_percent_and_missed_once_each(client, clock):
    ticket_id = _leak(client).json["ticket"]["id"]

    clock.now += timedelta(minutes=25)
    first = client.call("dispatcher", "POST", "/clocks/check").json["raised"]
    clock.now += timedelta(minutes=10)
    second = client.call("dispatcher", "POST", "/clocks/check").json["raised"]
    third = client.call("dispatcher", "POST", "/clocks/check").json["raised"]

    assert {(r["clock"], r["kind"]) for r in first if r["ticket_id"] == ticket_id} == {
        ("arrival", "deadline_at_risk")
    }
    assert {(r["clock"], r["kind"]) for r in second if r["ticket_id"] == ticket_id} == {
        ("arrival", "deadline_missed")
    }
    assert third == []


def test_the_openapi_document_lists_exactly_the_endpoints(client):
    document = client.call(None, "GET", "/openapi.json").json
    rules = {
        (m, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(r.rule)))
        for r in client.http.application.url_map.iter_rules()
        for m in r.methods - {"HEAD", "OPTIONS"}
        if str(r.rule).startswith("/api/v1")
    }

    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented == rules
    assert document == openapi_document()


def test_kpis_count_open_p1_and_crews(client):
    _leak(client)

    kpis = client.call("manager", "GET", "/kpis").json

    assert kpis["open_p1"] == 1
    assert kpis["crews_available"] >= 10


def test_an_emergency_ticket_carries_its_isolation_plan(client):
    created = _leak(client).json
    ticket_id = created["ticket"]["id"]

    plan = created["isolation"]
    shown = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["isolation"]

    assert plan["valves"] and all(
        {"id", "lon", "lat", "access_note"} <= set(v) for v in plan["valves"]
    )
    assert plan["pipes_out"] and plan["affected_meters"] > 0
    assert plan["warning_zone"]["geometry"]["type"] == "Polygon"
    assert plan["cameras"] and isinstance(plan["critical_customers"], list)
    assert shown["valves"] == plan["valves"]


def test_a_stuck_valve_widens_the_plan_through_the_api(client):
    ticket_id = _leak(client).json["ticket"]["id"]
    plan = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/isolation").json
    stuck = plan["valves"][0]["id"]

    wider = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/isolation?stuck={stuck}")
    bad = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/isolation?stuck=abc")

    assert wider.status_code == 200 and wider.json["skipped_valves"] == [stuck]
    assert stuck not in [v["id"] for v in wider.json["valves"]]
    assert bad.status_code == 400 and bad.json["field"] == "stuck"


def test_a_non_emergency_ticket_has_no_isolation_plan(client):
    ticket_id = client.call(
        "hotline", "POST", "/tickets", json={"type": "meter_fault", **KLUUVI}
    ).json["ticket"]["id"]

    response = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/isolation")

    assert response.status_code == 400 and response.json["field"] == "id"

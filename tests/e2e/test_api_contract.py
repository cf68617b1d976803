"""Validation at the API's edge and the API answering what it documents, on a real PostGIS.

Every answer that :class:`tests.e2e.api_client.ApiClient` receives, here and in the other API
test modules, is checked against the OpenAPI document (tests/e2e/api_contract.py); the tests
at the end show that check refusing what the document does not describe.
"""

from urllib.parse import quote

import pytest

from dispatch.api import openapi_document
from tests.dbutil import fetch_value, table_counts
from tests.e2e.api_client import ApiClient, MovableClock
from tests.e2e.api_contract import Contract, ContractBroken

KLUUVI = {"lon": 24.9466, "lat": 60.1712}


@pytest.fixture
def client(fresh_demo_dsn):
    c = ApiClient(fresh_demo_dsn, clock=MovableClock())
    yield c
    c.close()


def _tickets(client):
    return fetch_value(client.api.dsn, "SELECT count(*) FROM tickets")


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (
            {"type": "gas_leak", "lon": 24.9466, "lat": 91},
            "lat",
            "`lat` must be between -90 and 90",
        ),
        (
            {"type": "gas_lake", **KLUUVI},
            "type",
            "`type` must be 'gas_leak', 'third_party_damage', 'fire_explosion'",
        ),
        ({**KLUUVI}, "type", "`type` is required"),
        ({"type": "gas_leak", "lon": "24.9466", "lat": 60.17}, "lon", "`lon` must be a number"),
        (
            {"type": "gas_leak", **KLUUVI, "priority": 1.5},
            "priority",
            "`priority` must be an integer",
        ),
        (
            {"type": "gas_leak", **KLUUVI, "priority": 5},
            "priority",
            "`priority` must be between 1 and 4",
        ),
        ({"type": "gas_leak", "lon": 24.9466}, "lat", "`lat` is required with `lon`"),
        (
            {"type": "gas_leak", **KLUUVI, "description": "x" * 2001},
            "description",
            "`description` is longer than 2000 characters",
        ),
        (
            {"type": "gas_leak", **KLUUVI, "appointment_at": "2026-11-23T09:30:00"},
            "appointment_at",
            "`appointment_at` must carry a time zone",
        ),
        (
            {"type": "gas_leak", **KLUUVI, "colour": "red"},
            "colour",
            "`colour` is not a known field; known: type, lon, lat",
        ),
    ],
    ids=[
        "lat-out-of-range",
        "unknown-type",
        "type-missing",
        "lon-as-text",
        "priority-fraction",
        "priority-out-of-range",
        "lon-without-lat",
        "description-too-long",
        "time-without-zone",
        "unknown-field",
    ],
)
def test_a_bad_ticket_is_refused_at_the_edge_naming_the_field_and_nothing_is_stored(
    client, body, field, detail
):
    response = client.call("hotline", "POST", "/tickets", json=body)

    assert response.status_code == 400
    assert response.json["error"] == "invalid_input" and response.json["field"] == field
    assert response.json["detail"].startswith(detail)
    assert _tickets(client) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "detail"),
    [
        (
            "POST",
            "/crews/1/status",
            {"status": "on_holiday"},
            "status",
            "`status` must be 'available', 'busy', 'off_duty' or 'out_of_service',"
            " not 'on_holiday'",
        ),
        ("POST", "/crews/1/positions", {"lon": 24.9, "lat": 60.1}, "time", "`time` is required"),
        (
            "POST",
            "/crews/1/positions",
            {"lon": 24.9, "lat": 60.1, "time": "2026-11-23T09:30:00Z", "heading": 400},
            "heading",
            "`heading` must be between 0 and 360",
        ),
        ("POST", "/tickets/1/assign", {"crew_id": "7"}, "crew_id", "`crew_id` must be an integer"),
        ("POST", "/tickets/1/link", {"parent_id": True}, "parent_id", "`parent_id` must be an"),
        (
            "POST",
            "/complaints",
            {"description": "rude fitter"},
            "channel",
            "`channel` is required",
        ),
        (
            "POST",
            "/complaints",
            {"channel": "hotline", "description": "rude", "customer_phone": "call me"},
            "customer_phone",
            "`customer_phone` must be 6 to 20 digits",
        ),
        ("POST", "/clocks/check", {"now": "later"}, "now", "`now` is not a known field"),
        ("GET", "/tickets?limit=lots", None, "limit", "`limit` must be an integer"),
        (
            "GET",
            "/tickets?status=new,lost",
            None,
            "status",
            "each of `status` must be 'new', 'assigned'",
        ),
        (
            "GET",
            "/tickets/1/isolation?stuck=12,x",
            None,
            "stuck",
            "each of `stuck` must be an integer",
        ),
        ("GET", "/tickets?colour=red", None, "colour", "`colour` is not a known parameter"),
        ("GET", "/complaints?open=maybe", None, "open", "`open` must be true or false"),
        ("GET", "/geocode?q=%20%20", None, "q", "`q` must not be blank"),
    ],
)
def test_bad_input_anywhere_is_a_400_naming_the_field(client, method, path, body, field, detail):
    response = client.call("dispatcher", method, path, json=body)

    assert response.status_code == 400, response.json
    assert response.json["field"] == field
    assert response.json["detail"].startswith(detail), response.json["detail"]


def test_a_body_that_is_not_an_object_is_refused(client):
    response = client.call("hotline", "POST", "/tickets", json=["gas_leak"])

    assert response.status_code == 400
    assert response.json == {
        "error": "invalid_input",
        "field": "body",
        "detail": "the request body must be a JSON object",
    }


def test_the_role_is_checked_before_the_body(client):
    response = client.call("manager", "POST", "/tickets", json={"type": "alien_landing"})

    assert response.status_code == 403 and response.json["error"] == "forbidden"


def test_a_valid_ticket_reaches_the_service_with_its_values_as_sent(client):
    response = client.call(
        "hotline",
        "POST",
        "/tickets",
        json={
            "type": "meter_fault",
            **KLUUVI,
            "priority": 2,
            "jurisdiction": "rural",
            "appointment_at": "2026-11-23T09:30:00+08:00",
            "caller_phone": "+86 138-1234-5678",
            "caller_name": None,
        },
    )

    assert response.status_code == 201, response.json
    ticket = response.json["ticket"]
    assert (ticket["priority"], ticket["jurisdiction"]) == (2, "rural")
    assert ticket["appointment_at"] == "2026-11-23T01:30:00+00:00"
    assert ticket["caller_phone"] == "+86 138-1234-5678" and ticket["caller_name"] is None


def test_empty_query_parameters_count_as_absent(client):
    response = client.call("dispatcher", "GET", "/tickets?status=&limit=")

    assert response.status_code == 200 and response.json == {"tickets": []}


def test_a_crew_status_and_its_list_answer_as_documented(client):
    changed = client.call("dispatcher", "POST", "/crews/1/status", json={"status": "off_duty"})
    crews = client.call("manager", "GET", "/crews").json["crews"]

    assert changed.json == {"crew_id": 1, "status": "off_duty"}
    assert [c["status"] for c in crews if c["id"] == 1] == ["off_duty"]


def test_linking_a_call_by_hand_answers_as_documented(client):
    first, second = (
        client.call("hotline", "POST", "/tickets", json={"type": "meter_fault", **KLUUVI}).json
        for _ in range(2)
    )

    linked = client.call(
        "dispatcher",
        "POST",
        f"/tickets/{second['ticket']['id']}/link",
        json={"parent_id": first["ticket"]["id"]},
    )

    assert linked.status_code == 200
    assert linked.json == {"id": second["ticket"]["id"], "duplicate_of": first["ticket"]["id"]}


def test_kpis_geocoding_and_the_document_itself_answer_as_documented(client):
    street = fetch_value(
        client.api.dsn, "SELECT name FROM streets WHERE name IS NOT NULL ORDER BY id LIMIT 1"
    )

    kpis = client.call("manager", "GET", "/kpis")
    found = client.call("hotline", "GET", "/geocode")
    candidates = client.call("hotline", "GET", f"/geocode?q={quote(street)}&limit=1")
    document = client.call(None, "GET", "/openapi.json")

    assert kpis.status_code == 200 and kpis.json["open_p1"] == 0
    assert found.status_code == 400 and found.json["field"] == "q"
    assert candidates.json["candidates"][0]["address"] == street
    assert document.json["openapi"] == "3.1.0"
    assert table_counts(client.api.dsn, ["tickets"]) == {"tickets": 0}


# --- the check itself ----------------------------------------------------------------------------

CONTRACT = Contract(openapi_document())


def test_the_check_refuses_a_status_the_operation_does_not_document():
    with pytest.raises(ContractBroken, match="answered 409; the document lists 200, 401, 503"):
        CONTRACT.check("GET", "/api/v1/crews", 409, {"error": "conflict"})


def test_the_check_refuses_a_path_the_document_does_not_have():
    with pytest.raises(ContractBroken, match="GET /api/v1/vehicles is not in the document"):
        CONTRACT.check("GET", "/api/v1/vehicles", 200, {})


def test_the_check_refuses_a_wrong_type_a_missing_field_and_an_undocumented_one():
    answer = {"id": "7", "status": "assigned", "allowed_next": ["accepted"], "colour": "red"}

    with pytest.raises(ContractBroken) as broken:
        CONTRACT.check("POST", "/api/v1/tickets/7/transition", 200, answer)

    assert "at /id: '7' is not of type 'integer'" in str(broken.value)
    assert "'colour' was unexpected" in str(broken.value)


def test_the_check_refuses_a_time_without_a_zone_and_a_value_outside_its_enumeration():
    token = {
        "token": "t",
        "token_type": "Bearer",
        "expires_at": "2026-11-23T21:30:00",
        "role": "janitor",
        "crew_id": None,
    }

    with pytest.raises(ContractBroken) as broken:
        CONTRACT.check("POST", "/api/v1/auth/token", 200, token)

    assert "'2026-11-23T21:30:00' is not a 'date-time'" in str(broken.value)
    assert "'janitor' is not one of" in str(broken.value)


def test_the_check_accepts_an_error_answer_with_a_null_field():
    CONTRACT.check(
        "GET", "/api/v1/crews", 401, {"error": "unauthenticated", "field": None, "detail": "x"}
    )

    assert ("list_crews", "401") in CONTRACT.checked

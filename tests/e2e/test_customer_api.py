"""GET /api/v1/customers and /customers/{id} over HTTP: bad input is a 4xx naming the field,
the allowed roles get the customer, the crew lead is refused; answers follow the document."""

import pytest

from tests.e2e.api_client import ApiClient, MovableClock

CUSTOMER = (9_100_001, "HX91000001", "991000001", "陈静", "13700001111", "Pihlajakuja 77")


@pytest.fixture
def client(fresh_demo_dsn):
    from dispatch.unit_of_work import UnitOfWork

    with UnitOfWork(fresh_demo_dsn) as uow:
        uow.cur.execute(
            "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone,"
            " address, category, geom) VALUES (%s, %s, %s, %s, %s, %s, 'residential',"
            " ST_SetSRID(ST_MakePoint(24.9466, 60.1712), 4326))",
            CUSTOMER,
        )
    c = ApiClient(fresh_demo_dsn, clock=MovableClock())
    yield c
    c.close()


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/customers", 400, "q"),
        ("/customers?q=", 400, "q"),
        ("/customers?q=12", 400, "q"),
        ("/customers?q=" + "x" * 201, 400, "q"),
        ("/customers?q=1111&limit=3", 400, "limit"),
        ("/customers/99999999", 404, "id"),
    ],
    ids=["missing", "empty", "too-short", "too-long", "unknown-parameter", "unknown-id"],
)
def test_bad_input_answers_4xx_naming_the_field(client, path, status, field):
    r = client.call("hotline", "GET", path)
    assert r.status_code == status, r.json
    assert r.json["field"] == field


@pytest.mark.parametrize("user", ["hotline", "dispatcher", "admin"])
def test_the_allowed_roles_find_the_customer_and_open_the_file(client, user):
    found = client.call(user, "GET", "/customers?q=70000%201111")  # the phone's end, spaced
    assert found.status_code == 200
    first = found.json["customers"][0]
    assert (first["id"], first["name"], first["phone"]) == (9_100_001, "陈静", "13700001111")
    assert first["matched"] == "phone" and first["score"] == 75.0
    file = client.call(user, "GET", "/customers/9100001")
    assert file.status_code == 200
    assert file.json["customer"]["address"] == "Pihlajakuja 77"
    assert file.json["meters"] == [
        {"id": 9_100_001, "meter_no": "HX91000001", "address": "Pihlajakuja 77"}
    ]
    assert file.json["tickets"] == [] and file.json["readings"] == []


def test_a_ticket_opened_by_account_shows_in_the_customer_file(client):
    made = client.call(
        "hotline",
        "POST",
        "/tickets",
        json={"type": "meter_fault", "account_no": "991000001", "caller_name": "Neighbour"},
    )
    assert made.status_code == 201, made.json
    file = client.call("hotline", "GET", "/customers/9100001").json
    assert [t["number"] for t in file["tickets"]] == [made.json["ticket"]["number"]]
    assert file["tickets"][0]["type"] == "meter_fault"


@pytest.mark.parametrize("user", ["crewlead", "manager"])
def test_roles_without_the_customer_search_are_refused(client, user):
    for path in ("/customers?q=991000001", "/customers/9100001"):
        r = client.call(user, "GET", path)
        assert r.status_code == 403 and r.json["error"] == "forbidden"


def test_a_promised_reply_is_shown_on_the_ticket_and_recorded_once(client):
    made = client.call(
        "hotline",
        "POST",
        "/tickets",
        json={"type": "consultation", "promised_reply_at": "2099-01-01T10:00:00+08:00"},
    )
    assert made.status_code == 201
    ticket_id = made.json["ticket"]["id"]
    shown = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json
    assert shown["promised_reply_at"] == "2099-01-01T02:00:00+00:00"
    assert shown["replied_at"] is None
    assert client.call("crewlead", "POST", f"/tickets/{ticket_id}/reply").status_code == 403
    done = client.call("hotline", "POST", f"/tickets/{ticket_id}/reply")
    assert done.status_code == 200 and done.json["late"] is False
    assert done.json["replied_by"] == "hotline"
    again = client.call("hotline", "POST", f"/tickets/{ticket_id}/reply")
    assert again.status_code == 409 and again.json["field"] == "id"
    assert client.call("hotline", "POST", "/tickets/99999999/reply").status_code == 404

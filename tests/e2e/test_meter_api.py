"""Meter reading over the JSON API on the demo database: a meter's readings for the customer's
file, the scan's tasks, and a refund or top-up through its chain of approvals (over 500 m³:
team lead and manager; over 1,000 m³: also finance manager and vice-president; the system
administrator last), each step signed by its own role. Answers are checked against the
OpenAPI document; figures are written by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from dispatch import auth, meter_repository, meter_service
from dispatch.actor import Actor
from dispatch.cli import DEMO_PASSWORD
from dispatch.meter_import import import_readings
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_value
from tests.e2e.api_client import ApiClient, MovableClock

NOW = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def meter(fresh_demo_dsn, tmp_path) -> dict:
    """A household meter of the demo with four hand-written readings and two tasks."""
    row = fetch_value(
        fresh_demo_dsn,
        "SELECT json_build_object('id', id, 'meter_no', meter_no) FROM customer_meters"
        " WHERE category = 'residential' ORDER BY id LIMIT 1",
    )
    path = tmp_path / "round.csv"
    path.write_text(
        "meter_no,read_on,reading_m3,reader\n"
        f"{row['meter_no']},2025-03-20,1000,Li\n"
        f"{row['meter_no']},2025-04-20,1018.5,Li\n"
        f"{row['meter_no']},2025-05-20,1138.5,Wang\n"
        f"{row['meter_no']},2025-06-20,1200,Wang\n"
    )
    report = import_readings(fresh_demo_dsn, path, today=NOW.date(), now=NOW)
    assert report.imported == 4
    tasks = pd.DataFrame(
        {
            "kind": ["re_read", "home_check"],
            "meter_id": [row["id"]] * 2,
            "month": [date(2025, 5, 1)] * 2,
            "value": [120.0, 120.0],
        }
    )
    with UnitOfWork(fresh_demo_dsn) as uow:
        assert meter_repository.insert_tasks(uow.cur, tasks) == 2
        auth.add_user(uow, "meterlead2", "meter_team_lead", DEMO_PASSWORD)
    return row


@pytest.fixture
def client(fresh_demo_dsn, meter):
    api = ApiClient(fresh_demo_dsn, clock=MovableClock(NOW))
    yield api
    api.close()


def test_the_hotline_reads_a_meters_readings_newest_first_with_each_months_use(client, meter):
    r = client.call("hotline", "GET", f"/meters/{meter['id']}/readings?limit=3")

    assert r.status_code == 200
    assert r.json["meter_no"] == meter["meter_no"]
    assert [(x["read_on"], x["reading_m3"], x["consumption_m3"]) for x in r.json["readings"]] == [
        ("2025-06-20", 1200.0, 61.5),
        ("2025-05-20", 1138.5, 120.0),
        ("2025-04-20", 1018.5, 18.5),
    ]
    assert sorted(t["kind"] for t in r.json["tasks"]) == ["home_check", "re_read"]


def test_readings_of_is_the_same_file_for_the_hotline_page(fresh_demo_dsn, meter):
    with UnitOfWork(fresh_demo_dsn) as uow:
        file = meter_service.readings_of(
            uow, meter["id"], Actor("hotline", "hotline_agent", None), since=date(2025, 5, 1)
        )
    assert [x["read_on"] for x in file["readings"]] == ["2025-06-20", "2025-05-20"]


def test_readings_refuse_a_crew_lead_an_unknown_meter_and_a_bad_limit(client, meter):
    refused = client.call("crewlead", "GET", f"/meters/{meter['id']}/readings")
    assert refused.status_code == 403 and "crew_lead" in refused.json["detail"]
    missing = client.call("hotline", "GET", "/meters/99999999/readings")
    assert (missing.status_code, missing.json["field"]) == (404, "meter_id")
    bad = client.call("hotline", "GET", f"/meters/{meter['id']}/readings?limit=0")
    assert (bad.status_code, bad.json["field"]) == (400, "limit")


def test_the_team_lead_lists_open_tasks_by_kind_and_month(client, meter):
    r = client.call("meterlead", "GET", "/meter-tasks?kind=re_read&month=2025-05")

    assert r.status_code == 200
    assert [
        (t["meter_id"], t["kind"], t["month"], t["consumption_m3"]) for t in r.json["tasks"]
    ] == [(meter["id"], "re_read", "2025-05", 120.0)]
    assert client.call("meterlead", "GET", "/meter-tasks?month=2025-04").json["tasks"] == []
    assert client.call("hotline", "GET", "/meter-tasks").status_code == 403
    bad = client.call("meterlead", "GET", "/meter-tasks?kind=guess")
    assert (bad.status_code, bad.json["field"]) == (400, "kind")


def request(client, meter, volume, user="meterlead2", direction="refund"):
    body = {"meter_id": meter["id"], "direction": direction, "volume_m3": volume, "reason": "x"}
    return client.call(user, "POST", "/meter-adjustments", json=body)


def sign(client, user, adjustment_id, decision="approved"):
    return client.call(
        user, "POST", f"/meter-adjustments/{adjustment_id}/approvals", json={"decision": decision}
    )


@pytest.mark.parametrize(
    ("volume", "roles"),
    [
        (500, ["admin"]),  # not over 500
        (500.5, ["meter_team_lead", "manager", "admin"]),
        (1000, ["meter_team_lead", "manager", "admin"]),  # not over 1,000
        (
            1000.001,
            ["meter_team_lead", "manager", "finance_manager", "vice_president", "admin"],
        ),
    ],
)
def test_the_volume_decides_who_must_approve(client, meter, volume, roles):
    r = request(client, meter, volume)

    assert r.status_code == 201
    assert (r.json["required_roles"], r.json["next_role"], r.json["status"]) == (
        roles,
        roles[0],
        "pending",
    )


def test_over_1000_m3_every_step_signs_in_order_and_then_it_applies(client, meter, fresh_demo_dsn):
    adjustment = request(client, meter, 1200, direction="top_up").json
    path = adjustment["id"]

    wrong = sign(client, "finance", path)
    assert wrong.status_code == 403 and wrong.json["field"] == "role"
    assert (
        "role finance_manager may not sign step 1: it needs role meter_team_lead"
        in (wrong.json["detail"])
    )
    no_permission = sign(client, "dispatcher", path)
    assert no_permission.status_code == 403 and "dispatcher" in no_permission.json["detail"]
    own = sign(client, "meterlead2", path)  # the requester does not approve its own
    assert own.status_code == 403

    for user, next_role in [
        ("meterlead", "manager"),
        ("manager", "finance_manager"),
        ("finance", "vice_president"),
    ]:
        r = sign(client, user, path)
        assert (r.status_code, r.json["status"], r.json["next_role"]) == (201, "pending", next_role)
    early = sign(client, "admin", path)  # the administrator is last, after the vice-president
    assert early.status_code == 403 and "needs role vice_president" in early.json["detail"]
    assert sign(client, "vp", path).json["next_role"] == "admin"

    done = sign(client, "admin", path)

    assert (done.status_code, done.json["status"], done.json["next_role"]) == (201, "applied", None)
    assert done.json["decided_at"] == NOW.isoformat()
    assert [(a["step"], a["role"], a["by"], a["at"]) for a in done.json["approvals"]] == [
        (1, "meter_team_lead", "meterlead", NOW.isoformat()),
        (2, "manager", "manager", NOW.isoformat()),
        (3, "finance_manager", "finance", NOW.isoformat()),
        (4, "vice_president", "vp", NOW.isoformat()),
        (5, "admin", "admin", NOW.isoformat()),
    ]
    again = sign(client, "admin", path)
    assert again.status_code == 409
    file = client.call("hotline", "GET", f"/meters/{meter['id']}/readings").json
    assert [(a["id"], a["status"]) for a in file["adjustments"]] == [(path, "applied")]
    assert fetch_value(fresh_demo_dsn, "SELECT count(*) FROM meter_adjustment_approvals") == 5


def test_a_rejection_at_any_step_ends_the_adjustment_unapplied(client, meter):
    adjustment = request(client, meter, 700).json

    rejected = sign(client, "meterlead", adjustment["id"], "rejected")

    assert (rejected.json["status"], rejected.json["next_role"]) == ("rejected", None)
    assert sign(client, "manager", adjustment["id"]).status_code == 409
    shown = client.call("vp", "GET", f"/meter-adjustments/{adjustment['id']}").json
    assert shown["status"] == "rejected" and shown["approvals"][0]["decision"] == "rejected"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"volume_m3": -5}, "volume_m3", 400),
        ({"volume_m3": "600"}, "volume_m3", 400),
        ({"direction": "gift"}, "direction", 400),
        ({"reason": " "}, "reason", 400),
        ({"meter_id": 99999999}, "meter_id", 404),
    ],
)
def test_a_bad_adjustment_is_refused_naming_the_field(client, meter, change, field, status):
    body = {"meter_id": meter["id"], "direction": "refund", "volume_m3": 600, "reason": "x"}
    r = client.call("meterlead", "POST", "/meter-adjustments", json=body | change)

    assert (r.status_code, r.json["field"]) == (status, field)


def test_only_the_team_lead_manager_or_admin_request_and_a_bad_decision_names_its_field(
    client, meter
):
    assert request(client, meter, 600, user="finance").status_code == 403
    adjustment = request(client, meter, 600).json
    bad = client.call(
        "meterlead",
        "POST",
        f"/meter-adjustments/{adjustment['id']}/approvals",
        json={"decision": "ok"},
    )
    assert (bad.status_code, bad.json["field"]) == (400, "decision")


def test_demo_readings_load_a_year_for_every_meter_once(fresh_demo_dsn, monkeypatch, capsys):
    from dispatch.cli import main

    monkeypatch.setenv("DATABASE_URL", fresh_demo_dsn)
    meters = fetch_value(fresh_demo_dsn, "SELECT count(*) FROM customer_meters")

    assert main(["demo", "readings"]) == 0
    assert main(["demo", "readings"]) == 0

    assert "nothing done" in capsys.readouterr().err
    # 13 readings a meter (the baseline month and 12 more) less the 5 planted missed ones
    assert fetch_value(fresh_demo_dsn, "SELECT count(*) FROM meter_readings") == meters * 13 - 5
    assert (
        fetch_value(fresh_demo_dsn, "SELECT count(*) FROM meter_readings_default") == 0
    )  # every row in its month's partition

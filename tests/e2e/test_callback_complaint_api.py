"""Callbacks (回访) and complaints (投诉) through the JSON API, on a fresh copy of the demo
database with a movable clock: the daily sample, re-opening a job the customer is not
satisfied with, satisfaction figures, the complaint loop, the reply deadline, roles."""

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import psycopg2
import pytest

from dispatch.actor import Actor
from dispatch.api import ROUTES
from dispatch.auth import PERMISSIONS, ROLES
from dispatch.callback_service import draw_daily_callbacks
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute, fetch_all, fetch_value, table_counts
from tests.e2e.api_client import DEMO_USER_OF_ROLE, ApiClient, MovableClock

KLUUVI = {"lon": 24.9466, "lat": 60.1712}
# The day the callbacks are drawn; jobs finished 3 to 5 days before it are in the window.
DRAW_DAY = date(2026, 11, 20)
FRIDAY_3PM = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
AFTERCARE_TABLES = ["callback_draws", "callbacks", "complaints", "complaint_events"]


@pytest.fixture
def clock():
    return MovableClock(FRIDAY_3PM)


@pytest.fixture
def client(fresh_demo_dsn, clock):
    c = ApiClient(fresh_demo_dsn, clock=clock)
    yield c
    c.close()


@pytest.fixture
def crews(fresh_demo_dsn):
    """(id, code) of three crews."""
    return fetch_all(fresh_demo_dsn, "SELECT id, code FROM crews ORDER BY id LIMIT 3")


def _closed_job(dsn, ticket_type, crew_id, closed_on: date, hour=10):
    """A ticket closed at ``hour`` UTC on ``closed_on`` by crew ``crew_id``, written directly."""
    closed_at = datetime(closed_on.year, closed_on.month, closed_on.day, hour, tzinfo=UTC)
    return fetch_value(
        dsn,
        "INSERT INTO tickets (id, number, ticket_type, priority, status, taken_by, received_at,"
        " repaired_at, closed_at, crew_id, caller_name, caller_phone, address, geom)"
        " SELECT n.id, 'TEST-' || n.id, %s, 3, 'closed', 'test', %s, %s, %s, %s,"
        " '王伟', '13812345678', 'Mannerheimintie 1',"
        " ST_SetSRID(ST_MakePoint(24.9466, 60.1712), 4326)"
        " FROM (SELECT nextval('tickets_id_seq') AS id) n RETURNING id",
        (ticket_type, closed_at - timedelta(hours=3), closed_at, closed_at, crew_id),
    )


def _draw(client, day=DRAW_DAY, seed=7, user="dispatcher"):
    response = client.call(
        user, "POST", "/callbacks/draw", json={"date": day.isoformat(), "seed": seed}
    )
    assert response.status_code in (200, 201), response.json
    return response


def _move_clock(client, clock, to: datetime) -> None:
    """Set the clock; tokens last one shift, so a jump of days means logging in again."""
    clock.now = to
    client.tokens.clear()


def _days_before(n):
    return DRAW_DAY - timedelta(days=n)


# --- the daily sample --------------------------------------------------------------------------


def test_the_draw_takes_every_paid_repair_a_tenth_of_inspections_and_nothing_outside_the_window(
    client, crews
):
    dsn = client.api.dsn
    paid = [_closed_job(dsn, "paid_repair", crews[i % 3][0], _days_before(3)) for i in range(4)]
    for i in range(25):  # 0.1 x 25 = 2.5, rounded half up: 3 calls
        _closed_job(dsn, "safety_inspection", crews[i % 3][0], _days_before(3 + i % 3))
    _closed_job(dsn, "consultation", crews[0][0], _days_before(4))  # nobody went out
    too_old = _closed_job(dsn, "paid_repair", crews[0][0], _days_before(6))
    too_new = _closed_job(dsn, "paid_repair", crews[0][0], _days_before(2))

    response = _draw(client)

    assert response.status_code == 201, response.json
    sample = response.json
    assert sample["already_drawn"] is False and sample["window_days"] == [3, 5]
    assert sample["by_type"] == {
        "paid_repair": {"selected": 4, "eligible": 4},
        "safety_inspection": {"selected": 3, "eligible": 25},
    }
    drawn = {c["ticket_id"] for c in sample["callbacks"]}
    assert len(sample["callbacks"]) == 7 and set(paid) <= drawn
    assert too_old not in drawn and too_new not in drawn
    assert all(c["status"] == "pending" for c in sample["callbacks"])
    assert {c["worker"] for c in sample["callbacks"]} <= {code for _, code in crews}
    calls = list(sample["by_worker"].values())
    assert max(calls) - min(calls) <= 1  # balanced over the front-line workers


def test_a_second_draw_the_same_day_returns_the_first_sample_whatever_the_seed(client, crews):
    for i in range(12):
        _closed_job(client.api.dsn, "free_repair", crews[i % 3][0], _days_before(4))
    first = _draw(client, seed=1).json

    again = _draw(client, seed=2)

    assert again.status_code == 200 and again.json["already_drawn"] is True
    assert again.json["seed"] == 1
    assert again.json["callbacks"] == first["callbacks"]
    counts = table_counts(client.api.dsn, ["callback_draws", "callbacks"])
    assert counts == {"callback_draws": 1, "callbacks": len(first["callbacks"])}


def test_a_job_an_earlier_draw_considered_is_not_considered_again_the_next_day(client, crews):
    dsn = client.api.dsn
    considered = [_closed_job(dsn, "paid_repair", crews[0][0], _days_before(n)) for n in (3, 4)]
    later = _closed_job(dsn, "paid_repair", crews[1][0], _days_before(2))
    _draw(client)

    next_day = _draw(client, day=DRAW_DAY + timedelta(days=1)).json

    assert [c["ticket_id"] for c in next_day["callbacks"]] == [later]
    assert not set(considered) & {c["ticket_id"] for c in next_day["callbacks"]}


def test_two_racing_draws_of_one_day_store_one_sample(client, crews):
    dsn = client.api.dsn
    for i in range(30):
        _closed_job(dsn, "safety_inspection", crews[i % 3][0], _days_before(3 + i % 3))
    actor, now = Actor("dispatcher", "dispatcher"), FRIDAY_3PM
    first_drawn, release = threading.Event(), threading.Event()
    results = {}

    def first():
        with UnitOfWork(dsn) as uow:
            results["first"] = draw_daily_callbacks(uow, DRAW_DAY, 1, actor, now=now)
            first_drawn.set()
            release.wait(30)  # commit only once the second draw is blocked on the day's row

    thread = threading.Thread(target=first)
    thread.start()
    first_drawn.wait(30)
    second = threading.Thread(
        target=lambda: results.update(
            second=_draw_in_own_transaction(dsn, actor, now),
        )
    )
    second.start()
    _wait_for_a_lock_wait(dsn)
    release.set()
    thread.join(30)
    second.join(30)

    assert results["second"]["already_drawn"] is True
    assert results["second"]["callbacks"] == results["first"]["callbacks"]
    assert table_counts(dsn, ["callback_draws", "callbacks"]) == {
        "callback_draws": 1,
        "callbacks": len(results["first"]["callbacks"]),
    }


def _draw_in_own_transaction(dsn, actor, now):
    with UnitOfWork(dsn) as uow:
        return draw_daily_callbacks(uow, DRAW_DAY, 2, actor, now=now)


def _wait_for_a_lock_wait(dsn, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        waiting = fetch_value(
            dsn,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        if waiting:
            return
        time.sleep(0.05)
    pytest.fail("the second draw never waited for the first")


# --- answers -----------------------------------------------------------------------------------


def _finished_through_the_api(client, clock):
    """A paid repair taken, assigned to the crew lead's crew (it has the indoor-repair skill),
    done and closed through the API; returns its id."""
    ticket = client.call("hotline", "POST", "/tickets", json={"type": "paid_repair", **KLUUVI})
    ticket_id = ticket.json["ticket"]["id"]
    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id})
    for step in ["accepted", "en_route", "on_site", "repaired"]:
        clock.now += timedelta(minutes=10)
        r = client.call(
            "crewlead", "POST", f"/tickets/{ticket_id}/transition", json={"status": step}
        )
        assert r.status_code == 200, r.json
    closed = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/transition", json={"status": "closed"}
    )
    assert closed.status_code == 200, closed.json
    return ticket_id


def test_an_unsatisfied_customer_reopens_the_job_for_a_new_visit(client, clock):
    ticket_id = _finished_through_the_api(client, clock)
    _move_clock(client, clock, clock.now + timedelta(days=4))
    callbacks = _draw(client, day=clock.now.date()).json["callbacks"]
    assert [c["ticket_id"] for c in callbacks] == [ticket_id]  # paid repairs: 100 %

    answer = client.call(
        "dispatcher",
        "POST",
        f"/callbacks/{callbacks[0]['id']}",
        json={"attitude": 9, "skill": 4, "issues": "the meter still clicks"},
    )

    assert answer.status_code == 200, answer.json
    assert answer.json["unsatisfied"] is True and answer.json["reopened"] is True
    ticket = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json
    assert ticket["status"] == "new" and "assigned" in ticket["allowed_next"]
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    reopened = [e for e in events if e["event_type"] == "reopened"]
    assert len(reopened) == 1
    assert reopened[0]["from_status"] == "closed" and reopened[0]["to_status"] == "new"
    assert reopened[0]["reason"] == "customer not satisfied at callback"
    again = client.call(
        "dispatcher", "POST", f"/callbacks/{callbacks[0]['id']}", json={"attitude": 10, "skill": 10}
    )
    assert again.status_code == 409 and again.json["field"] == "callback_id"


def test_a_satisfied_customer_leaves_the_job_closed_and_fair_attire_is_followed_up(client, clock):
    ticket_id = _finished_through_the_api(client, clock)
    _move_clock(client, clock, clock.now + timedelta(days=3))
    callback_id = _draw(client, day=clock.now.date()).json["callbacks"][0]["id"]

    answer = client.call(
        "dispatcher",
        "POST",
        f"/callbacks/{callback_id}",
        json={"attitude": 8, "skill": 7, "attire": "fair", "punctuality": "good"},
    ).json

    assert answer["reopened"] is False and answer["follow_up"] is True
    assert client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json["status"] == "closed"


def test_satisfaction_is_the_mean_of_the_attitude_and_skill_means_per_worker_and_type(
    client, clock, crews
):
    dsn = client.api.dsn
    (a_id, a_code), (b_id, b_code) = crews[0], crews[1]
    for crew_id in (a_id, a_id, b_id, b_id):
        _closed_job(dsn, "paid_repair", crew_id, _days_before(3))
    _closed_job(dsn, "appliance_repair", a_id, _days_before(3))
    callbacks = _draw(client).json["callbacks"]
    by_worker = {}
    for c in callbacks:
        by_worker.setdefault((c["worker"], c["type"]), []).append(c["id"])
    answers = [
        (by_worker[(a_code, "paid_repair")][0], {"attitude": 8, "skill": 6}),
        (by_worker[(a_code, "paid_repair")][1], {"attitude": 10, "skill": 9, "attire": "poor"}),
        (by_worker[(a_code, "appliance_repair")][0], {"attitude": 9, "skill": 9}),
        (by_worker[(b_code, "paid_repair")][0], {"attitude": 5, "skill": 7}),  # unsatisfied
        (by_worker[(b_code, "paid_repair")][1], {"status": "unreachable"}),
    ]
    for callback_id, body in answers:
        r = client.call("dispatcher", "POST", f"/callbacks/{callback_id}", json=body)
        assert r.status_code == 200, r.json

    report = client.call(
        "manager", "GET", "/callbacks/satisfaction?since=2026-11-20&until=2026-11-20"
    ).json

    assert (report["calls"], report["answered"], report["unreachable"]) == (5, 4, 1)
    assert report["unsatisfied"] == 1 and report["reopened"] == 1
    assert report["overall"] == {
        "attitude_mean": pytest.approx(8.0),  # (8 + 10 + 9 + 5) / 4
        "skill_mean": pytest.approx(7.75),  # (6 + 9 + 9 + 7) / 4
        "overall": pytest.approx(7.875),
        "count": 4,
    }
    assert report["by_worker"][a_code]["overall"] == pytest.approx((9 + 8) / 2)
    assert report["by_worker"][b_code] == {
        "attitude_mean": 5.0,
        "skill_mean": 7.0,
        "overall": 6.0,
        "count": 1,
    }
    assert report["by_type"]["appliance_repair"]["overall"] == pytest.approx(9.0)
    assert report["by_type"]["paid_repair"]["count"] == 3
    assert [(f["worker"], f["attire"]) for f in report["follow_ups"]] == [(a_code, "poor")]
    other_day = client.call(
        "manager", "GET", "/callbacks/satisfaction?since=2026-11-21&until=2026-11-30"
    ).json
    assert other_day["answered"] == 0 and other_day["overall"]["overall"] is None


def test_the_callback_list_masks_the_customer_for_a_manager_only(client, crews):
    _closed_job(client.api.dsn, "paid_repair", crews[0][0], _days_before(3))
    _draw(client)

    as_manager = client.call("manager", "GET", "/callbacks?date=2026-11-20").json["callbacks"]
    as_dispatcher = client.call("dispatcher", "GET", "/callbacks?date=2026-11-20").json

    assert as_manager[0]["customer_phone"] == "138****5678"
    assert as_manager[0]["customer_name"] == "王*"
    assert as_dispatcher["callbacks"][0]["customer_phone"] == "13812345678"
    assert as_dispatcher["drawn"] is True


# --- complaints --------------------------------------------------------------------------------


def _complaint(client, user="hotline", **extra):
    body = {
        "channel": "hotline",
        "description": "the fitter was rude and left the kitchen dirty",
        "customer_name": "李娜",
        "customer_phone": "13900001111",
        "account_no": "A-1001",
        **extra,
    }
    return client.call(user, "POST", "/complaints", json=body)


def _act(client, complaint_id, action, body=None, user="dispatcher"):
    return client.call(user, "POST", f"/complaints/{complaint_id}/{action}", json=body or {})


def test_a_complaint_goes_round_its_loop_to_closure_with_every_step_logged(client, clock):
    opened = _complaint(client)
    assert opened.status_code == 201, opened.json
    complaint = opened.json
    assert complaint["status"] == "intake" and complaint["level"] == 1
    assert complaint["reply_due_at"] == "2026-11-24T15:00:00+00:00"
    cid = complaint["id"]

    steps = [
        ("dispatch", {"department": "metering"}),
        ("dispatch", {"department": "customer_service"}),  # misrouted: sent on
        ("investigate", {}),
        ("reply", {"reply": "we apologise", "fault_class": "C", "worker": "E-01"}),
        ("callback", {"result": "customer accepts the apology"}),
        ("close", {}),
    ]
    for action, body in steps:
        clock.now += timedelta(hours=2)
        r = _act(client, cid, action, body)
        assert r.status_code == 200, (action, r.json)

    final = client.call("dispatcher", "GET", f"/complaints/{cid}").json
    assert final["status"] == "closed" and final["allowed_next"] == []
    assert final["department"] == "customer_service"
    assert (final["fault_class"], final["worker"]) == ("C", "E-01")
    assert final["replied_on_time"] is True and final["overdue"] is False
    assert [e["event_type"] for e in final["events"]] == [
        "received",
        "dispatched",
        "rerouted",
        "investigation_started",
        "classified",
        "replied",
        "callback_recorded",
        "closed",
    ]
    assert final["events"][-1]["actor"] == "dispatcher"
    with pytest.raises(psycopg2.Error, match="append-only"):
        execute(client.api.dsn, "DELETE FROM complaint_events WHERE complaint_id = %s", (cid,))


def test_an_illegal_complaint_step_is_409_with_the_allowed_next(client):
    cid = _complaint(client).json["id"]

    response = _act(client, cid, "close")

    assert response.status_code == 409
    assert "allowed next: dispatched" in response.json["detail"]
    assert client.call("dispatcher", "GET", f"/complaints/{cid}").json["status"] == "intake"


def test_escalating_makes_level_2_once_and_media_complaints_start_there(client):
    cid = _complaint(client).json["id"]

    first = _act(client, cid, "escalate", {"reason": "customer called the newspaper"}).json
    second = _act(client, cid, "escalate", {"reason": "again"}).json
    media = _complaint(client, channel="media").json

    assert first["escalated"] is True and first["complaint"]["level"] == 2
    assert second["escalated"] is False
    events = [e["event_type"] for e in second["complaint"]["events"]]
    assert events.count("escalated") == 1
    assert media["level"] == 2


def test_a_complaint_received_friday_3pm_is_overdue_after_tuesday_3pm_once(client, clock):
    late = _complaint(client).json["id"]
    answered = _complaint(client).json["id"]
    for action, body in [
        ("dispatch", {"department": "repair"}),
        ("investigate", {}),
        ("reply", {"reply": "fixed"}),
    ]:
        _act(client, answered, action, body)

    _move_clock(client, clock, datetime(2026, 11, 24, 14, 59, tzinfo=UTC))  # a minute early
    early = client.call("dispatcher", "POST", "/complaints/check-overdue").json["raised"]
    _move_clock(client, clock, datetime(2026, 11, 24, 15, 1, tzinfo=UTC))
    due = client.call("dispatcher", "POST", "/complaints/check-overdue").json["raised"]
    again = client.call("admin", "POST", "/complaints/check-overdue").json["raised"]

    assert early == []
    assert due == [
        {"complaint_id": late, "status": "intake", "reply_due_at": "2026-11-24T15:00:00+00:00"}
    ]
    assert again == []
    complaint = client.call("dispatcher", "GET", f"/complaints/{late}").json
    assert complaint["overdue"] is True
    assert [e["event_type"] for e in complaint["events"]].count("complaint_overdue") == 1
    overdue_list = client.call("manager", "GET", "/complaints?overdue=1").json["complaints"]
    assert [c["id"] for c in overdue_list] == [late]


def test_a_manager_sees_complaints_with_the_customer_masked_and_unmasked_reads_are_logged(client):
    cid = _complaint(client).json["id"]
    reads = fetch_value(client.api.dsn, "SELECT count(*) FROM personal_data_reads")

    as_manager = client.call("manager", "GET", f"/complaints/{cid}").json
    listed = client.call("manager", "GET", "/complaints").json["complaints"]
    as_dispatcher = client.call("dispatcher", "GET", f"/complaints/{cid}").json

    assert as_manager["customer_name"] == "李*" and as_manager["customer_phone"] == "139****1111"
    assert as_manager["personal_data_masked"] is True
    assert listed[0]["customer_phone"] == "139****1111"
    assert as_dispatcher["customer_phone"] == "13900001111"
    assert fetch_value(client.api.dsn, "SELECT count(*) FROM personal_data_reads") == reads + 1


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"channel": None}, "channel", 400),
        ({"channel": "pigeon"}, "channel", 400),
        ({"description": ""}, "description", 400),
        ({"customer_phone": "call me"}, "customer_phone", 400),
        ({"level": 3}, "level", 400),
        ({"level": "high"}, "level", 400),
        ({"fault_class": "D"}, "fault_class", 400),
        ({"ticket_id": 999999}, "ticket_id", 404),
    ],
    ids=[
        "no-channel",
        "unknown-channel",
        "no-description",
        "bad-phone",
        "level-3",
        "level-text",
        "fault-class-D",
        "unknown-ticket",
    ],
)
def test_a_bad_complaint_is_a_4xx_naming_the_field_and_nothing_is_stored(
    client, body, field, status
):
    response = _complaint(client, **body)

    assert response.status_code == status, response.json
    assert response.json["field"] == field and f"`{field}`" in response.json["detail"]
    assert table_counts(client.api.dsn, ["complaints", "complaint_events"]) == {
        "complaints": 0,
        "complaint_events": 0,
    }


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("dispatch", {}, "department"),
        ("dispatch", {"department": "  "}, "department"),
        ("escalate", {}, "reason"),
    ],
)
def test_a_bad_complaint_step_is_a_400_naming_the_field_and_changes_nothing(
    client, action, body, field
):
    cid = _complaint(client).json["id"]

    response = _act(client, cid, action, body)

    assert response.status_code == 400 and response.json["field"] == field
    complaint = client.call("dispatcher", "GET", f"/complaints/{cid}").json
    assert (complaint["status"], complaint["level"]) == ("intake", 1)
    assert [e["event_type"] for e in complaint["events"]] == ["received"]


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"attitude": 11, "skill": 5}, "attitude"),
        ({"attitude": 7}, "skill"),
        ({"attitude": 7, "skill": "7"}, "skill"),
        ({"attitude": 7, "skill": 7, "attire": "excellent"}, "attire"),
        ({"attitude": 7, "skill": 7, "issues": 3}, "issues"),
        ({"status": "maybe"}, "status"),
        ({"status": "unreachable", "attitude": 3}, "attitude"),
    ],
)
def test_a_bad_callback_answer_is_a_400_naming_the_field_and_nothing_is_stored(
    client, crews, answer, field
):
    ticket_id = _closed_job(client.api.dsn, "paid_repair", crews[0][0], _days_before(3))
    callback_id = _draw(client).json["callbacks"][0]["id"]

    response = client.call("dispatcher", "POST", f"/callbacks/{callback_id}", json=answer)

    assert response.status_code == 400, response.json
    assert response.json["field"] == field and f"`{field}`" in response.json["detail"]
    assert fetch_value(client.api.dsn, "SELECT status FROM callbacks") == "pending"
    status = fetch_value(client.api.dsn, "SELECT status FROM tickets WHERE id = %s", (ticket_id,))
    assert status == "closed"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/callbacks/draw", {"date": "yesterday"}, "date"),
        ("POST", "/callbacks/draw", {"date": 20261120}, "date"),
        ("POST", "/callbacks/draw", {"seed": -1}, "seed"),
        ("POST", "/callbacks/draw", {"seed": "lucky"}, "seed"),
        ("GET", "/callbacks?date=2026-13-01", None, "date"),
        ("GET", "/callbacks/satisfaction?since=2026-11-21&until=2026-11-20", None, "since"),
        ("GET", "/callbacks/satisfaction?until=soon", None, "until"),
        ("GET", "/complaints?level=5", None, "level"),
        ("GET", "/complaints?status=lost", None, "status"),
        ("GET", "/geocode", None, "q"),
        ("GET", "/geocode?q=Mannerheimintie&limit=0", None, "limit"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(client, method, path, body, field):
    response = client.call("dispatcher", method, path, json=body)

    assert response.status_code == 400, response.json
    assert response.json["field"] == field and f"`{field}`" in response.json["detail"]
    assert table_counts(client.api.dsn, AFTERCARE_TABLES) == dict.fromkeys(AFTERCARE_TABLES, 0)


def test_unknown_callbacks_and_complaints_are_404(client):
    assert client.call("dispatcher", "POST", "/callbacks/999999", json={}).status_code == 404
    assert client.call("dispatcher", "GET", "/complaints/999999").status_code == 404
    missing = _act(client, 999999, "investigate")
    assert missing.status_code == 404 and missing.json["field"] == "complaint_id"


# --- geocoding ---------------------------------------------------------------------------------


def test_geocode_offers_candidates_from_the_territory(client):
    street = fetch_value(
        client.api.dsn,
        "SELECT name FROM streets WHERE name IS NOT NULL ORDER BY length_m DESC LIMIT 1",
    )

    response = client.call("hotline", "GET", f"/geocode?q={quote(street)}&limit=3")

    assert response.status_code == 200, response.json
    candidates = response.json["candidates"]
    assert 1 <= len(candidates) <= 3
    assert candidates[0]["score"] == 1.0 and street in [c["address"] for c in candidates]
    assert set(candidates[0]) == {"address", "lon", "lat", "score", "source"}


# --- roles -------------------------------------------------------------------------------------

AFTERCARE_ROUTES = [
    r for r in ROUTES if r.path.startswith(("/callbacks", "/complaints", "/geocode"))
]
ROLE_CASES = [(route, role) for route in AFTERCARE_ROUTES for role in ROLES]


def test_every_aftercare_route_names_a_known_action():
    assert len(AFTERCARE_ROUTES) == 20  # 15, and the desks' 5 (issue 11)
    assert all(r.action in PERMISSIONS for r in AFTERCARE_ROUTES)


@pytest.mark.parametrize(
    ("route", "role"), ROLE_CASES, ids=[f"{r.method} {r.path} as {role}" for r, role in ROLE_CASES]
)
def test_every_aftercare_endpoint_checks_the_role(client, route, role):
    path = re.sub(r"<int:\w+>", "999999", route.path)
    response = client.call(DEMO_USER_OF_ROLE[role], route.method, path, json={})

    if role in PERMISSIONS[route.action]:
        assert response.status_code != 403, response.json
    else:
        assert response.status_code == 403
        assert response.json["error"] == "forbidden"


def test_a_hotline_agent_opens_complaints_and_a_manager_only_reads_them(client):
    opened = _complaint(client, user="hotline")
    cid = opened.json["id"]

    assert opened.status_code == 201
    assert _complaint(client, user="manager").status_code == 403
    assert client.call("hotline", "GET", f"/complaints/{cid}").status_code == 403
    assert _act(client, cid, "dispatch", {"department": "x"}, user="manager").status_code == 403
    assert client.call("manager", "GET", f"/complaints/{cid}").status_code == 200
    assert client.call("manager", "POST", "/callbacks/draw", json={}).status_code == 403
    assert client.call("manager", "GET", "/callbacks/satisfaction").status_code == 200


def test_a_free_repair_the_customer_paid_for_is_called_back_under_the_paid_quota(client, clock):
    # A free repair alone is sampled at 10 % (1 call of 1 job); signed for a charge, it is a
    # paid repair (维修收费, 100 %) in the draw's figures.
    ticket = client.call("hotline", "POST", "/tickets", json={"type": "free_repair", **KLUUVI})
    ticket_id = ticket.json["ticket"]["id"]
    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id})
    for step in ["accepted", "en_route", "on_site", "repaired"]:
        clock.now += timedelta(minutes=10)
        client.call("crewlead", "POST", f"/tickets/{ticket_id}/transition", json={"status": step})
    signed = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/signoff",
        json={"items": [{"code": "hose_replace", "quantity": 1}], "customer_refused": True},
    )
    assert signed.status_code == 201 and signed.json["paid"] is True
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/transition", json={"status": "closed"})
    _move_clock(client, clock, clock.now + timedelta(days=4))

    draw = _draw(client, day=clock.now.date()).json

    assert draw["by_type"] == {"paid_repair": {"selected": 1, "eligible": 1}}
    assert [c["ticket_id"] for c in draw["callbacks"]] == [ticket_id]

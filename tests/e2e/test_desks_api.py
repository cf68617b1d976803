"""The call-back and complaint desks through the JSON API (issue 11), on a fresh copy of the
demo with a movable clock: the charge question and its mismatch, follow-ups confirmed by a
supervisor reaching the appraisal, a re-opened job's new times, a re-closed job called again,
complaint tickets as one record, notes, the holiday calendar, quarterly statistics and their
CSV, the ticker's overdue alarm, and bad input answered 4xx naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch import callback_service
from dispatch.actor import Actor
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute, fetch_all, fetch_value
from tests.e2e.api_client import ApiClient, MovableClock
from tests.e2e.test_callback_complaint_api import _closed_job

DRAW_DAY = date(2026, 11, 20)
CLOSED_ON = date(2026, 11, 16)  # 4 days before: in the window
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return MovableClock(NOW)


@pytest.fixture
def client(fresh_demo_dsn, clock):
    c = ApiClient(fresh_demo_dsn, clock=clock)
    yield c
    c.close()


@pytest.fixture
def crew(fresh_demo_dsn):
    """A crew with two named members, E-A1 and E-A2."""
    crew_id, code = fetch_all(fresh_demo_dsn, "SELECT id, code FROM crews ORDER BY id LIMIT 1")[0]
    execute(fresh_demo_dsn, "DELETE FROM crew_members WHERE crew_id = %s", (crew_id,))
    execute(
        fresh_demo_dsn,
        "INSERT INTO crew_members (crew_id, employee_no, name) VALUES (%s, 'E-A1', '张伟'),"
        " (%s, 'E-A2', '李强')",
        (crew_id, crew_id),
    )
    return crew_id, code


def _draw(client, user="callbacks", day=DRAW_DAY):
    r = client.call(user, "POST", "/callbacks/draw", json={"date": day.isoformat(), "seed": 3})
    assert r.status_code in (200, 201), r.json
    return r.json


def _callback_of(draw: dict, ticket_id: int) -> dict:
    return next(c for c in draw["callbacks"] if c["ticket_id"] == ticket_id)


def _sign_off(dsn, ticket_id: int, lines: list[tuple[int, str]]):
    """The customer signed for ``lines`` of (quantity, unit price)."""
    total = sum(q * float(p) for q, p in lines)
    execute(
        dsn,
        "INSERT INTO ticket_signoffs (ticket_id, total_cny, signature_png, signed_at,"
        " recorded_by) VALUES (%s, %s, '\\x89', now(), 'test')",
        (ticket_id, total),
    )
    for n, (q, p) in enumerate(lines, start=1):
        execute(
            dsn,
            "INSERT INTO ticket_charges (ticket_id, line, item_code, quantity, unit_price_cny)"
            " VALUES (%s, %s, 'X', %s, %s)",
            (ticket_id, n, q, p),
        )
    execute(dsn, "UPDATE tickets SET paid = true WHERE id = %s", (ticket_id,))


# --- call-backs --------------------------------------------------------------------------------


def test_a_charge_the_customer_reports_differently_from_the_signed_one_is_flagged(
    client, fresh_demo_dsn, crew
):
    ticket_id = _closed_job(fresh_demo_dsn, "paid_repair", crew[0], CLOSED_ON)
    _sign_off(fresh_demo_dsn, ticket_id, [(1, "25.00"), (2, "5.00")])  # 25 + 2 × 5 = 35.00
    callback = _callback_of(_draw(client), ticket_id)
    assert callback["staff"] == ["E-A1", "E-A2"]

    said = client.call(
        "callbacks",
        "POST",
        f"/callbacks/{callback['id']}",
        json={"attitude": 9, "skill": 9, "charge_made": True, "charge_amount": 50},
    )

    assert said.status_code == 200, said.json
    view = said.json["callback"]
    assert view["charge_amount"] == "50.00" and view["charge_recorded"] == "35.00"
    assert view["charge_mismatch"] is True


def test_the_amount_signed_for_is_no_mismatch(client, fresh_demo_dsn, crew):
    ticket_id = _closed_job(fresh_demo_dsn, "paid_repair", crew[0], CLOSED_ON)
    _sign_off(fresh_demo_dsn, ticket_id, [(1, "35.00")])
    callback = _callback_of(_draw(client), ticket_id)

    said = client.call(
        "callbacks",
        "POST",
        f"/callbacks/{callback['id']}",
        json={"attitude": 8, "skill": 9, "charge_made": True, "charge_amount": 35.0},
    )

    assert said.json["callback"]["charge_mismatch"] is False


def test_a_confirmed_follow_up_counts_in_the_employees_appraisal_and_a_rejected_one_not(
    client, fresh_demo_dsn, crew
):
    first = _closed_job(fresh_demo_dsn, "indoor_leak_repair", crew[0], CLOSED_ON)
    second = _closed_job(fresh_demo_dsn, "indoor_leak_repair", crew[0], CLOSED_ON, hour=11)
    draw = _draw(client)
    for ticket_id, answer in (
        (first, {"attire": "poor", "punctuality": "good"}),
        (second, {"attire": "good", "punctuality": "fair"}),
    ):
        cb = _callback_of(draw, ticket_id)
        r = client.call(
            "callbacks",
            "POST",
            f"/callbacks/{cb['id']}",
            json={"attitude": 8, "skill": 8, **answer},
        )
        assert r.json["follow_up"] is True
    open_ = client.call("callbacks", "GET", "/callbacks/follow-ups?status=open").json
    by_ticket = {f["ticket_id"]: f for f in open_["follow_ups"]}
    assert set(by_ticket) == {first, second}
    assert by_ticket[first]["staff"] == ["E-A1", "E-A2"]

    # The agent cannot decide; the supervisor confirms the first for E-A1, rejects the second.
    refused = client.call(
        "callbacks", "POST", f"/callbacks/follow-ups/{by_ticket[first]['id']}",
        json={"decision": "confirmed"},
    )  # fmt: skip
    assert refused.status_code == 403
    confirmed = client.call(
        "manager", "POST", f"/callbacks/follow-ups/{by_ticket[first]['id']}",
        json={"decision": "confirmed", "employees": ["E-A1"], "note": "admitted"},
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed" and confirmed.json["decided_by"] == "manager"
    rejected = client.call(
        "manager", "POST", f"/callbacks/follow-ups/{by_ticket[second]['id']}",
        json={"decision": "rejected", "note": "traffic accident on the way"},
    )  # fmt: skip
    assert rejected.json["status"] == "rejected"
    again = client.call(
        "manager", "POST", f"/callbacks/follow-ups/{by_ticket[second]['id']}",
        json={"decision": "confirmed"},
    )  # fmt: skip
    assert again.status_code == 409

    appraisal = client.call("manager", "GET", "/callbacks/appraisal").json
    assert appraisal["employees"] == [
        {
            "employee_no": "E-A1",
            "name": "张伟",
            "crew": crew[1],
            "confirmed": 1,
            "attire": 1,
            "punctuality": 0,
        }
    ]


def test_an_unsatisfied_customer_reopens_the_job_with_new_times_and_is_called_until_satisfied(
    client, clock, fresh_demo_dsn, crew
):
    ticket_id = _closed_job(fresh_demo_dsn, "free_repair", crew[0], CLOSED_ON)
    # Drawn (free repairs at 100 % for this first draw) and answered unsatisfied.
    with UnitOfWork(fresh_demo_dsn) as uow:
        callback_service.draw_daily_callbacks(
            uow, DRAW_DAY, 1, Actor("cb", "callback_agent"), now=NOW, quotas={"free_repair": 1.0}
        )
    cb_id = fetch_value(
        fresh_demo_dsn, "SELECT id FROM callbacks WHERE ticket_id = %s", (ticket_id,)
    )
    said = client.call("callbacks", "POST", f"/callbacks/{cb_id}", json={"attitude": 3, "skill": 7})
    assert said.json["reopened"] is True

    # The re-opened job was received at the call (09:00) and a P3 free repair is due a crew
    # within 1440 min (urban policy): 21 Nov 09:00; nothing is missed yet.
    ticket = client.call("dispatcher", "GET", f"/tickets/{ticket_id}").json
    assert ticket["received_at"] == "2026-11-20T09:00:00+00:00"
    assert ticket["arrival_due_at"] == "2026-11-21T09:00:00+00:00"
    clock.now = NOW + timedelta(minutes=5)
    raised = client.call("dispatcher", "POST", "/clocks/check").json
    assert [a for a in raised["raised"] if a["ticket_id"] == ticket_id] == []

    # The crew goes again and closes it on 21 Nov; two days later, with free repairs at 0 %,
    # the draw still calls it (it is not even in the 3-5 day window yet).
    execute(
        fresh_demo_dsn,
        "UPDATE tickets SET status = 'closed', closed_at = '2026-11-21 12:00+00', crew_id = %s"
        " WHERE id = %s",
        (crew[0], ticket_id),
    )
    with UnitOfWork(fresh_demo_dsn) as uow:
        second = callback_service.draw_daily_callbacks(
            uow,
            date(2026, 11, 23),
            2,
            Actor("cb", "callback_agent"),
            now=datetime(2026, 11, 23, 8, tzinfo=UTC),
            quotas={"free_repair": 0.0},
        )
    assert [c["ticket_id"] for c in second["callbacks"]] == [ticket_id]
    assert second["by_type"]["until_satisfied"] == {"selected": 1, "eligible": 1}
    assert second["callbacks"][0]["must_call"] is True


def test_bad_desk_input_is_refused_naming_the_field(client, fresh_demo_dsn, crew):
    ticket_id = _closed_job(fresh_demo_dsn, "paid_repair", crew[0], CLOSED_ON)
    cb = _callback_of(_draw(client), ticket_id)
    cases = [
        ("callbacks", "POST", f"/callbacks/{cb['id']}",
         {"attitude": 8, "skill": 8, "charge_amount": 20}, 400, "charge_amount"),
        ("callbacks", "POST", f"/callbacks/{cb['id']}",
         {"attitude": 8, "skill": 8, "charge_made": "yes"}, 400, "charge_made"),
        ("callbacks", "POST", f"/callbacks/{cb['id']}",
         {"attitude": 8, "skill": 8, "charge_made": True, "charge_amount": -1}, 400,
         "charge_amount"),
        ("manager", "POST", "/callbacks/follow-ups/1", {"decision": "maybe"}, 400, "decision"),
        ("manager", "POST", "/callbacks/follow-ups/999999", {"decision": "rejected"}, 404,
         "follow_up_id"),
        ("complaints", "POST", "/complaints/999999/notes", {"text": "x"}, 404, "complaint_id"),
        ("complaints", "GET", "/complaints/statistics?quarter=5", None, 400, "quarter"),
    ]  # fmt: skip
    for user, method, path, body, status, field in cases:
        r = client.call(user, method, path, json=body)
        assert r.status_code == status, (path, body, r.json)
        assert r.json["field"] == field, (path, body, r.json)


def test_a_follow_up_confirmed_for_someone_not_on_the_job_is_refused(client, fresh_demo_dsn, crew):
    ticket_id = _closed_job(fresh_demo_dsn, "indoor_leak_repair", crew[0], CLOSED_ON)
    cb = _callback_of(_draw(client), ticket_id)
    client.call(
        "callbacks",
        "POST",
        f"/callbacks/{cb['id']}",
        json={"attitude": 8, "skill": 8, "attire": "fair"},
    )
    fu = client.call("manager", "GET", "/callbacks/follow-ups").json["follow_ups"][0]

    r = client.call(
        "manager", "POST", f"/callbacks/follow-ups/{fu['id']}",
        json={"decision": "confirmed", "employees": ["E-ZZ9"]},
    )  # fmt: skip

    assert r.status_code == 400 and r.json["field"] == "employees"


# --- complaints --------------------------------------------------------------------------------


def test_a_complaint_phoned_in_as_a_ticket_is_one_record_with_the_holiday_calendars_deadline(
    client, clock, fresh_demo_dsn
):
    # Wed 30 Sep 2026 10:00 UTC, transferred from head office: level 2; 1-7 Oct are holidays,
    # so the reply is due Fri 9 Oct 10:00 (Thu 8 is working day 1, Fri 9 day 2).
    clock.now = datetime(2026, 9, 30, 10, 0, tzinfo=UTC)
    client.tokens.clear()
    opened = client.call(
        "hotline",
        "POST",
        "/tickets",
        json={
            "type": "complaint",
            "description": "the fitter asked for cash without a receipt",
            "caller_name": "王芳",
            "caller_phone": "13800001111",
            "complaint_channel": "head_office",
        },
    )
    assert opened.status_code == 201, opened.json
    ticket_id = opened.json["ticket"]["id"]

    rows = fetch_all(
        fresh_demo_dsn,
        "SELECT id, level, channel, reply_due_at FROM complaints WHERE intake_ticket_id = %s",
        (ticket_id,),
    )
    assert len(rows) == 1
    cid, level, channel, due = rows[0]
    assert (level, channel) == (2, "head_office")
    assert due == datetime(2026, 10, 9, 10, 0, tzinfo=UTC)
    ticket_due = fetch_value(
        fresh_demo_dsn, "SELECT reply_due_at FROM tickets WHERE id = %s", (ticket_id,)
    )
    assert ticket_due == due
    complaint = client.call("complaints", "GET", f"/complaints/{cid}").json
    assert complaint["intake_ticket_id"] == ticket_id
    assert complaint["customer_name"] == "王芳"  # the complaint handler sees whom to reply to


def test_investigation_notes_are_stored_with_who_and_when(client, clock):
    cid = client.call(
        "complaints",
        "POST",
        "/complaints",
        json={"channel": "media", "description": "no gas 3 days"},
    ).json["id"]
    clock.now = NOW + timedelta(minutes=30)
    note = client.call(
        "complaints", "POST", f"/complaints/{cid}/notes", json={"text": "valve V-12 was stuck"}
    )

    assert note.status_code == 201, note.json
    assert note.json["level"] == 2
    assert [(n["author"], n["at"], n["text"]) for n in note.json["notes"]] == [
        ("complaints", "2026-11-20T09:30:00+00:00", "valve V-12 was stuck")
    ]
    blank = client.call("complaints", "POST", f"/complaints/{cid}/notes", json={"text": " "})
    assert blank.status_code == 400 and blank.json["field"] == "text"


def test_quarterly_statistics_per_class_department_and_worker_on_json_and_csv(client, clock):
    made = [
        {"channel": "hotline", "department": "repair", "worker": "E-A1", "fault_class": "C"},
        {"channel": "counter", "department": "repair", "worker": "E-A1", "fault_class": "A"},
        {"channel": "website", "department": "metering", "worker": "E-B7"},
    ]
    for body in made:
        r = client.call("complaints", "POST", "/complaints", json={**body, "description": "x"})
        assert r.status_code == 201, r.json
    # 20 Nov 2026 is in Q4: 3 complaints; repair 1 A + 1 C, metering 1 unclassified.
    stats = client.call("manager", "GET", "/complaints/statistics?year=2026&quarter=4").json
    assert stats["total"] == 3
    assert stats["by_fault_class"] == {"A": 1, "B": 0, "C": 1, "unclassified": 1}
    assert stats["by_department_and_class"] == {
        "metering": {"A": 0, "B": 0, "C": 0, "unclassified": 1},
        "repair": {"A": 1, "B": 0, "C": 1, "unclassified": 0},
    }
    assert stats["by_worker"] == {"E-A1": 2, "E-B7": 1}

    csv = client.http.get(
        "/api/v1/complaints/statistics?year=2026&quarter=4&format=csv",
        headers={"Authorization": f"Bearer {client.token('complaints')}"},
    )
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "year,quarter,dimension,name,total,A,B,C,unclassified"
    assert "2026,4,department,repair,2,1,0,1,0" in lines
    assert "2026,4,worker,E-A1,2,1,0,1,0" in lines
    assert lines[-1] == "2026,4,all,total,3,1,0,1,1"
    assert client.call("callbacks", "GET", "/complaints/statistics").status_code == 403


def test_the_ticker_raises_an_overdue_complaint_once_with_an_alarm(client, clock, fresh_demo_dsn):
    cid = client.call(
        "complaints", "POST", "/complaints", json={"channel": "hotline", "description": "late"}
    ).json["id"]
    # Fri 20 Nov 09:00: due Tue 24 Nov 09:00. The ticker beats on Tue at 09:01.
    beat_at = datetime(2026, 11, 24, 9, 1, tzinfo=UTC)
    ticker = Ticker(fresh_demo_dsn, Settings(), None, clock=lambda: beat_at)

    first = ticker.tick()["overdue_complaints"]
    second = ticker.tick()["overdue_complaints"]

    assert [c["complaint_id"] for c in first] == [cid] and second == []
    kinds = fetch_all(
        fresh_demo_dsn,
        "SELECT topic, kind, data->>'complaint_id' FROM outbox WHERE topic = 'complaint'",
    )
    assert kinds == [("complaint", "complaint_overdue", str(cid))]

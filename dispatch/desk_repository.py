"""The SQL of the call-back and complaint desks (issue 11): crews' named members, the jobs a
call-back draw considers with their employees, the call-back's charge answer and its
follow-up, the appraisal per employee, complaint notes, the complaint a complaint ticket
opened, and a quarter's complaints. Every function takes a cursor in the caller's
transaction; times are timezone-aware."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from dispatch.site_repository import VISIT

# --- staff ---


def add_crew_member(cur, crew_id: int, employee_no: str, name: str) -> int:
    cur.execute(
        "INSERT INTO crew_members (crew_id, employee_no, name) VALUES (%s, %s, %s) RETURNING id",
        (crew_id, employee_no, name),
    )
    return int(cur.fetchone()["id"])


def crew_members(cur, crew_ids: list[int] | None = None) -> list[dict]:
    """Active members (crew_id, crew_code, employee_no, name), by crew and employee number."""
    cur.execute(
        "SELECT m.crew_id, c.code AS crew_code, m.employee_no, m.name FROM crew_members m"
        " JOIN crews c ON c.id = m.crew_id WHERE m.active"
        " AND (%(ids)s::int[] IS NULL OR m.crew_id = ANY(%(ids)s))"
        " ORDER BY c.code, m.employee_no",
        {"ids": crew_ids},
    )
    return list(cur.fetchall())


def employee_names(cur) -> dict[str, str]:
    cur.execute("SELECT employee_no, name FROM crew_members")
    return {r["employee_no"]: r["name"] for r in cur.fetchall()}


# --- the jobs a draw considers ---

_JOB_COLUMNS = (
    "t.id AS ticket_id, t.ticket_type, c.code AS worker, t.closed_at, t.paid,"
    " (t.own_brand OR coalesce(a.own_brand, false)) AS own_brand, t.counter_business,"
    " coalesce((SELECT array_agg(m.employee_no ORDER BY m.employee_no) FROM crew_members m"
    "   WHERE m.crew_id = t.crew_id AND m.active), '{}') AS staff"
)
_JOB_FROM = (
    " FROM tickets t JOIN crews c ON c.id = t.crew_id"
    " LEFT JOIN appliances a ON a.id = t.appliance_id"
)


def closed_jobs(cur, *, closed_from: datetime, closed_before: datetime) -> list[dict]:
    """Closed jobs in ``[closed_from, closed_before)`` with their crew's code, its members
    (the staff), and whether they were paid, own-brand or counter business; linked duplicate
    calls are left out."""
    cur.execute(
        f"SELECT {_JOB_COLUMNS}{_JOB_FROM}"
        " WHERE t.status = 'closed' AND t.parent_ticket_id IS NULL"
        " AND t.closed_at >= %s AND t.closed_at < %s ORDER BY t.closed_at, t.id",
        (closed_from, closed_before),
    )
    return list(cur.fetchall())


def jobs_to_call_until_satisfied(cur, *, closed_before: datetime) -> list[dict]:
    """Closed jobs whose latest answered call-back was unsatisfied (it re-opened the job),
    closed again before ``closed_before``, and not drawn again since they were closed."""
    cur.execute(
        f"SELECT {_JOB_COLUMNS}{_JOB_FROM}"
        " JOIN LATERAL (SELECT cb.reopened, cb.called_at FROM callbacks cb"
        "   WHERE cb.ticket_id = t.id AND cb.status = 'done'"
        "   ORDER BY cb.called_at DESC, cb.id DESC LIMIT 1) last ON last.reopened"
        " WHERE t.status = 'closed' AND t.parent_ticket_id IS NULL"
        " AND t.closed_at > last.called_at AND t.closed_at < %s"
        " AND NOT EXISTS (SELECT 1 FROM callbacks later JOIN callback_draws d"
        "   ON d.sampled_on = later.sampled_on"
        "   WHERE later.ticket_id = t.id AND d.drawn_at >= t.closed_at)"
        " ORDER BY t.closed_at, t.id",
        (closed_before,),
    )
    return list(cur.fetchall())


def recorded_charge(cur, ticket_id: int) -> Decimal | None:
    """The total the customer signed for on the job's current visit, the one the call-back
    asks about (None: no sign-off recorded for it)."""
    cur.execute(
        "SELECT s.ticket_id, coalesce(sum(ch.quantity * ch.unit_price_cny), 0) AS total"
        " FROM ticket_signoffs s LEFT JOIN ticket_charges ch"
        " ON ch.ticket_id = s.ticket_id AND ch.visit = s.visit"
        f" WHERE s.ticket_id = %(t)s AND s.visit = {VISIT} GROUP BY s.ticket_id",
        {"t": ticket_id},
    )
    row = cur.fetchone()
    return None if row is None else Decimal(row["total"])


# --- call-backs: what the desk adds ---


def set_callback_staff(cur, callback_id: int, *, staff: list[str], must_call: bool) -> None:
    cur.execute(
        "UPDATE callbacks SET staff = %s, must_call = %s WHERE id = %s",
        (staff, must_call, callback_id),
    )


def save_charge_answer(
    cur,
    callback_id: int,
    *,
    charge_made: bool | None,
    charge_amount: Decimal | None,
    charge_recorded: Decimal | None,
    mismatch: bool,
) -> None:
    cur.execute(
        "UPDATE callbacks SET charge_made = %s, charge_amount = %s, charge_recorded = %s,"
        " charge_mismatch = %s WHERE id = %s",
        (charge_made, charge_amount, charge_recorded, mismatch, callback_id),
    )


def callback_desk_extras(cur, callback_ids: list[int]) -> dict[int, dict]:
    """Staff, charge answer and follow-up of each call-back, by id."""
    cur.execute(
        "SELECT cb.id, cb.staff, cb.must_call, cb.charge_made, cb.charge_amount,"
        " cb.charge_recorded, cb.charge_mismatch, f.id AS follow_up_id,"
        " f.status AS follow_up_status FROM callbacks cb"
        " LEFT JOIN callback_follow_ups f ON f.callback_id = cb.id WHERE cb.id = ANY(%s)",
        (callback_ids,),
    )
    return {int(r["id"]): r for r in cur.fetchall()}


def open_follow_up(cur, row: dict) -> int:
    cur.execute(
        "INSERT INTO callback_follow_ups (callback_id, ticket_id, staff, attire, punctuality,"
        " opened_at) VALUES (%(callback_id)s, %(ticket_id)s, %(staff)s, %(attire)s,"
        " %(punctuality)s, %(opened_at)s) RETURNING id",
        row,
    )
    return int(cur.fetchone()["id"])


_FOLLOW_UP_COLUMNS = (
    "f.id, f.callback_id, f.ticket_id, t.number, c.code AS crew, f.staff, f.attire,"
    " f.punctuality, f.opened_at, f.status, f.employees, f.decided_by, f.decided_at, f.note,"
    " cb.issues"
)
_FOLLOW_UP_FROM = (
    " FROM callback_follow_ups f JOIN callbacks cb ON cb.id = f.callback_id"
    " JOIN tickets t ON t.id = f.ticket_id LEFT JOIN crews c ON c.id = t.crew_id"
)


def get_follow_up(cur, follow_up_id: int, *, for_update: bool = False) -> dict | None:
    cur.execute(
        f"SELECT {_FOLLOW_UP_COLUMNS}{_FOLLOW_UP_FROM} WHERE f.id = %s"
        + (" FOR UPDATE OF f" if for_update else ""),
        (follow_up_id,),
    )
    return cur.fetchone()


def list_follow_ups(cur, *, status: str | None = None, limit: int = 200) -> list[dict]:
    cur.execute(
        f"SELECT {_FOLLOW_UP_COLUMNS}{_FOLLOW_UP_FROM}"
        " WHERE (%(status)s::text IS NULL OR f.status = %(status)s)"
        " ORDER BY f.opened_at DESC, f.id DESC LIMIT %(limit)s",
        {"status": status, "limit": limit},
    )
    return list(cur.fetchall())


def decide_follow_up(
    cur, follow_up_id: int, *, status: str, employees: list[str], by: str, at, note: str
) -> bool:
    """Confirm or reject an open follow-up; False when it was decided already."""
    cur.execute(
        "UPDATE callback_follow_ups SET status = %s, employees = %s, decided_by = %s,"
        " decided_at = %s, note = %s WHERE id = %s AND status = 'open'",
        (status, employees, by, at, note, follow_up_id),
    )
    return cur.rowcount == 1


def appraisal(cur, *, since: datetime, before: datetime) -> list[dict]:
    """Confirmed follow-ups per employee decided in ``[since, before)``: employee_no, name,
    crew, confirmed, attire (fair/poor answers among them), punctuality."""
    cur.execute(
        "SELECT e.employee_no, m.name, c.code AS crew, count(*) AS confirmed,"
        " count(*) FILTER (WHERE f.attire IN ('fair', 'poor')) AS attire,"
        " count(*) FILTER (WHERE f.punctuality IN ('fair', 'poor')) AS punctuality"
        " FROM callback_follow_ups f CROSS JOIN LATERAL unnest(f.employees) AS e(employee_no)"
        " LEFT JOIN crew_members m ON m.employee_no = e.employee_no"
        " LEFT JOIN crews c ON c.id = m.crew_id"
        " WHERE f.status = 'confirmed' AND f.decided_at >= %s AND f.decided_at < %s"
        " GROUP BY e.employee_no, m.name, c.code ORDER BY confirmed DESC, e.employee_no",
        (since, before),
    )
    return list(cur.fetchall())


# --- complaints: what the desk adds ---


def add_complaint_note(cur, complaint_id: int, *, at: datetime, author: str, text: str) -> int:
    cur.execute(
        "INSERT INTO complaint_notes (complaint_id, at, author, text) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (complaint_id, at, author, text),
    )
    return int(cur.fetchone()["id"])


def complaint_notes(cur, complaint_id: int) -> list[dict]:
    cur.execute(
        "SELECT id, at, author, text FROM complaint_notes WHERE complaint_id = %s ORDER BY at, id",
        (complaint_id,),
    )
    return list(cur.fetchall())


def link_intake_ticket(cur, complaint_id: int, ticket_id: int) -> None:
    cur.execute(
        "UPDATE complaints SET intake_ticket_id = %s WHERE id = %s", (ticket_id, complaint_id)
    )


def complaint_of_ticket(cur, ticket_id: int) -> int | None:
    """The complaint a complaint ticket opened."""
    cur.execute("SELECT id FROM complaints WHERE intake_ticket_id = %s", (ticket_id,))
    row = cur.fetchone()
    return None if row is None else int(row["id"])


def intake_ticket_of(cur, complaint_id: int) -> int | None:
    cur.execute("SELECT intake_ticket_id FROM complaints WHERE id = %s", (complaint_id,))
    row = cur.fetchone()
    return None if row is None else row["intake_ticket_id"]


def complaints_received_between(cur, since: datetime, before: datetime) -> list[dict]:
    """Every complaint received in ``[since, before)`` (for quarterly statistics)."""
    cur.execute(
        "SELECT id, channel, level, fault_class, department, worker, received_at,"
        " reply_due_at, status, reply, replied_at, callback_result, closed_at FROM complaints"
        " WHERE received_at >= %s AND received_at < %s ORDER BY received_at, id",
        (since, before),
    )
    return list(cur.fetchall())


def set_ticket_reply_due(cur, ticket_id: int, due: datetime) -> None:
    cur.execute("UPDATE tickets SET reply_due_at = %s WHERE id = %s", (due, ticket_id))


def set_ticket_brand_flags(
    cur, ticket_id: int, *, own_brand: bool, counter_business: bool, appliance_id: int | None
) -> None:
    cur.execute(
        "UPDATE tickets SET own_brand = %s, counter_business = %s, appliance_id = %s WHERE id = %s",
        (own_brand, counter_business, appliance_id, ticket_id),
    )


def add_appliance(cur, *, meter_id: int | None, brand: str, model: str | None, own: bool) -> int:
    cur.execute(
        "INSERT INTO appliances (meter_id, brand, model, own_brand) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (meter_id, brand, model, own),
    )
    return int(cur.fetchone()["id"])


def announce_overdue_complaint(cur, complaint_id: int, *, due_at: datetime, at: datetime) -> None:
    """An outbox row announcing the alarm of a complaint unanswered past its deadline to
    every open screen."""
    cur.execute(
        "INSERT INTO outbox (at, topic, kind, data) VALUES (%s, 'complaint', 'complaint_overdue',"
        " %s)",
        (at, json.dumps({"complaint_id": complaint_id, "reply_due_at": due_at.isoformat()})),
    )

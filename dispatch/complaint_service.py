"""Complaint use cases (投诉): the loop from intake to review, persisted.

Complaints go ``open_complaint`` → ``dispatch_complaint`` → ``investigate`` → ``reply`` →
``record_complaint_callback`` → ``close_complaint``; ``escalate`` makes one level 2 at any
time, and ``check_overdue_complaints`` raises a ``complaint_overdue`` event once per complaint
left unanswered past its deadline. Every change appends to the complaint's event log. The
rules live in :mod:`dispatch.complaint_model`; the SQL in :mod:`dispatch.repository`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from dispatch import desk_repository as desk
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.auth import mask_name, mask_phone, sees_personal_data
from dispatch.complaint_model import (
    REPLY_WORKING_DAYS,
    STATUSES,
    TRANSITIONS,
    Complaint,
    ComplaintEscalated,
    ComplaintStatusChanged,
)
from dispatch.errors import InvalidInput, NotFound
from dispatch.holiday_calendar import configured_calendar
from dispatch.input_fields import MAX_TEXT, int_field, phone_field, text_field
from dispatch.json_shapes import iso_time
from dispatch.unit_of_work import UnitOfWork

#: Event type recorded for each step of a complaint's loop, by the status it moves to.
COMPLAINT_EVENT_TYPES = {
    "dispatched": "dispatched",
    "investigating": "investigation_started",
    "replied": "replied",
    "callback_done": "callback_recorded",
    "closed": "closed",
}


def open_complaint(
    uow: UnitOfWork,
    data: Mapping,
    actor: Actor,
    now: datetime,
    *,
    working_days: int = REPLY_WORKING_DAYS,
    holidays: frozenset[date] | None = None,
    workdays: frozenset[date] | None = None,
    intake_ticket_id: int | None = None,
) -> dict:
    """Take a complaint in (365x24), due a reply ``working_days`` working days later: a
    complaint received on Friday at 15:00 is due on Tuesday at 15:00; public holidays and
    make-up working days come from the holiday calendar (:mod:`dispatch.holiday_calendar`)
    unless ``holidays`` and ``workdays`` are given. Level 2 from intake when it came through
    head office, the government hotline or the media, unless ``level`` is given.
    ``intake_ticket_id``: the complaint ticket this complaint was phoned in as (one record)."""
    cur = uow.cur
    if not isinstance(data, Mapping):
        raise InvalidInput("the request body must be a JSON object", "body")
    if holidays is None or workdays is None:
        calendar = configured_calendar()
        holidays = calendar.holidays if holidays is None else holidays
        workdays = calendar.workdays if workdays is None else workdays
    channel = text_field(data, "channel", required=True)
    description = text_field(data, "description", required=True)
    ticket_id = int_field(data, "ticket_id", lo=1)
    if ticket_id is not None and repo.get_ticket_row(cur, ticket_id) is None:
        raise NotFound(f"`ticket_id`: no ticket {ticket_id}", "ticket_id")
    complaint = Complaint.receive(
        None,
        channel,
        now,
        department=text_field(data, "department"),
        worker=text_field(data, "worker"),
        level=int_field(data, "level"),
        working_days=working_days,
        holidays=holidays,
        workdays=workdays,
    )
    complaint.classify(text_field(data, "fault_class"))
    row = {
        "channel": complaint.channel,
        "level": complaint.level,
        "fault_class": complaint.fault_class,
        "department": complaint.department,
        "worker": complaint.worker,
        "customer_name": text_field(data, "customer_name"),
        "customer_phone": phone_field(data, "customer_phone"),
        "account_no": text_field(data, "account_no"),
        "ticket_id": ticket_id,
        "description": description,
        "taken_by": actor.username,
        "received_at": complaint.received_at,
        "reply_due_at": complaint.reply_due_at,
    }
    complaint_id = repo.insert_complaint(cur, row)
    if intake_ticket_id is not None:
        desk.link_intake_ticket(cur, complaint_id, intake_ticket_id)
        desk.set_ticket_reply_due(cur, intake_ticket_id, complaint.reply_due_at)
    repo.append_complaint_event(
        cur,
        complaint_id,
        at=now,
        actor=actor.username,
        event_type="received",
        to_status=complaint.status,
        data={
            "channel": complaint.channel,
            "level": complaint.level,
            "reply_due_at": complaint.reply_due_at.isoformat(),
        },
    )
    return get_complaint(uow, complaint_id, actor, now)


def dispatch_complaint(
    uow: UnitOfWork, complaint_id: int, department: object, actor: Actor, now: datetime
) -> dict:
    """Route the complaint to the responsible ``department`` (again, to re-route it)."""
    return _change(
        uow,
        complaint_id,
        actor,
        now,
        lambda c: c.dispatch_to(department, at=now, actor=actor.username),
    )


def investigate(uow: UnitOfWork, complaint_id: int, actor: Actor, now: datetime) -> dict:
    """The department has taken the complaint up."""
    return _change(
        uow, complaint_id, actor, now, lambda c: c.start_investigation(at=now, actor=actor.username)
    )


def reply(
    uow: UnitOfWork,
    complaint_id: int,
    text: object,
    actor: Actor,
    now: datetime,
    *,
    classification: Mapping | None = None,
) -> dict:
    """The customer was given the answer ``text``. ``classification`` may carry what the
    investigation found: ``fault_class`` ('A', 'B', 'C' or None for no staff fault) and
    ``worker``. The reply clock of the complaint ticket it was phoned in as stops too."""
    ticket_id = desk.intake_ticket_of(uow.cur, complaint_id)
    if ticket_id is not None:
        desk.set_ticket_reply_due(uow.cur, ticket_id, None)
    return _change(
        uow,
        complaint_id,
        actor,
        now,
        lambda c: c.send_reply(text, at=now, actor=actor.username),
        classification,
    )


def record_complaint_callback(
    uow: UnitOfWork, complaint_id: int, result: object, actor: Actor, now: datetime
) -> dict:
    """The customer was called back after the reply; ``result`` is what they said."""
    return _change(
        uow,
        complaint_id,
        actor,
        now,
        lambda c: c.record_callback(result, at=now, actor=actor.username),
    )


def close_complaint(
    uow: UnitOfWork,
    complaint_id: int,
    actor: Actor,
    now: datetime,
    *,
    classification: Mapping | None = None,
) -> dict:
    """Reviewed and closed; the review may set or correct the ``classification``."""
    return _change(
        uow,
        complaint_id,
        actor,
        now,
        lambda c: c.close(at=now, actor=actor.username),
        classification,
    )


def escalate(
    uow: UnitOfWork, complaint_id: int, reason: object, actor: Actor, now: datetime
) -> dict:
    """Make the complaint level 2 (the customer went to the authorities or the media, or it
    was handled badly). ``escalated`` is False, and nothing is recorded, when it was level 2
    already."""
    changed: list[bool] = []
    view = _change(
        uow,
        complaint_id,
        actor,
        now,
        lambda c: changed.append(c.escalate(at=now, actor=actor.username, reason=reason)),
    )
    return {"escalated": changed[0], "complaint": view}


def check_overdue_complaints(
    uow: UnitOfWork, now: datetime, actor: Actor | None = None
) -> list[dict]:
    """Raise a ``complaint_overdue`` event (and its alarm on the outbox, so every open screen
    hears it; the ticker calls this at each beat) for each complaint still without a reply
    past its reply deadline, once per complaint (the flag is set in the same statement that
    finds it, and a unique index allows one such event per complaint)."""
    cur = uow.cur
    raised = []
    for row in repo.mark_overdue_complaints(cur, now):
        repo.append_complaint_event(
            cur,
            int(row["id"]),
            at=now,
            actor=actor.username if actor else "system",
            event_type="complaint_overdue",
            data={"reply_due_at": row["reply_due_at"].isoformat()},
        )
        desk.announce_overdue_complaint(cur, int(row["id"]), due_at=row["reply_due_at"], at=now)
        raised.append(
            {
                "complaint_id": int(row["id"]),
                "status": row["status"],
                "reply_due_at": row["reply_due_at"].isoformat(),
            }
        )
    return raised


def get_complaint(uow: UnitOfWork, complaint_id: int, actor: Actor, now: datetime) -> dict:
    """One complaint with its event log."""
    row = repo.get_complaint_row(uow.cur, complaint_id)
    if row is None:
        raise NotFound(f"`complaint_id`: no complaint {complaint_id}", "complaint_id")
    view = _complaint_view(uow.cur, row, actor, now)
    view["events"] = [_event_view(e) for e in repo.complaint_events(uow.cur, complaint_id)]
    view["notes"] = [
        {"id": n["id"], "at": iso_time(n["at"]), "author": n["author"], "text": n["text"]}
        for n in desk.complaint_notes(uow.cur, complaint_id)
    ]
    view["intake_ticket_id"] = desk.intake_ticket_of(uow.cur, complaint_id)
    return view


def open_complaint_for_ticket(
    uow: UnitOfWork, ticket_id: int, data: Mapping, actor: Actor, now: datetime
) -> int:
    """The complaint a work order of type complaint opens (by phone: channel ``hotline``
    unless ``complaint_channel`` says otherwise), linked to the ticket: one record, one
    deadline. Returns its id."""
    channel = data.get("complaint_channel") or "hotline"
    body = {
        "channel": channel,
        "description": data.get("description") or "(complaint ticket)",
        "customer_name": data.get("caller_name"),
        "customer_phone": data.get("caller_phone"),
        "account_no": data.get("account_no"),
        "department": data.get("receiving_department"),
        "level": data.get("complaint_level"),
        "fault_class": data.get("fault_class"),
    }
    body = {k: v for k, v in body.items() if v is not None}
    view = open_complaint(uow, body, actor, now, intake_ticket_id=ticket_id)
    return int(view["id"])


def add_note(uow: UnitOfWork, complaint_id: int, text: object, actor: Actor, now: datetime) -> dict:
    """Store an investigation note (who, when, what) in the complaint's file."""
    row = repo.get_complaint_row(uow.cur, complaint_id, for_update=True)
    if row is None:
        raise NotFound(f"`complaint_id`: no complaint {complaint_id}", "complaint_id")
    complaint = _complaint_from_row(row)
    note = complaint.add_note(text, at=now, author=actor.username)  # checks the text
    if len(note.text) > MAX_TEXT:
        raise InvalidInput(f"`text` is longer than {MAX_TEXT} characters", "text")
    desk.add_complaint_note(uow.cur, complaint_id, at=now, author=actor.username, text=note.text)
    return get_complaint(uow, complaint_id, actor, now)


def list_complaints(
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    *,
    status: list[str] | None = None,
    level: int | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
    limit: int = 200,
) -> list[dict]:
    """Complaints, newest first, filtered by status, level, open, or flagged overdue."""
    for s in status or []:
        if s not in STATUSES:
            raise InvalidInput(f"`status` must be among {', '.join(STATUSES)}, not {s!r}", "status")
    if level is not None and level not in (1, 2):
        raise InvalidInput("`level` must be 1 or 2", "level")
    rows = repo.list_complaints(
        uow.cur,
        status=status,
        level=level,
        open_only=open_only,
        overdue_only=overdue_only,
        limit=limit,
    )
    return [_complaint_view(uow.cur, r, actor, now) for r in rows]


def _complaint_from_row(row: dict) -> Complaint:
    return Complaint(
        id=int(row["id"]),
        channel=row["channel"],
        level=int(row["level"]),
        received_at=row["received_at"],
        reply_due_at=row["reply_due_at"],
        status=row["status"],
        fault_class=row["fault_class"],
        department=row["department"],
        worker=row["worker"],
        reply=row["reply"],
        replied_at=row["replied_at"],
        callback_result=row["callback_result"],
        closed_at=row["closed_at"],
    )


def _change(
    uow: UnitOfWork,
    complaint_id: int,
    actor: Actor,
    now: datetime,
    step: Callable[[Complaint], object],
    classification: Mapping | None = None,
) -> dict:
    """Load the complaint locked, classify it if asked, take ``step``, store the new state
    and append an event for each change."""
    cur = uow.cur
    row = repo.get_complaint_row(cur, complaint_id, for_update=True)
    if row is None:
        raise NotFound(f"`complaint_id`: no complaint {complaint_id}", "complaint_id")
    complaint = _complaint_from_row(row)
    classified = None
    if classification:
        before = (complaint.fault_class, complaint.worker)
        worker = classification.get("worker")
        if worker is not None and not isinstance(worker, str):
            raise InvalidInput("`worker` must be a string", "worker")
        complaint.classify(
            classification.get("fault_class", complaint.fault_class),
            worker=(worker.strip() or None) if worker else None,
        )
        if (complaint.fault_class, complaint.worker) != before:
            classified = {"fault_class": complaint.fault_class, "worker": complaint.worker}
    step(complaint)
    repo.save_complaint_state(
        cur,
        complaint_id,
        {
            "status": complaint.status,
            "level": complaint.level,
            "fault_class": complaint.fault_class,
            "department": complaint.department,
            "worker": complaint.worker,
            "reply": complaint.reply,
            "replied_at": complaint.replied_at,
            "callback_result": complaint.callback_result,
            "closed_at": complaint.closed_at,
        },
    )
    if classified is not None:
        repo.append_complaint_event(
            cur,
            complaint_id,
            at=now,
            actor=actor.username,
            event_type="classified",
            data=classified,
        )
    for event in complaint.events:
        _append_complaint_event(cur, complaint_id, event)
    return get_complaint(uow, complaint_id, actor, now)


def _append_complaint_event(
    cur, complaint_id: int, event: ComplaintStatusChanged | ComplaintEscalated
) -> None:
    if isinstance(event, ComplaintEscalated):
        repo.append_complaint_event(
            cur,
            complaint_id,
            at=event.at,
            actor=event.actor,
            event_type="escalated",
            detail=event.reason,
            data={"level": 2},
        )
        return
    rerouted = event.from_status == event.to_status == "dispatched"
    repo.append_complaint_event(
        cur,
        complaint_id,
        at=event.at,
        actor=event.actor,
        event_type="rerouted" if rerouted else COMPLAINT_EVENT_TYPES[event.to_status],
        from_status=event.from_status,
        to_status=event.to_status,
        detail=event.detail,
    )


def _complaint_view(cur, row: dict, actor: Actor, now: datetime) -> dict:
    """A complaint as the API returns it; the customer's name and phone are masked unless the
    role needs them, and every unmasked read is logged."""
    unmasked = sees_personal_data(actor, None)
    if unmasked and (row["customer_name"] or row["customer_phone"]):
        repo.log_personal_data_read(
            cur,
            username=actor.username,
            role=actor.role,
            subject=f"complaint:{row['id']}",
            purpose="complaint view",
        )
    replied_at = row["replied_at"]
    return {
        "id": row["id"],
        "channel": row["channel"],
        "level": row["level"],
        "fault_class": row["fault_class"],
        "department": row["department"],
        "worker": row["worker"],
        "customer_name": row["customer_name"] if unmasked else mask_name(row["customer_name"]),
        "customer_phone": row["customer_phone"] if unmasked else mask_phone(row["customer_phone"]),
        "personal_data_masked": not unmasked,
        "account_no": row["account_no"],
        "ticket_id": row["ticket_id"],
        "description": row["description"],
        "taken_by": row["taken_by"],
        "received_at": iso_time(row["received_at"]),
        "reply_due_at": iso_time(row["reply_due_at"]),
        "status": row["status"],
        "allowed_next": list(TRANSITIONS[row["status"]]),
        "reply": row["reply"],
        "replied_at": iso_time(replied_at),
        "replied_on_time": None if replied_at is None else replied_at <= row["reply_due_at"],
        "overdue": replied_at is None and now > row["reply_due_at"],
        "overdue_raised_at": iso_time(row["overdue_raised_at"]),
        "callback_result": row["callback_result"],
        "closed_at": iso_time(row["closed_at"]),
    }


def _event_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "at": iso_time(row["at"]),
        "actor": row["actor"],
        "event_type": row["event_type"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "detail": row["detail"],
        "data": row["data"],
    }

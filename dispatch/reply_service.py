"""Promised replies (承诺回复): a call that cannot be answered at once is recorded with the time
a reply was promised (``promised_reply_at``). Someone records the reply when it is given;
the ticker raises ``promised_reply_missed`` once for each promise that passed without one,
through the outbox, so every screen hears of it."""

from __future__ import annotations

from datetime import datetime

from dispatch import json_shapes, reply_repository
from dispatch.actor import Actor
from dispatch.errors import Conflict, NotFound

#: The event raised once when a promised reply is late.
MISSED = "promised_reply_missed"


def reply_overdue(promised_at: datetime | None, replied_at: datetime | None, now: datetime) -> bool:
    """Pure: whether a promise has passed without a reply at ``now``."""
    return promised_at is not None and replied_at is None and now >= promised_at


def record_reply(uow, ticket_id: int, actor: Actor, now: datetime) -> dict:
    """Record that the promised reply was given (once)."""
    row = uow.tickets.row(ticket_id, lock=True)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if row["promised_reply_at"] is None:
        raise Conflict("this ticket was promised no reply", "id")
    if row["replied_at"] is not None:
        raise Conflict(f"the reply was recorded by {row['replied_by']} already", "id")
    reply_repository.set_replied(uow.cur, ticket_id, now, actor.username)
    late = reply_overdue(row["promised_reply_at"], None, now)
    uow.events.append(
        ticket_id,
        at=now,
        actor=actor.username,
        event_type="replied",
        data={"late": late},
    )
    return {
        "id": ticket_id,
        "promised_reply_at": json_shapes.iso_time(row["promised_reply_at"]),
        "replied_at": now.isoformat(),
        "replied_by": actor.username,
        "late": late,
    }


def check_promised_replies(uow, now: datetime, actor: Actor) -> list[dict]:
    """Raise :data:`MISSED` for every promise passed without a reply, once each; returns
    ``[{"ticket_id", "promised_reply_at"}]`` of those raised now."""
    raised = []
    for row in reply_repository.missed_not_raised(uow.cur, now, MISSED):
        due = row["promised_reply_at"]
        uow.events.append(
            row["id"],
            at=now,
            actor=actor.username,
            event_type=MISSED,
            data={"clock": "promised_reply", "due_at": due.isoformat()},
        )
        raised.append({"ticket_id": row["id"], "promised_reply_at": due.isoformat()})
    return raised


def replies_due(uow, *, limit: int = 50) -> list[dict]:
    """Tickets with a promised reply not yet given, the earliest promise first."""
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "type": r["ticket_type"],
            "address": r["address"],
            "promised_reply_at": r["promised_reply_at"].isoformat(),
        }
        for r in reply_repository.due(uow.cur, limit)
    ]

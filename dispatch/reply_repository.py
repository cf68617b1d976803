"""SQL of promised replies (:mod:`dispatch.reply_service`): tickets whose caller was promised
a reply, the reply recorded, and the promises passed without one."""

from __future__ import annotations

from datetime import datetime


def set_replied(cur, ticket_id: int, at: datetime, by: str) -> None:
    cur.execute(
        "UPDATE tickets SET replied_at = %s, replied_by = %s WHERE id = %s", (at, by, ticket_id)
    )


def missed_not_raised(cur, now: datetime, event_type: str) -> list[dict]:
    """Promises passed at ``now`` without a reply and without an ``event_type`` event yet."""
    cur.execute(
        "SELECT t.id, t.promised_reply_at FROM tickets t"
        " WHERE t.promised_reply_at IS NOT NULL AND t.replied_at IS NULL"
        " AND t.promised_reply_at <= %(now)s AND t.status <> 'cancelled'"
        " AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id"
        "   AND e.event_type = %(kind)s)"
        " ORDER BY t.promised_reply_at, t.id LIMIT 1000",
        {"now": now, "kind": event_type},
    )
    return list(cur.fetchall())


def due(cur, limit: int) -> list[dict]:
    """Promised replies not yet given, the earliest promise first."""
    cur.execute(
        "SELECT id, number, ticket_type, address, promised_reply_at FROM tickets"
        " WHERE promised_reply_at IS NOT NULL AND replied_at IS NULL AND status <> 'cancelled'"
        " ORDER BY promised_reply_at, id LIMIT %s",
        (limit,),
    )
    return list(cur.fetchall())

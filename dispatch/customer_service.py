"""The hotline's customer search and the customer's file (客户档案).

:func:`search_customers` reads the one search box (:mod:`dispatch.customer_search`) and
returns the best ten customers; :func:`customer_file` returns one customer with everything
the hotline needs while the caller talks: account, meters, address, every past ticket,
complaint, call-back and hazard notice, and the meter readings. Names and phones are masked
for roles that do not need them, and every unmasked read is logged (personal_data_reads).
"""

from __future__ import annotations

from datetime import date, datetime

from dispatch import customer_repository as repo
from dispatch import meter_service, site_service
from dispatch.actor import Actor
from dispatch.auth import mask_name, mask_phone, sees_personal_data
from dispatch.customer_search import parse_query, rank
from dispatch.errors import NotFound
from dispatch.json_shapes import iso_time
from dispatch.repository import log_personal_data_read

#: The search answers this many customers at most.
RESULT_LIMIT = 10


def search_customers(uow, q: str, actor: Actor, *, limit: int = RESULT_LIMIT) -> dict:
    """``{"query", "kind", "customers": [...], "personal_data_masked"}``: the best ``limit``
    customers for the box's text, best first, each with ``score`` and ``matched``."""
    query = parse_query(q)
    found = rank(repo.search_candidates(uow.cur, query, limit), query, limit)
    unmasked = sees_personal_data(actor, None)
    if unmasked and found:
        ids = ",".join(str(r["id"]) for r in found)
        log_personal_data_read(
            uow.cur,
            username=actor.username,
            role=actor.role,
            subject=f"meters:{ids}",
            purpose="customer search",
        )
    kind = "number" if query.digits else "meter" if query.meter else "address"
    return {
        "query": query.text,
        "kind": kind,
        "customers": [
            {**_customer_view(r, unmasked), "score": r["score"], "matched": r["matched"]}
            for r in found
        ],
        "personal_data_masked": not unmasked,
    }


def customer_file(uow, customer_id: int, actor: Actor) -> dict:
    """One customer (a row of customer_meters) and its history, newest first."""
    row = repo.customer(uow.cur, customer_id)
    if row is None:
        raise NotFound(f"no customer {customer_id}", "id")
    unmasked = sees_personal_data(actor, None)
    if unmasked:
        log_personal_data_read(
            uow.cur,
            username=actor.username,
            role=actor.role,
            subject=f"meter:{customer_id}",
            purpose="customer file",
        )
    meters = repo.meters_of_account(uow.cur, row["account_no"])
    meter_ids = [m["id"] for m in meters] or [customer_id]
    tickets = repo.tickets_of(uow.cur, meter_ids, row["account_no"])
    ticket_ids = [t["id"] for t in tickets]
    return {
        "customer": _customer_view(row, unmasked),
        "meters": [
            {"id": m["id"], "meter_no": m["meter_no"], "address": m["address"]} for m in meters
        ],
        "tickets": [_ticket_view(t) for t in tickets],
        "complaints": [
            _times(c, "received_at", "reply_due_at", "replied_at", "closed_at")
            for c in repo.complaints_of(uow.cur, row["account_no"], ticket_ids)
        ],
        "callbacks": [
            _times(c, "sampled_on", "called_at") for c in repo.callbacks_of(uow.cur, ticket_ids)
        ],
        "hazards": site_service.customer_hazards(uow, row["account_no"], actor),
        "readings": meter_readings(uow, meter_ids),
        "personal_data_masked": not unmasked,
    }


def meter_readings(uow, meter_ids: list[int]) -> list[dict]:
    """The customer's meter readings, newest first (the last year's of each meter)."""
    return meter_service.recent_readings(uow, meter_ids)


def _customer_view(row: dict, unmasked: bool) -> dict:
    return {
        "id": row["id"],
        "meter_no": row["meter_no"],
        "account_no": row["account_no"],
        "name": row["customer_name"] if unmasked else mask_name(row["customer_name"]),
        "phone": row["phone"] if unmasked else mask_phone(row["phone"]),
        "address": row["address"],
        "category": row["category"],
        "lon": round(float(row["lon"]), 7),
        "lat": round(float(row["lat"]), 7),
    }


def _ticket_view(t: dict) -> dict:
    view = {
        "id": t["id"],
        "number": t["number"],
        "type": t["ticket_type"],
        "category": t["category"],
        "priority": t["priority"],
        "status": t["status"],
        "address": t["address"],
        "description": t["description"],
        "receiving_department": t["receiving_department"],
        "taken_by": t["taken_by"],
        "duplicate_of": t["parent_ticket_id"],
    }
    for name in ("received_at", "closed_at", "cancelled_at", "appointment_at", "promised_reply_at"):
        view[name] = iso_time(t[name])
    return view


def _times(row: dict, *names: str) -> dict:
    """The row with the named dates and times as ISO 8601 text."""
    out = dict(row)
    for name in names:
        value = out.get(name)
        if isinstance(value, datetime | date):
            out[name] = value.isoformat()
    return out

"""JSON shapes of tickets, events, crews and crew recommendations, one place for the API and the
screens. Pure: personal data is masked by role here, and the caller logs every unmasked read."""

from __future__ import annotations

from datetime import datetime

from dispatch.actor import Actor
from dispatch.auth import mask_name, mask_phone, sees_personal_data
from dispatch.ticket_model import STEP_COLUMNS, TRANSITIONS


def ticket_view(row: dict, actor: Actor, *, callers: list[dict] | None = None) -> dict:
    """A ticket as the API returns it, names and phones masked unless the role needs them;
    with ``callers`` (the full view) the list of everyone who called about it."""
    unmasked = sees_personal_data(actor, row["crew_id"])
    name = row["caller_name"] if unmasked else mask_name(row["caller_name"])
    phone = row["caller_phone"] if unmasked else mask_phone(row["caller_phone"])
    view = {
        "id": row["id"],
        "number": row["number"],
        "type": row["ticket_type"],
        "category": row["category"],
        "priority": row["priority"],
        "status": row["status"],
        "allowed_next": list(TRANSITIONS[row["status"]]),
        "lon": row["lon"],
        "lat": row["lat"],
        "address": row["address"],
        "description": row["description"],
        "account_no": row["account_no"],
        "caller_name": name,
        "caller_phone": phone,
        "callers": row["callers"],
        "personal_data_masked": not unmasked,
        "receiving_department": row["receiving_department"],
        "taken_by": row["taken_by"],
        "received_at": iso_time(row["received_at"]),
        "appointment_at": iso_time(row["appointment_at"]),
        "jurisdiction": row["jurisdiction"],
        "arrival_due_at": iso_time(row["arrival_due_at"]),
        "make_safe_due_at": iso_time(row["make_safe_due_at"]),
        "reply_due_at": iso_time(row["reply_due_at"]),
        "depart_due_at": iso_time(row.get("depart_due_at")),
        "crew_id": row["crew_id"],
        "duplicate_of": row["parent_ticket_id"],
        "version": row["version"],
        "steps": {c.removesuffix("_at"): iso_time(row[c]) for c in STEP_COLUMNS},
        # The customer of the work order (found by account or meter, else the caller), and
        # the reply promised to a call that could not be answered at once.
        "customer_name": row.get("customer_name")
        if unmasked
        else mask_name(row.get("customer_name")),
        "customer_phone": row.get("customer_phone")
        if unmasked
        else mask_phone(row.get("customer_phone")),
        "promised_reply_at": iso_time(row.get("promised_reply_at")),
        "replied_at": iso_time(row.get("replied_at")),
    }
    if callers is not None:
        view["caller_list"] = [
            {
                "name": c["caller_name"] if unmasked else mask_name(c["caller_name"]),
                "phone": c["caller_phone"] if unmasked else mask_phone(c["caller_phone"]),
                "called_at": iso_time(c["called_at"]),
                "from_ticket_id": c["from_ticket_id"],
            }
            for c in callers
        ]
    return view


def recommendation_view(offer: dict) -> dict:
    """A crew recommended for a ticket: ETA and travel time in seconds, distance in metres, the
    road route as [[lon, lat], ...] (EPSG:4326), and when it was computed."""
    return {
        "crew_id": offer["crew_id"],
        "code": offer["code"],
        "eta_s": offer["eta_s"],
        "travel_time_s": offer["travel_time_s"],
        "distance_m": offer["distance_m"],
        "finishes_first": bool(offer.get("finishes_first")),
        "route": offer.get("route") or [],
        "computed_at": iso_time(offer.get("computed_at")),
    }


def event_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "at": iso_time(row["at"]),
        "actor": row["actor"],
        "event_type": row["event_type"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "reason": row["reason"],
        "data": row["data"],
    }


def crew_view(row: dict, now: datetime, max_fix_age_s: float) -> dict:
    age = None if row["recorded_at"] is None else (now - row["recorded_at"]).total_seconds()
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "skills": row["skills"],
        "status": row["status"],
        "shift": row["shift"],
        "lon": row["lon"],
        "lat": row["lat"],
        "heading_deg": row["heading_deg"],
        "speed_mps": row["speed_mps"],
        "position_at": iso_time(row["recorded_at"]),
        "fix_age_s": None if age is None else round(age, 1),
        "stale": age is None or age > max_fix_age_s,
        "active_ticket_id": row.get("active_ticket_id"),
    }


def iso_time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()

"""A re-opened job's sign-off, photos and hazard notices belong to its visit (migration 0025),
through the JSON API on a real PostGIS: the customer signs once per visit, the site record shows
the current visit's sign-off and photos and keeps the earlier visits' readable, the job is paid
when any visit charged, and an open hazard found on an earlier visit still keeps its
household's gas off. Totals are worked out by hand from data/price_list.csv."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from decimal import Decimal

import psycopg2
from PIL import Image

from dispatch import desk_repository
from dispatch.repository import dict_cursor
from tests.dbutil import fetch_all, fetch_value
from tests.e2e.site_work import finish_records, make_safe_records, mark_every_household

KLUUVI = {"lon": 24.9466, "lat": 60.1712}
#: Visit 1: a call-out (50.00) and a new hose (35.00) = 85.00.
FIRST_ITEMS = [{"code": "call_out", "quantity": 1}, {"code": "hose_replace", "quantity": 1}]
#: Visit 2: two hours of labour (2 x 80.00) and a meter valve (120.00) = 280.00.
SECOND_ITEMS = [{"code": "labour_hour", "quantity": 2}, {"code": "valve_replace", "quantity": 1}]
#: A free safety check: 0.00.
FREE_ITEMS = [{"code": "safety_check", "quantity": 1}]


def _crew_id(client) -> int:
    return fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")


def _go(client, ticket_id, status, *, user="crewlead"):
    r = client.call(user, "POST", f"/tickets/{ticket_id}/transition", json={"status": status})
    assert r.status_code == 200, r.json
    return r


def _on_site(client) -> int:
    """A leak assigned to the demo crew lead's crew, which is on site."""
    body = {"type": "gas_leak", **KLUUVI, "description": "gas smell in the stairwell"}
    ticket_id = client.call("hotline", "POST", "/tickets", json=body).json["ticket"]["id"]
    _assign(client, ticket_id)
    for step in ("accepted", "en_route", "on_site"):
        _go(client, ticket_id, step)
    return ticket_id


def _assign(client, ticket_id: int) -> None:
    r = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": _crew_id(client)}
    )
    assert r.status_code == 200, r.json


def _finish(client, ticket_id: int, *, mark_households: bool = True) -> None:
    """The site records each gated step needs, up to closed."""
    make_safe_records(client, "crewlead", ticket_id, lel_percent=40.0)
    _go(client, ticket_id, "made_safe")
    _go(client, ticket_id, "repaired")
    if mark_households:
        mark_every_household(client, "crewlead", ticket_id)
    _go(client, ticket_id, "gas_restored")
    finish_records(client, "crewlead", ticket_id, lel_percent=2.0)
    _go(client, ticket_id, "closed")


def _reopen(client, ticket_id: int) -> None:
    """The customer was not satisfied at the call-back: a second visit, the same crew."""
    _go(client, ticket_id, "new", user="dispatcher")
    _assign(client, ticket_id)


def _sign(client, ticket_id: int, items: list[dict], *, refused: bool = False):
    body = {"items": items}
    body |= {"customer_refused": True} if refused else {"signature_png_base64": _png()}
    return client.call("crewlead", "POST", f"/tickets/{ticket_id}/signoff", json=body)


def _png(colour=(10, 10, 10)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _site(client, ticket_id: int) -> dict:
    return client.call("dispatcher", "GET", f"/tickets/{ticket_id}/site").json


def _paid(client, ticket_id: int) -> bool:
    return fetch_value(client.api.dsn, "SELECT paid FROM tickets WHERE id = %s", (ticket_id,))


def test_each_visit_is_signed_for_once_and_the_earlier_sign_off_stays_readable(client):
    ticket_id = _on_site(client)
    first = _sign(client, ticket_id, FIRST_ITEMS)
    twice = _sign(client, ticket_id, SECOND_ITEMS)
    _finish(client, ticket_id)
    _reopen(client, ticket_id)

    unsigned = _site(client, ticket_id)
    second = _sign(client, ticket_id, SECOND_ITEMS, refused=True)
    again = _sign(client, ticket_id, FREE_ITEMS)
    site = _site(client, ticket_id)

    assert first.status_code == 201
    assert (first.json["visit"], first.json["total_cny"], first.json["paid"]) == (1, "85.00", True)
    assert (twice.status_code, twice.json["field"]) == (409, "visit")
    assert twice.json["detail"].startswith("`visit`: visit 1 of the job is already signed off")
    # On visit 2 the first visit's sign-off satisfies nothing: the phone offers the form again.
    assert (unsigned["visit"], unsigned["signoff"]) == (2, None)
    assert second.status_code == 201, second.json
    assert (second.json["visit"], second.json["total_cny"]) == (2, "280.00")  # 2x80 + 120
    assert [(i["code"], i["amount_cny"]) for i in second.json["items"]] == [
        ("labour_hour", "160.00"),
        ("valve_replace", "120.00"),
    ]
    assert (second.json["signed"], second.json["paid"]) == (False, True)
    assert (again.status_code, again.json["field"]) == (409, "visit")
    assert "visit 2 of the job is already signed off" in again.json["detail"]
    assert (site["signoff"]["visit"], site["signoff"]["total_cny"]) == (2, "280.00")
    [earlier] = site["earlier_visits"]
    assert earlier["signoff"]["visit"] == 1 and earlier["signoff"]["total_cny"] == "85.00"
    assert [(i["code"], i["quantity"]) for i in earlier["signoff"]["items"]] == [
        ("call_out", 1),
        ("hose_replace", 1),
    ]
    assert earlier["signoff"]["signed"] is True
    stored = fetch_all(
        client.api.dsn,
        "SELECT visit, total_cny::text, signature_png IS NULL FROM ticket_signoffs"
        " WHERE ticket_id = %s ORDER BY visit",
        (ticket_id,),
    )
    assert stored == [(1, "85.00", False), (2, "280.00", True)]
    charges = fetch_all(
        client.api.dsn,
        "SELECT visit, line, item_code FROM ticket_charges WHERE ticket_id = %s"
        " ORDER BY visit, line",
        (ticket_id,),
    )
    assert charges == [
        (1, 1, "call_out"),
        (1, 2, "hose_replace"),
        (2, 1, "labour_hour"),
        (2, 2, "valve_replace"),
    ]
    assert _paid(client, ticket_id) is True
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    signed = [e["data"] for e in events if e["event_type"] == "signed_off"]
    assert [(d["visit"], d["total_cny"]) for d in signed] == [(1, "85.00"), (2, "280.00")]


def test_the_call_back_compares_the_charge_of_the_visit_it_asks_about(client):
    ticket_id = _on_site(client)
    _sign(client, ticket_id, FIRST_ITEMS)
    _finish(client, ticket_id)
    _reopen(client, ticket_id)
    _sign(client, ticket_id, SECOND_ITEMS)

    with psycopg2.connect(client.api.dsn) as conn, dict_cursor(conn) as cur:
        recorded = desk_repository.recorded_charge(cur, ticket_id)

    assert recorded == Decimal("280.00")  # visit 2's alone, not 85.00 + 280.00 nor doubled


def test_a_free_first_visit_is_unpaid_until_a_later_visit_charges(client):
    ticket_id = _on_site(client)

    free = _sign(client, ticket_id, FREE_ITEMS, refused=True)
    unpaid = _paid(client, ticket_id)
    _finish(client, ticket_id)
    _reopen(client, ticket_id)
    charged = _sign(client, ticket_id, SECOND_ITEMS)

    assert (free.json["total_cny"], free.json["paid"], unpaid) == ("0.00", False, False)
    assert (charged.json["total_cny"], charged.json["paid"]) == ("280.00", True)
    assert _paid(client, ticket_id) is True


def test_a_free_later_visit_leaves_a_paid_job_paid(client):
    ticket_id = _on_site(client)
    _sign(client, ticket_id, FIRST_ITEMS)
    _finish(client, ticket_id)
    _reopen(client, ticket_id)

    free = _sign(client, ticket_id, FREE_ITEMS)

    assert (free.json["visit"], free.json["total_cny"], free.json["paid"]) == (2, "0.00", True)
    assert _paid(client, ticket_id) is True


def test_photos_belong_to_the_visit_they_were_taken_on(client):
    ticket_id = _on_site(client)
    path = f"/tickets/{ticket_id}/photos"
    before = client.call("crewlead", "POST", path, json={"image_base64": _png((200, 0, 0))})
    _finish(client, ticket_id)
    _reopen(client, ticket_id)

    fresh = _site(client, ticket_id)
    after = client.call("crewlead", "POST", path, json={"image_base64": _png((0, 200, 0))})
    site = _site(client, ticket_id)
    old = client.call("dispatcher", "GET", f"{path}/{before.json['id']}")

    assert (before.status_code, before.json["visit"]) == (201, 1)
    assert fresh["photos"] == []
    assert (after.status_code, after.json["visit"]) == (201, 2)
    assert [(p["id"], p["visit"]) for p in site["photos"]] == [(after.json["id"], 2)]
    assert [(p["id"], p["visit"]) for p in site["earlier_visits"][0]["photos"]] == [
        (before.json["id"], 1)
    ]
    assert (old.status_code, old.json["visit"]) == (200, 1)  # an earlier visit's photo opens
    stored = fetch_all(
        client.api.dsn,
        "SELECT visit FROM ticket_photos WHERE ticket_id = %s ORDER BY id",
        (ticket_id,),
    )
    assert stored == [(1,), (2,)]


def test_an_open_hazard_of_an_earlier_visit_still_keeps_its_household_off(client, clock):
    ticket_id = _on_site(client)
    meters = mark_every_household(client, "crewlead", ticket_id)
    meter_id = meters[0]
    fix_by = (clock.now + timedelta(days=7)).isoformat()
    hazards = f"/tickets/{ticket_id}/hazards"
    body = {"meter_id": meter_id, "hazard_type": "aged_hose", "fix_by": fix_by}
    found = client.call("crewlead", "POST", hazards, json={**body, "customer_refused": True})
    household = f"/tickets/{ticket_id}/households/{meter_id}"
    kept_off = client.call("crewlead", "POST", household, json={"mark": "kept_off"})
    _finish(client, ticket_id, mark_households=False)
    _reopen(client, ticket_id)

    gas_on = client.call("crewlead", "POST", household, json={"mark": "valves_closed"})
    site = _site(client, ticket_id)
    later = client.call(
        "crewlead",
        "POST",
        hazards,
        json={**body, "hazard_type": "poor_ventilation", "signature_png_base64": _png()},
    )

    assert (found.status_code, found.json["visit"], kept_off.status_code) == (201, 1, 200)
    assert gas_on.status_code == 409
    assert f"meter {meter_id} has an open hazard notice" in gas_on.json["detail"]
    assert [(h["id"], h["visit"]) for h in site["hazards"]] == [(found.json["id"], 1)]
    [listed] = [h for h in site["households"] if h["meter_id"] == meter_id]
    assert listed["open_hazard"] is True
    assert (later.status_code, later.json["visit"]) == (201, 2)
    open_ones = client.call("manager", "GET", "/hazards").json["hazards"]
    assert sorted((h["id"], h["visit"]) for h in open_ones) == [
        (found.json["id"], 1),
        (later.json["id"], 2),
    ]

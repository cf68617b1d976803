"""The crew's site work through the JSON API on a real PostGIS (issue 10): the site rules gate
made_safe, gas_restored and closed; hazards keep a household's gas off; sign-off and photos;
Idempotency-Keys apply once. Every answer is checked against the OpenAPI document."""

from __future__ import annotations

import base64
import io
import os
from datetime import timedelta

import pytest
from PIL import ExifTags, Image

from tests.dbutil import fetch_all, fetch_value
from tests.e2e.api_client import ApiClient, MovableClock
from tests.e2e.site_work import (
    POST_REPAIR,
    finish_records,
    make_safe_records,
    mark_every_household,
)

KLUUVI = {"lon": 24.9466, "lat": 60.1712}


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def client(fresh_demo_dsn, clock):
    c = ApiClient(fresh_demo_dsn, clock=clock)
    yield c
    c.close()


def _on_site(client) -> int:
    """A leak assigned to the demo crew lead's crew, which is on site."""
    body = {"type": "gas_leak", **KLUUVI, "description": "gas smell in the courtyard"}
    ticket_id = client.call("hotline", "POST", "/tickets", json=body).json["ticket"]["id"]
    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")
    assert (
        client.call(
            "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id}
        ).status_code
        == 200
    )
    for step in ("accepted", "en_route", "on_site"):
        _go(client, ticket_id, step, expect=200)
    return ticket_id


def _go(client, ticket_id, status, *, user="crewlead", expect=None):
    r = client.call(user, "POST", f"/tickets/{ticket_id}/transition", json={"status": status})
    if expect is not None:
        assert r.status_code == expect, r.json
    return r


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 10, 10)).save(buf, "PNG")
    return _b64(buf.getvalue())


def test_made_safe_and_closed_are_refused_without_the_checklist_and_allowed_with_it(client):
    ticket_id = _on_site(client)

    refused = _go(client, ticket_id, "made_safe", expect=409)
    assert refused.json["field"] == "status"
    assert refused.json["detail"] == (
        "cannot go to `made_safe`; missing: checklist item warning_zone_set (warning zone set);"
        " a gas concentration reading"
    )
    make_safe_records(client, "crewlead", ticket_id, lel_percent=45.0)
    assert _go(client, ticket_id, "made_safe", expect=200).json["status"] == "made_safe"
    _go(client, ticket_id, "repaired", expect=200)
    mark_every_household(client, "crewlead", ticket_id)
    _go(client, ticket_id, "gas_restored", expect=200)

    not_yet = _go(client, ticket_id, "closed", user="dispatcher", expect=409)
    assert "checklist item manholes_checked (manholes checked)" in not_yet.json["detail"]
    assert "a last gas reading below 10 % LEL (last: 45 % LEL)" in not_yet.json["detail"]
    finish_records(client, "crewlead", ticket_id, lel_percent=4.0)
    closed = _go(client, ticket_id, "closed", expect=200)  # the crew lead's "finished"

    assert closed.json == {"id": ticket_id, "status": "closed", "allowed_next": ["new"]}
    site = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/site").json
    assert [r["lel_percent"] for r in site["readings"]] == [45.0, 4.0]
    assert site["missing"]["closed"] == []


def test_gas_restored_is_refused_listing_the_households_still_open_until_all_are_marked(client):
    ticket_id = _on_site(client)
    make_safe_records(client, "crewlead", ticket_id)
    _go(client, ticket_id, "made_safe", expect=200)
    _go(client, ticket_id, "repaired", expect=200)
    households = client.call("crewlead", "GET", f"/tickets/{ticket_id}/site").json["households"]
    assert len(households) >= 2, "the Kluuvi leak cuts the gas of several households"
    first, *rest = households

    skipped = _go(client, ticket_id, "closed", user="dispatcher", expect=409)
    assert "gas_restored first" in skipped.json["detail"]
    client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/households/{first['meter_id']}",
        json={"mark": "not_at_home"},
    )
    refused = _go(client, ticket_id, "gas_restored", expect=409)

    detail = refused.json["detail"]
    assert f"{len(rest)} household(s) not marked for the two-valve rule" in detail
    for h in rest:
        assert f"{h['address']} ({h['meter_no']})" in detail
    assert first["meter_no"] not in detail
    mark_every_household(client, "crewlead", ticket_id)
    assert _go(client, ticket_id, "gas_restored", expect=200).json["allowed_next"] == ["closed"]
    marks = fetch_all(
        client.api.dsn,
        "SELECT mark, count(*) FROM household_marks WHERE ticket_id = %s GROUP BY mark"
        " ORDER BY mark",
        (ticket_id,),
    )
    assert marks == [("valves_closed", len(households))]


def test_a_hazard_blocks_gas_on_for_its_household(client, clock):
    ticket_id = _on_site(client)
    households = client.call("crewlead", "GET", f"/tickets/{ticket_id}/site").json["households"]
    meter_id = households[0]["meter_id"]
    fix_by = (clock.now + timedelta(days=7)).isoformat()
    mark_every_household(client, "crewlead", ticket_id)  # marked for gas-on before it was found

    hazard = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/hazards",
        json={
            "meter_id": meter_id,
            "hazard_type": "aged_hose",
            "note": "rubber hose cracked behind the cooker",
            "fix_by": fix_by,
            "signature_png_base64": _png(),
        },
    )
    assert hazard.status_code == 201 and hazard.json["signed"] is True
    again = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/households/{meter_id}",
        json={"mark": "valves_closed"},
    )
    assert again.status_code == 409
    assert f"meter {meter_id} has an open hazard notice" in again.json["detail"]
    make_safe_records(client, "crewlead", ticket_id)
    _go(client, ticket_id, "made_safe", expect=200)
    _go(client, ticket_id, "repaired", expect=200)
    blocked = _go(client, ticket_id, "gas_restored", expect=409)
    assert "household(s) with an open hazard marked for gas-on" in blocked.json["detail"]

    kept_off = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/households/{meter_id}",
        json={"mark": "kept_off"},
    )
    assert kept_off.status_code == 200
    assert _go(client, ticket_id, "gas_restored", expect=200).json["status"] == "gas_restored"
    listed = client.call("manager", "GET", "/hazards").json["hazards"]
    assert [(h["meter_id"], h["hazard_type"]) for h in listed] == [(meter_id, "aged_hose")]


def test_a_customer_who_refuses_to_sign_is_recorded_with_the_time(client, clock):
    ticket_id = _on_site(client)
    clock.now += timedelta(minutes=20)

    answer = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/signoff",
        json={
            "items": [{"code": "call_out", "quantity": 1}, {"code": "labour_hour", "quantity": 2}],
            "customer_refused": True,
        },
    )

    assert answer.status_code == 201
    assert answer.json["total_cny"] == "210.00"  # 50.00 + 2 x 80.00
    assert (answer.json["signed"], answer.json["refused_at"]) == (False, clock.now.isoformat())
    stored = fetch_all(
        client.api.dsn,
        "SELECT signature_png IS NULL, refused_at = signed_at, total_cny::text FROM"
        " ticket_signoffs WHERE ticket_id = %s",
        (ticket_id,),
    )
    assert stored == [(True, True, "210.00")]
    assert fetch_value(client.api.dsn, "SELECT paid FROM tickets WHERE id = %s", (ticket_id,))
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    assert events[-1]["event_type"] == "signed_off" and events[-1]["data"]["paid"] is True


def test_photos_are_checked_by_content_and_size_and_lose_their_location(client):
    ticket_id = _on_site(client)
    path = f"/tickets/{ticket_id}/photos"
    text = client.call("crewlead", "POST", path, json={"image_base64": _b64(b"notes.jpg: hi")})
    huge = b"\xff\xd8\xff\xe0" + os.urandom(11 * 1024 * 1024)
    too_big = client.call("crewlead", "POST", path, json={"image_base64": _b64(huge)})
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (60.0, 10.0, 16.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (24.0, 56.0, 48.0)
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 200)).save(buf, "JPEG", exif=exif)
    sent = client.call("crewlead", "POST", path, json={"image_base64": _b64(buf.getvalue())})

    assert (text.status_code, text.json["field"]) == (400, "image_base64")
    assert "not a JPEG or PNG image" in text.json["detail"]
    assert too_big.status_code == 400 and "at most 10485760" in too_big.json["detail"]
    assert sent.status_code == 201
    assert (sent.json["content_type"], sent.json["width"], sent.json["height"]) == (
        "image/jpeg",
        320,
        240,
    )
    got = client.call("dispatcher", "GET", f"{path}/{sent.json['id']}")
    image = Image.open(io.BytesIO(base64.b64decode(got.json["image_base64"])))
    assert image.format == "JPEG" and image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert fetch_value(client.api.dsn, "SELECT count(*) FROM ticket_photos") == 1
    events = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/events").json["events"]
    assert [e["data"]["photo_id"] for e in events if e["event_type"] == "photo_added"] == [
        sent.json["id"]
    ]
    assert client.call("hotline", "POST", path, json={"image_base64": _png()}).status_code == 403


def test_a_replayed_idempotency_key_applies_once(client):
    ticket_id = _on_site(client)
    path = f"/tickets/{ticket_id}/site/readings"
    headers = {"Idempotency-Key": "phone-42-reading-7"}

    first = client.call("crewlead", "POST", path, json={"lel_percent": 8.5}, headers=headers)
    again = client.call("crewlead", "POST", path, json={"lel_percent": 8.5}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["replayed"] is True
    assert again.json["reading_id"] == first.json["reading_id"]
    readings = fetch_value(
        client.api.dsn, "SELECT count(*) FROM gas_readings WHERE ticket_id = %s", (ticket_id,)
    )
    events = fetch_value(
        client.api.dsn,
        "SELECT count(*) FROM ticket_events WHERE ticket_id = %s AND event_type = 'gas_reading'",
        (ticket_id,),
    )
    assert (readings, events) == (1, 1)


def test_another_crews_lead_is_refused_the_site_record(client):
    body = {"type": "gas_leak", **KLUUVI}
    ticket_id = client.call("hotline", "POST", "/tickets", json=body).json["ticket"]["id"]
    other = fetch_value(
        client.api.dsn,
        "SELECT id FROM crews WHERE id <> (SELECT crew_id FROM users WHERE username = 'crewlead')"
        " AND 'emergency' = ANY(skills) LIMIT 1",
    )
    assigned = client.call(
        "dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": other}
    )
    assert assigned.status_code == 200

    seen = client.call("crewlead", "GET", f"/tickets/{ticket_id}/site")
    wrote = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/site/readings", json={"lel_percent": 1.0}
    )

    assert (seen.status_code, wrote.status_code) == (403, 403)
    assert fetch_value(client.api.dsn, "SELECT count(*) FROM gas_readings") == 0


def test_a_transition_replayed_with_its_idempotency_key_is_applied_once(client):
    """The phone resends a status tap it queued offline: the second delivery answers the first
    answer and writes nothing (one status event, the ticket's version moved once)."""
    ticket_id = _on_site(client)
    key = {"Idempotency-Key": "phone-tap-7f3a"}
    make_safe_records(client, "crewlead", ticket_id)
    body = {"status": "made_safe"}
    path = f"/tickets/{ticket_id}/transition"

    first = client.call("crewlead", "POST", path, json=body, headers=key)
    again = client.call("crewlead", "POST", path, json=body, headers=key)

    assert (first.status_code, first.json["status"], first.json.get("replayed", False)) == (
        200,
        "made_safe",
        False,
    )
    assert (again.status_code, again.json["status"], again.json["replayed"]) == (
        200,
        "made_safe",
        True,
    )
    made_safe_events = fetch_value(
        client.api.dsn,
        "SELECT count(*) FROM ticket_events WHERE ticket_id = %s AND to_status = 'made_safe'",
        (ticket_id,),
    )
    assert made_safe_events == 1
    other = client.call(
        "crewlead",
        "POST",
        f"/tickets/{ticket_id}/site/readings",
        headers=key,
        json={"lel_percent": 1.0},
    )
    assert (other.status_code, other.json["field"]) == (409, "Idempotency-Key")


def test_a_household_mark_and_a_valve_report_replayed_with_their_keys_are_applied_once(client):
    ticket_id = _on_site(client)
    site = client.call("crewlead", "GET", f"/tickets/{ticket_id}/site").json
    meter = site["households"][0]["meter_id"]
    path = f"/tickets/{ticket_id}/households/{meter}"
    for _ in range(2):
        client.call(
            "crewlead",
            "POST",
            path,
            json={"mark": "not_at_home"},
            headers={"Idempotency-Key": "mark-1"},
        )
    client.call("crewlead", "POST", path, json={"mark": "valves_closed"})
    replay = client.call(
        "crewlead",
        "POST",
        path,
        json={"mark": "not_at_home"},
        headers={"Idempotency-Key": "mark-1"},
    )
    assert replay.json["replayed"] is True
    marks = fetch_all(
        client.api.dsn,
        "SELECT data->>'mark' FROM ticket_events WHERE ticket_id = %s"
        " AND event_type = 'household_marked' ORDER BY id",
        (ticket_id,),
    )
    assert [m[0] for m in marks] == ["not_at_home", "valves_closed"]
    assert (
        fetch_value(
            client.api.dsn,
            "SELECT mark FROM household_marks WHERE ticket_id = %s AND meter_id = %s",
            (ticket_id, meter),
        )
        == "valves_closed"
    )


def test_a_job_reopened_after_it_was_finished_starts_its_site_record_afresh(client):
    """A second visit: the checklist, readings and household marks of the first are kept and
    readable, the new visit's start empty, and made_safe needs its own zone and reading."""
    ticket_id = _on_site(client)
    make_safe_records(client, "crewlead", ticket_id, lel_percent=45.0)
    _go(client, ticket_id, "made_safe", expect=200)
    _go(client, ticket_id, "repaired", expect=200)
    meters = mark_every_household(client, "crewlead", ticket_id)
    _go(client, ticket_id, "gas_restored", expect=200)
    finish_records(client, "crewlead", ticket_id, lel_percent=4.0)
    _go(client, ticket_id, "closed", expect=200)

    _go(client, ticket_id, "new", user="dispatcher", expect=200)  # the customer called back

    site = client.call("dispatcher", "GET", f"/tickets/{ticket_id}/site").json
    assert (site["visit"], site["checklist"], site["readings"]) == (2, [], [])
    assert {h["mark"] for h in site["households"]} == {None}
    assert site["missing"]["made_safe"] == [
        "checklist item warning_zone_set (warning zone set)",
        "a gas concentration reading",
    ]
    [first] = site["earlier_visits"]
    assert first["visit"] == 1
    assert sorted(c["item"] for c in first["checklist"]) == sorted(
        ["warning_zone_set", *POST_REPAIR]
    )
    assert [r["lel_percent"] for r in first["readings"]] == [45.0, 4.0]

    crew_id = fetch_value(client.api.dsn, "SELECT crew_id FROM users WHERE username = 'crewlead'")
    client.call("dispatcher", "POST", f"/tickets/{ticket_id}/assign", json={"crew_id": crew_id})
    again = client.call(
        "crewlead", "POST", f"/tickets/{ticket_id}/site/checks", json={"item": "warning_zone_set"}
    )
    assert again.status_code == 201
    assert [c["item"] for c in again.json["site"]["checklist"]] == ["warning_zone_set"]
    visits = fetch_all(
        client.api.dsn,
        "SELECT visit FROM site_checks WHERE ticket_id = %s AND item = 'warning_zone_set'"
        " ORDER BY visit",
        (ticket_id,),
    )
    assert visits == [(1,), (2,)]
    marks = fetch_value(
        client.api.dsn,
        "SELECT count(*) FROM household_marks WHERE ticket_id = %s AND visit = 1",
        (ticket_id,),
    )
    assert marks == len(meters)

"""The site use cases on in-memory fakes: the checklist and readings gate made_safe and closed,
the two-valve marking gates gas_restored, hazards keep a household's gas off, sign-off with
charges marks a job paid, photos are checked and stripped, and Idempotency-Keys apply once."""

from __future__ import annotations

import base64
import copy
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import ExifTags, Image

from dispatch import site_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dispatch.ports import Ports
from tests.unit.fakes import FakeUnitOfWork, FixedIsolationPlanner, StraightLineRouter

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LON, LAT = 24.9466, 60.1712
LEAK = {"type": "gas_leak", "lon": LON, "lat": LAT}
HOTLINE = Actor("hotline", "hotline_agent")
DISPATCHER = Actor("dispatcher", "dispatcher")
LEAD = Actor("crewlead", "crew_lead", crew_id=2)
OTHER_LEAD = Actor("lead-e1", "crew_lead", crew_id=1)
CREWS = [
    {
        "id": i,
        "code": f"E-0{i}",
        "skills": ["emergency", "indoor_repair"],
        "status": "available",
        "lon": LON,
        "lat": LAT + 0.001 * i,
        "recorded_at": NOW,
    }
    for i in (1, 2)
]
METERS = {
    11: {"meter_no": "M-0011", "address": "Aleksanterinkatu 1 A 3", "account_no": "A-11"},
    12: {"meter_no": "M-0012", "address": "Aleksanterinkatu 1 B 7", "account_no": "A-12"},
}
AFTER_REPAIR = (
    "manholes_checked",
    "cellars_checked",
    "chimneys_checked",
    "underground_lines_checked",
    "nearby_buildings_checked",
    "hazard_gone",
)


class TwoHouseholdPlanner(FixedIsolationPlanner):
    """The fixed plan, cutting the gas of meters 11 and 12, with a 50 m warning zone."""

    def plan(self, uow, ticket, crews, router, *, stuck=()):
        plan = super().plan(uow, ticket, crews, router, stuck=stuck)
        if plan is None:
            return None
        return {
            **plan,
            "affected_meters": 2,
            "affected_meter_ids": [11, 12],
            "warning_zone": {"radius_m": 50.0},
        }


@pytest.fixture
def uow():
    return FakeUnitOfWork(copy.deepcopy(CREWS), meters=METERS)


@pytest.fixture
def ports():
    return Ports(router=StraightLineRouter(), isolation=TwoHouseholdPlanner())


def _on_site(uow, ports) -> int:
    ticket_id = ticket_service.open_ticket(uow, LEAK, HOTLINE, NOW, ports=ports)["ticket"]["id"]
    ticket_service.assign_crew(uow, ticket_id, 2, DISPATCHER, NOW, ports=ports)
    for step in ("accepted", "en_route", "on_site"):
        ticket_service.transition_ticket(uow, ticket_id, step, LEAD, NOW)
    return ticket_id


def _go(uow, ticket_id, to, actor=LEAD):
    return ticket_service.transition_ticket(uow, ticket_id, to, actor, NOW)


def _check(uow, ticket_id, item, **extra):
    return site_service.record_check(uow, ticket_id, {"item": item, **extra}, LEAD, NOW)


def _reading(uow, ticket_id, value, minutes=0):
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    return site_service.record_reading(
        uow, ticket_id, {"lel_percent": value, "measured_at": at}, LEAD, NOW
    )


def _png(size=(4, 3)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_made_safe_is_refused_naming_the_zone_and_the_reading_then_allowed_with_them(uow, ports):
    ticket_id = _on_site(uow, ports)

    with pytest.raises(Conflict) as refused:
        _go(uow, ticket_id, "made_safe")
    assert refused.value.field == "status"
    assert "warning_zone_set" in str(refused.value) and "a gas concentration reading" in str(
        refused.value
    )
    checked = _check(uow, ticket_id, "warning_zone_set")
    _reading(uow, ticket_id, 35.0)
    answer = _go(uow, ticket_id, "made_safe")

    assert answer["status"] == "made_safe"
    assert checked["site"]["checklist"][0]["data"] == {"radius_m": 50.0}  # from the stored plan
    assert uow.events.kinds(ticket_id)[-3:] == ["site_check", "gas_reading", "status_changed"]


def test_a_job_that_cut_gas_needs_every_household_marked_then_the_post_repair_checks(uow, ports):
    ticket_id = _on_site(uow, ports)
    _check(uow, ticket_id, "warning_zone_set")
    _reading(uow, ticket_id, 35.0)
    _go(uow, ticket_id, "made_safe")
    _go(uow, ticket_id, "repaired")

    with pytest.raises(Conflict, match="gas_restored first"):
        _go(uow, ticket_id, "closed", DISPATCHER)
    site_service.mark_household(uow, ticket_id, 11, {"mark": "valves_closed"}, LEAD, NOW)
    with pytest.raises(Conflict) as refused:
        _go(uow, ticket_id, "gas_restored")
    assert "1 household(s) not marked" in str(refused.value)
    assert "Aleksanterinkatu 1 B 7 (M-0012)" in str(refused.value)
    assert "M-0011" not in str(refused.value)
    site_service.mark_household(uow, ticket_id, 12, {"mark": "not_at_home"}, LEAD, NOW)
    assert _go(uow, ticket_id, "gas_restored")["allowed_next"] == ["closed"]

    with pytest.raises(Conflict, match=r"hazard_gone.*a last gas reading below 10 % LEL"):
        _go(uow, ticket_id, "closed", DISPATCHER)
    for item in AFTER_REPAIR:
        _check(uow, ticket_id, item)
    _reading(uow, ticket_id, 2.5, minutes=30)
    assert _go(uow, ticket_id, "closed", LEAD)["status"] == "closed"  # the lead's "finished"
    assert uow.tickets.by_id[ticket_id]["gas_restored_at"] == NOW


def test_a_hazard_keeps_its_household_off_until_resolved(uow, ports):
    ticket_id = _on_site(uow, ports)
    fix_by = (NOW + timedelta(days=3)).isoformat()
    site_service.mark_household(uow, ticket_id, 11, {"mark": "valves_closed"}, LEAD, NOW)
    hazard = site_service.record_hazard(
        uow,
        ticket_id,
        {"meter_id": 11, "hazard_type": "aged_hose", "fix_by": fix_by, "customer_refused": True},
        LEAD,
        NOW,
    )

    assert (hazard["signed"], hazard["refused_at"]) == (False, NOW.isoformat())
    with pytest.raises(Conflict, match="meter 11 has an open hazard notice"):
        site_service.mark_household(uow, ticket_id, 11, {"mark": "valves_closed"}, LEAD, NOW)
    record = site_service.site_record(uow, ticket_id, LEAD)
    assert (
        "household(s) with an open hazard marked for gas-on: Aleksanterinkatu 1 A 3"
        in (record["missing"]["gas_restored"][1])
    )
    assert [h["meter_no"] for h in site_service.open_hazards(uow, DISPATCHER)] == ["M-0011"]
    site_service.resolve_hazard(uow, ticket_id, hazard["id"], LEAD, NOW)
    assert site_service.open_hazards(uow, DISPATCHER) == []
    assert [h["resolved_at"] for h in site_service.customer_hazards(uow, "A-11", DISPATCHER)] == [
        NOW.isoformat()
    ]


def test_a_hazard_notice_needs_a_signature_or_a_refusal_and_a_deadline_ahead(uow, ports):
    ticket_id = _on_site(uow, ports)
    base = {"meter_id": 12, "hazard_type": "poor_ventilation"}
    later = (NOW + timedelta(days=1)).isoformat()

    with pytest.raises(InvalidInput, match="either `signature_png_base64`"):
        site_service.record_hazard(uow, ticket_id, {**base, "fix_by": later}, LEAD, NOW)
    with pytest.raises(InvalidInput, match="`fix_by` must be a time after now"):
        site_service.record_hazard(
            uow, ticket_id, {**base, "fix_by": NOW.isoformat(), "customer_refused": True}, LEAD, NOW
        )
    with pytest.raises(NotFound, match="meter 99"):
        site_service.record_hazard(
            uow,
            ticket_id,
            {**base, "meter_id": 99, "fix_by": later, "customer_refused": True},
            LEAD,
            NOW,
        )
    signed = site_service.record_hazard(
        uow, ticket_id, {**base, "fix_by": later, "signature_png_base64": _png()}, LEAD, NOW
    )
    assert (signed["signed"], signed["refused_at"]) == (True, None)


def test_sign_off_totals_the_items_marks_the_job_paid_and_happens_once(uow, ports):
    ticket_id = _on_site(uow, ports)
    body = {
        "items": [{"code": "hose_replace", "quantity": 1}, {"code": "hose_clamp", "quantity": 2}],
        "signature_png_base64": _png(),
    }

    answer = site_service.sign_off(uow, ticket_id, body, LEAD, NOW)

    assert answer["total_cny"] == "45.00"  # 35.00 + 2 x 5.00 from data/price_list.csv
    assert [(i["code"], i["amount_cny"]) for i in answer["items"]] == [
        ("hose_replace", "35.00"),
        ("hose_clamp", "10.00"),
    ]
    assert answer["paid"] is True and uow.site.paid == {ticket_id}
    with pytest.raises(Conflict, match="already signed off"):
        site_service.sign_off(uow, ticket_id, body, LEAD, NOW)


def test_a_free_job_refused_by_the_customer_is_recorded_and_not_paid(uow, ports):
    ticket_id = _on_site(uow, ports)
    body = {"items": [{"code": "safety_check", "quantity": 1}], "customer_refused": True}

    answer = site_service.sign_off(uow, ticket_id, body, LEAD, NOW)

    assert (answer["total_cny"], answer["paid"], answer["signed"]) == ("0.00", False, False)
    assert answer["refused_at"] == NOW.isoformat()
    assert uow.site.paid == set()


def test_a_signature_that_is_not_a_png_is_refused(uow, ports):
    ticket_id = _on_site(uow, ports)
    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg, "JPEG")
    body = {"items": [], "signature_png_base64": base64.b64encode(jpeg.getvalue()).decode()}

    with pytest.raises(InvalidInput, match="is not a PNG image"):
        site_service.sign_off(uow, ticket_id, body, LEAD, NOW)
    assert uow.site.signoffs == {}


def test_a_photo_loses_its_exif_location_and_is_listed_in_the_history(uow, ports):
    ticket_id = _on_site(uow, ports)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (60.0, 10.0, 16.0)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 120, 0)).save(buf, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buf.getvalue())).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    photo = site_service.add_photo(
        uow, ticket_id, {"image_base64": base64.b64encode(buf.getvalue()).decode()}, LEAD, NOW
    )
    stored = site_service.get_photo(uow, ticket_id, photo["id"], DISPATCHER)
    image = Image.open(io.BytesIO(base64.b64decode(stored["image_base64"])))

    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/jpeg", 64, 48)
    assert dict(image.getexif()) == {}
    assert uow.events.kinds(ticket_id)[-1] == "photo_added"
    with pytest.raises(PermissionDenied):
        site_service.get_photo(uow, ticket_id, photo["id"], OTHER_LEAD)


def test_a_text_file_named_like_a_photo_and_a_photo_over_the_limit_are_refused(uow, ports):
    ticket_id = _on_site(uow, ports)
    text = base64.b64encode(b"just some text, saved as photo.jpg").decode()
    small = site_service.SiteSettings(photo_max_bytes=1000)
    big = io.BytesIO()
    Image.effect_noise((200, 200), 60).convert("RGB").save(big, "PNG")

    with pytest.raises(InvalidInput, match="not a JPEG or PNG image"):
        site_service.add_photo(uow, ticket_id, {"image_base64": text}, LEAD, NOW)
    with pytest.raises(InvalidInput, match="at most 1000 are accepted"):
        site_service.add_photo(
            uow,
            ticket_id,
            {"image_base64": base64.b64encode(big.getvalue()).decode()},
            LEAD,
            NOW,
            small,
        )
    assert uow.site.images == []


def test_a_replayed_idempotency_key_answers_the_first_reading_and_stores_nothing(uow, ports):
    ticket_id = _on_site(uow, ports)
    body = {"lel_percent": 12.0}

    first = site_service.record_reading(uow, ticket_id, body, LEAD, NOW, key="phone-1")
    again = site_service.record_reading(uow, ticket_id, body, LEAD, NOW, key="phone-1")

    assert again == {**first, "replayed": True}
    assert len(uow.site.readings(ticket_id)) == 1
    assert uow.events.kinds(ticket_id).count("gas_reading") == 1
    with pytest.raises(Conflict, match="used for another request"):
        site_service.record_check(
            uow, ticket_id, {"item": "signs_posted"}, LEAD, NOW, key="phone-1"
        )


def test_another_crews_lead_can_neither_see_nor_write_the_site_record(uow, ports):
    ticket_id = _on_site(uow, ports)

    with pytest.raises(PermissionDenied):
        site_service.site_record(uow, ticket_id, OTHER_LEAD)
    with pytest.raises(PermissionDenied):
        site_service.record_reading(uow, ticket_id, {"lel_percent": 1.0}, OTHER_LEAD, NOW)

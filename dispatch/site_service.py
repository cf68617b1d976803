"""Use cases of the crew's work on site: the CJJ51 checklist and gas readings, the two-valve
marking of households before gas-on, hazard notices, charges with the customer's sign-off,
photos. Each takes a unit of work, the acting user and the time, appends a ticket event (so
the outbox pushes it to every screen) and returns the API's JSON shapes. The rules are in
:mod:`dispatch.site_rules`; :func:`transition_refusal` is the hook
:func:`dispatch.ticket_service.transition_ticket` consults before a status is stored.

Creates honour an Idempotency-Key (the phone resends what it queued while offline): a replay
answers what the first request answered, with ``"replayed": True``, and stores nothing.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from dispatch import site_rules
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dispatch.input_fields import int_field, text_field, time_field
from dispatch.json_shapes import iso_time
from dispatch.settings import setting
from dispatch.site_rules import PriceItem, SiteState
from dispatch.ticket_model import OPEN_STATUSES

PRICE_LIST = Path(__file__).resolve().parents[1] / "data" / "price_list.csv"
MAX_IDEMPOTENCY_KEY = 200
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Ticket statuses in which the crew's site record can still be written.
WORKING = tuple(s for s in OPEN_STATUSES if s != "new")


@dataclass(frozen=True)
class SiteSettings:
    """What the site use cases use of the settings (``[site]`` in data/settings.toml)."""

    safe_lel_percent: float = setting("site.safe_lel_percent")
    photo_max_bytes: int = setting("site.photo_max_bytes")
    signature_max_bytes: int = setting("site.signature_max_bytes")


# --- the hook of the ticket's lifecycle ----------------------------------------------------------


def transition_refusal(
    uow, ticket_id: int, from_status: str, to: str, settings: SiteSettings | None = None
) -> str | None:
    """Why the site record does not allow ``from_status → to`` (None: it does)."""
    if to not in ("made_safe", "gas_restored", "closed"):
        return None
    settings = settings or SiteSettings()
    state = _state(uow, uow.tickets.row(ticket_id))
    missing = site_rules.missing_for(to, state, safe_lel=settings.safe_lel_percent)
    if to == "closed" and site_rules.gas_restore_needed(state, from_status):
        missing.insert(
            0,
            f"gas_restored first: the job cut the gas of {len(state.households) or 'the'}"
            " household(s) of the isolated section",
        )
    if not missing:
        return None
    return f"cannot go to `{to}`; missing: " + "; ".join(missing)


# --- the site record ------------------------------------------------------------------------------


def site_record(uow, ticket_id: int, actor: Actor, settings: SiteSettings | None = None) -> dict:
    """The job's site record: checklist, readings, households with their marks, hazards,
    sign-off, photos, and what each next status still needs."""
    settings = settings or SiteSettings()
    row = _visible_row(uow, ticket_id, actor)
    return _record(uow, row, settings)


def record_check(
    uow, ticket_id: int, data: dict, actor: Actor, now: datetime, settings=None, *, key=None
) -> dict:
    """Tick a checklist item (the first time counts; a second tick answers the first)."""
    settings = settings or SiteSettings()

    def make(row):
        readings = uow.site.readings(ticket_id)
        last = _last(readings)
        item = site_rules.check_item(
            data.get("item"), data, last_reading=last, safe_lel=settings.safe_lel_percent
        )
        extra = {
            k: data[k]
            for k in ("guardian", "people_on_site", "radius_m")
            if data.get(k) is not None
        }
        if text_field(data, "note"):
            extra["note"] = text_field(data, "note")
        if item == "warning_zone_set":
            plan = uow.tickets.isolation_plan(ticket_id) or {}
            radius = (plan.get("warning_zone") or {}).get("radius_m")
            if radius is not None:
                extra.setdefault("radius_m", radius)
        if uow.site.add_check(ticket_id, item, at=now, by=actor.username, data=extra):
            _event(uow, ticket_id, now, actor, "site_check", {"item": item, **extra})
        return {"ticket_id": ticket_id, "item": item, "site": _record(uow, row, settings)}

    return _once(uow, actor, key, ticket_id, "check", make)


def record_reading(
    uow, ticket_id: int, data: dict, actor: Actor, now: datetime, settings=None, *, key=None
) -> dict:
    """A gas concentration reading (% LEL) at ``measured_at`` (default now)."""
    settings = settings or SiteSettings()

    def make(row):
        value = site_rules.reading_value(data.get("lel_percent"))
        measured_at = time_field(data, "measured_at") or now
        place = text_field(data, "place")
        reading_id = uow.site.add_reading(
            ticket_id,
            lel_percent=value,
            measured_at=measured_at,
            place=place,
            recorded_by=actor.username,
        )
        safe = value < settings.safe_lel_percent
        _event(
            uow,
            ticket_id,
            now,
            actor,
            "gas_reading",
            {
                "reading_id": reading_id,
                "lel_percent": value,
                "measured_at": iso_time(measured_at),
                "safe": safe,
            },
        )
        return {
            "ticket_id": ticket_id,
            "reading_id": reading_id,
            "lel_percent": value,
            "measured_at": iso_time(measured_at),
            "safe": safe,
            "site": _record(uow, row, settings),
        }

    return _once(uow, actor, key, ticket_id, "reading", make)


def mark_household(
    uow, ticket_id: int, meter_id: int, data: dict, actor: Actor, now: datetime, settings=None
) -> dict:
    """Mark a household of the isolated section for the two-valve rule (idempotent by nature:
    the same mark again changes nothing)."""
    settings = settings or SiteSettings()
    row = _writable_row(uow, ticket_id, actor)
    households = _households(uow, ticket_id)
    if meter_id not in households:
        raise NotFound(
            f"`meter_id`: meter {meter_id} is not fed by this job's isolated section", "meter_id"
        )
    open_hazard = bool(uow.site.hazards(meter_ids=[meter_id], open_only=True))
    mark = site_rules.household_mark(data.get("mark"), meter_id=meter_id, open_hazard=open_hazard)
    before = uow.site.marks(ticket_id).get(meter_id)
    if before is None or before["mark"] != mark:
        uow.site.set_mark(ticket_id, meter_id, mark, at=now, by=actor.username)
        _event(uow, ticket_id, now, actor, "household_marked", {"meter_id": meter_id, "mark": mark})
    return {
        "ticket_id": ticket_id,
        "meter_id": meter_id,
        "mark": mark,
        "site": _record(uow, row, settings),
    }


def record_hazard(
    uow, ticket_id: int, data: dict, actor: Actor, now: datetime, settings=None, *, key=None
) -> dict:
    """A hazard notice for a household of the job, signed by the customer (a PNG) or with the
    customer's refusal recorded at ``now``. While it is open the household's gas stays off."""
    settings = settings or SiteSettings()

    def make(row):
        meter_id = int_field(data, "meter_id", required=True, lo=1)
        if meter_id not in {*_households(uow, ticket_id), row.get("meter_id")}:
            raise NotFound(
                f"`meter_id`: meter {meter_id} is neither the job's meter nor fed by its"
                " isolated section",
                "meter_id",
            )
        hazard_type = data.get("hazard_type")
        if hazard_type not in site_rules.HAZARD_TYPES:
            raise InvalidInput(
                f"`hazard_type` must be one of {', '.join(site_rules.HAZARD_TYPES)}",
                "hazard_type",
            )
        fix_by = time_field(data, "fix_by", required=True)
        if fix_by <= now:
            raise InvalidInput("`fix_by` must be a time after now", "fix_by")
        signature, refused_at = _signature_or_refusal(data, now, settings)
        hazard_id = uow.site.add_hazard(
            ticket_id,
            meter_id=meter_id,
            hazard_type=hazard_type,
            note=text_field(data, "note") or "",
            fix_by=fix_by,
            found_at=now,
            found_by=actor.username,
            signature_png=signature,
            refused_at=refused_at,
        )
        _event(
            uow,
            ticket_id,
            now,
            actor,
            "hazard_notice",
            {
                "hazard_id": hazard_id,
                "meter_id": meter_id,
                "hazard_type": hazard_type,
                "fix_by": iso_time(fix_by),
                "refused_at": iso_time(refused_at),
            },
        )
        hazard = next(h for h in uow.site.hazards(ticket_id=ticket_id) if h["id"] == hazard_id)
        return {**_hazard_view(hazard), "site": _record(uow, row, settings)}

    return _once(uow, actor, key, ticket_id, "hazard", make)


def resolve_hazard(uow, ticket_id: int, hazard_id: int, actor: Actor, now: datetime) -> dict:
    """The hazard was put right: the household may have its gas back."""
    _writable_row(uow, ticket_id, actor)
    hazard = next((h for h in uow.site.hazards(ticket_id=ticket_id) if h["id"] == hazard_id), None)
    if hazard is None:
        raise NotFound(f"no hazard notice {hazard_id} on ticket {ticket_id}", "hazard_id")
    if uow.site.resolve_hazard(hazard_id, at=now, by=actor.username):
        _event(uow, ticket_id, now, actor, "hazard_resolved", {"hazard_id": hazard_id})
    hazard = next(h for h in uow.site.hazards(ticket_id=ticket_id) if h["id"] == hazard_id)
    return _hazard_view(hazard)


def open_hazards(uow, actor: Actor) -> list[dict]:
    """Every open hazard notice, the nearest deadline first (the manager's list)."""
    return [_hazard_view(h) for h in uow.site.hazards(open_only=True)]


def customer_hazards(uow, account_no: str, actor: Actor) -> list[dict]:
    """The hazard notices of a customer's meters, open and resolved (the customer's history)."""
    meters = uow.site.meters_of_account(account_no)
    if not meters:
        raise NotFound(f"`account_no`: no customer with account {account_no!r}", "account_no")
    return [_hazard_view(h) for h in uow.site.hazards(meter_ids=meters)]


def price_list() -> list[dict]:
    return [_price_view(p) for p in _prices().values()]


def sign_off(
    uow, ticket_id: int, data: dict, actor: Actor, now: datetime, settings=None, *, key=None
) -> dict:
    """The items charged (from the price list), their total, and the customer's signature (a
    PNG) or the refusal with its time; once per visit (a re-opened job is signed for again).
    A charge above zero makes the job paid, so the call-back sampler counts it under the
    paid-repair quota; a later visit charging nothing leaves it paid."""
    settings = settings or SiteSettings()

    def make(row):
        _refuse_second_signoff(uow, ticket_id)
        lines = site_rules.charge_lines(data.get("items", []), _prices())
        total = site_rules.total_cny(lines)
        signature, refused_at = _signature_or_refusal(data, now, settings)
        stored = uow.site.add_signoff(
            ticket_id,
            lines=[
                {"item_code": p.code, "quantity": q, "unit_price_cny": p.unit_price_cny}
                for p, q in lines
            ],
            total_cny=total,
            signature_png=signature,
            refused_at=refused_at,
            signed_at=now,
            recorded_by=actor.username,
        )
        if not stored:  # another request signed this visit off meanwhile
            _refuse_second_signoff(uow, ticket_id)
            raise Conflict("`visit`: this visit was signed off meanwhile", "visit")
        if total > 0:
            uow.site.set_paid(ticket_id)
        signoff = _signoff_view(uow.site.signoff(ticket_id))
        paid = uow.site.is_paid(ticket_id)
        _event(
            uow,
            ticket_id,
            now,
            actor,
            "signed_off",
            {
                "visit": signoff["visit"],
                "total_cny": str(total),
                "paid": paid,
                "refused_at": iso_time(refused_at),
            },
        )
        return {**signoff, "paid": paid}

    return _once(uow, actor, key, ticket_id, "signoff", make)


def _refuse_second_signoff(uow, ticket_id: int) -> None:
    """The customer signs once per visit: a second sign-off of the same visit is a conflict."""
    done = uow.site.signoff(ticket_id)
    if done is not None:
        raise Conflict(
            f"`visit`: visit {done['visit']} of the job is already signed off (a re-opened job"
            " is signed for on its next visit)",
            "visit",
        )


def add_photo(
    uow, ticket_id: int, data: dict, actor: Actor, now: datetime, settings=None, *, key=None
) -> dict:
    """A photo of the job: JPEG or PNG by content, at most ``photo_max_bytes``, re-encoded so
    that no EXIF (location, camera) or text metadata is kept."""
    settings = settings or SiteSettings()

    def make(row):
        raw = _base64(data.get("image_base64"), "image_base64")
        if len(raw) > settings.photo_max_bytes:
            raise InvalidInput(
                f"`image_base64`: the photo has {len(raw)} bytes; at most"
                f" {settings.photo_max_bytes} are accepted",
                "image_base64",
            )
        content_type, image, width, height = _clean_image(raw)
        photo_id = uow.site.add_photo(
            ticket_id,
            content_type=content_type,
            width=width,
            height=height,
            image=image,
            note=text_field(data, "note") or "",
            taken_at=now,
            uploaded_by=actor.username,
        )
        view = {
            "id": photo_id,
            "ticket_id": ticket_id,
            "visit": uow.site.visit(ticket_id),
            "content_type": content_type,
            "width": width,
            "height": height,
            "bytes": len(image),
            "note": text_field(data, "note") or "",
            "taken_at": iso_time(now),
            "uploaded_by": actor.username,
        }
        _event(uow, ticket_id, now, actor, "photo_added", {"photo_id": photo_id, **_small(view)})
        return view

    return _once(uow, actor, key, ticket_id, "photo", make)


def get_photo(uow, ticket_id: int, photo_id: int, actor: Actor) -> dict:
    """A photo with its image (base64), for a role that may see the ticket."""
    _visible_row(uow, ticket_id, actor)
    photo = uow.site.photo(photo_id)
    if photo is None or photo["ticket_id"] != ticket_id:
        raise NotFound(f"no photo {photo_id} on ticket {ticket_id}", "photo_id")
    return {
        "id": photo["id"],
        "ticket_id": ticket_id,
        "visit": photo["visit"],
        "content_type": photo["content_type"],
        "width": photo["width"],
        "height": photo["height"],
        "bytes": len(photo["image"]),
        "note": photo["note"],
        "taken_at": iso_time(photo["taken_at"]),
        "uploaded_by": photo["uploaded_by"],
        "image_base64": base64.b64encode(photo["image"]).decode("ascii"),
    }


def once_per_key(uow, actor: Actor, key: str | None, ticket_id: int, kind: str, apply) -> dict:
    """``apply()`` once per Idempotency-Key of ``actor`` (the site records' keys): a replay
    answers the first answer with ``"replayed": True`` and applies nothing. For requests whose
    own use case checks the ticket (a status transition)."""
    if key is None:
        return apply()
    _check_key(key)
    earlier = uow.site.replayed(actor.username, key)
    if earlier is not None:
        return _replay(uow, actor, earlier, ticket_id, kind)
    answer = apply()
    _remember(uow, actor, key, ticket_id, kind, answer)
    return answer


# --- helpers ------------------------------------------------------------------------------------


def _once(uow, actor: Actor, key: str | None, ticket_id: int, kind: str, make) -> dict:
    """Run ``make(row)`` once per Idempotency-Key: a replay answers the first answer."""
    if key is not None:
        _check_key(key)
        earlier = uow.site.replayed(actor.username, key)
        if earlier is not None:
            return _replay(uow, actor, earlier, ticket_id, kind)
    row = _writable_row(uow, ticket_id, actor)
    answer = make(row)
    if key is not None:
        _remember(uow, actor, key, ticket_id, kind, answer)
    return answer


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidInput(
            f"`Idempotency-Key` must have 1 to {MAX_IDEMPOTENCY_KEY} characters",
            "Idempotency-Key",
        )


def _replay(uow, actor: Actor, earlier: dict, ticket_id: int, kind: str) -> dict:
    if earlier["ticket_id"] != ticket_id or earlier["kind"] != kind:
        raise Conflict(
            "`Idempotency-Key` was used for another request; use a new key", "Idempotency-Key"
        )
    _visible_row(uow, ticket_id, actor)
    return {**earlier["answer"], "replayed": True}


def _remember(uow, actor: Actor, key: str, ticket_id: int, kind: str, answer: dict) -> None:
    if not uow.site.remember(actor.username, key, ticket_id, kind, answer):
        raise Conflict(
            "a request with this `Idempotency-Key` was applied meanwhile; send it again to get"
            " its answer",
            "Idempotency-Key",
        )


def _visible_row(uow, ticket_id: int, actor: Actor) -> dict:
    row = uow.tickets.row(ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if actor.role == "crew_lead" and row["crew_id"] != actor.crew_id:
        raise PermissionDenied("a crew lead sees and changes only its own crew's jobs", "id")
    return row


def _writable_row(uow, ticket_id: int, actor: Actor) -> dict:
    row = _visible_row(uow, ticket_id, actor)
    if row["status"] not in WORKING:
        raise Conflict(
            f"the site record of a `{row['status']}` ticket cannot change (open and assigned"
            " tickets only)",
            "status",
        )
    return row


def _event(uow, ticket_id: int, now: datetime, actor: Actor, kind: str, data: dict) -> None:
    uow.events.append(ticket_id, at=now, actor=actor.username, event_type=kind, data=data)


def _households(uow, ticket_id: int) -> list[int]:
    """The meters fed by the isolated section, from the stored plan (none without one; a plan
    stored before the ids were kept lists none either)."""
    plan = uow.tickets.isolation_plan(ticket_id) or {}
    return [int(m) for m in plan.get("affected_meter_ids") or []]


def _state(uow, row: dict) -> SiteState:
    ticket_id = row["id"]
    plan = uow.tickets.isolation_plan(ticket_id) or {}
    households = tuple(_households(uow, ticket_id))
    hazards = uow.site.hazards(meter_ids=list(households), open_only=True) if households else []
    labels = {h["meter_id"]: _label(h) for h in uow.site.households(list(households))}
    return SiteState(
        category=row["category"],
        made_safe=row["made_safe_at"] is not None,
        checks=frozenset(c["item"] for c in uow.site.checks(ticket_id)),
        readings=tuple((r["measured_at"], r["lel_percent"]) for r in uow.site.readings(ticket_id)),
        households=households,
        gas_cut=(plan.get("affected_meters") or 0) > 0,
        marks={m: v["mark"] for m, v in uow.site.marks(ticket_id).items()},
        open_hazard_meters=frozenset(h["meter_id"] for h in hazards),
        labels=labels,
    )


def _label(household: dict) -> str:
    address = household.get("address") or "address unknown"
    number = household.get("meter_no") or f"meter {household['meter_id']}"
    return f"{address} ({number})"


def _record(uow, row: dict, settings: SiteSettings) -> dict:
    ticket_id = row["id"]
    state = _state(uow, row)
    marks = uow.site.marks(ticket_id)
    readings = uow.site.readings(ticket_id)
    plan = uow.tickets.isolation_plan(ticket_id) or {}
    hazards = uow.site.hazards(ticket_id=ticket_id)
    open_meters = {h["meter_id"] for h in hazards if h["resolved_at"] is None}
    visit = uow.site.visit(ticket_id)
    return {
        "ticket_id": ticket_id,
        "status": row["status"],
        "visit": visit,
        "earlier_visits": [_visit_view(uow, ticket_id, v, settings) for v in range(1, visit)],
        "warning_radius_m": (plan.get("warning_zone") or {}).get("radius_m"),
        "safe_lel_percent": settings.safe_lel_percent,
        "checklist": _checks_view(uow.site.checks(ticket_id)),
        "readings": _readings_view(readings, settings),
        "households": [
            {
                "meter_id": h["meter_id"],
                "meter_no": h["meter_no"],
                "address": h["address"],
                "mark": (marks.get(h["meter_id"]) or {}).get("mark"),
                "open_hazard": h["meter_id"] in open_meters | state.open_hazard_meters,
            }
            for h in uow.site.households(list(state.households))
        ],
        # Every visit's hazards: an open one keeps its household's gas off on any visit.
        "hazards": [_hazard_view(h) for h in hazards],
        "signoff": _signoff_or_none(uow.site.signoff(ticket_id)),
        "photos": _photos_view(uow.site.photos(ticket_id), ticket_id),
        "missing": {
            to: site_rules.missing_for(to, state, safe_lel=settings.safe_lel_percent)
            for to in ("made_safe", "gas_restored", "closed")
        },
    }


def _visit_view(uow, ticket_id: int, visit: int, settings: SiteSettings) -> dict:
    """What an earlier visit left: its checklist, readings, sign-off and photos."""
    return {
        "visit": visit,
        "checklist": _checks_view(uow.site.checks(ticket_id, visit)),
        "readings": _readings_view(uow.site.readings(ticket_id, visit), settings),
        "signoff": _signoff_or_none(uow.site.signoff(ticket_id, visit)),
        "photos": _photos_view(uow.site.photos(ticket_id, visit), ticket_id),
    }


def _photos_view(photos: list[dict], ticket_id: int) -> list[dict]:
    return [{**p, "taken_at": iso_time(p["taken_at"]), "ticket_id": ticket_id} for p in photos]


def _signoff_or_none(signoff: dict | None) -> dict | None:
    return None if signoff is None else _signoff_view(signoff)


def _checks_view(checks: list[dict]) -> list[dict]:
    return [
        {
            "item": c["item"],
            "done_at": iso_time(c["done_at"]),
            "done_by": c["done_by"],
            "data": c["data"],
        }
        for c in checks
    ]


def _readings_view(readings: list[dict], settings: SiteSettings) -> list[dict]:
    return [
        {
            "id": r["id"],
            "lel_percent": r["lel_percent"],
            "measured_at": iso_time(r["measured_at"]),
            "place": r["place"],
            "safe": r["lel_percent"] < settings.safe_lel_percent,
        }
        for r in readings
    ]


def _hazard_view(h: dict) -> dict:
    return {
        "id": h["id"],
        "ticket_id": h["ticket_id"],
        "visit": h["visit"],
        "meter_id": h["meter_id"],
        "meter_no": h.get("meter_no"),
        "address": h.get("address"),
        "hazard_type": h["hazard_type"],
        "note": h["note"],
        "fix_by": iso_time(h["fix_by"]),
        "found_at": iso_time(h["found_at"]),
        "found_by": h["found_by"],
        "signed": bool(h["signed"]),
        "refused_at": iso_time(h["refused_at"]),
        "resolved_at": iso_time(h["resolved_at"]),
    }


def _signoff_view(s: dict) -> dict:
    prices = _prices()
    lines = []
    for line in s["lines"]:
        item = prices.get(line["item_code"])
        unit = Decimal(line["unit_price_cny"])
        lines.append(
            {
                "code": line["item_code"],
                "name_zh": item.name_zh if item else line["item_code"],
                "name_en": item.name_en if item else line["item_code"],
                "quantity": line["quantity"],
                "unit_price_cny": str(unit.quantize(Decimal("0.01"))),
                "amount_cny": str((unit * line["quantity"]).quantize(Decimal("0.01"))),
            }
        )
    return {
        "ticket_id": s["ticket_id"],
        "visit": s["visit"],
        "items": lines,
        "total_cny": str(Decimal(s["total_cny"]).quantize(Decimal("0.01"))),
        "signed": bool(s["signed"]),
        "refused_at": iso_time(s["refused_at"]),
        "signed_at": iso_time(s["signed_at"]),
    }


def _price_view(p: PriceItem) -> dict:
    return {
        "code": p.code,
        "unit_price_cny": str(p.unit_price_cny),
        "name_zh": p.name_zh,
        "name_en": p.name_en,
    }


@cache
def _prices() -> dict[str, PriceItem]:
    with PRICE_LIST.open(encoding="utf-8", newline="") as f:
        return {
            r["code"]: PriceItem(
                r["code"], Decimal(r["unit_price_cny"]), r["name_zh"], r["name_en"]
            )
            for r in csv.DictReader(f)
        }


def _last(readings: list[dict]) -> float | None:
    if not readings:
        return None
    return max(readings, key=lambda r: (r["measured_at"], r["id"]))["lel_percent"]


def _small(view: dict) -> dict:
    return {k: view[k] for k in ("content_type", "width", "height", "bytes")}


def _base64(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"`{name}` is required: the image as base64", name)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"`{name}` is not valid base64", name) from None


def _signature_or_refusal(data: dict, now: datetime, settings: SiteSettings):
    """(the signature PNG, None) or (None, now) when the customer refused to sign."""
    refused = data.get("customer_refused") is True
    given = data.get("signature_png_base64")
    if refused == (given is not None):
        raise InvalidInput(
            "give either `signature_png_base64` (the customer's signature) or"
            " `customer_refused: true`",
            "signature_png_base64",
        )
    if refused:
        return None, now
    raw = _base64(given, "signature_png_base64")
    if len(raw) > settings.signature_max_bytes:
        raise InvalidInput(
            f"`signature_png_base64`: {len(raw)} bytes; at most {settings.signature_max_bytes}",
            "signature_png_base64",
        )
    if not raw.startswith(PNG_MAGIC):
        raise InvalidInput("`signature_png_base64` is not a PNG image", "signature_png_base64")
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.format != "PNG":
                raise InvalidInput(
                    "`signature_png_base64` is not a PNG image", "signature_png_base64"
                )
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(
            "`signature_png_base64` is not a readable PNG image", "signature_png_base64"
        ) from None
    return raw, None


def _clean_image(raw: bytes) -> tuple[str, bytes, int, int]:
    """(content type, re-encoded bytes without metadata, width, height) of a JPEG or PNG."""
    try:
        with Image.open(io.BytesIO(raw)) as img:
            kind = img.format
            if kind not in ("JPEG", "PNG"):
                raise InvalidInput(
                    f"`image_base64` must be a JPEG or PNG image, not {kind}", "image_base64"
                )
            img.load()
            upright = ImageOps.exif_transpose(img)  # keep how it looked, drop the tag
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(
            "`image_base64` is not a JPEG or PNG image (checked by its content)", "image_base64"
        ) from None
    clean = upright.copy()
    clean.info = {}  # no EXIF (location, camera), no text chunks, no ICC: only the pixels
    out = io.BytesIO()
    if kind == "JPEG":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=90)
        return "image/jpeg", out.getvalue(), clean.width, clean.height
    clean.save(out, "PNG", optimize=False)
    return "image/png", out.getvalue(), clean.width, clean.height

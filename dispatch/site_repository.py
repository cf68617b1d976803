"""Storage of the crew's work on site (``uow.site``): checklist, readings, household marks,
hazard notices, sign-off with charges, photos, and the Idempotency-Keys of their creates.
Unit tests replace it with ``FakeSite`` of ``tests/unit/fakes.py``."""

from __future__ import annotations

import json
from datetime import datetime

#: The ticket's current visit: 1 + the times it was re-opened (a re-opened job's checklist,
#: readings and marks start afresh; earlier visits are kept). Expects ``%(t)s``.
VISIT = (
    "(SELECT 1 + count(*) FROM ticket_events e WHERE e.ticket_id = %(t)s"
    " AND e.event_type = 'reopened')"
)


class SiteRepository:
    def __init__(self, cur) -> None:
        self.cur = cur

    # --- checklist and readings ---

    def visit(self, ticket_id: int) -> int:
        """The ticket's current visit (1 until it is re-opened)."""
        self.cur.execute(f"SELECT {VISIT} AS visit", {"t": ticket_id})
        return int(self.cur.fetchone()["visit"])

    def checks(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        """The checklist of the current visit (or of ``visit``)."""
        self.cur.execute(
            "SELECT item, done_at, done_by, data FROM site_checks WHERE ticket_id = %(t)s"
            f" AND visit = COALESCE(%(v)s, {VISIT}) ORDER BY done_at, item",
            {"t": ticket_id, "v": visit},
        )
        return [dict(r) for r in self.cur.fetchall()]

    def add_check(self, ticket_id: int, item: str, *, at: datetime, by: str, data: dict) -> bool:
        """Record an item; False when it was already recorded (the first time counts)."""
        self.cur.execute(
            "INSERT INTO site_checks (ticket_id, visit, item, done_at, done_by, data)"
            f" VALUES (%(t)s, {VISIT}, %(item)s, %(at)s, %(by)s, %(data)s)"
            " ON CONFLICT (ticket_id, visit, item) DO NOTHING",
            {"t": ticket_id, "item": item, "at": at, "by": by, "data": json.dumps(data)},
        )
        return self.cur.rowcount == 1

    def readings(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        """The gas readings of the current visit (or of ``visit``)."""
        self.cur.execute(
            "SELECT id, lel_percent, measured_at, place, recorded_by FROM gas_readings"
            f" WHERE ticket_id = %(t)s AND visit = COALESCE(%(v)s, {VISIT})"
            " ORDER BY measured_at, id",
            {"t": ticket_id, "v": visit},
        )
        return [dict(r) for r in self.cur.fetchall()]

    def add_reading(self, ticket_id: int, **reading) -> int:
        self.cur.execute(
            "INSERT INTO gas_readings (ticket_id, visit, lel_percent, measured_at, place,"
            f" recorded_by) VALUES (%(t)s, {VISIT}, %(lel_percent)s, %(measured_at)s,"
            " %(place)s, %(recorded_by)s) RETURNING id",
            {"t": ticket_id, **reading},
        )
        return int(self.cur.fetchone()["id"])

    # --- households (two-valve rule) ---

    def households(self, meter_ids: list[int]) -> list[dict]:
        """The meters' numbers and addresses, in the order of ``meter_ids``."""
        self.cur.execute(
            "SELECT id AS meter_id, meter_no, address FROM customer_meters WHERE id = ANY(%s)",
            (list(meter_ids),),
        )
        found = {int(r["meter_id"]): dict(r) for r in self.cur.fetchall()}
        return [found.get(m, {"meter_id": m, "meter_no": None, "address": None}) for m in meter_ids]

    def marks(self, ticket_id: int) -> dict[int, dict]:
        """The two-valve marks of the current visit."""
        self.cur.execute(
            "SELECT meter_id, mark, marked_at, marked_by FROM household_marks"
            f" WHERE ticket_id = %(t)s AND visit = {VISIT}",
            {"t": ticket_id},
        )
        return {int(r["meter_id"]): dict(r) for r in self.cur.fetchall()}

    def set_mark(self, ticket_id: int, meter_id: int, mark: str, *, at: datetime, by: str) -> None:
        self.cur.execute(
            "INSERT INTO household_marks (ticket_id, visit, meter_id, mark, marked_at,"
            f" marked_by) VALUES (%(t)s, {VISIT}, %(m)s, %(mark)s, %(at)s, %(by)s)"
            " ON CONFLICT (ticket_id, visit, meter_id) DO UPDATE"
            " SET mark = EXCLUDED.mark, marked_at = EXCLUDED.marked_at,"
            " marked_by = EXCLUDED.marked_by",
            {"t": ticket_id, "m": meter_id, "mark": mark, "at": at, "by": by},
        )

    # --- hazard notices ---

    def add_hazard(self, ticket_id: int, **notice) -> int:
        """A hazard notice, found on the ticket's current visit."""
        self.cur.execute(
            "INSERT INTO hazard_notices (ticket_id, visit, meter_id, hazard_type, note, fix_by,"
            f" found_at, found_by, signature_png, refused_at) VALUES (%(t)s, {VISIT},"
            " %(meter_id)s, %(hazard_type)s, %(note)s, %(fix_by)s, %(found_at)s, %(found_by)s,"
            " %(signature_png)s, %(refused_at)s) RETURNING id",
            {"t": ticket_id, **notice},
        )
        return int(self.cur.fetchone()["id"])

    def hazards(
        self,
        *,
        ticket_id: int | None = None,
        meter_ids: list[int] | None = None,
        open_only: bool = False,
    ) -> list[dict]:
        """Hazard notices of every visit: an open one is about the household, not the visit."""
        self.cur.execute(
            "SELECT h.id, h.ticket_id, h.visit, h.meter_id, h.hazard_type, h.note, h.fix_by,"
            " h.found_at, h.found_by, h.signature_png IS NOT NULL AS signed, h.refused_at,"
            " h.resolved_at,"
            " h.resolved_by, m.meter_no, m.address, m.account_no"
            " FROM hazard_notices h LEFT JOIN customer_meters m ON m.id = h.meter_id"
            " WHERE (%(t)s::bigint IS NULL OR h.ticket_id = %(t)s)"
            " AND (%(m)s::int[] IS NULL OR h.meter_id = ANY(%(m)s))"
            " AND (NOT %(open)s OR h.resolved_at IS NULL) ORDER BY h.fix_by, h.id",
            {"t": ticket_id, "m": meter_ids, "open": open_only},
        )
        return [dict(r) for r in self.cur.fetchall()]

    def resolve_hazard(self, hazard_id: int, *, at: datetime, by: str) -> bool:
        self.cur.execute(
            "UPDATE hazard_notices SET resolved_at = %s, resolved_by = %s"
            " WHERE id = %s AND resolved_at IS NULL",
            (at, by, hazard_id),
        )
        return self.cur.rowcount == 1

    def meters_of_account(self, account_no: str) -> list[int]:
        self.cur.execute("SELECT id FROM customer_meters WHERE account_no = %s", (account_no,))
        return [int(r["id"]) for r in self.cur.fetchall()]

    # --- sign-off and charges, photos: one sign-off per visit ---

    def signoff(self, ticket_id: int, visit: int | None = None) -> dict | None:
        """The sign-off of the current visit (or of ``visit``) with its charged lines."""
        self.cur.execute(
            "SELECT ticket_id, visit, total_cny, signature_png IS NOT NULL AS signed,"
            " refused_at, signed_at, recorded_by FROM ticket_signoffs WHERE ticket_id = %(t)s"
            f" AND visit = COALESCE(%(v)s, {VISIT})",
            {"t": ticket_id, "v": visit},
        )
        row = self.cur.fetchone()
        if row is None:
            return None
        self.cur.execute(
            "SELECT item_code, quantity, unit_price_cny FROM ticket_charges"
            " WHERE ticket_id = %s AND visit = %s ORDER BY line",
            (ticket_id, row["visit"]),
        )
        return {**row, "lines": [dict(r) for r in self.cur.fetchall()]}

    def add_signoff(self, ticket_id: int, *, lines: list[dict], **signoff) -> bool:
        """The current visit's sign-off with its lines; False (nothing stored) when that visit
        was signed off meanwhile."""
        self.cur.execute(
            "INSERT INTO ticket_signoffs (ticket_id, visit, total_cny, signature_png, refused_at,"
            f" signed_at, recorded_by) VALUES (%(t)s, {VISIT}, %(total_cny)s, %(signature_png)s,"
            " %(refused_at)s, %(signed_at)s, %(recorded_by)s)"
            " ON CONFLICT (ticket_id, visit) DO NOTHING RETURNING visit",
            {"t": ticket_id, **signoff},
        )
        stored = self.cur.fetchone()
        if stored is None:
            return False
        for n, line in enumerate(lines, start=1):
            self.cur.execute(
                "INSERT INTO ticket_charges (ticket_id, visit, line, item_code, quantity,"
                " unit_price_cny) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    ticket_id,
                    stored["visit"],
                    n,
                    line["item_code"],
                    line["quantity"],
                    line["unit_price_cny"],
                ),
            )
        return True

    def set_paid(self, ticket_id: int) -> None:
        """The ticket is paid: a visit charged above zero (never unset by a later visit)."""
        self.cur.execute("UPDATE tickets SET paid = true WHERE id = %s", (ticket_id,))

    def is_paid(self, ticket_id: int) -> bool:
        """Whether any visit of the ticket charged above zero."""
        self.cur.execute("SELECT paid FROM tickets WHERE id = %s", (ticket_id,))
        row = self.cur.fetchone()
        return bool(row and row["paid"])

    def add_photo(self, ticket_id: int, **photo) -> int:
        """A photo, taken on the ticket's current visit."""
        self.cur.execute(
            "INSERT INTO ticket_photos (ticket_id, visit, content_type, width, height, image,"
            f" note, taken_at, uploaded_by) VALUES (%(t)s, {VISIT}, %(content_type)s, %(width)s,"
            " %(height)s, %(image)s, %(note)s, %(taken_at)s, %(uploaded_by)s) RETURNING id",
            {"t": ticket_id, **photo},
        )
        return int(self.cur.fetchone()["id"])

    def photo(self, photo_id: int) -> dict | None:
        """A photo of any visit, with its image."""
        self.cur.execute(
            "SELECT id, ticket_id, visit, content_type, width, height, image, note, taken_at,"
            " uploaded_by FROM ticket_photos WHERE id = %s",
            (photo_id,),
        )
        row = self.cur.fetchone()
        return None if row is None else {**row, "image": bytes(row["image"])}

    def photos(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        """The photos of the current visit (or of ``visit``), without their images."""
        self.cur.execute(
            "SELECT id, visit, content_type, width, height, octet_length(image) AS bytes, note,"
            " taken_at, uploaded_by FROM ticket_photos WHERE ticket_id = %(t)s"
            f" AND visit = COALESCE(%(v)s, {VISIT}) ORDER BY id",
            {"t": ticket_id, "v": visit},
        )
        return [dict(r) for r in self.cur.fetchall()]

    # --- Idempotency-Keys of the phone's creates ---

    def replayed(self, username: str, key: str) -> dict | None:
        """``{"ticket_id", "kind", "answer"}`` of an earlier create with this key, if any."""
        self.cur.execute(
            "SELECT k.ticket_id, k.kind, k.answer FROM site_idempotency_keys k"
            " JOIN users u ON u.id = k.user_id WHERE u.username = %s AND k.key = %s",
            (username, key),
        )
        row = self.cur.fetchone()
        return None if row is None else dict(row)

    def remember(self, username: str, key: str, ticket_id: int, kind: str, answer: dict) -> bool:
        """Keep the answer of a create under its key; False when a request with the same key
        committed meanwhile (the caller refuses this one, which rolls it back)."""
        self.cur.execute(
            "INSERT INTO site_idempotency_keys (user_id, key, ticket_id, kind, answer)"
            " SELECT id, %s, %s, %s, %s FROM users WHERE username = %s"
            " ON CONFLICT (user_id, key) DO NOTHING",
            (key, ticket_id, kind, json.dumps(answer, default=str), username),
        )
        return self.cur.rowcount == 1

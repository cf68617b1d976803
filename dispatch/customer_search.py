"""What the hotline's one search box means, and how its matches are ranked. Pure: no SQL.

A caller gives a phone number (often only its last digits, or with +86 and spaces), an
account number, a meter number, or an address (misspelt, partial). :func:`parse_query` reads
the box into what to look for; the repository (:mod:`dispatch.customer_repository`) finds
candidates with trigram indexes; :func:`rank` orders them: an exact number first, then a
number the fragment starts or ends, then one it is inside, then addresses by similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dispatch.errors import InvalidInput

#: Fewer significant characters than this find too much to be useful.
MIN_CHARS = 3
#: A phone written with China's country code: +86 / 0086 and an 11-digit mobile number.
_COUNTRY_CODE = re.compile(r"^(?:00)?86(1\d{10})$")
#: What people put between digits when they write or say a number.
_SEPARATORS = re.compile(r"[\s\-().+/]")
#: A meter number as printed on the meter: a few letters and digits (e.g. GM00012345).
_METER = re.compile(r"^[A-Za-z]{1,4}\d{3,}$")

#: Score of each kind of match (higher first). Exact numbers beat fragments; a phone fragment
#: a caller gives is usually the number's end ("the last four digits"), so it beats a middle.
SCORES = {
    "exact": 100.0,
    "prefix": 80.0,
    "suffix": 75.0,
    "contains": 60.0,
}
#: An address match scores this times its trigram word similarity (0..1): below any number.
ADDRESS_WEIGHT = 50.0
#: An address whose house number is the one asked for moves up by this much.
HOUSE_NUMBER_BONUS = 5.0


@dataclass(frozen=True)
class CustomerQuery:
    """The box read: ``digits`` for a phone/account/meter number (separators and the country
    code removed), ``meter`` for a meter number with letters, ``address`` for words."""

    text: str
    digits: str | None = None
    meter: str | None = None
    address: str | None = None


def parse_query(raw: str) -> CustomerQuery:
    text = " ".join(str(raw).split())
    compact = _SEPARATORS.sub("", text)
    if len(compact) < MIN_CHARS:
        raise InvalidInput(
            f"`q` must have at least {MIN_CHARS} letters or digits (phone, account, meter"
            " number or address)",
            "q",
        )
    if compact.isdigit():
        found = _COUNTRY_CODE.match(compact)
        return CustomerQuery(text, digits=found[1] if found else compact)
    if _METER.match(compact):
        return CustomerQuery(text, meter=compact.upper())
    return CustomerQuery(text, address=text)


def phone_digits(phone: str | None) -> str:
    """A phone number's digits only, as the search index holds it."""
    return re.sub(r"[^0-9]", "", phone or "")


def number_match(value: str | None, fragment: str, *, field: str) -> str | None:
    """How ``fragment`` matches a number: exact, prefix, suffix (phones only), contains."""
    if not value or not fragment:
        return None
    value = value.upper()
    if value == fragment:
        return "exact"
    if value.startswith(fragment):
        return "prefix"
    if field == "phone" and value.endswith(fragment):
        return "suffix"
    return "contains" if fragment in value else None


def score_customer(row: dict, query: CustomerQuery) -> tuple[float, str | None]:
    """The best (score, field) of one candidate row: ``phone``, ``account``, ``meter`` or
    ``address``; (0, None) when nothing matches."""
    best: tuple[float, str | None] = (0.0, None)
    if query.digits:
        meter_digits = re.sub(r"^[A-Z]+", "", (row.get("meter_no") or "").upper())
        for field, value in (
            ("account", row.get("account_no")),
            ("phone", phone_digits(row.get("phone"))),
            ("meter", meter_digits),
        ):
            kind = number_match(value, query.digits, field=field)
            if kind is not None and SCORES[kind] > best[0]:
                best = (SCORES[kind], field)
    if query.meter:
        kind = number_match(row.get("meter_no"), query.meter, field="meter")
        if kind is not None and SCORES[kind] > best[0]:
            best = (SCORES[kind], "meter")
    if query.address and row.get("similarity") is not None:
        score = ADDRESS_WEIGHT * float(row["similarity"])
        if _same_house_number(query.address, row.get("address")):
            score += HOUSE_NUMBER_BONUS
        if score > best[0]:
            best = (score, "address")
    return best


def rank(rows: list[dict], query: CustomerQuery, limit: int = 10) -> list[dict]:
    """The best ``limit`` distinct customers, best first (ties: lower id first), each row
    with ``score`` and ``matched`` (the field that matched)."""
    scored: dict[int, dict] = {}
    for row in rows:
        score, field = score_customer(row, query)
        if field is None:
            continue
        earlier = scored.get(row["id"])
        if earlier is None or score > earlier["score"]:
            scored[row["id"]] = {**row, "score": round(score, 2), "matched": field}
    ordered = sorted(scored.values(), key=lambda r: (-r["score"], r["id"]))
    return ordered[:limit]


def street_of(address: str) -> str:
    """The street of an address: its text up to the first digit (as the database's
    ``customer_street`` function reads it): "Mannerheimintie 12, apt 3" → "Mannerheimintie",
    "建国路88号" → "建国路"."""
    return re.sub(r"[0-9].*$", "", address, flags=re.S).strip(" ,")


def house_number(address: str) -> str | None:
    found = re.search(r"\d+", address)
    return found[0] if found else None


def _same_house_number(asked: str, address: str | None) -> bool:
    """Whether the first number asked for is the address's house number (its first number)."""
    want = house_number(asked)
    return want is not None and want == house_number(address or "")

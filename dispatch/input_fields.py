"""Reading one field of a request body or message: required or not, its type and range, and an
error that names the field (``InvalidInput`` with ``field``). Used by the services, so that every
door (API, wall, MQTT, simulator) gets the same checks."""

from __future__ import annotations

import math
from datetime import datetime

from dispatch.errors import InvalidInput

#: The longest free text a field may hold (characters).
MAX_TEXT = 2000


def text_field(data: dict, name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"`{name}` is required", name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"`{name}` must be a string", name)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"`{name}` is longer than {MAX_TEXT} characters", name)
    refuse_unstorable(value, name)
    return value.strip()


def refuse_unstorable(value: str, name: str) -> None:
    """Text PostgreSQL cannot store: a NUL character, or a lone UTF-16 surrogate (not valid
    Unicode text). Refused naming the field, instead of failing in the database."""
    if "\x00" in value:
        raise InvalidInput(f"`{name}` contains a NUL character", name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"`{name}` contains a lone surrogate, not text", name) from None


def phone_field(data: dict, name: str = "caller_phone") -> str | None:
    phone = text_field(data, name)
    if phone is not None and not (
        6 <= len(phone) <= 20 and all(c.isdigit() or c in "+- " for c in phone)
    ):
        raise InvalidInput(f"`{name}` must be 6 to 20 digits", name)
    return phone


def float_field(
    data: dict,
    name: str,
    *,
    required: bool = False,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"`{name}` is required", name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"`{name}` must be a number", name)
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"`{name}` must be a number", name) from None
    if not math.isfinite(number):
        raise InvalidInput(f"`{name}` must be a finite number", name)
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise InvalidInput(f"`{name}` must be between {lo:g} and {hi:g}", name)
    return number


def int_field(
    data: dict,
    name: str,
    *,
    required: bool = False,
    default: int | None = None,
    lo: int | None = None,
    hi: int | None = None,
) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"`{name}` is required", name)
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"`{name}` must be an integer", name)
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"`{name}` must be an integer", name) from None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        bounds = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise InvalidInput(f"`{name}` must be {bounds}", name)
    return number


def time_field(data: dict, name: str, *, required: bool = False) -> datetime | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"`{name}` is required", name)
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"`{name}` must be an ISO 8601 time", name) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"`{name}` must carry a time zone (e.g. +08:00 or Z)", name)
    return parsed

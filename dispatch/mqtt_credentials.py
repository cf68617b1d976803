"""Who may talk to the MQTT broker: Mosquitto's password file and access-control list, made
from the crews table, so that only crews send GPS and each crew only its own.

Every crew connects with its crew id as user name and publishes only to
``crews/<its id>/position`` (an ACL ``pattern`` on ``%u``); the dispatch consumer (user
``dispatch``) reads every crew's topic; the demo simulator (user ``simulator``) may write any
crew's topic. Anonymous clients are refused by the shipped ``data/mosquitto.conf``.

Passwords are stored as Mosquitto 2 stores them (``$7$``: PBKDF2-HMAC-SHA512, 101 iterations,
a 12-byte salt, base64), so no ``mosquitto_passwd`` binary is needed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

CONSUMER_USER = "dispatch"
SIMULATOR_USER = "simulator"
_ITERATIONS = 101


def password_line(username: str, password: str, *, salt: bytes | None = None) -> str:
    """One line of Mosquitto's password file for ``username``."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ITERATIONS, 64)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{username}:$7${_ITERATIONS}${encoded[0]}${encoded[1]}"


def acl_text() -> str:
    """The access-control list: crews write their own topic, the consumer reads them all."""
    return "\n".join(
        [
            "# Made by `dispatch mqtt passwd`. Each crew's user name is its crew id.",
            f"user {CONSUMER_USER}",
            "topic read crews/+/position",
            f"user {SIMULATOR_USER}",
            "topic write crews/+/position",
            "# Any other user (a crew): its own position topic only.",
            "pattern write crews/%u/position",
            "",
        ]
    )


def new_password() -> str:
    """A random password for a device (24 URL-safe characters)."""
    return secrets.token_urlsafe(18)


def credentials_files(
    crews: list[dict], *, consumer_password: str, simulator_password: str | None = None
) -> tuple[str, str, list[dict]]:
    """``(password file, ACL, the crews' new credentials)``: a fresh password per crew (rows
    with ``id`` and ``code``), returned once so the crews' phones can be set up."""
    issued = [
        {"username": str(c["id"]), "crew_code": c["code"], "password": new_password()}
        for c in crews
    ]
    lines = [password_line(CONSUMER_USER, consumer_password)]
    if simulator_password is not None:
        lines.append(password_line(SIMULATOR_USER, simulator_password))
    lines += [password_line(i["username"], i["password"]) for i in issued]
    return "\n".join(lines) + "\n", acl_text(), issued

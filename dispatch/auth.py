"""Users, passwords, bearer tokens and what each role may do.

Passwords are stored as scrypt hashes; tokens are random, handed out once and stored only as
their SHA-256, valid for one shift (12 h).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.errors import InvalidInput, PermissionDenied, TooManyAttempts, Unauthenticated
from dispatch.unit_of_work import UnitOfWork

ROLES = (
    "hotline_agent",
    "dispatcher",
    "crew_lead",
    "manager",
    "admin",
    # who sign refunds and top-ups of billed gas (dispatch.meter_approvals)
    "meter_team_lead",
    "finance_manager",
    "vice_president",
    "callback_agent",
    "complaint_handler",
)
TOKEN_LIFETIME = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

_ALL = frozenset(ROLES)
#: action -> roles allowed. Every API endpoint names one action, and so does every web page
#: ("pages.<name>"), so the API and the pages share one table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "tickets.create": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "tickets.list": _ALL,
    "tickets.get": _ALL,
    "tickets.events": _ALL,
    "tickets.transition": frozenset({"dispatcher", "crew_lead", "admin"}),
    "tickets.assign": frozenset({"dispatcher", "admin"}),
    "tickets.link": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "tickets.unlink": frozenset({"dispatcher", "admin"}),
    "crews.list": _ALL,
    "crews.position": frozenset({"dispatcher", "crew_lead", "admin"}),
    "crews.status": frozenset({"dispatcher", "crew_lead", "admin"}),
    "clocks.check": frozenset({"dispatcher", "admin"}),
    "kpis": frozenset({"dispatcher", "manager", "admin"}),
    "callbacks.draw": frozenset({"dispatcher", "admin"}),
    "callbacks.list": frozenset({"dispatcher", "manager", "admin"}),
    "callbacks.record": frozenset({"dispatcher", "admin"}),
    "callbacks.report": frozenset({"dispatcher", "manager", "admin"}),
    "complaints.create": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "complaints.list": frozenset({"dispatcher", "manager", "admin"}),
    "complaints.get": frozenset({"dispatcher", "manager", "admin"}),
    "complaints.handle": frozenset({"dispatcher", "admin"}),
    "complaints.check_overdue": frozenset({"dispatcher", "admin"}),
    "geocode": frozenset({"hotline_agent", "dispatcher", "crew_lead", "admin"}),
    # The manager watches the wall read-only: it lacks tickets.assign and tickets.transition.
    "pages.wall": frozenset({"dispatcher", "manager", "admin"}),
    "pages.hotline": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "pages.crew": frozenset({"crew_lead", "admin"}),
    "pages.manager": frozenset({"manager", "admin"}),
    # the crew lead's phone (a crew lead only on its own crew's jobs)
    "tickets.valves": frozenset({"dispatcher", "crew_lead", "admin"}),
    # The regulators' records: read by the manager (and the dispatcher who keeps them);
    # the next-day review is a supervisor's.
    "reports.read": frozenset({"dispatcher", "manager", "admin"}),
    "reports.review": frozenset({"manager", "admin"}),
    # The crew's work on site (a crew lead only on its own crew's jobs: dispatch.site_service).
    "site.record": frozenset({"dispatcher", "crew_lead", "admin"}),
    "hazards.list": frozenset({"dispatcher", "manager", "admin"}),
    "price_list": _ALL,
    # Meter reading (dispatch.meter_service): readings for the customer's file, the tasks the
    # rules raise, refunds and top-ups; each approval step also needs its own role
    # (dispatch.meter_approvals).
    "meters.readings": frozenset(
        {"hotline_agent", "dispatcher", "manager", "meter_team_lead", "finance_manager"}
        | {"vice_president", "admin"}
    ),
    "meters.tasks": frozenset({"meter_team_lead", "manager", "admin"}),
    "meters.adjust": frozenset({"meter_team_lead", "manager", "admin"}),
    "meters.adjustments": frozenset(
        {"meter_team_lead", "manager", "finance_manager", "vice_president", "admin"}
    ),
    "meters.approve": frozenset(
        {"meter_team_lead", "manager", "finance_manager", "vice_president", "admin"}
    ),
    # The hotline's customer search and customer file (dispatch.customer_service).
    "customers.search": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "customers.get": frozenset({"hotline_agent", "dispatcher", "admin"}),
    "tickets.reply": frozenset({"hotline_agent", "dispatcher", "admin"}),
    # Coverage: a dispatcher (or admin) applies a suggested move of an idle crew.
    "coverage.move": frozenset({"dispatcher", "admin"}),
    # The meter desk (/meters, dashboards/pages/meter_desk.py): the landing page of the
    # adjustments' signers; the month's figures are read by everyone who may open it.
    "pages.meters": frozenset(
        {"meter_team_lead", "finance_manager", "vice_president", "manager", "admin"}
    ),
    "meters.figures": frozenset(
        {"meter_team_lead", "finance_manager", "vice_president", "manager", "admin"}
    ),
}
#: The call-back and complaint desks (issue 11): their pages and actions, and the desks'
#: roles added to the actions they share with others. The supervisor who confirms a
#: follow-up is a manager.
_DESK_GRANTS: dict[str, frozenset[str]] = {
    "pages.callbacks": frozenset({"callback_agent", "dispatcher", "manager", "admin"}),
    "pages.complaints": frozenset({"complaint_handler", "manager", "admin"}),
    "callbacks.draw": frozenset({"callback_agent"}),
    "callbacks.list": frozenset({"callback_agent"}),
    "callbacks.record": frozenset({"callback_agent"}),
    "callbacks.report": frozenset({"callback_agent"}),
    "callbacks.follow_ups": frozenset({"callback_agent", "dispatcher", "manager", "admin"}),
    "callbacks.decide_follow_up": frozenset({"manager", "admin"}),
    "complaints.create": frozenset({"complaint_handler"}),
    "complaints.list": frozenset({"complaint_handler"}),
    "complaints.get": frozenset({"complaint_handler"}),
    "complaints.handle": frozenset({"complaint_handler"}),
    "complaints.check_overdue": frozenset({"complaint_handler"}),
    "complaints.stats": frozenset({"complaint_handler", "manager", "admin"}),
}
for _action, _roles in _DESK_GRANTS.items():
    PERMISSIONS[_action] = PERMISSIONS.get(_action, frozenset()) | _roles

#: Roles that see customers' and callers' names and phones unmasked (a crew lead only on its
#: own jobs); everyone else sees them masked. The desks phone the customers back.
PERSONAL_DATA_ROLES = frozenset(
    {"hotline_agent", "dispatcher", "crew_lead", "admin", "callback_agent", "complaint_handler"}
)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("`password` must have at least 8 characters", "password")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def add_user(
    uow: UnitOfWork, username: str, role: str, password: str, crew_id: int | None = None
) -> int:
    if role not in ROLES:
        raise InvalidInput(f"`role` must be one of {', '.join(ROLES)}", "role")
    if (role == "crew_lead") != (crew_id is not None):
        raise InvalidInput("`crew` is required for a crew_lead and only for one", "crew")
    if repo.get_user(uow.cur, username) is not None:
        raise InvalidInput(f"`username`: {username!r} already exists", "username")
    if crew_id is not None and repo.get_crew(uow.cur, crew_id) is None:
        raise InvalidInput(f"`crew`: no crew {crew_id}", "crew")
    return repo.insert_user(uow.cur, username, role, hash_password(password), crew_id)


#: A hash no password matches, checked when the user is unknown (see :func:`authenticate`).
_UNKNOWN_USER_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 64


@dataclass(frozen=True)
class LoginThrottle:
    """How log-in guessing is slowed (the ``[web]`` settings): after ``delay_after`` failures
    each further attempt waits 2 s more than the one before (2, 4, 6...); after ``lock_after``
    failures log-in is refused until ``lock_s`` seconds have passed since the last one.
    Failures count over the last ``lock_s`` seconds, per user name and per client address."""

    delay_after: int = 5
    lock_after: int = 20
    lock_s: float = 900.0

    @classmethod
    def from_settings(cls, web) -> LoginThrottle:
        return cls(web.login_delay_after_failures, web.login_lock_after_failures, web.login_lock_s)

    def wait_s(self, failures: int, last_at: datetime | None, now: datetime) -> float:
        """Seconds until the next attempt is taken (0: now)."""
        if last_at is None or failures < self.delay_after:
            return 0.0
        if failures >= self.lock_after:
            pause = self.lock_s
        else:
            pause = 2.0 * (failures - self.delay_after + 1)
        return max(0.0, pause - (now - last_at).total_seconds())


def authenticate(
    uow: UnitOfWork,
    username: object,
    password: object,
    now: datetime,
    *,
    client: str,
    throttle: LoginThrottle | None = None,
) -> dict:
    """The user with this password. Refused while the user name or the client address is
    throttled (:class:`TooManyAttempts`, before any password is checked); otherwise the same
    answer and the same work for an unknown user and a wrong password, so neither the answer
    nor its time tells which user names exist. Every attempt is recorded."""
    throttle = throttle or LoginThrottle()
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    since = now - timedelta(seconds=throttle.lock_s)
    wait = max(
        throttle.wait_s(row["failures"], row["last_at"], now)
        for row in repo.login_failures_since(uow.cur, username=username, client=client, since=since)
    )
    if wait > 0:
        raise TooManyAttempts(
            f"too many failed log-ins; try again in {ceil(wait)} s", retry_after_s=wait
        )
    user = repo.get_user(uow.cur, username)
    stored = _UNKNOWN_USER_HASH if user is None else user["password_hash"]
    ok = check_password(password, stored) and user is not None
    repo.record_login_attempt(uow.cur, username=username, client=client, at=now, ok=ok)
    if not ok:
        uow.commit()  # the failure counts, although the request fails
        raise Unauthenticated("wrong username or password", "password")
    return user


def issue_token(
    uow: UnitOfWork,
    username: object,
    password: object,
    now: datetime,
    *,
    client: str = "unknown",
    throttle: LoginThrottle | None = None,
) -> dict:
    user = authenticate(uow, username, password, now, client=client, throttle=throttle)
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_LIFETIME
    repo.insert_token(uow.cur, _token_hash(token), user["id"], expires)
    return {
        "token": token,
        "token_type": "Bearer",
        "expires_at": expires.isoformat(),
        "role": user["role"],
        "crew_id": user["crew_id"],
    }


def actor_for_token(uow: UnitOfWork, token: str | None, now: datetime) -> Actor:
    if not token:
        raise Unauthenticated("a bearer token is required (POST /api/v1/auth/token)", None)
    user = repo.user_for_token(uow.cur, _token_hash(token), now)
    if user is None:
        raise Unauthenticated("the token is unknown or expired", None)
    return Actor(user["username"], user["role"], user["crew_id"])


def allows(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action`` (a key of :data:`PERMISSIONS`)."""
    return role in PERMISSIONS[action]


def require(actor: Actor, action: str) -> None:
    if not allows(actor.role, action):
        raise PermissionDenied(f"role {actor.role} may not {action.replace('.', ' ')}", None)


def sees_personal_data(actor: Actor, ticket_crew_id: int | None) -> bool:
    if actor.role not in PERSONAL_DATA_ROLES:
        return False
    return actor.role != "crew_lead" or actor.crew_id == ticket_crew_id


def mask_name(name: str | None) -> str | None:
    return None if not name else name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

"""Work orders (工单): their types, priorities and lifecycle. Pure: no SQL, no I/O.

The lifecycle of a field job::

    new → assigned → accepted → en_route → on_site → made_safe → repaired → gas_restored → closed
     │        ↺ reassigned (back to assigned with another crew, from assigned/accepted/en_route)
     └─ cancelled (from any open state)          closed → new (re-opened after a callback)

``repaired → closed`` skips ``gas_restored``: the lifecycle allows it, and the site rules
(:mod:`dispatch.site_rules`, consulted by :func:`dispatch.ticket_service.transition_ticket`)
allow it only for a job that cut no household's gas (no stored isolation plan with affected
meters); a job that cut gas must restore it (two-valve rule) before it is finished.

Every change is made through :meth:`Ticket.transition` (or :meth:`Ticket.assign`), which
refuses an illegal move with the allowed next states and records an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dispatch.errors import IllegalTransition, InvalidInput

# type -> (category, default priority, Chinese term staff use)
TICKET_TYPES: dict[str, tuple[str, int, str]] = {
    "gas_leak": ("emergency", 1, "漏气/闻到燃气味"),
    "third_party_damage": ("emergency", 1, "第三方破坏"),
    "fire_explosion": ("emergency", 1, "火灾/爆炸"),
    "no_gas_area": ("emergency", 1, "停气"),
    "indoor_leak_repair": ("repair", 2, "户内漏气维修"),
    "meter_fault": ("repair", 3, "表具故障"),
    "appliance_repair": ("repair", 3, "燃气具维修"),
    "paid_repair": ("repair", 3, "收费维修"),
    "free_repair": ("repair", 3, "免费维修"),
    "gas_on_ignition": ("scheduled", 4, "置换通气/点火"),
    "safety_inspection": ("scheduled", 4, "安检"),
    "indoor_modification": ("scheduled", 4, "零星户内改造"),
    "appliance_installation": ("scheduled", 4, "燃气具安装"),
    "meter_reading": ("scheduled", 4, "抄表"),
    "consultation": ("non_field", 4, "咨询"),
    "complaint": ("non_field", 3, "投诉"),
    "suggestion": ("non_field", 4, "建议"),
}
#: The skill a crew needs for each category of field job.
SKILL_FOR_TYPE = {
    "gas_leak": "emergency",
    "third_party_damage": "emergency",
    "fire_explosion": "emergency",
    "no_gas_area": "emergency",
    "indoor_leak_repair": "indoor_repair",
    "meter_fault": "meter",
    "meter_reading": "meter",
    "appliance_repair": "indoor_repair",
    "paid_repair": "indoor_repair",
    "free_repair": "indoor_repair",
    "gas_on_ignition": "installation",
    "safety_inspection": "indoor_repair",
    "indoor_modification": "installation",
    "appliance_installation": "installation",
}
#: Types whose duplicate calls (same place, same hour) are linked rather than dispatched twice.
DUPLICATE_PRONE = {"gas_leak", "third_party_damage", "fire_explosion", "no_gas_area"}

STATUSES = (
    "new",
    "assigned",
    "accepted",
    "en_route",
    "on_site",
    "made_safe",
    "repaired",
    "gas_restored",
    "closed",
    "cancelled",
)
OPEN_STATUSES = STATUSES[:8]
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assigned", "cancelled"),
    "assigned": ("accepted", "assigned", "cancelled"),
    "accepted": ("en_route", "assigned", "cancelled"),
    "en_route": ("on_site", "assigned", "cancelled"),
    "on_site": ("made_safe", "repaired", "cancelled"),
    "made_safe": ("repaired", "cancelled"),
    "repaired": ("gas_restored", "closed"),
    "gas_restored": ("closed",),
    "closed": ("new",),
    "cancelled": (),
}
#: The column that records when a ticket entered each status.
STEP_TIME = {
    "assigned": "assigned_at",
    "accepted": "accepted_at",
    "en_route": "en_route_at",
    "on_site": "on_site_at",
    "made_safe": "made_safe_at",
    "repaired": "repaired_at",
    "gas_restored": "gas_restored_at",
    "closed": "closed_at",
    "cancelled": "cancelled_at",
}
#: Every time a ticket records: the time it entered each status, and the arrival (on site, or
#: the crew's GPS within the arrival radius, whichever came first).
STEP_COLUMNS = (*STEP_TIME.values(), "arrived_at")
#: Statuses in which a crew is bound to the ticket.
CREW_BOUND = ("assigned", "accepted", "en_route", "on_site", "made_safe")


def required_skill(ticket_type: str) -> str | None:
    """The skill a crew needs for a job of this type (None: no field work)."""
    return SKILL_FOR_TYPE.get(ticket_type)


def category_of(ticket_type: str) -> str:
    return _type(ticket_type)[0]


def default_priority(ticket_type: str) -> int:
    return _type(ticket_type)[1]


def _type(ticket_type: str) -> tuple[str, int, str]:
    try:
        return TICKET_TYPES[ticket_type]
    except KeyError:
        known = ", ".join(TICKET_TYPES)
        raise InvalidInput(
            f"`type`: unknown ticket type {ticket_type!r}; known: {known}", "type"
        ) from None


@dataclass(frozen=True)
class StatusChanged:
    """One step of the lifecycle, as appended to the event log."""

    ticket_id: int | None
    at: datetime
    actor: str
    from_status: str
    to_status: str
    reason: str | None = None
    data: dict = field(default_factory=dict)

    @property
    def event_type(self) -> str:
        if self.from_status == self.to_status == "assigned" or (
            self.to_status == "assigned" and self.from_status in ("accepted", "en_route")
        ):
            return "reassigned"
        return {"assigned": "assigned", "cancelled": "cancelled", "new": "reopened"}.get(
            self.to_status, "status_changed"
        )


@dataclass(frozen=True)
class TicketOpened:
    """A work order was taken in (the first entry of its event log)."""

    at: datetime
    actor: str
    ticket_type: str
    priority: int
    event_type: str = "created"


@dataclass(frozen=True)
class ArrivalRecorded:
    """The crew's GPS came within the arrival radius: the response clock stopped at ``at``."""

    at: datetime
    crew_id: int | None
    event_type: str = "arrived_by_gps"


@dataclass
class Ticket:
    """A work order and where it stands. Times are timezone-aware datetimes."""

    id: int | None
    number: str
    ticket_type: str
    priority: int
    status: str
    received_at: datetime
    crew_id: int | None = None
    steps: dict[str, datetime | None] = field(default_factory=dict)
    version: int = 1
    events: list = field(default_factory=list)

    @classmethod
    def open(
        cls, ticket_type: object, *, priority: object = None, at: datetime, actor: str
    ) -> Ticket:
        """A new work order of a known type, with its type's default priority unless one (1 to
        4) is given; records :class:`TicketOpened`. The id and number come when it is stored."""
        if not isinstance(ticket_type, str):
            raise InvalidInput("`type` is required: a ticket type", "type")
        default = _type(ticket_type)[1]
        if priority is None:
            priority = default
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 4:
            raise InvalidInput("`priority` must be an integer from 1 to 4", "priority")
        if at.tzinfo is None:
            raise InvalidInput("`received_at` must carry a time zone", "received_at")
        ticket = cls(None, "", ticket_type, priority, "new", at)
        ticket.events.append(TicketOpened(at, actor, ticket_type, priority))
        return ticket

    @property
    def category(self) -> str:
        return category_of(self.ticket_type)

    @property
    def required_skill(self) -> str | None:
        """The skill a crew needs for this job (None: no field work)."""
        return required_skill(self.ticket_type)

    @property
    def is_emergency(self) -> bool:
        return self.category == "emergency"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_next(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]

    def transition(
        self,
        to: str,
        *,
        at: datetime,
        actor: str,
        reason: str | None = None,
        data: dict | None = None,
    ) -> StatusChanged:
        """Move to status ``to``; refuse an illegal move; record the step's time and event."""
        if to not in STATUSES:
            raise InvalidInput(
                f"`status`: unknown status {to!r}; known: {', '.join(STATUSES)}", "status"
            )
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to, TRANSITIONS[self.status])
        if to == "assigned" and not (data or {}).get("crew_id"):
            raise InvalidInput("`crew_id`: assigning needs a crew", "crew_id")
        if to == "cancelled" and not reason:
            raise InvalidInput("`reason`: cancelling needs a reason", "reason")
        event = StatusChanged(self.id, at, actor, self.status, to, reason, dict(data or {}))
        self.status = to
        if to in STEP_TIME:
            self.steps[STEP_TIME[to]] = at
        if to == "on_site" and not self.steps.get("arrived_at"):
            self.steps["arrived_at"] = at
        if to == "assigned":
            self.crew_id = int(data["crew_id"])
        elif to in ("cancelled", "new"):
            self.crew_id = None  # a closed ticket keeps the crew that did the job
        if to == "new":  # re-opened: a new visit starts from scratch
            for column in STEP_TIME.values():
                self.steps[column] = None
            self.steps["arrived_at"] = None
            # Its clocks run from the re-opening: the first visit's times are in the event.
            event.data.setdefault("previous_received_at", self.received_at.isoformat())
            self.received_at = at
        self.version += 1
        self.events.append(event)
        return event

    def assign(
        self,
        crew_id: int,
        *,
        at: datetime,
        actor: str,
        automatic: bool = False,
        eta_s: float | None = None,
        reason: str | None = None,
    ) -> StatusChanged:
        data = {"crew_id": int(crew_id), "automatic": automatic}
        if eta_s is not None:
            data["eta_s"] = round(float(eta_s), 1)
        if self.crew_id is not None and self.status in CREW_BOUND:
            data["previous_crew_id"] = self.crew_id
        return self.transition("assigned", at=at, actor=actor, reason=reason, data=data)

    def record_arrival(self, at: datetime) -> ArrivalRecorded | None:
        """The crew's GPS came within the arrival radius: the response time stops at ``at`` if
        that is earlier than any arrival known. Returns the event when it changed."""
        known = self.steps.get("arrived_at")
        if self.status not in ("assigned", "accepted", "en_route", "on_site"):
            return None
        if known is None or at < known:
            self.steps["arrived_at"] = at
            event = ArrivalRecorded(at, self.crew_id)
            self.events.append(event)
            return event
        return None

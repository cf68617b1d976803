"""Complaints (投诉): intake, routing, reply deadline, closed loop, quarterly statistics.
Pure: no SQL, no I/O.

Every complaint is tracked to closure (DOMAIN.md, "Complaints")::

    intake → dispatched → investigating → replied → callback_done → closed
               ↺ re-routed to another department

Each step is a method of :class:`Complaint` that refuses an illegal move with
:class:`~dispatch.errors.IllegalTransition` (naming the allowed next statuses) and records a
:class:`ComplaintStatusChanged` event. The customer is owed a reply within 2 working days
(:func:`reply_deadline`). Level 2 marks a complaint that reached the authorities or the media,
or one that escalated because it was handled badly (:meth:`Complaint.escalate`).

All datetimes are timezone-aware; calendar dates (weekends, holidays, quarters) are read in
the timezone of the datetime concerned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dispatch.errors import IllegalTransition, InvalidInput

#: Channels a complaint arrives by: directly from the customer ...
DIRECT_CHANNELS = ("counter", "hotline", "account_manager", "website", "letter", "visit")
#: ... or transferred from outside.
TRANSFERRED_CHANNELS = ("media", "government_hotline", "head_office")
CHANNELS = DIRECT_CHANNELS + TRANSFERRED_CHANNELS
#: Channels meaning the customer went to higher authorities (head office, government) or the
#: media: level 2 from intake (二级投诉: 客户向上级部门、其它媒体进行的投诉).
LEVEL_2_CHANNELS = frozenset({"media", "government_hotline", "head_office"})

LEVELS = (1, 2)
#: Staff-at-fault classes. A: bribery, extortion, overcharging, assaulting a customer;
#: B: not following the process, serious negative impact; C: shirking, poor attitude, errors.
FAULT_CLASSES = ("A", "B", "C")

STATUSES = ("intake", "dispatched", "investigating", "replied", "callback_done", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "intake": ("dispatched",),
    "dispatched": ("investigating", "dispatched"),
    "investigating": ("replied",),
    "replied": ("callback_done",),
    "callback_done": ("closed",),
    "closed": (),
}
#: Working days the customer may wait for a reply.
REPLY_WORKING_DAYS = 2


def reply_deadline(
    received_at: datetime,
    working_days: int = REPLY_WORKING_DAYS,
    holidays: frozenset[date] = frozenset(),
    *,
    workdays: frozenset[date] = frozenset(),
) -> datetime:
    """When the reply is due: the same clock time ``working_days`` working days later.

    A working day is a Monday to Friday not in ``holidays``, or a weekend day listed in
    ``workdays`` (the make-up working days, 调休, that come with public holidays). Days are
    counted from the day after ``received_at`` in its own timezone, so a complaint received on
    Friday at 15:00 is due on Tuesday at 15:00, and one received on Saturday at 10:00 is due on
    Tuesday at 10:00. ``working_days=0`` gives ``received_at`` itself.
    """
    _require_aware(received_at, "received_at")
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 0:
        raise InvalidInput(
            f"`working_days` must be a whole number of days, 0 or more, not {working_days!r}",
            "working_days",
        )
    day = received_at.date()
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays=workdays):
            left -= 1
    # replace() keeps the wall-clock time; a zoneinfo zone works out its offset on that day.
    return received_at.replace(year=day.year, month=day.month, day=day.day)


def is_working_day(
    day: date, holidays: frozenset[date] = frozenset(), *, workdays: frozenset[date] = frozenset()
) -> bool:
    """Monday to Friday and not a holiday, or a make-up working day listed in ``workdays``."""
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


@dataclass(frozen=True)
class ComplaintNote:
    """A line added to a complaint's file by a handler."""

    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class ComplaintStatusChanged:
    """One step of a complaint's loop, as appended to the event log."""

    complaint_id: int | None
    at: datetime
    actor: str
    from_status: str
    to_status: str
    detail: str | None = None


@dataclass(frozen=True)
class ComplaintEscalated:
    """The complaint became level 2."""

    complaint_id: int | None
    at: datetime
    actor: str
    reason: str


@dataclass
class Complaint:
    """A customer complaint and where it stands in its loop.

    ``level`` is 1 (ordinary) or 2 (authorities or media involved, or escalated);
    ``fault_class`` is 'A', 'B', 'C' or None (no staff fault found, or not yet classified);
    ``worker`` is the staff member complained about, when there is one; ``department`` the
    department responsible. Use :meth:`receive` to open one with its deadline and level set.
    """

    id: int | None
    channel: str
    level: int
    received_at: datetime
    reply_due_at: datetime
    status: str = "intake"
    fault_class: str | None = None
    department: str | None = None
    worker: str | None = None
    notes: list[ComplaintNote] = field(default_factory=list)
    reply: str | None = None
    replied_at: datetime | None = None
    callback_result: str | None = None
    closed_at: datetime | None = None
    events: list[ComplaintStatusChanged | ComplaintEscalated] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise InvalidInput(
                f"`channel` must be one of {', '.join(CHANNELS)}, not {self.channel!r}", "channel"
            )
        if type(self.level) is not int or self.level not in LEVELS:
            raise InvalidInput(f"`level` must be 1 or 2, not {self.level!r}", "level")
        _check_fault_class(self.fault_class)
        if self.status not in STATUSES:
            raise InvalidInput(
                f"`status` must be one of {', '.join(STATUSES)}, not {self.status!r}", "status"
            )
        _require_aware(self.received_at, "received_at")
        _require_aware(self.reply_due_at, "reply_due_at")
        if self.reply_due_at < self.received_at:
            raise InvalidInput("`reply_due_at` must not be before `received_at`", "reply_due_at")
        for name in ("replied_at", "closed_at"):
            if getattr(self, name) is not None:
                _require_aware(getattr(self, name), name)

    @classmethod
    def receive(
        cls,
        id: int | None,
        channel: str,
        received_at: datetime,
        *,
        department: str | None = None,
        worker: str | None = None,
        level: int | None = None,
        working_days: int = REPLY_WORKING_DAYS,
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
    ) -> Complaint:
        """A new complaint at intake, due a reply ``working_days`` working days later.

        The level is 2 when it came through the media or the government hotline, 1 otherwise,
        unless ``level`` is given."""
        if level is None:
            level = 2 if channel in LEVEL_2_CHANNELS else 1
        due = reply_deadline(received_at, working_days, holidays, workdays=workdays)
        return cls(id, channel, level, received_at, due, department=department, worker=worker)

    @property
    def is_transferred(self) -> bool:
        """Transferred from outside (media, government hotline, head office)."""
        return self.channel in TRANSFERRED_CHANNELS

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def replied_on_time(self) -> bool | None:
        """Whether the reply went out by ``reply_due_at``; None while there is no reply."""
        return None if self.replied_at is None else self.replied_at <= self.reply_due_at

    def allowed_next(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]

    def is_overdue(self, now: datetime) -> bool:
        """No reply yet and ``now`` is past ``reply_due_at``."""
        _require_aware(now, "now")
        return self.replied_at is None and now > self.reply_due_at

    # -- the loop ------------------------------------------------------------------------

    def dispatch_to(self, department: str, *, at: datetime, actor: str) -> ComplaintStatusChanged:
        """Route to the responsible ``department`` (again, to re-route a misrouted one)."""
        _require_text(department, "department")
        event = self._move("dispatched", at, actor, department)
        self.department = department
        return event

    def start_investigation(self, *, at: datetime, actor: str) -> ComplaintStatusChanged:
        """The department has taken the complaint up."""
        return self._move("investigating", at, actor)

    def send_reply(self, text: str, *, at: datetime, actor: str) -> ComplaintStatusChanged:
        """The customer has been given the department's answer ``text``."""
        _require_text(text, "reply")
        event = self._move("replied", at, actor)
        self.reply, self.replied_at = text, at
        return event

    def record_callback(self, result: str, *, at: datetime, actor: str) -> ComplaintStatusChanged:
        """The customer was called back after the reply; ``result`` is what they said."""
        _require_text(result, "callback_result")
        event = self._move("callback_done", at, actor, result)
        self.callback_result = result
        return event

    def close(self, *, at: datetime, actor: str) -> ComplaintStatusChanged:
        """Reviewed and closed."""
        event = self._move("closed", at, actor)
        self.closed_at = at
        return event

    # -- not status moves ----------------------------------------------------------------

    def escalate(self, *, at: datetime, actor: str, reason: str) -> bool:
        """Make it level 2: the customer went to the authorities or the media, or it was
        handled badly. Returns False (and records nothing) when it is level 2 already."""
        _require_aware(at, "at")
        _require_text(reason, "reason")
        if self.level == 2:
            return False
        self.level = 2
        self.events.append(ComplaintEscalated(self.id, at, actor, reason))
        return True

    def classify(self, fault_class: str | None, *, worker: str | None = None) -> None:
        """Record the staff-at-fault class the investigation found ('A', 'B', 'C' or None)
        and, if given, the worker at fault. Refused once the complaint is closed."""
        _check_fault_class(fault_class)
        if self.is_closed:
            raise InvalidInput("`fault_class` cannot change on a closed complaint", "fault_class")
        self.fault_class = fault_class
        if worker is not None:
            _require_text(worker, "worker")
            self.worker = worker

    def add_note(self, text: str, *, at: datetime, author: str) -> ComplaintNote:
        """Append a note to the file."""
        _require_text(text, "text")
        _require_aware(at, "at")
        note = ComplaintNote(at, author, text)
        self.notes.append(note)
        return note

    def _move(
        self, to: str, at: datetime, actor: str, detail: str | None = None
    ) -> ComplaintStatusChanged:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to, TRANSITIONS[self.status])
        _require_aware(at, "at")
        event = ComplaintStatusChanged(self.id, at, actor, self.status, to, detail)
        self.status = to
        self.events.append(event)
        return event


def quarterly_stats(complaints: Iterable[Complaint], year: int, quarter: int) -> dict:
    """Counts for the complaints received in ``quarter`` (1 to 4) of ``year``, by the date of
    ``received_at`` in its own timezone::

        {"year": 2024, "quarter": 2, "total": 7,
         "by_fault_class": {"A": 0, "B": 1, "C": 3, "unclassified": 3},
         "by_level": {1: 6, 2: 1},
         "by_department": {"metering": 4, "repair": 2, "unassigned": 1},
         "by_worker": {"W-017": 2, "W-102": 1},
         "by_worker_and_class": {"W-017": {"A": 0, "B": 0, "C": 2, "unclassified": 0}, ...},
         "closed": 5, "unreplied": 1, "replied_on_time": 5, "replied_late": 1}

    Departments and workers are sorted by name; complaints naming no worker count in no
    worker's row.
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput(f"`year` must be an integer, not {year!r}", "year")
    if isinstance(quarter, bool) or quarter not in (1, 2, 3, 4):
        raise InvalidInput(f"`quarter` must be 1, 2, 3 or 4, not {quarter!r}", "quarter")
    months = range(3 * quarter - 2, 3 * quarter + 1)
    chosen = [c for c in complaints if c.received_at.year == year and c.received_at.month in months]

    def by_class(group: list[Complaint]) -> dict[str, int]:
        counts = dict.fromkeys((*FAULT_CLASSES, "unclassified"), 0)
        for c in group:
            counts[c.fault_class or "unclassified"] += 1
        return counts

    departments: dict[str, int] = {}
    workers: dict[str, list[Complaint]] = {}
    for c in chosen:
        name = c.department or "unassigned"
        departments[name] = departments.get(name, 0) + 1
        if c.worker:
            workers.setdefault(c.worker, []).append(c)
    return {
        "year": year,
        "quarter": quarter,
        "total": len(chosen),
        "by_fault_class": by_class(chosen),
        "by_level": {level: sum(c.level == level for c in chosen) for level in LEVELS},
        "by_department": dict(sorted(departments.items())),
        "by_worker": {w: len(cs) for w, cs in sorted(workers.items())},
        "by_worker_and_class": {w: by_class(cs) for w, cs in sorted(workers.items())},
        "closed": sum(c.is_closed for c in chosen),
        "unreplied": sum(c.replied_at is None for c in chosen),
        "replied_on_time": sum(c.replied_on_time is True for c in chosen),
        "replied_late": sum(c.replied_on_time is False for c in chosen),
    }


def _check_fault_class(value: object) -> None:
    if value is not None and value not in FAULT_CLASSES:
        raise InvalidInput(f"`fault_class` must be A, B, C or None, not {value!r}", "fault_class")


def _require_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"`{name}` must be a non-empty string", name)


def _require_aware(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(f"`{name}` must be a timezone-aware datetime", name)

"""Response-time clocks: when each ticket is due, and when a deadline is at risk or missed.

Each jurisdiction a ticket may carry follows a named policy of clock targets (DOMAIN.md: urban
leaks attended within 30 min, outside towns within 1 h; a Henan-style policy where the crew
leaves within 5 min and arrives within 1 h; UK-style 1 h / 2 h for uncontrolled / controlled
escapes; customer-side faults within 6 h; complaint replies within two working days). The
policies are settings (``[clocks]`` in ``data/settings.toml``). Pure functions of the ticket and
"now": the caller injects the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch.errors import InvalidInput
from dispatch.settings import ClocksSection, current


@dataclass(frozen=True)
class ClockTargets:
    """One policy's targets in minutes from the call: ``arrival`` by priority, ``by_type``
    overriding a ticket type's arrival target whatever its priority, an optional ``depart``
    clock by priority (the crew on its way), ``make_safe_p1`` for a P1 emergency (None: no such
    clock) and ``target_share``, the share of tickets that must meet their clocks."""

    name: str
    arrival: Mapping[int, float]
    target_share: float
    by_type: Mapping[str, float] = field(default_factory=dict)
    depart: Mapping[int, float] = field(default_factory=dict)
    make_safe_p1: float | None = None


@dataclass(frozen=True)
class ClockPolicy:
    """The targets of every jurisdiction, and what holds for all of them: a running clock past
    ``at_risk_share`` of its time is at risk; complaints are answered within
    ``reply_working_days``. :meth:`from_settings` builds it from the settings."""

    jurisdictions: Mapping[str, ClockTargets]
    reply_working_days: int
    at_risk_share: float

    @classmethod
    def from_settings(cls, clocks: ClocksSection | None = None) -> ClockPolicy:
        """The policy of the ``[clocks]`` settings (default: the effective ones)."""
        clocks = clocks or current().clocks
        targets = policy_targets(clocks)
        return cls(
            jurisdictions={j: targets[name] for j, name in clocks.jurisdictions.items()},
            reply_working_days=clocks.complaint_reply_working_days,
            at_risk_share=clocks.at_risk_share,
        )

    def targets(self, jurisdiction: str) -> ClockTargets:
        if jurisdiction not in self.jurisdictions:
            *others, last = sorted(self.jurisdictions)
            known = f"{', '.join(others)} or {last}" if others else last
            raise InvalidInput(f"`jurisdiction` must be {known}", "jurisdiction")
        return self.jurisdictions[jurisdiction]

    def arrival_minutes(self, ticket_type: str, priority: int, jurisdiction: str) -> float | None:
        targets = self.targets(jurisdiction)
        if ticket_type in targets.by_type:
            return targets.by_type[ticket_type]
        return targets.arrival.get(priority)


def policy_targets(clocks: ClocksSection | None = None) -> dict[str, ClockTargets]:
    """Every policy of the ``[clocks]`` settings by name, whether a jurisdiction follows it
    or not (the manager's compliance table measures the work against each)."""
    clocks = clocks or current().clocks
    return {
        name: ClockTargets(
            name=name,
            arrival=p.arrival_min.by_priority(),
            by_type=dict(p.arrival_min_by_type),
            depart=p.depart_min.by_priority(),
            make_safe_p1=p.make_safe_p1_min,
            target_share=p.target_share,
        )
        for name, p in clocks.policies.items()
    }


@dataclass(frozen=True)
class Deadlines:
    arrival_due_at: datetime | None
    make_safe_due_at: datetime | None
    reply_due_at: datetime | None
    depart_due_at: datetime | None = None


def deadlines(
    ticket_type: str,
    category: str,
    priority: int,
    jurisdiction: str,
    received_at: datetime,
    policy: ClockPolicy,
) -> Deadlines:
    """The due times of a ticket received at ``received_at``."""
    arrival = make_safe = reply = depart = None
    if category != "non_field":
        targets = policy.targets(jurisdiction)
        minutes = policy.arrival_minutes(ticket_type, priority, jurisdiction)
        if minutes is not None:
            arrival = received_at + timedelta(minutes=minutes)
        if priority in targets.depart:
            depart = received_at + timedelta(minutes=targets.depart[priority])
        if priority == 1 and category == "emergency" and targets.make_safe_p1 is not None:
            make_safe = received_at + timedelta(minutes=targets.make_safe_p1)
    if ticket_type == "complaint":
        reply = add_working_days(received_at, policy.reply_working_days)
    return Deadlines(arrival, make_safe, reply, depart)


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday), same time of day."""
    out = start
    while days > 0:
        out += timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


@dataclass(frozen=True)
class ClockAlert:
    clock: str  # depart | arrival | make_safe | reply
    kind: str  # deadline_at_risk | deadline_missed
    due_at: datetime


def due_alerts(
    *,
    received_at: datetime,
    due: dict[str, datetime | None],
    stopped: dict[str, datetime | None],
    now: datetime,
    already: set[tuple[str, str]],
    at_risk_share: float,
) -> list[ClockAlert]:
    """Alerts newly due at ``now``: a running clock past ``at_risk_share`` of its time (e.g.
    80 %) is at risk, past 100 % missed; a clock stopped late (arrival after the deadline) is
    missed too. ``already`` holds (clock, kind) pairs raised before, so each is raised once."""
    alerts = []
    for clock, due_at in due.items():
        if due_at is None:
            continue
        stop = stopped.get(clock)
        end = stop if stop is not None else now
        total = (due_at - received_at).total_seconds()
        used = (end - received_at).total_seconds()
        kinds = []
        if used >= total:
            kinds = ["deadline_at_risk", "deadline_missed"] if stop is None else ["deadline_missed"]
        elif stop is None and used >= at_risk_share * total:
            kinds = ["deadline_at_risk"]
        alerts += [ClockAlert(clock, k, due_at) for k in kinds if (clock, k) not in already]
    return alerts


def review_due_at(day: date, timezone: str, by_hour: int) -> datetime:
    """When a supervisor must have reviewed the leak log of ``day`` (a local date): at
    ``by_hour`` o'clock local time of the next working day (Monday to Friday), in UTC. So
    Thursday's log is due Friday 10:00, Friday's and Saturday's and Sunday's Monday 10:00."""
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    zone = ZoneInfo(timezone)
    return datetime.combine(following, time(by_hour), zone).astimezone(UTC)

"""Response-time clocks: when each ticket is due, and when a deadline is at risk or missed.

Targets are configurable per priority and jurisdiction (DOMAIN.md: urban leaks attended within
30 min, outside towns within 1 h; customer-side faults within 6 h; complaint replies within two
working days). Pure functions of the ticket and "now": the caller injects the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dispatch.errors import InvalidInput

#: Share of a clock's time after which its deadline is "at risk".
AT_RISK_SHARE = 0.8


@dataclass(frozen=True)
class ClockPolicy:
    """Targets in minutes. ``arrival`` by (priority, jurisdiction); ``by_type`` overrides a
    ticket type's arrival target whatever its priority."""

    arrival: dict[tuple[int, str], float] = field(
        default_factory=lambda: {
            (1, "urban"): 30,
            (1, "rural"): 60,
            (2, "urban"): 360,
            (2, "rural"): 360,
            (3, "urban"): 24 * 60,
            (3, "rural"): 24 * 60,
        }
    )
    by_type: dict[str, float] = field(default_factory=dict)
    make_safe_p1: float = 120
    reply_working_days: int = 2

    def arrival_minutes(self, ticket_type: str, priority: int, jurisdiction: str) -> float | None:
        if jurisdiction not in ("urban", "rural"):
            raise InvalidInput("`jurisdiction` must be urban or rural", "jurisdiction")
        if ticket_type in self.by_type:
            return self.by_type[ticket_type]
        return self.arrival.get((priority, jurisdiction))


@dataclass(frozen=True)
class Deadlines:
    arrival_due_at: datetime | None
    make_safe_due_at: datetime | None
    reply_due_at: datetime | None


def deadlines(
    ticket_type: str,
    category: str,
    priority: int,
    jurisdiction: str,
    received_at: datetime,
    policy: ClockPolicy,
) -> Deadlines:
    """The due times of a ticket received at ``received_at``."""
    arrival = make_safe = reply = None
    if category != "non_field":
        minutes = policy.arrival_minutes(ticket_type, priority, jurisdiction)
        if minutes is not None:
            arrival = received_at + timedelta(minutes=minutes)
    if priority == 1 and category == "emergency":
        make_safe = received_at + timedelta(minutes=policy.make_safe_p1)
    if ticket_type == "complaint":
        reply = add_working_days(received_at, policy.reply_working_days)
    return Deadlines(arrival, make_safe, reply)


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
    clock: str  # arrival | make_safe | reply
    kind: str  # deadline_at_risk | deadline_missed
    due_at: datetime


def due_alerts(
    *,
    received_at: datetime,
    due: dict[str, datetime | None],
    stopped: dict[str, datetime | None],
    now: datetime,
    already: set[tuple[str, str]],
) -> list[ClockAlert]:
    """Alerts newly due at ``now``: a running clock past 80 % of its time is at risk, past 100 %
    missed; a clock stopped late (arrival after the deadline) is missed too. ``already`` holds
    (clock, kind) pairs raised before, so each is raised once."""
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
        elif stop is None and used >= AT_RISK_SHARE * total:
            kinds = ["deadline_at_risk"]
        alerts += [ClockAlert(clock, k, due_at) for k in kinds if (clock, k) not in already]
    return alerts

"""The control room's key figures, from plain rows: no SQL, no I/O. One definition for every
place that shows them: GET /api/v1/kpis, the wall's tiles and, later, the manager's reports.
:mod:`dispatch.kpi_repository` reads the rows.

Definitions (all "as of" ``now``: an arrival or a cancellation recorded after ``now`` is
ignored, so a report can be computed for any past moment):

* *open*: not closed or cancelled, and not a linked duplicate (its parent carries the job).
* *today*: the calendar day of ``now`` in the territory's time zone (an IANA name), from
  local midnight to the next local midnight, whatever its length in hours.
* *arrival clock*: runs from ``received_at`` to ``arrival_due_at`` and stops at ``arrived_at``.
  An open ticket whose running clock has used the settings' ``clocks.at_risk_share`` of its
  time is *at risk* (missed ones included, as the wall's alarms count them).
* *timeliness*: a ticket's arrival deadline is *met* when the crew arrives on or before it,
  *missed* when it is reached without an arrival (also by a ticket that is never reached). It
  is decided at ``min(arrived_at, arrival_due_at)``: at the arrival if on time, else at the
  deadline; a ticket cancelled before its deadline is never decided, one still within its
  deadline not yet. A day's share within target counts the tickets decided that day, so a
  late arrival counts as missed on the day its deadline fell and a finished day's figure
  does not change afterwards.
* *arrivals today*: tickets with an arrival deadline whose crew arrived today; their response
  time is ``arrived_at - received_at`` in minutes.
* *crews*: the crews on duty (status available or busy) split in three: available and busy
  with a fresh GPS fix, and stale (no fix, or one older than ``stale_after_s``), which are
  not counted as available since nobody knows where they are. Crews off duty or out of
  service are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch.errors import InvalidInput
from dispatch.settings import current
from dispatch.ticket_model import OPEN_STATUSES

ON_DUTY = ("available", "busy")


@dataclass(frozen=True)
class KpiRows:
    """What the figures are computed from. Ticket rows are dicts with ``priority, status,
    parent_ticket_id, received_at, arrival_due_at, arrived_at`` (and ``cancelled_at`` in
    ``day_tickets``); crew rows with ``status`` and ``recorded_at`` (last GPS fix, or None)."""

    timezone: str  # IANA name of the territory's zone
    open_tickets: list[dict]  # every open ticket
    day_tickets: list[dict]  # tickets with an arrival deadline that arrived or fell due today
    crews: list[dict]


# --- statistics --------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float | None:
    """The middle value; for an even count the mean of the two middle ones. None if empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile (0 to 100) by linear interpolation between the closest ranks
    (Hyndman & Fan type 7, numpy's default, Excel's PERCENTILE.INC): with the values sorted
    as x[0..n-1] and h = (n - 1) * p / 100, it is x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋+1] - x[⌊h⌋]).
    So p = 50 is the median, p = 0 the minimum and p = 100 the maximum. None if empty."""
    if not 0 <= p <= 100:  # also refuses NaN
        raise InvalidInput(f"`p` must be a percentile from 0 to 100, not {p!r}", "p")
    ordered = sorted(values)
    if not ordered:
        return None
    h = (len(ordered) - 1) * p / 100
    low = math.floor(h)
    if low == len(ordered) - 1:
        return float(ordered[low])
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def histogram_percentile(counts: list[int], p: float, bucket_min: float = 1.0) -> float | None:
    """The ``p``-th percentile (0 to 100) estimated from a histogram: ``counts[b]`` values in
    [b * bucket_min, (b + 1) * bucket_min), the last bucket holding every value from its lower
    edge on. Each bucket's values are taken as spread evenly through it (the j-th of c at
    (b + (j + 0.5) / c) * bucket_min; the last bucket's all at its lower edge), and the
    percentile is then :func:`percentile` (type 7) of those values.

    Accuracy: every order statistic is estimated within its own bucket, so the estimate is
    within ``bucket_min`` of the exact :func:`percentile` (a 1-minute bucket: within one
    minute), except that values in the last bucket count as its lower edge (180 minutes for
    the response histograms: a percentile there reads "180"). None if empty."""
    if not 0 <= p <= 100:
        raise InvalidInput(f"`p` must be a percentile from 0 to 100, not {p!r}", "p")
    n = sum(counts)
    if n <= 0:
        return None
    last = len(counts) - 1

    def value(k: int) -> float:  # the k-th smallest (0-based)
        seen = 0
        for b, c in enumerate(counts):
            if c > 0 and k < seen + c:
                if b == last:
                    return b * bucket_min
                return (b + (k - seen + 0.5) / c) * bucket_min
            seen += max(c, 0)
        raise AssertionError("rank beyond the histogram")

    h = (n - 1) * p / 100
    low = math.floor(h)
    if low == n - 1:
        return value(low)
    below = value(low)
    return below + (h - low) * (value(low + 1) - below)


# --- the day -----------------------------------------------------------------------------------


def day_window(now: datetime, timezone: str) -> tuple[date, datetime, datetime]:
    """The territory's calendar day at ``now`` and its start and end (local midnights, the
    end excluded) in UTC; ``timezone`` is an IANA name such as Europe/Helsinki. (In UTC since
    Python compares and subtracts datetimes of one zone by their wall clocks, which is wrong
    across a daylight-saving change.)"""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return day, start, end


# --- tickets -----------------------------------------------------------------------------------


def is_open(row: dict) -> bool:
    return row["status"] in OPEN_STATUSES and row.get("parent_ticket_id") is None


def _as_of(at: datetime | None, now: datetime) -> datetime | None:
    """``at`` if it has happened by ``now``, else None."""
    return at if at is not None and at <= now else None


def is_at_risk(row: dict, now: datetime, at_risk_share: float) -> bool:
    """An open ticket whose arrival clock runs and has used the at-risk share of its time."""
    due, received = row["arrival_due_at"], row["received_at"]
    if due is None or not is_open(row) or _as_of(row["arrived_at"], now) is not None:
        return False
    return (now - received) >= at_risk_share * (due - received)


def deadline_outcome(row: dict, now: datetime) -> tuple[datetime, bool] | None:
    """When the ticket's arrival deadline was decided and whether it was met, as of ``now``;
    None for a linked duplicate, a ticket without a deadline, one cancelled before its
    deadline, and one still within its deadline without an arrival."""
    due = row["arrival_due_at"]
    if due is None or row.get("parent_ticket_id") is not None:
        return None
    arrived = _as_of(row["arrived_at"], now)
    if arrived is not None and arrived <= due:
        return arrived, True
    cancelled = _as_of(row.get("cancelled_at"), now)
    if arrived is None and cancelled is not None and cancelled < due:
        return None
    if due <= now:  # reached without an arrival (as dispatch.clocks raises "missed")
        return due, False
    return None


def share_within_target(
    rows: Iterable[dict], now: datetime, start: datetime, end: datetime
) -> float | None:
    """Met deadlines / decided deadlines, over those decided from ``start`` to ``end`` (end
    excluded); None when none was decided."""
    met = []
    for row in rows:
        decided = deadline_outcome(row, now)
        if decided is not None and start <= decided[0] < end:
            met.append(decided[1])
    return sum(met) / len(met) if met else None


def arrivals_between(
    rows: Iterable[dict], now: datetime, start: datetime, end: datetime
) -> list[dict]:
    """Unlinked tickets with an arrival deadline whose crew arrived from ``start`` to ``end``."""
    return [
        row
        for row in rows
        if row["arrival_due_at"] is not None
        and row.get("parent_ticket_id") is None
        and (arrived := _as_of(row["arrived_at"], now)) is not None
        and start <= arrived < end
    ]


def response_minutes(row: dict) -> float:
    return (row["arrived_at"] - row["received_at"]).total_seconds() / 60


# --- crews -------------------------------------------------------------------------------------


def fix_is_stale(recorded_at: datetime | None, now: datetime, stale_after_s: float) -> bool:
    """No fix, or one older than ``stale_after_s`` seconds (as the API's crew view says)."""
    return recorded_at is None or (now - recorded_at).total_seconds() > stale_after_s


def crew_counts(crews: Iterable[dict], now: datetime, stale_after_s: float) -> dict[str, int]:
    """Crews on duty: available and busy with a fresh fix, and stale ones."""
    if not stale_after_s >= 0:
        raise InvalidInput("`stale_after_s` must be seconds, 0 or more", "stale_after_s")
    counts = {"crews_available": 0, "crews_busy": 0, "crews_stale": 0}
    for crew in crews:
        if crew["status"] not in ON_DUTY:
            continue
        if fix_is_stale(crew["recorded_at"], now, stale_after_s):
            counts["crews_stale"] += 1
        else:
            counts[f"crews_{crew['status']}"] += 1
    return counts


# --- the figures -------------------------------------------------------------------------------


def key_figures(
    rows: KpiRows,
    now: datetime,
    *,
    stale_after_s: float | None = None,
    at_risk_share: float | None = None,
) -> dict:
    """Today's key figures, JSON-ready: the one key set of the API and the wall. The stale
    limit and the at-risk share are the settings' (``dispatch.stale_gps_after_s``, the one the
    recommender uses, so a crew counted available is one it would offer, and
    ``clocks.at_risk_share``) unless given."""
    settings = current()
    if stale_after_s is None:
        stale_after_s = settings.dispatch.stale_gps_after_s
    if at_risk_share is None:
        at_risk_share = settings.clocks.at_risk_share
    day, start, end = day_window(now, rows.timezone)
    open_tickets = [row for row in rows.open_tickets if is_open(row)]
    arrivals = arrivals_between(rows.day_tickets, now, start, end)
    minutes = median(response_minutes(row) for row in arrivals)
    share = share_within_target(rows.day_tickets, now, start, end)
    return {
        "day": day.isoformat(),
        "open_p1": sum(1 for row in open_tickets if row["priority"] == 1),
        "at_risk": sum(1 for row in open_tickets if is_at_risk(row, now, at_risk_share)),
        "arrivals_today": len(arrivals),
        "median_arrival_min_today": None if minutes is None else round(minutes, 1),
        "share_within_target_today": None if share is None else round(share, 3),
        **crew_counts(rows.crews, now, stale_after_s),
    }


# --- reports: response times, compliance per policy, leak buckets ------------------------------
#
# The manager's page and the regulators' records count with these. A report row is a ticket
# row as above plus ``ticket_type`` (and ``en_route_at`` for a policy with a departure clock).
# The database computes the same figures in bulk (dispatch.report_repository) with these
# definitions passed in (bucket edges, percentiles), and the integration tests check both agree.

#: Leak response buckets of the monthly summary, in minutes from the call to the arrival:
#: (name, upper edge included); the last bucket is open. So 30.0 is "le_30", 30.2 "31_45".
LEAK_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("le_30", 30.0),
    ("31_45", 45.0),
    ("46_60", 60.0),
    ("gt_60", None),
)


def response_summary(rows: Iterable[dict], now: datetime) -> dict:
    """Response minutes (call to arrival) of the unlinked tickets reached by ``now``: how
    many, the median and the 90th percentile (type 7, as :func:`percentile`), rounded to
    0.1 min; None when there is none."""
    minutes = [
        response_minutes(row)
        for row in rows
        if row.get("parent_ticket_id") is None and _as_of(row["arrived_at"], now) is not None
    ]
    p50, p90 = percentile(minutes, 50), percentile(minutes, 90)
    return {
        "jobs": len(minutes),
        "median_min": None if p50 is None else round(p50, 1),
        "p90_min": None if p90 is None else round(p90, 1),
    }


def response_by(rows: Iterable[dict], key, now: datetime) -> dict:
    """:func:`response_summary` per group, ``key(row)`` naming the group."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return {name: response_summary(group, now) for name, group in groups.items()}


def policy_outcome(row: dict, targets, now: datetime) -> bool | None:
    """Whether the ticket met ``targets`` (a :class:`dispatch.clocks.ClockTargets`) as of
    ``now``, measured from its call whatever policy it was opened under: its arrival clock
    (the policy's minutes for its type and priority) by :func:`deadline_outcome`, and, where
    the policy has a departure clock for its priority, the crew on its way (``en_route_at``,
    else the arrival) by then. None when the policy sets no arrival clock for it or it is not
    decided yet; a ticket past its deadline and not reached is missed."""
    minutes = targets.by_type.get(row["ticket_type"], targets.arrival.get(row["priority"]))
    if minutes is None:
        return None
    due = row["received_at"] + timedelta(minutes=minutes)
    arrival = deadline_outcome({**row, "arrival_due_at": due}, now)
    if arrival is None:
        return None
    depart_min = targets.depart.get(row["priority"])
    if depart_min is None or not arrival[1]:
        return arrival[1]
    left = _as_of(row.get("en_route_at"), now) or _as_of(row["arrived_at"], now)
    return left is not None and left <= row["received_at"] + timedelta(minutes=depart_min)


def compliance(rows: Iterable[dict], policies: dict, now: datetime) -> list[dict]:
    """Per policy (name → :class:`~dispatch.clocks.ClockTargets`), how the tickets fare
    against it: decided, met, missed, the share met (None when none decided, rounded to
    0.001), the policy's target share and whether the share reaches it."""
    rows = list(rows)
    out = []
    for name, targets in policies.items():
        outcomes = [policy_outcome(row, targets, now) for row in rows]
        decided = [o for o in outcomes if o is not None]
        out.append(compliance_figures(name, targets, len(decided), sum(decided)))
    return out


def compliance_figures(name: str, targets, decided: int, met: int) -> dict:
    """One policy's row of :func:`compliance` from its counts (the database counts them in
    bulk: :func:`dispatch.manager_repository.compliance_counts`)."""
    share = met / decided if decided else None
    return {
        "policy": name,
        "decided": decided,
        "met": met,
        "missed": decided - met,
        "share": None if share is None else round(share, 3),
        "target_share": targets.target_share,
        "meets_target": None if share is None else share >= targets.target_share,
    }


def leak_bucket(minutes: float | None) -> str:
    """The bucket of a leak's response minutes; ``not_reached`` when the crew never arrived."""
    if minutes is None:
        return "not_reached"
    for name, upper in LEAK_BUCKETS:
        if upper is None or minutes <= upper:
            return name
    raise AssertionError("the last bucket is open")


def leak_buckets(rows: Iterable[dict], now: datetime) -> dict[str, int]:
    """How many unlinked leak reports fall in each bucket (every bucket named, 0 included);
    a report without an arrival by ``now`` is ``not_reached``."""
    counts = {name: 0 for name, _ in LEAK_BUCKETS} | {"not_reached": 0}
    for row in rows:
        if row.get("parent_ticket_id") is not None:
            continue
        reached = _as_of(row["arrived_at"], now) is not None
        counts[leak_bucket(response_minutes(row) if reached else None)] += 1
    return counts


# --- the manager's breakdowns and the other measures -------------------------------------------
#
# Compliance per week, month, district or crew, and the measures the manuals name besides
# timeliness. Rows are plain dicts read by dispatch.manager_repository; "as of now" as above.


def compliance_by(rows: Iterable[dict], policies: dict, now: datetime, key) -> list[dict]:
    """:func:`compliance` per group, ``key(row)`` naming the group (None: not counted), in
    the groups' sorted order: one dict per group and policy, with ``group`` added. A ticket
    past its deadline and not reached is missed (:func:`policy_outcome`)."""
    groups: dict = {}
    for row in rows:
        name = key(row)
        if name is not None:
            groups.setdefault(name, []).append(row)
    return [
        {"group": name, **figures}
        for name in sorted(groups, key=str)
        for figures in compliance(groups[name], policies, now)
    ]


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 3)


def resolution_rate(rows: Iterable[dict], now: datetime) -> dict:
    """Resolution rate (解决率): of the unlinked jobs received in the period and not
    cancelled by ``now``, the share closed by ``now``. Rows: ``status, parent_ticket_id,
    closed_at, cancelled_at``."""
    jobs = [
        r
        for r in rows
        if r.get("parent_ticket_id") is None and _as_of(r.get("cancelled_at"), now) is None
    ]
    resolved = sum(1 for r in jobs if r["status"] == "closed" and _as_of(r["closed_at"], now))
    return {"jobs": len(jobs), "resolved": resolved, "rate": _rate(resolved, len(jobs))}


def first_time_pass_rate(rows: Iterable[dict], now: datetime) -> dict:
    """Repair first-time pass rate (一次修复合格率): of the jobs closed by ``now`` (as
    :func:`resolution_rate` counts them), the share never re-opened (``reopened``: how many
    times the job was re-opened, e.g. after an unsatisfied callback, by ``now``)."""
    closed = [
        r
        for r in rows
        if r.get("parent_ticket_id") is None
        and r["status"] == "closed"
        and _as_of(r["closed_at"], now)
    ]
    passed = sum(1 for r in closed if not r.get("reopened"))
    return {"closed": len(closed), "passed": passed, "rate": _rate(passed, len(closed))}


def complaint_handling_rate(complaints: Iterable[dict], now: datetime) -> dict:
    """Complaint handling rate (投诉处理率): of the complaints received in the period, the
    share handled to a closed loop (closed) by ``now``; also how many were replied to by
    their reply deadline. Rows: ``status, closed_at, replied_at, reply_due_at``."""
    rows = list(complaints)
    handled = sum(1 for r in rows if r["status"] == "closed" and _as_of(r["closed_at"], now))
    on_time = sum(
        1
        for r in rows
        if (replied := _as_of(r["replied_at"], now)) is not None and replied <= r["reply_due_at"]
    )
    return {
        "received": len(rows),
        "handled": handled,
        "rate": _rate(handled, len(rows)),
        "replied_on_time": on_time,
        "on_time_rate": _rate(on_time, len(rows)),
    }


def satisfaction_table(answers: Iterable[dict], key) -> list[dict]:
    """Customer satisfaction per group (``key(row)``: the worker, crew or team) by the
    manual's formula (:func:`dispatch.callback_sampling.satisfaction`: the mean attitude
    score, the mean skill score, and the mean of the two), sorted by group; scores rounded
    to 0.01. Rows: answered callbacks with ``attitude`` and ``skill`` (1 to 10)."""
    from dispatch.callback_sampling import CallbackAnswer, satisfaction

    groups: dict = {}
    for i, row in enumerate(answers):
        answer = CallbackAnswer(i, str(row.get("worker") or "-"), row["attitude"], row["skill"])
        groups.setdefault(key(row), []).append(answer)
    out = []
    for name in sorted(groups, key=str):
        s = satisfaction(groups[name])
        out.append(
            {
                "group": name,
                "answers": s.count,
                "attitude": round(s.attitude_mean, 2),
                "skill": round(s.skill_mean, 2),
                "overall": round(s.overall, 2),
            }
        )
    return out


#: Hours a crew is on duty per day by its shift (day 08-20, night 20-08, or both).
SHIFT_HOURS = {"day": 12.0, "night": 12.0, "round_the_clock": 24.0}


def crew_workload(
    crews: Iterable[dict],
    assignments: Iterable[dict],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[dict]:
    """Each crew's workload from ``start`` to ``end``: the jobs it was sent to in the period,
    the hours it was busy on them (each assignment from its ``assigned_at`` to its
    ``released_at``, or ``now`` while it runs, clipped to the period and to ``now``; an
    overlap of two assignments of one crew counted once), its hours on duty (the shift's
    hours a day × the period's days, up to ``now``) and the utilisation, busy / on duty.
    Crews: ``code, shift``; assignments: ``crew, ticket_id, assigned_at, released_at``."""
    stop = min(end, now)
    duty_days = max((stop - start).total_seconds(), 0) / 86400
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    jobs: dict[str, set] = {}
    for a in assignments:
        if start <= a["assigned_at"] < stop:
            jobs.setdefault(a["crew"], set()).add(a["ticket_id"])
        lo = max(a["assigned_at"], start)
        hi = min(a["released_at"] or stop, stop)
        if hi > lo:
            spans.setdefault(a["crew"], []).append((lo, hi))
    out = []
    for crew in sorted(crews, key=lambda c: c["code"]):
        busy = _union_hours(spans.get(crew["code"], []))
        duty = SHIFT_HOURS.get(crew["shift"], 24.0) * duty_days
        out.append(
            {
                "crew": crew["code"],
                "shift": crew["shift"],
                "jobs": len(jobs.get(crew["code"], ())),
                "busy_h": round(busy, 1),
                "duty_h": round(duty, 1),
                "utilisation": None if duty == 0 else round(busy / duty, 3),
            }
        )
    return out


def _union_hours(spans: list[tuple[datetime, datetime]]) -> float:
    """Hours covered by the union of the spans."""
    total, reach = 0.0, None
    for lo, hi in sorted(spans):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += (hi - lo).total_seconds()
            reach = hi
    return total / 3600


def weekly_trend(rows: Iterable[dict], now: datetime, timezone: str) -> list[dict]:
    """Response minutes per local week of the call (weeks start on Monday): the week's
    Monday, the jobs reached, the median and the 90th percentile (:func:`response_summary`)."""
    zone = ZoneInfo(timezone)

    def monday(row):
        day = row["received_at"].astimezone(zone).date()
        return (day - timedelta(days=day.weekday())).isoformat()

    return [
        {"week": week, **summary}
        for week, summary in sorted(response_by(rows, monday, now).items())
        if summary["jobs"]
    ]

"""Callback sampling (回访) and customer satisfaction. Pure: no SQL, no I/O.

Every day the callback agents phone back a sample of the jobs finished 3 to 5 days earlier
(DOMAIN.md, "Callback sampling"). Some job types are always called back, others in a share;
the sample is stratified by front-line worker so that every worker gets a similar number of
calls, and it is random but reproducible for a given seed::

    sample = draw_callback_sample(jobs, today=date(2024, 5, 10), seed=20240510)
    sample.selected        # the FinishedJob records to call back
    sample.by_type         # {"paid_repair": (4, 4), "safety_inspection": (2, 17), ...}

The customer scores attitude (服务态度) and skill (专业能力) from 1 to 10, and rates attire and
punctuality as good / fair / poor. :func:`satisfaction` turns answers into the figures managers
watch, :func:`follow_ups` lists the fair or poor answers to check, and :func:`is_unsatisfied`
says when the job must be re-opened for a new visit.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from types import MappingProxyType

from dispatch.errors import InvalidInput
from dispatch.ticket_model import TICKET_TYPES

#: Share of finished jobs called back, per ticket type (1.0 = every job). Read-only; to change
#: it pass another mapping, e.g. ``quotas={**QUOTAS, "meter_fault": 0.2}``. Field types not
#: listed here are sampled at the ``default_share`` of :func:`draw_callback_sample`.
#: Quota keys that are not ticket types: an own-brand appliance job, counter business (营业厅
#: 办理业务, a set share: ``desks.counter_business_share``), and a job closed again after an
#: unsatisfied call-back, which is always called back until the customer is satisfied.
OWN_BRAND_TYPE = "own_brand_appliance"
COUNTER_TYPE = "counter_business"
UNTIL_SATISFIED_TYPE = "until_satisfied"
QUOTAS: Mapping[str, float] = MappingProxyType(
    {
        # leak repair (漏气维修); an emergency leak job is a leak repair too
        "indoor_leak_repair": 1.0,
        "gas_leak": 1.0,
        "paid_repair": 1.0,  # 维修收费
        # installation and repair of own-brand appliances (我司百尊燃气具安装及维修): 100%;
        # other brands' appliance jobs at the share of the kind of work they are
        OWN_BRAND_TYPE: 1.0,
        "appliance_repair": 0.1,  # a repair without charge (a paid one is a paid repair)
        "appliance_installation": 0.1,  # a small installation
        "indoor_modification": 0.1,  # small indoor installation (零散户安装)
        "gas_on_ignition": 0.1,  # 点火
        "free_repair": 0.1,  # 维修无收费
        "safety_inspection": 0.1,  # 安检
        COUNTER_TYPE: 0.1,
        UNTIL_SATISFIED_TYPE: 1.0,
    }
)
#: The quota a paid job falls under, whatever its type (the manual: 维修收费 100%).
PAID_TYPE = "paid_repair"
#: Share for field types not in QUOTAS (meter_fault, third_party_damage, meter_reading, ...).
DEFAULT_SHARE = 0.1
#: Ticket types that are never sampled: no crew went out, so there is nobody to score.
NON_FIELD_TYPES: frozenset[str] = frozenset(
    name for name, (category, _, _) in TICKET_TYPES.items() if category == "non_field"
)
#: Answers allowed for attire (着装) and punctuality (守时); None when not asked.
RATINGS = ("good", "fair", "poor")
#: Ratings that are followed up and, if confirmed, count in the worker's appraisal.
FOLLOW_UP_RATINGS = frozenset({"fair", "poor"})


@dataclass(frozen=True)
class FinishedJob:
    """A finished field job that may be called back.

    ``worker`` is the front-line worker or crew code the call is about; ``finished_at`` is a
    timezone-aware datetime, and its own calendar date decides whether it is in the window.
    ``paid``: the customer signed for a charge (维修收费), so the job is sampled as a paid
    repair whatever its type (see :attr:`quota_type`). ``staff``: the front-line employees
    who did it (the crew's named members); the draw is balanced over them, and when empty the
    ``worker`` stands for them. ``own_brand``: an own-brand appliance job; ``counter``:
    counter business; ``must_call``: closed again after an unsatisfied call-back, so called
    back whatever the window and the shares, until the customer is satisfied.
    """

    ticket_id: int
    ticket_type: str
    worker: str
    finished_at: datetime
    paid: bool = False
    staff: tuple[str, ...] = ()
    own_brand: bool = False
    counter: bool = False
    must_call: bool = False

    @property
    def quota_type(self) -> str:
        """The quota that samples this job: ``until_satisfied`` for a job re-closed after an
        unsatisfied call, ``paid_repair`` for a paid job, ``own_brand_appliance`` for an
        own-brand appliance job, ``counter_business`` at the counter, else its type."""
        if self.must_call:
            return UNTIL_SATISFIED_TYPE
        if self.paid:
            return PAID_TYPE
        if self.own_brand:
            return OWN_BRAND_TYPE
        if self.counter:
            return COUNTER_TYPE
        return self.ticket_type

    @property
    def employees(self) -> tuple[str, ...]:
        """Who the call is about: the staff, or the worker when no staff is known."""
        return self.staff or (self.worker,)

    def __post_init__(self) -> None:
        if not isinstance(self.ticket_type, str) or not self.ticket_type:
            raise InvalidInput("`ticket_type` must be a non-empty string", "ticket_type")
        if not isinstance(self.worker, str) or not self.worker.strip():
            raise InvalidInput("`worker` must be a non-empty string", "worker")
        _require_aware(self.finished_at, "finished_at")


@dataclass(frozen=True)
class CallbackSample:
    """The day's callback list.

    ``selected`` is ordered by finish time, then ticket id. ``by_type`` maps each field type
    that had jobs in the window to ``(selected, eligible)``. ``by_worker`` maps every worker
    with an eligible job to the number of their jobs selected (0 included).
    """

    selected: list[FinishedJob]
    by_type: dict[str, tuple[int, int]]
    by_worker: dict[str, int]


def draw_callback_sample(
    jobs: Iterable[FinishedJob],
    *,
    today: date,
    seed: int,
    quotas: Mapping[str, float] = QUOTAS,
    default_share: float = DEFAULT_SHARE,
    window_days: tuple[int, int] = (3, 5),
) -> CallbackSample:
    """Draw the callback sample for ``today``.

    **Window.** With ``window_days=(lo, hi)`` a job is eligible when the calendar date of its
    ``finished_at``, read in the job's own timezone, lies in ``[today - hi days, today - lo
    days]``, both ends included. With the default (3, 5) and ``today`` = 10 May that is jobs
    finished on 5, 6 or 7 May, from 00:00 on the 5th to 23:59:59.999999 on the 7th.

    **Share per type.** A paid job counts as a ``paid_repair`` (:attr:`FinishedJob.quota_type`),
    whatever its type. A type's share is ``quotas[type]``, or ``default_share`` for a field
    type not in ``quotas``; non-field types (:data:`NON_FIELD_TYPES`) are never sampled. With a
    share of 1 every job is taken. Otherwise ``n`` eligible jobs give ``round_half_up(share *
    n)`` calls, computed exactly (0.1 × 25 = 2.5 → 3), and at least 1 when ``n > 0`` and
    ``share > 0``.

    **Stratified by front-line employee.** A job's employees are its ``staff`` (or its
    worker). A type's calls are drawn one at a time, each time from the jobs whose most-called
    employee has the fewest calls of this type, then the fewest calls of any type so far
    (100% types are counted first), ties drawn at random: no employee with jobs left is two
    calls behind another, and the spare calls go to those with the fewest calls overall.
    A job closed again after an unsatisfied call-back (``must_call``) is always taken,
    whenever it finished: the customer is called until satisfied.

    **Deterministic.** The draw uses ``random.Random(seed)`` over jobs sorted by type,
    employees and ticket id, so the same jobs and seed give the same sample in any input order.

    Raises :class:`~dispatch.errors.InvalidInput` for a bad window, share or quota, or a
    ticket id that appears twice.
    """
    lo, hi = _check_window(window_days)
    shares = _check_quotas(quotas)
    other = _check_share(default_share, "default_share")
    first, last = today - timedelta(days=hi), today - timedelta(days=lo)

    by_type_jobs: dict[str, list[FinishedJob]] = defaultdict(list)
    workers: set[str] = set()
    seen: set[int] = set()
    for job in jobs:
        if job.ticket_id in seen:
            raise InvalidInput(f"`jobs`: ticket {job.ticket_id} appears more than once", "jobs")
        seen.add(job.ticket_id)
        if job.ticket_type in NON_FIELD_TYPES and not job.counter:
            continue
        in_window = first <= job.finished_at.date() <= last
        if not (in_window or job.must_call):
            continue
        by_type_jobs[job.quota_type].append(job)
        workers.update(job.employees)

    rng = random.Random(seed)
    calls: dict[str, int] = dict.fromkeys(sorted(workers), 0)
    selected: list[FinishedJob] = []
    by_type: dict[str, tuple[int, int]] = {}
    # Types taken whole first, so that the spare calls of sampled types can even out workers.
    shares[UNTIL_SATISFIED_TYPE] = Fraction(1)  # "until satisfied" is not a share to tune
    order = sorted(by_type_jobs, key=lambda t: (shares.get(t, other) != 1, t))
    for ticket_type in order:
        type_jobs = sorted(by_type_jobs[ticket_type], key=lambda j: (j.employees, j.ticket_id))
        chosen = _draw_type(type_jobs, shares.get(ticket_type, other), calls, rng)
        for job in chosen:
            for employee in job.employees:
                calls[employee] += 1
        selected.extend(chosen)
        by_type[ticket_type] = (len(chosen), len(type_jobs))

    selected.sort(key=lambda j: (j.finished_at, j.ticket_id))
    return CallbackSample(selected, dict(sorted(by_type.items())), calls)


def sample_size(share: float, eligible: int) -> int:
    """Calls for ``eligible`` jobs at ``share`` (0 to 1): exact round-half-up of
    ``share * eligible``, at least 1 when there are jobs and the share is positive."""
    return _sample_size(_check_share(share, "share"), eligible)


def _sample_size(p: Fraction, eligible: int) -> int:
    if eligible <= 0 or p == 0:
        return 0
    return min(eligible, max(1, int(p * eligible + Fraction(1, 2))))


def _draw_type(
    jobs: list[FinishedJob], share: Fraction, calls: Mapping[str, int], rng: random.Random
) -> list[FinishedJob]:
    """Draw a type's calls one at a time, each time the job whose employees have had the
    fewest calls of this type, then the fewest calls of any type so far, ties at random: so
    the calls spread over the front-line employees as evenly as their jobs allow."""
    if share == 1:
        return list(jobs)
    k = _sample_size(share, len(jobs))
    tie = {job.ticket_id: rng.random() for job in jobs}
    of_type: dict[str, int] = defaultdict(int)
    so_far: dict[str, int] = defaultdict(int, calls)
    left = list(jobs)
    chosen: list[FinishedJob] = []
    for _ in range(k):
        best = min(
            left,
            key=lambda j: (
                max(of_type[e] for e in j.employees),
                max(so_far[e] for e in j.employees),
                sum(so_far[e] for e in j.employees),
                tie[j.ticket_id],
            ),
        )
        left.remove(best)
        chosen.append(best)
        for employee in best.employees:
            of_type[employee] += 1
            so_far[employee] += 1
    return chosen


@dataclass(frozen=True)
class CallbackAnswer:
    """What the customer said on a callback.

    ``attitude`` (服务态度) and ``skill`` (专业能力) are integers from 1 to 10; ``attire`` and
    ``punctuality`` are 'good', 'fair', 'poor', or None when the question was not asked.
    """

    ticket_id: int
    worker: str
    attitude: int
    skill: int
    attire: str | None = None
    punctuality: str | None = None
    issues: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.ticket_id, int) or isinstance(self.ticket_id, bool):
            raise InvalidInput("`ticket_id` must be an integer", "ticket_id")
        if not isinstance(self.worker, str) or not self.worker.strip():
            raise InvalidInput("`worker` must be a non-empty string", "worker")
        for name in ("attitude", "skill"):
            _require_score(getattr(self, name), name)
        for name in ("attire", "punctuality"):
            value = getattr(self, name)
            if value is not None and value not in RATINGS:
                raise InvalidInput(
                    f"`{name}` must be one of good, fair, poor or None, not {value!r}", name
                )
        if not isinstance(self.issues, str):
            raise InvalidInput("`issues` must be a string", "issues")

    @property
    def needs_follow_up(self) -> bool:
        """Attire or punctuality was rated fair or poor."""
        return self.attire in FOLLOW_UP_RATINGS or self.punctuality in FOLLOW_UP_RATINGS


@dataclass(frozen=True)
class Satisfaction:
    """Satisfaction of a group of answers: the mean attitude and skill scores (1 to 10) and
    the overall figure, the mean of those two means. Means are None when ``count`` is 0."""

    attitude_mean: float | None
    skill_mean: float | None
    overall: float | None
    count: int


def satisfaction(answers: Iterable[CallbackAnswer]) -> Satisfaction:
    """Mean attitude, mean skill and their mean (DOMAIN.md), unrounded."""
    answers = list(answers)
    if not answers:
        return Satisfaction(None, None, None, 0)
    attitude = statistics.fmean(a.attitude for a in answers)
    skill = statistics.fmean(a.skill for a in answers)
    return Satisfaction(attitude, skill, (attitude + skill) / 2, len(answers))


def satisfaction_by(
    answers: Iterable[CallbackAnswer],
    key: Callable[[CallbackAnswer], Hashable] = lambda a: a.worker,
) -> dict[Hashable, Satisfaction]:
    """:func:`satisfaction` per group (per worker by default), in order of first appearance."""
    groups: dict[Hashable, list[CallbackAnswer]] = {}
    for answer in answers:
        groups.setdefault(key(answer), []).append(answer)
    return {group: satisfaction(members) for group, members in groups.items()}


def follow_ups(answers: Iterable[CallbackAnswer]) -> list[CallbackAnswer]:
    """Answers rating attire or punctuality fair or poor, in the order given: each is checked
    and, if confirmed, counts in that worker's appraisal."""
    return [a for a in answers if a.needs_follow_up]


def is_unsatisfied(answer: CallbackAnswer, *, threshold: int = 6) -> bool:
    """Whether attitude or skill scored below ``threshold`` (1 to 10): the job is then
    re-opened and re-dispatched until the customer is satisfied."""
    _require_score(threshold, "threshold")
    return answer.attitude < threshold or answer.skill < threshold


def _require_score(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10:
        raise InvalidInput(f"`{name}` must be an integer from 1 to 10, not {value!r}", name)


def _require_aware(value: object, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidInput(f"`{name}` must be a timezone-aware datetime", name)


def _fraction(share: float) -> Fraction:
    # Through str() so that 0.1 is one tenth exactly, not the nearest binary float.
    return Fraction(str(share))


def _check_share(share: object, name: str, label: str = "") -> Fraction:
    number = isinstance(share, int | float | Fraction) and not isinstance(share, bool)
    if number and (isinstance(share, Fraction) or math.isfinite(share)):
        p = share if isinstance(share, Fraction) else _fraction(share)
        if 0 <= p <= 1:
            return p
    raise InvalidInput(f"`{name}`{label} must be a number from 0 to 1, not {share!r}", name)


def _check_quotas(quotas: Mapping[str, float]) -> dict[str, Fraction]:
    shares: dict[str, Fraction] = {}
    for ticket_type, share in quotas.items():
        p = _check_share(share, "quotas", f": the share for {ticket_type!r}")
        if ticket_type in NON_FIELD_TYPES and p > 0:
            raise InvalidInput(
                f"`quotas`: {ticket_type!r} is not a field job and is never called back",
                "quotas",
            )
        shares[ticket_type] = p
    return shares


def _check_window(window_days: tuple[int, int]) -> tuple[int, int]:
    try:
        lo, hi = window_days
    except (TypeError, ValueError):
        lo = hi = None
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in (lo, hi)) or not (
        0 <= lo <= hi
    ):
        raise InvalidInput(
            f"`window_days` must be two whole numbers of days (lo, hi) with 0 <= lo <= hi, "
            f"not {window_days!r}",
            "window_days",
        )
    return lo, hi

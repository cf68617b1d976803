"""Call-back use cases (回访): the daily stratified draw of finished jobs, the customer's answers,
and satisfaction reports. An unsatisfied customer re-opens the job.

Each use case works through a unit of work (one transaction), takes the acting user and, where
something changes, the current time, and returns plain dicts. The rules live in
:mod:`dispatch.callback_sampling`; the SQL in :mod:`dispatch.repository`::

    draw_daily_callbacks(uow, date(2024, 5, 10), 20240510, actor, now=now)  # once a day
    record_callback(uow, callback_id, {"attitude": 9, "skill": 4}, actor, now)  # re-opens the job
    satisfaction_report(uow, date(2024, 5, 1), date(2024, 5, 31))

Calendar days (the day of a draw, a report's ``since`` and ``until``) are UTC dates, as in
ticket numbers. Customers' names and phones are masked for roles outside
:data:`dispatch.auth.PERSONAL_DATA_ROLES`, and every unmasked read is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from dispatch import desk_repository as desk
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.auth import mask_name, mask_phone, sees_personal_data
from dispatch.callback_sampling import (
    COUNTER_TYPE,
    QUOTAS,
    CallbackAnswer,
    FinishedJob,
    Satisfaction,
    draw_callback_sample,
    is_unsatisfied,
    satisfaction,
    satisfaction_by,
)
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.input_fields import MAX_TEXT
from dispatch.json_shapes import iso_time
from dispatch.ticket_service import transition_ticket
from dispatch.unit_of_work import UnitOfWork

#: The window of finished jobs sampled each day: finished 3 to 5 days ago (DOMAIN.md).
CALLBACK_WINDOW_DAYS = (3, 5)


#: Attitude or skill below this (1 to 10) means the customer is not satisfied: re-open the job.
UNSATISFIED_BELOW = 6


#: What a callback agent may record: the customer answered, or could not be reached.
CALLBACK_OUTCOMES = ("done", "unreachable")


_MAX_SEED = 2**63 - 1


def draw_daily_callbacks(
    uow: UnitOfWork,
    today: date,
    seed: int,
    actor: Actor,
    *,
    now: datetime | None = None,
    window_days: tuple[int, int] = CALLBACK_WINDOW_DAYS,
    quotas: Mapping[str, float] = QUOTAS,
    counter_share: float | None = None,
) -> dict:
    """Draw the callback sample of ``today`` from the tickets closed ``window_days`` (3 to 5)
    days before, each job's worker being the code of the crew that did it, and store the
    callbacks as pending.

    Once a day: when ``today`` was drawn already (by anyone, with any seed) the stored sample
    is returned with ``already_drawn: True``; two racing draws store one sample. A job that
    an earlier day's draw already considered (its finish day lay in that draw's window) is not
    considered again, so overlapping windows do not call a customer twice nor raise the
    shares of the sampled types; a job re-opened after its callback and closed again is new,
    and is always called back (whatever its type's share) until the customer is satisfied.
    Counter business is called at ``counter_share`` (the setting
    ``desks.counter_business_share`` when None). The draw balances the calls over the
    front-line employees (the crews' named members) and stores each call's staff.
    """
    cur = uow.cur
    if not isinstance(today, date) or isinstance(today, datetime):
        raise InvalidInput("`date` must be a calendar date (YYYY-MM-DD)", "date")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise InvalidInput(f"`seed` must be an integer from 0 to {_MAX_SEED}", "seed")
    now = now or datetime.now(UTC)
    existing = repo.get_callback_draw(cur, today)
    if existing is not None:
        return _draw_answer(cur, existing, already=True)

    if counter_share is None:
        from dispatch.settings import current

        counter_share = current().desks.counter_business_share
    quotas = {**quotas, COUNTER_TYPE: counter_share}
    jobs = _jobs_to_consider(cur, today, window_days)
    sample = draw_callback_sample(
        jobs, today=today, seed=seed, quotas=quotas, window_days=window_days
    )
    lo, hi = window_days
    stored = repo.insert_callback_draw(
        cur,
        {
            "sampled_on": today,
            "seed": seed,
            "window_lo": lo,
            "window_hi": hi,
            "drawn_by": actor.username,
            "drawn_at": now,
            "by_type": {t: list(counts) for t, counts in sample.by_type.items()},
            "by_worker": sample.by_worker,
        },
    )
    if not stored:  # another request drew the day while this one was drawing
        return _draw_answer(cur, repo.get_callback_draw(cur, today), already=True)
    for job in sample.selected:
        callback_id = repo.insert_callback(
            cur,
            ticket_id=job.ticket_id,
            worker=job.worker,
            sampled_on=today,
            finished_at=job.finished_at,
        )
        desk.set_callback_staff(
            cur, callback_id, staff=list(job.employees), must_call=job.must_call
        )
    return _draw_answer(cur, repo.get_callback_draw(cur, today), already=False)


def record_callback(
    uow: UnitOfWork, callback_id: int, answer: Mapping, actor: Actor, now: datetime
) -> dict:
    """Record the customer's answer to callback ``callback_id``.

    ``answer`` holds ``attitude`` and ``skill`` (integers 1 to 10), optionally ``attire`` and
    ``punctuality`` ('good', 'fair', 'poor') and ``issues``; or ``{"status": "unreachable"}``
    when nobody answered (the call may be tried again). A fair or poor rating sets
    ``follow_up``. An unsatisfied customer (attitude or skill below 6) re-opens the ticket
    (closed → new, event ``reopened``) so that it is dispatched again. An answered callback is
    final: recording it again is a conflict.
    """
    cur = uow.cur
    if not isinstance(answer, Mapping):
        raise InvalidInput("the answer must be a JSON object", "body")
    row = repo.get_callback(cur, callback_id, for_update=True)
    if row is None:
        raise NotFound(f"`callback_id`: no callback {callback_id}", "callback_id")
    if row["status"] == "done":
        raise Conflict(f"`callback_id`: callback {callback_id} was answered already", "callback_id")
    outcome = answer.get("status", "done")
    if outcome not in CALLBACK_OUTCOMES:
        raise InvalidInput(f"`status` must be done or unreachable, not {outcome!r}", "status")
    issues = answer.get("issues") or ""
    if not isinstance(issues, str):
        raise InvalidInput("`issues` must be a string", "issues")
    if len(issues) > MAX_TEXT:
        raise InvalidInput(f"`issues` is longer than {MAX_TEXT} characters", "issues")

    if outcome == "unreachable":
        for name in ("attitude", "skill", "attire", "punctuality"):
            if answer.get(name) is not None:
                raise InvalidInput(f"`{name}`: a customer not reached gave no answer", name)
        repo.save_callback_answer(
            cur,
            callback_id,
            status="unreachable",
            called_by=actor.username,
            called_at=now,
            issues=issues,
        )
        return _recorded(cur, callback_id, actor, unsatisfied=False)

    charge = _charge_answer(cur, answer, int(row["ticket_id"]))
    scored = CallbackAnswer(
        ticket_id=int(row["ticket_id"]),
        worker=row["worker"],
        attitude=answer.get("attitude"),
        skill=answer.get("skill"),
        attire=answer.get("attire"),
        punctuality=answer.get("punctuality"),
        issues=issues,
    )
    unsatisfied = is_unsatisfied(scored, threshold=UNSATISFIED_BELOW)
    repo.append_event(
        cur,
        scored.ticket_id,
        at=now,
        actor=actor.username,
        event_type="callback_recorded",
        data={
            "callback_id": callback_id,
            "attitude": scored.attitude,
            "skill": scored.skill,
            "unsatisfied": unsatisfied,
        },
    )
    # Locked before it is read, so that the re-opening cannot race another change. A ticket
    # someone re-opened already keeps its course; the answer is stored all the same.
    ticket = repo.get_ticket_row(cur, scored.ticket_id, for_update=True)
    reopen = unsatisfied and ticket["status"] == "closed"
    if reopen:
        transition_ticket(
            uow, scored.ticket_id, "new", actor, now, reason="customer not satisfied at callback"
        )
    repo.save_callback_answer(
        cur,
        callback_id,
        status="done",
        called_by=actor.username,
        called_at=now,
        attitude=scored.attitude,
        skill=scored.skill,
        attire=scored.attire,
        punctuality=scored.punctuality,
        issues=scored.issues,
        follow_up=scored.needs_follow_up,
        reopened=reopen,
    )
    desk.save_charge_answer(cur, callback_id, **charge)
    if scored.needs_follow_up:
        extras = desk.callback_desk_extras(cur, [callback_id])[callback_id]
        desk.open_follow_up(
            cur,
            {
                "callback_id": callback_id,
                "ticket_id": scored.ticket_id,
                "staff": list(extras["staff"]) or [scored.worker],
                "attire": scored.attire,
                "punctuality": scored.punctuality,
                "opened_at": now,
            },
        )
    return _recorded(cur, callback_id, actor, unsatisfied=unsatisfied)


#: The largest charge a customer may report (yuan).
MAX_CHARGE = Decimal("1000000")


def _charge_answer(cur, answer: Mapping, ticket_id: int) -> dict:
    """The customer's answer to "was a charge made, and how much?" against the charges the
    customer signed for on the job: a mismatch is flagged (a charge the job does not record,
    a recorded charge the customer denies, or another amount)."""
    made = answer.get("charge_made")
    amount = answer.get("charge_amount")
    if made is not None and not isinstance(made, bool):
        raise InvalidInput("`charge_made` must be true or false", "charge_made")
    if amount is not None:
        if made is not True:
            raise InvalidInput(
                "`charge_amount`: give an amount only when `charge_made` is true", "charge_amount"
            )
        if isinstance(amount, bool) or not isinstance(amount, int | float | str):
            raise InvalidInput("`charge_amount` must be a number of yuan", "charge_amount")
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise InvalidInput(
                "`charge_amount` must be a number of yuan", "charge_amount"
            ) from None
        if (
            not amount.is_finite()
            or not 0 <= amount < MAX_CHARGE
            or amount != amount.quantize(Decimal("0.01"))
        ):
            raise InvalidInput(
                "`charge_amount` must be 0 or more, below 1000000, in yuan and fen",
                "charge_amount",
            )
    recorded = desk.recorded_charge(cur, ticket_id)
    return {
        "charge_made": made,
        "charge_amount": amount,
        "charge_recorded": recorded,
        "mismatch": charge_mismatch(made, amount, recorded),
    }


def charge_mismatch(made: bool | None, amount: Decimal | None, recorded: Decimal | None) -> bool:
    """Whether the customer's answer disagrees with the job's signed charges (``recorded``,
    None when nothing was signed): pure, for the rule's tests."""
    if made is None:
        return False  # not asked
    charged = recorded is not None and recorded > 0
    if made != charged:
        return True
    return made and amount is not None and amount != recorded


def list_callbacks(
    uow: UnitOfWork, day: date | None, actor: Actor, *, status: str | None = None
) -> dict:
    """The callbacks drawn for ``day`` (all days when None), with the customer to call
    (masked for roles that may not see personal data)."""
    if status is not None and status not in ("pending", *CALLBACK_OUTCOMES):
        raise InvalidInput("`status` must be pending, done or unreachable", "status")
    rows = repo.list_callbacks(uow.cur, sampled_on=day, status=status)
    draw = repo.get_callback_draw(uow.cur, day) if day is not None else None
    return {
        "date": None if day is None else day.isoformat(),
        "drawn": draw is not None if day is not None else None,
        "callbacks": [_callback_view(uow.cur, r, actor, personal=True) for r in rows],
    }


def satisfaction_report(uow: UnitOfWork, since: date, until: date) -> dict:
    """Satisfaction of the callbacks made from ``since`` to ``until`` (UTC dates, both
    included): the mean attitude and skill scores (1 to 10) and their mean, overall, per
    worker and per job type; the answers to follow up; how many customers were unsatisfied,
    how many jobs that re-opened, how many customers could not be reached."""
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput(f"`{name}` must be a calendar date (YYYY-MM-DD)", name)
    if since > until:
        raise InvalidInput("`since` must not be after `until`", "since")
    start = datetime.combine(since, time(0), UTC)
    end = datetime.combine(until + timedelta(days=1), time(0), UTC)
    rows = repo.callbacks_called_between(uow.cur, start, end)
    answered = [r for r in rows if r["status"] == "done"]
    answers = [_answer(r) for r in answered]
    type_of = {int(r["ticket_id"]): r["ticket_type"] for r in answered}
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "calls": len(rows),
        "answered": len(answered),
        "unreachable": sum(r["status"] == "unreachable" for r in rows),
        "unsatisfied": sum(is_unsatisfied(a, threshold=UNSATISFIED_BELOW) for a in answers),
        "reopened": sum(bool(r["reopened"]) for r in answered),
        "overall": _satisfaction(satisfaction(answers)),
        "by_worker": {
            str(w): _satisfaction(s) for w, s in sorted(satisfaction_by(answers).items())
        },
        "by_type": {
            str(t): _satisfaction(s)
            for t, s in sorted(satisfaction_by(answers, lambda a: type_of[a.ticket_id]).items())
        },
        "follow_ups": [
            {
                "callback_id": r["id"],
                "ticket_id": a.ticket_id,
                "worker": a.worker,
                "attire": a.attire,
                "punctuality": a.punctuality,
                "issues": a.issues,
            }
            for a, r in zip(answers, answered, strict=True)
            if a.needs_follow_up
        ],
    }


def _jobs_to_consider(cur, today: date, window_days: tuple[int, int]) -> list[FinishedJob]:
    """Closed jobs whose finish day (UTC) lies in the window, less those an earlier draw
    already considered. A bad window is left for the sampler to refuse."""
    try:
        lo, hi = (int(d) for d in window_days)
    except (TypeError, ValueError):
        return []
    if not 0 <= lo <= hi:
        return []
    first, last = today - timedelta(days=hi), today - timedelta(days=lo)
    end = datetime.combine(last + timedelta(days=1), time(0), UTC)
    rows = desk.closed_jobs(
        cur, closed_from=datetime.combine(first, time(0), UTC), closed_before=end
    )
    # Closed again after an unsatisfied call: called at the next draw, window or not.
    until = datetime.combine(today, time(0), UTC)
    must_call = {
        int(r["ticket_id"]): r for r in desk.jobs_to_call_until_satisfied(cur, closed_before=until)
    }
    rows = [r for r in rows if int(r["ticket_id"]) not in must_call]
    # A draw on day d considered the jobs finished d - hi' .. d - lo', so it can only have
    # been made between first + lo' and last + hi'; windows are days, not months.
    others = [
        d
        for d in repo.callback_draws_between(cur, first, last + timedelta(days=60))
        if d["sampled_on"] != today
    ]
    jobs = [_finished_job(row, must_call=True) for row in must_call.values()]
    for row in rows:
        finished_at = row["closed_at"].astimezone(UTC)
        finished_on = finished_at.date()
        if any(
            d["window_lo"] <= (d["sampled_on"] - finished_on).days <= d["window_hi"]
            and d["drawn_at"] >= finished_at
            for d in others
        ):
            continue
        jobs.append(_finished_job(row, must_call=False))
    return jobs


def _finished_job(row: dict, *, must_call: bool) -> FinishedJob:
    return FinishedJob(
        int(row["ticket_id"]),
        row["ticket_type"],
        row["worker"],
        row["closed_at"].astimezone(UTC),
        paid=bool(row["paid"]),
        staff=tuple(row["staff"] or ()),
        own_brand=bool(row["own_brand"]),
        counter=bool(row["counter_business"]),
        must_call=must_call,
    )


def _draw_answer(cur, draw: dict, *, already: bool) -> dict:
    rows = repo.list_callbacks(cur, sampled_on=draw["sampled_on"])
    return {
        "date": draw["sampled_on"].isoformat(),
        "seed": int(draw["seed"]),
        "already_drawn": already,
        "window_days": [draw["window_lo"], draw["window_hi"]],
        "drawn_by": draw["drawn_by"],
        "drawn_at": draw["drawn_at"].isoformat(),
        "by_type": {
            t: {"selected": sel, "eligible": eligible}
            for t, (sel, eligible) in draw["by_type"].items()
        },
        "by_worker": draw["by_worker"],
        "callbacks": [_callback_view(cur, r, None, personal=False) for r in rows],
    }


def _recorded(cur, callback_id: int, actor: Actor, *, unsatisfied: bool) -> dict:
    row = repo.get_callback(cur, callback_id)
    return {
        "callback": _callback_view(cur, row, actor, personal=False),
        "unsatisfied": unsatisfied,
        "follow_up": row["follow_up"],
        "reopened": row["reopened"],
        "ticket_status": row["ticket_status"],
    }


def _callback_view(cur, row: dict, actor: Actor | None, *, personal: bool) -> dict:
    extra = desk.callback_desk_extras(cur, [row["id"]]).get(row["id"], {})
    view = {
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "number": row["number"],
        "type": row["ticket_type"],
        "ticket_status": row["ticket_status"],
        "worker": row["worker"],
        "date": row["sampled_on"].isoformat(),
        "finished_at": iso_time(row["finished_at"]),
        "status": row["status"],
        "attitude": row["attitude"],
        "skill": row["skill"],
        "attire": row["attire"],
        "punctuality": row["punctuality"],
        "issues": row["issues"],
        "follow_up": row["follow_up"],
        "reopened": row["reopened"],
        "called_by": row["called_by"],
        "called_at": iso_time(row["called_at"]),
        "staff": list(extra.get("staff") or []),
        "must_call": bool(extra.get("must_call")),
        "charge_made": extra.get("charge_made"),
        "charge_amount": _yuan(extra.get("charge_amount")),
        "charge_recorded": _yuan(extra.get("charge_recorded")),
        "charge_mismatch": bool(extra.get("charge_mismatch")),
        "follow_up_status": extra.get("follow_up_status"),
    }
    if personal and actor is not None:
        unmasked = sees_personal_data(actor, None)
        if unmasked and (row["caller_name"] or row["caller_phone"]):
            repo.log_personal_data_read(
                cur,
                username=actor.username,
                role=actor.role,
                subject=f"ticket:{row['ticket_id']}",
                purpose="callback list",
            )
        view["address"] = row["address"]
        view["customer_name"] = row["caller_name"] if unmasked else mask_name(row["caller_name"])
        view["customer_phone"] = (
            row["caller_phone"] if unmasked else mask_phone(row["caller_phone"])
        )
        view["personal_data_masked"] = not unmasked
    return view


def _yuan(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _answer(row: dict) -> CallbackAnswer:
    return CallbackAnswer(
        ticket_id=int(row["ticket_id"]),
        worker=row["worker"],
        attitude=int(row["attitude"]),
        skill=int(row["skill"]),
        attire=row["attire"],
        punctuality=row["punctuality"],
        issues=row["issues"],
    )


def _satisfaction(s: Satisfaction) -> dict:
    return asdict(s)

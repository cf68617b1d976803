"""The call-back desk's use cases beyond the draw and the answer (:mod:`callback_service`):
the script the agent reads, the follow-ups of fair or poor answers that a supervisor confirms
or rejects, and the appraisal per front-line employee that confirmed ones count in
(DOMAIN.md: "a fair or poor answer is followed up and, if confirmed, counts in that
worker's appraisal"). SQL in :mod:`dispatch.desk_repository`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from dispatch import desk_repository as desk
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.input_fields import MAX_TEXT
from dispatch.json_shapes import iso_time
from dispatch.unit_of_work import UnitOfWork

#: What a supervisor may decide.
DECISIONS = ("confirmed", "rejected")

#: The script read to the customer (回访话术), in the manual's order: greet, say who calls and
#: why, ask each question without leading (不可强求客户评分和引导客户评分), record, thank.
SCRIPT: dict[str, tuple[str, ...]] = {
    "zh-CN": (
        "您好，我是燃气公司客服中心回访员，工号____。",
        "您家{date}的{job}（工单{number}）已完成，想占用您一分钟做个回访，可以吗？",
        "请您为上门人员的服务态度打分，1到10分。",
        "请您为上门人员的专业能力打分，1到10分。",
        "上门人员的着装您觉得好、中还是差？",
        "上门是否准时？好、中还是差？",
        "这次服务是否收费？如有收费，金额是多少？",
        "您还有什么意见或建议吗？",
        "感谢您的支持，再见！",
    ),
    "en": (
        "Hello, this is the gas company's customer service, call-back agent no. ____.",
        "Your {job} (work order {number}) was finished on {date}. May I take a minute to ask"
        " how it went?",
        "How would you score the staff's attitude, from 1 to 10?",
        "And their professional skill, from 1 to 10?",
        "Was their attire good, fair or poor?",
        "Did they come on time? Good, fair or poor?",
        "Were you charged for this visit? If so, how much?",
        "Is there anything else you would like to tell us?",
        "Thank you for your time. Goodbye!",
    ),
}


def script(lang: str, *, job: str, number: str, day: str) -> list[str]:
    """The script's lines in ``lang`` ('zh-CN' or 'en') for one call."""
    lines = SCRIPT.get(lang, SCRIPT["en"])
    return [line.format(job=job, number=number, date=day) for line in lines]


def list_follow_ups(uow: UnitOfWork, *, status: str | None = None) -> list[dict]:
    """Follow-ups, newest first (``status``: open, confirmed or rejected)."""
    if status is not None and status not in ("open", *DECISIONS):
        raise InvalidInput("`status` must be open, confirmed or rejected", "status")
    return [_follow_up_view(r) for r in desk.list_follow_ups(uow.cur, status=status)]


def decide_follow_up(
    uow: UnitOfWork, follow_up_id: int, body: Mapping, actor: Actor, now: datetime
) -> dict:
    """A supervisor confirms or rejects a follow-up. Confirming names the ``employees`` at
    fault among the job's staff (all of them when not given); only then does it count in
    their appraisal. Deciding twice is a conflict."""
    if not isinstance(body, Mapping):
        raise InvalidInput("the request body must be a JSON object", "body")
    decision = body.get("decision")
    if decision not in DECISIONS:
        raise InvalidInput("`decision` must be confirmed or rejected", "decision")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_TEXT:
        raise InvalidInput(f"`note` must be text of at most {MAX_TEXT} characters", "note")
    row = desk.get_follow_up(uow.cur, follow_up_id, for_update=True)
    if row is None:
        raise NotFound(f"`follow_up_id`: no follow-up {follow_up_id}", "follow_up_id")
    if row["status"] != "open":
        raise Conflict(
            f"`follow_up_id`: follow-up {follow_up_id} was {row['status']} already",
            "follow_up_id",
        )
    staff = list(row["staff"])
    employees = body.get("employees")
    if decision == "rejected":
        if employees:
            raise InvalidInput("`employees`: a rejected follow-up names nobody", "employees")
        employees = []
    elif employees is None:
        employees = staff
    elif (
        not isinstance(employees, list)
        or not employees
        or not all(isinstance(e, str) and e in staff for e in employees)
    ):
        raise InvalidInput(
            f"`employees` must name some of the job's staff ({', '.join(staff)})", "employees"
        )
    desk.decide_follow_up(
        uow.cur,
        follow_up_id,
        status=decision,
        employees=sorted(set(employees)),
        by=actor.username,
        at=now,
        note=note,
    )
    return _follow_up_view(desk.get_follow_up(uow.cur, follow_up_id))


def appraisal(uow: UnitOfWork, since: date, until: date) -> dict:
    """Confirmed follow-ups per front-line employee, decided from ``since`` to ``until`` (UTC
    dates, both included), most first."""
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput(f"`{name}` must be a calendar date (YYYY-MM-DD)", name)
    if since > until:
        raise InvalidInput("`since` must not be after `until`", "since")
    rows = desk.appraisal(
        uow.cur,
        since=datetime.combine(since, time(0), UTC),
        before=datetime.combine(until + timedelta(days=1), time(0), UTC),
    )
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "employees": [
            {
                "employee_no": r["employee_no"],
                "name": r["name"],
                "crew": r["crew"],
                "confirmed": int(r["confirmed"]),
                "attire": int(r["attire"]),
                "punctuality": int(r["punctuality"]),
            }
            for r in rows
        ],
    }


def crew_members(uow: UnitOfWork) -> list[dict]:
    """The crews' named members (the front-line employees)."""
    return [dict(r) for r in desk.crew_members(uow.cur)]


def _follow_up_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "callback_id": row["callback_id"],
        "ticket_id": row["ticket_id"],
        "number": row["number"],
        "crew": row["crew"],
        "staff": list(row["staff"]),
        "attire": row["attire"],
        "punctuality": row["punctuality"],
        "issues": row["issues"],
        "opened_at": iso_time(row["opened_at"]),
        "status": row["status"],
        "employees": list(row["employees"]),
        "decided_by": row["decided_by"],
        "decided_at": iso_time(row["decided_at"]),
        "note": row["note"],
    }

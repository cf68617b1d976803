"""Meter reading's use cases: a meter's readings for the customer's file, the tasks the scan
raised, and refunds and top-ups of billed gas through their chain of approvals
(:mod:`dispatch.meter_approvals`). Each takes a unit of work and the acting user, and checks
the role first (:data:`dispatch.auth.PERMISSIONS`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from dispatch import auth
from dispatch import meter_approvals as approvals_rules
from dispatch import meter_repository as repo
from dispatch.actor import Actor
from dispatch.errors import InvalidInput, NotFound
from dispatch.meter_figures import month_figures as figures_of
from dispatch.meter_rules import TASK_KINDS, add_months
from dispatch.unit_of_work import UnitOfWork

TASK_STATUSES = ("open", "done", "cancelled")
ADJUSTMENT_STATUSES = ("pending", "applied", "rejected")


def _number(value) -> float | None:
    return None if value is None else float(value)


def _reading_view(row: dict) -> dict:
    return {
        "read_on": row["read_on"].isoformat(),
        "reading_m3": _number(row["reading_m3"]),
        "consumption_m3": _number(row["consumption"]),
        "reader": row["reader"],
        "source": row["source"],
    }


def _task_view(row: dict) -> dict:
    return {
        "id": row["id"],
        "meter_id": row["meter_id"],
        "meter_no": row["meter_no"],
        "account_no": row["account_no"],
        "kind": row["kind"],
        "month": row["month"].isoformat()[:7],
        "consumption_m3": _number(row["consumption_m3"]),
        "detail": row["detail"],
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
    }


def _adjustment_view(row: dict, signed: list[dict]) -> dict:
    required = list(row["required_roles"])
    step = approvals_rules.next_step(required, len(signed)) if row["status"] == "pending" else None
    return {
        "id": row["id"],
        "meter_id": row["meter_id"],
        "direction": row["direction"],
        "volume_m3": _number(row["volume_m3"]),
        "reason": row["reason"],
        "status": row["status"],
        "required_roles": required,
        "next_role": step[1] if step else None,
        "requested_by": row["requested_by"],
        "requested_role": row["requested_role"],
        "requested_at": row["requested_at"].isoformat(),
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
        "approvals": [
            {
                "step": a["step"],
                "role": a["role"],
                "decision": a["decision"],
                "by": a["decided_by"],
                "at": a["decided_at"].isoformat(),
                "note": a["note"],
            }
            for a in signed
        ],
    }


def _meter_or_404(uow: UnitOfWork, meter_id: int) -> dict:
    found = repo.meter(uow.cur, meter_id)
    if found is None:
        raise NotFound(f"no meter {meter_id}", "meter_id")
    return found


def readings_of(
    uow: UnitOfWork, meter_id: int, actor: Actor, *, since: date | None = None, limit: int = 24
) -> dict:
    """A meter's file for the hotline page: its readings (newest first, ``limit`` of them),
    its tasks and its refunds and top-ups."""
    auth.require(actor, "meters.readings")
    found = _meter_or_404(uow, meter_id)
    return {
        "meter_id": found["id"],
        "meter_no": found["meter_no"],
        "account_no": found["account_no"],
        "category": found["category"],
        "readings": [
            _reading_view(r) for r in repo.readings(uow.cur, meter_id, since=since, limit=limit)
        ],
        "tasks": [
            _task_view(t)
            for t in repo.tasks(
                uow.cur, kind=None, status=None, month=None, meter_id=meter_id, limit=100
            )
        ],
        "adjustments": [
            _adjustment_view(a, repo.approvals(uow.cur, a["id"]))
            for a in repo.adjustments_of_meter(uow.cur, meter_id)
        ],
    }


def recent_readings(uow: UnitOfWork, meter_ids: list[int], *, per_meter: int = 12) -> list[dict]:
    """The last ``per_meter`` readings of each of a customer's meters, newest first, for the
    customer's file (whoever may open the file may see them: no check of its own here)."""
    found = [
        {"meter_id": meter_id, **_reading_view(row)}
        for meter_id in meter_ids
        for row in repo.readings(uow.cur, meter_id, since=None, limit=per_meter)
    ]
    return sorted(found, key=lambda r: r["read_on"], reverse=True)


def list_tasks(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: str | None = None,
    status: str | None = "open",
    month: date | None = None,
    limit: int = 100,
) -> list[dict]:
    auth.require(actor, "meters.tasks")
    if kind is not None and kind not in TASK_KINDS:
        raise InvalidInput(f"`kind` must be one of {', '.join(TASK_KINDS)}", "kind")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInput(f"`status` must be one of {', '.join(TASK_STATUSES)}", "status")
    month = date(month.year, month.month, 1) if month else None
    rows = repo.tasks(uow.cur, kind=kind, status=status, month=month, meter_id=None, limit=limit)
    return [_task_view(r) for r in rows]


def request_adjustment(uow: UnitOfWork, body: dict, actor: Actor, now: datetime) -> dict:
    """A refund or top-up awaiting its approvals (which depend on the volume)."""
    auth.require(actor, "meters.adjust")
    direction = body.get("direction")
    if direction not in approvals_rules.DIRECTIONS:
        raise InvalidInput("`direction` must be refund or top_up", "direction")
    volume = Decimal(str(body.get("volume_m3")))
    reason = (body.get("reason") or "").strip()
    if not reason:
        raise InvalidInput("`reason`: the reader's account of what happened is required", "reason")
    _meter_or_404(uow, body["meter_id"])
    required = approvals_rules.required_roles(volume)
    new_id = repo.insert_adjustment(
        uow.cur,
        {
            "meter_id": body["meter_id"],
            "direction": direction,
            "volume_m3": volume,
            "reason": reason,
            "required_roles": list(required),
            "requested_by": actor.username,
            "requested_role": actor.role,
            "requested_at": now,
        },
    )
    return get_adjustment(uow, new_id, actor, _checked=True)


def get_adjustment(uow: UnitOfWork, adjustment_id: int, actor: Actor, *, _checked=False) -> dict:
    if not _checked:
        auth.require(actor, "meters.adjustments")
    row = repo.adjustment(uow.cur, adjustment_id)
    if row is None:
        raise NotFound(f"no adjustment {adjustment_id}", "adjustment_id")
    return _adjustment_view(row, repo.approvals(uow.cur, adjustment_id))


def decide_adjustment(
    uow: UnitOfWork, adjustment_id: int, body: dict, actor: Actor, now: datetime
) -> dict:
    """The next step's approval or rejection by a user of that step's role; the adjustment
    applies when its last step approves."""
    auth.require(actor, "meters.approve")
    decision = body.get("decision")
    if decision not in approvals_rules.DECISIONS:
        raise InvalidInput("`decision` must be approved or rejected", "decision")
    row = repo.adjustment(uow.cur, adjustment_id, for_update=True)
    if row is None:
        raise NotFound(f"no adjustment {adjustment_id}", "adjustment_id")
    signed = repo.approvals(uow.cur, adjustment_id)
    required = list(row["required_roles"])
    step, role = approvals_rules.check_signer(
        row["status"],
        required,
        signed,
        role=actor.role,
        username=actor.username,
        requested_by=row["requested_by"],
    )
    repo.insert_approval(
        uow.cur,
        adjustment_id,
        {
            "step": step,
            "role": role,
            "decision": decision,
            "decided_by": actor.username,
            "decided_at": now,
            "note": (body.get("note") or "").strip() or None,
        },
    )
    status = approvals_rules.status_after(required, [a["decision"] for a in signed] + [decision])
    if status != "pending":
        repo.set_adjustment_status(uow.cur, adjustment_id, status, now)
    return get_adjustment(uow, adjustment_id, actor, _checked=True)


# --- the meter desk (dashboards/pages/meter_desk.py) -----------------------------------------


def month_figures(uow: UnitOfWork, actor: Actor, month: date) -> dict:
    """A reading month's figures (:func:`dispatch.meter_figures.month_figures`)."""
    auth.require(actor, "meters.figures")
    first = date(month.year, month.month, 1)
    counts = repo.month_counts(uow.cur, first, add_months(first, 1))
    return figures_of(first, counts["due"], counts["read"], repo.task_counts(uow.cur, first))


def list_adjustments(
    uow: UnitOfWork, actor: Actor, *, status: str | None = "pending", limit: int = 50
) -> list[dict]:
    """Refunds and top-ups (waiting ones by default), oldest first, each with its chain of
    approvals and its meter's numbers."""
    auth.require(actor, "meters.adjustments")
    if status is not None and status not in ADJUSTMENT_STATUSES:
        raise InvalidInput(f"`status` must be one of {', '.join(ADJUSTMENT_STATUSES)}", "status")
    rows = repo.adjustments_by_status(uow.cur, status, limit)
    signed = repo.approvals_of(uow.cur, [r["id"] for r in rows])
    return [
        _adjustment_view(r, signed[r["id"]])
        | {"meter_no": r["meter_no"], "account_no": r["account_no"]}
        for r in rows
    ]


def meter_numbered(uow: UnitOfWork, number: str, actor: Actor) -> dict:
    """The meter a person names by its meter number or its account number, for the
    adjustment form."""
    auth.require(actor, "meters.adjust")
    number = (number or "").strip()
    if not number:
        raise InvalidInput("`meter_no`: the meter or account number is required", "meter_no")
    found = repo.meter_by_number(uow.cur, number)
    if found is None:
        raise NotFound(f"no meter or account {number}", "meter_no")
    return found

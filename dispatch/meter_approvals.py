"""Who signs a refund or top-up of billed gas (气费退补), from the manual's rules:

- every refund or top-up is approved by the system administrator (所有退补均需系统管理员进行审批);
- over 500 m³ the meter-reading team lead and the department manager review it first
  (大于500方…经班组长、部门经理审核);
- over 1,000 m³ the finance manager reviews it too and the vice-president in charge approves
  it (大于1000方…部门经理、财务经理审核后，由分管副总审批).

The steps are taken in that order, each by a user holding exactly that role (an administrator
does not stand in for a manager); the adjustment applies once the last step approves, and any
step may reject it, which ends it. Pure functions: the service stores what they decide.
"""

from __future__ import annotations

from decimal import Decimal

from dispatch.errors import Conflict, InvalidInput, PermissionDenied

REVIEW_ABOVE_M3 = Decimal(500)
VICE_PRESIDENT_ABOVE_M3 = Decimal(1000)
DIRECTIONS = ("refund", "top_up")
DECISIONS = ("approved", "rejected")
#: Every role that signs some step, in the order the steps are taken.
SIGNING_ROLES = ("meter_team_lead", "manager", "finance_manager", "vice_president", "admin")


def required_roles(volume_m3: Decimal | float | int) -> tuple[str, ...]:
    """The roles that must approve an adjustment of this volume, in order."""
    volume = Decimal(str(volume_m3))
    if volume <= 0:
        raise InvalidInput("`volume_m3` must be more than 0", "volume_m3")
    if volume > VICE_PRESIDENT_ABOVE_M3:
        return ("meter_team_lead", "manager", "finance_manager", "vice_president", "admin")
    if volume > REVIEW_ABOVE_M3:
        return ("meter_team_lead", "manager", "admin")
    return ("admin",)


def next_step(required: tuple[str, ...] | list[str], decided: int) -> tuple[int, str] | None:
    """The next step (1-based) and its role after ``decided`` approvals; None when complete."""
    return (decided + 1, required[decided]) if decided < len(required) else None


def check_signer(
    status: str,
    required: tuple[str, ...] | list[str],
    approvals: list[dict],
    *,
    role: str,
    username: str,
    requested_by: str,
) -> tuple[int, str]:
    """The step this user's decision fills, or why they may not decide now: a pending
    adjustment (409), the role the next step needs (403, naming both roles), nobody signing
    twice nor their own request (403)."""
    if status != "pending":
        raise Conflict(f"the adjustment is {status} already; nothing is left to approve", "status")
    step = next_step(required, len(approvals))
    if step is None:  # pragma: no cover - a complete chain is never pending
        raise Conflict("every approval is given already", "status")
    number, needed = step
    if role != needed:
        waiting = ", ".join(required[len(approvals) :])
        raise PermissionDenied(
            f"role {role} may not sign step {number}: it needs role {needed}"
            f" (still to sign, in order: {waiting})",
            "role",
        )
    if username == requested_by:
        raise PermissionDenied(
            f"{username} requested this adjustment and may not approve it", "role"
        )
    if any(a["decided_by"] == username for a in approvals):
        raise PermissionDenied(f"{username} has signed a step of this adjustment already", "role")
    return number, needed


def status_after(required: tuple[str, ...] | list[str], decisions: list[str]) -> str:
    """pending, applied (every step approved) or rejected (any step rejected)."""
    if "rejected" in decisions:
        return "rejected"
    return "applied" if len(decisions) == len(required) else "pending"


def may_sign(
    status: str,
    required: tuple[str, ...] | list[str],
    approvals: list[dict],
    *,
    role: str | None,
    username: str | None,
    requested_by: str,
) -> bool:
    """Whether this user may decide the adjustment's next step now (what the meter desk asks
    before drawing the approve and reject buttons): the same rule as :func:`check_signer`."""
    try:
        check_signer(
            status,
            required,
            approvals,
            role=role or "",
            username=username or "",
            requested_by=requested_by,
        )
    except (Conflict, PermissionDenied):
        return False
    return True

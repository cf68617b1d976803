"""What the desks need from a work order's intake (called by
:func:`dispatch.ticket_service.open_ticket` in its transaction): a ticket of type complaint
opens its complaint, linked to it, so a complaint phoned in is one record with one deadline;
an appliance job carries whether the appliance is of the company's own brand, and a job
taken at the counter is marked counter business (both decide the call-back shares)."""

from __future__ import annotations

from collections.abc import Mapping

from dispatch import complaint_service
from dispatch import desk_repository as desk
from dispatch.actor import Actor
from dispatch.errors import InvalidInput

#: Fields of a work order that only the desks read.
FLAGS = ("own_brand", "counter_business")


def record_intake(uow, ticket_id: int, ticket_type: str, data: Mapping, actor: Actor, now) -> None:
    flags = {name: data.get(name, False) for name in FLAGS}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise InvalidInput(f"`{name}` must be true or false", name)
    appliance_id = data.get("appliance_id")
    if appliance_id is not None and (
        isinstance(appliance_id, bool) or not isinstance(appliance_id, int) or appliance_id < 1
    ):
        raise InvalidInput("`appliance_id` must be an appliance's id", "appliance_id")
    if any(flags.values()) or appliance_id is not None:
        desk.set_ticket_brand_flags(uow.cur, ticket_id, appliance_id=appliance_id, **flags)
    if ticket_type == "complaint":
        complaint_service.open_complaint_for_ticket(uow, ticket_id, data, actor, now)


def complaint_of_ticket(uow, ticket_id: int) -> int | None:
    return desk.complaint_of_ticket(uow.cur, ticket_id)

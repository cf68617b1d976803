"""The ticket lifecycle as a table: every legal move allowed, every other refused."""

from datetime import UTC, datetime

import pytest

from dispatch.errors import IllegalTransition, InvalidInput
from dispatch.ticket_model import STATUSES, TICKET_TYPES, TRANSITIONS, Ticket, default_priority

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _ticket(status="new", crew_id=None):
    return Ticket(None, "T-1", "gas_leak", 1, status, T0, crew_id=crew_id)


def _move(ticket, to):
    if to == "assigned":
        return ticket.assign(7, at=T0, actor="disp")
    return ticket.transition(to, at=T0, actor="disp", reason="because")


LEGAL = [(a, b) for a in STATUSES for b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a in STATUSES for b in STATUSES if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("current", "wanted"), LEGAL)
def test_every_legal_transition_is_taken_and_logged(current, wanted):
    ticket = _ticket(current, crew_id=3 if current != "new" else None)

    event = _move(ticket, wanted)

    assert ticket.status == wanted
    assert (event.from_status, event.to_status, event.actor) == (current, wanted, "disp")
    assert ticket.events == [event]
    assert ticket.version == 2


@pytest.mark.parametrize(("current", "wanted"), ILLEGAL)
def test_every_other_transition_is_refused_with_the_allowed_next_states(current, wanted):
    ticket = _ticket(current)

    with pytest.raises(IllegalTransition, match=f"cannot go from `{current}` to `{wanted}`") as e:
        _move(ticket, wanted)

    assert e.value.allowed == list(TRANSITIONS[current])
    assert ticket.status == current and ticket.events == []


def test_each_step_records_its_time_and_arrival_is_the_on_site_moment():
    ticket = _ticket()
    times = {}
    for minute, step in enumerate(
        ["assigned", "accepted", "en_route", "on_site", "made_safe", "repaired", "closed"], start=1
    ):
        at = T0.replace(minute=minute)
        times[step] = at
        if step == "assigned":
            ticket.assign(4, at=at, actor="d")
        else:
            ticket.transition(step, at=at, actor="d")

    assert ticket.steps["on_site_at"] == times["on_site"]
    assert ticket.steps["arrived_at"] == times["on_site"]
    assert ticket.steps["closed_at"] == times["closed"]
    assert ticket.crew_id == 4  # a closed ticket keeps the crew that did the job


def test_a_gps_arrival_before_on_site_counts_and_a_later_one_does_not():
    ticket = _ticket()
    ticket.assign(4, at=T0, actor="d")
    early = T0.replace(minute=20)

    assert ticket.record_arrival(early)
    ticket.transition("accepted", at=T0.replace(minute=21), actor="d")
    ticket.transition("en_route", at=T0.replace(minute=22), actor="d")
    ticket.transition("on_site", at=T0.replace(minute=25), actor="d")
    assert ticket.steps["arrived_at"] == early
    assert not ticket.record_arrival(T0.replace(minute=30))


def test_reassigning_names_the_previous_crew_and_is_logged_as_reassigned():
    ticket = _ticket()
    ticket.assign(4, at=T0, actor="d")

    event = ticket.assign(5, at=T0, actor="d", reason="closer crew")

    assert event.event_type == "reassigned"
    assert event.data["previous_crew_id"] == 4 and ticket.crew_id == 5


def test_cancelling_needs_a_reason():
    with pytest.raises(InvalidInput, match="`reason`: cancelling needs a reason"):
        _ticket().transition("cancelled", at=T0, actor="d")


def test_an_unknown_status_names_the_field():
    with pytest.raises(InvalidInput, match="`status`: unknown status 'teleported'"):
        _ticket().transition("teleported", at=T0, actor="d")


def test_emergency_types_are_p1_and_every_domain_type_is_known():
    assert {t for t, (category, _, _) in TICKET_TYPES.items() if category == "emergency"} == {
        "gas_leak",
        "third_party_damage",
        "fire_explosion",
        "no_gas_area",
    }
    assert all(default_priority(t) == 1 for t in ("gas_leak", "fire_explosion"))
    with pytest.raises(InvalidInput, match="`type`: unknown ticket type 'alien'"):
        default_priority("alien")

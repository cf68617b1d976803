"""Complaints (投诉): reply deadline, the closed loop, escalation, quarterly statistics."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dispatch.complaint_model import (
    Complaint,
    ComplaintEscalated,
    ComplaintStatusChanged,
    quarterly_stats,
    reply_deadline,
)
from dispatch.errors import IllegalTransition, InvalidInput

BEIJING = timezone(timedelta(hours=8))
NATIONAL_DAY = frozenset(date(2024, 10, d) for d in range(1, 8))


def _at(*args):
    return datetime(*args, tzinfo=BEIJING)


def _complaint(channel="hotline", received_at=None, **kwargs):
    return Complaint.receive(1, channel, received_at or _at(2024, 5, 6, 9), **kwargs)


def _replied(received_at, replied_at, **kwargs):
    c = _complaint(received_at=received_at, **kwargs)
    c.dispatch_to("customer_service", at=received_at, actor="agent")
    c.start_investigation(at=received_at, actor="cs")
    c.send_reply("explained the bill", at=replied_at, actor="cs")
    return c


# -- the reply deadline --------------------------------------------------------------------


def test_a_complaint_received_on_friday_afternoon_is_due_on_tuesday_afternoon():
    assert reply_deadline(_at(2024, 5, 10, 15, 0)) == _at(2024, 5, 14, 15, 0)


def test_a_complaint_received_midweek_is_due_two_days_later_at_the_same_time():
    assert reply_deadline(_at(2024, 5, 7, 9, 30)) == _at(2024, 5, 9, 9, 30)


def test_a_complaint_received_at_the_weekend_is_due_on_tuesday():
    assert reply_deadline(_at(2024, 5, 11, 10, 0)) == _at(2024, 5, 14, 10, 0)
    assert reply_deadline(_at(2024, 5, 12, 23, 0)) == _at(2024, 5, 14, 23, 0)


def test_public_holidays_are_not_working_days():
    # Monday 30 September: 1-7 October are the National Day holiday.
    assert reply_deadline(_at(2024, 9, 30, 11, 0), holidays=NATIONAL_DAY) == _at(2024, 10, 9, 11)
    assert reply_deadline(_at(2024, 9, 30, 11, 0)) == _at(2024, 10, 2, 11)


def test_a_make_up_working_day_at_the_weekend_counts():
    # Sunday 29 September 2024 was worked in exchange for the National Day holiday.
    friday = _at(2024, 9, 27, 15, 0)
    workdays = frozenset({date(2024, 9, 29)})

    due = reply_deadline(friday, holidays=NATIONAL_DAY, workdays=workdays)

    assert due == _at(2024, 9, 30, 15, 0)


def test_the_number_of_working_days_can_be_configured():
    assert reply_deadline(_at(2024, 5, 10, 15), working_days=1) == _at(2024, 5, 13, 15)
    assert reply_deadline(_at(2024, 5, 10, 15), working_days=0) == _at(2024, 5, 10, 15)
    assert reply_deadline(_at(2024, 5, 10, 15), working_days=5) == _at(2024, 5, 17, 15)


def test_the_deadline_keeps_the_local_clock_time_across_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")  # clocks went forward on Sunday 31 March 2024

    due = reply_deadline(datetime(2024, 3, 29, 15, 0, tzinfo=berlin))

    assert due == datetime(2024, 4, 2, 15, 0, tzinfo=berlin)
    assert due.utcoffset() == timedelta(hours=2)


def test_the_deadline_needs_an_aware_time_and_a_whole_number_of_days():
    with pytest.raises(InvalidInput, match="`received_at` must be a timezone-aware datetime"):
        reply_deadline(datetime(2024, 5, 10, 15))
    with pytest.raises(InvalidInput, match="`working_days` must be a whole number") as err:
        reply_deadline(_at(2024, 5, 10, 15), working_days=-1)
    assert err.value.field == "working_days"


def test_receiving_a_complaint_sets_its_reply_deadline_from_the_holidays_given():
    c = Complaint.receive(3, "website", _at(2024, 9, 30, 11), holidays=NATIONAL_DAY)

    assert c.status == "intake"
    assert c.reply_due_at == _at(2024, 10, 9, 11)


# -- overdue -------------------------------------------------------------------------------


def test_a_complaint_is_overdue_only_once_its_deadline_has_passed_without_a_reply():
    c = _complaint(received_at=_at(2024, 5, 10, 15))  # due Tuesday 14 May 15:00

    assert not c.is_overdue(_at(2024, 5, 14, 15, 0))
    assert c.is_overdue(_at(2024, 5, 14, 15, 1))


def test_a_replied_complaint_is_not_overdue_and_says_whether_it_was_on_time():
    on_time = _replied(_at(2024, 5, 10, 15), _at(2024, 5, 14, 14))
    late = _replied(_at(2024, 5, 10, 15), _at(2024, 5, 15, 9))

    assert not on_time.is_overdue(_at(2024, 6, 1, 0))
    assert not late.is_overdue(_at(2024, 6, 1, 0))
    assert on_time.replied_on_time is True
    assert late.replied_on_time is False
    assert _complaint().replied_on_time is None


def test_overdue_needs_an_aware_now():
    with pytest.raises(InvalidInput, match="`now` must be a timezone-aware datetime"):
        _complaint().is_overdue(datetime(2024, 5, 20))


# -- the loop ------------------------------------------------------------------------------


def test_a_complaint_goes_through_the_whole_loop_to_closure():
    c = _complaint(received_at=_at(2024, 5, 6, 9))

    c.dispatch_to("metering", at=_at(2024, 5, 6, 9, 5), actor="agent")
    c.start_investigation(at=_at(2024, 5, 6, 10), actor="metering")
    c.add_note("meter read twice in April", at=_at(2024, 5, 6, 11), author="metering")
    c.send_reply("refund of 35 m³ agreed", at=_at(2024, 5, 7, 16), actor="metering")
    c.record_callback("satisfied with the refund", at=_at(2024, 5, 9, 10), actor="callback")
    c.close(at=_at(2024, 5, 9, 11), actor="supervisor")

    assert c.status == "closed"
    assert c.department == "metering"
    assert c.reply == "refund of 35 m³ agreed"
    assert c.callback_result == "satisfied with the refund"
    assert c.closed_at == _at(2024, 5, 9, 11)
    assert [n.text for n in c.notes] == ["meter read twice in April"]
    assert [(e.from_status, e.to_status) for e in c.events] == [
        ("intake", "dispatched"),
        ("dispatched", "investigating"),
        ("investigating", "replied"),
        ("replied", "callback_done"),
        ("callback_done", "closed"),
    ]
    assert all(isinstance(e, ComplaintStatusChanged) for e in c.events)


def test_a_misrouted_complaint_can_be_dispatched_to_another_department():
    c = _complaint()
    c.dispatch_to("repair", at=_at(2024, 5, 6, 9, 5), actor="agent")

    event = c.dispatch_to("billing", at=_at(2024, 5, 6, 9, 30), actor="repair")

    assert c.department == "billing"
    assert (event.from_status, event.to_status, event.detail) == (
        "dispatched",
        "dispatched",
        "billing",
    )


def test_a_reply_cannot_be_sent_before_the_complaint_is_investigated():
    c = _complaint()

    with pytest.raises(IllegalTransition, match="cannot go from `intake` to `replied`") as err:
        c.send_reply("sorry", at=_at(2024, 5, 6, 10), actor="agent")

    assert err.value.allowed == ["dispatched"]
    assert c.status == "intake"
    assert c.reply is None
    assert c.events == []


_STEPS = {
    "dispatched": lambda c: c.dispatch_to("repair", at=_at(2024, 5, 6, 10), actor="a"),
    "investigating": lambda c: c.start_investigation(at=_at(2024, 5, 6, 10), actor="a"),
    "replied": lambda c: c.send_reply("answer", at=_at(2024, 5, 6, 10), actor="a"),
    "callback_done": lambda c: c.record_callback("ok", at=_at(2024, 5, 6, 10), actor="a"),
    "closed": lambda c: c.close(at=_at(2024, 5, 6, 10), actor="a"),
}
_LEGAL = {
    ("intake", "dispatched"),
    ("dispatched", "dispatched"),
    ("dispatched", "investigating"),
    ("investigating", "replied"),
    ("replied", "callback_done"),
    ("callback_done", "closed"),
}
_PATH = ["intake", "dispatched", "investigating", "replied", "callback_done", "closed"]


@pytest.mark.parametrize("status", _PATH)
@pytest.mark.parametrize("wanted", list(_STEPS))
def test_no_step_of_the_loop_can_be_skipped_or_taken_backwards(status, wanted):
    c = _complaint()
    for step in _PATH[1 : _PATH.index(status) + 1]:
        _STEPS[step](c)
    assert c.status == status

    if (status, wanted) in _LEGAL:
        _STEPS[wanted](c)
        assert c.status == wanted
    else:
        with pytest.raises(IllegalTransition, match=f"cannot go from `{status}` to `{wanted}`"):
            _STEPS[wanted](c)
        assert c.status == status


def test_a_complaint_cannot_be_closed_before_the_customer_is_called_back():
    c = _replied(_at(2024, 5, 6, 9), _at(2024, 5, 7, 9))

    with pytest.raises(IllegalTransition, match="allowed next: callback_done"):
        c.close(at=_at(2024, 5, 7, 10), actor="supervisor")
    assert c.closed_at is None


def test_a_closed_complaint_moves_nowhere():
    c = _replied(_at(2024, 5, 6, 9), _at(2024, 5, 7, 9))
    c.record_callback("ok", at=_at(2024, 5, 8, 9), actor="callback")
    c.close(at=_at(2024, 5, 8, 10), actor="supervisor")

    with pytest.raises(IllegalTransition, match=r"allowed next: none \(final state\)") as err:
        c.dispatch_to("repair", at=_at(2024, 5, 9, 9), actor="agent")
    assert err.value.current == "closed"
    assert c.department == "customer_service"


def test_a_reply_and_a_callback_must_say_something():
    c = _complaint()
    c.dispatch_to("repair", at=_at(2024, 5, 6, 9, 5), actor="agent")
    c.start_investigation(at=_at(2024, 5, 6, 10), actor="repair")

    with pytest.raises(InvalidInput, match="`reply` must be a non-empty string"):
        c.send_reply("  ", at=_at(2024, 5, 6, 11), actor="repair")
    assert c.status == "investigating"


# -- level and classification --------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "level", "transferred"),
    [
        ("hotline", 1, False),
        ("counter", 1, False),
        ("head_office", 2, True),  # 上级部门: a higher authority, level 2
        ("media", 2, True),
        ("government_hotline", 2, True),
    ],
)
def test_a_complaint_through_head_office_the_media_or_the_government_hotline_is_level_2(
    channel, level, transferred
):
    c = _complaint(channel)

    assert c.level == level
    assert c.is_transferred is transferred


def test_escalating_makes_a_complaint_level_2_once():
    c = _complaint()

    first = c.escalate(at=_at(2024, 5, 9, 9), actor="supervisor", reason="reply was late")
    again = c.escalate(at=_at(2024, 5, 9, 10), actor="supervisor", reason="customer called TV")

    assert (first, again) == (True, False)
    assert c.level == 2
    assert c.events == [
        ComplaintEscalated(1, _at(2024, 5, 9, 9), "supervisor", "reply was late"),
    ]


def test_escalating_needs_a_reason():
    with pytest.raises(InvalidInput, match="`reason` must be a non-empty string"):
        _complaint().escalate(at=_at(2024, 5, 9, 9), actor="supervisor", reason="")


def test_the_investigation_classifies_the_fault_and_names_the_worker():
    c = _complaint()

    c.classify("C", worker="W-017")

    assert (c.fault_class, c.worker) == ("C", "W-017")
    with pytest.raises(InvalidInput, match="`fault_class` must be A, B, C or None, not 'D'"):
        c.classify("D")
    assert c.fault_class == "C"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "fax"}, "`channel` must be one of counter, hotline"),
        ({"level": 3}, "`level` must be 1 or 2"),
        ({"level": True}, "`level` must be 1 or 2"),
        ({"fault_class": "a"}, "`fault_class` must be A, B, C or None"),
        ({"status": "open"}, "`status` must be one of intake"),
        ({"received_at": datetime(2024, 5, 6, 9)}, "`received_at` must be a timezone-aware"),
        ({"reply_due_at": _at(2024, 5, 5, 9)}, "`reply_due_at` must not be before"),
    ],
)
def test_a_complaint_with_a_bad_field_is_refused_naming_it(kwargs, message):
    fields = {
        "id": 1,
        "channel": "hotline",
        "level": 1,
        "received_at": _at(2024, 5, 6, 9),
        "reply_due_at": _at(2024, 5, 8, 9),
    } | kwargs

    with pytest.raises(InvalidInput, match=message):
        Complaint(**fields)


# -- quarterly statistics ------------------------------------------------------------------


def _quarter_of_complaints():
    q1_last = _complaint("hotline", _at(2024, 3, 31, 23, 30))
    a = _replied(_at(2024, 4, 1, 0, 10), _at(2024, 4, 2, 9))  # 31 March in UTC; on time
    a.classify("C", worker="W-017")
    b = _replied(_at(2024, 5, 10, 15), _at(2024, 5, 15, 9), channel="media")  # late, level 2
    b.classify("A", worker="W-102")
    c = _complaint("counter", _at(2024, 6, 3, 9))  # still at intake: no department
    c.classify("C", worker="W-017")
    d = _complaint("website", _at(2024, 6, 30, 23, 59))
    d.dispatch_to("metering", at=_at(2024, 7, 1, 8), actor="agent")
    d.escalate(at=_at(2024, 7, 3, 9), actor="supervisor", reason="handled badly")
    q3_first = _complaint("letter", _at(2024, 7, 1, 0, 0))
    return [q1_last, a, b, c, d, q3_first]


def test_quarterly_stats_count_the_complaints_received_in_the_quarter():
    stats = quarterly_stats(_quarter_of_complaints(), 2024, 2)

    assert stats["total"] == 4
    assert stats["by_fault_class"] == {"A": 1, "B": 0, "C": 2, "unclassified": 1}
    assert stats["by_level"] == {1: 2, 2: 2}
    assert stats["by_department"] == {"customer_service": 2, "metering": 1, "unassigned": 1}
    assert stats["by_worker"] == {"W-017": 2, "W-102": 1}
    assert stats["by_worker_and_class"]["W-017"] == {"A": 0, "B": 0, "C": 2, "unclassified": 0}
    assert stats["by_worker_and_class"]["W-102"]["A"] == 1
    assert (stats["unreplied"], stats["replied_on_time"], stats["replied_late"]) == (2, 1, 1)
    assert stats["closed"] == 0


def test_quarter_boundaries_follow_the_local_date_of_receipt():
    complaints = _quarter_of_complaints()

    assert quarterly_stats(complaints, 2024, 1)["total"] == 1
    assert quarterly_stats(complaints, 2024, 3)["total"] == 1
    assert quarterly_stats(complaints, 2023, 2)["total"] == 0


def test_an_empty_quarter_still_lists_every_class_and_level():
    stats = quarterly_stats([], 2024, 4)

    assert stats["by_fault_class"] == {"A": 0, "B": 0, "C": 0, "unclassified": 0}
    assert stats["by_level"] == {1: 0, 2: 0}
    assert stats["by_worker"] == {}


@pytest.mark.parametrize("quarter", [0, 5, "2", True])
def test_a_quarter_must_be_1_to_4(quarter):
    with pytest.raises(InvalidInput, match="`quarter` must be 1, 2, 3 or 4") as err:
        quarterly_stats([], 2024, quarter)
    assert err.value.field == "quarter"

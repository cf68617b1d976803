"""The manual's rules the call-back and complaint desks fix (issue 11), pure: the reply due
in 2 working days by the holiday calendar, level 2 for head office, the media and the
government, own-brand appliance jobs called at 100%, a job re-closed after an unsatisfied
call always called again, balancing per front-line employee, the charge mismatch, and a
re-opened ticket's new received time. Every figure is worked out by hand in the comments."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dispatch.callback_sampling import FinishedJob, draw_callback_sample
from dispatch.callback_service import charge_mismatch
from dispatch.complaint_model import Complaint, reply_deadline
from dispatch.errors import InvalidInput
from dispatch.holiday_calendar import load_calendar, parse_calendar
from dispatch.ticket_model import Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = load_calendar()  # the shipped data/holidays.csv
TODAY = date(2026, 5, 20)  # window (3, 5): jobs finished on 15, 16 and 17 May


def _due(received: datetime) -> datetime:
    return reply_deadline(received, 2, CAL.holidays, workdays=CAL.workdays)


# --- the reply deadline: 2 working days by the holiday calendar --------------------------------


def test_a_complaint_before_national_day_is_due_two_working_days_after_the_holiday():
    # Wed 30 Sep 2026 10:00; 1-7 Oct are holidays; Thu 8 Oct is working day 1, Fri 9 Oct is 2.
    received = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert _due(received) == datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    # Without the calendar it would have been Fri 2 Oct, a holiday.
    assert reply_deadline(received) == datetime(2026, 10, 2, 10, 0, tzinfo=SHANGHAI)


def test_a_make_up_saturday_counts_as_a_working_day():
    # Fri 9 Oct 2026 15:00; Sat 10 Oct is a make-up working day (1), Sun 11 is not, Mon 12 (2).
    received = datetime(2026, 10, 9, 15, 0, tzinfo=SHANGHAI)
    assert _due(received) == datetime(2026, 10, 12, 15, 0, tzinfo=SHANGHAI)
    # Plain Monday-to-Friday counting gives Tue 13 Oct.
    assert reply_deadline(received) == datetime(2026, 10, 13, 15, 0, tzinfo=SHANGHAI)


def test_the_spring_festival_make_up_saturday_and_the_holiday_week_both_count():
    # Fri 13 Feb 2026 09:00: Sat 14 Feb is worked (1); 15-23 Feb are holidays; Tue 24 Feb (2).
    received = datetime(2026, 2, 13, 9, 0, tzinfo=SHANGHAI)
    assert _due(received) == datetime(2026, 2, 24, 9, 0, tzinfo=SHANGHAI)


def test_the_complaint_model_takes_the_calendar_at_intake():
    c = Complaint.receive(
        None,
        "hotline",
        datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI),
        holidays=CAL.holidays,
        workdays=CAL.workdays,
    )
    assert c.reply_due_at == datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)


def test_a_site_calendar_is_read_from_its_file_and_a_bad_line_is_refused_naming_the_field():
    cal = parse_calendar(
        ["date,kind,name", "# a comment", "2027-03-01,holiday,x", "2027-03-06,workday,"]
    )
    assert cal.holidays == {date(2027, 3, 1)} and cal.workdays == {date(2027, 3, 6)}
    with pytest.raises(InvalidInput) as bad_kind:
        parse_calendar(["date,kind", "2027-03-01,day off"])
    assert bad_kind.value.field == "kind"
    with pytest.raises(InvalidInput) as bad_date:
        parse_calendar(["date,kind", "1 March,holiday"])
    assert bad_date.value.field == "date"


def test_the_shipped_calendar_holds_2026_and_2027():
    assert date(2026, 10, 1) in CAL.holidays and date(2027, 10, 1) in CAL.holidays
    assert date(2026, 10, 10) in CAL.workdays and date(2027, 2, 20) in CAL.workdays


# --- level 2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "level"),
    [
        ("head_office", 2),  # 上级部门
        ("government_hotline", 2),
        ("media", 2),
        ("hotline", 1),
        ("counter", 1),
        ("website", 1),
    ],
)
def test_complaints_to_higher_authorities_media_and_head_office_are_level_2(channel, level):
    c = Complaint.receive(None, channel, datetime(2026, 5, 6, 9, tzinfo=SHANGHAI))
    assert c.level == level


# --- call-back sampling ------------------------------------------------------------------------


def _jobs(first_id, count, ticket_type, *, worker="C1", staff=(), day=16, **flags):
    at = datetime(2026, 5, day, 10, tzinfo=SHANGHAI)
    return [
        FinishedJob(
            first_id + i, ticket_type, worker, at + timedelta(minutes=i), staff=staff, **flags
        )
        for i in range(count)
    ]


def test_own_brand_appliance_jobs_are_all_called_and_other_brands_at_their_share():
    # 10 own-brand repairs: 100% = 10; 10 other-brand repairs at 10% = 1.
    jobs = _jobs(1, 10, "appliance_repair", own_brand=True) + _jobs(100, 10, "appliance_repair")

    for seed in range(5):
        sample = draw_callback_sample(jobs, today=TODAY, seed=seed)
        assert sample.by_type == {"own_brand_appliance": (10, 10), "appliance_repair": (1, 10)}
        assert {j.ticket_id for j in sample.selected} >= set(range(1, 11))


def test_a_job_reclosed_after_an_unsatisfied_call_is_always_called_whatever_its_share():
    # Free repairs at a share of 0: none is called, but the re-closed one always is, even
    # when it finished 9 days before (before the window of 15-17 May).
    reclosed = FinishedJob(
        99, "free_repair", "C1", datetime(2026, 5, 11, 9, tzinfo=SHANGHAI), must_call=True
    )
    jobs = [*_jobs(1, 20, "free_repair"), reclosed]
    for seed in range(5):
        sample = draw_callback_sample(jobs, today=TODAY, seed=seed, quotas={"free_repair": 0.0})
        assert [j.ticket_id for j in sample.selected] == [99]
        assert sample.by_type == {"free_repair": (0, 20), "until_satisfied": (1, 1)}


def test_a_reclosed_job_is_called_even_when_its_quota_is_configured_lower():
    job = FinishedJob(
        7, "free_repair", "C1", datetime(2026, 5, 16, 9, tzinfo=SHANGHAI), must_call=True
    )
    sample = draw_callback_sample([job], today=TODAY, seed=1, quotas={"until_satisfied": 0.0})
    assert [j.ticket_id for j in sample.selected] == [7]


def test_calls_are_balanced_per_front_line_employee_not_per_crew():
    # Crew C1's 20 inspections were done 10 by E1 and 10 by E2; crew C2's 10 by E3.
    # 10% of 30 = 3 calls. Per crew, C1 could get 2 calls both about E1; per employee each of
    # E1, E2 and E3 is called exactly once, whatever the seed.
    jobs = (
        _jobs(1, 10, "safety_inspection", worker="C1", staff=("E1",))
        + _jobs(100, 10, "safety_inspection", worker="C1", staff=("E2",))
        + _jobs(200, 10, "safety_inspection", worker="C2", staff=("E3",))
    )
    for seed in range(30):
        sample = draw_callback_sample(jobs, today=TODAY, seed=seed)
        called = Counter(e for j in sample.selected for e in j.employees)
        assert called == {"E1": 1, "E2": 1, "E3": 1}, seed
        assert sample.by_worker == {"E1": 1, "E2": 1, "E3": 1}


def test_a_job_done_by_two_employees_counts_for_both():
    # E1 and E2 together did 10 jobs; E3 alone 10. 10% of 20 = 2 calls: one of each kind,
    # since after a call about E1+E2 the job with the least-called staff is E3's.
    jobs = _jobs(1, 10, "free_repair", staff=("E1", "E2")) + _jobs(
        100, 10, "free_repair", worker="C2", staff=("E3",)
    )
    for seed in range(20):
        sample = draw_callback_sample(jobs, today=TODAY, seed=seed)
        assert sample.by_worker == {"E1": 1, "E2": 1, "E3": 1}, seed


# --- the charge question -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "amount", "recorded", "mismatch"),
    [
        (None, None, Decimal("35.00"), False),  # not asked
        (True, Decimal("35.00"), Decimal("35.00"), False),  # as signed for
        (True, None, Decimal("35.00"), False),  # charged, amount not remembered
        (True, Decimal("50.00"), Decimal("35.00"), True),  # another amount
        (False, None, Decimal("35.00"), True),  # the job records a charge the customer denies
        (True, Decimal("20.00"), None, True),  # a charge nobody recorded
        (True, Decimal("20.00"), Decimal("0.00"), True),
        (False, None, None, False),
        (False, None, Decimal("0.00"), False),
    ],
)
def test_a_charge_the_job_does_not_record_is_flagged(made, amount, recorded, mismatch):
    assert charge_mismatch(made, amount, recorded) is mismatch


# --- a re-opened ticket starts its clocks again ------------------------------------------------


def test_a_reopened_ticket_is_received_again_at_the_reopening():
    first = datetime(2026, 5, 1, 8, 0, tzinfo=SHANGHAI)
    reopened_at = datetime(2026, 5, 6, 14, 30, tzinfo=SHANGHAI)
    ticket = Ticket(1, "T-1", "indoor_leak_repair", 2, "closed", first, crew_id=3)

    event = ticket.transition("new", at=reopened_at, actor="cb", reason="not satisfied")

    assert ticket.received_at == reopened_at
    assert event.data["previous_received_at"] == first.isoformat()
    assert ticket.steps["arrived_at"] is None and ticket.crew_id is None

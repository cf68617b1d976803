"""Callback sampling (回访) and satisfaction (pure: no database)."""

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from dispatch.callback_sampling import (
    QUOTAS,
    CallbackAnswer,
    FinishedJob,
    Satisfaction,
    draw_callback_sample,
    follow_ups,
    is_unsatisfied,
    sample_size,
    satisfaction,
    satisfaction_by,
)
from dispatch.errors import InvalidInput

BEIJING = timezone(timedelta(hours=8))
TODAY = date(2024, 5, 10)  # window (3, 5): jobs finished on 5, 6 and 7 May
WORKERS = [f"W{i:02d}" for i in range(8)]
ALWAYS = ["indoor_leak_repair", "gas_leak", "paid_repair"]
TENTH = ["indoor_modification", "gas_on_ignition", "free_repair", "safety_inspection"]


def _job(ticket_id, ticket_type="paid_repair", worker="W00", at=None):
    return FinishedJob(
        ticket_id, ticket_type, worker, at or datetime(2024, 5, 6, 10, tzinfo=BEIJING)
    )


def _jobs_on(day, ticket_type, count, *, worker="W00", first_id=1):
    """``count`` jobs of one type and worker finished on ``day`` (10:00, 10:01, ...)."""
    start = datetime(day.year, day.month, day.day, 10, tzinfo=BEIJING)
    return [
        _job(first_id + i, ticket_type, worker, start + timedelta(minutes=i)) for i in range(count)
    ]


def _month_of_jobs():
    """April and May 2024 in a Beijing depot: every day, for every one of 8 workers, a few jobs
    of every field type, plus non-field tickets. Worker i does 2 + i safety inspections a day,
    so the workers' loads differ a lot."""
    jobs, next_id = [], 1
    per_day = {t: 1 for t in ALWAYS} | {t: 3 for t in TENTH} | {"meter_fault": 2, "complaint": 1}
    start = datetime(2024, 4, 20, 8, tzinfo=BEIJING)
    for day in range(30):
        for w, worker in enumerate(WORKERS):
            for ticket_type, count in per_day.items():
                if ticket_type == "safety_inspection":
                    count = 2 + w
                for k in range(count):
                    at = start + timedelta(days=day, minutes=37 * k + 5 * w)
                    jobs.append(FinishedJob(next_id, ticket_type, worker, at))
                    next_id += 1
    return jobs


# -- quotas --------------------------------------------------------------------------------


def test_every_leak_paid_repair_and_own_brand_appliance_job_in_the_window_is_called_back():
    jobs = []
    for n, ticket_type in enumerate(ALWAYS):
        jobs += _jobs_on(date(2024, 5, 6), ticket_type, 7, worker=WORKERS[n], first_id=100 * n)
    own = datetime(2024, 5, 6, 11, tzinfo=BEIJING)
    for n, ticket_type in enumerate(("appliance_repair", "appliance_installation")):
        jobs += [
            FinishedJob(500 + 10 * n + i, ticket_type, "W07", own, own_brand=True) for i in range(7)
        ]

    sample = draw_callback_sample(jobs, today=TODAY, seed=1)

    assert sorted(j.ticket_id for j in sample.selected) == sorted(j.ticket_id for j in jobs)
    assert sample.by_type == {t: (7, 7) for t in ALWAYS} | {"own_brand_appliance": (14, 14)}


@pytest.mark.parametrize(
    ("eligible", "expected"),
    [(25, 3), (24, 2), (35, 4), (36, 4), (15, 2), (14, 1), (5, 1), (1, 1), (0, 0)],
)
def test_a_tenth_is_rounded_half_up_and_is_at_least_one_call(eligible, expected):
    assert sample_size(0.1, eligible) == expected


@pytest.mark.parametrize("ticket_type", TENTH)
def test_ten_percent_types_take_a_tenth_of_their_jobs_rounded_half_up(ticket_type):
    jobs = []
    for w, worker in enumerate(WORKERS[:5]):
        jobs += _jobs_on(date(2024, 5, 7), ticket_type, 5, worker=worker, first_id=10 * w)

    sample = draw_callback_sample(jobs, today=TODAY, seed=7)

    assert sample.by_type == {ticket_type: (3, 25)}  # 2.5 rounds up to 3
    assert len(sample.selected) == 3


def test_other_field_types_use_the_default_share_and_non_field_types_are_never_sampled():
    jobs = (
        _jobs_on(date(2024, 5, 5), "meter_fault", 20, first_id=1)
        + _jobs_on(date(2024, 5, 5), "third_party_damage", 4, first_id=100)
        + _jobs_on(date(2024, 5, 5), "consultation", 10, first_id=200)
        + _jobs_on(date(2024, 5, 5), "complaint", 10, first_id=300)
        + _jobs_on(date(2024, 5, 5), "suggestion", 10, first_id=400)
    )

    default = draw_callback_sample(jobs, today=TODAY, seed=3)
    half = draw_callback_sample(jobs, today=TODAY, seed=3, default_share=0.5)

    assert default.by_type == {"meter_fault": (2, 20), "third_party_damage": (1, 4)}
    assert half.by_type == {"meter_fault": (10, 20), "third_party_damage": (2, 4)}
    assert {j.ticket_type for j in default.selected + half.selected} == {
        "meter_fault",
        "third_party_damage",
    }


def test_quotas_are_configured_by_passing_another_mapping():
    jobs = _jobs_on(date(2024, 5, 6), "meter_fault", 12) + _jobs_on(
        date(2024, 5, 6), "paid_repair", 10, first_id=50
    )

    sample = draw_callback_sample(
        jobs, today=TODAY, seed=0, quotas={**QUOTAS, "meter_fault": 1.0, "paid_repair": 0.25}
    )

    assert sample.by_type == {"meter_fault": (12, 12), "paid_repair": (3, 10)}  # 2.5 -> 3


def test_the_default_quotas_cannot_be_changed_in_place():
    with pytest.raises(TypeError):
        QUOTAS["paid_repair"] = 0.5  # type: ignore[index]
    assert QUOTAS["paid_repair"] == 1.0


def test_a_share_of_zero_calls_nobody_back_but_still_reports_the_eligible_jobs():
    jobs = _jobs_on(date(2024, 5, 6), "safety_inspection", 9)

    sample = draw_callback_sample(jobs, today=TODAY, seed=0, quotas={"safety_inspection": 0})

    assert sample.selected == []
    assert sample.by_type == {"safety_inspection": (0, 9)}
    assert sample.by_worker == {"W00": 0}


# -- the window ----------------------------------------------------------------------------


def test_the_window_holds_jobs_finished_three_to_five_days_before_today_edges_included():
    at = [
        datetime(2024, 5, 4, 23, 59, 59, 999999, tzinfo=BEIJING),  # 6 days before: out
        datetime(2024, 5, 5, 0, 0, tzinfo=BEIJING),  # 5 days before, first instant: in
        datetime(2024, 5, 6, 12, 0, tzinfo=BEIJING),  # in
        datetime(2024, 5, 7, 23, 59, 59, 999999, tzinfo=BEIJING),  # 3 days before, last: in
        datetime(2024, 5, 8, 0, 0, tzinfo=BEIJING),  # 2 days before: out
        datetime(2024, 5, 10, 9, 0, tzinfo=BEIJING),  # today: out
    ]
    jobs = [_job(i, "gas_leak", at=t) for i, t in enumerate(at)]

    sample = draw_callback_sample(jobs, today=TODAY, seed=0)

    assert [j.ticket_id for j in sample.selected] == [1, 2, 3]


def test_a_jobs_window_day_is_its_own_local_date_not_the_utc_date():
    # 00:30 in Beijing on 5 May is still 4 May in UTC; 23:30 on 7 May in UTC-5 is 8 May in UTC.
    local_fifth = _job(1, "gas_leak", at=datetime(2024, 5, 5, 0, 30, tzinfo=BEIJING))
    west = timezone(timedelta(hours=-5))
    late_seventh = _job(2, "gas_leak", at=datetime(2024, 5, 7, 23, 30, tzinfo=west))

    sample = draw_callback_sample([local_fifth, late_seventh], today=TODAY, seed=0)

    assert [j.ticket_id for j in sample.selected] == [1, 2]


def test_the_window_can_be_configured():
    jobs = [_job(i, "gas_leak", at=datetime(2024, 5, 10 - i, 9, tzinfo=BEIJING)) for i in range(8)]

    sample = draw_callback_sample(jobs, today=TODAY, seed=0, window_days=(1, 2))

    assert sorted(j.ticket_id for j in sample.selected) == [1, 2]


# -- a generated month ---------------------------------------------------------------------


def test_a_months_jobs_give_each_day_exactly_the_quota_of_the_three_day_window():
    jobs = _month_of_jobs()
    window_days = (date(2024, 5, 5), date(2024, 5, 6), date(2024, 5, 7))
    eligible = Counter(j.ticket_type for j in jobs if j.finished_at.date() in window_days)

    sample = draw_callback_sample(jobs, today=TODAY, seed=2024)

    assert eligible["gas_leak"] == 3 * 8
    assert eligible["safety_inspection"] == 3 * sum(2 + w for w in range(8))  # 132
    assert sample.by_type["gas_leak"] == (24, 24)
    assert sample.by_type["safety_inspection"] == (13, 132)  # 13.2
    assert sample.by_type["free_repair"] == (7, 72)  # 7.2
    assert sample.by_type["meter_fault"] == (5, 48)  # 4.8 at the default share
    assert "complaint" not in sample.by_type
    assert all(j.finished_at.date() in window_days for j in sample.selected)
    assert sum(sample.by_worker.values()) == len(sample.selected)


def test_on_every_day_of_a_month_each_types_calls_are_spread_evenly_over_the_workers():
    jobs = _month_of_jobs()
    for day in range(5):
        today = date(2024, 4, 25) + timedelta(days=day * 5)

        sample = draw_callback_sample(jobs, today=today, seed=day)

        for ticket_type in [*TENTH, "meter_fault"]:
            counts = Counter(j.worker for j in sample.selected if j.ticket_type == ticket_type)
            per_worker = [counts[w] for w in WORKERS]
            assert max(per_worker) - min(per_worker) <= 1, (today, ticket_type, per_worker)
            assert sum(per_worker) == sample.by_type[ticket_type][0]


def test_calls_are_balanced_by_worker_not_in_proportion_to_their_jobs():
    # W07 did 9 inspections a day, W00 two: a proportional split would call W07 4 times as often.
    jobs = [j for j in _month_of_jobs() if j.ticket_type == "safety_inspection"]

    sample = draw_callback_sample(jobs, today=TODAY, seed=11)

    assert sample.by_worker["W07"] - sample.by_worker["W00"] <= 1
    assert sum(sample.by_worker.values()) == 13


def test_the_spare_calls_of_a_type_go_to_the_workers_with_fewest_calls_so_far():
    # 4 leak repairs (all called back) for W00, none for W01; 20 free repairs each: 4 calls.
    jobs = _jobs_on(date(2024, 5, 6), "indoor_leak_repair", 4, worker="W00", first_id=1)
    jobs += _jobs_on(date(2024, 5, 6), "free_repair", 20, worker="W00", first_id=100)
    jobs += _jobs_on(date(2024, 5, 6), "free_repair", 20, worker="W01", first_id=200)
    jobs += _jobs_on(date(2024, 5, 6), "free_repair", 10, worker="W02", first_id=300)

    for seed in range(20):
        sample = draw_callback_sample(jobs, today=TODAY, seed=seed)
        free = Counter(j.worker for j in sample.selected if j.ticket_type == "free_repair")
        assert sample.by_type["free_repair"] == (5, 50)
        assert free["W00"] == 1, seed  # W00 already has 4 calls; W01 and W02 take the spare
        assert free["W01"] == free["W02"] == 2, seed


def test_a_worker_with_too_few_jobs_gives_all_of_them_and_the_others_share_the_rest():
    jobs = _jobs_on(date(2024, 5, 6), "gas_on_ignition", 1, worker="W00", first_id=1)
    jobs += _jobs_on(date(2024, 5, 6), "gas_on_ignition", 50, worker="W01", first_id=100)
    jobs += _jobs_on(date(2024, 5, 6), "gas_on_ignition", 50, worker="W02", first_id=200)

    sample = draw_callback_sample(jobs, today=TODAY, seed=5, quotas={"gas_on_ignition": 0.3})

    assert sample.by_type == {"gas_on_ignition": (30, 101)}  # 30.3
    assert sample.by_worker["W00"] == 1
    assert sorted([sample.by_worker["W01"], sample.by_worker["W02"]]) == [14, 15]


def test_for_any_workloads_the_calls_add_up_and_no_worker_with_jobs_left_is_two_behind():
    loads = random.Random(2024)
    for trial in range(200):
        share = loads.choice([0.01, 0.1, 0.25, 0.5, 0.77])
        jobs, available = [], {}
        for w in range(loads.randint(1, 10)):
            available[f"W{w}"] = loads.randint(0, 30)
            jobs += _jobs_on(
                date(2024, 5, 6),
                "free_repair",
                available[f"W{w}"],
                worker=f"W{w}",
                first_id=100 * w,
            )

        sample = draw_callback_sample(jobs, today=TODAY, seed=trial, quotas={"free_repair": share})

        calls = Counter(j.worker for j in sample.selected)
        assert len(sample.selected) == sample_size(share, len(jobs)), trial
        assert all(calls[w] <= n for w, n in available.items()), trial
        for a in available:
            behind = [b for b in available if calls[a] - calls[b] >= 2]
            assert all(calls[b] == available[b] for b in behind), (trial, available, calls)


def test_a_share_that_rounds_up_to_every_job_takes_every_job():
    jobs = _jobs_on(date(2024, 5, 6), "free_repair", 10, worker="W00")
    jobs += _jobs_on(date(2024, 5, 6), "free_repair", 3, worker="W01", first_id=100)

    sample = draw_callback_sample(jobs, today=TODAY, seed=0, quotas={"free_repair": 0.99})

    assert sample.by_type == {"free_repair": (13, 13)}  # 12.87
    assert sample.by_worker == {"W00": 10, "W01": 3}


def test_the_same_seed_draws_the_same_sample_whatever_the_order_of_the_jobs():
    jobs = _month_of_jobs()
    shuffled = jobs[:]
    random.Random(99).shuffle(shuffled)

    first = draw_callback_sample(jobs, today=TODAY, seed=42)
    again = draw_callback_sample(shuffled, today=TODAY, seed=42)

    assert [j.ticket_id for j in first.selected] == [j.ticket_id for j in again.selected]
    assert first == again


def test_another_seed_draws_another_sample_of_the_same_size():
    jobs = _month_of_jobs()

    first = draw_callback_sample(jobs, today=TODAY, seed=42)
    other = draw_callback_sample(jobs, today=TODAY, seed=43)

    assert {j.ticket_id for j in first.selected} != {j.ticket_id for j in other.selected}
    assert first.by_type == other.by_type


def test_the_sample_is_listed_in_order_of_finishing():
    sample = draw_callback_sample(_month_of_jobs(), today=TODAY, seed=1)

    keys = [(j.finished_at, j.ticket_id) for j in sample.selected]
    assert keys == sorted(keys)
    assert len(keys) > 100


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("window_days", [(5, 3), (-1, 2), (3,), (3.0, 5), "35"])
def test_a_window_that_is_not_two_ordered_whole_days_is_refused(window_days):
    with pytest.raises(InvalidInput, match="`window_days` must be two whole numbers") as err:
        draw_callback_sample([], today=TODAY, seed=0, window_days=window_days)
    assert err.value.field == "window_days"


@pytest.mark.parametrize("share", [1.5, -0.1, float("nan"), "0.1", True])
def test_a_quota_outside_zero_to_one_is_refused_naming_the_type(share):
    with pytest.raises(InvalidInput, match="`quotas`: the share for 'free_repair' must be") as err:
        draw_callback_sample([], today=TODAY, seed=0, quotas={"free_repair": share})
    assert err.value.field == "quotas"


def test_a_default_share_outside_zero_to_one_is_refused():
    with pytest.raises(InvalidInput, match="`default_share` must be a number from 0 to 1"):
        draw_callback_sample([], today=TODAY, seed=0, default_share=2)


def test_a_quota_for_a_non_field_type_is_refused():
    with pytest.raises(InvalidInput, match="`quotas`: 'complaint' is not a field job"):
        draw_callback_sample([], today=TODAY, seed=0, quotas={"complaint": 0.5})


def test_a_ticket_listed_twice_is_refused():
    jobs = [_job(7), _job(7, "gas_leak")]
    with pytest.raises(InvalidInput, match="`jobs`: ticket 7 appears more than once"):
        draw_callback_sample(jobs, today=TODAY, seed=0)


def test_a_finished_job_needs_a_timezone_aware_time_and_a_worker():
    with pytest.raises(InvalidInput, match="`finished_at` must be a timezone-aware datetime"):
        FinishedJob(1, "paid_repair", "W00", datetime(2024, 5, 6, 10))
    with pytest.raises(InvalidInput, match="`worker` must be a non-empty string"):
        FinishedJob(1, "paid_repair", " ", datetime(2024, 5, 6, 10, tzinfo=BEIJING))


# -- answers and satisfaction --------------------------------------------------------------


def _answer(ticket_id=1, worker="W00", attitude=9, skill=9, **kwargs):
    return CallbackAnswer(ticket_id, worker, attitude, skill, **kwargs)


def test_satisfaction_is_the_mean_of_each_score_and_overall_the_mean_of_the_two_means():
    answers = [
        _answer(1, attitude=10, skill=6),
        _answer(2, attitude=9, skill=7),
        _answer(3, attitude=5, skill=5),
    ]

    result = satisfaction(answers)

    assert result == Satisfaction(attitude_mean=8.0, skill_mean=6.0, overall=7.0, count=3)


def test_satisfaction_of_no_answers_has_no_means():
    assert satisfaction([]) == Satisfaction(None, None, None, 0)


def test_satisfaction_by_worker_scores_each_worker_on_their_own_answers():
    answers = [_answer(1, "W01", 10, 9), _answer(2, "W02", 5, 3), _answer(3, "W01", 8, 6)]

    by_worker = satisfaction_by(answers)

    assert by_worker == {
        "W01": Satisfaction(9.0, 7.5, 8.25, 2),
        "W02": Satisfaction(5.0, 3.0, 4.0, 1),
    }


def test_satisfaction_can_be_grouped_by_any_key():
    answers = [_answer(1, attitude=10, skill=10), _answer(12, attitude=4, skill=6)]

    by_parity = satisfaction_by(answers, key=lambda a: a.ticket_id % 2)

    assert by_parity[1].overall == 10.0
    assert by_parity[0].overall == 5.0


@pytest.mark.parametrize("name", ["attitude", "skill"])
@pytest.mark.parametrize("value", [0, 11, 7.5, "8", True, None])
def test_scores_must_be_integers_from_1_to_10(name, value):
    with pytest.raises(InvalidInput, match=f"`{name}` must be an integer from 1 to 10") as err:
        _answer(**{name: value})
    assert err.value.field == name


@pytest.mark.parametrize("name", ["attire", "punctuality"])
def test_attire_and_punctuality_must_be_good_fair_poor_or_not_asked(name):
    with pytest.raises(InvalidInput, match=f"`{name}` must be one of good, fair, poor or None"):
        _answer(**{name: "bad"})
    assert getattr(_answer(**{name: None}), name) is None


def test_an_answer_needs_a_worker():
    with pytest.raises(InvalidInput, match="`worker` must be a non-empty string"):
        _answer(worker="")


def test_fair_or_poor_attire_or_punctuality_is_followed_up():
    answers = [
        _answer(1, attire="good", punctuality="good"),
        _answer(2, attire="fair"),
        _answer(3, punctuality="poor"),
        _answer(4),
        _answer(5, attire="poor", punctuality="fair"),
    ]

    assert [a.ticket_id for a in follow_ups(answers)] == [2, 3, 5]


@pytest.mark.parametrize(
    ("attitude", "skill", "threshold", "unsatisfied"),
    [
        (5, 9, 6, True),
        (9, 5, 6, True),
        (6, 6, 6, False),
        (10, 10, 6, False),
        (7, 9, 8, True),
        (1, 1, 1, False),
    ],
)
def test_a_score_below_the_threshold_means_the_job_is_reopened(
    attitude, skill, threshold, unsatisfied
):
    answer = _answer(attitude=attitude, skill=skill)
    assert is_unsatisfied(answer, threshold=threshold) is unsatisfied


def test_the_unsatisfied_threshold_must_be_a_score():
    with pytest.raises(InvalidInput, match="`threshold` must be an integer from 1 to 10"):
        is_unsatisfied(_answer(), threshold=0)


def test_a_paid_job_is_called_back_like_a_paid_repair_whatever_its_type():
    # 20 free repairs: 10 % gives 2 calls. Made paid (the customer signed for a charge), each
    # falls under 维修收费 at 100 %: all 20 are called.
    at = datetime(2024, 5, 6, 10, tzinfo=BEIJING)
    free = [FinishedJob(i, "free_repair", WORKERS[i % 8], at) for i in range(1, 21)]
    paid = [FinishedJob(i, "free_repair", WORKERS[i % 8], at, paid=True) for i in range(1, 21)]

    unpaid_sample = draw_callback_sample(free, today=TODAY, seed=3)
    paid_sample = draw_callback_sample(paid, today=TODAY, seed=3)

    assert unpaid_sample.by_type == {"free_repair": (2, 20)}
    assert paid_sample.by_type == {"paid_repair": (20, 20)}
    assert paid[0].quota_type == "paid_repair" and free[0].quota_type == "free_repair"

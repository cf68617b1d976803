"""The key figures (dispatch.kpis) from plain rows: the median and percentiles, the deadline
rule, the territory's day and the crews. Expected numbers are worked out in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.errors import InvalidInput
from dispatch.kpis import (
    KpiRows,
    day_window,
    deadline_outcome,
    key_figures,
    median,
    percentile,
    share_within_target,
)

NOW = datetime(2024, 5, 10, 10, 0, tzinfo=UTC)  # 13:00 in Helsinki, 18:00 in Shanghai
MIN = timedelta(minutes=1)


def ticket(
    received: datetime,
    *,
    due_min: float | None = 30,
    arrived_min: float | None = None,
    cancelled_min: float | None = None,
    priority: int = 1,
    status: str = "assigned",
    duplicate_of: int | None = None,
) -> dict:
    """A ticket row; the times are minutes after ``received``."""
    return {
        "priority": priority,
        "status": status,
        "parent_ticket_id": duplicate_of,
        "received_at": received,
        "arrival_due_at": None if due_min is None else received + due_min * MIN,
        "arrived_at": None if arrived_min is None else received + arrived_min * MIN,
        "cancelled_at": None if cancelled_min is None else received + cancelled_min * MIN,
    }


def crew(status: str, fix_age_s: float | None) -> dict:
    return {
        "status": status,
        "recorded_at": None if fix_age_s is None else NOW - timedelta(seconds=fix_age_s),
    }


def figures(*, open_tickets=(), day_tickets=(), crews=(), tz="UTC", now=NOW) -> dict:
    return key_figures(KpiRows(tz, list(open_tickets), list(day_tickets), list(crews)), now)


# --- median and percentile ---------------------------------------------------------------------


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    # sorted 12, 20, 31, 45: (20 + 31) / 2 = 25.5
    assert median([45, 12, 31, 20]) == 25.5


def test_the_median_of_an_odd_count_is_the_middle_value():
    assert median([31, 12, 20]) == 20  # sorted 12, 20, 31
    assert median([7.5]) == 7.5


def test_nothing_has_no_median_and_no_percentile():
    assert median([]) is None
    assert percentile([], 90) is None


def test_the_90th_percentile_interpolates_linearly_between_the_closest_ranks():
    # sorted 12, 20, 31, 45; h = (4 - 1) * 0.9 = 2.7: 31 + 0.7 * (45 - 31) = 31 + 9.8 = 40.8
    assert percentile([45, 12, 31, 20], 90) == pytest.approx(40.8)
    # ten values 1..10: h = 9 * 0.9 = 8.1 -> 9 + 0.1 * (10 - 9) = 9.1
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)


def test_the_50th_percentile_is_the_median_and_the_ends_are_the_minimum_and_maximum():
    values = [45, 12, 31, 20]
    assert percentile(values, 50) == 25.5  # h = 1.5: 20 + 0.5 * 11
    assert percentile(values, 0) == 12
    assert percentile(values, 100) == 45


@pytest.mark.parametrize("p", [-1, 100.5, float("nan")])
def test_a_percentile_outside_0_to_100_is_refused_naming_p(p):
    with pytest.raises(InvalidInput) as error:
        percentile([1, 2, 3], p)
    assert error.value.field == "p"


# --- deadlines met and missed ------------------------------------------------------------------


def test_a_ticket_past_its_deadline_and_not_reached_counts_as_missed():
    start = NOW - timedelta(hours=5)
    rows = [
        ticket(start, arrived_min=12),  # on time
        ticket(start + 10 * MIN, arrived_min=20),  # on time
        ticket(start + 20 * MIN, arrived_min=30),  # on time: on the deadline itself
        ticket(start + 30 * MIN, arrived_min=45),  # late
        ticket(NOW - 50 * MIN),  # deadline passed 20 min ago, nobody there: missed
        ticket(NOW - 10 * MIN),  # 20 min left: not decided yet
    ]

    share = share_within_target(rows, NOW, NOW - timedelta(days=1), NOW + timedelta(days=1))

    assert share == 0.6  # 3 met / (3 met + 1 late + 1 not reached) = 3/5


def test_a_ticket_is_decided_at_its_arrival_if_on_time_else_when_its_deadline_fell():
    received = NOW - 60 * MIN

    assert deadline_outcome(ticket(received, arrived_min=25), NOW) == (received + 25 * MIN, True)
    assert deadline_outcome(ticket(received, arrived_min=40), NOW) == (received + 30 * MIN, False)
    assert deadline_outcome(ticket(received), NOW) == (received + 30 * MIN, False)


def test_a_deadline_reached_at_this_very_moment_without_arrival_is_missed_as_the_clocks_say():
    assert deadline_outcome(ticket(NOW - 30 * MIN), NOW) == (NOW, False)
    assert deadline_outcome(ticket(NOW - 29 * MIN), NOW) is None


def test_cancelled_within_the_deadline_duplicates_and_no_deadline_are_not_counted():
    received = NOW - 60 * MIN

    assert deadline_outcome(ticket(received, cancelled_min=10, status="cancelled"), NOW) is None
    assert deadline_outcome(ticket(received, duplicate_of=7), NOW) is None
    assert deadline_outcome(ticket(received, due_min=None), NOW) is None
    # cancelled 10 min after its deadline had passed: that deadline was missed
    late_cancel = ticket(received, cancelled_min=40, status="cancelled")
    assert deadline_outcome(late_cancel, NOW) == (received + 30 * MIN, False)


def test_an_arrival_after_now_is_not_known_yet():
    # as of NOW the crew has not arrived and the deadline (NOW + 10 min) is ahead: undecided
    assert deadline_outcome(ticket(NOW - 20 * MIN, arrived_min=25), NOW) is None


def test_a_late_arrival_counts_as_missed_on_the_day_its_deadline_fell_not_on_its_arrival_day():
    # Helsinki is UTC+3 in May: its 10 May ends at 20:59:59Z.
    received = datetime(2024, 5, 10, 20, 20, tzinfo=UTC)  # 23:20 on 10 May
    late = ticket(received, arrived_min=50)  # due 23:50 on 10 May, arrived 00:10 on 11 May
    now = datetime(2024, 5, 11, 6, 0, tzinfo=UTC)

    today = figures(day_tickets=[late], tz="Europe/Helsinki", now=now)

    assert today["day"] == "2024-05-11"
    assert today["arrivals_today"] == 1  # it did arrive on 11 May, after 50 minutes
    assert today["median_arrival_min_today"] == 50.0
    assert today["share_within_target_today"] is None  # decided (missed) on 10 May


# --- the territory's day -----------------------------------------------------------------------


def test_today_is_the_calendar_day_in_the_territorys_zone_not_the_utc_date():
    now = datetime(2024, 5, 10, 17, 45, tzinfo=UTC)  # 01:45 on 11 May in Shanghai (UTC+8)
    rows = [
        ticket(datetime(2024, 5, 10, 17, 10, tzinfo=UTC), arrived_min=20),  # 01:30 Shanghai
        ticket(datetime(2024, 5, 10, 15, 0, tzinfo=UTC), arrived_min=30),  # 23:30 on 10 May
    ]

    shanghai = figures(day_tickets=rows, tz="Asia/Shanghai", now=now)
    utc = figures(day_tickets=rows, tz="UTC", now=now)

    assert shanghai["day"] == "2024-05-11"
    assert (shanghai["arrivals_today"], shanghai["median_arrival_min_today"]) == (1, 20.0)
    assert utc["day"] == "2024-05-10"
    assert (utc["arrivals_today"], utc["median_arrival_min_today"]) == (2, 25.0)  # (20+30)/2


def test_the_day_runs_from_local_midnight_to_local_midnight():
    day, start, end = day_window(datetime(2024, 5, 10, 17, 30, tzinfo=UTC), "Asia/Shanghai")

    assert day.isoformat() == "2024-05-11"
    assert start == datetime(2024, 5, 10, 16, 0, tzinfo=UTC)  # 00:00 at UTC+8
    assert end == datetime(2024, 5, 11, 16, 0, tzinfo=UTC)


def test_the_day_the_clocks_go_forward_has_23_hours():
    # Helsinki, 31 March 2024: midnight is at UTC+2, the next one at UTC+3.
    _day, start, end = day_window(datetime(2024, 3, 31, 12, 0, tzinfo=UTC), "Europe/Helsinki")

    assert start == datetime(2024, 3, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2024, 3, 31, 21, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)


# --- open tickets and deadlines at risk --------------------------------------------------------


def test_open_p1_leaves_out_closed_cancelled_and_linked_duplicates():
    received = NOW - 5 * MIN
    rows = [
        ticket(received, status="new"),
        ticket(received, status="repaired"),  # repaired is still open until closed
        ticket(received, status="closed"),
        ticket(received, status="cancelled"),
        ticket(received, status="new", duplicate_of=1),
        ticket(received, status="new", priority=2),
    ]

    assert figures(open_tickets=rows)["open_p1"] == 2  # the new one and the repaired one


def test_a_deadline_is_at_risk_from_80_percent_of_its_clock_until_the_crew_arrives():
    rows = [
        ticket(NOW - 23.9 * MIN),  # 23.9 / 30 < 0.8
        ticket(NOW - 24 * MIN),  # 24 / 30 = 0.8: at risk
        ticket(NOW - 45 * MIN),  # missed, still at risk
        ticket(NOW - 45 * MIN, arrived_min=20),  # the crew is there: the clock stopped
        ticket(NOW - 45 * MIN, due_min=None),  # no arrival clock
        ticket(NOW - 45 * MIN, duplicate_of=3),  # a duplicate: its parent carries the clock
    ]

    assert figures(open_tickets=rows)["at_risk"] == 2


# --- crews -------------------------------------------------------------------------------------


def test_crews_with_a_stale_fix_are_not_available_but_stale():
    crews = [
        crew("available", 60),
        crew("available", 300),  # exactly the limit: still fresh
        crew("available", 301),  # stale
        crew("available", None),  # never reported: stale
        crew("busy", 30),
        crew("busy", 900),  # stale
        crew("off_duty", 5000),  # off duty: not counted at all
        crew("out_of_service", 10),
    ]

    counts = figures(crews=crews)

    assert (counts["crews_available"], counts["crews_busy"], counts["crews_stale"]) == (2, 1, 3)


def test_the_stale_limit_is_a_parameter():
    crews = [crew("available", 100)]
    rows = KpiRows("UTC", [], [], crews)

    assert key_figures(rows, NOW)["crews_available"] == 1  # default 300 s
    assert key_figures(rows, NOW, stale_after_s=60)["crews_stale"] == 1
    with pytest.raises(InvalidInput) as error:
        key_figures(rows, NOW, stale_after_s=-1)
    assert error.value.field == "stale_after_s"


# --- all together ------------------------------------------------------------------------------


def test_the_figures_have_one_key_set_and_a_quiet_day_has_no_median_and_no_share():
    assert figures() == {
        "day": "2024-05-10",
        "open_p1": 0,
        "at_risk": 0,
        "arrivals_today": 0,
        "median_arrival_min_today": None,
        "share_within_target_today": None,
        "crews_available": 0,
        "crews_busy": 0,
        "crews_stale": 0,
    }


def test_a_day_worked_out_by_hand():
    morning = NOW.replace(hour=6)
    day_tickets = [
        ticket(morning, arrived_min=12, status="closed"),
        ticket(morning + 60 * MIN, arrived_min=20, status="closed"),
        ticket(morning + 120 * MIN, due_min=360, arrived_min=31, status="made_safe", priority=2),
        ticket(morning + 180 * MIN, arrived_min=45, status="on_site"),  # late
        ticket(NOW - 40 * MIN, status="en_route"),  # 10 min past its deadline
    ]
    open_tickets = [*day_tickets[2:], ticket(NOW - 25 * MIN, status="new")]

    got = figures(open_tickets=open_tickets, day_tickets=day_tickets, crews=[crew("busy", 10)])

    assert got == {
        "day": "2024-05-10",
        "open_p1": 3,  # on site, en route, new (the made-safe one is P2)
        "at_risk": 2,  # en route (40/30) and new (25/30 = 0.83); the others have arrived
        "arrivals_today": 4,
        "median_arrival_min_today": 25.5,  # 12, 20, 31, 45 -> (20 + 31) / 2
        "share_within_target_today": 0.6,  # 3 met / (3 met + 1 late + 1 not reached)
        "crews_available": 0,
        "crews_busy": 1,
        "crews_stale": 0,
    }

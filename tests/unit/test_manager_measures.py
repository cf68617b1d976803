"""The manager's breakdowns and other measures (dispatch.kpis) on small fixed rows; every
expected figure is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.clocks import ClockTargets
from dispatch.kpis import (
    complaint_handling_rate,
    compliance_by,
    crew_workload,
    first_time_pass_rate,
    resolution_rate,
    satisfaction_table,
    weekly_trend,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def job(arrived_min, *, received=T0, crew="A", **extra):
    return {
        "ticket_type": "gas_leak",
        "priority": 1,
        "status": "closed" if arrived_min is not None else "assigned",
        "parent_ticket_id": None,
        "received_at": received,
        "arrival_due_at": received + 30 * MIN,
        "arrived_at": None if arrived_min is None else received + arrived_min * MIN,
        "en_route_at": None,
        "cancelled_at": None,
        "crew": crew,
    } | extra


URBAN = {"urban": ClockTargets("urban", arrival={1: 30}, target_share=0.95)}


def test_compliance_per_crew_counts_a_ticket_past_its_deadline_and_not_reached_as_missed():
    rows = [
        job(10, crew="A"),  # met
        job(40, crew="A"),  # missed (late)
        job(None, crew="B"),  # due 08:30, not reached by NOW -> missed
        job(None, crew="B", received=NOW - 10 * MIN),  # still within its 30 min: not decided
        job(20, crew="B"),  # met
    ]
    table = compliance_by(rows, URBAN, NOW, lambda r: r["crew"])
    # A: 2 decided, 1 met -> 0.5; B: 2 decided (missed + met), 1 met -> 0.5
    assert [(r["group"], r["decided"], r["met"], r["missed"], r["share"]) for r in table] == [
        ("A", 2, 1, 1, 0.5),
        ("B", 2, 1, 1, 0.5),
    ]
    assert all(r["policy"] == "urban" and r["meets_target"] is False for r in table)


def test_compliance_per_week_splits_by_the_group_the_key_names():
    rows = [job(10), job(10, received=T0 + timedelta(days=7)), job(50, received=T0 + 7 * 24 * HOUR)]
    week = compliance_by(rows, URBAN, NOW, lambda r: r["received_at"].date().isoformat())
    # week of 9 March: 1/1; week of 16 March: 1 met of 2 -> 0.5
    assert [(r["group"], r["share"]) for r in week] == [("2026-03-09", 1.0), ("2026-03-16", 0.5)]


def test_the_resolution_rate_leaves_out_cancelled_and_linked_jobs():
    rows = [
        {"status": "closed", "closed_at": T0, "cancelled_at": None},
        {"status": "closed", "closed_at": T0, "cancelled_at": None},
        {"status": "on_site", "closed_at": None, "cancelled_at": None},
        {"status": "cancelled", "closed_at": None, "cancelled_at": T0},  # not counted
        {"status": "closed", "closed_at": T0, "cancelled_at": None, "parent_ticket_id": 7},
        {"status": "closed", "closed_at": NOW + HOUR, "cancelled_at": None},  # closes later
    ]
    # counted: the 2 closed, the one on site and the one closed after NOW: 4; resolved 2.
    assert resolution_rate(rows, NOW) == {"jobs": 4, "resolved": 2, "rate": 0.5}


def test_the_first_time_pass_rate_is_the_share_of_closed_jobs_never_reopened():
    rows = [
        {"status": "closed", "closed_at": T0, "reopened": 0},
        {"status": "closed", "closed_at": T0, "reopened": 0},
        {"status": "closed", "closed_at": T0, "reopened": 1},  # re-opened, closed again
        {"status": "new", "closed_at": T0, "reopened": 1},  # re-opened, not closed again
    ]
    # closed 3, passed 2 -> 0.667
    assert first_time_pass_rate(rows, NOW) == {"closed": 3, "passed": 2, "rate": 0.667}


def test_the_complaint_handling_rate_counts_closed_loops_and_replies_on_time():
    due = T0 + 48 * HOUR
    rows = [
        {
            "status": "closed",
            "closed_at": T0 + 50 * HOUR,
            "replied_at": T0 + HOUR,
            "reply_due_at": due,
        },
        {"status": "replied", "closed_at": None, "replied_at": T0 + 49 * HOUR, "reply_due_at": due},
        {"status": "intake", "closed_at": None, "replied_at": None, "reply_due_at": due},
        {
            "status": "closed",
            "closed_at": T0 + 3 * HOUR,
            "replied_at": T0 + 2 * HOUR,
            "reply_due_at": due,
        },
    ]
    # handled (closed) 2 of 4 = 0.5; replied by the deadline: the 1st and the 4th -> 2 / 4.
    assert complaint_handling_rate(rows, NOW) == {
        "received": 4,
        "handled": 2,
        "rate": 0.5,
        "replied_on_time": 2,
        "on_time_rate": 0.5,
    }


def test_satisfaction_is_the_mean_of_the_mean_attitude_and_the_mean_skill_per_group():
    answers = [
        {"worker": "C1", "team": "North", "attitude": 10, "skill": 8},
        {"worker": "C1", "team": "North", "attitude": 7, "skill": 9},
        {"worker": "C2", "team": "North", "attitude": 5, "skill": 6},
    ]
    by_worker = satisfaction_table(answers, lambda r: r["worker"])
    # C1: attitude (10+7)/2 = 8.5, skill (8+9)/2 = 8.5, overall 8.5; C2: 5, 6, 5.5
    assert by_worker == [
        {"group": "C1", "answers": 2, "attitude": 8.5, "skill": 8.5, "overall": 8.5},
        {"group": "C2", "answers": 1, "attitude": 5.0, "skill": 6.0, "overall": 5.5},
    ]
    # North: attitude 22/3 = 7.33, skill 23/3 = 7.67, overall (22/3 + 23/3)/2 = 7.5
    assert satisfaction_table(answers, lambda r: r["team"]) == [
        {"group": "North", "answers": 3, "attitude": 7.33, "skill": 7.67, "overall": 7.5}
    ]


def test_crew_workload_counts_busy_hours_once_and_utilisation_against_the_shift():
    start, end = T0, T0 + 48 * HOUR  # two days
    crews = [{"code": "C1", "shift": "day"}, {"code": "C2", "shift": "round_the_clock"}]
    assignments = [
        # C1: 2 h, then an overlapping 1 h (30 min new), then one begun before the period.
        {"crew": "C1", "ticket_id": 1, "assigned_at": T0 + HOUR, "released_at": T0 + 3 * HOUR},
        {
            "crew": "C1",
            "ticket_id": 2,
            "assigned_at": T0 + 2.5 * HOUR,
            "released_at": T0 + 3.5 * HOUR,
        },
        {"crew": "C1", "ticket_id": 3, "assigned_at": T0 - HOUR, "released_at": T0 + HOUR},
        # C2: still running at the end of the period: 47 h to 48 h.
        {"crew": "C2", "ticket_id": 4, "assigned_at": T0 + 47 * HOUR, "released_at": None},
    ]
    table = crew_workload(crews, assignments, start, end, NOW)
    # C1 busy: 0-1 (ticket 3, clipped) + 1-3.5 = 3.5 h; jobs sent in the period: 1 and 2.
    # On duty 12 h x 2 days = 24 h: 3.5 / 24 = 0.146. C2: 1 h of 48 h = 0.021.
    assert table == [
        {
            "crew": "C1",
            "shift": "day",
            "jobs": 2,
            "busy_h": 3.5,
            "duty_h": 24.0,
            "utilisation": 0.146,
        },
        {
            "crew": "C2",
            "shift": "round_the_clock",
            "jobs": 1,
            "busy_h": 1.0,
            "duty_h": 48.0,
            "utilisation": 0.021,
        },
    ]


def test_the_weekly_trend_gives_median_and_p90_per_local_week():
    # Sunday 15 March 23:30 UTC is Monday 16 March 01:30 in Helsinki: the next week.
    rows = [job(10), job(20), job(30), job(40, received=datetime(2026, 3, 15, 23, 30, tzinfo=UTC))]
    trend = weekly_trend(rows, NOW, "Europe/Helsinki")
    # week of 9 March: 10 20 30 -> median 20, p90: h = 2 * 0.9 = 1.8 -> 20 + 0.8 * 10 = 28
    assert trend == [
        {"week": "2026-03-09", "jobs": 3, "median_min": 20.0, "p90_min": 28.0},
        {"week": "2026-03-16", "jobs": 1, "median_min": 40.0, "p90_min": 40.0},
    ]

"""The manager's and the regulators' figures (dispatch.kpis, reports part) on a small fixed
history; every expected number is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.clocks import policy_targets
from dispatch.kpis import compliance, leak_bucket, leak_buckets, response_by, response_summary
from dispatch.settings import load_settings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def job(arrived_min, *, kind="gas_leak", priority=1, en_route_min=None, received=T0, **extra):
    row = {
        "ticket_type": kind,
        "priority": priority,
        "status": "closed" if arrived_min is not None else "assigned",
        "parent_ticket_id": None,
        "received_at": received,
        "arrival_due_at": None,
        "arrived_at": None if arrived_min is None else received + arrived_min * MIN,
        "en_route_at": None if en_route_min is None else received + en_route_min * MIN,
        "cancelled_at": None,
    }
    return row | extra


# Five leaks reached after 10, 20, 35, 50 and 70 minutes.
FIVE = [job(m) for m in (10, 20, 35, 50, 70)]


def test_the_response_summary_gives_the_median_and_the_90th_percentile_of_arrivals():
    # sorted 10 20 35 50 70: median 35; p90: h = 4 * 0.9 = 3.6 -> 50 + 0.6 * (70 - 50) = 62.
    assert response_summary(FIVE, NOW) == {"jobs": 5, "median_min": 35.0, "p90_min": 62.0}


def test_a_job_not_yet_reached_or_a_linked_duplicate_has_no_response_time():
    rows = [*FIVE, job(None), job(5, parent_ticket_id=1)]
    assert response_summary(rows, NOW)["jobs"] == 5
    # An arrival after "now" has not happened yet.
    assert response_summary([job(10)], T0 + 5 * MIN) == {
        "jobs": 0,
        "median_min": None,
        "p90_min": None,
    }


def test_response_times_are_grouped_by_any_key():
    rows = [*FIVE, job(12, kind="meter_fault", priority=3), job(18, kind="meter_fault", priority=3)]
    by_type = response_by(rows, lambda r: r["ticket_type"], NOW)
    # meter faults: 12 and 18 -> median 15; p90 h = 0.9 -> 12 + 0.9 * 6 = 17.4.
    assert by_type["meter_fault"] == {"jobs": 2, "median_min": 15.0, "p90_min": 17.4}
    assert by_type["gas_leak"]["median_min"] == 35.0


def policies():
    return policy_targets(load_settings().clocks)


def test_compliance_is_measured_against_every_policy_of_the_settings():
    named = policies()
    # Settings: urban 30 min, rural 60, Henan 60 (and leave within 5), UK 60 for P1 at 97 %.
    never = job(None)  # not reached, 2 h after... its deadline is long past at NOW: missed
    rows = [*FIVE, never]
    table = compliance(rows, named, NOW)
    assert [r["policy"] for r in table] == ["urban", "rural", "henan", "uk"]
    result = {r["policy"]: r for r in table}
    # urban (30 min): met 10, 20; missed 35, 50, 70 and the unreached one -> 2 / 6.
    assert result["urban"] == {
        "policy": "urban",
        "decided": 6,
        "met": 2,
        "missed": 4,
        "share": 0.333,
        "target_share": 1.0,
        "meets_target": False,
    }
    # rural (60): met 10 20 35 50; missed 70 and the unreached one -> 4 / 6 = 0.667.
    assert (result["rural"]["met"], result["rural"]["share"]) == (4, 0.667)
    # UK (60 for P1, target 97 %): 4 / 6 too, below its target.
    assert (result["uk"]["met"], result["uk"]["target_share"], result["uk"]["meets_target"]) == (
        4,
        0.97,
        False,
    )


def test_the_henan_policy_also_wants_the_crew_on_its_way_within_5_minutes():
    henan = {"henan": policies()["henan"]}
    # Both arrived in 40 min (within 60): one left after 3 min (met), one after 8 (missed).
    rows = [job(40, en_route_min=3), job(40, en_route_min=8)]
    (result,) = compliance(rows, henan, NOW)
    assert (result["decided"], result["met"], result["missed"]) == (2, 1, 1)


def test_a_ticket_within_its_deadline_is_not_decided_and_a_cancelled_one_never():
    named = policies()
    fresh = job(None, received=NOW - 10 * MIN)  # 10 min old: within 30
    cancelled = job(None, cancelled_at=T0 + 5 * MIN)
    result = {r["policy"]: r for r in compliance([fresh, cancelled], named, NOW)}
    assert result["urban"]["decided"] == 0 and result["urban"]["share"] is None


def test_a_priority_the_policy_has_no_clock_for_is_not_counted():
    named = policies()
    scheduled = job(300, kind="safety_inspection", priority=4)
    result = {r["policy"]: r for r in compliance([scheduled], named, NOW)}
    assert result["urban"]["decided"] == 0


def test_leak_buckets_put_each_response_in_its_time_band():
    assert [leak_bucket(m) for m in (0, 30, 30.2, 45, 45.5, 60, 60.1, None)] == [
        "le_30",
        "le_30",
        "31_45",
        "31_45",
        "46_60",
        "46_60",
        "gt_60",
        "not_reached",
    ]
    # FIVE: 10 20 -> le_30; 35 -> 31_45; 50 -> 46_60; 70 -> gt_60; plus one not reached.
    assert leak_buckets([*FIVE, job(None), job(3, parent_ticket_id=9)], NOW) == {
        "le_30": 2,
        "31_45": 1,
        "46_60": 1,
        "gt_60": 1,
        "not_reached": 1,
    }


def test_a_days_leak_log_is_due_for_review_at_10_the_next_working_day_local_time():
    from datetime import date

    from dispatch.clocks import review_due_at

    # 2026-03-05 is a Thursday; Helsinki is UTC+2 then, Shanghai UTC+8.
    assert review_due_at(date(2026, 3, 5), "Europe/Helsinki", 10) == datetime(
        2026, 3, 6, 8, 0, tzinfo=UTC
    )
    for weekend in (6, 7, 8):  # Friday, Saturday and Sunday: Monday 10:00
        assert review_due_at(date(2026, 3, weekend), "Asia/Shanghai", 10) == datetime(
            2026, 3, 9, 2, 0, tzinfo=UTC
        )


def test_the_response_map_colours_a_hexagon_only_with_enough_jobs():
    from dispatch.report_service import response_map

    centre = {"lon": 24.94, "lat": 60.17}
    far = {"lon": 24.99, "lat": 60.20}  # several kilometres away: another cell at level 8
    rows = [job(m) | centre for m in (10, 20, 40)] + [job(12) | far]
    features = response_map(rows, 8, NOW, min_jobs=3)["features"]
    by_jobs = {f["properties"]["jobs"]: f["properties"] for f in features}
    assert set(by_jobs) == {3, 1}
    assert by_jobs[3]["median_min"] == 20.0 and by_jobs[3]["sparse"] is False
    assert by_jobs[1]["sparse"] is True
    ring = features[0]["geometry"]["coordinates"][0]
    assert features[0]["geometry"]["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 7


def test_the_response_map_refuses_a_resolution_it_does_not_offer():
    import pytest

    from dispatch.errors import InvalidInput
    from dispatch.report_service import response_map

    with pytest.raises(InvalidInput) as refused:
        response_map([job(10) | {"lon": 24.94, "lat": 60.17}], 15, NOW, min_jobs=3)
    assert refused.value.field == "resolution"

"""The meter-reading rules on hand-made readings; every expected figure is worked out by hand
from the manual's thresholds (over 100 m³ a month: re-read; over 50: home check; zero for 3
months or more: valve-closing candidate; read on the 20th)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dispatch.meter_rules import ScanWindow, scan_readings, summarize, window_ending

APR, MAY, JUN = date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)
WINDOW = ScanWindow(APR, 3)  # April to June; March is the baseline


def readings(rows: list[tuple]) -> pd.DataFrame:
    """(meter, residential, 'YYYY-MM-DD' or None, m³)"""
    return pd.DataFrame(
        {
            "meter_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "residential": pd.Series([r[1] for r in rows], dtype=bool),
            "read_on": pd.to_datetime(pd.Series([r[2] for r in rows])),
            "reading_m3": pd.Series([r[3] for r in rows], dtype="float64"),
        }
    )


FRAME = readings(
    [
        # 1: May uses 120 (re-read and home check), June 60 (home check)
        (1, True, "2025-03-20", 1000),
        (1, True, "2025-04-20", 1020),
        (1, True, "2025-05-20", 1140),
        (1, True, "2025-06-20", 1200),
        # 2: the register stands still from March: April, May, June are zero months
        (2, True, "2025-03-20", 500),
        (2, True, "2025-04-20", 500),
        (2, True, "2025-05-20", 500),
        (2, True, "2025-06-20", 500),
        # 3: May missed; June's 100 spread over two months is 50 a month: not over 50
        (3, True, "2025-03-20", 200),
        (3, True, "2025-04-20", 230),
        (3, True, "2025-06-20", 330),
        # 4: a restaurant using 500 a month: the volume rules are residential
        (4, False, "2025-03-20", 0),
        (4, False, "2025-04-20", 500),
        (4, False, "2025-05-20", 1000),
        (4, False, "2025-06-20", 1500),
        # 5: never read
        (5, True, None, None),
        # 6: April below March (a misreading: re-read); May read twice, the later one counts
        (6, True, "2025-03-20", 100),
        (6, True, "2025-04-20", 90),
        (6, True, "2025-05-05", 300),
        (6, True, "2025-05-25", 110),
        (6, True, "2025-06-20", 130),
        # 7: first read in April (no use known); May 51; June 100.5
        (7, True, "2025-04-20", 10),
        (7, True, "2025-05-20", 61),
        (7, True, "2025-06-20", 161.5),
        # 8: exactly 100 in April (home check, not a re-read), then two zero months only
        (8, True, "2025-03-20", 0),
        (8, True, "2025-04-20", 100),
        (8, True, "2025-05-20", 100),
        (8, True, "2025-06-20", 100),
        # 9: April missed, but the register is where March left it in May and June: 3 zeros
        (9, True, "2025-03-20", 700),
        (9, True, "2025-05-20", 700),
        (9, True, "2025-06-20", 700),
    ]
)


@pytest.fixture(scope="module")
def summary():
    return summarize(scan_readings(FRAME, WINDOW), WINDOW)


def tasks(summary, kind: str) -> list[tuple]:
    frame = summary.tasks[summary.tasks["kind"] == kind]
    return [(int(m), d, float(v)) for _, m, d, v in frame.itertuples(index=False)]


def test_over_100_m3_in_a_month_or_a_register_going_back_is_read_again(summary):
    assert tasks(summary, "re_read") == [(1, MAY, 120.0), (6, APR, -10.0), (7, JUN, 100.5)]


def test_over_50_m3_in_a_month_is_a_home_check(summary):
    assert tasks(summary, "home_check") == [
        (1, MAY, 120.0),
        (1, JUN, 60.0),
        (7, MAY, 51.0),
        (7, JUN, 100.5),
        (8, APR, 100.0),
    ]


def test_three_zero_months_make_a_valve_closing_candidate_from_the_first_zero_month(summary):
    # meter 8 has only two zero months (May, June); meter 9's missed April is a zero too
    assert tasks(summary, "valve_closing") == [(2, APR, 3.0), (9, APR, 3.0)]


def test_missed_readings_are_listed_by_meter_and_month(summary):
    missed = [(int(m), d) for m, d in summary.missed.itertuples(index=False)]
    assert missed == [(3, MAY), (5, APR), (5, MAY), (5, JUN), (9, APR)]


def test_the_read_rate_is_meters_read_over_meters_due(summary):
    assert summary.meters == 9
    assert summary.read_per_month == [7, 7, 8]  # April: 5 and 9 missed; May: 3, 5; June: 5
    assert summary.read_rate == round(22 / 27, 4)
    report = summary.as_dict()
    assert report["per_month"][1] == {
        "month": "2025-05",
        "reading_day": "2025-05-20",
        "due": 9,
        "read": 7,
        "read_rate": round(7 / 9, 4),
    }
    assert report["tasks"] == {"re_read": 3, "home_check": 5, "valve_closing": 2}


def test_partitions_split_by_meter_add_up_to_the_whole():
    halves = [FRAME[FRAME["meter_id"] <= 4], FRAME[FRAME["meter_id"] > 4]]
    found = pd.concat([scan_readings(h, WINDOW) for h in halves], ignore_index=True)
    split = summarize(found, WINDOW)
    whole = summarize(scan_readings(FRAME, WINDOW), WINDOW)

    assert split.read_per_month == whole.read_per_month
    assert split.tasks.equals(whole.tasks)


def test_a_partition_without_any_reading_misses_every_month():
    found = summarize(scan_readings(readings([(5, True, None, None)]), WINDOW), WINDOW)
    assert found.read_per_month == [0, 0, 0]
    assert len(found.tasks) == 0


@pytest.mark.parametrize(
    ("as_of", "first", "last"),
    [
        (date(2025, 6, 25), date(2024, 7, 1), date(2025, 6, 1)),
        (date(2025, 6, 20), date(2024, 7, 1), date(2025, 6, 1)),  # the reading day itself
        (date(2025, 6, 19), date(2024, 6, 1), date(2025, 5, 1)),  # June is not due yet
        (date(2025, 1, 10), date(2024, 1, 1), date(2024, 12, 1)),
    ],
)
def test_the_window_ends_with_the_last_month_whose_20th_has_passed(as_of, first, last):
    window = window_ending(as_of, 12)
    assert (window.first_month, window.month(11)) == (first, last)
    assert window.baseline.month == (first.month - 2) % 12 + 1

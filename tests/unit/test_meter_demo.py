"""The demo's year of readings: every anomaly it plants is found by the reading rules, and
nothing else is (households use 6-38 m³ a month otherwise)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dispatch.meter_demo import ANOMALIES, generate
from dispatch.meter_rules import scan_readings, summarize, window_ending

TODAY = date(2025, 7, 1)


def test_the_planted_anomalies_are_exactly_what_the_scan_finds():
    meters = pd.DataFrame({"id": range(1, 301), "residential": [i % 5 != 0 for i in range(300)]})
    made = generate(meters, TODAY, seed=3)
    window = window_ending(TODAY, 12)
    frame = made.frame.assign(
        residential=made.frame["meter_id"] % 5 != 1,
        read_on=pd.to_datetime(made.frame["read_on"]),
    )

    found = summarize(scan_readings(frame, window), window)

    def meters_with(kind):
        return sorted(set(found.tasks.loc[found.tasks["kind"] == kind, "meter_id"]))

    assert {k: len(v) for k, v in made.anomalies.items()} == ANOMALIES
    assert meters_with("re_read") == made.anomalies["over_100"]
    assert meters_with("home_check") == sorted(
        made.anomalies["over_100"] + made.anomalies["over_50"]
    )
    assert meters_with("valve_closing") == made.anomalies["zero_months"]
    assert sorted(set(found.missed["meter_id"])) == made.anomalies["missed"]
    # 13 readings a meter (June 2024 as the baseline, then July to June), 5 missed
    assert len(made.frame) == 300 * 13 - 5
    assert made.frame["read_on"].map(lambda d: d.day).eq(20).all()

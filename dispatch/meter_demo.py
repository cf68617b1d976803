"""A year of plausible monthly readings for the demo's meters (``dispatch demo readings``),
with a few of each thing the reading rules look for.

Every meter is read on the 20th of each of the 12 months up to the last one due, plus the
month before (the first month's baseline). A household uses 6-30 m³ a month, more in winter;
other customers 80-600 m³. Then, among households: a few months over 100 m³, a few over 50,
a few registers standing still for the last 4 months, and a few missed readings. Same seed,
same readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dispatch.meter_rules import READING_DAY, window_ending

#: How many meters get each anomaly (at most; a small territory has fewer households).
ANOMALIES = {"over_100": 4, "over_50": 6, "zero_months": 4, "missed": 5}
READERS = 8
#: More gas in winter (heating water, cooking indoors): month 1..12 -> factor.
SEASON = {1: 1.5, 2: 1.45, 3: 1.3, 4: 1.1, 5: 0.9, 6: 0.8, 7: 0.75, 8: 0.75, 9: 0.85}
SEASON |= {10: 1.05, 11: 1.3, 12: 1.5}


@dataclass(frozen=True)
class DemoReadings:
    frame: pd.DataFrame  # meter_id, read_on, reading_m3, consumption, reader, source
    anomalies: dict[str, list[int]]  # anomaly -> meter ids


def generate(meters: pd.DataFrame, today: date, *, seed: int = 7) -> DemoReadings:
    """Readings for ``meters`` (columns id, residential) up to the last reading day by
    ``today``."""
    rng = np.random.default_rng(seed)
    window = window_ending(today, 12)
    months = [window.baseline] + [window.month(i) for i in range(window.months)]
    ids = meters["id"].to_numpy(dtype=np.int64)
    residential = meters["residential"].to_numpy(dtype=bool)
    n, m = len(ids), len(months)
    season = np.array([SEASON[d.month] for d in months])
    base = np.where(residential, rng.uniform(6, 22, n), rng.uniform(80, 450, n))
    use = np.round(base[:, None] * season[None, :] * rng.uniform(0.85, 1.15, (n, m)), 1)
    use[:, 0] = 0  # the baseline reading is the register before the window
    read = np.ones((n, m), dtype=bool)

    households = np.flatnonzero(residential)
    chosen = rng.permutation(households)
    picks: dict[str, np.ndarray] = {}
    start = 0
    for name, count in ANOMALIES.items():
        picks[name] = np.sort(chosen[start : start + count])
        start += count
    for row in picks["over_100"]:
        use[row, rng.integers(1, m)] = round(float(rng.uniform(110, 180)), 1)
    for row in picks["over_50"]:
        use[row, rng.integers(1, m)] = round(float(rng.uniform(55, 95)), 1)
    for row in picks["zero_months"]:
        use[row, m - 4 :] = 0
    for row in picks["missed"]:
        read[row, rng.integers(2, m - 1)] = False

    register = np.round(rng.uniform(0, 4000, n)[:, None] + np.cumsum(use, axis=1), 1)
    meter_of, month_of = np.nonzero(read)
    frame = pd.DataFrame(
        {
            "meter_id": ids[meter_of],
            "read_on": [months[j].replace(day=READING_DAY) for j in month_of],
            "reading_m3": register[meter_of, month_of],
            "reader": [f"抄表员{(i % READERS) + 1:02d}" for i in ids[meter_of]],
            "source": "demo",
        }
    )
    previous = frame.groupby("meter_id")["reading_m3"].shift()
    frame.insert(3, "consumption", (frame["reading_m3"] - previous).round(3))
    anomalies = {name: [int(ids[r]) for r in rows] for name, rows in picks.items()}
    return DemoReadings(frame, anomalies)

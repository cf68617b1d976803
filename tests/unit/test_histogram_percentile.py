"""Percentiles estimated from a histogram of 1-minute buckets (dispatch.kpis.histogram_percentile,
what the response-time map reads from the database's daily histograms): hand-computed values,
and the documented accuracy, within one bucket of the exact percentile."""

from __future__ import annotations

import random

import pytest

from dispatch import kpis
from dispatch.errors import InvalidInput

BUCKETS = 181  # 0..179 one minute each, 180: 180 minutes and more


def histogram(minutes) -> list[int]:
    counts = [0] * BUCKETS
    for m in minutes:
        counts[min(int(m), BUCKETS - 1)] += 1
    return counts


def test_values_are_spread_evenly_through_their_bucket():
    # bucket 12 holds 2: taken as 12.25 and 12.75; bucket 20 holds 1: 20.5.
    counts = histogram([12.0, 12.9, 20.3])
    assert kpis.histogram_percentile(counts, 0) == 12.25
    assert kpis.histogram_percentile(counts, 50) == 12.75
    assert kpis.histogram_percentile(counts, 100) == 20.5
    # p90: h = 2 * 0.9 = 1.8 -> 12.75 + 0.8 * (20.5 - 12.75) = 18.95
    assert kpis.histogram_percentile(counts, 90) == pytest.approx(18.95)


def test_the_last_bucket_reads_as_its_lower_edge_and_nothing_has_no_percentile():
    assert kpis.histogram_percentile(histogram([200.0, 400.0]), 50) == 180.0
    assert kpis.histogram_percentile([0] * BUCKETS, 50) is None
    with pytest.raises(InvalidInput) as bad:
        kpis.histogram_percentile(histogram([1.0]), 101)
    assert bad.value.field == "p"


def test_the_estimate_is_within_one_bucket_of_the_exact_percentile():
    rng = random.Random(12)
    for size in (1, 2, 3, 7, 50, 1000):
        minutes = [rng.uniform(0, 179.99) for _ in range(size)]
        counts = histogram(minutes)
        for p in (0, 10, 25, 50, 75, 90, 95, 100):
            exact = kpis.percentile(minutes, p)
            assert abs(kpis.histogram_percentile(counts, p) - exact) < 1.0, (size, p)

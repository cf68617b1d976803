"""A generated gas network of any size, for benchmarks and tests of scale (in memory)."""

from __future__ import annotations

import numpy as np

from gis.isolation import PipeNetwork


def grid_network(
    side: int, *, seed: int = 0, valve_share: float = 0.6, stations: int = 40
) -> PipeNetwork:
    """A ``side`` x ``side`` grid of junctions joined by mains (about 2·side² mains), valves at
    ``valve_share`` of main ends, ``stations`` regulator stations spread over it, 0–30 meters
    per main (1 % of them critical customers)."""
    rng = np.random.default_rng(seed)
    n = side * side
    idx = np.arange(n).reshape(side, side)
    horizontal = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    vertical = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    mains = np.vstack([horizontal, vertical])
    m = len(mains)
    ends = rng.random((m, 2)) < valve_share
    valve_main = np.concatenate([np.flatnonzero(ends[:, 0]), np.flatnonzero(ends[:, 1])])
    valve_fraction = np.concatenate(
        [np.full(ends[:, 0].sum(), 0.02), np.full(ends[:, 1].sum(), 0.98)]
    )
    nv = len(valve_main)
    per_main = rng.integers(0, 31, size=m)
    meter_ids = np.arange(1, per_main.sum() + 1)
    return PipeNetwork(
        main_id=np.arange(1, m + 1),
        main_from=mains[:, 0],
        main_to=mains[:, 1],
        valve_id=np.arange(1, nv + 1),
        valve_main=valve_main,
        valve_fraction=valve_fraction,
        valve_operable=rng.random(nv) >= 0.03,
        valve_open=rng.random(nv) >= 0.01,
        source_nodes=rng.choice(n, size=min(stations, n), replace=False),
        n_nodes=n,
        meters_on_main=per_main,
        meter_ptr=np.concatenate([[0], np.cumsum(per_main)]),
        meter_ids=meter_ids,
        meter_critical=rng.random(len(meter_ids)) < 0.01,
    )

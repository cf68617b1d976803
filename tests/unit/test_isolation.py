"""Isolation traces on hand-built networks with known answers (pure, no database)."""

import numpy as np
import pytest

from gis.isolation import PipeNetwork, affected_meters, trace


def network(mains, valves, sources, n_nodes, meters=None, operable=None, closed=()):
    """mains: [(from, to)]; valves: [(main, fraction)] with ids 100, 101, ..."""
    m = len(mains)
    ids = np.arange(100, 100 + len(valves))
    per_main = np.array(meters if meters else [0] * m)
    meter_ids = np.arange(1, per_main.sum() + 1)
    return PipeNetwork(
        main_id=np.arange(1, m + 1), main_from=np.array([a for a, _ in mains]),
        main_to=np.array([b for _, b in mains]), valve_id=ids,
        valve_main=np.array([v[0] for v in valves], dtype=np.int64),
        valve_fraction=np.array([v[1] for v in valves], dtype=float),
        valve_operable=np.array(operable if operable is not None else [True] * len(valves)),
        valve_open=np.array([i not in closed for i in range(len(valves))]),
        source_nodes=np.array(sources), n_nodes=n_nodes, meters_on_main=per_main,
        meter_ptr=np.concatenate([[0], np.cumsum(per_main)]), meter_ids=meter_ids,
        meter_critical=np.isin(meter_ids, [3]),
    )  # fmt: skip


def valve_ids(net, plan):
    return sorted(net.valve_id[plan.valves_to_close].tolist())


def main_ids(net, idx):
    return sorted(net.main_id[idx].tolist())


# A line fed at node 0:  0 =m1= 1 =m2= 2 =m3= 3, valves 100 (on m2 at node 1) and
# 101 (on m3 at node 2).
LINE = dict(mains=[(0, 1), (1, 2), (2, 3)], valves=[(1, 0.05), (2, 0.05)], sources=[0],
            n_nodes=4, meters=[2, 3, 4])  # fmt: skip


def test_a_single_feed_closes_only_the_upstream_valve_and_downstream_loses_gas():
    net = network(**LINE)

    plan = trace(net, 1)

    assert valve_ids(net, plan) == [100]
    assert main_ids(net, plan.mains_out) == [2, 3]
    assert plan.meters_affected == 3 + 4


def test_a_loop_fed_from_two_stations_needs_both_sides_closed():
    # 0 =m1= 1 =m2= 2 =m3= 3 with stations at 0 and 3; valves on m2 at each end.
    net = network(mains=[(0, 1), (1, 2), (2, 3)], valves=[(1, 0.05), (1, 0.95)],
                  sources=[0, 3], n_nodes=4, meters=[1, 1, 1])  # fmt: skip

    plan = trace(net, 1)

    assert valve_ids(net, plan) == [100, 101]
    assert main_ids(net, plan.mains_out) == [2]


def test_closing_one_side_of_a_loop_is_not_enough():
    net = network(mains=[(0, 1), (1, 2), (2, 3)], valves=[(1, 0.05), (1, 0.95)],
                  sources=[0, 3], n_nodes=4)  # fmt: skip

    plan = trace(net, 1)

    assert len(plan.valves_to_close) == 2  # either one alone leaves it fed from the other


def test_an_inoperable_valve_widens_the_plan_to_the_next_ring():
    # 0 =m1= 1 =m2= 2 =m3= 3 fed at 0; valves 100 on m1 (near 0) and 101 on m2 (near 1).
    spec = dict(mains=[(0, 1), (1, 2), (2, 3)], valves=[(0, 0.05), (1, 0.05)], sources=[0],
                n_nodes=4, meters=[1, 1, 1])  # fmt: skip
    good = network(**spec)
    broken = network(**spec, operable=[True, False])

    assert valve_ids(good, trace(good, 1)) == [101]
    widened = trace(broken, 1)
    assert valve_ids(broken, widened) == [100]
    assert main_ids(broken, widened.mains_out) == [1, 2, 3]


def test_a_stuck_valve_found_in_the_field_retraces_to_the_next_ring():
    spec = dict(mains=[(0, 1), (1, 2), (2, 3)], valves=[(0, 0.05), (1, 0.05)], sources=[0],
                n_nodes=4)  # fmt: skip
    net = network(**spec)

    plan = trace(net, 1, stuck=frozenset({net.valve_index[101]}))

    assert valve_ids(net, plan) == [100]
    assert net.valve_id[plan.skipped_valves].tolist() == [101]


def test_an_already_closed_valve_is_honoured_and_not_listed():
    # 0 =m1= 1 =m2= 2 with a second feed 3 =m3= 2; valve 101 on m3 is already closed, so
    # the leak on m2 is fed from node 0 only.
    net = network(mains=[(0, 1), (1, 2), (3, 2)], valves=[(1, 0.05), (2, 0.5)],
                  sources=[0, 3], n_nodes=4, closed=(1,))  # fmt: skip

    plan = trace(net, 1)

    assert valve_ids(net, plan) == [100]


def test_a_downstream_branch_loses_supply_without_its_own_valves_closing():
    # Fed at 0; m2 leaks; a branch m3 hangs off node 2 with its own valve 101 near node 2.
    net = network(mains=[(0, 1), (1, 2), (2, 3), (3, 4)], valves=[(1, 0.05), (2, 0.05)],
                  sources=[0], n_nodes=5, meters=[1, 1, 1, 1])  # fmt: skip

    plan = trace(net, 1)

    assert valve_ids(net, plan) == [100]
    assert main_ids(net, plan.mains_out) == [2, 3, 4]
    assert plan.meters_affected == 3


def test_a_leak_in_a_stations_own_segment_names_the_station_to_shut():
    net = network(mains=[(0, 1)], valves=[], sources=[0], n_nodes=2)

    plan = trace(net, 0)

    assert plan.stations_to_shut.tolist() == [0] and len(plan.valves_to_close) == 0


def test_critical_customers_come_first_in_the_notification_list():
    net = network(**LINE)
    plan = trace(net, 1)

    ids, critical = affected_meters(net, plan.mains_out)

    assert ids.tolist()[0] == 3 and critical.tolist()[0]
    assert sorted(ids.tolist()) == [3, 4, 5, 6, 7, 8, 9]


def test_a_main_index_out_of_range_names_the_argument():
    with pytest.raises(ValueError, match="`leak_main` must be a main index"):
        trace(network(**LINE), 7)

"""Compiled Dijkstra kernels (numba) over the CSR arrays of :class:`routing.graph.RoadGraph`.

Private: the public functions in ``routing.nearest``, ``routing.matrix`` and
``routing.coverage`` prepare the arrays and interpret the results. Scratch arrays (``dist``,
``pred``) are passed in and restored to +inf / -1 through the ``touched`` list, so a query
costs what it explores, not the size of the graph.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, inline="always")
def _push(keys, vals, size, key, val):
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@njit(cache=True, inline="always")
def _pop(keys, vals, size):
    key, val = keys[0], vals[0]
    size -= 1
    keys[0], vals[0] = keys[size], vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            child = left + 1
        if keys[i] <= keys[child]:
            break
        keys[child], keys[i] = keys[i], keys[child]
        vals[child], vals[i] = vals[i], vals[child]
        i = child
    return key, val, size


@njit(cache=True)
def nearest_k(
    rev_ptr,
    rev_edge,
    edge_u,
    edge_time,
    start_nodes,
    start_costs,
    entry_ptr,
    entry_order,
    entry_crew,
    entry_node,
    entry_cost,
    direct_crews,
    direct_costs,
    eligible,
    k,
    max_cost,
    dist,
    pred,
    crew_done,
    heap_keys,
    heap_vals,
    touched,
    out_crew,
    out_cost,
    out_node,
):
    """Backward Dijkstra from the incident until ``k`` eligible crews are settled.

    ``dist[n]`` becomes the travel time from node n to the incident and ``pred[n]`` the edge
    n->x taken next. A crew is a virtual node joined to its entry nodes (``entry_*``, grouped
    by node through ``entry_ptr``/``entry_order``) by its partial-edge cost, and to the
    incident directly when both lie on one edge (``direct_*``); so it is settled exactly when
    its best total is the smallest in the heap. ``out_node`` is the entry node the crew's
    route goes through (-2: along the incident's own edge). Returns (found, touched count)."""
    n_nodes = rev_ptr.shape[0] - 1
    n_entries = entry_crew.shape[0]
    size = 0
    n_touched = 0
    for i in range(start_nodes.shape[0]):
        node = start_nodes[i]
        if start_costs[i] < dist[node]:
            if dist[node] == INF:
                touched[n_touched] = node
                n_touched += 1
            dist[node] = start_costs[i]
            pred[node] = -1
            size = _push(heap_keys, heap_vals, size, start_costs[i], node)
    for i in range(direct_crews.shape[0]):
        if eligible[direct_crews[i]]:
            size = _push(heap_keys, heap_vals, size, direct_costs[i], n_nodes + n_entries + i)
    found = 0
    while size > 0 and found < k:
        key, val, size = _pop(heap_keys, heap_vals, size)
        if key > max_cost:
            break
        if val >= n_nodes:  # a crew, through one of its entries or directly
            item = val - n_nodes
            if item < n_entries:
                crew, via = entry_crew[item], entry_node[item]
            else:
                crew, via = direct_crews[item - n_entries], -2
            if crew_done[crew]:
                continue
            crew_done[crew] = True
            out_crew[found] = crew
            out_cost[found] = key
            out_node[found] = via
            found += 1
            continue
        node = val
        if key > dist[node]:
            continue  # stale heap entry
        for j in range(entry_ptr[node], entry_ptr[node + 1]):
            entry = entry_order[j]
            crew = entry_crew[entry]
            if eligible[crew] and not crew_done[crew]:
                size = _push(heap_keys, heap_vals, size, key + entry_cost[entry], n_nodes + entry)
        for j in range(rev_ptr[node], rev_ptr[node + 1]):
            edge = rev_edge[j]
            tail = edge_u[edge]
            cand = key + edge_time[edge]
            if cand < dist[tail]:
                if dist[tail] == INF:
                    touched[n_touched] = tail
                    n_touched += 1
                dist[tail] = cand
                pred[tail] = edge
                size = _push(heap_keys, heap_vals, size, cand, tail)
    for f in range(found):
        crew_done[out_crew[f]] = False
    return found, n_touched


@njit(cache=True)
def reset(dist, pred, touched, n_touched):
    for i in range(n_touched):
        node = touched[i]
        dist[node] = INF
        pred[node] = -1


@njit(cache=True)
def one_to_all(
    ptr,
    edge_list,
    edge_other,
    edge_time,
    start_nodes,
    start_costs,
    max_cost,
    dist,
    heap_keys,
    heap_vals,
):
    """Dijkstra from several weighted start nodes, filling ``dist`` (must be +inf on entry)
    for every node within ``max_cost``. Forward with the ``fwd`` CSR and ``edge_v`` as
    ``edge_other``; backward with ``rev`` and ``edge_u``."""
    size = 0
    for i in range(start_nodes.shape[0]):
        node = start_nodes[i]
        if start_costs[i] < dist[node]:
            dist[node] = start_costs[i]
            size = _push(heap_keys, heap_vals, size, start_costs[i], node)
    while size > 0:
        key, node, size = _pop(heap_keys, heap_vals, size)
        if key > dist[node]:
            continue
        if key > max_cost:
            break
        for j in range(ptr[node], ptr[node + 1]):
            edge = edge_list[j]
            other = edge_other[edge]
            cand = key + edge_time[edge]
            if cand < dist[other]:
                dist[other] = cand
                size = _push(heap_keys, heap_vals, size, cand, other)


@njit(cache=True)
def many_to_many(
    ptr,
    edge_list,
    edge_other,
    edge_time,
    src_ptr,
    src_nodes,
    src_costs,
    dst_ptr,
    dst_nodes,
    dst_costs,
    dist,
    heap_keys,
    heap_vals,
    out,
):
    """``out[i, j]``: best time from source i to destination j, each being a few weighted
    graph nodes (``src_ptr`` / ``dst_ptr`` group them). One full Dijkstra per source."""
    n_src = src_ptr.shape[0] - 1
    n_dst = dst_ptr.shape[0] - 1
    for i in range(n_src):
        dist[:] = INF
        one_to_all(
            ptr,
            edge_list,
            edge_other,
            edge_time,
            src_nodes[src_ptr[i] : src_ptr[i + 1]],
            src_costs[src_ptr[i] : src_ptr[i + 1]],
            INF,
            dist,
            heap_keys,
            heap_vals,
        )
        for j in range(n_dst):
            best = INF
            for t in range(dst_ptr[j], dst_ptr[j + 1]):
                cand = dist[dst_nodes[t]] + dst_costs[t]
                if cand < best:
                    best = cand
            out[i, j] = best


@njit(cache=True)
def trace(pred, edge_v, node, out):
    """Follow ``pred`` edges from ``node`` to the search's start; returns (edges, end node)."""
    n = 0
    while pred[node] >= 0:
        edge = pred[node]
        out[n] = edge
        n += 1
        node = edge_v[edge]
    return n, node


@njit(cache=True)
def describe(
    edge_u,
    edge_v,
    edge_time,
    edge_length,
    edge_twin,
    dist,
    pred,
    path,
    crew_edge,
    t,
    via,
    travel,
    e,
    s,
    junction_m,
):
    """Reconstruct one found crew's route after :func:`nearest_k`: which way it left its own
    edge, the edges to the incident, and how it reached the incident's edge.

    Returns (start_edge, start_fraction, n_path, end_edge, end_fraction, metres); an edge of -1
    means "at the junction itself". ``path[:n_path]`` holds the whole edges in order."""
    if via == -2:  # along the incident's own street, no junction in between
        pos = t if crew_edge == e else 1.0 - t
        if pos <= s:
            return e, pos, 0, e, s, (s - pos) * edge_length[e]
        twin = edge_twin[e]
        return twin, 1.0 - pos, 0, twin, 1.0 - s, (pos - s) * edge_length[twin]
    # The way out of the crew's edge whose cost explains the crew's time.
    leave = travel - dist[via]
    start_edge, start_frac, best = -1, 0.0, abs(leave)  # standing at the junction
    if edge_v[crew_edge] == via and abs((1.0 - t) * edge_time[crew_edge] - leave) < best:
        start_edge, start_frac = crew_edge, t
        best = abs((1.0 - t) * edge_time[crew_edge] - leave)
    twin = edge_twin[crew_edge]
    if twin >= 0 and edge_u[crew_edge] == via and abs(t * edge_time[twin] - leave) < best:
        start_edge, start_frac = twin, 1.0 - t
    n = 0
    node = via
    metres = 0.0
    while pred[node] >= 0:
        edge = pred[node]
        path[n] = edge
        metres += edge_length[edge]
        n += 1
        node = edge_v[edge]
    # How the incident is reached from the node the chain ends at.
    arrive = dist[node]
    end_edge, end_frac, best = -1, 0.0, abs(arrive)
    if edge_u[e] == node and abs(s * edge_time[e] - arrive) < best:
        end_edge, end_frac = e, s
        best = abs(s * edge_time[e] - arrive)
    twin_e = edge_twin[e]
    if twin_e >= 0 and edge_v[e] == node and abs((1.0 - s) * edge_time[twin_e] - arrive) < best:
        end_edge, end_frac = twin_e, 1.0 - s
    if start_edge >= 0:
        metres += (1.0 - start_frac) * edge_length[start_edge]
    if end_edge >= 0:
        metres += end_frac * edge_length[end_edge]
    return start_edge, start_frac, n, end_edge, end_frac, metres

"""Turning a boolean raster into polygons fast: boundary tracing compiled with numba.

Private to ``routing.coverage``. Cells are unit squares; cell (row i, column j) spans
x in [j, j+1], y in [i, i+1]. Boundaries are traced with the filled cells on the left, so
outer rings run counter-clockwise and holes clockwise; cells touching only at a corner are
first joined, so every ring is simple and the result valid.
"""

from __future__ import annotations

import numpy as np
import shapely
from numba import njit


@njit(cache=True)
def _add_edge(v, d, n, e_from, e_dir, out1, out2):
    e_from[n] = v
    e_dir[n] = d
    if out1[v] < 0:
        out1[v] = n
    else:
        out2[v] = n
    return n + 1


@njit(cache=True)
def _trace(grid):
    h, w = grid.shape
    stride = w + 1
    nv = (h + 1) * stride
    out1 = np.full(nv, -1, dtype=np.int64)  # first outgoing boundary edge of a vertex
    out2 = np.full(nv, -1, dtype=np.int64)  # second one (at a diagonal "saddle")
    e_from = np.empty(4 * h * w + 1, dtype=np.int64)
    e_dir = np.empty(4 * h * w + 1, dtype=np.int64)
    n = 0
    for i in range(h):
        for j in range(w):
            if not grid[i, j]:
                continue
            if i == 0 or not grid[i - 1, j]:  # bottom side, walked +x
                n = _add_edge(i * stride + j, 0, n, e_from, e_dir, out1, out2)
            if j + 1 == w or not grid[i, j + 1]:  # right side, walked +y
                n = _add_edge(i * stride + j + 1, 1, n, e_from, e_dir, out1, out2)
            if i + 1 == h or not grid[i + 1, j]:  # top side, walked -x
                n = _add_edge((i + 1) * stride + j + 1, 2, n, e_from, e_dir, out1, out2)
            if j == 0 or not grid[i, j - 1]:  # left side, walked -y
                n = _add_edge((i + 1) * stride + j, 3, n, e_from, e_dir, out1, out2)
    step = np.array([1, stride, -1, -stride])
    used = np.zeros(n, dtype=np.bool_)
    xs = np.empty(n + 1, dtype=np.float64)
    ys = np.empty(n + 1, dtype=np.float64)
    ring_ends = np.empty(n + 1, dtype=np.int64)
    m = 0
    rings = 0
    for first in range(n):
        if used[first]:
            continue
        e = first
        last_dir = -1
        while not used[e]:
            used[e] = True
            v = e_from[e]
            if e_dir[e] != last_dir:  # keep a vertex only where the boundary turns
                xs[m] = v % stride
                ys[m] = v // stride
                m += 1
            last_dir = e_dir[e]
            end = v + step[last_dir]
            a, b = out1[end], out2[end]
            if b < 0 or used[b]:
                e = a
            elif used[a]:
                e = b
            elif e_dir[a] == (last_dir + 1) % 4:
                e = a  # a saddle: turn left, keeping corner-touching cells in separate rings
            else:
                e = b
        ring_ends[rings] = m
        rings += 1
    return xs[:m], ys[:m], ring_ends[:rings]


def _without_saddles(grid: np.ndarray) -> np.ndarray:
    """Fill one empty cell of every 2x2 checkerboard. Where cells meet only at a corner no
    choice of ring tracing gives valid geometry for both the filled and the empty side; closing
    the corner (at most one cell each) makes every traced ring simple."""
    grid = np.array(grid, dtype=np.bool_, copy=True)
    while True:
        a, b, c, d = grid[:-1, :-1], grid[:-1, 1:], grid[1:, :-1], grid[1:, 1:]
        rising = a & d & ~b & ~c
        falling = b & c & ~a & ~d
        if not (rising.any() or falling.any()):
            return grid
        grid[:-1, 1:] |= rising
        grid[:-1, :-1] |= falling


def raster_to_polygons(grid: np.ndarray, x0: float, y0: float, cell: float):
    """The filled area of ``grid`` (rows along y) as a (Multi)Polygon in the raster's units:
    cell (i, j) covers [x0 + j*cell, x0 + (j+1)*cell] x [y0 + i*cell, y0 + (i+1)*cell]."""
    xs, ys, ends = _trace(_without_saddles(grid))
    if len(ends) == 0:
        return shapely.MultiPolygon()
    starts = np.concatenate([[0], ends[:-1]])
    counts = ends - starts
    coords = np.column_stack([x0 + xs * cell, y0 + ys * cell])
    # Close each ring by repeating its first vertex.
    idx = np.repeat(np.arange(len(ends)), counts)
    closed = np.insert(coords, ends, coords[starts], axis=0)
    ring_idx = np.insert(idx, ends, np.arange(len(ends)))
    rings = shapely.linearrings(closed, indices=ring_idx)
    outer = shapely.is_ccw(rings)
    shells = shapely.polygons(rings[outer])
    holes = rings[~outer]
    owner = [[] for _ in range(len(shells))]
    if len(holes):
        tree = shapely.STRtree(shells)
        # Rings never cross: a hole belongs to the smallest shell that contains it.
        hits = tree.query(shapely.polygons(holes), predicate="within")
        area = shapely.area(shells)
        best: dict[int, int] = {}
        for h, s in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            if h not in best or area[s] < area[best[h]]:
                best[h] = s
        for h, s in best.items():
            owner[s].append(holes[h])
    polygons = [
        shapely.Polygon(
            shapely.get_coordinates(shell.exterior), [shapely.get_coordinates(h) for h in owner[k]]
        )
        for k, shell in enumerate(shells)
    ]
    return shapely.MultiPolygon(polygons)

"""Crews as the router sees them: snapped positions, status, skills and fix age, in arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.errors import InvalidArgument, UnknownSkill
from routing.graph import RoadGraph
from routing.snap import Snaps

SKILLS = ("emergency", "indoor_repair", "meter", "installation")
STATUSES = ("available", "busy", "off_duty", "out_of_service")
#: A crew whose last GPS fix is older than this is stale and not recommended by default (s).
DEFAULT_MAX_FIX_AGE_S = 300.0


def skill_mask(skills: Sequence[str] | str | None) -> int:
    """Bit mask of skills; raises :class:`UnknownSkill` naming the argument."""
    if skills is None:
        return 0
    if isinstance(skills, str):
        skills = [s for s in skills.replace(";", ",").replace("|", ",").split(",") if s.strip()]
    mask = 0
    for skill in skills:
        skill = skill.strip()
        if skill not in SKILLS:
            raise UnknownSkill(f"`skill`: unknown skill {skill!r}; known: {', '.join(SKILLS)}")
        mask |= 1 << SKILLS.index(skill)
    return mask


@dataclass
class CrewSet:
    """Crews snapped to a graph, ready for many queries. Positions are EPSG:4326 degrees;
    ``fix_age_s`` seconds since the last GPS fix; ``remaining_job_s`` the expected time a busy
    crew still needs on its current job."""

    ids: np.ndarray  # object or int
    lon: np.ndarray
    lat: np.ndarray
    status: np.ndarray  # int8 index into STATUSES
    skills: np.ndarray  # int64 bit masks
    fix_age_s: np.ndarray
    remaining_job_s: np.ndarray
    snaps: Snaps
    # Entry points into the graph (see :func:`entries`), grouped by node for the search.
    entry_crew: np.ndarray
    entry_node: np.ndarray
    entry_cost: np.ndarray
    entry_ptr: np.ndarray
    entry_order: np.ndarray
    # A busy crew competes on ETA: the time its current job still needs is added to its entry
    # costs, so the search itself ranks crews by arrival time.
    wait_s: np.ndarray
    entry_eta_cost: np.ndarray
    # Crews by street (an edge and its twin share the lower id), for crews that can drive
    # straight to an incident on their own street.
    on_street: dict[int, list[int]]

    def __len__(self) -> int:
        return len(self.ids)


#: A point this close to a junction is at the junction: it may leave by any street there,
#: whichever of the junction's edges it happened to snap to (metres).
JUNCTION_RADIUS_M = 1.0


def entries(graph: RoadGraph, snaps: Snaps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where snapped points enter the graph: (point index, node, seconds to reach the node).

    A point on edge u->v at fraction t reaches v after (1-t)·time(e) and, on a two-way street,
    u after t·time(twin); a point within ``JUNCTION_RADIUS_M`` of u or v is at that node."""
    return _junctions(graph, snaps, leaving=True)


def exits(graph: RoadGraph, snaps: Snaps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How snapped points (incidents) are reached from the graph: (point index, node, seconds
    from the node to the point). A point on u->v at fraction s is reached from u after
    s·time(e), from v via the twin after (1-s)·time(twin), and at no cost from a node it is
    within ``JUNCTION_RADIUS_M`` of."""
    return _junctions(graph, snaps, leaving=False)


def _junctions(graph: RoadGraph, snaps: Snaps, *, leaving: bool):
    on = np.flatnonzero(snaps.edge >= 0)
    edge = snaps.edge[on]
    t = snaps.fraction[on]
    twin = graph.edge_twin[edge]
    has_twin = twin >= 0
    metres = t * graph.edge_length_m[edge]
    at_tail = metres <= JUNCTION_RADIUS_M
    at_head = graph.edge_length_m[edge] - metres <= JUNCTION_RADIUS_M
    # Leaving, a point drives on to the edge's head (or back to its tail on the twin);
    # arriving, it is reached from the tail (or from the head along the twin).
    ahead, back = (graph.edge_v, graph.edge_u) if leaving else (graph.edge_u, graph.edge_v)
    share = (1 - t) if leaving else t
    point = np.concatenate([on, on[has_twin], on[at_tail], on[at_head]])
    node = np.concatenate(
        [
            ahead[edge],
            back[edge[has_twin]],
            graph.edge_u[edge[at_tail]],
            graph.edge_v[edge[at_head]],
        ]
    )
    cost = np.concatenate(
        [
            share * graph.edge_time_s[edge],
            (1 - share[has_twin]) * graph.edge_time_s[twin[has_twin]],
            np.zeros(at_tail.sum()),
            np.zeros(at_head.sum()),
        ]
    )
    return point.astype(np.int64), node.astype(np.int64), cost


def prepare_crews(
    graph: RoadGraph,
    snaps: Snaps,
    *,
    ids: Sequence,
    lon,
    lat,
    status: Sequence[str] | None = None,
    skills: Sequence[Sequence[str] | str] | None = None,
    fix_age_s=None,
    remaining_job_s=None,
) -> CrewSet:
    """Arrays for the router from crew attributes and their snaps (see ``EdgeIndex.snap``)."""
    n = len(ids)
    if len(snaps.edge) != n:
        raise InvalidArgument("`snaps` must hold one snap per crew")
    status_codes = np.zeros(n, dtype=np.int8)
    if status is not None:
        for i, s in enumerate(status):
            if s not in STATUSES:
                raise InvalidArgument(f"`status`: unknown crew status {s!r}; known: {STATUSES}")
            status_codes[i] = STATUSES.index(s)
    masks = np.full(n, (1 << len(SKILLS)) - 1, dtype=np.int64)
    if skills is not None:
        masks = np.array([skill_mask(s) for s in skills], dtype=np.int64)
    ages = np.zeros(n) if fix_age_s is None else np.asarray(fix_age_s, dtype=float)
    remaining = np.zeros(n) if remaining_job_s is None else np.asarray(remaining_job_s, float)

    entry_crew, entry_node, entry_cost = entries(graph, snaps)
    entry_order = np.argsort(entry_node, kind="stable").astype(np.int64)
    entry_ptr = np.zeros(graph.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_node, minlength=graph.n_nodes), out=entry_ptr[1:])
    wait = np.where(status_codes == STATUSES.index("busy"), remaining, 0.0)
    on_street: dict[int, list[int]] = {}
    for crew in np.flatnonzero(snaps.edge >= 0).tolist():
        edge = int(snaps.edge[crew])
        twin = int(graph.edge_twin[edge])
        on_street.setdefault(min(edge, twin) if twin >= 0 else edge, []).append(crew)
    return CrewSet(
        ids=np.asarray(ids, dtype=object),
        lon=np.asarray(lon, float),
        lat=np.asarray(lat, float),
        status=status_codes,
        skills=masks,
        fix_age_s=ages,
        remaining_job_s=remaining,
        snaps=snaps,
        entry_crew=entry_crew.astype(np.int64),
        entry_node=entry_node.astype(np.int64),
        entry_cost=entry_cost,
        entry_ptr=entry_ptr,
        entry_order=entry_order,
        wait_s=wait,
        entry_eta_cost=entry_cost + wait[entry_crew],
        on_street=on_street,
    )

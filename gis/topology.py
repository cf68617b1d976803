"""Checks of the pipe topology: what an import or an edit may have broken."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: A main whose end lies farther than this from its node is reported (metres).
ENDPOINT_TOLERANCE_M = 0.5


def validation_report(cur) -> dict:
    """Dangling ends (listed for review), and the faults: mains not fed from any regulator
    station, duplicate geometries, mains whose ends do not meet their nodes."""
    cur.execute("SELECT id, from_node, to_node FROM gas_mains ORDER BY id")
    mains = np.array([tuple(_values(r)) for r in cur.fetchall()], dtype=np.int64).reshape(-1, 3)
    cur.execute("SELECT node_id FROM regulator_stations")
    sources = {int(_values(r)[0]) for r in cur.fetchall()}
    report = {
        "mains": len(mains),
        "dangling_nodes": [],
        "unfed_mains": [],
        "duplicate_mains": [],
        "ends_off_their_nodes": [],
    }
    if len(mains):
        nodes, inverse = np.unique(mains[:, 1:], return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        degree = np.bincount(inverse.ravel(), minlength=len(nodes))
        report["dangling_nodes"] = sorted(
            int(n) for n in nodes[degree == 1] if int(n) not in sources
        )
        graph = coo_matrix(
            (np.ones(len(mains)), (inverse[:, 0], inverse[:, 1])), shape=(len(nodes), len(nodes))
        )
        _, label = connected_components(graph, directed=False)
        fed = {label[i] for i, n in enumerate(nodes.tolist()) if n in sources}
        report["unfed_mains"] = [
            int(m) for m, a in zip(mains[:, 0], inverse[:, 0], strict=True) if label[a] not in fed
        ]
    cur.execute(
        "SELECT array_agg(id ORDER BY id) FROM gas_mains"
        " GROUP BY ST_AsBinary(ST_Normalize(geom)) HAVING count(*) > 1"
    )
    report["duplicate_mains"] = [list(_values(r)[0]) for r in cur.fetchall()]
    cur.execute(
        "SELECT m.id FROM gas_mains m JOIN pipe_nodes a ON a.id = m.from_node"
        " JOIN pipe_nodes b ON b.id = m.to_node"
        " WHERE ST_Distance(ST_StartPoint(m.geom)::geography, a.geom::geography) > %(t)s"
        "    OR ST_Distance(ST_EndPoint(m.geom)::geography, b.geom::geography) > %(t)s"
        " ORDER BY m.id",
        {"t": ENDPOINT_TOLERANCE_M},
    )
    report["ends_off_their_nodes"] = [int(_values(r)[0]) for r in cur.fetchall()]
    # Dead-end mains are normal in distribution networks: listed, but not a fault.
    faults = ("unfed_mains", "duplicate_mains", "ends_off_their_nodes")
    report["clean"] = not any(report[k] for k in faults)
    return report


def _values(row):
    return tuple(row.values()) if isinstance(row, dict) else row

"""The demo simulator's reads: where incidents can happen. Functions take a cursor inside the
caller's transaction (see :class:`dispatch.unit_of_work.UnitOfWork`) and return plain values.

Only ids, account numbers and locations are read here, never a customer's name or phone: the
simulator invents its callers (:mod:`gis.demo.people`). Rows come in id order so that a seeded
simulator picks the same places on the same territory. Coordinates are EPSG:4326 degrees,
lengths metres.
"""

from __future__ import annotations


def gas_main_lengths(cur) -> list[tuple[int, float]]:
    """``(main id, length in metres)`` of every main in service, by id."""
    cur.execute(
        "SELECT id, length_m FROM gas_mains WHERE status = 'in_service' AND length_m > 0"
        " ORDER BY id"
    )
    return [(int(r["id"]), float(r["length_m"])) for r in cur.fetchall()]


def point_along_main(cur, main_id: int, fraction: float) -> dict | None:
    """The point ``fraction`` (0 to 1) of the way along main ``main_id``, with the street it
    lies under: ``{"lon", "lat", "street_name"}``, or None when there is no such main."""
    cur.execute(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat, street_name FROM"
        " (SELECT ST_LineInterpolatePoint(geom, %s) AS p, street_name FROM gas_mains"
        "  WHERE id = %s) AS m",
        (min(max(float(fraction), 0.0), 1.0), main_id),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return {"lon": float(row["lon"]), "lat": float(row["lat"]), "street_name": row["street_name"]}


def meter_sites(cur) -> list[dict]:
    """Every customer meter as ``{"id", "account_no", "lon", "lat"}``, by id."""
    cur.execute(
        "SELECT id, account_no, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM customer_meters"
        " ORDER BY id"
    )
    return [
        {
            "id": int(r["id"]),
            "account_no": r["account_no"],
            "lon": float(r["lon"]),
            "lat": float(r["lat"]),
        }
        for r in cur.fetchall()
    ]

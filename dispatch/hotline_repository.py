"""SQL of the hotline's intake page (:mod:`dispatch.hotline_service`)."""

from __future__ import annotations


def open_tickets_near(cur, lon: float, lat: float, radius_m: float, limit: int = 20) -> list[dict]:
    """Open tickets within ``radius_m`` of a point, nearest first (repeat calls are linked to
    the ticket they repeat, so only tickets that are no one's duplicate are listed)."""
    cur.execute(
        "SELECT id, number, ticket_type, category, priority, status, address, received_at,"
        " promised_reply_at, ST_X(geom) AS lon, ST_Y(geom) AS lat,"
        " ST_Distance(geom::geography, p.g::geography) AS distance_m"
        " FROM tickets, (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) p"
        " WHERE status NOT IN ('closed', 'cancelled') AND parent_ticket_id IS NULL"
        " AND geom IS NOT NULL AND ST_DWithin(geom::geography, p.g::geography, %(r)s)"
        " ORDER BY distance_m, id LIMIT %(n)s",
        {"lon": lon, "lat": lat, "r": radius_m, "n": limit},
    )
    return list(cur.fetchall())

"""What the dispatcher's wall screen shows, computed from one read of the database.

:func:`wall_snapshot` reads; the rest are pure functions of a snapshot and the time, so the
Dash callbacks stay one-liners and tests need no browser.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from dispatch import kpi_repository, report_repository
from dispatch import repository as repo
from dispatch.json_shapes import crew_view, event_view, recommendation_view
from dispatch.kpis import key_figures
from dispatch.settings import current


def wall_snapshot(
    cur, now: datetime, *, stale_after_s: float | None = None, at_risk_share: float | None = None
) -> dict:
    """Open tickets, crews and today's figures, as JSON-ready dicts (times ISO 8601), from one
    read of the database (the live screens use :class:`dispatch.wall_live_state.WallLiveState`,
    which reads only what changed)."""
    return snapshot_from(
        read_wall_rows(cur, now), now, stale_after_s=stale_after_s, at_risk_share=at_risk_share
    )


def read_wall_rows(cur, now: datetime) -> dict:
    """The rows a wall snapshot is made of: open tickets, crews, the rows of today's figures
    (:mod:`dispatch.kpis`) and the territory's time zone."""
    return {
        "tickets": repo.wall_tickets(cur),
        "crews": repo.list_crews(cur),
        "kpi": kpi_repository.kpi_rows(cur, now),
        "timezone": repo.territory_timezone(cur),
        "camera_alarms": camera_alarm_rows(cur),
        "review_alarms": report_repository.open_alarms(cur),
    }


def camera_alarm_rows(cur) -> list[dict]:
    """The station cameras without signal (:mod:`dispatch.camera_watch` raises them)."""
    from gis.cameras import open_signal_alarms

    return open_signal_alarms(cur)


def snapshot_from(
    rows: dict, now: datetime, *, stale_after_s: float | None = None, at_risk_share=None
) -> dict:
    """A wall snapshot at ``now`` from rows as :func:`read_wall_rows` gives them: the parts
    that depend on the time (at risk, stale, today's figures) are worked out here, with no
    database. A crew's fix is stale after ``stale_after_s``, a deadline at risk past
    ``at_risk_share`` of its time (default: the settings', :func:`dispatch.settings.current`)."""
    settings = current()
    if stale_after_s is None:
        stale_after_s = settings.dispatch.stale_gps_after_s
    if at_risk_share is None:
        at_risk_share = settings.clocks.at_risk_share
    return {
        "tickets": [_ticket(row, now, at_risk_share) for row in rows["tickets"]],
        "crews": [crew_view(row, now, stale_after_s) for row in rows["crews"]],
        "routes": routes_geojson(rows["tickets"]),
        "timezone": rows["timezone"],
        # Days whose leak log was not reviewed in time (dispatch.report_service.check_reviews).
        "review_alarms": [{"date": a["day"].isoformat()} for a in rows.get("review_alarms") or []],
        "kpis": key_figures(
            rows["kpi"], now, stale_after_s=stale_after_s, at_risk_share=at_risk_share
        ),
        "camera_alarms": [
            {"id": a["id"], "camera_id": a["camera_id"], "name": a["name"]}
            for a in rows.get("camera_alarms", [])
        ],
    }


def routes_geojson(rows: list[dict]) -> dict:
    """The road routes of crews on their way (assigned, accepted, en route)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(r["route"]),
                "properties": {"kind": "route", "ticket": r["number"], "crew": r["crew_code"]},
            }
            for r in rows
            if r.get("route")
        ],
    }


def _ticket(row: dict, now: datetime, at_risk_share: float) -> dict:
    due, received = row["arrival_due_at"], row["received_at"]
    share = None
    if due is not None and row["arrived_at"] is None:
        share = (now - received) / (due - received) if due > received else 1.0
    return {
        "id": row["id"],
        "number": row["number"],
        "type": row["ticket_type"],
        "category": row["category"],
        "priority": row["priority"],
        "status": row["status"],
        "address": row["address"],
        "callers": row["callers"],
        "received_at": received.isoformat(),
        "arrival_due_at": due.isoformat() if due else None,
        "arrived": row["arrived_at"] is not None,
        "crew_id": row["crew_id"],
        "crew_code": row["crew_code"],
        "eta_at": (row["assigned_at"] + timedelta(seconds=row["eta_s"])).isoformat()
        if row["eta_s"] is not None and row["assigned_at"] is not None
        else None,
        "at_risk": share is not None and share >= at_risk_share,
        "missed": share is not None and share >= 1.0,
        "lon": row["lon"],
        "lat": row["lat"],
        "stuck_valves": [int(v) for v in row.get("stuck_valves") or []],
    }


def alarms(snapshot: dict, acknowledged: set[str]) -> list[dict]:
    """Alarms not yet acknowledged: every open P1 ticket not yet assigned, every deadline at
    risk, every valve a crew found stuck, every stale crew that holds an active job. Keys are
    stable, so an acknowledgement holds until the situation changes."""
    out = []
    for t in snapshot["tickets"]:
        if t["priority"] == 1 and t["status"] == "new":
            out.append(
                {
                    "key": f"new-p1:{t['id']}",
                    "kind": "new_p1",
                    "ticket_id": t["id"],
                    "text": t["number"],
                }
            )
        if t["at_risk"]:
            kind = "deadline_missed" if t["missed"] else "deadline_at_risk"
            out.append(
                {
                    "key": f"{kind}:{t['id']}",
                    "kind": kind,
                    "ticket_id": t["id"],
                    "text": t["number"],
                }
            )
        for valve in t.get("stuck_valves") or []:
            out.append(
                {
                    "key": f"valve_stuck:{t['id']}:{valve}",
                    "kind": "valve_stuck",
                    "ticket_id": t["id"],
                    "text": f"{t['number']} #{valve}",
                }
            )
    for c in snapshot["crews"]:
        if c["stale"] and c["active_ticket_id"] is not None:
            out.append(
                {
                    "key": f"stale:{c['id']}:{c['active_ticket_id']}",
                    "kind": "stale_crew",
                    "ticket_id": c["active_ticket_id"],
                    "text": c["code"],
                }
            )
    for a in snapshot.get("camera_alarms", []):  # a station camera without signal
        out.append(
            {
                "key": f"camera_no_signal:{a['camera_id']}:{a['id']}",
                "kind": "camera_no_signal",
                "ticket_id": None,
                "text": a["name"],
            }
        )
    for day in snapshot.get("review_alarms") or []:
        out.append(
            {
                "key": f"leak_log_unreviewed:{day['date']}",
                "kind": "leak_log_unreviewed",
                "ticket_id": None,
                "text": day["date"],
            }
        )
    return [a for a in out if a["key"] not in acknowledged]


#: Rows the queue shows; the rest are counted (a wall screen cannot show more to the room).
QUEUE_ROWS = 40


def queue(snapshot: dict) -> list[dict]:
    """The incident queue: priority first, then the nearest arrival deadline."""
    far = "9999-12-31T00:00:00+00:00"
    return sorted(
        snapshot["tickets"],
        key=lambda t: (t["priority"], t["arrival_due_at"] or far, t["received_at"]),
    )


def incident_detail(uow, ticket_id: int) -> dict | None:
    """The selected incident for the panel, as stored: the ticket, the crews recommended by
    road at intake (refreshed when stale), the isolation plan (emergencies), the cameras
    covering it and the event history. Nothing is routed or traced here."""
    from gis.cameras import cameras_for

    row = uow.tickets.row(ticket_id)
    if row is None:
        return None
    ticket = {
        "id": row["id"],
        "number": row["number"],
        "type": row["ticket_type"],
        "status": row["status"],
        "address": row["address"],
        "priority": row["priority"],
        "lon": row["lon"],
        "lat": row["lat"],
        "crew_id": row["crew_id"],
    }
    recommendations = []
    if row["status"] in ("new", "assigned", "accepted", "en_route"):
        recommendations = [recommendation_view(o) for o in uow.tickets.recommendations(ticket_id)]
    cameras = [] if row["lon"] is None else cameras_for(uow.cur, row["lon"], row["lat"])
    return {
        "ticket": ticket,
        "recommendations": recommendations,
        "isolation": uow.tickets.isolation_plan(ticket_id),
        "cameras": cameras,
        "events": [event_view(e) for e in uow.events.for_ticket(ticket_id)],
    }


def selection_geojson(detail: dict | None) -> dict:
    """The selected incident's warning zone, mains out of supply and valves to close (numbered
    ``n`` as in the panel's list), then the incident itself; each names its ``ticket_id`` so
    the map brings a new selection into view once."""
    features = []
    ticket = (detail or {}).get("ticket") or {}
    ticket_id = ticket.get("id")
    plan = (detail or {}).get("isolation")
    if plan:
        zone = plan["warning_zone"]
        if zone.get("geometry"):
            features.append(
                {
                    "type": "Feature",
                    "geometry": zone["geometry"],
                    "properties": {
                        "kind": "warning_zone",
                        "ticket_id": ticket_id,
                        "radius_m": zone["radius_m"],
                    },
                }
            )
        for n, valve in enumerate(plan["valves"], start=1):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [valve["lon"], valve["lat"]]},
                    "properties": {
                        "kind": "valve_to_close",
                        "n": n,
                        "label": f"{n} {valve.get('street') or ''}".strip(),
                        "id": valve["id"],
                        "access_note": valve["access_note"],
                    },
                }
            )
    if ticket.get("lon") is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [ticket["lon"], ticket["lat"]]},
                "properties": {
                    "kind": "incident",
                    "ticket_id": ticket_id,
                    "label": ticket["number"],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def incidents_geojson(tickets: list[dict], selected: int | None) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": t["id"],
                "geometry": {"type": "Point", "coordinates": [t["lon"], t["lat"]]},
                "properties": {
                    "id": t["id"],
                    "number": t["number"],
                    "type": t["type"],
                    "priority": t["priority"],
                    "status": t["status"],
                    "at_risk": t["at_risk"],
                    "selected": t["id"] == selected,
                    "crew": t["crew_code"],
                },
            }
            for t in tickets
            if t["lon"] is not None
        ],
    }


def crews_geojson(crews: list[dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": c["id"],
                "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                "properties": {
                    "id": c["id"],
                    "code": c["code"],
                    "status": c["status"],
                    "stale": c["stale"],
                    "heading_deg": c["heading_deg"],
                    # No fix age here: it changes every second and would resend every crew.
                },
            }
            for c in crews
            if c["lon"] is not None
        ],
    }


def acknowledge(cur, alarms: list[dict], username: str, now: datetime) -> None:
    """Record on each ticket that its alarm was seen: who and when (audit)."""
    for alarm in alarms:
        # a camera's alarm or a day's unreviewed leak log (reviewing clears it): no ticket
        if alarm["ticket_id"] is None:
            continue
        repo.append_event(
            cur,
            alarm["ticket_id"],
            at=now,
            actor=username,
            event_type="alarm_acknowledged",
            data={"alarm": alarm["kind"], "key": alarm["key"]},
        )

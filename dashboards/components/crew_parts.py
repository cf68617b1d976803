"""Builders of the crew lead's phone page: plain functions from the crew's board
(:func:`dispatch.crew_job_service.crew_board`) to Dash components, so the callbacks stay short
and tests check them without a browser. Big touch targets; nothing wider than the phone."""

from __future__ import annotations

import json
from datetime import datetime

from dash import html

from dashboards.i18n import (
    MISSING,
    format_duration,
    priority_label,
    status_label,
    t,
    ticket_type_label,
)

EMPTY = {"type": "FeatureCollection", "features": []}
#: Padding around the job's route and valves when the map is fitted to them (degrees).
MAP_MARGIN_DEG = 0.002


def job_card(job: dict | None, lang: str, now: datetime) -> list:
    """The current job: number, type, priority, address, what the caller said, callers, the
    caller's phone to tap, and the countdown to the arrival deadline (kept running in the
    browser by assets/crew.js from ``data-due``)."""
    if job is None:
        return [html.P(t("crew.no_job", lang), className="crew-empty")]
    ticket = job["ticket"]
    due = ticket["arrival_due_at"]
    phone = ticket["caller_phone"]
    facts = [
        (t("queue.type", lang), ticket_type_label(ticket["type"], lang)),
        (t("queue.address", lang), ticket["address"] or MISSING),
        (t("panel.description", lang), ticket["description"] or MISSING),
        (t("queue.callers", lang), str(ticket["callers"])),
        (t("queue.status", lang), status_label(ticket["status"], lang)),
    ]
    rows = [
        html.Div([html.Dt(label), html.Dd(value)], className="crew-fact") for label, value in facts
    ]
    if phone:
        name = ticket["caller_name"] or t("panel.caller", lang)
        rows.append(
            html.Div(
                [
                    html.Dt(t("panel.phone", lang)),
                    html.Dd(
                        html.A(
                            f"{t('crew.call', lang)} {name} {phone}",
                            href=f"tel:{phone}",
                            className="crew-tel",
                        )
                    ),
                ],
                className="crew-fact",
            )
        )
    countdown = []
    if due and not ticket["steps"].get("arrived"):
        left = (datetime.fromisoformat(due) - now).total_seconds()
        countdown = [
            html.Div(
                [
                    html.Span(t("crew.deadline", lang), className="crew-countdown-label"),
                    html.Span(
                        _countdown_text(left, lang),
                        className="crew-countdown" + (" crew-overdue" if left < 0 else ""),
                        **{
                            "data-due": due,
                            "data-overdue": t("crew.overdue", lang),
                        },
                    ),
                ],
                className="crew-deadline",
            )
        ]
    return [
        html.Div(
            [
                html.Span(
                    priority_label(ticket["priority"], lang),
                    className=f"crew-priority crew-p{ticket['priority']}",
                ),
                html.Span(ticket["number"], className="crew-number"),
            ],
            className="crew-job-head",
        ),
        *countdown,
        html.Dl(rows, className="crew-facts"),
    ]


def _countdown_text(seconds: float, lang: str) -> str:
    if seconds < 0:
        return f"{t('crew.overdue', lang)} {format_duration(-seconds, lang)}"
    return format_duration(seconds, lang)


def way_there(job: dict | None, lang: str, now: datetime) -> list:
    """The time left to the ETA (counted down in the browser, as on the wall's queue) and the
    "navigate" link handing the destination to the phone's map app."""
    if job is None:
        return []
    ticket = job["ticket"]
    parts = []
    if job["eta_at"]:
        left = max(0.0, (datetime.fromisoformat(job["eta_at"]) - now).total_seconds())
        parts.append(
            html.Div(
                [
                    html.Span(t("crew.eta", lang), className="crew-countdown-label"),
                    html.Span(
                        format_duration(left, lang),
                        className="crew-eta",
                        **{"data-due": job["eta_at"]},
                    ),
                ],
                className="crew-deadline",
            )
        )
    if not job["route"]:
        parts.append(html.P(t("crew.no_route", lang), className="crew-muted"))
    if ticket["lon"] is not None:
        parts.append(
            html.A(
                t("crew.navigate", lang),
                href=geo_uri(ticket["lon"], ticket["lat"]),
                className="crew-button crew-navigate",
            )
        )
    return parts


def geo_uri(lon: float, lat: float) -> str:
    """A ``geo:`` URI (RFC 5870: latitude first) the phone hands to its navigation app."""
    return f"geo:{lat:.6f},{lon:.6f}"


def valve_list(job: dict | None, lang: str) -> list:
    """The valves to close in order: where each is (distance from the leak, access note), its
    state, and per valve a "closed" and a "stuck" button while it is still to close."""
    if job is None:
        return []
    if not job["valves"]:
        return [html.P(t("crew.no_valves", lang), className="crew-muted")]
    items = []
    for valve in job["valves"]:
        where = []
        if valve["distance_m"] is not None:
            where.append(t("crew.from_leak", lang, m=valve["distance_m"]))
        if valve["access_note"]:
            where.append(valve["access_note"])
        buttons = []
        if valve["state"] == "open":
            buttons = [
                html.Button(
                    t(f"crew.valve_{state}", lang),
                    type="button",
                    className=f"crew-button crew-act crew-valve-{state}",
                    **{
                        "data-url": f"/api/v1/tickets/{job['ticket']['id']}/valves/{valve['id']}",
                        "data-body": json.dumps({"state": state}),
                        "data-ok": t(f"crew.reported_{state}", lang, valve=valve["id"]),
                        "data-once": "1",
                    },
                )
                for state in ("closed", "stuck")
            ]
        order = "" if valve["order"] is None else f"{valve['order']}. "
        items.append(
            html.Li(
                [
                    html.Div(
                        [
                            html.Span(f"{order}{t('crew.valve', lang)} {valve['id']}"),
                            html.Span(
                                t(f"crew.valve_state.{valve['state']}", lang),
                                className=f"crew-valve-state crew-valve-{valve['state']}-state",
                            ),
                        ],
                        className="crew-valve-head",
                    ),
                    html.Div(" · ".join(where), className="crew-muted"),
                    html.Div(buttons, className="crew-valve-buttons"),
                ],
                className=f"crew-valve crew-valve-is-{valve['state']}",
                **{"data-valve": str(valve["id"])},
            )
        )
    return [html.Ol(items, className="crew-valve-list")]


def status_buttons(job: dict | None, lang: str, needs: dict[str, str] | None = None) -> list:
    """One button per step of the work; a step not possible now is disabled with the reason.
    ``needs``: what the site record still lacks for a step (shown under it, and with the
    server's refusal if it is tapped anyway). Each tap is a request sent by assets/crew.js."""
    if job is None:
        return []
    needs = needs or {}
    url = f"/api/v1/tickets/{job['ticket']['id']}/transition"
    steps = job["steps"]
    next_ones = [s["status"] for s in steps if s["reason"] in (None, "dispatcher_only")]
    first = ", ".join(t(f"crew.step.{s}", lang) for s in next_ones) or MISSING
    out = []
    for step in steps:
        reason = step["reason"]
        why = None
        if reason == "not_next":
            why = t("crew.reason.not_next", lang, next=first)
        elif reason is not None:
            why = t(f"crew.reason.{reason}", lang)
        need = needs.get(step["status"]) if not step["done"] else None
        if need:
            why = (why + " · " if why else "") + t("crew.site.still_needed", lang, what=need)
        label = t(f"crew.step.{step['status']}", lang)
        out.append(
            html.Div(
                [
                    html.Button(
                        label,
                        type="button",
                        disabled=not step["enabled"],
                        className="crew-button crew-step crew-act"
                        + (" crew-step-done" if step["done"] else ""),
                        **{
                            "data-status": step["status"],
                            "data-url": url,
                            "data-body": json.dumps({"status": step["status"]}),
                            "data-ok": t("crew.status_set", lang, status=label),
                            "data-needs": need or "",
                        },
                    ),
                    html.Span(
                        why or "",
                        className="crew-step-reason" + (" crew-step-needs" if need else ""),
                    ),
                ],
                className="crew-step-row",
            )
        )
    return out


def other_jobs(board: dict, lang: str) -> list:
    """The crew's queued jobs, then its earlier ones, one line each."""

    def lines(views: list[dict]) -> html.Ul | html.P:
        if not views:
            return html.P(t("crew.none", lang), className="crew-muted")
        return html.Ul(
            [
                html.Li(
                    [
                        html.Span(v["number"], className="crew-number"),
                        " ",
                        ticket_type_label(v["type"], lang),
                        " · ",
                        v["address"] or MISSING,
                        " · ",
                        status_label(v["status"], lang),
                    ],
                    className="crew-other-job",
                    **{"data-ticket": str(v["id"])},
                )
                for v in views
            ],
            className="crew-other-list",
        )

    return [
        html.H3(t("crew.queued", lang)),
        lines(board["queued"]),
        html.H3(t("crew.earlier", lang)),
        lines(board["earlier"]),
    ]


def map_data(job: dict | None) -> tuple[dict, dict, dict | None]:
    """(the road route, the leak and the valves as map features, the viewport fitting them)."""
    if job is None:
        return EMPTY, EMPTY, None
    ticket = job["ticket"]
    route = EMPTY
    points: list[list[float]] = []
    if len(job["route"]) >= 2:
        route = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": job["route"]},
                    "properties": {"kind": "route", "ticket": ticket["number"]},
                }
            ],
        }
        points += job["route"]
    features = []
    if ticket["lon"] is not None:
        features.append(_point(ticket["lon"], ticket["lat"], {"kind": "leak", "id": ticket["id"]}))
        points.append([ticket["lon"], ticket["lat"]])
    for valve in job["valves"]:
        if valve["lon"] is None or valve["state"] == "stuck":
            continue
        props = {"kind": "valve_to_close", "id": valve["id"], "access_note": valve["access_note"]}
        features.append(_point(valve["lon"], valve["lat"], props))
        points.append([valve["lon"], valve["lat"]])
    site = {"type": "FeatureCollection", "features": features}
    if not points:
        return route, site, None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    bounds = [
        [min(lats) - MAP_MARGIN_DEG, min(lons) - MAP_MARGIN_DEG],
        [max(lats) + MAP_MARGIN_DEG, max(lons) + MAP_MARGIN_DEG],
    ]
    return route, site, {"bounds": bounds, "transition": "fitBounds"}


def _point(lon: float, lat: float, props: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }

"""Builders of the wall screen's parts: plain functions from data to Dash components, so the
callbacks stay one-liners and tests can check them without a browser."""

from __future__ import annotations

from datetime import datetime

from dash import dcc, html

from dashboards import ids
from dashboards.i18n import (
    TEXTS,
    format_clock,
    format_duration,
    priority_label,
    role_label,
    status_label,
    t,
    ticket_type_label,
)
from dispatch.wall_read_model import QUEUE_ROWS


def kpi_tiles(kpis: dict, lang: str) -> list:
    def tile(key: str, value, *, alert: bool = False) -> html.Div:
        return html.Div(
            [
                html.Div("–" if value is None else value, className="kpi-value"),
                html.Div(t(key, lang), className="kpi-label"),
            ],
            className="kpi-tile" + (" kpi-alert" if alert else ""),
        )

    # The figures of dispatch.kpis.key_figures, the same as GET /api/v1/kpis gives.
    share, minutes = kpis["share_within_target_today"], kpis["median_arrival_min_today"]
    return [
        tile("kpi.open_p1", kpis["open_p1"], alert=kpis["open_p1"] > 0),
        tile("kpi.at_risk", kpis["at_risk"], alert=kpis["at_risk"] > 0),
        tile(
            "kpi.median_arrival",
            None if minutes is None else f"{minutes:.0f} {t('unit.min', lang)}",
        ),
        tile("kpi.within_target", None if share is None else f"{share:.0%}"),
        tile("kpi.crews_available", kpis["crews_available"]),
        tile("kpi.crews_busy", kpis["crews_busy"]),
        tile("kpi.crews_stale", kpis["crews_stale"], alert=kpis["crews_stale"] > 0),
        tile(
            "kpi.uncovered_areas",
            None
            if kpis.get("uncovered_km") is None
            else f"{kpis['uncovered_km']:.1f} {t('unit.km', lang)}",
            alert=bool(kpis.get("uncovered_km")),
        ),
    ]


def alarm_banner(alarms: list[dict], lang: str) -> list:
    if not alarms:
        return []
    items = [
        html.Span(f"{t('alarm.' + a['kind'], lang)}: {a['text']}", className="alarm-item")
        for a in alarms[:6]
    ]
    more = [html.Span(f"+{len(alarms) - 6}", className="alarm-item")] if len(alarms) > 6 else []
    return [
        html.Div(
            [
                html.Span("⚠", className="alarm-icon"),
                *items,
                *more,
                html.Button(
                    t("alarm.acknowledge", lang),
                    id=ids.ALARM_ACK,
                    n_clicks=0,
                    className="alarm-ack",
                ),
            ],
            className="alarm-banner alarm-flash",
            role="alert",
        )
    ]


def queue_table(tickets: list[dict], now: datetime, lang: str, selected: int | None) -> list:
    """One row per open ticket: priority, type, address, callers, time since the call, the
    arrival-deadline countdown, the crew and its ETA."""
    if not tickets:
        return [html.Div(t("queue.empty", lang), className="queue-empty")]
    head = html.Div(
        [
            html.Span(t(k, lang))
            for k in (
                "queue.priority",
                "queue.type",
                "queue.address",
                "queue.callers",
                "queue.since_call",
                "queue.deadline",
                "queue.crew",
                "queue.eta",
            )
        ],
        className="queue-row queue-head",
    )
    rows = []
    shown, hidden = tickets[:QUEUE_ROWS], len(tickets) - QUEUE_ROWS
    for ticket in shown:
        since = (now - datetime.fromisoformat(ticket["received_at"])).total_seconds()
        due = ticket["arrival_due_at"]
        left = None if due is None else (datetime.fromisoformat(due) - now).total_seconds()
        eta = ticket["eta_at"]
        eta_left = None if eta is None else (datetime.fromisoformat(eta) - now).total_seconds()
        classes = ["queue-row", f"queue-p{ticket['priority']}"]
        if ticket["at_risk"]:
            classes.append("queue-at-risk")
        if ticket["id"] == selected:
            classes.append("queue-selected")
        rows.append(
            html.Div(
                [
                    html.Span(priority_label(ticket["priority"], lang), className="queue-priority"),
                    html.Span(ticket_type_label(ticket["type"], lang)),
                    html.Span(
                        ticket["address"] or t("queue.no_address", lang),
                        className="queue-address"
                        + (" queue-address-guessed" if ticket.get("address_guessed") else ""),
                        title=ticket["address"] or "",
                    ),
                    html.Span(str(ticket["callers"])),
                    html.Span(format_duration(since, lang)),
                    html.Span(
                        "✓"
                        if ticket["arrived"]
                        else ("–" if left is None else _countdown(left, lang)),
                        className="queue-deadline",
                    ),
                    html.Span(ticket["crew_code"] or status_label(ticket["status"], lang)),
                    html.Span("–" if eta_left is None else format_duration(max(eta_left, 0), lang)),
                ],
                # No n_clicks: assets/wall.js selects the row on the press itself, so a redraw
                # between press and release cannot lose the click; rows keep their id (their
                # React key) between redraws and are updated in place.
                id={"type": ids.QUEUE_ROW, "index": ticket["id"]},
                className=" ".join(classes),
                role="button",
                tabIndex="0",
                **{"data-ticket": str(ticket["id"])},
            )
        )
    more = [html.Div(f"+{hidden}", className="queue-more")] if hidden > 0 else []
    return [head, *rows, *more]


def _countdown(seconds: float, lang: str) -> str:
    return format_duration(seconds, lang) if seconds >= 0 else "−" + format_duration(-seconds, lang)


def incident_panel(
    detail: dict | None,
    lang: str,
    *,
    may_assign: bool = False,
    may_cancel: bool = False,
    timezone=None,
) -> list:
    """The selected incident: its facts, crews recommended by road (with one-click assign when
    ``may_assign``), the isolation plan, a cancel box (when ``may_cancel``) and the event
    history. A control the user may not use is not drawn at all."""
    if detail is None:
        return [html.Div(t("panel.none_selected", lang), className="panel-empty")]
    ticket = detail["ticket"]
    address = ticket["address"] or ""
    if address and ticket.get("address_guessed"):
        address += t("panel.address_guessed", lang)
    parts = [
        html.H2(
            f"{ticket['number']} · {ticket_type_label(ticket['type'], lang)}",
            className="panel-title",
        ),
        html.Div(
            f"{status_label(ticket['status'], lang)} · {address}",
            className="panel-sub",
        ),
    ]
    # Once a crew is on it, the panel says which; assigning again is for a new ticket only.
    assignable = ticket["status"] == "new"
    if ticket.get("crew_code") and not assignable:
        parts.append(
            html.Div(
                t("panel.assigned_to", lang, code=ticket["crew_code"]), className="panel-assigned"
            )
        )
    parts.append(html.H3(t("panel.recommended", lang)))
    recs = detail.get("recommendations") or []
    if not recs:
        parts.append(html.Div(t("panel.no_crews", lang), className="panel-note"))
    for rec in recs:
        flag = f" · {t('panel.finishes_first', lang)}" if rec.get("finishes_first") else ""
        parts.append(
            html.Div(
                [
                    html.Span(rec["code"], className="rec-code"),
                    html.Span(
                        f"{t('panel.eta', lang)} {format_duration(rec['eta_s'], lang)}"
                        f" · {rec['distance_m'] / 1000:.1f} km{flag}",
                        className="rec-eta",
                    ),
                    *(
                        [
                            html.Button(
                                t("panel.assign", lang),
                                n_clicks=0,
                                className="rec-assign",
                                id={"type": ids.ASSIGN_BUTTON, "index": rec["crew_id"]},
                            )
                        ]
                        if may_assign and assignable
                        else []
                    ),
                ],
                className="rec-row",
            )
        )
    plan = detail.get("isolation")
    if plan:
        parts.append(html.H3(t("panel.isolation", lang)))
        parts.append(
            html.Div(
                f"{t('panel.valves', lang)}: {len(plan['valves'])}"
                f" · {t('panel.affected', lang)}: {plan['affected_meters']}",
                className="panel-note",
            )
        )
        parts.append(html.Ol(valve_list(plan["valves"], lang), className="panel-valves"))
        if plan["critical_customers"]:
            parts.append(
                html.Div(
                    f"{t('panel.critical', lang)}: "
                    + ", ".join(
                        f"{_category(c['category'], lang)} {c['address']}"
                        for c in plan["critical_customers"][:5]
                    ),
                    className="panel-critical",
                )
            )
    if may_cancel and ticket["status"] not in ("closed", "cancelled"):
        parts.append(
            html.Div(
                [
                    dcc.Input(
                        id=ids.CANCEL_REASON,
                        placeholder=t("panel.reason", lang),
                        type="text",
                        debounce=False,
                    ),
                    html.Button(
                        t("panel.cancel", lang),
                        id=ids.CANCEL_BUTTON,
                        n_clicks=0,
                        className="panel-cancel",
                    ),
                ],
                className="panel-actions",
            )
        )
    parts.append(html.H3(t("panel.history", lang)))
    parts.append(
        html.Ul(
            [html.Li(history_line(e, lang, timezone)) for e in detail.get("events", [])[-8:]],
            className="panel-history",
        )
    )
    return parts


def valve_list(valves: list[dict], lang: str) -> list:
    """The valves to close as people find them: a numbered pin (the same number as on the
    map), the street and the distance from the leak."""
    items = []
    for n, valve in enumerate(valves, start=1):
        street = valve.get("street") or t("panel.valve_unnamed", lang)
        away = valve.get("from_leak_m")
        where = (
            street if away is None else t("panel.valve_at", lang, street=street, m=f"{away:.0f}")
        )
        items.append(
            html.Li(
                [html.Span(str(n), className="valve-pin"), html.Span(where)],
                title=valve.get("access_note") or "",
            )
        )
    return items


_ACTORS = {"system": "actor.system", "simulator": "actor.simulator"}


def _category(code: str, lang: str) -> str:
    """A critical customer's category by its name (``医院`` / ``Hospital``)."""
    key = f"customer.{code}"
    return t(key, lang) if key in TEXTS else code


def history_line(event: dict, lang: str, timezone=None) -> str:
    """One event as a sentence: ``"14:02 派单给 E-03（调度员 王）"`` /
    ``"14:02 assigned to E-03 (dispatcher Wang)"``; every word from the translation tables."""
    when = datetime.fromisoformat(event["at"]) if event.get("at") else None
    time = format_clock(when, timezone, lang)[:5] if when else ""
    kind = event.get("event_type") or ""
    key = f"history.{kind}" if f"history.{kind}" in TEXTS else "history.other"
    crew = event.get("crew_code") or (event.get("data") or {}).get("crew_id") or ""
    line = t(key, lang, time=time, crew=crew, status=status_label(event.get("to_status"), lang))
    if kind == "cancelled" and event.get("reason"):
        line += t("history.reason", lang, reason=event["reason"])
    return line + t("history.by", lang, who=actor_name(event, lang))


def actor_name(event: dict, lang: str) -> str:
    """Who acted, for people: the role and the user (``"调度员 wang"``), the role alone when the
    user is named after it (the demo's ``dispatcher``), or system / simulator."""
    actor = event.get("actor") or ""
    if actor in _ACTORS:
        return t(_ACTORS[actor], lang)
    role = event.get("actor_role")
    if not role:
        return actor
    name = role_label(role, lang)
    return name if actor in (role, role.split("_")[0]) else f"{name} {actor}"


def notice(text: str, *, ok: bool) -> html.Div:
    """A result shown under the queue: green for a success, red for a refusal."""
    return html.Div(
        text,
        className="notice " + ("notice-ok" if ok else "notice-error"),
        role="status" if ok else "alert",
    )


def video_wall(cameras: list[dict], lang: str) -> list:
    """Live feeds of the cameras covering (then nearest to) the selected incident."""
    if not cameras:
        return [html.Div(t("video.none", lang), className="video-empty")]
    return [
        html.Figure(
            [
                html.Img(src=c["stream_url"], alt=c["name"], className="video-feed"),
                html.Figcaption(c["name"] + (" ◉" if c.get("covers") else "")),
            ],
            id={"type": ids.VIDEO_TILE, "index": c["id"]},
            n_clicks=0,
            className="video-tile",
        )
        for c in cameras[:4]
    ]

"""The wall screen's callbacks: each decorated function delegates to a plain function that
tests can call directly."""

from __future__ import annotations

import json
from datetime import datetime

from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import ids
from dashboards.components import site_progress, wall_parts
from dashboards.i18n import format_clock, t
from dashboards.pages.site_map import WALL
from dispatch import auth, busiest_area, display_names, ticket_service, wall_read_model
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated


def live_update(
    api, live, lang: str, selected, acked: list, seen: dict, user: dict | None, addresses=None
) -> tuple:
    """Everything that changes by itself, from the process's live state (``live``, a
    :class:`dispatch.wall_live_state.WallLiveState`: no database read unless an event came).
    An output whose content is the same as last time is not sent again (``no_update``). A user
    whose role may not open the wall gets no data, only the refusal in the queue's place."""
    if not _may_watch(user):
        empty = wall_read_model.selection_geojson(None)
        return empty, empty, empty, _refused(lang), [], [], "", {}
    now = api.clock()
    snapshot = live.snapshot(now)
    if api.ports.router is not None:
        snapshot["kpis"]["uncovered_km"] = api.ports.router.uncovered_km(snapshot["crews"])
    queue = wall_read_model.queue(snapshot)
    if addresses is not None:  # tickets taken in without an address: the nearest one
        queue = addresses.fill(queue)
    alarms = wall_read_model.alarms(snapshot, set(acked or []))
    values = {
        "routes": snapshot["routes"],
        "incidents": wall_read_model.incidents_geojson(snapshot["tickets"], selected),
        "crews": wall_read_model.crews_geojson(snapshot["crews"]),
        "kpis": snapshot["kpis"],
        "alarms": [a["key"] for a in alarms],
    }
    seen = dict(seen or {})
    out = []
    for key, value in values.items():
        mark = str(hash(json.dumps(value, sort_keys=True, default=str)))
        out.append(no_update if seen.get(key) == mark else value)
        seen[key] = mark
    routes, incidents, crews, kpis, alarm_keys = out
    return (
        routes,
        incidents,
        crews,
        wall_parts.queue_table(queue, now, lang, selected),
        no_update if kpis is no_update else wall_parts.kpi_tiles(snapshot["kpis"], lang),
        no_update if alarm_keys is no_update else wall_parts.alarm_banner(alarms, lang),
        format_clock(now, snapshot["timezone"], lang),
        seen,
    )


def select_from(triggered, map_click) -> int | None:
    """The ticket the dispatcher picked on the map (a queue row is picked in the browser by
    assets/wall.js, on the press itself, so a redraw cannot lose it)."""
    if triggered == ids.LAYER_INCIDENTS and map_click:
        return int(map_click["properties"]["id"])
    return no_update


def show_incident(api, selected, lang: str, user: dict | None, live=None) -> tuple:
    """The selected incident's panel, its place on the map and its cameras; the panel draws
    only the controls the user's role may use. With nothing selected, the video wall shows
    the cameras of the busiest area (when ``live`` is given: the process's live state)."""
    if not _may_watch(user):
        return _refused(lang), wall_read_model.selection_geojson(None), []
    if selected is None:
        return (
            wall_parts.incident_panel(None, lang),
            wall_read_model.selection_geojson(None),
            _busiest_cameras(api, live, lang),
        )
    with api.uow() as uow:
        detail = display_names.named_detail(
            uow.cur, wall_read_model.incident_detail(uow, int(selected))
        )
        site = site_progress.read(uow, int(selected), user)
    if detail is None:
        return wall_parts.incident_panel(None, lang), wall_read_model.selection_geojson(None), []
    role = user.get("role")
    return (
        wall_parts.incident_panel(
            detail,
            lang,
            may_assign=auth.allows(role, "tickets.assign"),
            may_cancel=auth.allows(role, "tickets.transition"),
            timezone=detail.get("timezone"),
        )
        + site_progress.section(site, lang),
        wall_read_model.selection_geojson(detail),
        wall_parts.video_wall(detail["cameras"], lang),
    )


def _busiest_cameras(api, live, lang: str) -> list:
    """The video wall with no selection: the cameras around the busiest area, if any."""
    if live is None:
        return []
    tickets = live.snapshot(api.clock())["tickets"]
    if busiest_area.busiest_point(tickets) is None:
        return []  # a quiet wall: nothing to show, nothing read
    with api.uow() as uow:
        cameras = busiest_area.busiest_area_cameras(uow, tickets)
    return wall_parts.video_wall(cameras, lang) if cameras else []


def ask_to_assign(triggered, clicks, selected, lang: str, codes: dict | None = None) -> tuple:
    """The confirmation, naming the crew as the screen does (its code, ``E-03``): ``codes``
    maps crew ids (as strings) to codes, from the recommendations drawn in the panel."""
    if not isinstance(triggered, dict) or not any(clicks or []) or selected is None:
        return no_update, no_update, no_update
    crew = int(triggered["index"])
    code = (codes or {}).get(str(crew)) or str(crew)
    return (
        True,
        t("panel.confirm_assign_code", lang, code=code),
        {"ticket": selected, "crew": crew},
    )


def crew_codes_of(panel_detail_recs: list[dict]) -> dict[str, str]:
    """Crew id (as a string, as JSON keeps it) -> code, of the crews the panel recommends."""
    return {str(r["crew_id"]): r["code"] for r in panel_detail_recs or []}


def assign_confirmed(api, pending, lang: str, user: dict | None) -> tuple:
    """Assign the confirmed crew, with the ETA and road route stored for it (routed again only
    when stale); returns (notice, whether the panel must be redrawn)."""
    if not pending:
        return no_update, False
    try:
        actor = _actor(user, "tickets.assign")
        with api.uow() as uow:
            ticket_service.assign_crew(
                uow,
                pending["ticket"],
                pending["crew"],
                actor,
                api.clock(),
                settings=api.settings,
                ports=api.ports,
            )
    except DispatchError as exc:
        return wall_parts.notice(f"{t('panel.assign_failed', lang)}: {exc}", ok=False), False
    return wall_parts.notice(t("panel.assigned", lang), ok=True), True


def cancel_ticket(
    api, n_clicks, selected, reason: str | None, lang: str, user: dict | None
) -> tuple:
    """Cancel with the typed reason; returns (notice, whether the panel must be redrawn)."""
    if not n_clicks or selected is None:
        return no_update, False
    if not (reason or "").strip():
        return wall_parts.notice(t("panel.reason_required", lang), ok=False), False
    try:
        actor = _actor(user, "tickets.transition")
        with api.uow() as uow:
            ticket_service.transition_ticket(
                uow, int(selected), "cancelled", actor, api.clock(), reason=reason.strip()
            )
    except DispatchError as exc:
        return wall_parts.notice(f"{t('notice.refused', lang)}: {exc}", ok=False), False
    return wall_parts.notice(t("panel.cancelled", lang), ok=True), True


def acknowledge(api, n_clicks, acked: list, user: dict | None) -> list:
    if not n_clicks or not _may_watch(user):
        return no_update
    now: datetime = api.clock()
    with api.uow() as uow:
        snapshot = wall_read_model.wall_snapshot(uow.cur, now)
        alarms = wall_read_model.alarms(snapshot, set(acked or []))
        wall_read_model.acknowledge(uow.cur, alarms, _actor(user, WALL.action).username, now)
    return sorted(set(acked or []) | {a["key"] for a in alarms})


def _actor(user: dict | None, action: str) -> Actor:
    """The logged-in user, allowed ``action`` by the same permission table as the API: the wall
    screen is another door to the same services, so it checks the same roles."""
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def _may_watch(user: dict | None) -> bool:
    """Whether the user may see the wall's data: the role that opens the wall page, by the
    same permission table as the API."""
    return bool(user) and auth.allows(user.get("role"), WALL.action)


def _refused(lang: str) -> list:
    return [html.Div(t("error.forbidden", lang), className="wall-refused", role="alert")]


def register_wall_callbacks(app, api, live) -> None:
    addresses = display_names.AddressFallback(lambda: api.uow())

    @app.callback(
        Output(ids.LAYER_ROUTES, "data"),
        Output(ids.LAYER_INCIDENTS, "data"),
        Output(ids.LAYER_CREWS, "data"),
        Output(ids.QUEUE, "children"),
        Output(ids.KPIS, "children"),
        Output(ids.ALARMS, "children"),
        Output(ids.CLOCK, "children"),
        Output(ids.SEEN, "data"),
        Input(ids.TICK, "n_intervals"),
        Input(ids.EVENTS, "data"),
        State(ids.LANG, "data"),
        State(ids.SELECTED, "data"),
        State(ids.ACKED, "data"),
        State(ids.SEEN, "data"),
    )
    def _refresh(_tick, _event, lang, selected, acked, seen):
        user = session.get("user")
        return live_update(api, live, lang, selected, acked, seen, user, addresses)

    @app.callback(
        Output(ids.SELECTED, "data"),
        Input(ids.LAYER_INCIDENTS, "clickData"),
        prevent_initial_call=True,
    )
    def _select(map_click):
        return select_from(ctx.triggered_id, map_click)

    @app.callback(
        Output(ids.PANEL, "children"),
        Output(ids.LAYER_SELECTION, "data"),
        Output(ids.VIDEO, "children"),
        Input(ids.SELECTED, "data"),
        Input(ids.PANEL_VERSION, "data"),
        State(ids.LANG, "data"),
    )
    def _panel(selected, _, lang):
        return show_incident(api, selected, lang, session.get("user"), live)

    @app.callback(
        Output(ids.CREW_CODES, "data"),
        Input(ids.SELECTED, "data"),
        Input(ids.PANEL_VERSION, "data"),
    )
    def _codes(selected, _):
        if selected is None or not _may_watch(session.get("user")):
            return {}
        with api.uow() as uow:
            detail = wall_read_model.incident_detail(uow, int(selected))
        return crew_codes_of((detail or {}).get("recommendations") or [])

    @app.callback(
        Output(ids.CONFIRM, "displayed"),
        Output(ids.CONFIRM, "message"),
        Output(ids.PENDING, "data"),
        Input({"type": ids.ASSIGN_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.SELECTED, "data"),
        State(ids.LANG, "data"),
        State(ids.CREW_CODES, "data"),
        prevent_initial_call=True,
    )
    def _ask(clicks, selected, lang, codes):
        return ask_to_assign(ctx.triggered_id, clicks, selected, lang, codes)

    @app.callback(
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Output(ids.PANEL_VERSION, "data", allow_duplicate=True),
        Input(ids.CANCEL_BUTTON, "n_clicks"),
        State(ids.SELECTED, "data"),
        State(ids.CANCEL_REASON, "value"),
        State(ids.LANG, "data"),
        State(ids.PANEL_VERSION, "data"),
        prevent_initial_call=True,
    )
    def _cancel(n_clicks, selected, reason, lang, version):
        notice, changed = cancel_ticket(api, n_clicks, selected, reason, lang, session.get("user"))
        return notice, (version or 0) + 1 if changed else no_update

    @app.callback(
        Output(ids.NOTICE, "children"),
        Output(ids.PANEL_VERSION, "data"),
        Input(ids.CONFIRM, "submit_n_clicks"),
        State(ids.PENDING, "data"),
        State(ids.LANG, "data"),
        State(ids.PANEL_VERSION, "data"),
        prevent_initial_call=True,
    )
    def _assign(_, pending, lang, version):
        notice, changed = assign_confirmed(api, pending, lang, session.get("user"))
        return notice, (version or 0) + 1 if changed else no_update

    @app.callback(
        Output(ids.ACKED, "data"),
        Input(ids.ALARM_ACK, "n_clicks"),
        State(ids.ACKED, "data"),
        prevent_initial_call=True,
    )
    def _ack(n_clicks, acked):
        return acknowledge(api, n_clicks, acked, session.get("user"))

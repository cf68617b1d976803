"""The crew lead's page callbacks: each decorated function delegates to a plain function that
tests call directly. Every read and every tap goes through the services with the session's
user as the actor, checked against the same permission table as the API, so a crew lead sees
and changes only its own crew's jobs."""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update
from flask import session

from dashboards import ids
from dashboards.components import crew_parts
from dashboards.i18n import t
from dashboards.pages.site_map import CREW
from dispatch import auth, crew_job_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated

#: The outputs of :func:`refresh_board`, in order.
BOARD_OUTPUTS = 9


def refresh_board(api, lang: str, signature, user: dict | None) -> tuple:
    """The board redrawn when what it shows changed since ``signature`` (else ``no_update``
    everywhere, and no read of personal data): (job card, way there, valves, status buttons,
    other jobs, route layer, site layer, map viewport, the job store, the new signature)."""
    try:
        actor = _actor(user, CREW.action)
    except DispatchError as exc:
        return _message(str(exc), lang)
    if actor.crew_id is None:
        return _message(t("crew.no_crew", lang), lang)
    now = api.clock()
    with api.uow() as uow:
        fresh = crew_job_service.board_signature(uow, actor)
        if fresh == signature:
            return (no_update,) * (BOARD_OUTPUTS + 1)
        board = crew_job_service.crew_board(uow, actor, now)
    job = board["current"]
    route, site, viewport = crew_parts.map_data(job)
    ticket = None if job is None else job["ticket"]
    return (
        crew_parts.job_card(job, lang, now),
        crew_parts.way_there(job, lang, now),
        crew_parts.valve_list(job, lang),
        crew_parts.status_buttons(job, lang),
        crew_parts.other_jobs(board, lang),
        route,
        site,
        viewport if viewport is not None else no_update,
        None
        if ticket is None
        else {
            "ticket_id": ticket["id"],
            "crew_id": board["crew_id"],
            "open": ticket["status"] not in ("closed", "cancelled"),
        },
        fresh,
    )


def tap_step(api, triggered, value, job: dict | None, lang: str, user: dict | None) -> tuple:
    """A status button was tapped: move the current job there through the lifecycle. Returns
    (notice, whether the board must be redrawn)."""
    if not isinstance(triggered, dict) or not value or not job:
        return no_update, False
    to = str(triggered["index"])
    try:
        actor = _actor(user, "tickets.transition")
        with api.uow() as uow:
            ticket_service.transition_ticket(uow, int(job["ticket_id"]), to, actor, api.clock())
    except DispatchError as exc:
        return f"{t('crew.failed', lang)}: {exc}", True
    return t("crew.status_set", lang, status=t(f"crew.step.{to}", lang)), True


def tap_valve(api, triggered, value, job: dict | None, lang: str, user: dict | None) -> tuple:
    """A valve's "closed" or "stuck" was tapped: report it (a stuck valve widens the stored
    plan and alarms the wall). Returns (notice, whether the board must be redrawn)."""
    if not isinstance(triggered, dict) or not value or not job:
        return no_update, False
    valve, _, state = str(triggered["index"]).partition(":")
    try:
        actor = _actor(user, "tickets.valves")
        with api.uow() as uow:
            crew_job_service.report_valve(
                uow, int(job["ticket_id"]), int(valve), state, actor, api.clock(), api.ports
            )
    except DispatchError as exc:
        return f"{t('crew.failed', lang)}: {exc}", True
    return t(f"crew.reported_{state}", lang, valve=valve), True


def _message(text: str, lang: str) -> tuple:
    from dash import html

    from dashboards.components.crew_parts import EMPTY

    return (
        [html.P(text, className="crew-empty", role="alert")],
        [],
        [],
        [],
        [],
        EMPTY,
        EMPTY,
        no_update,
        None,
        None,
    )


def _actor(user: dict | None, action: str) -> Actor:
    """The logged-in user, allowed ``action`` by the API's permission table."""
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def register_crew_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.CREW_CURRENT, "children"),
        Output(ids.CREW_WAY, "children"),
        Output(ids.CREW_VALVES, "children"),
        Output(ids.CREW_STEPS, "children"),
        Output(ids.CREW_OTHERS, "children"),
        Output(ids.CREW_LAYER_ROUTE, "data"),
        Output(ids.CREW_LAYER_SITE, "data"),
        Output(ids.CREW_MAP, "viewport"),
        Output(ids.CREW_JOB, "data"),
        Output(ids.CREW_SIGNATURE, "data"),
        Input(ids.CREW_EVENTS, "data"),
        Input(ids.CREW_TICK, "n_intervals"),
        Input(ids.CREW_VERSION, "data"),
        State(ids.CREW_LANG, "data"),
        State(ids.CREW_SIGNATURE, "data"),
    )
    def _refresh(_event, _tick, _version, lang, signature):
        return refresh_board(api, lang, signature, session.get("user"))

    @app.callback(
        Output(ids.CREW_NOTICE, "children", allow_duplicate=True),
        Output(ids.CREW_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.CREW_STEP_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.CREW_JOB, "data"),
        State(ids.CREW_LANG, "data"),
        State(ids.CREW_VERSION, "data"),
        prevent_initial_call=True,
    )
    def _step(_clicks, job, lang, version):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        notice, changed = tap_step(api, ctx.triggered_id, value, job, lang, session.get("user"))
        return notice, (version or 0) + 1 if changed else no_update

    @app.callback(
        Output(ids.CREW_NOTICE, "children", allow_duplicate=True),
        Output(ids.CREW_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.CREW_VALVE_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.CREW_JOB, "data"),
        State(ids.CREW_LANG, "data"),
        State(ids.CREW_VERSION, "data"),
        prevent_initial_call=True,
    )
    def _valve(_clicks, job, lang, version):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        notice, changed = tap_valve(api, ctx.triggered_id, value, job, lang, session.get("user"))
        return notice, (version or 0) + 1 if changed else no_update

"""The crew lead's page callbacks: the decorated function delegates to a plain function that
tests call directly. Every read goes through the services with the session's user as the
actor, checked against the same permission table as the API, so a crew lead sees only its own
crew's jobs. The taps do not come here: ``assets/crew.js`` sends them to the JSON API through
its offline queue (in order, each with an Idempotency-Key), and a sent tap bumps the page's
version store, which redraws the board."""

from __future__ import annotations

from dash import Input, Output, State, no_update
from flask import session

from dashboards import ids
from dashboards.components import crew_parts, crew_site_parts
from dashboards.i18n import t
from dashboards.pages.site_map import CREW
from dispatch import auth, crew_job_service, site_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated

#: The outputs of :func:`refresh_board`, in order.
BOARD_OUTPUTS = 10


def refresh_board(api, lang: str, signature, user: dict | None) -> tuple:
    """The board redrawn when what it shows changed since ``signature`` (else ``no_update``
    everywhere, and no read of personal data): (job card, way there, valves, status buttons,
    other jobs, site work, route layer, site layer, map viewport, the job store, the new
    signature)."""
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
        record = None
        if job is not None:
            try:
                record = site_service.site_record(uow, job["ticket"]["id"], actor)
            except DispatchError:  # taken from the crew since the board was read
                record = None
    route, site, viewport = crew_parts.map_data(job)
    ticket = None if job is None else job["ticket"]
    return (
        crew_parts.job_card(job, lang, now),
        crew_parts.way_there(job, lang, now),
        crew_parts.valve_list(job, lang),
        crew_parts.status_buttons(job, lang, crew_site_parts.still_needed(record, lang)),
        crew_parts.other_jobs(board, lang),
        crew_site_parts.site_work(
            record,
            site_service.price_list(),
            lang,
            None if ticket is None else ticket.get("meter_id"),
        ),
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


def _message(text: str, lang: str) -> tuple:
    from dash import html

    from dashboards.components.crew_parts import EMPTY

    return (
        [html.P(text, className="crew-empty", role="alert")],
        [],
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
        Output(ids.CREW_SITE, "children"),
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

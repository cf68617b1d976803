"""The coverage panel's callbacks: another door to :mod:`dispatch.coverage_service`, checking
the API's permissions (``reports.read`` to look, ``coverage.move`` to apply). No SQL here."""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import coverage_panel as cp
from dashboards.i18n import t
from dispatch import auth, coverage_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated

log = logging.getLogger(__name__)


def _actor(user: dict | None, action: str) -> Actor:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def coverage_view(api, user, lang: str, target_min) -> tuple:
    """The two reaches, the moves' lines, the figures, the moves' table and the moves."""
    _actor(user, "reports.read")
    with api.uow() as uow:
        cov = coverage_service.coverage(
            uow, api.ports.router, api.clock(), target_min=float(target_min)
        )
    moves = cov["suggestion"]["moves"]
    return (
        cp.as_collection(cov["reach_from_depots"]),
        cp.as_collection(cov["reach_from_available_crews"]),
        cp.moves_geojson(moves),
        cp.figures_view(cov, lang),
        cp.moves_table(moves, lang, cp.can_move(user)),
        moves,
    )


def apply(api, user, lang: str, move: dict) -> str:
    """Apply one suggested move as the API's POST /coverage/moves does; the notice says so."""
    actor = _actor(user, "coverage.move")
    body = {k: move[k] for k in ("crew_id", "to", "uncovered_before_km", "uncovered_after_km")}
    with api.uow() as uow:
        done = coverage_service.apply_move(uow, actor, body, api.clock())
    return t("cov.applied", lang, crew=done["crew_code"], to=move["to"]["label"])


def register_coverage_callbacks(app, api, lang_store: str) -> None:
    """``lang_store``: the id of the page's dcc.Store holding its language."""

    @app.callback(
        Output(cp.COV_REACH_DEPOTS, "data"),
        Output(cp.COV_REACH_CREWS, "data"),
        Output(cp.COV_MOVES_LAYER, "data"),
        Output(cp.COV_FIGURES, "children"),
        Output(cp.COV_MOVES, "children"),
        Output(cp.COV_MOVES_STORE, "data"),
        Input(cp.COV_TARGET, "value"),
        State(lang_store, "data"),
    )
    def _coverage(target_min, lang):
        if target_min is None:
            return (no_update,) * 6
        try:
            return coverage_view(api, session.get("user"), lang, target_min)
        except DispatchError as exc:
            return (no_update,) * 4 + (html.Span(exc.detail, role="alert"), [])

    @app.callback(
        Output(cp.COV_NOTICE, "children"),
        Output(cp.COV_APPLIED, "data"),
        Input({"type": cp.COV_APPLY, "index": ALL}, "n_clicks"),
        State(cp.COV_MOVES_STORE, "data"),
        State(cp.COV_APPLIED, "data"),
        State(lang_store, "data"),
        prevent_initial_call=True,
    )
    def _apply(clicks, moves, applied, lang):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update, no_update
        index = trigger["index"]
        if not moves or index >= len(moves):
            return no_update, no_update
        try:
            notice = apply(api, session.get("user"), lang, moves[index])
        except DispatchError as exc:
            log.warning("coverage move refused: %s", exc.detail)
            return html.Span(exc.detail, role="alert"), no_update
        return notice, (applied or 0) + 1

"""Replay of a past day on the manager's map (issue 12, item 7): a date and a time slider; the
tickets open at that moment and where the crews were (their stored GPS fixes). The day is read
in one query into a dcc.Store (:func:`dispatch.manager_service.replay_day`); the slider steps
through it in the browser (``managerReplay.frame`` in assets/manager.js), no round trip."""

from __future__ import annotations

from datetime import date

import dash_leaflet as dl
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from flask import session

from dashboards.i18n import t
from dispatch import auth, manager_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated

REPLAY_DATE = "replay-date"  # dcc.DatePickerSingle: the day replayed
REPLAY_TIME = "replay-time"  # dcc.Input type=range: minutes from the day's local midnight
REPLAY_STORE = "replay-store"  # dcc.Store: the day as replay_day gives it
REPLAY_LAYER = "replay-layer"  # dl.GeoJSON: open tickets and crews at the chosen moment
REPLAY_STATUS = "replay-status"  # "N open incidents at HH:MM"
STEP_MIN = 5
EMPTY = {"type": "FeatureCollection", "features": []}


def replay_overlay(lang: str) -> dl.Overlay:
    return dl.Overlay(
        dl.GeoJSON(
            id=REPLAY_LAYER,
            data=EMPTY,
            pointToLayer={"variable": "managerReplay.point"},
            onEachFeature={"variable": "managerReplay.bind"},
        ),
        name=t("replay.layer", lang),
        checked=True,
    )


def replay_section(lang: str, day: str, max_day: str) -> html.Section:
    return html.Section(
        [
            html.H3(t("replay.title", lang)),
            html.Div(
                [
                    html.Label(t("replay.date", lang)),
                    dcc.DatePickerSingle(
                        id=REPLAY_DATE,
                        date=day,
                        max_date_allowed=max_day,
                        display_format="YYYY-MM-DD",
                        first_day_of_week=1,
                    ),
                    html.Label(t("replay.time", lang), htmlFor=REPLAY_TIME),
                    dcc.Input(
                        id=REPLAY_TIME,
                        type="range",
                        min=0,
                        max=24 * 60 - STEP_MIN,
                        step=STEP_MIN,
                        value=12 * 60,
                        className="replay-time",
                    ),
                    html.Strong(id=REPLAY_STATUS, className="replay-status", role="status"),
                ],
                className="mgr-log-bar",
            ),
            dcc.Store(id=REPLAY_STORE),
        ],
        className="site-card replay-panel",
    )


def replay_data(api, user: dict | None, lang: str, day: str) -> dict:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    auth.require(Actor(user["username"], user["role"], user.get("crew_id")), "reports.read")
    with api.uow() as uow:
        data = manager_service.replay_day(uow, date.fromisoformat(day[:10]))
    data["text"] = t("replay.status", lang)
    return data


def register_replay_callbacks(app, api, lang_store: str) -> None:
    @app.callback(
        Output(REPLAY_STORE, "data"),
        Input(REPLAY_DATE, "date"),
        State(lang_store, "data"),
    )
    def _day(day, lang):
        if not day:
            return no_update
        try:
            return replay_data(api, session.get("user"), lang, day)
        except DispatchError:
            return None

    app.clientside_callback(
        ClientsideFunction(namespace="managerReplay", function_name="frame"),
        Output(REPLAY_LAYER, "data"),
        Output(REPLAY_STATUS, "children"),
        Input(REPLAY_STORE, "data"),
        Input(REPLAY_TIME, "value"),
    )

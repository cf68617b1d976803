"""The phone as the crew's tracker: ``POST /crew/position`` takes a GPS fix from the crew lead's
page (the browser's Geolocation API, every few seconds while a job is open) and records it for
the session's own crew through :func:`dispatch.crew_service.record_position`, exactly as the
API's ``POST /api/v1/crews/{id}/positions`` does (a fix near the job stops its response clock).

Why a door of its own: the page is logged in with the session cookie, not a bearer token, and
handing the page a token would put a credential that opens the whole API into the browser's
script. This door takes only a fix, only for the crew the logged-in user leads (the crew is not
even named in the request), with the same body model and checks as the API. It accepts only a
JSON body: with the cookie's SameSite=Lax, another site can neither send the cookie with a POST
nor send JSON without a CORS preflight this server never grants.

    POST /crew/position {"lon", "lat", "time", "speed"?, "heading"?}
        201 {"crew_id", "recorded_at", "arrived_at_tickets"}
        400/401/403/415 {"error", "field", "detail"}
"""

from __future__ import annotations

from flask import Flask, jsonify, request, session

from dispatch import api_input, auth, crew_service
from dispatch.actor import Actor
from dispatch.api_schemas import CrewPositionFix
from dispatch.errors import DispatchError, PermissionDenied, Unauthenticated
from dispatch.json_errors import error_response
from gis.errors import DatabaseUnavailable

POSITION_PATH = "/crew/position"


def record_fix(api, user: dict | None, raw: bytes) -> dict:
    """Record the fix in ``raw`` (JSON) for the crew ``user`` leads; raises the dispatch errors
    the answer is made from."""
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, "crews.position")
    if actor.crew_id is None:
        raise PermissionDenied("only a crew lead's phone reports its crew's position", None)
    fix = api_input.validate_body(CrewPositionFix, raw)
    with api.uow() as uow:
        return crew_service.record_position(
            uow, actor.crew_id, fix, actor, api.clock(), api.settings
        )


def register_position_route(server: Flask, api) -> None:
    @server.post(POSITION_PATH)
    def crew_position():
        if not request.is_json:
            return error_response(415, "unsupported_media_type", "send the fix as application/json")
        try:
            answer = record_fix(api, session.get("user"), request.get_data())
        except DispatchError as exc:
            return error_response(exc.status, exc.code, exc.detail, field=exc.field)
        except DatabaseUnavailable as exc:
            return error_response(503, "database_unavailable", str(exc))
        return jsonify(answer), 201

"""The HTTP API under ``/api/v1`` (Flask). Handlers only parse the request, check the role,
call a service in a unit of work, and map domain errors to JSON ``{"error", "field",
"detail"}`` with a 4xx status. The OpenAPI document is generated from the same route table
that registers the handlers, so the two cannot drift apart."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg2
from flask import Blueprint, Response, jsonify, request
from psycopg2.pool import ThreadedConnectionPool
from werkzeug.exceptions import HTTPException

from dispatch import (
    auth,
    callback_service,
    complaint_service,
    crew_service,
    json_shapes,
    kpi_repository,
    ticket_service,
)
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.errors import DispatchError, InvalidInput
from dispatch.isolation_plan import NetworkIsolationPlanner, parse_stuck
from dispatch.kpis import key_figures
from dispatch.ports import Ports
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from gis.errors import DatabaseUnavailable
from gis.geocode import search_addresses
from gis.leak_analysis import NetworkAnalyst

log = logging.getLogger(__name__)
PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # Flask syntax, e.g. /tickets/<int:ticket_id>
    action: str | None  # permission needed; None: public
    summary: str
    handler: str  # name of the function in this module
    body: dict | None = None  # JSON schema of the request body
    query: dict | None = None  # query parameters: name -> JSON type


ROUTES = [
    Route(
        "POST",
        "/auth/token",
        None,
        "Log in: a bearer token for a username and password",
        "login",
        {"username": "string", "password": "string"},
    ),
    Route(
        "POST",
        "/tickets",
        "tickets.create",
        "Open a work order (Idempotency-Key honoured)",
        "create_ticket",
        {
            "type": "string",
            "lon": "number",
            "lat": "number",
            "account_no": "string",
            "meter_no": "string",
            "address": "string",
            "description": "string",
            "caller_name": "string",
            "caller_phone": "string",
            "priority": "integer",
            "appointment_at": "string",
            "receiving_department": "string",
            "jurisdiction": "string",
        },
    ),
    Route(
        "GET",
        "/tickets",
        "tickets.list",
        "List tickets (status, type, category, open)",
        "list_tickets",
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>",
        "tickets.get",
        "One ticket with its callers",
        "get_ticket",
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/isolation",
        "tickets.get",
        "The isolation plan of an emergency ticket; ?stuck=VALVE_ID[,..] widens it",
        "get_isolation",
        query={"stuck": "string"},
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/events",
        "tickets.events",
        "The ticket's event log",
        "get_events",
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/transition",
        "tickets.transition",
        "Move the ticket to its next status",
        "transition",
        {"status": "string", "reason": "string"},
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/assign",
        "tickets.assign",
        "Assign or reassign a crew",
        "assign",
        {"crew_id": "integer", "reason": "string"},
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/link",
        "tickets.link",
        "Link the ticket as a duplicate call of another",
        "link",
        {"parent_id": "integer"},
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/unlink",
        "tickets.unlink",
        "Make a linked duplicate its own ticket again",
        "unlink",
    ),
    Route("GET", "/crews", "crews.list", "Crews with their latest positions", "list_crews"),
    Route(
        "POST",
        "/crews/<int:crew_id>/positions",
        "crews.position",
        "Report a GPS fix",
        "post_position",
        {
            "lon": "number",
            "lat": "number",
            "time": "string",
            "speed": "number",
            "heading": "number",
        },
    ),
    Route(
        "POST",
        "/crews/<int:crew_id>/status",
        "crews.status",
        "Set a crew's status",
        "post_crew_status",
        {"status": "string"},
    ),
    Route("POST", "/clocks/check", "clocks.check", "Raise due deadline events now", "check_clocks"),
    Route("GET", "/kpis", "kpis", "Today's key figures", "kpis"),
    Route(
        "POST",
        "/callbacks/draw",
        "callbacks.draw",
        "Draw the day's callback sample (once a day; a second draw returns the first)",
        "draw_callbacks",
        {"date": "string", "seed": "integer"},
    ),
    Route(
        "GET",
        "/callbacks",
        "callbacks.list",
        "The callbacks drawn for a day, with the customers to call",
        "list_callbacks",
        query={"date": "string", "status": "string"},
    ),
    Route(
        "GET",
        "/callbacks/satisfaction",
        "callbacks.report",
        "Customer satisfaction of the callbacks made from `since` to `until` (dates)",
        "callback_satisfaction",
        query={"since": "string", "until": "string"},
    ),
    Route(
        "POST",
        "/callbacks/<int:callback_id>",
        "callbacks.record",
        "Record the customer's answer; an unsatisfied customer re-opens the job",
        "record_callback",
        {
            "status": "string",
            "attitude": "integer",
            "skill": "integer",
            "attire": "string",
            "punctuality": "string",
            "issues": "string",
        },
    ),
    Route(
        "POST",
        "/complaints",
        "complaints.create",
        "Take a complaint in; its reply is due 2 working days later",
        "create_complaint",
        {
            "channel": "string",
            "description": "string",
            "customer_name": "string",
            "customer_phone": "string",
            "account_no": "string",
            "ticket_id": "integer",
            "department": "string",
            "worker": "string",
            "level": "integer",
            "fault_class": "string",
        },
    ),
    Route(
        "GET",
        "/complaints",
        "complaints.list",
        "List complaints (status, level, open, overdue)",
        "list_complaints",
        query={
            "status": "string",
            "level": "integer",
            "open": "boolean",
            "overdue": "boolean",
            "limit": "integer",
        },
    ),
    Route(
        "GET",
        "/complaints/<int:complaint_id>",
        "complaints.get",
        "One complaint with its event log",
        "get_complaint",
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/dispatch",
        "complaints.handle",
        "Route the complaint to the responsible department (again, to re-route it)",
        "dispatch_complaint",
        {"department": "string"},
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/investigate",
        "complaints.handle",
        "The department has taken the complaint up",
        "investigate_complaint",
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/reply",
        "complaints.handle",
        "The customer was given the answer; may classify the staff fault (A, B, C or null)",
        "reply_complaint",
        {"reply": "string", "fault_class": "string", "worker": "string"},
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/callback",
        "complaints.handle",
        "The customer was called back after the reply",
        "complaint_callback",
        {"result": "string"},
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/close",
        "complaints.handle",
        "Reviewed and closed; the review may set or correct the classification",
        "close_complaint",
        {"fault_class": "string", "worker": "string"},
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/escalate",
        "complaints.handle",
        "Make the complaint level 2 (authorities or media, or handled badly)",
        "escalate_complaint",
        {"reason": "string"},
    ),
    Route(
        "POST",
        "/complaints/check-overdue",
        "complaints.check_overdue",
        "Raise a complaint_overdue event for each unanswered complaint past its deadline, once",
        "check_overdue_complaints",
    ),
    Route(
        "GET",
        "/geocode",
        "geocode",
        "Addresses and streets of the territory matching `q`, best first (EPSG:4326)",
        "geocode",
        query={"q": "string", "limit": "integer"},
    ),
    Route("GET", "/openapi.json", None, "This document", "openapi"),
]


class Api:
    """State of one API instance: its pool, settings, clock and the ports of the territory
    (road routing, isolation plans)."""

    def __init__(
        self,
        dsn: str,
        *,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        ports: Ports | None = None,
    ) -> None:
        self.dsn = dsn
        self.settings = settings or Settings()
        self.clock = clock or (lambda: datetime.now(UTC))
        # Without ports given: isolation plans (they need only the database), no road routing.
        self.ports = ports or Ports(isolation=NetworkIsolationPlanner(NetworkAnalyst(dsn)))
        self._pool: ThreadedConnectionPool | None = None

    @property
    def pool(self) -> ThreadedConnectionPool:
        if self._pool is None:  # opened on first request, never at import
            try:
                self._pool = ThreadedConnectionPool(1, 20, self.dsn, connect_timeout=5)
            except psycopg2.OperationalError as exc:
                raise DatabaseUnavailable(str(exc).strip().splitlines()[0]) from exc
        return self._pool

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    def actor(self, uow: UnitOfWork, action: str | None) -> Actor | None:
        if action is None:
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        actor = auth.actor_for_token(uow, token, self.clock())
        auth.require(actor, action)
        return actor

    # --- handlers (each returns (payload, status)) ---

    def login(self, uow, actor, body):
        return auth.issue_token(uow, body.get("username"), body.get("password"), self.clock()), 200

    def create_ticket(self, uow, actor, body):
        answer = ticket_service.open_ticket(
            uow,
            body,
            actor,
            self.clock(),
            self.settings,
            self.ports,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return answer, 200 if answer.get("replayed") else 201

    def list_tickets(self, uow, actor, body):
        args = request.args
        tickets = ticket_service.list_tickets(
            uow,
            actor,
            status=[s for s in args.get("status", "").split(",") if s] or None,
            ticket_type=args.get("type"),
            category=args.get("category"),
            open_only=args.get("open", "").lower() in ("1", "true", "yes"),
            limit=_limit(args.get("limit")),
        )
        return {"tickets": tickets}, 200

    def get_ticket(self, uow, actor, body, ticket_id):
        return ticket_service.get_ticket(uow, ticket_id, actor), 200

    def get_isolation(self, uow, actor, body, ticket_id):
        stuck = parse_stuck(request.args.get("stuck"))
        return ticket_service.isolation_plan(uow, ticket_id, actor, self.ports, stuck=stuck), 200

    def get_events(self, uow, actor, body, ticket_id):
        return {"events": ticket_service.ticket_events(uow, ticket_id, actor)}, 200

    def transition(self, uow, actor, body, ticket_id):
        to = body.get("status")
        if not isinstance(to, str) or not to:
            raise InvalidInput("`status` is required", "status")
        return ticket_service.transition_ticket(
            uow, ticket_id, to, actor, self.clock(), reason=body.get("reason")
        ), 200

    def assign(self, uow, actor, body, ticket_id):
        return ticket_service.assign_crew(
            uow,
            ticket_id,
            body.get("crew_id"),
            actor,
            self.clock(),
            reason=body.get("reason"),
            settings=self.settings,
            ports=self.ports,
        ), 200

    def link(self, uow, actor, body, ticket_id):
        return ticket_service.link_duplicate(
            uow, ticket_id, body.get("parent_id"), actor, self.clock()
        ), 200

    def unlink(self, uow, actor, body, ticket_id):
        return ticket_service.unlink_duplicate(uow, ticket_id, actor, self.clock()), 200

    def list_crews(self, uow, actor, body):
        now = self.clock()
        return {
            "crews": [
                json_shapes.crew_view(r, now, self.settings.stale_gps_after_s)
                for r in repo.list_crews(uow.cur)
            ]
        }, 200

    def post_position(self, uow, actor, body, crew_id):
        return crew_service.record_position(
            uow, crew_id, body, actor, self.clock(), self.settings
        ), 201

    def post_crew_status(self, uow, actor, body, crew_id):
        return crew_service.set_crew_status(uow, crew_id, body.get("status"), actor), 200

    def check_clocks(self, uow, actor, body):
        return {"raised": ticket_service.check_clocks(uow, self.clock(), actor, self.settings)}, 200

    def kpis(self, uow, actor, body):
        now = self.clock()
        rows = kpi_repository.kpi_rows(uow.cur, now)
        return key_figures(
            rows,
            now,
            stale_after_s=self.settings.stale_gps_after_s,
            at_risk_share=self.settings.policy.at_risk_share,
        ), 200

    def openapi(self, uow, actor, body):
        return openapi_document(), 200

    # --- call-backs and complaints ---

    def draw_callbacks(self, uow, actor, body):
        now = self.clock()
        day = _date(body.get("date"), "date") or now.astimezone(UTC).date()
        seed = body.get("seed")
        if seed is None:
            seed = int(day.strftime("%Y%m%d"))
        result = callback_service.draw_daily_callbacks(uow, day, seed, actor, now=now)
        return result, 200 if result["already_drawn"] else 201

    def list_callbacks(self, uow, actor, body):
        day = _date(request.args.get("date"), "date") or self.clock().astimezone(UTC).date()
        return callback_service.list_callbacks(
            uow, day, actor, status=request.args.get("status")
        ), 200

    def callback_satisfaction(self, uow, actor, body):
        until = _date(request.args.get("until"), "until") or self.clock().astimezone(UTC).date()
        since = _date(request.args.get("since"), "since") or until - timedelta(days=29)
        return callback_service.satisfaction_report(uow, since, until), 200

    def record_callback(self, uow, actor, body, callback_id):
        return callback_service.record_callback(uow, callback_id, body, actor, self.clock()), 200

    def create_complaint(self, uow, actor, body):
        result = complaint_service.open_complaint(
            uow,
            body,
            actor,
            self.clock(),
            working_days=self.settings.policy.reply_working_days,
        )
        return result, 201

    def list_complaints(self, uow, actor, body):
        args = request.args
        level = args.get("level")
        if level is not None and level not in ("1", "2"):
            raise InvalidInput("`level` must be 1 or 2", "level")
        complaints = complaint_service.list_complaints(
            uow,
            actor,
            self.clock(),
            status=[s for s in args.get("status", "").split(",") if s] or None,
            level=None if level is None else int(level),
            open_only=_flag(args.get("open")),
            overdue_only=_flag(args.get("overdue")),
            limit=_limit(args.get("limit")),
        )
        return {"complaints": complaints}, 200

    def get_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.get_complaint(uow, complaint_id, actor, self.clock()), 200

    def dispatch_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.dispatch_complaint(
            uow, complaint_id, body.get("department"), actor, self.clock()
        ), 200

    def investigate_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.investigate(uow, complaint_id, actor, self.clock()), 200

    def reply_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.reply(
            uow,
            complaint_id,
            body.get("reply"),
            actor,
            self.clock(),
            classification=_classification(body),
        ), 200

    def complaint_callback(self, uow, actor, body, complaint_id):
        return complaint_service.record_complaint_callback(
            uow, complaint_id, body.get("result"), actor, self.clock()
        ), 200

    def close_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.close_complaint(
            uow, complaint_id, actor, self.clock(), classification=_classification(body)
        ), 200

    def escalate_complaint(self, uow, actor, body, complaint_id):
        return complaint_service.escalate(
            uow, complaint_id, body.get("reason"), actor, self.clock()
        ), 200

    def check_overdue_complaints(self, uow, actor, body):
        return {"raised": complaint_service.check_overdue_complaints(uow, self.clock(), actor)}, 200

    def geocode(self, uow, actor, body):
        query = (request.args.get("q") or "").strip()
        if not query:
            raise InvalidInput("`q` is required: part of an address or a street name", "q")
        if len(query) > 200:
            raise InvalidInput("`q` is longer than 200 characters", "q")
        text = request.args.get("limit")
        if text is not None and not (text.isdigit() and 1 <= int(text) <= 50):
            raise InvalidInput("`limit` must be an integer from 1 to 50", "limit")
        limit = 5 if text is None else int(text)
        return {"candidates": search_addresses(uow.cur, query, limit=limit)}, 200


def create_blueprint(api: Api) -> Blueprint:
    bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    for route in ROUTES:
        bp.add_url_rule(
            route.path, endpoint=route.handler, methods=[route.method], view_func=_view(api, route)
        )

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.name.lower().replace(" ", "_"), None, exc.description)

    return bp


def _view(api: Api, route: Route):
    def view(**params):
        try:
            body = _json_body() if route.method == "POST" else {}
            if route.action is None and route.handler == "openapi":
                payload, status = api.openapi(None, None, body)
                return jsonify(payload), status
            with api.uow() as uow:
                actor = api.actor(uow, route.action)
                payload, status = getattr(api, route.handler)(uow, actor, body, **params)
            return jsonify(payload), status
        except DispatchError as exc:
            return _error(exc.status, exc.code, exc.field, exc.detail)
        except DatabaseUnavailable as exc:
            return _error(503, "database_unavailable", None, str(exc))

    return view


def _json_body() -> dict:
    if not request.data:
        return {}
    try:
        body = request.get_json(force=True)
    except Exception:  # werkzeug raises several types for malformed JSON
        raise InvalidInput("the request body is not valid JSON", "body") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", "body")
    return body


def _error(status: int, code: str, field: str | None, detail: str) -> tuple[Response, int]:
    return jsonify({"error": code, "field": field, "detail": detail}), status


def _limit(text: str | None) -> int:
    if text is None:
        return 200
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise InvalidInput("`limit` must be an integer from 1 to 1000", "limit")
    return int(text)


def _date(text: object, name: str) -> date | None:
    """A calendar date given as YYYY-MM-DD, or None when absent."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise InvalidInput(f"`{name}` must be a date as YYYY-MM-DD", name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"`{name}` must be a date as YYYY-MM-DD, not {text!r}", name) from None


def _flag(text: str | None) -> bool:
    return (text or "").lower() in ("1", "true", "yes")


def _classification(body: dict) -> dict | None:
    """The staff-fault classification a reply or a review carries, if any: a present
    ``fault_class`` (null meaning no staff fault) and/or ``worker``."""
    found = {k: body[k] for k in ("fault_class", "worker") if k in body}
    return found or None


#: A Flask path parameter, e.g. <int:ticket_id> or <action>.
_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": "integer", "float": "number"}


def openapi_document() -> dict:
    paths: dict[str, dict] = {}
    for route in ROUTES:
        path = _PATH_PARAM.sub(r"{\2}", route.path)
        path_params = [
            (name, _PARAM_TYPES.get(converter, "string"))
            for converter, name in _PATH_PARAM.findall(route.path)
        ]
        op: dict = {
            "summary": route.summary,
            "operationId": route.handler,
            "responses": {
                "200": {"description": "OK"},
                "4XX": {
                    "description": "Error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if route.action:
            op["security"] = [{"bearer": []}]
            op["x-roles"] = sorted(auth.PERMISSIONS[route.action])
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": t}}
            for p, t in path_params
        ]
        params += [
            {"name": p, "in": "query", "required": False, "schema": {"type": t}}
            for p, t in (route.query or {}).items()
        ]
        if params:
            op["parameters"] = params
        if route.body:
            op["requestBody"] = {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {k: {"type": v} for k, v in route.body.items()},
                        }
                    }
                }
            }
        paths.setdefault(PREFIX + path, {})[route.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Gas dispatch control room API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string"},
                        "field": {"type": "string", "nullable": True},
                        "detail": {"type": "string"},
                    },
                }
            },
        },
    }

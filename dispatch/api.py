"""The HTTP API under ``/api/v1`` (Flask). Each request has its role checked, then its body or
query string validated by the route's model (:mod:`dispatch.api_schemas`) before the handler
calls a service in a unit of work; domain errors map to JSON ``{"error", "field", "detail"}``
with a 4xx status. The OpenAPI document is generated from the same route table that
registers the handlers, and from the same models, so the two cannot drift apart."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import ceil

import psycopg2
from flask import Blueprint, Response, jsonify, request, session
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dispatch import (
    api_input,
    auth,
    callback_service,
    complaint_service,
    coverage_service,
    crew_job_service,
    crew_service,
    customer_service,
    desk_schemas,
    json_shapes,
    kpi_repository,
    meter_schemas,
    meter_service,
    reply_service,
    report_service,
    site_service,
    ticket_service,
)
from dispatch import api_schemas as schemas
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.desk_api import DeskHandlers
from dispatch.errors import DispatchError, InvalidInput, TooManyAttempts
from dispatch.input_fields import refuse_unstorable
from dispatch.isolation_plan import NetworkIsolationPlanner
from dispatch.json_errors import error_response
from dispatch.kpis import key_figures
from dispatch.openapi import build_document
from dispatch.ports import Ports
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from gis.database import WaitingConnectionPool
from gis.errors import DatabaseUnavailable
from gis.geocode import search_addresses
from gis.leak_analysis import NetworkAnalyst

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
#: Seconds a client is asked to wait before retrying when the database is busy or restarting.
RETRY_AFTER_S = 2


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # Flask syntax, e.g. /tickets/<int:ticket_id>
    action: str | None  # permission needed; None: public
    summary: str
    handler: str  # name of the function in this module
    answers: dict[int, type[BaseModel]]  # success status -> response model
    body: type[BaseModel] | None = None  # model of the JSON request body
    query: type[BaseModel] | None = None  # model of the query string
    headers: type[BaseModel] | None = None  # request headers the handler reads (documented)
    # Error statuses beyond those every route of its kind answers (see openapi.error_statuses)
    errors: tuple[int, ...] = ()
    database: bool = True  # False: answered without a database
    upload: bool = False  # True: carries an image, so a larger body is read (see _body_limit)
    csv: bool = False  # True: `?format=csv` answers the same content as text/csv


ROUTES = [
    Route(
        "POST",
        "/auth/token",
        None,
        "Log in: a bearer token for a username and password",
        "login",
        {200: schemas.Token},
        body=schemas.LoginRequest,
        errors=(401, 429),
    ),
    Route(
        "POST",
        "/tickets",
        "tickets.create",
        "Open a work order (Idempotency-Key honoured: a replay answers 200 with the ticket)",
        "create_ticket",
        {201: schemas.TicketCreated, 200: schemas.TicketReplayed},
        body=schemas.TicketCreate,
        headers=schemas.IdempotencyHeaders,
        errors=(404,),
    ),
    Route(
        "GET",
        "/tickets",
        "tickets.list",
        "List tickets (status, type, category, open)",
        "list_tickets",
        {200: schemas.TicketList},
        query=schemas.TicketListQuery,
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>",
        "tickets.get",
        "One ticket with its callers",
        "get_ticket",
        {200: schemas.TicketDetail},
        errors=(403,),
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/isolation",
        "tickets.get",
        "The isolation plan of an emergency ticket; ?stuck=VALVE_ID[,..] widens it",
        "get_isolation",
        {200: schemas.IsolationPlan},
        query=schemas.IsolationQuery,
        errors=(403,),
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/events",
        "tickets.events",
        "The ticket's event log",
        "get_events",
        {200: schemas.TicketEvents},
        errors=(403,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/transition",
        "tickets.transition",
        "Move the ticket to its next status (Idempotency-Key honoured: a replay answers the"
        " first answer)",
        "transition",
        {200: schemas.TransitionResult},
        body=schemas.TicketTransition,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(409,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/assign",
        "tickets.assign",
        "Assign or reassign a crew",
        "assign",
        {200: schemas.AssignResult},
        body=schemas.TicketAssign,
        errors=(409,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/link",
        "tickets.link",
        "Link the ticket as a duplicate call of another",
        "link",
        {200: schemas.LinkResult},
        body=schemas.TicketLink,
        errors=(409,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/unlink",
        "tickets.unlink",
        "Make a linked duplicate its own ticket again",
        "unlink",
        {200: schemas.LinkResult},
        errors=(409,),
    ),
    Route(
        "GET",
        "/crews",
        "crews.list",
        "Crews with their latest positions",
        "list_crews",
        {200: schemas.CrewList},
    ),
    Route(
        "POST",
        "/crews/<int:crew_id>/positions",
        "crews.position",
        "Report a GPS fix",
        "post_position",
        {201: schemas.PositionRecorded},
        body=schemas.CrewPositionFix,
    ),
    Route(
        "POST",
        "/crews/<int:crew_id>/status",
        "crews.status",
        "Set a crew's status",
        "post_crew_status",
        {200: schemas.CrewStatusResult},
        body=schemas.CrewStatusChange,
    ),
    Route(
        "POST",
        "/clocks/check",
        "clocks.check",
        "Raise due deadline events now",
        "check_clocks",
        {200: schemas.ClockAlerts},
    ),
    Route("GET", "/kpis", "kpis", "Today's key figures", "kpis", {200: schemas.Kpis}),
    Route(
        "POST",
        "/callbacks/draw",
        "callbacks.draw",
        "Draw the day's callback sample (once a day; a second draw answers 200 with the first)",
        "draw_callbacks",
        {201: schemas.CallbackDraw, 200: schemas.CallbackDraw},
        body=schemas.CallbackDrawRequest,
    ),
    Route(
        "GET",
        "/callbacks",
        "callbacks.list",
        "The callbacks drawn for a day, with the customers to call",
        "list_callbacks",
        {200: schemas.CallbackList},
        query=schemas.CallbackListQuery,
    ),
    Route(
        "GET",
        "/callbacks/satisfaction",
        "callbacks.report",
        "Customer satisfaction of the callbacks made from `since` to `until` (dates)",
        "callback_satisfaction",
        {200: schemas.SatisfactionReport},
        query=schemas.SatisfactionQuery,
    ),
    Route(
        "POST",
        "/callbacks/<int:callback_id>",
        "callbacks.record",
        "Record the customer's answer; an unsatisfied customer re-opens the job",
        "record_callback",
        {200: schemas.CallbackRecorded},
        body=schemas.CallbackAnswerRequest,
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints",
        "complaints.create",
        "Take a complaint in; its reply is due 2 working days later",
        "create_complaint",
        {201: schemas.ComplaintDetail},
        body=schemas.ComplaintCreate,
        errors=(404,),
    ),
    Route(
        "GET",
        "/complaints",
        "complaints.list",
        "List complaints (status, level, open, overdue)",
        "list_complaints",
        {200: schemas.ComplaintList},
        query=schemas.ComplaintListQuery,
    ),
    Route(
        "GET",
        "/complaints/<int:complaint_id>",
        "complaints.get",
        "One complaint with its event log",
        "get_complaint",
        {200: schemas.ComplaintDetail},
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/dispatch",
        "complaints.handle",
        "Route the complaint to the responsible department (again, to re-route it)",
        "dispatch_complaint",
        {200: schemas.ComplaintDetail},
        body=schemas.ComplaintDispatch,
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/investigate",
        "complaints.handle",
        "The department has taken the complaint up",
        "investigate_complaint",
        {200: schemas.ComplaintDetail},
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/reply",
        "complaints.handle",
        "The customer was given the answer; may classify the staff fault (A, B, C or null)",
        "reply_complaint",
        {200: schemas.ComplaintDetail},
        body=schemas.ComplaintReply,
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/callback",
        "complaints.handle",
        "The customer was called back after the reply",
        "complaint_callback",
        {200: schemas.ComplaintDetail},
        body=schemas.ComplaintCallback,
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/close",
        "complaints.handle",
        "Reviewed and closed; the review may set or correct the classification",
        "close_complaint",
        {200: schemas.ComplaintDetail},
        body=schemas.ComplaintClose,
        errors=(409,),
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/escalate",
        "complaints.handle",
        "Make the complaint level 2 (authorities or media, or handled badly)",
        "escalate_complaint",
        {200: schemas.Escalation},
        body=schemas.ComplaintEscalate,
    ),
    Route(
        "POST",
        "/complaints/check-overdue",
        "complaints.check_overdue",
        "Raise a complaint_overdue event for each unanswered complaint past its deadline, once",
        "check_overdue_complaints",
        {200: schemas.OverdueComplaints},
    ),
    Route(
        "GET",
        "/geocode",
        "geocode",
        "Addresses and streets of the territory matching `q`, best first (EPSG:4326)",
        "geocode",
        {200: schemas.GeocodeCandidates},
        query=schemas.GeocodeQuery,
    ),
    Route(
        "GET",
        "/openapi.json",
        None,
        "This document",
        "openapi",
        {200: schemas.OpenApiDocument},
        database=False,
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/valves/<int:valve_id>",
        "tickets.valves",
        "Report a valve of the isolation plan closed, or stuck (the plan is widened around it)",
        "report_valve",
        {200: schemas.ValveReported},
        body=schemas.ValveReport,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(409,),
    ),
    Route(
        "GET",
        "/reports/leak-log",
        "reports.read",
        "The daily leak log of a local day (every leak report: number, location, received,"
        " type, dispatched, arrived, crew) and its review; `format=csv` for a file",
        "leak_log",
        {200: schemas.LeakLog},
        query=schemas.LeakLogQuery,
        csv=True,
    ),
    Route(
        "GET",
        "/reports/leak-buckets",
        "reports.read",
        "The month's leak reports in response-time buckets (≤ 30, 31-45, 46-60, > 60 min)",
        "leak_buckets",
        {200: schemas.LeakBuckets},
        query=schemas.LeakBucketsQuery,
        csv=True,
    ),
    Route(
        "POST",
        "/reports/leak-log/<day>/review",
        "reports.review",
        "A supervisor marks a finished day's leak log reviewed (once)",
        "review_leak_log",
        {201: schemas.LeakLogReviewed},
        errors=(409,),
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/site",
        "tickets.get",
        "The crew's site record: checklist, readings, households, hazards, sign-off, photos",
        "get_site",
        {200: schemas.SiteRecord},
        errors=(403,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/site/checks",
        "site.record",
        "Tick a CJJ51 checklist item (Idempotency-Key honoured)",
        "post_site_check",
        {201: schemas.SiteCheckRecorded, 200: schemas.SiteCheckRecorded},
        body=schemas.SiteCheckCreate,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/site/readings",
        "site.record",
        "Record a gas concentration reading in % LEL (Idempotency-Key honoured)",
        "post_reading",
        {201: schemas.GasReadingRecorded, 200: schemas.GasReadingRecorded},
        body=schemas.GasReadingCreate,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/households/<int:meter_id>",
        "site.record",
        "Mark a household of the isolated section for the two-valve rule",
        "post_household",
        {200: schemas.HouseholdMarked},
        body=schemas.HouseholdMarkRequest,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/hazards",
        "site.record",
        "Record a hazard notice, signed or refused (Idempotency-Key honoured)",
        "post_hazard",
        {201: schemas.HazardRecorded, 200: schemas.HazardRecorded},
        body=schemas.HazardCreate,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/hazards/<int:hazard_id>/resolve",
        "site.record",
        "The hazard was put right: its household may have gas again",
        "resolve_hazard",
        {200: schemas.HazardView},
        errors=(403, 404, 409),
    ),
    Route(
        "GET",
        "/hazards",
        "hazards.list",
        "Open hazard notices, nearest deadline first; ?account_no= a customer's hazards",
        "list_hazards",
        {200: schemas.HazardList},
        query=schemas.HazardListQuery,
        errors=(404,),
    ),
    Route(
        "GET",
        "/price-list",
        "price_list",
        "The items a job may charge for, with unit prices in CNY",
        "price_list",
        {200: schemas.PriceList},
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/signoff",
        "site.record",
        "Charges and the customer's signature or refusal, once per job (Idempotency-Key)",
        "post_signoff",
        {201: schemas.SignOffRecorded, 200: schemas.SignOffRecorded},
        body=schemas.SignOffCreate,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
        upload=True,
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/photos",
        "site.record",
        "Attach a photo: JPEG or PNG by content, at most 10 MB, metadata removed",
        "post_photo",
        {201: schemas.PhotoRecorded, 200: schemas.PhotoRecorded},
        body=schemas.PhotoUpload,
        headers=schemas.SiteIdempotencyHeaders,
        errors=(403, 404, 409),
        upload=True,
    ),
    Route(
        "GET",
        "/tickets/<int:ticket_id>/photos/<int:photo_id>",
        "tickets.get",
        "A photo of the job with its image (base64)",
        "get_photo",
        {200: schemas.PhotoWithImage},
        errors=(403, 404),
    ),
    # meter reading (dispatch.meter_service)
    Route(
        "GET",
        "/meters/<int:meter_id>/readings",
        "meters.readings",
        "A meter's readings (newest first), its tasks and its refunds and top-ups",
        "meter_readings",
        {200: meter_schemas.MeterFile},
        query=meter_schemas.MeterReadingsQuery,
    ),
    Route(
        "GET",
        "/meter-tasks",
        "meters.tasks",
        "Tasks the reading rules raised: re-read (over 100 m³ a month), home check (over 50),"
        " valve-closing candidate (zero for 3+ months)",
        "meter_tasks",
        {200: meter_schemas.MeterTaskList},
        query=meter_schemas.MeterTasksQuery,
    ),
    Route(
        "POST",
        "/meter-adjustments",
        "meters.adjust",
        "Request a refund or top-up of billed gas; its approvals depend on the volume"
        " (over 500 m³: team lead and manager; over 1,000: also finance and vice-president)",
        "create_adjustment",
        {201: meter_schemas.Adjustment},
        body=meter_schemas.AdjustmentCreate,
        errors=(404,),
    ),
    Route(
        "GET",
        "/meter-adjustments/<int:adjustment_id>",
        "meters.adjustments",
        "A refund or top-up with its approvals so far and who signs next",
        "get_adjustment",
        {200: meter_schemas.Adjustment},
    ),
    Route(
        "POST",
        "/meter-adjustments/<int:adjustment_id>/approvals",
        "meters.approve",
        "The next step's approval or rejection, by a user of exactly that step's role",
        "decide_adjustment",
        {201: meter_schemas.Adjustment},
        body=meter_schemas.AdjustmentDecision,
        errors=(403, 409),
    ),
    # --- the call-back and complaint desks (issue 11; handlers in dispatch.desk_api) ---
    Route(
        "GET",
        "/callbacks/follow-ups",
        "callbacks.follow_ups",
        "Follow-ups of fair or poor answers on attire or punctuality",
        "list_follow_ups",
        {200: desk_schemas.FollowUpList},
        query=desk_schemas.FollowUpQuery,
    ),
    Route(
        "POST",
        "/callbacks/follow-ups/<int:follow_up_id>",
        "callbacks.decide_follow_up",
        "A supervisor confirms (it counts in the appraisal) or rejects a follow-up",
        "decide_follow_up",
        {200: desk_schemas.FollowUpView},
        body=desk_schemas.FollowUpDecision,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/callbacks/appraisal",
        "callbacks.report",
        "Confirmed follow-ups per front-line employee (the appraisal)",
        "appraisal",
        {200: desk_schemas.Appraisal},
        query=desk_schemas.AppraisalQuery,
    ),
    Route(
        "POST",
        "/complaints/<int:complaint_id>/notes",
        "complaints.handle",
        "Add an investigation note (who and when are recorded)",
        "add_complaint_note",
        {201: schemas.ComplaintDetail},
        body=desk_schemas.ComplaintNoteCreate,
        errors=(404,),
    ),
    Route(
        "GET",
        "/complaints/statistics",
        "complaints.stats",
        "The quarter's complaints per class, department and worker; `format=csv` for a file",
        "complaint_statistics",
        {200: desk_schemas.ComplaintStatistics},
        query=desk_schemas.StatisticsQuery,
        csv=True,
    ),
    # the hotline's customer search and file (dispatch.customer_service)
    Route(
        "GET",
        "/customers",
        "customers.search",
        "Find a customer by phone, account or meter number (or a part), or address (fuzzy)",
        "search_customers",
        {200: schemas.CustomerSearchResult},
        query=schemas.CustomerSearchQuery,
    ),
    Route(
        "GET",
        "/customers/<int:customer_id>",
        "customers.get",
        "The customer's file: account, meters, past tickets, complaints, call-backs, hazards",
        "get_customer",
        {200: schemas.CustomerFile},
        errors=(404,),
    ),
    Route(
        "POST",
        "/tickets/<int:ticket_id>/reply",
        "tickets.reply",
        "Record that the reply promised to the caller (promised_reply_at) was given",
        "record_reply",
        {200: schemas.ReplyRecorded},
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/coverage",
        "reports.read",
        "Reach within the response target from the depots and the available crews, the street"
        " km left uncovered, and suggested moves of idle crews with the km before and after",
        "get_coverage",
        {200: schemas.Coverage},
        query=schemas.CoverageQuery,
    ),
    Route(
        "POST",
        "/coverage/moves",
        "coverage.move",
        "A dispatcher applies a suggested move of an available crew (recorded and announced)",
        "apply_coverage_move",
        {201: schemas.CoverageMoveRecorded},
        body=schemas.CoverageMoveRequest,
        errors=(404,),
    ),
]


class Api(DeskHandlers):
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
        self._pool: WaitingConnectionPool | None = None

    @property
    def pool(self) -> WaitingConnectionPool:
        if self._pool is None:  # opened on first request, never at import
            self._pool = WaitingConnectionPool(1, 20, self.dsn)
        return self._pool

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    def actor(self, uow: UnitOfWork, action: str | None) -> Actor | None:
        if action is None:
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        actor = _session_actor() if not header else None
        if actor is None:
            actor = auth.actor_for_token(uow, token, self.clock())
        auth.require(actor, action)
        return actor

    # --- handlers (each returns (payload, status)) ---

    def login(self, uow, actor, body):
        return auth.issue_token(
            uow,
            body.get("username"),
            body.get("password"),
            self.clock(),
            client=request.remote_addr or "unknown",
            throttle=self.settings.login_throttle,
        ), 200

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

    def list_tickets(self, uow, actor, query):
        tickets = ticket_service.list_tickets(
            uow,
            actor,
            status=query["status"] or None,
            ticket_type=query["type"],
            category=query["category"],
            open_only=query["open"],
            limit=query["limit"],
        )
        return {"tickets": tickets}, 200

    def get_ticket(self, uow, actor, body, ticket_id):
        return ticket_service.get_ticket(uow, ticket_id, actor), 200

    def get_isolation(self, uow, actor, query, ticket_id):
        stuck = tuple(query["stuck"])
        return ticket_service.isolation_plan(uow, ticket_id, actor, self.ports, stuck=stuck), 200

    def get_events(self, uow, actor, body, ticket_id):
        return {"events": ticket_service.ticket_events(uow, ticket_id, actor)}, 200

    def transition(self, uow, actor, body, ticket_id):
        # The phone resends the taps it queued offline: a key applies its transition once.
        return site_service.once_per_key(
            uow,
            actor,
            request.headers.get("Idempotency-Key") or None,
            ticket_id,
            "transition",
            lambda: ticket_service.transition_ticket(
                uow, ticket_id, body["status"], actor, self.clock(), reason=body.get("reason")
            ),
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
        given = body.get("date")
        day = date.fromisoformat(given) if given else now.astimezone(UTC).date()
        seed = body.get("seed")
        if seed is None:
            seed = int(day.strftime("%Y%m%d"))
        result = callback_service.draw_daily_callbacks(uow, day, seed, actor, now=now)
        return result, 200 if result["already_drawn"] else 201

    def list_callbacks(self, uow, actor, query):
        day = query["date"] or self.clock().astimezone(UTC).date()
        return callback_service.list_callbacks(uow, day, actor, status=query["status"]), 200

    def callback_satisfaction(self, uow, actor, query):
        until = query["until"] or self.clock().astimezone(UTC).date()
        since = query["since"] or until - timedelta(days=29)
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

    def list_complaints(self, uow, actor, query):
        complaints = complaint_service.list_complaints(
            uow,
            actor,
            self.clock(),
            status=query["status"] or None,
            level=query["level"],
            open_only=query["open"],
            overdue_only=query["overdue"],
            limit=query["limit"],
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

    def geocode(self, uow, actor, query):
        candidates = search_addresses(uow.cur, query["q"].strip(), limit=query["limit"])
        return {"candidates": candidates}, 200

    # --- the crew lead's phone ---

    def report_valve(self, uow, actor, body, ticket_id, valve_id):
        return site_service.once_per_key(
            uow,
            actor,
            request.headers.get("Idempotency-Key") or None,
            ticket_id,
            "valve",
            lambda: crew_job_service.report_valve(
                uow, ticket_id, valve_id, body["state"], actor, self.clock(), self.ports
            ),
        ), 200

    # --- the regulators' records ---

    def leak_log(self, uow, actor, query):
        log = report_service.leak_log(uow, actor, query["date"], self.clock())
        if query["format"] == "csv":
            return _csv(report_service.leak_log_csv(log), f"leak-log-{log['date']}.csv"), 200
        return log, 200

    def leak_buckets(self, uow, actor, query):
        month = report_service.parse_month(query["month"])
        summary = report_service.leak_buckets(uow, actor, month, self.clock())
        if query["format"] == "csv":
            name = f"leak-buckets-{summary['month']}.csv"
            return _csv(report_service.leak_buckets_csv(summary), name), 200
        return summary, 200

    def review_leak_log(self, uow, actor, body, day):
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput("`date` must be a date YYYY-MM-DD", "date") from None
        return report_service.review_leak_log(uow, actor, when, self.clock()), 201

    # --- coverage ---

    def get_coverage(self, uow, actor, query):
        router = self.ports.router
        return coverage_service.coverage(
            uow, router, self.clock(), target_min=query["target_min"]
        ), 200

    def apply_coverage_move(self, uow, actor, body):
        return coverage_service.apply_move(uow, actor, body, self.clock()), 201

    # --- the crew's work on site ---

    def get_site(self, uow, actor, body, ticket_id):
        return site_service.site_record(uow, ticket_id, actor), 200

    def _site_create(self, use_case, uow, actor, body, ticket_id):
        key = request.headers.get("Idempotency-Key") or None
        answer = use_case(uow, ticket_id, body, actor, self.clock(), key=key)
        return answer, 200 if answer.get("replayed") else 201

    def post_site_check(self, uow, actor, body, ticket_id):
        return self._site_create(site_service.record_check, uow, actor, body, ticket_id)

    def post_reading(self, uow, actor, body, ticket_id):
        return self._site_create(site_service.record_reading, uow, actor, body, ticket_id)

    def post_hazard(self, uow, actor, body, ticket_id):
        return self._site_create(site_service.record_hazard, uow, actor, body, ticket_id)

    def post_signoff(self, uow, actor, body, ticket_id):
        return self._site_create(site_service.sign_off, uow, actor, body, ticket_id)

    def post_photo(self, uow, actor, body, ticket_id):
        return self._site_create(site_service.add_photo, uow, actor, body, ticket_id)

    def post_household(self, uow, actor, body, ticket_id, meter_id):
        return site_service.once_per_key(
            uow,
            actor,
            request.headers.get("Idempotency-Key") or None,
            ticket_id,
            "household",
            lambda: site_service.mark_household(
                uow, ticket_id, meter_id, body, actor, self.clock()
            ),
        ), 200

    def resolve_hazard(self, uow, actor, body, ticket_id, hazard_id):
        return site_service.resolve_hazard(uow, ticket_id, hazard_id, actor, self.clock()), 200

    def list_hazards(self, uow, actor, query):
        if query["account_no"]:
            return {"hazards": site_service.customer_hazards(uow, query["account_no"], actor)}, 200
        return {"hazards": site_service.open_hazards(uow, actor)}, 200

    def price_list(self, uow, actor, query):
        return {"items": site_service.price_list()}, 200

    def get_photo(self, uow, actor, body, ticket_id, photo_id):
        return site_service.get_photo(uow, ticket_id, photo_id, actor), 200

    # --- meter reading ---

    def meter_readings(self, uow, actor, query, meter_id):
        return meter_service.readings_of(
            uow, meter_id, actor, since=query["since"], limit=query["limit"]
        ), 200

    def meter_tasks(self, uow, actor, query):
        try:
            month = date.fromisoformat(query["month"] + "-01") if query["month"] else None
        except ValueError:
            raise InvalidInput("`month` must be a month YYYY-MM", "month") from None
        tasks = meter_service.list_tasks(
            uow,
            actor,
            kind=query["kind"],
            status=query["status"],
            month=month,
            limit=query["limit"],
        )
        return {"tasks": tasks}, 200

    def create_adjustment(self, uow, actor, body):
        return meter_service.request_adjustment(uow, body, actor, self.clock()), 201

    def get_adjustment(self, uow, actor, body, adjustment_id):
        return meter_service.get_adjustment(uow, adjustment_id, actor), 200

    def decide_adjustment(self, uow, actor, body, adjustment_id):
        return meter_service.decide_adjustment(uow, adjustment_id, body, actor, self.clock()), 201

    # --- the hotline's customer search ---

    def search_customers(self, uow, actor, query):
        return customer_service.search_customers(uow, query["q"], actor), 200

    def get_customer(self, uow, actor, body, customer_id):
        return customer_service.customer_file(uow, customer_id, actor), 200

    def record_reply(self, uow, actor, body, ticket_id):
        return reply_service.record_reply(uow, ticket_id, actor, self.clock()), 200


def _session_actor() -> Actor | None:
    """The user logged in to the web pages, when the request carries the page's session cookie
    and no bearer token: the crew lead's phone calls the API from its page (``assets/crew.js``)
    without holding a token. Only a JSON body (or none) is taken with the cookie: another site
    can send neither the cookie (SameSite=Lax) nor JSON without a CORS preflight this server
    never grants, and the Origin check of ``dashboards.web_security`` refuses it first."""
    user = session.get("user") if session else None
    if not user:
        return None
    if request.method == "POST" and request.data and not request.is_json:
        return None  # a form post with the cookie: needs a token like any other client
    return Actor(user["username"], user["role"], user.get("crew_id"))


def create_blueprint(api: Api) -> Blueprint:
    bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    for route in ROUTES:
        bp.add_url_rule(
            route.path, endpoint=route.handler, methods=[route.method], view_func=_view(api, route)
        )

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.name.lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description)

    return bp


def _view(api: Api, route: Route):
    def view(**params):
        try:
            request.max_content_length = _body_limit(api, route)
            body = _json_body() if route.method == "POST" else {}
            if not route.database:
                payload, status = getattr(api, route.handler)(None, None, _input(route, body))
                return jsonify(payload), status
            with api.uow() as uow:
                # The role is checked first: a role that may not call this learns no more.
                actor = api.actor(uow, route.action)
                data = _input(route, body)
                payload, status = getattr(api, route.handler)(uow, actor, data, **params)
            if isinstance(payload, Response):  # a file (CSV), not JSON
                return payload, status
            return jsonify(payload), status
        except TooManyAttempts as exc:
            response = error_response(exc.status, exc.code, exc.detail, field=exc.field)
            response.headers["Retry-After"] = str(ceil(exc.retry_after_s))
            return response
        except DispatchError as exc:
            return error_response(exc.status, exc.code, exc.detail, field=exc.field)
        except RequestEntityTooLarge:
            limit = api.settings.max_body_bytes
            return error_response(
                413,
                "body_too_large",
                f"the request body is larger than {limit} bytes",
                field="body",
            )
        except DatabaseUnavailable as exc:
            # Busy or restarting: the client may try again in a moment.
            response = error_response(503, "database_unavailable", str(exc))
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            # The connection was ended under the request (a restart, pg_terminate_backend):
            # nothing was committed, or a retry with the same Idempotency-Key finds it.
            first_line = (str(exc).strip().splitlines() or ["connection lost"])[0]
            response = error_response(503, "database_unavailable", first_line)
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response

    return view


def _body_limit(api: Api, route: Route) -> int:
    """The largest body a route reads: the setting, or for an image upload twice the largest
    image (base64 takes a third more), so an image just over its limit is refused by name."""
    if route.upload:
        return max(api.settings.max_body_bytes, 2 * api.settings.upload_max_bytes)
    return api.settings.max_body_bytes


def _input(route: Route, body: dict) -> dict:
    """The request's body (POST) or query string (GET) validated by the route's model, as a
    dict; an operation with no body refuses one."""
    if route.method == "POST":
        if route.body is None:
            api_input.refuse_body(body)
            return {}
        return api_input.validate_body(route.body, request.get_data())
    for key, value in request.args.items(multi=True):
        refuse_unstorable(key, key)
        refuse_unstorable(value, key)
    return api_input.validate_query(route.query, request.args) if route.query else {}


def _json_body() -> dict:
    if not request.data:
        return {}
    try:
        body = request.get_json(force=True)
    except Exception:  # werkzeug raises several types for malformed JSON
        raise InvalidInput("the request body is not valid JSON", "body") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", "body")
    _refuse_unstorable_text(body)
    return body


def _refuse_unstorable_text(value, name: str = "body") -> None:
    """Every string of the body (keys too) storable as PostgreSQL text, or a 400 naming it."""
    if isinstance(value, str):
        refuse_unstorable(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            field = key if name == "body" else f"{name}.{key}"
            refuse_unstorable(key, field)
            _refuse_unstorable_text(item, field)
    elif isinstance(value, list):
        for item in value:
            _refuse_unstorable_text(item, name)


def _classification(body: dict) -> dict | None:
    """The staff-fault classification a reply or a review carries, if any: a present
    ``fault_class`` (null meaning no staff fault) and/or ``worker``."""
    found = {k: body[k] for k in ("fault_class", "worker") if k in body}
    return found or None


def _csv(text: str, filename: str) -> Response:
    """A CSV file answer (UTF-8 with a byte-order mark, so spreadsheets read Chinese)."""
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@functools.cache
def openapi_document() -> dict:
    """The OpenAPI document, from the route table that registers the handlers. Built once per
    process (0.35 s of schema walking): the route table is fixed at import. Callers must not
    change the dict they get."""
    return build_document(ROUTES, prefix=PREFIX, title="Gas dispatch control room API", version="1")

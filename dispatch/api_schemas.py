"""Request and response bodies of the JSON API, declared once as pydantic models.

The API validates each request body and query string with its model before any service call
(:mod:`dispatch.api_input`), and the OpenAPI document is generated from the same models
(:mod:`dispatch.openapi`). Enumerations are read from the domain's own tables, never retyped,
so a new ticket type or role shows up in the validation and the document at once.

Request models refuse unknown fields. Response models are open: a client ignores a field it
does not know, so adding one is not a breaking change; every field listed is always present
unless it has a default (those are the fields that only some answers carry).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from dispatch import auth, callback_service, complaint_model, crew_service, site_rules, ticket_model
from dispatch.callback_sampling import RATINGS
from dispatch.input_fields import MAX_TEXT
from dispatch.settings import current
from gis.leak_analysis import WARNING_RADIUS_M


def _enum(name: str, values) -> TypeAliasType:
    """A named enumeration: one schema in components/schemas, referenced where it is used."""
    return TypeAliasType(name, Literal[tuple(values)])


# --- enumerations, from the domain's tables ---------------------------------------------------

TicketType = _enum("TicketType", ticket_model.TICKET_TYPES)
TicketCategory = _enum(
    "TicketCategory", dict.fromkeys(c for c, _, _ in ticket_model.TICKET_TYPES.values())
)
TicketStatus = _enum("TicketStatus", ticket_model.STATUSES)
#: Arrival targets are set per jurisdiction; the default policy's table names them all.
#: The jurisdictions of the settings read at start (their clock policies are settings too).
Jurisdiction = _enum("Jurisdiction", tuple(current().clocks.jurisdictions))
Role = _enum("Role", auth.ROLES)
CrewStatus = _enum("CrewStatus", crew_service.CREW_STATUSES)
CrewSkill = _enum("CrewSkill", dict.fromkeys(ticket_model.SKILL_FOR_TYPE.values()))
ComplaintChannel = _enum("ComplaintChannel", complaint_model.CHANNELS)
ComplaintLevel = _enum("ComplaintLevel", complaint_model.LEVELS)
FaultClass = _enum("FaultClass", complaint_model.FAULT_CLASSES)
ComplaintStatus = _enum("ComplaintStatus", complaint_model.STATUSES)
CallbackOutcome = _enum("CallbackOutcome", callback_service.CALLBACK_OUTCOMES)
CallbackStatus = _enum("CallbackStatus", ("pending", *callback_service.CALLBACK_OUTCOMES))
Rating = _enum("Rating", RATINGS)
PressureClass = _enum("PressureClass", WARNING_RADIUS_M)

# --- scalar types -----------------------------------------------------------------------------

#: Patterns whose failure has a sentence of its own in the error (see dispatch.api_input).
NOT_BLANK = r"\S"
PHONE = r"^[0-9+\- ]{6,20}$"

#: A row id: PostgreSQL `integer` (a larger number would be refused by the database with a 500).
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
#: [lon, lat] in EPSG:4326.
Position = tuple[Longitude, Latitude]
Priority = Annotated[int, Field(ge=1, le=4, description="1 (most urgent) to 4")]
Score = Annotated[int, Field(ge=1, le=10, description="1 (worst) to 10 (best)")]
Time = Annotated[
    AwareDatetime, Field(description="ISO 8601 date and time with a zone, e.g. +08:00 or Z")
]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
RequiredText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)]
Phone = Annotated[str, Field(pattern=PHONE, description="6 to 20 digits, spaces, + or -")]
Limit = Annotated[int, Field(ge=1, le=1000)]
Seconds = Annotated[float, Field(ge=0)]
Metres = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]


def _comma_list(value: object) -> object:
    """`?status=new,assigned` as a list; other values are left for the type to judge."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _int_text(value: object) -> object:
    """A query string's digits as the integer an integer enumeration expects."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


# --- requests ---------------------------------------------------------------------------------


class Body(BaseModel):
    """A JSON request body: each value of its declared JSON type (no "7" for 7), no unknown
    fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """A query string: text parsed into the declared types, no unknown parameters."""

    model_config = ConfigDict(extra="forbid")


class LoginRequest(Body):
    username: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class TicketCreate(Body):
    """A new work order. Field jobs need a place: `lon` and `lat`, or the customer's
    `account_no` or `meter_no`, or an `address` the territory's geocoder finds once."""

    model_config = ConfigDict(
        json_schema_extra={"dependentRequired": {"lon": ["lat"], "lat": ["lon"]}}
    )

    type: TicketType
    lon: Longitude | None = None
    lat: Latitude | None = None
    account_no: Text | None = None
    meter_no: Text | None = None
    address: Text | None = None
    description: Text | None = None
    caller_name: Text | None = None
    caller_phone: Phone | None = None
    priority: Priority | None = Field(None, description="The ticket type's priority if absent")
    appointment_at: Time | None = None
    promised_reply_at: Time | None = None
    receiving_department: Text | None = None
    jurisdiction: Jurisdiction | None = Field(None, description="urban if absent")
    # the call-back and complaint desks (dispatch.desk_intake)
    own_brand: bool | None = Field(None, description="An own-brand appliance job (100% called)")
    counter_business: bool | None = Field(None, description="Business done at the counter")
    appliance_id: Id | None = None
    complaint_channel: ComplaintChannel | None = Field(
        None, description="Type complaint: how it came in (hotline if absent)"
    )
    complaint_level: ComplaintLevel | None = None

    @model_validator(mode="after")
    def _lon_and_lat_together(self) -> TicketCreate:
        for given, needed in (("lon", "lat"), ("lat", "lon")):
            if getattr(self, given) is not None and getattr(self, needed) is None:
                raise PydanticCustomError(
                    "paired_field",
                    "`{field}` is required with `{given}`",
                    {"field": needed, "given": given},
                )
        return self


class IdempotencyHeaders(BaseModel):
    idempotency_key: Annotated[str, Field(max_length=200)] | None = Field(
        None,
        alias="Idempotency-Key",
        description="A retry with the same key answers the ticket the first request created",
    )


class TicketTransition(Body):
    status: TicketStatus
    reason: Text | None = Field(None, description="Required to cancel")


class TicketAssign(Body):
    crew_id: Id
    reason: Text | None = None


class TicketLink(Body):
    parent_id: Annotated[int, Field(ge=1, description="The ticket this one duplicates")]


class CrewPositionFix(Body):
    """A GPS fix. A fix within 50 m of one of the crew's active tickets records the arrival."""

    lon: Longitude
    lat: Latitude
    time: Time
    speed: (
        Annotated[float, Field(ge=0, le=crew_service.MAX_PLAUSIBLE_SPEED_MPS, description="m/s")]
        | None
    ) = None
    heading: Annotated[float, Field(ge=0, le=360, description="Degrees from north")] | None = None


class CrewStatusChange(Body):
    status: CrewStatus


class CallbackDrawRequest(Body):
    date: dt.date | None = Field(None, description="The day to draw for; today (UTC) if absent")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = Field(
        None, description="Random seed; the date as YYYYMMDD if absent"
    )


class CallbackAnswerRequest(Body):
    """The customer's answer: `attitude` and `skill` (both required when `status` is
    done, the default), optionally `attire`, `punctuality` and `issues`; or
    `{"status": "unreachable"}` with no scores when nobody answered."""

    status: CallbackOutcome | None = None
    attitude: Score | None = None
    skill: Score | None = None
    attire: Rating | None = None
    punctuality: Rating | None = None
    issues: Text | None = None
    charge_made: bool | None = Field(None, description="Was a charge made? (是否收费)")
    charge_amount: Annotated[float, Field(ge=0, lt=1_000_000)] | None = Field(
        None, description="How much, in yuan (only with charge_made true)"
    )


class ComplaintCreate(Body):
    channel: ComplaintChannel
    description: RequiredText
    customer_name: Text | None = None
    customer_phone: Phone | None = None
    account_no: Text | None = None
    ticket_id: Id | None = Field(None, description="The job complained about, if any")
    department: Text | None = None
    worker: Text | None = None
    level: ComplaintLevel | None = Field(
        None, description="2 from intake for media and government hotline; 1 otherwise"
    )
    fault_class: FaultClass | None = None


class ComplaintDispatch(Body):
    department: RequiredText


class ComplaintReply(Body):
    reply: RequiredText
    fault_class: FaultClass | None = Field(None, description="null: no staff fault")
    worker: Text | None = None


class ComplaintCallback(Body):
    result: RequiredText


class ComplaintClose(Body):
    fault_class: FaultClass | None = Field(None, description="null: no staff fault")
    worker: Text | None = None


class ComplaintEscalate(Body):
    reason: RequiredText


class TicketListQuery(Query):
    status: Annotated[list[TicketStatus], BeforeValidator(_comma_list)] = Field(
        [], description="Comma-separated statuses"
    )
    type: TicketType | None = None
    category: TicketCategory | None = None
    open: bool = Field(False, description="Only tickets not closed or cancelled")
    limit: Limit = 200


class IsolationQuery(Query):
    stuck: Annotated[list[Id], BeforeValidator(_comma_list)] = Field(
        [], description="Comma-separated ids of valves that will not close: the plan widens"
    )


class CallbackListQuery(Query):
    date: dt.date | None = Field(None, description="The day drawn; today (UTC) if absent")
    status: CallbackStatus | None = None


class SatisfactionQuery(Query):
    since: dt.date | None = Field(None, description="29 days before `until` if absent")
    until: dt.date | None = Field(None, description="Today (UTC) if absent")


class ComplaintListQuery(Query):
    status: Annotated[list[ComplaintStatus], BeforeValidator(_comma_list)] = Field(
        [], description="Comma-separated statuses"
    )
    level: Annotated[ComplaintLevel | None, BeforeValidator(_int_text)] = None
    open: bool = Field(False, description="Only complaints not closed")
    overdue: bool = Field(False, description="Only complaints flagged overdue")
    limit: Limit = 200


class GeocodeQuery(Query):
    q: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            pattern=NOT_BLANK,
            description="Part of an address or a street name",
        ),
    ]
    limit: Annotated[int, Field(ge=1, le=50)] = 5


# --- responses --------------------------------------------------------------------------------


class Error(BaseModel):
    """Every error answer: a code, the input it is about (or null) and a sentence."""

    error: str = Field(
        description="invalid_input, unauthenticated, forbidden, not_found, conflict,"
        " illegal_transition or database_unavailable"
    )
    field: str | None = Field(description="The request field or parameter concerned")
    detail: str


class Token(BaseModel):
    token: str
    token_type: Literal["Bearer"]
    expires_at: Time
    role: Role
    crew_id: int | None


#: When the ticket entered each step (null while it has not); "arrived" is the first of a GPS
#: fix within the arrival radius and on_site.
TicketSteps = create_model(
    "TicketSteps",
    **{
        column.removesuffix("_at"): (Time | None, ...)
        for column in (*ticket_model.STEP_TIME.values(), "arrived_at")
    },
)


class TicketView(BaseModel):
    """A ticket; the caller's name and phone are masked unless the role needs them."""

    id: int
    number: str
    type: TicketType
    category: TicketCategory
    priority: Priority
    status: TicketStatus
    allowed_next: list[TicketStatus]
    lon: Longitude | None
    lat: Latitude | None
    address: str | None
    description: str
    account_no: str | None
    caller_name: str | None
    caller_phone: str | None
    callers: Count = Field(description="Calls about this ticket, duplicates linked included")
    personal_data_masked: bool
    receiving_department: str | None
    taken_by: str
    received_at: Time
    appointment_at: Time | None
    jurisdiction: Jurisdiction
    arrival_due_at: Time | None
    make_safe_due_at: Time | None
    reply_due_at: Time | None
    depart_due_at: Time | None = Field(
        description="When the crew must be on its way (policies with a departure clock)"
    )
    crew_id: int | None
    duplicate_of: int | None
    version: int
    steps: TicketSteps
    customer_name: str | None = Field(
        description="The customer's name (the account's holder when found), masked like callers"
    )
    customer_phone: str | None
    promised_reply_at: Time | None = Field(
        description="The reply promised to a call that could not be answered at once"
    )
    replied_at: Time | None = Field(description="When that reply was given")


class Caller(BaseModel):
    name: str | None
    phone: str | None
    called_at: Time
    from_ticket_id: int | None = Field(description="The duplicate ticket the call came with")


class Recommendation(BaseModel):
    """A crew that can go, ranked by road."""

    crew_id: int
    code: str
    eta_s: Seconds
    travel_time_s: Seconds
    distance_m: Metres
    finishes_first: bool = Field(description="Must finish its current job first")
    route: list[Position] = Field(description="The road route, [lon, lat] points")
    computed_at: Time | None = None


class LeakPoint(BaseModel):
    main_id: int
    fraction: Annotated[float, Field(ge=0, le=1)]
    snap_distance_m: Metres
    pressure_class: PressureClass


class ValveToClose(BaseModel):
    id: int
    lon: Longitude
    lat: Latitude
    access_note: str | None


class CriticalCustomer(BaseModel):
    meter_id: int
    account_no: str | None
    category: str
    address: str | None


class Polygon(BaseModel):
    """A GeoJSON polygon (EPSG:4326)."""

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class WarningZone(BaseModel):
    radius_m: Metres
    geometry: Polygon | None
    buildings: Count
    meters: Count


class ValveCrew(BaseModel):
    valve_id: int
    crew_id: int | None
    eta_s: Seconds | None
    crew_code: str | None = None
    own_crew: bool | None = Field(None, description="No other valve has this crew")


class ValveDispatch(BaseModel):
    """Who reaches each valve, and when the last valve is reached (null: not every one)."""

    valves: list[ValveCrew]
    expected_isolation_s: Seconds | None


class IsolationPlan(BaseModel):
    """The valves to close around an emergency and what that takes out of supply."""

    leak: LeakPoint
    valves: list[ValveToClose]
    skipped_valves: list[int] = Field(description="Stuck valves the plan goes around")
    stations_to_shut: Count
    pipes_out: list[int] = Field(description="Ids of the mains out of supply")
    affected_meters: Count
    affected_meter_ids: list[int] = Field(
        [], description="Meters fed by the isolated section (the two-valve rule's households)"
    )
    critical_customers: list[CriticalCustomer]
    warning_zone: WarningZone
    cameras: list[int] = Field(description="Camera ids, those covering the place first")
    cameras_covering: list[int]
    valve_crews: ValveDispatch | None = Field(None, description="When crews can be routed")


class TicketCreated(BaseModel):
    ticket: TicketView
    duplicate_of: int | None = Field(description="The open ticket this call was linked to")
    recommendations: list[Recommendation] = Field(
        description="For a field ticket not linked: crews with the skill its type needs"
    )
    isolation: IsolationPlan | None


class TicketReplayed(BaseModel):
    """The ticket an earlier request with the same Idempotency-Key created."""

    ticket: TicketView
    replayed: Literal[True]
    duplicate_of: int | None = None
    recommendations: list[Recommendation] = []
    isolation: IsolationPlan | None = None


class TicketList(BaseModel):
    tickets: list[TicketView]


class TicketDetail(TicketView):
    """A ticket with every call about it and, for an emergency, its isolation plan."""

    caller_list: list[Caller]
    isolation: IsolationPlan | None
    recommendations: list[Recommendation] = []


class TicketEvent(BaseModel):
    id: int
    at: Time
    actor: str
    event_type: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    reason: str | None
    data: dict[str, Any]


class TicketEvents(BaseModel):
    events: list[TicketEvent]


class TransitionResult(BaseModel):
    id: int
    status: TicketStatus
    allowed_next: list[TicketStatus]
    replayed: bool = Field(
        False, description="True when an earlier request with this Idempotency-Key answered"
    )


class AssignResult(BaseModel):
    id: int
    status: TicketStatus
    crew_id: int
    crew_code: str
    eta_s: Seconds | None = Field(description="As recommended (routed again when stale)")
    event: Literal["assigned", "reassigned"]


class LinkResult(BaseModel):
    id: int
    duplicate_of: int | None


class CrewView(BaseModel):
    id: int
    code: str
    name: str
    skills: list[CrewSkill]
    status: CrewStatus
    shift: str
    lon: Longitude | None
    lat: Latitude | None
    heading_deg: Annotated[float, Field(ge=0, le=360)] | None
    speed_mps: Annotated[float, Field(ge=0)] | None
    position_at: Time | None
    fix_age_s: float | None
    stale: bool = Field(description="No fix, or the latest is too old to route from")
    active_ticket_id: int | None


class CrewList(BaseModel):
    crews: list[CrewView]


class PositionRecorded(BaseModel):
    crew_id: int
    recorded_at: Time
    arrived_at_tickets: list[int] = Field(description="Tickets whose arrival this fix recorded")


class CrewStatusResult(BaseModel):
    crew_id: int
    status: CrewStatus


class ClockAlert(BaseModel):
    ticket_id: int
    clock: Literal["depart", "arrival", "make_safe", "reply"]
    kind: Literal["deadline_at_risk", "deadline_missed"]


class ClockAlerts(BaseModel):
    raised: list[ClockAlert]


class Kpis(BaseModel):
    """Today's key figures (the territory's day), the same the wall shows."""

    day: dt.date = Field(description="The territory's calendar day the figures are of")
    open_p1: Count
    at_risk: Count = Field(description="Open tickets past the at-risk share of their clock")
    arrivals_today: Count
    median_arrival_min_today: float | None
    share_within_target_today: Annotated[float, Field(ge=0, le=1)] | None
    crews_available: Count
    crews_busy: Count
    crews_stale: Count


class TypeDrawn(BaseModel):
    selected: Count
    eligible: Count


class CallbackView(BaseModel):
    id: int
    ticket_id: int
    number: str
    type: TicketType
    ticket_status: TicketStatus
    worker: str = Field(description="The code of the crew that did the job")
    date: dt.date
    finished_at: Time
    status: CallbackStatus
    attitude: Score | None
    skill: Score | None
    attire: Rating | None
    punctuality: Rating | None
    issues: str
    follow_up: bool
    reopened: bool
    called_by: str | None
    called_at: Time | None
    staff: list[str] = Field(default_factory=list, description="The job's front-line employees")
    must_call: bool = Field(False, description="Closed again after an unsatisfied call-back")
    charge_made: bool | None = None
    charge_amount: str | None = Field(None, description="Yuan the customer said, e.g. 35.00")
    charge_recorded: str | None = Field(None, description="Yuan signed for on the job")
    charge_mismatch: bool = False
    follow_up_status: Literal["open", "confirmed", "rejected"] | None = None


class CallbackToCall(CallbackView):
    """A callback with the customer to call (masked unless the role needs them)."""

    address: str | None
    customer_name: str | None
    customer_phone: str | None
    personal_data_masked: bool


class CallbackDraw(BaseModel):
    date: dt.date
    seed: int
    already_drawn: bool
    window_days: tuple[Count, Count] = Field(description="Jobs finished this many days before")
    drawn_by: str
    drawn_at: Time
    by_type: dict[str, TypeDrawn]
    by_worker: dict[str, Count]
    callbacks: list[CallbackView]


class CallbackList(BaseModel):
    date: dt.date | None
    drawn: bool | None
    callbacks: list[CallbackToCall]


class Satisfaction(BaseModel):
    """Mean scores (1 to 10) of a group of answers; null when there is none."""

    attitude_mean: Annotated[float, Field(ge=1, le=10)] | None
    skill_mean: Annotated[float, Field(ge=1, le=10)] | None
    overall: Annotated[float, Field(ge=1, le=10)] | None
    count: Count


class FollowUp(BaseModel):
    callback_id: int
    ticket_id: int
    worker: str
    attire: Rating | None
    punctuality: Rating | None
    issues: str


class SatisfactionReport(BaseModel):
    since: dt.date
    until: dt.date
    calls: Count
    answered: Count
    unreachable: Count
    unsatisfied: Count
    reopened: Count
    overall: Satisfaction
    by_worker: dict[str, Satisfaction]
    by_type: dict[str, Satisfaction]
    follow_ups: list[FollowUp]


class CallbackRecorded(BaseModel):
    callback: CallbackView
    unsatisfied: bool
    follow_up: bool
    reopened: bool = Field(description="The answer re-opened the job for a new visit")
    ticket_status: TicketStatus


class ComplaintView(BaseModel):
    id: int
    channel: ComplaintChannel
    level: ComplaintLevel
    fault_class: FaultClass | None
    department: str | None
    worker: str | None
    customer_name: str | None
    customer_phone: str | None
    personal_data_masked: bool
    account_no: str | None
    ticket_id: int | None
    description: str
    taken_by: str
    received_at: Time
    reply_due_at: Time
    status: ComplaintStatus
    allowed_next: list[ComplaintStatus]
    reply: str | None
    replied_at: Time | None
    replied_on_time: bool | None
    overdue: bool
    overdue_raised_at: Time | None
    callback_result: str | None
    closed_at: Time | None


class ComplaintEvent(BaseModel):
    id: int
    at: Time
    actor: str
    event_type: str
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus | None
    detail: str | None
    data: dict[str, Any]


class ComplaintNote(BaseModel):
    id: int
    at: Time
    author: str
    text: str


class ComplaintDetail(ComplaintView):
    events: list[ComplaintEvent]
    notes: list[ComplaintNote] = Field(default_factory=list, description="Investigation notes")
    intake_ticket_id: int | None = Field(None, description="The complaint ticket it came in as")


class ComplaintList(BaseModel):
    complaints: list[ComplaintView]


class Escalation(BaseModel):
    escalated: bool = Field(description="False when it was level 2 already")
    complaint: ComplaintDetail


class OverdueComplaint(BaseModel):
    complaint_id: int
    status: ComplaintStatus
    reply_due_at: Time


class OverdueComplaints(BaseModel):
    raised: list[OverdueComplaint]


class AddressCandidate(BaseModel):
    address: str
    lon: Longitude
    lat: Latitude
    score: Annotated[float, Field(ge=0, le=1, description="1.0: identical")]
    source: Literal["building", "street"]


class GeocodeCandidates(BaseModel):
    candidates: list[AddressCandidate]


class OpenApiDocument(BaseModel):
    """This document (OpenAPI 3.1)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


# --- the crew lead's valve reports (dispatch.crew_job_service) ---------------------------------


class ValveReport(Body):
    state: Literal["closed", "stuck"] = Field(
        description="closed: the crew closed it; stuck: it cannot be closed (the plan is traced"
        " again around it)"
    )


class ValveReported(BaseModel):
    ticket_id: int
    valve_id: int
    state: Literal["closed", "stuck"]
    isolation: IsolationPlan = Field(description="The plan now stored (widened after `stuck`)")
    replayed: bool = Field(
        False, description="True when an earlier request with this Idempotency-Key answered"
    )


# --- the regulators' records (reports) ---------------------------------------------------------

ReportFormat = _enum("ReportFormat", ("json", "csv"))


class LeakLogQuery(Query):
    date: dt.date = Field(description="The local day of the territory (YYYY-MM-DD)")
    format: ReportFormat = Field("json", description="csv: the log as a CSV file")

    @field_validator("date")
    @classmethod
    def _modern_day(cls, day: dt.date) -> dt.date:
        # Before 1970 a time zone may have an offset in seconds (local mean time), which is no
        # RFC 3339 time (found by fuzzing the API).
        if not dt.date(1970, 1, 1) <= day <= dt.date(2999, 12, 31):
            raise ValueError("must be a day from 1970-01-01 to 2999-12-31")
        return day


class LeakBucketsQuery(Query):
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
    format: ReportFormat = Field("json", description="csv: the summary as a CSV file")


class LeakLogRow(BaseModel):
    number: str
    location: str | None
    lon: Longitude | None
    lat: Latitude | None
    received_at: Time
    type: TicketType
    dispatched_at: Time | None
    arrived_at: Time | None
    crew: str | None = Field(description="The crew's code")
    response_min: float | None = Field(description="Minutes from the call to the arrival")
    status: TicketStatus
    duplicate_of: str | None = Field(description="The report a second call was linked to")


class LeakLogReview(BaseModel):
    reviewed_by: str
    role: Role
    reviewed_at: Time


class LeakLog(BaseModel):
    date: dt.date
    timezone: str
    rows: list[LeakLogRow]
    review: LeakLogReview | None
    review_due_at: Time
    review_overdue: bool


class LeakLogReviewed(LeakLogReview):
    date: dt.date


class LeakBucketCounts(BaseModel):
    le_30: int = Field(ge=0)
    b31_45: int = Field(ge=0, alias="31_45")
    b46_60: int = Field(ge=0, alias="46_60")
    gt_60: int = Field(ge=0)
    not_reached: int = Field(ge=0)


class LeakBuckets(BaseModel):
    month: str
    timezone: str
    reports: int = Field(ge=0)
    buckets: LeakBucketCounts
    median_min: float | None
    p90_min: float | None


# --- the crew's work on site (dispatch.site_service) ------------------------------------------

CheckItem = _enum("CheckItem", site_rules.CHECK_ITEMS)
HouseholdMark = _enum("HouseholdMark", site_rules.HOUSEHOLD_MARKS)
HazardType = _enum("HazardType", site_rules.HAZARD_TYPES)
LelPercent = Annotated[
    float, Field(ge=0, le=100, allow_inf_nan=False, description="% of the lower explosive limit")
]
#: Base64 text of an image; the decoded size is checked against the settings by the service.
PhotoBase64 = Annotated[
    str, Field(min_length=1, max_length=20_000_000, description="JPEG or PNG, base64")
]
SignatureBase64 = Annotated[
    str, Field(min_length=1, max_length=1_500_000, description="The signature as PNG, base64")
]
Money = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", description="Yuan (CNY), e.g. 35.00")]
Replayed = Annotated[
    bool, Field(description="True when an earlier request with this Idempotency-Key answered")
]


class SiteIdempotencyHeaders(BaseModel):
    idempotency_key: Annotated[str, Field(max_length=200)] | None = Field(
        None,
        alias="Idempotency-Key",
        description="A retry with the same key answers what the first request answered",
    )


class SiteCheckCreate(Body):
    item: CheckItem
    guardian: Text | None = Field(None, description="The guardian's name (guardian_named)")
    people_on_site: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="People on site (guardian_named needs at least 2)"
    )
    radius_m: Metres | None = Field(None, description="The zone's radius; the plan's if absent")
    note: Text | None = None


class GasReadingCreate(Body):
    lel_percent: LelPercent
    measured_at: Time | None = Field(None, description="When it was measured; now if absent")
    place: Text | None = Field(None, description="Where, e.g. 'manhole 2'")


class HouseholdMarkRequest(Body):
    mark: HouseholdMark


class _Signed(Body):
    signature_png_base64: SignatureBase64 | None = None
    customer_refused: bool | None = Field(None, description="True: the customer refused to sign")


class HazardCreate(_Signed):
    meter_id: Id
    hazard_type: HazardType
    note: Text | None = None
    fix_by: Time


class ChargeLine(Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(ge=1, le=1000)]


class SignOffCreate(_Signed):
    items: list[ChargeLine] = Field(default_factory=list, max_length=100)


class PhotoUpload(Body):
    image_base64: PhotoBase64
    note: Text | None = None


class HazardListQuery(Query):
    account_no: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="The customer's hazards, open and resolved; all open ones if absent"
    )


class CheckDone(BaseModel):
    item: CheckItem
    done_at: Time
    done_by: str
    data: dict[str, Any]


class GasReading(BaseModel):
    id: int
    lel_percent: float
    measured_at: Time
    place: str | None
    safe: bool


class Household(BaseModel):
    meter_id: int
    meter_no: str | None
    address: str | None
    mark: HouseholdMark | None
    open_hazard: bool


class HazardView(BaseModel):
    id: int
    ticket_id: int
    visit: int = Field(1, description="The visit it was found on; open, it holds on every visit")
    meter_id: int
    meter_no: str | None
    address: str | None
    hazard_type: HazardType
    note: str
    fix_by: Time
    found_at: Time
    found_by: str
    signed: bool
    refused_at: Time | None
    resolved_at: Time | None


class HazardRecorded(HazardView):
    site: SiteRecord | None = None
    replayed: Replayed = False


class HazardList(BaseModel):
    hazards: list[HazardView]


class ChargedItem(BaseModel):
    code: str
    name_zh: str
    name_en: str
    quantity: int
    unit_price_cny: Money
    amount_cny: Money


class SignOff(BaseModel):
    ticket_id: int
    visit: int = Field(1, description="The visit signed for (one sign-off per visit)")
    items: list[ChargedItem]
    total_cny: Money
    signed: bool
    refused_at: Time | None
    signed_at: Time


class SignOffRecorded(SignOff):
    paid: bool = Field(description="The job is paid: this visit or an earlier one charged > 0")
    replayed: Replayed = False


class PhotoView(BaseModel):
    id: int
    ticket_id: int
    visit: int = Field(1, description="The visit it was taken on")
    content_type: Literal["image/jpeg", "image/png"]
    width: int
    height: int
    bytes: int
    note: str
    taken_at: Time
    uploaded_by: str


class PhotoRecorded(PhotoView):
    replayed: Replayed = False


class PhotoWithImage(PhotoView):
    image_base64: str


class EarlierVisit(BaseModel):
    """The checklist, readings, sign-off and photos of a visit before the job was re-opened."""

    visit: int
    checklist: list[CheckDone]
    readings: list[GasReading]
    signoff: SignOff | None = None
    photos: list[PhotoView] = []


class SiteRecord(BaseModel):
    """The crew's site record of a job (its current visit) and what each gated status still
    needs; a job re-opened after it was finished starts a new visit afresh."""

    ticket_id: int
    status: TicketStatus
    visit: int = Field(1, description="1, then one more each time the job was re-opened")
    earlier_visits: list[EarlierVisit] = []
    warning_radius_m: float | None
    safe_lel_percent: float
    checklist: list[CheckDone]
    readings: list[GasReading]
    households: list[Household]
    hazards: list[HazardView]
    signoff: SignOff | None
    photos: list[PhotoView]
    missing: dict[str, list[str]] = Field(
        description="For made_safe, gas_restored and closed: what the site record lacks"
    )


class SiteCheckRecorded(BaseModel):
    ticket_id: int
    item: CheckItem
    site: SiteRecord
    replayed: Replayed = False


class GasReadingRecorded(BaseModel):
    ticket_id: int
    reading_id: int
    lel_percent: float
    measured_at: Time
    safe: bool
    site: SiteRecord
    replayed: Replayed = False


class HouseholdMarked(BaseModel):
    ticket_id: int
    meter_id: int
    mark: HouseholdMark
    site: SiteRecord
    replayed: Replayed = False


class PriceListItem(BaseModel):
    code: str
    unit_price_cny: Money
    name_zh: str
    name_en: str


class PriceList(BaseModel):
    items: list[PriceListItem]


HazardRecorded.model_rebuild()


# --- the hotline's customer search and customer file (dispatch.customer_service) -------------


class CustomerSearchQuery(Query):
    q: Annotated[
        str,
        Field(
            min_length=1,
            max_length=200,
            pattern=NOT_BLANK,
            description="A phone number or its last digits, an account or meter number (or a"
            " part of it), or an address (typos allowed); at least 3 letters or digits",
        ),
    ]


class CustomerView(BaseModel):
    """A customer (one meter of customer_meters); name and phone masked unless the role
    needs them."""

    id: int
    meter_no: str
    account_no: str
    name: str | None
    phone: str | None
    address: str
    category: str
    lon: Longitude
    lat: Latitude


class CustomerMatch(CustomerView):
    score: float = Field(description="Higher is better: exact number 100, prefix 80, phone"
                         " ending 75, inside 60, address up to 55")  # fmt: skip
    matched: Literal["phone", "account", "meter", "address"]


class CustomerSearchResult(BaseModel):
    query: str
    kind: Literal["number", "meter", "address"] = Field(
        description="How the box was read: digits (phone, account or meter number), a meter"
        " number with letters, or an address"
    )
    customers: list[CustomerMatch] = Field(description="The best 10 at most, best first")
    personal_data_masked: bool


class CustomerMeter(BaseModel):
    id: int
    meter_no: str
    address: str


class CustomerTicket(BaseModel):
    id: int
    number: str
    type: TicketType
    category: TicketCategory
    priority: Priority
    status: TicketStatus
    address: str | None
    description: str
    receiving_department: str | None
    taken_by: str
    duplicate_of: int | None
    received_at: Time
    closed_at: Time | None
    cancelled_at: Time | None
    appointment_at: Time | None
    promised_reply_at: Time | None


class CustomerComplaint(BaseModel):
    id: int
    channel: ComplaintChannel
    level: ComplaintLevel
    status: ComplaintStatus
    department: str | None
    ticket_id: int | None
    description: str
    received_at: Time
    reply_due_at: Time
    replied_at: Time | None
    closed_at: Time | None


class CustomerCallback(BaseModel):
    id: int
    ticket_id: int
    sampled_on: dt.date
    status: str
    attitude: Score | None
    skill: Score | None
    attire: str | None
    punctuality: str | None
    issues: str
    called_at: Time | None


class CustomerFile(BaseModel):
    """The customer's file (客户档案): the customer, the account's meters and its history,
    newest first."""

    customer: CustomerView
    meters: list[CustomerMeter]
    tickets: list[CustomerTicket]
    complaints: list[CustomerComplaint]
    callbacks: list[CustomerCallback]
    hazards: list[HazardView]
    readings: list[dict[str, Any]] = Field(
        description="Meter readings of the customer's meters, newest first (the last 12 of each)"
    )
    personal_data_masked: bool


class ReplyRecorded(BaseModel):
    """The promised reply recorded (dispatch.reply_service)."""

    id: int
    promised_reply_at: Time
    replied_at: Time
    replied_by: str
    late: bool = Field(description="Given at or after the promised time")


# --- coverage: reach within the target and moves of idle crews (dispatch.coverage_service) ---


class CoverageQuery(Query):
    target_min: float = Field(30.0, gt=0, le=240, description="The response target in minutes")


class CoveragePlace(BaseModel):
    lon: Longitude
    lat: Latitude
    depot_id: int | None = None
    label: str | None = None


class CoverageMove(BaseModel):
    crew_id: int
    crew_code: str
    from_: CoveragePlace = Field(alias="from")
    to: CoveragePlace
    uncovered_before_km: float = Field(ge=0)
    uncovered_after_km: float = Field(ge=0)


class CoverageSuggestion(BaseModel):
    uncovered_before_km: float = Field(ge=0)
    uncovered_after_km: float = Field(ge=0)
    moves: list[CoverageMove]


class Coverage(BaseModel):
    target_min: float
    crews_available: int = Field(ge=0)
    reach_from_depots: dict = Field(description="GeoJSON MultiPolygon (EPSG:4326)")
    reach_from_available_crews: dict = Field(description="GeoJSON MultiPolygon (EPSG:4326)")
    uncovered_km_available: float | None = Field(
        description="Street km no available crew reaches in time (None: no crew available)"
    )
    suggestion: CoverageSuggestion


class CoverageMoveTarget(Body):
    lon: Longitude
    lat: Latitude
    depot_id: int | None = None
    label: str | None = Field(None, max_length=200)


class CoverageMoveRequest(Body):
    crew_id: Id
    to: CoverageMoveTarget
    uncovered_before_km: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    uncovered_after_km: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CoverageMoveRecorded(BaseModel):
    id: int
    crew_id: int
    crew_code: str
    to: CoveragePlace
    uncovered_before_km: float
    uncovered_after_km: float
    moved_by: str
    moved_at: Time

"""Request and response bodies of the meter-reading API (the routes under ``/meters``,
``/meter-tasks`` and ``/meter-adjustments`` in :mod:`dispatch.api`), as pydantic models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from dispatch.api_schemas import Body, Id, Query, RequiredText, Text, Time, _enum
from dispatch.meter_approvals import DECISIONS, DIRECTIONS, SIGNING_ROLES
from dispatch.meter_rules import TASK_KINDS
from dispatch.meter_service import TASK_STATUSES

MeterTaskKind = _enum("MeterTaskKind", TASK_KINDS)
MeterTaskStatus = _enum("MeterTaskStatus", TASK_STATUSES)
AdjustmentDirection = _enum("AdjustmentDirection", DIRECTIONS)
ApprovalDecision = _enum("ApprovalDecision", DECISIONS)
SigningRole = _enum("SigningRole", SIGNING_ROLES)
# Stored to the litre (numeric(12, 3)): less than a litre would be stored as zero.
Volume = Annotated[float, Field(ge=0.001, le=999_999_999, allow_inf_nan=False, description="m³")]


class MeterReadingsQuery(Query):
    since: dt.date | None = Field(None, description="Only readings on or after this day")
    limit: Annotated[int, Field(ge=1, le=240)] = Field(24, description="Newest first")


class MeterTasksQuery(Query):
    kind: MeterTaskKind | None = None
    status: MeterTaskStatus | None = Field("open", description="open (default), done, cancelled")
    month: Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class AdjustmentCreate(Body):
    meter_id: Id
    direction: AdjustmentDirection
    volume_m3: Volume
    reason: RequiredText = Field(description="The reader's account of what happened")


class AdjustmentDecision(Body):
    decision: ApprovalDecision
    note: Text | None = None


class MeterReading(BaseModel):
    read_on: dt.date
    reading_m3: float = Field(description="The cumulative register")
    consumption_m3: float | None = Field(description="Since the reading before (null: first)")
    reader: str
    source: str


class MeterTask(BaseModel):
    id: int
    meter_id: int
    meter_no: str
    account_no: str
    kind: MeterTaskKind
    month: str = Field(description="YYYY-MM")
    consumption_m3: float | None
    detail: str | None
    status: MeterTaskStatus
    created_at: Time


class Approval(BaseModel):
    step: int
    role: SigningRole
    decision: ApprovalDecision
    by: str
    at: Time
    note: str | None


class Adjustment(BaseModel):
    id: int
    meter_id: int
    direction: AdjustmentDirection
    volume_m3: float
    reason: str
    status: Annotated[str, Field(description="pending, applied (every step approved), rejected")]
    required_roles: list[SigningRole] = Field(description="The steps' roles, in order")
    next_role: SigningRole | None = Field(description="Who signs next (null: decided)")
    requested_by: str
    requested_role: str
    requested_at: Time
    decided_at: Time | None
    approvals: list[Approval]


class MeterFile(BaseModel):
    meter_id: int
    meter_no: str
    account_no: str
    category: str
    readings: list[MeterReading]
    tasks: list[MeterTask]
    adjustments: list[Adjustment]


class MeterTaskList(BaseModel):
    tasks: list[MeterTask]

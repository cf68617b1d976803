"""Request and answer models of the call-back and complaint desks' API operations (issue 11);
the shared types come from :mod:`dispatch.api_schemas`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from dispatch.api_schemas import Body, Query, ReportFormat, RequiredText, Text, Time

FollowUpStatus = Literal["open", "confirmed", "rejected"]


class FollowUpQuery(Query):
    status: FollowUpStatus | None = None


class FollowUpDecision(Body):
    decision: Literal["confirmed", "rejected"]
    employees: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, description="Confirmed: the employees at fault among the job's staff (all if absent)"
    )
    note: Text | None = None


class FollowUpView(BaseModel):
    id: int
    callback_id: int
    ticket_id: int
    number: str
    crew: str | None
    staff: list[str]
    attire: str | None
    punctuality: str | None
    issues: str
    opened_at: Time
    status: FollowUpStatus
    employees: list[str]
    decided_by: str | None
    decided_at: Time | None
    note: str


class FollowUpList(BaseModel):
    follow_ups: list[FollowUpView]


class AppraisalQuery(Query):
    since: dt.date | None = Field(None, description="The first day of the quarter if absent")
    until: dt.date | None = Field(None, description="Today (UTC) if absent")


class AppraisalRow(BaseModel):
    employee_no: str
    name: str | None
    crew: str | None
    confirmed: int = Field(description="Confirmed follow-ups that count in the appraisal")
    attire: int
    punctuality: int


class Appraisal(BaseModel):
    since: dt.date
    until: dt.date
    employees: list[AppraisalRow]


class ComplaintNoteCreate(Body):
    text: RequiredText


class StatisticsQuery(Query):
    year: int | None = Field(None, ge=2000, le=2100, description="This year if absent")
    quarter: int | None = Field(None, ge=1, le=4, description="This quarter if absent")
    format: ReportFormat = Field("json", description="csv: the statistics as a CSV file")


class ComplaintStatistics(BaseModel):
    year: int
    quarter: int
    total: int
    by_fault_class: dict[str, int]
    by_level: dict[str, int]
    by_department: dict[str, int]
    by_department_and_class: dict[str, dict[str, int]]
    by_worker: dict[str, int]
    by_worker_and_class: dict[str, dict[str, int]]
    closed: int
    unreplied: int
    replied_on_time: int
    replied_late: int
    extra: dict[str, Any] | None = None

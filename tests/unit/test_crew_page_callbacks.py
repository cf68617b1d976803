"""The crew lead's page, its plain callback functions and builders, on the in-memory fakes: what
a redraw and a tap return, in both languages. No database and no browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from dash import no_update

from dashboards import crew_callbacks, crew_position
from dashboards.components import crew_parts
from dispatch import ticket_service
from dispatch.actor import Actor
from dispatch.errors import PermissionDenied, Unauthenticated
from dispatch.ports import Ports
from dispatch.ticket_service import Settings
from tests.unit.fakes import FakeUnitOfWork, StraightLineRouter
from tests.unit.test_crew_jobs import WideningPlanner

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LON, LAT = 24.9466, 60.1712
LEAD = {"username": "crewlead", "role": "crew_lead", "crew_id": 1}
OTHER_LEAD = {"username": "lead2", "role": "crew_lead", "crew_id": 2}
ADMIN = {"username": "admin", "role": "admin", "crew_id": None}


def _crew(crew_id, code, north_deg):
    return {
        "id": crew_id,
        "code": code,
        "skills": ["emergency"],
        "status": "available",
        "lon": LON,
        "lat": LAT + north_deg,
        "recorded_at": NOW - timedelta(seconds=30),
    }


class FakeApi:
    """What the callbacks use of :class:`dispatch.api.Api`, over one in-memory unit of work."""

    def __init__(self) -> None:
        self.unit = FakeUnitOfWork([_crew(1, "E-01", 0.009), _crew(2, "E-02", -0.0045)])
        self.ports = Ports(router=StraightLineRouter(), isolation=WideningPlanner())
        self.settings = Settings()

    def clock(self) -> datetime:
        return NOW

    def uow(self):
        return self.unit


@pytest.fixture
def api():
    return FakeApi()


def _assigned_leak(api, crew_id=1) -> int:
    uow = api.unit
    body = {"type": "gas_leak", "lon": LON, "lat": LAT, "caller_phone": "13812345678"}
    body |= {"caller_name": "王伟", "address": "Kaisaniemenkatu 5", "description": "smell"}
    hotline = Actor("hotline", "hotline_agent")
    ticket_id = ticket_service.open_ticket(uow, body, hotline, NOW, ports=api.ports)["ticket"]["id"]
    ticket_service.assign_crew(
        uow, ticket_id, crew_id, Actor("dispatcher", "dispatcher"), NOW, ports=api.ports
    )
    return ticket_id


def _text(component) -> str:
    """Every string in a component tree, joined."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _find(component, predicate) -> list:
    found = []
    if isinstance(component, list | tuple):
        for c in component:
            found += _find(c, predicate)
        return found
    if component is None or isinstance(component, str | int | float):
        return found
    if predicate(component):
        found.append(component)
    return found + _find(getattr(component, "children", None), predicate)


def test_the_board_draws_the_crews_job_and_remembers_what_it_drew(api):
    ticket_id = _assigned_leak(api)

    out = crew_callbacks.refresh_board(api, "zh-CN", None, LEAD)

    card, way, valves, _steps, others, site_work, route, site, viewport, job, signature = out
    assert "T20261129-000001" in _text(card) and "Kaisaniemenkatu 5" in _text(card)
    tel = _find(card, lambda c: getattr(c, "className", "") == "crew-tel")
    assert [a.href for a in tel] == ["tel:13812345678"]
    countdown = _find(card, lambda c: getattr(c, "className", "") == "crew-countdown")
    assert _text(countdown) == "30分00秒"  # urban leak: 30 min from the call, called now
    navigate = _find(way, lambda c: "crew-navigate" in getattr(c, "className", ""))
    assert navigate[0].href == "geo:60.171200,24.946600"  # latitude first (RFC 5870)
    assert "1分41秒" in _text(way)  # the ETA: 1000.76 m at 10 m/s
    assert route["features"][0]["geometry"]["coordinates"] == [[LON, LAT + 0.009], [LON, LAT]]
    assert [f["properties"]["kind"] for f in site["features"]] == [
        "leak",
        "valve_to_close",
        "valve_to_close",
    ]
    assert viewport["transition"] == "fitBounds"
    assert job == {"ticket_id": ticket_id, "crew_id": 1, "open": True}
    assert "阀门 7" in _text(valves) and "距漏点 111 米" in _text(valves)
    assert "待办任务" in _text(others)
    assert "已设置警戒区" in _text(site_work) and "作业前 (0/5)" in _text(site_work)
    assert signature is not None


def test_a_redraw_with_nothing_new_sends_nothing_and_logs_no_read(api):
    _assigned_leak(api)
    signature = crew_callbacks.refresh_board(api, "en", None, LEAD)[-1]
    reads = len(api.unit.events.reads)

    out = crew_callbacks.refresh_board(api, "en", signature, LEAD)

    assert out == (no_update,) * 11
    assert len(api.unit.events.reads) == reads


def test_another_crews_lead_gets_an_empty_board(api):
    _assigned_leak(api, crew_id=1)

    card, *_rest, job, _signature = crew_callbacks.refresh_board(api, "en", None, OTHER_LEAD)

    assert "T20261129-000001" not in _text(card)
    assert "No job now" in _text(card) and job is None


def test_a_user_leading_no_crew_is_told_so(api):
    card, *_ = crew_callbacks.refresh_board(api, "en", None, ADMIN)

    assert _text(card) == "Your user leads no crew"


def _buttons(component) -> list:
    return _find(component, lambda c: "crew-act" in (getattr(c, "className", None) or ""))


def test_each_status_button_stands_for_its_api_request_and_says_so_in_the_language(api):
    ticket_id = _assigned_leak(api)

    steps = crew_callbacks.refresh_board(api, "en", None, LEAD)[3]

    accept = next(b for b in _buttons(steps) if b.__dict__["data-status"] == "accepted")
    assert accept.__dict__["data-url"] == f"/api/v1/tickets/{ticket_id}/transition"
    assert json.loads(accept.__dict__["data-body"]) == {"status": "accepted"}
    assert accept.__dict__["data-ok"] == "Status now: Accept"


def test_the_steps_gated_by_the_site_rules_say_what_they_still_need(api):
    ticket_id = _assigned_leak(api)
    lead = Actor("crewlead", "crew_lead", 1)
    for step in ("accepted", "en_route", "on_site"):
        ticket_service.transition_ticket(api.unit, ticket_id, step, lead, NOW)

    steps = crew_callbacks.refresh_board(api, "en", None, LEAD)[3]

    made_safe = next(b for b in _buttons(steps) if b.__dict__["data-status"] == "made_safe")
    assert made_safe.__dict__["data-needs"] == "Warning zone set; a gas reading"
    assert "Still needed: Warning zone set; a gas reading" in _text(steps)


def test_a_valve_button_stands_for_its_report(api):
    ticket_id = _assigned_leak(api)

    valves = crew_callbacks.refresh_board(api, "zh-CN", None, LEAD)[2]

    stuck = next(b for b in _buttons(valves) if "crew-valve-stuck" in b.className)
    assert stuck.__dict__["data-url"] == f"/api/v1/tickets/{ticket_id}/valves/7"
    assert json.loads(stuck.__dict__["data-body"]) == {"state": "stuck"}
    assert stuck.__dict__["data-ok"] == "阀门 7 卡死：关阀方案已扩大，调度已收到告警"


def test_status_buttons_show_the_reason_a_step_is_not_possible_now():
    job = {
        "ticket": {"id": 5},
        "steps": [
            {"status": "accepted", "enabled": False, "done": True, "reason": "done"},
            {"status": "en_route", "enabled": True, "done": False, "reason": None},
            {"status": "on_site", "enabled": False, "done": False, "reason": "not_next"},
            {"status": "closed", "enabled": False, "done": False, "reason": "dispatcher_only"},
        ],
    }

    rows = crew_parts.status_buttons(job, "en")

    assert [_text(r) for r in rows] == [
        "Accept Done",
        "On my way ",
        "On site First: On my way, Finished",
        "Finished The dispatcher closes the job",
    ]
    buttons = [r.children[0] for r in rows]
    assert [b.disabled for b in buttons] == [True, False, True, True]


def test_the_phones_fix_is_recorded_for_the_crew_the_user_leads_only(api):
    raw = b'{"lon": 24.9466, "lat": 60.18, "time": "2026-11-29T08:59:55Z"}'

    answer = crew_position.record_fix(api, LEAD, raw)

    assert answer["crew_id"] == 1
    assert api.unit.crews.fixes[-1] == {
        "crew_id": 1,
        "lon": 24.9466,
        "lat": 60.18,
        "recorded_at": datetime(2026, 11, 29, 8, 59, 55, tzinfo=UTC),
        "speed_mps": None,
        "heading_deg": None,
    }
    with pytest.raises(PermissionDenied):
        crew_position.record_fix(api, ADMIN, raw)  # leads no crew
    with pytest.raises(Unauthenticated):
        crew_position.record_fix(api, None, raw)

"""Compliance counted by the database (:func:`dispatch.manager_repository.compliance_counts`)
gives exactly the figures of the pure KPI module (:func:`dispatch.kpis.compliance_by`) on the
same tickets: per week, month, district, crew and overall, against the settings' policies and
against one with a type override and departure clocks; on the fixed history of
test_manager_reports plus tickets that exercise every branch of the rule (departure clock
met and missed, left = arrival, not yet due, arrived after "now", cancelled after the
deadline)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch import kpis, manager_service
from dispatch import manager_repository as mr
from dispatch.clocks import ClockTargets, policy_targets
from dispatch.manager_service import Period
from dispatch.simulation import history_repository as hr
from dispatch.unit_of_work import UnitOfWork
from tests.integration.test_manager_reports import (  # noqa: F401  (the fixture)
    FIRST,
    MIN,
    NOW,
    P1,
    P2,
    P3,
    at,
    history,
    ticket,
)

UNTIL = date(2026, 3, 20)  # "now" is 14:00 local on the 20th: some clocks still run
CUSTOM = {
    "custom": ClockTargets(
        name="custom",
        arrival={1: 15, 3: 100},
        by_type={"meter_fault": 45},
        depart={1: 5, 2: 10},  # P2: a departure clock but no arrival clock -> undecided
        target_share=0.9,
    )
}


@pytest.fixture
def more_history(history):  # noqa: F811
    tickets = [
        ticket(1101, "gas_leak", at(16, 8), P1, arrived_min=25, crew=1, en_route_at=at(16, 8, 3)),
        ticket(1102, "gas_leak", at(16, 9), P2, arrived_min=20, crew=2, en_route_at=at(16, 9, 8)),
        ticket(1103, "gas_leak", at(17, 9), P3, arrived_min=4, crew=1),
        ticket(1104, "meter_fault", at(20, 10), P2, crew=2),  # P3, 24 h: not due yet
        ticket(1105, "gas_leak", at(20, 13, 50), P1, crew=1),  # urban due 14:20: running
        ticket(1106, "gas_leak", at(18, 7), P1, arrived_min=7 * 24 * 60, crew=2),  # after now
        ticket(1107, "gas_leak", at(18, 9), P3, cancelled_at=at(18, 11)),  # cancelled late
        ticket(1108, "indoor_leak_repair", at(19, 9), P2, arrived_min=90, priority=2, crew=1),
    ]
    with UnitOfWork(history) as uow:
        hr.write_history(uow.cur, tickets=tickets, assignments=[], events=[], callers=[])
    return history


def _key(by: str, zone: ZoneInfo):
    def key(row):
        if by in ("district", "crew"):
            return row[by] or "-"
        day = row["received_at"].astimezone(zone).date()
        if by == "month":
            return f"{day:%Y-%m}"
        return (day - timedelta(days=day.weekday())).isoformat()

    return key


@pytest.mark.parametrize("by", ["week", "month", "district", "crew"])
def test_the_databases_breakdown_equals_the_kpi_modules(more_history, by):
    with UnitOfWork(more_history) as uow:
        period = Period(uow, FIRST, UNTIL)
        zone = ZoneInfo(period.timezone)
        rows = mr.breakdown_rows(uow.cur, period.start, period.end)
        by_sql = manager_service.compliance_breakdown(uow, period, NOW, by)
        custom = mr.compliance_counts(
            uow.cur, period.start, period.end, NOW, CUSTOM, by, period.timezone
        )
    assert len(rows) == 15
    assert by_sql == kpis.compliance_by(rows, policy_targets(), NOW, _key(by, zone))
    pure = kpis.compliance_by(rows, CUSTOM, NOW, _key(by, zone))
    assert sorted((r["group"], r["decided"], r["met"]) for r in custom) == sorted(
        (r["group"], r["decided"], r["met"]) for r in pure
    )


def test_the_overall_figures_equal_the_kpi_modules_and_the_hand_counts(more_history):
    with UnitOfWork(more_history) as uow:
        period = Period(uow, FIRST, UNTIL)
        rows = mr.breakdown_rows(uow.cur, period.start, period.end)
        overall = manager_service.compliance_overall(uow, period, NOW)
        custom = mr.compliance_counts(
            uow.cur, period.start, period.end, NOW, CUSTOM, None, period.timezone
        )
    assert overall == kpis.compliance(rows, policy_targets(), NOW)
    urban = {r["policy"]: r for r in overall}["urban"]
    # By hand, urban (P1 30 min, P2 6 h, P3 24 h): met 1001 (10), 1002 (20), 1005 (50, P3),
    # 1101 (25), 1102 (20), 1103 (4), 1108 (90, P2); missed 1003 (40), 1004 (never),
    # 1106 (arrives after now), 1107 (cancelled after its deadline); undecided 1006
    # (cancelled in time), 1007 (linked), 1104 and 1105 (clocks running).
    assert (urban["decided"], urban["met"], urban["missed"]) == (11, 7, 4)
    henan = {r["policy"]: r for r in overall}["henan"]
    # Henan also wants P1 on the way in 5 min: 1102 left after 8 (missed), 1101 after 3 and
    # 1103 arrived in 4 (met); 1001-1003 have no en-route time and arrived after 10+ min
    # (missed); 1005 (P3) and 1108 (P2) have no departure clock and arrived in time (met).
    assert (henan["decided"], henan["met"]) == (11, 4)
    # The custom policy: P1 15 min and gone in 5, meter faults 45 min, P2 no arrival clock.
    # Only 1103 (4 min) meets it; 1005 (50 min) and 1104 (never, due 10:45) miss the meter
    # fault's 45; undecided: 1006, 1007, 1105 (due 14:05) and 1108 (P2).
    assert custom == [{"group": "all", "policy": "custom", "decided": 11, "met": 1}]

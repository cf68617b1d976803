"""The meter desk's pure parts: which reading month it shows and its figures, the chain of
approvals as the page draws it, who gets the approve and reject buttons, and what a role's page
holds. Figures written by hand from the manual's rules."""

from __future__ import annotations

from datetime import date

import pytest

from dashboards import desk_ids as ids
from dashboards.meter_desk_callbacks import (
    adjustment_card,
    chain_steps,
    detail_text,
    may_decide,
    percent,
    volume_text,
)
from dashboards.pages.meter_desk import meter_desk_page
from dispatch.meter_approvals import may_sign
from dispatch.meter_figures import month_figures, reading_month, recent_months
from tests.unit.test_wall_callbacks import find_all, text_of

BIG = ["meter_team_lead", "manager", "finance_manager", "vice_president", "admin"]


def adjustment(approvals=(), status="pending", requested_by="meterlead") -> dict:
    """A top-up of 1,200 m³ (over 1,000: five steps) with ``approvals`` as (role, by)."""
    signed = [
        {
            "step": i,
            "role": role,
            "decision": "approved",
            "by": by,
            "at": f"2026-11-20T09:0{i}:00+00:00",
            "note": None,
        }
        for i, (role, by) in enumerate(approvals, start=1)
    ]
    return {
        "id": 7,
        "meter_id": 1,
        "meter_no": "GM00000001",
        "direction": "top_up",
        "volume_m3": 1200.0,
        "reason": "register misread",
        "status": status,
        "required_roles": BIG,
        "next_role": BIG[len(signed)] if status == "pending" else None,
        "requested_by": requested_by,
        "requested_role": "meter_team_lead",
        "requested_at": "2026-11-20T08:00:00+00:00",
        "decided_at": None,
        "approvals": signed,
    }


# --- the month shown and its figures ------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2026, 11, 29), date(2026, 11, 1)),  # the 20th has come: this month
        (date(2026, 11, 20), date(2026, 11, 1)),  # the reading day itself
        (date(2026, 11, 19), date(2026, 10, 1)),  # not yet: last month
        (date(2026, 1, 5), date(2025, 12, 1)),  # across the year
    ],
)
def test_the_desk_shows_the_last_month_whose_reading_day_has_come(today, month):
    assert reading_month(today) == month


def test_the_month_picker_offers_a_year_of_reading_months_newest_first():
    months = recent_months(date(2026, 2, 25))

    assert months[:3] == [date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1)]
    assert len(months) == 12 and months[-1] == date(2025, 3, 1)


def test_the_months_figures_read_rate_missed_and_every_kind_of_task():
    figures = month_figures(
        date(2026, 11, 1), due=800, read=776, tasks={"re_read": {"of_month": 3, "open": 5}}
    )

    assert figures == {
        "month": "2026-11",
        "reading_day": "2026-11-20",
        "due": 800,
        "read": 776,
        "missed": 24,  # 800 - 776
        "read_rate": 0.97,  # 776 / 800
        "tasks": {
            "re_read": {"of_month": 3, "open": 5},
            "home_check": {"of_month": 0, "open": 0},
            "valve_closing": {"of_month": 0, "open": 0},
        },
    }


def test_no_meters_means_no_read_rate_and_never_more_read_than_due():
    assert month_figures(date(2026, 11, 1), 0, 0, {})["read_rate"] is None
    capped = month_figures(date(2026, 11, 1), 2, 3, {})
    assert (capped["read"], capped["missed"], capped["read_rate"]) == (2, 0, 1.0)


def test_figures_are_written_as_people_read_them():
    assert percent(0.97) == "97.00%"
    assert percent(0.0004) == "0.04%"
    assert percent(None) == "—"
    assert volume_text(1200.0, "zh-CN") == "1,200 方"
    assert volume_text(512.5, "en") == "512.5 m³"
    assert detail_text("3 months at zero", "zh-CN") == "连续 3 个月零用气"
    assert detail_text("something else", "zh-CN") == "something else"


# --- the chain of approvals ---------------------------------------------------------------------


def test_a_new_large_top_up_waits_for_the_team_lead_with_every_later_step_to_come():
    steps = chain_steps(adjustment())

    assert [(s["step"], s["role"], s["state"]) for s in steps] == [
        (1, "meter_team_lead", "next"),
        (2, "manager", "later"),
        (3, "finance_manager", "later"),
        (4, "vice_president", "later"),
        (5, "admin", "later"),
    ]


def test_signed_steps_name_who_signed_and_when_and_the_next_step_follows_them():
    steps = chain_steps(adjustment([("meter_team_lead", "meterlead2"), ("manager", "manager")]))

    assert [(s["state"], s["by"]) for s in steps[:3]] == [
        ("approved", "meterlead2"),
        ("approved", "manager"),
        ("next", None),
    ]
    assert steps[1]["at"] == "2026-11-20T09:02:00+00:00"


def test_a_rejected_adjustment_has_no_next_step():
    a = adjustment([("meter_team_lead", "meterlead2")], status="rejected")
    a["approvals"][0]["decision"] = "rejected"

    assert [s["state"] for s in chain_steps(a)] == ["rejected"] + ["later"] * 4


@pytest.mark.parametrize(
    ("user", "signed", "draws"),
    [
        ({"username": "manager", "role": "manager"}, [("meter_team_lead", "meterlead2")], True),
        ({"username": "finance", "role": "finance_manager"}, [("meter_team_lead", "x")], False),
        ({"username": "meterlead2", "role": "meter_team_lead"}, [], True),
        ({"username": "meterlead", "role": "meter_team_lead"}, [], False),  # own request
        ({"username": "admin", "role": "admin"}, [], False),  # no stand-in for a step
        ({"username": "dispatcher", "role": "dispatcher"}, [], False),
        (None, [], False),
    ],
)
def test_the_buttons_are_for_the_user_whose_step_is_next_only(user, signed, draws):
    a = adjustment(signed)

    assert may_decide(user, a) is draws
    card = adjustment_card(a, user, "zh-CN")
    buttons = [
        b.id for b in find_all(card, lambda c: getattr(c, "id", None) and isinstance(c.id, dict))
    ]
    assert buttons == (
        [
            {"type": ids.MD_DECIDE, "adjustment": 7, "decision": "approved"},
            {"type": ids.MD_DECIDE, "adjustment": 7, "decision": "rejected"},
        ]
        if draws
        else []
    )


def test_nobody_signs_a_decided_adjustment_or_twice():
    assert not may_sign("applied", ["admin"], [], role="admin", username="a", requested_by="b")
    assert not may_sign(
        "pending",
        ["meter_team_lead", "manager", "admin"],
        [{"decided_by": "boss"}, {"decided_by": "x"}],
        role="admin",
        username="boss",
        requested_by="b",
    )
    assert may_sign("pending", ["admin"], [], role="admin", username="a", requested_by="b")


def test_the_card_says_who_signs_next_in_the_language():
    a = adjustment([("meter_team_lead", "meterlead2")])

    assert "待经理审批" in text_of(adjustment_card(a, None, "zh-CN"))
    assert "Waiting for the Manager" in text_of(adjustment_card(a, None, "en"))
    assert "1,200 m³" in text_of(adjustment_card(a, None, "en"))


# --- what each role's page holds ----------------------------------------------------------------


def _ids(page) -> set:
    return {c.id for c in find_all(page, lambda c: isinstance(getattr(c, "id", None), str))}


@pytest.mark.parametrize(
    ("role", "figures", "tasks", "form"),
    [
        ("meter_team_lead", True, True, True),
        ("manager", True, True, True),
        ("admin", True, True, True),
        ("finance_manager", True, False, False),
        ("vice_president", True, False, False),
    ],
)
def test_a_role_sees_only_the_parts_it_may_use(role, figures, tasks, form):
    page = meter_desk_page("zh-CN", {"username": "u", "role": role}, today=date(2026, 11, 29))
    found = _ids(page)

    assert (ids.MD_FIGURES in found, ids.MD_TASKS in found, ids.MD_REQUEST in found) == (
        figures,
        tasks,
        form,
    )
    assert ids.MD_ADJUSTMENTS in found  # every signer sees what waits
    assert "抄表稽核" in text_of(page)

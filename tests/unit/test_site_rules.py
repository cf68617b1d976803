"""The site rules (CJJ51, the two-valve rule, charges), pure: what each status still needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dispatch import site_rules
from dispatch.errors import Conflict, InvalidInput
from dispatch.site_rules import PriceItem, SiteState

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
AFTER_REPAIR = frozenset(site_rules.AFTER_REPAIR)


def state(**kw) -> SiteState:
    return SiteState(**{"category": "emergency", "made_safe": True, **kw})


def test_made_safe_needs_the_warning_zone_and_a_reading_and_names_both():
    assert site_rules.missing_for("made_safe", state(), safe_lel=10) == [
        "checklist item warning_zone_set (warning zone set)",
        "a gas concentration reading",
    ]
    ready = state(checks=frozenset({"warning_zone_set"}), readings=((T0, 40.0),))
    assert site_rules.missing_for("made_safe", ready, safe_lel=10) == []  # any value will do


def test_finishing_a_site_job_needs_every_post_repair_check_and_a_safe_last_reading():
    missing = site_rules.missing_for(
        "closed", state(checks=frozenset({"manholes_checked"})), safe_lel=10
    )
    assert missing == [
        "checklist item cellars_checked (cellars checked)",
        "checklist item chimneys_checked (chimneys checked)",
        "checklist item underground_lines_checked (underground lines checked)",
        "checklist item nearby_buildings_checked (nearby buildings checked)",
        "checklist item hazard_gone (hazard gone)",
        "a last gas reading below 10 % LEL",
    ]


def test_the_last_reading_by_time_counts_not_the_lowest_or_the_last_sent():
    # 4 % at 09:10 then 12 % at 09:20, sent in the other order: the last is 12 %, not safe.
    late_high = ((T0 + timedelta(minutes=20), 12.0), (T0 + timedelta(minutes=10), 4.0))
    s = state(checks=AFTER_REPAIR, readings=late_high)
    assert site_rules.missing_for("closed", s, safe_lel=10) == [
        "a last gas reading below 10 % LEL (last: 12 % LEL)"
    ]
    exactly = state(checks=AFTER_REPAIR, readings=((T0, 10.0),))
    assert site_rules.missing_for("closed", exactly, safe_lel=10) != []  # below, not equal
    same_time = state(checks=AFTER_REPAIR, readings=((T0, 45.0), (T0, 4.0)))
    assert site_rules.missing_for("closed", same_time, safe_lel=10) == []  # recorded later
    safe = state(checks=AFTER_REPAIR, readings=((T0, 9.9),))
    assert site_rules.missing_for("closed", safe, safe_lel=10) == []


def test_a_repair_job_never_made_safe_is_finished_without_the_site_rules():
    meter_job = SiteState(category="repair", made_safe=False)
    assert site_rules.missing_for("closed", meter_job, safe_lel=10) == []


def test_gas_restored_lists_every_unmarked_household_by_address_and_meter_number():
    s = state(
        households=(11, 12, 13),
        marks={12: "not_at_home"},
        labels={11: "Mannerheimintie 1 A 3 (M-0011)", 13: "Mannerheimintie 1 B 7 (M-0013)"},
    )
    assert site_rules.missing_for("gas_restored", s, safe_lel=10) == [
        "2 household(s) not marked for the two-valve rule:"
        " Mannerheimintie 1 A 3 (M-0011); Mannerheimintie 1 B 7 (M-0013)"
    ]
    done = state(households=(11, 12), marks={11: "valves_closed", 12: "not_at_home"})
    assert site_rules.missing_for("gas_restored", done, safe_lel=10) == []


def test_gas_restored_refuses_a_household_marked_for_gas_on_whose_hazard_is_open():
    s = state(households=(11,), marks={11: "valves_closed"}, open_hazard_meters=frozenset({11}))
    assert site_rules.missing_for("gas_restored", s, safe_lel=10) == [
        "household(s) with an open hazard marked for gas-on: meter 11"
    ]
    kept_off = state(households=(11,), marks={11: "kept_off"}, open_hazard_meters=frozenset({11}))
    assert site_rules.missing_for("gas_restored", kept_off, safe_lel=10) == []


def test_a_job_that_cut_gas_must_restore_it_before_it_is_finished():
    assert site_rules.gas_restore_needed(state(gas_cut=True), "repaired") is True
    assert site_rules.gas_restore_needed(state(gas_cut=True), "gas_restored") is False
    assert site_rules.gas_restore_needed(state(gas_cut=False), "repaired") is False


def test_marking_a_household_with_an_open_hazard_for_gas_on_is_refused():
    with pytest.raises(Conflict, match="meter 11 has an open hazard notice"):
        site_rules.household_mark("valves_closed", meter_id=11, open_hazard=True)
    assert site_rules.household_mark("kept_off", meter_id=11, open_hazard=True) == "kept_off"
    with pytest.raises(InvalidInput, match="`mark` must be one of"):
        site_rules.household_mark("open", meter_id=11, open_hazard=False)


def test_a_guardian_needs_a_name_and_at_least_two_people_on_site():
    with pytest.raises(InvalidInput, match="at least 2 people"):
        site_rules.check_item(
            "guardian_named",
            {"guardian": "李强", "people_on_site": 1},
            last_reading=None,
            safe_lel=10,
        )
    with pytest.raises(InvalidInput, match="name the guardian"):
        site_rules.check_item(
            "guardian_named", {"people_on_site": 3}, last_reading=None, safe_lel=10
        )
    ok = site_rules.check_item(
        "guardian_named", {"guardian": "李强", "people_on_site": 2}, last_reading=None, safe_lel=10
    )
    assert ok == "guardian_named"


def test_non_explosion_proof_equipment_waits_for_a_safe_reading():
    item = "non_explosion_proof_equipment_allowed"
    with pytest.raises(Conflict, match=r"below 10 % LEL \(last: none\)"):
        site_rules.check_item(item, {}, last_reading=None, safe_lel=10)
    with pytest.raises(Conflict, match=r"last: 25 % LEL"):
        site_rules.check_item(item, {}, last_reading=25.0, safe_lel=10)
    assert site_rules.check_item(item, {}, last_reading=3.0, safe_lel=10) == item


def test_a_reading_is_a_share_of_the_lower_explosive_limit_from_0_to_100():
    assert site_rules.reading_value(0) == 0.0
    assert site_rules.reading_value(37.5) == 37.5
    for bad in (-1, 100.5, "5", True, None):
        with pytest.raises(InvalidInput, match="lel_percent"):
            site_rules.reading_value(bad)


def test_charges_total_unit_price_times_quantity_to_the_fen():
    prices = {
        "hose": PriceItem("hose", Decimal("35.00"), "更换燃气软管", "Replace gas hose"),
        "clamp": PriceItem("clamp", Decimal("5.50"), "软管卡箍", "Hose clamp"),
    }
    lines = site_rules.charge_lines(
        [{"code": "hose", "quantity": 1}, {"code": "clamp", "quantity": 3}], prices
    )
    assert site_rules.total_cny(lines) == Decimal("51.50")  # 35.00 + 3 x 5.50
    assert site_rules.total_cny([]) == Decimal("0.00")
    with pytest.raises(InvalidInput, match=r"`items\[1\].code`: 'gold' is not on the price list"):
        site_rules.charge_lines([{"code": "hose", "quantity": 1}, {"code": "gold"}], prices)
    with pytest.raises(InvalidInput, match=r"`items\[0\].quantity`"):
        site_rules.charge_lines([{"code": "hose", "quantity": 0}], prices)


def test_every_checklist_item_household_mark_and_hazard_type_has_both_names():
    from dashboards.i18n import TEXTS

    codes = [
        *(f"site.check.{c}" for c in site_rules.CHECK_ITEMS),
        *(f"site.mark.{m}" for m in site_rules.HOUSEHOLD_MARKS),
        *(f"site.hazard.{h}" for h in site_rules.HAZARD_TYPES),
    ]
    assert [c for c in codes if not (TEXTS.get(c, {}).get("zh-CN") and TEXTS[c].get("en"))] == []
    assert TEXTS["status.gas_restored"] == {"zh-CN": "已恢复供气", "en": "Gas restored"}

"""The clock policies shipped in data/settings.toml, per jurisdiction. Due times are written by
hand from DOMAIN.md's response-time rules for a call received at 10:00."""

from datetime import UTC, datetime

import pytest

from dispatch.clocks import ClockPolicy, deadlines
from dispatch.errors import InvalidInput
from dispatch.settings import load_settings

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _at(hour, minute=0):
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy():
    """The shipped policies, each given a jurisdiction of its own name."""
    env = {f"DISPATCH__CLOCKS__JURISDICTIONS__{name.upper()}": name for name in ("henan", "uk")}
    return ClockPolicy.from_settings(load_settings(env).clocks)


def _due(policy, jurisdiction, priority=1, ticket_type="gas_leak", category="emergency"):
    return deadlines(ticket_type, category, priority, jurisdiction, RECEIVED, policy)


def test_an_urban_leak_is_due_in_30_minutes_a_rural_one_in_an_hour(policy):
    assert _due(policy, "urban").arrival_due_at == _at(10, 30)
    assert _due(policy, "rural").arrival_due_at == _at(11, 0)
    assert _due(policy, "urban").make_safe_due_at == _at(12, 0)
    assert _due(policy, "urban").depart_due_at is None  # no departure clock


def test_under_the_henan_policy_the_crew_leaves_by_10_05_and_arrives_by_11(policy):
    due = _due(policy, "henan")

    assert due.depart_due_at == _at(10, 5)
    assert due.arrival_due_at == _at(11, 0)


def test_customer_side_faults_are_due_in_six_hours(policy):
    for jurisdiction in ("urban", "rural", "henan"):
        due = _due(policy, jurisdiction, 2, "indoor_leak_repair", "repair")
        assert due.arrival_due_at == _at(16, 0)
        assert due.depart_due_at is None  # Henan's departure clock is for P1 alarms


def test_uk_uncontrolled_escapes_are_due_in_an_hour_controlled_in_two_with_a_97_percent_target(
    policy,
):
    uncontrolled = _due(policy, "uk", 1)
    controlled = _due(policy, "uk", 2)

    assert uncontrolled.arrival_due_at == _at(11, 0)
    assert controlled.arrival_due_at == _at(12, 0)
    assert uncontrolled.make_safe_due_at == _at(22, 0)  # escape stopped within 12 h
    assert policy.targets("uk").target_share == 0.97


def test_a_jurisdiction_can_be_switched_to_another_policy_by_one_setting():
    env = {"DISPATCH__CLOCKS__JURISDICTIONS__URBAN": "henan"}
    switched = ClockPolicy.from_settings(load_settings(env).clocks)

    due = deadlines("gas_leak", "emergency", 1, "urban", RECEIVED, switched)

    assert (due.depart_due_at, due.arrival_due_at) == (_at(10, 5), _at(11, 0))


def test_a_jurisdiction_without_a_policy_is_refused_naming_the_field():
    defaults = ClockPolicy.from_settings(load_settings({}).clocks)

    with pytest.raises(InvalidInput, match="`jurisdiction` must be rural or urban") as caught:
        deadlines("gas_leak", "emergency", 1, "suburban", RECEIVED, defaults)
    assert caught.value.field == "jurisdiction"

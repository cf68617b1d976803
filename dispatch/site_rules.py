"""The rules of the crew's work on site. Pure: no SQL, no I/O.

From CJJ51 (城镇燃气设施运行、维护和抢修安全技术规程) and the utilities' manuals (see
``DOMAIN.md``): set a warning zone sized to the leak and post signs; monitor the gas
concentration; a dedicated guardian, nobody works alone; anti-static clothing; no
non-explosion-proof equipment until the concentration is safe; after the repair check
manholes, cellars, chimneys, underground lines and nearby buildings, and do not leave until
the hazard is gone. Before gas is restored every household fed by the isolated section has its
meter valve and appliance valve (两阀) closed, or stays off; no gas-on where a hazard is open.

What the transitions need (:func:`missing_for`):

- ``made_safe``: the warning zone set, and at least one gas reading;
- ``gas_restored``: every household of the plan marked (:data:`HOUSEHOLD_MARKS`), none marked
  ``valves_closed`` (gas back on) while a hazard notice of its meter is open;
- ``closed`` of a site job (an emergency, or a job that was made safe): the post-repair
  checks, and the last reading below the safe threshold; and when the job cut households' gas
  (its plan has affected meters), ``gas_restored`` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from dispatch.errors import Conflict, InvalidInput

#: Checklist items before the work (CJJ51), with what each means.
BEFORE_WORK = {
    "warning_zone_set": "warning zone set",
    "signs_posted": "signs posted",
    "guardian_named": "guardian named (at least two people on site)",
    "anti_static_clothing": "anti-static clothing worn",
    "non_explosion_proof_equipment_allowed": "non-explosion-proof equipment allowed",
}
#: Checklist items after the repair (CJJ51): the neighbourhood checked, the hazard gone.
AFTER_REPAIR = {
    "manholes_checked": "manholes checked",
    "cellars_checked": "cellars checked",
    "chimneys_checked": "chimneys checked",
    "underground_lines_checked": "underground lines checked",
    "nearby_buildings_checked": "nearby buildings checked",
    "hazard_gone": "hazard gone",
}
CHECK_ITEMS = {**BEFORE_WORK, **AFTER_REPAIR}
#: How a household fed by the isolated section is left before gas-on (两阀 rule):
#: ``valves_closed`` — meter valve and appliance valve closed, its riser may be opened;
#: ``not_at_home`` — nobody at home, the riser valve stays closed;
#: ``kept_off`` — gas stays off (an open hazard), the riser valve stays closed.
HOUSEHOLD_MARKS = ("valves_closed", "not_at_home", "kept_off")
#: Kinds of household hazard on a hazard notice (隐患通知书).
HAZARD_TYPES = (
    "gas_leak",
    "aged_hose",
    "appliance_fault",
    "illegal_modification",
    "poor_ventilation",
    "meter_fault",
    "other",
)
#: Fewest people on site for the guardian rule (nobody works alone).
MIN_PEOPLE_ON_SITE = 2


@dataclass(frozen=True)
class SiteState:
    """What a job's site record holds, as the rules need it."""

    category: str
    made_safe: bool  # the job went through made_safe
    checks: frozenset[str] = frozenset()
    readings: tuple[tuple[datetime, float], ...] = ()  # (measured_at, % LEL) as recorded
    households: tuple[int, ...] = ()  # meter ids fed by the isolated section
    gas_cut: bool = False  # the stored plan has affected meters
    marks: dict[int, str] = field(default_factory=dict)  # meter id -> mark
    open_hazard_meters: frozenset[int] = frozenset()
    labels: dict[int, str] = field(default_factory=dict)  # meter id -> "address (meter no)"

    @property
    def last_reading(self) -> float | None:
        """The reading measured last; of two at the same time, the one recorded later."""
        if not self.readings:
            return None
        latest = max(range(len(self.readings)), key=lambda i: (self.readings[i][0], i))
        return self.readings[latest][1]

    @property
    def is_site_job(self) -> bool:
        """A job the CJJ51 site rules govern: an emergency, or one that was made safe."""
        return self.category == "emergency" or self.made_safe


def missing_for(to: str, state: SiteState, *, safe_lel: float) -> list[str]:
    """What the site record lacks for moving to status ``to`` (empty: nothing)."""
    missing: list[str] = []
    if to == "made_safe":
        if "warning_zone_set" not in state.checks:
            missing.append("checklist item warning_zone_set (warning zone set)")
        if not state.readings:
            missing.append("a gas concentration reading")
    elif to == "gas_restored":
        missing += _households_missing(state)
    elif to == "closed" and state.is_site_job:
        missing += [
            f"checklist item {item} ({text})"
            for item, text in AFTER_REPAIR.items()
            if item not in state.checks
        ]
        last = state.last_reading
        if last is None:
            missing.append(f"a last gas reading below {safe_lel:g} % LEL")
        elif last >= safe_lel:
            missing.append(f"a last gas reading below {safe_lel:g} % LEL (last: {last:g} % LEL)")
    return missing


def gas_restore_needed(state: SiteState, current_status: str) -> bool:
    """A job that cut households' gas is finished only after ``gas_restored``."""
    return state.gas_cut and current_status == "repaired"


def _households_missing(state: SiteState) -> list[str]:
    out = []
    unmarked = [m for m in state.households if m not in state.marks]
    if unmarked:
        names = "; ".join(state.labels.get(m, f"meter {m}") for m in unmarked)
        out.append(f"{len(unmarked)} household(s) not marked for the two-valve rule: {names}")
    hazardous = [
        m
        for m, mark in state.marks.items()
        if mark == "valves_closed" and m in state.open_hazard_meters
    ]
    if hazardous:
        names = "; ".join(state.labels.get(m, f"meter {m}") for m in hazardous)
        out.append(f"household(s) with an open hazard marked for gas-on: {names}")
    return out


def check_item(item: object, data: dict, *, last_reading: float | None, safe_lel: float) -> str:
    """The checklist item, refused when unknown or when its own rule is not met: a guardian
    needs a name and at least two people on site; non-explosion-proof equipment needs a last
    reading below the safe threshold."""
    if not isinstance(item, str) or item not in CHECK_ITEMS:
        raise InvalidInput(f"`item` must be one of {', '.join(CHECK_ITEMS)}", "item")
    if item == "guardian_named":
        guardian = data.get("guardian")
        if not isinstance(guardian, str) or not guardian.strip():
            raise InvalidInput("`guardian`: name the guardian (监护人)", "guardian")
        people = data.get("people_on_site")
        if not isinstance(people, int) or people < MIN_PEOPLE_ON_SITE:
            raise InvalidInput(
                f"`people_on_site`: nobody works alone: at least {MIN_PEOPLE_ON_SITE} people"
                " on site",
                "people_on_site",
            )
    if item == "non_explosion_proof_equipment_allowed" and (
        last_reading is None or last_reading >= safe_lel
    ):
        shown = "none" if last_reading is None else f"{last_reading:g} % LEL"
        raise Conflict(
            f"`item`: no non-explosion-proof equipment until a reading is below {safe_lel:g}"
            f" % LEL (last: {shown})",
            "item",
        )
    return item


def reading_value(value: object) -> float:
    """A gas reading in % LEL: a number from 0 to 100."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise InvalidInput("`lel_percent` must be a number from 0 to 100 (% LEL)", "lel_percent")
    return float(value)


def household_mark(mark: object, *, meter_id: int, open_hazard: bool) -> str:
    """A two-valve marking; ``valves_closed`` (gas back on) is refused while the household
    has an open hazard notice."""
    if not isinstance(mark, str) or mark not in HOUSEHOLD_MARKS:
        raise InvalidInput(f"`mark` must be one of {', '.join(HOUSEHOLD_MARKS)}", "mark")
    if mark == "valves_closed" and open_hazard:
        raise Conflict(
            f"`mark`: meter {meter_id} has an open hazard notice: gas is not restored to it"
            " (mark it kept_off)",
            "mark",
        )
    return mark


@dataclass(frozen=True)
class PriceItem:
    code: str
    unit_price_cny: Decimal
    name_zh: str
    name_en: str


def charge_lines(items: object, prices: dict[str, PriceItem]) -> list[tuple[PriceItem, int]]:
    """The chosen items as (price item, quantity), in the order given; an unknown code or a
    quantity below 1 is refused naming the line."""
    if not isinstance(items, list):
        raise InvalidInput("`items` must be a list of {code, quantity}", "items")
    lines = []
    for i, entry in enumerate(items):
        code = entry.get("code") if isinstance(entry, dict) else None
        quantity = entry.get("quantity") if isinstance(entry, dict) else None
        if code not in prices:
            raise InvalidInput(f"`items[{i}].code`: {code!r} is not on the price list", "items")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput(f"`items[{i}].quantity` must be a whole number >= 1", "items")
        lines.append((prices[code], quantity))
    return lines


def total_cny(lines: list[tuple[PriceItem, int]]) -> Decimal:
    """The sum of unit price x quantity, in yuan to the fen."""
    return sum((p.unit_price_cny * q for p, q in lines), Decimal("0.00")).quantize(Decimal("0.01"))

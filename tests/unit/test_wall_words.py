"""The wall in one language and with names people know (issue 14): every word of the map's
legend and layer switcher from the translation tables, history lines as sentences, crew codes,
valve locations, no ticket number standing in for an address, buttons that match the state."""

from __future__ import annotations

from datetime import UTC, datetime

import dash_leaflet as dl
import pytest

from dashboards import ids
from dashboards.components import wall_parts
from dashboards.components.network_map import build_network_map, popup_words
from dashboards.i18n import _MESSAGES, LANGUAGES, TEXTS
from dispatch.display_names import distance_m
from tests.unit.test_network_map import HELSINKI, of_type, walk
from tests.unit.test_wall_callbacks import DETAIL, find_all, text_of

NOW = datetime(2024, 5, 10, 10, 0, tzinfo=UTC)


def test_every_message_has_both_languages():
    for key, pair in _MESSAGES.items():
        assert len(pair) == 2, key
        assert all(isinstance(text, str) and text.strip() for text in pair), key
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGUAGES), key


def _strings(component) -> list[str]:
    out = []
    for c in walk(component):
        children = getattr(c, "children", None)
        if isinstance(children, str):
            out.append(children)
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_legend_and_layer_label_comes_from_the_translation_table(lang):
    tree = build_network_map(HELSINKI, live=True, lang=lang)
    table = {entry[lang] for entry in TEXTS.values()}
    legend = next(c for c in walk(tree) if getattr(c, "id", None) == ids.LEGEND)
    names = [layer.name for layer in of_type(tree, dl.BaseLayer) + of_type(tree, dl.Overlay)]

    words = _strings(legend) + names
    assert len(words) > 25
    assert [w for w in words if w not in table] == []
    (control,) = of_type(tree, dl.LayersControl)
    assert control.baseLayer == names[0]
    assert control.overlays == names[1:]


def test_the_chinese_map_shows_chinese_names_and_the_english_one_english():
    zh = build_network_map(HELSINKI, live=True, lang="zh-CN")
    en = build_network_map(HELSINKI, live=True, lang="en")

    assert "燃气管线" in [o.name for o in of_type(zh, dl.Overlay)]
    assert "Gas mains" in [o.name for o in of_type(en, dl.Overlay)]
    zh_legend = " ".join(_strings(zh))
    assert "中压A" in zh_legend and "空闲" in zh_legend and "一级" in zh_legend
    assert "Medium A" not in zh_legend and "Available" not in zh_legend


def test_the_live_legend_explains_incidents_the_warning_zone_and_the_valves_to_close():
    text = " ".join(_strings(build_network_map(HELSINKI, live=True, lang="en")))

    for words in ("Incidents (priority)", "P1", "P4", "Deadline at risk (pulsing)",
                  "Warning zone", "Valve to close"):  # fmt: skip
        assert words in text


def _event(kind, **extra):
    return {"at": "2024-05-10T11:02:10+00:00", "event_type": kind, "to_status": None,
            "actor": "wang", "actor_role": "dispatcher", "data": {}, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "zh", "en"),
    [
        (
            _event("assigned", to_status="assigned", crew_code="E-03", data={"crew_id": 6}),
            "14:02 派单给 E-03 (调度员 wang)",
            "14:02 assigned to E-03 (Dispatcher wang)",
        ),
        (
            _event("status_changed", to_status="en_route", actor="simulator", actor_role=None),
            "14:02 状态变为在途 (模拟器)",
            "14:02 status now En route (simulator)",
        ),
        (
            _event("created", actor="dispatcher"),
            "14:02 建单 (调度员)",
            "14:02 ticket opened (Dispatcher)",
        ),
        (
            _event("cancelled", to_status="cancelled", reason="false alarm"),
            "14:02 工单取消：false alarm (调度员 wang)",
            "14:02 ticket cancelled: false alarm (Dispatcher wang)",
        ),
        (
            _event("site_photo_added", actor="system", actor_role=None),
            "14:02 现场作业记录 (系统)",
            "14:02 site work recorded (system)",
        ),
    ],
)
def test_history_lines_are_sentences_in_the_language(event, zh, en):
    assert wall_parts.history_line(event, "zh-CN", "Europe/Helsinki") == zh
    assert wall_parts.history_line(event, "en", "Europe/Helsinki") == en


def test_the_isolation_plan_lists_each_valve_by_street_and_distance_with_a_numbered_pin():
    valves = [
        {"id": 31, "street": "Mannerheimintie", "from_leak_m": 35.4, "access_note": "kiosk"},
        {"id": 32, "street": None, "from_leak_m": 120.0, "access_note": None},
    ]

    zh = [text_of(item) for item in wall_parts.valve_list(valves, "zh-CN")]
    en = [text_of(item) for item in wall_parts.valve_list(valves, "en")]

    assert zh == ["1 Mannerheimintie，距漏点 35 米", "2 无名道路，距漏点 120 米"]
    assert en == ["1 Mannerheimintie, 35 m from the leak", "2 unnamed street, 120 m from the leak"]
    assert "31" not in " ".join(en)


def test_the_panel_of_an_assigned_ticket_names_its_crew_and_offers_no_assign_button():
    detail = DETAIL | {"ticket": DETAIL["ticket"] | {"status": "assigned", "crew_code": "E-04"}}

    panel = wall_parts.incident_panel(detail, "en", may_assign=True)

    buttons = find_all(panel, lambda c: isinstance(getattr(c, "id", None), dict))
    assert [b for b in buttons if b.id.get("type") == ids.ASSIGN_BUTTON] == []
    assert "Assigned to E-04" in text_of(panel)


def _queued(ticket_id, address, guessed=False):
    return {
        "id": ticket_id, "number": f"T20240510-{ticket_id:06d}", "type": "gas_leak",
        "priority": 1, "status": "new", "address": address, "callers": 1,
        "received_at": "2024-05-10T09:55:00+00:00", "arrival_due_at": None, "arrived": False,
        "crew_code": None, "eta_at": None, "at_risk": False, "address_guessed": guessed,
    }  # fmt: skip


def test_the_queue_never_shows_a_ticket_number_as_the_address():
    _head, unknown, guessed = wall_parts.queue_table(
        [_queued(1, None), _queued(2, "Bulevardi 16", guessed=True)], NOW, "en", None
    )

    assert "T20240510-000001" not in text_of(unknown)
    assert "No address" in text_of(unknown)
    address = find_all(guessed, lambda c: "queue-address" in (getattr(c, "className", "") or ""))
    assert address[0].children == "Bulevardi 16"
    assert "queue-address-guessed" in address[0].className


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_refusal_is_red_and_a_success_green(lang):
    refused = wall_parts.notice("no", ok=False)
    done = wall_parts.notice("yes", ok=True)

    assert "notice-error" in refused.className and refused.role == "alert"
    assert "notice-ok" in done.className and "notice-error" not in done.className


def test_distances_from_the_leak_are_great_circle_metres():
    # 0.001 degree of latitude is 111.2 m anywhere.
    assert distance_m(24.94, 60.17, 24.94, 60.171) == pytest.approx(111.2, abs=0.2)


# Every property the served layers carry (gis/map_layers.py) and the wall's live layers add.
LAYER_PROPERTIES = [
    "id",
    "name",
    "pressure_class",
    "diameter_mm",
    "material",
    "status",
    "main_id",
    "valve_type",
    "operable",
    "currently_open",
    "inlet_pressure_class",
    "outlet_pressure_class",
    "capacity_m3h",
    "category",
    "code",
    "skills",
    "recorded_at",
    "heading_deg",
    "bearing_deg",
    "number",
    "type",
    "priority",
    "at_risk",
    "crew",
    "stale",
    "kind",
    "access_note",
    "radius_m",
    "ticket",
]


@pytest.mark.parametrize(
    ("lang", "status", "material", "available", "pressure"),
    [("zh-CN", "状态", "聚乙烯", "空闲", "中压A"), ("en", "status", "PE", "Available", "Medium A")],
)
def test_map_popups_name_every_property_and_coded_value_in_the_language(
    lang, status, material, available, pressure
):
    words = popup_words(lang)

    assert sorted(p for p in LAYER_PROPERTIES if p not in words["keys"]) == []
    assert words["keys"]["status"] == status
    assert words["values"]["pe"] == material
    assert words["values"]["available"] == available
    assert words["values"]["medium_a"] == pressure
    assert "selected" in words["hidden"]
    layers = of_type(build_network_map(HELSINKI, live=True, lang=lang), dl.GeoJSON)
    with_words = [layer for layer in layers if "words" in (getattr(layer, "hideout", None) or {})]
    assert len(with_words) == len(layers) - 2  # all but the base map's streets and buildings

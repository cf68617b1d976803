"""The site work builders of the crew lead's phone, on hand-written site records: what the
gated steps still need (in the page's language), and each control carrying its API request."""

from __future__ import annotations

import json

from dashboards.components import crew_site_parts


def _record(**changes) -> dict:
    record = {
        "ticket_id": 42,
        "status": "on_site",
        "warning_radius_m": 35.4,
        "safe_lel_percent": 10.0,
        "checklist": [],
        "readings": [],
        "households": [
            {
                "meter_id": 7,
                "meter_no": "M-7",
                "address": "Mannerheimintie 1",
                "mark": None,
                "open_hazard": False,
            },
            {
                "meter_id": 8,
                "meter_no": None,
                "address": None,
                "mark": "not_at_home",
                "open_hazard": False,
            },
        ],
        "hazards": [],
        "signoff": None,
        "photos": [{"id": 3, "note": "", "content_type": "image/jpeg"}],
        "missing": {"made_safe": ["x"], "gas_restored": ["x"], "closed": ["x"]},
    }
    return record | changes


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            yield from _walk(child)
    elif isinstance(children, str):
        yield children
    elif children is not None:
        yield from _walk(children)


def _all(parts) -> list:
    return [c for part in parts for c in _walk(part)]


def test_what_the_gated_steps_still_need_is_said_in_the_language():
    needs = crew_site_parts.still_needed(_record(), "en")

    assert needs["made_safe"] == "Warning zone set; a gas reading"
    assert needs["gas_restored"] == (
        "1 household(s) not marked for the two-valve rule: Mannerheimintie 1 (M-7)"
    )
    assert needs["closed"].startswith("Manholes checked; Cellars checked;")
    assert needs["closed"].endswith("a last reading below 10 % LEL")
    zh = crew_site_parts.still_needed(_record(), "zh-CN")
    assert zh["made_safe"] == "已设置警戒区；一次燃气浓度检测"


def test_a_step_the_record_allows_needs_nothing_and_a_long_list_is_counted():
    done = _record(missing={"made_safe": [], "gas_restored": ["x"], "closed": []})
    many = [
        {
            "meter_id": m,
            "meter_no": f"M-{m}",
            "address": f"Street {m}",
            "mark": None,
            "open_hazard": False,
        }
        for m in range(1, 9)
    ]
    needs = crew_site_parts.still_needed(done | {"households": many}, "en")

    assert set(needs) == {"gas_restored"}
    assert needs["gas_restored"].endswith("Street 5 (M-5); … (+3)")
    assert needs["gas_restored"].startswith("8 household(s)")


def test_each_control_carries_its_api_request():
    parts = crew_site_parts.site_work(
        _record(),
        [
            {
                "code": "call_out",
                "unit_price_cny": "50.00",
                "name_zh": "上门服务费",
                "name_en": "Call-out fee",
            }
        ],
        "en",
        None,
    )
    acts = [c for c in _all(parts) if "crew-act" in (getattr(c, "className", None) or "")]
    urls = {(a.__dict__["data-url"], a.__dict__["data-body"]) for a in acts}

    assert ("/api/v1/tickets/42/site/checks", json.dumps({"item": "warning_zone_set"})) in urls
    assert ("/api/v1/tickets/42/households/7", json.dumps({"mark": "valves_closed"})) in urls
    assert ("/api/v1/tickets/42/signoff", json.dumps({"customer_refused": True})) in urls
    reading = next(a for a in acts if a.__dict__["data-url"].endswith("/site/readings"))
    assert reading.__dict__["data-stamp"] == "measured_at"  # an offline reading keeps its time
    texts = " ".join(c for c in _all(parts) if isinstance(c, str))
    assert "radius 35 m" in texts and "Households (two valves) 1/2" in texts
    thumbs = [c for c in _all(parts) if getattr(c, "className", None) == "crew-thumb"]
    assert [t.src for t in thumbs] == ["/site-photos/42/3"]


def test_a_signed_off_job_shows_its_charges_instead_of_the_form():
    signoff = {
        "items": [
            {
                "name_en": "Call-out fee",
                "name_zh": "上门服务费",
                "quantity": 1,
                "amount_cny": "50.00",
            }
        ],
        "total_cny": "50.00",
        "signed": False,
        "signed_at": "2026-11-29T10:00:00+00:00",
    }
    parts = crew_site_parts.site_work(_record(signoff=signoff), [], "en", None)
    texts = " ".join(c for c in _all(parts) if isinstance(c, str))

    assert "Total CNY 50.00" in texts and "Customer refused to sign" in texts
    assert not any(getattr(c, "id", None) == "crew-signoff-form" for c in _all(parts))


def test_a_hazard_found_on_an_earlier_visit_says_so_and_an_unsigned_visit_shows_the_form():
    hazard = {
        "hazard_type": "aged_hose",
        "address": "Mannerheimintie 1",
        "meter_id": 7,
        "fix_by": "2026-12-06T10:00:00+00:00",
        "signed": True,
        "resolved_at": None,
    }
    record = _record(
        visit=2, hazards=[hazard | {"visit": 1}, hazard | {"visit": 2, "hazard_type": "other"}]
    )
    parts = crew_site_parts.site_work(record, [], "en", None)
    open_class = "crew-hazard crew-hazard-open"
    items = [c for c in _all(parts) if getattr(c, "className", None) == open_class]
    texts = [" ".join(x for x in _walk(i) if isinstance(x, str)) for i in items]

    assert texts[0].endswith(" · Visit 1") and not texts[1].endswith("Visit 2")
    assert any(getattr(c, "id", None) == "crew-signoff-form" for c in _all(parts))

"""The OpenAPI document generated from the API's models: enumerations, required fields, ranges,
formats, a response schema for every status, roles. Expected values are written by hand."""

import pytest
from jsonschema import Draft202012Validator

from dispatch.api import ROUTES, openapi_document

DOC = openapi_document()
SCHEMAS = DOC["components"]["schemas"]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _prop(model: str, name: str) -> dict:
    """A property's schema, with a nullable one's non-null branch and references followed."""
    schema = SCHEMAS[model]["properties"][name]
    branches = [b for b in schema.get("anyOf", [schema]) if b != {"type": "null"}]
    return _resolve(branches[0])


def _op(method: str, path: str) -> dict:
    return DOC["paths"]["/api/v1" + path][method]


def _param(method: str, path: str, name: str) -> dict:
    (param,) = [p for p in _op(method, path)["parameters"] if p["name"] == name]
    return param


def test_the_document_is_openapi_3_1_with_a_bearer_scheme():
    assert DOC["openapi"] == "3.1.0"
    assert DOC["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_ticket_types_statuses_and_categories_are_enumerated():
    types = _prop("TicketCreate", "type")["enum"]
    assert {"gas_leak", "meter_fault", "safety_inspection", "suggestion"} <= set(types)
    assert len(types) == 17
    assert _prop("TicketTransition", "status")["enum"] == [
        "new",
        "assigned",
        "accepted",
        "en_route",
        "on_site",
        "made_safe",
        "repaired",
        "gas_restored",
        "closed",
        "cancelled",
    ]
    assert set(_prop("TicketView", "category")["enum"]) == {
        "emergency",
        "repair",
        "scheduled",
        "non_field",
    }
    assert set(_prop("TicketCreate", "jurisdiction")["enum"]) == {"urban", "rural"}


def test_roles_crew_statuses_and_skills_are_enumerated():
    assert set(_prop("Token", "role")["enum"]) == {
        "hotline_agent",
        "dispatcher",
        "crew_lead",
        "manager",
        "admin",
        "meter_team_lead",
        "finance_manager",
        "vice_president",
        "callback_agent",
        "complaint_handler",
    }
    assert set(_prop("CrewStatusChange", "status")["enum"]) == {
        "available",
        "busy",
        "off_duty",
        "out_of_service",
    }
    skills = _resolve(SCHEMAS["CrewView"]["properties"]["skills"]["items"])
    assert set(skills["enum"]) == {"emergency", "indoor_repair", "meter", "installation"}


def test_complaint_channels_levels_fault_classes_and_statuses_are_enumerated():
    channels = _prop("ComplaintCreate", "channel")["enum"]
    assert {"hotline", "counter", "media", "government_hotline", "head_office"} <= set(channels)
    assert len(channels) == 9
    assert _prop("ComplaintCreate", "level")["enum"] == [1, 2]
    assert _prop("ComplaintCreate", "fault_class")["enum"] == ["A", "B", "C"]
    assert _prop("ComplaintView", "status")["enum"] == [
        "intake",
        "dispatched",
        "investigating",
        "replied",
        "callback_done",
        "closed",
    ]


def test_callback_answers_are_enumerated_and_scores_run_from_1_to_10():
    assert _prop("CallbackAnswerRequest", "status")["enum"] == ["done", "unreachable"]
    assert _prop("CallbackAnswerRequest", "attire")["enum"] == ["good", "fair", "poor"]
    assert _prop("CallbackAnswerRequest", "punctuality")["enum"] == ["good", "fair", "poor"]
    for score in ("attitude", "skill"):
        schema = _prop("CallbackAnswerRequest", score)
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 1, 10)
    assert _prop("CallbackView", "status")["enum"] == ["pending", "done", "unreachable"]


@pytest.mark.parametrize(
    ("model", "field", "kind", "lo", "hi"),
    [
        ("TicketCreate", "lon", "number", -180, 180),
        ("TicketCreate", "lat", "number", -90, 90),
        ("TicketCreate", "priority", "integer", 1, 4),
        ("CrewPositionFix", "lon", "number", -180, 180),
        ("CrewPositionFix", "lat", "number", -90, 90),
        ("CrewPositionFix", "heading", "number", 0, 360),
        ("CrewPositionFix", "speed", "number", 0, 70),
        ("TicketView", "priority", "integer", 1, 4),
    ],
)
def test_numbers_carry_their_ranges(model, field, kind, lo, hi):
    schema = _prop(model, field)

    assert (schema["type"], schema["minimum"], schema["maximum"]) == (kind, lo, hi)


def test_query_limits_are_bounded():
    assert _param("get", "/tickets", "limit")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 200,
    }
    geocode_limit = _param("get", "/geocode", "limit")["schema"]
    assert (geocode_limit["minimum"], geocode_limit["maximum"]) == (1, 50)
    q = _param("get", "/geocode", "q")
    assert q["required"] is True and q["schema"]["maxLength"] == 200


def test_comma_separated_query_lists_are_arrays_of_the_enumeration():
    status = _param("get", "/complaints", "status")

    assert status["style"] == "form" and status["explode"] is False
    assert "investigating" in _resolve(status["schema"]["items"])["enum"]
    assert _resolve(_param("get", "/complaints", "level")["schema"])["enum"] == [1, 2]


@pytest.mark.parametrize(
    ("model", "required"),
    [
        ("LoginRequest", {"username", "password"}),
        ("TicketCreate", {"type"}),
        ("TicketTransition", {"status"}),
        ("TicketAssign", {"crew_id"}),
        ("CrewPositionFix", {"lon", "lat", "time"}),
        ("ComplaintCreate", {"channel", "description"}),
        ("ComplaintDispatch", {"department"}),
        ("ComplaintEscalate", {"reason"}),
        ("CallbackDrawRequest", set()),
    ],
)
def test_request_bodies_name_their_required_fields_and_refuse_unknown_ones(model, required):
    schema = SCHEMAS[model]

    assert set(schema.get("required", [])) == required
    assert schema["additionalProperties"] is False


def test_a_lon_needs_a_lat_and_the_other_way_round():
    assert SCHEMAS["TicketCreate"]["dependentRequired"] == {"lon": ["lat"], "lat": ["lon"]}


def test_times_are_zoned_date_times_dates_are_dates_and_text_is_bounded():
    appointment = _prop("TicketCreate", "appointment_at")
    assert appointment["format"] == "date-time" and "zone" in appointment["description"]
    assert _prop("CrewPositionFix", "time")["format"] == "date-time"
    assert _prop("CallbackDrawRequest", "date")["format"] == "date"
    assert _param("get", "/callbacks/satisfaction", "since")["schema"]["format"] == "date"
    assert _prop("TicketCreate", "description")["maxLength"] == 2000
    assert _prop("ComplaintCreate", "description")["maxLength"] == 2000
    assert _prop("TicketCreate", "caller_phone")["pattern"] == "^[0-9+\\- ]{6,20}$"


def test_a_request_body_says_whether_it_is_required():
    assert _op("post", "/tickets")["requestBody"]["required"] is True
    assert _op("post", "/callbacks/draw")["requestBody"]["required"] is False
    assert _op("post", "/tickets")["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketCreate"
    }
    assert "requestBody" not in _op("post", "/clocks/check")


def test_creating_a_ticket_documents_every_status_it_answers():
    responses = _op("post", "/tickets")["responses"]

    assert sorted(responses) == ["200", "201", "400", "401", "403", "404", "413", "503"]
    schema_of = {
        s: r["content"]["application/json"]["schema"]["$ref"] for s, r in responses.items()
    }
    assert schema_of["201"] == "#/components/schemas/TicketCreated"
    assert schema_of["200"] == "#/components/schemas/TicketReplayed"
    assert {schema_of[s] for s in ("400", "401", "403", "404", "503")} == {
        "#/components/schemas/Error"
    }


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/auth/token", ["200", "400", "401", "413", "429", "503"]),
        ("get", "/crews", ["200", "401", "503"]),
        (
            "post",
            "/tickets/{ticket_id}/transition",
            ["200", "400", "401", "403", "404", "409", "413", "503"],
        ),
        ("get", "/tickets/{ticket_id}", ["200", "401", "403", "404", "503"]),
        ("post", "/callbacks/draw", ["200", "201", "400", "401", "403", "413", "503"]),
        ("get", "/openapi.json", ["200"]),
    ],
)
def test_each_operation_lists_the_statuses_it_can_answer(method, path, statuses):
    assert sorted(_op(method, path)["responses"]) == statuses


def test_every_answer_of_every_operation_has_a_schema():
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            assert any(s.startswith("2") for s in op["responses"]), (method, path)
            for status, answer in op["responses"].items():
                assert answer["description"], (method, path, status)
                assert "$ref" in answer["content"]["application/json"]["schema"], (method, path)


def test_the_error_schema_has_a_code_a_nullable_field_and_a_detail():
    error = SCHEMAS["Error"]

    assert set(error["required"]) == {"error", "field", "detail"}
    assert error["properties"]["field"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert error["properties"]["detail"]["type"] == "string"


def test_a_recommendation_has_its_route_and_an_optional_computation_time():
    recommendation = SCHEMAS["Recommendation"]

    assert set(recommendation["required"]) == {
        "crew_id",
        "code",
        "eta_s",
        "travel_time_s",
        "distance_m",
        "finishes_first",
        "route",
    }
    point = recommendation["properties"]["route"]["items"]
    assert (point["minItems"], point["maxItems"]) == (2, 2)
    assert point["prefixItems"][0]["minimum"] == -180 and point["prefixItems"][1]["maximum"] == 90
    assert _prop("Recommendation", "computed_at")["format"] == "date-time"


def test_a_ticket_answer_carries_recommendations_and_the_isolation_plan():
    created = SCHEMAS["TicketCreated"]
    detail = SCHEMAS["TicketDetail"]

    assert set(created["required"]) == {"ticket", "duplicate_of", "recommendations", "isolation"}
    assert "isolation" in detail["required"] and "caller_list" in detail["required"]
    assert detail["properties"]["recommendations"]["items"] == {
        "$ref": "#/components/schemas/Recommendation"
    }
    assert SCHEMAS["TicketReplayed"]["properties"]["replayed"]["const"] is True
    assert set(SCHEMAS["TicketReplayed"]["required"]) == {"ticket", "replayed"}


def test_operations_name_the_roles_allowed_and_public_ones_need_no_token():
    create = _op("post", "/tickets")

    assert create["x-roles"] == ["admin", "dispatcher", "hotline_agent"]
    assert create["security"] == [{"bearer": []}]
    assert _op("get", "/kpis")["x-roles"] == ["admin", "dispatcher", "manager"]
    assert "security" not in _op("post", "/auth/token")


def test_creating_a_ticket_documents_its_idempotency_key_header():
    header = _param("post", "/tickets", "Idempotency-Key")

    assert (header["in"], header["required"]) == ("header", False)
    assert header["schema"] == {"type": "string", "maxLength": 200}


def test_path_parameters_are_integers():
    (param,) = _op("post", "/tickets/{ticket_id}/assign")["parameters"]

    assert param == {
        "name": "ticket_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }


def test_every_reference_resolves_and_every_schema_is_valid_json_schema():
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(DOC))
    assert "#/components/schemas/TicketType" in found
    for ref in found:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in SCHEMAS, ref
    for schema in SCHEMAS.values():
        Draft202012Validator.check_schema(schema)


def test_every_route_is_documented_once_with_its_handler_as_operation_id():
    operation_ids = [op["operationId"] for ops in DOC["paths"].values() for op in ops.values()]

    assert sorted(operation_ids) == sorted(r.handler for r in ROUTES)

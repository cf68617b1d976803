"""The OpenAPI 3.1 document of the JSON API, generated from its route table and the pydantic
models each route names (:mod:`dispatch.api_schemas`): parameters, request bodies, a response
schema for every status an operation can answer, the roles allowed (``x-roles``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from dispatch import auth
from dispatch.api_schemas import Error

#: A Flask path parameter, e.g. <int:ticket_id> or <action>.
PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {
    "": {"type": "string"},
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number"},
}
_REF = "#/components/schemas/{model}"
_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    400: "Invalid input: `field` names the missing or bad field or parameter",
    401: "No bearer token, or an unknown or expired one (a wrong password, to log in)",
    403: "The role may not do this (or, for a crew lead, not on another crew's job)",
    404: "No such record; `field` names the id",
    409: "Not a legal next status, or the record changed or is held meanwhile",
    413: "The request body is larger than the limit (the `web.max_body_bytes` setting)",
    429: "Too many failed log-ins: wait `Retry-After` seconds",
    503: "The database is busy or unavailable: retry after `Retry-After` seconds",
}


class Operation(Protocol):
    """What the document reads of one route (see ``dispatch.api.Route``)."""

    method: str
    path: str
    action: str | None
    summary: str
    handler: str
    answers: Mapping[int, type[BaseModel]]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    headers: type[BaseModel] | None
    errors: tuple[int, ...]
    database: bool


class _Schema(GenerateJsonSchema):
    """Schemas without a title on every property (the property's name says it)."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


def error_statuses(route: Operation) -> list[int]:
    """The error statuses ``route`` can answer: those every route of its kind can, and the
    ones it names itself."""
    found = set(route.errors)
    if route.body or route.query or route.method == "POST":  # a POST body must be JSON
        found.add(400)
    if route.method == "POST":  # a body over the size limit
        found.add(413)
    if route.action:
        found.add(401)
        if auth.PERMISSIONS[route.action] != frozenset(auth.ROLES):
            found.add(403)
    if PATH_PARAM.search(route.path):
        found.add(404)
    if route.database:
        found.add(503)
    return sorted(found)


def build_document(
    routes: Iterable[Operation],
    *,
    prefix: str,
    title: str,
    version: str,
) -> dict:
    routes = list(routes)
    models = {Error}
    for route in routes:
        inputs = (route.body, route.query, route.headers)
        models.update(m for m in (*inputs, *route.answers.values()) if m)
    refs, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=_REF,
        schema_generator=_Schema,
    )
    schemas = dict(sorted(defs["$defs"].items()))

    def ref(model: type[BaseModel]) -> dict:
        return refs[(model, "validation")]

    paths: dict[str, dict] = {}
    parameter_models: set[str] = set()  # documented as parameters, not as schemas
    for route in routes:
        op: dict = {"summary": route.summary, "operationId": route.handler}
        if route.action:
            op["security"] = [{"bearer": []}]
            op["x-roles"] = sorted(auth.PERMISSIONS[route.action])
        params = [
            {"name": name, "in": "path", "required": True, "schema": dict(_PARAM_TYPES[converter])}
            for converter, name in PATH_PARAM.findall(route.path)
        ]
        for model, where in ((route.query, "query"), (route.headers, "header")):
            if model:
                parameter_models.add(_name(ref(model)))
                params += _parameters(schemas[_name(ref(model))], where)
        if params:
            op["parameters"] = params
        if route.body:
            body_schema = schemas[_name(ref(route.body))]
            op["requestBody"] = {
                "required": bool(body_schema.get("required")),
                "content": {"application/json": {"schema": ref(route.body)}},
            }
        answers = {status: ref(model) for status, model in route.answers.items()}
        answers.update((status, ref(Error)) for status in error_statuses(route))
        op["responses"] = {str(s): _response(s, answers[s]) for s in sorted(answers)}
        if getattr(route, "csv", False):  # the same content as a file with ?format=csv
            op["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
        path = prefix + PATH_PARAM.sub(r"{\2}", route.path)
        paths.setdefault(path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {k: v for k, v in schemas.items() if k not in parameter_models},
        },
    }


def _name(reference: dict) -> str:
    return reference["$ref"].rsplit("/", 1)[1]


def _response(status: int, schema: dict) -> dict:
    return {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": schema}},
    }


def _parameters(model_schema: dict, where: str) -> list[dict]:
    """A query or header model's properties as parameters. A parameter is absent or has a
    value, never null, so the null branch of an optional one is left out; a list is
    comma-separated (``?status=new,assigned``)."""
    required = set(model_schema.get("required", ()))
    params = []
    for name, schema in model_schema["properties"].items():
        schema = _without_null(schema)
        param = {"name": name, "in": where, "required": name in required}
        if "description" in schema:
            param["description"] = schema.pop("description")
        param["schema"] = schema
        if schema.get("type") == "array":
            param.update(style="form", explode=False)
        params.append(param)
    return params


def _without_null(schema: dict) -> dict:
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if len(branches) != 1 or len(schema.get("anyOf", ())) != 2:
        return dict(schema)
    outer = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if schema.get("default") is not None:
        outer["default"] = schema["default"]
    return {**branches[0], **outer}  # the field's description wins over its type's

"""Validation at the API's edge: a request body or query string checked against its model
(:mod:`dispatch.api_schemas`), handed on as the plain dict the services take. A failure is an
:class:`~dispatch.errors.InvalidInput` naming the first failing field, with a sentence a
person can act on; the services keep their own checks for the other doors (MQTT, the wall,
the simulator)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dispatch.api_schemas import NOT_BLANK, PHONE
from dispatch.errors import InvalidInput

#: What a failed pattern means, for the patterns the schemas use.
_PATTERN_RULES = {
    NOT_BLANK: "must not be blank",
    PHONE: "must be 6 to 20 digits (spaces, + and - allowed)",
}
_TIME = "must be an ISO 8601 time with a time zone, e.g. 2026-11-23T09:30:00+08:00"
#: pydantic error type -> what the field must be (the value is not repeated: it may be secret).
_RULES = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false (or 1 or 0)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_too_short": "must not be empty",
    "datetime_type": _TIME,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "datetime_object_invalid": _TIME,
    "timezone_aware": "must carry a time zone (e.g. +08:00 or Z)",
    "date_type": "must be a date as YYYY-MM-DD",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date as YYYY-MM-DD",
}


def validate_body(model: type[BaseModel], raw: bytes) -> dict:
    """The JSON body ``raw`` checked against ``model``, as the dict of the fields the client
    sent (a field sent as null stays, an absent one stays absent: the services tell them
    apart), with JSON values (times as ISO 8601 text)."""
    try:
        parsed = model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise _invalid(exc, model, noun="field") from None
    return parsed.model_dump(mode="json", exclude_unset=True)


def validate_query(model: type[BaseModel], args: Mapping[str, str]) -> dict:
    """The query parameters ``args`` checked against ``model``, as a dict of every parameter
    with its default filled in. An empty parameter (``?limit=``) counts as absent."""
    given = {name: value for name, value in args.items() if value != ""}
    try:
        parsed = model.model_validate(given)
    except ValidationError as exc:
        raise _invalid(exc, model, noun="parameter") from None
    return parsed.model_dump()


def refuse_body(body: Mapping) -> None:
    """An operation that takes no body refuses one with fields, naming the first."""
    name = next(iter(body), None)
    if name is not None:
        raise InvalidInput(f"`{name}` is not a known field: this operation takes no body", name)


def _invalid(exc: ValidationError, model: type[BaseModel], *, noun: str) -> InvalidInput:
    error = exc.errors(include_url=False)[0]
    code = error["type"]
    if code == "json_invalid":
        return InvalidInput("the request body is not valid JSON", "body")
    if not error["loc"] and code == "model_type":
        return InvalidInput("the request body must be a JSON object", "body")
    ctx = error.get("ctx") or {}
    name = str(error["loc"][0]) if error["loc"] else ctx.get("field")
    return InvalidInput(_sentence(error, name, model, noun), name)


def _sentence(error: ErrorDetails, name: str | None, model: type[BaseModel], noun: str) -> str:
    code, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    field = f"`{name}`"
    if len(error["loc"]) > 1 and isinstance(error["loc"][1], int):
        field = f"each of `{name}`"  # an item of a list, e.g. ?status=new,lost
    if code == "missing" or (value is None and code != "extra_forbidden"):
        return f"{field} is required"
    if code == "extra_forbidden":
        known = ", ".join(model.model_fields)
        return f"{field} is not a known {noun}; known: {known}"
    if code in ("literal_error", "enum"):
        return f"{field} must be {ctx['expected']}, not {value!r}"
    if code in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{field} must be {_range(model, name, ctx)}"
    if code == "string_too_long":
        return f"{field} is longer than {ctx['max_length']} characters"
    if code == "too_long":
        return f"{field} has more than {ctx['max_length']} items"
    if code == "string_pattern_mismatch":
        return f"{field} {_PATTERN_RULES.get(ctx['pattern'], 'must match ' + ctx['pattern'])}"
    if code in _RULES:
        rule = _RULES[code]
        if code.startswith("date_") and isinstance(value, str):
            rule += f", not {value!r}"
        return f"{field} {rule}"
    if error["loc"]:
        return f"{field}: {error['msg']}"
    return error["msg"]  # a rule across fields, already a sentence naming them


def _range(model: type[BaseModel], name: str, ctx: dict) -> str:
    """'between -180 and 180', or one bound when the field has only one."""
    lo, hi = _bounds(model).get(name, (None, None))
    lo = ctx.get("ge", ctx.get("gt", lo)) if lo is None else lo
    hi = ctx.get("le", ctx.get("lt", hi)) if hi is None else hi
    if lo is not None and hi is not None:
        return f"between {_number(lo)} and {_number(hi)}"
    return f"at least {_number(lo)}" if lo is not None else f"at most {_number(hi)}"


@cache
def _bounds(model: type[BaseModel]) -> dict[str, tuple[float | None, float | None]]:
    """Each numeric field's (minimum, maximum), read from the model's own JSON schema (where
    they are whether the field is nullable, a list of numbers or a plain number)."""
    found = {}
    for name, schema in model.model_json_schema().get("properties", {}).items():
        for branch in (schema, schema.get("items", {}), *schema.get("anyOf", ())):
            if "minimum" in branch or "maximum" in branch:
                found[name] = (branch.get("minimum"), branch.get("maximum"))
                break
    return found


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"

"""The API answers what it documents: each JSON answer checked against the schema the OpenAPI
document gives for its operation and status.

The check is stricter than the document in one way: an object may not carry a field its
schema does not list. The document leaves response objects open (clients ignore fields they
do not know), but a field the API sends and does not document is a gap in the document.
"""

from __future__ import annotations

import copy
import re
from datetime import date, datetime

from jsonschema import Draft202012Validator, FormatChecker

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_zoned_time(value: object) -> bool:
    """ISO 8601 (RFC 3339) with a zone, as the API writes times."""
    if not isinstance(value, str):
        return True  # formats judge strings only; the type is the schema's business
    return datetime.fromisoformat(value).tzinfo is not None and "T" in value


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and bool(date.fromisoformat(value)))


class ContractBroken(AssertionError):
    """An answer the document does not describe."""


class Contract:
    """The operations of an OpenAPI document, to check answers against."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.components = _closed(copy.deepcopy(document["components"]))
        self.operations = [
            (method.upper(), re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", path) + "$"), op)
            for path, ops in document["paths"].items()
            for method, op in ops.items()
        ]
        self.checked: set[tuple[str, str]] = set()  # (operationId, status)

    def check(self, method: str, url: str, status: int, body: object) -> None:
        """Raise :class:`ContractBroken` unless the document has ``status`` for the operation
        at ``method url`` and ``body`` validates against its schema."""
        path = url.split("?", 1)[0]
        found = [op for m, pattern, op in self.operations if m == method and pattern.match(path)]
        if not found:
            raise ContractBroken(f"{method} {path} is not in the document")
        op = found[0]
        answer = op["responses"].get(str(status))
        if answer is None:
            raise ContractBroken(
                f"{method} {path} answered {status}; the document lists"
                f" {', '.join(op['responses'])} for {op['operationId']}"
            )
        schema = answer["content"]["application/json"]["schema"]
        validator = Draft202012Validator(
            {**schema, "components": self.components}, format_checker=FORMATS
        )
        problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if problems:
            listed = "; ".join(
                f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in problems[:5]
            )
            raise ContractBroken(f"{method} {path} {status} ({op['operationId']}): {listed}")
        self.checked.add((op["operationId"], str(status)))


def _closed(node: object) -> object:
    """Every object schema that lists its properties and says nothing of others made closed."""
    if isinstance(node, dict):
        for value in node.values():
            _closed(value)
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    elif isinstance(node, list):
        for value in node:
            _closed(value)
    return node

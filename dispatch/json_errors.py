"""The one JSON error answer of every HTTP door (API, map layers, video, pages):
``{"error": <snake_case code>, "field": <the input it is about, or null>, "detail": <a
sentence>}`` with a 4xx or 5xx status."""

from __future__ import annotations

from flask import Response, jsonify


def error_response(status: int, error: str, detail: str, *, field: str | None = None) -> Response:
    """The error answer; call inside a request."""
    response = jsonify({"error": error, "field": field, "detail": detail})
    response.status_code = status
    return response

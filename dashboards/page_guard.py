"""HTTP answers for page paths: ``/`` sends the user to their own page, a page their role may
not open answers 403, an unknown path 404, and an unknown ``/api/...`` path a JSON 404.

Dash serves its single-page app at ``/`` and at every other path (a catch-all); this wraps
those two views, so Dash's own routes, the layers, the video and the log-in are untouched. The
body of a 403 or 404 is still the app, whose router (:mod:`dashboards.pages.router`) shows the
refusal in the user's language with the header, so the user can go on to a page they may open.
"""

from __future__ import annotations

import dash
from flask import make_response, redirect, request, session
from werkzeug.exceptions import HTTPException

from dashboards.pages.site_map import landing_page, may_open, page_at
from dispatch.json_errors import error_response

API_PREFIX = "/api/"


def install_page_guard(app: dash.Dash) -> None:
    server = app.server
    prefix = app.config.routes_pathname_prefix
    # Dash names these endpoints after their rules; a KeyError here means Dash renamed them.
    for endpoint in (prefix, prefix + "<path:path>"):
        server.view_functions[endpoint] = _guarded(server.view_functions[endpoint])
    # More specific than Dash's catch-all, less than any real API route.
    server.add_url_rule(
        API_PREFIX + "<path:rest>",
        endpoint="api_not_found",
        view_func=api_not_found,
        methods=["GET", "POST"],
    )
    server.register_error_handler(405, _api_method_not_allowed)


def page_status(path: str, role: str | None) -> int:
    """200 for a page ``role`` may open, 403 for one it may not, 404 for no page."""
    page = page_at(path)
    if page is None:
        return 404
    return 200 if may_open(role, page) else 403


def api_not_found(rest: str = ""):
    detail = f"no such API resource: {request.method} {request.path}"
    return error_response(404, "not_found", detail)


def _guarded(serve_app):
    def view(*args, **kwargs):
        role = (session.get("user") or {}).get("role")
        if request.path == "/":
            return redirect(landing_page(role))
        response = make_response(serve_app(*args, **kwargs))
        response.status_code = page_status(request.path, role)
        return response

    return view


def _api_method_not_allowed(exc: HTTPException):
    if not request.path.startswith(API_PREFIX):
        return exc
    detail = f"{request.method} is not allowed on {request.path}"
    return error_response(405, "method_not_allowed", detail)

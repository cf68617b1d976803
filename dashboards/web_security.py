"""Browser-facing protections of the web app: no state change from another site (a request that
changes something and comes with an ``Origin`` other than our own is refused, so a page
elsewhere cannot use a logged-in user's cookie), and the headers that keep pages out of frames
and stop browsers from guessing content types."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, request

from dispatch.json_errors import error_response

#: Requests that may change something.
_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install_web_security(server: Flask) -> None:
    @server.before_request
    def refuse_other_origins():
        if request.method not in _CHANGING:
            return None
        origin = request.headers.get("Origin")
        if origin is None or (origin == "null" and not request.cookies):
            return None  # not a browser, or no cookie to abuse: the log-in or token decides
        if urlparse(origin).netloc != request.host:
            return error_response(
                403, "cross_origin", f"a request from {origin} may not change anything here"
            )
        return None

    @server.after_request
    def add_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

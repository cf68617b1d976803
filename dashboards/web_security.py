"""Browser-facing protections of the web app: no state change from another site (a request that
changes something and comes with an ``Origin`` other than our own is refused, so a page
elsewhere cannot use a logged-in user's cookie), and the headers that keep pages out of frames
and stop browsers from guessing content types.

The Content-Security-Policy lets the pages load scripts, data and fonts only from the app
itself. Dash's page carries one inline script (the renderer's start) and one per inline
client-side callback: they are allowed by their hashes (``Dash.csp_hashes``), computed once all
callbacks are registered, so no other inline script runs (no ``'unsafe-inline'`` for scripts,
no ``eval``). Styles may be inline: Plotly and Leaflet set them at run time. Images may also be
``data:``/``blob:`` (map icons, plot exports) and, when online tiles are on, the tile server's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlparse

from dash.exceptions import DependencyException
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


def content_security_policy(
    script_hashes: Sequence[str] = (), *, image_origins: Sequence[str] = ()
) -> str:
    """The policy of every response: only this origin, the inline scripts of ``script_hashes``
    and images from ``image_origins`` besides."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *image_origins],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # HLS cameras play through Media Source Extensions: the <video> reads a blob: URL.
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def origin_of(url: str) -> str:
    """``https://tile.example/{z}/{x}/{y}.png`` → ``https://tile.example``."""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def install_web_security(server: Flask, *, policy: Callable[[], str] | None = None) -> None:
    """``policy()`` gives the Content-Security-Policy, asked at the first response (when the
    app is complete) and kept; without it only ``frame-ancestors 'none'``."""
    headers = dict(SECURITY_HEADERS)
    policy_known = policy is None

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

    @server.errorhandler(DependencyException)
    def unknown_asset(exc):
        # Dash raises this for a file its packages do not serve (a probe for dash.py, a
        # misspelt bundle): nothing is broken, there is just no such file.
        return error_response(404, "not_found", f"no such file: {request.path}")

    @server.after_request
    def add_headers(response):
        nonlocal policy_known
        if not policy_known:
            headers["Content-Security-Policy"] = policy()
            policy_known = True
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

"""Log-in for the web pages: a small server-rendered form and a session cookie.

Every page and data route of the app needs a logged-in session; the health check, the JSON API
(which has its own bearer tokens), static assets and the log-in page itself do not. After
logging in, each role lands on its own page, or on the page it asked for (``?next=``) when its
role may open that one.
"""

from __future__ import annotations

import html
from math import ceil
from urllib.parse import quote, urlparse

from flask import Flask, redirect, request, session

from dashboards.i18n import LANGUAGES
from dashboards.pages.site_map import after_login
from dispatch.errors import TooManyAttempts, Unauthenticated
from dispatch.json_errors import error_response
from dispatch.sessions import verify_login
from dispatch.web_sessions import SessionStore

PUBLIC_PREFIXES = (
    "/login",
    "/logout",
    "/healthz",
    "/api/",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
)

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>燃气调度 · Gas dispatch — 登录 Log in</title>
<style>
body{{margin:0;background:#0b1016;color:#e6edf3;font:18px/1.4 system-ui,sans-serif;
display:flex;min-height:100vh;align-items:center;justify-content:center}}
form{{background:#111a24;padding:32px 40px;border:1px solid #2a3644;border-radius:8px;width:340px}}
h1{{font-size:22px;margin:0 0 20px}} label{{display:block;margin:14px 0 6px;color:#9fb0c0}}
input{{width:100%;box-sizing:border-box;padding:10px;font-size:18px;background:#0b1016;
color:#e6edf3;border:1px solid #2a3644;border-radius:4px}}
button{{margin-top:22px;width:100%;padding:12px;font-size:18px;background:#1f6feb;color:#fff;
border:0;border-radius:4px;cursor:pointer}} .error{{color:#ff7b72;margin-top:14px}}
</style></head><body>
<form method="post" action="/login?next={next}">
<h1>燃气调度中心<br><small>Gas dispatch control room</small></h1>
<label for="username">用户名 Username</label>
<input id="username" name="username" autocomplete="username" autofocus required>
<label for="password">密码 Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录 Log in</button>{error}
</form></body></html>"""


def install_login(
    server: Flask,
    dsn: str,
    *,
    secret_key: str,
    sessions: SessionStore,
    secure_cookies: bool = False,
) -> None:
    server.secret_key = secret_key
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,  # web.secure_cookies: only over HTTPS
    )

    @server.before_request
    def require_login():
        if request.path.startswith(PUBLIC_PREFIXES) or _live(sessions):
            return None
        if request.method == "GET" and request.accept_mimetypes.accept_html:
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'))}")
        return error_response(401, "unauthenticated", "log in at /login first")

    @server.route("/login", methods=["GET", "POST"])
    def login():
        target = _safe_next(request.args.get("next", "/"))
        if request.method == "GET":
            return _page(target)
        try:
            actor = verify_login(
                dsn,
                request.form.get("username", ""),
                request.form.get("password", ""),
                client=request.remote_addr or "unknown",
            )
        except TooManyAttempts as exc:
            wait = ceil(exc.retry_after_s)
            message = (
                f"登录失败次数过多，请 {wait} 秒后再试 Too many failed log-ins: try in {wait} s"
            )
            return _page(target, message), 429, {"Retry-After": str(wait)}
        except Unauthenticated:
            return _page(target, "用户名或密码错误 Wrong username or password"), 401
        session.clear()
        session["sid"] = sessions.open(actor.username)
        session["user"] = {"username": actor.username, "role": actor.role, "crew_id": actor.crew_id}
        return redirect(after_login(actor.role, target))

    @server.route("/lang/<code>")
    def choose_language(code: str):
        # The language is a per-user preference kept in the session cookie; the page's
        # layout is fetched by a background request that cannot see the page's URL.
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(_safe_next(request.args.get("next", "/")))

    @server.route("/logout")
    def logout():
        if "sid" in session:
            sessions.end(session["sid"])
        session.clear()
        return redirect("/login")


def _live(sessions: SessionStore) -> bool:
    """The cookie names a session that the database still holds live (else it is dropped:
    ended by a log-out, expired, or from before sessions were kept)."""
    if "user" not in session:
        return False
    if "sid" in session and sessions.is_live(session["sid"], session["user"]["username"]):
        return True
    session.clear()
    return False


def _page(target: str, error: str | None = None) -> str:
    message = f'<div class="error" role="alert">{html.escape(error)}</div>' if error else ""
    return _PAGE.format(next=quote(target), error=message)


def _safe_next(target: str) -> str:
    """Only paths on this server: a log-in must not bounce the user to another site."""
    parsed = urlparse(target)
    # Browsers read a backslash as a slash: "/\evil.example" would leave this server.
    if parsed.scheme or parsed.netloc or not target.startswith("/") or "\\" in target:
        return "/"
    return target

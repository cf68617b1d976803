"""The call-back desk's callbacks: another door to :mod:`dispatch.callback_service` and
:mod:`dispatch.callback_desk_service`, checking the same permissions as the API. No SQL."""

from __future__ import annotations

from datetime import UTC, date

from dash import Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import desk_ids as ids
from dashboards.i18n import MISSING, t, ticket_type_label
from dashboards.pages.callback_desk import callback_desk_page
from dispatch import auth, callback_desk_service, callback_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, Unauthenticated


def build_callback_desk(api, lang: str, user: dict | None) -> html.Div:
    return callback_desk_page(lang, user, today=api.clock().astimezone(UTC).date())


def actor_for(user: dict | None, action: str) -> Actor:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def sample_view(api, user, lang: str, day: str) -> tuple:
    """The day's calls as a table, and the pending ones to pick from."""
    actor = actor_for(user, "callbacks.list")
    with api.uow() as uow:
        listed = callback_service.list_callbacks(uow, date.fromisoformat(day[:10]), actor)
    calls = listed["callbacks"]
    if not listed["drawn"]:
        return html.P(t("cb.not_drawn", lang), className="desk-empty"), []
    if not calls:
        return html.P(t("cb.none", lang), className="desk-empty"), []
    heads = ("number", "type", "staff", "customer", "phone", "status", "scores", "charge")
    rows = [_call_row(c, lang) for c in calls]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(f"cb.col.{h}", lang)) for h in heads])), html.Tbody(rows)],
        className="desk-table cb-table",
    )
    options = [
        {
            "label": f"{c['number']} · {ticket_type_label(c['type'], lang)}"
            + (f" · {t('cb.must_call', lang)}" if c["must_call"] else ""),
            "value": c["id"],
        }
        for c in calls
        if c["status"] != "done"
    ]
    return table, options


def _call_row(c: dict, lang: str) -> html.Tr:
    scores = MISSING if c["attitude"] is None else f"{c['attitude']} / {c['skill']}"
    if c["charge_made"] is None:
        charge = MISSING
    else:
        charge = t("cb.charged_yes" if c["charge_made"] else "cb.charged_no", lang)
        if c["charge_amount"] is not None:
            charge += f" ¥{c['charge_amount']}"
    charge_cell = html.Td(
        [charge, html.Span(" ⚠ " + t("cb.mismatch", lang), className="desk-flag")]
        if c["charge_mismatch"]
        else charge
    )
    status = t(f"cb.status.{c['status']}", lang)
    if c["must_call"]:
        status = [status, html.Span(" · " + t("cb.must_call", lang), className="desk-flag")]
    return html.Tr(
        [
            html.Td(c["number"]),
            html.Td(ticket_type_label(c["type"], lang)),
            html.Td(", ".join(c["staff"]) or c["worker"]),
            html.Td(c.get("customer_name") or MISSING),
            html.Td(c.get("customer_phone") or MISSING),
            html.Td(status),
            html.Td(scores, className="num"),
            charge_cell,
        ],
        **{"data-callback": str(c["id"]), "data-status": c["status"]},
    )


def script_view(api, user, lang: str, day: str, callback_id) -> html.Div | str:
    if not callback_id:
        return ""
    actor = actor_for(user, "callbacks.list")
    with api.uow() as uow:
        listed = callback_service.list_callbacks(uow, date.fromisoformat(day[:10]), actor)
    call = next((c for c in listed["callbacks"] if c["id"] == callback_id), None)
    if call is None:
        return ""
    lines = callback_desk_service.script(
        lang,
        job=ticket_type_label(call["type"], lang),
        number=call["number"],
        day=(call["finished_at"] or "")[:10],
    )
    who = f"{call.get('customer_name') or MISSING} · {call.get('customer_phone') or MISSING}"
    return html.Div(
        [
            html.P([html.Strong(t("cb.call_whom", lang)), " ", who, " · ", call["address"] or ""]),
            html.Ol([html.Li(line) for line in lines], className="desk-script-lines"),
            html.P(t("cb.no_leading", lang), className="desk-hint"),
        ]
    )


def record(api, user, lang: str, callback_id, answer: dict) -> tuple:
    """Store the answer; the result line says what followed (re-opened, follow-up, charge
    mismatch), or why it was refused."""
    if not callback_id:
        return t("cb.pick_first", lang), no_update
    try:
        actor = actor_for(user, "callbacks.record")
        with api.uow() as uow:
            result = callback_service.record_callback(
                uow, int(callback_id), answer, actor, api.clock()
            )
    except DispatchError as exc:
        return html.Span(exc.detail, className="desk-error", role="alert"), no_update
    view = result["callback"]
    parts = [t("cb.saved", lang)]
    if result["reopened"]:
        parts.append(t("cb.reopened", lang))
    if result["follow_up"]:
        parts.append(t("cb.follow_up_opened", lang))
    if view["charge_mismatch"]:
        parts.append(t("cb.mismatch_detail", lang, recorded=view["charge_recorded"] or "0.00"))
    return html.Span(" · ".join(parts), className="desk-ok"), 1


def _whole(value):
    """A number typed in a field as an int when it is whole (the browser may send 9.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def answer_from_form(attitude, skill, attire, punctuality, charged, amount, issues) -> dict:
    answer = {
        "attitude": _whole(attitude),
        "skill": _whole(skill),
        "attire": attire,
        "punctuality": punctuality,
        "issues": issues or "",
    }
    if charged in ("yes", "no"):
        answer["charge_made"] = charged == "yes"
        if charged == "yes" and amount not in (None, ""):
            answer["charge_amount"] = amount
    return answer


def follow_ups_view(api, user, lang: str) -> tuple:
    actor_for(user, "callbacks.follow_ups")
    with api.uow() as uow:
        follow_ups = callback_desk_service.list_follow_ups(uow)
    if not follow_ups:
        return html.P(t("cb.no_follow_ups", lang), className="desk-empty"), []
    heads = ("number", "staff", "attire", "punctuality", "fu_status", "employees")
    rows = [
        html.Tr(
            [
                html.Td(f["number"]),
                html.Td(", ".join(f["staff"])),
                html.Td(t(f"cb.rating.{f['attire']}", lang) if f["attire"] else MISSING),
                html.Td(t(f"cb.rating.{f['punctuality']}", lang) if f["punctuality"] else MISSING),
                html.Td(t(f"cb.fu.{f['status']}", lang)),
                html.Td(", ".join(f["employees"]) or MISSING),
            ],
            **{"data-follow-up": str(f["id"]), "data-status": f["status"]},
        )
        for f in follow_ups
    ]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(f"cb.col.{h}", lang)) for h in heads])), html.Tbody(rows)],
        className="desk-table cb-fu-table",
    )
    options = [
        {"label": f"{f['number']} · {', '.join(f['staff'])}", "value": f["id"]}
        for f in follow_ups
        if f["status"] == "open"
    ]
    return table, options


def appraisal_view(api, user, lang: str) -> html.Div:
    actor_for(user, "callbacks.report")
    today = api.clock().astimezone(UTC).date()
    since = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    with api.uow() as uow:
        report = callback_desk_service.appraisal(uow, since, today)
    if not report["employees"]:
        return html.P(t("cb.no_appraisal", lang), className="desk-empty")
    heads = ("employee", "name", "crew", "confirmed", "attire", "punctuality")
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"cb.col.{h}", lang)) for h in heads])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(e["employee_no"]),
                            html.Td(e["name"] or MISSING),
                            html.Td(e["crew"] or MISSING),
                            html.Td(e["confirmed"], className="num"),
                            html.Td(e["attire"], className="num"),
                            html.Td(e["punctuality"], className="num"),
                        ],
                        **{"data-employee": e["employee_no"]},
                    )
                    for e in report["employees"]
                ]
            ),
        ],
        className="desk-table cb-appraisal-table",
    )


def register_callback_desk_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.CB_LIST, "children"),
        Output(ids.CB_PICK, "options"),
        Input(ids.CB_DATE, "date"),
        Input(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
    )
    def _sample(day, _version, lang):
        if not day:
            return no_update, no_update
        try:
            return sample_view(api, session.get("user"), lang, day)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), []

    @app.callback(
        Output(ids.CB_VERSION, "data", allow_duplicate=True),
        Output(ids.CB_NOTICE, "children"),
        Input(ids.CB_DRAW, "n_clicks"),
        State(ids.CB_DATE, "date"),
        State(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
        prevent_initial_call=True,
    )
    def _draw(n_clicks, day, version, lang):
        if not n_clicks or not day:
            return no_update, no_update
        try:
            actor = actor_for(session.get("user"), "callbacks.draw")
            day_ = date.fromisoformat(day[:10])
            with api.uow() as uow:
                drawn = callback_service.draw_daily_callbacks(
                    uow, day_, int(day_.strftime("%Y%m%d")), actor, now=api.clock()
                )
        except DispatchError as exc:
            return no_update, html.Span(exc.detail, role="alert")
        key = "cb.drawn_before" if drawn["already_drawn"] else "cb.drawn"
        return (version or 0) + 1, t(key, lang, n=len(drawn["callbacks"]))

    @app.callback(
        Output(ids.CB_SCRIPT, "children"),
        Input(ids.CB_PICK, "value"),
        State(ids.CB_DATE, "date"),
        State(ids.CB_LANG, "data"),
    )
    def _script(callback_id, day, lang):
        try:
            return script_view(api, session.get("user"), lang, day or "", callback_id)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert")

    @app.callback(
        Output(ids.CB_RESULT, "children"),
        Output(ids.CB_VERSION, "data", allow_duplicate=True),
        Input(ids.CB_SAVE, "n_clicks"),
        Input(ids.CB_UNREACHABLE, "n_clicks"),
        State(ids.CB_PICK, "value"),
        State(ids.CB_ATTITUDE, "value"),
        State(ids.CB_SKILL, "value"),
        State(ids.CB_ATTIRE, "value"),
        State(ids.CB_PUNCTUALITY, "value"),
        State(ids.CB_CHARGED, "value"),
        State(ids.CB_AMOUNT, "value"),
        State(ids.CB_ISSUES, "value"),
        State(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
        prevent_initial_call=True,
    )
    def _record(_save, _unreachable, callback_id, att, skill, attire, punct, charged, amount,
                issues, version, lang):  # fmt: skip
        if ctx.triggered_id == ids.CB_UNREACHABLE:
            answer = {"status": "unreachable", "issues": issues or ""}
        else:
            answer = answer_from_form(att, skill, attire, punct, charged, amount, issues)
        text, bumped = record(api, session.get("user"), lang, callback_id, answer)
        return text, no_update if bumped is no_update else (version or 0) + 1

    @app.callback(
        Output(ids.CB_FOLLOW_UPS, "children"),
        Output(ids.CB_APPRAISAL, "children"),
        Input(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
    )
    def _follow_ups(_version, lang):
        user = session.get("user")
        try:
            table, _options = follow_ups_view(api, user, lang)
            return table, appraisal_view(api, user, lang)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), no_update

    @app.callback(
        Output(ids.CB_FU_PICK, "options"),
        Input(ids.CB_FU_PICK, "id"),
        Input(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
    )
    def _follow_up_options(_id, _version, lang):
        try:
            return follow_ups_view(api, session.get("user"), lang)[1]
        except DispatchError:
            return []

    @app.callback(
        Output(ids.CB_FU_NOTICE, "children"),
        Output(ids.CB_VERSION, "data", allow_duplicate=True),
        Input(ids.CB_FU_CONFIRM, "n_clicks"),
        Input(ids.CB_FU_REJECT, "n_clicks"),
        State(ids.CB_FU_PICK, "value"),
        State(ids.CB_VERSION, "data"),
        State(ids.CB_LANG, "data"),
        prevent_initial_call=True,
    )
    def _decide(_confirm, _reject, follow_up_id, version, lang):
        if not follow_up_id:
            return t("cb.fu_pick", lang), no_update
        decision = "confirmed" if ctx.triggered_id == ids.CB_FU_CONFIRM else "rejected"
        try:
            actor = actor_for(session.get("user"), "callbacks.decide_follow_up")
            with api.uow() as uow:
                callback_desk_service.decide_follow_up(
                    uow, int(follow_up_id), {"decision": decision}, actor, api.clock()
                )
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), no_update
        return t(f"cb.fu.{decision}", lang), (version or 0) + 1

"""The complaint desk's callbacks: another door to :mod:`dispatch.complaint_service` and
:mod:`dispatch.complaint_stats_service`, checking the same permissions as the API. No SQL."""

from __future__ import annotations

from dash import Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import desk_ids as ids
from dashboards.callback_desk_callbacks import actor_for
from dashboards.i18n import MISSING, t
from dashboards.pages.complaint_desk import complaint_desk_page
from dispatch import complaint_service, complaint_stats_service
from dispatch.complaint_model import FAULT_CLASSES
from dispatch.errors import DispatchError

CLASS_COLUMNS = (*FAULT_CLASSES, "unclassified")


def build_complaint_desk(api, lang: str, user: dict | None) -> html.Div:
    return complaint_desk_page(lang, user, today=api.clock().date())


def _when(iso: str | None) -> str:
    return MISSING if not iso else f"{iso[:10]} {iso[11:16]}"


def open_view(api, user, lang: str) -> tuple:
    """The open complaints, the options to pick one, and the alarm of overdue ones."""
    actor = actor_for(user, "complaints.list")
    with api.uow() as uow:
        rows = complaint_service.list_complaints(uow, actor, api.clock(), open_only=True)
    overdue = [c for c in rows if c["overdue"]]
    alarm = (
        html.Div(
            t(
                "cp.alarm_overdue",
                lang,
                n=len(overdue),
                ids=", ".join(f"#{c['id']}" for c in overdue),
            ),
            className="desk-alarm",
            role="alert",
        )
        if overdue
        else None
    )
    if not rows:
        return html.P(t("cp.none_open", lang), className="desk-empty"), [], alarm
    heads = ("id", "channel", "level", "class", "department", "status", "due")
    body = [
        html.Tr(
            [
                html.Td(f"#{c['id']}"),
                html.Td(t(f"cp.channel.{c['channel']}", lang)),
                html.Td(t(f"cp.level.{c['level']}", lang)),
                html.Td(c["fault_class"] or MISSING),
                html.Td(c["department"] or MISSING),
                html.Td(t(f"cp.status.{c['status']}", lang)),
                html.Td(
                    _when(c["reply_due_at"]),
                    className="desk-overdue" if c["overdue"] else None,
                ),
            ],
            **{"data-complaint": str(c["id"]), "data-level": str(c["level"])},
        )
        for c in rows
    ]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(f"cp.col.{h}", lang)) for h in heads])), html.Tbody(body)],
        className="desk-table cp-table",
    )
    options = [
        {"label": f"#{c['id']} · " + t("cp.status." + c["status"], lang), "value": c["id"]}
        for c in rows
    ]
    return table, options, alarm


def detail_view(api, user, lang: str, complaint_id) -> html.Div | str:
    if not complaint_id:
        return ""
    actor = actor_for(user, "complaints.get")
    with api.uow() as uow:
        c = complaint_service.get_complaint(uow, int(complaint_id), actor, api.clock())
    facts = [
        ("cp.col.status", t(f"cp.status.{c['status']}", lang)),
        ("cp.col.level", t(f"cp.level.{c['level']}", lang)),
        ("cp.col.due", _when(c["reply_due_at"])),
        ("cp.col.department", c["department"] or MISSING),
        ("cp.name", c["customer_name"] or MISSING),
        ("cp.phone", c["customer_phone"] or MISSING),
        ("cp.description", c["description"]),
        ("cp.reply_text", c["reply"] or MISSING),
    ]
    notes = [
        html.Li(f"{_when(n['at'])} · {n['author']}: {n['text']}", className="cp-note")
        for n in c["notes"]
    ]
    return html.Div(
        [
            html.Dl([part for k, v in facts for part in (html.Dt(t(k, lang)), html.Dd(v))]),
            html.H4(t("cp.notes_title", lang)),
            html.Ul(notes) if notes else html.P(t("cp.no_notes", lang), className="desk-empty"),
        ],
        **{"data-complaint": str(c["id"]), "data-status": c["status"]},
    )


def act(api, user, lang: str, which: str, complaint_id, text: str | None) -> str | html.Span:
    """Take the step ``which`` (a button id) on the picked complaint with ``text``."""
    if not complaint_id:
        return t("cp.pick_first", lang)
    actor = actor_for(user, "complaints.handle")
    cid, now = int(complaint_id), api.clock()
    steps = {
        ids.CP_ROUTE: lambda uow: complaint_service.dispatch_complaint(uow, cid, text, actor, now),
        ids.CP_INVESTIGATE: lambda uow: complaint_service.investigate(uow, cid, actor, now),
        ids.CP_NOTE: lambda uow: complaint_service.add_note(uow, cid, text, actor, now),
        ids.CP_REPLY: lambda uow: complaint_service.reply(uow, cid, text, actor, now),
        ids.CP_CALLBACK: lambda uow: complaint_service.record_complaint_callback(
            uow, cid, text, actor, now
        ),
        ids.CP_CLOSE: lambda uow: complaint_service.close_complaint(uow, cid, actor, now),
        ids.CP_ESCALATE: lambda uow: complaint_service.escalate(uow, cid, text, actor, now),
    }
    with api.uow() as uow:
        steps[which](uow)
    return t("cp.done", lang)


def intake(api, user, lang: str, fields: dict) -> tuple:
    actor = actor_for(user, "complaints.create")
    body = {k: v for k, v in fields.items() if v not in (None, "")}
    if not body.get("level"):  # 0: from the channel
        body.pop("level", None)
    with api.uow() as uow:
        c = complaint_service.open_complaint(
            uow, body, actor, api.clock(), working_days=api.settings.policy.reply_working_days
        )
    return t(
        "cp.taken_in",
        lang,
        id=c["id"],
        level=t(f"cp.level.{c['level']}", lang),
        due=_when(c["reply_due_at"]),
    )


def stats_view(api, user, lang: str, year: int, quarter: int) -> html.Div:
    actor_for(user, "complaints.stats")
    with api.uow() as uow:
        s = complaint_stats_service.quarterly_statistics(uow, int(year), int(quarter))

    def table(title_key, counts_by_name, css):
        heads = [t("cp.col.name", lang), t("cp.col.total", lang)] + [
            t(f"cp.class.{c}", lang) if c != "unclassified" else t("cp.class_none", lang)
            for c in CLASS_COLUMNS
        ]
        rows = [
            html.Tr(
                [html.Td(name), html.Td(sum(counts.values()), className="num")]
                + [html.Td(counts[c], className="num") for c in CLASS_COLUMNS],
                **{"data-name": name},
            )
            for name, counts in counts_by_name.items()
        ]
        return html.Div(
            [
                html.H4(t(title_key, lang)),
                html.Table(
                    [html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(rows)],
                    className=f"desk-table {css}",
                )
                if rows
                else html.P(MISSING),
            ]
        )

    return html.Div(
        [
            html.P(
                t(
                    "cp.stats_summary",
                    lang,
                    total=s["total"],
                    closed=s["closed"],
                    late=s["replied_late"],
                    open=s["unreplied"],
                ),
                className="cp-stats-summary",
            ),
            table("cp.by_class", {t("cp.col.all", lang): s["by_fault_class"]}, "cp-by-class"),
            table("cp.by_department", s["by_department_and_class"], "cp-by-department"),
            table("cp.by_worker", s["by_worker_and_class"], "cp-by-worker"),
        ]
    )


def register_complaint_desk_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.CP_LIST, "children"),
        Output(ids.CP_PICK, "options"),
        Output(ids.CP_ALARM, "children"),
        Input(ids.CP_VERSION, "data"),
        State(ids.CP_LANG, "data"),
    )
    def _open(_version, lang):
        try:
            return open_view(api, session.get("user"), lang)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), [], None

    @app.callback(
        Output(ids.CP_DETAIL, "children"),
        Input(ids.CP_PICK, "value"),
        Input(ids.CP_VERSION, "data"),
        State(ids.CP_LANG, "data"),
    )
    def _detail(complaint_id, _version, lang):
        try:
            return detail_view(api, session.get("user"), lang, complaint_id)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert")

    @app.callback(
        Output(ids.CP_INTAKE_NOTICE, "children"),
        Output(ids.CP_VERSION, "data", allow_duplicate=True),
        Input(ids.CP_SUBMIT, "n_clicks"),
        State(ids.CP_CHANNEL, "value"),
        State(ids.CP_LEVEL, "value"),
        State(ids.CP_CLASS, "value"),
        State(ids.CP_DEPARTMENT, "value"),
        State(ids.CP_WORKER, "value"),
        State(ids.CP_NAME, "value"),
        State(ids.CP_PHONE, "value"),
        State(ids.CP_ACCOUNT, "value"),
        State(ids.CP_DESCRIPTION, "value"),
        State(ids.CP_VERSION, "data"),
        State(ids.CP_LANG, "data"),
        prevent_initial_call=True,
    )
    def _intake(n, channel, level, fault_class, department, worker, name, phone, account,
                description, version, lang):  # fmt: skip
        if not n:
            return no_update, no_update
        fields = {
            "channel": channel,
            "level": level,
            "fault_class": fault_class,
            "department": department,
            "worker": worker,
            "customer_name": name,
            "customer_phone": phone,
            "account_no": account,
            "description": description,
        }
        try:
            return intake(api, session.get("user"), lang, fields), (version or 0) + 1
        except DispatchError as exc:
            return html.Span(exc.detail, className="desk-error", role="alert"), no_update

    @app.callback(
        Output(ids.CP_ACTION_NOTICE, "children"),
        Output(ids.CP_VERSION, "data", allow_duplicate=True),
        Input(ids.CP_ROUTE, "n_clicks"),
        Input(ids.CP_INVESTIGATE, "n_clicks"),
        Input(ids.CP_NOTE, "n_clicks"),
        Input(ids.CP_REPLY, "n_clicks"),
        Input(ids.CP_CALLBACK, "n_clicks"),
        Input(ids.CP_CLOSE, "n_clicks"),
        Input(ids.CP_ESCALATE, "n_clicks"),
        State(ids.CP_PICK, "value"),
        State(ids.CP_TEXT, "value"),
        State(ids.CP_VERSION, "data"),
        State(ids.CP_LANG, "data"),
        prevent_initial_call=True,
    )
    def _act(*args):
        complaint_id, text, version, lang = args[-4:]
        if ctx.triggered_id is None or not any(args[:7]):
            return no_update, no_update
        try:
            message = act(api, session.get("user"), lang, ctx.triggered_id, complaint_id, text)
        except DispatchError as exc:
            return html.Span(exc.detail, className="desk-error", role="alert"), no_update
        return message, (version or 0) + 1

    @app.callback(
        Output(ids.CP_STATS, "children"),
        Input(ids.CP_YEAR, "value"),
        Input(ids.CP_QUARTER, "value"),
        Input(ids.CP_VERSION, "data"),
        State(ids.CP_LANG, "data"),
    )
    def _stats(year, quarter, _version, lang):
        if not year or not quarter:
            return no_update
        try:
            return stats_view(api, session.get("user"), lang, year, quarter)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert")

    @app.callback(
        Output(ids.CP_DOWNLOAD, "data"),
        Input(ids.CP_CSV, "n_clicks"),
        State(ids.CP_YEAR, "value"),
        State(ids.CP_QUARTER, "value"),
        prevent_initial_call=True,
    )
    def _csv(n, year, quarter):
        if not n:
            return no_update
        actor_for(session.get("user"), "complaints.stats")
        with api.uow() as uow:
            s = complaint_stats_service.quarterly_statistics(uow, int(year), int(quarter))
        return {
            "content": "\ufeff" + complaint_stats_service.statistics_csv(s),
            "filename": f"complaints-{year}-Q{quarter}.csv",
            "type": "text/csv",
        }

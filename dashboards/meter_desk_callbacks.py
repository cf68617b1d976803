"""The meter desk's callbacks: another door to :mod:`dispatch.meter_service`, checking the same
permissions as the API. No SQL. The approve and reject buttons of a waiting adjustment are drawn
only for the user who may sign its next step (:func:`dispatch.meter_approvals.may_sign`); a
refusal from the service is shown in a warning box."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import desk_ids as ids
from dashboards.i18n import MISSING, format_clock, role_label, t
from dashboards.pages.meter_desk import ANY, meter_desk_page
from dispatch import auth, meter_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, InvalidInput, Unauthenticated
from dispatch.meter_approvals import may_sign
from dispatch.settings import current


def build_meter_desk(api, lang: str, user: dict | None) -> html.Div:
    return meter_desk_page(lang, user, today=api.clock().astimezone(UTC).date())


def actor_for(user: dict | None, action: str) -> Actor:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def warning(text: str) -> html.Div:
    return html.Div(text, className="desk-warning", role="alert")


def volume_text(volume: float | None, lang: str) -> str:
    """1200.0 → "1,200 方" / "1,200 m³" (thousands grouped, no trailing zeros)."""
    if volume is None:
        return MISSING
    number = f"{volume:,.3f}".rstrip("0").rstrip(".")
    return t("md.volume_m3", lang, v=number)


def percent(rate: float | None) -> str:
    return MISSING if rate is None else f"{rate * 100:.2f}%"


# --- the month's figures -------------------------------------------------------------------------


def figures_view(api, user, lang: str, month: str) -> html.Div:
    actor = actor_for(user, "meters.figures")
    with api.uow() as uow:
        f = meter_service.month_figures(uow, actor, date.fromisoformat(month[:10]))

    def tile(key: str, value: str, name: str) -> html.Div:
        return html.Div(
            [html.Div(value, className="md-figure-value"), html.Div(t(key, lang))],
            className="md-figure",
            **{"data-figure": name},
        )

    kinds = list(f["tasks"])
    return html.Div(
        [
            html.Div(
                [
                    tile("md.read_rate", percent(f["read_rate"]), "read_rate"),
                    tile("md.read_of_due", f"{f['read']:,} / {f['due']:,}", "read_of_due"),
                    tile("md.missed", f"{f['missed']:,}", "missed"),
                ],
                className="md-figures",
            ),
            html.P(f"{t('md.reading_day', lang)}: {f['reading_day']}", className="desk-empty"),
            html.Table(
                [
                    html.Thead(
                        html.Tr(
                            [html.Th(t("md.tasks_by_kind", lang))]
                            + [html.Th(t(f"md.kind.{k}", lang)) for k in kinds]
                        )
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [html.Th(t(f"md.{which}", lang))]
                                + [html.Td(f["tasks"][k][which], className="num") for k in kinds],
                                **{"data-count": which},
                            )
                            for which in ("of_month", "open")
                        ]
                    ),
                ],
                className="desk-table md-kinds",
            ),
        ]
    )


# --- the task list -------------------------------------------------------------------------------


def tasks_view(api, user, lang: str, kind: str, status: str, limit) -> html.Div:
    actor = actor_for(user, "meters.tasks")
    limit = int(limit or 50)
    with api.uow() as uow:
        tasks = meter_service.list_tasks(
            uow,
            actor,
            kind=None if kind in (None, ANY) else kind,
            status=None if status in (None, ANY) else status,
            limit=limit + 1,  # one more: whether the list was cut
        )
    if not tasks:
        return html.P(t("md.no_tasks", lang), className="desk-empty")
    heads = ("meter", "account", "kind", "month", "use", "detail", "status")
    rows = [
        html.Tr(
            [
                # data-label: a phone shows each row as a card of labelled values
                html.Td(value, className=css, **{"data-label": t(f"md.col.{head}", lang)})
                for head, value, css in (
                    ("meter", x["meter_no"], "md-nowrap"),
                    ("account", x["account_no"], "md-nowrap"),
                    ("kind", t(f"md.kind.{x['kind']}", lang), None),
                    ("month", x["month"], "md-nowrap"),
                    ("use", _use(x["consumption_m3"]), "num"),
                    ("detail", detail_text(x["detail"], lang), None),
                    ("status", t(f"md.task.{x['status']}", lang), None),
                )
            ],
            **{"data-task": str(x["id"]), "data-kind": x["kind"], "data-status": x["status"]},
        )
        for x in tasks[:limit]
    ]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(f"md.col.{h}", lang)) for h in heads])), html.Tbody(rows)],
        className="desk-table md-task-table",
    )
    if len(tasks) > limit:
        return html.Div([table, html.P(t("md.more_tasks", lang, n=limit), className="desk-empty")])
    return table


def detail_text(detail: str | None, lang: str) -> str:
    """A task's detail in the page's language (the scan writes "N months at zero")."""
    found = re.fullmatch(r"(\d+) months at zero", detail or "")
    return t("md.zero_months", lang, n=int(found[1])) if found else detail or ""


def _use(m3: float | None) -> str:
    return MISSING if m3 is None else f"{m3:,.1f}"


# --- refunds and top-ups -------------------------------------------------------------------------


def chain_steps(adjustment: dict) -> list[dict]:
    """The chain of approvals of an adjustment, one entry per required role in order: its
    ``state`` is ``approved`` / ``rejected`` (signed: ``by``, ``at``), ``next`` (the step
    waiting for its signer) or ``later``."""
    signed = {a["step"]: a for a in adjustment["approvals"]}
    steps = []
    for number, role in enumerate(adjustment["required_roles"], start=1):
        done = signed.get(number)
        if done is not None:
            state = done["decision"]
        elif adjustment["status"] == "pending" and number == len(signed) + 1:
            state = "next"
        else:
            state = "later"
        steps.append(
            {
                "step": number,
                "role": role,
                "state": state,
                "by": done["by"] if done else None,
                "at": done["at"] if done else None,
            }
        )
    return steps


def may_decide(user: dict | None, adjustment: dict) -> bool:
    """Whether ``user`` signs the adjustment's next step (the buttons are drawn for them only)."""
    user = user or {}
    return auth.allows(user.get("role"), "meters.approve") and may_sign(
        adjustment["status"],
        adjustment["required_roles"],
        [{"decided_by": a["by"]} for a in adjustment["approvals"]],
        role=user.get("role"),
        username=user.get("username"),
        requested_by=adjustment["requested_by"],
    )


def _when(iso: str | None, lang: str) -> str:
    if not iso:
        return MISSING
    return format_clock(
        datetime.fromisoformat(iso), current().territory.timezone, lang, with_date=True
    )


def _step_item(step: dict, lang: str) -> html.Li:
    role = role_label(step["role"], lang)
    if step["state"] in ("approved", "rejected"):
        mark = "✓" if step["state"] == "approved" else "✗"
        said = t("md." + step["state"], lang)
        body = [
            html.Span(f"{mark} {role}", className="md-step-role"),
            html.Span(
                f"{said} · {step['by']} · {_when(step['at'], lang)}",
                className="md-step-who",
            ),
        ]
    else:
        body = [
            html.Span(role, className="md-step-role"),
            html.Span(t(f"md.step_{step['state']}", lang), className="md-step-who"),
        ]
    return html.Li(
        body,
        className=f"md-step md-step-{step['state']}",
        **{"data-step": str(step["step"]), "data-state": step["state"], "data-role": step["role"]},
    )


def adjustment_card(a: dict, user: dict | None, lang: str) -> html.Article:
    direction = t("md.dir." + a["direction"], lang)
    head = (
        f"#{a['id']} · {direction} · {volume_text(a['volume_m3'], lang)}"
        f" · {t('md.col.meter', lang)} {a.get('meter_no') or a['meter_id']}"
    )
    parts: list = [
        html.Div(html.Strong(head), className="md-adj-head"),
        html.P(a["reason"], className="md-adj-reason"),
        html.P(
            f"{t('md.requested_by', lang)}: {a['requested_by']}"
            f" ({role_label(a['requested_role'], lang)}) · {_when(a['requested_at'], lang)}",
            className="desk-empty",
        ),
    ]
    if a["next_role"]:
        parts.append(
            html.P(
                t("md.waits_for", lang, role=role_label(a["next_role"], lang)),
                className="desk-flag md-waits",
            )
        )
    parts.append(html.Ol([_step_item(s, lang) for s in chain_steps(a)], className="md-chain"))
    if may_decide(user, a):
        parts.append(
            html.Div(
                [
                    html.Button(
                        t("md.approve", lang),
                        id={"type": ids.MD_DECIDE, "adjustment": a["id"], "decision": "approved"},
                        className="desk-btn md-approve",
                    ),
                    html.Button(
                        t("md.reject", lang),
                        id={"type": ids.MD_DECIDE, "adjustment": a["id"], "decision": "rejected"},
                        className="desk-btn desk-btn-2 md-reject",
                    ),
                ],
                className="desk-bar",
            )
        )
    return html.Article(
        parts,
        className="md-adj",
        **{"data-adjustment": str(a["id"]), "data-next-role": a["next_role"] or ""},
    )


def adjustments_view(api, user, lang: str) -> html.Div:
    actor = actor_for(user, "meters.adjustments")
    with api.uow() as uow:
        waiting = meter_service.list_adjustments(uow, actor, status="pending")
    if not waiting:
        return html.P(t("md.no_waiting", lang), className="desk-empty")
    return html.Div([adjustment_card(a, user, lang) for a in waiting])


def request(api, user, lang: str, meter: str | None, direction, volume, reason) -> tuple:
    """Request a refund or top-up; the notice names who signs first, or the refusal."""
    try:
        actor = actor_for(user, "meters.adjust")
        if volume in (None, ""):
            raise InvalidInput("`volume_m3`: the volume in m³ is required", "volume_m3")
        with api.uow() as uow:
            found = meter_service.meter_numbered(uow, meter or "", actor)
            made = meter_service.request_adjustment(
                uow,
                {
                    "meter_id": found["id"],
                    "direction": direction,
                    "volume_m3": volume,
                    "reason": reason,
                },
                actor,
                api.clock(),
            )
    except DispatchError as exc:
        return warning(exc.detail), no_update
    text = t("md.requested", lang, id=made["id"], role=role_label(made["next_role"], lang))
    return html.Span(text, className="desk-ok"), made["id"]


def decide(api, user, lang: str, adjustment_id: int, decision: str) -> tuple:
    try:
        actor = actor_for(user, "meters.approve")
        with api.uow() as uow:
            meter_service.decide_adjustment(
                uow, adjustment_id, {"decision": decision}, actor, api.clock()
            )
    except DispatchError as exc:
        return warning(exc.detail), True  # redrawn: the list shows who signs now
    text = t(f"md.decided.{decision}", lang, id=adjustment_id)
    return html.Span(text, className="desk-ok"), True


def register_meter_desk_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.MD_FIGURES, "children"),
        Input(ids.MD_MONTH, "value"),
        Input(ids.MD_VERSION, "data"),
        State(ids.MD_LANG, "data"),
    )
    def _figures(month, _version, lang):
        if not month:
            return no_update
        try:
            return figures_view(api, session.get("user"), lang, month)
        except DispatchError as exc:
            return warning(exc.detail)

    @app.callback(
        Output(ids.MD_TASKS, "children"),
        Input(ids.MD_KIND, "value"),
        Input(ids.MD_STATUS, "value"),
        Input(ids.MD_LIMIT, "value"),
        State(ids.MD_LANG, "data"),
    )
    def _tasks(kind, status, limit, lang):
        try:
            return tasks_view(api, session.get("user"), lang, kind, status, limit)
        except DispatchError as exc:
            return warning(exc.detail)

    @app.callback(
        Output(ids.MD_ADJUSTMENTS, "children"),
        Input(ids.MD_VERSION, "data"),
        State(ids.MD_LANG, "data"),
    )
    def _adjustments(_version, lang):
        try:
            return adjustments_view(api, session.get("user"), lang)
        except DispatchError as exc:
            return warning(exc.detail)

    @app.callback(
        Output(ids.MD_REQUEST_NOTICE, "children"),
        Output(ids.MD_VERSION, "data", allow_duplicate=True),
        Input(ids.MD_REQUEST, "n_clicks"),
        State(ids.MD_METER, "value"),
        State(ids.MD_DIRECTION, "value"),
        State(ids.MD_VOLUME, "value"),
        State(ids.MD_REASON, "value"),
        State(ids.MD_VERSION, "data"),
        State(ids.MD_LANG, "data"),
        prevent_initial_call=True,
    )
    def _request(n_clicks, meter, direction, volume, reason, version, lang):
        if not n_clicks:
            return no_update, no_update
        notice, made = request(api, session.get("user"), lang, meter, direction, volume, reason)
        return notice, no_update if made is no_update else (version or 0) + 1

    @app.callback(
        Output(ids.MD_DECIDE_NOTICE, "children"),
        Output(ids.MD_VERSION, "data", allow_duplicate=True),
        Input({"type": ids.MD_DECIDE, "adjustment": ALL, "decision": ALL}, "n_clicks"),
        State(ids.MD_VERSION, "data"),
        State(ids.MD_LANG, "data"),
        prevent_initial_call=True,
    )
    def _decide(clicks, version, lang):
        pressed = ctx.triggered_id
        # Buttons appearing with a redrawn list fire this too, unclicked.
        if not pressed or not any(clicks or []) or not ctx.triggered[0]["value"]:
            return no_update, no_update
        notice, _ = decide(
            api, session.get("user"), lang, int(pressed["adjustment"]), pressed["decision"]
        )
        return notice, (version or 0) + 1

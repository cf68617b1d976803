"""The meter desk (/meters; the meter-reading team lead's, the finance manager's and the
vice-president's landing page, open to managers and admins): the reading month's figures (read
rate, missed readings, tasks per kind), the task list with its filters, and refunds and
top-ups — the request form and the waiting ones with their chain of approvals. A part a role
may not use is not drawn (the task list needs ``meters.tasks``, the form ``meters.adjust``; the
approve and reject buttons are drawn by the callbacks only for the user whose step is next).
The callbacks are in :mod:`dashboards.meter_desk_callbacks`."""

from __future__ import annotations

from datetime import date

from dash import dcc, html

from dashboards import desk_ids as ids
from dashboards.i18n import t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import METERS
from dispatch import auth
from dispatch.meter_approvals import DIRECTIONS
from dispatch.meter_figures import recent_months
from dispatch.meter_rules import TASK_KINDS
from dispatch.meter_service import TASK_STATUSES

ANY = "all"  # the filters' "any kind" / "any status"
TASK_LIMITS = (50, 200, 1000)


def meter_desk_page(lang: str, user: dict | None, *, today: date) -> html.Div:
    role = (user or {}).get("role")
    cards = []
    if auth.allows(role, "meters.figures"):
        cards.append(_figures_card(lang, today))
    if auth.allows(role, "meters.tasks"):
        cards.append(_tasks_card(lang))
    if auth.allows(role, "meters.adjustments"):
        cards.append(_adjustments_card(lang, may_request=auth.allows(role, "meters.adjust")))
    return framed_page(
        lang,
        user,
        METERS.path,
        [
            dcc.Store(id=ids.MD_LANG, data=lang),
            dcc.Store(id=ids.MD_VERSION, data=0),
            html.H2(t(METERS.title, lang), className="site-page-title"),
            html.Div(cards, className="desk-grid md-grid"),
        ],
        name="page-meters",
    )


def _figures_card(lang: str, today: date) -> html.Section:
    months = recent_months(today)
    return html.Section(
        [
            html.H3(t("md.figures_title", lang)),
            html.Div(
                [
                    html.Label(t("md.month", lang), htmlFor=ids.MD_MONTH),
                    dcc.Dropdown(
                        id=ids.MD_MONTH,
                        options=[
                            {"label": m.isoformat()[:7], "value": m.isoformat()} for m in months
                        ],
                        value=months[0].isoformat(),
                        clearable=False,
                        searchable=False,
                        className="desk-small md-month",
                    ),
                ],
                className="desk-bar",
            ),
            html.Div(id=ids.MD_FIGURES),
        ],
        className="site-card desk-card",
    )


def _radio(id_: str, options: list[tuple[str, str]], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id_,
        options=[{"label": label, "value": v} for v, label in options],
        value=value,
        inline=True,
        className="desk-radio",
    )


def _tasks_card(lang: str) -> html.Section:
    kinds = [(ANY, t("md.all", lang))] + [(k, t(f"md.kind.{k}", lang)) for k in TASK_KINDS]
    statuses = [(s, t(f"md.task.{s}", lang)) for s in TASK_STATUSES] + [(ANY, t("md.all", lang))]
    limits = [(str(n), str(n)) for n in TASK_LIMITS]
    return html.Section(
        [
            html.H3(t("md.tasks_title", lang)),
            _filter("md.kind", lang, _radio(ids.MD_KIND, kinds, ANY)),
            _filter("md.status", lang, _radio(ids.MD_STATUS, statuses, "open")),
            _filter("md.limit", lang, _radio(ids.MD_LIMIT, limits, str(TASK_LIMITS[0]))),
            html.Div(id=ids.MD_TASKS, className="md-tasks"),
        ],
        className="site-card desk-card",
    )


def _filter(key: str, lang: str, control) -> html.Div:
    return html.Div(
        [html.Span(t(key, lang), className="md-filter-name"), control], className="desk-bar"
    )


def _adjustments_card(lang: str, *, may_request: bool) -> html.Section:
    parts: list = [html.H3(t("md.adjustments_title", lang))]
    if may_request:
        parts.append(_request_form(lang))
    parts += [
        html.H4(t("md.waiting_title", lang)),
        html.Div(id=ids.MD_DECIDE_NOTICE, role="status"),
        html.Div(id=ids.MD_ADJUSTMENTS),
    ]
    return html.Section(parts, className="site-card desk-card md-adjustments-card")


def _request_form(lang: str) -> html.Div:
    directions = [(d, t(f"md.dir.{d}", lang)) for d in DIRECTIONS]
    return html.Div(
        [
            html.H4(t("md.request_title", lang)),
            html.P(t("md.chain_rule", lang), className="desk-hint"),
            html.Div(
                [
                    _field("md.meter", lang, dcc.Input(id=ids.MD_METER, type="text")),
                    _field(
                        "md.volume",
                        lang,
                        dcc.Input(id=ids.MD_VOLUME, type="number", min=0.001, step=0.001),
                    ),
                ],
                className="desk-form desk-form-2",
            ),
            _field("md.direction", lang, _radio(ids.MD_DIRECTION, directions, DIRECTIONS[0])),
            _field("md.reason", lang, dcc.Textarea(id=ids.MD_REASON, className="desk-text")),
            html.Div(
                [html.Button(t("md.request", lang), id=ids.MD_REQUEST, className="desk-btn")],
                className="desk-bar",
            ),
            html.Div(id=ids.MD_REQUEST_NOTICE, role="status"),
        ],
        className="desk-form md-request",
    )


def _field(key: str, lang: str, control) -> html.Div:
    return html.Div(
        [html.Label(t(key, lang), htmlFor=getattr(control, "id", None)), control],
        className="desk-field",
    )

"""The complaint desk (/complaints; complaint handlers, managers and admins): the alarm of
complaints past their reply deadline, intake (channel, level, staff-at-fault class,
department), the open complaints with their loop (route to a department, investigate with
notes, reply within 2 working days, call back, review and close, escalate), and the
quarter's statistics per class, department and worker with their CSV. A manager reads; the
controls of intake and handling are drawn only for roles that may use them. The callbacks
are in :mod:`dashboards.complaint_desk_callbacks`."""

from __future__ import annotations

from datetime import date

from dash import dcc, html

from dashboards import desk_ids as ids
from dashboards.i18n import t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import COMPLAINTS
from dispatch import auth
from dispatch.complaint_model import CHANNELS, FAULT_CLASSES


def complaint_desk_page(lang: str, user: dict | None, *, today: date) -> html.Div:
    role = (user or {}).get("role")
    may_create = auth.allows(role, "complaints.create")
    may_handle = auth.allows(role, "complaints.handle")
    sections = []
    if may_create:
        sections.append(_intake(lang))
    loop = [
        html.H3(t("cp.open_title", lang)),
        html.Div(id=ids.CP_LIST),
        html.Label(t("cp.pick", lang)),
        dcc.RadioItems(id=ids.CP_PICK, options=[], className="desk-radio-list"),
        html.Div(id=ids.CP_DETAIL, className="cp-detail"),
    ]
    if may_handle:
        loop.append(_actions(lang))
    sections.append(html.Section(loop, className="site-card desk-card"))
    quarter = (today.month - 1) // 3 + 1
    sections.append(
        html.Section(
            [
                html.H3(t("cp.stats_title", lang)),
                html.Div(
                    [
                        dcc.Dropdown(
                            id=ids.CP_YEAR,
                            options=[today.year - 1, today.year],
                            value=today.year,
                            clearable=False,
                            className="desk-small",
                        ),
                        dcc.Dropdown(
                            id=ids.CP_QUARTER,
                            options=[{"label": f"Q{q}", "value": q} for q in (1, 2, 3, 4)],
                            value=quarter,
                            clearable=False,
                            className="desk-small",
                        ),
                        html.Button(t("cp.csv", lang), id=ids.CP_CSV, className="desk-btn"),
                        dcc.Download(id=ids.CP_DOWNLOAD),
                    ],
                    className="desk-bar",
                ),
                html.Div(id=ids.CP_STATS),
            ],
            className="site-card desk-card",
        )
    )
    return framed_page(
        lang,
        user,
        COMPLAINTS.path,
        [
            dcc.Store(id=ids.CP_LANG, data=lang),
            dcc.Store(id=ids.CP_VERSION, data=0),
            html.H2(t(COMPLAINTS.title, lang), className="site-page-title"),
            html.Div(id=ids.CP_ALARM),
            html.Div(sections, className="desk-grid"),
        ],
        name="page-complaints",
    )


def _intake(lang: str) -> html.Section:
    def field(key, control):
        return html.Div([html.Label(t(key, lang)), control], className="desk-field")

    return html.Section(
        [
            html.H3(t("cp.intake_title", lang)),
            html.Div(
                [
                    field(
                        "cp.channel",
                        dcc.RadioItems(
                            id=ids.CP_CHANNEL,
                            options=[
                                {"label": t(f"cp.channel.{c}", lang), "value": c} for c in CHANNELS
                            ],
                            value="hotline",
                            inline=True,
                            className="desk-radio",
                        ),
                    ),
                    field(
                        "cp.level",
                        dcc.RadioItems(
                            id=ids.CP_LEVEL,
                            options=[{"label": t("cp.level_auto", lang), "value": 0}]
                            + [{"label": t(f"cp.level.{n}", lang), "value": n} for n in (1, 2)],
                            value=0,
                            inline=True,
                            className="desk-radio",
                        ),
                    ),
                    field(
                        "cp.class",
                        dcc.RadioItems(
                            id=ids.CP_CLASS,
                            options=[{"label": t("cp.class_none", lang), "value": ""}]
                            + [
                                {"label": t(f"cp.class.{c}", lang), "value": c}
                                for c in FAULT_CLASSES
                            ],
                            value="",
                            inline=True,
                            className="desk-radio",
                        ),
                    ),
                    field("cp.department", dcc.Input(id=ids.CP_DEPARTMENT, type="text")),
                    field("cp.worker", dcc.Input(id=ids.CP_WORKER, type="text")),
                    field("cp.name", dcc.Input(id=ids.CP_NAME, type="text")),
                    field("cp.phone", dcc.Input(id=ids.CP_PHONE, type="tel")),
                    field("cp.account", dcc.Input(id=ids.CP_ACCOUNT, type="text")),
                    field(
                        "cp.description", dcc.Textarea(id=ids.CP_DESCRIPTION, className="desk-text")
                    ),
                ],
                className="desk-form desk-form-2",
            ),
            html.Div(
                [
                    html.Button(t("cp.submit", lang), id=ids.CP_SUBMIT, className="desk-btn"),
                    html.Span(id=ids.CP_INTAKE_NOTICE, className="desk-notice", role="status"),
                ],
                className="desk-bar",
            ),
        ],
        className="site-card desk-card",
    )


def _actions(lang: str) -> html.Div:
    buttons = [
        (ids.CP_ROUTE, "cp.route"),
        (ids.CP_INVESTIGATE, "cp.investigate"),
        (ids.CP_NOTE, "cp.note"),
        (ids.CP_REPLY, "cp.reply"),
        (ids.CP_CALLBACK, "cp.callback"),
        (ids.CP_CLOSE, "cp.close"),
        (ids.CP_ESCALATE, "cp.escalate"),
    ]
    return html.Div(
        [
            html.Label(t("cp.text", lang), htmlFor=ids.CP_TEXT),
            dcc.Textarea(
                id=ids.CP_TEXT, className="desk-text", placeholder=t("cp.text_hint", lang)
            ),
            html.Div(
                [html.Button(t(key, lang), id=id_, className="desk-btn") for id_, key in buttons],
                className="desk-bar",
            ),
            html.Span(id=ids.CP_ACTION_NOTICE, className="desk-notice", role="status"),
        ],
        className="desk-form",
    )

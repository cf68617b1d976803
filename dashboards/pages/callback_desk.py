"""The call-back desk (/callbacks; callback agents, dispatchers, managers and admins): the
day's drawn sample with the script to read, the customer's answers (attitude and skill 1-10,
attire and punctuality good / fair / poor, whether a charge was made and how much, issues),
the follow-ups of fair or poor answers that a supervisor confirms or rejects, and the
appraisal per front-line employee. Controls a role cannot use are not drawn. The callbacks
are in :mod:`dashboards.callback_desk_callbacks`."""

from __future__ import annotations

from datetime import date

from dash import dcc, html

from dashboards import desk_ids as ids
from dashboards.i18n import t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import CALLBACKS
from dispatch import auth

RATINGS = ("good", "fair", "poor")


def callback_desk_page(lang: str, user: dict | None, *, today: date) -> html.Div:
    role = (user or {}).get("role")
    may_draw = auth.allows(role, "callbacks.draw")
    may_record = auth.allows(role, "callbacks.record")
    may_decide = auth.allows(role, "callbacks.decide_follow_up")
    bar = [
        html.Label(t("cb.date", lang), htmlFor=ids.CB_DATE),
        dcc.DatePickerSingle(
            id=ids.CB_DATE,
            date=today.isoformat(),
            max_date_allowed=today.isoformat(),
            display_format="YYYY-MM-DD",
            first_day_of_week=1,
        ),
    ]
    if may_draw:
        bar.append(html.Button(t("cb.draw", lang), id=ids.CB_DRAW, className="desk-btn"))
    bar.append(html.Span(id=ids.CB_NOTICE, className="desk-notice", role="status"))
    sample = html.Section(
        [
            html.H3(t("cb.sample_title", lang)),
            html.Div(bar, className="desk-bar"),
            html.Div(id=ids.CB_LIST),
        ],
        className="site-card desk-card",
    )
    call = html.Section(
        [
            html.H3(t("cb.call_title", lang)),
            html.Label(t("cb.pick", lang)),
            dcc.RadioItems(id=ids.CB_PICK, options=[], className="desk-radio-list"),
            html.Div(id=ids.CB_SCRIPT, className="desk-script"),
            _answer_form(lang) if may_record else None,
            html.Div(id=ids.CB_RESULT, className="desk-result", role="status"),
        ],
        className="site-card desk-card",
    )
    follow = [html.H3(t("cb.follow_ups_title", lang)), html.Div(id=ids.CB_FOLLOW_UPS)]
    if may_decide:
        follow.append(
            html.Div(
                [
                    dcc.RadioItems(id=ids.CB_FU_PICK, options=[], className="desk-radio-list"),
                    html.Button(
                        t("cb.fu_confirm", lang), id=ids.CB_FU_CONFIRM, className="desk-btn"
                    ),
                    html.Button(
                        t("cb.fu_reject", lang),
                        id=ids.CB_FU_REJECT,
                        className="desk-btn desk-btn-2",
                    ),
                    html.Span(id=ids.CB_FU_NOTICE, className="desk-notice", role="status"),
                ],
                className="desk-bar",
            )
        )
    appraisal = html.Section(
        [html.H3(t("cb.appraisal_title", lang)), html.Div(id=ids.CB_APPRAISAL)],
        className="site-card desk-card",
    )
    return framed_page(
        lang,
        user,
        CALLBACKS.path,
        [
            dcc.Store(id=ids.CB_LANG, data=lang),
            dcc.Store(id=ids.CB_VERSION, data=0),
            html.H2(t(CALLBACKS.title, lang), className="site-page-title"),
            html.Div(
                [sample, call, html.Section(follow, className="site-card desk-card"), appraisal],
                className="desk-grid",
            ),
        ],
        name="page-callbacks",
    )


def _answer_form(lang: str) -> html.Div:
    def score(id_, key):
        return _field(
            key,
            lang,
            dcc.Input(id=id_, type="number", min=1, max=10, step=1, className="desk-score"),
        )

    def rating(id_, key):
        return _field(
            key,
            lang,
            dcc.RadioItems(
                id=id_,
                options=[{"label": t(f"cb.rating.{r}", lang), "value": r} for r in RATINGS],
                inline=True,
                inputStyle={"marginRight": "0.25rem", "marginLeft": "0.6rem"},
            ),
        )

    return html.Div(
        [
            score(ids.CB_ATTITUDE, "cb.attitude"),
            score(ids.CB_SKILL, "cb.skill"),
            rating(ids.CB_ATTIRE, "cb.attire"),
            rating(ids.CB_PUNCTUALITY, "cb.punctuality"),
            _field(
                "cb.charged",
                lang,
                dcc.RadioItems(
                    id=ids.CB_CHARGED,
                    options=[
                        {"label": t("cb.charged_yes", lang), "value": "yes"},
                        {"label": t("cb.charged_no", lang), "value": "no"},
                    ],
                    inline=True,
                    inputStyle={"marginRight": "0.25rem", "marginLeft": "0.6rem"},
                ),
            ),
            _field(
                "cb.amount",
                lang,
                dcc.Input(id=ids.CB_AMOUNT, type="number", min=0, step=0.01, debounce=True),
            ),
            _field("cb.issues", lang, dcc.Textarea(id=ids.CB_ISSUES, className="desk-text")),
            html.Div(
                [
                    html.Button(t("cb.save", lang), id=ids.CB_SAVE, className="desk-btn"),
                    html.Button(
                        t("cb.unreachable", lang),
                        id=ids.CB_UNREACHABLE,
                        className="desk-btn desk-btn-2",
                    ),
                ],
                className="desk-bar",
            ),
        ],
        className="desk-form",
    )


def _field(key: str, lang: str, control) -> html.Div:
    return html.Div(
        [html.Label(t(key, lang), htmlFor=getattr(control, "id", None)), control],
        className="desk-field",
    )

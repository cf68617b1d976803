"""The manager's page's callbacks: another door to :mod:`dispatch.report_service`, checking the
same permissions as the API (``reports.read``, ``reports.review``). No SQL here."""

from __future__ import annotations

import logging
from datetime import date

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from flask import session

from dashboards import ids
from dashboards.coverage_callbacks import register_coverage_callbacks
from dashboards.i18n import MISSING, t, ticket_type_label
from dashboards.manager_views import (
    breakdown_table,
    cell_jobs_view,
    measures_view,
)
from dashboards.pages.manager import manager_page, trend_figure
from dashboards.replay_panel import register_replay_callbacks
from dispatch import auth, manager_service, report_exports, report_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, DispatchError, InvalidInput, Unauthenticated
from dispatch.settings import current
from gis import map_layers
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

LOG_COLUMNS = (
    "number",
    "location",
    "received_at",
    "type",
    "dispatched_at",
    "arrived_at",
    "crew",
    "response_min",
)


def build_manager(api, dsn: str, lang: str, user: dict | None) -> html.Div:
    """The manager's page for today in the territory, the map fitted to it."""
    with api.uow() as uow:
        today, _zone = report_service.territory_today(uow, api.clock())
    try:
        bounds = map_layers.territory_bounds(dsn)
    except DatabaseUnavailable as exc:
        log.warning("manager's map laid out without bounds: %s", exc)
        bounds = None
    return manager_page(
        lang, user, today=today, bounds=bounds, min_jobs=current().reports.min_jobs_per_hexagon
    )


def _actor(user: dict | None, action: str) -> Actor:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def _period(uow, start, end, types, priorities) -> manager_service.Period:
    first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    return manager_service.Period(uow, first, last, types, priorities)


def period_view(api, user, lang, start, end, types, priorities, resolution) -> tuple:
    """The map's hexagons (grouped by the database), the summary line, the compliance table
    and the weekly trend."""
    _actor(user, "reports.read")
    now = api.clock()
    with api.uow() as uow:
        period = _period(uow, start, end, types, priorities)
        hexes = manager_service.hexagon_map(uow, period, now, int(resolution))
        summary = manager_service.response_summary(uow, period, now)
        trend = manager_service.weekly_trend(uow, period, now)
        compliance = manager_service.compliance_overall(uow, period, now)
    line = (
        t("mgr.no_jobs", lang)
        if summary["jobs"] == 0
        else t(
            "mgr.summary",
            lang,
            jobs=summary["jobs"],
            median=summary["median_min"],
            p90=summary["p90_min"],
        )
    )
    return hexes, line, compliance_table(compliance, lang), trend_figure(trend, lang)


def compliance_table(rows: list[dict], lang: str) -> html.Table:
    heads = ("policy", "decided", "met", "missed", "share", "target", "meets")
    body = []
    for r in rows:
        share = MISSING if r["share"] is None else f"{r['share'] * 100:.1f} %"
        meets = (
            MISSING
            if r["meets_target"] is None
            else t("mgr.yes" if r["meets_target"] else "mgr.no", lang)
        )
        body.append(
            html.Tr(
                [
                    html.Td(t(f"mgr.policy.{r['policy']}", lang)),
                    html.Td(r["decided"], className="num"),
                    html.Td(r["met"], className="num"),
                    html.Td(r["missed"], className="num mgr-missed" if r["missed"] else "num"),
                    html.Td(share, className="num"),
                    html.Td(f"{r['target_share'] * 100:.0f} %", className="num"),
                    html.Td(meets, className="mgr-meets"),
                ],
                **{"data-policy": r["policy"]},
            )
        )
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"mgr.col.{h}", lang)) for h in heads])),
            html.Tbody(body),
        ],
        className="mgr-table mgr-compliance-table",
    )


def log_view(api, user, lang, day: str) -> tuple:
    """The leak log table with its review state, and the alarm banner of unreviewed days."""
    actor = _actor(user, "reports.read")
    with api.uow() as uow:
        log_ = report_service.leak_log(uow, actor, date.fromisoformat(day[:10]), api.clock())
        alarms = report_service.open_review_alarms(uow)
    if log_["review"]:
        review = log_["review"]
        state = html.Span(
            t(
                "mgr.log_reviewed",
                lang,
                by=review["reviewed_by"],
                at=_hhmm(review["reviewed_at"], True),
            ),
            className="mgr-review-state mgr-reviewed",
        )
    else:
        parts = [t("mgr.log_not_reviewed", lang, due=_hhmm(log_["review_due_at"], True))]
        if log_["review_overdue"]:
            parts.append(html.Span(" · " + t("mgr.log_overdue", lang), className="mgr-overdue"))
        state = html.Span(parts, className="mgr-review-state")
    if not log_["rows"]:
        table = html.P(t("mgr.log_empty", lang))
    else:
        table = html.Table(
            [
                html.Thead(html.Tr([html.Th(t(f"mgr.log.{c}", lang)) for c in LOG_COLUMNS])),
                html.Tbody([_log_row(r, lang) for r in log_["rows"]]),
            ],
            className="mgr-table mgr-log-table",
        )
    banner = (
        html.Div(
            t("mgr.alarm_unreviewed", lang, days=", ".join(a["date"] for a in alarms)),
            className="mgr-alarm",
            role="alert",
        )
        if alarms
        else None
    )
    return html.Div([state, table]), banner


def _log_row(row: dict, lang: str) -> html.Tr:
    cells = {
        "number": row["number"],
        "location": row["location"] or MISSING,
        "received_at": _hhmm(row["received_at"]),
        "type": ticket_type_label(row["type"], lang),
        "dispatched_at": _hhmm(row["dispatched_at"]),
        "arrived_at": _hhmm(row["arrived_at"]),
        "crew": row["crew"] or MISSING,
        "response_min": MISSING if row["response_min"] is None else f"{row['response_min']:.1f}",
    }
    return html.Tr(
        [html.Td(cells[c], className="num" if c == "response_min" else None) for c in LOG_COLUMNS]
    )


def _hhmm(iso: str | None, with_date: bool = False) -> str:
    """A local ISO time as ``HH:MM`` (``YYYY-MM-DD HH:MM`` with the date)."""
    if not iso:
        return MISSING
    return f"{iso[:10]} {iso[11:16]}" if with_date else iso[11:16]


def review_day(api, user, day: str, version: int | None, lang: str) -> tuple:
    """Record the review of ``day``; the log redraws (version bumped), or a notice says why
    it was refused."""
    try:
        actor = _actor(user, "reports.review")
        with api.uow() as uow:
            report_service.review_leak_log(uow, actor, date.fromisoformat(day[:10]), api.clock())
    except Conflict:
        return no_update, t("mgr.review_done_before", lang)
    except InvalidInput:
        return no_update, t("mgr.review_not_over", lang)
    except DispatchError:
        return no_update, t("mgr.review_forbidden", lang)
    return (version or 0) + 1, ""


def register_manager_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.MGR_HEXES, "data"),
        Output(ids.MGR_SUMMARY, "children"),
        Output(ids.MGR_COMPLIANCE, "children"),
        Output(ids.MGR_TREND, "figure"),
        Input(ids.MGR_RANGE, "start_date"),
        Input(ids.MGR_RANGE, "end_date"),
        Input(ids.MGR_TYPES, "value"),
        Input(ids.MGR_PRIORITIES, "value"),
        Input(ids.MGR_RESOLUTION, "value"),
        State(ids.MGR_LANG, "data"),
    )
    def _period(start, end, types, priorities, resolution, lang):
        if not start or not end:
            return no_update, no_update, no_update, no_update
        try:
            return period_view(
                api, session.get("user"), lang, start, end, types, priorities, resolution
            )
        except DispatchError as exc:
            return no_update, html.Span(exc.detail, role="alert"), no_update, no_update

    @app.callback(
        Output(ids.MGR_LOG, "children"),
        Output(ids.MGR_ALARMS, "children"),
        Input(ids.MGR_LOG_DATE, "date"),
        Input(ids.MGR_LOG_REVIEWED, "data"),
        State(ids.MGR_LANG, "data"),
    )
    def _log(day, _reviewed, lang):
        if not day:
            return no_update, no_update
        try:
            return log_view(api, session.get("user"), lang, day)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), no_update

    @app.callback(
        Output(ids.MGR_LOG_REVIEWED, "data"),
        Output(ids.MGR_LOG_NOTICE, "children"),
        Input(ids.MGR_LOG_REVIEW, "n_clicks"),
        State(ids.MGR_LOG_DATE, "date"),
        State(ids.MGR_LOG_REVIEWED, "data"),
        State(ids.MGR_LANG, "data"),
        prevent_initial_call=True,
    )
    def _review(n_clicks, day, version, lang):
        if not n_clicks or not day:
            return no_update, no_update
        return review_day(api, session.get("user"), day, version, lang)

    @app.callback(
        Output(ids.MGR_LOG_DOWNLOAD, "data"),
        Input(ids.MGR_LOG_CSV, "n_clicks"),
        State(ids.MGR_LOG_DATE, "date"),
        prevent_initial_call=True,
    )
    def _csv(n_clicks, day):
        if not n_clicks or not day or ctx.triggered_id != ids.MGR_LOG_CSV:
            return no_update
        actor = _actor(session.get("user"), "reports.read")
        with api.uow() as uow:
            log_ = report_service.leak_log(uow, actor, date.fromisoformat(day[:10]), api.clock())
        return {
            "content": "\ufeff" + report_service.leak_log_csv(log_),
            "filename": f"leak-log-{log_['date']}.csv",
            "type": "text/csv",
        }

    register_report_callbacks(app, api)
    register_coverage_callbacks(app, api, ids.MGR_LANG)
    register_replay_callbacks(app, api, ids.MGR_LANG)


_FILTERS = (
    State(ids.MGR_RANGE, "start_date"),
    State(ids.MGR_RANGE, "end_date"),
    State(ids.MGR_TYPES, "value"),
    State(ids.MGR_PRIORITIES, "value"),
)


def cell_view(api, user, lang, feature, start, end, types, priorities, resolution):
    """The jobs of the clicked hexagon."""
    _actor(user, "reports.read")
    cell = ((feature or {}).get("properties") or {}).get("cell")
    if not cell:
        return no_update
    with api.uow() as uow:
        period = _period(uow, start, end, types, priorities)
        found = manager_service.cell_jobs(uow, period, api.clock(), int(resolution), cell)
    return cell_jobs_view(found, lang)


def download(api, user, which: str, start, end, types, priorities, resolution, month, day, by):
    """The file behind a download button: a table's CSV or an export."""
    actor = _actor(user, "reports.read")
    now = api.clock()
    with api.uow() as uow:
        period = _period(uow, start, end, types, priorities)
        if which == ids.MGR_BREAKDOWN_CSV:
            rows = manager_service.compliance_breakdown(uow, period, now, by)
            text = manager_service.compliance_csv(rows, by)
            return _text(text, f"compliance-by-{by}-{period.first}-{period.last}.csv")
        if which.startswith("measure:"):
            measure = which.split(":", 1)[1]
            text = manager_service.measures_csv(manager_service.measures(uow, period, now), measure)
            return _text(text, f"{measure}-{period.first}-{period.last}.csv")
        if which == ids.MGR_EXPORT_MAP:
            html_text = report_exports.map_html(uow, period, now, int(resolution))
            return {
                "content": html_text,
                "filename": f"response-map-{period.first}-{period.last}.html",
                "type": "text/html",
            }
        if which == ids.MGR_EXPORT_PDF:
            pdf = report_exports.monthly_pdf(uow, report_service.parse_month(month), now)
            return dcc.send_bytes(pdf, f"monthly-report-{month}.pdf")
        if which == ids.MGR_EXPORT_BUCKETS_PDF:
            summary = report_service.leak_buckets(
                uow, actor, report_service.parse_month(month), now
            )
            return dcc.send_bytes(report_exports.buckets_pdf(summary), f"leak-buckets-{month}.pdf")
        if which == ids.MGR_EXPORT_LOG_PDF:
            log_ = report_service.leak_log(uow, actor, date.fromisoformat(day[:10]), now)
            return dcc.send_bytes(report_exports.leak_log_pdf(log_), f"leak-log-{log_['date']}.pdf")
    return no_update


def _text(text: str, filename: str) -> dict:
    return {"content": "\ufeff" + text, "filename": filename, "type": "text/csv"}


def register_report_callbacks(app, api) -> None:
    @app.callback(
        Output(ids.MGR_CELL_JOBS, "children"),
        Input(ids.MGR_HEXES, "clickData"),
        *_FILTERS,
        State(ids.MGR_RESOLUTION, "value"),
        State(ids.MGR_LANG, "data"),
        prevent_initial_call=True,
    )
    def _cell(feature, start, end, types, priorities, resolution, lang):
        try:
            return cell_view(
                api, session.get("user"), lang, feature, start, end, types, priorities, resolution
            )
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert")

    @app.callback(
        Output(ids.MGR_BREAKDOWN, "children"),
        Output(ids.MGR_MEASURES, "children"),
        Input(ids.MGR_RANGE, "start_date"),
        Input(ids.MGR_RANGE, "end_date"),
        Input(ids.MGR_TYPES, "value"),
        Input(ids.MGR_PRIORITIES, "value"),
        Input(ids.MGR_BY, "value"),
        State(ids.MGR_LANG, "data"),
    )
    def _tables(start, end, types, priorities, by, lang):
        if not start or not end:
            return no_update, no_update
        try:
            _actor(session.get("user"), "reports.read")
            now = api.clock()
            with api.uow() as uow:
                period = _period(uow, start, end, types, priorities)
                rows = manager_service.compliance_breakdown(uow, period, now, by or "week")
                figures = manager_service.measures(uow, period, now)
            return breakdown_table(rows, by or "week", lang), measures_view(figures, lang)
        except DispatchError as exc:
            return html.Span(exc.detail, role="alert"), no_update

    @app.callback(
        Output(ids.MGR_DOWNLOAD, "data"),
        Input(ids.MGR_BREAKDOWN_CSV, "n_clicks"),
        Input({"type": ids.MGR_MEASURE_CSV, "index": ALL}, "n_clicks"),
        Input(ids.MGR_EXPORT_MAP, "n_clicks"),
        Input(ids.MGR_EXPORT_PDF, "n_clicks"),
        Input(ids.MGR_EXPORT_BUCKETS_PDF, "n_clicks"),
        Input(ids.MGR_EXPORT_LOG_PDF, "n_clicks"),
        *_FILTERS,
        State(ids.MGR_RESOLUTION, "value"),
        State(ids.MGR_EXPORT_MONTH, "value"),
        State(ids.MGR_LOG_DATE, "date"),
        State(ids.MGR_BY, "value"),
        prevent_initial_call=True,
    )
    def _download(*args):
        start, end, types, priorities, resolution, month, day, by = args[6:]
        trigger = ctx.triggered_id
        if trigger is None or not any(
            (t_["value"] or 0) > 0 for t_ in ctx.triggered if t_["value"] is not None
        ):
            return no_update
        which = f"measure:{trigger['index']}" if isinstance(trigger, dict) else trigger
        try:
            return download(
                api,
                session.get("user"),
                which,
                start,
                end,
                types,
                priorities,
                resolution,
                month,
                day,
                by or "week",
            )
        except DispatchError:
            log.warning("download %s refused", which, exc_info=True)
            return no_update

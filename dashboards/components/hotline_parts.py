"""Builders of the hotline page's parts (pure: data in, Dash components out): the search
results, the customer's file, the work-order types by the manual's groups with emergencies
marked, the safety advice to read to the caller, the open tickets near the place, the answer
to tell the caller after saving, the promised replies due. Also the reading of a typed time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from dash import html

from dashboards import ids
from dashboards.i18n import MISSING, format_clock, format_duration, t, ticket_type_label
from dispatch.ticket_model import TICKET_TYPES

#: The manual's groups of work-order types, in the order the page lists them.
GROUPS = ("emergency", "repair", "scheduled", "non_field")
#: Receiving departments (转派部门) and the one a category goes to unless the agent changes it.
DEPARTMENTS = ("emergency_repair", "repair_service", "customer_service", "engineering", "metering")
DEFAULT_DEPARTMENT = {
    "emergency": "emergency_repair",
    "repair": "repair_service",
    "scheduled": "repair_service",
    "non_field": "customer_service",
}
#: Safety advice read to a caller, by emergency type: the common rules first, then the type's.
ADVICE_COMMON = (
    "no_flame",
    "no_switch",
    "no_phone_inside",
    "open_windows",
    "leave",
    "call_outside",
)
ADVICE_BY_TYPE = {
    "gas_leak": (*ADVICE_COMMON, "close_meter_valve", "warn_neighbours"),
    "third_party_damage": ("keep_away", "no_flame", "no_plugging", "stop_traffic", "call_outside"),
    "fire_explosion": ("call_119", "leave", "no_flame", "keep_away", "call_outside"),
    "no_gas_area": ("close_appliances", "close_meter_valve", "no_reopen", "wait_notice"),
}


def type_matches(text: str | None, lang: str) -> list[str]:
    """The types whose code, Chinese or English name contains ``text`` (case ignored), in the
    page's order; all of them for no text."""
    needle = (text or "").strip().lower()
    ordered = [code for g in GROUPS for code, (cat, _p, _zh) in TICKET_TYPES.items() if cat == g]
    if not needle:
        return ordered
    found = []
    for code in ordered:
        names = (code, ticket_type_label(code, "zh-CN"), ticket_type_label(code, "en"))
        if any(needle in n.lower() or needle in n.lower().replace("_", " ") for n in names):
            found.append(code)
    return found


def type_picker(chosen: str | None, typed: str | None, lang: str) -> list:
    """The types in their groups, emergencies marked; those matching ``typed`` lit, the first
    of them the one Enter takes."""
    matches = type_matches(typed, lang)
    first = matches[0] if typed and matches else None
    groups = []
    for group in GROUPS:
        buttons = []
        for code, (category, _p, _zh) in TICKET_TYPES.items():
            if category != group:
                continue
            classes = ["hl-type"]
            if category == "emergency":
                classes.append("hl-type-emergency")
            if code == chosen:
                classes.append("hl-type-chosen")
            if typed and code in matches:
                classes.append("hl-type-match")
            if code == first:
                classes.append("hl-type-first")
            mark = "⚠ " if category == "emergency" else ""
            buttons.append(
                html.Button(
                    mark + ticket_type_label(code, lang),
                    id={"type": ids.HL_TYPE_BUTTON, "index": code},
                    className=" ".join(classes),
                    **{"data-type": code, "aria-pressed": "true" if code == chosen else "false"},
                )
            )
        groups.append(
            html.Div(
                [html.Div(t(f"hl.group.{group}", lang), className="hl-group-name"), *buttons],
                className=f"hl-group hl-group-{group}",
            )
        )
    return groups


def safety_advice(ticket_type: str | None, lang: str) -> list:
    """For an emergency: the banner and the advice to read to the caller, in the page's
    language and below it in the other (a caller may not speak it)."""
    if ticket_type not in ADVICE_BY_TYPE:
        return []
    other = "en" if lang == "zh-CN" else "zh-CN"
    items = ADVICE_BY_TYPE[ticket_type]
    return [
        html.Div(
            [html.Strong(t("hl.emergency", lang)), " ", ticket_type_label(ticket_type, lang)],
            className="hl-emergency-banner",
            role="alert",
        ),
        html.H3(t("hl.advice.title", lang)),
        html.Ol([html.Li(t(f"hl.advice.{k}", lang)) for k in items], className="hl-advice"),
        html.Details(
            [
                html.Summary(t("hl.advice.other_language", lang)),
                html.Ol(
                    [html.Li(t(f"hl.advice.{k}", other)) for k in items],
                    className="hl-advice hl-advice-other",
                    lang=other,
                ),
            ]
        ),
    ]


def search_results(customers: list[dict], lang: str, error: str | None = None) -> list:
    if error:
        return [html.P(error, className="hl-muted", role="alert")]
    if not customers:
        return [html.P(t("hl.no_match", lang), className="hl-muted")]
    rows = []
    for i, c in enumerate(customers):
        rows.append(
            html.Button(
                [
                    html.Span(c["name"] or MISSING, className="hl-result-name"),
                    html.Span(c["phone"] or "", className="hl-result-phone"),
                    html.Span(c["address"], className="hl-result-address"),
                    html.Span(
                        f"{t('hl.account', lang)} {c['account_no']} · {c['meter_no']}",
                        className="hl-result-numbers",
                    ),
                    html.Span(t(f"hl.matched.{c['matched']}", lang), className="hl-result-why"),
                ],
                id={"type": ids.HL_RESULT, "index": c["id"]},
                className="hl-result" + (" hl-result-first" if i == 0 else ""),
                **{"data-customer": str(c["id"])},
            )
        )
    return [html.P(t("hl.enter_picks", lang), className="hl-muted"), *rows]


def customer_file(file: dict | None, lang: str, zone: tzinfo | None) -> list:
    if file is None:
        return [html.P(t("hl.no_customer", lang), className="hl-muted")]
    c = file["customer"]
    facts = [
        (t("hl.name", lang), c["name"]),
        (t("hl.phone", lang), c["phone"]),
        (t("hl.account", lang), c["account_no"]),
        (t("hl.meters", lang), ", ".join(m["meter_no"] for m in file["meters"]) or c["meter_no"]),
        (t("hl.address", lang), c["address"]),
        (t("hl.category", lang), t(f"hl.customer_category.{c['category']}", lang)),
    ]
    body = [
        html.Dl(
            [html.Div([html.Dt(k), html.Dd(v or MISSING)], className="hl-fact") for k, v in facts],
            className="hl-facts",
            id=ids.HL_FILE_FACTS,
        )
    ]
    tickets = [
        html.Li(
            [
                html.Span(x["number"], className="hl-number"),
                f" {_when(x['received_at'], zone, lang)} · {ticket_type_label(x['type'], lang)}"
                f" · {t('status.' + x['status'], lang)}",
            ]
        )
        for x in file["tickets"]
    ]
    sections = [
        ("hl.file.tickets", tickets),
        (
            "hl.file.complaints",
            [
                html.Li(f"{_when(x['received_at'], zone, lang)} · {x['description'][:60]}")
                for x in file["complaints"]
            ],
        ),
        (
            "hl.file.callbacks",
            [
                html.Li(
                    f"{x['sampled_on']} · {t('hl.callback_scores', lang)}"
                    f" {x['attitude'] or MISSING}/{x['skill'] or MISSING}"
                )
                for x in file["callbacks"]
            ],
        ),
        (
            "hl.file.hazards",
            [
                html.Li(
                    f"{t('site.hazard.' + x['hazard_type'], lang)} · {t('hl.fix_by', lang)}"
                    f" {_when(x['fix_by'], zone, lang)}"
                    + (f" · {t('hl.resolved', lang)}" if x["resolved_at"] else "")
                )
                for x in file["hazards"]
            ],
        ),
        ("hl.file.readings", [html.Li(_reading_line(r)) for r in file["readings"]]),
    ]
    for key, items in sections:
        body.append(html.H3(f"{t(key, lang)} ({len(items)})"))
        body.append(
            html.Ul(items, className="hl-history")
            if items
            else html.P(t("hl.none", lang), className="hl-muted")
        )
    return body


def nearby_tickets(rows: list[dict], repeat_of: int | None, lang: str, zone) -> list:
    if not rows:
        return [html.P(t("hl.nearby.none", lang), className="hl-muted")]
    items = []
    for r in rows:
        chosen = r["id"] == repeat_of
        items.append(
            html.Li(
                [
                    html.Span(r["number"], className="hl-number"),
                    f" {round(r['distance_m'])} m · {ticket_type_label(r['type'], lang)}"
                    f" · {t('status.' + r['status'], lang)} · {_when(r['received_at'], zone, lang)}"
                    f" · {r['address'] or MISSING}",
                    html.Button(
                        t("hl.nearby.unlink" if chosen else "hl.nearby.link", lang),
                        id={"type": ids.HL_REPEAT_BUTTON, "index": r["id"]},
                        className="hl-button hl-link" + (" hl-link-chosen" if chosen else ""),
                    ),
                ],
                className="hl-nearby-row"
                + (" hl-nearby-duplicate" if r["duplicate_prone"] else ""),
                **{"data-ticket": str(r["id"])},
            )
        )
    return [html.P(t("hl.nearby.hint", lang), className="hl-muted"), html.Ul(items)]


def saved_answer(result: dict, lang: str, zone) -> list:
    """What the agent tells the caller once the work order is saved."""
    ticket = result["ticket"]
    lines = [
        html.P(
            [t("hl.saved", lang), " ", html.Strong(ticket["number"], className="hl-saved-number")]
        )
    ]
    if result.get("duplicate_number"):
        lines.append(html.P(t("hl.saved_as_repeat", lang, number=result["duplicate_number"])))
    tell = result.get("tell")
    if tell:
        eta = (
            t(
                "hl.tell_eta",
                lang,
                duration=format_duration(tell["eta_s"], lang),
                clock=format_clock(datetime.fromisoformat(tell["eta_at"]), zone, lang),
            )
            if tell["eta_s"] is not None
            else ""
        )
        key = "hl.tell_sent" if tell.get("sent") else "hl.tell_crew"
        lines.append(
            html.P(
                [t(key, lang, crew=tell["crew_code"]), " ", eta], className="hl-tell", role="status"
            )
        )
    elif ticket["category"] != "non_field":
        lines.append(html.P(t("hl.tell_no_crew", lang), className="hl-tell"))
    if ticket.get("promised_reply_at"):
        lines.append(
            html.P(
                t(
                    "hl.tell_reply",
                    lang,
                    clock=format_clock(
                        datetime.fromisoformat(ticket["promised_reply_at"]),
                        zone,
                        lang,
                        with_date=True,
                    ),
                )
            )
        )
    return lines


def replies_due(rows: list[dict], now: datetime, lang: str, zone) -> list:
    if not rows:
        return [html.P(t("hl.replies.none", lang), className="hl-muted")]
    items = []
    for r in rows:
        due = datetime.fromisoformat(r["promised_reply_at"])
        late = due <= now
        items.append(
            html.Li(
                [
                    html.Span(r["number"], className="hl-number"),
                    f" {ticket_type_label(r['type'], lang)} · {t('hl.replies.due', lang)}"
                    f" {format_clock(due, zone, lang, with_date=True)}",
                    html.Span(t("hl.replies.late", lang), className="hl-late") if late else "",
                    html.Button(
                        t("hl.replies.done", lang),
                        id={"type": ids.HL_REPLY_BUTTON, "index": r["id"]},
                        className="hl-button",
                    ),
                ],
                className="hl-reply-row" + (" hl-reply-late" if late else ""),
            )
        )
    return [html.Ul(items)]


def parse_local_time(text: str | None, now: datetime, zone: tzinfo) -> datetime | None:
    """A time typed by the agent, in the territory's zone: ``YYYY-MM-DD HH:MM``, or ``HH:MM``
    (today, or tomorrow when that has passed), or ``+N`` minutes / ``+Nh`` hours from now.
    None for no text; ValueError for text that is none of these."""
    text = (text or "").strip()
    if not text:
        return None
    local_now = now.astimezone(zone)
    relative = re.fullmatch(r"\+(\d{1,4})\s*(h|min|m)?", text)
    if relative:
        amount = int(relative[1])
        return now + (timedelta(hours=amount) if relative[2] == "h" else timedelta(minutes=amount))
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if clock:
        at = local_now.replace(hour=int(clock[1]), minute=int(clock[2]), second=0, microsecond=0)
        return at if at > local_now else at + timedelta(days=1)
    try:
        at = datetime.strptime(text.replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(text) from None
    return at.replace(tzinfo=zone)


def _when(iso: str | None, zone, lang: str) -> str:
    if not iso:
        return MISSING
    return format_clock(datetime.fromisoformat(iso), zone, lang, with_date=True)


def _reading_line(reading: dict) -> str:
    """One reading as staff read it: the day, the register and the month's use."""
    used = reading.get("consumption_m3")
    line = f"{reading['read_on']} · {reading['reading_m3']} m³"
    return line + (f" (+{used} m³)" if used is not None else "")

"""Builders of the site work on the crew lead's phone (issue 10): the CJJ51 checklist with its
times, the gas readings, the households of the isolated section with their two-valve marks, the
hazard notice, the sign-off with the price list and the customer's signature, and photos.

Plain functions from the site record (:func:`dispatch.site_service.site_record`) to Dash
components. Nothing here sends anything: every control carries the request it stands for in
``data-*`` attributes, and ``assets/crew.js`` sends it through its one queue (in order, with an
Idempotency-Key, kept while the phone is offline):

- ``data-url`` the API path, ``data-body`` the fixed part of the JSON body, ``data-ok`` the
  notice on success;
- ``data-form`` the id of a block whose inputs add fields (``data-field``, ``data-kind``
  number / int / date) or price lines (``data-item``);
- ``data-stamp`` a field set to the time of the tap (a reading taken offline keeps its time);
- ``data-signature`` the id of the canvas the customer signs on; ``data-photo`` a file input
  whose photo goes with the notice.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from dash import dcc, html

from dashboards.i18n import MISSING, format_clock, t
from dispatch.site_rules import AFTER_REPAIR, BEFORE_WORK, HAZARD_TYPES

API = "/api/v1"
#: Households listed unfolded up to this many.
OPEN_HOUSEHOLDS = 20


def site_work(record: dict | None, prices: list[dict], lang: str, job_meter: int | None) -> list:
    """The whole site section of the current job (empty without a job)."""
    if record is None:
        return []
    tid = record["ticket_id"]
    return [
        html.Section(
            _site_parts(record, prices, lang, job_meter, tid),
            className="site-card crew-card crew-site",
        )
    ]


def _site_parts(record: dict, prices: list[dict], lang: str, job_meter, tid: int) -> list:
    return [
        html.H2(t("crew.site.title", lang)),
        _checklist(record, lang, tid, BEFORE_WORK, "crew.site.before"),
        _readings(record, lang, tid),
        _checklist(record, lang, tid, AFTER_REPAIR, "crew.site.after"),
        _households(record, lang, tid),
        _hazard_form(record, lang, tid, job_meter),
        _signoff(record, prices, lang, tid),
        _photos(record, lang, tid),
    ]


# --- what the next statuses still need ----------------------------------------------------------


def still_needed(record: dict | None, lang: str) -> dict[str, str]:
    """Per status the site rules gate (made_safe, gas_restored, closed): what the record still
    lacks, in the page's language (absent: nothing). The server decides; this tells the crew
    before it taps."""
    if record is None:
        return {}
    missing = record["missing"]
    done = {c["item"] for c in record["checklist"]}
    out: dict[str, list[str]] = {}
    if missing.get("made_safe"):
        need = [] if "warning_zone_set" in done else [t("site.check.warning_zone_set", lang)]
        if not record["readings"]:
            need.append(t("crew.site.need_reading", lang))
        out["made_safe"] = need
    if missing.get("gas_restored"):
        open_ones = [_household_name(h) for h in record["households"] if h["mark"] is None]
        need = []
        if open_ones:
            need.append(
                t("crew.site.need_households", lang, n=len(open_ones), list=_some(open_ones))
            )
        hazardous = [
            _household_name(h)
            for h in record["households"]
            if h["open_hazard"] and h["mark"] == "valves_closed"
        ]
        if hazardous:
            need.append(t("crew.site.need_hazard_off", lang, list=_some(hazardous)))
        out["gas_restored"] = need
    if missing.get("closed"):
        need = [t(f"site.check.{i}", lang) for i in AFTER_REPAIR if i not in done]
        last = _last_reading(record)
        if last is None or not last["safe"]:
            lel = f"{record['safe_lel_percent']:g}"
            need.append(t("crew.site.need_safe_reading", lang, lel=lel))
        out["closed"] = need
    return {to: "；".join(need) if lang != "en" else "; ".join(need) for to, need in out.items()}


#: Households named in a "still needed" line; the others are counted.
NAMED_HOUSEHOLDS = 5


def _some(names: list[str]) -> str:
    shown = "; ".join(names[:NAMED_HOUSEHOLDS])
    more = len(names) - NAMED_HOUSEHOLDS
    return shown + (f"; … (+{more})" if more > 0 else "")


def _household_name(h: dict) -> str:
    return f"{h['address'] or MISSING} ({h['meter_no'] or h['meter_id']})"


def _last_reading(record: dict) -> dict | None:
    return record["readings"][-1] if record["readings"] else None


# --- the parts ---------------------------------------------------------------------------------


def _at(iso: str | None, lang: str) -> html.Time:
    """A time, shown in the phone's own zone by assets/crew.js (UTC until then)."""
    when = None if iso is None else datetime.fromisoformat(iso)
    return html.Time(format_clock(when, None, lang), dateTime=iso or "", className="crew-at")


def _act(label: str, url: str, ok: str, *, body: dict | None = None, cls: str = "", **data):
    """A button standing for one API request (sent by assets/crew.js)."""
    attrs = {"data-url": url, "data-ok": ok, "data-body": json.dumps(body or {})}
    attrs |= {f"data-{k.replace('_', '-')}": v for k, v in data.items()}
    return html.Button(label, type="button", className=f"crew-button crew-act {cls}", **attrs)


def _checklist(record: dict, lang: str, tid: int, items: dict, title: str) -> html.Div:
    done = {c["item"]: c for c in record["checklist"]}
    rows = []
    for item in items:
        label = t(f"site.check.{item}", lang)
        if item == "warning_zone_set" and record["warning_radius_m"] is not None:
            label += " · " + t("crew.site.radius", lang, m=round(record["warning_radius_m"]))
        entry = done.get(item)
        if entry is not None:
            extra = entry["data"].get("guardian")
            rows.append(
                html.Li(
                    [
                        html.Span("✓ " + label, className="crew-check-label"),
                        html.Span(
                            [_at(entry["done_at"], lang), f" · {entry['done_by']}"]
                            + ([f" · {extra}"] if extra else []),
                            className="crew-muted",
                        ),
                    ],
                    className="crew-check crew-check-done",
                    **{"data-item": item},
                )
            )
            continue
        form_id = f"crew-check-form-{item}"
        inputs = []
        if item == "guardian_named":
            inputs = [
                _input(t("crew.site.guardian", lang), "guardian", "text"),
                _input(t("crew.site.people", lang), "people_on_site", "int", value="2"),
            ]
        url = f"{API}/tickets/{tid}/site/checks"
        button = _act(
            t("crew.site.tick", lang),
            url,
            t("crew.site.ticked", lang, item=t(f"site.check.{item}", lang)),
            body={"item": item},
            cls="crew-check-button",
            form=form_id,
            once="1",
        )
        rows.append(
            html.Li(
                [
                    html.Span(label, className="crew-check-label"),
                    html.Div([*inputs, button], id=form_id, className="crew-form"),
                ],
                className="crew-check",
                **{"data-item": item},
            )
        )
    n_done = sum(1 for i in items if i in done)
    return html.Div(
        [
            html.H3(f"{t(title, lang)} ({n_done}/{len(items)})"),
            html.Ul(rows, className="crew-checklist"),
        ],
        className="crew-site-part",
    )


def _input(label: str, field: str, kind: str, *, value: str | None = None, **extra) -> html.Label:
    """A labelled input; the label carries the field's name and kind for assets/crew.js."""
    html_type = {"int": "number", "number": "number", "date": "date"}.get(kind, "text")
    return html.Label(
        [
            html.Span(label),
            dcc.Input(type=html_type, value=value, className="crew-input", **extra),
        ],
        className="crew-field",
        **{"data-field": field, "data-kind": kind},
    )


def _readings(record: dict, lang: str, tid: int) -> html.Div:
    lines = [
        html.Li(
            [
                html.Span(
                    t("site.reading", lang, value=f"{r['lel_percent']:g}"),
                    className="crew-reading-value" + ("" if r["safe"] else " crew-reading-unsafe"),
                ),
                " ",
                _at(r["measured_at"], lang),
            ],
            className="crew-reading",
        )
        for r in reversed(record["readings"])
    ]
    form_id = "crew-reading-form"
    return html.Div(
        [
            html.H3(t("crew.site.readings", lang, lel=f"{record['safe_lel_percent']:g}")),
            html.Ul(lines, className="crew-readings")
            if lines
            else html.P(t("crew.none", lang), className="crew-muted"),
            html.Div(
                [
                    _input(
                        t("crew.site.lel", lang),
                        "lel_percent",
                        "number",
                        min=0,
                        max=100,
                        step="any",
                        inputMode="decimal",
                    ),
                    _act(
                        t("crew.site.record_reading", lang),
                        f"{API}/tickets/{tid}/site/readings",
                        t("crew.site.reading_recorded", lang),
                        cls="crew-reading-button",
                        form=form_id,
                        stamp="measured_at",
                    ),
                ],
                id=form_id,
                className="crew-form",
            ),
        ],
        className="crew-site-part",
    )


def _households(record: dict, lang: str, tid: int) -> html.Div:
    rows = []
    for h in sorted(record["households"], key=lambda h: h["mark"] is not None):  # open first
        marks = ["valves_closed", "not_at_home"] + (["kept_off"] if h["open_hazard"] else [])
        state = t(f"site.mark.{h['mark']}", lang) if h["mark"] else t("crew.site.unmarked", lang)
        rows.append(
            html.Li(
                [
                    html.Div(_household_name(h), className="crew-household-name"),
                    html.Div(
                        state
                        + (" · " + t("crew.site.open_hazard", lang) if h["open_hazard"] else ""),
                        className="crew-muted crew-household-state"
                        + ("" if h["mark"] else " crew-household-open"),
                    ),
                    html.Div(
                        [
                            _act(
                                t(f"site.mark.{m}", lang),
                                f"{API}/tickets/{tid}/households/{h['meter_id']}",
                                t("crew.site.marked", lang, household=_household_name(h)),
                                body={"mark": m},
                                cls=f"crew-mark crew-mark-{m}"
                                + (" crew-mark-chosen" if h["mark"] == m else ""),
                            )
                            for m in marks
                        ],
                        className="crew-mark-buttons",
                    ),
                ],
                className="crew-household"
                + (" crew-household-marked" if h["mark"] else " crew-household-unmarked"),
                **{"data-meter": str(h["meter_id"])},
            )
        )
    marked = sum(1 for h in record["households"] if h["mark"])
    if not rows:
        body = html.P(t("crew.site.no_households", lang), className="crew-muted")
    else:
        # A main's section can feed hundreds: a long list folds (unmarked ones first).
        body = html.Details(
            [
                html.Summary(
                    t("crew.site.show_households", lang, n=len(rows) - marked),
                    className="crew-button crew-summary",
                ),
                html.Ul(rows, className="crew-households"),
            ],
            open=len(rows) <= OPEN_HOUSEHOLDS,
            className="crew-households-fold",
        )
    return html.Div(
        [
            html.H3(t("crew.site.households", lang, done=marked, total=len(record["households"]))),
            html.P(t("crew.site.two_valve_rule", lang), className="crew-muted"),
            body,
        ],
        className="crew-site-part",
    )


def _signature_pad(pad_id: str, lang: str) -> html.Div:
    return html.Div(
        [
            html.Canvas(id=pad_id, className="crew-signature", width=340, height=160),
            html.Button(
                t("crew.site.clear_signature", lang),
                type="button",
                className="crew-button crew-clear-signature",
                **{"data-clear": pad_id},
            ),
        ],
        className="crew-signature-wrap",
    )


def _found_on(hazard: dict, record: dict, lang: str) -> str:
    """ " · Visit n" for a hazard found on an earlier visit (it still holds: it is about the
    household); nothing for one of this visit."""
    found = hazard.get("visit", 1)
    if found == record.get("visit", 1):
        return ""
    return f" · {t('site.progress.visit', lang)} {found}"


def _hazard_form(record: dict, lang: str, tid: int, job_meter: int | None) -> html.Div:
    meters = [(h["meter_id"], _household_name(h)) for h in record["households"]]
    if job_meter is not None and job_meter not in {m for m, _ in meters}:
        meters.insert(0, (job_meter, t("crew.site.job_meter", lang, meter=job_meter)))
    listed = [
        html.Li(
            [
                t(f"site.hazard.{h['hazard_type']}", lang),
                f" · {h['address'] or h['meter_id']} · ",
                t("crew.site.fix_by", lang),
                " ",
                _at(h["fix_by"], lang),
                " · ",
                t("crew.site.signed", lang) if h["signed"] else t("site.customer_refused", lang),
                _found_on(h, record, lang),
            ],
            className="crew-hazard" + ("" if h["resolved_at"] else " crew-hazard-open"),
        )
        for h in record["hazards"]
    ]
    parts: list = [html.H3(t("crew.site.hazards", lang))]
    if listed:
        parts.append(html.Ul(listed, className="crew-hazards"))
    if not meters:
        parts.append(html.P(t("crew.site.no_households", lang), className="crew-muted"))
        return html.Div(parts, className="crew-site-part")
    form_id, pad_id, photo_id = "crew-hazard-form", "crew-hazard-signature", "crew-hazard-photo"
    url = f"{API}/tickets/{tid}/hazards"
    ok = t("crew.site.hazard_recorded", lang)
    parts.append(
        html.Div(
            [
                _select(t("crew.site.household", lang), "meter_id", "int", meters),
                _select(
                    t("crew.site.hazard_type", lang),
                    "hazard_type",
                    "text",
                    [(h, t(f"site.hazard.{h}", lang)) for h in HAZARD_TYPES],
                ),
                _input(t("crew.site.fix_by", lang), "fix_by", "date"),
                _input(t("crew.site.note", lang), "note", "text"),
                _photo_input(photo_id, t("crew.site.hazard_photo", lang), tid, lang),
                _signature_pad(pad_id, lang),
                html.Div(
                    [
                        _act(
                            t("crew.site.customer_signs", lang),
                            url,
                            ok,
                            form=form_id,
                            signature=pad_id,
                            photo=photo_id,
                        ),
                        _act(
                            t("site.customer_refused", lang),
                            url,
                            ok,
                            body={"customer_refused": True},
                            cls="crew-refused",
                            form=form_id,
                            photo=photo_id,
                        ),
                    ],
                    className="crew-pair",
                ),
            ],
            id=form_id,
            className="crew-form crew-form-column",
        )
    )
    return html.Div(parts, className="crew-site-part")


def _select(label: str, field: str, kind: str, options: list[tuple]) -> html.Label:
    return html.Label(
        [
            html.Span(label),
            html.Select(
                [html.Option(text, value=str(value)) for value, text in options],
                className="crew-input",
            ),
        ],
        className="crew-field",
        **{"data-field": field, "data-kind": kind},
    )


def _photo_input(input_id: str, label: str, tid: int, lang: str, *, send: bool = False):
    """A button opening the phone's camera (assets/crew.js makes the ``<input type=file
    accept=image/* capture=environment>``); with ``send`` the photo is sent at once, else it
    waits for the form's request (``data-photo``)."""
    attrs = {
        "data-url": f"{API}/tickets/{tid}/photos",
        "data-ok": t("crew.site.photo_sent", lang),
        "data-attached": t("crew.site.photo_attached", lang),
    }
    if send:
        attrs["data-send"] = "1"
    return html.Button(
        label,
        id=input_id,
        type="button",
        className="crew-button crew-photo-button",
        **attrs,
    )


def _signoff(record: dict, prices: list[dict], lang: str, tid: int) -> html.Div:
    title = html.H3(t("crew.site.signoff", lang))
    done = record["signoff"]
    name = "name_en" if lang == "en" else "name_zh"
    if done is not None:
        lines = [html.Li(f"{i[name]} × {i['quantity']} = {i['amount_cny']}") for i in done["items"]]
        who = t("crew.site.signed", lang) if done["signed"] else t("site.customer_refused", lang)
        return html.Div(
            [
                title,
                html.Ul(lines, className="crew-charges"),
                html.P(t("site.total", lang, total=done["total_cny"]), className="crew-total"),
                html.P([who, " · ", _at(done["signed_at"], lang)], className="crew-muted"),
            ],
            className="crew-site-part crew-signoff-done",
        )
    form_id, pad_id = "crew-signoff-form", "crew-signoff-signature"
    url = f"{API}/tickets/{tid}/signoff"
    ok = t("crew.site.signed_off", lang)
    rows = [
        html.Label(
            [
                html.Span(f"{p[name]} · {p['unit_price_cny']}", className="crew-price-name"),
                dcc.Input(
                    type="number",
                    min=0,
                    step=1,
                    value="0",
                    inputMode="numeric",
                    className="crew-input crew-quantity",
                ),
            ],
            className="crew-price",
            **{"data-item": p["code"], "data-price": p["unit_price_cny"]},
        )
        for p in prices
    ]
    return html.Div(
        [
            title,
            html.Div(
                [
                    html.Div(rows, className="crew-prices"),
                    html.P(
                        t("site.total", lang, total=str(Decimal("0.00"))),
                        className="crew-total",
                        **{"data-template": t("site.total", lang, total="{total}")},
                    ),
                    _signature_pad(pad_id, lang),
                    html.Div(
                        [
                            _act(
                                t("crew.site.customer_signs", lang),
                                url,
                                ok,
                                form=form_id,
                                signature=pad_id,
                            ),
                            _act(
                                t("site.customer_refused", lang),
                                url,
                                ok,
                                body={"customer_refused": True},
                                cls="crew-refused",
                                form=form_id,
                            ),
                        ],
                        className="crew-pair",
                    ),
                ],
                id=form_id,
                className="crew-form crew-form-column",
            ),
        ],
        className="crew-site-part",
    )


def _photos(record: dict, lang: str, tid: int) -> html.Div:
    photos = record["photos"]
    thumbs = [
        html.Img(
            src=f"/site-photos/{tid}/{p['id']}",
            alt=p["note"] or f"{p['id']}",
            className="crew-thumb",
        )
        for p in photos
    ]
    return html.Div(
        [
            html.H3(t("crew.site.photos", lang, n=len(photos))),
            html.Div(thumbs, className="crew-thumbs"),
            _photo_input("crew-photo", t("crew.site.take_photo", lang), tid, lang, send=True),
        ],
        className="crew-site-part",
    )

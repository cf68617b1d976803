"""What the crew did on site, for the dispatcher's ticket detail on the wall (issue 10): a
compact "site work" block with the status, the CJJ51 checklist progress (n of m), the last gas
reading, the valves found stuck, the households marked, photo thumbnails and the sign-off.

:func:`read` gathers it through the services (the site record, the ticket's events) in the
wall's unit of work; :func:`section` draws it. Kept apart from the wall's own builders so the
wall's panel only appends it."""

from __future__ import annotations

from dash import html

from dashboards.i18n import status_label, t
from dispatch import site_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError
from dispatch.site_rules import CHECK_ITEMS


def read(uow, ticket_id: int, user: dict | None) -> dict | None:
    """``{"site", "stuck_valves"}`` of the ticket, or None when the user may not read it."""
    if not user or not hasattr(uow, "site"):  # no site storage: the wall's unit-test stand-in
        return None
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    try:
        site = site_service.site_record(uow, ticket_id, actor)
        events = ticket_service.ticket_events(uow, ticket_id, actor)
    except DispatchError:
        return None
    stuck = [
        int((e.get("data") or {}).get("valve_id"))
        for e in events
        if e["event_type"] == "valve_stuck"
    ]
    return {"site": site, "stuck_valves": stuck}


def summary(progress: dict) -> dict:
    """The figures the block shows (plain data, tested without a page)."""
    site = progress["site"]
    readings = site["readings"]
    households = site["households"]
    signoff = site["signoff"]
    signed = None
    if signoff is not None:
        signed = "signed" if signoff["signed"] else "refused"
    return {
        "status": site["status"],
        "visit": site.get("visit", 1),
        "checks_done": len({c["item"] for c in site["checklist"]}),
        "checks_total": len(CHECK_ITEMS),
        "last_reading": readings[-1] if readings else None,
        "stuck_valves": progress["stuck_valves"],
        "households_marked": sum(1 for h in households if h["mark"]),
        "households_total": len(households),
        "photos": [p["id"] for p in site["photos"]],
        "signoff": signed,
        "total_cny": None if signoff is None else signoff["total_cny"],
    }


def section(progress: dict | None, lang: str) -> list:
    """The "site work" block (nothing when there is no record to show)."""
    if progress is None:
        return []
    s = summary(progress)
    tid = progress["site"]["ticket_id"]
    rows = [
        (t("site.progress.status", lang), status_label(s["status"], lang)),
        (
            t("site.progress.checklist", lang),
            t("site.progress.n_of_m", lang, n=s["checks_done"], m=s["checks_total"]),
        ),
        (t("site.progress.reading", lang), _reading(s["last_reading"], lang)),
        (
            t("site.progress.stuck", lang),
            ", ".join(str(v) for v in s["stuck_valves"]) or t("crew.none", lang),
        ),
        (
            t("site.progress.households", lang),
            t("site.progress.n_of_m", lang, n=s["households_marked"], m=s["households_total"]),
        ),
        (t("site.progress.signoff", lang), _signoff(s, lang)),
    ]
    if s["visit"] > 1:
        rows.insert(1, (t("site.progress.visit", lang), str(s["visit"])))
    return [
        html.Div(
            [
                html.H3(t("site.progress.title", lang)),
                html.Dl(
                    [
                        html.Div([html.Dt(k), html.Dd(v)], className="site-progress-row")
                        for k, v in rows
                    ],
                    className="site-progress-facts",
                ),
                html.Div(
                    [
                        html.A(
                            html.Img(
                                src=f"/site-photos/{tid}/{p}", className="site-progress-thumb"
                            ),
                            href=f"/site-photos/{tid}/{p}",
                            target="_blank",
                        )
                        for p in s["photos"]
                    ],
                    className="site-progress-thumbs",
                ),
            ],
            className="site-progress",
            **{"data-ticket": str(tid)},
        )
    ]


def _reading(reading: dict | None, lang: str) -> str:
    if reading is None:
        return t("crew.none", lang)
    text = t("site.reading", lang, value=f"{reading['lel_percent']:g}")
    return text + ("" if reading["safe"] else " ⚠")


def _signoff(s: dict, lang: str) -> str:
    if s["signoff"] is None:
        return t("site.progress.not_signed", lang)
    who = (
        t("crew.site.signed", lang)
        if s["signoff"] == "signed"
        else t("site.customer_refused", lang)
    )
    return f"{who} · {t('site.total', lang, total=s['total_cny'])}"

"""The hotline page's callbacks: each decorated function delegates to a plain function that
tests call directly. Every read and write goes through the services with the session's user
as the actor, checked against the same permission table as the API; names and phones are
masked and their reads logged there, as in the API."""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import session

from dashboards import ids
from dashboards.components import hotline_parts as parts
from dashboards.i18n import t
from dispatch import auth, customer_service, hotline_service, reply_service
from dispatch.actor import Actor
from dispatch.errors import DispatchError, InvalidInput, Unauthenticated
from dispatch.ticket_model import category_of
from gis.geocode import best_match

EMPTY = {"type": "FeatureCollection", "features": []}


def search(api, q: str | None, lang: str, user: dict | None) -> list:
    """The results of the search box (nothing typed: nothing shown)."""
    if not q or not q.strip():
        return []
    try:
        actor = _actor(user, "customers.search")
        with api.uow() as uow:
            found = customer_service.search_customers(uow, q, actor)
    except InvalidInput:
        return [html.P(t("hl.keep_typing", lang), className="hl-muted")]
    except DispatchError as exc:
        return parts.search_results([], lang, error=str(exc))
    return parts.search_results(found["customers"], lang)


def pick_customer(api, triggered, q: str | None, user: dict | None):
    """The customer picked: a result clicked, or Enter in the box (the best match)."""
    if isinstance(triggered, dict) and triggered.get("type") == ids.HL_RESULT:
        return int(triggered["index"])
    if triggered != ids.HL_SEARCH or not q:
        return no_update
    try:
        actor = _actor(user, "customers.search")
        with api.uow() as uow:
            found = customer_service.search_customers(uow, q, actor)["customers"]
    except DispatchError:
        return no_update
    return found[0]["id"] if found else no_update


def show_customer(api, customer_id, lang: str, user: dict | None) -> tuple:
    """(the customer's file, the call's place from the customer)."""
    if customer_id is None:
        return parts.customer_file(None, lang, None), no_update
    try:
        actor = _actor(user, "customers.get")
        with api.uow() as uow:
            file = customer_service.customer_file(uow, int(customer_id), actor)
            zone = hotline_service.territory_zone(uow)
    except DispatchError as exc:
        return [html.P(str(exc), role="alert")], no_update
    c = file["customer"]
    place = {
        "lon": c["lon"],
        "lat": c["lat"],
        "address": c["address"],
        "source": "customer",
        "account_no": c["account_no"],
    }
    return parts.customer_file(file, lang, zone), place


def choose_type(triggered, typed: str | None, lang: str):
    """(the chosen type, its default receiving department): a type clicked, or Enter in the
    type box (the first match)."""
    if isinstance(triggered, dict) and triggered.get("type") == ids.HL_TYPE_BUTTON:
        code = str(triggered["index"])
    elif triggered == ids.HL_TYPE_INPUT:
        matches = parts.type_matches(typed, lang)
        if not typed or not matches:
            return no_update, no_update
        code = matches[0]
    else:
        return no_update, no_update
    return code, parts.DEFAULT_DEPARTMENT[category_of(code)]


def geocode_address(api, text: str | None, lang: str, user: dict | None) -> tuple:
    """(the candidates shown, the candidates stored, the place when one is clear)."""
    if not text or not text.strip():
        return [], [], no_update
    try:
        _actor(user, "geocode")
        with api.uow() as uow:
            candidates = uow.places.search_addresses(text.strip(), limit=5)
    except DispatchError as exc:
        return [html.P(str(exc), role="alert")], [], no_update
    if not candidates:
        return [html.P(t("hl.address_none", lang), className="hl-muted")], [], no_update
    best = best_match(candidates)
    buttons = [
        html.Button(
            f"{c['address']} ({c['score']:.2f})",
            id={"type": ids.HL_CANDIDATE, "index": i},
            className="hl-button hl-candidate",
        )
        for i, c in enumerate(candidates)
    ]
    place = _place_of(best, "address") if best is not None else no_update
    return buttons, candidates, place


def pick_candidate(triggered, value, candidates: list[dict] | None):
    if not isinstance(triggered, dict) or not value or not candidates:
        return no_update
    index = int(triggered["index"])
    return _place_of(candidates[index], "address") if index < len(candidates) else no_update


def map_click(api, click: dict | None, user: dict | None):
    """The place clicked on the map, with the nearest address (reverse geocoding)."""
    if not click or "latlng" not in click:
        return no_update
    latlng = click["latlng"]
    lat, lon = (latlng["lat"], latlng["lng"]) if isinstance(latlng, dict) else latlng[:2]
    try:
        _actor(user, "geocode")
        with api.uow() as uow:
            address = uow.places.nearest_address(float(lon), float(lat))
    except DispatchError:
        address = None
    return {"lon": float(lon), "lat": float(lat), "address": address, "source": "map"}


def show_place(api, place: dict | None, repeat_of, lang: str, user: dict | None) -> tuple:
    """(the place in words, the open tickets near it, the map's points, the map's view)."""
    if not place:
        return t("hl.place_none", lang), [], EMPTY, no_update
    text = f"{t('hl.place_from.' + place['source'], lang)}: {place.get('address') or ''}"
    text += f" ({place['lon']:.5f}, {place['lat']:.5f})"
    try:
        actor = _actor(user, "tickets.list")
        with api.uow() as uow:
            rows = hotline_service.nearby_open_tickets(uow, place["lon"], place["lat"], actor)
            zone = hotline_service.territory_zone(uow)
    except DispatchError as exc:
        return text, [html.P(str(exc), role="alert")], EMPTY, no_update
    features = [_point(place["lon"], place["lat"], t("hl.this_call", lang), 0)]
    features += [
        _point(r.get("lon"), r.get("lat"), r["number"], r["priority"]) for r in rows if r.get("lon")
    ]
    view = {"center": [place["lat"], place["lon"]], "zoom": 17, "transition": "flyTo"}
    return (
        text,
        parts.nearby_tickets(rows, repeat_of, lang, zone),
        {"type": "FeatureCollection", "features": features},
        view,
    )


def toggle_repeat(triggered, value, current):
    if not isinstance(triggered, dict) or not value:
        return no_update
    chosen = int(triggered["index"])
    return None if current == chosen else chosen


def save(api, form: dict, lang: str, user: dict | None) -> tuple:
    """(the answer to tell the caller, the notice, saved) from the form's values."""
    if not form.get("type"):
        return no_update, t("hl.need_type", lang), False
    place = form.get("place")
    try:
        actor = _actor(user, "tickets.create")
        now = api.clock()
        with api.uow() as uow:
            zone = hotline_service.territory_zone(uow)
            data = _ticket_body(form, place, now, zone)
            result = hotline_service.take_call(
                uow,
                data,
                actor,
                now,
                api.settings,
                api.ports,
                repeat_of=form.get("repeat_of"),
            )
    except ValueError as exc:
        return no_update, t("hl.bad_time", lang, text=str(exc)), False
    except DispatchError as exc:
        return no_update, f"{t('hl.not_saved', lang)}: {exc}", False
    return parts.saved_answer(result, lang, zone), "", True


def replies(api, lang: str, user: dict | None) -> list:
    try:
        _actor(user, "tickets.list")
        now = api.clock()
        with api.uow() as uow:
            rows = reply_service.replies_due(uow)
            zone = hotline_service.territory_zone(uow)
    except DispatchError as exc:
        return [html.P(str(exc), role="alert")]
    return parts.replies_due(rows, now, lang, zone)


def record_reply(api, triggered, value, lang: str, user: dict | None) -> str:
    if not isinstance(triggered, dict) or not value:
        return no_update
    try:
        actor = _actor(user, "tickets.reply")
        with api.uow() as uow:
            reply_service.record_reply(uow, int(triggered["index"]), actor, api.clock())
    except DispatchError as exc:
        return f"{t('hl.not_saved', lang)}: {exc}"
    return t("hl.replies.recorded", lang)


def _ticket_body(form: dict, place: dict | None, now, zone) -> dict:
    """The API's ticket body from the form (times typed in the territory's zone)."""
    data = {"type": form["type"]}
    if place:
        if place.get("account_no"):
            data["account_no"] = place["account_no"]
        if place["source"] != "customer":
            data.update(lon=place["lon"], lat=place["lat"])
            if place.get("address"):
                data["address"] = place["address"]
    elif form.get("customer_account"):
        data["account_no"] = form["customer_account"]
    for key, name in (
        ("caller_name", "caller_name"),
        ("caller_phone", "caller_phone"),
        ("description", "description"),
        ("department", "receiving_department"),
    ):
        value = (form.get(key) or "").strip()
        if value:
            data[name] = value
    for key, name in (("appointment", "appointment_at"), ("promised_reply", "promised_reply_at")):
        when = parts.parse_local_time(form.get(key), now, zone)
        if when is not None:
            data[name] = when.isoformat()
    return data


def _place_of(candidate: dict, source: str) -> dict:
    return {
        "lon": candidate["lon"],
        "lat": candidate["lat"],
        "address": candidate["address"],
        "source": source,
    }


def _point(lon, lat, label: str, priority: int) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"label": label, "priority": priority},
    }


def _actor(user: dict | None, action: str) -> Actor:
    if not user:
        raise Unauthenticated("log in at /login first", None)
    actor = Actor(user["username"], user["role"], user.get("crew_id"))
    auth.require(actor, action)
    return actor


def _clicked():
    """The id of the button clicked, or None when the callback fired because the buttons were
    drawn again (no clicks)."""
    for entry in ctx.triggered:
        if entry["value"]:
            return ctx.triggered_prop_ids[entry["prop_id"]]
    return None


# Focus moves on by itself along the keyboard path (see dashboards.pages.hotline).
_FOCUS_JS = """
function (value) {
    if (value === null || value === undefined) { return window.dash_clientside.no_update; }
    setTimeout(function () {
        var el = document.getElementById("%s");
        if (el) { el.focus(); }
    }, 50);
    return window.dash_clientside.no_update;
}
"""


def register_hotline_callbacks(app, api) -> None:
    user = lambda: session.get("user")  # noqa: E731 (read at each request)

    @app.callback(
        Output(ids.HL_RESULTS, "children"),
        Input(ids.HL_SEARCH, "value"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _search(q, lang):
        return search(api, q, lang, user())

    # Enter and clicks are separate callbacks: typing redraws the buttons, which fires a click
    # callback with no click; in one callback that later call would supersede the Enter.
    @app.callback(
        Output(ids.HL_CUSTOMER, "data", allow_duplicate=True),
        Input(ids.HL_SEARCH, "n_submit"),
        State(ids.HL_SEARCH, "value"),
        prevent_initial_call=True,
    )
    def _pick_enter(_submit, q):
        return pick_customer(api, ids.HL_SEARCH, q, user())

    @app.callback(
        Output(ids.HL_CUSTOMER, "data", allow_duplicate=True),
        Input({"type": ids.HL_RESULT, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _pick_click(_clicks):
        return pick_customer(api, _clicked(), None, user())

    @app.callback(
        Output(ids.HL_FILE, "children"),
        Output(ids.HL_LOCATION, "data", allow_duplicate=True),
        Input(ids.HL_CUSTOMER, "data"),
        Input(ids.HL_SAVED_STORE, "data"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _file(customer_id, _saved, lang):
        file, place = show_customer(api, customer_id, lang, user())
        # After a save the file shows the new ticket; the place stays where the agent set it.
        return file, place if ctx.triggered_id == ids.HL_CUSTOMER else no_update

    @app.callback(
        Output(ids.HL_TYPE, "data", allow_duplicate=True),
        Output(ids.HL_DEPARTMENT, "value", allow_duplicate=True),
        Input(ids.HL_TYPE_INPUT, "n_submit"),
        State(ids.HL_TYPE_INPUT, "value"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _type_enter(_submit, typed, lang):
        return choose_type(ids.HL_TYPE_INPUT, typed, lang)

    @app.callback(
        Output(ids.HL_TYPE, "data", allow_duplicate=True),
        Output(ids.HL_DEPARTMENT, "value", allow_duplicate=True),
        Input({"type": ids.HL_TYPE_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _type_click(_clicks, lang):
        return choose_type(_clicked(), None, lang)

    @app.callback(
        Output(ids.HL_TYPES, "children"),
        Output(ids.HL_ADVICE, "children"),
        Input(ids.HL_TYPE_INPUT, "value"),
        Input(ids.HL_TYPE, "data"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _types(typed, chosen, lang):
        return parts.type_picker(chosen, typed, lang), parts.safety_advice(chosen, lang)

    @app.callback(
        Output(ids.HL_ADDRESS_CANDIDATES, "children"),
        Output(ids.HL_CANDIDATES, "data"),
        Output(ids.HL_LOCATION, "data", allow_duplicate=True),
        Input(ids.HL_ADDRESS, "n_submit"),
        State(ids.HL_ADDRESS, "value"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _geocode(_submit, text, lang):
        return geocode_address(api, text, lang, user())

    @app.callback(
        Output(ids.HL_LOCATION, "data", allow_duplicate=True),
        Input({"type": ids.HL_CANDIDATE, "index": ALL}, "n_clicks"),
        State(ids.HL_CANDIDATES, "data"),
        prevent_initial_call=True,
    )
    def _candidate(_clicks, candidates):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return pick_candidate(ctx.triggered_id, value, candidates)

    @app.callback(
        Output(ids.HL_LOCATION, "data", allow_duplicate=True),
        Input(ids.HL_MAP, "clickData"),
        prevent_initial_call=True,
    )
    def _click(click):
        return map_click(api, click, user())

    @app.callback(
        Output(ids.HL_LOCATION_TEXT, "children"),
        Output(ids.HL_NEARBY, "children"),
        Output(ids.HL_MAP_POINT, "data"),
        Output(ids.HL_MAP, "viewport"),
        Input(ids.HL_LOCATION, "data"),
        Input(ids.HL_REPEAT_OF, "data"),
        Input(ids.HL_SAVED_STORE, "data"),
        State(ids.HL_LANG, "data"),
    )
    def _place(place, repeat_of, _saved, lang):
        return show_place(api, place, repeat_of, lang, user())

    @app.callback(
        Output(ids.HL_REPEAT_OF, "data", allow_duplicate=True),
        Input({"type": ids.HL_REPEAT_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.HL_REPEAT_OF, "data"),
        prevent_initial_call=True,
    )
    def _repeat(_clicks, current):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return toggle_repeat(ctx.triggered_id, value, current)

    @app.callback(
        Output(ids.HL_SAVED, "children"),
        Output(ids.HL_NOTICE, "children"),
        Output(ids.HL_SAVED_STORE, "data"),
        Output(ids.HL_REPEAT_OF, "data", allow_duplicate=True),
        Input(ids.HL_SAVE, "n_clicks"),
        State(ids.HL_TYPE, "data"),
        State(ids.HL_LOCATION, "data"),
        State(ids.HL_REPEAT_OF, "data"),
        State(ids.HL_CALLER_NAME, "value"),
        State(ids.HL_CALLER_PHONE, "value"),
        State(ids.HL_DESCRIPTION, "value"),
        State(ids.HL_DEPARTMENT, "value"),
        State(ids.HL_APPOINTMENT, "value"),
        State(ids.HL_PROMISED_REPLY, "value"),
        State(ids.HL_SAVED_STORE, "data"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _save(clicks, type_, place, repeat_of, name, phone, text, dept, appt, reply, n, lang):
        if not clicks:
            return no_update, no_update, no_update, no_update
        form = {
            "type": type_,
            "place": place,
            "repeat_of": repeat_of,
            "caller_name": name,
            "caller_phone": phone,
            "description": text,
            "department": dept,
            "appointment": appt,
            "promised_reply": reply,
        }
        answer, notice, saved = save(api, form, lang, user())
        if not saved:
            return answer, notice, no_update, no_update
        return answer, notice, (n or 0) + 1, None  # the next call links nothing by itself

    @app.callback(
        Output(ids.HL_REPLIES, "children"),
        Input(ids.HL_TICK, "n_intervals"),
        Input(ids.HL_SAVED_STORE, "data"),
        Input(ids.HL_NOTICE, "children"),
        State(ids.HL_LANG, "data"),
    )
    def _replies(_tick, _saved, _notice, lang):
        return replies(api, lang, user())

    @app.callback(
        Output(ids.HL_NOTICE, "children", allow_duplicate=True),
        Input({"type": ids.HL_REPLY_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.HL_LANG, "data"),
        prevent_initial_call=True,
    )
    def _reply(_clicks, lang):
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return record_reply(api, ctx.triggered_id, value, lang, user())

    app.clientside_callback(
        _FOCUS_JS % ids.HL_TYPE_INPUT,
        Output(ids.HL_FOCUS, "data", allow_duplicate=True),
        Input(ids.HL_CUSTOMER, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # the next call starts in the search box, its text selected
        _FOCUS_JS.replace("el.focus();", "el.focus(); el.select();") % ids.HL_SEARCH,
        Output(ids.HL_FOCUS, "data", allow_duplicate=True),
        Input(ids.HL_SAVED_STORE, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _FOCUS_JS % ids.HL_SAVE,
        Output(ids.HL_FOCUS, "data", allow_duplicate=True),
        Input(ids.HL_TYPE, "data"),
        prevent_initial_call=True,
    )

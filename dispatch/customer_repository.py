"""SQL of the hotline's customer search and the customer's file (rows of ``customer_meters``).

The search reads candidates through the trigram indexes of migration 0015: each kind of
number (phone digits, account, meter) and the address is one indexed branch with its own
small limit, so no query reads more than a few hundred rows; the final order is
:func:`dispatch.customer_search.rank`'s. Coordinates EPSG:4326.
"""

from __future__ import annotations

from dispatch.customer_search import CustomerQuery, house_number, street_of

#: Candidates read per branch before ranking (the page shows the best 10).
BRANCH_LIMIT = 40
#: Address candidates need at least this trigram word similarity (0..1) ...
ADDRESS_MIN_SIMILARITY = 0.45
#: ... and streets this similarity to the street asked for; the best few streets are tried,
#: those within the margin of the best one.
STREET_MIN_SIMILARITY = 0.3
STREETS_TRIED = 5
STREET_MARGIN = 0.15
#: cpu_operator_cost while street names are matched (PostgreSQL's default is 0.0025).
SIMILARITY_OPERATOR_COST = 0.25

_COLUMNS = (
    "m.id, m.meter_no, m.account_no, m.customer_name, m.phone, m.address, m.category,"
    " ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat"
)
#: Puts cpu_operator_cost back to its usual value (a statement, to prefix another with).
_USUAL_PRICE = (
    "SELECT set_config('cpu_operator_cost', reset_val, true) FROM pg_settings"
    " WHERE name = 'cpu_operator_cost';"
)
_PHONE_DIGITS = "regexp_replace(m.phone, '[^0-9]', '', 'g')"
_METER_DIGITS = "regexp_replace(m.meter_no, '[^0-9]', '', 'g')"


def search_candidates(cur, query: CustomerQuery, limit: int = 10) -> list[dict]:
    """Rows that may match ``query`` (unranked), each with ``similarity`` for addresses.

    Numbers are looked up in two rounds: first the strong matches (exact, prefix, the end of
    a phone) through b-tree indexes, which rank above anything a fragment merely inside a
    number can; the trigram "inside" round runs only when the first found fewer than
    ``limit`` customers."""
    rows: list[dict] = []
    if query.digits:
        d = query.digits
        rows += _branches(
            cur,
            [
                (f"{_PHONE_DIGITS} LIKE %(p)s", f"{_PHONE_DIGITS} = %(d)s"),
                (f"reverse({_PHONE_DIGITS}) LIKE reverse(%(d)s) || '%%'", None),
                ("m.account_no LIKE %(p)s", "m.account_no = %(d)s"),
                (f"{_METER_DIGITS} LIKE %(p)s", f"{_METER_DIGITS} = %(d)s"),
            ],
            d,
        )
        if len({r["id"] for r in rows}) < limit:
            inside = [(f"{c} LIKE %(inside)s", None) for c in (_PHONE_DIGITS, "m.account_no")]
            rows += _branches(cur, [*inside, ("m.meter_no LIKE %(inside)s", None)], d)
    if query.meter:
        m = query.meter
        rows += _branches(cur, [("upper(m.meter_no) LIKE %(p)s", "upper(m.meter_no) = %(d)s")], m)
        if len({r["id"] for r in rows}) < limit:
            rows += _branches(cur, [("m.meter_no ILIKE %(inside)s", None)], m)
    if query.address:
        rows.extend(_address_candidates(cur, query.address))
    return [dict(r) for r in rows]


def _branches(cur, branches: list[tuple[str, str | None]], text: str) -> list[dict]:
    """Up to BRANCH_LIMIT rows matching each ``(where, exact)`` branch, exact matches first,
    then by id (the ranking's tie order, so a branch never cuts off a better row than it
    keeps); all branches in one statement, one round trip."""
    parts = []
    for where, exact in branches:
        order = f"({exact}) DESC, m.id" if exact else "m.id"
        parts.append(
            f"(SELECT {_COLUMNS}, NULL::real AS similarity FROM customer_meters m"
            f" WHERE {where} ORDER BY {order} LIMIT %(n)s)"
        )
    cur.execute(
        " UNION ALL ".join(parts),
        {
            "d": text,
            "p": _escape_like(text) + "%",
            "inside": f"%{_escape_like(text)}%",
            "n": BRANCH_LIMIT,
        },
    )
    return list(cur.fetchall())


def _address_candidates(cur, address: str) -> list[dict]:
    """Customers on the streets most like the one asked for (with the house number asked
    for first); when no street is like it, any address like the text (slower, rare)."""
    street, number = street_of(address), house_number(address)
    streets = []
    if street:
        # The planner takes a similarity for as cheap as a comparison and would read every
        # street name (tens of ms); priced closer to what it costs, it uses the trigram
        # index (under 1 ms). Only for this statement: the previous price is put back.
        cur.execute(
            "SELECT set_config('cpu_operator_cost', %(price)s, true),"
            " set_config('pg_trgm.similarity_threshold', %(min)s, true);"
            " SELECT street, similarity(street, %(s)s) AS sim FROM customer_streets"
            " WHERE street %% %(s)s ORDER BY sim DESC, street LIMIT %(n)s;",
            {
                "price": str(SIMILARITY_OPERATOR_COST),
                "min": str(STREET_MIN_SIMILARITY),
                "s": street,
                "n": STREETS_TRIED,
            },
        )
        found = cur.fetchall()
        streets = [r["street"] for r in found if r["sim"] >= found[0]["sim"] - STREET_MARGIN]
    rows = []
    if streets:
        # Back to the usual price (RESET LOCAL is not a thing), then every street's customers
        # in one statement: each branch an indexed prefix, the house number asked for first.
        params: dict = {"q": address, "num": number, "n": BRANCH_LIMIT}
        parts = []
        for i, name in enumerate(streets):
            params[f"prefix{i}"], params[f"street{i}"] = _escape_like(name) + "%", name
            parts.append(
                f"(SELECT {_COLUMNS}, word_similarity(%(q)s, m.address) AS similarity"
                f" FROM customer_meters m WHERE m.address LIKE %(prefix{i})s"
                f" AND customer_street(m.address) = %(street{i})s"
                " ORDER BY substring(m.address FROM '[0-9]+') IS NOT DISTINCT FROM %(num)s DESC,"
                " m.address, m.id LIMIT %(n)s)"
            )
        cur.execute(_USUAL_PRICE + " UNION ALL ".join(parts), params)
        rows = list(cur.fetchall())
    if rows:
        return rows
    cur.execute(
        f"{_USUAL_PRICE} SELECT set_config('pg_trgm.word_similarity_threshold', %(min)s, true);"
        f" SELECT {_COLUMNS}, word_similarity(%(q)s, m.address) AS similarity"
        " FROM customer_meters m WHERE %(q)s <%% m.address"
        " ORDER BY similarity DESC, m.id LIMIT %(n)s",
        {"q": address, "n": BRANCH_LIMIT, "min": str(ADDRESS_MIN_SIMILARITY)},
    )
    return list(cur.fetchall())


def customer(cur, customer_id: int) -> dict | None:
    cur.execute(f"SELECT {_COLUMNS} FROM customer_meters m WHERE m.id = %s", (customer_id,))
    row = cur.fetchone()
    return None if row is None else dict(row)


def meters_of_account(cur, account_no: str) -> list[dict]:
    cur.execute(
        f"SELECT {_COLUMNS} FROM customer_meters m WHERE m.account_no = %s ORDER BY m.id",
        (account_no,),
    )
    return [dict(r) for r in cur.fetchall()]


def tickets_of(cur, meter_ids: list[int], account_no: str) -> list[dict]:
    """Every ticket about the customer's meters or account, newest first."""
    cur.execute(
        "SELECT id, number, ticket_type, category, priority, status, address, description,"
        " received_at, closed_at, cancelled_at, appointment_at, promised_reply_at,"
        " receiving_department, taken_by, parent_ticket_id"
        " FROM tickets WHERE meter_id = ANY(%(m)s) OR account_no = %(a)s"
        " ORDER BY received_at DESC, id DESC LIMIT 500",
        {"m": meter_ids, "a": account_no},
    )
    return [dict(r) for r in cur.fetchall()]


def complaints_of(cur, account_no: str, ticket_ids: list[int]) -> list[dict]:
    cur.execute(
        "SELECT id, channel, level, status, department, ticket_id, description, received_at,"
        " reply_due_at, replied_at, closed_at FROM complaints"
        " WHERE account_no = %(a)s OR ticket_id = ANY(%(t)s)"
        " ORDER BY received_at DESC, id DESC LIMIT 500",
        {"a": account_no, "t": ticket_ids},
    )
    return [dict(r) for r in cur.fetchall()]


def callbacks_of(cur, ticket_ids: list[int]) -> list[dict]:
    cur.execute(
        "SELECT id, ticket_id, sampled_on, status, attitude, skill, attire, punctuality,"
        " issues, called_at FROM callbacks WHERE ticket_id = ANY(%s)"
        " ORDER BY sampled_on DESC, id DESC LIMIT 500",
        (ticket_ids,),
    )
    return [dict(r) for r in cur.fetchall()]


def table_exists(cur, name: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (name,))
    return bool(cur.fetchone()["found"])


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

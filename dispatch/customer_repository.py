"""SQL of the hotline's customer search and the customer's file (rows of ``customer_meters``).

The search reads candidates through the trigram indexes of migration 0015: each kind of
number (phone digits, account, meter) and the address is one indexed branch with its own
small limit, so no query reads more than a few hundred rows; the final order is
:func:`dispatch.customer_search.rank`'s. Coordinates EPSG:4326.
"""

from __future__ import annotations

from dispatch.customer_search import CustomerQuery

#: Candidates read per branch before ranking (the page shows the best 10).
BRANCH_LIMIT = 40
#: Address candidates need at least this trigram word similarity (0..1).
ADDRESS_MIN_SIMILARITY = 0.45

_COLUMNS = (
    "m.id, m.meter_no, m.account_no, m.customer_name, m.phone, m.address, m.category,"
    " ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat"
)
_PHONE_DIGITS = "regexp_replace(m.phone, '[^0-9]', '', 'g')"


def search_candidates(cur, query: CustomerQuery) -> list[dict]:
    """Rows that may match ``query`` (unranked), each with ``similarity`` for addresses."""
    rows: list[dict] = []
    if query.digits:
        like = f"%{_escape_like(query.digits)}%"
        params = {"d": query.digits, "like": like, "n": BRANCH_LIMIT}
        # Each branch orders its own matches so that exact and prefix ones are never cut off.
        for where, order in (
            (f"{_PHONE_DIGITS} LIKE %(like)s", f"{_PHONE_DIGITS} = %(d)s DESC,"
             f" {_PHONE_DIGITS} LIKE %(d)s || '%%' DESC, right({_PHONE_DIGITS}, length(%(d)s))"
             " = %(d)s DESC"),
            ("m.account_no LIKE %(like)s", "m.account_no = %(d)s DESC,"
             " m.account_no LIKE %(d)s || '%%' DESC"),
            ("m.meter_no LIKE %(like)s", "m.meter_no LIKE '%%' || %(d)s DESC"),
        ):  # fmt: skip
            cur.execute(
                f"SELECT {_COLUMNS}, NULL::real AS similarity FROM customer_meters m"
                f" WHERE {where} ORDER BY {order}, m.id LIMIT %(n)s",
                params,
            )
            rows.extend(cur.fetchall())
    if query.meter:
        cur.execute(
            f"SELECT {_COLUMNS}, NULL::real AS similarity FROM customer_meters m"
            " WHERE m.meter_no ILIKE %(like)s ORDER BY upper(m.meter_no) = %(m)s DESC,"
            " upper(m.meter_no) LIKE %(m)s || '%%' DESC, m.id LIMIT %(n)s",
            {"like": f"%{_escape_like(query.meter)}%", "m": query.meter, "n": BRANCH_LIMIT},
        )
        rows.extend(cur.fetchall())
    if query.address:
        cur.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            (str(ADDRESS_MIN_SIMILARITY),),
        )
        cur.execute(
            f"SELECT {_COLUMNS}, word_similarity(%(q)s, m.address) AS similarity"
            " FROM customer_meters m WHERE %(q)s <%% m.address"
            " ORDER BY similarity DESC, m.id LIMIT %(n)s",
            {"q": query.address, "n": BRANCH_LIMIT},
        )
        rows.extend(cur.fetchall())
    return [dict(r) for r in rows]


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

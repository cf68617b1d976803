"""The SQL behind the names people read on the wall: crew codes and users' roles."""

from __future__ import annotations


def crew_codes(cur, crew_ids) -> dict[int, str]:
    """Crew id -> crew code (``E-03``) for the given ids."""
    ids = sorted({int(i) for i in crew_ids if i is not None})
    if not ids:
        return {}
    cur.execute("SELECT id, code FROM crews WHERE id = ANY(%s)", (ids,))
    return {int(r["id"]): r["code"] for r in cur.fetchall()}


def user_roles(cur, usernames) -> dict[str, str]:
    """Username -> role for the given users (names not found are left out)."""
    names = sorted({str(n) for n in usernames if n})
    if not names:
        return {}
    cur.execute("SELECT username, role FROM users WHERE username = ANY(%s)", (names,))
    return {r["username"]: r["role"] for r in cur.fetchall()}

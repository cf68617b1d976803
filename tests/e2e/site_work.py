"""The crew's site work through the API, for tests that walk a real job to its end: the CJJ51
records that made_safe and closed need, and the two-valve marking before gas_restored."""

from __future__ import annotations

POST_REPAIR = (
    "manholes_checked",
    "cellars_checked",
    "chimneys_checked",
    "underground_lines_checked",
    "nearby_buildings_checked",
    "hazard_gone",
)


def _ok(response, status=201):
    assert response.status_code == status, response.json
    return response.json


def make_safe_records(client, user: str, ticket_id: int, *, lel_percent: float = 30.0) -> None:
    """The warning zone set and a first reading: what made_safe needs."""
    base = f"/tickets/{ticket_id}/site"
    _ok(client.call(user, "POST", f"{base}/checks", json={"item": "warning_zone_set"}))
    _ok(client.call(user, "POST", f"{base}/readings", json={"lel_percent": lel_percent}))


def mark_every_household(client, user: str, ticket_id: int, mark="valves_closed") -> list[int]:
    """Every household of the isolated section marked: what gas_restored needs."""
    site = _ok(client.call(user, "GET", f"/tickets/{ticket_id}/site"), 200)
    meters = [h["meter_id"] for h in site["households"]]
    for meter_id in meters:
        _ok(
            client.call(
                user, "POST", f"/tickets/{ticket_id}/households/{meter_id}", json={"mark": mark}
            ),
            200,
        )
    return meters


def finish_records(client, user: str, ticket_id: int, *, lel_percent: float = 0.0) -> None:
    """The post-repair checks and a safe last reading: what closed needs."""
    base = f"/tickets/{ticket_id}/site"
    for item in POST_REPAIR:
        _ok(client.call(user, "POST", f"{base}/checks", json={"item": item}))
    _ok(client.call(user, "POST", f"{base}/readings", json={"lel_percent": lel_percent}))

"""With no incident selected, the video wall shows the busiest area."""

from __future__ import annotations

from dashboards import wall_callbacks
from dispatch import busiest_area
from dispatch.busiest_area import busiest_point
from tests.unit.test_wall_callbacks import DISPATCHER, FakeApi, FakeLive, snapshot, ticket


def _t(ticket_id, lon, lat, priority=3):
    return {"id": ticket_id, "lon": lon, "lat": lat, "priority": priority,
            "received_at": f"2024-05-10T09:{ticket_id:02d}:00+00:00"}  # fmt: skip


def test_the_busiest_point_is_the_ticket_with_most_others_within_500_m():
    # Three calls within ~200 m of each other in Kamppi; one P1 alone 3 km away.
    tickets = [
        _t(1, 25.0000, 60.2000, priority=1),
        _t(2, 24.9300, 60.1690),
        _t(3, 24.9320, 60.1695),
        _t(4, 24.9310, 60.1700),
    ]

    # All three see three: the tie goes to the oldest call (ticket 2).
    assert busiest_point(tickets) == (24.9300, 60.1690)
    assert busiest_point([_t(5, None, None)]) is None
    assert busiest_point([]) is None


def test_a_wall_with_nothing_selected_shows_the_cameras_of_the_busiest_area(monkeypatch):
    asked = []

    def cameras(uow, tickets):
        asked.append([t["id"] for t in tickets])
        return [{"id": 3, "name": "CAM-03", "stream_url": "/video/cameras/3.mjpg", "covers": True}]

    monkeypatch.setattr(busiest_area, "busiest_area_cameras", cameras)
    live = FakeLive(snapshot([ticket(1)], []))

    _panel, _selection, video = wall_callbacks.show_incident(
        FakeApi(), None, "en", DISPATCHER, live
    )

    assert asked == [[1]]
    assert [tile.id["index"] for tile in video] == [3]


def test_a_quiet_wall_with_nothing_selected_reads_no_cameras(monkeypatch):
    def no_read(*_):
        raise AssertionError("read cameras with no ticket open")

    monkeypatch.setattr(busiest_area, "busiest_area_cameras", no_read)
    live = FakeLive(snapshot([], []))

    assert wall_callbacks.show_incident(FakeApi(), None, "en", DISPATCHER, live)[2] == []

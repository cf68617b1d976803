"""Which outbox rows a crew lead's live push names (dashboards.event_stream), on hand rows."""

from __future__ import annotations

from dashboards.event_stream import RecentRows, concerns_crew, crew_push


def _row(id_, ticket_id=None, crew_id=None):
    return {"id": id_, "ticket_id": ticket_id, "crew_id": crew_id, "kind": "x"}


def test_only_the_crews_own_jobs_are_named_in_order_once_each():
    rows = [_row(1, 10), _row(2, 11), _row(3, 10), _row(4, 12)]

    assert crew_push(rows, {10, 12}) == [10, 12]
    assert crew_push(rows, set()) == []


def test_a_change_of_another_crew_does_not_push_one_of_the_crew_itself_does():
    other = [_row(1, 11, crew_id=2), _row(2, None, crew_id=2)]
    itself = [_row(3, None, crew_id=1)]

    assert not concerns_crew(other, 1, set())
    assert concerns_crew(itself, 1, set())
    assert concerns_crew([_row(4, 10)], 1, {10})


def test_recent_rows_answer_what_came_after_an_id_and_forget_the_oldest():
    recent = RecentRows(size=3)
    recent.add([_row(1), _row(2)])
    recent.add([_row(3), _row(4)])

    assert [r["id"] for r in recent.after(2)] == [3, 4]
    assert [r["id"] for r in recent.after(0)] == [2, 3, 4]

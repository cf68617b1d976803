"""The HTTP handlers of the call-back and complaint desks (issue 11), mixed into
:class:`dispatch.api.Api`; their routes are at the end of ``ROUTES`` there."""

from __future__ import annotations

from datetime import UTC, date

from dispatch import callback_desk_service, complaint_service, complaint_stats_service


class DeskHandlers:
    def list_follow_ups(self, uow, actor, query):
        follow_ups = callback_desk_service.list_follow_ups(uow, status=query["status"])
        return {"follow_ups": follow_ups}, 200

    def decide_follow_up(self, uow, actor, body, follow_up_id):
        return callback_desk_service.decide_follow_up(
            uow, follow_up_id, body, actor, self.clock()
        ), 200

    def appraisal(self, uow, actor, query):
        today = self.clock().astimezone(UTC).date()
        until = query["until"] or today
        since = query["since"] or date(until.year, 3 * ((until.month - 1) // 3) + 1, 1)
        return callback_desk_service.appraisal(uow, since, until), 200

    def add_complaint_note(self, uow, actor, body, complaint_id):
        return complaint_service.add_note(
            uow, complaint_id, body.get("text"), actor, self.clock()
        ), 201

    def complaint_statistics(self, uow, actor, query):
        year, quarter = complaint_stats_service.quarter_of(self.clock())
        year = query["year"] or year
        quarter = query["quarter"] or quarter
        stats = complaint_stats_service.quarterly_statistics(uow, year, quarter)
        if query["format"] == "csv":
            from dispatch.api import _csv

            text = complaint_stats_service.statistics_csv(stats)
            return _csv(text, f"complaints-{year}-Q{quarter}.csv"), 200
        return stats, 200

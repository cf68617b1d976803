"""The unit of work: one database transaction around one use case.

Services receive a unit of work and reach storage through its repositories (``uow.tickets``,
``uow.crews``, ``uow.events``, ``uow.places``, ``uow.site``; older use cases through
``uow.cur``). The transaction commits when the ``with`` block ends normally and rolls back
on any error, so a failed request leaves nothing half-written; events written to the outbox
are announced only on commit.
"""

from __future__ import annotations

from psycopg2.pool import ThreadedConnectionPool

from dispatch import repository
from dispatch.site_repository import SiteRepository
from dispatch.ticket_repository import (
    CrewRepository,
    EventLog,
    PlaceRepository,
    TicketRepository,
)
from gis.database import connect


class UnitOfWork:
    """``with UnitOfWork(pool_or_dsn) as uow: uow.tickets.row(1) ...``"""

    def __init__(self, source: ThreadedConnectionPool | str) -> None:
        self._source = source
        self.conn = None
        self.cur = None

    def __enter__(self) -> UnitOfWork:
        if isinstance(self._source, str):
            self.conn = connect(self._source)
        else:
            self.conn = self._source.getconn()
        self.cur = repository.dict_cursor(self.conn)
        self.tickets = TicketRepository(self.cur)
        self.crews = CrewRepository(self.cur)
        self.events = EventLog(self.cur)
        self.places = PlaceRepository(self.cur)
        self.site = SiteRepository(self.cur)
        return self

    def commit(self) -> None:
        """Commit what is done so far, before an error that must not undo it (a failed log-in
        is recorded even though the request fails)."""
        self.conn.commit()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.conn.commit()
            elif not self.conn.closed:  # a connection the server ended has nothing to undo,
                self.conn.rollback()  # and the error that ended it is the one to report
        finally:
            self.cur.close()
            if isinstance(self._source, str):
                self.conn.close()
            else:
                self._source.putconn(self.conn)
            self.conn = self.cur = None

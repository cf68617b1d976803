-- The manager's reports at scale, and the coverage moves a dispatcher applies.
--
-- Each located ticket's H3 cells at the resolutions the response-time map offers (7, 8, 9;
-- the h3 index as a bigint), so the database groups the map by an indexed column instead of
-- Python grouping every ticket. The database has no h3, so triggers queue each ticket that
-- is added or moved (ticket_cells_pending) and dispatch.manager_repository.sync_cells
-- computes the queued ones before a report reads them: the work is in proportion to what
-- is new, however long the history.
CREATE TABLE ticket_h3_cells (
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    received_at   timestamptz NOT NULL,      -- copied from the ticket: the reports' range key
    r7            bigint NOT NULL,
    r8            bigint NOT NULL,
    r9            bigint NOT NULL
);
-- Covering: a period's cells are read from the index alone (an index-only scan).
CREATE INDEX ticket_h3_cells_received_idx ON ticket_h3_cells (received_at)
    INCLUDE (ticket_id, r7, r8, r9);

CREATE TABLE ticket_cells_pending (
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE
);
INSERT INTO ticket_cells_pending (ticket_id) SELECT id FROM tickets WHERE geom IS NOT NULL;

CREATE FUNCTION queue_new_ticket_cells() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_cells_pending (ticket_id)
        SELECT id FROM new_tickets WHERE geom IS NOT NULL ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_queue_cells AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_tickets FOR EACH STATEMENT
    EXECUTE FUNCTION queue_new_ticket_cells();

CREATE FUNCTION queue_moved_ticket_cells() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ticket_h3_cells WHERE ticket_id = NEW.id;
    IF NEW.geom IS NOT NULL THEN
        INSERT INTO ticket_cells_pending (ticket_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_requeue_cells AFTER UPDATE OF geom ON tickets
    FOR EACH ROW WHEN (OLD.geom IS DISTINCT FROM NEW.geom)
    EXECUTE FUNCTION queue_moved_ticket_cells();

-- Reports over a period read the field tickets by the time of the call; covering the columns
-- the map and the trend filter and count on, so a year of them is an index-only scan.
CREATE INDEX tickets_field_received_idx ON tickets (received_at)
    INCLUDE (id, arrived_at, parent_ticket_id, priority, ticket_type)
    WHERE geom IS NOT NULL AND category <> 'non_field';

-- A move of an idle crew suggested by the coverage analysis and applied by a dispatcher:
-- where to, and the uncovered street km before and after, as the suggestion computed them.
CREATE TABLE crew_moves (
    id                   bigserial PRIMARY KEY,
    territory_id         smallint NOT NULL DEFAULT 1,
    crew_id              integer NOT NULL REFERENCES crews (id),
    from_geom            geometry(Point, 4326),
    to_geom              geometry(Point, 4326) NOT NULL,
    to_depot_id          integer REFERENCES depots (id),
    uncovered_before_km  double precision NOT NULL CHECK (uncovered_before_km >= 0),
    uncovered_after_km   double precision NOT NULL CHECK (uncovered_after_km >= 0),
    moved_by             text NOT NULL,
    moved_at             timestamptz NOT NULL
);
CREATE INDEX crew_moves_crew_idx ON crew_moves (crew_id, moved_at);

-- The daily leak log finds each report's first dispatch and crew among all its assignments
-- (released ones included); without this a log day scans every assignment ever made.
CREATE INDEX assignments_ticket_idx ON assignments (ticket_id, assigned_at);

-- One path for a ticket: what intake computes is stored with the ticket, and every change is
-- announced to every web process.
--
-- Every new table carries its territory (one per database today), so it can later be
-- distributed by it.

-- The crews recommended for a ticket by road, best first, as computed at intake and refreshed
-- when stale (the crew moved, or a minute passed). Screens read these; nobody routes again to
-- show them, and an assignment takes its ETA and route from here.
CREATE TABLE ticket_recommendations (
    territory_id   smallint NOT NULL DEFAULT 1,
    ticket_id      bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    rank           smallint NOT NULL CHECK (rank >= 1),
    crew_id        integer NOT NULL REFERENCES crews (id) ON DELETE CASCADE,
    eta_s          double precision NOT NULL CHECK (eta_s >= 0),
    travel_time_s  double precision NOT NULL CHECK (travel_time_s >= 0),
    distance_m     double precision NOT NULL CHECK (distance_m >= 0),
    finishes_first boolean NOT NULL DEFAULT false,
    route          geometry(LineString, 4326) CHECK (route IS NULL OR ST_IsValid(route)),
    crew_lon       double precision,          -- where the crew was when this was computed
    crew_lat       double precision,
    computed_at    timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, crew_id)
);

-- The isolation plan of an emergency ticket (valves to close, mains out, meters, critical
-- customers, warning zone, cameras, crews to valves), as computed at intake.
CREATE TABLE ticket_isolation_plans (
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    plan          jsonb NOT NULL,
    computed_at   timestamptz NOT NULL
);

-- The transactional outbox: one row per change, written in the same transaction as the change.
-- The trigger announces it with NOTIFY, which PostgreSQL delivers only when (and if) the
-- transaction commits; listeners read the rows after the last id they applied, so a missed
-- notification delays nothing beyond the next read.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    at            timestamptz NOT NULL,
    topic         text NOT NULL CHECK (topic IN ('ticket', 'crew')),
    kind          text NOT NULL,
    ticket_id     bigint,
    crew_id       integer,
    data          jsonb NOT NULL DEFAULT '{}'
);

CREATE FUNCTION outbox_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('control_room_events', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_announce AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_announce();

-- Crews, their positions, tickets, the append-only ticket event log and assignments.

CREATE TABLE crews (
    id        integer PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    name      text NOT NULL,
    depot_id  integer NOT NULL REFERENCES depots (id),
    skills    text[] NOT NULL CHECK (cardinality(skills) > 0
        AND skills <@ ARRAY['emergency', 'indoor_repair', 'meter', 'installation']),
    shift     text NOT NULL CHECK (shift IN ('day', 'night', 'round_the_clock')),
    status    text NOT NULL DEFAULT 'available'
        CHECK (status IN ('available', 'busy', 'off_duty', 'out_of_service')),
    members   smallint NOT NULL DEFAULT 2 CHECK (members BETWEEN 1 AND 20),
    phone     text
);

-- Every GPS fix is kept; the latest per crew is maintained by a trigger so readers need no
-- "max(recorded_at) per crew" scan.
CREATE TABLE crew_positions (
    id           bigserial PRIMARY KEY,
    crew_id      integer NOT NULL REFERENCES crews (id),
    recorded_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    speed_mps    double precision CHECK (speed_mps >= 0),
    heading_deg  double precision CHECK (heading_deg >= 0 AND heading_deg < 360),
    geom         geometry(Point, 4326) NOT NULL CHECK (ST_IsValid(geom))
);
CREATE INDEX crew_positions_crew_time_idx ON crew_positions (crew_id, recorded_at DESC);

CREATE TABLE crew_latest_positions (
    crew_id      integer PRIMARY KEY REFERENCES crews (id),
    position_id  bigint NOT NULL REFERENCES crew_positions (id),
    recorded_at  timestamptz NOT NULL,
    speed_mps    double precision,
    heading_deg  double precision,
    geom         geometry(Point, 4326) NOT NULL
);
CREATE INDEX crew_latest_positions_geom_idx ON crew_latest_positions USING gist (geom);

CREATE FUNCTION crew_positions_keep_latest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crew_latest_positions AS l
        (crew_id, position_id, recorded_at, speed_mps, heading_deg, geom)
    VALUES (NEW.crew_id, NEW.id, NEW.recorded_at, NEW.speed_mps, NEW.heading_deg, NEW.geom)
    ON CONFLICT (crew_id) DO UPDATE
        SET position_id = EXCLUDED.position_id, recorded_at = EXCLUDED.recorded_at,
            speed_mps = EXCLUDED.speed_mps, heading_deg = EXCLUDED.heading_deg, geom = EXCLUDED.geom
        WHERE l.recorded_at <= EXCLUDED.recorded_at;  -- a late, older fix does not win
    RETURN NULL;
END $$;
CREATE TRIGGER crew_positions_keep_latest AFTER INSERT ON crew_positions
    FOR EACH ROW EXECUTE FUNCTION crew_positions_keep_latest();

CREATE TABLE tickets (
    id                    bigserial PRIMARY KEY,
    number                text NOT NULL UNIQUE,
    ticket_type           text NOT NULL CHECK (ticket_type IN (
        'gas_leak', 'third_party_damage', 'fire_explosion', 'no_gas_area',
        'indoor_leak_repair', 'meter_fault', 'appliance_repair', 'paid_repair', 'free_repair',
        'gas_on_ignition', 'safety_inspection', 'indoor_modification', 'appliance_installation',
        'meter_reading', 'consultation', 'complaint', 'suggestion')),
    category              text GENERATED ALWAYS AS (CASE
        WHEN ticket_type IN ('gas_leak', 'third_party_damage', 'fire_explosion', 'no_gas_area')
            THEN 'emergency'
        WHEN ticket_type IN ('indoor_leak_repair', 'meter_fault', 'appliance_repair',
                             'paid_repair', 'free_repair') THEN 'repair'
        WHEN ticket_type IN ('consultation', 'complaint', 'suggestion') THEN 'non_field'
        ELSE 'scheduled' END) STORED,
    priority              smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
    status                text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'assigned',
        'accepted', 'en_route', 'on_site', 'made_safe', 'repaired', 'closed', 'cancelled')),
    address               text,
    description           text NOT NULL DEFAULT '',
    account_no            text,
    meter_id              integer REFERENCES customer_meters (id),
    caller_name           text,
    caller_phone          text,
    receiving_department  text,
    taken_by              text NOT NULL,
    received_at           timestamptz NOT NULL,
    appointment_at        timestamptz,
    promised_reply_at     timestamptz,
    parent_ticket_id      bigint REFERENCES tickets (id),  -- set when linked as a duplicate call
    version               integer NOT NULL DEFAULT 1,
    geom                  geometry(Point, 4326) CHECK (geom IS NULL OR ST_IsValid(geom)),
    CHECK (parent_ticket_id IS NULL OR parent_ticket_id <> id)
);
CREATE INDEX tickets_geom_idx ON tickets USING gist (geom);
CREATE INDEX tickets_open_idx ON tickets (priority, received_at)
    WHERE status NOT IN ('closed', 'cancelled');

-- The ticket event log is append-only: the database itself refuses updates and deletes.
CREATE TABLE ticket_events (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    event_type   text NOT NULL,
    from_status  text,
    to_status    text,
    reason       text,
    data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, at);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE assignments (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    crew_id         integer NOT NULL REFERENCES crews (id),
    assigned_at     timestamptz NOT NULL,
    assigned_by     text NOT NULL,
    automatic       boolean NOT NULL DEFAULT false,
    eta_s           double precision CHECK (eta_s >= 0),
    released_at     timestamptz,
    release_reason  text,
    CHECK (released_at IS NULL OR released_at >= assigned_at)
);
-- A ticket has at most one crew working on it at a time.
CREATE UNIQUE INDEX assignments_one_active_per_ticket ON assignments (ticket_id)
    WHERE released_at IS NULL;
CREATE INDEX assignments_crew_idx ON assignments (crew_id) WHERE released_at IS NULL;

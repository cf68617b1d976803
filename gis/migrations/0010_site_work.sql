-- The crew's work on site (issue 10): the gas_restored step, the CJJ51 site checklist and gas
-- readings, the two-valve marking of the households fed by the isolated section, hazard
-- notices, charges with the customer's sign-off, photos, and the Idempotency-Keys of the
-- phone's creates (it resends when it was offline).
--
-- Every new table carries its territory (one per database today), so it can later be
-- distributed by it. Images are kept in the database (bytea): a photo is stored in the same
-- transaction as its ticket event, so neither exists without the other.

ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('new', 'assigned',
    'accepted', 'en_route', 'on_site', 'made_safe', 'repaired', 'gas_restored', 'closed',
    'cancelled'));
ALTER TABLE tickets
    ADD COLUMN gas_restored_at timestamptz,
    -- A paid item was signed for: the call-back sampler treats the job as a paid repair.
    ADD COLUMN paid boolean NOT NULL DEFAULT false;

-- Items of the site checklist, each with when it was done and by whom; the first time counts.
CREATE TABLE site_checks (
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    item          text NOT NULL CHECK (item <> ''),
    done_at       timestamptz NOT NULL,
    done_by       text NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (ticket_id, item)
);

-- Gas concentration readings on site, in % of the lower explosive limit, as many as taken.
CREATE TABLE gas_readings (
    id            bigserial PRIMARY KEY,
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    lel_percent   double precision NOT NULL CHECK (lel_percent >= 0 AND lel_percent <= 100),
    measured_at   timestamptz NOT NULL,
    place         text,
    recorded_by   text NOT NULL
);
CREATE INDEX gas_readings_ticket_idx ON gas_readings (ticket_id, measured_at, id);

-- The two-valve rule: each household fed by the isolated section, marked before gas-on.
CREATE TABLE household_marks (
    territory_id  smallint NOT NULL DEFAULT 1,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    meter_id      integer NOT NULL,             -- customer_meters.id (no FK: survives a re-import)
    mark          text NOT NULL CHECK (mark IN ('valves_closed', 'not_at_home', 'kept_off')),
    marked_at     timestamptz NOT NULL,
    marked_by     text NOT NULL,
    PRIMARY KEY (ticket_id, meter_id)
);

-- Hazard notices (隐患通知书): signed by the customer, or the refusal recorded with its time.
CREATE TABLE hazard_notices (
    id             bigserial PRIMARY KEY,
    territory_id   smallint NOT NULL DEFAULT 1,
    ticket_id      bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    meter_id       integer NOT NULL,            -- customer_meters.id
    hazard_type    text NOT NULL,
    note           text NOT NULL DEFAULT '',
    fix_by         timestamptz NOT NULL,
    found_at       timestamptz NOT NULL,
    found_by       text NOT NULL,
    signature_png  bytea,
    refused_at     timestamptz,
    resolved_at    timestamptz,
    resolved_by    text,
    CHECK ((signature_png IS NULL) <> (refused_at IS NULL)),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX hazard_notices_meter_idx ON hazard_notices (meter_id) WHERE resolved_at IS NULL;
CREATE INDEX hazard_notices_ticket_idx ON hazard_notices (ticket_id);

-- The customer's sign-off of a job: the charged items, the total, the signature or refusal.
CREATE TABLE ticket_signoffs (
    territory_id   smallint NOT NULL DEFAULT 1,
    ticket_id      bigint PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    total_cny      numeric(10, 2) NOT NULL CHECK (total_cny >= 0),
    signature_png  bytea,
    refused_at     timestamptz,
    signed_at      timestamptz NOT NULL,
    recorded_by    text NOT NULL,
    CHECK ((signature_png IS NULL) <> (refused_at IS NULL))
);
CREATE TABLE ticket_charges (
    territory_id   smallint NOT NULL DEFAULT 1,
    ticket_id      bigint NOT NULL REFERENCES ticket_signoffs (ticket_id) ON DELETE CASCADE,
    line           smallint NOT NULL CHECK (line >= 1),
    item_code      text NOT NULL,
    quantity       integer NOT NULL CHECK (quantity >= 1),
    unit_price_cny numeric(10, 2) NOT NULL CHECK (unit_price_cny >= 0),
    PRIMARY KEY (ticket_id, line)
);

-- Photos of a job, re-encoded without their metadata.
CREATE TABLE ticket_photos (
    id             bigserial PRIMARY KEY,
    territory_id   smallint NOT NULL DEFAULT 1,
    ticket_id      bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    content_type   text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    width          integer NOT NULL CHECK (width > 0),
    height         integer NOT NULL CHECK (height > 0),
    image          bytea NOT NULL,
    note           text NOT NULL DEFAULT '',
    taken_at       timestamptz NOT NULL,
    uploaded_by    text NOT NULL
);
CREATE INDEX ticket_photos_ticket_idx ON ticket_photos (ticket_id, id);

-- A create of the site work sent again with the same Idempotency-Key answers what the first
-- one answered, and stores nothing new.
CREATE TABLE site_idempotency_keys (
    territory_id  smallint NOT NULL DEFAULT 1,
    user_id       integer NOT NULL REFERENCES users (id),
    key           text NOT NULL,
    ticket_id     bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    answer        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
